//! The overlays (help, filter, picker, command line, note editor, reject reason): each
//! takes every key while it is open.

use super::*;

pub(super) fn overlay_key(s: &mut State, o: Overlay, k: KeyEvent, out: &mut Vec<Command>) {
    let typed = match k.code {
        KeyCode::Char(c)
            if !k
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    };
    match o {
        Overlay::Help { scroll } => {
            let next = match k.code {
                KeyCode::Char('j') | KeyCode::Down => Some(scroll.saturating_add(1)),
                KeyCode::Char('k') | KeyCode::Up => Some(scroll.saturating_sub(1)),
                KeyCode::PageDown => Some(scroll.saturating_add(10)),
                KeyCode::PageUp => Some(scroll.saturating_sub(10)),
                _ => None,
            };
            if let Some(scroll) = next {
                s.overlay = Some(Overlay::Help { scroll });
            }
        }
        Overlay::Filter => match (k.code, typed) {
            (_, Some(c)) => {
                s.filter.push(c);
                s.overlay = Some(Overlay::Filter);
                out.push(reload(s));
            }
            (KeyCode::Backspace, _) => {
                s.filter.pop();
                s.overlay = Some(Overlay::Filter);
                out.push(reload(s));
            }
            (KeyCode::Enter, _) => {}
            (KeyCode::Esc, _) => {
                s.filter.clear();
                out.push(reload(s));
            }
            _ => s.overlay = Some(Overlay::Filter),
        },
        Overlay::Picker { agents, selected } => match k.code {
            KeyCode::Char('j') | KeyCode::Down => {
                let selected = (selected + 1).min(agents.len().saturating_sub(1));
                s.overlay = Some(Overlay::Picker { agents, selected });
            }
            KeyCode::Char('k') | KeyCode::Up => {
                let selected = selected.saturating_sub(1);
                s.overlay = Some(Overlay::Picker { agents, selected });
            }
            KeyCode::Enter => {
                if let Some(agent) = agents.get(selected) {
                    act(s, claims::Action::Assign(agent.clone()), out);
                }
            }
            KeyCode::Esc | KeyCode::Char('q') => {}
            _ => s.overlay = Some(Overlay::Picker { agents, selected }),
        },
        Overlay::CommandLine { mut text } => match (k.code, typed) {
            (_, Some(c)) => {
                text.push(c);
                s.overlay = Some(Overlay::CommandLine { text });
            }
            (KeyCode::Backspace, _) => {
                if text.pop().is_some() {
                    s.overlay = Some(Overlay::CommandLine { text });
                }
            }
            (KeyCode::Enter, _) => command_line(s, &text, out),
            (KeyCode::Esc, _) => {}
            _ => s.overlay = Some(Overlay::CommandLine { text }),
        },
        Overlay::SendReply { warnings, later } => send_reply_key(s, warnings, later, k, typed, out),
        Overlay::RejectReason { mut text } => match (k.code, typed) {
            (_, Some(c)) => {
                text.push(c);
                s.overlay = Some(Overlay::RejectReason { text });
            }
            (KeyCode::Backspace, _) => {
                text.pop();
                s.overlay = Some(Overlay::RejectReason { text });
            }
            (KeyCode::Enter, _) if !text.trim().is_empty() => {
                decide(s, Verdict::Reject(text.trim().to_string()), out)
            }
            (KeyCode::Enter, _) => {
                s.error = Some(tr("tui.reject.needs_reason").into());
                s.overlay = Some(Overlay::RejectReason { text });
            }
            (KeyCode::Esc, _) => {}
            _ => s.overlay = Some(Overlay::RejectReason { text }),
        },
        Overlay::NoteEditor { id, mut text } => {
            let newline = k.code == KeyCode::Enter
                && k.modifiers
                    .intersects(KeyModifiers::ALT | KeyModifiers::SHIFT)
                || (k.code == KeyCode::Char('j') && k.modifiers.contains(KeyModifiers::CONTROL));
            match (k.code, typed) {
                _ if newline => {
                    text.push('\n');
                    s.overlay = Some(Overlay::NoteEditor { id, text });
                }
                (_, Some(c)) => {
                    text.push(c);
                    s.overlay = Some(Overlay::NoteEditor { id, text });
                }
                (KeyCode::Backspace, _) => {
                    text.pop();
                    s.overlay = Some(Overlay::NoteEditor { id, text });
                }
                (KeyCode::Enter, _) => send_note(s, id, text, out),
                (KeyCode::Esc, _) => s.info = Some(tr("tui.note.cancelled").into()),
                _ => s.overlay = Some(Overlay::NoteEditor { id, text }),
            }
        }
    }
}

pub(super) fn send_note(s: &mut State, id: String, text: String, out: &mut Vec<Command>) {
    if text.trim().is_empty() {
        s.info = Some(tr("tui.note.empty").into());
        return;
    }
    s.busy += 1;
    s.info = Some(format!("{}: {}", short(&id), tr("tui.note.adding")));
    out.push(Command::Note { id, text });
}

/// The `:` command line: the CLI's verbs on the current conversation.
pub(super) fn command_line(s: &mut State, text: &str, out: &mut Vec<Command>) {
    let text = text.trim();
    let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
    let rest = rest.trim();
    let action = match verb {
        "" => return,
        "q" | "quit" => return quit(s, out),
        "help" => {
            s.overlay = Some(Overlay::Help { scroll: 0 });
            return;
        }
        "claim" => claims::Action::Claim,
        "take-over" | "takeover" => claims::Action::TakeOver,
        "release" => claims::Action::Release,
        "done" => claims::Action::Done,
        "reopen" => claims::Action::Reopen,
        "assign" if !rest.is_empty() => claims::Action::Assign(rest.to_string()),
        "note" if !rest.is_empty() => {
            if let Some((_, id)) = s.target() {
                send_note(s, id, rest.to_string(), out);
            }
            return;
        }
        "save" if !rest.is_empty() => {
            if let Some((_, id)) = s.target() {
                s.busy += 1;
                out.push(Command::Save {
                    id,
                    dir: rest.to_string(),
                });
            }
            return;
        }
        _ => {
            s.error = Some(tf(
                "tui.command.unknown",
                &[("text", &format!("{:?}", crate::sanitize::single_line(text)))],
            ));
            return;
        }
    };
    act(s, action, out);
}
