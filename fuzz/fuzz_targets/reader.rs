//! Raw message bytes to what the reader draws: no panic, no character a terminal acts on.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &[u8]| {
    for (w, h) in [(80, 24), (21, 7)] {
        if let Err(e) = tanto::tui::message_check::draw_message(raw, w, h) {
            panic!("{e}");
        }
    }
});
