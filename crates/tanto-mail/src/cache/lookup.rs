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

/// The team's replies from other clients (`Cache::outside_replies`): from the Sent folders'
/// new UIDs (CROSS JOIN keeps that order), as the planner otherwise walks every message of
/// the mailbox on each sync round.
pub(super) const OUTSIDE_REPLIES_SQL: &str =
    "SELECT c.id, m.message_id, m.subject, c.assignee, m.internal_date,
                   (SELECT mi.message_id FROM messages mi
                     WHERE mi.mailbox = c.mailbox AND mi.conv = c.id AND mi.direction = 'in'
                       AND mi.noise IS NULL AND mi.message_id IS NOT NULL
                     ORDER BY mi.internal_date DESC, mi.id DESC LIMIT 1)
                 FROM folders f
                 CROSS JOIN messages m ON m.folder_id = f.id AND m.uid >= f.watched_from
                 JOIN conversations c ON c.mailbox = m.mailbox AND c.id = m.conv
                 WHERE f.role = 'sent' AND f.watched_from IS NOT NULL
                   AND m.mailbox = ?1 AND m.direction = 'out' AND m.internal_date >= ?2
                   AND m.message_id IS NOT NULL AND m.message_id NOT LIKE 'tanto.%'
                   AND c.status IN ('new', 'wip') AND c.messages > 0
                   AND m.internal_date >= c.last_received
                   AND NOT EXISTS (SELECT 1 FROM events e WHERE e.mailbox = m.mailbox
                         AND e.about = m.message_id AND e.kind = 'sent' AND e.void = 0)
                 ORDER BY m.internal_date, m.id";

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
                0 => self.merged_conversation(&id)?,
                1 => found.into_iter().next().ok_or(Lookup::NotFound(id.clone())),
                _ => Err(Lookup::Ambiguous(id.clone())),
            })
        })();
        r.map_err(|e| self.err(e))
    }

    /// The conversation a merged one went into, by the merged one's old id (or a prefix of
    /// it): the merge event names it, and its root's id leads to where that root is now.
    fn merged_conversation(
        &self,
        id: &str,
    ) -> rusqlite::Result<std::result::Result<ConversationRow, Lookup>> {
        let columns: Vec<String> = CONV_COLUMNS
            .split(',')
            .map(|c| format!("c.{}", c.trim()))
            .collect();
        let columns = columns.join(", ");
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT DISTINCT {columns} FROM events e
             JOIN thread_ids t ON t.mailbox = e.mailbox AND t.msgid = e.about
             JOIN conversations c ON c.mailbox = t.mailbox AND c.id = t.conv
             WHERE e.kind = 'merge' AND e.void = 0 AND e.conversation >= ?1
                AND e.conversation < ?2 AND c.messages > 0
             LIMIT 2"
        ))?;
        let found: Vec<ConversationRow> = st
            .query_map(params![id, format!("{id}g")], conv_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(match found.len() {
            1 => found
                .into_iter()
                .next()
                .ok_or(Lookup::NotFound(id.to_string())),
            0 => Err(Lookup::NotFound(id.to_string())),
            _ => Err(Lookup::Ambiguous(id.to_string())),
        })
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

    /// The tags of a conversation: every `tanto-tag-<name>` keyword on any of its messages,
    /// then its tag records in the log's order (`core::log::fold_tags`); sorted, once each.
    pub fn tags(&self, mailbox: &str, conv: &str) -> Result<Vec<String>> {
        let r: rusqlite::Result<Vec<String>> = (|| {
            let records = tag_records_of(&self.conn, mailbox, conv)?;
            Ok(fold(&keyword_tags(&self.conn, mailbox, conv)?, &records))
        })();
        r.map_err(|e| self.err(e))
    }

    /// True when the tag record at `uid` of the activity folder `log_folder_id` changed its
    /// conversation's tags; false when they were already so (another agent's record came
    /// first), or when it is no standing tag record of that conversation.
    pub fn tag_record_counted(
        &self,
        mailbox: &str,
        conv: &str,
        log_folder_id: i64,
        uid: u32,
    ) -> Result<bool> {
        let r: rusqlite::Result<bool> = (|| {
            let records = tag_records_of(&self.conn, mailbox, conv)?;
            let (_, changed) = fold_all(&keyword_tags(&self.conn, mailbox, conv)?, &records);
            Ok(records
                .iter()
                .zip(changed)
                .any(|((place, ..), c)| *place == (log_folder_id, uid) && c))
        })();
        r.map_err(|e| self.err(e))
    }

    /// The tags of every tagged conversation, by (mailbox, conversation id), read from the
    /// index of tagged messages and one pass over the log's tag records (a whole list's tags
    /// without a lookup per conversation).
    pub fn all_tags(&self) -> Result<std::collections::HashMap<(String, String), Vec<String>>> {
        let r: rusqlite::Result<_> = (|| {
            let mut st = self.conn.prepare_cached(
                "SELECT mailbox, conv, flags FROM messages INDEXED BY messages_tagged
                 WHERE flags LIKE '%tanto-tag-%'",
            )?;
            let rows = st.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?;
            let mut flags: std::collections::HashMap<(String, String), Vec<String>> =
                Default::default();
            for row in rows {
                let (mailbox, conv, f) = row?;
                flags
                    .entry((mailbox, conv))
                    .or_default()
                    .extend(f.split(' ').map(str::to_string));
            }
            let mut tags: std::collections::HashMap<(String, String), Vec<String>> = flags
                .into_iter()
                .map(|(k, f)| (k, tanto_core::rules::tags_of(&f)))
                .collect();
            for (key, records) in tag_records(&self.conn)? {
                let start = tags.get(&key).cloned().unwrap_or_default();
                tags.insert(key, fold(&start, &records));
            }
            Ok(tags)
        })();
        r.map_err(|e| self.err(e))
    }

    /// The root id of a conversation (the id its name is the hash of): what a merge names.
    pub fn conversation_root(&self, mailbox: &str, conv: &str) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT root_id FROM conversations WHERE mailbox = ?1 AND id = ?2")
            .and_then(|mut st| {
                st.query_row(params![mailbox, conv], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// The threading key of a cached message (its Message-ID, or tanto's for mail without).
    pub fn message_key(&self, folder_id: i64, uid: u32) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT thread_key FROM messages WHERE folder_id = ?1 AND uid = ?2")
            .and_then(|mut st| {
                st.query_row(params![folder_id, uid], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.err(e))
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

    /// Whether the team's mail (Sent, or tanto's own) in `mailbox` ever went to an address at
    /// `domain` (To or Cc), as far as the cache has synced it.
    pub fn wrote_to_domain(&self, mailbox: &str, domain: &str) -> Result<bool> {
        // The addresses are JSON strings: the domain is followed by their closing quote.
        let pattern = format!(
            "%@{}\"%",
            super::tab_query::like_escaped(&domain.to_ascii_lowercase())
        );
        self.conn
            .prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE mailbox = ?1 AND direction = 'out'
                   AND (to_json LIKE ?2 ESCAPE '\\' OR cc_json LIKE ?2 ESCAPE '\\'))",
            )
            .and_then(|mut st| st.query_row(params![mailbox, pattern], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// The team's last word in open conversations that tanto did not write: mail that came
    /// into Sent after this cache's first full sync of it, received at or after `since`, newer than the
    /// conversation's newest customer mail, not a reply of tanto's (whose Message-IDs start
    /// with `tanto.`), with no `sent` event about it yet. Oldest first.
    pub fn outside_replies(&self, mailbox: &str, since: i64) -> Result<Vec<OutsideReply>> {
        let r: rusqlite::Result<Vec<OutsideReply>> = (|| {
            let mut st = self.conn.prepare_cached(OUTSIDE_REPLIES_SQL)?;
            let rows = st.query_map(params![mailbox, since], |r| {
                Ok(OutsideReply {
                    conversation: r.get(0)?,
                    message_id: r.get(1)?,
                    subject: r.get(2)?,
                    holder: r.get(3)?,
                    at: r.get(4)?,
                    answered: r.get(5)?,
                })
            })?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// `agent` looked at the conversation at `at`: its mail up to then is not new to them.
    pub fn mark_seen(&self, agent: &str, mailbox: &str, conv: &str, at: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO agent_seen (agent, mailbox, conv, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (agent, mailbox, conv) DO UPDATE SET at = MAX(at, excluded.at)",
            )
            .and_then(|mut st| st.execute(params![agent, mailbox, conv, at]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// `agent` starts on this cache at `at` (kept from the first call): mail from before is
    /// not new to them, so a first look at a big mailbox is not all unread.
    pub fn start_seen(&self, agent: &str, at: i64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO agent_seen (agent, mailbox, conv, at) VALUES (?1, '', '', ?2)",
            )
            .and_then(|mut st| st.execute(params![agent, at]))
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

/// A reply the team sent from another mail client (see `Cache::outside_replies`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideReply {
    pub conversation: String,
    pub message_id: String,
    pub subject: String,
    /// Who holds the conversation (the reply is theirs, as far as anyone can tell).
    pub holder: Option<String>,
    /// When it reached Sent (its INTERNALDATE): when the reply was made, for the log.
    pub at: i64,
    /// The customer's newest mail, which the reply answers.
    pub answered: Option<String>,
}

/// A log record's place (activity folder, UID), its effect on its conversation's tags, and
/// the names.
type TagRecord = ((i64, u32), tanto_core::log::TagChange, Vec<String>);

/// Every standing tag, untag and rule record naming tags, by (mailbox, conversation) in the
/// log's order. A record belongs where the message it is about is now (threads join and
/// split), or to the conversation it names when that message is not in the mailbox.
fn tag_records(
    conn: &rusqlite::Connection,
) -> rusqlite::Result<std::collections::HashMap<(String, String), Vec<TagRecord>>> {
    let mut st = conn.prepare_cached(
        "SELECT e.mailbox,
                COALESCE((SELECT t.conv FROM thread_ids t
                          WHERE t.mailbox = e.mailbox AND t.msgid = e.about),
                         e.conversation),
                e.kind, e.tags, e.folder_id, e.uid
         FROM events e
         WHERE e.tags IS NOT NULL AND e.void = 0 AND e.kind IN ('tag', 'untag', 'rule')
         ORDER BY e.folder_id, e.uid",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            (r.get::<_, i64>(4)?, r.get::<_, u32>(5)?),
        ))
    })?;
    let mut out: std::collections::HashMap<(String, String), Vec<TagRecord>> = Default::default();
    for row in rows {
        let (mailbox, conv, kind, tags, place) = row?;
        out.entry((mailbox, conv))
            .or_default()
            .push(tag_record(place, &kind, &tags));
    }
    Ok(out)
}

/// A record as the fold takes it: where it is in the log, what it does, the names it carries.
fn tag_record(place: (i64, u32), kind: &str, tags: &str) -> TagRecord {
    let change = if kind == "untag" {
        tanto_core::log::TagChange::Remove
    } else {
        tanto_core::log::TagChange::Add
    };
    (
        place,
        change,
        tags.split_whitespace().map(str::to_string).collect(),
    )
}

/// The standing tag, untag and rule records naming tags of one conversation, in the log's
/// order, as `tag_records` files them: through the conversation's own Message-IDs (the
/// list's rows ask this for each row, so it never reads every record of the mailbox).
fn tag_records_of(
    conn: &rusqlite::Connection,
    mailbox: &str,
    conv: &str,
) -> rusqlite::Result<Vec<TagRecord>> {
    let mut st = conn.prepare_cached(
        "SELECT e.kind, e.tags, e.folder_id, e.uid FROM events e
         WHERE e.mailbox = ?1 AND e.tags IS NOT NULL AND e.void = 0
           AND e.kind IN ('tag', 'untag', 'rule')
           AND (e.about IN (SELECT t.msgid FROM thread_ids t
                             WHERE t.mailbox = ?1 AND t.conv = ?2)
                OR (e.conversation = ?2
                    AND NOT EXISTS (SELECT 1 FROM thread_ids t
                                     WHERE t.mailbox = e.mailbox AND t.msgid = e.about)))
         ORDER BY e.folder_id, e.uid",
    )?;
    let rows = st.query_map(params![mailbox, conv], |r| {
        let (kind, tags): (String, String) = (r.get(0)?, r.get(1)?);
        Ok(tag_record((r.get(2)?, r.get(3)?), &kind, &tags))
    })?;
    rows.collect()
}

/// The tags after `records`, from the keywords' `start`, and whether each record changed them.
fn fold_all(start: &[String], records: &[TagRecord]) -> (Vec<String>, Vec<bool>) {
    tanto_core::log::fold_tags(start, records.iter().map(|(_, c, n)| (*c, n.as_slice())))
}

/// The tags after `records`, from the keywords' `start`.
fn fold(start: &[String], records: &[TagRecord]) -> Vec<String> {
    fold_all(start, records).0
}

/// The tags the keywords on a conversation's messages give.
fn keyword_tags(
    conn: &rusqlite::Connection,
    mailbox: &str,
    conv: &str,
) -> rusqlite::Result<Vec<String>> {
    // LIKE is case-insensitive for ASCII, as keywords are.
    let mut st = conn.prepare_cached(
        "SELECT flags FROM messages
         WHERE mailbox = ?1 AND conv = ?2 AND flags LIKE '%tanto-tag-%'",
    )?;
    let rows = st.query_map(params![mailbox, conv], |r| r.get::<_, String>(0))?;
    let mut flags = Vec::new();
    for f in rows {
        flags.extend(f?.split(' ').map(str::to_string));
    }
    Ok(tanto_core::rules::tags_of(&flags))
}
