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
