//! Replies the team sent from another mail client (Outlook, a phone, webmail): found in
//! Sent by a sync, logged as a `sent` event attributed to the conversation's holder (or
//! `outside` when nobody held it), and the conversation marked done for the mail it
//! answered, as a reply from tanto would. Only recent mail counts, so that adopting tanto on
//! a mailbox with years of Sent does not rewrite its history.

use tanto_core::clock::now;
use tanto_core::event::EventKind;
use tanto_mail::activity::Event;
use tanto_mail::cache::{Cache, OutsideReply};
use tanto_mail::imap::{sync::sync_folder, Conn};

use super::act::{append_event, cache_appended, done_after_reply};
use super::outcome::Outcome;
use super::{Ctx, Warning};
use crate::config::Mailbox;
use tanto_mail::cache::FolderRole;

/// How far back a reply from another client is picked up.
pub const WINDOW_SECS: i64 = 7 * 24 * 3600;

/// The agent a reply is attributed to when nobody held its conversation.
pub const OUTSIDE: &str = "outside";

/// Picks up the outside replies of mailbox `m` on the sync's connection; returns how many.
pub fn pass(ctx: &Ctx, cache: &mut Cache, conn: &mut Conn, m: &Mailbox) -> anyhow::Result<usize> {
    let found = cache.outside_replies(&m.name, now() - WINDOW_SECS)?;
    if found.is_empty() {
        return Ok(0);
    }
    // The log as the server has it now: another agent's tanto may have just logged these.
    let team = ctx.team(m);
    let log = &m.imap.activity_folder;
    conn.ensure_folder(log)?;
    sync_folder(conn, cache, &team, log, FolderRole::Activity)?;
    let mut picked = 0;
    for r in found {
        if cache
            .latest_event(&m.name, &r.message_id, EventKind::Sent)?
            .is_some()
        {
            continue;
        }
        pick_up(ctx, cache, conn, m, &r)?;
        picked += 1;
    }
    Ok(picked)
}

fn pick_up(
    ctx: &Ctx,
    cache: &mut Cache,
    conn: &mut Conn,
    m: &Mailbox,
    r: &OutsideReply,
) -> anyhow::Result<()> {
    let agent = r.holder.clone().unwrap_or_else(|| OUTSIDE.to_string());
    let mut event = Event::new(
        EventKind::Sent,
        &agent,
        &r.message_id,
        &r.conversation,
        format!("{agent} replied from another mail client: {}", r.subject),
    );
    // Logged when the reply was made, not when tanto saw it (reports time it).
    event.at = r.at;
    let uid = append_event(ctx, conn, m, &r.subject, &event)?;
    // This cache sees it at once (the next sync would): the next pass skips it.
    if let Err(error) = cache_appended(conn, cache, m, &ctx.team(m), uid, &event) {
        ctx.notify.warn(Warning::EventNotCached { error });
    }
    let Some(answered) = &r.answered else {
        return Ok(());
    };
    match done_after_reply(ctx, Some(&mut *conn), &r.conversation, &agent, answered) {
        Ok(Outcome::Lost { winner, .. }) => ctx.notify.warn(Warning::NotMarkedDone {
            id: r.conversation.clone(),
            error: tanto_core::said!("warning.cause.holds_it", holder = winner).into(),
        }),
        Ok(_) => {}
        Err(e) => ctx.notify.warn(Warning::NotMarkedDone {
            id: r.conversation.clone(),
            error: e.into(),
        }),
    }
    Ok(())
}
