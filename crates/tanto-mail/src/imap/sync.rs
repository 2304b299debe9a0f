//! Bringing the cache up to date with a folder: a full sync in batches the first time, then
//! resyncs that cost in proportion to what changed (QRESYNC, CONDSTORE, or a plain fallback).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use imap_proto::Response;
use serde::Serialize;

use super::parse::message_unparsed;
use super::{Conn, ImapError};
use crate::activity::Event;
use crate::cache::{Cache, CacheError, FolderRole, FolderState, Team};
use tanto_core::model::MessageMeta;

/// Messages per FETCH: big enough that round trips do not matter, small enough that one
/// batch's response stays a few MB.
pub const BATCH: usize = 1000;

/// The header fields the list, threading and the noise rules need.
const HEADER_FIELDS: &str = "DATE FROM TO CC REPLY-TO SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES \
     LIST-ID AUTO-SUBMITTED PRECEDENCE X-AUTOREPLY CONTENT-TYPE RETURN-PATH X-FAILED-RECIPIENTS \
     X-TANTO-AGENT";

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Imap(#[from] ImapError),
    #[error(transparent)]
    Cache(#[from] CacheError),
}

/// How a folder's changes were found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    /// Every message fetched (a new or reset folder).
    #[default]
    Full,
    /// QRESYNC: changed flags and VANISHED with the SELECT.
    Qresync,
    /// CONDSTORE: flags changed since the last modseq.
    Condstore,
    /// Neither: every flag read again.
    Plain,
    /// Nothing changed since the last sync.
    Unchanged,
    /// The folder is not on the server (yet).
    Missing,
}

impl SyncMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncMode::Full => "full",
            SyncMode::Qresync => "qresync",
            SyncMode::Condstore => "condstore",
            SyncMode::Plain => "plain",
            SyncMode::Unchanged => "unchanged",
            SyncMode::Missing => "missing",
        }
    }
}

impl std::fmt::Display for SyncMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one folder's sync did; the counters are what tests and the bench read.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FolderReport {
    pub folder: String,
    /// Messages whose metadata was fetched in full (new to the cache).
    pub fetched: usize,
    /// Flag changes applied.
    pub flag_updates: usize,
    /// Messages removed because they were expunged on the server.
    pub expunged: usize,
    /// The folder's UIDVALIDITY changed and its cache was reset.
    pub reset: bool,
    pub mode: SyncMode,
    pub messages: usize,
}

/// How far a folder's full sync has gone, for a front end to show while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Another process holds the mailbox's sync lease: this one waits for it first.
    Waiting,
    /// Messages' headers fetched and cached, of `total`.
    Fetching { done: usize, total: usize },
    /// All `total` fetched: their conversations are being worked out and written.
    Threading { total: usize },
}

/// Syncs one folder into the cache.
pub fn sync_folder(
    conn: &mut Conn,
    cache: &mut Cache,
    team: &Team,
    name: &str,
    role: FolderRole,
) -> Result<FolderReport, SyncError> {
    sync_folder_reporting(conn, cache, team, name, role, &|_| {})
}

/// `sync_folder`, telling `progress` how a full sync (the first, or one cut off and
/// resumed) goes, batch by batch.
pub fn sync_folder_reporting(
    conn: &mut Conn,
    cache: &mut Cache,
    team: &Team,
    name: &str,
    role: FolderRole,
    progress: &dyn Fn(Progress),
) -> Result<FolderReport, SyncError> {
    let mut report = FolderReport {
        folder: name.to_string(),
        ..FolderReport::default()
    };
    let mut state = cache.folder(&team.mailbox, name, role)?;
    let known = match (state.complete, state.uidvalidity, state.highestmodseq) {
        (true, Some(v), Some(m)) => Some((v, m)),
        _ => None,
    };
    // The Sent and activity folders change rarely: a STATUS tells whether they did, and a
    // SELECT (tens of ms for a big folder on some servers) follows only then.
    if role != FolderRole::Inbox {
        match conn.folder_status(name)? {
            None => {
                report.mode = SyncMode::Missing;
                return Ok(report);
            }
            Some(s) if known.is_some() && unchanged_by_status(&s, &state) => {
                // Under QRESYNC an expunge moves HIGHESTMODSEQ; without it, the count (a
                // walk of the folder's rows) tells.
                let count = if conn.qresync_enabled {
                    s.messages as usize
                } else {
                    cache.folder_stats(&state)?.0
                };
                if count == s.messages as usize {
                    report.mode = SyncMode::Unchanged;
                    report.messages = count;
                    return Ok(report);
                }
            }
            // Empty: nothing to fetch, and no SELECT needed to know it (a round trip).
            Some(s) if s.messages == 0 && s.uidvalidity.is_some() => {
                if state.uidvalidity.is_some() && state.uidvalidity != s.uidvalidity {
                    cache.reset_folder(team, state.id)?;
                    state = cache.folder(&team.mailbox, name, role)?;
                    report.reset = true;
                }
                let cached = cache.folder_uids(&state)?;
                report.expunged = cache.remove_messages(team, state.id, &cached)?;
                report.mode = if known.is_some() && report.expunged == 0 {
                    SyncMode::Unchanged
                } else {
                    SyncMode::Full
                };
                state.uidvalidity = s.uidvalidity;
                state.uidnext = s.uidnext;
                state.highestmodseq = s.highestmodseq;
                state.complete = true;
                cache.set_folder_state(&state)?;
                return Ok(report);
            }
            Some(_) => {}
        }
    }
    let info = match conn.select(name, known) {
        Ok(i) => i,
        Err(ImapError::Folder { .. }) if role != FolderRole::Inbox => {
            report.mode = SyncMode::Missing;
            return Ok(report);
        }
        Err(e) => return Err(e.into()),
    };
    if state.uidvalidity.is_some_and(|v| v != info.uidvalidity) {
        cache.reset_folder(team, state.id)?;
        state = cache.folder(&team.mailbox, name, role)?;
        report.reset = true;
    }
    // Rows of a folder never synced under this UIDVALIDITY were written by this host (an
    // event or a reply it appended), not by a sync cut off half-way: nothing to resume
    // after, the folder is read from its first UID (a teammate's older records too).
    let resumable = state.uidvalidity == Some(info.uidvalidity);
    state.uidvalidity = Some(info.uidvalidity);
    // The highest UID is one index probe; the count walks the folder's index, so a
    // no-change resync under QRESYNC does without it.
    let max_cached = if resumable || state.complete {
        cache.folder_max_uid(&state)?
    } else {
        0
    };
    let mut cached_count: Option<usize> = None;

    let unchanged = state.complete
        && !report.reset
        && info.highestmodseq.is_some()
        && info.highestmodseq == state.highestmodseq
        && info.uidnext.is_some()
        && info.uidnext == state.uidnext
        // CONDSTORE alone does not promise a new HIGHESTMODSEQ on expunge.
        && (conn.qresync_enabled || info.exists as usize == count(cache, &state, &mut cached_count)?);
    // A HIGHESTMODSEQ below the one stored: the server lost its index (a common repair)
    // and numbers changes anew, so "changed since" would miss changes: read every flag.
    let regressed = matches!(
        (info.highestmodseq, state.highestmodseq),
        (Some(now), Some(before)) if now < before
    );
    let mut to_fetch: Vec<u32> = Vec::new();
    if unchanged {
        report.mode = SyncMode::Unchanged;
    } else if state.complete && !report.reset {
        let mut gone: Vec<u32> = Vec::new();
        let updates = if regressed {
            report.mode = SyncMode::Plain;
            conn.flags_changed_since(None)?
        } else if conn.qresync_enabled && state.highestmodseq.is_some() {
            report.mode = SyncMode::Qresync;
            gone = info.vanished.clone();
            info.changed.clone()
        } else if conn.caps.condstore && state.highestmodseq.is_some() {
            report.mode = SyncMode::Condstore;
            conn.flags_changed_since(state.highestmodseq)?
        } else {
            report.mode = SyncMode::Plain;
            conn.flags_changed_since(None)?
        };
        if !gone.is_empty() {
            report.expunged = cache.remove_messages(team, state.id, &gone)?;
        }
        if role != FolderRole::Activity {
            let (changed, unknown) = cache.update_flags(team, state.id, &updates)?;
            report.flag_updates = changed;
            to_fetch.extend(unknown);
        }
        let new_uids = match info.uidnext {
            Some(_) if info.uidnext == state.uidnext => Vec::new(),
            // A few new UIDs under QRESYNC (which told what vanished): fetched as a range,
            // without a SEARCH first (a round trip); UIDs never used come back as nothing.
            Some(next)
                if conn.qresync_enabled
                    && next > max_cached
                    && next - max_cached <= DIRECT_RANGE =>
            {
                (max_cached + 1..next).collect()
            }
            _ => conn.uids_from(max_cached + 1)?,
        };
        to_fetch.extend(new_uids);
        to_fetch.sort_unstable();
        to_fetch.dedup();
        // Without VANISHED, compare counts: a mismatch means something was expunged.
        let expected = |cache: &Cache, memo: &mut Option<usize>| -> Result<usize, SyncError> {
            Ok((count(cache, &state, memo)? + to_fetch.len()).saturating_sub(report.expunged))
        };
        if report.mode != SyncMode::Qresync
            && expected(cache, &mut cached_count)? != info.exists as usize
        {
            let on_server: HashSet<u32> = conn.uids_from(1)?.into_iter().collect();
            // Only what this session's view could hold: another process sharing the cache
            // may have cached messages that arrived after our SELECT.
            let seen_up_to = info.uidnext.unwrap_or(u32::MAX);
            let gone: Vec<u32> = cache
                .folder_uids(&state)?
                .iter()
                .copied()
                .filter(|u| *u < seen_up_to && !on_server.contains(u))
                .collect();
            report.expunged += cache.remove_messages(team, state.id, &gone)?;
        }
    } else {
        report.mode = SyncMode::Full;
        // The first sync of a mailbox loads in bulk (see `cache::bulk`).
        let bulk = role != FolderRole::Activity && cache.bulk_wanted(team, &state)?;
        // A full sync that was cut off resumes after the last cached UID; the flags of what
        // it had fetched are refreshed in one cheap pass.
        if max_cached > 0 {
            let cached = cache.folder_uids(&state)?;
            let updates = conn.flags_changed_since(None)?;
            let on_server: HashSet<u32> = updates.iter().map(|u| u.uid).collect();
            let seen_up_to = info.uidnext.unwrap_or(u32::MAX);
            let gone: Vec<u32> = cached
                .iter()
                .copied()
                .filter(|u| *u < seen_up_to && !on_server.contains(u))
                .collect();
            if bulk {
                report.expunged = cache.bulk_prune(state.id, &gone, &updates)?;
            } else {
                report.expunged = cache.remove_messages(team, state.id, &gone)?;
                if role != FolderRole::Activity {
                    cache.update_flags(team, state.id, &updates)?;
                }
            }
        }
        to_fetch = match info.uidnext {
            // UIDs used densely (few expunged): fetched by range, without a SEARCH first
            // (a round trip); the UIDs not in use come back as nothing.
            Some(next)
                if next > max_cached
                    && u64::from(next - max_cached)
                        <= 2 * u64::from(info.exists) + u64::from(DIRECT_RANGE) =>
            {
                (max_cached + 1..next).collect()
            }
            _ => conn.uids_from(max_cached + 1)?,
        };
        // Record progress so that an interrupted sync resumes instead of starting over.
        state.complete = false;
        cache.set_folder_state(&state)?;
        let total = to_fetch.len();
        progress(Progress::Fetching { done: 0, total });
        if bulk {
            let mut load = cache.bulk_open(team)?;
            report.fetched = fetch_into(
                conn,
                cache,
                team,
                &state,
                &to_fetch,
                Some(&mut load),
                &|done| progress(Progress::Fetching { done, total }),
            )?;
            progress(Progress::Threading { total });
            cache.bulk_finish(load)?;
            to_fetch.clear();
        } else {
            to_fetch.sort_unstable();
            to_fetch.dedup();
            report.fetched = fetch_into(conn, cache, team, &state, &to_fetch, None, &|done| {
                progress(Progress::Fetching { done, total })
            })?;
            to_fetch.clear();
        }
    }
    to_fetch.sort_unstable();
    to_fetch.dedup();
    report.fetched += fetch_into(conn, cache, team, &state, &to_fetch, None, &|_| {})?;
    state.highestmodseq = info.highestmodseq;
    state.uidnext = info.uidnext;
    state.complete = true;
    cache.set_folder_state(&state)?;
    report.messages = if report.mode == SyncMode::Unchanged {
        // Nothing changed: the cache holds what the server counts.
        cached_count.unwrap_or(info.exists as usize)
    } else {
        cache.folder_stats(&state)?.0
    };
    Ok(report)
}

/// The number of messages cached for `folder`, counted once (`memo`).
fn count(
    cache: &Cache,
    folder: &FolderState,
    memo: &mut Option<usize>,
) -> Result<usize, SyncError> {
    if let Some(n) = *memo {
        return Ok(n);
    }
    let n = cache.folder_stats(folder)?.0;
    *memo = Some(n);
    Ok(n)
}

/// Whether a folder's STATUS matches what the cache last synced (a new HIGHESTMODSEQ comes
/// with every flag change and, under QRESYNC, every expunge; the message count covers
/// servers that do not promise that).
fn unchanged_by_status(s: &crate::imap::FolderStatus, state: &FolderState) -> bool {
    s.uidvalidity.is_some()
        && s.uidvalidity == state.uidvalidity
        && s.highestmodseq.is_some()
        && s.highestmodseq == state.highestmodseq
        && s.uidnext.is_some()
        && s.uidnext == state.uidnext
}

/// FETCH batches sent ahead of the one being read, at most: enough that the server always
/// has the next one when it finishes one, however far away it is (with three, a 50 ms link
/// left Dovecot idle between batches for a round trip each; 32 cover 32,000 messages), and
/// few enough that their command lines (~5 KB) never fill the socket while nothing reads.
const IN_FLIGHT: usize = 32;

/// New UIDs up to this many are fetched as a range rather than searched for first.
const DIRECT_RANGE: u32 = 1000;

/// Splits `uids` into FETCH batches of `BATCH`, smaller towards the end: the last batch is
/// written after the network is done, so a small one shortens that tail.
fn tapered(uids: &[u32]) -> Vec<&[u32]> {
    let mut out = Vec::new();
    let mut rest = uids;
    while !rest.is_empty() {
        let size = match rest.len() {
            n if n > 2 * BATCH => BATCH,
            n if n > 1000 => n.div_ceil(2).min(BATCH),
            n if n > 250 => n.div_ceil(2),
            n => n,
        };
        let (head, tail) = rest.split_at(size);
        out.push(head);
        rest = tail;
    }
    out
}

/// What a sync fetches of each message (`modseq`: asked for by name, where CONDSTORE is).
pub(super) fn fetch_items(modseq: bool) -> String {
    format!(
        "(UID FLAGS{} INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])",
        if modseq { " MODSEQ" } else { "" }
    )
}

/// A batch the fetching thread hands to the writing one.
enum Batch {
    Messages(Vec<MessageMeta>),
    Events(Vec<(u32, i64, Event)>),
}

/// Fetches the metadata of `uids` in batches on a second thread while this one writes the
/// previous batch to the cache, so that the network and SQLite work at the same time.
fn fetch_into(
    conn: &mut Conn,
    cache: &mut Cache,
    team: &Team,
    state: &FolderState,
    uids: &[u32],
    mut bulk: Option<&mut crate::cache::BulkLoad>,
    cached: &dyn Fn(usize),
) -> Result<usize, SyncError> {
    if uids.is_empty() {
        // Nothing to fetch: what was fetched ahead behind the login is not needed.
        conn.drain_fetched_ahead()?;
        return Ok(0);
    }
    let activity = state.role == FolderRole::Activity;
    let items = if activity {
        // Events are small: the whole message, for the note's decoded text.
        "(UID INTERNALDATE BODY.PEEK[])".to_string()
    } else {
        fetch_items(conn.caps.condstore)
    };
    // Three stages on their own threads: read the responses, decode the headers, write the
    // cache. Each hands whole batches to the next.
    let (raw_tx, raw_rx) = crossbeam_channel::bounded::<Result<Fetched, ImapError>>(1);
    let (tx, rx) = crossbeam_channel::bounded::<Result<Batch, ImapError>>(1);
    std::thread::scope(|s| {
        s.spawn(move || {
            let started = Instant::now();
            let mut fetcher = Fetcher {
                items: &items,
                activity,
                seen: HashSet::new(),
                unread: Vec::new(),
            };
            // The ranges fetched behind the login come first, as they were sent.
            let ahead = conn.take_fetched_ahead();
            let mut chunks: Vec<&[u32]> = Vec::new();
            let mut rest = uids;
            for &(_, last) in &ahead {
                let n = rest.partition_point(|u| *u <= last);
                let (head, tail) = rest.split_at(n);
                chunks.push(head);
                rest = tail;
            }
            let sent_ahead = chunks.len();
            chunks.extend(tapered(rest));
            fetcher.run(conn, &chunks, sent_ahead, |batch| {
                let failed = batch.is_err();
                raw_tx.send(batch).is_ok() && !failed
            });
            tracing::debug!(target: "tanto::profile", "fetch {:?}", started.elapsed());
            super::trace_step(|| format!("fetched {} messages", uids.len()));
        });
        s.spawn(move || {
            let mut busy = Duration::ZERO;
            for batch in raw_rx {
                let d = Instant::now();
                let out = batch.map(|(metas, events)| {
                    if activity {
                        Batch::Events(events)
                    } else {
                        Batch::Messages(
                            metas
                                .into_iter()
                                .map(|(mut m, header)| {
                                    // A salvaged message has no header block but a marker.
                                    if !header.is_empty() {
                                        m.headers = crate::mime::parse_headers(&header);
                                    }
                                    m
                                })
                                .collect(),
                        )
                    }
                });
                let failed = out.is_err();
                busy += d.elapsed();
                if tx.send(out).is_err() || failed {
                    break;
                }
            }
            super::trace_step(|| format!("headers decoded in {} ms", busy.as_millis()));
        });
        let mut added = 0;
        // Counted by batch rather than by row added: a message known already still counts.
        let mut done = 0;
        let mut t_db = Duration::ZERO;
        for batch in rx {
            let d = Instant::now();
            let batch = batch?;
            done += match &batch {
                Batch::Messages(m) => m.len(),
                Batch::Events(e) => e.len(),
            };
            added += match batch {
                Batch::Messages(m) => match bulk.as_deref_mut() {
                    Some(load) => cache.bulk_add(load, team, state, m)?,
                    None => cache.add_messages(team, state, m)?,
                },
                Batch::Events(e) => cache.add_events(team, state, &e)?,
            };
            t_db += d.elapsed();
            cached(done.min(uids.len()));
        }
        super::trace_step(|| format!("cache written in {} ms", t_db.as_millis()));
        Ok(added)
    })
}

/// The FETCHes of one folder's sync: each batch sent ahead and read in turn. A response
/// imap-proto cannot parse does not drop its message: each UID that came back unread is
/// fetched again on its own once the batches are done, and if that fails too the message is
/// kept with what can be read of it (see `parse::salvage`).
struct Fetcher<'a> {
    items: &'a str,
    activity: bool,
    /// UIDs that came back readable, in any batch (a server may start the next batch's
    /// answer before it ends this one's).
    seen: HashSet<u32>,
    /// UIDs of batches with an unreadable response, to ask again.
    unread: Vec<u32>,
}

/// One batch's messages (or events), as the decoding stage takes them.
type Fetched = (Vec<(MessageMeta, Vec<u8>)>, Vec<(u32, i64, Event)>);

impl Fetcher<'_> {
    fn command(&self, set: &str) -> String {
        format!("UID FETCH {set} {}", self.items)
    }

    fn send(&self, conn: &mut Conn, chunk: &[u32]) -> Result<(), ImapError> {
        conn.send(&self.command(&super::uid_set(chunk)))
    }

    /// Fetches `chunks` (ascending, disjoint) and hands each one's messages to `emit`, in
    /// order, until it returns false. Several batches are in flight: the next FETCHes go out
    /// before this one's answer is read, so that the link's latency overlaps the transfer
    /// and the decoding (one round trip for the whole sync, not one per batch). A server may
    /// answer them interleaved, so what is handed on is chosen by UID, never by which answer
    /// it came in: the cache's bulk load takes UIDs in ascending order only.
    /// The first `sent_ahead` chunks went out behind the login (`Conn::open_selecting`).
    fn run(
        &mut self,
        conn: &mut Conn,
        chunks: &[&[u32]],
        sent_ahead: usize,
        mut emit: impl FnMut(Result<Fetched, ImapError>) -> bool,
    ) {
        let (mut sent, mut read) = (sent_ahead, 0);
        let mut pending: Fetched = (Vec::new(), Vec::new());
        // The STATUS a first sync's SELECT could not carry (it came behind the login) go
        // out first, in the FETCHes' round trip; their answers come after those of the
        // FETCHes sent behind the login and before the others'.
        if let Err(e) = conn.send_status_ahead() {
            emit(Err(e));
            return;
        }
        let read_next = |fetcher: &mut Self,
                         conn: &mut Conn,
                         read: &mut usize,
                         pending: &mut Fetched|
         -> Result<(), ImapError> {
            if *read == sent_ahead {
                conn.read_status_sent()?;
            }
            fetcher.read_into(conn, chunks[*read], pending)?;
            *read += 1;
            Ok(())
        };
        for (i, chunk) in chunks.iter().enumerate() {
            let mut step = || {
                while sent < chunks.len() && sent < i + IN_FLIGHT {
                    self.send(conn, chunks[sent])?;
                    sent += 1;
                }
                while read <= i {
                    read_next(self, conn, &mut read, &mut pending)?;
                }
                if !self.unread.is_empty() {
                    // Asked again one by one, with nothing else in flight.
                    while read < sent {
                        read_next(self, conn, &mut read, &mut pending)?;
                    }
                    conn.read_status_sent()?;
                    self.salvage_into(conn, &mut pending)?;
                }
                let last = chunk.last().copied().unwrap_or(0);
                Ok(take_up_to(&mut pending, last))
            };
            let batch = step();
            // A range fetched ahead past the last UID: nothing to hand on.
            if matches!(&batch, Ok((m, e)) if m.is_empty() && e.is_empty()) {
                continue;
            }
            if !emit(batch) {
                return;
            }
        }
        // Every chunk was fetched ahead: the STATUS answers came after them all.
        if let Err(e) = conn.read_status_sent() {
            emit(Err(e));
        }
    }

    /// Reads the answer of the batch `chunk` (sent ahead) into `out`.
    fn read_into(
        &mut self,
        conn: &mut Conn,
        chunk: &[u32],
        out: &mut Fetched,
    ) -> Result<(), ImapError> {
        let cmd = self.command(&super::uid_set(chunk));
        let unparsed = self.take(conn, &cmd, out, false)?;
        if !unparsed.is_empty() {
            self.unread.extend(chunk.iter().copied());
        }
        Ok(())
    }

    /// Reads the answer of `cmd` (sent now when `send`, else sent ahead), keeping what it
    /// reads in `out`; returns the responses imap-proto could not parse.
    fn take(
        &mut self,
        conn: &mut Conn,
        cmd: &str,
        out: &mut Fetched,
        send: bool,
    ) -> Result<Vec<Vec<u8>>, ImapError> {
        if send {
            conn.send(cmd)?;
        }
        let (activity, seen) = (self.activity, &mut self.seen);
        conn.bulk_read(cmd, |r| {
            if let Response::Fetch(_, attrs) = r {
                // A UID that came back readable, even as mail tanto ignores (not an event).
                if let Some(uid) = super::parse::fetch_uid(&attrs) {
                    seen.insert(uid);
                }
                if activity {
                    out.1.extend(super::parse::event(&attrs));
                } else {
                    out.0.extend(message_unparsed(&attrs));
                }
            }
        })
    }

    /// Asks again, one by one, for the UIDs whose answer could not be read, into `out`.
    fn salvage_into(&mut self, conn: &mut Conn, out: &mut Fetched) -> Result<(), ImapError> {
        let unread: Vec<u32> = std::mem::take(&mut self.unread)
            .into_iter()
            .filter(|u| !self.seen.contains(u))
            .collect();
        for uid in unread {
            let cmd = self.command(&uid.to_string());
            let again = self.take(conn, &cmd, out, true)?;
            // Nothing at all: expunged meanwhile, not unreadable.
            if let Some(raw) = again.first() {
                tracing::warn!(
                    "uid {uid}: the server's FETCH response could not be read, twice: {:?}",
                    String::from_utf8_lossy(&raw[..raw.len().min(200)])
                );
                if !self.activity {
                    out.0.push((super::parse::salvage(raw, uid), Vec::new()));
                }
            }
        }
        Ok(())
    }
}

/// Takes out of `pending` the messages and events with a UID up to `last`.
fn take_up_to(pending: &mut Fetched, last: u32) -> Fetched {
    // Mostly everything pending is the batch: handed on whole, not moved row by row.
    if pending.0.iter().all(|(m, _)| m.uid <= last)
        && pending.1.iter().all(|(uid, _, _)| *uid <= last)
    {
        return std::mem::take(pending);
    }
    let (metas, later): (Vec<_>, Vec<_>) = std::mem::take(&mut pending.0)
        .into_iter()
        .partition(|(m, _)| m.uid <= last);
    let (events, later_events): (Vec<_>, Vec<_>) = std::mem::take(&mut pending.1)
        .into_iter()
        .partition(|(uid, _, _)| *uid <= last);
    *pending = (later, later_events);
    (metas, events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_shrink_towards_the_end_and_cover_everything() {
        let uids: Vec<u32> = (1..=10_000).collect();
        let sizes: Vec<usize> = tapered(&uids).iter().map(|c| c.len()).collect();
        assert_eq!(sizes.iter().sum::<usize>(), 10_000);
        assert!(sizes.iter().all(|s| *s <= BATCH));
        assert!(sizes.last().is_some_and(|s| *s <= 250), "{sizes:?}");
        assert_eq!(tapered(&[1, 2, 3]).len(), 1);
        assert!(tapered(&[]).is_empty());
    }
}
