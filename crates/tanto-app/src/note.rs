//! Internal notes: an event of kind `note` in the activity folder.

use anyhow::bail;
use tanto_core::said;

use super::act::append_raw_event;
use super::Ctx;
use super::Warning;
use tanto_core::event::EventKind;
use tanto_mail::activity::Event;

/// A note that was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noted {
    pub conversation: String,
    pub agent: String,
    /// The server could not be reached: the note waits in the offline journal and the next
    /// sync that reaches the server adds it.
    pub queued: bool,
}

/// Appends an internal note to a conversation; journals it when the server cannot be
/// reached (see `offline`), so that a note is never lost to the network.
pub fn note(ctx: &Ctx, id: &str, text: &str) -> anyhow::Result<Noted> {
    if text.trim().is_empty() {
        bail!(said!("error.note.empty"));
    }
    let conv = ctx.cache()?.find_conversation(id)??;
    let (index, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
    match ctx.session(index, mailbox) {
        Ok(conn) => add(ctx, index, conn, &conv.id, text),
        Err(e) if super::retry::is_transient(&e) => {
            super::offline::queue(
                ctx,
                &conv,
                super::offline::What::Note {
                    text: text.to_string(),
                },
            )?;
            Ok(Noted {
                conversation: conv.id,
                agent: ctx.config.agent.id.clone(),
                queued: true,
            })
        }
        Err(e) => Err(e),
    }
}

/// Appends the note now (the offline journal's way: a failure leaves it in the journal).
pub(super) fn note_online(ctx: &Ctx, id: &str, text: &str) -> anyhow::Result<Noted> {
    let conv = ctx.cache()?.find_conversation(id)??;
    let (index, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
    let conn = ctx.session(index, mailbox)?;
    add(ctx, index, conn, &conv.id, text)
}

/// Appends the note's record `raw` once, whatever happens to the answers: when the
/// connection drops (the APPEND may have been made unseen), the next attempt looks for the
/// record by its Message-ID before appending it again, so a note is neither lost nor
/// doubled. The session it ends on, and the record's UID when known.
fn append_once(
    ctx: &Ctx,
    index: usize,
    mailbox: &crate::config::Mailbox,
    conn: tanto_mail::imap::Conn,
    raw: &[u8],
) -> anyhow::Result<(tanto_mail::imap::Conn, Option<u32>)> {
    let message_id = tanto_mail::activity::header_value(raw, "Message-ID")
        .map(|m| m.trim_matches(['<', '>']).to_string())
        .unwrap_or_default();
    let mut first = Some(conn);
    let mut tried = false;
    super::retry::with_retry(&ctx.notify, super::outcome::Retried::Note, || {
        let mut conn = match first.take() {
            Some(c) => c,
            None => ctx.connect(index, mailbox)?,
        };
        if std::mem::replace(&mut tried, true) && !message_id.is_empty() {
            let folder = &mailbox.imap.activity_folder;
            if conn.folder_exists(folder)? {
                if let Some(uid) = conn.find_message_id(folder, &message_id)? {
                    return Ok((conn, Some(uid)));
                }
            }
        }
        let uid = append_raw_event(&mut conn, mailbox, raw)?;
        Ok((conn, uid))
    })
}

/// Appends the note on `conn` (of mailbox `index`), then ends the session.
fn add(
    ctx: &Ctx,
    index: usize,
    conn: tanto_mail::imap::Conn,
    id: &str,
    text: &str,
) -> anyhow::Result<Noted> {
    let mut cache = ctx.cache()?;
    let conv = cache.find_conversation(id)??;
    let (_, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
    let about = match cache.state_message(&conv.mailbox, &conv.id)? {
        Some(s) => s.key,
        None => cache
            .messages(&conv.mailbox, &conv.id)?
            .first()
            .and_then(|m| m.message_id.clone())
            // Never an empty X-Tanto-About: readers match on X-Tanto-Conversation then.
            .unwrap_or_else(|| format!("{}@tanto.invalid", conv.id)),
    };
    let event = Event::new(
        EventKind::Note,
        &ctx.config.agent.id,
        &about,
        &conv.id,
        text.to_string(),
    );
    let raw = tanto_mail::activity::build(
        &event,
        &mailbox.address,
        &ctx.config.agent.name,
        &conv.subject,
    )
    .map_err(|e| anyhow::anyhow!(e))?;
    let (mut conn, uid) = append_once(ctx, index, mailbox, conn, &raw)?;
    let team = ctx.team(mailbox);
    let cached = super::act::cache_appended(&mut conn, &mut cache, mailbox, &team, uid, &event);
    if let Err(error) = cached {
        ctx.notify.warn(Warning::NoteNotCached { error });
    }
    ctx.session_done(index, conn, true);
    Ok(Noted {
        conversation: conv.id,
        agent: event.agent,
        queued: false,
    })
}
