//! A lease in the cache, so that two processes do not run the same full sync side by side.

use std::time::{Duration, Instant};

use rusqlite::params;

use super::{Cache, Result};

/// A held lease; released on drop by `Cache::release`.
#[derive(Debug)]
pub struct Lease {
    pub name: String,
    pub holder: String,
}

use crate::clock::now;

impl Cache {
    /// Takes the lease `name` for `ttl`, waiting up to `wait` while another live holder has it.
    /// Returns `None` when the wait ran out; the caller may then go on without it.
    pub fn acquire(&mut self, name: &str, ttl: Duration, wait: Duration) -> Result<Option<Lease>> {
        let holder = format!("{}:{}", std::process::id(), now());
        let start = Instant::now();
        loop {
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

/// True when `holder` (as `acquire` writes it: "pid:time") names a process alive on this
/// host. A lease's holder that died (SIGKILL) is not alive even before its lease expires.
fn holder_alive(holder: &str) -> bool {
    let pid = holder.split(':').next().unwrap_or_default();
    !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
        && std::path::Path::new(&format!("/proc/{pid}")).exists()
}

impl Cache {
    /// Takes the lease `name` now, also from a holder that is dead; `None` when a live
    /// process holds it.
    pub fn take_lease(&mut self, name: &str, ttl: Duration) -> Result<Option<Lease>> {
        if let Some(l) = self.acquire(name, ttl, Duration::ZERO)? {
            return Ok(Some(l));
        }
        if self.lease_alive(name)? {
            return Ok(None);
        }
        self.conn
            .execute("DELETE FROM leases WHERE name = ?1", params![name])
            .map_err(|e| self.err(e))?;
        self.acquire(name, ttl, Duration::ZERO)
    }

    /// True when a live process of this host holds the lease `name`.
    pub fn lease_alive(&self, name: &str) -> Result<bool> {
        use rusqlite::OptionalExtension as _;
        let holder: Option<String> = self
            .conn
            .query_row(
                "SELECT holder FROM leases WHERE name = ?1 AND expires >= ?2",
                params![name, now()],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(holder.is_some_and(|h| holder_alive(&h)))
    }
}
