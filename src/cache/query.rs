//! Reads for the CLI and the TUI: the conversation list and one conversation's messages.

use rusqlite::{params, OptionalExtension};

use super::{Cache, Result};
use crate::core::model::Address;
use crate::core::status::Status;

/// One conversation as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    pub mailbox: String,
    pub id: String,
    pub subject: String,
    pub customer: String,
    pub status: Status,
    pub assignee: Option<String>,
    pub previous_assignee: Option<String>,
    pub messages: u32,
    pub last_received: i64,
}

/// One message of a conversation, as cached.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub folder_id: i64,
    pub folder: String,
    pub uid: u32,
    pub flags: Vec<String>,
    pub internal_date: i64,
    pub date: Option<i64>,
    pub subject: String,
    pub from: Address,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub message_id: Option<String>,
    pub inbound: bool,
    pub noise: Option<String>,
}

/// Which conversations to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<Status>,
    pub assignee: Option<String>,
    pub mailbox: Option<String>,
}

const CONV_COLUMNS: &str = "mailbox, id, subject, customer, status, assignee, previous_assignee,
    messages, last_received";

fn conv_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationRow> {
    let status: String = r.get(4)?;
    Ok(ConversationRow {
        mailbox: r.get(0)?,
        id: r.get(1)?,
        subject: r.get(2)?,
        customer: r.get(3)?,
        status: Status::parse(&status).unwrap_or(Status::New),
        assignee: r.get(5)?,
        previous_assignee: r.get(6)?,
        messages: r.get(7)?,
        last_received: r.get(8)?,
    })
}

/// A conversation id typed by a user could not be resolved.
#[derive(Debug, thiserror::Error)]
pub enum Lookup {
    #[error("no conversation {0}; run `tanto list` to see the ids")]
    NotFound(String),
    #[error("conversation id {0} is ambiguous; type more of it")]
    Ambiguous(String),
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

    /// The UIDVALIDITY a folder's cached UIDs belong to.
    pub fn folder_uidvalidity(&self, folder_id: i64) -> Result<Option<u32>> {
        self.conn
            .prepare_cached("SELECT uidvalidity FROM folders WHERE id = ?1")
            .and_then(|mut st| st.query_row([folder_id], |r| r.get(0)).optional())
            .map(Option::flatten)
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
