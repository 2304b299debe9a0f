//! The reader: scrolling and leaving it.

use super::*;

pub(super) fn scroll(s: &mut State, delta: i32) {
    if let Some(r) = &mut s.reader {
        r.scroll = (i32::from(r.scroll) + delta).clamp(0, i32::from(u16::MAX)) as u16;
    }
}

pub(super) fn leave_reader(s: &mut State, out: &mut Vec<Command>) {
    if let Some(r) = s.reader.take() {
        out.push(Command::Leave {
            mailbox: r.mailbox,
            id: r.id,
        });
    }
    s.screen = Screen::List;
    out.push(reload(s));
}
