//! Looking up one conversation by the id a user typed, its messages, and cached bodies.

use rusqlite::{params, OptionalExtension};

use super::rows::{conv_row, ConversationRow, MessageRow, CONV_COLUMNS};
use super::{Cache, Result};
use tanto_core::model::Address;

/// A conversation id typed by a user could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum Lookup {
    #[error("no conversation {0}; run `tanto list` to see the ids")]
    NotFound(String),
    #[error("conversation id {0} is ambiguous; type more of it")]
    Ambiguous(String),
}

impl Cache {
    /// Finds a conversation by its id or a unique prefix of it (at least 4 characters).
    pub fn find_conversation(
        &self,
        id: &str,
    ) -> Result<std::result::Result<ConversationRow, Lookup>> {
        let id = id.trim().to_ascii_lowercase();
        let r = (|| {
            let exact = self
                .conn
                .prepare_cached(&format!(
                    "SELECT {CONV_COLUMNS} FROM conversations WHERE id = ?1 AND messages > 0"
                ))?
                .query_row([&id], conv_row)
                .optional()?;
            if let Some(c) = exact {
                return Ok(Ok(c));
            }
            if id.len() < 4 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(Err(Lookup::NotFound(id.clone())));
            }
            let mut st = self.conn.prepare_cached(&format!(
                "SELECT {CONV_COLUMNS} FROM conversations WHERE id >= ?1 AND id < ?2 AND messages > 0 LIMIT 2"
            ))?;
            let upper = format!("{id}g");
            let found: Vec<ConversationRow> = st
                .query_map(params![id, upper], conv_row)?
                .collect::<rusqlite::Result<_>>()?;
            Ok(match found.len() {
                0 => Err(Lookup::NotFound(id.clone())),
                1 => found.into_iter().next().ok_or(Lookup::NotFound(id.clone())),
                _ => Err(Lookup::Ambiguous(id.clone())),
            })
        })();
        r.map_err(|e| self.err(e))
    }

    /// The messages of a conversation, oldest first.
    pub fn messages(&self, mailbox: &str, conv: &str) -> Result<Vec<MessageRow>> {
        let r: rusqlite::Result<Vec<MessageRow>> = (|| {
            let mut st = self.conn.prepare_cached(
                "SELECT m.folder_id, f.name, m.uid, m.flags, m.internal_date, m.date, m.subject,
                        m.from_name, m.from_email, m.to_json, m.cc_json, m.message_id,
                        m.direction, m.noise
                 FROM messages m JOIN folders f ON f.id = m.folder_id
                 WHERE m.mailbox = ?1 AND m.conv = ?2
                 ORDER BY COALESCE(m.date, m.internal_date), m.internal_date, m.uid",
            )?;
            let rows = st.query_map(params![mailbox, conv], |r| {
                let flags: String = r.get(3)?;
                let to: String = r.get(9)?;
                let cc: String = r.get(10)?;
                Ok(MessageRow {
                    folder_id: r.get(0)?,
                    folder: r.get(1)?,
                    uid: r.get(2)?,
                    flags: flags
                        .split(' ')
                        .filter(|f| !f.is_empty())
                        .map(String::from)
                        .collect(),
                    internal_date: r.get(4)?,
                    date: r.get(5)?,
                    subject: r.get(6)?,
                    from: Address {
                        name: r.get(7)?,
                        email: r.get(8)?,
                    },
                    to: serde_json::from_str(&to).unwrap_or_default(),
                    cc: serde_json::from_str(&cc).unwrap_or_default(),
                    message_id: r.get(11)?,
                    inbound: r.get::<_, String>(12)? == "in",
                    noise: r.get(13)?,
                })
            })?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// The tags of a conversation: every `tanto-tag-<name>` keyword on any of its messages
    /// (sorted, once each).
    pub fn tags(&self, mailbox: &str, conv: &str) -> Result<Vec<String>> {
        let r: rusqlite::Result<Vec<String>> = (|| {
            // LIKE is case-insensitive for ASCII, as keywords are.
            let mut st = self.conn.prepare_cached(
                "SELECT flags FROM messages
                 WHERE mailbox = ?1 AND conv = ?2 AND flags LIKE '%tanto-tag-%'",
            )?;
            let rows = st.query_map(params![mailbox, conv], |r| r.get::<_, String>(0))?;
            let mut flags = Vec::new();
            for f in rows {
                flags.extend(f?.split(' ').map(str::to_string));
            }
            Ok(tanto_core::rules::tags_of(&flags))
        })();
        r.map_err(|e| self.err(e))
    }

    /// The UIDVALIDITY a folder's cached UIDs belong to.
    pub fn folder_uidvalidity(&self, folder_id: i64) -> Result<Option<u32>> {
        self.conn
            .prepare_cached("SELECT uidvalidity FROM folders WHERE id = ?1")
            .and_then(|mut st| st.query_row([folder_id], |r| r.get(0)).optional())
            .map(Option::flatten)
            .map_err(|e| self.err(e))
    }

    /// The server's name of a cached folder.
    pub fn folder_name(&self, folder_id: i64) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT name FROM folders WHERE id = ?1")
            .and_then(|mut st| st.query_row([folder_id], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// A cached body, if it was fetched before.
    pub fn body(&self, folder_id: i64, uid: u32) -> Result<Option<Vec<u8>>> {
        self.conn
            .prepare_cached("SELECT raw FROM bodies WHERE folder_id = ?1 AND uid = ?2")
            .and_then(|mut st| {
                st.query_row(params![folder_id, uid], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// How many messages are cached in total (for reports and tests).
    pub fn message_count(&self) -> Result<u64> {
        self.conn
            .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}
