//! Running the desk from the keyboard: tags (`t`/`T` and the tag prompt), merging (`&`,
//! mark then merge) and splitting (`#` in the reader), each confirmed before customer mail
//! is regrouped, and the workers' answers to them.

use super::overlay::edit_line;
use super::*;
use crate::tui::state::{Marked, Question};
use tanto_app::regroup::Regrouped;
use tanto_app::tags::Tagged;

/// `t` / `T`: asks the name of the tag to put on (`on`) or take off the conversation.
pub(super) fn ask_tag(s: &mut State, on: bool) {
    if let Some((_, id)) = s.target() {
        s.overlay = Some(Overlay::TagName {
            id,
            text: String::new(),
            on,
        });
    }
}

/// A key in the tag prompt: Enter sends a valid name; an invalid one stays in the prompt
/// with the catalogue's reason in the status bar, and nothing is sent.
pub(super) fn tag_key(
    s: &mut State,
    (id, mut text, on): (String, String, bool),
    action: Option<Action>,
    typed: Option<char>,
    out: &mut Vec<Command>,
) {
    match action {
        Some(Action::Submit) => {
            let name = text.trim().to_string();
            if tag(s, &id, &name, on, out) {
                return;
            }
        }
        Some(Action::Back) => return,
        _ => {
            edit_line(&mut text, action, typed);
        }
    }
    s.overlay = Some(Overlay::TagName { id, text, on });
}

/// Sends the tag change when `name` is a tag name (true); else says why (false).
pub(super) fn tag(s: &mut State, id: &str, name: &str, on: bool, out: &mut Vec<Command>) -> bool {
    if !tanto_core::rules::valid_tag(name) {
        s.status.error = Some(tf(
            "error.tag.invalid",
            &[(
                "tag",
                &format!("{:?}", tanto_mail::sanitize::single_line(name)),
            )],
        ));
        return false;
    }
    s.status.error = None;
    s.status.busy += 1;
    let busy = if on { "tui.tag.busy" } else { "tui.untag.busy" };
    s.status.info = Some(format!("{}: {}", short(id), tf(busy, &[("tag", &name)])));
    out.push(Command::Tag {
        id: id.to_string(),
        name: name.to_string(),
        on,
    });
    true
}

/// `&` in the list: marks the selected conversation; on another one, asks whether to merge
/// the marked one into it; on the marked one again, forgets the mark.
pub(super) fn merge_key(s: &mut State) {
    let Some(row) = s.selected_row() else {
        return;
    };
    let here = Marked {
        mailbox: row.conversation.mailbox.clone(),
        id: row.conversation.id.clone(),
        subject: tanto_mail::sanitize::single_line(&row.conversation.subject),
    };
    match s.list.mark.take() {
        Some(m) if m.mailbox == here.mailbox && m.id == here.id => {
            s.status.info = Some(tr("tui.merge.unmarked").into());
        }
        Some(from) => {
            s.list.mark = Some(from.clone());
            s.overlay = Some(Overlay::Confirm {
                question: Question::Merge { from, into: here },
                back: None,
            });
        }
        None => {
            s.status.info = Some(tf(
                "tui.merge.marked",
                &[
                    ("id", &short(&here.id)),
                    ("key", &s.keymap.key_for(Action::Merge)),
                ],
            ));
            s.list.mark = Some(here);
        }
    }
}

/// `#` in the reader: asks whether to split off the mail at the top of the screen (the one
/// J and K move to), naming it by number, sender and subject.
pub(super) fn split_key(s: &mut State) {
    let Some(r) = s.reader.as_ref() else {
        return;
    };
    let Some(view) = r.view.as_ref() else {
        return;
    };
    let Some((number, entry)) = super::reader::mail_at_top(s) else {
        s.status.info = Some(tr("tui.split.no_mail").into());
        return;
    };
    let message = entry
        .message_id
        .clone()
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| number.to_string());
    let question = Question::Split {
        id: view.conversation.id.clone(),
        message,
        number,
        from: entry
            .from
            .as_ref()
            .map(|a| tanto_mail::sanitize::single_line(&a.email))
            .unwrap_or_default(),
        subject: tanto_mail::sanitize::single_line(&entry.subject),
    };
    s.overlay = Some(Overlay::Confirm {
        question,
        back: None,
    });
}

/// "Yes" to a regrouping question: the merge or split goes to a worker.
pub(super) fn regroup(s: &mut State, question: Question, out: &mut Vec<Command>) {
    match question {
        Question::Merge { from, into } => {
            s.list.mark = None;
            s.status.busy += 1;
            s.status.info = Some(format!(
                "{}: {}",
                short(&from.id),
                tf("tui.merge.busy", &[("into", &short(&into.id))])
            ));
            out.push(Command::Merge {
                id: from.id,
                into: into.id,
            });
        }
        Question::Split {
            id,
            message,
            number,
            ..
        } => {
            s.status.busy += 1;
            s.status.info = Some(format!(
                "{}: {}",
                short(&id),
                tf("tui.split.busy", &[("n", &number)])
            ));
            out.push(Command::Split { id, message });
        }
        Question::QuitLosingNote | Question::QuitWithReply | Question::QuitInUndo => {}
    }
}

/// The worker's answer to a tag change.
pub(super) fn tagged(
    s: &mut State,
    id: String,
    result: Result<Tagged, String>,
    out: &mut Vec<Command>,
) {
    let done = result.map(|t| (crate::i18n::tagged_text(&t), id.clone()));
    changed(s, &id, done, out)
}

/// The worker's answer to a merge or split: the list (and the reader, on the conversation
/// split from) shown again.
pub(super) fn regrouped(
    s: &mut State,
    id: String,
    split: bool,
    result: Result<Regrouped, String>,
    out: &mut Vec<Command>,
) {
    let done = result.map(|r| {
        let key = if split { "cli.split" } else { "cli.merged" };
        let line = tf(key, &[("id", &r.conversation), ("other", &r.other)]);
        (line, r.conversation)
    });
    changed(s, &id, done, out)
}

/// A change answered: its line (and the conversation to show again), or why it failed.
fn changed(
    s: &mut State,
    id: &str,
    done: Result<(String, String), String>,
    out: &mut Vec<Command>,
) {
    s.dirty = true;
    s.status.busy = s.status.busy.saturating_sub(1);
    match done {
        Ok((line, conversation)) => {
            s.status.error = None;
            s.status.info = Some(line);
            refresh_after_change(s, &conversation, out);
        }
        Err(e) => failed(s, id, e),
    }
}

/// A change the server refused or that failed: the status bar says so, for the conversation.
fn failed(s: &mut State, id: &str, e: String) {
    s.status.info = None;
    s.status.error = Some(format!("{}: {e}", short(id)));
}

/// The snooze prompt's text cut into the time and the reason after `-m` ("3d -m call
/// back" → "3d", "call back"), as `tanto snooze ID UNTIL -m REASON` takes them.
pub fn until_and_reason(text: &str) -> (&str, &str) {
    let t = text.trim();
    if let Some(reason) = t.strip_prefix("-m ") {
        return ("", reason.trim());
    }
    if let Some(until) = t.strip_suffix(" -m") {
        return (until.trim(), "");
    }
    match t.find(" -m ") {
        Some(i) => (t[..i].trim(), t[i + 4..].trim()),
        None => (t, ""),
    }
}

#[cfg(test)]
#[path = "desk_tests.rs"]
mod tests;
