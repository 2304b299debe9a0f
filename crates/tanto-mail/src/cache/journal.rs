//! The cache's journal mode, one for every agent that opens the file. WAL where the cache is
//! on a local disk; the rollback journal on a network file system (`file_system`), or where
//! the config says `network_fs = true`. The mode lives in the file (SQLite keeps WAL in its
//! header), so the first agent's choice holds for all: a cache in rollback mode is never
//! switched back to WAL by an agent whose config does not say `network_fs`, and one in WAL
//! is switched to rollback only when no other process has it open (never a 30 s wait for a
//! lock that a running teammate holds).

use std::path::Path;

use rusqlite::Connection;

/// Sets the journal mode of the cache just opened on `conn` (`existed`: the file was there
/// before); true when it is the rollback journal.
pub fn choose(
    conn: &Connection,
    path: &Path,
    existed: bool,
    network_fs: bool,
) -> rusqlite::Result<bool> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
    let shared_fs = dir
        .and_then(super::file_system::network_file_system)
        .is_some();
    let want_rollback = network_fs || shared_fs;
    let current: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    let is_wal = current.eq_ignore_ascii_case("wal");
    if existed && !is_wal {
        // Rollback recorded by the agent who made it (or switched it): keep it.
        return Ok(true);
    }
    if !want_rollback {
        // Switching a new file to WAL, and migrating, take locks that SQLite does not wait
        // for with the busy handler: when two processes open a new cache at once, retry.
        super::retry_busy(|| conn.pragma_update(None, "journal_mode", "WAL"))?;
        return Ok(false);
    }
    if !is_wal {
        return Ok(true);
    }
    // WAL to rollback needs the file to itself: try once; while teammates have it open in
    // WAL it stays WAL (all agents agree), and the switch happens at a later start.
    conn.busy_timeout(std::time::Duration::ZERO)?;
    let switched = conn.pragma_update(None, "journal_mode", "DELETE");
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    match switched {
        Ok(()) => {
            let now: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
            Ok(!now.eq_ignore_ascii_case("wal"))
        }
        Err(rusqlite::Error::SqliteFailure(e, _))
            if matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}
