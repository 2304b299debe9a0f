//! How much work the cache's statements did: SQLite's own per-statement counters, read from
//! every statement the connection holds prepared (the cached ones). For regression guards
//! that count rows visited rather than time, and for finding a statement that scans.

use std::ffi::CStr;

use rusqlite::ffi;

use super::Cache;

/// The counters of one prepared statement since the last reset.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StmtStats {
    pub sql: String,
    /// Virtual machine steps: a measure of all the work done, rows visited included.
    pub vm_steps: u64,
    /// Steps forward in a table or index as part of a full scan.
    pub fullscan_steps: u64,
    /// Sorts (a temporary b-tree for an ORDER BY, GROUP BY or DISTINCT).
    pub sorts: u64,
    /// Rows inserted into automatic indexes (a missing index SQLite built on the fly).
    pub autoindex: u64,
}

impl Cache {
    /// The counters of every statement the connection holds prepared, and resets them when
    /// `reset`. Statements prepared and finalized at once (not cached) are not seen.
    pub fn statement_stats(&self, reset: bool) -> Vec<StmtStats> {
        let mut out = Vec::new();
        let reset = i32::from(reset);
        // SAFETY: the handle is this connection's, used on this thread only (`Cache` is not
        // `Sync`); sqlite3_next_stmt walks the statements the connection owns, and none is
        // finalized while we walk (we prepare and finalize nothing here). The SQL text is
        // owned by its statement and copied before the next call.
        unsafe {
            let db = self.conn.handle();
            let mut stmt = ffi::sqlite3_next_stmt(db, std::ptr::null_mut());
            while !stmt.is_null() {
                let sql = ffi::sqlite3_sql(stmt);
                let status = |op| ffi::sqlite3_stmt_status(stmt, op, reset).max(0) as u64;
                out.push(StmtStats {
                    sql: if sql.is_null() {
                        String::new()
                    } else {
                        CStr::from_ptr(sql).to_string_lossy().into_owned()
                    },
                    vm_steps: status(ffi::SQLITE_STMTSTATUS_VM_STEP),
                    fullscan_steps: status(ffi::SQLITE_STMTSTATUS_FULLSCAN_STEP),
                    sorts: status(ffi::SQLITE_STMTSTATUS_SORT),
                    autoindex: status(ffi::SQLITE_STMTSTATUS_AUTOINDEX),
                });
                stmt = ffi::sqlite3_next_stmt(db, stmt);
            }
        }
        out
    }

    /// The query plan of `sql` on this cache, one line per step (`EXPLAIN QUERY PLAN`).
    pub fn query_plan(&self, sql: &str) -> rusqlite::Result<Vec<String>> {
        let mut st = self.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        // Parameters stay unbound (NULL): the plan does not depend on their values.
        let mut rows = st.raw_query();
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push(r.get::<_, String>(3)?);
        }
        Ok(out)
    }
}
