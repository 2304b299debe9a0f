//! The cache checked against the server: the file is shared and writable by every agent on
//! the host, so a row another process wrote (a "done" that hides new mail, a claim nobody
//! made) is found by comparing with the server's SEARCH and put right (`Cache::audit`).

use std::collections::BTreeSet;

use rusqlite::params;

use super::store::{join_flags, refresh, summary_of, summary_row, SummaryRow, Team};
use super::{Cache, Result};
use tanto_core::model::FlagUpdate;

/// What the cache holds of one folder's open messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CachedStates {
    /// Messages without a state keyword (`tanto-done`, `tanto-wip`, `tanto-noise`).
    pub stateless: Vec<u32>,
    /// Messages with `tanto-wip`.
    pub claimed: Vec<u32>,
}

impl Cache {
    /// The folder's messages without a state keyword, and its claimed ones (a scan of the
    /// folder's rows: for the periodic check only).
    pub fn cached_states(&self, folder_id: i64) -> Result<CachedStates> {
        let r: rusqlite::Result<CachedStates> = (|| {
            let uids = |sql: &str| -> rusqlite::Result<Vec<u32>> {
                self.conn
                    .prepare_cached(sql)?
                    .query_map([folder_id], |r| r.get(0))?
                    .collect()
            };
            Ok(CachedStates {
                stateless: uids(
                    "SELECT uid FROM messages WHERE folder_id = ?1
                         AND instr(lower(flags), 'tanto-done') = 0
                         AND instr(lower(flags), 'tanto-wip') = 0
                         AND instr(lower(flags), 'tanto-noise') = 0
                     ORDER BY uid",
                )?,
                claimed: uids(
                    "SELECT uid FROM messages WHERE folder_id = ?1
                         AND instr(lower(flags), 'tanto-wip') > 0
                     ORDER BY uid",
                )?,
            })
        })();
        r.map_err(|e| self.err(e))
    }

    /// Puts the flags of `updates` (read from the server just now) in place of what the
    /// cache holds, whatever its MODSEQ says; then, for the conversations of `uids` and every
    /// conversation the cache lists as new or in progress, writes the summary its messages
    /// give where the stored one differs. Returns how many rows were put right.
    pub fn audit(
        &mut self,
        team: &Team,
        folder_id: i64,
        updates: &[FlagUpdate],
        uids: &[u32],
    ) -> Result<usize> {
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let r = (|| {
            let mut fixed = 0;
            let mut convs = BTreeSet::new();
            for u in updates {
                let conv: Option<String> = tx
                    .prepare_cached(
                        "UPDATE messages SET flags = ?3, modseq = ?4
                         WHERE folder_id = ?1 AND uid = ?2 AND (flags != ?3 OR modseq != ?4)
                         RETURNING conv",
                    )?
                    .query_row(
                        params![folder_id, u.uid, join_flags(&u.flags), u.modseq as i64],
                        |r| r.get(0),
                    )
                    .ok();
                if let Some(c) = conv {
                    fixed += 1;
                    convs.insert(c);
                }
            }
            for uid in uids {
                let conv: Option<String> = tx
                    .prepare_cached("SELECT conv FROM messages WHERE folder_id = ?1 AND uid = ?2")?
                    .query_row(params![folder_id, uid], |r| r.get(0))
                    .ok();
                convs.extend(conv);
            }
            let open: Vec<String> = tx
                .prepare_cached(
                    "SELECT id FROM conversations WHERE mailbox = ?1 AND status IN ('new', 'wip')",
                )?
                .query_map([&team.mailbox], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            convs.extend(open);
            let mut wrong = BTreeSet::new();
            for conv in &convs {
                let stored: Option<SummaryRow> = tx
                    .prepare_cached(
                        "SELECT subject, subject_norm, customer, status, assignee,
                             previous_assignee, messages, last_received, customer_name
                         FROM conversations WHERE mailbox = ?1 AND id = ?2",
                    )?
                    .query_row(params![team.mailbox, conv], |r| {
                        Ok((
                            r.get(0)?,
                            r.get(1)?,
                            r.get(2)?,
                            r.get(3)?,
                            r.get(4)?,
                            r.get(5)?,
                            r.get(6)?,
                            r.get(7)?,
                            r.get(8)?,
                        ))
                    })
                    .ok();
                let computed = summary_of(&tx, &team.mailbox, conv)?.map(|s| summary_row(&s));
                if stored != computed {
                    wrong.insert(conv.clone());
                }
            }
            fixed += wrong.len();
            refresh(&tx, &team.mailbox, &wrong)?;
            tx.commit()?;
            Ok(fixed)
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }
}
