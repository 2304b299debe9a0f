//! `update(&mut State, Msg) -> Vec<Command>`: every key, resize, watcher notice, worker
//! answer and tick goes through here. No I/O: what needs the cache or the server comes back
//! as a `Command` for the workers, whose answers come back as `Msg::Worker`.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::act::Outcome;
use crate::app::conversations::ConversationView;
use crate::app::reply::Replied;
use crate::app::reply_outbox::{Awaiting, Sent, TakeBack, Verdict};
use crate::app::watch::WatchEvent;
use crate::app::Notice;
use crate::cache::{StatusCounts, TabQuery};
use crate::core::claims::{self, Already, Refused};

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
        counts: StatusCounts,
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
        result: Result<Result<Draft, Replied>, String>,
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
    Decided {
        id: String,
        approve: bool,
        result: Result<Sent, String>,
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
    Decide {
        id: String,
        /// The reply the supervisor read (its Message-ID): the one decided.
        message_id: String,
        verdict: Verdict,
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
            s.list_height = list_height(height);
            s.reader_height = height.saturating_sub(3).max(1);
            clamp_top(s);
            out.push(reload(s));
        }
        Msg::Watch(WatchEvent::Synced { changes }) => {
            if s.link != Link::Connected || s.syncing {
                s.dirty = true;
            }
            s.link = Link::Connected;
            s.syncing = false;
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
            s.link = Link::Retrying {
                since,
                retry_at: s.now + retry_secs as i64,
                reason: crate::sanitize::single_line(&reason),
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
                    s.error = Some(tf(
                        "notice.retrying",
                        &[
                            ("what", &crate::i18n::retrying_what(&what)),
                            ("reason", &crate::sanitize::single_line(&reason)),
                            ("secs", &wait.as_secs().max(1)),
                        ],
                    ))
                }
                Notice::Warning(w) => s.error = Some(crate::i18n::warning(&w)),
                Notice::Offline(a) => {
                    let (text, bad) = crate::i18n::offline_text(&a);
                    if bad {
                        s.error = Some(text);
                    } else {
                        s.info = Some(text);
                    }
                }
                Notice::Outbox(sent) => {
                    let (text, error) = reply_flow::sent_text(&sent);
                    // Every outbox pass finds a held reply again: it is told once.
                    let standing = matches!(
                        sent,
                        Sent::Waiting { .. } | Sent::Held { .. } | Sent::Uncertain { .. }
                    );
                    if standing && !s.told.insert(text.clone()) {
                        return out;
                    }
                    if error {
                        s.error = Some(text);
                    } else {
                        s.info = Some(text);
                    }
                }
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
    out
}

fn mouse(s: &mut State, m: Mouse, out: &mut Vec<Command>) {
    if s.overlay.is_some() {
        return;
    }
    let reading = s.screen == Screen::Reader;
    match m {
        Mouse::ScrollDown if reading => scroll(s, WHEEL as i32),
        Mouse::ScrollUp if reading => scroll(s, -WHEEL as i32),
        Mouse::ScrollDown if s.screen == Screen::List => {
            move_to(s, s.selected as isize + WHEEL, out)
        }
        Mouse::ScrollUp if s.screen == Screen::List => move_to(s, s.selected as isize - WHEEL, out),
        Mouse::Click { column, row: 0 } if s.screen == Screen::List => {
            // The tab bar: labels and one-column separators, as the list view draws them.
            let mut x = 0usize;
            for tab in Tab::ALL {
                let w = unicode_width::UnicodeWidthStr::width(tab.label(&s.counts).as_str());
                if usize::from(column) < x + w {
                    switch_tab(s, tab, out);
                    return;
                }
                x += w + 1;
            }
        }
        Mouse::Click { row, .. } if s.screen == Screen::List && row >= 2 => {
            let i = s.top + usize::from(row - 2);
            if i >= s.window.total || usize::from(row - 2) >= s.list_height {
                return;
            }
            if i == s.selected {
                open_selected(s, out); // a click on the selected row opens it
            } else {
                move_to(s, i as isize, out);
            }
        }
        _ => {}
    }
}

/// List rows on a screen `height` rows high: the tabs, the header and the status bar
/// take three.
pub fn list_height(height: u16) -> usize {
    usize::from(height.saturating_sub(3)).max(1)
}

/// A list request that keeps the selection where it is (on its conversation when known).
fn reload(s: &mut State) -> Command {
    s.list_req += 1;
    let anchor = match &s.selected_id {
        Some((mailbox, id)) => Anchor::Keep {
            mailbox: mailbox.clone(),
            id: id.clone(),
            row: s.selected.saturating_sub(s.top),
            fallback: s.selected,
        },
        None => Anchor::At {
            selected: s.selected,
            top: s.top,
        },
    };
    Command::LoadList {
        req: s.list_req,
        query: s.query(),
        anchor,
        height: s.list_height,
    }
}

/// A list request from the first row (a new tab, filter or customer).
fn reload_from_top(s: &mut State) -> Command {
    s.selected = 0;
    s.top = 0;
    s.selected_id = None;
    reload(s)
}

fn clamp_top(s: &mut State) {
    let h = s.list_height;
    if s.selected < s.top {
        s.top = s.selected;
    } else if s.selected >= s.top + h {
        s.top = s.selected + 1 - h;
    }
}

fn move_to(s: &mut State, target: isize, out: &mut Vec<Command>) {
    let total = s.window.total;
    if total == 0 {
        return;
    }
    s.selected = target.clamp(0, total as isize - 1) as usize;
    clamp_top(s);
    s.selected_id = s
        .window
        .get(s.selected)
        .map(|r| (r.conversation.mailbox.clone(), r.conversation.id.clone()));
    if !s.window.covers(s.top, s.top + s.list_height) {
        s.list_req += 1;
        out.push(Command::LoadList {
            req: s.list_req,
            query: s.query(),
            anchor: Anchor::At {
                selected: s.selected,
                top: s.top,
            },
            height: s.list_height,
        });
    }
}

fn scroll(s: &mut State, delta: i32) {
    if let Some(r) = &mut s.reader {
        r.scroll = (i32::from(r.scroll) + delta).clamp(0, i32::from(u16::MAX)) as u16;
    }
}

fn key(s: &mut State, k: KeyEvent, out: &mut Vec<Command>) {
    if k.kind == ratatui::crossterm::event::KeyEventKind::Release {
        return;
    }
    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
        quit(s, out);
        return;
    }
    if let Some(o) = s.overlay.take() {
        overlay_key(s, o, k, out);
        return;
    }
    let Some(action) = s.keymap.action(&k) else {
        return;
    };
    if s.screen == Screen::Approvals && approvals_key(s, action, out) {
        return;
    }
    let page = s.list_height as isize;
    let reading = s.screen == Screen::Reader;
    let rpage = i32::from(s.reader_height.saturating_sub(1).max(1));
    match action {
        Action::Down if reading => scroll(s, 1),
        Action::Up if reading => scroll(s, -1),
        Action::PageDown if reading => scroll(s, rpage),
        Action::PageUp if reading => scroll(s, -rpage),
        Action::Top if reading => scroll(s, -i32::from(u16::MAX)),
        Action::Bottom if reading => {
            if let Some(r) = &mut s.reader {
                r.scroll = u16::MAX / 2;
            }
        }
        Action::Down => move_to(s, s.selected as isize + 1, out),
        Action::Up => move_to(s, s.selected as isize - 1, out),
        Action::PageDown => move_to(s, s.selected as isize + page, out),
        Action::PageUp => move_to(s, s.selected as isize - page, out),
        Action::Top => move_to(s, 0, out),
        Action::Bottom => move_to(s, s.window.total as isize - 1, out),
        Action::Open => {
            if !reading {
                open_selected(s, out);
            }
        }
        Action::Back => {
            if reading {
                leave_reader(s, out);
            } else if !s.filter.is_empty() || s.customer.is_some() {
                s.filter.clear();
                s.customer = None;
                out.push(reload(s));
            } else {
                quit(s, out);
            }
        }
        Action::NextTab => switch_tab(s, s.tab.cycle(1), out),
        Action::PrevTab => switch_tab(s, s.tab.cycle(-1), out),
        Action::TabNew => switch_tab(s, Tab::New, out),
        Action::TabWip => switch_tab(s, Tab::Wip, out),
        Action::TabDone => switch_tab(s, Tab::Done, out),
        Action::TabMine => switch_tab(s, Tab::Mine, out),
        Action::TabNoise => switch_tab(s, Tab::Noise, out),
        Action::Claim => act(s, claims::Action::Claim, out),
        Action::TakeOver => act(s, claims::Action::TakeOver, out),
        Action::Release => act(s, claims::Action::Release, out),
        Action::Done => act(s, claims::Action::Done, out),
        Action::Reopen => act(s, claims::Action::Reopen, out),
        Action::Assign => {
            if s.target().is_none() {
                return;
            }
            let agents = s.picker_agents();
            if agents.is_empty() {
                s.error = Some(tr("tui.assign.no_agents").into());
            } else {
                s.overlay = Some(Overlay::Picker {
                    agents,
                    selected: 0,
                });
            }
        }
        Action::Note => {
            if let Some((_, id)) = s.target() {
                if s.external_editor {
                    out.push(Command::EditNote { id });
                } else {
                    s.overlay = Some(Overlay::NoteEditor {
                        id,
                        text: String::new(),
                    });
                }
            }
        }
        Action::Filter => {
            if !reading {
                s.overlay = Some(Overlay::Filter);
            }
        }
        Action::Customer => {
            if reading {
                return;
            }
            if s.customer.is_some() {
                s.customer = None;
            } else if let Some(r) = s.selected_row() {
                s.customer = Some(r.conversation.customer.clone());
            } else {
                return;
            }
            out.push(reload_from_top(s));
        }
        Action::Reply => start_reply(s, false, out),
        Action::ReplyAll => start_reply(s, true, out),
        Action::Undo => take_back(s, out),
        Action::Approvals => open_approvals(s, out),
        Action::Approve | Action::Reject => {
            s.info = Some(tf(
                "tui.approvals.where",
                &[("key", &s.keymap.key_for(Action::Approvals))],
            ));
        }
        Action::Command => {
            s.overlay = Some(Overlay::CommandLine {
                text: String::new(),
            });
        }
        Action::Mailbox => {
            if s.mailboxes.len() < 2 {
                s.info = Some(tr("tui.one_mailbox").into());
                return;
            }
            s.mailbox = match s.mailbox {
                None => Some(0),
                Some(i) if i + 1 < s.mailboxes.len() => Some(i + 1),
                Some(_) => None,
            };
            out.push(reload_from_top(s));
        }
        Action::Help => s.overlay = Some(Overlay::Help { scroll: 0 }),
        Action::Quit => quit(s, out),
    }
}

fn quit(s: &mut State, out: &mut Vec<Command>) {
    if let Some(r) = &s.reader {
        out.push(Command::Leave {
            mailbox: r.mailbox.clone(),
            id: r.id.clone(),
        });
    }
    s.quit = true;
}

fn switch_tab(s: &mut State, tab: Tab, out: &mut Vec<Command>) {
    if s.screen == Screen::Reader {
        leave_reader(s, out);
    }
    if s.tab != tab {
        s.tab = tab;
        s.window = Window {
            total: tab.count(&s.counts) as usize,
            ..Window::default()
        };
        out.push(reload_from_top(s));
    }
}

fn open_selected(s: &mut State, out: &mut Vec<Command>) {
    let Some(row) = s.selected_row() else {
        return;
    };
    let c = row.conversation.clone();
    s.reader = Some(Reader {
        mailbox: c.mailbox.clone(),
        id: c.id.clone(),
        subject: c.subject.clone(),
        view: None,
        scroll: 0,
    });
    s.screen = Screen::Reader;
    out.push(Command::Open {
        id: c.id.clone(),
        sync: true,
    });
}

fn leave_reader(s: &mut State, out: &mut Vec<Command>) {
    if let Some(r) = s.reader.take() {
        out.push(Command::Leave {
            mailbox: r.mailbox,
            id: r.id,
        });
    }
    s.screen = Screen::List;
    out.push(reload(s));
}

fn act(s: &mut State, action: claims::Action, out: &mut Vec<Command>) {
    let Some((_, id)) = s.target() else {
        return;
    };
    s.busy += 1;
    s.info = Some(format!(
        "{}: {}…",
        short(&id),
        tr(&format!("verb.{}", action.verb().replace(' ', "_")))
    ));
    out.push(Command::Act { id, action });
}

fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn overlay_key(s: &mut State, o: Overlay, k: KeyEvent, out: &mut Vec<Command>) {
    let typed = match k.code {
        KeyCode::Char(c)
            if !k
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    };
    match o {
        Overlay::Help { scroll } => {
            let next = match k.code {
                KeyCode::Char('j') | KeyCode::Down => Some(scroll.saturating_add(1)),
                KeyCode::Char('k') | KeyCode::Up => Some(scroll.saturating_sub(1)),
                KeyCode::PageDown => Some(scroll.saturating_add(10)),
                KeyCode::PageUp => Some(scroll.saturating_sub(10)),
                _ => None,
            };
            if let Some(scroll) = next {
                s.overlay = Some(Overlay::Help { scroll });
            }
        }
        Overlay::Filter => match (k.code, typed) {
            (_, Some(c)) => {
                s.filter.push(c);
                s.overlay = Some(Overlay::Filter);
                out.push(reload(s));
            }
            (KeyCode::Backspace, _) => {
                s.filter.pop();
                s.overlay = Some(Overlay::Filter);
                out.push(reload(s));
            }
            (KeyCode::Enter, _) => {}
            (KeyCode::Esc, _) => {
                s.filter.clear();
                out.push(reload(s));
            }
            _ => s.overlay = Some(Overlay::Filter),
        },
        Overlay::Picker { agents, selected } => match k.code {
            KeyCode::Char('j') | KeyCode::Down => {
                let selected = (selected + 1).min(agents.len().saturating_sub(1));
                s.overlay = Some(Overlay::Picker { agents, selected });
            }
            KeyCode::Char('k') | KeyCode::Up => {
                let selected = selected.saturating_sub(1);
                s.overlay = Some(Overlay::Picker { agents, selected });
            }
            KeyCode::Enter => {
                if let Some(agent) = agents.get(selected) {
                    act(s, claims::Action::Assign(agent.clone()), out);
                }
            }
            KeyCode::Esc | KeyCode::Char('q') => {}
            _ => s.overlay = Some(Overlay::Picker { agents, selected }),
        },
        Overlay::CommandLine { mut text } => match (k.code, typed) {
            (_, Some(c)) => {
                text.push(c);
                s.overlay = Some(Overlay::CommandLine { text });
            }
            (KeyCode::Backspace, _) => {
                if text.pop().is_some() {
                    s.overlay = Some(Overlay::CommandLine { text });
                }
            }
            (KeyCode::Enter, _) => command_line(s, &text, out),
            (KeyCode::Esc, _) => {}
            _ => s.overlay = Some(Overlay::CommandLine { text }),
        },
        Overlay::SendReply { warnings, later } => send_reply_key(s, warnings, later, k, typed, out),
        Overlay::RejectReason { mut text } => match (k.code, typed) {
            (_, Some(c)) => {
                text.push(c);
                s.overlay = Some(Overlay::RejectReason { text });
            }
            (KeyCode::Backspace, _) => {
                text.pop();
                s.overlay = Some(Overlay::RejectReason { text });
            }
            (KeyCode::Enter, _) if !text.trim().is_empty() => {
                decide(s, Verdict::Reject(text.trim().to_string()), out)
            }
            (KeyCode::Enter, _) => {
                s.error = Some(tr("tui.reject.needs_reason").into());
                s.overlay = Some(Overlay::RejectReason { text });
            }
            (KeyCode::Esc, _) => {}
            _ => s.overlay = Some(Overlay::RejectReason { text }),
        },
        Overlay::NoteEditor { id, mut text } => {
            let newline = k.code == KeyCode::Enter
                && k.modifiers
                    .intersects(KeyModifiers::ALT | KeyModifiers::SHIFT)
                || (k.code == KeyCode::Char('j') && k.modifiers.contains(KeyModifiers::CONTROL));
            match (k.code, typed) {
                _ if newline => {
                    text.push('\n');
                    s.overlay = Some(Overlay::NoteEditor { id, text });
                }
                (_, Some(c)) => {
                    text.push(c);
                    s.overlay = Some(Overlay::NoteEditor { id, text });
                }
                (KeyCode::Backspace, _) => {
                    text.pop();
                    s.overlay = Some(Overlay::NoteEditor { id, text });
                }
                (KeyCode::Enter, _) => send_note(s, id, text, out),
                (KeyCode::Esc, _) => s.info = Some(tr("tui.note.cancelled").into()),
                _ => s.overlay = Some(Overlay::NoteEditor { id, text }),
            }
        }
    }
}

fn send_note(s: &mut State, id: String, text: String, out: &mut Vec<Command>) {
    if text.trim().is_empty() {
        s.info = Some(tr("tui.note.empty").into());
        return;
    }
    s.busy += 1;
    s.info = Some(format!("{}: {}", short(&id), tr("tui.note.adding")));
    out.push(Command::Note { id, text });
}

/// The `:` command line: the CLI's verbs on the current conversation.
fn command_line(s: &mut State, text: &str, out: &mut Vec<Command>) {
    let text = text.trim();
    let (verb, rest) = text.split_once(' ').unwrap_or((text, ""));
    let rest = rest.trim();
    let action = match verb {
        "" => return,
        "q" | "quit" => return quit(s, out),
        "help" => {
            s.overlay = Some(Overlay::Help { scroll: 0 });
            return;
        }
        "claim" => claims::Action::Claim,
        "take-over" | "takeover" => claims::Action::TakeOver,
        "release" => claims::Action::Release,
        "done" => claims::Action::Done,
        "reopen" => claims::Action::Reopen,
        "assign" if !rest.is_empty() => claims::Action::Assign(rest.to_string()),
        "note" if !rest.is_empty() => {
            if let Some((_, id)) = s.target() {
                send_note(s, id, rest.to_string(), out);
            }
            return;
        }
        "save" if !rest.is_empty() => {
            if let Some((_, id)) = s.target() {
                s.busy += 1;
                out.push(Command::Save {
                    id,
                    dir: rest.to_string(),
                });
            }
            return;
        }
        _ => {
            s.error = Some(tf(
                "tui.command.unknown",
                &[("text", &format!("{:?}", crate::sanitize::single_line(text)))],
            ));
            return;
        }
    };
    act(s, action, out);
}

fn worker(s: &mut State, r: Reply, out: &mut Vec<Command>) {
    match r {
        Reply::List {
            req,
            window,
            selected,
            top,
            counts,
        } => {
            if req != s.list_req {
                return;
            }
            s.list_answered = req;
            if window != s.window || counts != s.counts || selected != s.selected || top != s.top {
                s.dirty = true;
            }
            s.window = window;
            s.counts = counts;
            s.selected = selected;
            s.top = top;
            s.selected_id = s
                .window
                .get(selected)
                .map(|r| (r.conversation.mailbox.clone(), r.conversation.id.clone()));
            let rows: Vec<_> = s
                .window
                .rows
                .iter()
                .map(|r| r.conversation.clone())
                .collect();
            rows.iter().for_each(|c| displaced(s, c));
        }
        Reply::ListFailed { req, error } => {
            if req == s.list_req {
                s.list_answered = req;
                s.dirty = true;
                s.error = Some(error);
            }
        }
        Reply::Opened { id, result } => {
            let Some(reader) = s.reader.as_mut().filter(|r| r.id == id) else {
                return;
            };
            s.dirty = true;
            match result {
                Ok(view) => {
                    reader.subject = view.conversation.subject.clone();
                    let conv = view.conversation.clone();
                    reader.view = Some(view);
                    displaced(s, &conv);
                }
                Err(e) => s.error = Some(e),
            }
        }
        Reply::Acted { id, result } => {
            s.dirty = true;
            s.busy = s.busy.saturating_sub(1);
            match result {
                Ok(Outcome::Won(w)) => {
                    s.error = None;
                    s.info = Some(format!(
                        "{}: {}",
                        short(&id),
                        crate::i18n::event_sentence(
                            &w.event,
                            &w.agent,
                            w.owner.as_deref(),
                            w.displaced.as_deref()
                        )
                    ));
                    refresh_after_change(s, &id, out);
                }
                Ok(Outcome::Already { what, .. }) => {
                    s.info = Some(format!("{}: {}", short(&id), already_text(&what)));
                }
                Ok(Outcome::Queued { .. }) => {
                    s.error = None;
                    s.info = Some(format!("{}: {}", short(&id), tr("tui.offline.queued")));
                }
                Ok(Outcome::Lost {
                    winner, idle_secs, ..
                }) => {
                    s.info = None;
                    s.error = Some(format!(
                        "{}: {}",
                        short(&id),
                        tf(
                            "tui.lost",
                            &[
                                ("winner", &winner),
                                ("since", &crate::i18n::held_since(idle_secs)),
                                ("key", &s.keymap.key_for(Action::TakeOver)),
                            ]
                        )
                    ));
                }
                Ok(Outcome::Refused { why, .. }) => {
                    s.info = None;
                    s.error = Some(format!("{}: {}", short(&id), refused_text(&why)));
                }
                Err(e) => {
                    s.info = None;
                    s.error = Some(e);
                }
            }
        }
        Reply::Noted { id, result } => {
            s.dirty = true;
            s.busy = s.busy.saturating_sub(1);
            match result {
                Ok(queued) => {
                    s.error = None;
                    let said = if queued {
                        tr("tui.offline.queued")
                    } else {
                        tr("tui.note.added")
                    };
                    s.info = Some(format!("{}: {said}", short(&id)));
                    refresh_after_change(s, &id, out);
                }
                Err(e) => {
                    s.info = None;
                    s.error = Some(e);
                }
            }
        }
        Reply::Agents(agents) => s.seen_agents = agents,
        Reply::Saved { id, dir, result } => {
            s.dirty = true;
            s.busy = s.busy.saturating_sub(1);
            match result {
                Ok(n) => {
                    s.error = None;
                    s.info = Some(format!(
                        "{}: {}",
                        short(&id),
                        tf("tui.saved", &[("count", &n), ("dir", &dir)])
                    ));
                }
                Err(e) => s.error = Some(e),
            }
        }
        other @ (Reply::ReplyPrepared { .. }
        | Reply::ReplyEdited { .. }
        | Reply::ReplySubmitted { .. }
        | Reply::TookBack { .. }
        | Reply::SentDue { .. }
        | Reply::Approvals(_)
        | Reply::Decided { .. }) => {
            s.dirty = true;
            reply_worker(s, other, out);
        }
        Reply::NoteEdited { id, text } => {
            s.dirty = true;
            match text {
                Ok(Some(text)) => send_note(s, id, text, out),
                Ok(None) => s.info = Some(tr("tui.note.empty").into()),
                Err(e) => s.error = Some(e),
            }
        }
    }
}

/// Tells the agent, once, that the conversation of the reply being written was given to
/// someone else (a take-over): the draft stays, and is kept if its send is refused.
fn displaced(s: &mut State, conv: &crate::cache::ConversationRow) {
    let Some(c) = s
        .compose
        .as_mut()
        .filter(|c| c.id == conv.id && !c.displaced)
    else {
        return;
    };
    let Some(holder) = conv.assignee.as_ref().filter(|a| **a != s.me) else {
        return;
    };
    c.displaced = true;
    s.dirty = true;
    s.error = Some(format!(
        "{}: {}",
        short(&conv.id),
        tf("tui.reply.displaced", &[("holder", holder)])
    ));
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

fn already_text(what: &Already) -> String {
    match what {
        Already::ClaimedByYou => tr("tui.already.yours").into(),
        Already::NotClaimed => tr("tui.already.not_claimed").into(),
        Already::AssignedTo(a) => tf("tui.already.assigned_to", &[("agent", a)]),
        Already::Done => tr("tui.already.done").into(),
        Already::NotDone(st) => tf(
            "tui.already.not_done",
            &[("status", &crate::i18n::status_name(*st))],
        ),
    }
}

fn refused_text(why: &Refused) -> String {
    crate::i18n::refused_reason(why)
}

mod reply_flow;
use reply_flow::{
    approvals_key, decide, open_approvals, reply_worker, send_reply_key, start_reply, take_back,
};

#[cfg(test)]
#[path = "update_tests.rs"]
mod tests;
