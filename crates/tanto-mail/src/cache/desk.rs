//! What automatic assignment reads from the cache (`core::assignment`): the duty records,
//! each agent's open conversations, and who had the last turn. All of it is the server's
//! (activity folder, inbox keywords), so every agent's client reads the same.

use rusqlite::{params, OptionalExtension};

use super::{Cache, Result};
use tanto_core::assignment::Duty;

impl Cache {
    /// Why conversation `conv` waits and until when: its log's newest state event, when
    /// that is a `wait` or `snooze` (`None` otherwise).
    pub fn waiting_why(
        &self,
        mailbox: &str,
        conv: &str,
    ) -> Result<Option<tanto_core::waiting::Why>> {
        let events = self.events(mailbox, conv)?;
        Ok(tanto_core::waiting::why(events.iter().map(|e| {
            tanto_core::waiting::Seen {
                kind: &e.kind,
                at: e.at,
                text: &e.text,
            }
        })))
    }

    /// The `away` / `back` records of mailbox `mailbox`'s log, in log (UID) order: the
    /// latest per agent says whether they are on duty.
    pub fn duty_records(&self, mailbox: &str) -> Result<Vec<(String, Duty)>> {
        let r: rusqlite::Result<Vec<(String, Duty)>> = (|| {
            // A supervisor's record names the agent it is about as its owner.
            let mut st = self.conn.prepare_cached(
                "SELECT COALESCE(NULLIF(owner, ''), agent), kind FROM events
                 WHERE mailbox = ?1 AND kind IN ('away', 'back')
                 ORDER BY folder_id, uid",
            )?;
            let rows = st.query_map(params![mailbox], |r| {
                let kind: String = r.get(1)?;
                Ok((
                    r.get::<_, String>(0)?,
                    if kind == "away" {
                        Duty::Away
                    } else {
                        Duty::Back
                    },
                ))
            })?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// Open (in progress) conversations per agent in `mailbox`.
    pub fn open_counts(&self, mailbox: &str) -> Result<std::collections::BTreeMap<String, u32>> {
        let r: rusqlite::Result<std::collections::BTreeMap<String, u32>> = (|| {
            let mut st = self.conn.prepare_cached(
                "SELECT assignee, COUNT(*) FROM conversations
                 WHERE mailbox = ?1 AND status = 'wip' AND assignee IS NOT NULL AND messages > 0
                 GROUP BY assignee",
            )?;
            let rows = st.query_map(params![mailbox], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// The owner of the newest conversation before (`last_received`, `id`) that has one
    /// (in progress or done): who had the turn before it.
    pub fn owner_before(
        &self,
        mailbox: &str,
        last_received: i64,
        id: &str,
    ) -> Result<Option<String>> {
        self.conn
            .prepare_cached(
                "SELECT assignee FROM conversations
                 WHERE mailbox = ?1 AND assignee IS NOT NULL AND messages > 0
                     AND status IN ('wip', 'done')
                     AND (last_received < ?2 OR (last_received = ?2 AND id < ?3))
                 ORDER BY last_received DESC, id DESC LIMIT 1",
            )
            .and_then(|mut st| {
                st.query_row(params![mailbox, last_received, id], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.err(e))
    }
}
