//! Automatic assignment (`[team] assign`), run after every sync by whichever agent's client
//! syncs: new conversations nobody holds go, oldest first, to the agent
//! `core::assignment::choose` names from what every client reads alike (the team's order,
//! the duty records in the activity folder, the inbox's owner keywords). Each write is the
//! assign's compare-and-set, so when several clients place one conversation at once one
//! write wins and the others find it taken. And on duty: `tanto away` / `tanto back`.

use std::collections::{BTreeMap, BTreeSet};

use super::Ctx;
use crate::config::Mailbox;
use tanto_core::assignment::{self, Desk, Mode, Turn};
use tanto_core::claims::Action;
use tanto_core::event::EventKind;
use tanto_core::said;
use tanto_core::status::Status;
use tanto_mail::activity::{self, Event};
use tanto_mail::cache::{Cache, ConversationRow, FolderRole, ListFilter};
use tanto_mail::imap::sync::sync_folder;
use tanto_mail::imap::Conn;

/// The pass for mailbox `m` on the sync's connection `c`; what it could not do is warned
/// of, and the next sync tries again.
pub fn run(ctx: &Ctx, cache: &mut Cache, c: &mut Conn, m: &Mailbox) {
    if ctx.config.team.assign == Mode::Manual {
        return;
    }
    if let Err(e) = assign_new(ctx, cache, c, m) {
        tracing::warn!("automatic assignment: {e:#}");
    }
}

/// Assigns the new conversations of `m` that nobody holds, oldest first, while an agent on
/// duty has room; the conversations assigned by this client, with their agents.
pub fn assign_new(
    ctx: &Ctx,
    cache: &mut Cache,
    c: &mut Conn,
    m: &Mailbox,
) -> anyhow::Result<Vec<(String, String)>> {
    let team = &ctx.config.team;
    let mut done = Vec::new();
    // Each conversation is tried once a pass: one that stays new after a try (a server
    // that refused the write) waits for the next sync rather than stalling this one.
    let mut tried: BTreeSet<String> = BTreeSet::new();
    let mut released: BTreeMap<String, bool> = BTreeMap::new();
    loop {
        let Some(conv) = next_candidate(cache, m, &tried, &mut released)? else {
            break;
        };
        let desk = Desk {
            agents: team.agents.clone(),
            away: assignment::away(
                cache
                    .duty_records(&m.name)?
                    .iter()
                    .map(|(a, d)| (a.as_str(), *d)),
            ),
            open: cache.open_counts(&m.name)?,
            capacity: team.capacity,
        };
        let last = cache.owner_before(&m.name, conv.last_received, &conv.id)?;
        let turn = Turn {
            last: last.as_deref(),
            previous: conv.previous_assignee.as_deref(),
        };
        // Nobody has room for the oldest: the rest waits too (a freed slot takes the
        // oldest first).
        let Some(agent) = assignment::choose(team.assign, &desk, &turn) else {
            break;
        };
        tried.insert(conv.id.clone());
        match super::act::perform_on(ctx, c, &conv.id, &Action::AutoAssign(agent.clone())) {
            Ok(super::act::Outcome::Won(_)) => done.push((conv.id.clone(), agent)),
            // Taken by another client (or closed) since this one looked: read the inbox
            // again, so that the next choice counts that owner.
            Ok(_) => {
                sync_folder(c, cache, &ctx.team(m), &m.imap.folder, FolderRole::Inbox)?;
            }
            Err(e) => {
                ctx.notify.warn(super::Warning::NotAssigned {
                    id: conv.id.clone(),
                    error: e.into(),
                });
                break;
            }
        }
    }
    Ok(done)
}

/// The oldest new conversation not yet tried that an agent did not give back (a release
/// after its last message: a person decides where it goes).
fn next_candidate(
    cache: &Cache,
    m: &Mailbox,
    tried: &BTreeSet<String>,
    released: &mut BTreeMap<String, bool>,
) -> anyhow::Result<Option<ConversationRow>> {
    let mut list = cache.list(&ListFilter {
        status: Some(Status::New),
        assignee: None,
        mailbox: Some(m.name.clone()),
    })?;
    // Oldest first, ties by id: every client walks the same order.
    list.sort_by(|a, b| (a.last_received, &a.id).cmp(&(b.last_received, &b.id)));
    for conv in list {
        if tried.contains(&conv.id) {
            continue;
        }
        let given_back = match released.get(&conv.id) {
            Some(r) => *r,
            None => {
                let r = cache
                    .events(&conv.mailbox, &conv.id)?
                    .into_iter()
                    .rev()
                    .find(|e| !e.is_annotation())
                    .is_some_and(|e| e.kind == EventKind::Release && e.at >= conv.last_received);
                released.insert(conv.id.clone(), r);
                r
            }
        };
        if !given_back {
            return Ok(Some(conv));
        }
    }
    Ok(None)
}

/// Records `agent` (this agent when `None`; another only for a supervisor) as away
/// (`away = true`) or back on duty in every mailbox's activity folder; the mailboxes where
/// that failed, with why.
pub fn set_duty(
    ctx: &Ctx,
    agent: Option<&str>,
    away: bool,
) -> anyhow::Result<Vec<(String, anyhow::Error)>> {
    let kind = if away {
        EventKind::Away
    } else {
        EventKind::Back
    };
    let me = &ctx.config.agent.id;
    let subject = agent.unwrap_or(me);
    if subject != me {
        if ctx.config.agent.role != crate::config::Role::Supervisor {
            anyhow::bail!(said!("error.duty.not_supervisor", agent = subject));
        }
        // A typo must not take a name off duty that automatic assignment never gives to.
        if !ctx.config.team.agents.iter().any(|a| a == subject) {
            anyhow::bail!(said!(
                "error.duty.not_in_team",
                agent = subject,
                agents = ctx.config.team.agents.join(", ")
            ));
        }
    }
    let mut failed = Vec::new();
    let mut cache = ctx.cache()?;
    for (i, m) in ctx.mailboxes() {
        let r = (|| -> anyhow::Result<()> {
            let mut conn = ctx.session(i, m)?;
            // About no conversation: the id field names the record's kind for readers.
            let event = Event::new(
                kind.clone(),
                me,
                &format!("duty.{subject}@tanto.invalid"),
                "duty",
                activity::describe(&kind, me, Some(subject), None),
            )
            .with_state(None, Some(subject));
            let uid = super::act::append_event(ctx, &mut conn, m, "duty", &event)?;
            let team = ctx.team(m);
            let cached = super::act::cache_appended(&mut conn, &mut cache, m, &team, uid, &event);
            if let Err(error) = cached {
                ctx.notify.warn(super::Warning::EventNotCached { error });
            }
            ctx.session_done(i, conn, true);
            Ok(())
        })();
        if let Err(e) = r {
            failed.push((m.name.clone(), e));
        }
    }
    Ok(failed)
}

/// True when this agent's latest duty record (in the first mailbox's log, as the cache
/// has it) says away.
pub fn is_away(ctx: &Ctx) -> anyhow::Result<bool> {
    let cache = ctx.cache()?;
    let Some((_, m)) = ctx.mailboxes().next() else {
        return Ok(false);
    };
    let away = assignment::away(
        cache
            .duty_records(&m.name)?
            .iter()
            .map(|(a, d)| (a.as_str(), *d)),
    );
    Ok(away.contains(&ctx.config.agent.id))
}

/// The team's agents (`team.agents`) and whether each is on duty, by the first mailbox's
/// records as the cache has them.
pub fn on_duty(ctx: &Ctx) -> anyhow::Result<Vec<(String, bool)>> {
    let cache = ctx.cache()?;
    let Some((_, m)) = ctx.mailboxes().next() else {
        return Ok(Vec::new());
    };
    let away = assignment::away(
        cache
            .duty_records(&m.name)?
            .iter()
            .map(|(a, d)| (a.as_str(), *d)),
    );
    Ok(ctx
        .config
        .team
        .agents
        .iter()
        .map(|a| (a.clone(), !away.contains(a)))
        .collect())
}
