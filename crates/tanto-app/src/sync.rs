//! The sync of a mailbox: its folders into the cache, and nothing else (the passes that
//! follow a sync run from `after_sync`).

use std::time::Duration;
use tanto_core::said;

use serde::Serialize;

use super::Ctx;
use crate::config::Mailbox;
use tanto_mail::cache::{Cache, FolderRole};
use tanto_mail::imap::sync::{sync_folder_reporting, FolderReport, Progress, SyncMode};
use tanto_mail::imap::InboxAhead;

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

/// Syncs every folder of one mailbox, under a lease so that two processes sharing the cache
/// do not both run a full sync.
pub fn sync_mailbox(
    ctx: &Ctx,
    cache: &mut Cache,
    index: usize,
    mailbox: &Mailbox,
) -> anyhow::Result<Vec<FolderReport>> {
    // A kept session where the front end keeps them (`Ctx::keep_sessions_warm`); else a
    // new one, opened by the sync (a first sync's SELECT rides behind its login).
    let mut conn = ctx.kept_session(index);
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
    conn: &mut Option<tanto_mail::imap::Conn>,
    index: usize,
    mailbox: &Mailbox,
) -> anyhow::Result<Vec<FolderReport>> {
    sync_mailbox_dialed(ctx, cache, conn, &mut None, index, mailbox)
}

/// `sync_mailbox_on`, where a connection is opened on the one `dialing` makes when there is
/// one (`Ctx::dial_ahead`; taken, so that a retry dials again).
pub fn sync_mailbox_dialed(
    ctx: &Ctx,
    cache: &mut Cache,
    conn: &mut Option<tanto_mail::imap::Conn>,
    dialing: &mut Option<crate::dialing::Dialing>,
    index: usize,
    mailbox: &Mailbox,
) -> anyhow::Result<Vec<FolderReport>> {
    under_lease(ctx, cache, mailbox, |cache| {
        let result = (|| {
            let c = match conn.as_mut() {
                Some(c) => c,
                None => {
                    // A first sync of the inbox: its SELECT rides behind the login, and from
                    // nothing its first FETCHes too.
                    let inbox = &mailbox.imap.folder;
                    let state = cache.folder(&mailbox.name, inbox, FolderRole::Inbox)?;
                    let ahead = match (inbox.eq_ignore_ascii_case("INBOX"), state) {
                        (false, _) => InboxAhead::Nothing,
                        (true, s) if s.complete => InboxAhead::Nothing,
                        (true, s) if s.uidvalidity.is_some() => InboxAhead::Select,
                        (true, _) => InboxAhead::SelectAndFetch,
                    };
                    conn.insert(ctx.connect_dialed(index, mailbox, ahead, dialing.take())?)
                }
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
    conn: &mut tanto_mail::imap::Conn,
    mailbox: &Mailbox,
) -> anyhow::Result<Vec<FolderReport>> {
    under_lease(ctx, cache, mailbox, |cache| {
        sync_folders(ctx, cache, conn, mailbox)
    })
}

/// Runs a mailbox's sync under its lease, so that two processes sharing the cache do not run
/// the same full sync side by side. A live holder is waited for briefly (and the front end
/// told so), then the sync goes on beside it (the writes are
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
    result
}

/// Every folder of one mailbox on `c`: the inbox, then Sent and the log.
fn sync_folders(
    ctx: &Ctx,
    cache: &mut Cache,
    c: &mut tanto_mail::imap::Conn,
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
    if audit_due(&mailbox.name) {
        c.audit_with_next_select();
    }
    c.presence_with_next_select();
    let sync_folder = |c: &mut tanto_mail::imap::Conn, cache: &mut Cache, folder: &str, role| {
        sync_folder_reporting(c, cache, &team, folder, role, &|p| {
            ctx.progress.send(&mailbox.name, folder, p)
        })
    };
    let mut reports = vec![sync_folder(c, cache, inbox, FolderRole::Inbox)
        .map_err(|e| said!("error.context.syncing", folder = inbox).because(e))?];
    if let Some(entries) = c.take_presence() {
        super::presence::remember(ctx, cache, &mailbox.name, &entries);
    }
    if let Some(server) = c.take_audit() {
        audit(c, cache, &team, mailbox, &server)
            .map_err(|e| said!("error.context.syncing", folder = inbox).because(e))?;
    }
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

/// How often a long-running process checks the cache against the server (`audit`): its cost
/// grows with the open conversations (all of a mailbox nobody has sorted yet), so never on a
/// one-shot command's way.
const AUDIT_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

static AUDIT_PERIODICALLY: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);
static AUDIT_NEXT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static ROWS_PUT_RIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Makes this process's syncs check the cache against the server: the first sync of each
/// mailbox, then every 5 minutes (the watcher of the TUI and of `tanto sync` calls it).
pub fn check_cache_periodically() {
    AUDIT_PERIODICALLY.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Makes the next sync of each mailbox check the cache against the server (`tanto cache
/// check`); `rows_put_right` then says how many rows it found wrong.
pub fn check_cache_now() {
    AUDIT_NEXT.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// How many cache rows the checks of this process found contradicted by the server.
pub fn rows_put_right() -> usize {
    ROWS_PUT_RIGHT.load(std::sync::atomic::Ordering::SeqCst)
}

/// Whether this sync of `mailbox` checks the cache against the server. The times are kept in
/// memory: another process cannot put a check off.
fn audit_due(mailbox: &str) -> bool {
    use std::sync::atomic::Ordering;
    if AUDIT_NEXT.load(Ordering::SeqCst) {
        return true;
    }
    if !AUDIT_PERIODICALLY.load(Ordering::SeqCst) {
        return false;
    }
    static LAST: std::sync::Mutex<Option<std::collections::HashMap<String, std::time::Instant>>> =
        std::sync::Mutex::new(None);
    let Ok(mut last) = LAST.lock() else {
        return true;
    };
    let last = last.get_or_insert_with(Default::default);
    match last.get(mailbox) {
        Some(at) if at.elapsed() < AUDIT_EVERY => false,
        _ => {
            last.insert(mailbox.to_string(), std::time::Instant::now());
            true
        }
    }
}

/// Checks what the cache says of the inbox's open messages against what the server said
/// behind the SELECT (`Conn::audit_with_next_select`), and puts right what another process
/// on the host wrote into the shared file: the flags of every message the two disagree on
/// are read again, and every open conversation's summary is recomputed where it is wrong.
fn audit(
    c: &mut tanto_mail::imap::Conn,
    cache: &mut Cache,
    team: &tanto_mail::cache::Team,
    mailbox: &Mailbox,
    server: &tanto_mail::imap::StateSets,
) -> anyhow::Result<()> {
    let folder = cache.folder(&mailbox.name, &mailbox.imap.folder, FolderRole::Inbox)?;
    let cached = cache.cached_states(folder.id)?;
    let differ = |a: &[u32], b: &[u32]| -> Vec<u32> {
        let a: std::collections::BTreeSet<u32> = a.iter().copied().collect();
        let b: std::collections::BTreeSet<u32> = b.iter().copied().collect();
        a.symmetric_difference(&b).copied().collect()
    };
    let mut wrong = differ(&server.stateless, &cached.stateless);
    wrong.extend(differ(&server.claimed, &cached.claimed));
    wrong.sort_unstable();
    wrong.dedup();
    // Only messages the cache holds: one the server has and the cache not yet is the next
    // sync's to fetch, not a contradiction.
    if !wrong.is_empty() {
        let known: std::collections::HashSet<u32> =
            cache.folder_uids(&folder)?.into_iter().collect();
        wrong.retain(|u| known.contains(u));
    }
    let updates = c.fetch_flags(&wrong)?;
    let mut open = server.stateless.clone();
    open.extend(&server.claimed);
    let fixed = cache.audit(team, folder.id, &updates, &open)?;
    ROWS_PUT_RIGHT.fetch_add(fixed, std::sync::atomic::Ordering::SeqCst);
    if fixed > 0 {
        tracing::warn!(
            "{fixed} rows of the shared cache contradicted the server (written by another \
             process?) and were put right"
        );
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
