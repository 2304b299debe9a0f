//! Merging and splitting conversations by hand, for mail whose headers thread it wrong: an
//! event in the activity folder (protocol §2 "Merges and splits"), so every agent's cache,
//! and any cache rebuilt from the server, threads it the same way.

use anyhow::bail;
use tanto_core::event::EventKind;
use tanto_core::said;
use tanto_mail::activity::Event;

use super::Ctx;

/// What a merge or split did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regrouped {
    /// The conversation the merged one is part of now, or the one split from.
    pub conversation: String,
    /// The merged conversation's id (which keeps resolving), or the split-off one's.
    pub other: String,
}

/// Joins the conversation `id` to `into`: the merged conversation is named by the earlier
/// root, and the other id keeps resolving to it.
pub fn merge(ctx: &Ctx, id: &str, into: &str) -> anyhow::Result<Regrouped> {
    let cache = ctx.cache()?;
    let from = cache.find_conversation(id)??;
    let to = cache.find_conversation(into)??;
    if from.mailbox != to.mailbox {
        bail!(said!("error.merge.mailboxes", id = from.id, into = to.id));
    }
    if from.id == to.id {
        bail!(said!("error.merge.same", id = from.id));
    }
    let (Some(about), Some(target)) = (
        cache.conversation_root(&from.mailbox, &from.id)?,
        cache.conversation_root(&to.mailbox, &to.id)?,
    ) else {
        bail!(said!("error.merge.same", id = from.id));
    };
    drop(cache);
    let agent = &ctx.config.agent.id;
    let event = Event::new(
        EventKind::Merge,
        agent,
        &about,
        &from.id,
        format!("{agent} merged it into {}", to.id),
    )
    .with_into(&target);
    let conversation = write(ctx, &from.mailbox, &from.subject, &event, &target)?;
    Ok(Regrouped {
        conversation,
        other: from.id,
    })
}

/// Cuts mail `message` of the conversation `id` out of it, with the replies to it: a
/// position as `tanto show` numbers the mail (1 is the first), or a Message-ID.
pub fn split(ctx: &Ctx, id: &str, message: &str) -> anyhow::Result<Regrouped> {
    let cache = ctx.cache()?;
    let conv = cache.find_conversation(id)??;
    let msgs = cache.messages(&conv.mailbox, &conv.id)?;
    let wanted = message.trim().trim_matches(['<', '>']);
    let picked = match wanted.parse::<usize>() {
        Ok(n) => n.checked_sub(1).and_then(|i| msgs.get(i)),
        Err(_) => msgs
            .iter()
            .find(|m| m.message_id.as_deref() == Some(wanted)),
    };
    let Some(picked) = picked else {
        bail!(said!(
            "error.split.no_message",
            id = conv.id,
            message = message,
            count = msgs.len()
        ));
    };
    let Some(key) = cache.message_key(picked.folder_id, picked.uid)? else {
        bail!(said!(
            "error.split.no_message",
            id = conv.id,
            message = message,
            count = msgs.len()
        ));
    };
    if msgs.len() < 2 {
        bail!(said!("error.split.alone", id = conv.id));
    }
    drop(cache);
    let agent = &ctx.config.agent.id;
    let event = Event::new(
        EventKind::Split,
        agent,
        &key,
        &conv.id,
        format!("{agent} split <{key}> off"),
    );
    let other = write(ctx, &conv.mailbox, &conv.subject, &event, &key)?;
    Ok(Regrouped {
        conversation: conv.id,
        other,
    })
}

/// Appends `event` to the activity folder of `mailbox` and applies it to the cache; the
/// conversation the message `key` is in afterwards.
fn write(
    ctx: &Ctx,
    mailbox_name: &str,
    subject: &str,
    event: &Event,
    key: &str,
) -> anyhow::Result<String> {
    let (index, mailbox) = ctx.mailbox_named(mailbox_name)?;
    let mut conn = ctx.session(index, mailbox)?;
    let raw = tanto_mail::activity::build(event, &mailbox.address, &ctx.config.agent.name, subject)
        .map_err(|e| anyhow::anyhow!(e))?;
    let uid = super::act::append_raw_event(&mut conn, mailbox, &raw)?;
    let team = ctx.team(mailbox);
    let mut cache = ctx.cache()?;
    let cached = super::act::cache_appended(&mut conn, &mut cache, mailbox, &team, uid, event);
    ctx.session_done(index, conn, true);
    // Logged on the server: the next sync applies it if this cache could not.
    cached.map_err(|c| anyhow::anyhow!("{c}"))?;
    Ok(cache
        .conversation_of_message(mailbox_name, key)?
        .unwrap_or_default())
}
