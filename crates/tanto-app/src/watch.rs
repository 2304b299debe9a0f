//! Live updates: IDLE on the inbox, the Sent folder and the activity log, each on its own
//! connection; a sync thread that coalesces their wake-ups, brings the cache up to date and
//! tells whoever listens. A dropped connection is re-opened with backoff and followed by a
//! resync (QRESYNC makes it cost what changed), so nothing is missed across the gap.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::Ctx;

/// What the watcher tells its listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchEvent {
    /// A sync ran; `changes` messages, flags or events changed in the cache.
    Synced { changes: usize },
    /// The server is unreachable; retrying in `retry_secs`.
    Trouble {
        reason: crate::Cause,
        retry_secs: u64,
    },
}

/// A running watcher; dropping it stops its threads (within an IDLE time-out).
pub struct Watcher {
    pub events: Receiver<WatchEvent>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

/// How long one IDLE lasts before it is renewed (and `stop` is looked at).
const IDLE_SLICE: Duration = Duration::from_secs(2);
/// A resync runs at least this often, even without a wake-up.
const SAFETY_RESYNC: Duration = Duration::from_secs(120);

/// Sleeps for `d`, or less when `stop` is raised, so that stopping is quick.
fn nap(stop: &AtomicBool, d: Duration) {
    let until = std::time::Instant::now() + d;
    while !stop.load(Ordering::SeqCst) {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(100)));
    }
}

fn backoff(attempt: u32) -> Duration {
    Duration::from_millis((250u64 << attempt.min(8)).min(30_000))
}

impl Watcher {
    /// Starts watching every mailbox of `ctx`'s config: its inbox, Sent and activity folders.
    pub fn spawn(ctx: Ctx) -> Watcher {
        // A long-running process: its syncs check the cache against the server now and then.
        super::sync::check_cache_periodically();
        let stop = Arc::new(AtomicBool::new(false));
        let (wake_tx, wake_rx) = crossbeam_channel::unbounded::<()>();
        let (ev_tx, ev_rx) = crossbeam_channel::unbounded::<WatchEvent>();
        let mut threads = Vec::new();
        for (index, mailbox) in ctx.mailboxes() {
            let mut folders = vec![
                Watched::Named(mailbox.imap.folder.clone()),
                Watched::Named(mailbox.imap.activity_folder.clone()),
            ];
            folders.push(match &mailbox.imap.sent_folder {
                Some(s) => Watched::Named(s.clone()),
                None => Watched::Sent,
            });
            for (n, folder) in folders.into_iter().enumerate() {
                let (ctx, stop, wake) = (ctx.clone(), stop.clone(), wake_tx.clone());
                let primary = n == 0;
                threads.push(std::thread::spawn(move || {
                    idle_loop(&ctx, index, &folder, primary, &stop, &wake)
                }));
            }
        }
        if !threads.is_empty() {
            let (ctx, stop) = (ctx.clone(), stop.clone());
            threads.push(std::thread::spawn(move || {
                sync_loop(&ctx, &stop, &wake_rx, &ev_tx)
            }));
        }
        Watcher {
            events: ev_rx,
            stop,
            threads,
        }
    }

    /// Stops the threads and waits for them.
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A folder to watch: by name, or the Sent folder the server marks `\Sent`.
enum Watched {
    Named(String),
    Sent,
}

/// Watches one folder. Where the server offers NOTIFY, the primary (inbox) connection asks
/// for every personal folder's changes and the other threads stand by.
fn idle_loop(
    ctx: &Ctx,
    index: usize,
    watched: &Watched,
    primary: bool,
    stop: &AtomicBool,
    wake: &Sender<()>,
) {
    let Some(mailbox) = ctx.config.mailboxes.get(index) else {
        return;
    };
    let mut failures = 0;
    while !stop.load(Ordering::SeqCst) {
        let session = (|| -> anyhow::Result<()> {
            let mut conn = ctx.connect(index, mailbox)?;
            if !conn.caps.idle && ctx.config.team.live_poll_ms == 0 {
                // Without IDLE the sync thread's periodic resync is all there is.
                conn.logout();
                nap(stop, IDLE_SLICE * 6);
                return Ok(());
            }
            let poll = Duration::from_millis(ctx.config.team.live_poll_ms);
            let notify = conn.caps.notify && conn.caps.idle && poll.is_zero();
            if notify && !primary {
                conn.logout();
                while !stop.load(Ordering::SeqCst) {
                    nap(stop, IDLE_SLICE);
                }
                return Ok(());
            }
            let folder = match watched {
                Watched::Named(f) => Some(f.clone()),
                Watched::Sent => ctx
                    .folders(&mut conn, mailbox)?
                    .into_iter()
                    .find(|(_, role)| *role == tanto_mail::cache::FolderRole::Sent)
                    .map(|(f, _)| f),
            };
            let Some(folder) = folder else {
                // No Sent folder (yet): look again now and then.
                conn.logout();
                nap(stop, IDLE_SLICE * 6);
                return Ok(());
            };
            // The activity folder is created on first use: look again now and then on this
            // connection, and resync when it appears (what was written to it meanwhile is
            // then picked up).
            while !conn.folder_exists(&folder)? {
                if stop.load(Ordering::SeqCst) {
                    conn.logout();
                    return Ok(());
                }
                nap(stop, IDLE_SLICE);
            }
            conn.select(&folder, None)?;
            if notify {
                // The other folders by name: NOTIFY's `personal` does not cover a shared
                // mailbox's Sent and activity folders.
                let others: Vec<String> = ctx
                    .folders_after_inbox(&mut conn, mailbox)?
                    .into_iter()
                    .map(|(f, _)| f)
                    .collect();
                conn.notify_watched(&others)?;
            }
            // Whatever happened before this IDLE started is picked up by one resync.
            let _ = wake.send(());
            failures = 0;
            while !stop.load(Ordering::SeqCst) {
                let changed = if poll.is_zero() {
                    conn.idle_once(IDLE_SLICE)?
                } else {
                    std::thread::sleep(poll);
                    conn.poll_changes()?
                };
                if changed {
                    let _ = wake.send(());
                }
            }
            conn.logout();
            Ok(())
        })();
        if session.is_err() {
            // The sync thread reports the trouble; this one only waits and tries again.
            nap(stop, backoff(failures));
            failures += 1;
            let _ = wake.send(());
        }
    }
}

/// The sooner of two optional waits.
fn earliest(a: Option<Duration>, b: Option<Duration>) -> Option<Duration> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// When the outbox pass wants to run again: a reply SMTP did not take is retried with
/// backoff (5 s doubling up to the safety resync), a scheduled one when it is due.
fn outbox_retry(list: &[super::reply_outbox::Sent], attempt: u32) -> Option<Duration> {
    use super::reply_outbox::Sent;
    use tanto_core::outbox::Standing;
    let now = tanto_core::clock::now();
    list.iter()
        .filter_map(|s| match s {
            Sent::Queued { .. } => Some(Duration::from_secs(5u64 << attempt.min(5))),
            Sent::Waiting {
                standing: Standing::Scheduled { at },
                ..
            } => Some(Duration::from_secs((at - now).max(1) as u64)),
            _ => None,
        })
        .min()
}

fn sync_loop(ctx: &Ctx, stop: &AtomicBool, wake: &Receiver<()>, events: &Sender<WatchEvent>) {
    let mut failures = 0;
    let mut smtp_failures = 0u32;
    let mut cache = None;
    // One connection per mailbox, kept between resyncs.
    let mut conns: Vec<Option<tanto_mail::imap::Conn>> = ctx.mailboxes().map(|_| None).collect();
    while !stop.load(Ordering::SeqCst) {
        // When the outbox wants another look (a reply SMTP refused, one scheduled): sooner
        // than the safety resync, since nothing on the server will wake us for it.
        let mut outbox_due: Option<Duration> = None;
        let result = (|| -> anyhow::Result<usize> {
            if cache.is_none() {
                cache = Some(ctx.cache()?);
            }
            let Some(cache) = cache.as_mut() else {
                return Ok(0);
            };
            let mut changes = 0;
            for ((i, m), conn) in ctx.mailboxes().zip(conns.iter_mut()) {
                let reports = super::sync::sync_mailbox_on(ctx, cache, conn, i, m)?;
                changes += reports
                    .iter()
                    .map(|r| r.fetched + r.flag_updates + r.expunged)
                    .sum::<usize>();
                // Due and half-done sends, on the kept connection (one STATUS when empty).
                if let Some(c) = conn.as_mut() {
                    let sent = super::after_sync::after_sync(ctx, cache, c, i, m);
                    if let Ok(list) = &sent {
                        outbox_due = earliest(outbox_due, outbox_retry(list, smtp_failures));
                    }
                    if sent.is_err() {
                        // Whatever state it is in, the next round starts from a fresh one.
                        *conn = None;
                    }
                }
            }
            Ok(changes)
        })();
        smtp_failures = if outbox_due.is_some() {
            smtp_failures.saturating_add(1)
        } else {
            0
        };
        let resync_after = outbox_due.map_or(SAFETY_RESYNC, |d| d.min(SAFETY_RESYNC));
        match result {
            Ok(changes) => {
                failures = 0;
                if events.send(WatchEvent::Synced { changes }).is_err() {
                    return;
                }
            }
            Err(e) => {
                let wait = backoff(failures);
                failures += 1;
                let _ = events.send(WatchEvent::Trouble {
                    reason: e.into(),
                    retry_secs: wait.as_secs().max(1),
                });
                nap(stop, wait);
                continue;
            }
        }
        // Sleep until woken (looking at `stop` every second), then let a burst of wake-ups
        // settle into one resync.
        let since = std::time::Instant::now();
        loop {
            match wake.recv_timeout(Duration::from_secs(1)) {
                Ok(()) => break,
                Err(RecvTimeoutError::Timeout) => {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    if since.elapsed() >= resync_after {
                        break;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        std::thread::sleep(Duration::from_millis(5));
        while wake.try_recv().is_ok() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Sent;
    use tanto_core::outbox::Standing;

    #[test]
    fn the_watcher_backs_off_from_a_quarter_second_to_half_a_minute() {
        assert_eq!(backoff(0), Duration::from_millis(250));
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert!((1..20).all(|a| backoff(a) >= backoff(a - 1)));
        assert_eq!(backoff(7), Duration::from_secs(30));
        assert_eq!(backoff(u32::MAX), Duration::from_secs(30));
    }

    #[test]
    fn the_outbox_runs_again_for_the_soonest_reply_that_waits() {
        let queued = Sent::Queued {
            conversation: "c".into(),
            reason: anyhow::anyhow!("421 busy").into(),
        };
        let scheduled = |in_secs: i64| Sent::Waiting {
            conversation: "c".into(),
            standing: Standing::Scheduled {
                at: tanto_core::clock::now() + in_secs,
            },
            author: "alice".into(),
        };
        let delivered = Sent::Delivered {
            conversation: "c".into(),
        };
        assert_eq!(outbox_retry(&[delivered], 0), None);
        assert_eq!(
            outbox_retry(std::slice::from_ref(&queued), 0),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            outbox_retry(std::slice::from_ref(&queued), 2),
            Some(Duration::from_secs(20))
        );
        // The SMTP backoff stops doubling; the safety resync caps it in the loop.
        assert_eq!(
            outbox_retry(std::slice::from_ref(&queued), 50),
            Some(Duration::from_secs(160))
        );
        let soon = outbox_retry(&[queued, scheduled(3)], 4).expect("a wait");
        assert!(soon <= Duration::from_secs(3), "{soon:?}");
        // A scheduled time already past runs at the next second, not never.
        assert_eq!(
            outbox_retry(&[scheduled(-60)], 0),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            earliest(None, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(
            earliest(Some(Duration::from_secs(1)), Some(Duration::from_secs(2))),
            Some(Duration::from_secs(1))
        );
    }
}
