//! Tags on a conversation: the keyword `tanto-tag-<name>` on its state message (put there
//! by `tanto tag` or a rule), read from any of its messages, so a tag outlives the customer's
//! next mail. Written by compare-and-set, keeping every other flag as it is, like the
//! status keywords. A server that keeps no keywords of ours gets a clear error (no log
//! records for tags in this version).

use anyhow::{anyhow, bail};

use super::Ctx;
use tanto_core::claims::StoreResult;
use tanto_core::rules;
use tanto_core::said;
use tanto_mail::cache::FolderRole;
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
    let r = (|| {
        sync_folder(
            &mut conn,
            &mut cache,
            &team,
            &mailbox.imap.folder,
            FolderRole::Inbox,
        )?;
        // Where the keyword goes (on) or is (off): folder and UID.
        let targets: Vec<(String, u32)> = if on {
            let state = cache
                .state_message(&conv.mailbox, &conv.id)?
                .ok_or_else(|| anyhow!(said!("error.act.no_message", id = conv.id)))?;
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
        sync_folder(
            &mut conn,
            &mut cache,
            &team,
            &mailbox.imap.folder,
            FolderRole::Inbox,
        )?;
        let (conversation, tag) = (conv.id.clone(), name.to_string());
        Ok(match (changed, on) {
            (true, true) => Tagged::Added { conversation, tag },
            (true, false) => Tagged::Removed { conversation, tag },
            (false, on) => Tagged::Already {
                conversation,
                tag,
                on,
            },
        })
    })();
    ctx.session_done(index, conn, r.is_ok());
    r
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
