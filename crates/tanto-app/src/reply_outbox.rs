//! The outbox: a queued reply is won by compare-and-set, sent over SMTP, appended to Sent,
//! and its bookkeeping done (`\Answered`, status, a `sent` event, the outbox copy removed).
//! On start, half-done sends are finished without ever sending twice; approvals and
//! rejections; what is due (approved, scheduled) goes out from any running tanto.

use std::time::Duration;
use tanto_core::said;

use anyhow::{anyhow, bail};

use super::act::{append_event, done_after_reply, Outcome};
use super::Ctx;
use super::Warning;
use crate::config::{Mailbox, Role};
use tanto_core::claims::StoreResult;
use tanto_core::clock::now;
use tanto_core::event::EventKind;
use tanto_core::outbox::{self, Envelope, Hold, Recovery, Standing};
use tanto_mail::activity::Event;
use tanto_mail::cache::{Cache, FolderRole, OutboxSeen};
use tanto_mail::imap::sync::sync_folder;
use tanto_mail::imap::Conn;
use tanto_mail::send::SendError;

use super::outbox_marks as marks;
pub use super::outcome::Sent;

/// For the SIGKILL tests: `TANTO_TEST_CRASH_AT=<point>` aborts the process there.
pub(super) fn crash_point(point: &str) {
    if std::env::var("TANTO_TEST_CRASH_AT").is_ok_and(|p| p == point) {
        std::process::abort();
    }
}

/// One queued reply as the outbox lists it.
#[derive(Debug, Clone)]
pub struct Queued {
    pub uid: u32,
    pub flags: Vec<String>,
    pub modseq: u64,
    pub envelope: Envelope,
    pub payload: Vec<u8>,
}

/// The queued replies of a mailbox (an outbox that does not exist yet is empty).
pub fn list(conn: &mut Conn, mailbox: &Mailbox) -> anyhow::Result<Vec<Queued>> {
    let folder = &mailbox.imap.outbox_folder;
    if !conn.folder_exists(folder)? {
        return Ok(Vec::new());
    }
    conn.select(folder, None)?;
    let uids = conn.all_uids()?;
    let bodies = conn.fetch_bodies(&uids)?;
    let mut out = Vec::new();
    for (uid, raw) in bodies {
        let Some((envelope, payload)) = outbox::unwrap(&raw) else {
            continue;
        };
        let Some((flags, modseq)) = marks::state(conn, mailbox, uid, &envelope.message_id)? else {
            continue;
        };
        out.push(Queued {
            uid,
            flags,
            modseq,
            envelope,
            payload: payload.to_vec(),
        });
    }
    Ok(out)
}

/// What `queue` found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Queueing {
    /// The reply is in the outbox (put there now, or by an earlier try).
    Queued,
    /// An earlier try of the same reply went out already: it is in Sent.
    AlreadySent,
}

/// Puts the reply `raw` (Message-ID `message_id`) into the outbox once: a copy an earlier
/// try queued (or sent) is found instead of adding another, and an APPEND whose answer
/// was lost is looked for on a new connection before it is tried again.
pub(super) fn queue(
    ctx: &Ctx,
    index: usize,
    mailbox: &Mailbox,
    conn: &mut Conn,
    message_id: &str,
    raw: &[u8],
    flags: &[&str],
) -> anyhow::Result<Queueing> {
    let folder = &mailbox.imap.outbox_folder;
    conn.ensure_folder(folder)?;
    if find_uid(conn, mailbox, message_id)?.is_some() {
        return Ok(Queueing::Queued);
    }
    // Read while the outbox is selected: whether its keywords go through the log.
    let by_log = marks::by_log(conn);
    if in_sent(ctx, conn, mailbox, message_id)? {
        return Ok(Queueing::AlreadySent);
    }
    if by_log {
        // Before the APPEND: no sender may see the reply without its first keywords.
        let keywords: Vec<&str> = flags
            .iter()
            .copied()
            .filter(|f| !f.starts_with('\\'))
            .collect();
        marks::initial(ctx, conn, mailbox, message_id, &keywords)?;
    }
    let Err(first) = conn.append(folder, raw, flags).map(|_| ()) else {
        return Ok(Queueing::Queued);
    };
    let first = anyhow::Error::from(said!("error.context.queueing").because(first));
    if !super::retry::is_transient(&first) {
        return Err(first);
    }
    // The APPEND may have been applied with its answer lost: look before trying again.
    *conn = ctx.connect(index, mailbox)?;
    if find_uid(conn, mailbox, message_id)?.is_some() {
        return Ok(Queueing::Queued);
    }
    conn.append(folder, raw, flags)
        .map(|_| ())
        .map_err(|e| said!("error.context.queueing").because(e))?;
    Ok(Queueing::Queued)
}

/// Finds a queued reply's UID in the outbox by its Message-ID (the outbox is selected).
fn find_uid(conn: &mut Conn, mailbox: &Mailbox, message_id: &str) -> anyhow::Result<Option<u32>> {
    Ok(conn.find_message_id(&mailbox.imap.outbox_folder, message_id)?)
}

/// Where the queued reply `message_id` stands in the outbox (None: not there, i.e. sent,
/// dropped or never queued).
pub(super) fn standing_of(
    conn: &mut Conn,
    mailbox: &Mailbox,
    message_id: &str,
) -> anyhow::Result<Option<Standing>> {
    if !conn.folder_exists(&mailbox.imap.outbox_folder)? {
        return Ok(None);
    }
    let Some(uid) = find_uid(conn, mailbox, message_id)? else {
        return Ok(None);
    };
    let Some((flags, _)) = marks::state(conn, mailbox, uid, message_id)? else {
        return Ok(None);
    };
    // Its Send-At tells scheduled from queued.
    let send_at = conn
        .fetch_bodies(&[uid])?
        .into_iter()
        .next()
        .and_then(|(_, raw)| outbox::unwrap(&raw).map(|(env, _)| env.send_at))
        .unwrap_or(0);
    Ok(Some(outbox::standing(&flags, send_at, now())))
}

/// Removes the agent's held, rejected or taken-back reply `message_id` that a new reply
/// replaces; one in any other standing (approved and sending, say) is left alone.
pub(super) fn remove_replaced(
    conn: &mut Conn,
    mailbox: &Mailbox,
    message_id: &str,
) -> anyhow::Result<()> {
    let Some(uid) = find_uid(conn, mailbox, message_id)? else {
        return Ok(());
    };
    let Some((flags, _)) = marks::state(conn, mailbox, uid, message_id)? else {
        return Ok(());
    };
    if matches!(
        outbox::standing(&flags, 0, 0),
        Standing::Held | Standing::Rejected | Standing::TakenBack
    ) {
        conn.expunge_uid(uid)?;
    }
    Ok(())
}

/// This host's keyword on a send it holds.
fn this_host() -> String {
    outbox::host_keyword(&tanto_mail::cache::host_name())
}

fn lease_name(message_id: &str) -> String {
    format!("send:{message_id}")
}

/// Sends the queued reply with `message_id` if it is due and this process wins it.
pub fn send_one(
    ctx: &Ctx,
    index: usize,
    mailbox: &Mailbox,
    conn: &mut Conn,
    cache: &mut Cache,
    message_id: &str,
) -> anyhow::Result<Sent> {
    let smtp = mailbox.smtp.as_ref().ok_or_else(|| {
        anyhow!(said!(
            "error.outbox.no_smtp",
            mailbox = format!("{:?}", mailbox.name)
        ))
    })?;
    let uid = find_uid(conn, mailbox, message_id)?
        .ok_or_else(|| anyhow!(said!("error.outbox.gone", id = message_id)))?;
    let (flags, modseq) = marks::state(conn, mailbox, uid, message_id)?
        .ok_or_else(|| anyhow!(said!("error.outbox.gone", id = message_id)))?;
    let raw = conn
        .fetch_bodies(&[uid])?
        .into_iter()
        .next()
        .map(|(_, r)| r)
        .ok_or_else(|| anyhow!(said!("error.outbox.unreadable", id = message_id)))?;
    let (env, payload) =
        outbox::unwrap(&raw).ok_or_else(|| anyhow!("the outbox message {uid} is not tanto's"))?;
    let conversation = env.conversation.clone();
    match outbox::standing(&flags, env.send_at, now()) {
        Standing::Due => {}
        Standing::Sending { by } => return Ok(Sent::Taken { conversation, by }),
        standing => {
            return Ok(Sent::Waiting {
                conversation,
                standing,
                author: env.author.clone(),
            })
        }
    }
    let me = ctx.config.agent.id.clone();
    // Held for the whole send, so that a recovery on this host leaves a live send alone.
    let Some(lease) = cache.take_lease(&lease_name(message_id), Duration::from_secs(3600))? else {
        return Ok(Sent::Taken {
            conversation,
            by: me,
        });
    };
    let result = (|| {
        let claim = outbox::sending_flags(&flags, &me, &this_host(), now());
        let won = marks::cas(ctx, conn, mailbox, (uid, message_id), modseq, &claim)?;
        let (claimed_flags, claimed_modseq) = match won {
            StoreResult::Applied { .. } => {
                // Read back: a server may let a second sender's write through next to ours
                // (Dovecot 2.3 does on a folder's first keywords). The first sender in
                // order sends; any other backs off and takes its mark away.
                let (now, now_modseq) = marks::state(conn, mailbox, uid, message_id)?
                    .ok_or_else(|| anyhow!(said!("error.outbox.left", id = message_id)))?;
                let senders = tanto_core::status::owners(&now);
                let taken_back = now
                    .iter()
                    .any(|f| f.eq_ignore_ascii_case(outbox::TAKEN_BACK));
                if taken_back || senders.first() != Some(&me) {
                    // Our sender mark comes off, as a claim's loser takes its keyword back.
                    let ours = tanto_core::status::Status::New;
                    if let Some(kept) = tanto_core::claims::take_back(&now, &me, ours) {
                        let _ =
                            marks::cas(ctx, conn, mailbox, (uid, message_id), now_modseq, &kept);
                    }
                    return Ok(Sent::Taken {
                        conversation: conversation.clone(),
                        by: senders.first().cloned().unwrap_or_default(),
                    });
                }
                (now, now_modseq)
            }
            StoreResult::Modified => {
                let by = marks::state(conn, mailbox, uid, message_id)?
                    .and_then(|(f, _)| tanto_core::status::owner(&f))
                    .unwrap_or_default();
                return Ok(Sent::Taken {
                    conversation: conversation.clone(),
                    by,
                });
            }
        };
        // The moment of sending decides: the server's state now, not the draft's.
        crash_point("before-check");
        if let Some(hold) = super::send_check::hold_reason(ctx, conn, cache, mailbox, &env)? {
            return hold_reply(ctx, conn, cache, mailbox, uid, &env, hold);
        }
        conn.select(&mailbox.imap.outbox_folder, None)?;
        let server = ctx.smtp(index, mailbox, smtp)?;
        match server.send_raw(&env.mail_from, &env.rcpt, payload) {
            Ok(()) => {}
            Err(SendError::Refused { reason, .. }) => {
                return hold_reply(ctx, conn, cache, mailbox, uid, &env, Hold::Refused(reason));
            }
            Err(SendError::Uncertain { reason, .. }) => {
                let marked = outbox::with_keyword(&claimed_flags, outbox::KW_UNCERTAIN);
                conn.select(&mailbox.imap.outbox_folder, None)?;
                marks::cas(
                    ctx,
                    conn,
                    mailbox,
                    (uid, message_id),
                    claimed_modseq,
                    &marked,
                )?;
                return Ok(Sent::Uncertain {
                    conversation: conversation.clone(),
                    // The server's or the OS's own words.
                    reason: anyhow::Error::msg(reason).into(),
                });
            }
            Err(e) => {
                // Certainly not sent: give the claim back so that it goes out later.
                let reason = e.into();
                conn.select(&mailbox.imap.outbox_folder, None)?;
                marks::cas(
                    ctx,
                    conn,
                    mailbox,
                    (uid, message_id),
                    claimed_modseq,
                    &flags,
                )?;
                return Ok(Sent::Queued {
                    conversation: conversation.clone(),
                    reason,
                });
            }
        }
        // Only a kill in this instant leaves the send uncertain.
        crash_point("after-smtp");
        // Journalled before anything else: a kill from here on is finished by this host's
        // next sync, not called uncertain.
        if let Err(e) = cache.note_smtp_accepted(&env.message_id) {
            ctx.notify.warn(Warning::CacheBehind { error: e.into() });
        }
        crash_point("after-journal");
        append_to_sent(ctx, conn, mailbox, payload)?;
        crash_point("after-sent");
        bookkeeping(ctx, mailbox, conn, cache, &env)?;
        Ok(Sent::Delivered {
            conversation: conversation.clone(),
        })
    })();
    cache.release(lease)?;
    result
}

/// Holds the outbox message `uid` (won for sending by this process) for its author: the
/// sending mark comes off, `tanto-held` goes on, and a `hold` event says why, so that the
/// author and the supervisors see it and nobody sends it.
fn hold_reply(
    ctx: &Ctx,
    conn: &mut Conn,
    cache: &mut Cache,
    mailbox: &Mailbox,
    uid: u32,
    env: &Envelope,
    hold: Hold,
) -> anyhow::Result<Sent> {
    conn.select(&mailbox.imap.outbox_folder, None)?;
    for _ in 0..5 {
        let Some((flags, modseq)) = marks::state(conn, mailbox, uid, &env.message_id)? else {
            break;
        };
        let held = outbox::held_flags(&flags);
        let at = (uid, env.message_id.as_str());
        if let StoreResult::Applied { .. } = marks::cas(ctx, conn, mailbox, at, modseq, &held)? {
            break;
        }
    }
    let event = Event::new(
        EventKind::Hold,
        &ctx.config.agent.id,
        &env.message_id,
        &env.conversation,
        format!(
            "{}'s reply was held: {}",
            env.author,
            super::send_check::describe(&hold)
        ),
    )
    .with_state(None, Some(&env.author));
    append_event(ctx, conn, mailbox, &env.subject, &event)?;
    let team = ctx.team(mailbox);
    let _ = sync_folder(
        conn,
        cache,
        &team,
        &mailbox.imap.activity_folder,
        FolderRole::Activity,
    );
    Ok(Sent::Held {
        conversation: env.conversation.clone(),
        message_id: env.message_id.clone(),
        author: env.author.clone(),
        hold,
    })
}

/// Appends a reply's exact bytes to the Sent folder.
fn append_to_sent(
    ctx: &Ctx,
    conn: &mut Conn,
    mailbox: &Mailbox,
    payload: &[u8],
) -> anyhow::Result<()> {
    let sent_folder = sent_folder(ctx, conn, mailbox)?;
    conn.ensure_folder(&sent_folder)?;
    conn.append(&sent_folder, payload, &["\\Seen"])
        .map_err(|e| said!("error.context.into_sent", folder = sent_folder).because(e))?;
    Ok(())
}

/// The Sent folder (`Ctx::find_sent`), or where a first reply creates it: never a new one
/// beside an existing one.
fn sent_folder(ctx: &Ctx, conn: &mut Conn, mailbox: &Mailbox) -> anyhow::Result<String> {
    Ok(ctx.find_sent(conn, mailbox)?.folder())
}

/// After SMTP took the reply and Sent has it: `\Answered` on the customer's message, the
/// `sent` event, the status, the outbox copy removed. Every step is safe to repeat, so a
/// run cut off anywhere is finished by the next.
fn bookkeeping(
    ctx: &Ctx,
    mailbox: &Mailbox,
    conn: &mut Conn,
    cache: &mut Cache,
    env: &Envelope,
) -> anyhow::Result<()> {
    mark_answered(conn, mailbox, env)?;
    log_sent(ctx, mailbox, conn, cache, env)?;
    crate::sync::sync_mailbox_with(ctx, cache, conn, mailbox)?;
    if !env.keep_open {
        close_after_reply(ctx, mailbox, conn, cache, env)?;
    }
    if let Some(uid) = find_uid(conn, mailbox, &env.message_id)? {
        conn.expunge_uid(uid)?;
    }
    cache.forget_smtp_accepted(&env.message_id)?;
    Ok(())
}

/// `\Answered` on the customer's message, by compare-and-set where the server has it (an
/// agent's claim written meanwhile is kept); a few tries against a busy conversation.
fn mark_answered(conn: &mut Conn, mailbox: &Mailbox, env: &Envelope) -> anyhow::Result<()> {
    const TRIES: usize = 25;
    let Some(uid) = conn.find_message_id(&mailbox.imap.folder, &env.about)? else {
        return Ok(());
    };
    for _ in 0..TRIES {
        let Some((flags, modseq)) = conn.fetch_state(uid)? else {
            break;
        };
        if flags.iter().any(|f| f.eq_ignore_ascii_case("\\Answered")) {
            break;
        }
        let want = outbox::with_keyword(&flags, "\\Answered");
        let r = if conn.caps.condstore {
            conn.store_if_unchanged(uid, modseq, &want)?
        } else {
            conn.store_flags(uid, &want)?
        };
        if matches!(r, StoreResult::Applied { .. }) {
            break;
        }
    }
    Ok(())
}

/// The `sent` event in the activity log, unless an earlier run logged it already.
fn log_sent(
    ctx: &Ctx,
    mailbox: &Mailbox,
    conn: &mut Conn,
    cache: &mut Cache,
    env: &Envelope,
) -> anyhow::Result<()> {
    let log = &mailbox.imap.activity_folder;
    conn.ensure_folder(log)?;
    sync_folder(conn, cache, &ctx.team(mailbox), log, FolderRole::Activity)?;
    let logged = cache.has_event(
        &mailbox.name,
        &env.message_id,
        &env.author,
        &EventKind::Sent,
        0,
    )?;
    if !logged {
        let event = Event::new(
            EventKind::Sent,
            &env.author,
            &env.message_id,
            &env.conversation,
            format!("{} sent a reply: {}", env.author, env.subject),
        );
        append_event(ctx, conn, mailbox, &env.subject, &event)?;
    }
    Ok(())
}

/// Done on the conversation the reply answered (as it stands after the sync), for its
/// author; what stops it is told, never fatal: the reply went out either way.
fn close_after_reply(
    ctx: &Ctx,
    mailbox: &Mailbox,
    conn: &mut Conn,
    cache: &mut Cache,
    env: &Envelope,
) -> anyhow::Result<()> {
    let id = cache
        .conversation_of_message(&mailbox.name, &env.about)?
        .unwrap_or_else(|| env.conversation.clone());
    let not_done = |error: crate::Cause| {
        ctx.notify.warn(Warning::NotMarkedDone {
            id: env.conversation.clone(),
            error,
        })
    };
    match done_after_reply(ctx, Some(&mut *conn), &id, &env.author, &env.about) {
        Ok(Outcome::Won(_) | Outcome::Already { .. } | Outcome::Queued { .. }) => {}
        // A follow-up arrived after the reply's base: it keeps the conversation new.
        Ok(Outcome::Refused {
            why: tanto_core::claims::Refused::Superseded,
            ..
        }) => {}
        Ok(Outcome::Lost { winner, .. }) => {
            not_done(tanto_core::said!("warning.cause.holds_it", holder = winner).into())
        }
        Ok(Outcome::Refused { why, .. }) => not_done(why.into()),
        Err(e) => not_done(e.into()),
    }
    Ok(())
}

/// Finishes half-done sends and sends what is due, in every mailbox; returns what happened
/// to each queued reply (nothing at all for an empty outbox).
pub fn process(ctx: &Ctx) -> anyhow::Result<Vec<Sent>> {
    let mut cache = ctx.cache()?;
    let mut out = Vec::new();
    for (index, mailbox) in ctx.mailboxes() {
        let mut conn = ctx.connect(index, mailbox)?;
        out.extend(process_on(ctx, &mut cache, &mut conn, index, mailbox)?);
        conn.logout();
    }
    Ok(out)
}

/// `process` for one mailbox on a connection the caller already has (a sync's, a
/// watcher's): an empty or missing outbox costs one STATUS round trip and nothing else.
pub fn process_on(
    ctx: &Ctx,
    cache: &mut Cache,
    conn: &mut Conn,
    index: usize,
    mailbox: &Mailbox,
) -> anyhow::Result<Vec<Sent>> {
    let mut out = Vec::new();
    match conn.message_count(&mailbox.imap.outbox_folder)? {
        None | Some(0) => {
            let _ = cache.replace_outbox_seen(&mailbox.name, &[]);
            return Ok(out);
        }
        Some(_) => {}
    }
    let queued = list(conn, mailbox)?;
    let seen: Vec<OutboxSeen> = queued
        .iter()
        .map(|q| {
            let st = outbox::standing(&q.flags, q.envelope.send_at, now());
            seen_as(mailbox, &q.envelope, &st)
        })
        .collect();
    // Shown only: a cache that cannot take it costs the reader's outbox lines, not the pass.
    let _ = cache.replace_outbox_seen(&mailbox.name, &seen);
    for q in queued {
        let before = out.len();
        pass_one(ctx, cache, conn, index, mailbox, &q, &mut out)?;
        if let Some(done) = out.get(before) {
            note_seen(cache, mailbox, &q.envelope, done);
        }
    }
    Ok(out)
}

/// The outbox line the reader shows for `env` in `standing`.
pub(super) fn seen_as(mailbox: &Mailbox, env: &Envelope, standing: &Standing) -> OutboxSeen {
    OutboxSeen {
        mailbox: mailbox.name.clone(),
        message_id: env.message_id.clone(),
        conversation: env.conversation.clone(),
        author: env.author.clone(),
        standing: outbox::standing_name(standing).to_string(),
        send_at: env.send_at,
    }
}

/// Brings the cache's outbox lines up to what became of `env`.
pub(super) fn note_seen(cache: &mut Cache, mailbox: &Mailbox, env: &Envelope, sent: &Sent) {
    let _ = match sent {
        Sent::Delivered { .. } | Sent::Completed { .. } => {
            cache.forget_outbox_seen(&mailbox.name, &env.message_id)
        }
        Sent::Held { .. } => cache.put_outbox_seen(&seen_as(mailbox, env, &Standing::Held)),
        Sent::Uncertain { .. } => {
            cache.put_outbox_seen(&seen_as(mailbox, env, &Standing::Uncertain))
        }
        _ => Ok(()),
    };
}

/// What the outbox pass does with one queued reply.
fn pass_one(
    ctx: &Ctx,
    cache: &mut Cache,
    conn: &mut Conn,
    index: usize,
    mailbox: &Mailbox,
    q: &Queued,
    out: &mut Vec<Sent>,
) -> anyhow::Result<()> {
    {
        let env = &q.envelope;
        let conversation = env.conversation.clone();
        match outbox::standing(&q.flags, env.send_at, now()) {
            Standing::Sending { by } => {
                let live = cache.lease_alive(&lease_name(&env.message_id))?;
                let (host, since) = outbox::send_mark(&q.flags);
                let mut seen = outbox::SendSeen {
                    by: &by,
                    me: &ctx.config.agent.id,
                    this_host: host.is_none_or(|h| h == this_host()),
                    live_sender: live,
                    age_secs: since.map(|s| now() - s),
                    in_sent: false,
                    accepted_here: cache.smtp_accepted(&env.message_id)?,
                };
                // Sent is asked only when the answer decides something.
                if outbox::recover(&seen) != Recovery::Leave {
                    seen.in_sent = in_sent(ctx, conn, mailbox, &env.message_id)?;
                }
                match outbox::recover(&seen) {
                    Recovery::Leave => out.push(Sent::Taken { conversation, by }),
                    Recovery::FinishBookkeeping => {
                        bookkeeping(ctx, mailbox, conn, cache, env)?;
                        out.push(Sent::Completed { conversation });
                    }
                    Recovery::FinishSend => {
                        append_to_sent(ctx, conn, mailbox, &q.payload)?;
                        bookkeeping(ctx, mailbox, conn, cache, env)?;
                        out.push(Sent::Completed { conversation });
                    }
                    Recovery::MarkUncertain => {
                        conn.select(&mailbox.imap.outbox_folder, None)?;
                        let marked = outbox::with_keyword(&q.flags, outbox::KW_UNCERTAIN);
                        let at = (q.uid, env.message_id.as_str());
                        marks::cas(ctx, conn, mailbox, at, q.modseq, &marked)?;
                        out.push(Sent::Uncertain {
                            conversation,
                            reason: tanto_core::said!("outbox.cause.interrupted").into(),
                        });
                    }
                }
            }
            Standing::Due if mailbox.smtp.is_some() => {
                out.push(send_one(ctx, index, mailbox, conn, cache, &env.message_id)?);
            }
            standing => out.push(Sent::Waiting {
                conversation,
                standing,
                author: env.author.clone(),
            }),
        }
    }
    Ok(())
}

/// A supervisor's verdict on a queued reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Reject(String),
}

/// Approves (and sends) or rejects a reply waiting for approval in conversation `id`: the
/// one `reply` names (its number among the conversation's waiting replies, from 1, or its
/// Message-ID), or the only one. With several waiting and none named, nothing is decided:
/// a supervisor approves only what they read.
pub fn decide(ctx: &Ctx, id: &str, reply: Option<&str>, verdict: &Verdict) -> anyhow::Result<Sent> {
    if ctx.config.agent.role != Role::Supervisor {
        bail!(said!("error.outbox.not_supervisor"));
    }
    let mut cache = ctx.cache()?;
    let conv = cache.find_conversation(id)??;
    let (index, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
    let mut conn = ctx.connect(index, mailbox)?;
    let mut all: Vec<Queued> = list(&mut conn, mailbox)?
        .into_iter()
        .filter(|q| {
            q.envelope.conversation == conv.id
                && outbox::standing(&q.flags, 0, 0) == Standing::WaitingApproval
        })
        .collect();
    all.sort_by_key(|q| q.uid);
    let index = match reply.map(|r| r.trim().trim_start_matches('#')) {
        None if all.len() > 1 => bail!(said!(
            "error.outbox.several_awaiting",
            id = conv.id,
            count = all.len()
        )),
        None => 0,
        Some(r) => match r.parse::<usize>() {
            Ok(n) if n >= 1 => n - 1,
            _ => {
                let r = r.trim_start_matches('<').trim_end_matches('>');
                all.iter()
                    .position(|q| q.envelope.message_id == r)
                    .unwrap_or(usize::MAX)
            }
        },
    };
    if index >= all.len() {
        bail!(said!("error.outbox.none_awaiting", id = conv.id));
    }
    let waiting = all.swap_remove(index);
    let (kw, kind, text) = match verdict {
        Verdict::Approve => (
            outbox::KW_APPROVED,
            EventKind::Approve,
            format!("{} approved the reply", ctx.config.agent.id),
        ),
        Verdict::Reject(why) => (
            outbox::KW_REJECTED,
            EventKind::Reject,
            format!("{} rejected the reply: {why}", ctx.config.agent.id),
        ),
    };
    conn.select(&mailbox.imap.outbox_folder, None)?;
    let want = outbox::with_keyword(&waiting.flags, kw);
    let at = (waiting.uid, waiting.envelope.message_id.as_str());
    if let StoreResult::Modified = marks::cas(ctx, &mut conn, mailbox, at, waiting.modseq, &want)? {
        bail!(said!("error.outbox.changed_try_again", id = conv.id));
    }
    let event = Event::new(
        kind,
        &ctx.config.agent.id,
        &waiting.envelope.message_id,
        &conv.id,
        text,
    )
    .with_state(None, Some(&waiting.envelope.author));
    append_event(ctx, &mut conn, mailbox, &waiting.envelope.subject, &event)?;
    let r = match verdict {
        Verdict::Approve => send_one(
            ctx,
            index,
            mailbox,
            &mut conn,
            &mut cache,
            &waiting.envelope.message_id,
        )?,
        Verdict::Reject(_) => Sent::Waiting {
            conversation: conv.id.clone(),
            standing: Standing::Rejected,
            author: waiting.envelope.author.clone(),
        },
    };
    let team = ctx.team(mailbox);
    let _ = sync_folder(
        &mut conn,
        &mut cache,
        &team,
        &mailbox.imap.activity_folder,
        FolderRole::Activity,
    );
    conn.logout();
    Ok(r)
}

/// How a take-back ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TakeBack {
    /// Removed from the outbox before any send started: it never reaches SMTP.
    Removed,
    /// A send has started (or its fate is uncertain): it can no longer be taken back.
    TooLate { standing: Standing },
    /// Not in the outbox any more (sent, or taken back already).
    Gone,
}

/// Takes the queued reply `message_id` of `mailbox` back out of the outbox, by
/// compare-and-set against any sender: it wins only while no send has started.
/// The agent's kept copy of the reply (see `drafts`) stays, as taken back: the next reply
/// on `conversation` opens it.
pub fn take_back(
    ctx: &Ctx,
    mailbox: &str,
    conversation: &str,
    message_id: &str,
) -> anyhow::Result<TakeBack> {
    let (index, m) = ctx.mailbox_named(mailbox)?;
    let mut conn = ctx.connect(index, m)?;
    let r = take_back_on(ctx, &mut conn, m, message_id);
    conn.logout();
    if let Ok(TakeBack::Removed | TakeBack::Gone) = &r {
        if let Ok(mut cache) = ctx.cache() {
            let _ = cache.forget_outbox_seen(mailbox, message_id);
        }
    }
    if let Ok(TakeBack::Removed) = &r {
        mark_taken_back(ctx, mailbox, conversation, message_id);
    }
    r
}

/// Turns the kept copy of `message_id` into a taken-back draft (the outbox copy is gone).
fn mark_taken_back(ctx: &Ctx, mailbox: &str, conversation: &str, message_id: &str) {
    use super::drafts::{self, Why};
    let Ok(Some(mut kept)) = drafts::load(ctx, mailbox, conversation) else {
        return;
    };
    if kept.why
        == (Why::Queued {
            message_id: message_id.to_string(),
        })
    {
        kept.why = Why::TakenBack;
        if let Err(e) = drafts::keep(ctx, mailbox, conversation, &kept) {
            ctx.notify.warn(Warning::DraftNotKept { error: e.into() });
        }
    }
}

fn take_back_on(
    ctx: &Ctx,
    conn: &mut Conn,
    mailbox: &Mailbox,
    message_id: &str,
) -> anyhow::Result<TakeBack> {
    for _ in 0..5 {
        if !conn.folder_exists(&mailbox.imap.outbox_folder)? {
            return Ok(TakeBack::Gone);
        }
        let Some(uid) = find_uid(conn, mailbox, message_id)? else {
            return Ok(TakeBack::Gone);
        };
        let Some((flags, modseq)) = marks::state(conn, mailbox, uid, message_id)? else {
            return Ok(TakeBack::Gone);
        };
        let st = outbox::standing(&flags, 0, 0);
        if st == Standing::TakenBack {
            conn.expunge_uid(uid)?;
            return Ok(TakeBack::Removed);
        }
        if !outbox::may_take_back(&st) {
            return Ok(TakeBack::TooLate { standing: st });
        }
        let want = outbox::with_keyword(&flags, outbox::TAKEN_BACK);
        let won = marks::cas(ctx, conn, mailbox, (uid, message_id), modseq, &want)?;
        if let StoreResult::Modified = won {
            continue; // a sender or a supervisor moved first: look again
        }
        // Read back, as the sender does: if a send slipped in beside us, it goes out.
        let Some((now_flags, now_modseq)) = marks::state(conn, mailbox, uid, message_id)? else {
            return Ok(TakeBack::Removed);
        };
        if let st @ Standing::Sending { .. } = outbox::standing(&now_flags, 0, 0) {
            let without: Vec<String> = now_flags
                .iter()
                .filter(|f| !f.eq_ignore_ascii_case(outbox::TAKEN_BACK))
                .cloned()
                .collect();
            let _ = marks::cas(ctx, conn, mailbox, (uid, message_id), now_modseq, &without);
            return Ok(TakeBack::TooLate { standing: st });
        }
        conn.expunge_uid(uid)?;
        return Ok(TakeBack::Removed);
    }
    bail!(said!("error.outbox.kept_changing", id = message_id))
}

/// Sends the queued reply `message_id` (of `conversation` in `mailbox`) now if it is due
/// (the end of an undo window): the same compare-and-set as any other sender, so it goes out
/// once. When another sender of this agent (the watcher's outbox pass) has it or already
/// sent it, waits for that send and reports it as delivered once it is in Sent.
pub fn send_due(
    ctx: &Ctx,
    mailbox: &str,
    message_id: &str,
    conversation: &str,
) -> anyhow::Result<Sent> {
    let (index, m) = ctx.mailbox_named(mailbox)?;
    let mut conn = ctx.connect(index, m)?;
    let mut cache = ctx.cache()?;
    let me = ctx.config.agent.id.clone();
    let r = match send_one(ctx, index, m, &mut conn, &mut cache, message_id) {
        Ok(Sent::Taken { by, .. }) if by == me => {
            wait_delivered(ctx, &mut conn, m, message_id, conversation)
        }
        Err(e) if find_uid(&mut conn, m, message_id)?.is_none() => {
            if in_sent(ctx, &mut conn, m, message_id)? {
                Ok(Sent::Delivered {
                    conversation: conversation.to_string(),
                })
            } else {
                Err(e)
            }
        }
        other => other,
    };
    conn.logout();
    if let Ok(Sent::Delivered { .. } | Sent::Completed { .. }) = &r {
        let _ = cache.forget_outbox_seen(mailbox, message_id);
    }
    r
}

/// True when the Sent folder holds the message with `message_id`.
fn in_sent(
    ctx: &Ctx,
    conn: &mut Conn,
    mailbox: &Mailbox,
    message_id: &str,
) -> anyhow::Result<bool> {
    let sent = sent_folder(ctx, conn, mailbox)?;
    if !conn.folder_exists(&sent)? {
        return Ok(false);
    }
    Ok(conn.find_message_id(&sent, message_id)?.is_some())
}

/// Waits (up to 30 s) for this agent's other sender to finish `message_id`.
fn wait_delivered(
    ctx: &Ctx,
    conn: &mut Conn,
    mailbox: &Mailbox,
    message_id: &str,
    conversation: &str,
) -> anyhow::Result<Sent> {
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < until {
        if find_uid(conn, mailbox, message_id)?.is_none() {
            return Ok(if in_sent(ctx, conn, mailbox, message_id)? {
                Sent::Delivered {
                    conversation: conversation.to_string(),
                }
            } else {
                Sent::Taken {
                    conversation: conversation.to_string(),
                    by: ctx.config.agent.id.clone(),
                }
            });
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(Sent::Taken {
        conversation: conversation.to_string(),
        by: ctx.config.agent.id.clone(),
    })
}

/// A reply waiting for a supervisor, as the Approvals view lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Awaiting {
    pub mailbox: String,
    pub conversation: String,
    /// The reply's Message-ID (without brackets): what approve and reject act on.
    pub message_id: String,
    pub author: String,
    pub subject: String,
    pub rcpt: Vec<String>,
    /// The reply's text (decoded), for the supervisor to read.
    pub text: String,
}

/// Every reply waiting for approval, in every mailbox.
pub fn awaiting_approval(ctx: &Ctx) -> anyhow::Result<Vec<Awaiting>> {
    let mut out = Vec::new();
    for (index, mailbox) in ctx.mailboxes() {
        let mut conn = ctx.connect(index, mailbox)?;
        for q in list(&mut conn, mailbox)? {
            if outbox::standing(&q.flags, 0, 0) != Standing::WaitingApproval {
                continue;
            }
            out.push(Awaiting {
                mailbox: mailbox.name.clone(),
                conversation: q.envelope.conversation.clone(),
                message_id: q.envelope.message_id.clone(),
                author: q.envelope.author.clone(),
                subject: q.envelope.subject.clone(),
                rcpt: q.envelope.rcpt.clone(),
                text: tanto_mail::mime::render(&q.payload).text,
            });
        }
        conn.logout();
    }
    Ok(out)
}
