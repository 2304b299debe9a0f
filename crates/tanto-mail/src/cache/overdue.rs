//! The open conversations past the reply target. A conversation is overdue when its last
//! customer mail is due (`tanto_core::hours::ReplyTarget`); the due time only grows with
//! the receive time, so "due by now" is "received at or before the cutoff", which the
//! caller works out once (`ReplyTarget::cutoff`). That makes overdue a range of the tab
//! index `(status, last_received)`: no column to keep in step with the config, and no scan.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::rows::{conv_row, counts_row, ConversationRow, CONV_COLUMNS};
use super::tab_query::ListFilter;
use super::{Cache, Result};
use tanto_core::status::Status;

/// How many open conversations of each tab are overdue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OverdueCounts {
    pub new: u64,
    pub wip: u64,
    /// In progress and the asker's.
    pub mine: u64,
}

impl Cache {
    /// Calls `f` with each open (New or In progress) conversation matching `filter` whose
    /// last customer mail came at or before `cutoff`, the longest waiting first; stops when
    /// `f` returns false.
    pub fn each_overdue(
        &self,
        filter: &ListFilter,
        cutoff: i64,
        mut f: impl FnMut(ConversationRow) -> bool,
    ) -> Result<()> {
        let r: rusqlite::Result<()> = (|| {
            let mut values = vec![Value::Integer(cutoff)];
            let mut sql = format!(
                "SELECT {CONV_COLUMNS} FROM conversations
                 WHERE messages > 0 AND status IN ('new', 'wip') AND last_received <= ?1"
            );
            for (col, v) in [
                ("status", filter.status.map(|s| s.as_str().to_string())),
                ("assignee", filter.assignee.clone()),
                ("mailbox", filter.mailbox.clone()),
            ] {
                if let Some(v) = v {
                    values.push(Value::Text(v));
                    sql.push_str(&format!(" AND {col} = ?{}", values.len()));
                }
            }
            sql.push_str(" ORDER BY last_received, id");
            let mut st = self.conn.prepare_cached(&sql)?;
            let mut rows = st.query(params_from_iter(values))?;
            while let Some(r) = rows.next()? {
                if !f(conv_row(r)?) {
                    break;
                }
            }
            Ok(())
        })();
        r.map_err(|e| self.err(e))
    }

    /// The overdue counts per tab (received at or before `cutoff`): the tab's kept total
    /// less its conversations not yet due, which are the range of the tab index after the
    /// cutoff, the mail of the last target's worth of business time. Counting the overdue
    /// ones themselves would read every row of a neglected tab (50 ms at 10,000).
    pub fn count_overdue(
        &self,
        mailbox: Option<&str>,
        me: &str,
        cutoff: i64,
    ) -> Result<OverdueCounts> {
        let totals = self.status_counts(mailbox, me)?;
        let r: rusqlite::Result<OverdueCounts> = (|| {
            let mut st = self.conn.prepare_cached(
                "SELECT status, COUNT(*), SUM(CASE WHEN assignee = ?3 THEN 1 ELSE 0 END)
                 FROM conversations
                 WHERE messages > 0 AND status IN ('new', 'wip') AND last_received > ?1
                   AND (?2 IS NULL OR mailbox = ?2)
                 GROUP BY status",
            )?;
            let rows = st.query_map(rusqlite::params![cutoff, mailbox, me], counts_row)?;
            // Two reads, not one snapshot: a write between them could make a count
            // briefly negative, and the next list load counts again.
            let mut counts = OverdueCounts {
                new: totals.new,
                wip: totals.wip,
                mine: totals.mine,
            };
            for row in rows {
                let (status, n, mine) = row?;
                match Status::parse(&status) {
                    Some(Status::New) => counts.new = counts.new.saturating_sub(n),
                    Some(Status::Wip) => {
                        counts.wip = counts.wip.saturating_sub(n);
                        counts.mine = counts.mine.saturating_sub(mine);
                    }
                    _ => {}
                }
            }
            Ok(counts)
        })();
        r.map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    fn cache_with(rows: &[(&str, Option<&str>, i64)]) -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(&dir.path().join("c.sqlite"), false).expect("open");
        for (i, (status, assignee, at)) in rows.iter().enumerate() {
            cache
                .conn
                .execute(
                    "INSERT INTO conversations (mailbox, id, root_date, root_key, status,
                       assignee, messages, last_received)
                     VALUES ('support', ?1, 0, ?1, ?2, ?3, 1, ?4)",
                    params![format!("{i:012x}"), status, assignee, at],
                )
                .expect("insert");
        }
        (dir, cache)
    }

    #[test]
    fn only_open_conversations_at_or_before_the_cutoff_are_overdue() {
        let (_dir, cache) = cache_with(&[
            ("new", None, 100),
            ("new", None, 200),
            ("new", None, 201),
            ("wip", Some("alice"), 50),
            ("wip", Some("bob"), 150),
            ("done", None, 10),
            ("noise", None, 10),
        ]);
        let counts = cache.count_overdue(None, "alice", 200).expect("counts");
        assert_eq!(
            counts,
            OverdueCounts {
                new: 2,
                wip: 2,
                mine: 1
            }
        );
        let mut got = Vec::new();
        cache
            .each_overdue(&ListFilter::default(), 200, |c| {
                got.push((c.status, c.last_received));
                true
            })
            .expect("list");
        assert_eq!(
            got,
            [
                (Status::Wip, 50),
                (Status::New, 100),
                (Status::Wip, 150),
                (Status::New, 200)
            ]
        );
        let mine = ListFilter {
            assignee: Some("bob".into()),
            ..ListFilter::default()
        };
        let mut n = 0;
        cache
            .each_overdue(&mine, 200, |_| {
                n += 1;
                true
            })
            .expect("mine");
        assert_eq!(n, 1);
    }

    /// Counting reads the range of the tab index after the cutoff, not the table.
    #[test]
    fn the_overdue_count_reads_the_tab_index() {
        let (_dir, cache) = cache_with(&[("new", None, 1)]);
        let plan: Vec<String> = cache
            .conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT status, COUNT(*) FROM conversations
                 WHERE messages > 0 AND status IN ('new', 'wip') AND last_received > 5
                   AND (NULL IS NULL OR mailbox = NULL) GROUP BY status",
            )
            .expect("prepare")
            .query_map([], |r| r.get::<_, String>(3))
            .expect("plan")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(
            plan,
            ["SEARCH conversations USING INDEX conversations_tab (status=? AND last_received>?)"]
        );
    }
}
