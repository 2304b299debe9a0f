//! `tanto show ID`: every message of a conversation, decoded, in time order.

use anyhow::anyhow;
use serde::Serialize;

use super::list::ConversationJson;
use super::output::rfc3339;
use super::Ctx;
use crate::cache::{Cache, ConversationRow, MessageRow};
use crate::core::model::{Address, Attachment};
use crate::sanitize::single_line;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Entry {
    kind: &'static str,
    at: String,
    #[serde(skip)]
    ts: i64,
    /// For events: claim, release, assign, takeover, done, reopen.
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<String>,
    /// The sender's address (messages); null for notes and events, which have `agent`.
    from: Option<String>,
    from_name: Option<String>,
    agent: Option<String>,
    to: Vec<String>,
    cc: Vec<String>,
    subject: String,
    message_id: Option<String>,
    text: String,
    attachments: Vec<Attachment>,
    noise: Option<String>,
}

#[derive(Debug, Serialize)]
struct Presence {
    agent: String,
    kind: String,
}

#[derive(Debug, Serialize)]
struct ShowJson {
    #[serde(flatten)]
    conversation: ConversationJson,
    presence: Vec<Presence>,
    timeline: Vec<Entry>,
}

fn addr(a: &Address) -> String {
    single_line(&a.email)
}

/// Fetches the bodies missing from the cache; returns why it could not, if it could not.
fn fetch_missing(
    ctx: &Ctx,
    cache: &mut Cache,
    conv: &ConversationRow,
    msgs: &[MessageRow],
) -> Option<String> {
    let mut missing: Vec<&MessageRow> = Vec::new();
    for m in msgs {
        match cache.body(m.folder_id, m.uid) {
            Ok(Some(_)) => {}
            _ => missing.push(m),
        }
    }
    if missing.is_empty() {
        return None;
    }
    let (index, mailbox) = ctx.mailboxes().find(|(_, m)| m.name == conv.mailbox)?;
    let result = (|| -> anyhow::Result<()> {
        let mut conn = ctx.connect(index, mailbox)?;
        let mut folders: Vec<&str> = missing.iter().map(|m| m.folder.as_str()).collect();
        folders.sort_unstable();
        folders.dedup();
        for folder in folders {
            let info = conn.select(folder, None)?;
            let folder_id_for_check = missing
                .iter()
                .find(|m| m.folder == folder)
                .map(|m| m.folder_id)
                .unwrap_or_default();
            // Cached UIDs mean nothing once UIDVALIDITY changed: never show another message.
            if cache.folder_uidvalidity(folder_id_for_check)? != Some(info.uidvalidity) {
                anyhow::bail!(
                    "{folder} changed on the server since the last sync; run `tanto sync --once`"
                );
            }
            let uids: Vec<u32> = missing
                .iter()
                .filter(|m| m.folder == folder)
                .map(|m| m.uid)
                .collect();
            let folder_id = missing
                .iter()
                .find(|m| m.folder == folder)
                .map(|m| m.folder_id)
                .ok_or_else(|| anyhow!("no folder"))?;
            for (uid, raw) in conn.fetch_bodies(&uids)? {
                cache.store_body(folder_id, uid, &raw)?;
            }
        }
        conn.logout();
        Ok(())
    })();
    result.err().map(|e| format!("{e:#}"))
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<u8> {
    let mut cache = ctx.cache()?;
    let conv = cache.find_conversation(&args.id)??;
    let msgs = cache.messages(&conv.mailbox, &conv.id)?;
    let fetch_error = fetch_missing(ctx, &mut cache, &conv, &msgs);
    let mut timeline = Vec::new();
    for m in &msgs {
        let rendered = cache
            .body(m.folder_id, m.uid)?
            .map(|raw| crate::mime::render(&raw));
        let (text, attachments) = match rendered {
            Some(r) => (r.text, r.attachments),
            None => (
                "[the text of this message is not cached and the server could not be reached]"
                    .to_string(),
                Vec::new(),
            ),
        };
        timeline.push(Entry {
            kind: if m.inbound { "inbound" } else { "reply" },
            at: rfc3339(m.date.unwrap_or(m.internal_date)),
            ts: m.date.unwrap_or(m.internal_date),
            event: None,
            from: Some(addr(&m.from)),
            from_name: m.from.name.as_deref().map(single_line),
            agent: None,
            to: m.to.iter().map(addr).collect(),
            cc: m.cc.iter().map(addr).collect(),
            subject: single_line(&m.subject),
            message_id: m.message_id.as_deref().map(single_line),
            text,
            attachments,
            noise: m.noise.clone(),
        });
    }
    for e in cache.events(&conv.mailbox, &conv.id)? {
        let note = e.kind == "note";
        timeline.push(Entry {
            kind: if note { "note" } else { "event" },
            at: rfc3339(e.at),
            ts: e.at,
            event: (!note).then(|| single_line(&e.kind)),
            from: None,
            from_name: None,
            agent: Some(single_line(&e.agent)),
            to: Vec::new(),
            cc: Vec::new(),
            subject: if note {
                format!("note from {}", single_line(&e.agent))
            } else {
                single_line(e.text.lines().next().unwrap_or(""))
            },
            message_id: None,
            text: crate::sanitize::for_display(&e.text),
            attachments: Vec::new(),
            noise: None,
        });
    }
    // Stable: messages keep their order among themselves, events fall in by time.
    timeline.sort_by_key(|e| e.ts);
    let me = &ctx.config.agent.id;
    let presence: Vec<Presence> = cache
        .presence(&conv.mailbox, &conv.id)?
        .into_iter()
        .filter(|(agent, _)| agent != me)
        .map(|(agent, kind)| Presence { agent, kind })
        .collect();
    // Others see that this agent looked at it (a TUI keeps this fresh with heartbeats).
    let _ = cache.set_presence(&conv.mailbox, &conv.id, me, "viewing");
    if args.json {
        let out = ShowJson {
            conversation: ConversationJson::from(&conv),
            presence,
            timeline,
        };
        outln!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        for p in &presence {
            outln!("{} is {}", single_line(&p.agent), single_line(&p.kind));
        }
        print_human(&conv, &timeline);
    }
    match fetch_error {
        Some(e) => Err(anyhow!("some message texts could not be fetched: {e}")),
        None => Ok(0),
    }
}

fn print_human(conv: &ConversationRow, timeline: &[Entry]) {
    let who = conv
        .assignee
        .clone()
        .map(|a| format!("assignee: {a}"))
        .or_else(|| {
            conv.previous_assignee
                .as_ref()
                .map(|p| format!("previous assignee: {p}"))
        })
        .unwrap_or_else(|| "unassigned".into());
    outln!("{}  [{}]  {who}", conv.id, conv.status.as_str());
    outln!("Subject:  {}", single_line(&conv.subject));
    outln!("Customer: {}", single_line(&conv.customer));
    outln!("Messages: {}", conv.messages);
    for e in timeline {
        outln!();
        match e.kind {
            "event" => {
                outln!("···· {} · {} ····", e.at, e.subject);
                continue;
            }
            "note" => {
                outln!(
                    "──── note · {} · {} ────",
                    e.at,
                    e.agent.as_deref().unwrap_or("")
                );
                outln!("{}", e.text.trim_end());
                continue;
            }
            _ => {}
        }
        outln!("──── {} · {} ────", e.kind, e.at);
        match &e.from_name {
            Some(n) if !n.is_empty() => {
                outln!("From:    {n} <{}>", e.from.as_deref().unwrap_or(""))
            }
            _ => outln!("From:    {}", e.from.as_deref().unwrap_or("")),
        }
        if !e.to.is_empty() {
            outln!("To:      {}", e.to.join(", "));
        }
        if !e.cc.is_empty() {
            outln!("Cc:      {}", e.cc.join(", "));
        }
        outln!("Subject: {}", e.subject);
        if let Some(n) = &e.noise {
            outln!("Noise:   {n}");
        }
        for a in &e.attachments {
            outln!(
                "Attach:  {} ({}, {} bytes)",
                a.name,
                single_line(&a.mime_type),
                a.size
            );
        }
        outln!();
        outln!("{}", e.text.trim_end());
    }
}
