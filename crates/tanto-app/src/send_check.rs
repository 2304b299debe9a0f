//! The rule of the moment of sending: a queued reply goes out only if, on the server's state
//! read right before SMTP, its author (or the supervisor who approved it) still holds the
//! conversation and nothing arrived after the draft's base. Whichever process sends it
//! (the author's, a teammate's sync, a supervisor's approve) applies the same rule.

use crate::config::Mailbox;
use tanto_core::event::EventKind;
use tanto_core::outbox::{self, Envelope, Hold};
use tanto_core::status::Status;
use tanto_mail::cache::{Cache, FolderRole};
use tanto_mail::imap::sync::sync_folder;
use tanto_mail::imap::Conn;

use super::Ctx;

/// Reads the conversation of `env` fresh from the server (inbox, Sent, activity log) and
/// says why the reply may not go out, or `None` when it may.
pub(super) fn hold_reason(
    ctx: &Ctx,
    conn: &mut Conn,
    cache: &mut Cache,
    mailbox: &Mailbox,
    env: &Envelope,
) -> anyhow::Result<Option<Hold>> {
    refresh(ctx, conn, cache, mailbox)?;
    // Threads join and split: the conversation is the one the answered message is in now.
    let conv_id = cache
        .conversation_of_message(&mailbox.name, &env.about)?
        .unwrap_or_else(|| env.conversation.clone());
    let Ok(conv) = cache.find_conversation(&conv_id)? else {
        return Ok(Some(Hold::Gone));
    };
    let approver = cache
        .latest_event(&mailbox.name, &env.message_id, EventKind::Approve)?
        .map(|(agent, _)| agent);
    let holder = match conv.status {
        Status::Wip => conv.assignee.clone(),
        _ => None,
    };
    let arrived = match &env.base {
        Some(base) => arrived_since(
            cache,
            &mailbox.name,
            &conv.id,
            &env.author,
            &env.message_id,
            base,
        )?,
        None => Vec::new(),
    };
    Ok(outbox::send_verdict(
        &env.author,
        approver.as_deref(),
        holder.as_deref(),
        arrived,
    ))
}

/// The inbox (the state message's keywords), Sent (a teammate's reply) and the activity
/// log (notes, approvals), as the server has them now.
fn refresh(ctx: &Ctx, conn: &mut Conn, cache: &mut Cache, mailbox: &Mailbox) -> anyhow::Result<()> {
    let team = ctx.team(mailbox);
    sync_folder(conn, cache, &team, &mailbox.imap.folder, FolderRole::Inbox)?;
    let sent = ctx.find_sent(conn, mailbox)?.folder();
    if sent != mailbox.imap.folder && conn.folder_exists(&sent)? {
        sync_folder(conn, cache, &team, &sent, FolderRole::Sent)?;
    }
    let log = &mailbox.imap.activity_folder;
    if conn.folder_exists(log)? {
        sync_folder(conn, cache, &team, log, FolderRole::Activity)?;
    }
    Ok(())
}

/// What arrived in the conversation after `base`: messages not seen by the draft (other
/// than the reply `reply_id` itself), and notes or replies logged by anyone but `author`
/// since.
pub(super) fn arrived_since(
    cache: &Cache,
    mailbox: &str,
    conv: &str,
    author: &str,
    reply_id: &str,
    base: &outbox::Base,
) -> anyhow::Result<Vec<String>> {
    let mut arrived: Vec<String> = cache
        .messages(mailbox, conv)?
        .into_iter()
        .filter(|m| {
            let key = message_key(m);
            key != reply_id && !base.seen.contains(&key)
        })
        .map(|m| {
            let who = if m.inbound {
                "the customer"
            } else {
                "the team"
            };
            format!(
                "a message from {} ({who}): {}",
                tanto_mail::sanitize::single_line(&m.from.email),
                tanto_mail::sanitize::single_line(&m.subject)
            )
        })
        .collect();
    arrived.extend(
        cache
            .events(mailbox, conv)?
            .into_iter()
            .filter(|e| e.at >= base.started && e.agent != author)
            .filter(|e| matches!(e.kind, EventKind::Note | EventKind::Sent))
            .map(|e| {
                format!(
                    "{} by {}: {}",
                    e.kind,
                    tanto_mail::sanitize::single_line(&e.agent),
                    tanto_mail::sanitize::single_line(&e.text)
                )
            }),
    );
    Ok(arrived)
}

/// A cached message's key, as the draft's base records it.
pub(super) fn message_key(m: &tanto_mail::cache::MessageRow) -> String {
    m.message_id
        .clone()
        .unwrap_or_else(|| format!("{}.{}", m.uid, m.folder))
}

/// One line for people: why a reply was held.
pub fn describe(hold: &Hold) -> String {
    match hold {
        Hold::Owner {
            author,
            holder: Some(h),
        } => format!("{h} holds the conversation now, not {author}"),
        Hold::Owner {
            author,
            holder: None,
        } => format!("{author} no longer holds the conversation (it is not in progress)"),
        Hold::Arrived(what) => format!("arrived after the draft: {}", what.join("; ")),
        Hold::Gone => "the conversation is no longer in the mailbox".to_string(),
        Hold::Refused(words) => format!("the SMTP server refused it: {words}"),
    }
}
