//! Warm IMAP sessions for the long-running front ends (the terminal UI): a connection that
//! is logged in, has its capabilities and namespaces and a folder selected is kept after an
//! action, for the next one, instead of a login per keystroke (a TCP and TLS handshake, a
//! greeting and a login: three or four round trips, 150-600 ms from a jump host). A small
//! pool per mailbox, so that one slow action does not hold up the next; a NOOP now and then
//! keeps them open through firewalls and the server's idle time-out, and shows a dead one,
//! which is dropped (the next action logs in anew). One-shot commands keep none.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tanto_mail::imap::Conn;

/// Sessions kept per mailbox, at most.
const KEEP: usize = 2;
/// A kept session idle this long gets a NOOP.
const NOOP_AFTER: Duration = Duration::from_secs(60);
/// How often the kept sessions are looked at.
const LOOK_EVERY: Duration = Duration::from_secs(15);

/// The kept sessions, by mailbox index, each with when it was last used.
#[derive(Default)]
pub struct Sessions {
    idle: Mutex<HashMap<usize, Vec<(Conn, Instant)>>>,
    /// Events (as fingerprints) this process read on the server itself: the cache's copy of
    /// them needs no second look while it says the same.
    checked_events: Mutex<std::collections::HashSet<u64>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kept = self
            .idle
            .lock()
            .map(|m| m.values().map(Vec::len).sum::<usize>())
            .unwrap_or(0);
        write!(f, "Sessions({kept} kept)")
    }
}

impl Sessions {
    /// A pool whose kept sessions a background thread keeps alive while the pool lives.
    pub fn start() -> Arc<Sessions> {
        let pool = Arc::new(Sessions::default());
        let weak = Arc::downgrade(&pool);
        std::thread::spawn(move || keep_alive(&weak));
        pool
    }

    /// The most recently used kept session of mailbox `index`, if any.
    pub fn take(&self, index: usize) -> Option<Conn> {
        let mut idle = self.idle.lock().ok()?;
        idle.get_mut(&index)?.pop().map(|(c, _)| c)
    }

    /// Keeps `conn` for the next action on mailbox `index` (logged out when enough are kept).
    pub fn put(&self, index: usize, mut conn: Conn) {
        // Answers asked ahead for one action are stale for the next.
        conn.forget_answers();
        let Ok(mut idle) = self.idle.lock() else {
            conn.logout();
            return;
        };
        let kept = idle.entry(index).or_default();
        if kept.len() >= KEEP {
            conn.logout();
            return;
        }
        kept.push((conn, Instant::now()));
    }

    /// Whether this process saw the event with fingerprint `f` on the server.
    pub fn event_checked(&self, f: u64) -> bool {
        self.checked_events.lock().is_ok_and(|c| c.contains(&f))
    }

    /// Remembers that the event with fingerprint `f` is on the server as fingerprinted.
    pub fn remember_event_checked(&self, f: u64) {
        if let Ok(mut c) = self.checked_events.lock() {
            c.insert(f);
        }
    }

    /// NOOPs the sessions idle for a while; drops the ones that do not answer.
    fn refresh(&self) {
        let stale: Vec<(usize, Conn)> = {
            let Ok(mut idle) = self.idle.lock() else {
                return;
            };
            let mut out = Vec::new();
            for (index, kept) in idle.iter_mut() {
                let (old, fresh): (Vec<_>, Vec<_>) = kept
                    .drain(..)
                    .partition(|(_, at)| at.elapsed() >= NOOP_AFTER);
                *kept = fresh;
                out.extend(old.into_iter().map(|(c, _)| (*index, c)));
            }
            out
        };
        // Outside the lock: an action meanwhile opens its own session.
        for (index, mut conn) in stale {
            if conn.noop().is_ok() {
                self.put(index, conn);
            }
        }
    }
}

fn keep_alive(pool: &Weak<Sessions>) {
    loop {
        std::thread::sleep(LOOK_EVERY);
        let Some(pool) = pool.upgrade() else {
            return;
        };
        pool.refresh();
    }
}
