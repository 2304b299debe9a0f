//! The overlays (help, messages, filter, search, picker, command line, note editor, reject
//! reason, a question): each takes every key while it is open, by its layer's bindings.

use super::*;
use crate::tui::keymap::Layer;

use super::keys::ask_quit;
use super::reader::find_next;

/// The layer whose bindings an overlay takes keys by.
fn layer_of(o: &Overlay) -> Layer {
    match o {
        Overlay::Help { .. } | Overlay::Messages { .. } => Layer::Help,
        Overlay::Picker { .. } => Layer::Picker,
        Overlay::NoteEditor { .. } => Layer::Editor,
        Overlay::Confirm { .. } => Layer::Confirm,
        Overlay::SendReply { later: None, .. } => Layer::Send,
        Overlay::Filter
        | Overlay::Find { .. }
        | Overlay::CommandLine { .. }
        | Overlay::SendReply { .. }
        | Overlay::RejectReason { .. }
        | Overlay::WaitReason { .. }
        | Overlay::SnoozeUntil { .. }
        | Overlay::TagName { .. } => Layer::Prompt,
    }
}

/// An overlay takes every key: what its layer does not bind is typed (in a prompt) or
/// ignored, never passed to the screen underneath.
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
    let action = s.keymap.action(layer_of(&o), &k);
    if action == Some(Action::Quit) {
        return ask_quit(s, Some(o), out);
    }
    match o {
        Overlay::Help { scroll } => {
            if let Some(scroll) = scrolled(s, scroll, action, help_rows(s)) {
                s.overlay = Some(Overlay::Help { scroll });
            }
        }
        Overlay::Messages { scroll } => {
            if let Some(scroll) = scrolled(s, scroll, action, messages_rows(s)) {
                s.overlay = Some(Overlay::Messages { scroll });
            }
        }
        Overlay::Filter => match (action, typed) {
            (Some(Action::Submit), _) => {}
            (Some(Action::Back), _) => {
                s.list.filter.clear();
                out.push(reload(s));
            }
            _ => {
                let before = s.list.filter.clone();
                if edit_line(&mut s.list.filter, action, typed) {
                    out.push(reload(s));
                    tag_filter_check(s, &before);
                }
                s.overlay = Some(Overlay::Filter);
            }
        },
        Overlay::Find { mut text } => match (action, typed) {
            (Some(Action::Submit), _) => {
                let text = text.trim().to_string();
                s.input.find = Some(text).filter(|t| !t.is_empty());
                find_next(s, true);
            }
            (Some(Action::Back), _) => {}
            _ => {
                edit_line(&mut text, action, typed);
                s.overlay = Some(Overlay::Find { text });
            }
        },
        Overlay::Picker { agents, selected } => match action {
            Some(Action::Down) => {
                let selected = (selected + 1).min(agents.len().saturating_sub(1));
                s.overlay = Some(Overlay::Picker { agents, selected });
            }
            Some(Action::Up) => {
                let selected = selected.saturating_sub(1);
                s.overlay = Some(Overlay::Picker { agents, selected });
            }
            Some(Action::Submit) => {
                if let Some(agent) = agents.get(selected) {
                    act(s, claims::Action::Assign(agent.clone()), out);
                }
            }
            Some(Action::Back) => {}
            _ => s.overlay = Some(Overlay::Picker { agents, selected }),
        },
        Overlay::CommandLine { text, recall } => {
            command_line_key(s, text, recall, action, typed, out)
        }
        Overlay::SendReply { warnings, later } => {
            send_reply_key(s, warnings, later, action, typed, out)
        }
        Overlay::RejectReason { mut text } => match (action, typed) {
            (Some(Action::Submit), _) if !text.trim().is_empty() => {
                decide(s, Verdict::Reject(text.trim().to_string()), out)
            }
            (Some(Action::Submit), _) => {
                s.status.error = Some(tr("tui.reject.needs_reason").into());
                s.overlay = Some(Overlay::RejectReason { text });
            }
            (Some(Action::Back), _) => {}
            _ => {
                edit_line(&mut text, action, typed);
                s.overlay = Some(Overlay::RejectReason { text });
            }
        },
        Overlay::WaitReason { mut text } => match (action, typed) {
            (Some(Action::Submit), _) if !text.trim().is_empty() => {
                let reason = text.trim().to_string();
                act(s, claims::Action::Wait { reason }, out)
            }
            (Some(Action::Submit), _) => {
                s.status.error = Some(tr("tui.wait.needs_reason").into());
                s.overlay = Some(Overlay::WaitReason { text });
            }
            (Some(Action::Back), _) => {}
            _ => {
                edit_line(&mut text, action, typed);
                s.overlay = Some(Overlay::WaitReason { text });
            }
        },
        Overlay::SnoozeUntil { mut text } => match (action, typed) {
            (Some(Action::Submit), _) => snooze(s, text, out),
            (Some(Action::Back), _) => {}
            _ => {
                edit_line(&mut text, action, typed);
                s.overlay = Some(Overlay::SnoozeUntil { text });
            }
        },
        Overlay::TagName { id, text, on } => {
            super::desk::tag_key(s, (id, text, on), action, typed, out)
        }
        Overlay::NoteEditor {
            id,
            mut text,
            subject,
        } => {
            match (action, typed) {
                (Some(Action::Newline), _) => text.push('\n'),
                (Some(Action::Submit), _) => return send_note(s, id, text, out),
                (Some(Action::Back), _) => {
                    s.status.info = Some(tr("tui.note.cancelled").into());
                    return;
                }
                (Some(Action::DeleteChar), _) => {
                    text.pop();
                }
                (None, Some(c)) => text.push(c),
                _ => {}
            }
            s.overlay = Some(Overlay::NoteEditor { id, text, subject });
        }
        // Ctrl-C quits everywhere: it never says yes to regrouping customer mail.
        Overlay::Confirm { question, back }
            if question.regroups()
                && k.modifiers.contains(KeyModifiers::CONTROL)
                && k.code == KeyCode::Char('c') =>
        {
            ask_quit(s, back.map(|b| *b), out)
        }
        Overlay::Confirm { question, back } => match action {
            Some(Action::Yes) if question.regroups() => super::desk::regroup(s, question, out),
            Some(Action::Yes) => quit(s, out),
            Some(Action::Back) => s.overlay = back.map(|b| *b),
            _ => s.overlay = Some(Overlay::Confirm { question, back }),
        },
    }
}

/// A `tag:` word naming no possible tag lists nothing: the status bar says why while it is
/// typed, and stops saying it once the name is right (`before`: the filter before the key).
fn tag_filter_check(s: &mut State, before: &str) {
    let invalid = |t: &str| {
        tf(
            "error.tag.invalid",
            &[(
                "tag",
                &format!("{:?}", tanto_mail::sanitize::single_line(t)),
            )],
        )
    };
    let tag_of = |f: &str| crate::tui::state::split_filter(f).0;
    match tag_of(&s.list.filter) {
        Some(t) if !tanto_core::rules::valid_tag(&t) => s.status.error = Some(invalid(&t)),
        _ => {
            if let Some(old) = tag_of(before) {
                if s.status.error.as_deref() == Some(invalid(&old).as_str()) {
                    s.status.error = None;
                }
            }
        }
    }
}

/// A one-line prompt's text after a key: Backspace deletes, a character is typed. True
/// when the text changed.
pub(super) fn edit_line(text: &mut String, action: Option<Action>, typed: Option<char>) -> bool {
    match (action, typed) {
        (Some(Action::DeleteChar), _) => text.pop().is_some(),
        (None, Some(c)) => {
            text.push(c);
            true
        }
        _ => false,
    }
}

/// A scrolling box's new first row, or None when the key closes it.
fn scrolled(s: &State, scroll: u16, action: Option<Action>, rows: u16) -> Option<u16> {
    let page = s.reader_height.saturating_sub(3).max(1);
    let max = rows.saturating_sub(page);
    let scroll = scroll.min(max);
    let next = match action {
        Some(Action::Down) => scroll.saturating_add(1),
        Some(Action::Up) => scroll.saturating_sub(1),
        Some(Action::PageDown) => scroll.saturating_add(page),
        Some(Action::PageUp) => scroll.saturating_sub(page),
        Some(Action::Top) => 0,
        Some(Action::Bottom) => max,
        Some(Action::Back) => return None,
        _ => scroll,
    };
    Some(next.min(max))
}

/// Rows the help takes at the current width (its view wraps them the same way).
fn help_rows(s: &State) -> u16 {
    crate::tui::views::help_rows(s)
}

fn messages_rows(s: &State) -> u16 {
    crate::tui::views::messages_rows(s)
}

/// Keys of the `:` line: typing, Tab completes the command, Up/Down walk the history.
fn command_line_key(
    s: &mut State,
    mut text: String,
    mut recall: Option<usize>,
    action: Option<Action>,
    typed: Option<char>,
    out: &mut Vec<Command>,
) {
    let n = s.input.commands.len();
    match (action, typed) {
        (Some(Action::Submit), _) => {
            let line = text.trim().to_string();
            if !line.is_empty() && s.input.commands.last() != Some(&line) {
                s.input.commands.push(line);
            }
            return command_line(s, &text, out);
        }
        (Some(Action::Back), _) => return,
        // Backspace on an empty line closes it, as in a shell's prompt.
        (Some(Action::DeleteChar), _) if text.pop().is_none() => return,
        (Some(Action::Complete), _) => text = complete(&text),
        (Some(Action::HistoryPrev), _) if n > 0 => {
            let i = recall.map_or(n - 1, |i| i.saturating_sub(1));
            recall = Some(i);
            text = s.input.commands[i].clone();
        }
        (Some(Action::HistoryNext), _) => match recall {
            Some(i) if i + 1 < n => {
                recall = Some(i + 1);
                text = s.input.commands[i + 1].clone();
            }
            Some(_) => {
                recall = None;
                text.clear();
            }
            None => {}
        },
        (None, Some(c)) => text.push(c),
        _ => {}
    }
    s.overlay = Some(Overlay::CommandLine { text, recall });
}

/// Snoozes the current conversation until the time typed (`s`, `:snooze`), read in the
/// team's zone; a time not understood or past keeps the prompt open, saying why.
fn snooze(s: &mut State, text: String, out: &mut Vec<Command>) {
    let (when, reason) = super::desk::until_and_reason(&text);
    match tanto_core::later::parse_later(when, s.now, s.zone()) {
        Ok(until) => act(
            s,
            claims::Action::Snooze {
                until,
                reason: reason.to_string(),
            },
            out,
        ),
        Err(e) => {
            s.status.error = Some(e.text_in(tanto_core::wording::lang()));
            s.overlay = Some(Overlay::SnoozeUntil { text });
        }
    }
}

/// The `:` line's verbs, for Tab.
pub const COMMANDS: &[&str] = &[
    "assign ",
    "claim",
    "done",
    "help",
    "messages",
    "note ",
    "quit",
    "release",
    "reopen",
    "save ",
    "snooze ",
    "tag ",
    "take-over",
    "untag ",
    "wait ",
    "wake",
];

/// `text` with its verb completed: the one command it starts, else the longest prefix
/// the candidates share.
fn complete(text: &str) -> String {
    if text.contains(' ') {
        return text.to_string();
    }
    let hits: Vec<&str> = COMMANDS
        .iter()
        .copied()
        .filter(|c| c.starts_with(text))
        .collect();
    let Some(first) = hits.first() else {
        return text.to_string();
    };
    let mut common = first.to_string();
    for h in &hits[1..] {
        while !h.starts_with(common.as_str()) {
            common.pop();
        }
    }
    if common.len() > text.len() {
        common
    } else {
        text.to_string()
    }
}

pub(super) fn send_note(s: &mut State, id: String, text: String, out: &mut Vec<Command>) {
    if text.trim().is_empty() {
        s.status.info = Some(tr("tui.note.empty").into());
        return;
    }
    s.status.busy += 1;
    s.status.info = Some(format!("{}: {}", short(&id), tr("tui.note.adding")));
    out.push(Command::Note { id, text });
}

/// The `:` command line: the CLI's verbs on the current conversation.
pub(super) fn command_line(s: &mut State, text: &str, out: &mut Vec<Command>) {
    let text = text.trim();
    let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
    let rest = rest.trim();
    let action = match verb {
        "" => return,
        "q" | "quit" => return ask_quit(s, None, out),
        "help" => {
            s.overlay = Some(Overlay::Help { scroll: 0 });
            return;
        }
        "messages" | "mess" => {
            s.overlay = Some(Overlay::Messages { scroll: u16::MAX });
            return;
        }
        "claim" => claims::Action::Claim,
        "take-over" | "takeover" => claims::Action::TakeOver,
        "release" => claims::Action::Release,
        "done" => claims::Action::Done,
        "reopen" => claims::Action::Reopen,
        "wake" => claims::Action::Wake,
        "wait" if !rest.is_empty() => claims::Action::Wait {
            reason: rest.to_string(),
        },
        "snooze" if !rest.is_empty() => return snooze(s, rest.to_string(), out),
        "tag" | "untag" if !rest.is_empty() => {
            if let Some((_, id)) = s.target() {
                super::desk::tag(s, &id, rest, verb == "tag", out);
            }
            return;
        }
        "assign" if !rest.is_empty() => claims::Action::Assign(rest.to_string()),
        "note" if !rest.is_empty() => {
            if let Some((_, id)) = s.target() {
                send_note(s, id, rest.to_string(), out);
            }
            return;
        }
        "save" if !rest.is_empty() => {
            if let Some((_, id)) = s.target() {
                s.status.busy += 1;
                out.push(Command::Save {
                    id,
                    dir: rest.to_string(),
                });
            }
            return;
        }
        _ => {
            s.status.error = Some(tf(
                "tui.command.unknown",
                &[(
                    "text",
                    &format!("{:?}", tanto_mail::sanitize::single_line(text)),
                )],
            ));
            return;
        }
    };
    act(s, action, out);
}
