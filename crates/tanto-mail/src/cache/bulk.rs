//! The first sync of a mailbox in bulk: rows go in as they arrive, threaded in memory by the
//! rule of `core::threading` (a union over shared ids, subject fallbacks decided once every
//! message is known), and the thread ids, conversations and their summaries are written once
//! at the end, sorted by key. In an empty cache the secondary indexes are dropped for the
//! load and built again at its end: one sort instead of a random insert per row.
//!
//! While a mailbox loads, its folders carry `loading = 1` and its rows hold a provisional
//! conversation (right unless a later message changes the root) with no `conversations`
//! row: readers do not see them. A load cut off resumes: the next sync reads the rows back
//! into memory and goes on (see `Cache::bulk_open`).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use rusqlite::params;
use sha2::{Digest, Sha256};

use super::schema::BULK_INDEXES;
use super::store::{bump, member, FolderState, Team, CUSTOMER_NAME, MEMBER_COLUMNS};
use super::thread::{derive, insert_message, stored_mail, MAIL_COLUMNS};
use super::{Cache, Result};
use tanto_core::conversation::{self, Member};
use tanto_core::model::{Address, FlagUpdate, MessageMeta};
use tanto_core::{subject, threading};

/// One loaded message as threading needs it; strings are interned ids.
struct Msg {
    row: i64,
    date: i64,
    key: u32,
    /// The id its conversation would be named after if it were the root.
    root_id: u32,
    fallback: bool,
    /// Its (subject, customer) group, for the subject fallback; none for an empty subject.
    group: Option<u32>,
    /// The root (a message index) its row was written with, when known.
    written: Option<u32>,
}

/// The message ids a load has seen, numbered, in one buffer: a string and a map entry per
/// id cost about twice the memory (at 100,000 messages, 13 MB of the peak).
#[derive(Default)]
struct Names {
    text: String,
    /// Where each id is in `text`.
    spans: Vec<(u32, u32)>,
    /// An id's number by its hash; ids whose hash another id has are in `collided`.
    by_hash: HashMap<u64, u32>,
    collided: HashMap<Box<str>, u32>,
}

impl Names {
    fn hash(id: &str) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        id.hash(&mut h);
        h.finish()
    }

    fn get(&self, n: u32) -> &str {
        let (a, b) = self.spans[n as usize];
        &self.text[a as usize..b as usize]
    }

    fn len(&self) -> usize {
        self.spans.len()
    }

    /// The number of `id` and whether it is new.
    fn intern(&mut self, id: &str) -> (u32, bool) {
        let h = Names::hash(id);
        let found = match self.by_hash.get(&h) {
            Some(&n) if self.get(n) == id => return (n, false),
            Some(_) => self.collided.get(id).copied(),
            None => None,
        };
        if let Some(n) = found {
            return (n, false);
        }
        let n = self.spans.len() as u32;
        let start = self.text.len() as u32;
        self.text.push_str(id);
        self.spans.push((start, self.text.len() as u32));
        match self.by_hash.entry(h) {
            std::collections::hash_map::Entry::Occupied(_) => {
                self.collided.insert(id.into(), n);
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(n);
            }
        }
        (n, true)
    }
}

/// A bulk load in progress: the threading state of every row of the mailbox.
pub struct BulkLoad {
    mailbox: String,
    address: String,
    names: Names,
    /// Union-find over ids, joined by shared ids only: never wrong, whatever comes later.
    by_id: Vec<u32>,
    /// The same plus the subject fallbacks as they looked on arrival: the provisional roots.
    guess: Vec<u32>,
    /// The earliest message of each `guess` set (at its representative).
    guess_root: Vec<Option<u32>>,
    /// (subject, customer) digest -> (group number, its newest message so far).
    groups: HashMap<u128, (u32, u32)>,
    msgs: Vec<Msg>,
    /// The highest UID written per folder: a message again (a salvage fetch) is skipped.
    max_uid: HashMap<i64, u32>,
    /// The name each row gives its customer (`CUSTOMER_NAME`), for the rows that give one:
    /// (row id, span in `customer_text`), by row id. The summaries at the end take it from
    /// here; reading it back from each customer's row was a random read per conversation
    /// (a fifth of `bulk_finish`).
    customer_names: Vec<(i64, u32, u32)>,
    customer_text: String,
    /// Copies each committed batch from the WAL into the file meanwhile (WAL mode only).
    checkpointer: Option<super::checkpointer::Checkpointer>,
}

fn find(p: &mut [u32], mut i: u32) -> u32 {
    while p[i as usize] != i {
        let up = p[p[i as usize] as usize];
        p[i as usize] = up;
        i = up;
    }
    i
}

impl BulkLoad {
    fn intern(&mut self, id: &str) -> u32 {
        let (n, new) = self.names.intern(id);
        if new {
            self.by_id.push(n);
            self.guess.push(n);
            self.guess_root.push(None);
        }
        n
    }

    /// (date, key) order: which message is earlier.
    fn earlier(&self, a: u32, b: u32) -> bool {
        let (x, y) = (&self.msgs[a as usize], &self.msgs[b as usize]);
        (x.date, self.names.get(x.key)) < (y.date, self.names.get(y.key))
    }

    fn earliest(&self, a: Option<u32>, b: Option<u32>) -> Option<u32> {
        match (a, b) {
            (Some(a), Some(b)) => Some(if self.earlier(b, a) { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    fn union_guess(&mut self, a: u32, b: u32) {
        let (ra, rb) = (find(&mut self.guess, a), find(&mut self.guess, b));
        if ra != rb {
            let root = self.earliest(self.guess_root[ra as usize], self.guess_root[rb as usize]);
            self.guess[rb as usize] = ra;
            self.guess_root[ra as usize] = root;
        }
    }

    /// Adds a message; returns its index and its provisional conversation.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        row: i64,
        key: &str,
        links: &[String],
        date: i64,
        subject_norm: &str,
        customer: &str,
        fallback: bool,
    ) -> (u32, String) {
        let k = self.intern(key);
        let idx = self.msgs.len() as u32;
        let mut root_id = k;
        for (i, l) in links.iter().enumerate() {
            let n = self.intern(l);
            if i == 0 {
                root_id = n;
            }
            let (ra, rb) = (find(&mut self.by_id, k), find(&mut self.by_id, n));
            if ra != rb {
                self.by_id[rb as usize] = ra;
            }
            self.union_guess(k, n);
        }
        self.msgs.push(Msg {
            row,
            date,
            key: k,
            root_id,
            fallback,
            group: None,
            written: None,
        });
        let r = find(&mut self.guess, k);
        self.guess_root[r as usize] = self.earliest(self.guess_root[r as usize], Some(idx));
        if !subject_norm.is_empty() {
            // A digest, not the strings: the group map stays small. Two groups would have
            // to collide in 128 bits to be mixed up.
            let mut h = Sha256::new();
            h.update(subject_norm.as_bytes());
            h.update(b"\n");
            h.update(customer.as_bytes());
            let d = h.finalize();
            let mut b = [0u8; 16];
            b.copy_from_slice(&d[..16]);
            let next = self.groups.len() as u32;
            let (g, newest) = *self
                .groups
                .entry(u128::from_le_bytes(b))
                .or_insert((next, idx));
            self.msgs[idx as usize].group = Some(g);
            // The provisional target: the newest so far, when earlier (mail mostly comes
            // in date order; `solve` decides for good).
            if fallback && newest != idx && self.earlier(newest, idx) {
                let tk = self.msgs[newest as usize].key;
                self.union_guess(k, tk);
            }
            if newest == idx || self.earlier(newest, idx) {
                self.groups.insert(u128::from_le_bytes(b), (g, idx));
            }
        }
        let r = find(&mut self.guess, k);
        let root = self.guess_root[r as usize].unwrap_or(idx);
        self.msgs[idx as usize].written = Some(root);
        (idx, self.conv_of(root))
    }

    /// Keeps the customer's name a new row gives (see `customer_names`).
    fn name_row(&mut self, row: i64, name: Option<&str>) {
        if let Some(name) = name {
            let start = self.customer_text.len() as u32;
            self.customer_text.push_str(name);
            self.customer_names
                .push((row, start, self.customer_text.len() as u32));
        }
    }

    /// The customer's name row `row` gives, as `CUSTOMER_NAME` reads it from the row;
    /// `customer_names` must be sorted.
    fn customer_name(&self, row: i64) -> Option<String> {
        let i = self
            .customer_names
            .binary_search_by_key(&row, |&(r, _, _)| r)
            .ok()?;
        let (_, a, b) = self.customer_names[i];
        Some(self.customer_text[a as usize..b as usize].to_owned())
    }

    fn conv_of(&self, root: u32) -> String {
        let m = &self.msgs[root as usize];
        threading::conversation_id(&self.address, self.names.get(m.root_id))
    }

    /// The rule over everything loaded: each id's final set (a representative in the
    /// returned union-find) and each set's earliest message.
    fn solve(&self) -> (Vec<u32>, HashMap<u32, u32>) {
        let mut p = self.by_id.clone();
        let mut sorted: Vec<u32> = (0..self.msgs.len() as u32)
            .filter(|&i| self.msgs[i as usize].group.is_some())
            .collect();
        sorted.sort_by(|&a, &b| {
            let (x, y) = (&self.msgs[a as usize], &self.msgs[b as usize]);
            (x.group, x.date, self.names.get(x.key)).cmp(&(y.group, y.date, self.names.get(y.key)))
        });
        for (pos, &m) in sorted.iter().enumerate() {
            let me = &self.msgs[m as usize];
            if !me.fallback {
                continue;
            }
            // The newest strictly earlier one of its group: skip copies of this very message.
            let target = sorted[..pos]
                .iter()
                .rev()
                .take_while(|&&t| self.msgs[t as usize].group == me.group)
                .find(|&&t| self.earlier(t, m))
                .copied();
            if let Some(t) = target {
                let (ra, rb) = (
                    find(&mut p, me.key),
                    find(&mut p, self.msgs[t as usize].key),
                );
                if ra != rb {
                    p[rb as usize] = ra;
                }
            }
        }
        let mut roots: HashMap<u32, u32> = HashMap::new();
        for i in 0..self.msgs.len() as u32 {
            let r = find(&mut p, self.msgs[i as usize].key);
            let best = self.earliest(roots.get(&r).copied(), Some(i));
            roots.insert(r, best.unwrap_or(i));
        }
        (p, roots)
    }
}

impl Cache {
    /// Whether the full sync of `folder` should load in bulk: its mailbox has nothing
    /// threaded (a first sync), or a bulk load of it was cut off. Marks the mailbox as
    /// loading, and drops the secondary indexes when the whole cache is empty. Otherwise
    /// puts back indexes a cut-off load left out.
    pub fn bulk_wanted(&mut self, team: &Team, folder: &FolderState) -> Result<bool> {
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let r = (|| {
            let loading = tx
                .prepare_cached("SELECT 1 FROM folders WHERE mailbox = ?1 AND loading = 1")?
                .exists([&team.mailbox])?;
            let empty = !tx
                .prepare_cached("SELECT 1 FROM messages WHERE mailbox = ?1")?
                .exists([&team.mailbox])?;
            if !loading && !empty {
                let any_loading = tx
                    .prepare_cached("SELECT 1 FROM folders WHERE loading = 1")?
                    .exists([])?;
                if !any_loading {
                    create_indexes(&tx)?;
                }
                tx.commit()?;
                return Ok(false);
            }
            tx.execute("UPDATE folders SET loading = 1 WHERE id = ?1", [folder.id])?;
            let cache_empty = ["messages", "thread_ids", "conversations"]
                .iter()
                .try_fold(true, |acc, t| -> rusqlite::Result<bool> {
                    Ok(acc && !tx.prepare(&format!("SELECT 1 FROM {t}"))?.exists([])?)
                })?;
            if cache_empty {
                for (name, _) in BULK_INDEXES {
                    tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
                }
                super::fts::KEPT.drop_triggers(&tx)?;
                super::tab_counts::KEPT.drop_triggers(&tx)?;
            }
            tx.commit()?;
            Ok(true)
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// Before a cut-off bulk load goes on: forgets the rows of `gone` and refreshes flags
    /// (nothing is threaded yet, so nothing else changes).
    pub fn bulk_prune(
        &mut self,
        folder_id: i64,
        gone: &[u32],
        flags: &[FlagUpdate],
    ) -> Result<usize> {
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let r = (|| {
            let mut removed = 0;
            for uid in gone {
                removed += tx
                    .prepare_cached("DELETE FROM messages WHERE folder_id = ?1 AND uid = ?2")?
                    .execute(params![folder_id, uid])?;
            }
            for u in flags {
                tx.prepare_cached(
                    "UPDATE messages SET flags = ?3, modseq = ?4 WHERE folder_id = ?1 AND uid = ?2",
                )?
                .execute(params![
                    folder_id,
                    u.uid,
                    super::store::join_flags(&u.flags),
                    u.modseq as i64
                ])?;
            }
            tx.commit()?;
            Ok(removed)
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// Starts (or resumes) the bulk load of a mailbox: reads back the rows a cut-off load
    /// wrote.
    pub fn bulk_open(&mut self, team: &Team) -> Result<BulkLoad> {
        // Rows are appended, nothing is looked up: a small page cache does, and leaves room
        // for the threading state in memory (at 100,000 messages 8 MB of cache put the peak
        // at 65 MB, 2 MB at 53 MB, no slower). It also bounds the sorts of the index builds
        // at the end (they spill to temp files beyond it). `bulk_finish` puts it back.
        self.conn
            .pragma_update(None, "cache_size", -2048)
            .map_err(|e| self.err(e))?;
        let mut load = BulkLoad {
            mailbox: team.mailbox.clone(),
            address: team.address.clone(),
            names: Names::default(),
            by_id: Vec::new(),
            guess: Vec::new(),
            guess_root: Vec::new(),
            groups: HashMap::new(),
            msgs: Vec::new(),
            max_uid: HashMap::new(),
            customer_names: Vec::new(),
            customer_text: String::new(),
            checkpointer: None,
        };
        let r = (|| {
            let mut st = self.conn.prepare(&format!(
                "SELECT {MAIL_COLUMNS}, folder_id, uid, {CUSTOMER_NAME} FROM messages
                 WHERE mailbox = ?1 ORDER BY id"
            ))?;
            let mut rows = st.query([&team.mailbox])?;
            while let Some(r) = rows.next()? {
                let (row, m) = stored_mail(r)?;
                let (idx, _) = load.add(
                    row,
                    &m.key,
                    &m.links,
                    m.date,
                    &m.subject_norm,
                    &m.customer,
                    m.fallback,
                );
                // What its row holds is not known here: written again at the end.
                load.msgs[idx as usize].written = None;
                let (f, uid): (i64, u32) = (r.get(8)?, r.get(9)?);
                let m = load.max_uid.entry(f).or_insert(0);
                *m = (*m).max(uid);
                load.name_row(row, r.get::<_, Option<String>>(10)?.as_deref());
            }
            Ok(())
        })();
        r.map_err(|e| self.err(e))?;
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if mode.eq_ignore_ascii_case("wal") {
            load.checkpointer = super::checkpointer::Checkpointer::start(&self.path);
        }
        Ok(load)
    }

    /// Writes a batch of a bulk load (no threading in the cache yet); returns how many rows
    /// are new.
    pub fn bulk_add(
        &mut self,
        load: &mut BulkLoad,
        team: &Team,
        folder: &FolderState,
        mut msgs: Vec<MessageMeta>,
    ) -> Result<usize> {
        let path = self.path.clone();
        let tx = self.write_tx()?;
        let r = (|| {
            msgs.sort_by_key(|m| m.uid);
            let mut added = 0;
            for m in &msgs {
                let max = load.max_uid.entry(folder.id).or_insert(0);
                if m.uid <= *max {
                    continue;
                }
                *max = m.uid;
                let d = derive(team, folder, m);
                let (idx, conv) = load.add(
                    0,
                    &d.key,
                    &d.links,
                    d.date,
                    &d.subject_norm,
                    &d.customer,
                    d.fallback,
                );
                if let Some(row) = insert_message(&tx, team, folder, m, &d, &conv, true)? {
                    load.msgs[idx as usize].row = row;
                    load.name_row(row, customer_name(m.headers.from.first(), &d.customer));
                    added += 1;
                }
            }
            tx.commit()?;
            if let Some(c) = &load.checkpointer {
                c.nudge();
            }
            Ok(added)
        })();
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// Ends a bulk load: the final conversation of every row, the thread ids, the
    /// conversations with their summaries, the indexes (see `bulk_finish_tx`).
    pub fn bulk_finish(&mut self, load: BulkLoad) -> Result<()> {
        self.bulk_finish_steps(load, FINISH_STEPS)
    }

    /// A bulk load's end cut off after `steps` of its transactions, as a crash would.
    #[cfg(test)]
    pub(super) fn bulk_finish_cut_off(&mut self, load: BulkLoad, steps: usize) -> Result<()> {
        self.bulk_finish_steps(load, steps)
    }

    fn bulk_finish_steps(&mut self, mut load: BulkLoad, steps: usize) -> Result<()> {
        let path = self.path.clone();
        // Its last checkpoint may still run beside the end of the load; waited for below.
        let checkpointer = load.checkpointer.take();
        // The index builds sort every row: in temp files, not in memory (that would add to
        // the sync's peak), only for this.
        self.conn
            .pragma_update(None, "temp_store", "FILE")
            .map_err(|e| self.err(e))?;
        let r = self.bulk_finish_tx(load, checkpointer.as_ref(), steps);
        drop(checkpointer);
        self.conn
            .pragma_update(None, "temp_store", "MEMORY")
            .map_err(|e| self.err(e))?;
        self.conn
            .pragma_update(None, "cache_size", super::CACHE_KIB)
            .map_err(|e| self.err(e))?;
        r.map_err(|source| super::CacheError::Sqlite { path, source })
    }

    /// The end in three transactions: the messages' final conversations and indexes; the
    /// thread ids; then the conversations (which make the rows visible). Each commit lets the checkpointer copy its pages into the file on
    /// the other core while the next one runs (in one transaction the close copied all of
    /// them, 7 MB at 10,000 messages, after the last), and the first lets a reader sum the
    /// conversations up beside the second. A load cut off between them resumes as any
    /// cut-off load: the folder stays `loading` until the last, and every step can run again.
    fn bulk_finish_tx(
        &mut self,
        mut load: BulkLoad,
        checkpointer: Option<&super::checkpointer::Checkpointer>,
        steps: usize,
    ) -> rusqlite::Result<()> {
        let step = |what: &str| crate::trace::trace_step(|| what.to_string());
        let committed = || {
            if let Some(c) = checkpointer {
                c.nudge();
            }
        };
        // Row ids grow as rows are added: sorted already, unless a resumed load reused one.
        load.customer_names.sort_unstable_by_key(|&(row, _, _)| row);
        let (mut p, roots) = load.solve();
        step("threads solved");
        let mut convs: HashMap<u32, String> = HashMap::new();
        for &root in roots.values() {
            convs.insert(root, load.conv_of(root));
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut st = tx.prepare("UPDATE messages SET conv = ?2 WHERE id = ?1")?;
            for m in &load.msgs {
                let root = roots[&find(&mut p, m.key)];
                if m.written != Some(root) {
                    st.execute(params![m.row, convs[&root]])?;
                }
            }
        }
        create_indexes_on(&tx, "messages")?;
        tx.commit()?;
        committed();
        step("messages indexed");
        if steps == 1 {
            return Ok(());
        }
        let mut order: Vec<u32> = (0..load.names.len() as u32).collect();
        order.sort_by(|&a, &b| load.names.get(a).cmp(load.names.get(b)));
        let by_conv: HashMap<&str, u32> =
            convs.iter().map(|(&root, c)| (c.as_str(), root)).collect();
        // In WAL mode the conversations are read and summed up on a connection and thread
        // of their own while this one writes the thread ids (the messages' final
        // conversations are committed): the other core was idle.
        let reader = checkpointer.and_then(|_| {
            let conn = rusqlite::Connection::open_with_flags(
                &self.path,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                    | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .ok()?;
            conn.busy_timeout(std::time::Duration::from_secs(30)).ok()?;
            Some(conn)
        });
        let (load, by_conv) = (&load, &by_conv);
        std::thread::scope(|scope| -> rusqlite::Result<()> {
            let (send, summed) =
                crossbeam_channel::bounded::<rusqlite::Result<ConvRow>>(SUMMED_AHEAD);
            let parallel = reader.map(|conn| {
                scope.spawn(move || {
                    let r = sum_up(&conn, load, by_conv, |row| Ok(send.send(Ok(row)).is_ok()));
                    if let Err(e) = r {
                        let _ = send.send(Err(e));
                    }
                    // Its snapshot held back the copying of what was committed since.
                    drop(conn);
                    if let Some(c) = checkpointer {
                        c.nudge();
                    }
                })
            });
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut st = tx.prepare(
                    "INSERT INTO thread_ids (mailbox, msgid, conv) VALUES (?1, ?2, ?3)
                     ON CONFLICT (mailbox, msgid) DO UPDATE SET conv = excluded.conv",
                )?;
                for n in order {
                    let root = roots[&find(&mut p, n)];
                    st.execute(params![load.mailbox, load.names.get(n), convs[&root]])?;
                }
            }
            create_indexes_on(&tx, "thread_ids")?;
            tx.commit()?;
            committed();
            step("thread ids written");
            if steps == 2 {
                return Ok(());
            }
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            {
                let mut write = tx.prepare(INSERT_CONVERSATION)?;
                let mut put = |row: ConvRow| -> rusqlite::Result<bool> {
                    insert_conversation(&mut write, load, row)?;
                    Ok(true)
                };
                match parallel {
                    Some(_) => {
                        for row in summed {
                            put(row?)?;
                        }
                    }
                    None => {
                        drop(summed);
                        sum_up(&tx, load, by_conv, put)?;
                    }
                }
            }
            step("conversations summed up");
            create_indexes(&tx)?;
            step("conversations indexed");
            // Merges already in the cache (a reload after a UIDVALIDITY change) join again.
            let team = Team {
                mailbox: load.mailbox.clone(),
                address: load.address.clone(),
                addresses: Vec::new(),
            };
            let joined = super::thread::join_all(&tx, &team)?;
            super::store::refresh(&tx, &load.mailbox, &joined)?;
            tx.execute(
                "UPDATE folders SET loading = 0 WHERE mailbox = ?1",
                [&load.mailbox],
            )?;
            bump(&tx)?;
            let done = tx.commit();
            step("bulk load committed");
            done
        })
    }
}

/// A conversation's row as the end of a bulk load writes it: its id, its root (an index in
/// the load) and its summary.
struct ConvRow {
    conv: String,
    root: u32,
    summary: conversation::Summary,
    subject_norm: String,
}

/// A conversation's row, written at the end of a bulk load (a reload's rows replace those a
/// cut-off end wrote).
const INSERT_CONVERSATION: &str = "INSERT INTO conversations (mailbox, id, root_date, root_key,
        root_id, subject, subject_norm, customer, status, assignee, previous_assignee, messages,
        last_received, customer_name)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
     ON CONFLICT (mailbox, id) DO UPDATE SET root_date = excluded.root_date,
        root_key = excluded.root_key, root_id = excluded.root_id,
        subject = excluded.subject, subject_norm = excluded.subject_norm,
        customer = excluded.customer, status = excluded.status,
        assignee = excluded.assignee, previous_assignee = excluded.previous_assignee,
        messages = excluded.messages, last_received = excluded.last_received,
        customer_name = excluded.customer_name";

/// Writes `row` with `write` (`INSERT_CONVERSATION`), its root's date and ids from `load`.
fn insert_conversation(
    write: &mut rusqlite::Statement<'_>,
    load: &BulkLoad,
    row: ConvRow,
) -> rusqlite::Result<()> {
    let m = &load.msgs[row.root as usize];
    let s = row.summary;
    write.execute(params![
        load.mailbox,
        row.conv,
        m.date,
        load.names.get(m.key),
        load.names.get(m.root_id),
        s.subject,
        row.subject_norm,
        s.customer,
        s.status.as_str(),
        s.assignee,
        s.previous_assignee,
        s.messages as i64,
        s.last_received,
        s.customer_name,
    ])?;
    Ok(())
}

/// How many summed-up conversations may wait for the writer: bounds the memory the reader
/// can run ahead with (a few hundred bytes each).
const SUMMED_AHEAD: usize = 4096;

/// Reads every row of the load's mailbox from `conn` in conversation order (`messages_conv`
/// covers them) and hands each conversation's summary to `put`, until it says stop.
fn sum_up(
    conn: &rusqlite::Connection,
    load: &BulkLoad,
    by_conv: &HashMap<&str, u32>,
    mut put: impl FnMut(ConvRow) -> rusqlite::Result<bool>,
) -> rusqlite::Result<()> {
    let mut read = conn.prepare(&format!(
        "SELECT conv, id, {MEMBER_COLUMNS} FROM messages WHERE mailbox = ?1 ORDER BY conv"
    ))?;
    // The conversations' roots in the rows' order (SQLite's BINARY collation is the order
    // of the bytes, as `str`'s), walked along: a hash of every id was a sixth of this.
    let mut roots: Vec<(&str, u32)> = by_conv.iter().map(|(&c, &r)| (c, r)).collect();
    roots.sort_unstable();
    let mut roots = roots.into_iter().peekable();
    // The customer's name comes from the load, not from the rows: `messages_conv` covers
    // the members, not the names.
    let mut sum = |conv: String, ms: &[Member], ids: &[i64]| -> Option<ConvRow> {
        while roots.next_if(|&(c, _)| c < conv.as_str()).is_some() {}
        let (_, root) = roots.next_if(|&(c, _)| c == conv.as_str())?;
        let mut summary = conversation::summarize(ms);
        if let Some(i) = summary.customer_member {
            summary.customer_name = load.customer_name(ids[i]);
        }
        let subject_norm = subject::normalize(&summary.subject).0;
        Some(ConvRow {
            conv,
            root,
            summary,
            subject_norm,
        })
    };
    let mut rows = read.query([&load.mailbox])?;
    let mut current = String::new();
    let mut ms: Vec<Member> = Vec::new();
    let mut ids: Vec<i64> = Vec::new();
    loop {
        let row = rows.next()?;
        let conv: Option<String> = row.map(|r| r.get(0)).transpose()?;
        if conv.as_ref() != Some(&current) && !ms.is_empty() {
            if let Some(done) = sum(std::mem::take(&mut current), &ms, &ids) {
                if !put(done)? {
                    return Ok(());
                }
            }
            ms.clear();
            ids.clear();
        }
        let (Some(r), Some(conv)) = (row, conv) else {
            return Ok(());
        };
        current = conv;
        ids.push(r.get(1)?);
        ms.push(member(r, 2)?);
    }
}

/// The transactions of a bulk load's end (`bulk_finish_tx`).
pub(super) const FINISH_STEPS: usize = 3;

/// The name a new row gives its customer, as `CUSTOMER_NAME` computes it from the row
/// `insert_message` writes: the sender's name when the sender (its address lower-cased in
/// ASCII only, as SQLite's `lower`) is the customer and the name is not blank (spaces only
/// trimmed, as SQLite's `trim`).
fn customer_name<'a>(from: Option<&'a Address>, customer: &str) -> Option<&'a str> {
    let from = from?;
    let name = from.name.as_deref()?;
    (from.email.to_ascii_lowercase() == customer && !name.trim_matches(' ').is_empty())
        .then_some(name)
}

fn create_indexes_on(tx: &rusqlite::Transaction<'_>, table: &str) -> rusqlite::Result<()> {
    for (name, on) in BULK_INDEXES {
        if on.starts_with(&format!("{table} ")) {
            tx.execute_batch(&format!("CREATE INDEX IF NOT EXISTS {name} ON {on}"))?;
        }
    }
    Ok(())
}

fn create_indexes(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    for t in ["messages", "thread_ids", "conversations"] {
        create_indexes_on(tx, t)?;
    }
    // The filter's trigram index is not built here: a fifth of a first sync's time at
    // 100,000 messages, for the TUI's filter only (see `Cache::build_filter_index`).
    super::tab_counts::KEPT.ensure(tx)
}

#[cfg(test)]
mod tests {
    use super::{customer_name, Names};
    use crate::cache::store::CUSTOMER_NAME;
    use tanto_core::model::Address;

    /// The load's customer names are what the summaries read from the rows before: the same
    /// as SQLite's `CUSTOMER_NAME` on every odd case of case and blanks.
    #[test]
    fn customer_names_are_what_sqlite_computes_from_the_row() {
        let conn = rusqlite::Connection::open_in_memory().expect("open");
        let emails = ["c@x", "C@X", "c@x ", "ÄB@x", "äb@x", "", "other@x"];
        let customers = ["c@x", "äb@x", "Äb@x", "", "other@x"];
        let names = [
            None,
            Some(""),
            Some(" "),
            Some("  "),
            Some("\t"),
            Some(" \t "),
            Some("\u{a0}"),
            Some("Ann"),
            Some(" Ann "),
            Some("山田 花子"),
        ];
        let mut checked = 0;
        for email in emails {
            for customer in customers {
                for name in names {
                    let from = Address {
                        name: name.map(str::to_owned),
                        email: email.to_owned(),
                    };
                    let want: Option<String> = conn
                        .query_row(
                            &format!(
                                "SELECT {CUSTOMER_NAME} FROM (SELECT ?1 AS from_email,
                                    ?2 AS from_name, ?3 AS customer)"
                            ),
                            rusqlite::params![email, name, customer],
                            |r| r.get(0),
                        )
                        .expect("sql");
                    let got = customer_name(Some(&from), customer).map(str::to_owned);
                    assert_eq!(got, want, "{email:?} {name:?} {customer:?}");
                    checked += usize::from(want.is_some());
                }
            }
        }
        assert!(checked > 10, "only {checked} cases with a name");
        assert_eq!(customer_name(None, ""), None, "no sender, no name");
    }

    #[test]
    fn names_are_numbered_once_each_even_when_their_hashes_collide() {
        let mut names = Names::default();
        assert_eq!(names.intern("a@x"), (0, true));
        assert_eq!(names.intern("b@x"), (1, true));
        assert_eq!(names.intern("a@x"), (0, false));
        // A third id whose hash is taken (as if it collided with "a@x").
        names.by_hash.insert(Names::hash("c@x"), 0);
        assert_eq!(names.intern("c@x"), (2, true));
        assert_eq!(names.intern("c@x"), (2, false));
        assert_eq!(names.intern("a@x"), (0, false));
        assert_eq!(
            (names.get(0), names.get(1), names.get(2)),
            ("a@x", "b@x", "c@x")
        );
        assert_eq!(names.len(), 3);
    }
}
