//! Reads for the CLI and the TUI: the conversation list (whole, or one window of a tab with
//! the counts per tab). The rows are in `rows`, a tab's filter in `tab_query`, one
//! conversation's lookup in `lookup`.

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension};

use super::rows::{
    conv_row, counts_row, fold_counts, mentioned_set_sql, unread_sql, window_row, ConversationRow,
    StatusCounts, WindowRow, CONV_COLUMNS,
};
use super::tab_query::{ListFilter, Params, TabQuery, SHORT_TEXT_CAP};
use super::{fts, Cache, Result};
use tanto_core::status::Status;

/// Per-agent marks on conversations, by (mailbox, id): see `Cache::personal_marks`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonalMarks {
    pub unread: std::collections::HashSet<(String, String)>,
    pub mentioned: std::collections::HashSet<(String, String)>,
}

impl Cache {
    /// Conversations matching `filter`, most recent first.
    pub fn list(&self, filter: &ListFilter) -> Result<Vec<ConversationRow>> {
        let mut out = Vec::new();
        self.each_conversation(filter, |c| {
            out.push(c);
            true
        })?;
        Ok(out)
    }

    /// Calls `f` with each conversation matching `filter`, most recent first, without
    /// holding them all in memory; stops when `f` returns false.
    pub fn each_conversation(
        &self,
        filter: &ListFilter,
        mut f: impl FnMut(ConversationRow) -> bool,
    ) -> Result<()> {
        let r: rusqlite::Result<()> = (|| {
            // Only the conditions that apply, so that the index of the status tab or of the
            // agent serves both the filter and the order (`?1 IS NULL OR ...` defeats it).
            let mut conds = vec!["messages > 0"];
            if filter.status.is_some() {
                conds.push("status = ?1");
            }
            if filter.assignee.is_some() {
                conds.push("assignee = ?2");
            }
            if filter.mailbox.is_some() {
                conds.push("mailbox = ?3");
            }
            let sql = format!(
                "SELECT {CONV_COLUMNS} FROM conversations WHERE {}
                 ORDER BY last_received DESC, id",
                conds.join(" AND ")
            );
            let mut st = self.conn.prepare_cached(&sql)?;
            // Unused numbered parameters are not in the statement: bind by the number of
            // the condition, skipping the absent ones.
            let values = [
                filter.status.map(Status::as_str),
                filter.assignee.as_deref(),
                filter.mailbox.as_deref(),
            ];
            for (i, value) in values.into_iter().enumerate() {
                if value.is_some() {
                    st.raw_bind_parameter(i + 1, value)?;
                }
            }
            let mut rows = st.raw_query();
            while let Some(r) = rows.next()? {
                if !f(conv_row(r)?) {
                    break;
                }
            }
            Ok(())
        })();
        r.map_err(|e| self.err(e))
    }

    /// Whether the filter's trigram index answers text filters (see `build_filter_index`).
    pub fn fts_ready(&self) -> bool {
        fts::ready(&self.conn).unwrap_or(false)
    }

    /// Whether `q`'s text is matched through the trigram index (asked only of a query with
    /// text: a tab's window, loaded at every key, does not read the schema).
    fn indexed_for(&self, q: &TabQuery) -> bool {
        q.text_pattern().is_some() && self.fts_ready()
    }

    /// Fills the filter's trigram index and keeps it from now on. A first sync leaves it
    /// out (a fifth of its time at 100,000 messages, for the TUI's filter only); until it
    /// is built, text filters match with LIKE, capped as 1-2 characters are. Returns
    /// whether it built; nothing is done while a bulk load is under way (its end would
    /// leave the index stale).
    pub fn build_filter_index(&mut self) -> Result<bool> {
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let r = (|| {
            let loading = tx
                .prepare_cached("SELECT 1 FROM folders WHERE loading = 1")?
                .exists([])?;
            if loading || fts::ready(&tx)? {
                return Ok(false);
            }
            fts::KEPT.ensure(&tx)?;
            tx.commit()?;
            Ok(true)
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// At most `limit` rows of a tab from row `offset` on, most recent first; never reads
    /// more rows than it returns (plus the skipped ones through the index).
    pub fn list_window(
        &self,
        q: &TabQuery,
        me: &str,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<WindowRow>> {
        let r: rusqlite::Result<Vec<WindowRow>> = (|| {
            let cols = CONV_COLUMNS
                .replace("mailbox,", "c.mailbox,")
                .replace(" id,", " c.id,");
            let mut p = Params::default();
            let cond = q.where_clause(self.indexed_for(q), &mut p);
            let me_at = p.bind(me.to_string());
            let sql = format!(
                "SELECT {cols},
                   (SELECT group_concat(p.agent, ', ') FROM presence p
                     WHERE p.mailbox = c.mailbox AND p.conv = c.id AND p.expires > {now}
                       AND p.agent != {me}),
                   {unread},
                   (c.mailbox, c.id) IN ({mentioned})
                 FROM conversations c WHERE {cond}
                 ORDER BY c.last_received DESC, c.id LIMIT {limit} OFFSET {offset}",
                now = p.bind(tanto_core::clock::now()),
                me = p.bind(me.to_string()),
                limit = p.bind(limit.min(i64::MAX as u64) as i64),
                offset = p.bind(offset.min(i64::MAX as u64) as i64),
                unread = unread_sql(&me_at),
                mentioned = mentioned_set_sql(&me_at),
            );
            let mut st = self.conn.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(p.0), window_row)?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// The keys of a text-filtered tab in its order, in one query: its size and the
    /// selection's position come from them, its window from `rows_of`. A text shorter than
    /// the trigram index answers is matched with LIKE over the tab and stops at the
    /// `SHORT_TEXT_CAP` most recent matches.
    pub fn filtered_keys(&self, q: &TabQuery) -> Result<Vec<(String, String)>> {
        let r: rusqlite::Result<Vec<(String, String)>> = (|| {
            let indexed = self.indexed_for(q);
            let short = q
                .text
                .as_deref()
                .is_some_and(|t| !indexed || t.chars().count() < fts::MIN_CHARS);
            let cap = if short {
                format!(" LIMIT {SHORT_TEXT_CAP}")
            } else {
                String::new()
            };
            let mut p = Params::default();
            let (from, cond) = q.hits_first(indexed, &mut p);
            let sql = format!(
                "SELECT c.mailbox, c.id FROM {from} WHERE {cond}
                 ORDER BY c.last_received DESC, c.id{cap}"
            );
            let mut st = self.conn.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(p.0), |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// The list rows of these conversations, in this order (each found by its key).
    pub fn rows_of(&self, keys: &[(String, String)], me: &str) -> Result<Vec<WindowRow>> {
        let r: rusqlite::Result<Vec<WindowRow>> = (|| {
            let cols = CONV_COLUMNS
                .replace("mailbox,", "c.mailbox,")
                .replace(" id,", " c.id,");
            let mut st = self.conn.prepare_cached(&format!(
                "SELECT {cols},
                   (SELECT group_concat(p.agent, ', ') FROM presence p
                     WHERE p.mailbox = c.mailbox AND p.conv = c.id AND p.expires > ?3 AND p.agent != ?4),
                   {unread},
                   (c.mailbox, c.id) IN ({mentioned})
                 FROM conversations c WHERE c.mailbox = ?1 AND c.id = ?2",
                unread = unread_sql("?4"),
                mentioned = mentioned_set_sql("?4"),
            ))?;
            let now = tanto_core::clock::now();
            let mut out = Vec::with_capacity(keys.len());
            for (mailbox, id) in keys {
                let row = st
                    .query_row(params![mailbox, id, now, me], window_row)
                    .optional()?;
                out.extend(row);
            }
            Ok(out)
        })();
        r.map_err(|e| self.err(e))
    }

    /// How many conversations a tab holds: from the kept counts unless the tab is narrowed
    /// to a customer or a text.
    pub fn count_tab(&self, q: &TabQuery) -> Result<u64> {
        let r: rusqlite::Result<u64> = (|| {
            if q.counted() {
                let mut sql = String::from("SELECT COALESCE(SUM(n), 0) FROM tab_counts WHERE 1");
                let mut values = Vec::new();
                for (col, v) in [
                    ("status", q.status.map(|s| s.as_str().to_string())),
                    ("assignee", q.assignee.clone()),
                    ("mailbox", q.mailbox.clone()),
                ] {
                    if let Some(v) = v {
                        values.push(Value::Text(v));
                        sql.push_str(&format!(" AND {col} = ?{}", values.len()));
                    }
                }
                let n: i64 = self
                    .conn
                    .prepare_cached(&sql)?
                    .query_row(params_from_iter(values), |r| r.get(0))?;
                return Ok(n.max(0) as u64);
            }
            let mut p = Params::default();
            let cond = q.where_clause(self.indexed_for(q), &mut p);
            let sql = format!("SELECT COUNT(*) FROM conversations c WHERE {cond}");
            self.conn
                .prepare_cached(&sql)?
                .query_row(params_from_iter(p.0), |r| r.get(0))
        })();
        r.map_err(|e| self.err(e))
    }

    /// Where conversation `id` sits in a tab's order (0 = first), if the tab holds it: a
    /// count of the entries before it in the tab's index.
    pub fn position_in_tab(&self, q: &TabQuery, mailbox: &str, id: &str) -> Result<Option<u64>> {
        let r: rusqlite::Result<Option<u64>> = (|| {
            let indexed = self.indexed_for(q);
            let mut p = Params::default();
            let cond = q.where_clause(indexed, &mut p);
            let sql = format!(
                "SELECT c.last_received FROM conversations c
                 WHERE {cond} AND c.mailbox = {} AND c.id = {}",
                p.bind(mailbox.to_string()),
                p.bind(id.to_string()),
            );
            let found: Option<i64> = self
                .conn
                .prepare_cached(&sql)?
                .query_row(params_from_iter(p.0), |r| r.get(0))
                .optional()?;
            let Some(last) = found else {
                return Ok(None);
            };
            let mut p = Params::default();
            let cond = q.where_clause(indexed, &mut p);
            let (at, key) = (p.bind(last), p.bind(id.to_string()));
            let sql = format!(
                "SELECT COUNT(*) FROM conversations c WHERE {cond}
                   AND c.last_received >= {at}
                   AND (c.last_received > {at} OR c.id < {key})"
            );
            let before: u64 = self
                .conn
                .prepare_cached(&sql)?
                .query_row(params_from_iter(p.0), |r| r.get(0))?;
            Ok(Some(before))
        })();
        r.map_err(|e| self.err(e))
    }

    /// The number of conversations per status, and `me`'s in progress, from the kept
    /// counts (a few rows, whatever the cache holds).
    pub fn status_counts(&self, mailbox: Option<&str>, me: &str) -> Result<StatusCounts> {
        let r: rusqlite::Result<StatusCounts> = (|| {
            let mut st = self.conn.prepare_cached(
                "SELECT status, SUM(n), SUM(CASE WHEN assignee = ?2 THEN n ELSE 0 END)
                 FROM tab_counts WHERE ?1 IS NULL OR mailbox = ?1 GROUP BY status",
            )?;
            let rows = st.query_map(params![mailbox, me], counts_row)?;
            let mut counts = fold_counts(rows)?;
            // Mine also holds what a teammate's note names this agent in (and is not theirs
            // in progress already).
            counts.mine += self
                .conn
                .query_row(
                    &format!(
                        "SELECT COUNT(*) FROM conversations c
                      WHERE (?1 IS NULL OR c.mailbox = ?1) AND c.messages > 0
                        AND NOT (c.status = 'wip' AND c.assignee IS ?2)
                        AND (c.mailbox, c.id) IN ({})",
                        mentioned_set_sql("?2")
                    ),
                    params![mailbox, me],
                    |r| r.get::<_, i64>(0),
                )?
                .max(0) as u64;
            Ok(counts)
        })();
        r.map_err(|e| self.err(e))
    }

    /// The conversations with mail `me` has not seen and those a teammate's note names `me`
    /// in since they last looked (`tanto list --json`'s `unread` and `mentioned`), each in
    /// one pass: a lookup per conversation would cost 100,000 of them for a big list.
    pub fn personal_marks(&self, me: &str) -> Result<PersonalMarks> {
        let r: rusqlite::Result<PersonalMarks> = (|| {
            // Unread: mail newer than the agent's last look at its conversation, else than
            // their start on this cache. Only mail after the start can be: a range of the
            // arrival index finds the candidates, and the looks decide in memory.
            let start: Option<i64> = self
                .conn
                .query_row(
                    "SELECT at FROM agent_seen WHERE agent = ?1 AND mailbox = '' AND conv = ''",
                    params![me],
                    |r| r.get(0),
                )
                .optional()?;
            let mut unread = std::collections::HashSet::new();
            if let Some(start) = start {
                let mut looked = std::collections::HashMap::new();
                let mut st = self.conn.prepare_cached(
                    "SELECT mailbox, conv, at FROM agent_seen WHERE agent = ?1 AND conv != ''",
                )?;
                let rows = st.query_map(params![me], conv_and_time)?;
                for row in rows {
                    let (key, at) = row?;
                    looked.insert(key, at);
                }
                let mut st = self.conn.prepare_cached(
                    "SELECT m.mailbox, m.conv, MAX(m.internal_date) FROM messages m
                       INDEXED BY messages_arrival
                      WHERE m.internal_date > ?2
                        AND (m.message_id IS NULL
                             OR m.message_id NOT LIKE 'tanto.' || m.conv || '.' || ?1 || '.%')
                      GROUP BY m.mailbox, m.conv",
                )?;
                let rows = st.query_map(params![me, start], conv_and_time)?;
                for row in rows {
                    let (key, newest) = row?;
                    if newest > looked.get(&key).copied().unwrap_or(start) {
                        unread.insert(key);
                    }
                }
            }
            let mut st = self.conn.prepare_cached(&mentioned_set_sql("?1"))?;
            let rows = st.query_map(params![me], |r| Ok((r.get(0)?, r.get(1)?)))?;
            let mentioned = rows.collect::<rusqlite::Result<_>>()?;
            Ok(PersonalMarks { unread, mentioned })
        })();
        r.map_err(|e| self.err(e))
    }

    /// The tab counts for what `q` narrows to (its mailbox, customer and text, whatever the
    /// tab): the matches per tab, and true; or, when it narrows nothing or its text is too
    /// short for the index (or the index is not built yet), the kept totals, and false.
    pub fn counts_for(&self, q: &TabQuery, me: &str) -> Result<(StatusCounts, bool)> {
        let all = TabQuery {
            status: None,
            assignee: None,
            ..q.clone()
        };
        let indexed = self.indexed_for(&all);
        let short = all
            .text
            .as_deref()
            .is_some_and(|t| !indexed || t.chars().count() < fts::MIN_CHARS);
        if all.counted() || short {
            return Ok((self.status_counts(q.mailbox.as_deref(), me)?, false));
        }
        let r: rusqlite::Result<StatusCounts> = (|| {
            let mut p = Params::default();
            let (from, cond) = all.hits_first(indexed, &mut p);
            let sql = format!(
                "SELECT c.status, COUNT(*), SUM(CASE WHEN c.assignee = {} THEN 1 ELSE 0 END)
                 FROM {from} WHERE {cond} GROUP BY c.status",
                p.bind(me.to_string())
            );
            let mut st = self.conn.prepare_cached(&sql)?;
            let rows = st.query_map(params_from_iter(p.0), counts_row)?;
            fold_counts(rows)
        })();
        r.map(|c| (c, true)).map_err(|e| self.err(e))
    }

    /// Every agent id the activity log names (for the assign picker).
    pub fn agents_seen(&self) -> Result<Vec<String>> {
        let r: rusqlite::Result<Vec<String>> = (|| {
            let mut st = self.conn.prepare_cached(
                "SELECT agent FROM events UNION SELECT owner FROM events WHERE owner IS NOT NULL
                 ORDER BY 1",
            )?;
            let rows = st.query_map([], |r| r.get(0))?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }
}

/// A row of (mailbox, conversation id, a time): the personal marks' two reads.
fn conv_and_time(r: &rusqlite::Row<'_>) -> rusqlite::Result<((String, String), i64)> {
    Ok(((r.get(0)?, r.get(1)?), r.get(2)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cache with `n` conversations straight in the table: status by index, newest first
    /// by index.
    fn cache_with(n: usize) -> (tempfile::TempDir, Cache) {
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = Cache::open(&dir.path().join("c.sqlite"), false).expect("open");
        for i in 0..n {
            let status = ["new", "wip", "done", "noise"][i % 4];
            let assignee = (status == "wip").then_some(if i % 8 == 1 { "alice" } else { "bob" });
            let (subject, customer) = (format!("Question {i} 100%"), format!("c{i}@example.com"));
            put(
                &cache,
                i,
                &subject,
                &customer,
                status,
                assignee,
                1_000_000 - i as i64,
            );
        }
        (dir, cache)
    }

    /// A conversation of one message, numbered `i` (its id is `i` in hex).
    fn put(
        cache: &Cache,
        i: usize,
        subject: &str,
        customer: &str,
        status: &str,
        assignee: Option<&str>,
        last_received: i64,
    ) {
        cache
            .conn
            .execute(
                "INSERT INTO conversations (mailbox, id, root_date, root_key, subject, customer,
                   status, assignee, messages, last_received)
                 VALUES ('support', ?1, 0, ?1, ?2, ?3, ?4, ?5, 1, ?6)",
                params![
                    format!("{i:012x}"),
                    subject,
                    customer,
                    status,
                    assignee,
                    last_received
                ],
            )
            .expect("insert");
    }

    fn new_tab() -> TabQuery {
        TabQuery {
            status: Some(Status::New),
            ..TabQuery::default()
        }
    }

    #[test]
    fn the_customers_name_is_found_where_their_mail_gave_one() {
        let (_dir, cache) = cache_with(8);
        // Conversation 0 (New): the customer's mail with a name, and the team's reply.
        // Conversation 4 (New): a mail with no name.
        for (uid, conv, from_name, from_email) in [
            (1, 0usize, Some("山田 花子"), "c0@example.com"),
            (2, 0, Some("Support Team"), "support@example.com"),
            (3, 4, None, "c4@example.com"),
        ] {
            cache
                .conn
                .execute(
                    "INSERT INTO messages (folder_id, uid, mailbox, from_name, from_email,
                       thread_key, direction, customer, conv)
                     VALUES (1, ?1, 'support', ?2, ?3, ?1, ?4, ?5, ?6)",
                    params![
                        uid,
                        from_name,
                        from_email,
                        if uid == 2 { "out" } else { "in" },
                        format!("c{conv}@example.com"),
                        format!("{conv:012x}")
                    ],
                )
                .expect("insert");
        }
        // The summaries are written again from the messages, as a sync does.
        let tx = cache.conn.unchecked_transaction().expect("tx");
        let convs: std::collections::BTreeSet<String> =
            [0usize, 4].map(|i| format!("{i:012x}")).into();
        crate::cache::store::refresh(&tx, "support", &convs).expect("refresh");
        tx.commit().expect("commit");
        let rows = cache
            .list_window(&TabQuery::default(), "alice", 0, 10)
            .expect("window");
        let name = |i: usize| {
            rows.iter()
                .find(|r| r.conversation.id == format!("{i:012x}"))
                .map(|r| r.conversation.customer_name.clone())
        };
        assert_eq!(name(0), Some(Some("山田 花子".to_string())));
        assert_eq!(name(4), Some(None), "no name given");
        assert_eq!(name(1), Some(None), "no mail of theirs");
    }

    #[test]
    fn a_tab_is_read_one_window_at_a_time_with_counts_and_positions() {
        let (_dir, cache) = cache_with(400);
        let rows = cache
            .list_window(&new_tab(), "alice", 10, 5)
            .expect("window");
        assert_eq!(rows.len(), 5);
        // New is every 4th row: the 11th of them is row 40.
        assert_eq!(rows[0].conversation.id, format!("{:012x}", 40));
        assert_eq!(cache.count_tab(&new_tab()).expect("count"), 100);
        let pos = cache
            .position_in_tab(&new_tab(), "support", &format!("{:012x}", 40))
            .expect("position");
        assert_eq!(pos, Some(10));
        let other = cache
            .position_in_tab(&new_tab(), "support", &format!("{:012x}", 41))
            .expect("position");
        assert_eq!(other, None, "a wip conversation is not in New");
        let counts = cache.status_counts(None, "alice").expect("counts");
        assert_eq!(
            counts,
            StatusCounts {
                new: 100,
                wip: 100,
                done: 100,
                noise: 100,
                mine: 50,
                ..StatusCounts::default()
            }
        );
    }

    #[test]
    fn the_kept_counts_follow_every_write_of_the_conversations() {
        let (_dir, cache) = cache_with(200);
        let real = |cache: &Cache, q: &TabQuery| -> u64 {
            let mut sql = String::from("SELECT COUNT(*) FROM conversations WHERE messages > 0");
            if let Some(s) = q.status {
                sql.push_str(&format!(" AND status = '{}'", s.as_str()));
            }
            if let Some(a) = &q.assignee {
                sql.push_str(&format!(" AND assignee = '{a}'"));
            }
            cache.conn.query_row(&sql, [], |r| r.get(0)).expect("count")
        };
        cache
            .conn
            .execute_batch(
                "UPDATE conversations SET status = 'wip', assignee = 'alice' WHERE id < '000000000020';
                 UPDATE conversations SET messages = 0 WHERE id >= '000000000030' AND id < '000000000038';
                 UPDATE conversations SET messages = 2 WHERE id >= '000000000034' AND id < '000000000036';
                 DELETE FROM conversations WHERE id >= '000000000040' AND id < '000000000050';
                 UPDATE conversations SET assignee = NULL, status = 'done' WHERE id = '000000000011';",
            )
            .expect("writes");
        let mine = TabQuery {
            status: Some(Status::Wip),
            assignee: Some("alice".into()),
            ..TabQuery::default()
        };
        for status in [
            None,
            Some(Status::New),
            Some(Status::Wip),
            Some(Status::Done),
        ] {
            let q = TabQuery {
                status,
                ..TabQuery::default()
            };
            assert_eq!(cache.count_tab(&q).expect("kept"), real(&cache, &q));
        }
        assert_eq!(cache.count_tab(&mine).expect("kept"), real(&cache, &mine));
        let counts = cache.status_counts(None, "alice").expect("counts");
        assert_eq!(counts.mine, real(&cache, &mine));
        // Narrowed to a customer: counted, not kept.
        let one = TabQuery {
            customer: Some("c60@example.com".into()),
            ..TabQuery::default()
        };
        assert_eq!(cache.count_tab(&one).expect("count"), 1);
    }

    #[test]
    fn a_search_counts_its_matches_in_every_tab_whatever_the_tab() {
        let (_dir, cache) = cache_with(40);
        // "Question 1" is in 1 and 10-19 (status by i % 4; alice holds i % 8 == 1): new 12,
        // 16; wip 1, 13, 17 (alice's: 1, 17); done 10, 14, 18; noise 11, 15, 19.
        let q = TabQuery {
            text: Some("Question 1".into()),
            ..new_tab()
        };
        let (counts, matches) = cache.counts_for(&q, "alice").expect("counts");
        assert!(matches);
        assert_eq!(
            counts,
            StatusCounts {
                new: 2,
                wip: 3,
                done: 3,
                noise: 3,
                mine: 2,
                ..StatusCounts::default()
            },
        );
        // A customer (H): that customer's conversations in every tab.
        let q = TabQuery {
            customer: Some("c14@example.com".into()),
            ..new_tab()
        };
        let (counts, matches) = cache.counts_for(&q, "alice").expect("counts");
        assert!(matches);
        assert_eq!((counts.new, counts.done), (0, 1));
        // Nothing narrowed (or a text too short to count): the kept totals.
        let (counts, matches) = cache.counts_for(&new_tab(), "alice").expect("counts");
        assert!(!matches);
        assert_eq!(counts.new, 10);
        let q = TabQuery {
            text: Some("Qu".into()),
            ..new_tab()
        };
        assert!(!cache.counts_for(&q, "alice").expect("counts").1);
    }

    #[test]
    fn the_filter_matches_text_literally() {
        let (_dir, cache) = cache_with(40);
        let q = TabQuery {
            text: Some("question 12 ".into()),
            ..new_tab()
        };
        let rows = cache.list_window(&q, "alice", 0, 10).expect("window");
        assert_eq!(rows.len(), 1);
        // % and _ are no wildcards.
        let q = TabQuery {
            text: Some("2_".into()),
            ..new_tab()
        };
        assert_eq!(cache.count_tab(&q).expect("count"), 0);
        let q = TabQuery {
            text: Some("100%".into()),
            ..new_tab()
        };
        assert_eq!(cache.count_tab(&q).expect("count"), 10);
    }

    /// The filter's matches as the LIKE over the columns gave them before the trigram
    /// index: case folded, `%` and `_` literal, newest first. (LIKE folds ASCII only, the
    /// index any letter: "Ø" finds "ø" from 3 characters on.)
    fn by_hand(cache: &Cache, q: &TabQuery) -> Vec<(String, String)> {
        let text = q.text.clone().unwrap_or_default().to_lowercase();
        let mut st = cache
            .conn
            .prepare(
                "SELECT mailbox, id, subject, customer, COALESCE(assignee, ''), status
                 FROM conversations WHERE messages > 0 ORDER BY last_received DESC, id",
            )
            .expect("prepare");
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    [r.get::<_, String>(2)?, r.get(3)?, r.get(4)?],
                    r.get::<_, String>(5)?,
                ))
            })
            .expect("query");
        rows.map(|r| r.expect("row"))
            .filter(|(_, _, cols, status)| {
                q.status.is_none_or(|s| s.as_str() == status)
                    && cols.iter().any(|c| c.to_lowercase().contains(&text))
            })
            .map(|(m, i, _, _)| (m, i))
            .collect()
    }

    #[test]
    fn the_filter_finds_what_the_like_found_for_short_and_long_text_in_any_script() {
        let (_dir, cache) = cache_with(0);
        let convs = [
            ("Order 100% refund", "Anna Schmidt <anna@example.com>", None),
            ("ORDER_2 not shipped", "bob@example.com", Some("alice")),
            (
                "ご注文の件について（注文番号12）",
                "山田 太郎 <taro@example.jp>",
                None,
            ),
            (
                "請求書の再発行のお願い",
                "佐藤 花子 <hanako@example.jp>",
                None,
            ),
            ("ログインできません", "anna@example.com", Some("bob")),
            ("Re: order2 question", "注文 <chu@example.jp>", None),
            ("Invoice", "Ørsted <o@example.dk>", None),
        ];
        for (i, (subject, customer, assignee)) in convs.iter().enumerate() {
            let status = if assignee.is_some() { "wip" } else { "new" };
            put(
                &cache,
                i,
                subject,
                customer,
                status,
                *assignee,
                1_000 - i as i64,
            );
        }
        // A later rename of the subject and a claim reach the index too.
        cache
            .conn
            .execute_batch(
                "UPDATE conversations SET subject = 'Invoice copy please' WHERE id = '000000000006';
                 UPDATE conversations SET assignee = 'carol', status = 'wip' WHERE id = '000000000003';",
            )
            .expect("update");
        let texts = [
            "o",
            "O",
            "注",
            "注文",
            "%",
            "_",
            "2_",
            "_2",
            "100%",
            "0%",
            "or",
            "ord",
            "ORDER",
            "order_2",
            "order2",
            "注文番号",
            "の再発",
            "anna",
            "example.jp",
            "copy please",
            "carol",
            "ali",
            "ØRS",
            "\"order",
            "\"",
            "a OR b",
            "none such",
            "  ",
        ];
        let check = |cache: &Cache, index: &str| {
            for text in texts {
                check_text(cache, text, index);
            }
        };
        check(&cache, "kept index");
        crate::cache::fts::assert_kept(&cache.conn, "after the writes");
        // As a first sync leaves it: no index yet, LIKE finds the same.
        crate::cache::fts::KEPT
            .drop_triggers(&cache.conn)
            .expect("drop");
        assert!(!cache.fts_ready());
        check(&cache, "no index");
        let mut cache = cache;
        assert!(cache.build_filter_index().expect("build"));
        assert!(cache.fts_ready());
        assert!(!cache.build_filter_index().expect("built already"));
        crate::cache::fts::assert_kept(&cache.conn, "after building");
        check(&cache, "built index");
    }

    fn check_text(cache: &Cache, text: &str, index: &str) {
        {
            for status in [None, Some(Status::New), Some(Status::Wip)] {
                let q = TabQuery {
                    status,
                    text: Some(text.into()),
                    ..TabQuery::default()
                };
                let want = by_hand(cache, &q);
                let keys = cache.filtered_keys(&q).expect("keys");
                assert_eq!(keys, want, "{text:?} in {status:?}, {index}");
                assert_eq!(
                    cache.count_tab(&q).expect("count") as usize,
                    want.len(),
                    "{text:?}"
                );
                let window = cache.list_window(&q, "alice", 0, 100).expect("window");
                let ids: Vec<_> = window
                    .iter()
                    .map(|r| (r.conversation.mailbox.clone(), r.conversation.id.clone()))
                    .collect();
                assert_eq!(ids, want, "{text:?}");
                let rows = cache.rows_of(&keys, "alice").expect("rows");
                assert_eq!(rows, window, "{text:?}");
                if let Some((m, id)) = want.last() {
                    let pos = cache.position_in_tab(&q, m, id).expect("position");
                    assert_eq!(pos, Some(want.len() as u64 - 1), "{text:?}");
                }
            }
        }
    }
}
