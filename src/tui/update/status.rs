//! The status bar's lines: which stay, which go, and the history of them (`:messages`).

use super::*;
use crate::tui::state::{ReplyNotice, HISTORY};

/// Keeps each line the status bar comes to show, in full, for `:messages`.
pub(super) fn remember(s: &mut State) {
    let now = (s.status.error.clone(), s.status.info.clone());
    if now == s.status.seen {
        return;
    }
    let (old_error, old_info) = std::mem::replace(&mut s.status.seen, now.clone());
    for (line, old) in [(now.0, old_error), (now.1, old_info)] {
        if let Some(line) = line.filter(|l| Some(l) != old.as_ref()) {
            record(s, line);
        }
    }
}

/// Adds a line to the history (the oldest goes past `HISTORY`).
pub(super) fn record(s: &mut State, line: String) {
    if s.status.history.len() >= HISTORY {
        s.status.history.pop_front();
    }
    s.status.history.push_back(line);
}

fn conversation_of(sent: &Sent) -> &str {
    match sent {
        Sent::Delivered { conversation }
        | Sent::Completed { conversation }
        | Sent::Queued { conversation, .. }
        | Sent::Uncertain { conversation, .. }
        | Sent::Taken { conversation, .. }
        | Sent::Held { conversation, .. }
        | Sent::Waiting { conversation, .. } => conversation,
    }
}

/// Takes `text` off the bar if it is still there.
fn clear_line(s: &mut State, text: &str) {
    if s.status.error.as_deref() == Some(text) {
        s.status.error = None;
    }
    if s.status.info.as_deref() == Some(text) {
        s.status.info = None;
    }
}

/// What an outbox pass (or this agent's own send) says of one reply.
pub(super) fn outbox_notice(s: &mut State, sent: &Sent) {
    let conversation = conversation_of(sent).to_string();
    if let Sent::Delivered { .. } | Sent::Completed { .. } = sent {
        // An outbox pass sent the reply whose countdown runs here: nothing is left to take
        // back or to send.
        if s.undo.as_ref().is_some_and(|u| u.id == conversation) {
            s.undo = None;
            if s.compose.as_ref().is_some_and(|c| c.id == conversation) {
                s.compose = None;
            }
        }
    }
    let tracked = s
        .status
        .reply
        .as_mut()
        .filter(|r| r.conversation == conversation);
    if let Sent::Taken { .. } = sent {
        // A pass finding a teammate's tanto still at it: shown only when this agent's
        // own send said so (the reply is theirs), kept while it stands.
        if let Some(r) = tracked {
            r.seen = true;
        }
        return;
    }
    let (text, error) = reply_flow::sent_text(sent);
    if let Some(r) = tracked {
        r.seen = true;
        // The reply went out, or stands otherwise now: its old line goes.
        if r.text != text {
            let old = std::mem::replace(&mut r.text, text.clone());
            clear_line(s, &old);
            s.told.remove(&old);
        }
        if matches!(sent, Sent::Delivered { .. } | Sent::Completed { .. }) {
            s.status.reply = None;
        }
    }
    // Every outbox pass finds a held reply again: it is told once.
    let standing = matches!(
        sent,
        Sent::Waiting { .. } | Sent::Held { .. } | Sent::Uncertain { .. }
    );
    if standing && !s.told.insert(text.clone()) {
        return;
    }
    if standing {
        track(s, conversation, &text, None);
    }
    if error {
        s.status.error = Some(text);
    } else {
        s.status.info = Some(text);
    }
}

/// A pass that failed says nothing of the replies: nothing is concluded from its silence.
pub(super) fn pass_failed(s: &mut State) {
    if let Some(r) = s.status.reply.as_mut() {
        r.seen = true;
    }
}

/// Remembers that the line on show belongs to one reply.
pub(super) fn track(s: &mut State, conversation: String, text: &str, by: Option<String>) {
    s.status.reply = Some(ReplyNotice {
        conversation,
        text: text.to_string(),
        by,
        seen: true,
    });
}

/// A sync (with its outbox pass) ended: the link's trouble line goes, and so does a
/// reply's line when the pass no longer found that reply standing.
pub(super) fn synced(s: &mut State) {
    if let Some(line) = s.status.link.take() {
        clear_line(s, &line);
    }
    let Some(r) = s.status.reply.as_mut() else {
        return;
    };
    if std::mem::take(&mut r.seen) {
        return;
    }
    let Some(r) = s.status.reply.take() else {
        return;
    };
    s.told.remove(&r.text);
    let was_on_show =
        s.status.error.as_deref() == Some(&r.text) || s.status.info.as_deref() == Some(&r.text);
    clear_line(s, &r.text);
    if let (Some(by), true) = (r.by, was_on_show) {
        s.status.info = Some(format!(
            "{}: {}",
            short(&r.conversation),
            tf("tui.reply.sent_by", &[("agent", &by)])
        ));
    }
}

/// A search that finds nothing in this tab says where it finds something (each tab stays a
/// key away); the line goes once the tab shows matches or the search ends. `matches` are
/// the per-tab matches when the counts are those of a search.
pub(super) fn matches_elsewhere(s: &mut State, matches: Option<&StatusCounts>, here: usize) {
    let line = matches.filter(|_| here == 0).and_then(|c| {
        let elsewhere: Vec<String> = Tab::ALL
            .iter()
            .filter(|t| **t != s.list.tab && t.count(c) > 0)
            .map(|t| format!("{} {}", t.title(), t.count(c)))
            .collect();
        (!elsewhere.is_empty()).then(|| {
            tf(
                "tui.search.elsewhere",
                &[
                    ("tab", &s.list.tab.title()),
                    ("tabs", &elsewhere.join(", ")),
                ],
            )
        })
    });
    if line == s.status.elsewhere {
        return;
    }
    if let Some(old) = std::mem::replace(&mut s.status.elsewhere, line.clone()) {
        clear_line(s, &old);
    }
    if let Some(line) = line {
        s.dirty = true;
        s.status.info = Some(line);
    }
}
