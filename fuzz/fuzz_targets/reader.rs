//! Raw message bytes to what the reader draws: no panic, no character a terminal acts on.
#![no_main]

use libfuzzer_sys::fuzz_target;

static QUIET_HOOK: std::sync::Once = std::sync::Once::new();

fuzz_target!(|raw: &[u8]| {
    // tanto catches the panics of the MIME parser (mail-parser has debug assertions that
    // fire on some nested messages) and shows the mail as best it can: libfuzzer-sys's hook
    // would abort on those caught panics. A panic that escapes tanto still reaches
    // libfuzzer-sys's own catch_unwind, which aborts: that is a finding.
    QUIET_HOOK.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    for (w, h) in [(80, 24), (21, 7)] {
        if let Err(e) = tanto::tui::message_check::draw_message(raw, w, h) {
            panic!("{e}");
        }
    }
});
