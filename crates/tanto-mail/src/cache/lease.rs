//! A lease in the cache, so that two processes do not run the same full sync side by side.
//!
//! A holder is written as `host/pid/start`: the host's name, the process id and the
//! process's start time (clock ticks since boot, from `/proc/PID/stat`), so that a holder on
//! this host that died (SIGKILL, a crash) is seen as gone at once, even when its pid has been
//! given to another process since. A holder on another host (a cache on a shared file system)
//! can only be judged by its expiry.

use std::time::{Duration, Instant};

use rusqlite::params;

use super::{Cache, Result};

/// A held lease; released on drop by `Cache::release`.
#[derive(Debug)]
pub struct Lease {
    pub name: String,
    pub holder: String,
}

use tanto_core::clock::now;

impl Cache {
    /// Takes the lease `name` for `ttl`, waiting up to `wait` while another live holder has it.
    /// Returns `None` when the wait ran out; the caller may then go on without it.
    pub fn acquire(&mut self, name: &str, ttl: Duration, wait: Duration) -> Result<Option<Lease>> {
        let holder = this_holder();
        let start = Instant::now();
        loop {
            self.drop_dead_holder(name)?;
            let got = self
                .conn
                .execute(
                    "INSERT INTO leases (name, holder, expires) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
                     WHERE leases.expires < ?4",
                    params![name, holder, now() + ttl.as_secs() as i64, now()],
                )
                .map_err(|e| self.err(e))?;
            if got == 1 {
                return Ok(Some(Lease {
                    name: name.to_string(),
                    holder,
                }));
            }
            if start.elapsed() >= wait {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Extends a held lease.
    pub fn renew(&mut self, lease: &Lease, ttl: Duration) -> Result<()> {
        self.conn
            .execute(
                "UPDATE leases SET expires = ?1 WHERE name = ?2 AND holder = ?3",
                params![now() + ttl.as_secs() as i64, lease.name, lease.holder],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Gives back every lease this process holds (on the way out: whatever it was doing,
    /// the next process need not wait for the lease to expire). Returns how many.
    pub fn release_all_held(&mut self) -> Result<usize> {
        self.conn
            .execute(
                "DELETE FROM leases WHERE holder = ?1",
                params![this_holder()],
            )
            .map_err(|e| self.err(e))
    }

    /// Gives a lease back.
    pub fn release(&mut self, lease: Lease) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
                params![lease.name, lease.holder],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

impl Cache {
    /// Notes that SMTP accepted the reply `message_id` (before its Sent copy is written).
    pub fn note_smtp_accepted(&mut self, message_id: &str) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO smtp_accepted (message_id, at) VALUES (?1, ?2)",
                params![message_id, now()],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// True when this host's journal says SMTP accepted the reply `message_id`.
    pub fn smtp_accepted(&self, message_id: &str) -> Result<bool> {
        self.conn
            .prepare_cached("SELECT 1 FROM smtp_accepted WHERE message_id = ?1")
            .and_then(|mut st| st.exists(params![message_id]))
            .map_err(|e| self.err(e))
    }

    /// Forgets the journal entry of a reply whose send is finished.
    pub fn forget_smtp_accepted(&mut self, message_id: &str) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM smtp_accepted WHERE message_id = ?1",
                params![message_id],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

/// This process as a lease holder: `host/pid/start`.
fn this_holder() -> String {
    let pid = std::process::id();
    format!(
        "{}/{pid}/{}",
        host_name(),
        process_start(pid).unwrap_or_default()
    )
}

/// This host's name, as leases and send marks record it: the kernel's ("" where it cannot
/// be read). `TANTO_TEST_HOST` stands in for it, so that tests can run two "hosts" on one
/// machine.
pub fn host_name() -> String {
    if let Ok(h) = std::env::var("TANTO_TEST_HOST") {
        return h;
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The start time of process `pid` in clock ticks since boot (field 22 of `/proc/PID/stat`,
/// counted after the command name, which may hold spaces and parentheses).
fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// Where the holder of a lease stands, judged from this host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// A live process of this host.
    Alive,
    /// A process of this host that is gone (or whose pid now names another process).
    Gone,
    /// Another host's, or a holder written in a form this version does not know: only its
    /// expiry says when it may be taken.
    Unknown,
}

fn judge(holder: &str, this_host: &str) -> Holder {
    let mut parts = holder.split('/');
    let (Some(host), Some(pid), Some(start), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Holder::Unknown;
    };
    if host.is_empty() || host != this_host {
        return Holder::Unknown;
    }
    let Ok(pid) = pid.parse::<u32>() else {
        return Holder::Unknown;
    };
    match process_start(pid) {
        Some(now_start) if start.parse::<u64>().ok() == Some(now_start) => Holder::Alive,
        _ => Holder::Gone,
    }
}

impl Cache {
    /// Takes the lease `name` now, also from a holder that is dead; `None` when a live
    /// process holds it.
    pub fn take_lease(&mut self, name: &str, ttl: Duration) -> Result<Option<Lease>> {
        self.acquire(name, ttl, Duration::ZERO)
    }

    /// True when a live process of this host holds the lease `name`.
    pub fn lease_alive(&self, name: &str) -> Result<bool> {
        Ok(self
            .live_holder(name)?
            .is_some_and(|h| judge(&h, &host_name()) == Holder::Alive))
    }

    /// The holder of an unexpired lease `name`.
    fn live_holder(&self, name: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension as _;
        self.conn
            .query_row(
                "SELECT holder FROM leases WHERE name = ?1 AND expires >= ?2",
                params![name, now()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Deletes the lease `name` when its holder is a process of this host that is gone, so
    /// that a killed process never makes the others wait for its expiry.
    fn drop_dead_holder(&mut self, name: &str) -> Result<()> {
        let Some(holder) = self.live_holder(name)? else {
            return Ok(());
        };
        if judge(&holder, &host_name()) == Holder::Gone {
            self.conn
                .execute(
                    "DELETE FROM leases WHERE name = ?1 AND holder = ?2",
                    params![name, holder],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_dead_or_reused_pid_is_gone() {
        let host = host_name();
        assert_eq!(judge(&this_holder(), &host), Holder::Alive);
        // pid 1 exists, but started at another time than this one says.
        assert_eq!(
            judge(&format!("{host}/1/999999999999"), &host),
            Holder::Gone
        );
        // No process has pid 4194304 (above Linux's pid_max).
        assert_eq!(judge(&format!("{host}/4194304/1"), &host), Holder::Gone);
        assert_eq!(judge("otherhost/1/1", &host), Holder::Unknown);
        assert_eq!(judge("123:456", &host), Holder::Unknown);
    }

    #[test]
    fn on_the_way_out_every_lease_of_this_process_is_given_back_and_no_other() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cache = Cache::open(&dir.path().join("c.sqlite"), false).expect("open");
        let ttl = Duration::from_secs(600);
        for name in ["sync:a", "sync:b"] {
            let held = cache.acquire(name, ttl, Duration::ZERO).expect("acquire");
            // Held and never released: the process is leaving in the middle of a sync.
            std::mem::forget(held);
        }
        cache
            .conn
            .execute(
                "INSERT INTO leases (name, holder, expires) VALUES ('sync:c', 'otherhost/1/1', ?1)",
                params![now() + 600],
            )
            .expect("plant");
        assert_eq!(cache.release_all_held().expect("release"), 2);
        let left: Vec<String> = cache
            .conn
            .prepare("SELECT name FROM leases")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .expect("read");
        assert_eq!(left, ["sync:c"]);
    }

    #[test]
    fn a_lease_held_by_a_dead_process_is_taken_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut cache = Cache::open(&dir.path().join("c.sqlite"), false).expect("open");
        let dead = format!("{}/4194304/1", host_name());
        cache
            .conn
            .execute(
                "INSERT INTO leases (name, holder, expires) VALUES ('sync:x', ?1, ?2)",
                params![dead, now() + 600],
            )
            .expect("plant");
        let started = Instant::now();
        let got = cache
            .acquire("sync:x", Duration::from_secs(60), Duration::from_secs(30))
            .expect("acquire");
        assert!(got.is_some());
        assert!(started.elapsed() < Duration::from_secs(1));
        // A live holder (this process) is waited for, then not taken.
        let again = cache
            .acquire(
                "sync:x",
                Duration::from_secs(60),
                Duration::from_millis(200),
            )
            .expect("acquire");
        assert!(again.is_none());
    }
}
