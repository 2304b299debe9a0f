//! Carrying out a coordination change (claim, release, assign, done, reopen) and notes:
//! read the state message fresh, decide with `core::claims`, write with a conditional STORE,
//! log the event in the activity folder. Connection trouble is retried with backoff; a
//! retry never applies a change twice nor logs it twice.

use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _};

use super::Ctx;
use crate::activity::{self, Event};
use crate::cache::{Cache, ConversationRow, FolderRole, StateMessage, Team};
use crate::config::{Mailbox, Role};
use crate::core::claims::{self, Action, Actor, Observed, Outcome, Policy, Refusal, StoreResult};
use crate::core::model::FlagUpdate;
use crate::core::status;
use crate::imap::sync::{sync_folder, SyncError};
use crate::imap::{Conn, ImapError};

/// How an action ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acted {
    /// Written; the line says what happened.
    Done(String),
    /// Nothing to write: it already was so.
    Already(String),
    /// Someone else holds the conversation.
    Lost { winner: String, line: String },
}

/// How long connection trouble is retried before giving up.
const RETRY_FOR: Duration = Duration::from_secs(45);

use crate::clock::now;

/// True when the error is the network's, so that trying again may work.
pub fn is_transient(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<ImapError>()
            .is_some_and(ImapError::is_transient)
            || matches!(c.downcast_ref::<SyncError>(), Some(SyncError::Imap(i)) if i.is_transient())
    })
}

/// True when an open connection was dropped (as opposed to a server that cannot be reached).
pub fn is_dropped(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(c.downcast_ref::<ImapError>(), Some(ImapError::Lost { .. }))
            || matches!(
                c.downcast_ref::<SyncError>(),
                Some(SyncError::Imap(ImapError::Lost { .. }))
            )
    })
}

/// Runs `f` again on connection trouble, with backoff, for up to `RETRY_FOR`.
pub fn with_retry<T>(what: &str, f: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<T> {
    retry_while(what, is_transient, f)
}

/// Runs `f` again while `retryable` says so of its error, with backoff, for up to `RETRY_FOR`.
pub fn retry_while<T>(
    what: &str,
    retryable: fn(&anyhow::Error) -> bool,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let started = Instant::now();
    let mut wait = Duration::from_millis(200);
    loop {
        match f() {
            Err(e) if retryable(&e) && started.elapsed() < RETRY_FOR => {
                eprintln!(
                    "tanto: {what}: {}; retrying in {:.1}s",
                    crate::sanitize::single_line(&format!("{e:#}")),
                    wait.as_secs_f32()
                );
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
}

fn mailbox_of<'a>(ctx: &'a Ctx, conv: &ConversationRow) -> anyhow::Result<(usize, &'a Mailbox)> {
    ctx.mailboxes()
        .find(|(_, m)| m.name == conv.mailbox)
        .ok_or_else(|| {
            anyhow!(
                "conversation {} belongs to mailbox {:?}, which is not in the config",
                conv.id,
                conv.mailbox
            )
        })
}

/// Carries out `action` on the conversation `id` (or a unique prefix).
pub fn perform(ctx: &Ctx, id: &str, action: &Action) -> anyhow::Result<Acted> {
    let mut cache = ctx.cache()?;
    let conv = cache.find_conversation(id)??;
    let (index, mailbox) = mailbox_of(ctx, &conv)?;
    let mut attempted = false;
    with_retry(action.verb(), || {
        let mut conn = ctx.connect(index, mailbox)?;
        let r = attempt(
            ctx,
            &mut conn,
            &mut cache,
            mailbox,
            &conv,
            action,
            &mut attempted,
        );
        conn.logout();
        r
    })
}

fn attempt(
    ctx: &Ctx,
    conn: &mut Conn,
    cache: &mut Cache,
    mailbox: &Mailbox,
    conv: &ConversationRow,
    action: &Action,
    attempted: &mut bool,
) -> anyhow::Result<Acted> {
    let team = ctx.team(mailbox);
    // A fresh view first: a newer customer message changes which message holds the state,
    // and recent events decide whether a claim is stale.
    sync_folder(conn, cache, &team, &mailbox.imap.folder, FolderRole::Inbox)?;
    sync_folder(
        conn,
        cache,
        &team,
        &mailbox.imap.activity_folder,
        FolderRole::Activity,
    )?;
    let conv = cache
        .find_conversation(&conv.id)?
        .unwrap_or_else(|_| conv.clone());
    let state = cache
        .state_message(&conv.mailbox, &conv.id)?
        .ok_or_else(|| anyhow!("conversation {} has no customer message to act on", conv.id))?;
    // The log must be writable before any keyword changes: a change that cannot be logged
    // would leave the conversation claimed with nobody told.
    conn.ensure_folder(&mailbox.imap.activity_folder)?;
    let info = conn.select(&state.folder, None)?;
    let actor = Actor {
        id: ctx.config.agent.id.clone(),
        supervisor: ctx.config.agent.role == Role::Supervisor,
    };
    let policy = Policy {
        stale_claim_hours: ctx.config.team.stale_claim_hours,
    };
    let last = cache
        .last_event_at(&conv.mailbox, &conv.id)?
        .unwrap_or(state.received);
    let mut saw_modified = false;
    for _ in 0..25 {
        let (flags, modseq) = conn.fetch_state(state.uid)?.ok_or_else(|| {
            anyhow!(
                "the message of conversation {} is gone from the server; run `tanto sync`",
                conv.id
            )
        })?;
        let seen = Observed {
            flags: flags.clone(),
            modseq,
            rules_noise: state.rules_noise,
            idle_secs: now() - last,
        };
        let plan = match claims::plan(action, &seen, &actor, &policy) {
            Ok(p) => p,
            Err(Refusal::HeldBy(winner)) => {
                let line = format!("{} is already claimed by {winner}", conv.id);
                return Ok(Acted::Lost { winner, line });
            }
            Err(Refusal::NotAllowed(why)) => {
                // Someone else's change made our STORE fail and now holds it: a lost race.
                if saw_modified {
                    if let Some(winner) = status::owner(&flags).filter(|o| *o != actor.id) {
                        let line = format!("{} was just taken by {winner}", conv.id);
                        return Ok(Acted::Lost { winner, line });
                    }
                }
                bail!("cannot {} {}: {why}", action.verb(), conv.id)
            }
            Err(Refusal::AlreadySo(what)) => {
                // A retry after a lost connection lands here when the write went through:
                // make sure the log has it, once.
                ensure_logged(
                    ctx, conn, cache, &team, mailbox, &conv, &state, &flags, action,
                )?;
                let line = format!("{}: {what}", conv.id);
                return Ok(if *attempted {
                    Acted::Done(line)
                } else {
                    Acted::Already(line)
                });
            }
        };
        for kw in plan.flags.iter().filter(|f| !f.starts_with('\\')) {
            if !info.custom_keywords()
                && !info
                    .permanent_flags
                    .iter()
                    .any(|p| p.eq_ignore_ascii_case(kw))
            {
                bail!(
                    "the server does not let clients create the keyword {kw} in {} (no \\* in PERMANENTFLAGS); tanto cannot store claims there: see `tanto doctor`",
                    state.folder
                );
            }
        }
        *attempted = true;
        let result = if conn.caps.condstore {
            conn.store_if_unchanged(state.uid, plan.unchanged_since, &plan.flags)?
        } else {
            store_under_lock(conn, cache, &conv, &state, &seen, &plan.flags)?
        };
        match claims::interpret(&result) {
            Outcome::Retry => {
                // A definite answer: our write did not happen.
                *attempted = false;
                saw_modified = true;
                continue;
            }
            Outcome::Won { modseq } => {
                let new_flags = match result {
                    StoreResult::Applied { flags, .. } => flags,
                    StoreResult::Modified => plan.flags.clone(),
                };
                // A server at its keyword cap may accept the STORE and drop the keyword.
                if let Some(lost) = plan
                    .flags
                    .iter()
                    .find(|f| !new_flags.iter().any(|n| n.eq_ignore_ascii_case(f)))
                {
                    bail!(
                        "the server accepted the change to {} but did not keep the keyword {lost} (a cap on keywords per folder?); see `tanto doctor`",
                        conv.id
                    );
                }
                cache.update_flags(
                    &team,
                    state.folder_id,
                    &[FlagUpdate {
                        uid: state.uid,
                        modseq,
                        flags: new_flags,
                    }],
                )?;
                let text = activity::describe(
                    plan.event,
                    &actor.id,
                    plan.owner.as_deref(),
                    plan.displaced.as_deref(),
                );
                let event = Event {
                    kind: plan.event.to_string(),
                    agent: actor.id.clone(),
                    about: state.key.clone(),
                    conversation: conv.id.clone(),
                    status: Some(plan.status.as_str().to_string()),
                    owner: plan.owner.clone(),
                    at: now(),
                    text: text.clone(),
                };
                log_event(ctx, conn, cache, &team, mailbox, &conv, &event)?;
                return Ok(Acted::Done(format!(
                    "{}: {text} (now {})",
                    conv.id,
                    plan.status.as_str()
                )));
            }
        }
    }
    bail!(
        "conversation {} kept changing while tanto tried to {} it; try again",
        conv.id,
        action.verb()
    )
}

/// Without CONDSTORE: serialize through a lease in the shared cache (covers this host only).
fn store_under_lock(
    conn: &mut Conn,
    cache: &mut Cache,
    conv: &ConversationRow,
    state: &StateMessage,
    seen: &Observed,
    flags: &[String],
) -> anyhow::Result<StoreResult> {
    let lease = cache
        .acquire(
            &format!("claim:{}:{}", conv.mailbox, state.uid),
            Duration::from_secs(30),
            Duration::from_secs(10),
        )?
        .ok_or_else(|| {
            anyhow!(
                "another tanto on this host holds the lock on {}; try again",
                conv.id
            )
        })?;
    // Under the lock, check that nothing changed since the decision.
    let result = match conn.fetch_state(state.uid) {
        Ok(Some((now_flags, _))) if now_flags == seen.flags => conn.store_flags(state.uid, flags),
        Ok(_) => Ok(StoreResult::Modified),
        Err(e) => Err(e),
    };
    cache.release(lease)?;
    Ok(result?)
}

/// Appends an event to the activity folder (created on first use) and brings it into the cache.
fn log_event(
    ctx: &Ctx,
    conn: &mut Conn,
    cache: &mut Cache,
    team: &Team,
    mailbox: &Mailbox,
    conv: &ConversationRow,
    event: &Event,
) -> anyhow::Result<()> {
    let raw = activity::build(
        event,
        &mailbox.address,
        &ctx.config.agent.name,
        &conv.subject,
    )
    .map_err(|e| anyhow!(e))?;
    let folder = &mailbox.imap.activity_folder;
    conn.ensure_folder(folder)?;
    conn.append(folder, &raw, &["\\Seen"])
        .with_context(|| format!("logging the event in {folder}"))?;
    sync_folder(conn, cache, team, folder, FolderRole::Activity)?;
    Ok(())
}

/// After a retry found the change already made: log it unless the log's last event about
/// this message already says so.
#[allow(clippy::too_many_arguments)]
fn ensure_logged(
    ctx: &Ctx,
    conn: &mut Conn,
    cache: &mut Cache,
    team: &Team,
    mailbox: &Mailbox,
    conv: &ConversationRow,
    state: &StateMessage,
    flags: &[String],
    action: &Action,
) -> anyhow::Result<()> {
    let status_now = status::status_of(flags, state.rules_noise)
        .as_str()
        .to_string();
    let owner_now = status::owner(flags);
    let folder = &mailbox.imap.activity_folder;
    let logged = if conn.folder_exists(folder)? {
        conn.select(folder, None)?;
        let uids = conn.search_header(activity::H_ABOUT, &state.key)?;
        match uids.last() {
            Some(&uid) => conn
                .fetch_header_fields(uid, "X-TANTO-STATUS X-TANTO-OWNER")?
                .map(|h| {
                    activity::header_value(&h, activity::H_STATUS).as_deref()
                        == Some(status_now.as_str())
                        && activity::header_value(&h, activity::H_OWNER) == owner_now
                })
                .unwrap_or(false),
            None => false,
        }
    } else {
        false
    };
    if logged {
        return Ok(());
    }
    let kind = action.verb();
    let agent = &ctx.config.agent.id;
    let event = Event {
        kind: kind.to_string(),
        agent: agent.clone(),
        about: state.key.clone(),
        conversation: conv.id.clone(),
        status: Some(status_now),
        owner: owner_now.clone(),
        at: now(),
        text: activity::describe(kind, agent, owner_now.as_deref(), None),
    };
    log_event(ctx, conn, cache, team, mailbox, conv, &event)
}

/// Appends an internal note to a conversation.
pub fn note(ctx: &Ctx, id: &str, text: &str) -> anyhow::Result<String> {
    if text.trim().is_empty() {
        bail!("the note is empty; pass the text with -m");
    }
    let mut cache = ctx.cache()?;
    let conv = cache.find_conversation(id)??;
    let (index, mailbox) = mailbox_of(ctx, &conv)?;
    let about = match cache.state_message(&conv.mailbox, &conv.id)? {
        Some(s) => s.key,
        None => cache
            .messages(&conv.mailbox, &conv.id)?
            .first()
            .and_then(|m| m.message_id.clone())
            // Never an empty X-Tanto-About: readers match on X-Tanto-Conversation then.
            .unwrap_or_else(|| format!("{}@tanto.invalid", conv.id)),
    };
    let event = Event {
        kind: "note".into(),
        agent: ctx.config.agent.id.clone(),
        about,
        conversation: conv.id.clone(),
        status: None,
        owner: None,
        at: now(),
        text: text.to_string(),
    };
    // A note is an APPEND: retrying after a lost answer could log it twice, so only a
    // failure to connect (nothing sent yet) is retried.
    let mut conn = with_retry("note", || ctx.connect(index, mailbox))?;
    let team = ctx.team(mailbox);
    log_event(ctx, &mut conn, &mut cache, &team, mailbox, &conv, &event)?;
    conn.logout();
    Ok(format!("{}: note added by {}", conv.id, event.agent))
}
