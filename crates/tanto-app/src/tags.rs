//! Tags on a conversation: the keyword `tanto-tag-<name>` on its state message (put there
//! by `tanto tag` or a rule), read from any of its messages, so a tag outlives the customer's
//! next mail. Written by compare-and-set, keeping every other flag as it is, like the
//! status keywords. Where the log decides (`act::by_log`: a server that keeps no keywords of
//! ours, or has no compare-and-set), a `tag` or `untag` record in the activity folder
//! instead, folded by every reader in the log's order (`core::log::fold_tags`).

use anyhow::{anyhow, bail};

use super::Ctx;
use crate::config::Mailbox;
use tanto_core::claims::StoreResult;
use tanto_core::event::EventKind;
use tanto_core::rules;
use tanto_core::said;
use tanto_mail::activity::Event;
use tanto_mail::cache::{Cache, ConversationRow, FolderRole, StateMessage, Team};
use tanto_mail::imap::sync::sync_folder;
use tanto_mail::imap::Conn;

/// What a tag or untag did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tagged {
    Added {
        conversation: String,
        tag: String,
    },
    Removed {
        conversation: String,
        tag: String,
    },
    /// Nothing to do: the conversation already had (or did not have) the tag.
    Already {
        conversation: String,
        tag: String,
        on: bool,
    },
}

impl Tagged {
    /// What putting on (`on`) or taking off `tag` did: `changed` false is `Already`.
    fn of(conversation: &str, tag: &str, changed: bool, on: bool) -> Tagged {
        let (conversation, tag) = (conversation.to_string(), tag.to_string());
        match (changed, on) {
            (true, true) => Tagged::Added { conversation, tag },
            (true, false) => Tagged::Removed { conversation, tag },
            (false, on) => Tagged::Already {
                conversation,
                tag,
                on,
            },
        }
    }
}

/// Puts (`on`) or takes away the tag `name` on the conversation `id` (or a unique prefix).
pub fn set(ctx: &Ctx, id: &str, name: &str, on: bool) -> anyhow::Result<Tagged> {
    if !rules::valid_tag(name) {
        bail!(said!("error.tag.invalid", tag = format!("{name:?}")));
    }
    let mut cache = ctx.cache()?;
    let conv = cache.find_conversation(id)??;
    let (index, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
    let team = ctx.team(mailbox);
    let kw = rules::tag_keyword(name);
    let mut conn = ctx.session(index, mailbox)?;
    // Before (what is there to change) and after (the cache as the server has it now).
    let sync_inbox = |conn: &mut Conn, cache: &mut tanto_mail::cache::Cache| {
        sync_folder(conn, cache, &team, &mailbox.imap.folder, FolderRole::Inbox)
    };
    let r = (|| {
        sync_inbox(&mut conn, &mut cache)?;
        let state = cache.state_message(&conv.mailbox, &conv.id)?;
        let folder = state.as_ref().map_or(&mailbox.imap.folder, |s| &s.folder);
        let info = conn.select_if_needed(folder)?;
        super::act::may_write(&mut conn, &info, folder)?;
        if super::act::by_log(&conn, &info) {
            let state =
                state.ok_or_else(|| anyhow!(said!("error.act.no_message", id = conv.id)))?;
            let place = Place {
                mailbox,
                team: &team,
                conv: &conv,
                state: &state,
            };
            return by_log(ctx, &mut conn, &mut cache, &place, name, on);
        }
        // Where the keyword goes (on) or is (off): folder and UID.
        let targets: Vec<(String, u32)> = if on {
            let state =
                state.ok_or_else(|| anyhow!(said!("error.act.no_message", id = conv.id)))?;
            vec![(state.folder, state.uid)]
        } else {
            cache
                .messages(&conv.mailbox, &conv.id)?
                .into_iter()
                .filter(|m| m.flags.iter().any(|f| f.eq_ignore_ascii_case(&kw)))
                .map(|m| (m.folder, m.uid))
                .collect()
        };
        let mut changed = false;
        for (folder, uid) in &targets {
            changed |= store(&mut conn, folder, *uid, &kw, on)?;
        }
        sync_inbox(&mut conn, &mut cache)?;
        Ok(Tagged::of(&conv.id, name, changed, on))
    })();
    ctx.session_done(index, conn, r.is_ok());
    r
}

/// Where a tag record goes: the mailbox, its team, the conversation and its state message.
struct Place<'a> {
    mailbox: &'a Mailbox,
    team: &'a Team,
    conv: &'a ConversationRow,
    state: &'a StateMessage,
}

/// The tag put on or taken off through the log: a `tag` or `untag` record about the state
/// message, unless the log already gives the conversation that tag (or not). Two agents at
/// once both append; every reader folds one tag, and the record that landed first is the one
/// that added it (the other agent hears `Already`).
fn by_log(
    ctx: &Ctx,
    conn: &mut Conn,
    cache: &mut Cache,
    at: &Place<'_>,
    name: &str,
    on: bool,
) -> anyhow::Result<Tagged> {
    let log_folder = &at.mailbox.imap.activity_folder;
    sync_folder(conn, cache, at.team, log_folder, FolderRole::Activity)?;
    let has = cache
        .tags(&at.conv.mailbox, &at.conv.id)?
        .iter()
        .any(|t| t == name);
    if has == on {
        return Ok(Tagged::of(&at.conv.id, name, false, on));
    }
    let agent = &ctx.config.agent.id;
    let (kind, text) = if on {
        (EventKind::Tag, format!("{agent} tagged it {name}"))
    } else {
        (EventKind::Untag, format!("{agent} took the tag {name} off"))
    };
    let event = Event::new(kind.clone(), agent, &at.state.key, &at.conv.id, text)
        .with_tags(&[name.to_string()]);
    let uid = super::act::append_event(ctx, conn, at.mailbox, &at.conv.subject, &event)?;
    // The log up to our record: whether it changed anything is decided there.
    sync_folder(conn, cache, at.team, log_folder, FolderRole::Activity)?;
    let log = cache.folder(&at.conv.mailbox, log_folder, FolderRole::Activity)?;
    let uid = match uid {
        Some(u) => Some(u),
        None => cache.newest_record((&at.conv.mailbox, log_folder), &at.state.key, agent, &kind)?,
    };
    let counted = match uid {
        Some(u) => cache.tag_record_counted(&at.conv.mailbox, &at.conv.id, log.id, u)?,
        None => false,
    };
    Ok(Tagged::of(&at.conv.id, name, counted, on))
}

/// One message's keyword added or removed by compare-and-set; false when already so.
fn store(conn: &mut Conn, folder: &str, uid: u32, kw: &str, on: bool) -> anyhow::Result<bool> {
    let info = conn.select(folder, None)?;
    if !conn.caps.condstore || !info.custom_keywords() {
        bail!(said!("error.tag.no_keywords", folder = folder));
    }
    for _ in 0..25 {
        let Some((flags, modseq)) = conn.fetch_state(uid)? else {
            return Ok(false);
        };
        let has = flags.iter().any(|f| f.eq_ignore_ascii_case(kw));
        if has == on {
            return Ok(false);
        }
        let want: Vec<String> = if on {
            flags.iter().cloned().chain([kw.to_string()]).collect()
        } else {
            flags
                .iter()
                .filter(|f| !f.eq_ignore_ascii_case(kw))
                .cloned()
                .collect()
        };
        if let StoreResult::Applied { .. } = conn.store_if_unchanged(uid, modseq, &want)? {
            return Ok(true);
        }
    }
    bail!(said!("error.tag.kept_changing", folder = folder))
}
