//! A key press to the layer that takes it: an overlay, else the screen under it.

use super::*;

pub(super) fn key(s: &mut State, k: KeyEvent, out: &mut Vec<Command>) {
    if k.kind == ratatui::crossterm::event::KeyEventKind::Release {
        return;
    }
    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
        quit(s, out);
        return;
    }
    if let Some(o) = s.overlay.take() {
        overlay_key(s, o, k, out);
        return;
    }
    let Some(action) = s.keymap.action(&k) else {
        return;
    };
    if s.screen == Screen::Approvals && approvals_key(s, action, out) {
        return;
    }
    let page = s.list_height as isize;
    let reading = s.screen == Screen::Reader;
    let rpage = i32::from(s.reader_height.saturating_sub(1).max(1));
    match action {
        Action::Down if reading => scroll(s, 1),
        Action::Up if reading => scroll(s, -1),
        Action::PageDown if reading => scroll(s, rpage),
        Action::PageUp if reading => scroll(s, -rpage),
        Action::Top if reading => scroll(s, -i32::from(u16::MAX)),
        Action::Bottom if reading => {
            if let Some(r) = &mut s.reader {
                r.scroll = u16::MAX / 2;
            }
        }
        Action::Down => move_to(s, s.selected as isize + 1, out),
        Action::Up => move_to(s, s.selected as isize - 1, out),
        Action::PageDown => move_to(s, s.selected as isize + page, out),
        Action::PageUp => move_to(s, s.selected as isize - page, out),
        Action::Top => move_to(s, 0, out),
        Action::Bottom => move_to(s, s.window.total as isize - 1, out),
        Action::Open => {
            if !reading {
                open_selected(s, out);
            }
        }
        Action::Back => {
            if reading {
                leave_reader(s, out);
            } else if !s.filter.is_empty() || s.customer.is_some() {
                s.filter.clear();
                s.customer = None;
                out.push(reload(s));
            } else {
                quit(s, out);
            }
        }
        Action::NextTab => switch_tab(s, s.tab.cycle(1), out),
        Action::PrevTab => switch_tab(s, s.tab.cycle(-1), out),
        Action::TabNew => switch_tab(s, Tab::New, out),
        Action::TabWip => switch_tab(s, Tab::Wip, out),
        Action::TabDone => switch_tab(s, Tab::Done, out),
        Action::TabMine => switch_tab(s, Tab::Mine, out),
        Action::TabNoise => switch_tab(s, Tab::Noise, out),
        Action::Claim => act(s, claims::Action::Claim, out),
        Action::TakeOver => act(s, claims::Action::TakeOver, out),
        Action::Release => act(s, claims::Action::Release, out),
        Action::Done => act(s, claims::Action::Done, out),
        Action::Reopen => act(s, claims::Action::Reopen, out),
        Action::Assign => {
            if s.target().is_none() {
                return;
            }
            let agents = s.picker_agents();
            if agents.is_empty() {
                s.error = Some(tr("tui.assign.no_agents").into());
            } else {
                s.overlay = Some(Overlay::Picker {
                    agents,
                    selected: 0,
                });
            }
        }
        Action::Note => {
            if let Some((_, id)) = s.target() {
                if s.external_editor {
                    out.push(Command::EditNote { id });
                } else {
                    s.overlay = Some(Overlay::NoteEditor {
                        id,
                        text: String::new(),
                    });
                }
            }
        }
        Action::Filter => {
            if !reading {
                s.overlay = Some(Overlay::Filter);
            }
        }
        Action::Customer => {
            if reading {
                return;
            }
            if s.customer.is_some() {
                s.customer = None;
            } else if let Some(r) = s.selected_row() {
                s.customer = Some(r.conversation.customer.clone());
            } else {
                return;
            }
            out.push(reload_from_top(s));
        }
        Action::Reply => start_reply(s, false, out),
        Action::ReplyAll => start_reply(s, true, out),
        Action::Undo => take_back(s, out),
        Action::Approvals => open_approvals(s, out),
        Action::Approve | Action::Reject => {
            s.info = Some(tf(
                "tui.approvals.where",
                &[("key", &s.keymap.key_for(Action::Approvals))],
            ));
        }
        Action::Command => {
            s.overlay = Some(Overlay::CommandLine {
                text: String::new(),
            });
        }
        Action::Mailbox => {
            if s.mailboxes.len() < 2 {
                s.info = Some(tr("tui.one_mailbox").into());
                return;
            }
            s.mailbox = match s.mailbox {
                None => Some(0),
                Some(i) if i + 1 < s.mailboxes.len() => Some(i + 1),
                Some(_) => None,
            };
            out.push(reload_from_top(s));
        }
        Action::Help => s.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Quit => quit(s, out),
    }
}
