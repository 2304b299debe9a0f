//! The conversation list: moving, tabs, opening, the mouse.

use super::*;

pub(super) fn mouse(s: &mut State, m: Mouse, out: &mut Vec<Command>) {
    if s.overlay.is_some() {
        return;
    }
    let reading = s.screen == Screen::Reader;
    match m {
        Mouse::ScrollDown if reading => scroll(s, WHEEL as i32),
        Mouse::ScrollUp if reading => scroll(s, -WHEEL as i32),
        Mouse::ScrollDown if s.screen == Screen::List => {
            move_to(s, s.list.selected as isize + WHEEL, out)
        }
        Mouse::ScrollUp if s.screen == Screen::List => {
            move_to(s, s.list.selected as isize - WHEEL, out)
        }
        Mouse::Click { column, row: 0 } if s.screen == Screen::List => {
            // The tab bar: labels and one-column separators, as the list view draws them.
            let mut x = 0usize;
            for tab in Tab::ALL {
                let w = unicode_width::UnicodeWidthStr::width(tab.label(&s.list.counts).as_str());
                if usize::from(column) < x + w {
                    switch_tab(s, tab, out);
                    return;
                }
                x += w + 1;
            }
        }
        Mouse::Click { row, .. } if s.screen == Screen::List && row >= 2 => {
            let i = s.list.top + usize::from(row - 2);
            if i >= s.list.window.total || usize::from(row - 2) >= s.list.height {
                return;
            }
            if i == s.list.selected {
                open_selected(s, out); // a click on the selected row opens it
            } else {
                move_to(s, i as isize, out);
            }
        }
        _ => {}
    }
}

pub(super) fn move_to(s: &mut State, target: isize, out: &mut Vec<Command>) {
    let total = s.list.window.total;
    if total == 0 {
        return;
    }
    s.list.selected = target.clamp(0, total as isize - 1) as usize;
    clamp_top(s);
    s.list.selected_id = s
        .list
        .window
        .get(s.list.selected)
        .map(|r| (r.conversation.mailbox.clone(), r.conversation.id.clone()));
    if !s.list.window.covers(s.list.top, s.list.top + s.list.height) {
        s.list.req += 1;
        out.push(Command::LoadList {
            req: s.list.req,
            query: s.query(),
            anchor: Anchor::At {
                selected: s.list.selected,
                top: s.list.top,
            },
            height: s.list.height,
        });
    }
}

pub(super) fn switch_tab(s: &mut State, tab: Tab, out: &mut Vec<Command>) {
    if s.screen == Screen::Reader {
        leave_reader(s, out);
    }
    if s.list.tab != tab {
        s.list.tab = tab;
        s.list.window = Window {
            total: tab.count(&s.list.counts) as usize,
            ..Window::default()
        };
        s.input.tab_pending = true;
        out.push(reload_from_top(s));
    }
}

pub(super) fn open_selected(s: &mut State, out: &mut Vec<Command>) {
    let Some(row) = s.selected_row() else {
        return;
    };
    let c = row.conversation.clone();
    s.reader = Some(Reader {
        mailbox: c.mailbox.clone(),
        id: c.id.clone(),
        subject: c.subject.clone(),
        view: None,
        scroll: 0,
    });
    s.screen = Screen::Reader;
    out.push(Command::Open {
        id: c.id.clone(),
        sync: true,
    });
}

pub(super) fn quit(s: &mut State, out: &mut Vec<Command>) {
    if let Some(r) = &s.reader {
        out.push(Command::Leave {
            mailbox: r.mailbox.clone(),
            id: r.id.clone(),
        });
    }
    s.quit = true;
}
