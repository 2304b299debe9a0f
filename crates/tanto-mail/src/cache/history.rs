//! What a report is computed from (`tanto_core::report`), read from the cache as the
//! cached copy of the server's folders: each conversation's first customer mail, the
//! activity log's replies, dones, reopens and notes, the replies in Sent that no `sent`
//! event names (written outside tanto), and the open conversations by assignee. Nothing
//! here is this host's own: a fresh cache synced from the same mailbox reads the same.

use rusqlite::params;

use super::{Cache, Result};

/// A record of the activity log that a report reads. `conversation` is the conversation
/// its message threads into now (the header's id when the message is not cached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEvent {
    pub mailbox: String,
    pub conversation: String,
    /// `sent`, `done`, `reopen` or `note`.
    pub kind: String,
    pub agent: String,
    pub at: i64,
}

/// A message of some conversation at a time: `(mailbox, conversation, at)`.
pub type Dated = (String, String, i64);

impl Cache {
    /// Each conversation's first customer mail: the earliest arrival (INTERNALDATE) of a
    /// message in the inbox that is neither the team's nor noise.
    pub fn first_inbound(&self) -> Result<Vec<Dated>> {
        let r: rusqlite::Result<Vec<Dated>> = (|| {
            let mut st = self.conn.prepare(
                "SELECT m.mailbox, m.conv, MIN(m.internal_date)
                 FROM messages m JOIN folders f ON f.id = m.folder_id
                 WHERE f.role = 'inbox' AND m.direction = 'in' AND m.noise IS NULL
                 GROUP BY m.mailbox, m.conv",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// The standing `sent`, `done`, `reopen` and `note` records of the activity log (a
    /// change record that lost its race through the log is void and left out).
    pub fn history_events(&self) -> Result<Vec<HistoryEvent>> {
        let r: rusqlite::Result<Vec<HistoryEvent>> = (|| {
            let mut st = self.conn.prepare(
                "SELECT e.mailbox,
                        COALESCE((SELECT t.conv FROM thread_ids t
                                  WHERE t.mailbox = e.mailbox AND t.msgid = e.about),
                                 e.conversation),
                        e.kind, e.agent, e.at
                 FROM events e
                 WHERE e.kind IN ('sent', 'done', 'reopen', 'note') AND e.void = 0
                 ORDER BY e.at, e.id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(HistoryEvent {
                    mailbox: r.get(0)?,
                    conversation: r.get(1)?,
                    kind: r.get(2)?,
                    agent: r.get(3)?,
                    at: r.get(4)?,
                })
            })?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// The replies in Sent that no `sent` event names (sent from another mail client), at
    /// their arrival in Sent; auto-replies (`Auto-Submitted` other than `no`,
    /// `X-Autoreply`) are not replies.
    pub fn unlogged_sent_replies(&self) -> Result<Vec<Dated>> {
        let r: rusqlite::Result<Vec<Dated>> = (|| {
            let mut st = self.conn.prepare(
                "SELECT m.mailbox, m.conv, m.internal_date
                 FROM messages m JOIN folders f ON f.id = m.folder_id
                 WHERE f.role = 'sent'
                   AND (m.auto_submitted IS NULL OR lower(trim(m.auto_submitted)) = 'no')
                   AND m.x_autoreply IS NULL
                   AND NOT EXISTS (
                     SELECT 1 FROM events e
                     WHERE e.kind = 'sent' AND e.mailbox = m.mailbox
                       AND e.about = trim(COALESCE(m.message_id, ''), '<>'))
                 ORDER BY m.internal_date",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// How many conversations are open (New or In progress) per assignee (`None`: nobody's).
    pub fn open_by_assignee(&self) -> Result<Vec<(Option<String>, u64)>> {
        let r: rusqlite::Result<Vec<(Option<String>, u64)>> = (|| {
            let mut st = self.conn.prepare_cached(
                "SELECT assignee, COUNT(*) FROM conversations
                 WHERE messages > 0 AND status IN ('new', 'wip')
                 GROUP BY assignee ORDER BY assignee",
            )?;
            let rows = st.query_map(params![], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }
}
