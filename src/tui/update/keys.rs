//! A key press to the layer that takes it: an overlay, else the screen under it.

use super::*;
use crate::tui::keymap::Layer;
use crate::tui::state::Question;

use super::reader::{find_next, next_entry};

pub(super) fn key(s: &mut State, k: KeyEvent, out: &mut Vec<Command>) {
    if k.kind == ratatui::crossterm::event::KeyEventKind::Release {
        return;
    }
    // Keys typed while a new tab's rows are on the way wait for them: they are meant for
    // that tab's rows, which an empty window would silently drop.
    // Quitting never waits.
    if s.overlay.is_none()
        && s.screen == Screen::List
        && s.input.tab_pending
        && s.keymap.action(Layer::List, &k) != Some(Action::Quit)
    {
        if s.input.queued.len() < 256 {
            s.input.queued.push(k);
        }
        return;
    }
    if let Some(o) = s.overlay.take() {
        overlay_key(s, o, k, out);
        return;
    }
    let reading = s.screen == Screen::Reader;
    // Approvals is read like the reader: q and Esc go back to the list.
    let layer = if s.screen == Screen::List {
        Layer::List
    } else {
        Layer::Reader
    };
    let Some(action) = s.keymap.action(layer, &k) else {
        return;
    };
    if s.screen == Screen::Approvals && approvals_key(s, action, out) {
        return;
    }
    if needs_target(action) && s.target().is_none() {
        s.status.info = Some(tf("tui.empty.nothing", &[("tab", &s.list.tab.title())]));
        return;
    }
    let page = s.list.height as isize;
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
        Action::NextMessage => next_entry(s, true),
        Action::PrevMessage => next_entry(s, false),
        Action::NextMatch | Action::PrevMatch if reading => {
            find_next(s, action == Action::NextMatch)
        }
        Action::NextMatch | Action::PrevMatch => {
            if s.list.filter.trim().is_empty() && s.list.customer.is_none() {
                s.status.info = Some(tf(
                    "tui.find.none",
                    &[("key", &s.keymap.key_for(Action::Filter))],
                ));
            } else {
                // The list shows only the matches: the next match is the next row.
                let step = if action == Action::NextMatch { 1 } else { -1 };
                move_to(s, s.list.selected as isize + step, out);
            }
        }
        Action::Down => move_to(s, s.list.selected as isize + 1, out),
        Action::Up => move_to(s, s.list.selected as isize - 1, out),
        Action::PageDown => move_to(s, s.list.selected as isize + page, out),
        Action::PageUp => move_to(s, s.list.selected as isize - page, out),
        Action::Top => move_to(s, 0, out),
        Action::Bottom => move_to(s, s.list.window.total as isize - 1, out),
        Action::Open => {
            if !reading {
                open_selected(s, out);
            }
        }
        Action::Back => {
            if reading {
                leave_reader(s, out);
            } else if s.list.mark.take().is_some() {
                s.status.info = Some(tr("tui.merge.unmarked").into());
            } else if !s.list.filter.is_empty() || s.list.customer.is_some() {
                s.list.filter.clear();
                s.list.customer = None;
                out.push(reload(s));
            } else {
                // Esc backs out and never quits: say which key does.
                s.status.info = Some(tf(
                    "tui.quit_hint",
                    &[("key", &s.keymap.key_in(Layer::List, Action::Quit))],
                ));
            }
        }
        Action::NextTab => switch_tab(s, s.list.tab.cycle(1), out),
        Action::PrevTab => switch_tab(s, s.list.tab.cycle(-1), out),
        Action::TabNew => switch_tab(s, Tab::New, out),
        Action::TabWip => switch_tab(s, Tab::Wip, out),
        Action::TabDone => switch_tab(s, Tab::Done, out),
        Action::TabMine => switch_tab(s, Tab::Mine, out),
        Action::TabNoise => switch_tab(s, Tab::Noise, out),
        Action::TabWaiting => switch_tab(s, Tab::Waiting, out),
        Action::Claim => act(s, claims::Action::Claim, out),
        Action::TakeOver => act(s, claims::Action::TakeOver, out),
        Action::Release => act(s, claims::Action::Release, out),
        Action::Done => act(s, claims::Action::Done, out),
        // On a waiting or snoozed conversation, reopen is its way back: wake it now.
        Action::Reopen if s.target_status() == Some(tanto_core::status::Status::Waiting) => {
            act(s, claims::Action::Wake, out)
        }
        Action::Reopen => act(s, claims::Action::Reopen, out),
        Action::Wait => {
            s.overlay = Some(Overlay::WaitReason {
                text: String::new(),
            })
        }
        Action::Snooze => {
            s.overlay = Some(Overlay::SnoozeUntil {
                text: String::new(),
            })
        }
        Action::Tag => super::desk::ask_tag(s, true),
        Action::Untag => super::desk::ask_tag(s, false),
        Action::Merge if !reading => super::desk::merge_key(s),
        Action::Split if reading => super::desk::split_key(s),
        Action::Merge | Action::Split => {}
        Action::Assign => {
            if s.target().is_none() {
                return;
            }
            let agents = s.picker_agents();
            if agents.is_empty() {
                s.status.error = Some(tr("tui.assign.no_agents").into());
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
                    let subject = match (&s.reader, reading) {
                        (Some(r), true) => r.subject.clone(),
                        _ => s
                            .selected_row()
                            .map(|r| r.conversation.subject.clone())
                            .unwrap_or_default(),
                    };
                    s.overlay = Some(Overlay::NoteEditor {
                        id,
                        text: String::new(),
                        subject,
                    });
                }
            }
        }
        Action::Filter if reading => {
            s.overlay = Some(Overlay::Find {
                text: String::new(),
            })
        }
        Action::Filter => s.overlay = Some(Overlay::Filter),
        Action::Customer => {
            if reading {
                return;
            }
            if s.list.customer.is_some() {
                s.list.customer = None;
            } else if let Some(r) = s.selected_row() {
                s.list.customer = Some(r.conversation.customer.clone());
            } else {
                return;
            }
            out.push(reload_from_top(s));
        }
        Action::Reply => start_reply(s, false, out),
        Action::ReplyAll => start_reply(s, true, out),
        Action::Undo => take_back(s, out),
        Action::Approvals => open_approvals(s, out),
        Action::Duty => {
            // The state shown is the cache's (the watcher's last read of the log).
            let away = !s.away;
            s.status.busy += 1;
            s.status.info = Some(
                tr(if away {
                    "tui.duty.going_away"
                } else {
                    "tui.duty.coming_back"
                })
                .into(),
            );
            out.push(Command::Duty { away });
        }
        Action::Approve | Action::Reject => {
            s.status.info = Some(tf(
                "tui.approvals.where",
                &[("key", &s.keymap.key_for(Action::Approvals))],
            ));
        }
        Action::Command => {
            s.overlay = Some(Overlay::CommandLine {
                text: String::new(),
                recall: None,
            });
        }
        Action::Mailbox => {
            if s.mailboxes.len() < 2 {
                s.status.info = Some(tr("tui.one_mailbox").into());
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
        Action::Messages => s.overlay = Some(Overlay::Messages { scroll: u16::MAX }),
        Action::Redraw => s.input.redraw = true,
        Action::Quit => ask_quit(s, None, out),
        // The overlays' own actions: not bound on the screens unless the user binds them.
        Action::Submit
        | Action::DeleteChar
        | Action::Complete
        | Action::HistoryPrev
        | Action::HistoryNext
        | Action::Newline
        | Action::Yes
        | Action::SendLater
        | Action::Edit => {}
    }
}

/// Actions on "the conversation": on an empty tab they say so instead of doing nothing.
fn needs_target(a: Action) -> bool {
    matches!(
        a,
        Action::Open
            | Action::Claim
            | Action::TakeOver
            | Action::Release
            | Action::Assign
            | Action::Done
            | Action::Reopen
            | Action::Wait
            | Action::Snooze
            | Action::Note
            | Action::Tag
            | Action::Untag
            | Action::Merge
            | Action::Split
            | Action::Reply
            | Action::ReplyAll
    )
}

/// Quits, unless something would be lost: then asks first (`open` is the overlay the key
/// came from, given back on "no").
pub(super) fn ask_quit(s: &mut State, open: Option<Overlay>, out: &mut Vec<Command>) {
    let question = match &open {
        Some(Overlay::NoteEditor { text, .. }) if !text.trim().is_empty() => {
            Some(Question::QuitLosingNote)
        }
        Some(
            Overlay::RejectReason { text }
            | Overlay::WaitReason { text }
            | Overlay::SnoozeUntil { text }
            | Overlay::TagName { text, .. },
        ) if !text.trim().is_empty() => Some(Question::QuitLosingNote),
        _ if s.undo.as_ref().is_some_and(|u| !u.settling) => Some(Question::QuitInUndo),
        // Queued (its send under way): the outbox holds it, nothing is lost.
        _ if s.compose.is_some() && s.undo.is_none() && !s.input.reply_on_disk => {
            Some(Question::QuitWithReply)
        }
        _ => None,
    };
    match question {
        Some(question) => {
            s.overlay = Some(Overlay::Confirm {
                question,
                back: open.map(Box::new),
            })
        }
        None => quit(s, out),
    }
}
