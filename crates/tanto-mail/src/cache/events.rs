//! The activity log, the state message a coordination change writes to, presence, and the
//! change counter other processes watch.

use rusqlite::{params, OptionalExtension};

use super::store::{bump, FolderState, Team};
use super::{Cache, Result};
use crate::activity::Event;
use tanto_core::conversation::{self, Direction, Member};
use tanto_core::event::EventKind;

/// One event of a conversation's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub kind: EventKind,
    pub agent: String,
    pub at: i64,
    pub status: Option<String>,
    pub owner: Option<String>,
    pub text: String,
    /// Where the server keeps it: the activity folder's cache id and the record's UID, so
    /// that what is shown can be checked against the server's copy.
    pub folder_id: i64,
    pub uid: u32,
}

impl EventRow {
    /// True for an event that changed no state: a note, a tag, or a rule record without a
    /// status (the rules only tagged, or none matched). Where the last state event decides
    /// (how old a claim is, whether a done came back), it is passed over.
    pub fn is_annotation(&self) -> bool {
        self.kind.is_annotation() || (self.kind == EventKind::Rule && self.status.is_none())
    }
}

/// A conversation's standing record in the log (see `core::log`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogState {
    /// Its UID in the activity folder: what the next change is decided on.
    pub uid: u32,
    /// The message (key) it is about.
    pub about: String,
    pub status: tanto_core::status::Status,
    pub owner: Option<String>,
}

/// Stores the event at `uid` of the activity folder `folder_id` unless a row is there
/// already (`arrived`: the message's arrival, for an event without its own time); 1 when
/// stored.
fn insert_event(
    conn: &rusqlite::Connection,
    folder_id: i64,
    uid: u32,
    mailbox: &str,
    e: &Event,
    arrived: i64,
) -> rusqlite::Result<usize> {
    conn.prepare_cached(
        "INSERT INTO events (folder_id, uid, mailbox, about, conversation, kind, agent, at,
            status, owner, text, base, mentions, into_key, tags)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (folder_id, uid) DO NOTHING",
    )?
    .execute(params![
        folder_id,
        uid,
        mailbox,
        e.about,
        e.conversation,
        e.kind.as_str(),
        e.agent,
        if e.at > 0 { e.at } else { arrived },
        e.status,
        e.owner,
        e.text,
        e.base,
        mentions_of(e),
        e.into,
        e.tags
    ])
}

/// The agents a note names, as `events.mentions` keeps them (" bob ken "), or "".
fn mentions_of(e: &Event) -> String {
    if e.kind != EventKind::Note {
        return String::new();
    }
    let named = tanto_core::agent::mentions(&e.text);
    if named.is_empty() {
        String::new()
    } else {
        format!(" {} ", named.join(" "))
    }
}

/// Walks the change records of `convs` in UID order, marks which stand (`core::log`), and
/// writes each conversation's standing record; returns the conversations whose standing
/// record changed.
fn decide_log(
    tx: &rusqlite::Transaction<'_>,
    mailbox: &str,
    folder: &FolderState,
    convs: &std::collections::BTreeSet<String>,
) -> rusqlite::Result<std::collections::BTreeSet<String>> {
    let mut changed = std::collections::BTreeSet::new();
    let validity = folder.uidvalidity.unwrap_or(0);
    for conv in convs {
        let recs: Vec<(u32, String, String, String, Option<String>)> = tx
            .prepare_cached(
                "SELECT uid, base, about, status, owner FROM events e
                 WHERE folder_id = ?1 AND conversation = ?2 AND base IS NOT NULL
                     AND status IS NOT NULL AND kind != 'mark'
                     AND NOT (kind = 'rule' AND EXISTS (SELECT 1 FROM events r
                         WHERE r.mailbox = e.mailbox AND r.about = e.about
                             AND +r.folder_id = e.folder_id AND r.kind = 'rule'
                             AND +r.uid < e.uid))
                 ORDER BY uid",
            )?
            .query_map(params![folder.id, conv], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let bases: Vec<(u32, (u32, u32))> = recs
            .iter()
            .map(|(uid, base, ..)| {
                // An unreadable base decides nothing: it stands nowhere.
                (
                    *uid,
                    tanto_core::log::parse_base(base).unwrap_or((validity, u32::MAX)),
                )
            })
            .collect();
        let stands = tanto_core::log::standing(&bases, validity);
        let mut last = None;
        for (rec, ok) in recs.iter().zip(&stands) {
            tx.prepare_cached("UPDATE events SET void = ?3 WHERE folder_id = ?1 AND uid = ?2")?
                .execute(params![folder.id, rec.0, !ok])?;
            if *ok {
                last = Some(rec);
            }
        }
        let Some((uid, _, about, status, owner)) = last else {
            continue;
        };
        let before: Option<u32> = tx
            .prepare_cached("SELECT uid FROM log_state WHERE mailbox = ?1 AND conv = ?2")?
            .query_row(params![mailbox, conv], |r| r.get(0))
            .optional()?;
        if before != Some(*uid) {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO log_state (mailbox, conv, uid, about, status, owner)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![mailbox, conv, uid, about, status, owner])?;
            changed.insert(conv.clone());
        }
    }
    Ok(changed)
}

/// Voids every `rule` record about one of `abouts` but the first in the folder's UID order:
/// the rules act once per message, so a second client's record (two writers let through at
/// once, or two clients of a server without keywords) says nothing, for every reader alike.
fn void_later_rule_records(
    tx: &rusqlite::Transaction<'_>,
    mailbox: &str,
    folder_id: i64,
    abouts: &std::collections::BTreeSet<&str>,
) -> rusqlite::Result<()> {
    for about in abouts {
        tx.prepare_cached(
            // `+`: by the message's index (a few rows), not a walk of the folder's UIDs.
            "UPDATE events SET void = 1
             WHERE mailbox = ?2 AND about = ?3 AND +folder_id = ?1 AND kind = 'rule'
                 AND +uid > (SELECT MIN(uid) FROM events
                     WHERE mailbox = ?2 AND about = ?3 AND +folder_id = ?1 AND kind = 'rule')",
        )?
        .execute(params![folder_id, mailbox, about])?;
    }
    Ok(())
}

/// The conversation's standing log record, if the log decides it.
pub(super) fn log_state(
    conn: &rusqlite::Connection,
    mailbox: &str,
    conv: &str,
) -> rusqlite::Result<Option<LogState>> {
    conn.prepare_cached(
        "SELECT uid, about, status, owner FROM log_state WHERE mailbox = ?1 AND conv = ?2",
    )?
    .query_row(params![mailbox, conv], |r| {
        Ok(LogState {
            uid: r.get(0)?,
            about: r.get(1)?,
            status: tanto_core::status::Status::parse(&r.get::<_, String>(2)?)
                .unwrap_or(tanto_core::status::Status::New),
            owner: r.get(3)?,
        })
    })
    .optional()
}

/// The message that carries a conversation's state (its newest inbound, non-noise message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateMessage {
    pub folder_id: i64,
    pub folder: String,
    pub uid: u32,
    /// Its Message-ID (or tanto's key for mail without one).
    pub key: String,
    pub flags: Vec<String>,
    pub modseq: u64,
    pub rules_noise: bool,
    pub received: i64,
}

use tanto_core::clock::now;

impl Cache {
    /// Stores events read from the activity folder (uid, arrival time, event).
    pub fn add_events(
        &mut self,
        team: &Team,
        folder: &FolderState,
        events: &[(u32, i64, Event)],
    ) -> Result<usize> {
        let path = self.path.clone();
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let mut added = 0;
            for (uid, at, e) in events {
                added += insert_event(&tx, folder.id, *uid, &team.mailbox, e, *at)?;
            }
            let ruled: std::collections::BTreeSet<&str> = events
                .iter()
                .filter(|(_, _, e)| e.kind == EventKind::Rule)
                .map(|(_, _, e)| e.about.as_str())
                .collect();
            void_later_rule_records(&tx, &team.mailbox, folder.id, &ruled)?;
            let logged: std::collections::BTreeSet<String> = events
                .iter()
                .filter(|(_, _, e)| e.base.is_some())
                .map(|(_, _, e)| e.conversation.clone())
                .collect();
            if !logged.is_empty() {
                let changed = decide_log(&tx, &team.mailbox, folder, &logged)?;
                super::store::refresh(&tx, &team.mailbox, &changed)?;
            }
            let mut joined = std::collections::BTreeSet::new();
            // In the folder's order: a split undoes the merges before it, not those after.
            for (_, _, e) in events {
                match (&e.kind, &e.into) {
                    (EventKind::Merge, Some(into)) => {
                        joined.extend(super::thread::join(&tx, team, &e.about, into)?)
                    }
                    (EventKind::Split, _) => {
                        joined.extend(super::thread::split(&tx, team, &e.about)?)
                    }
                    _ => {}
                }
            }
            super::store::refresh(&tx, &team.mailbox, &joined)?;
            if added > 0 {
                bump(&tx)?;
            }
            tx.commit()?;
            Ok(added)
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// Puts the server's record at `uid` of the activity folder `folder_id` in place of
    /// whatever the cache held there (a row another process wrote into the shared file).
    pub fn put_server_event(
        &mut self,
        folder_id: i64,
        mailbox: &str,
        uid: u32,
        e: &Event,
    ) -> Result<()> {
        self.rewrite_event(folder_id, uid, Some((mailbox, e)))
    }

    /// Forgets the row at `uid` of the activity folder `folder_id`: the server has no record
    /// there.
    pub fn forget_event(&mut self, folder_id: i64, uid: u32) -> Result<()> {
        self.rewrite_event(folder_id, uid, None)
    }

    fn rewrite_event(
        &mut self,
        folder_id: i64,
        uid: u32,
        put: Option<(&str, &Event)>,
    ) -> Result<()> {
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let r = (|| {
            tx.execute(
                "DELETE FROM events WHERE folder_id = ?1 AND uid = ?2",
                params![folder_id, uid],
            )?;
            if let Some((mailbox, e)) = put {
                insert_event(&tx, folder_id, uid, mailbox, e, 0)?;
                if e.kind == EventKind::Rule {
                    let about = std::collections::BTreeSet::from([e.about.as_str()]);
                    void_later_rule_records(&tx, mailbox, folder_id, &about)?;
                }
            }
            bump(&tx)?;
            tx.commit()
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// The events of a conversation, oldest first: those about any of its messages, and
    /// those naming it.
    pub fn events(&self, mailbox: &str, conv: &str) -> Result<Vec<EventRow>> {
        let r: rusqlite::Result<Vec<EventRow>> = (|| {
            let mut st = self.conn.prepare_cached(
                // By the Message-ID an event is about, through the thread's ids (which
                // outlive an expunged message): conversation ids change when threads join
                // or split, and changed with the schema. By the id only when the message it
                // is about is nowhere in the mailbox's threads.
                "SELECT kind, agent, at, status, owner, text, id, folder_id, uid FROM events
                 WHERE mailbox = ?1 AND void = 0 AND about IN
                     (SELECT msgid FROM thread_ids WHERE mailbox = ?1 AND conv = ?2)
                 UNION ALL
                 SELECT kind, agent, at, status, owner, text, id, folder_id, uid FROM events e
                 WHERE mailbox = ?1 AND conversation = ?2 AND void = 0 AND NOT EXISTS
                     (SELECT 1 FROM thread_ids t WHERE t.mailbox = ?1 AND t.msgid = e.about)
                 ORDER BY 3, 7",
            )?;
            let rows = st.query_map(params![mailbox, conv], |r| {
                Ok(EventRow {
                    kind: EventKind::parse(&r.get::<_, String>(0)?),
                    agent: r.get(1)?,
                    at: r.get(2)?,
                    status: r.get(3)?,
                    owner: r.get(4)?,
                    text: r.get(5)?,
                    folder_id: r.get(7)?,
                    uid: r.get(8)?,
                })
            })?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// The conversation's standing log record, when the log decides its state.
    pub fn log_state(&self, mailbox: &str, conv: &str) -> Result<Option<LogState>> {
        log_state(&self.conn, mailbox, conv).map_err(|e| self.err(e))
    }

    /// The newest record by `agent` decided on `base` (`core::log`), for a server that does
    /// not say an APPEND's UID.
    pub fn record_of(
        &self,
        mailbox: &str,
        folder: &str,
        (conv, agent, base): (&str, &str, &str),
    ) -> Result<Option<u32>> {
        self.conn
            .prepare_cached(
                "SELECT MAX(e.uid) FROM events e JOIN folders f ON f.id = e.folder_id
                 WHERE f.mailbox = ?1 AND f.name = ?2 AND e.conversation = ?3 AND e.agent = ?4
                     AND e.base = ?5",
            )
            .and_then(|mut st| {
                st.query_row(params![mailbox, folder, conv, agent, base], |r| r.get(0))
            })
            .map_err(|e| self.err(e))
    }

    /// The newest record of `kind` by `agent` about the message `about` in the activity
    /// folder `folder`: the UID of one just appended, for a server that does not say it.
    pub fn newest_record(
        &self,
        (mailbox, folder): (&str, &str),
        about: &str,
        agent: &str,
        kind: &EventKind,
    ) -> Result<Option<u32>> {
        self.conn
            .prepare_cached(
                "SELECT MAX(e.uid) FROM events e JOIN folders f ON f.id = e.folder_id
                 WHERE f.mailbox = ?1 AND f.name = ?2 AND e.about = ?3 AND e.agent = ?4
                     AND e.kind = ?5",
            )
            .and_then(|mut st| {
                st.query_row(params![mailbox, folder, about, agent, kind.as_str()], |r| {
                    r.get(0)
                })
            })
            .map_err(|e| self.err(e))
    }

    /// True when the log has a standing record that touched the message `about`: a change of
    /// its state (a record with a base), a rule record, or a tag record. Where the log
    /// decides, that is what the rules ask before acting (keywords say it elsewhere).
    pub fn touched_in_log(&self, mailbox: &str, about: &str) -> Result<bool> {
        self.conn
            .prepare_cached(
                "SELECT 1 FROM events WHERE mailbox = ?1 AND about = ?2 AND void = 0
                     AND (base IS NOT NULL OR kind IN ('rule', 'tag', 'untag'))",
            )
            .and_then(|mut st| st.exists(params![mailbox, about]))
            .map_err(|e| self.err(e))
    }

    /// True when the activity record at `uid` of the folder `folder` is void (it lost).
    pub fn record_void(&self, folder: &str, mailbox: &str, uid: u32) -> Result<Option<bool>> {
        self.conn
            .prepare_cached(
                "SELECT e.void FROM events e JOIN folders f ON f.id = e.folder_id
                 WHERE f.mailbox = ?1 AND f.name = ?2 AND e.uid = ?3",
            )
            .and_then(|mut st| {
                st.query_row(params![mailbox, folder, uid], |r| r.get::<_, bool>(0))
                    .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// The message whose keywords carry the conversation's state.
    pub fn state_message(&self, mailbox: &str, conv: &str) -> Result<Option<StateMessage>> {
        let r: rusqlite::Result<Option<StateMessage>> = (|| {
            let mut st = self.conn.prepare_cached(
                "SELECT m.folder_id, f.name, m.uid, m.thread_key, m.flags, m.modseq, m.noise,
                        m.internal_date, m.direction, m.subject, m.customer
                 FROM messages m JOIN folders f ON f.id = m.folder_id
                 WHERE m.mailbox = ?1 AND m.conv = ?2",
            )?;
            let rows: Vec<(StateMessage, Member)> = st
                .query_map(params![mailbox, conv], |r| {
                    let flags: Vec<String> = r
                        .get::<_, String>(4)?
                        .split(' ')
                        .filter(|f| !f.is_empty())
                        .map(String::from)
                        .collect();
                    let s = StateMessage {
                        folder_id: r.get(0)?,
                        folder: r.get(1)?,
                        uid: r.get(2)?,
                        key: r.get(3)?,
                        flags: flags.clone(),
                        modseq: r.get::<_, i64>(5)? as u64,
                        rules_noise: r.get::<_, Option<String>>(6)?.is_some(),
                        received: r.get(7)?,
                    };
                    let m = Member {
                        direction: if r.get::<_, String>(8)? == "out" {
                            Direction::Reply
                        } else {
                            Direction::Inbound
                        },
                        received: s.received,
                        order: s.uid,
                        flags,
                        rules_noise: s.rules_noise,
                        subject: r.get(9)?,
                        customer: r.get(10)?,
                        // Only the state is read here.
                        customer_name: None,
                    };
                    Ok((s, m))
                })?
                .collect::<rusqlite::Result<_>>()?;
            let members: Vec<Member> = rows.iter().map(|(_, m)| m.clone()).collect();
            let summary = conversation::summarize(&members);
            Ok(summary
                .state_member
                .and_then(|i| rows.into_iter().nth(i))
                .map(|(s, _)| s))
        })();
        r.map_err(|e| self.err(e))
    }

    /// True when the log holds an event of `kind` by `agent` about exactly the message
    /// `about`, written at or after `since`.
    pub fn has_event(
        &self,
        mailbox: &str,
        about: &str,
        agent: &str,
        kind: &EventKind,
        since: i64,
    ) -> Result<bool> {
        self.conn
            .prepare_cached(
                "SELECT 1 FROM events WHERE mailbox = ?1 AND about = ?2 AND agent = ?3
                 AND kind = ?4 AND at >= ?5 AND void = 0",
            )
            .and_then(|mut st| st.exists(params![mailbox, about, agent, kind.as_str(), since]))
            .map_err(|e| self.err(e))
    }

    /// The agent and text of the newest event of `kind` about exactly the message `about`.
    pub fn latest_event(
        &self,
        mailbox: &str,
        about: &str,
        kind: EventKind,
    ) -> Result<Option<(String, String)>> {
        self.conn
            .prepare_cached(
                "SELECT agent, text FROM events WHERE mailbox = ?1 AND about = ?2 AND kind = ?3
                 ORDER BY at DESC, id DESC LIMIT 1",
            )
            .and_then(|mut st| {
                st.query_row(params![mailbox, about, kind.as_str()], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
                .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// The conversation the message with id `msgid` (a key, or an id a message links to)
    /// belongs to now.
    pub fn conversation_of_message(&self, mailbox: &str, msgid: &str) -> Result<Option<String>> {
        self.conn
            .prepare_cached("SELECT conv FROM thread_ids WHERE mailbox = ?1 AND msgid = ?2")
            .and_then(|mut st| {
                st.query_row(params![mailbox, msgid], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.err(e))
    }

    /// Says `agent` is viewing or replying to a conversation, for the next 30 s.
    pub fn set_presence(
        &mut self,
        mailbox: &str,
        conv: &str,
        agent: &str,
        doing: tanto_core::presence::Doing,
    ) -> Result<()> {
        let kind = doing.as_str();
        self.conn
            .execute(
                "INSERT INTO presence (mailbox, conv, agent, kind, expires) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (mailbox, conv, agent) DO UPDATE SET kind = excluded.kind, expires = excluded.expires,
                     remote = 0",
                params![mailbox, conv, agent, kind, now() + 30],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Replaces the presence read from the server for `mailbox` with `published` (agents on
    /// other hosts; `me` left out): what is gone from the server goes here too. A heartbeat of
    /// this host for the same agent and conversation is kept as it is.
    pub fn set_remote_presence(
        &mut self,
        mailbox: &str,
        me: &str,
        published: &[tanto_core::presence::Published],
    ) -> Result<()> {
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let r = (|| {
            tx.execute(
                "DELETE FROM presence WHERE mailbox = ?1 AND remote = 1",
                params![mailbox],
            )?;
            for p in published.iter().filter(|p| p.agent != me) {
                tx.execute(
                    "INSERT INTO presence (mailbox, conv, agent, kind, expires, remote)
                     VALUES (?1, ?2, ?3, ?4, ?5, 1)
                     ON CONFLICT (mailbox, conv, agent) DO NOTHING",
                    params![mailbox, p.conversation, p.agent, p.doing.as_str(), p.until],
                )?;
            }
            tx.commit()
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// Withdraws `agent`'s presence on a conversation.
    pub fn clear_presence(&mut self, mailbox: &str, conv: &str, agent: &str) -> Result<()> {
        self.conn
            .execute(
                "DELETE FROM presence WHERE mailbox = ?1 AND conv = ?2 AND agent = ?3",
                params![mailbox, conv, agent],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Who is on a conversation now: (agent, kind), heartbeats younger than 30 s.
    pub fn presence(&self, mailbox: &str, conv: &str) -> Result<Vec<(String, String)>> {
        let r: rusqlite::Result<Vec<(String, String)>> = (|| {
            let mut st = self.conn.prepare_cached(
                "SELECT agent, kind FROM presence WHERE mailbox = ?1 AND conv = ?2 AND expires > ?3
                 ORDER BY agent",
            )?;
            let rows = st.query_map(params![mailbox, conv, now()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            rows.collect()
        })();
        r.map_err(|e| self.err(e))
    }

    /// A number that grows whenever a sync changed something; poll it to notice changes
    /// made by other processes sharing the cache.
    pub fn change_counter(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT counter FROM changes WHERE id = 1", [], |r| r.get(0))
            .optional()
            .map(|c| c.unwrap_or(0))
            .map_err(|e| self.err(e))
    }
}
