//! Internal notes: an event of kind `note` in the activity folder.

use crate::said;
use anyhow::bail;

use super::act::append_event;
use super::retry::with_retry;
use super::Ctx;
use super::Warning;
use crate::activity::Event;
use crate::cache::FolderRole;
use crate::core::event::EventKind;
use crate::imap::sync::sync_folder;

/// A note that was added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Noted {
    pub conversation: String,
    pub agent: String,
}

/// Appends an internal note to a conversation.
pub fn note(ctx: &Ctx, id: &str, text: &str) -> anyhow::Result<Noted> {
    if text.trim().is_empty() {
        bail!(said!("error.note.empty"));
    }
    let mut cache = ctx.cache()?;
    let conv = cache.find_conversation(id)??;
    let (index, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
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
    // A note is an APPEND: retrying after a lost answer could log it twice, so only a
    // failure to connect (nothing sent yet) is retried.
    let mut conn = with_retry(&ctx.notify, "note", || ctx.connect(index, mailbox))?;
    append_event(ctx, &mut conn, mailbox, &conv.subject, &event)?;
    let team = ctx.team(mailbox);
    let folder = &mailbox.imap.activity_folder;
    if let Err(e) = sync_folder(&mut conn, &mut cache, &team, folder, FolderRole::Activity) {
        let error = e.to_string();
        ctx.notify.warn(Warning::NoteNotCached { error });
    }
    conn.logout();
    Ok(Noted {
        conversation: conv.id,
        agent: event.agent,
    })
}
