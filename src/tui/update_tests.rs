//! Key sequences and worker answers to state.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::tui::keymap::Keymap;
use tanto_core::status::Status;
use tanto_mail::cache::{ConversationRow, WindowRow};

pub(crate) fn row(id: &str, subject: &str, status: Status) -> WindowRow {
    WindowRow {
        conversation: ConversationRow {
            mailbox: "support".into(),
            id: id.into(),
            subject: subject.into(),
            customer: format!("{id}@example.com"),
            customer_name: None,
            status,
            assignee: None,
            previous_assignee: None,
            messages: 1,
            last_received: 1_700_000_000,
        },
        present: None,
        unread: false,
        mentioned: false,
        waiting: None,
        tags: Vec::new(),
    }
}

pub(crate) fn state_with(rows: &[&str]) -> State {
    let mut s = State::new(
        "alice",
        vec!["support".into()],
        Keymap::new(&[]),
        1_700_000_000,
    );
    s.list.window = Window {
        offset: 0,
        total: rows.len(),
        rows: rows
            .iter()
            .map(|id| row(id, "Hello", Status::New))
            .collect(),
    };
    s.list.counts.new = rows.len() as u64;
    s.list.selected_id = rows
        .first()
        .map(|id| ("support".to_string(), id.to_string()));
    s
}

pub(crate) fn press(s: &mut State, keys: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for c in keys.chars() {
        out.extend(update(
            s,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        ));
    }
    out
}

pub(crate) fn code(s: &mut State, code: KeyCode) -> Vec<Command> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

/// The worker's answer to the latest list request: the same rows (a tab's rows as the test
/// set them).
pub(crate) fn answer_list(s: &mut State) -> Vec<Command> {
    let reply = Reply::List {
        req: s.list.req,
        window: s.list.window.clone(),
        selected: s.list.selected,
        top: s.list.top,
        counts: s.list.counts,
        matches: false,
    };
    update(s, Msg::Worker(reply))
}

pub(crate) fn last_list(cmds: &[Command]) -> (u64, TabQuery, Anchor) {
    cmds.iter()
        .rev()
        .find_map(|c| match c {
            Command::LoadList {
                req, query, anchor, ..
            } => Some((*req, query.clone(), anchor.clone())),
            _ => None,
        })
        .expect("a list request")
}

#[test]
fn tab_keys_switch_tabs_and_ask_for_that_tab_from_the_top() {
    let mut s = state_with(&["a1", "b2", "c3"]);
    press(&mut s, "j");
    assert_eq!(s.list.selected, 1);
    let cmds = press(&mut s, "2");
    assert_eq!(s.list.tab, Tab::Wip);
    assert_eq!((s.list.selected, s.list.top), (0, 0));
    let (_, q, anchor) = last_list(&cmds);
    assert_eq!(q.status, Some(Status::Wip));
    assert_eq!(q.assignee, None);
    assert_eq!(
        anchor,
        Anchor::At {
            selected: 0,
            top: 0
        }
    );
    answer_list(&mut s);
    code(&mut s, KeyCode::Tab);
    assert_eq!(s.list.tab, Tab::Done);
    answer_list(&mut s);
    let cmds = press(&mut s, "4");
    assert_eq!(s.list.tab, Tab::Mine);
    let (_, q, _) = last_list(&cmds);
    assert_eq!(q.assignee.as_deref(), Some("alice"));
    answer_list(&mut s);
    code(&mut s, KeyCode::BackTab);
    assert_eq!(s.list.tab, Tab::Done);
}

#[test]
fn typing_a_filter_narrows_the_list_as_you_type_and_esc_clears_it() {
    let mut s = state_with(&["a1", "b2"]);
    let cmds = press(&mut s, "/inv");
    assert_eq!(s.list.filter, "inv");
    assert_eq!(s.overlay, Some(Overlay::Filter));
    // One request per character, the last one with the whole text.
    let lists = cmds
        .iter()
        .filter(|c| matches!(c, Command::LoadList { .. }))
        .count();
    assert_eq!(lists, 3);
    let (req, q, _) = last_list(&cmds);
    assert_eq!(q.text.as_deref(), Some("inv"));
    assert_eq!(req, s.list.req);
    code(&mut s, KeyCode::Backspace);
    assert_eq!(s.list.filter, "in");
    code(&mut s, KeyCode::Enter);
    assert_eq!(s.overlay, None);
    assert_eq!(s.list.filter, "in");
    // In the list, Esc clears the filter, then only says which key quits; q quits.
    code(&mut s, KeyCode::Esc);
    assert!(s.list.filter.is_empty());
    code(&mut s, KeyCode::Esc);
    assert!(!s.quit);
    assert!(
        s.status.info.as_deref().is_some_and(|i| i.contains('q')),
        "{:?}",
        s.status.info
    );
    press(&mut s, "q");
    assert!(s.quit);
}

#[test]
fn the_selection_stays_on_its_conversation_when_the_list_reorders() {
    let mut s = state_with(&["a1", "b2", "c3"]);
    press(&mut s, "j");
    assert_eq!(s.list.selected_id, Some(("support".into(), "b2".into())));
    // A teammate's change: the watcher synced.
    let cmds = update(&mut s, Msg::Watch(WatchEvent::Synced { changes: 1 }));
    let (req, _, anchor) = last_list(&cmds);
    assert_eq!(
        anchor,
        Anchor::Keep {
            mailbox: "support".into(),
            id: "b2".into(),
            row: 1,
            fallback: 1
        }
    );
    let counts = s.list.counts;
    // b2 is now last: the worker found it at index 2.
    let reordered = Window {
        offset: 0,
        total: 3,
        rows: ["c3", "a1", "b2"]
            .iter()
            .map(|id| row(id, "Hello", Status::New))
            .collect(),
    };
    update(
        &mut s,
        Msg::Worker(Reply::List {
            req,
            window: reordered,
            selected: 2,
            top: 0,
            counts,
            matches: false,
        }),
    );
    assert_eq!(s.list.selected, 2);
    assert_eq!(s.list.selected_id, Some(("support".into(), "b2".into())));
    // An answer to an older request is dropped.
    update(
        &mut s,
        Msg::Worker(Reply::List {
            req: req - 1,
            window: Window::default(),
            selected: 0,
            top: 0,
            counts,
            matches: false,
        }),
    );
    assert_eq!(s.list.selected, 2);
    assert_eq!(s.list.window.rows.len(), 3);
}

#[test]
fn a_refused_claim_changes_nothing_and_says_why() {
    let mut s = state_with(&["a1", "b2"]);
    let cmds = press(&mut s, "c");
    assert_eq!(
        cmds,
        vec![Command::Act {
            id: "a1".into(),
            action: claims::Action::Claim
        }]
    );
    let (window, selected, tab, counts) = (
        s.list.window.clone(),
        s.list.selected,
        s.list.tab,
        s.list.counts,
    );
    let cmds = update(
        &mut s,
        Msg::Worker(Reply::Acted {
            id: "a1".into(),
            result: Ok(Outcome::Lost {
                conversation: "a1".into(),
                winner: "bob".into(),
                idle_secs: Some(300),
            }),
        }),
    );
    assert!(cmds.is_empty(), "nothing reloaded or written: {cmds:?}");
    assert_eq!(
        (
            s.list.window.clone(),
            s.list.selected,
            s.list.tab,
            s.list.counts
        ),
        (window, selected, tab, counts)
    );
    let e = s.status.error.clone().expect("an error");
    assert!(e.contains("bob holds it") && e.contains("5m ago"), "{e}");
    assert_eq!(s.status.busy, 0);
    // A supervisor-only take-over says so too.
    update(
        &mut s,
        Msg::Worker(Reply::Acted {
            id: "a1".into(),
            result: Ok(Outcome::Refused {
                conversation: "a1".into(),
                why: Refused::NeedsSupervisor {
                    holder: "bob".into(),
                    idle_secs: None,
                    stale_hours: 24,
                },
            }),
        }),
    );
    assert!(s
        .status
        .error
        .as_deref()
        .is_some_and(|e| e.contains("only a supervisor")));
}

#[test]
fn moving_past_the_loaded_rows_asks_for_the_next_window() {
    let mut s = state_with(&["a1", "b2", "c3"]);
    s.list.height = 2;
    s.list.window.total = 100;
    let cmds = press(&mut s, "jj");
    assert_eq!(s.list.selected, 2);
    assert_eq!(s.list.top, 1);
    assert!(cmds.is_empty(), "rows 1..3 are loaded");
    let cmds = press(&mut s, "j");
    let (_, _, anchor) = last_list(&cmds);
    assert_eq!(
        anchor,
        Anchor::At {
            selected: 3,
            top: 2
        }
    );
    press(&mut s, "G");
    assert_eq!(s.list.selected, 99);
}

#[test]
fn opening_reading_and_leaving_a_conversation_tracks_presence() {
    let mut s = state_with(&["a1"]);
    let cmds = code(&mut s, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![Command::Open {
            id: "a1".into(),
            sync: true
        }]
    );
    assert_eq!(s.screen, Screen::Reader);
    // Actions apply to the open conversation.
    let cmds = press(&mut s, "d");
    assert!(matches!(&cmds[0], Command::Act { id, action: claims::Action::Done } if id == "a1"));
    let cmds = press(&mut s, "q");
    assert!(cmds.contains(&Command::Leave {
        mailbox: "support".into(),
        id: "a1".into()
    }));
    assert_eq!(s.screen, Screen::List);
    assert!(!s.quit);
}

#[test]
fn the_inline_note_editor_sends_the_note() {
    let mut s = state_with(&["a1"]);
    press(&mut s, "e");
    press(&mut s, "hi");
    let cmds = code(&mut s, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![Command::Note {
            id: "a1".into(),
            text: "hi".into()
        }]
    );
    assert_eq!(s.overlay, None);
}

#[test]
fn the_command_line_mirrors_the_cli_verbs() {
    let mut s = state_with(&["a1"]);
    press(&mut s, ":assign bob");
    let cmds = code(&mut s, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![Command::Act {
            id: "a1".into(),
            action: claims::Action::Assign("bob".into())
        }]
    );
    press(&mut s, ":save /tmp/out");
    let cmds = code(&mut s, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![Command::Save {
            id: "a1".into(),
            dir: "/tmp/out".into()
        }]
    );
    update(
        &mut s,
        Msg::Worker(Reply::Saved {
            id: "a1".into(),
            dir: "/tmp/out".into(),
            result: Ok(2),
        }),
    );
    assert!(s
        .status
        .info
        .as_deref()
        .is_some_and(|i| i.contains("2 attachment")));
    press(&mut s, ":fly");
    code(&mut s, KeyCode::Enter);
    assert!(s
        .status
        .error
        .as_deref()
        .is_some_and(|e| e.contains("unknown command")));
}

#[test]
fn trouble_then_a_sync_shows_retrying_then_connected() {
    let mut s = state_with(&["a1"]);
    update(
        &mut s,
        Msg::Watch(WatchEvent::Trouble {
            reason: anyhow::anyhow!("connection refused").into(),
            retry_secs: 4,
        }),
    );
    assert!(matches!(s.link, Link::Retrying { retry_at, .. } if retry_at == s.now + 4));
    update(&mut s, Msg::Watch(WatchEvent::Synced { changes: 0 }));
    assert_eq!(s.link, Link::Connected);
}

#[test]
fn a_refused_reply_says_who_holds_it_and_changes_nothing() {
    let mut s = state_with(&["a1", "b2"]);
    let cmds = press(&mut s, "r");
    assert_eq!(
        cmds,
        vec![Command::PrepareReply {
            id: "a1".into(),
            all: false
        }]
    );
    assert_eq!(
        press(&mut state_with(&["a1"]), "R"),
        vec![Command::PrepareReply {
            id: "a1".into(),
            all: true
        }]
    );
    let (window, selected, tab) = (s.list.window.clone(), s.list.selected, s.list.tab);
    let cmds = update(
        &mut s,
        Msg::Worker(Reply::ReplyPrepared {
            id: "a1".into(),
            result: Ok(Err(tanto_app::reply::HeldBy {
                conversation: "a1".into(),
                holder: "bob".into(),
            })),
        }),
    );
    assert!(cmds.is_empty(), "no editor, nothing written: {cmds:?}");
    assert_eq!(
        (s.list.window.clone(), s.list.selected, s.list.tab),
        (window, selected, tab)
    );
    assert!(s.compose.is_none() && s.overlay.is_none() && s.undo.is_none());
    let e = s.status.error.clone().expect("an error");
    assert!(
        e.contains("bob holds it") && e.contains("only they can reply"),
        "{e}"
    );
    assert_eq!(s.status.busy, 0);
}

const T0: i64 = 1_700_000_000;

fn in_undo_window(s: &mut State) {
    s.undo = Some(crate::tui::state::Undo {
        mailbox: "support".into(),
        id: "a1".into(),
        message_id: "tanto.a1.x@example.com".into(),
        due: s.now + 10,
        settling: false,
    });
}

#[test]
fn undo_within_the_window_takes_the_reply_back() {
    let mut s = state_with(&["a1"]);
    in_undo_window(&mut s);
    update(&mut s, Msg::Tick { now: T0 + 3 });
    let cmds = press(&mut s, "z");
    assert_eq!(
        cmds,
        vec![Command::TakeBack {
            id: "a1".into(),
            mailbox: "support".into(),
            message_id: "tanto.a1.x@example.com".into(),
        }]
    );
    // Taken back: the countdown ends and never turns into a send.
    let cmds = update(&mut s, Msg::Tick { now: T0 + 20 });
    assert!(
        !cmds.iter().any(|c| matches!(c, Command::SendDue { .. })),
        "{cmds:?}"
    );
    // A second press does not take it back twice.
    assert!(press(&mut s, "z").is_empty());
    update(
        &mut s,
        Msg::Worker(Reply::TookBack {
            id: "a1".into(),
            result: Ok(TakeBack::Removed),
        }),
    );
    assert!(s.undo.is_none());
    assert!(s
        .status
        .info
        .as_deref()
        .is_some_and(|i| i.contains("taken back")));
}

#[test]
fn the_end_of_the_undo_window_sends_once_and_undo_is_then_too_late() {
    let mut s = state_with(&["a1"]);
    in_undo_window(&mut s);
    let cmds = update(&mut s, Msg::Tick { now: T0 + 10 });
    assert_eq!(
        cmds.iter()
            .filter(|c| matches!(c, Command::SendDue { .. }))
            .count(),
        1
    );
    let cmds = update(&mut s, Msg::Tick { now: T0 + 11 });
    assert!(!cmds.iter().any(|c| matches!(c, Command::SendDue { .. })));
    assert!(press(&mut s, "z").is_empty());
    assert!(s
        .status
        .info
        .as_deref()
        .is_some_and(|i| i.contains("too late")));
}

#[test]
fn approvals_view_approves_and_rejects_with_a_reason() {
    let mut s = state_with(&["a1"]);
    assert_eq!(press(&mut s, "A"), vec![Command::LoadApprovals]);
    assert_eq!(s.screen, Screen::Approvals);
    // Two versions of a reply in one conversation: the one read is the one decided.
    let awaiting = |c: &str, m: &str| Awaiting {
        mailbox: "support".into(),
        conversation: c.into(),
        message_id: m.into(),
        author: "newbie".into(),
        subject: "Re: Hello".into(),
        rcpt: vec!["x@example.com".into()],
        text: "Dear customer".into(),
    };
    update(
        &mut s,
        Msg::Worker(Reply::Approvals(Ok(vec![
            awaiting("c1", "m1@x"),
            awaiting("c1", "m2@x"),
        ]))),
    );
    press(&mut s, "j");
    assert_eq!(
        press(&mut s, "y"),
        vec![Command::Decide {
            id: "c1".into(),
            message_id: "m2@x".into(),
            verdict: Verdict::Approve
        }]
    );
    press(&mut s, "x");
    let cmds = press(&mut s, "tone");
    assert!(cmds.is_empty());
    assert_eq!(
        code(&mut s, KeyCode::Enter),
        vec![Command::Decide {
            id: "c1".into(),
            message_id: "m2@x".into(),
            verdict: Verdict::Reject("tone".into())
        }]
    );
    press(&mut s, "q");
    assert_eq!(s.screen, Screen::List);
}

#[test]
fn m_switches_between_all_mailboxes_and_each_one() {
    let mut s = state_with(&["a1"]);
    s.mailboxes = vec!["support".into(), "sales".into()];
    assert!(s.multi_mailbox());
    let (_, q, _) = last_list(&press(&mut s, "m"));
    assert_eq!(q.mailbox.as_deref(), Some("support"));
    assert!(!s.multi_mailbox());
    let (_, q, _) = last_list(&press(&mut s, "m"));
    assert_eq!(q.mailbox.as_deref(), Some("sales"));
    let (_, q, _) = last_list(&press(&mut s, "m"));
    assert_eq!(q.mailbox, None);
    assert!(s.multi_mailbox());
}

#[test]
fn the_mouse_scrolls_picks_a_row_and_a_tab() {
    let mut s = state_with(&["a1", "b2", "c3", "d4", "e5"]);
    update(&mut s, Msg::Mouse(Mouse::ScrollDown));
    assert_eq!(s.list.selected, 3);
    update(&mut s, Msg::Mouse(Mouse::ScrollUp));
    assert_eq!(s.list.selected, 0);
    // Rows start under the tab bar and the header.
    update(&mut s, Msg::Mouse(Mouse::Click { column: 10, row: 3 }));
    assert_eq!(s.list.selected, 1);
    let cmds = update(&mut s, Msg::Mouse(Mouse::Click { column: 10, row: 3 }));
    assert!(cmds
        .iter()
        .any(|c| matches!(c, Command::Open { id, .. } if id == "b2")));
    assert_eq!(s.screen, Screen::Reader);
    update(&mut s, Msg::Mouse(Mouse::ScrollDown));
    assert_eq!(s.reader.as_ref().map(|r| r.scroll), Some(3));
    press(&mut s, "q");
    // " New 5 │ In progress 0 │ Done 0 …": column 12 is on "In progress".
    update(&mut s, Msg::Mouse(Mouse::Click { column: 12, row: 0 }));
    assert_eq!(s.list.tab, Tab::Wip);
    update(&mut s, Msg::Mouse(Mouse::Click { column: 2, row: 0 }));
    assert_eq!(s.list.tab, Tab::New);
}

#[test]
fn an_agent_writing_a_reply_is_told_once_that_someone_took_the_conversation_over() {
    let mut s = state_with(&["a1"]);
    with_draft(&mut s);
    let mut taken = row("a1", "Hello", Status::Wip);
    taken.conversation.assignee = Some("carol".into());
    let answer = |s: &mut State| {
        let req = s.list.req;
        update(
            s,
            Msg::Worker(Reply::List {
                req,
                window: Window {
                    offset: 0,
                    total: 1,
                    rows: vec![taken.clone()],
                },
                selected: 0,
                top: 0,
                counts: s.list.counts,
                matches: false,
            }),
        )
    };
    let cmds = answer(&mut s);
    let e = s.status.error.clone().expect("told");
    assert!(e.contains("carol"), "{e}");
    assert!(
        s.compose.as_ref().is_some_and(|c| c.displaced),
        "the draft stays"
    );
    // And is kept on disk at once, with who took it: a quit or a crash loses nothing.
    let text = s
        .compose
        .as_ref()
        .map(|c| c.text.clone())
        .unwrap_or_default();
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::KeepDraft { id, by, text: t, .. }
            if id == "a1" && by == "carol" && *t == text)),
        "{cmds:?}"
    );
    // Told once: a later reload does not say it again.
    s.status.error = None;
    let cmds = answer(&mut s);
    assert!(s.status.error.is_none(), "{:?}", s.status.error);
    assert!(!cmds.iter().any(|c| matches!(c, Command::KeepDraft { .. })));
}

pub(crate) fn ctrl(s: &mut State, c: char) -> Vec<Command> {
    update(
        s,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

pub(crate) fn mail(at: i64, text: &str) -> tanto_app::conversations::Entry {
    tanto_app::conversations::Entry {
        kind: tanto_app::conversations::EntryKind::Inbound,
        at,
        event: None,
        agent: None,
        owner: None,
        from: Some(tanto_core::model::Address {
            name: None,
            email: "carol@example.com".into(),
        }),
        to: Vec::new(),
        cc: Vec::new(),
        subject: "Hello".into(),
        message_id: None,
        text: text.into(),
        attachments: Vec::new(),
        noise: None,
        has_body: true,
    }
}

/// `a1` open in the reader with three mails of 20 lines, "invoice" in the second and third.
pub(crate) fn reading() -> State {
    let mut s = state_with(&["a1"]);
    code(&mut s, KeyCode::Enter);
    let body = |word: &str| {
        (0..20)
            .map(|i| {
                if i == 10 {
                    word.to_string()
                } else {
                    format!("line {i}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let view = tanto_app::conversations::ConversationView {
        conversation: row("a1", "Hello", Status::Done).conversation,
        presence: Vec::new(),
        timeline: vec![
            mail(1, &body("hello")),
            mail(2, &body("the invoice")),
            mail(3, &body("INVOICE again")),
        ],
        fetch_error: None,
        outbox: Vec::new(),
        tags: Vec::new(),
    };
    update(
        &mut s,
        Msg::Worker(Reply::Opened {
            id: "a1".into(),
            result: Ok(Box::new(view)),
        }),
    );
    s
}

fn acts(cmds: &[Command]) -> usize {
    cmds.iter()
        .filter(|c| matches!(c, Command::Act { .. } | Command::Note { .. }))
        .count()
}

#[test]
fn slash_in_the_reader_opens_a_search_and_the_letters_typed_are_never_actions() {
    let mut s = reading();
    // `/do` once marked the conversation done and reopened it.
    let cmds = press(&mut s, "/do");
    assert_eq!(acts(&cmds), 0, "{cmds:?}");
    assert_eq!(s.overlay, Some(Overlay::Find { text: "do".into() }));
    code(&mut s, KeyCode::Esc);
    assert_eq!(s.overlay, None);
    assert_eq!(s.screen, Screen::Reader);
    // Every layer's keys stay in it: the search prompt takes c, d, o, u, a, r as text.
    let cmds = press(&mut s, "/cdouar");
    assert_eq!(acts(&cmds), 0);
    assert!(cmds
        .iter()
        .all(|c| !matches!(c, Command::PrepareReply { .. })));
    code(&mut s, KeyCode::Esc);
}

#[test]
fn n_and_shift_n_go_from_match_to_match_in_the_reader_and_say_where() {
    let mut s = reading();
    press(&mut s, "/invoice");
    code(&mut s, KeyCode::Enter);
    let first = s.reader.as_ref().map(|r| r.scroll).unwrap_or_default();
    assert!(first > 20, "the second mail's match: {first}");
    assert!(s
        .status
        .info
        .as_deref()
        .is_some_and(|i| i.contains("1") && i.contains("2")));
    press(&mut s, "n");
    let second = s.reader.as_ref().map(|r| r.scroll).unwrap_or_default();
    assert!(second > first, "{second} after {first}");
    press(&mut s, "N");
    assert_eq!(s.reader.as_ref().map(|r| r.scroll), Some(first));
    // n wraps round to the first match.
    press(&mut s, "nn");
    assert_eq!(s.reader.as_ref().map(|r| r.scroll), Some(first));
    press(&mut s, "/nowhere");
    code(&mut s, KeyCode::Enter);
    assert!(s
        .status
        .info
        .as_deref()
        .is_some_and(|i| i.contains("nowhere")));
    assert_eq!(s.reader.as_ref().map(|r| r.scroll), Some(first));
}

#[test]
fn space_pages_and_shift_j_k_go_from_message_to_message_in_the_reader() {
    let mut s = reading();
    s.reader_height = 10;
    press(&mut s, " ");
    assert_eq!(s.reader.as_ref().map(|r| r.scroll), Some(9));
    press(&mut s, "g");
    press(&mut s, "J");
    let second = s.reader.as_ref().map(|r| r.scroll).unwrap_or_default();
    press(&mut s, "J");
    let third = s.reader.as_ref().map(|r| r.scroll).unwrap_or_default();
    assert!(0 < second && second < third, "{second} {third}");
    press(&mut s, "K");
    assert_eq!(s.reader.as_ref().map(|r| r.scroll), Some(second));
}

#[test]
fn n_in_the_list_is_the_next_match_not_a_note() {
    let mut s = state_with(&["a1", "b2", "c3"]);
    press(&mut s, "n");
    assert_eq!(s.overlay, None);
    assert!(s.status.info.as_deref().is_some_and(|i| i.contains('/')));
    press(&mut s, "/b");
    code(&mut s, KeyCode::Enter);
    press(&mut s, "n");
    assert_eq!((s.list.selected, s.overlay.clone()), (1, None));
    press(&mut s, "N");
    assert_eq!(s.list.selected, 0);
    // The note moved to e; its popup names the conversation.
    press(&mut s, "e");
    assert!(matches!(
        &s.overlay,
        Some(Overlay::NoteEditor { id, subject, .. }) if id == "a1" && subject == "Hello"
    ));
}

#[test]
fn ctrl_c_in_the_note_editor_asks_and_no_gives_the_text_back() {
    let mut s = state_with(&["a1"]);
    press(&mut s, "eCalled her");
    ctrl(&mut s, 'c');
    assert!(!s.quit);
    assert!(matches!(
        s.overlay,
        Some(Overlay::Confirm {
            question: crate::tui::state::Question::QuitLosingNote,
            ..
        })
    ));
    press(&mut s, "n");
    assert!(matches!(
        &s.overlay,
        Some(Overlay::NoteEditor { text, .. }) if text == "Called her"
    ));
    press(&mut s, " back");
    ctrl(&mut s, 'c');
    press(&mut s, "y");
    assert!(s.quit);
    // With nothing typed, Ctrl-c quits at once.
    let mut s = state_with(&["a1"]);
    press(&mut s, "e");
    ctrl(&mut s, 'c');
    assert!(s.quit);
}

#[test]
fn q_quits_the_list_at_once_and_asks_first_while_a_reply_is_pending() {
    let mut s = state_with(&["a1"]);
    in_undo_window(&mut s);
    press(&mut s, "q");
    assert!(!s.quit);
    code(&mut s, KeyCode::Esc);
    assert_eq!(s.overlay, None);
    assert!(!s.quit);
    press(&mut s, "qy");
    assert!(s.quit);
    // Its send under way (the countdown ended): the outbox holds it, q quits at once.
    let mut s = state_with(&["a1"]);
    with_draft(&mut s);
    in_undo_window(&mut s);
    if let Some(u) = s.undo.as_mut() {
        u.settling = true;
    }
    press(&mut s, "q");
    assert!(s.quit);
    // Sent by an outbox pass before the countdown ended here: nothing pending either.
    let mut s = state_with(&["a1"]);
    with_draft(&mut s);
    in_undo_window(&mut s);
    update(
        &mut s,
        Msg::Notice(Notice::Outbox(Sent::Delivered {
            conversation: "a1".into(),
        })),
    );
    assert_eq!((s.undo.clone(), s.compose.is_some()), (None, false));
    press(&mut s, "q");
    assert!(s.quit);
}

#[test]
fn esc_never_quits_from_any_layer() {
    let mut s = state_with(&["a1"]);
    for keys in ["", "?", "/x", ":cl", "e", "M"] {
        press(&mut s, keys);
        for _ in 0..3 {
            code(&mut s, KeyCode::Esc);
        }
        assert!(!s.quit, "after {keys:?}");
        assert_eq!(s.overlay, None, "after {keys:?}");
    }
    code(&mut s, KeyCode::Enter);
    for _ in 0..3 {
        code(&mut s, KeyCode::Esc);
    }
    assert_eq!(s.screen, Screen::List);
    assert!(!s.quit);
}

#[test]
fn ctrl_l_asks_for_a_full_redraw() {
    let mut s = state_with(&["a1"]);
    ctrl(&mut s, 'l');
    assert!(s.input.redraw);
}

#[test]
fn keys_on_an_empty_tab_say_so() {
    let mut s = state_with(&[]);
    for k in ["c", "d", "o", "e", "r", "a"] {
        s.status.info = None;
        let cmds = press(&mut s, k);
        assert!(cmds.is_empty(), "{k}: {cmds:?}");
        assert!(
            s.status.info.as_deref().is_some_and(|i| i.contains("New")),
            "{k}: {:?}",
            s.status.info
        );
    }
    code(&mut s, KeyCode::Enter);
    assert_eq!(s.screen, Screen::List);
}

#[test]
fn keys_typed_right_after_a_tab_switch_act_on_the_new_tab_once_its_rows_arrive() {
    let mut s = state_with(&["a1"]);
    s.list.counts.wip = 2;
    // 2 then c at once: the window is empty until In progress's rows come.
    let mut cmds = press(&mut s, "2");
    cmds.extend(press(&mut s, "jc"));
    assert_eq!(acts(&cmds), 0);
    s.list.window = Window {
        offset: 0,
        total: 2,
        rows: vec![row("w1", "One", Status::Wip), row("w2", "Two", Status::Wip)],
    };
    // q is not kept waiting (nothing else is pending here, so it quits).
    let mut waiting = s.clone();
    press(&mut waiting, "q");
    assert!(waiting.quit);
    let cmds = answer_list(&mut s);
    assert_eq!(s.list.selected, 1);
    assert!(
        cmds.contains(&Command::Act {
            id: "w2".into(),
            action: claims::Action::Claim
        }),
        "{cmds:?}"
    );
}

#[test]
fn the_command_line_completes_with_tab_and_recalls_with_up_and_down() {
    let mut s = state_with(&["a1"]);
    press(&mut s, ":rel");
    code(&mut s, KeyCode::Tab);
    assert!(matches!(&s.overlay, Some(Overlay::CommandLine { text, .. }) if text == "release"));
    let cmds = code(&mut s, KeyCode::Enter);
    assert_eq!(acts(&cmds), 1);
    press(&mut s, ":re");
    code(&mut s, KeyCode::Tab);
    // release and reopen share "re": Tab stops there.
    assert!(matches!(&s.overlay, Some(Overlay::CommandLine { text, .. }) if text == "re"));
    code(&mut s, KeyCode::Esc);
    press(&mut s, ":done");
    code(&mut s, KeyCode::Enter);
    press(&mut s, ":");
    code(&mut s, KeyCode::Up);
    assert!(matches!(&s.overlay, Some(Overlay::CommandLine { text, .. }) if text == "done"));
    code(&mut s, KeyCode::Up);
    assert!(matches!(&s.overlay, Some(Overlay::CommandLine { text, .. }) if text == "release"));
    code(&mut s, KeyCode::Down);
    code(&mut s, KeyCode::Down);
    assert!(matches!(&s.overlay, Some(Overlay::CommandLine { text, .. }) if text.is_empty()));
}

fn screen(s: &State, w: u16, h: u16) -> String {
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("terminal");
    term.draw(|f| crate::tui::views::draw(s, f)).expect("draw");
    let buf = term.backend().buffer().clone();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_key_of_the_help_is_reached_by_scrolling_at_80x24_with_a_cue_until_the_end() {
    for lang in [crate::i18n::Lang::En, crate::i18n::Lang::Ja] {
        crate::i18n::with_lang(lang, || {
            let mut s = state_with(&["a1"]);
            s.keymap = Keymap::new(&[]);
            update(
                &mut s,
                Msg::Resize {
                    width: 80,
                    height: 24,
                },
            );
            press(&mut s, "?");
            let mut seen = String::new();
            let mut pages = 0;
            loop {
                let shot = screen(&s, 80, 24);
                seen.push_str(&shot);
                let more = shot.contains("↓");
                press(&mut s, " ");
                pages += 1;
                if !more {
                    break;
                }
                assert!(pages < 20, "the help never ends:\n{shot}");
            }
            assert!(pages > 1, "one page cannot hold every key at 80x24");
            for b in &s.keymap.bindings {
                for k in &b.keys {
                    assert!(seen.contains(k.as_str()), "{k} ({})", b.name);
                }
                // Wide characters fill two cells: compare without the spaces.
                let bare: String = seen.chars().filter(|c| *c != ' ').collect();
                let start: String = b.desc.chars().filter(|c| *c != ' ').take(6).collect();
                assert!(bare.contains(&start), "{start:?} ({})", b.name);
            }
            // The last page has no "more below"; Esc closes it.
            code(&mut s, KeyCode::Esc);
            assert_eq!(s.overlay, None);
        });
    }
}

#[test]
fn the_message_history_keeps_the_last_100_lines_in_full() {
    let mut s = state_with(&["a1"]);
    let long = "x".repeat(300);
    for i in 0..120 {
        s.status.info = Some(format!("news {i} {long}"));
        let now = s.now;
        update(&mut s, Msg::Tick { now });
    }
    assert_eq!(s.status.history.len(), 100);
    assert!(s.status.history[0].starts_with("news 20 "));
    assert!(s.status.history[99].ends_with(&long));
    // The same line standing over many ticks is recorded once.
    let now = s.now + 1;
    update(&mut s, Msg::Tick { now });
    assert_eq!(s.status.history.len(), 100);
    press(&mut s, "M");
    assert!(matches!(s.overlay, Some(Overlay::Messages { .. })));
    // At the bottom: the newest line, in full (wrapped, not cut).
    let shot = screen(&s, 80, 24);
    assert!(shot.contains("news 119"), "{shot}");
    code(&mut s, KeyCode::Esc);
    press(&mut s, ":messages");
    code(&mut s, KeyCode::Enter);
    assert!(matches!(s.overlay, Some(Overlay::Messages { .. })));
}

#[test]
fn a_reply_taken_back_is_kept_on_disk_so_q_quits_without_asking() {
    let mut s = state_with(&["a1"]);
    in_undo_window(&mut s);
    press(&mut s, "z");
    update(
        &mut s,
        Msg::Worker(Reply::TookBack {
            id: "a1".into(),
            result: Ok(TakeBack::Removed),
        }),
    );
    press(&mut s, "q");
    assert!(s.quit);
}

fn synced(s: &mut State) {
    update(s, Msg::Watch(WatchEvent::Synced { changes: 0 }));
}

fn rejected(conversation: &str) -> Msg {
    Msg::Notice(Notice::Outbox(Sent::Waiting {
        conversation: conversation.into(),
        standing: tanto_core::outbox::Standing::Rejected,
        author: "alice".into(),
    }))
}

#[test]
fn a_rejected_replys_notice_stays_while_it_stands_and_goes_once_it_is_settled() {
    let mut s = state_with(&["a1"]);
    update(&mut s, rejected("a1b2c3d4e5"));
    let line = s
        .status
        .info
        .clone()
        .or(s.status.error.clone())
        .expect("told");
    assert!(line.contains("a1b2c3d4"), "{line}");
    synced(&mut s);
    // The next passes find it again: still on show, told once.
    for _ in 0..3 {
        update(&mut s, rejected("a1b2c3d4e5"));
        synced(&mut s);
    }
    assert_eq!(
        s.status.info.clone().or(s.status.error.clone()),
        Some(line.clone())
    );
    assert_eq!(s.status.history.iter().filter(|l| **l == line).count(), 1);
    // Dropped or replaced: the next pass does not find it, and its line goes.
    synced(&mut s);
    assert_eq!(
        (s.status.info.clone(), s.status.error.clone()),
        (None, None)
    );
    // Rejected again later: told again.
    update(&mut s, rejected("a1b2c3d4e5"));
    assert_eq!(s.status.info.clone().or(s.status.error.clone()), Some(line));
}

#[test]
fn being_sent_by_a_teammates_tanto_settles_to_sent_once_their_pass_sent_it() {
    let mut s = state_with(&["a1"]);
    in_undo_window(&mut s);
    update(
        &mut s,
        Msg::Worker(Reply::SentDue {
            id: "a1".into(),
            result: Ok(Sent::Taken {
                conversation: "a1".into(),
                by: "bob".into(),
            }),
        }),
    );
    assert!(s
        .status
        .info
        .as_deref()
        .is_some_and(|i| i.contains("being sent by bob")));
    synced(&mut s);
    // bob's tanto is still at it: a pass says so.
    update(
        &mut s,
        Msg::Notice(Notice::Outbox(Sent::Taken {
            conversation: "a1".into(),
            by: "bob".into(),
        })),
    );
    synced(&mut s);
    assert!(s
        .status
        .info
        .as_deref()
        .is_some_and(|i| i.contains("being sent by bob")));
    // Gone from the outbox: bob's pass sent it.
    synced(&mut s);
    assert!(
        s.status
            .info
            .as_deref()
            .is_some_and(|i| i.contains("reply sent by bob")),
        "{:?}",
        s.status.info
    );
}

#[test]
fn after_a_reconnect_the_bar_never_says_connected_and_cannot_reach_at_once() {
    let mut s = state_with(&["a1"]);
    update(
        &mut s,
        Msg::Notice(Notice::Retrying {
            what: tanto_app::outcome::Retried::Sync,
            reason: anyhow::anyhow!("cannot reach 127.0.0.1:1").into(),
            wait: std::time::Duration::from_secs(2),
        }),
    );
    update(
        &mut s,
        Msg::Watch(WatchEvent::Trouble {
            reason: anyhow::anyhow!("cannot reach 127.0.0.1:1").into(),
            retry_secs: 2,
        }),
    );
    assert!(s.status.error.is_some());
    synced(&mut s);
    assert_eq!(s.link, Link::Connected);
    assert_eq!(s.status.error, None);
    // It stays in the history.
    assert!(s.status.history.iter().any(|l| l.contains("cannot reach")));
}

#[test]
fn a_search_with_no_match_in_this_tab_says_which_tabs_have_some() {
    let mut s = state_with(&["a1"]);
    press(&mut s, "/invoice");
    let answer = |s: &mut State, total: usize, counts: StatusCounts| {
        let reply = Reply::List {
            req: s.list.req,
            window: Window {
                offset: 0,
                total,
                rows: Vec::new(),
            },
            selected: 0,
            top: 0,
            counts,
            matches: true,
        };
        update(s, Msg::Worker(reply));
    };
    let counts = StatusCounts {
        new: 0,
        wip: 0,
        done: 3,
        noise: 1,
        mine: 0,
        ..StatusCounts::default()
    };
    answer(&mut s, 0, counts);
    let said = s.status.info.clone().unwrap_or_default();
    assert!(
        said.contains("no match in New") && said.contains("Done 3") && said.contains("Noise 1"),
        "{said}"
    );
    // The tab bar counts the matches, and the tabs stay a key away.
    assert_eq!(s.list.counts, counts);
    code(&mut s, KeyCode::Enter);
    press(&mut s, "3");
    answer(&mut s, 3, counts);
    assert_eq!(s.list.tab, Tab::Done);
    assert_eq!(s.status.info, None);
}

/// The list of a search comes first with the kept totals; its matches per tab follow in a
/// reply of their own (counting them never holds up the frame the key asked for), and say
/// where the matches are; a late count for an older search is dropped.
#[test]
fn a_search_s_per_tab_counts_follow_its_list_and_a_stale_count_is_dropped() {
    let mut s = state_with(&["a1"]);
    press(&mut s, "/invoice");
    let req = s.list.req;
    let totals = s.list.counts;
    update(
        &mut s,
        Msg::Worker(Reply::List {
            req,
            window: Window {
                offset: 0,
                total: 0,
                rows: Vec::new(),
            },
            selected: 0,
            top: 0,
            counts: totals,
            matches: false,
        }),
    );
    assert_eq!(s.status.info, None, "nothing said before the counts");
    let counts = StatusCounts {
        new: 0,
        wip: 0,
        done: 2,
        noise: 0,
        mine: 0,
        ..StatusCounts::default()
    };
    update(
        &mut s,
        Msg::Worker(Reply::Counts {
            req: req - 1,
            counts,
        }),
    );
    assert_eq!(s.list.counts, totals, "an older search's count is dropped");
    update(&mut s, Msg::Worker(Reply::Counts { req, counts }));
    assert_eq!(s.list.counts, counts);
    let said = s.status.info.clone().unwrap_or_default();
    assert!(said.contains("Done 2"), "{said}");
}

/// A reply to a1 written and not sent.
fn with_draft(s: &mut State) {
    let mine = row("a1", "Hello", Status::Wip).conversation;
    let draft = "To: a1@example.com\nSubject: Re: Hello\n\nHi\n";
    s.compose = Some(crate::tui::state::Compose {
        mailbox: "support".into(),
        id: "a1".into(),
        text: draft.into(),
        prepared: crate::tui::state::Draft(std::sync::Arc::new(
            tanto_app::reply::Prepared::for_tests(mine, draft),
        )),
        displaced: false,
    });
}

/// A reply to a1 written, at its send prompt.
fn composing(s: &mut State) {
    with_draft(s);
    s.overlay = Some(Overlay::SendReply {
        warnings: Vec::new(),
        later: None,
    });
}

#[test]
fn the_send_prompt_is_a_layer_of_its_own_rebindable_and_ctrl_c_there_asks() {
    let mut s = state_with(&["a1"]);
    s.keymap = Keymap::new(&[("send.submit".into(), vec!["s".into()])]);
    composing(&mut s);
    // y no longer sends: it does nothing there, and nothing falls through to the list.
    assert!(press(&mut s, "ydc").is_empty());
    assert!(matches!(s.overlay, Some(Overlay::SendReply { .. })));
    ctrl(&mut s, 'c');
    assert!(!s.quit);
    assert!(matches!(
        s.overlay,
        Some(Overlay::Confirm {
            question: crate::tui::state::Question::QuitWithReply,
            ..
        })
    ));
    code(&mut s, KeyCode::Esc);
    assert!(matches!(s.overlay, Some(Overlay::SendReply { .. })));
    let cmds = press(&mut s, "s");
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::SubmitReply { .. })),
        "{cmds:?}"
    );
    // Put aside, the draft lives in this process only: q asks.
    let mut s = state_with(&["a1"]);
    composing(&mut s);
    code(&mut s, KeyCode::Esc);
    assert_eq!(s.overlay, None);
    press(&mut s, "q");
    assert!(!s.quit);
    press(&mut s, "y");
    assert!(s.quit);
}

#[test]
fn no_letter_typed_in_any_overlay_reaches_an_action_on_the_conversation() {
    let overlays = [
        Overlay::Help { scroll: 0 },
        Overlay::Messages { scroll: 0 },
        Overlay::Filter,
        Overlay::Find {
            text: String::new(),
        },
        Overlay::Picker {
            agents: vec!["bob".into()],
            selected: 0,
        },
        Overlay::CommandLine {
            text: String::new(),
            recall: None,
        },
        Overlay::NoteEditor {
            id: "a1".into(),
            text: String::new(),
            subject: "Hello".into(),
        },
        Overlay::RejectReason {
            text: String::new(),
        },
        Overlay::SendReply {
            warnings: Vec::new(),
            later: Some(String::new()),
        },
    ];
    for o in overlays {
        let mut s = state_with(&["a1"]);
        s.overlay = Some(o.clone());
        let cmds = press(&mut s, "cCuadoHrRAxmnN/:123");
        let acted = cmds.iter().any(|c| {
            matches!(
                c,
                Command::Act { .. }
                    | Command::Note { .. }
                    | Command::PrepareReply { .. }
                    | Command::Decide { .. }
                    | Command::EditNote { .. }
            )
        });
        assert!(!acted, "{o:?}: {cmds:?}");
        assert!(!s.quit, "{o:?}");
        assert_eq!(s.screen, Screen::List, "{o:?}");
    }
}

/// Issue 23: a reply whose template field is not filled in does not go out; the TUI says
/// which field and opens the draft again, keeping it.
#[test]
fn an_unfilled_template_field_sends_the_agent_back_to_the_draft() {
    let mut s = state_with(&["a1"]);
    with_draft(&mut s);
    let cmds = update(
        &mut s,
        Msg::Worker(Reply::ReplySubmitted {
            id: "a1".into(),
            undo: false,
            result: Ok(Replied::Unfilled {
                conversation: "a1".into(),
                fields: vec!["order_id".into()],
            }),
        }),
    );
    let said = s.status.error.clone().unwrap_or_default();
    assert!(said.contains("{{ask:order_id}}"), "{said}");
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::EditReply { id } if id == "a1")),
        "{cmds:?}"
    );
    assert!(s.compose.is_some(), "the draft is kept");
}

#[test]
fn six_opens_waiting_and_w_s_and_o_put_aside_snooze_and_wake_by_intents_only() {
    let mut s = state_with(&["a1", "b2"]);
    // `w` asks what for; an empty reason is refused, Enter with one sends the intent.
    assert!(press(&mut s, "w").is_empty());
    assert!(matches!(s.overlay, Some(Overlay::WaitReason { .. })));
    code(&mut s, KeyCode::Enter);
    assert!(matches!(s.overlay, Some(Overlay::WaitReason { .. })));
    // Typed keys are text in the prompt: "d" and "q" neither mark done nor quit.
    assert!(press(&mut s, "order id").is_empty());
    let cmds = code(&mut s, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![Command::Act {
            id: "a1".into(),
            action: claims::Action::Wait {
                reason: "order id".into()
            }
        }]
    );
    assert!(s.overlay.is_none());

    // `s` asks until when; nonsense keeps the prompt open and says why, "+2h" snoozes.
    press(&mut s, "s");
    press(&mut s, "soon");
    assert!(code(&mut s, KeyCode::Enter).is_empty());
    assert!(matches!(s.overlay, Some(Overlay::SnoozeUntil { .. })));
    assert!(s
        .status
        .error
        .as_deref()
        .is_some_and(|e| e.contains("soon")));
    for _ in 0..4 {
        code(&mut s, KeyCode::Backspace);
    }
    press(&mut s, "+2h");
    let cmds = code(&mut s, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![Command::Act {
            id: "a1".into(),
            action: claims::Action::Snooze {
                until: s.now + 7200,
                reason: String::new()
            }
        }]
    );

    // `6` is the Waiting tab: it asks the cache for waiting conversations.
    let cmds = press(&mut s, "6");
    assert_eq!(s.list.tab, Tab::Waiting);
    assert_eq!(last_list(&cmds).1.status, Some(Status::Waiting));
    s.list.window.rows = vec![row("a1", "Hello", Status::Waiting)];
    s.list.window.total = 1;
    answer_list(&mut s);
    // `o` on a waiting conversation wakes it (reopen would have nothing to do).
    let cmds = press(&mut s, "o");
    assert_eq!(
        cmds,
        vec![Command::Act {
            id: "a1".into(),
            action: claims::Action::Wake
        }]
    );
}

#[test]
fn the_duty_key_sends_away_then_back_and_says_which() {
    let mut s = state_with(&["a1"]);
    let cmds = press(&mut s, "D");
    assert_eq!(cmds, vec![Command::Duty { away: true }]);
    update(
        &mut s,
        Msg::Worker(Reply::Duty {
            away: true,
            result: Ok(()),
        }),
    );
    assert!(s.away);
    assert_eq!(s.status.info.as_deref(), Some(tr("tui.duty.away")));
    // Pressed again: back on duty. A failure keeps the state as it was and says why.
    let cmds = press(&mut s, "D");
    assert_eq!(cmds, vec![Command::Duty { away: false }]);
    update(
        &mut s,
        Msg::Worker(Reply::Duty {
            away: false,
            result: Err("no server".into()),
        }),
    );
    assert!(s.away);
    assert_eq!(s.status.error.as_deref(), Some("no server"));
}
