//! Everything the TUI shows, as plain data: `update` changes it, the views read it. No I/O
//! and no handles here, so that a test can build a state and look at it.

use std::sync::Arc;

use tanto_app::conversations::ConversationView;
use tanto_app::reply::Prepared;
use tanto_app::reply_outbox::Awaiting;
use tanto_core::status::Status;
use tanto_mail::cache::{StatusCounts, TabQuery, WindowRow};

use super::keymap::Keymap;

/// The list's tabs, in the order the keys 1-6 pick them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tab {
    New,
    Wip,
    Done,
    Mine,
    Noise,
    /// Waiting on the customer and snoozed, with the reason and the wake time.
    Waiting,
}

impl Tab {
    /// The tab's label in the tab bar (its width is what a click is matched against): its
    /// count, then how many are overdue when some are.
    pub fn label(self, c: &StatusCounts) -> String {
        let (count, overdue) = self.label_parts(c);
        format!("{count}{}", overdue.unwrap_or_default())
    }

    /// The label's count part and its overdue part (drawn in its own colour), if any.
    pub fn label_parts(self, c: &StatusCounts) -> (String, Option<String>) {
        let count = format!(" {} {} ", self.title(), self.count(c));
        let overdue = match self {
            Tab::New => c.overdue.new,
            Tab::Wip => c.overdue.wip,
            Tab::Mine => c.overdue.mine,
            Tab::Done | Tab::Noise | Tab::Waiting => 0,
        };
        let late = (overdue > 0)
            .then(|| format!("{} ", crate::i18n::tf("tab.overdue", &[("n", &overdue)])));
        (count, late)
    }

    pub const ALL: [Tab; 6] = [
        Tab::New,
        Tab::Wip,
        Tab::Done,
        Tab::Mine,
        Tab::Noise,
        Tab::Waiting,
    ];

    pub fn title(self) -> &'static str {
        crate::i18n::t(match self {
            Tab::New => "tab.new",
            Tab::Wip => "tab.wip",
            Tab::Done => "tab.done",
            Tab::Mine => "tab.mine",
            Tab::Noise => "tab.noise",
            Tab::Waiting => "tab.waiting",
        })
    }

    pub fn count(self, c: &StatusCounts) -> u64 {
        match self {
            Tab::New => c.new,
            Tab::Wip => c.wip,
            Tab::Done => c.done,
            Tab::Mine => c.mine,
            Tab::Noise => c.noise,
            Tab::Waiting => c.waiting,
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }

    /// The tab `step` places further, wrapping.
    pub fn cycle(self, step: isize) -> Tab {
        let n = Tab::ALL.len() as isize;
        let i = (self.index() as isize + step).rem_euclid(n);
        Tab::ALL[i as usize]
    }
}

/// How the link to the server is doing, as the status bar says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Started; the first sync has not answered yet.
    Connecting,
    Connected,
    /// Failing since `since`; the next try is at `retry_at` (seconds since the epoch).
    Retrying {
        since: i64,
        retry_at: i64,
        reason: String,
    },
}

/// The screen under any overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    List,
    Reader,
    /// Replies waiting for a supervisor's approval.
    Approvals,
}

/// A prepared reply (the claim won, the draft built): compared by identity, so that commands
/// carrying it stay comparable in tests.
#[derive(Debug, Clone)]
pub struct Draft(pub Arc<Prepared>);

impl PartialEq for Draft {
    fn eq(&self, other: &Draft) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
impl Eq for Draft {}

/// A reply being written: kept until it is sent, so that `r` again goes on with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compose {
    pub mailbox: String,
    pub id: String,
    pub prepared: Draft,
    /// The draft as last saved in the editor.
    pub text: String,
    /// The agent was told that someone else holds the conversation now.
    pub displaced: bool,
}

/// A reply queued with Send-At = now + the undo window: until `due`, the take-back key
/// removes it from the outbox; at `due` the TUI sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Undo {
    pub mailbox: String,
    pub id: String,
    pub message_id: String,
    pub due: i64,
    /// A take-back or the send is under way: neither is started twice.
    pub settling: bool,
}

/// The Approvals view's rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approvals {
    pub rows: Vec<Awaiting>,
    pub selected: usize,
    pub loading: bool,
}

/// A conversation opened in the reader.
#[derive(Debug, Clone)]
pub struct Reader {
    pub mailbox: String,
    pub id: String,
    pub subject: String,
    /// None while loading.
    pub view: Option<Box<ConversationView>>,
    pub scroll: u16,
}

/// What sits over the screen and takes the keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// Typing the filter (the list narrows as you type).
    Filter,
    /// The assign picker.
    Picker {
        agents: Vec<String>,
        selected: usize,
    },
    /// The `:` command line. `recall` is the place in the command history Up/Down reached.
    CommandLine {
        text: String,
        recall: Option<usize>,
    },
    /// The inline note editor, for the conversation `subject` names.
    NoteEditor {
        id: String,
        text: String,
        subject: String,
    },
    /// Typing a search in the reader's text.
    Find {
        text: String,
    },
    /// The status bar's history (`:messages`), newest last.
    Messages {
        scroll: u16,
    },
    /// A yes/no question; `back` is the overlay to return to on "no".
    Confirm {
        question: Question,
        back: Option<Box<Overlay>>,
    },
    /// The reply is written: send, send later, edit again, or put it aside. `warnings` are
    /// what stopped a send (mail arrived meanwhile, a missing attachment, a team word):
    /// sending from here sends anyway. `later` is the "send at" prompt while typed.
    SendReply {
        warnings: Vec<String>,
        later: Option<String>,
    },
    /// The reason for rejecting the selected reply in the Approvals view.
    RejectReason {
        text: String,
    },
    /// What the conversation waits on from the customer (`w`).
    WaitReason {
        text: String,
    },
    /// When a snoozed conversation comes back (`s`): "+2h", "tomorrow 9:00", "monday".
    SnoozeUntil {
        text: String,
    },
    /// The name of a tag to put on (`on`) or take off the conversation `id`.
    TagName {
        id: String,
        text: String,
        on: bool,
    },
}

/// What a confirmation asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Question {
    /// Quit, losing the note being written.
    QuitLosingNote,
    /// Quit with a reply written and not sent.
    QuitWithReply,
    /// Quit while a sent reply can still be taken back (it goes out anyway).
    QuitInUndo,
    /// Merge the marked conversation `from` into `into` (both as the list showed them).
    Merge { from: Marked, into: Marked },
    /// Split mail `number` (as `tanto show` numbers it; `message` is what names it to the
    /// application layer: its Message-ID, else that number) off conversation `id`.
    Split {
        id: String,
        message: String,
        number: usize,
        from: String,
        subject: String,
    },
}

impl Question {
    /// True for the questions that regroup customer mail (not a quit).
    pub fn regroups(&self) -> bool {
        matches!(self, Question::Merge { .. } | Question::Split { .. })
    }
}

/// A conversation as a merge names it: its id and subject, as the list showed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub mailbox: String,
    pub id: String,
    pub subject: String,
}

/// The conversation list: which tab, the window of rows on screen, the selection and what
/// narrows it (a text filter, one customer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListView {
    pub tab: Tab,
    pub counts: StatusCounts,
    pub window: Window,
    /// The selected row (absolute index in the tab) and the first row on screen.
    pub selected: usize,
    pub top: usize,
    /// The conversation the selection follows across reloads.
    pub selected_id: Option<(String, String)>,
    /// Rows of the list on screen (from the terminal size).
    pub height: usize,
    pub filter: String,
    /// Only this customer's conversations (H).
    pub customer: Option<String>,
    /// The conversation marked to merge into the next one the merge key is pressed on.
    pub mark: Option<Marked>,
    /// The id of the latest list request; older answers are dropped.
    pub req: u64,
    /// The id of the latest list request answered (equal to `req`: the list on screen is
    /// the one asked for).
    pub answered: u64,
}

impl Default for ListView {
    fn default() -> ListView {
        ListView {
            tab: Tab::New,
            counts: StatusCounts::default(),
            window: Window::default(),
            selected: 0,
            top: 0,
            selected_id: None,
            height: 20,
            filter: String::new(),
            customer: None,
            mark: None,
            req: 0,
            answered: 0,
        }
    }
}

/// The status bar: what it shows now (error, news, work under way, sync progress) and its
/// memory, the last lines it showed in full (`:messages`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusBar {
    /// The last error, one line; cleared by the next success.
    pub error: Option<String>,
    /// The last piece of news (an action done), one line.
    pub info: Option<String>,
    /// Actions sent and not answered yet.
    pub busy: usize,
    pub syncing: bool,
    /// How far a long (first) sync is, while it runs.
    pub progress: Option<tanto_app::sync::SyncProgress>,
    pub history: std::collections::VecDeque<String>,
    /// The error and the news last recorded (a line is recorded once, when it appears).
    pub seen: (Option<String>, Option<String>),
    /// The line on show that belongs to one reply (held, rejected, uncertain, being sent by
    /// a teammate): it goes when an outbox pass no longer finds that reply standing.
    pub reply: Option<ReplyNotice>,
    /// The line a failed connection put there: it goes when the link is back.
    pub link: Option<String>,
    /// "No match here; matches in …": it goes when the tab shows matches again.
    pub elsewhere: Option<String>,
}

/// A status line about one queued reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyNotice {
    pub conversation: String,
    pub text: String,
    /// Being sent by this agent's tanto: once gone from the outbox, it was sent.
    pub by: Option<String>,
    /// An outbox pass since the last sync told of it again (it still stands).
    pub seen: bool,
}

/// Lines the history keeps.
pub const HISTORY: usize = 100;

/// What the input layers remember between keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    /// Commands run on the `:` line, oldest first.
    pub commands: Vec<String>,
    /// The reader's last search (`n`/`N` go on with it).
    pub find: Option<String>,
    /// A tab was picked and its rows are on the way: keys typed meanwhile wait for them
    /// (they act on the new tab's rows, not on an empty window).
    pub tab_pending: bool,
    pub queued: Vec<ratatui::crossterm::event::KeyEvent>,
    /// Clear the terminal before the next frame (Ctrl-L).
    pub redraw: bool,
    /// The reply being written is also kept on disk as it is (taken back from the
    /// outbox): quitting loses nothing, so it does not ask.
    pub reply_on_disk: bool,
}

/// The loaded part of the current tab: `rows` are rows `offset..offset + rows.len()`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    pub offset: usize,
    pub rows: Vec<WindowRow>,
    /// Rows the tab holds in all.
    pub total: usize,
}

impl Window {
    /// The row at absolute index `i`, when loaded.
    pub fn get(&self, i: usize) -> Option<&WindowRow> {
        i.checked_sub(self.offset).and_then(|j| self.rows.get(j))
    }

    /// True when rows `from..to` (clamped to the total) are all loaded.
    pub fn covers(&self, from: usize, to: usize) -> bool {
        let to = to.min(self.total);
        from >= self.offset && to <= self.offset + self.rows.len()
    }
}

/// The TUI's state.
#[derive(Debug, Clone)]
pub struct State {
    pub me: String,
    /// The mailboxes of the config; `mailbox` picks one (None: all of them).
    pub mailboxes: Vec<String>,
    pub mailbox: Option<usize>,
    pub keymap: Keymap,
    /// The conversation list: its tab, window, selection, search.
    pub list: ListView,
    pub reader_height: u16,
    pub width: u16,
    pub screen: Screen,
    pub reader: Option<Reader>,
    pub overlay: Option<Overlay>,
    pub link: Link,
    /// Agents for the assign picker: the team list, then those seen in the log.
    pub team_agents: Vec<String>,
    pub seen_agents: Vec<String>,
    /// The team's reply-time target (counted in its business hours, when it has them).
    pub reply_target: Option<tanto_core::hours::ReplyTarget>,
    /// Seconds since the epoch, from the last tick (views read time only from here).
    pub now: i64,
    pub color: bool,
    /// The local time zone's offset from UTC, in seconds (fixed at start: views stay pure).
    pub utc_offset: i32,
    /// The team's zone (`[team.hours] zone`), which typed times ("monday", "9:00") are in;
    /// `None`: the local offset.
    pub team_zone: Option<tanto_core::later::Zone>,
    /// Notes are written in $VISUAL/$EDITOR (else in the inline editor).
    pub external_editor: bool,
    /// The reply being written, if any.
    pub compose: Option<Compose>,
    /// A sent reply inside its undo window.
    pub undo: Option<Undo>,
    /// The team's undo window in seconds (0: replies go out at once).
    pub undo_seconds: i64,
    /// This agent is off duty for automatic assignment (the log's latest record, as last read).
    pub away: bool,
    pub approvals: Approvals,
    /// What the outbox passes told already (a held reply is found again by every pass).
    pub told: std::collections::HashSet<String>,
    pub dirty: bool,
    pub quit: bool,
    pub status: StatusBar,
    pub input: Input,
}

impl State {
    /// The zone a typed time ("tomorrow 9:00", "monday") is read in.
    pub fn zone(&self) -> tanto_core::later::Zone {
        self.team_zone
            .unwrap_or(tanto_core::later::Zone::Offset(self.utc_offset))
    }

    pub fn new(me: &str, mailboxes: Vec<String>, keymap: Keymap, now: i64) -> State {
        State {
            me: me.to_string(),
            mailboxes,
            mailbox: None,
            keymap,
            list: ListView::default(),
            reader_height: 20,
            width: 80,
            screen: Screen::List,
            reader: None,
            overlay: None,
            link: Link::Connecting,
            team_agents: Vec::new(),
            seen_agents: Vec::new(),
            reply_target: None,
            now,
            color: true,
            utc_offset: 0,
            team_zone: None,
            external_editor: false,
            compose: None,
            undo: None,
            undo_seconds: 10,
            away: false,
            approvals: Approvals::default(),
            told: Default::default(),
            dirty: true,
            quit: false,
            status: StatusBar::default(),
            input: Input::default(),
        }
    }

    /// What the current tab, mailbox, customer and filter ask of the cache.
    pub fn query(&self) -> TabQuery {
        let (status, assignee) = match self.list.tab {
            Tab::New => (Some(Status::New), None),
            Tab::Wip => (Some(Status::Wip), None),
            Tab::Done => (Some(Status::Done), None),
            Tab::Mine => (Some(Status::Wip), Some(self.me.clone())),
            Tab::Noise => (Some(Status::Noise), None),
            Tab::Waiting => (Some(Status::Waiting), None),
        };
        let (tag, text) = split_filter(&self.list.filter);
        TabQuery {
            status,
            assignee,
            mailbox: self.mailbox_name().map(str::to_string),
            customer: self.list.customer.clone(),
            text: Some(text).filter(|t| !t.is_empty()),
            mentioned: (self.list.tab == Tab::Mine).then(|| self.me.clone()),
            tag,
        }
    }

    pub fn mailbox_name(&self) -> Option<&str> {
        self.mailbox
            .and_then(|i| self.mailboxes.get(i))
            .map(String::as_str)
    }

    /// The selected row, when loaded.
    pub fn selected_row(&self) -> Option<&WindowRow> {
        self.list.window.get(self.list.selected)
    }

    /// The conversation an action applies to: the one open in the reader, else the
    /// selected one. (mailbox, id, subject)
    pub fn target(&self) -> Option<(String, String)> {
        match (&self.screen, &self.reader) {
            (Screen::Reader, Some(r)) => Some((r.mailbox.clone(), r.id.clone())),
            _ => self
                .selected_row()
                .map(|r| (r.conversation.mailbox.clone(), r.conversation.id.clone())),
        }
    }

    /// The status of the conversation acted on, as the list last showed it (in the reader:
    /// its row in the list, when loaded).
    pub fn target_status(&self) -> Option<Status> {
        let (_, id) = self.target()?;
        let w = &self.list.window;
        w.rows
            .iter()
            .find(|r| r.conversation.id == id)
            .map(|r| r.conversation.status)
    }

    /// Several mailboxes: the list shows which one a conversation is in.
    pub fn multi_mailbox(&self) -> bool {
        self.mailboxes.len() > 1 && self.mailbox.is_none()
    }

    /// The agents the picker offers, the team's first, without duplicates.
    pub fn picker_agents(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for a in self.team_agents.iter().chain(self.seen_agents.iter()) {
            if !out.contains(a) {
                out.push(a.clone());
            }
        }
        out
    }
}

/// The filter line as the list narrows by it: a `tag:NAME` word picks the conversations
/// with that tag (the last such word wins; the name in lower case, as tags are), the other
/// words are the text. A bare `tag:` (still being typed) narrows nothing.
pub fn split_filter(filter: &str) -> (Option<String>, String) {
    if !filter.to_ascii_lowercase().contains("tag:") {
        // The text as typed: its inner spaces are part of what is searched.
        return (None, filter.trim().to_string());
    }
    let mut tag = None;
    let mut words = Vec::new();
    for w in filter.split_whitespace() {
        match w.get(..4) {
            Some(p) if p.eq_ignore_ascii_case("tag:") => {
                let name = w[4..].to_lowercase();
                if !name.is_empty() {
                    tag = Some(name);
                }
            }
            _ => words.push(w),
        }
    }
    (tag, words.join(" "))
}
