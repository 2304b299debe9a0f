//! The outbox as a sync's pass last saw it, for the reader to show a conversation's queued
//! replies (scheduled, held, waiting for approval) without asking the server. Display only:
//! acting on a queued reply always reads the server first.

use rusqlite::params;

use super::store::bump;
use super::{Cache, Result};

/// One queued reply as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxSeen {
    pub mailbox: String,
    /// Without brackets.
    pub message_id: String,
    pub conversation: String,
    pub author: String,
    /// `core::outbox::standing_name`'s word.
    pub standing: String,
    /// Not before (seconds since the epoch; 0 for now).
    pub send_at: i64,
}

impl Cache {
    /// Replaces what is known of `mailbox`'s outbox with `items` (all of it).
    pub fn replace_outbox_seen(&mut self, mailbox: &str, items: &[OutboxSeen]) -> Result<()> {
        let before = self.outbox_seen_all(mailbox)?;
        if before == items {
            return Ok(());
        }
        self.write_outbox(|tx| {
            tx.execute("DELETE FROM outbox_seen WHERE mailbox = ?1", [mailbox])?;
            for i in items {
                insert(tx, i)?;
            }
            Ok(())
        })
    }

    /// Records one queued reply (just queued, or seen in a new standing).
    pub fn put_outbox_seen(&mut self, item: &OutboxSeen) -> Result<()> {
        self.write_outbox(|tx| insert(tx, item).map(|_| ()))
    }

    /// Forgets one queued reply (sent, taken back, dropped).
    pub fn forget_outbox_seen(&mut self, mailbox: &str, message_id: &str) -> Result<()> {
        self.write_outbox(|tx| {
            tx.execute(
                "DELETE FROM outbox_seen WHERE mailbox = ?1 AND message_id = ?2",
                params![mailbox, message_id],
            )
            .map(|_| ())
        })
    }

    /// The queued replies of one conversation, oldest first.
    pub fn outbox_seen_of(&self, mailbox: &str, conversation: &str) -> Result<Vec<OutboxSeen>> {
        self.outbox_query(
            "SELECT mailbox, message_id, conversation, author, standing, send_at FROM outbox_seen
             WHERE mailbox = ?1 AND conversation = ?2 ORDER BY send_at, message_id",
            params![mailbox, conversation],
        )
    }

    fn outbox_seen_all(&self, mailbox: &str) -> Result<Vec<OutboxSeen>> {
        self.outbox_query(
            "SELECT mailbox, message_id, conversation, author, standing, send_at FROM outbox_seen
             WHERE mailbox = ?1 ORDER BY message_id",
            params![mailbox],
        )
    }

    /// One short write that readers of the change counter see (the reader reloads).
    fn write_outbox(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction) -> rusqlite::Result<()>,
    ) -> Result<()> {
        let r = (|| {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            f(&tx)?;
            bump(&tx)?;
            tx.commit()
        })();
        r.map_err(|e| self.err(e))
    }

    fn outbox_query(&self, sql: &str, p: impl rusqlite::Params) -> Result<Vec<OutboxSeen>> {
        let r = (|| {
            let mut st = self.conn.prepare_cached(sql)?;
            let rows = st.query_map(p, |r| {
                Ok(OutboxSeen {
                    mailbox: r.get(0)?,
                    message_id: r.get(1)?,
                    conversation: r.get(2)?,
                    author: r.get(3)?,
                    standing: r.get(4)?,
                    send_at: r.get(5)?,
                })
            })?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })();
        r.map_err(|e| self.err(e))
    }
}

fn insert(tx: &rusqlite::Transaction, i: &OutboxSeen) -> rusqlite::Result<usize> {
    tx.execute(
        "INSERT OR REPLACE INTO outbox_seen
             (mailbox, message_id, conversation, author, standing, send_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            i.mailbox,
            i.message_id,
            i.conversation,
            i.author,
            i.standing,
            i.send_at
        ],
    )
}
