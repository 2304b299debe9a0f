//! `TANTO_TRACE=commands`: what a command did, in order, with the milliseconds since the
//! first line: the IMAP commands and round trips (`imap::transport`) and the steps of the work
//! between them (`trace_step`). Kept here, beside both, so that the cache can mark its steps
//! without reaching into the IMAP layer. The front end prints the lines.

use std::sync::Mutex;

/// `TANTO_TRACE=commands`: each command's first line on stderr as it is written, and each
/// round trip as its answer starts, to see where a slow link's time goes.
pub(crate) fn on() -> bool {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ON.get_or_init(|| std::env::var("TANTO_TRACE").is_ok_and(|v| v == "commands"))
}

/// The trace so far, each line with the milliseconds since the first; the front end prints
/// it (nothing below the front ends writes to the terminal).
pub fn trace_lines() -> Vec<String> {
    TRACE.lock().map(|t| t.clone()).unwrap_or_default()
}

static TRACE: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records a step of the work beside the commands under `TANTO_TRACE=commands` (a first
/// sync's FETCH ending, the bulk load's index builds), to see where a slow link's time goes
/// when it is not waiting for the server. `what` is only made when tracing.
pub fn trace_step(what: impl FnOnce() -> String) {
    if on() {
        line(format!("- {}", what()));
    }
}

pub(crate) fn line(line: String) {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    let ms = START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis();
    if let Ok(mut t) = TRACE.lock() {
        t.push(format!("{ms:>6} ms {line}"));
    }
}
