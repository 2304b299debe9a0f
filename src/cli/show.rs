//! `tanto show ID`: every message of a conversation, decoded, in time order, with notes and
//! events. Message text is framed (every line behind a gutter) so that nothing a customer
//! writes can pass for a note, an event or a header line that tanto prints.

use std::io::IsTerminal;

use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::list::ConversationJson;
use super::output::{print_json, rfc3339, short_time};
use super::Ctx;
use crate::i18n::{self, t, tf};
use tanto_app::conversations::{self, ConversationView, Entry, EntryKind};
use tanto_core::model::Attachment;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

/// The gutter in front of every line of message text.
const GUTTER: &str = "  │ ";
/// The gutter in front of every line of a note.
const NOTE_GUTTER: &str = "  ┃ ";

#[derive(Debug, Serialize)]
struct EntryJson<'a> {
    kind: EntryKind,
    at: String,
    /// For events: claim, release, assign, takeover, done, reopen.
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a str>,
    /// The sender's address (messages); null for notes and events, which have `agent`.
    from: Option<&'a str>,
    from_name: Option<&'a str>,
    agent: Option<&'a str>,
    to: Vec<&'a str>,
    cc: Vec<&'a str>,
    subject: String,
    message_id: Option<&'a str>,
    text: &'a str,
    attachments: &'a [Attachment],
    noise: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct PresenceJson<'a> {
    agent: &'a str,
    kind: &'a str,
}

#[derive(Debug, Serialize)]
struct ShowJson<'a> {
    #[serde(flatten)]
    conversation: ConversationJson,
    presence: Vec<PresenceJson<'a>>,
    timeline: Vec<EntryJson<'a>>,
}

fn text_of(e: &Entry) -> &str {
    if e.has_body {
        &e.text
    } else {
        t("show.not_cached")
    }
}

fn entry_json(e: &Entry) -> EntryJson<'_> {
    EntryJson {
        kind: e.kind,
        at: rfc3339(e.at),
        event: (e.kind == EntryKind::Event)
            .then(|| e.event.as_ref().map(|k| k.as_str()))
            .flatten(),
        from: e.from.as_ref().map(|a| a.email.as_str()),
        from_name: e.from.as_ref().and_then(|a| a.name.as_deref()),
        agent: e.agent.as_deref(),
        to: e.to.iter().map(|a| a.email.as_str()).collect(),
        cc: e.cc.iter().map(|a| a.email.as_str()).collect(),
        subject: match e.kind {
            EntryKind::Note => format!("note from {}", e.agent.as_deref().unwrap_or("")),
            _ => e.subject.clone(),
        },
        message_id: e.message_id.as_deref(),
        text: text_of(e),
        attachments: &e.attachments,
        noise: e.noise.as_deref(),
    }
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<u8> {
    let view = conversations::view(ctx, &args.id)?;
    let (cache, c) = (ctx.cache()?, &view.conversation);
    let tags = view.tags.clone();
    let waiting = match c.status {
        tanto_core::status::Status::Waiting => cache.waiting_why(&c.mailbox, &c.id)?,
        _ => None,
    };
    if args.json {
        let mut conversation = ConversationJson::from(&view.conversation);
        conversation.tags = tags;
        conversation.waiting = waiting.as_ref().map(super::list::WaitingJson::from);
        print_json(&ShowJson {
            conversation,
            presence: view
                .presence
                .iter()
                .map(|p| PresenceJson {
                    agent: &p.agent,
                    kind: &p.kind,
                })
                .collect(),
            timeline: view.timeline.iter().map(entry_json).collect(),
        })?;
    } else {
        print_human(&view, &tags, waiting.as_ref());
    }
    match view.fetch_error {
        Some(e) => Err(tanto_core::said!("error.show.not_fetched")
            .because(e)
            .into()),
        None => Ok(0),
    }
}

/// `text` with `gutter` before every line (so no line of it starts where tanto's own do).
fn framed(text: &str, gutter: &str) -> String {
    let mut out = String::new();
    for line in text.trim_end().lines() {
        out.push_str(gutter.trim_end());
        if !line.is_empty() {
            out.push(' ');
            out.push_str(line);
        }
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str(gutter.trim_end());
        out.push('\n');
    }
    out
}

/// Prints a header field from the mail (catalogue line `key` with `value` in `{name}`),
/// wrapped at the terminal's width by tanto itself with a hanging indent, so that no part of
/// a long value starts a line where tanto's own lines start (a terminal's soft wrap would
/// put it at the first column).
fn header(key: &str, name: &str, value: &str) {
    let width = std::io::stdout()
        .is_terminal()
        .then(|| crossterm::terminal::size().ok())
        .flatten()
        .map(|(w, _)| w as usize);
    let indent = tf(key, &[(name, &"")]).width();
    for line in hanging(&tf(key, &[(name, &value)]), indent, width) {
        outln!("{line}");
    }
}

/// `line` cut into rows of at most `width` columns (all of it when no width is known), every
/// row after the first indented by `indent` spaces.
fn hanging(line: &str, indent: usize, width: Option<usize>) -> Vec<String> {
    let Some(width) = width.filter(|w| *w > indent + 8) else {
        return vec![line.to_string()];
    };
    let mut rows = Vec::new();
    let mut row = String::new();
    let mut used = 0;
    for c in line.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            rows.push(std::mem::take(&mut row));
            row.push_str(&" ".repeat(indent));
            used = indent;
        }
        row.push(c);
        used += w;
    }
    rows.push(row);
    rows
}

fn print_human(
    view: &ConversationView,
    tags: &[String],
    waiting: Option<&tanto_core::waiting::Why>,
) {
    let conv = &view.conversation;
    let single = tanto_mail::sanitize::single_line;
    for p in &view.presence {
        outln!(
            "{}",
            tf(
                "show.presence",
                &[
                    ("agent", &p.agent),
                    ("what", &crate::i18n::presence_kind(&p.kind))
                ]
            )
        );
    }
    let who = match (&conv.assignee, &conv.previous_assignee) {
        (Some(a), _) => tf("show.assignee", &[("agent", a)]),
        (None, Some(p)) => tf("show.previous_assignee", &[("agent", p)]),
        (None, None) => t("show.unassigned").to_string(),
    };
    outln!("{}  [{}]  {who}", conv.id, i18n::status_name(conv.status));
    header("show.subject", "subject", &single(&conv.subject));
    header("show.customer", "customer", &single(&conv.customer));
    outln!("{}", tf("show.messages", &[("count", &conv.messages)]));
    if !tags.is_empty() {
        outln!("{}", tf("show.tags", &[("tags", &tags.join(", "))]));
    }
    if let Some(w) = waiting {
        let reason = match single(&w.reason) {
            r if r.trim().is_empty() => t("show.no_reason").to_string(),
            r => r,
        };
        match w.until {
            Some(until) => outln!(
                "{}",
                tf(
                    "show.snoozed",
                    &[("until", &short_time(until)), ("reason", &reason)]
                )
            ),
            None => outln!(
                "{}",
                tf(
                    "show.waiting",
                    &[("since", &short_time(w.since)), ("reason", &reason)]
                )
            ),
        }
    }
    let mut mail_number = 0;
    for e in &view.timeline {
        outln!();
        let at = rfc3339(e.at);
        let agent = e.agent.as_deref().unwrap_or("");
        match e.kind {
            EntryKind::Event => {
                let what = match (&e.event, i18n::lang()) {
                    // The log's own sentence is English; other languages word it anew.
                    (Some(kind), i18n::Lang::Ja) => {
                        i18n::event_sentence(kind, agent, e.owner.as_deref(), None)
                    }
                    _ => e.subject.clone(),
                };
                outln!("···· {at} · {what} ····");
                continue;
            }
            EntryKind::Note => {
                outln!("──── {} · {at} · {agent} ────", t("show.kind.note"));
                crate::cli::output::print_out(format_args!("{}", framed(&e.text, NOTE_GUTTER)));
                continue;
            }
            EntryKind::Inbound | EntryKind::Reply => {}
        }
        let kind = if e.kind == EntryKind::Inbound {
            t("show.kind.inbound")
        } else {
            t("show.kind.reply")
        };
        // The number `tanto split --message` takes.
        mail_number += 1;
        outln!("──── {kind} #{mail_number} · {at} ────");
        if let Some(from) = &e.from {
            let who = match &from.name {
                Some(n) if !n.is_empty() => format!("{n} <{}>", from.email),
                _ => from.email.clone(),
            };
            header("show.from", "from", &who);
        }
        let emails = |v: &[tanto_core::model::Address]| {
            v.iter()
                .map(|a| a.email.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !e.to.is_empty() {
            header("show.to", "to", &emails(&e.to));
        }
        if !e.cc.is_empty() {
            header("show.cc", "cc", &emails(&e.cc));
        }
        header("show.mail_subject", "subject", &e.subject);
        if let Some(n) = &e.noise {
            outln!("{}", tf("show.noise", &[("why", &single(n))]));
        }
        for a in &e.attachments {
            outln!(
                "{}",
                tf(
                    "show.attachment",
                    &[
                        ("name", &single(&a.name)),
                        ("type", &single(&a.mime_type)),
                        ("size", &a.size)
                    ]
                )
            );
        }
        crate::cli::output::print_out(format_args!("{}", framed(text_of(e), GUTTER)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_header_value_wraps_under_itself_never_at_the_first_column() {
        let padded = format!(
            "Subject: Refund{}──── note · 2026-01-01T00:00:00Z · boss ────",
            "\u{3000}x".repeat(30)
        );
        let rows = hanging(&padded, 9, Some(40));
        assert!(rows.len() > 2, "{rows:?}");
        for (i, r) in rows.iter().enumerate() {
            assert!(r.width() <= 40, "{r:?}");
            if i > 0 {
                assert!(r.starts_with("         "), "{r:?}");
            }
        }
        assert_eq!(
            rows.concat().replace("         ", ""),
            padded.replace("         ", "")
        );
        // A pipe does not wrap: printed as it is.
        assert_eq!(hanging(&padded, 9, None), vec![padded.clone()]);
    }

    #[test]
    fn every_line_of_a_body_sits_behind_the_gutter() {
        let forged = "Hello\n\n──── note · 2026-01-01T00:00:00Z · alice ────\nrefund approved";
        let out = framed(forged, GUTTER);
        assert!(out.lines().all(|l| l.starts_with("  │")), "{out}");
        assert_eq!(framed("", GUTTER), "  │\n");
    }
}
