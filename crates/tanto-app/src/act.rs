//! Carrying out a coordination change (claim, take-over, release, assign, done, reopen):
//! read the state message fresh, decide with `core::claims`, write with a conditional STORE,
//! log the event in the activity folder. Connection trouble is retried with backoff; a retry
//! never applies a change twice nor logs it twice.
//!
//! The STORE that wins is the commit point: from then on the event is appended whatever
//! happens to the local cache (a cache that could not be written is repaired by the next
//! sync, and the front end is warned).

use tanto_core::said;

use anyhow::{anyhow, bail};

use super::outcome::Retried;
use super::retry::with_retry;
use super::Ctx;
use super::Warning;
use crate::config::{Mailbox, Role};
use tanto_core::claims::{
    self, Action, Actor, Decision, Observed, Outcome as StoreOutcome, Plan, Policy, Refused,
    StoreResult,
};
use tanto_core::clock::now;
use tanto_core::model::FlagUpdate;
use tanto_core::status::{self, Status};
use tanto_mail::activity::{self, Event};
use tanto_mail::cache::{Cache, ConversationRow, FolderRole, StateMessage, Team};
use tanto_mail::imap::sync::sync_folder;
use tanto_mail::imap::Conn;

pub use super::outcome::{Outcome, Won};

/// Carries out `action` on the conversation `id` (or a unique prefix).
pub fn perform(ctx: &Ctx, id: &str, action: &Action) -> anyhow::Result<Outcome> {
    perform_as(ctx, id, action, me(ctx), None, None)
}

/// `perform` on a connection the caller holds (no login of its own; a retry after
/// connection trouble logs in anew).
pub(super) fn perform_on(
    ctx: &Ctx,
    conn: &mut Conn,
    id: &str,
    action: &Action,
) -> anyhow::Result<Outcome> {
    perform_as(ctx, id, action, me(ctx), None, Some(conn))
}

/// `perform_on` whose event says `text` (why it was done: an automatic close) instead of
/// the action's own sentence.
pub(super) fn perform_noted(
    ctx: &Ctx,
    conn: &mut Conn,
    id: &str,
    action: &Action,
    text: String,
) -> anyhow::Result<Outcome> {
    perform_run(ctx, id, action, me(ctx), None, Some(conn), Some(text))
}

fn me(ctx: &Ctx) -> Actor {
    Actor {
        id: ctx.config.agent.id.clone(),
        supervisor: ctx.config.agent.role == Role::Supervisor,
    }
}

/// Like `perform`, for a person at the keyboard: when the server cannot be reached at all,
/// the action goes to the offline journal (`Outcome::Queued`) instead of failing.
pub fn perform_or_queue(ctx: &Ctx, id: &str, action: &Action) -> anyhow::Result<Outcome> {
    let conv = ctx.cache()?.find_conversation(id)??;
    let (index, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
    match ctx.session(index, mailbox) {
        Ok(mut conn) => {
            let r = perform_as(ctx, &conv.id, action, me(ctx), None, Some(&mut conn));
            ctx.session_done(index, conn, r.is_ok());
            r
        }
        // Only what the journal can hold whole (it reads the action back the same).
        Err(e)
            if super::retry::is_transient(&e)
                && super::offline::What::of(action).action().as_ref() == Some(action) =>
        {
            super::offline::queue(ctx, &conv, super::offline::What::of(action))?;
            Ok(Outcome::Queued {
                conversation: conv.id,
            })
        }
        Err(e) => Err(e),
    }
}

/// Marks a conversation done after `author`'s reply to the message `about` went out,
/// whichever process sent it: as the author (who held it when it was sent), and only while
/// `about` still holds the conversation's state. A newer message (a customer's follow-up)
/// is refused as `Superseded`: the conversation stays as that one says (new).
pub(super) fn done_after_reply(
    ctx: &Ctx,
    conn: Option<&mut Conn>,
    id: &str,
    author: &str,
    about: &str,
) -> anyhow::Result<Outcome> {
    // The author's done, whoever sent it; someone who took the conversation since keeps it.
    let actor = Actor {
        id: author.to_string(),
        supervisor: false,
    };
    perform_as(ctx, id, &Action::Done, actor, Some(about.to_string()), conn)
}

fn perform_as(
    ctx: &Ctx,
    id: &str,
    action: &Action,
    actor: Actor,
    expect_state: Option<String>,
    first: Option<&mut Conn>,
) -> anyhow::Result<Outcome> {
    perform_run(
        ctx,
        id,
        action,
        actor,
        expect_state,
        first,
        action.event_text(),
    )
}

fn perform_run(
    ctx: &Ctx,
    id: &str,
    action: &Action,
    actor: Actor,
    expect_state: Option<String>,
    mut first: Option<&mut Conn>,
    text: Option<String>,
) -> anyhow::Result<Outcome> {
    let mut cache = ctx.cache()?;
    let conv = cache.find_conversation(id)??;
    let (index, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
    let mut run = Run {
        ctx,
        mailbox,
        team: ctx.team(mailbox),
        actor,
        started: now(),
        pending: None,
        expect_state,
        text,
    };
    with_retry(&ctx.notify, Retried::Action(action.clone()), || {
        // The caller's connection first; after trouble on it, a new one.
        if let Some(c) = first.take() {
            return run.attempt(c, &mut cache, &conv, action);
        }
        let mut conn = ctx.session(index, mailbox)?;
        let r = run.attempt(&mut conn, &mut cache, &conv, action);
        ctx.session_done(index, conn, r.is_ok());
        r
    })
}

/// One `perform`, across its retries.
struct Run<'a> {
    ctx: &'a Ctx,
    mailbox: &'a Mailbox,
    team: Team,
    actor: Actor,
    /// When the action started (an event of ours logged since then is this action's).
    started: i64,
    /// A plan whose STORE was sent without a definite answer: if a retry finds the change
    /// made, this is what to log.
    pending: Option<Plan>,
    /// The key of the message the action is for; another state message refuses it.
    expect_state: Option<String>,
    /// What the event says beyond its kind: a wait's reason, a snooze's time and reason.
    text: Option<String>,
}

impl Run<'_> {
    fn attempt(
        &mut self,
        conn: &mut Conn,
        cache: &mut Cache,
        conv: &ConversationRow,
        action: &Action,
    ) -> anyhow::Result<Outcome> {
        let inbox = &self.mailbox.imap.folder;
        let log_folder = &self.mailbox.imap.activity_folder;
        // A fresh view first: a newer customer message changes which message holds the
        // state. The log is read where it decides (below), or where it says how old
        // someone else's claim is.
        sync_folder(conn, cache, &self.team, inbox, FolderRole::Inbox)?;
        let conv = cache
            .find_conversation(&conv.id)?
            .unwrap_or_else(|_| conv.clone());
        let state = cache
            .state_message(&conv.mailbox, &conv.id)?
            .ok_or_else(|| anyhow!(said!("error.act.no_message", id = conv.id)))?;
        if self
            .expect_state
            .as_ref()
            .is_some_and(|k| *k != state.key && self.pending.is_none())
        {
            return Ok(Outcome::Refused {
                conversation: conv.id.clone(),
                why: Refused::Superseded,
            });
        }
        // The inbox's SELECT of the sync just above serves (no second SELECT).
        let info = conn.select_if_needed(&state.folder)?;
        may_write(conn, &info, &state.folder)?;
        if by_log(conn, &info) {
            sync_folder(conn, cache, &self.team, log_folder, FolderRole::Activity)?;
            // The log must be writable before anything changes on the server (its sync's
            // STATUS already told that it exists: no LIST then).
            conn.ensure_folder(log_folder)?;
            return self.attempt_by_log(conn, cache, &conv, &state, action, &info);
        }
        // The log exists when the cache has read it (a folder deleted since is created
        // again when the event's APPEND is refused); else made sure of before any change.
        let log_known = cache
            .folder(&conv.mailbox, log_folder, FolderRole::Activity)?
            .uidvalidity
            .is_some();
        if log_known {
            conn.assume_exists(log_folder)?;
        } else {
            conn.ensure_folder(log_folder)?;
        }
        let policy = Policy {
            stale_claim_hours: self.ctx.config.team.stale_claim_hours,
        };
        let mut raced = false;
        // The status our last write set, when a read-back showed another write beside it.
        let mut interfered: Option<Status> = None;
        // A keyword of ours the server did not keep on the last write.
        let mut dropped: Option<String> = None;
        // The log was read after the last time someone else's write was seen (not yet:
        // the cache's copy serves unless it could make the holder's claim stale).
        let mut log_fresh = false;
        // The first try uses the flags and MODSEQ the sync just read on this connection: a
        // change since then fails the compare-and-set, and the next try reads afresh.
        let mut warm =
            (conn.caps.condstore && state.modseq > 0).then(|| (state.flags.clone(), state.modseq));
        for _ in 0..25 {
            let (flags, modseq) = match warm.take() {
                Some(known) => known,
                None => conn
                    .fetch_state(state.uid)?
                    .ok_or_else(|| anyhow!(said!("error.act.message_gone", id = conv.id)))?,
            };
            let holder_idle_secs = match status::owner(&flags) {
                Some(h) if h != self.actor.id => {
                    let idle = holder_idle(cache, &conv, &h)?;
                    // A log behind the server can only make a claim look older than it
                    // is: a claim it shows as recent is, and then it serves.
                    let stale_at = i64::from(policy.stale_claim_hours) * 3600;
                    if !log_fresh && idle.is_none_or(|s| s >= stale_at) {
                        // Staleness comes from the server's log, never from a stale view:
                        // read it again, then the message again (it may have moved on).
                        sync_folder(conn, cache, &self.team, log_folder, FolderRole::Activity)?;
                        conn.select(&state.folder, None)?;
                        log_fresh = true;
                        continue;
                    }
                    idle
                }
                _ => None,
            };
            let seen = Observed {
                flags: flags.clone(),
                modseq,
                rules_noise: state.rules_noise,
                holder_idle_secs,
            };
            let plan = match claims::decide(action, &seen, &self.actor, &policy, raced) {
                Decision::Write(plan) => plan,
                Decision::Lost { winner, idle_secs } => {
                    if let Some(ours) = interfered {
                        self.take_back(conn, &conv, state.uid, &flags, modseq, ours);
                    }
                    return Ok(Outcome::Lost {
                        conversation: conv.id.clone(),
                        winner,
                        idle_secs,
                    });
                }
                Decision::Refused(why) => {
                    return Ok(Outcome::Refused {
                        conversation: conv.id.clone(),
                        why,
                    })
                }
                Decision::Already(what) => {
                    // After a write of unknown fate (the connection dropped before its
                    // answer), "already so" means ours went through: log it, once.
                    if let Some(plan) = self.pending.clone() {
                        let about = match self.carry_over(conn, cache, &conv, &state, &plan)? {
                            Carried::Stays => state.key.clone(),
                            Carried::To(key) => key,
                            // The older message holds nothing any more: the newer one's
                            // owner has it.
                            Carried::Conflict(winner) => {
                                self.pending = None;
                                return Ok(Outcome::Lost {
                                    conversation: conv.id.clone(),
                                    winner,
                                    idle_secs: None,
                                });
                            }
                        };
                        self.ensure_logged(conn, cache, &conv, &about, &plan)?;
                        self.pending = None;
                        return Ok(Outcome::Won(self.won(&conv, &plan)));
                    }
                    return Ok(Outcome::Already {
                        conversation: conv.id.clone(),
                        what,
                    });
                }
            };
            check_keywords_allowed(conn, &info, &plan, &state)?;
            self.pending = Some(plan.clone());
            // Only with CONDSTORE (`by_log` takes the rest). The read-back rides along.
            let (result, read_back) =
                conn.store_if_unchanged_and_read(state.uid, plan.unchanged_since, &plan.flags)?;
            match claims::interpret(result) {
                StoreOutcome::Retry => {
                    // A definite answer: our write did not happen. The next try decides on
                    // what the read-back found.
                    self.pending = None;
                    raced = true;
                    log_fresh = false;
                    warm = read_back;
                }
                StoreOutcome::Won {
                    flags: new_flags,
                    modseq,
                } => {
                    // Read back: a server may let a conflicting write through next to
                    // ours (or over it); then decide again from what holds, as after a
                    // lost race.
                    let now = read_back
                        .map(|(f, _)| f)
                        .unwrap_or_else(|| new_flags.clone());
                    if !claims::confirmed(&plan.flags, &now) {
                        // A server at its keyword cap accepts the STORE and drops the
                        // keyword: the same keyword missing twice with nobody else's write
                        // in sight is that, not a race.
                        let lost = plan
                            .flags
                            .iter()
                            .find(|f| !now.iter().any(|n| n.eq_ignore_ascii_case(f)))
                            .cloned();
                        let others = status::owners(&now)
                            .into_iter()
                            .any(|o| plan.owner.as_deref() != Some(o.as_str()));
                        if let (Some(lost), false) = (&lost, others) {
                            if dropped.as_ref() == Some(lost) {
                                bail!(said!(
                                    "error.act.keyword_dropped",
                                    id = conv.id,
                                    keyword = lost
                                ));
                            }
                        }
                        dropped = lost;
                        interfered = Some(plan.status);
                        self.pending = None;
                        raced = true;
                        log_fresh = false;
                        continue;
                    }
                    self.cache_flags(cache, &state, &new_flags, modseq);
                    let about = match self.carry_over(conn, cache, &conv, &state, &plan)? {
                        Carried::Stays => state.key.clone(),
                        Carried::To(key) => key,
                        Carried::Conflict(winner) => {
                            self.pending = None;
                            // Give the older message its flags back (best effort: it no
                            // longer holds the state, so it decides nothing either way).
                            let undone = conn.select(&state.folder, None).and_then(|_| {
                                conn.store_if_unchanged(state.uid, modseq, &seen.flags)
                            });
                            if let Err(e) = undone {
                                self.ctx.notify.warn(Warning::ClaimNotUndone {
                                    id: conv.id.clone(),
                                    error: e.into(),
                                });
                            }
                            return Ok(Outcome::Lost {
                                conversation: conv.id.clone(),
                                winner,
                                idle_secs: None,
                            });
                        }
                    };
                    let event = self.event_for(&conv, &plan, about);
                    self.log_event(conn, cache, &conv, &event)?;
                    self.pending = None;
                    return Ok(Outcome::Won(self.won(&conv, &plan)));
                }
            }
        }
        bail!(said!(
            "error.act.kept_changing",
            id = conv.id,
            action = action.verb()
        ))
    }

    /// The change as a record appended to the log (`core::log`), for servers without a
    /// compare-and-set on flags or without custom keywords: it holds when the record stands,
    /// which every agent reads alike from the log's order. Where keywords can be stored,
    /// the winner writes them too, as a mirror for other mail clients.
    fn attempt_by_log(
        &mut self,
        conn: &mut Conn,
        cache: &mut Cache,
        conv: &ConversationRow,
        state: &StateMessage,
        action: &Action,
        info: &tanto_mail::imap::SelectInfo,
    ) -> anyhow::Result<Outcome> {
        let log_folder = self.mailbox.imap.activity_folder.clone();
        let policy = Policy {
            stale_claim_hours: self.ctx.config.team.stale_claim_hours,
        };
        let mut raced = false;
        for _ in 0..25 {
            let standing = cache.log_state(&conv.mailbox, &conv.id)?;
            let flags = match &standing {
                Some(ls) => tanto_core::log::effective_flags(
                    &state.flags,
                    (ls.about == state.key).then_some((ls.status, ls.owner.as_deref())),
                    state.rules_noise,
                ),
                None => state.flags.clone(),
            };
            let holder_idle_secs = match status::owner(&flags) {
                Some(h) if h != self.actor.id => holder_idle(cache, conv, &h)?,
                _ => None,
            };
            let seen = Observed {
                flags,
                modseq: 0,
                rules_noise: state.rules_noise,
                holder_idle_secs,
            };
            let plan = match claims::decide(action, &seen, &self.actor, &policy, raced) {
                Decision::Write(plan) => plan,
                Decision::Lost { winner, idle_secs } => {
                    self.pending = None;
                    return Ok(Outcome::Lost {
                        conversation: conv.id.clone(),
                        winner,
                        idle_secs,
                    });
                }
                Decision::Refused(why) => {
                    return Ok(Outcome::Refused {
                        conversation: conv.id.clone(),
                        why,
                    })
                }
                Decision::Already(what) => {
                    // A record of ours whose APPEND answer was lost, standing: ours.
                    if let Some(plan) = self.pending.take() {
                        return Ok(Outcome::Won(self.won(conv, &plan)));
                    }
                    return Ok(Outcome::Already {
                        conversation: conv.id.clone(),
                        what,
                    });
                }
            };
            let validity = log_validity(conn, cache, &conv.mailbox, &log_folder)?;
            let base = tanto_core::log::base_value(validity, standing.map_or(0, |ls| ls.uid));
            let event = self
                .event_for(conv, &plan, state.key.clone())
                .with_base(base.clone());
            self.pending = Some(plan.clone());
            if let Some(ours) = self.append_record(conn, cache, conv, &log_folder, &event, &base)? {
                self.pending = None;
                let to = LogPlace {
                    folder: &log_folder,
                    validity,
                    ours,
                };
                if let Carried::Conflict(winner) =
                    self.carry_by_log(conn, cache, conv, state, &plan, &to)?
                {
                    return Ok(Outcome::Lost {
                        conversation: conv.id.clone(),
                        winner,
                        idle_secs: None,
                    });
                }
                if info.custom_keywords() && !keyword_budget_spent(info) {
                    // Best effort: readers of the log never read the mirror.
                    let _ = conn
                        .select(&state.folder, None)
                        .and_then(|_| conn.store_flags(state.uid, &plan.flags));
                }
                return Ok(Outcome::Won(self.won(conv, &plan)));
            }
            // Another record stood first: decide again on it.
            self.pending = None;
            raced = true;
        }
        bail!(said!(
            "error.act.kept_changing",
            id = conv.id,
            action = action.verb()
        ))
    }

    /// Syncs the inbox and returns the conversation's state message when it is no longer
    /// `state` (a customer wrote meanwhile). None also when the inbox could not be read for a
    /// lasting reason (warned); a passing one is an error, so that the action is retried.
    fn newer_arrival(
        &self,
        conn: &mut Conn,
        cache: &mut Cache,
        conv: &ConversationRow,
        state: &StateMessage,
    ) -> anyhow::Result<Option<StateMessage>> {
        if let Err(e) = sync_folder(
            conn,
            cache,
            &self.team,
            &self.mailbox.imap.folder,
            FolderRole::Inbox,
        ) {
            let e = anyhow::Error::new(e);
            if super::retry::is_transient(&e) {
                // Retried as a whole: the retry finds the change made and comes back here.
                return Err(said!("error.context.arrivals").because(e).into());
            }
            self.ctx.notify.warn(Warning::ArrivalsNotChecked);
            return Ok(None);
        }
        Ok(match cache.state_message(&conv.mailbox, &conv.id) {
            Ok(Some(s)) if (s.folder_id, s.uid) != (state.folder_id, state.uid) => Some(s),
            _ => None,
        })
    }

    /// Appends a log record (`event`, decided on `base`) and reads the log up to it: its
    /// UID when it stands, None when it is void (another record landed first on that base).
    fn append_record(
        &self,
        conn: &mut Conn,
        cache: &mut Cache,
        conv: &ConversationRow,
        log_folder: &str,
        event: &Event,
        base: &str,
    ) -> anyhow::Result<Option<u32>> {
        let uid = append_event(self.ctx, conn, self.mailbox, &conv.subject, event)?;
        // The log up to our record: whether it stands is decided there.
        sync_folder(conn, cache, &self.team, log_folder, FolderRole::Activity)?;
        let uid = match uid {
            Some(u) => Some(u),
            None => cache.record_of(&conv.mailbox, log_folder, (&conv.id, &self.actor.id, base))?,
        };
        Ok(match uid {
            Some(u) if cache.record_void(log_folder, &conv.mailbox, u)? == Some(false) => Some(u),
            _ => None,
        })
    }

    /// `carry_over` where the log decides: after our record stood, a customer message that
    /// arrived meanwhile holds the conversation's state (new); a claim is put on it by a
    /// record decided on ours, so that whoever claimed the new message first (on our record
    /// as their base) has it and we are told, never both.
    fn carry_by_log(
        &self,
        conn: &mut Conn,
        cache: &mut Cache,
        conv: &ConversationRow,
        state: &StateMessage,
        plan: &Plan,
        log: &LogPlace<'_>,
    ) -> anyhow::Result<Carried> {
        if plan.status != Status::Wip {
            return Ok(Carried::Stays);
        }
        let inbox = &self.mailbox.imap.folder;
        let synced_next = cache
            .folder(&conv.mailbox, inbox, FolderRole::Inbox)?
            .uidnext;
        let now_next = conn.folder_status(inbox)?.and_then(|s| s.uidnext);
        if now_next.is_some() && now_next == synced_next {
            return Ok(Carried::Stays);
        }
        let Some(newer) = self.newer_arrival(conn, cache, conv, state)? else {
            return Ok(Carried::Stays);
        };
        let base = tanto_core::log::base_value(log.validity, log.ours);
        let event = self
            .event_for(conv, plan, newer.key.clone())
            .with_base(base.clone());
        if self
            .append_record(conn, cache, conv, log.folder, &event, &base)?
            .is_some()
        {
            return Ok(Carried::To(newer.key));
        }
        let winner = cache
            .log_state(&conv.mailbox, &conv.id)?
            .and_then(|ls| ls.owner)
            .unwrap_or_default();
        Ok(Carried::Conflict(winner))
    }

    /// After a lost race in which the server let our write through beside the winner's:
    /// take back what contradicts the winner (best effort: the winner reads as owner either
    /// way, being first in order).
    fn take_back(
        &self,
        conn: &mut Conn,
        conv: &ConversationRow,
        uid: u32,
        flags: &[String],
        modseq: u64,
        ours: Status,
    ) {
        let Some(kept) = claims::take_back(flags, &self.actor.id, ours) else {
            return;
        };
        if let Err(e) = conn.store_if_unchanged(uid, modseq, &kept) {
            self.ctx.notify.warn(Warning::DoubleNotTakenBack {
                id: conv.id.clone(),
                error: e.into(),
            });
        }
    }

    fn won(&self, conv: &ConversationRow, plan: &Plan) -> Won {
        Won {
            conversation: conv.id.clone(),
            agent: self.actor.id.clone(),
            event: plan.event.clone(),
            status: plan.status,
            owner: plan.owner.clone(),
            displaced: plan.displaced.clone(),
        }
    }

    /// The one place an event of a coordination change is built.
    fn event_for(&self, conv: &ConversationRow, plan: &Plan, about: String) -> Event {
        let text = self.text.clone().unwrap_or_else(|| {
            activity::describe(
                &plan.event,
                &self.actor.id,
                plan.owner.as_deref(),
                plan.displaced.as_deref(),
            )
        });
        Event::new(plan.event.clone(), &self.actor.id, &about, &conv.id, text)
            .with_state(Some(plan.status.as_str()), plan.owner.as_deref())
    }

    /// Writes won flags into the cache; a failure only warns (the server has the truth and
    /// the next sync repairs the cache).
    fn cache_flags(&self, cache: &mut Cache, state: &StateMessage, flags: &[String], modseq: u64) {
        let update = FlagUpdate {
            uid: state.uid,
            modseq,
            flags: flags.to_vec(),
        };
        if let Err(e) = cache.update_flags(&self.team, state.folder_id, &[update]) {
            let error = e.into();
            self.ctx.notify.warn(Warning::CacheBehind { error });
        }
    }

    /// After winning on `state`: if a newer customer message arrived meanwhile and now holds
    /// the conversation's state, put the claim on it too, by the same compare-and-set, so
    /// that the conversation never ends with two owners.
    fn carry_over(
        &self,
        conn: &mut Conn,
        cache: &mut Cache,
        conv: &ConversationRow,
        state: &StateMessage,
        plan: &Plan,
    ) -> anyhow::Result<Carried> {
        if plan.status != Status::Wip {
            // Done or released: a newer customer message rightly makes it new again.
            return Ok(Carried::Stays);
        }
        // Nothing arrived since the sync this action started with: the inbox's SELECT then
        // is the one in use (same UIDNEXT as the cache) and no answer since said EXISTS.
        let synced_next = cache
            .folder(&conv.mailbox, &self.mailbox.imap.folder, FolderRole::Inbox)?
            .uidnext;
        let quiet = !conn.grew()
            && conn
                .selected_info()
                .is_some_and(|i| i.uidnext.is_some() && i.uidnext == synced_next);
        if quiet {
            return Ok(Carried::Stays);
        }
        let Some(newer) = self.newer_arrival(conn, cache, conv, state)? else {
            return Ok(Carried::Stays);
        };
        if newer.folder != state.folder {
            conn.select(&newer.folder, None)?;
        }
        for _ in 0..25 {
            let Some((flags, modseq)) = conn.fetch_state(newer.uid)? else {
                return Ok(Carried::Stays);
            };
            let Some(want) = claims::carry_over(plan, &flags) else {
                let winner = status::owner(&flags).unwrap_or_default();
                return Ok(Carried::Conflict(winner));
            };
            if same_flags(&want, &flags) {
                return Ok(Carried::To(newer.key));
            }
            if let StoreResult::Applied { flags, modseq } =
                conn.store_if_unchanged(newer.uid, modseq, &want)?
            {
                // Read back, as for the first write: a conflicting write may have landed too.
                let held = conn
                    .fetch_state(newer.uid)?
                    .is_some_and(|(now, _)| claims::confirmed(&want, &now));
                if held {
                    self.cache_flags(cache, &newer, &flags, modseq);
                    return Ok(Carried::To(newer.key));
                }
            }
        }
        bail!(said!("error.act.kept_changing_carry", id = conv.id))
    }

    /// Appends an event to the activity folder and brings it into the cache (best effort:
    /// once appended, the event is on the server whatever the cache does).
    fn log_event(
        &self,
        conn: &mut Conn,
        cache: &mut Cache,
        conv: &ConversationRow,
        event: &Event,
    ) -> anyhow::Result<()> {
        let uid = append_event(self.ctx, conn, self.mailbox, &conv.subject, event)?;
        if let Err(error) = cache_appended(conn, cache, self.mailbox, &self.team, uid, event) {
            self.ctx.notify.warn(Warning::EventNotCached { error });
        }
        Ok(())
    }

    /// After a retry found our change made: log it unless this agent's event for this
    /// change is already in the log (matched exactly on the message, the agent and the kind,
    /// since this action started).
    fn ensure_logged(
        &self,
        conn: &mut Conn,
        cache: &mut Cache,
        conv: &ConversationRow,
        about: &str,
        plan: &Plan,
    ) -> anyhow::Result<()> {
        let folder = &self.mailbox.imap.activity_folder;
        sync_folder(conn, cache, &self.team, folder, FolderRole::Activity)?;
        let logged = cache.has_event(
            &self.team.mailbox,
            about,
            &self.actor.id,
            &plan.event,
            self.started - 5,
        )?;
        if logged {
            return Ok(());
        }
        let event = self.event_for(conv, plan, about.to_string());
        self.log_event(conn, cache, conv, &event)
    }
}

/// Where our standing record is in the activity log, for a record decided on it.
struct LogPlace<'a> {
    folder: &'a str,
    validity: u32,
    ours: u32,
}

enum Carried {
    /// The message we wrote still holds the state.
    Stays,
    /// The claim is now also on the newer message with this key.
    To(String),
    /// Someone claimed the newer message first.
    Conflict(String),
}

fn same_flags(a: &[String], b: &[String]) -> bool {
    a.len() == b.len()
        && a.iter()
            .all(|x| b.iter().any(|y| y.eq_ignore_ascii_case(x)))
}

/// Seconds since `holder`'s own claim (or assign, take-over, reopen) event, if the last
/// state event of the conversation is one; `None` (a fresh claim) when the log has none.
fn holder_idle(cache: &Cache, conv: &ConversationRow, holder: &str) -> anyhow::Result<Option<i64>> {
    let last = cache
        .events(&conv.mailbox, &conv.id)?
        .into_iter()
        .rev()
        .find(|e| !e.is_annotation());
    Ok(last
        .filter(|e| e.kind.starts_a_claim() && e.owner.as_deref() == Some(holder))
        .map(|e| (now() - e.at).max(0)))
}

fn check_keywords_allowed(
    conn: &mut Conn,
    info: &tanto_mail::imap::SelectInfo,
    plan: &Plan,
    state: &StateMessage,
) -> anyhow::Result<()> {
    for kw in plan.flags.iter().filter(|f| !f.starts_with('\\')) {
        if !info.custom_keywords()
            && !info
                .permanent_flags
                .iter()
                .any(|p| p.eq_ignore_ascii_case(kw))
        {
            return Err(super::rights::keywords_refused(conn, &state.folder, kw));
        }
    }
    Ok(())
}

/// Puts an event this process just appended into the cache: directly when the server said
/// its UID (no round trip; the next sync finds it there), else by syncing the log.
pub(super) fn cache_appended(
    conn: &mut Conn,
    cache: &mut Cache,
    mailbox: &Mailbox,
    team: &Team,
    uid: Option<u32>,
    event: &Event,
) -> Result<(), super::Cause> {
    let folder = &mailbox.imap.activity_folder;
    match uid {
        Some(uid) => cache
            .folder(&mailbox.name, folder, FolderRole::Activity)
            .and_then(|state| cache.add_events(team, &state, &[(uid, now(), event.clone())]))
            .map(|_| ())
            .map_err(super::Cause::from),
        None => sync_folder(conn, cache, team, folder, FolderRole::Activity)
            .map(|_| ())
            .map_err(super::Cause::from),
    }
}

/// Refuses a login given only `lr` on `folder` (`info` its SELECT): it sees no `\*` either,
/// and that is a refusal, not a reason to go through the log (its records would override the
/// team's keywords).
pub(super) fn may_write(
    conn: &mut Conn,
    info: &tanto_mail::imap::SelectInfo,
    folder: &str,
) -> anyhow::Result<()> {
    if info.custom_keywords() {
        return Ok(());
    }
    if let Ok(Some(rights)) = conn.my_rights(folder) {
        if !tanto_mail::imap::Right::Write.granted_by(&rights) {
            bail!(said!(
                "error.act.missing_write",
                folder = folder,
                rights = rights
            ));
        }
    }
    Ok(())
}

/// The activity folder's UIDVALIDITY from the cache, or from the server when the folder was
/// created just now (a record's base must name it, or it would stand by default).
pub(super) fn log_validity(
    conn: &mut Conn,
    cache: &mut Cache,
    mailbox: &str,
    log_folder: &str,
) -> anyhow::Result<u32> {
    Ok(
        match cache
            .folder(mailbox, log_folder, FolderRole::Activity)?
            .uidvalidity
        {
            Some(v) => v,
            None => conn
                .folder_status(log_folder)?
                .and_then(|s| s.uidvalidity)
                .unwrap_or(0),
        },
    )
}

/// True when the change is decided through the log (`core::log`): the server has no
/// compare-and-set on flags, keeps no keywords of ours in the folder, or the folder already
/// defines as many keywords as the smallest cap a server keeps durably (Dovecot's maildir:
/// 26; past it a keyword lives only in the index, and an index rebuild loses it). Every
/// agent reads the same FLAGS, so all switch together, and the count only grows.
pub(super) fn by_log(conn: &Conn, info: &tanto_mail::imap::SelectInfo) -> bool {
    !conn.caps.condstore || !info.custom_keywords() || keyword_budget_spent(info)
}

/// The folder defines at least 26 keywords (see `by_log`).
fn keyword_budget_spent(info: &tanto_mail::imap::SelectInfo) -> bool {
    info.flags.iter().filter(|f| !f.starts_with('\\')).count() >= DURABLE_KEYWORDS
}

/// The fewest keywords per folder a server is known to keep durably (Dovecot's maildir).
const DURABLE_KEYWORDS: usize = 26;

/// Appends an event message to the mailbox's activity folder (created on first use); its
/// UID when the server says it.
pub(super) fn append_event(
    ctx: &Ctx,
    conn: &mut Conn,
    mailbox: &Mailbox,
    subject: &str,
    event: &Event,
) -> anyhow::Result<Option<u32>> {
    let raw = activity::build(event, &mailbox.address, &ctx.config.agent.name, subject)
        .map_err(|e| anyhow!(e))?;
    append_raw_event(conn, mailbox, &raw)
}

/// Appends an event already built (`activity::build`) to the activity folder: its UID when
/// the server says it.
pub(super) fn append_raw_event(
    conn: &mut Conn,
    mailbox: &Mailbox,
    raw: &[u8],
) -> anyhow::Result<Option<u32>> {
    let folder = &mailbox.imap.activity_folder;
    conn.ensure_folder(folder)?;
    let uid = match conn.append(folder, raw, &["\\Seen"]) {
        // Assumed to exist (`Conn::assume_exists`) and gone: made again, appended again.
        Err(tanto_mail::imap::ImapError::Refused { reason, .. })
            if reason.to_ascii_uppercase().contains("TRYCREATE") =>
        {
            conn.forget_exists(folder)?;
            conn.ensure_folder(folder)?;
            conn.append(folder, raw, &["\\Seen"])
        }
        other => other,
    }
    .map_err(|e| said!("error.context.logging", folder = folder).because(e))?;
    Ok(uid)
}
