//! The shared SQLite cache: one file that several `tanto` processes of several agents on one
//! host open at once. It holds nothing that is not also on the IMAP server, so it can be
//! deleted at any moment and rebuilt by the next sync.

mod audit;
mod bulk;
mod checkpointer;
mod desk;
mod events;
mod file_system;
mod fts;
mod history;
mod journal;
mod kept;
mod lease;
mod lookup;
mod outbox_seen;
mod overdue;
mod query;
mod rows;
mod schema;
mod stats;
mod store;
mod tab_counts;
mod tab_query;
mod thread;

#[cfg(test)]
mod log_tags_tests;
#[cfg(test)]
mod perf_tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

pub use audit::CachedStates;
pub use bulk::BulkLoad;
pub use events::{EventRow, StateMessage};
pub use history::{Dated, HistoryEvent};
pub use lease::{host_name, Lease};
pub use lookup::{Lookup, OutsideReply};
pub use outbox_seen::OutboxSeen;
pub use overdue::OverdueCounts;
pub use query::PersonalMarks;
pub use rows::{ConversationRow, MessageRow, StatusCounts, WindowRow};
pub use stats::StmtStats;
pub use store::{FolderRole, FolderState, Team};
pub use tab_query::{ListFilter, TabQuery};

/// The page cache, negative: in KiB (see `Cache::open`).
const CACHE_KIB: i64 = -24576;

/// The page size of a new cache file (an existing one keeps its own). 16 KiB rather than
/// SQLite's 4: a first sync writes each page through the WAL and copies it into the file,
/// a system call each, and sorts its indexes through temp files; with bigger pages there are
/// a quarter of the calls (10,000 messages: 11,400 writes and 8,700 reads at 4 KiB), and a
/// cold sync costs ~6 % less CPU (farm-bench, 30 pairs: wall 0.963x, CPU 0.94x), a list the
/// same time and memory.
const PAGE_BYTES: i64 = 16384;

/// Why the cache could not be used, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("cache {path}: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot create the cache directory {path}: {source}")]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cache {path} was written by a newer tanto (schema {found}, this one knows {known}); upgrade tanto or run `tanto cache rebuild`")]
    TooNew {
        path: PathBuf,
        found: u32,
        known: u32,
    },
}

pub type Result<T> = std::result::Result<T, CacheError>;

/// An open cache. Not `Sync`: each thread opens its own.
pub struct Cache {
    conn: Connection,
    path: PathBuf,
}

impl Cache {
    /// Opens (creating when missing) the cache at `path`; `network_fs` picks a rollback
    /// journal instead of WAL, which needs shared memory that network file systems lack.
    pub fn open(path: &Path, network_fs: bool) -> Result<Cache> {
        let wrap = |source| CacheError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if !dir.exists() {
                std::fs::create_dir_all(dir).map_err(|source| CacheError::Dir {
                    path: dir.to_path_buf(),
                    source,
                })?;
                set_mode(dir, 0o770);
            }
        }
        let existed = path.exists();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(wrap)?;
        if !existed {
            // Group-shared, never world-readable: the team shares it, nobody else reads mail.
            set_mode(path, 0o660);
        }
        conn.busy_timeout(Duration::from_secs(30)).map_err(wrap)?;
        // The sync's statements (threading, summaries, flags) are more than the default 16:
        // with fewer slots they would be prepared again for every message.
        conn.set_prepared_statement_cache_capacity(64);
        if !existed {
            // Before anything is written: the page size is fixed with the first page.
            conn.pragma_update(None, "page_size", PAGE_BYTES)
                .map_err(wrap)?;
        }
        let rollback = journal::choose(&conn, path, existed, network_fs).map_err(wrap)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(wrap)?;
        conn.pragma_update(None, "temp_store", "MEMORY")
            .map_err(wrap)?;
        // 24 MB of page cache (2 MB by default): the hot index pages of a big mailbox stay in
        // memory during a sync, and a batch's dirty pages are not spilled before its commit.
        conn.pragma_update(None, "cache_size", CACHE_KIB)
            .map_err(wrap)?;
        if !rollback {
            // No memory-mapped reads: every page a sync or a list touched would count in the
            // process's memory (118 MB for a sync of 100,000 messages, 78 MB for a list),
            // for no measurable gain over the page cache. A checkpoint every 16 MB of WAL
            // rather than 4: a sync rewrites the same index pages batch after batch.
            conn.pragma_update(None, "wal_autocheckpoint", 4000)
                .map_err(wrap)?;
        }
        let mut cache = Cache {
            conn,
            path: path.to_path_buf(),
        };
        let found = retry_busy(|| schema::migrate(&mut cache.conn)).map_err(wrap)?;
        if found > schema::VERSION {
            return Err(CacheError::TooNew {
                path: path.to_path_buf(),
                found,
                known: schema::VERSION,
            });
        }
        Ok(cache)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, source: rusqlite::Error) -> CacheError {
        CacheError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Deletes every cached row; the next sync fetches everything again.
    pub fn clear(&mut self) -> Result<()> {
        let r = self.conn.execute_batch(
            "BEGIN IMMEDIATE;
             DELETE FROM messages; DELETE FROM thread_ids; DELETE FROM conversations;
             DELETE FROM bodies; DELETE FROM folders; DELETE FROM leases;
             DELETE FROM events; DELETE FROM presence; DELETE FROM outbox_seen; DELETE FROM log_state;
             COMMIT;",
        );
        r.map_err(|e| self.err(e))?;
        self.conn.execute_batch("VACUUM").map_err(|e| self.err(e))
    }
}

/// Runs `f` again while SQLite reports the database busy or locked, for up to 30 s.
fn retry_busy<T>(mut f: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let start = std::time::Instant::now();
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && start.elapsed() < Duration::from_secs(30) =>
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            other => return other,
        }
    }
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    // Best effort: on a file system without modes the umask decides.
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

#[cfg(not(unix))]
fn set_mode(_path: &Path, _mode: u32) {}

#[cfg(test)]
mod tests {
    use super::*;

    fn journal(c: &Cache) -> String {
        c.conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("pragma")
    }

    #[test]
    fn agents_with_different_network_fs_settings_agree_on_the_file_s_journal() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Rollback first: an agent without network_fs keeps it (before: switched to WAL).
        let path = dir.path().join("a.sqlite");
        drop(Cache::open(&path, true).expect("open"));
        let other = Cache::open(&path, false).expect("open");
        assert_eq!(journal(&other), "delete");
        // WAL first, held open by a running agent: one with network_fs does not wait 30 s
        // for it, and uses WAL like it.
        let path = dir.path().join("b.sqlite");
        let running = Cache::open(&path, false).expect("open");
        assert_eq!(journal(&running), "wal");
        let started = std::time::Instant::now();
        let late = Cache::open(&path, true).expect("open");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(journal(&late), "wal");
        // Once nobody has it open, network_fs switches it for everyone.
        drop(running);
        drop(late);
        drop(Cache::open(&path, true).expect("open"));
        let after = Cache::open(&path, false).expect("open");
        assert_eq!(journal(&after), "delete");
    }

    #[test]
    fn a_cache_on_a_network_file_system_uses_a_rollback_journal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let local = Cache::open(&dir.path().join("a.sqlite"), false).expect("open");
        assert_eq!(journal(&local), "wal");
        let nfs = Cache::open(&dir.path().join("b.sqlite"), true).expect("open");
        assert_eq!(journal(&nfs), "delete");
        // Opening again finds the schema in place.
        drop(local);
        let again = Cache::open(&dir.path().join("a.sqlite"), false).expect("reopen");
        assert_eq!(again.message_count().expect("count"), 0);
    }
}
