//! Shortcuts that give the general code's output on the inputs they accept (plain ASCII
//! text, a lone `Name <address>`). Tests turn them off with `without`, to compare.

#[cfg(test)]
use std::cell::Cell;

#[cfg(test)]
thread_local! {
    static OFF: Cell<bool> = const { Cell::new(false) };
}

/// Whether a shortcut may be taken: always, except inside `without` in a test.
#[inline]
pub(crate) fn enabled() -> bool {
    #[cfg(test)]
    {
        !OFF.with(Cell::get)
    }
    #[cfg(not(test))]
    {
        true
    }
}

/// Runs `f` with every shortcut off (on this thread), so that it takes the general code.
#[cfg(test)]
pub(crate) fn without<T>(f: impl FnOnce() -> T) -> T {
    OFF.with(|off| off.set(true));
    let out = f();
    OFF.with(|off| off.set(false));
    out
}
