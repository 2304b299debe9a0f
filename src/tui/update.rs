//! `update(&mut State, Msg) -> Vec<Command>`: every key, resize, watcher notice, worker
//! answer and tick goes through here. No I/O: what needs the cache or the server comes back
//! as a `Command` for the workers, whose answers come back as `Msg::Worker`.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use tanto_app::act::Outcome;
use tanto_app::conversations::ConversationView;
use tanto_app::reply::Replied;
use tanto_app::reply_outbox::{Awaiting, Sent, TakeBack, Verdict};
use tanto_app::watch::WatchEvent;
use tanto_app::Notice;
use tanto_core::claims::{self, Already, Refused};
use tanto_mail::cache::{StatusCounts, TabQuery};

use super::keymap::Action;
use super::state::{Draft, Link, Overlay, Reader, Screen, State, Tab, Window};
use crate::i18n::{t as tr, tf};

/// Everything the loop feeds to `update`.
#[derive(Debug, Clone)]
pub enum Msg {
    Key(KeyEvent),
    Resize {
        width: u16,
        height: u16,
    },
    Watch(WatchEvent),
    Worker(Reply),
    /// A mouse event (only when the config turns the mouse on).
    Mouse(Mouse),
    /// Another process (or our watcher) changed the shared cache.
    CacheChanged,
    /// A retry or warning from the application layer.
    Notice(Notice),
    /// Seconds since the epoch.
    Tick {
        now: i64,
    },
}

/// The mouse events the TUI uses; rows and columns from the screen's top left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mouse {
    ScrollUp,
    ScrollDown,
    Click { column: u16, row: u16 },
}

/// Rows a wheel step moves.
const WHEEL: isize = 3;

/// What a worker answers.
#[derive(Debug, Clone)]
pub enum Reply {
    List {
        req: u64,
        window: Window,
        selected: usize,
        top: usize,
        /// Per tab: its conversations, or with a search (`matches`) its matches.
        counts: StatusCounts,
        matches: bool,
    },
    /// The matches of a search in every tab, counted after its list was shown (so that the
    /// count never holds up the frame a key asked for).
    Counts {
        req: u64,
        counts: StatusCounts,
    },
    /// The draft of a taken-over reply was kept on disk (or why not).
    DraftKept {
        id: String,
        result: Result<(), String>,
    },
    ListFailed {
        req: u64,
        error: String,
    },
    Opened {
        id: String,
        result: Result<Box<ConversationView>, String>,
    },
    Acted {
        id: String,
        result: Result<Outcome, String>,
    },
    Noted {
        id: String,
        /// True when the note went to the offline journal.
        result: Result<bool, String>,
    },
    Saved {
        id: String,
        dir: String,
        result: Result<usize, String>,
    },
    Agents(Vec<String>),
    /// The external editor closed; `None` when the note was left empty or it failed.
    NoteEdited {
        id: String,
        text: Result<Option<String>, String>,
    },
    /// `prepare` ended: a draft, or why there is none (someone else holds it).
    ReplyPrepared {
        id: String,
        result: Result<Result<Draft, tanto_app::reply::HeldBy>, String>,
    },
    /// The editor closed on the reply's draft.
    ReplyEdited {
        id: String,
        text: Result<String, String>,
    },
    /// `submit` ended; `undo` when it was queued for the undo window.
    ReplySubmitted {
        id: String,
        undo: bool,
        result: Result<Replied, String>,
    },
    TookBack {
        id: String,
        result: Result<TakeBack, String>,
    },
    /// The undo window ended and the send ran.
    SentDue {
        id: String,
        result: Result<Sent, String>,
    },
    Approvals(Result<Vec<Awaiting>, String>),
    /// The duty record was written: away (`true`) or back.
    Duty {
        away: bool,
        result: Result<(), String>,
    },
    Decided {
        id: String,
        approve: bool,
        result: Result<Sent, String>,
    },
    /// `tags::set` ended.
    Tagged {
        id: String,
        result: Result<tanto_app::tags::Tagged, String>,
    },
    /// A merge or split (`split`) ended.
    Regrouped {
        id: String,
        split: bool,
        result: Result<tanto_app::regroup::Regrouped, String>,
    },
}

/// Where the selection goes once a list is loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// Follow this conversation, keeping it on the same screen row; when it left the tab,
    /// stay at index `fallback`.
    Keep {
        mailbox: String,
        id: String,
        row: usize,
        fallback: usize,
    },
    /// This index, with this first row on screen.
    At { selected: usize, top: usize },
}

/// Work for the workers (or, for the external editor, the loop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    LoadList {
        req: u64,
        query: TabQuery,
        anchor: Anchor,
        height: usize,
    },
    Open {
        id: String,
        /// Also sync its mailbox afterwards (a user's open: the watcher may lag behind).
        sync: bool,
    },
    /// Keep the reply being written on disk (`app::drafts`): its conversation was taken
    /// over by `by` while it was written, and a crash or a quit must not lose it.
    KeepDraft {
        mailbox: String,
        id: String,
        by: String,
        text: String,
    },
    /// Clear this agent's presence on a conversation.
    Leave {
        mailbox: String,
        id: String,
    },
    Heartbeat {
        mailbox: String,
        id: String,
    },
    Act {
        id: String,
        action: claims::Action,
    },
    Note {
        id: String,
        text: String,
    },
    /// Save the conversation's attachments into a directory (sanitized names, never
    /// overwriting).
    Save {
        id: String,
        dir: String,
    },
    /// Suspend the screen and write the note in $VISUAL/$EDITOR.
    EditNote {
        id: String,
    },
    LoadAgents,
    /// Claim and build the reply's draft.
    PrepareReply {
        id: String,
        all: bool,
    },
    /// Suspend the screen and edit the reply's draft (the loop runs it, keeping the
    /// "replying" presence fresh meanwhile).
    EditReply {
        id: String,
    },
    /// Check, queue and (unless `at` is later) send the reply.
    SubmitReply {
        draft: Draft,
        text: String,
        force: bool,
        at: Option<i64>,
        undo: bool,
    },
    /// Take a queued reply back out of the outbox (the undo key).
    TakeBack {
        id: String,
        mailbox: String,
        message_id: String,
    },
    /// The undo window is over: send the queued reply.
    SendDue {
        id: String,
        mailbox: String,
        message_id: String,
    },
    /// Set this agent's presence on a conversation (`None` clears it).
    Presence {
        mailbox: String,
        id: String,
        kind: Option<String>,
    },
    LoadApprovals,
    /// Go away (`true`) or come back on duty (`app::assignment::set_duty`).
    Duty {
        away: bool,
    },
    Decide {
        id: String,
        /// The reply the supervisor read (its Message-ID): the one decided.
        message_id: String,
        verdict: Verdict,
    },
    /// Put (`on`) or take off the tag `name` (`app::tags::set`).
    Tag {
        id: String,
        name: String,
        on: bool,
    },
    /// Merge conversation `id` into `into` (`app::regroup::merge`).
    Merge {
        id: String,
        into: String,
    },
    /// Split mail `message` (a Message-ID or a number) off `id` (`app::regroup::split`).
    Split {
        id: String,
        message: String,
    },
}

/// How often (in ticks of a second) the reader's presence is renewed and the list reloaded
/// for presence markers.
const HEARTBEAT_SECS: i64 = 10;

pub fn update(s: &mut State, msg: Msg) -> Vec<Command> {
    let before_now = s.now;
    let mut out = Vec::new();
    match msg {
        Msg::Key(k) => {
            s.dirty = true;
            key(s, k, &mut out);
        }
        Msg::Resize { width, height } => {
            s.dirty = true;
            s.width = width;
            s.list.height = list_height(height);
            s.reader_height = height.saturating_sub(3).max(1);
            clamp_top(s);
            out.push(reload(s));
        }
        Msg::Watch(WatchEvent::Synced { changes }) => {
            if s.link != Link::Connected || s.status.syncing {
                s.dirty = true;
            }
            status::synced(s);
            s.link = Link::Connected;
            s.status.syncing = false;
            if changes > 0 {
                out.push(reload(s));
            }
        }
        Msg::Watch(WatchEvent::Trouble { reason, retry_secs }) => {
            s.dirty = true;
            let since = match &s.link {
                Link::Retrying { since, .. } => *since,
                _ => s.now,
            };
            let reason = crate::i18n::cause_text(&reason);
            if !matches!(&s.link, Link::Retrying { reason: r, .. } if *r == reason) {
                status::record(s, tf("tui.status.trouble", &[("why", &reason)]));
            }
            s.link = Link::Retrying {
                since,
                retry_at: s.now + retry_secs as i64,
                reason,
            };
        }
        Msg::CacheChanged => {
            out.push(reload(s));
            if let Some(r) = &s.reader {
                if r.view.is_some() {
                    out.push(Command::Open {
                        id: r.id.clone(),
                        sync: false,
                    });
                }
            }
        }
        Msg::Notice(n) => {
            s.dirty = true;
            match n {
                Notice::Retrying { what, reason, wait } => {
                    let text = tf(
                        "notice.retrying",
                        &[
                            ("what", &crate::i18n::retrying_what(&what)),
                            ("reason", &crate::i18n::cause_text(&reason)),
                            ("secs", &wait.as_secs().max(1)),
                        ],
                    );
                    s.status.link = Some(text.clone());
                    s.status.error = Some(text);
                }
                Notice::Warning(w) => {
                    if matches!(w, tanto_app::Warning::OutboxPass { .. }) {
                        status::pass_failed(s);
                    }
                    s.status.error = Some(crate::i18n::warning(&w));
                }
                Notice::Offline(a) => {
                    let (text, bad) = crate::i18n::offline_text(&a);
                    if bad {
                        s.status.error = Some(text);
                    } else {
                        s.status.info = Some(text);
                    }
                }
                Notice::Outbox(sent) => status::outbox_notice(s, &sent),
            }
        }
        Msg::Tick { now } => {
            s.now = now;
            if let Some(u) = &mut s.undo {
                s.dirty = true;
                if now >= u.due && !u.settling {
                    u.settling = true;
                    out.push(Command::SendDue {
                        id: u.id.clone(),
                        mailbox: u.mailbox.clone(),
                        message_id: u.message_id.clone(),
                    });
                }
            }
            // Ages move by the minute; a countdown by the second.
            if matches!(s.link, Link::Retrying { .. }) || now / 60 != before_now / 60 {
                s.dirty = true;
            }
            if now / HEARTBEAT_SECS != before_now / HEARTBEAT_SECS {
                if let (Screen::Reader, Some(r)) = (&s.screen, &s.reader) {
                    out.push(Command::Heartbeat {
                        mailbox: r.mailbox.clone(),
                        id: r.id.clone(),
                    });
                }
                // Presence markers expire without a change to the cache.
                out.push(reload(s));
            }
        }
        Msg::Worker(r) => worker(s, r, &mut out),
        Msg::Mouse(m) => {
            s.dirty = true;
            mouse(s, m, &mut out);
        }
    }
    status::remember(s);
    out
}

/// List rows on a screen `height` rows high: the tabs, the header and the status bar
/// take three.
pub fn list_height(height: u16) -> usize {
    usize::from(height.saturating_sub(3)).max(1)
}

/// A list request that keeps the selection where it is (on its conversation when known).
fn reload(s: &mut State) -> Command {
    s.list.req += 1;
    let anchor = match &s.list.selected_id {
        Some((mailbox, id)) => Anchor::Keep {
            mailbox: mailbox.clone(),
            id: id.clone(),
            row: s.list.selected.saturating_sub(s.list.top),
            fallback: s.list.selected,
        },
        None => Anchor::At {
            selected: s.list.selected,
            top: s.list.top,
        },
    };
    Command::LoadList {
        req: s.list.req,
        query: s.query(),
        anchor,
        height: s.list.height,
    }
}

/// A list request from the first row (a new tab, filter or customer).
fn reload_from_top(s: &mut State) -> Command {
    s.list.selected = 0;
    s.list.top = 0;
    s.list.selected_id = None;
    reload(s)
}

fn clamp_top(s: &mut State) {
    let h = s.list.height;
    if s.list.selected < s.list.top {
        s.list.top = s.list.selected;
    } else if s.list.selected >= s.list.top + h {
        s.list.top = s.list.selected + 1 - h;
    }
}

fn act(s: &mut State, action: claims::Action, out: &mut Vec<Command>) {
    let Some((_, id)) = s.target() else {
        return;
    };
    s.status.busy += 1;
    s.status.info = Some(format!(
        "{}: {}…",
        short(&id),
        tr(&format!("verb.{}", action.verb().replace(' ', "_")))
    ));
    out.push(Command::Act { id, action });
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn refresh_after_change(s: &mut State, id: &str, out: &mut Vec<Command>) {
    out.push(reload(s));
    if s.reader.as_ref().is_some_and(|r| r.id == id) {
        out.push(Command::Open {
            id: id.to_string(),
            sync: false,
        });
    }
    out.push(Command::LoadAgents);
}

mod answers;
mod desk;
mod keys;
mod list;
mod overlay;
mod reader;
mod reply_flow;
mod status;
use answers::worker;
use keys::key;
use list::{mouse, move_to, open_selected, quit, switch_tab};
use overlay::{overlay_key, send_note};
use reader::{leave_reader, scroll};
use reply_flow::{
    approvals_key, decide, open_approvals, reply_worker, send_reply_key, start_reply, take_back,
};

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
