//! Writes from the sync: folders' sync state, messages, threading, conversation summaries.
//! Every write is one short IMMEDIATE transaction, so several processes can share the file.

use std::collections::BTreeSet;

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use super::thread::{conv_of_id, rethread, thread_one};
use super::{Cache, Result};
use tanto_core::conversation::{self, Direction, Member};
use tanto_core::model::{FlagUpdate, MessageMeta};
use tanto_core::subject;

/// What a folder holds for tanto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderRole {
    Inbox,
    Sent,
    /// The activity log: events and notes, not mail.
    Activity,
}

impl FolderRole {
    fn as_str(self) -> &'static str {
        match self {
            FolderRole::Inbox => "inbox",
            FolderRole::Sent => "sent",
            FolderRole::Activity => "activity",
        }
    }
}

/// What the cache remembers of a folder between syncs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderState {
    pub id: i64,
    pub name: String,
    pub role: FolderRole,
    pub uidvalidity: Option<u32>,
    pub highestmodseq: Option<u64>,
    pub uidnext: Option<u32>,
    /// The last full sync of this folder ran to the end.
    pub complete: bool,
}

/// Who the team is, for telling replies from inbound mail.
#[derive(Debug, Clone)]
pub struct Team {
    pub mailbox: String,
    /// The shared address, which every agent configures alike: conversation ids are
    /// derived from it, so the same thread in two mailboxes has two ids.
    pub address: String,
    /// Lower-case addresses: the shared address and any others of the team.
    pub addresses: Vec<String>,
}

/// The table that holds a folder's rows.
fn table_of(role: FolderRole) -> &'static str {
    match role {
        FolderRole::Activity => "events",
        FolderRole::Inbox | FolderRole::Sent => "messages",
    }
}

/// Tells every process sharing the cache that something changed (they poll the counter).
pub(super) fn bump(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.prepare_cached("UPDATE changes SET counter = counter + 1 WHERE id = 1")?
        .execute([])
        .map(|_| ())
}

pub(super) fn join_flags(flags: &[String]) -> String {
    flags.join(" ")
}

fn split_flags(s: &str) -> Vec<String> {
    s.split(' ')
        .filter(|f| !f.is_empty())
        .map(str::to_string)
        .collect()
}

impl Cache {
    pub(super) fn write_tx(&mut self) -> Result<Transaction<'_>> {
        let path = self.path.clone();
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// The cached state of a folder, created empty when new.
    pub fn folder(&mut self, mailbox: &str, name: &str, role: FolderRole) -> Result<FolderState> {
        let r = (|| {
            self.conn.execute(
                "INSERT INTO folders (mailbox, name, role) VALUES (?1, ?2, ?3)
                 ON CONFLICT (mailbox, name) DO UPDATE SET role = excluded.role",
                params![mailbox, name, role.as_str()],
            )?;
            self.conn.query_row(
                "SELECT id, uidvalidity, highestmodseq, uidnext, complete FROM folders
                 WHERE mailbox = ?1 AND name = ?2",
                params![mailbox, name],
                |r| {
                    Ok(FolderState {
                        id: r.get(0)?,
                        name: name.to_string(),
                        role,
                        uidvalidity: r.get(1)?,
                        highestmodseq: r.get::<_, Option<i64>>(2)?.map(|v| v as u64),
                        uidnext: r.get(3)?,
                        complete: r.get(4)?,
                    })
                },
            )
        })();
        r.map_err(|e| self.err(e))
    }

    /// The name of the folder of `role` most recently synced in full for `mailbox` (so that
    /// a resync need not LIST to find the Sent folder again).
    pub fn known_folder(&self, mailbox: &str, role: FolderRole) -> Result<Option<String>> {
        self.conn
            .prepare_cached(
                "SELECT name FROM folders WHERE mailbox = ?1 AND role = ?2 AND complete = 1
                 ORDER BY synced_at DESC LIMIT 1",
            )
            .and_then(|mut st| {
                st.query_row(params![mailbox, role.as_str()], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// Records how far a folder is synced.
    pub fn set_folder_state(&mut self, f: &FolderState) -> Result<()> {
        self.conn
            .execute(
                "UPDATE folders SET uidvalidity = ?2, highestmodseq = ?3, uidnext = ?4,
                 complete = ?5, synced_at = strftime('%s','now'),
                 watched_from = CASE WHEN ?5 AND role = 'sent' THEN COALESCE(watched_from, ?4,
                     (SELECT MAX(uid) + 1 FROM messages WHERE folder_id = ?1), 1)
                   ELSE watched_from END
                 WHERE id = ?1",
                params![
                    f.id,
                    f.uidvalidity,
                    f.highestmodseq.map(|v| v as i64),
                    f.uidnext,
                    f.complete
                ],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Forgets a folder's messages (its UIDVALIDITY changed: every UID means something else).
    pub fn reset_folder(&mut self, team: &Team, folder_id: i64) -> Result<()> {
        // (events of an activity folder go too; the sync fetches them again)
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let r = (|| {
            let touched = convs_of(&tx, folder_id)?;
            tx.execute("DELETE FROM messages WHERE folder_id = ?1", [folder_id])?;
            tx.execute("DELETE FROM bodies WHERE folder_id = ?1", [folder_id])?;
            tx.execute("DELETE FROM events WHERE folder_id = ?1", [folder_id])?;
            tx.execute(
                "UPDATE folders SET uidvalidity = NULL, highestmodseq = NULL, uidnext = NULL,
                 complete = 0, watched_from = NULL WHERE id = ?1",
                [folder_id],
            )?;
            let touched = rethread(&tx, team, &touched)?;
            refresh(&tx, &team.mailbox, &touched)?;
            tx.commit()
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// How many messages a folder has cached, and the highest UID among them.
    pub fn folder_stats(&self, folder: &FolderState) -> Result<(usize, u32)> {
        let table = table_of(folder.role);
        self.conn
            .prepare_cached(&format!(
                "SELECT COUNT(*), COALESCE(MAX(uid), 0) FROM {table} WHERE folder_id = ?1"
            ))
            .and_then(|mut st| {
                st.query_row([folder.id], |r| {
                    Ok((r.get::<_, i64>(0)? as usize, r.get(1)?))
                })
            })
            .map_err(|e| self.err(e))
    }

    /// The highest UID a folder has cached (0 for none): one index probe, unlike the count.
    pub fn folder_max_uid(&self, folder: &FolderState) -> Result<u32> {
        let table = table_of(folder.role);
        self.conn
            .prepare_cached(&format!(
                "SELECT COALESCE(MAX(uid), 0) FROM {table} WHERE folder_id = ?1"
            ))
            .and_then(|mut st| st.query_row([folder.id], |r| r.get(0)))
            .map_err(|e| self.err(e))
    }

    /// The UIDs cached for a folder, ascending.
    pub fn folder_uids(&self, folder: &FolderState) -> Result<Vec<u32>> {
        let table = table_of(folder.role);
        let r: rusqlite::Result<Vec<u32>> = (|| {
            let mut st = self.conn.prepare_cached(&format!(
                "SELECT uid FROM {table} WHERE folder_id = ?1 ORDER BY uid"
            ))?;
            let rows = st.query_map([folder.id], |r| r.get(0))?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// Adds fetched messages (or refreshes ones already cached), threads the new ones and
    /// updates the summaries of every conversation they touch, in one transaction.
    pub fn add_messages(
        &mut self,
        team: &Team,
        folder: &FolderState,
        mut msgs: Vec<MessageMeta>,
    ) -> Result<usize> {
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let r = (|| {
            // Oldest first, so that threading by subject finds the original before the reply.
            msgs.sort_by_key(|m| (m.headers.date.unwrap_or(m.internal_date), m.uid));
            let mut touched = BTreeSet::new();
            // Messages whose subject fallback now points at a message added here.
            let mut retarget: BTreeSet<String> = BTreeSet::new();
            let mut added = 0;
            // UIDs only grow: above the highest cached one, nothing needs looking up.
            let max_known: u32 = tx
                .prepare_cached("SELECT COALESCE(MAX(uid), 0) FROM messages WHERE folder_id = ?1")?
                .query_row([folder.id], |r| r.get(0))?;
            for m in &msgs {
                let existing: Option<String> = if m.uid > max_known {
                    None
                } else {
                    tx.prepare_cached(
                        "SELECT conv FROM messages WHERE folder_id = ?1 AND uid = ?2",
                    )?
                    .query_row(params![folder.id, m.uid], |r| r.get(0))
                    .optional()?
                };
                if let Some(conv) = existing {
                    tx.prepare_cached(
                        "UPDATE messages SET flags = ?3, modseq = ?4 WHERE folder_id = ?1 AND uid = ?2",
                    )?
                    .execute(params![folder.id, m.uid, join_flags(&m.flags), m.modseq as i64])?;
                    touched.insert(conv);
                    continue;
                }
                let conv = thread_one(&tx, team, folder, m, &mut retarget)?;
                touched.insert(conv);
                added += 1;
            }
            if !retarget.is_empty() {
                // Their conversations as they are now (a later message may have merged them).
                let mut convs = BTreeSet::new();
                for key in &retarget {
                    convs.extend(conv_of_id(&tx, &team.mailbox, key)?);
                }
                touched.extend(rethread(&tx, team, &convs)?);
            }
            refresh(&tx, &team.mailbox, &touched)?;
            tx.commit()?;
            Ok(added)
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// Applies flag changes; returns how many changed something, and the UIDs that are not
    /// cached (to be fetched in full).
    pub fn update_flags(
        &mut self,
        team: &Team,
        folder_id: i64,
        updates: &[FlagUpdate],
    ) -> Result<(usize, Vec<u32>)> {
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let r = (|| {
            let mut touched = BTreeSet::new();
            let mut unknown = Vec::new();
            let mut changed = 0;
            for u in updates {
                let conv: Option<String> = tx
                    .prepare_cached(
                        "UPDATE messages SET flags = ?3, modseq = ?4
                         WHERE folder_id = ?1 AND uid = ?2 AND (flags != ?3 OR modseq != ?4)
                           AND (?4 = 0 OR modseq <= ?4)
                         RETURNING conv",
                    )?
                    .query_row(
                        params![folder_id, u.uid, join_flags(&u.flags), u.modseq as i64],
                        |r| r.get(0),
                    )
                    .optional()?;
                match conv {
                    Some(c) => {
                        touched.insert(c);
                        changed += 1;
                    }
                    None => {
                        let known = tx
                            .prepare_cached(
                                "SELECT 1 FROM messages WHERE folder_id = ?1 AND uid = ?2",
                            )?
                            .exists(params![folder_id, u.uid])?;
                        if !known {
                            unknown.push(u.uid);
                        }
                    }
                }
            }
            refresh(&tx, &team.mailbox, &touched)?;
            tx.commit()?;
            Ok((changed, unknown))
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// Forgets expunged messages.
    pub fn remove_messages(&mut self, team: &Team, folder_id: i64, uids: &[u32]) -> Result<usize> {
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let r = (|| {
            let mut touched = BTreeSet::new();
            let mut removed = 0;
            for uid in uids {
                let conv: Option<String> = tx
                    .prepare_cached(
                        "DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2 RETURNING conv",
                    )?
                    .query_row(params![folder_id, uid], |r| r.get(0))
                    .optional()?;
                tx.prepare_cached("DELETE FROM bodies WHERE folder_id = ?1 AND uid = ?2")?
                    .execute(params![folder_id, uid])?;
                removed += tx
                    .prepare_cached("DELETE FROM events WHERE folder_id = ?1 AND uid = ?2")?
                    .execute(params![folder_id, uid])?;
                if let Some(c) = conv {
                    touched.insert(c);
                    removed += 1;
                }
            }
            // A message gone can split its conversation or move its root.
            let touched = rethread(&tx, team, &touched)?;
            refresh(&tx, &team.mailbox, &touched)?;
            tx.commit()?;
            Ok(removed)
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// Stores a fetched body for later reading.
    pub fn store_body(&mut self, folder_id: i64, uid: u32, raw: &[u8]) -> Result<()> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO bodies (folder_id, uid, raw) VALUES (?1, ?2, ?3)",
                params![folder_id, uid, raw],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

fn convs_of(tx: &Transaction<'_>, folder_id: i64) -> rusqlite::Result<BTreeSet<String>> {
    let mut st = tx.prepare("SELECT DISTINCT conv FROM messages WHERE folder_id = ?1")?;
    let rows = st.query_map([folder_id], |r| r.get(0))?;
    rows.collect()
}

/// The columns of a message that a conversation's summary reads, in `member`'s order.
pub(super) const MEMBER_COLUMNS: &str =
    "direction, internal_date, uid, flags, noise, subject, customer";

/// A message row (selected with `MEMBER_COLUMNS` from column `at` on) as a summary member.
pub(super) fn member(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Member> {
    // Read in place where only looked at: a summary reads every member of the mailbox.
    let text = |i: usize| -> rusqlite::Result<&str> {
        r.get_ref(i)?.as_str().map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, e.into())
        })
    };
    Ok(Member {
        direction: if text(at)? == "out" {
            Direction::Reply
        } else {
            Direction::Inbound
        },
        received: r.get(at + 1)?,
        order: r.get(at + 2)?,
        flags: split_flags(text(at + 3)?),
        rules_noise: r.get_ref(at + 4)? != rusqlite::types::ValueRef::Null,
        subject: r.get(at + 5)?,
        customer: r.get(at + 6)?,
        // Not in `MEMBER_COLUMNS` (they are what `messages_conv` covers): `CUSTOMER_NAME`.
        customer_name: None,
    })
}

/// The name a message row gives its customer: the sender's, where the sender is the
/// customer (a contact form's sender is the form, a reply's the team); NULL for none.
pub(super) const CUSTOMER_NAME: &str = "CASE WHEN lower(from_email) = customer
    AND trim(coalesce(from_name, '')) != '' THEN from_name END";

/// Recomputes the summaries of the given conversations; drops the ones left empty.
pub(super) fn refresh(
    tx: &Transaction<'_>,
    mailbox: &str,
    convs: &BTreeSet<String>,
) -> rusqlite::Result<()> {
    if !convs.is_empty() {
        bump(tx)?;
    }
    for conv in convs {
        match summary_of(tx, mailbox, conv)? {
            None => {
                tx.prepare_cached("DELETE FROM conversations WHERE mailbox = ?1 AND id = ?2")?
                    .execute(params![mailbox, conv])?;
            }
            Some(s) => write_summary(tx, mailbox, conv, &s)?,
        }
    }
    Ok(())
}

/// A conversation's summary as its cached messages (and the log, where it decides) make it;
/// None when it has no message left.
pub(super) fn summary_of(
    tx: &Transaction<'_>,
    mailbox: &str,
    conv: &str,
) -> rusqlite::Result<Option<conversation::Summary>> {
    let mut members = tx.prepare_cached(&format!(
        "SELECT {MEMBER_COLUMNS}, thread_key, {CUSTOMER_NAME} FROM messages
         WHERE mailbox = ?1 AND conv = ?2"
    ))?;
    let rows: Vec<(Member, String)> = members
        .query_map(params![mailbox, conv], |r| {
            let mut m = member(r, 0)?;
            m.customer_name = r.get(8)?;
            Ok((m, r.get(7)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    // Where the log decides (`core::log`), its standing record gives the state keywords
    // of the message it is about, and no other message's keywords count.
    let log = super::events::log_state(tx, mailbox, conv)?;
    let ms: Vec<Member> = rows
        .into_iter()
        .map(|(mut m, key)| {
            if let Some(ls) = &log {
                let record = (ls.about == key).then_some((ls.status, ls.owner.as_deref()));
                m.flags = tanto_core::log::effective_flags(&m.flags, record, m.rules_noise);
            }
            m
        })
        .collect();
    Ok((!ms.is_empty()).then(|| conversation::summarize(&ms)))
}

/// A summary as the row of `conversations` holds it (`write_summary`'s columns).
pub(super) type SummaryRow = (
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<String>,
);

/// `s` as the row of `conversations` would hold it.
pub(super) fn summary_row(s: &conversation::Summary) -> SummaryRow {
    (
        s.subject.clone(),
        subject::normalize(&s.subject).0,
        s.customer.clone(),
        s.status.as_str().to_string(),
        s.assignee.clone(),
        s.previous_assignee.clone(),
        s.messages as i64,
        s.last_received,
        s.customer_name.clone(),
    )
}

fn write_summary(
    tx: &Transaction<'_>,
    mailbox: &str,
    conv: &str,
    s: &conversation::Summary,
) -> rusqlite::Result<()> {
    let r = summary_row(s);
    tx.prepare_cached(
        "UPDATE conversations SET subject = ?3, subject_norm = ?4, customer = ?5, status = ?6,
         assignee = ?7, previous_assignee = ?8, messages = ?9, last_received = ?10,
         customer_name = ?11
         WHERE mailbox = ?1 AND id = ?2",
    )?
    .execute(params![
        mailbox, conv, r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8
    ])?;
    Ok(())
}
