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
    from: String,
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
struct ShowJson {
    #[serde(flatten)]
    conversation: ConversationJson,
    timeline: Vec<Entry>,
}

fn addr(a: &Address) -> String {
    single_line(&a.email)
}

fn display_addr(a: &Address) -> String {
    match a.name.as_deref().map(single_line).filter(|n| !n.is_empty()) {
        Some(n) => format!("{n} <{}>", single_line(&a.email)),
        None => single_line(&a.email),
    }
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
            conn.select(folder, None)?;
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
            from: addr(&m.from),
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
    if args.json {
        let out = ShowJson {
            conversation: ConversationJson::from(&conv),
            timeline,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print_human(&conv, &msgs, &timeline);
    }
    match fetch_error {
        Some(e) => Err(anyhow!("some message texts could not be fetched: {e}")),
        None => Ok(0),
    }
}

fn print_human(conv: &ConversationRow, msgs: &[MessageRow], timeline: &[Entry]) {
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
    println!("{}  [{}]  {who}", conv.id, conv.status.as_str());
    println!("Subject:  {}", single_line(&conv.subject));
    println!("Customer: {}", single_line(&conv.customer));
    println!("Messages: {}", conv.messages);
    for (m, e) in msgs.iter().zip(timeline) {
        println!();
        println!("──── {} · {} ────", e.kind, e.at);
        println!("From:    {}", display_addr(&m.from));
        if !m.to.is_empty() {
            println!(
                "To:      {}",
                m.to.iter().map(display_addr).collect::<Vec<_>>().join(", ")
            );
        }
        if !m.cc.is_empty() {
            println!(
                "Cc:      {}",
                m.cc.iter().map(display_addr).collect::<Vec<_>>().join(", ")
            );
        }
        println!("Subject: {}", e.subject);
        if let Some(n) = &e.noise {
            println!("Noise:   {n}");
        }
        for a in &e.attachments {
            println!("Attach:  {} ({}, {} bytes)", a.name, a.mime_type, a.size);
        }
        println!();
        println!("{}", e.text.trim_end());
    }
}
