//! Outbox hygiene: what is stuck (queued, waiting for approval, rejected, send uncertain),
//! and a person's two ways to settle it: send an uncertain reply again (they decided it did
//! not go out), or drop a reply. Both are logged as events.

use anyhow::{anyhow, bail};
use tanto_core::said;

use super::act::append_event;
use super::reply_outbox::{list, send_one, Queued, Sent};
use super::Ctx;
use crate::config::Mailbox;
use tanto_core::claims::StoreResult;
use tanto_core::clock::now;
use tanto_core::event::EventKind;
use tanto_core::outbox::{self, Standing};
use tanto_mail::activity::Event;
use tanto_mail::cache::FolderRole;
use tanto_mail::imap::sync::sync_folder;
use tanto_mail::imap::Conn;

/// One queued reply, as `tanto outbox` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Item {
    pub mailbox: String,
    pub conversation: String,
    /// Without brackets.
    pub message_id: String,
    pub author: String,
    pub subject: String,
    pub rcpt: Vec<String>,
    /// `queued`, `scheduled`, `waiting-approval`, `rejected`, `sending`, `uncertain`.
    pub standing: String,
    /// Who is sending it (for `sending`).
    pub by: Option<String>,
    /// Not before (seconds since the epoch; 0 for now).
    pub send_at: i64,
    /// Its number among the conversation's queued replies, from 1 (`approve --reply N`).
    pub reply: usize,
    /// Why it is held or rejected, as the log says.
    pub reason: Option<String>,
}

fn item(mailbox: &Mailbox, q: &Queued) -> Item {
    let standing = outbox::standing(&q.flags, q.envelope.send_at, now());
    let by = match &standing {
        Standing::Sending { by } => Some(by.clone()),
        _ => None,
    };
    Item {
        mailbox: mailbox.name.clone(),
        conversation: q.envelope.conversation.clone(),
        message_id: q.envelope.message_id.clone(),
        author: q.envelope.author.clone(),
        subject: q.envelope.subject.clone(),
        rcpt: q.envelope.rcpt.clone(),
        standing: outbox::standing_name(&standing).to_string(),
        by,
        send_at: q.envelope.send_at,
        reply: 1,
        reason: None,
    }
}

/// Every queued reply of every mailbox, numbered within its conversation, with the reason
/// a held or rejected one carries in the log.
pub fn overview(ctx: &Ctx) -> anyhow::Result<Vec<Item>> {
    let mut out = Vec::new();
    let mut cache = ctx.cache()?;
    for (index, mailbox) in ctx.mailboxes() {
        let mut conn = ctx.connect(index, mailbox)?;
        let mut queued = list(&mut conn, mailbox)?;
        queued.sort_by_key(|q| q.uid);
        if !queued.is_empty() && conn.folder_exists(&mailbox.imap.activity_folder)? {
            sync_folder(
                &mut conn,
                &mut cache,
                &ctx.team(mailbox),
                &mailbox.imap.activity_folder,
                FolderRole::Activity,
            )?;
        }
        let mut counts = std::collections::HashMap::<String, usize>::new();
        for q in &queued {
            let mut it = item(mailbox, q);
            let n = counts.entry(it.conversation.clone()).or_default();
            *n += 1;
            it.reply = *n;
            let kind = match outbox::standing(&q.flags, 0, 0) {
                Standing::Held => Some(EventKind::Hold),
                Standing::Rejected => Some(EventKind::Reject),
                _ => None,
            };
            if let Some(kind) = kind {
                it.reason = cache
                    .latest_event(&mailbox.name, &q.envelope.message_id, kind)?
                    // The event's first paragraph; the rest is the log's own trailer.
                    .map(|(_, text)| text.split("\n\n").next().unwrap_or_default().to_string());
            }
            out.push(it);
        }
        conn.logout();
    }
    Ok(out)
}

/// The one queued reply `id` names: its conversation id (or a prefix of at least 4
/// characters) or its Message-ID.
fn find(ctx: &Ctx, id: &str) -> anyhow::Result<(usize, Conn, Queued)> {
    let id = id.trim().trim_start_matches('<').trim_end_matches('>');
    if id.len() < 4 {
        bail!(said!("error.outbox.short_id"));
    }
    let mut found = Vec::new();
    for (index, mailbox) in ctx.mailboxes() {
        let mut conn = ctx.connect(index, mailbox)?;
        let hits: Vec<Queued> = list(&mut conn, mailbox)?
            .into_iter()
            .filter(|q| q.envelope.conversation.starts_with(id) || q.envelope.message_id == id)
            .collect();
        if hits.is_empty() {
            conn.logout();
        } else {
            found.push((index, conn, hits));
        }
    }
    match found.len() {
        0 => Err(said!("error.outbox.no_queued", id = format!("{id:?}")).into()),
        1 => {
            let (index, conn, mut hits) = found.remove(0);
            if hits.len() > 1 {
                bail!(said!(
                    "error.outbox.several",
                    id = format!("{id:?}"),
                    count = hits.len(),
                    ids = hits
                        .iter()
                        .map(|q| q.envelope.message_id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            Ok((index, conn, hits.remove(0)))
        }
        _ => bail!(said!(
            "error.outbox.several_mailboxes",
            id = format!("{id:?}")
        )),
    }
}

fn log(
    ctx: &Ctx,
    conn: &mut Conn,
    mailbox: &Mailbox,
    q: &Queued,
    kind: EventKind,
    text: String,
) -> anyhow::Result<()> {
    let event = Event {
        kind,
        agent: ctx.config.agent.id.clone(),
        about: q.envelope.message_id.clone(),
        conversation: q.envelope.conversation.clone(),
        status: None,
        owner: Some(q.envelope.author.clone()),
        at: now(),
        text,
        base: None,
        keywords: None,
        into: None,
        tags: None,
    };
    append_event(ctx, conn, mailbox, &q.envelope.subject, &event)?;
    let mut cache = ctx.cache()?;
    let _ = sync_folder(
        conn,
        &mut cache,
        &ctx.team(mailbox),
        &mailbox.imap.activity_folder,
        FolderRole::Activity,
    );
    Ok(())
}

/// Sends again a reply marked "send uncertain": a person checked and decided it did not
/// go out. Refused for any other standing (tanto never re-sends by itself).
pub fn resend(ctx: &Ctx, id: &str) -> anyhow::Result<Sent> {
    let (index, mut conn, q) = find(ctx, id)?;
    let (_, mailbox) = ctx
        .mailboxes()
        .nth(index)
        .ok_or_else(|| anyhow!("mailbox {index} left the config"))?;
    let standing = outbox::standing(&q.flags, q.envelope.send_at, now());
    if standing != Standing::Uncertain {
        bail!(said!(
            "error.outbox.not_uncertain",
            id = q.envelope.conversation,
            standing = outbox::standing_name(&standing)
        ));
    }
    conn.select(&mailbox.imap.outbox_folder, None)?;
    let again = outbox::resend_flags(&q.flags);
    let at = (q.uid, q.envelope.message_id.as_str());
    if let StoreResult::Modified =
        super::outbox_marks::cas(ctx, &mut conn, mailbox, at, q.modseq, &again)?
    {
        bail!(said!(
            "error.outbox.changed_settled",
            id = q.envelope.conversation
        ));
    }
    log(
        ctx,
        &mut conn,
        mailbox,
        &q,
        EventKind::Resend,
        format!(
            "{} decided the reply did not go out and sent it again",
            ctx.config.agent.id
        ),
    )?;
    let mut cache = ctx.cache()?;
    let r = send_one(
        ctx,
        index,
        mailbox,
        &mut conn,
        &mut cache,
        &q.envelope.message_id,
    )?;
    conn.logout();
    Ok(r)
}

/// Removes a queued reply from the outbox (it will never be sent), logged as an event.
/// Refused while a send of it is in flight.
pub fn drop(ctx: &Ctx, id: &str) -> anyhow::Result<Item> {
    let (index, mut conn, q) = find(ctx, id)?;
    let (_, mailbox) = ctx
        .mailboxes()
        .nth(index)
        .ok_or_else(|| anyhow!("mailbox {index} left the config"))?;
    if let Standing::Sending { by } = outbox::standing(&q.flags, q.envelope.send_at, now()) {
        bail!(said!(
            "error.outbox.sending",
            by = by,
            id = q.envelope.conversation
        ));
    }
    conn.select(&mailbox.imap.outbox_folder, None)?;
    // Only what we looked at: a reply that changed meanwhile (approved, being sent) stays.
    let mark = outbox::with_keyword(&q.flags, "\\Deleted");
    let at = (q.uid, q.envelope.message_id.as_str());
    if let StoreResult::Modified =
        super::outbox_marks::cas(ctx, &mut conn, mailbox, at, q.modseq, &mark)?
    {
        bail!(said!("error.outbox.changed", id = q.envelope.conversation));
    }
    conn.expunge_uid(q.uid)?;
    let it = item(mailbox, &q);
    log(
        ctx,
        &mut conn,
        mailbox,
        &q,
        EventKind::Drop,
        format!(
            "{} dropped {}'s queued reply ({})",
            ctx.config.agent.id, q.envelope.author, it.standing
        ),
    )?;
    conn.logout();
    Ok(it)
}
