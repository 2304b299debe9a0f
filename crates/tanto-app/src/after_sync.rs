//! What follows a sync of a mailbox, from one place (the watcher and `sync --once` call it):
//! the sticky assignment of a returning customer, the team's rules on new mail (`rules`),
//! automatic assignment of new mail (`assignment`), the outbox's due and half-done sends, the
//! offline journal. The sync itself (`sync`) only syncs; these passes act, through `act` and
//! `reply_outbox`, on the connection the sync used.

use std::time::Instant;

use super::outcome::Retried;
use super::retry::{is_dropped, retry_while};
use super::sync::{sync_mailbox_dialed, MailboxReport};
use super::Ctx;
use crate::config::Mailbox;
use tanto_core::claims::Action;
use tanto_core::event::EventKind;
use tanto_mail::cache::Cache;
use tanto_mail::imap::Conn;

/// Syncs every mailbox once, retrying a dropped connection.
pub fn sync_once(ctx: &Ctx) -> anyhow::Result<Vec<MailboxReport>> {
    // The first mailbox's connection is on its way while the cache opens and the password
    // is read (a new cache's schema is most of a cold start's work before the login).
    let mut dialing = ctx.mailboxes().next().map(|(_, m)| ctx.dial_ahead(m));
    let mut cache = ctx.cache()?;
    let mut out = Vec::new();
    for (i, m) in ctx.mailboxes() {
        let started = Instant::now();
        let mut conn = None;
        let mut dialed = dialing.take();
        let folders = retry_while(&ctx.notify, Retried::Sync, is_dropped, || {
            sync_mailbox_dialed(ctx, &mut cache, &mut conn, &mut dialed, i, m)
        })?;
        out.push(MailboxReport {
            mailbox: m.name.clone(),
            folders,
            millis: started.elapsed().as_millis(),
        });
        tanto_mail::trace::trace_step(|| format!("{} synced", m.name));
        // On the sync's own connection: an empty outbox costs one STATUS.
        if let Some(mut c) = conn {
            let _ = after_sync(ctx, &mut cache, &mut c, i, m);
            tanto_mail::trace::trace_step(|| format!("{}: after-sync passes done", m.name));
            c.logout();
        }
    }
    Ok(out)
}

/// The passes after a sync of mailbox `m` (index `i`) on its connection `c`: the sticky
/// assignment, the team's rules, the outbox, then replies sent from other mail clients; what
/// they did told through `ctx.notify`. The outbox's
/// result is returned too (the watcher times its next round by it).
pub fn after_sync(
    ctx: &Ctx,
    cache: &mut Cache,
    c: &mut Conn,
    i: usize,
    m: &Mailbox,
) -> Result<Vec<super::outcome::Sent>, super::Cause> {
    if let Err(e) = wake_due(ctx, cache, c, m) {
        tracing::warn!("waiting pass: {e:#}");
    }
    if ctx.config.team.sticky_assignee {
        if let Err(e) = reassign_returning(ctx, cache, m) {
            tracing::warn!("sticky assignment: {e:#}");
        }
    }
    if let Err(e) = super::rules::apply_new(ctx, cache, c, m) {
        tracing::warn!("rules: {e:#}");
    }
    super::assignment::run(ctx, cache, c, m);
    let sent = report_outbox(ctx, super::reply_outbox::process_on(ctx, cache, c, i, m));
    // From the first sync on, what arrives is new to this agent until they look at it.
    let _ = cache.start_seen(&ctx.config.agent.id, tanto_core::clock::now());
    if let Err(e) = super::outside_replies::pass(ctx, cache, c, m) {
        ctx.notify
            .warn(super::Warning::OutsideRepliesNotChecked { error: e.into() });
    }
    apply_offline(ctx, m);
    sent
}

/// Applies the notes and actions this agent made offline in mailbox `m` (the server was
/// just reached), and tells what became of them.
pub fn apply_offline(ctx: &Ctx, m: &crate::config::Mailbox) {
    if super::offline::count(ctx) == 0 {
        return;
    }
    for a in super::offline::flush(ctx, &m.name, |p| apply_offline_entry(ctx, p)) {
        ctx.notify.send(super::Notice::Offline(a));
    }
}

/// Says what the outbox pass did that someone should know, and what needs a person; gives
/// the result back (a failure as the cause it warned of).
pub fn report_outbox(
    ctx: &Ctx,
    result: anyhow::Result<Vec<super::outcome::Sent>>,
) -> Result<Vec<super::outcome::Sent>, super::Cause> {
    use super::outcome::Sent;
    use tanto_core::outbox::Standing;
    match result {
        Ok(list) => {
            for s in &list {
                let mine = |author: &str| {
                    author == ctx.config.agent.id
                        || ctx.config.agent.role == crate::config::Role::Supervisor
                };
                // What needs a person goes to the reply's author and the supervisors only.
                let worth_telling = match s {
                    Sent::Waiting {
                        standing: Standing::Uncertain | Standing::Rejected | Standing::Held,
                        author,
                        ..
                    } => mine(author),
                    Sent::Held { author, .. } => mine(author),
                    Sent::Uncertain { .. } | Sent::Delivered { .. } | Sent::Completed { .. } => {
                        true
                    }
                    // Still being sent by a teammate: the TUI keeps "being sent by" on show
                    // only while a pass finds it so (the command line does not print it).
                    Sent::Taken { .. } => true,
                    _ => false,
                };
                if worth_telling {
                    ctx.notify.send(super::Notice::Outbox(s.clone()));
                }
            }
            Ok(list)
        }
        Err(e) => {
            let error = super::Cause::from(e);
            ctx.notify.warn(super::Warning::OutboxPass {
                error: error.clone(),
            });
            Err(error)
        }
    }
}

/// With `team.sticky_assignee`, a conversation a customer reopened by writing again goes back
/// to its previous agent. Every agent's sync may try; the compare-and-set lets one write it.
fn reassign_returning(ctx: &Ctx, cache: &mut Cache, mailbox: &Mailbox) -> anyhow::Result<()> {
    let filter = tanto_mail::cache::ListFilter {
        status: Some(tanto_core::status::Status::New),
        assignee: None,
        mailbox: Some(mailbox.name.clone()),
    };
    for conv in cache.list(&filter)? {
        // Only a conversation that was done, waiting or snoozed and came back (the customer
        // wrote, or the snooze's time came): not one an agent released.
        let last_state_event = cache
            .events(&conv.mailbox, &conv.id)?
            .into_iter()
            .rev()
            .find(|e| !e.is_annotation())
            .map(|e| e.kind);
        if !matches!(
            last_state_event,
            Some(EventKind::Done | EventKind::Wait | EventKind::Snooze | EventKind::Wake)
        ) {
            continue;
        }
        if let Some(prev) = conv.previous_assignee {
            if let Err(e) = super::act::perform(ctx, &conv.id, &Action::Assign(prev)) {
                ctx.notify.warn(super::Warning::NotGivenBack {
                    id: conv.id.clone(),
                    error: e.into(),
                });
            }
        }
    }
    Ok(())
}

/// The waiting conversations whose time came: a snooze due wakes (New, to its agent), a
/// wait unanswered for `team.auto_close_days` is closed. Every agent's sync may try; the
/// compare-and-set lets one write it and the others find it already so (nothing logged).
fn wake_due(ctx: &Ctx, cache: &mut Cache, c: &mut Conn, mailbox: &Mailbox) -> anyhow::Result<()> {
    use tanto_core::waiting::{self, Due};
    let filter = tanto_mail::cache::ListFilter {
        status: Some(tanto_core::status::Status::Waiting),
        assignee: None,
        mailbox: Some(mailbox.name.clone()),
    };
    let now = tanto_core::clock::now();
    for conv in cache.list(&filter)? {
        let events = cache.events(&conv.mailbox, &conv.id)?;
        let seen = events.iter().map(|e| waiting::Seen {
            kind: &e.kind,
            at: e.at,
            text: &e.text,
        });
        let Some(why) = waiting::why(seen) else {
            continue;
        };
        let done = match waiting::due(&why, now, ctx.config.team.auto_close_days) {
            None => continue,
            Some(Due::Wake) => super::act::perform_on(ctx, c, &conv.id, &Action::Wake),
            Some(Due::Close { days }) => super::act::perform_noted(
                ctx,
                c,
                &conv.id,
                &Action::Done,
                format!("closed: no answer from the customer for {days} days"),
            ),
        };
        if let Err(e) = done {
            ctx.notify.warn(super::Warning::NotWoken {
                id: conv.id.clone(),
                error: e.into(),
            });
        }
    }
    Ok(())
}

/// One entry of the offline journal, applied now that the server is back: the note
/// written, or the action taken if the conversation is still as the agent saw it.
fn apply_offline_entry(
    ctx: &Ctx,
    p: &super::offline::Pending,
) -> anyhow::Result<super::outcome::Applied> {
    use super::offline::What;
    use super::outcome::Applied;
    let conversation = p.conversation.clone();
    if let What::Note { text } = &p.what {
        super::note::note_online(ctx, &conversation, text)?;
        return Ok(Applied::Noted { conversation });
    }
    let Some(action) = p.what.action() else {
        anyhow::bail!("an offline action tanto does not know: {:?}", p.what);
    };
    let now = ctx.cache()?.find_conversation(&conversation)??;
    if now.status.as_str() != p.seen_status || now.assignee != p.seen_holder {
        return Ok(Applied::Refused {
            conversation,
            verb: action.verb().to_string(),
            status: now.status,
            holder: now.assignee,
        });
    }
    let outcome = super::act::perform(ctx, &conversation, &action)?;
    Ok(Applied::Acted {
        conversation,
        outcome,
    })
}
