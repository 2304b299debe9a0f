//! The conversation list and one conversation's view with its timeline, as data for the
//! front ends. Every string that comes from mail is made safe for a terminal here.

use tanto_core::said;

use super::Ctx;
use super::Warning;
use tanto_core::event::EventKind;
use tanto_core::model::{Address, Attachment};
use tanto_core::presence::Doing;
use tanto_mail::cache::{Cache, ConversationRow, EventRow, ListFilter, MessageRow};
use tanto_mail::sanitize::{for_display, single_line};

/// The conversations matching `filter`, most recent first.
pub fn list(ctx: &Ctx, filter: &ListFilter) -> anyhow::Result<Vec<ConversationRow>> {
    Ok(ctx.cache()?.list(filter)?)
}

/// Calls `f` with each conversation matching `filter`, most recent first, one at a time
/// (a long list is never held in memory); stops when `f` returns false.
pub fn each(
    ctx: &Ctx,
    filter: &ListFilter,
    f: impl FnMut(ConversationRow) -> bool,
) -> anyhow::Result<()> {
    Ok(ctx.cache()?.each_conversation(filter, f)?)
}

/// The most conversations a search or a customer's history lists.
pub const FOUND_CAP: u64 = 500;

/// Conversations whose subject, customer, assignee or a cached body holds `text`
/// (case-insensitive), in every status, most recent first; at most `FOUND_CAP`.
pub fn search(ctx: &Ctx, text: &str) -> anyhow::Result<Vec<ConversationRow>> {
    let q = tanto_mail::cache::TabQuery {
        text: Some(text.trim().to_string()),
        ..Default::default()
    };
    found(ctx, &q)
}

/// Every conversation with the customer at `address`, in every status, most recent first;
/// at most `FOUND_CAP`.
pub fn history(ctx: &Ctx, address: &str) -> anyhow::Result<Vec<ConversationRow>> {
    let q = tanto_mail::cache::TabQuery {
        customer: Some(tanto_mail::mime::clean_email(address)),
        ..Default::default()
    };
    found(ctx, &q)
}

fn found(ctx: &Ctx, q: &tanto_mail::cache::TabQuery) -> anyhow::Result<Vec<ConversationRow>> {
    let rows = ctx
        .cache()?
        .list_window(q, &ctx.config.agent.id, 0, FOUND_CAP)?;
    Ok(rows.into_iter().map(|r| r.conversation).collect())
}

/// Calls `f` with each open (New or In progress) conversation matching `filter` that is
/// past the team's reply target at `now`, and when it was due; the longest waiting first.
/// Fails, saying how to set one, when the team has no reply target.
pub fn each_overdue(
    ctx: &Ctx,
    filter: &ListFilter,
    now: i64,
    mut f: impl FnMut(ConversationRow, i64) -> bool,
) -> anyhow::Result<()> {
    let target = ctx
        .config
        .reply_target
        .as_ref()
        .ok_or_else(|| anyhow::Error::from(said!("error.list.no_target")))?;
    ctx.cache()?.each_overdue(filter, target.cutoff(now), |c| {
        let due = target.due(c.last_received);
        f(c, due)
    })?;
    Ok(())
}

/// The receive time at or before which an open conversation is overdue at `now`, when the
/// team has a reply target (what `Cache::count_overdue` takes).
pub fn overdue_cutoff(ctx: &Ctx, now: i64) -> Option<i64> {
    ctx.config.reply_target.as_ref().map(|t| t.cutoff(now))
}

/// What a timeline entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A customer's mail.
    Inbound,
    /// The team's mail.
    Reply,
    /// An internal note.
    Note,
    /// A claim, release, assignment, status change.
    Event,
}

/// One entry of a conversation's timeline (mail, note or event), display-safe.
#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: EntryKind,
    /// Seconds since the epoch.
    pub at: i64,
    /// For events and notes.
    pub event: Option<EventKind>,
    pub agent: Option<String>,
    /// For events: the owner after the event.
    pub owner: Option<String>,
    /// For mail.
    pub from: Option<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    pub message_id: Option<String>,
    /// The body (mail), the note, or what the event did; control sequences removed.
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// Why the rules call this mail noise.
    pub noise: Option<String>,
    /// False when the body is neither cached nor could be fetched.
    pub has_body: bool,
}

/// Someone else looking at or replying to the conversation now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    pub agent: String,
    pub kind: String,
}

/// One conversation as the reader shows it.
#[derive(Debug, Clone)]
pub struct ConversationView {
    pub conversation: ConversationRow,
    pub presence: Vec<Presence>,
    /// Oldest first.
    pub timeline: Vec<Entry>,
    /// Why some bodies could not be fetched, if so.
    pub fetch_error: Option<crate::Cause>,
    /// The conversation's replies in the outbox as the last sync saw them (scheduled,
    /// waiting for approval, held, rejected), oldest first.
    pub outbox: Vec<QueuedReply>,
    /// The conversation's tags, sorted (`tanto tag`, rules).
    pub tags: Vec<String>,
}

/// A reply of the conversation still in the outbox, display-safe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedReply {
    /// Without brackets: what a take-back names.
    pub message_id: String,
    pub author: String,
    /// `queued`, `scheduled`, `waiting-approval`, `rejected`, `held`, `sending`, `uncertain`.
    pub standing: String,
    /// Not before (seconds since the epoch; 0 for now).
    pub send_at: i64,
    /// Why it is held or rejected, as the log says.
    pub reason: Option<String>,
}

impl QueuedReply {
    /// True when its author may still take it back (no send has started).
    pub fn may_take_back(&self) -> bool {
        matches!(
            self.standing.as_str(),
            "queued" | "scheduled" | "waiting-approval" | "rejected" | "held"
        )
    }
}

fn safe_address(a: &Address) -> Address {
    Address {
        name: a.name.as_deref().map(single_line),
        email: single_line(&a.email),
    }
}

/// Builds the text filter's index when a first sync left it out (the TUI calls it in the
/// background; until then the filter matches with LIKE). True when it built.
pub fn prepare_filter(ctx: &Ctx) -> anyhow::Result<bool> {
    Ok(ctx.cache()?.build_filter_index()?)
}

/// The conversation `id` (or a unique prefix) with its timeline; fetches bodies the cache
/// lacks, marks this agent as viewing it, and its mail as seen by this agent.
pub fn view(ctx: &Ctx, id: &str) -> anyhow::Result<ConversationView> {
    let v = build_view(ctx, id, true)?;
    // Looked at: its mail up to now is not new to this agent any more (a cache that cannot
    // take it only leaves the marker on).
    if let Ok(cache) = ctx.cache() {
        let me = &ctx.config.agent.id;
        let (c, now) = (&v.conversation, tanto_core::clock::now());
        let _ = cache
            .start_seen(me, now)
            .and_then(|()| cache.mark_seen(me, &c.mailbox, &c.id, now));
    }
    Ok(v)
}

/// The conversation `id` as `view` gives it, but with its messages alone (no notes or
/// events, so none to check with the server): for replying, saving and ranking templates.
pub fn messages_view(ctx: &Ctx, id: &str) -> anyhow::Result<ConversationView> {
    build_view(ctx, id, false)
}

fn build_view(ctx: &Ctx, id: &str, with_events: bool) -> anyhow::Result<ConversationView> {
    let mut cache = ctx.cache()?;
    let conv = cache.find_conversation(id)??;
    let msgs = cache.messages(&conv.mailbox, &conv.id)?;
    let fetch_error = fetch_missing(ctx, &mut cache, &conv, &msgs);
    let mut timeline = Vec::new();
    for m in &msgs {
        let raw = cache.body(m.folder_id, m.uid)?;
        timeline.push(mail_entry(m, raw.as_deref()));
    }
    let events = match with_events {
        true => {
            let events = cache.events(&conv.mailbox, &conv.id)?;
            server_checked(ctx, &mut cache, &conv, events)
        }
        false => Vec::new(),
    };
    for e in events {
        let note = e.kind == EventKind::Note;
        timeline.push(Entry {
            kind: if note {
                EntryKind::Note
            } else {
                EntryKind::Event
            },
            at: e.at,
            agent: Some(single_line(&e.agent)),
            owner: e.owner.as_deref().map(single_line),
            from: None,
            to: Vec::new(),
            cc: Vec::new(),
            subject: if note {
                String::new()
            } else {
                single_line(&event_line(&e))
            },
            message_id: None,
            text: for_display(&e.text),
            attachments: Vec::new(),
            noise: None,
            has_body: true,
            event: Some(e.kind),
        });
    }
    // Stable: messages keep their order among themselves, events fall in by time.
    timeline.sort_by_key(|e| e.at);
    let me = &ctx.config.agent.id;
    let presence: Vec<Presence> = cache
        .presence(&conv.mailbox, &conv.id)?
        .into_iter()
        .filter(|(agent, _)| agent != me)
        .map(|(agent, kind)| Presence {
            agent: single_line(&agent),
            kind: single_line(&kind),
        })
        .collect();
    // Others see that this agent looked at it (a TUI keeps this fresh with heartbeats).
    if let Err(e) = cache.set_presence(&conv.mailbox, &conv.id, me, Doing::Viewing) {
        let error = e.into();
        ctx.notify.warn(Warning::PresenceViewing { error });
    }
    let mut outbox = Vec::new();
    for q in cache.outbox_seen_of(&conv.mailbox, &conv.id)? {
        let kind = match q.standing.as_str() {
            "held" => Some(EventKind::Hold),
            "rejected" => Some(EventKind::Reject),
            _ => None,
        };
        let reason = match kind {
            Some(kind) => cache
                .latest_event(&conv.mailbox, &q.message_id, kind)?
                .map(|(_, text)| single_line(text.split("\n\n").next().unwrap_or_default())),
            None => None,
        };
        outbox.push(QueuedReply {
            message_id: q.message_id,
            author: single_line(&q.author),
            standing: single_line(&q.standing),
            send_at: q.send_at,
            reason,
        });
    }
    let tags = cache.tags(&conv.mailbox, &conv.id)?;
    Ok(ConversationView {
        conversation: conv,
        presence,
        timeline,
        fetch_error,
        outbox,
        tags,
    })
}

/// The parts of an event the timeline shows.
#[derive(Clone, Copy)]
struct Shown<'a> {
    kind: &'a EventKind,
    agent: &'a str,
    status: Option<&'a str>,
    owner: Option<&'a str>,
    text: &'a str,
}

/// The events the server's activity folder holds as the cache says (same kind, agent and
/// text at the same UID). The cache file is shared and writable: a row written into it
/// directly (a forged supervisor's note) is left out, and the cache is put right (a row the
/// server contradicts takes the server's record; one it lacks is forgotten). Where the
/// server cannot be asked, all are kept and a warning says that they are unchecked.
fn server_checked(
    ctx: &Ctx,
    cache: &mut Cache,
    conv: &ConversationRow,
    events: Vec<EventRow>,
) -> Vec<EventRow> {
    // What the timeline shows of an event: a note's whole text; of any other event its
    // sentence and the state it set (the server's copy adds a paragraph the cache may lack).
    let fingerprint = |folder_id: i64, uid: u32, e: Shown<'_>| {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let text = if *e.kind == EventKind::Note {
            e.text
        } else {
            e.text.lines().next().unwrap_or_default()
        };
        (
            folder_id,
            uid,
            e.kind.as_str(),
            e.agent,
            e.status,
            e.owner,
            text,
        )
            .hash(&mut h);
        h.finish()
    };
    let of_row = |e: &EventRow| {
        fingerprint(
            e.folder_id,
            e.uid,
            Shown {
                kind: &e.kind,
                agent: &e.agent,
                status: e.status.as_deref(),
                owner: e.owner.as_deref(),
                text: &e.text,
            },
        )
    };
    let unknown: Vec<&EventRow> = events
        .iter()
        .filter(|e| !ctx.event_checked(of_row(e)))
        .collect();
    if unknown.is_empty() {
        return events;
    }
    type OnServer = Vec<(i64, u32, Option<tanto_mail::activity::Event>)>;
    let asked = (|| -> anyhow::Result<OnServer> {
        let (index, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
        let mut folders: Vec<i64> = unknown.iter().map(|e| e.folder_id).collect();
        folders.sort_unstable();
        folders.dedup();
        let mut conn = ctx.session(index, mailbox)?;
        let mut out = Vec::new();
        for folder_id in folders {
            let uids: Vec<u32> = unknown
                .iter()
                .filter(|e| e.folder_id == folder_id)
                .map(|e| e.uid)
                .collect();
            let name = cache.folder_name(folder_id)?;
            let info = match &name {
                Some(name) => Some(conn.select(name, None)?),
                None => None,
            };
            // A folder the cache does not know, or whose UIDs mean other messages now: none
            // of these rows is on the server as they say. (No UIDVALIDITY yet: the folder was
            // only appended to, never synced; its UIDs are the server's.)
            let known = cache.folder_uidvalidity(folder_id)?;
            if info.is_none_or(|i| known.is_some_and(|v| v != i.uidvalidity)) {
                out.extend(uids.into_iter().map(|uid| (folder_id, uid, None)));
                continue;
            }
            let mut found: std::collections::HashMap<u32, tanto_mail::activity::Event> =
                conn.fetch_events(&uids)?.into_iter().collect();
            out.extend(
                uids.into_iter()
                    .map(|uid| (folder_id, uid, found.remove(&uid))),
            );
        }
        ctx.session_done(index, conn, true);
        Ok(out)
    })();
    let on_server = match asked {
        Ok(o) => o,
        Err(e) => {
            let error = e.into();
            ctx.notify.warn(Warning::EventsUnchecked { error });
            return events;
        }
    };
    let mut fixed_at = std::collections::HashSet::new();
    for (folder_id, uid, event) in on_server {
        let row = unknown
            .iter()
            .find(|e| e.folder_id == folder_id && e.uid == uid);
        if let (Some(ev), Some(row)) = (&event, row) {
            let shown = Shown {
                kind: &ev.kind,
                agent: &ev.agent,
                status: ev.status.as_deref(),
                owner: ev.owner.as_deref(),
                text: &ev.text,
            };
            if fingerprint(folder_id, uid, shown) == of_row(row) {
                ctx.remember_event_checked(of_row(row));
                continue;
            }
        }
        let fixed = match &event {
            Some(ev) => cache.put_server_event(folder_id, &conv.mailbox, uid, ev),
            None => cache.forget_event(folder_id, uid),
        };
        if let Err(e) = fixed {
            tracing::warn!("could not put event {uid} right in the cache: {e}");
        }
        fixed_at.insert((folder_id, uid));
    }
    if fixed_at.is_empty() {
        return events;
    }
    // Read again: the rows put right now hold the server's records (or are gone); the
    // others were checked above. A row that appeared in between waits for the next view.
    let known: std::collections::HashSet<(i64, u32)> =
        events.iter().map(|e| (e.folder_id, e.uid)).collect();
    cache
        .events(&conv.mailbox, &conv.id)
        .unwrap_or_default()
        .into_iter()
        .filter(|e| known.contains(&(e.folder_id, e.uid)))
        .collect()
}

/// One message as the reader shows it, every string from the mail made safe to draw; `raw`
/// is its body when the cache has it.
pub fn mail_entry(m: &MessageRow, raw: Option<&[u8]>) -> Entry {
    let (text, attachments) = match raw.map(tanto_mail::mime::render) {
        Some(r) => (r.text, r.attachments),
        None => (String::new(), Vec::new()),
    };
    Entry {
        kind: if m.inbound {
            EntryKind::Inbound
        } else {
            EntryKind::Reply
        },
        at: m.date.unwrap_or(m.internal_date),
        event: None,
        agent: None,
        owner: None,
        from: Some(safe_address(&m.from)),
        to: m.to.iter().map(safe_address).collect(),
        cc: m.cc.iter().map(safe_address).collect(),
        subject: single_line(&m.subject),
        message_id: m.message_id.as_deref().map(single_line),
        text,
        attachments,
        noise: m.noise.clone(),
        has_body: raw.is_some(),
    }
}

/// Fetches the bodies missing from the cache; returns why it could not, if it could not.
fn fetch_missing(
    ctx: &Ctx,
    cache: &mut Cache,
    conv: &ConversationRow,
    msgs: &[MessageRow],
) -> Option<crate::Cause> {
    let missing: Vec<&MessageRow> = msgs
        .iter()
        .filter(|m| !matches!(cache.body(m.folder_id, m.uid), Ok(Some(_))))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let result = (|| -> anyhow::Result<()> {
        let (index, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
        let mut conn = ctx.session(index, mailbox)?;
        let mut folders: Vec<(i64, &str)> = missing
            .iter()
            .map(|m| (m.folder_id, m.folder.as_str()))
            .collect();
        folders.sort_unstable();
        folders.dedup();
        for (folder_id, folder) in folders {
            let info = conn.select(folder, None)?;
            // Cached UIDs mean nothing once UIDVALIDITY changed: never show another message.
            if cache.folder_uidvalidity(folder_id)? != Some(info.uidvalidity) {
                return Err(said!("error.app.uidvalidity", folder = folder).into());
            }
            let uids: Vec<u32> = missing
                .iter()
                .filter(|m| m.folder_id == folder_id)
                .map(|m| m.uid)
                .collect();
            for (uid, raw) in conn.fetch_bodies(&uids)? {
                cache.store_body(folder_id, uid, &raw)?;
            }
        }
        ctx.session_done(index, conn, true);
        Ok(())
    })();
    result.err().map(crate::Cause::from)
}

/// The line an event shows in a timeline: its sentence; for a wait or snooze, with the
/// reason and the wake time its text carries (`core::waiting`).
fn event_line(e: &tanto_mail::cache::EventRow) -> String {
    use tanto_core::waiting;
    let sentence = || tanto_mail::activity::describe(&e.kind, &e.agent, e.owner.as_deref(), None);
    match e.kind {
        EventKind::Wait if !e.text.trim().is_empty() => {
            format!("{}: {}", sentence(), e.text.trim())
        }
        EventKind::Snooze => match waiting::parse_snooze(&e.text) {
            Some((until, reason)) => {
                let at = chrono::DateTime::from_timestamp(until, 0)
                    .map(|d| d.to_rfc3339())
                    .unwrap_or_default();
                let reason = if reason.is_empty() {
                    String::new()
                } else {
                    format!(": {reason}")
                };
                format!("{} until {at}{reason}", sentence())
            }
            None => sentence(),
        },
        EventKind::Wait => sentence(),
        _ => e.text.lines().next().unwrap_or("").to_string(),
    }
}
