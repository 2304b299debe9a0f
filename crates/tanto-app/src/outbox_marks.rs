//! The keywords of an outbox message (approval, sending, held, uncertain…), read and changed
//! by compare-and-set: on the message itself where the server has CONDSTORE and keeps
//! keywords, else through the log (`core::log`), as mark records keyed by the reply's
//! Message-ID (`outbox/<Message-ID>`): the record that stands gives the message's keywords,
//! and a change holds when its record stands. Microsoft 365 keeps no keywords, and no
//! server without CONDSTORE has a compare-and-set: both send replies exactly once this way.
//!
//! Callers keep the outbox folder selected around these calls; a log read selects the
//! activity folder and selects the outbox again before it returns.

use anyhow::anyhow;

use super::Ctx;
use crate::config::Mailbox;
use tanto_core::claims::StoreResult;
use tanto_core::event::EventKind;
use tanto_mail::activity::{self, Event};
use tanto_mail::imap::Conn;

/// True when this connection's outbox keywords go through the log: no CONDSTORE, or the
/// outbox folder (selected last) keeps no custom keywords.
pub fn by_log(conn: &Conn) -> bool {
    !conn.caps.condstore || !conn.selected_keeps_keywords()
}

fn key(message_id: &str) -> String {
    format!("outbox/{message_id}")
}

fn is_keyword(f: &str) -> bool {
    !f.starts_with('\\')
}

/// What a mark record carries: every flag but `\Seen` and `\Recent` (so `\Deleted`, a
/// take-back or a drop, is decided in the same order as a sender's mark).
fn recorded(f: &str) -> bool {
    !f.eq_ignore_ascii_case("\\Seen") && !f.eq_ignore_ascii_case("\\Recent")
}

/// The flags and version of outbox message `uid` (Message-ID `message_id`): its MODSEQ, or
/// in the log the UID of its standing mark record (0: none). `None` when it is gone.
pub fn state(
    conn: &mut Conn,
    mailbox: &Mailbox,
    uid: u32,
    message_id: &str,
) -> anyhow::Result<Option<(Vec<String>, u64)>> {
    let Some((flags, modseq)) = conn.fetch_state(uid)? else {
        return Ok(None);
    };
    if !by_log(conn) {
        return Ok(Some((flags, modseq)));
    }
    let standing = standing_mark(conn, mailbox, message_id)?;
    conn.select(&mailbox.imap.outbox_folder, None)?;
    let mut out: Vec<String> = flags.into_iter().filter(|f| !is_keyword(f)).collect();
    let version = match standing {
        Some((uid, marked)) => {
            for f in marked {
                if !out.iter().any(|o| o.eq_ignore_ascii_case(&f)) {
                    out.push(f);
                }
            }
            uid
        }
        None => 0,
    };
    Ok(Some((out, u64::from(version))))
}

/// Sets the flags of outbox message `uid` to `flags` if it is still at `version` (as
/// `state` read it): `Modified` when another change came first.
pub fn cas(
    ctx: &Ctx,
    conn: &mut Conn,
    mailbox: &Mailbox,
    (uid, message_id): (u32, &str),
    version: u64,
    flags: &[String],
) -> anyhow::Result<StoreResult> {
    if !by_log(conn) {
        return Ok(conn.store_if_unchanged(uid, version, flags)?);
    }
    let won = append_mark(ctx, conn, mailbox, message_id, version, flags)?;
    conn.select(&mailbox.imap.outbox_folder, None)?;
    let Some(mark) = won else {
        return Ok(StoreResult::Modified);
    };
    // The system flags (\Deleted for a take-back or a drop) go on the message itself.
    let system: Vec<String> = flags.iter().filter(|f| !is_keyword(f)).cloned().collect();
    let Some((now, _)) = conn.fetch_state(uid)? else {
        return Ok(StoreResult::Applied {
            flags: flags.to_vec(),
            modseq: u64::from(mark),
        });
    };
    let now_system: Vec<&String> = now.iter().filter(|f| !is_keyword(f)).collect();
    let same = now_system.len() == system.len()
        && system
            .iter()
            .all(|f| now_system.iter().any(|n| n.eq_ignore_ascii_case(f)));
    if !same {
        conn.store_flags(uid, &system)?;
    }
    Ok(StoreResult::Applied {
        flags: flags.to_vec(),
        modseq: u64::from(mark),
    })
}

/// Writes the first keywords of a reply about to be queued (before its APPEND, so that no
/// sender ever sees it without them): a mark record on nothing.
pub fn initial(
    ctx: &Ctx,
    conn: &mut Conn,
    mailbox: &Mailbox,
    message_id: &str,
    keywords: &[&str],
) -> anyhow::Result<()> {
    if keywords.is_empty() {
        return Ok(());
    }
    let flags: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
    // A retry finds its earlier mark standing: nothing more to write.
    if standing_mark(conn, mailbox, message_id)?.is_some() {
        return Ok(());
    }
    append_mark(ctx, conn, mailbox, message_id, 0, &flags)?;
    Ok(())
}

/// One mark record: its UID, its base, the flags it gives, its agent.
struct Mark {
    uid: u32,
    base: (u32, u32),
    flags: Vec<String>,
    agent: String,
}

/// The mark records of `message_id` in the log, in UID order; and the log's UIDVALIDITY.
/// Leaves the activity folder selected.
fn marks(conn: &mut Conn, mailbox: &Mailbox, message_id: &str) -> anyhow::Result<(u32, Vec<Mark>)> {
    let folder = &mailbox.imap.activity_folder;
    conn.ensure_folder(folder)?;
    let info = conn.select(folder, None)?;
    let uids = conn.search_header(activity::H_CONVERSATION, &key(message_id))?;
    let mut out = Vec::new();
    for (uid, raw) in conn.fetch_bodies(&uids)? {
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(raw.len(), |p| p + 2);
        let Some(e) = activity::parse(&raw[..end], "", 0) else {
            continue;
        };
        // The search matches a substring: only this reply's own records count.
        if e.conversation != key(message_id) {
            continue;
        }
        let Some(base) = e.base.as_deref().and_then(tanto_core::log::parse_base) else {
            continue;
        };
        let keywords = e
            .keywords
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        out.push(Mark {
            uid,
            base,
            flags: keywords,
            agent: e.agent,
        });
    }
    out.sort_by_key(|m| m.uid);
    Ok((info.uidvalidity, out))
}

/// Which of `recs` stand, by the log's rule (`core::log::standing`).
fn standing(recs: &[Mark], validity: u32) -> Vec<bool> {
    let bases: Vec<(u32, (u32, u32))> = recs.iter().map(|r| (r.uid, r.base)).collect();
    tanto_core::log::standing(&bases, validity)
}

/// The standing mark record of `message_id`: its UID and keywords.
fn standing_mark(
    conn: &mut Conn,
    mailbox: &Mailbox,
    message_id: &str,
) -> anyhow::Result<Option<(u32, Vec<String>)>> {
    let (validity, recs) = marks(conn, mailbox, message_id)?;
    let stands = standing(&recs, validity);
    Ok(recs
        .into_iter()
        .zip(stands)
        .rfind(|(_, ok)| *ok)
        .map(|(m, _)| (m.uid, m.flags)))
}

/// Appends a mark record decided on `version`; the record's UID when it stands.
fn append_mark(
    ctx: &Ctx,
    conn: &mut Conn,
    mailbox: &Mailbox,
    message_id: &str,
    version: u64,
    flags: &[String],
) -> anyhow::Result<Option<u32>> {
    let folder = &mailbox.imap.activity_folder;
    conn.ensure_folder(folder)?;
    let validity = conn.select(folder, None)?.uidvalidity;
    let base = tanto_core::log::base_value(validity, u32::try_from(version).unwrap_or(0));
    let keywords: Vec<&str> = flags
        .iter()
        .map(String::as_str)
        .filter(|f| recorded(f))
        .collect();
    let me = &ctx.config.agent.id;
    let mut event = Event::new(
        EventKind::Other("mark".into()),
        me,
        &key(message_id),
        &key(message_id),
        format!(
            "{me} marked the queued reply {message_id}: {}",
            keywords.join(" ")
        ),
    )
    .with_base(base.clone());
    event.keywords = Some(keywords.join(" "));
    let mine = super::act::append_event(ctx, conn, mailbox, "outbox", &event)?;
    let (validity, recs) = marks(conn, mailbox, message_id)?;
    let mine = match mine {
        Some(u) => u,
        // No APPENDUID: our newest record on this base.
        None => recs
            .iter()
            .filter(|r| r.agent == *me && tanto_core::log::base_value(r.base.0, r.base.1) == base)
            .map(|r| r.uid)
            .max()
            .ok_or_else(|| anyhow!("the mark record of {message_id} is not in the log"))?,
    };
    let stands = standing(&recs, validity);
    Ok(recs
        .iter()
        .zip(stands)
        .any(|(r, ok)| ok && r.uid == mine)
        .then_some(mine))
}
