//! The sync of a mailbox with its after-sync rules (sticky assignee).

use crate::said;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::retry::{is_dropped, retry_while};
use super::Ctx;
use crate::cache::{Cache, FolderRole};
use crate::config::Mailbox;
use crate::core::claims::Action;
use crate::core::event::EventKind;
use crate::imap::sync::{sync_folder_reporting, FolderReport, Progress, SyncMode};

/// What one mailbox's sync did.
#[derive(Debug, Serialize)]
pub struct MailboxReport {
    pub mailbox: String,
    pub folders: Vec<FolderReport>,
    pub millis: u128,
}

/// How far a mailbox's long sync is: what a front end shows instead of a bare "connecting".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncProgress {
    pub mailbox: String,
    pub folder: String,
    pub progress: Progress,
}

/// Where a sync's progress goes (nowhere by default).
#[derive(Clone, Default)]
pub struct ProgressSink(Option<std::sync::Arc<dyn Fn(SyncProgress) + Send + Sync>>);

impl ProgressSink {
    /// Hands every step of a long sync to `f` (called from the syncing thread).
    pub fn new(f: impl Fn(SyncProgress) + Send + Sync + 'static) -> ProgressSink {
        ProgressSink(Some(std::sync::Arc::new(f)))
    }

    fn send(&self, mailbox: &str, folder: &str, progress: Progress) {
        if let Some(f) = &self.0 {
            f(SyncProgress {
                mailbox: mailbox.to_string(),
                folder: folder.to_string(),
                progress,
            });
        }
    }
}

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

/// Gives back the sync leases this process holds, when it ends in the middle of a sync (a
/// first sync can take minutes): another process waits for a lease whose holder it cannot
/// judge (another host's name, a shared file system) until it expires.
pub fn release_on_exit(ctx: &Ctx) {
    if let Ok(mut cache) = ctx.cache() {
        let _ = cache.release_all_held();
    }
}

/// Syncs every mailbox once, retrying a dropped connection.
pub fn sync_once(ctx: &Ctx) -> anyhow::Result<Vec<MailboxReport>> {
    let mut cache = ctx.cache()?;
    let mut out = Vec::new();
    for (i, m) in ctx.mailboxes() {
        let started = Instant::now();
        let mut conn = None;
        let folders = retry_while(&ctx.notify, "sync", is_dropped, || {
            sync_mailbox_on(ctx, &mut cache, &mut conn, i, m)
        })?;
        out.push(MailboxReport {
            mailbox: m.name.clone(),
            folders,
            millis: started.elapsed().as_millis(),
        });
        // On the sync's own connection: an empty outbox costs one STATUS.
        if let Some(mut c) = conn {
            let sent = super::reply_outbox::process_on(ctx, &mut cache, &mut c, i, m);
            report_outbox(ctx, sent);
            c.logout();
            apply_offline(ctx, m);
        }
    }
    Ok(out)
}

/// Applies the notes and actions this agent made offline in mailbox `m` (the server was
/// just reached), and tells what became of them.
pub fn apply_offline(ctx: &Ctx, m: &crate::config::Mailbox) {
    if super::offline::count(ctx) == 0 {
        return;
    }
    for a in super::offline::flush(ctx, &m.name) {
        ctx.notify.send(super::Notice::Offline(a));
    }
}

/// Says what the outbox pass did that someone should know, and what needs a person.
pub fn report_outbox(ctx: &Ctx, result: anyhow::Result<Vec<super::reply_outbox::Sent>>) {
    use super::reply_outbox::Sent;
    use crate::core::outbox::Standing;
    match result {
        Ok(list) => {
            for s in list {
                let mine = |author: &str| {
                    author == ctx.config.agent.id
                        || ctx.config.agent.role == crate::config::Role::Supervisor
                };
                // What needs a person goes to the reply's author and the supervisors only.
                let worth_telling = match &s {
                    Sent::Waiting {
                        standing: Standing::Uncertain | Standing::Rejected | Standing::Held,
                        author,
                        ..
                    } => mine(author),
                    Sent::Held { author, .. } => mine(author),
                    Sent::Uncertain { .. } | Sent::Delivered { .. } | Sent::Completed { .. } => {
                        true
                    }
                    _ => false,
                };
                if worth_telling {
                    ctx.notify.send(super::Notice::Outbox(s));
                }
            }
        }
        Err(e) => ctx.notify.warn(super::Warning::OutboxPass {
            error: format!("{e:#}"),
        }),
    }
}

/// Syncs every folder of one mailbox, under a lease so that two processes sharing the cache
/// do not both run a full sync.
pub fn sync_mailbox(
    ctx: &Ctx,
    cache: &mut Cache,
    index: usize,
    mailbox: &Mailbox,
) -> anyhow::Result<Vec<FolderReport>> {
    // A kept session where the front end keeps them (`Ctx::keep_sessions_warm`).
    let mut conn = ctx
        .sessions_kept()
        .then(|| ctx.session(index, mailbox).ok())
        .flatten();
    let reports = sync_mailbox_on(ctx, cache, &mut conn, index, mailbox)?;
    if let Some(c) = conn {
        ctx.session_done(index, c, true);
    }
    Ok(reports)
}

/// The longest a sync waits for another process's sync of the same mailbox (the promise:
/// no wait on a lease exceeds 30 s).
const SYNC_LEASE_WAIT: Duration = Duration::from_secs(25);

/// Like `sync_mailbox`, on the connection in `conn` (opened there when `None`, and dropped
/// again when it fails), so that a long-running watcher does not log in for every resync.
pub fn sync_mailbox_on(
    ctx: &Ctx,
    cache: &mut Cache,
    conn: &mut Option<crate::imap::Conn>,
    index: usize,
    mailbox: &Mailbox,
) -> anyhow::Result<Vec<FolderReport>> {
    under_lease(ctx, cache, mailbox, |cache| {
        let result = (|| {
            let c = match conn.as_mut() {
                Some(c) => c,
                None => conn.insert(ctx.connect(index, mailbox)?),
            };
            sync_folders(ctx, cache, c, mailbox)
        })();
        if result.is_err() {
            // Whatever state the connection is in, the next attempt starts from a fresh one.
            *conn = None;
        }
        result
    })
}

/// `sync_mailbox` on a connection the caller keeps using afterwards (a reply's bookkeeping):
/// under the same lease, without a login of its own.
pub fn sync_mailbox_with(
    ctx: &Ctx,
    cache: &mut Cache,
    conn: &mut crate::imap::Conn,
    mailbox: &Mailbox,
) -> anyhow::Result<Vec<FolderReport>> {
    under_lease(ctx, cache, mailbox, |cache| {
        sync_folders(ctx, cache, conn, mailbox)
    })
}

/// Runs a mailbox's sync under its lease, so that two processes sharing the cache do not run
/// the same full sync side by side, then the after-sync rule (sticky assignee). A live
/// holder is waited for briefly, then the sync goes on beside it (the writes are
/// idempotent); a dead one on this host is taken over at once (`Cache::acquire`).
fn under_lease(
    ctx: &Ctx,
    cache: &mut Cache,
    mailbox: &Mailbox,
    sync: impl FnOnce(&mut Cache) -> anyhow::Result<Vec<FolderReport>>,
) -> anyhow::Result<Vec<FolderReport>> {
    let name = format!("sync:{}", mailbox.name);
    let ttl = Duration::from_secs(600);
    let lease = match cache.acquire(&name, ttl, Duration::ZERO)? {
        Some(l) => Some(l),
        None => {
            // Said, so that a front end does not stand at "connecting" meanwhile.
            ctx.progress
                .send(&mailbox.name, &mailbox.imap.folder, Progress::Waiting);
            cache.acquire(&name, ttl, SYNC_LEASE_WAIT)?
        }
    };
    let result = sync(cache);
    if let Some(l) = lease {
        cache.release(l)?;
    }
    let reports = result?;
    if ctx.config.team.sticky_assignee {
        reassign_returning(ctx, cache, mailbox)?;
    }
    Ok(reports)
}

/// Every folder of one mailbox on `c`: the inbox, then Sent and the log.
fn sync_folders(
    ctx: &Ctx,
    cache: &mut Cache,
    c: &mut crate::imap::Conn,
    mailbox: &Mailbox,
) -> anyhow::Result<Vec<FolderReport>> {
    let team = ctx.team(mailbox);
    // The inbox first, before the LIST that finds the Sent folder (see
    // `folders_after_inbox`): a no-change resync then costs the server next to nothing.
    let inbox = &mailbox.imap.folder;
    // The Sent folder found by an earlier sync, without a LIST; looked for again when
    // it is gone.
    let remembered = match &mailbox.imap.sent_folder {
        Some(s) => Some(s.clone()).filter(|s| *s != *inbox),
        None => cache
            .known_folder(&mailbox.name, FolderRole::Sent)?
            .filter(|s| *s != *inbox),
    };
    // The STATUS of the other folders, and the outbox's that the outbox pass asks next,
    // in one round trip: behind the inbox's SELECT when they are known already.
    let outbox = mailbox.imap.outbox_folder.as_str();
    if let Some(sent) = &remembered {
        c.status_with_next_select(&[sent, &mailbox.imap.activity_folder, outbox]);
    }
    let sync_folder = |c: &mut crate::imap::Conn, cache: &mut Cache, folder: &str, role| {
        sync_folder_reporting(c, cache, &team, folder, role, &|p| {
            ctx.progress.send(&mailbox.name, folder, p)
        })
    };
    let mut reports = vec![sync_folder(c, cache, inbox, FolderRole::Inbox)
        .map_err(|e| said!("error.context.syncing", folder = inbox).because(e))?];
    let mut after = match &remembered {
        Some(sent) => vec![
            (sent.clone(), FolderRole::Sent),
            (mailbox.imap.activity_folder.clone(), FolderRole::Activity),
        ],
        None => {
            let after = ctx.folders_after_inbox(c, mailbox)?;
            let mut ahead: Vec<&str> = after.iter().map(|(f, _)| f.as_str()).collect();
            ahead.push(outbox);
            c.prefetch_status(&ahead)?;
            after
        }
    };
    let mut i = 0;
    while let Some((folder, role)) = after.get(i).cloned() {
        let r = sync_folder(c, cache, &folder, role)
            .map_err(|e| said!("error.context.syncing", folder = folder).because(e))?;
        if role == FolderRole::Sent
            && r.mode == SyncMode::Missing
            && remembered.as_ref() == Some(&folder)
        {
            let found = ctx.folders_after_inbox(c, mailbox)?;
            if let Some(sent) = found
                .into_iter()
                .find(|(f, r)| *r == FolderRole::Sent && *f != folder)
            {
                after.insert(i + 1, sent);
            }
        }
        reports.push(r);
        i += 1;
    }
    c.forget_unsolicited();
    Ok(reports)
}

/// With `team.sticky_assignee`, a conversation a customer reopened by writing again goes back
/// to its previous agent. Every agent's sync may try; the compare-and-set lets one write it.
fn reassign_returning(ctx: &Ctx, cache: &mut Cache, mailbox: &Mailbox) -> anyhow::Result<()> {
    let filter = crate::cache::ListFilter {
        status: Some(crate::core::status::Status::New),
        assignee: None,
        mailbox: Some(mailbox.name.clone()),
    };
    for conv in cache.list(&filter)? {
        // Only a conversation that was done and came back: not one an agent released.
        let last_state_event = cache
            .events(&conv.mailbox, &conv.id)?
            .into_iter()
            .rev()
            .find(|e| e.kind != EventKind::Note)
            .map(|e| e.kind);
        if last_state_event != Some(EventKind::Done) {
            continue;
        }
        if let Some(prev) = conv.previous_assignee {
            if let Err(e) = super::act::perform(ctx, &conv.id, &Action::Assign(prev)) {
                ctx.notify.warn(super::Warning::NotGivenBack {
                    id: conv.id.clone(),
                    error: format!("{e:#}"),
                });
            }
        }
    }
    Ok(())
}

/// Forgets every cached row and syncs every mailbox again; returns the messages cached.
pub fn rebuild(ctx: &Ctx, cache: &mut Cache) -> anyhow::Result<usize> {
    // Hold the sync leases while clearing, so that a watcher does not write into tables
    // that are being emptied.
    let mut leases = Vec::new();
    for (_, m) in ctx.mailboxes() {
        leases.extend(cache.acquire(
            &format!("sync:{}", m.name),
            Duration::from_secs(60),
            SYNC_LEASE_WAIT,
        )?);
    }
    let cleared = cache.clear();
    for l in leases {
        // clear() emptied the leases table too; releasing is then a no-op.
        cache.release(l)?;
    }
    cleared?;
    let mut total = 0;
    for (i, m) in ctx.mailboxes() {
        let reports = sync_mailbox(ctx, cache, i, m)?;
        total += reports.iter().map(|r| r.messages).sum::<usize>();
    }
    Ok(total)
}
