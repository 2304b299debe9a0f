//! Key sequences and worker answers to state.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;
use crate::cache::{ConversationRow, WindowRow};
use crate::core::status::Status;
use crate::tui::keymap::Keymap;

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
    }
}

fn state_with(rows: &[&str]) -> State {
    let mut s = State::new(
        "alice",
        vec!["support".into()],
        Keymap::new(&[]),
        1_700_000_000,
    );
    s.window = Window {
        offset: 0,
        total: rows.len(),
        rows: rows
            .iter()
            .map(|id| row(id, "Hello", Status::New))
            .collect(),
    };
    s.counts.new = rows.len() as u64;
    s.selected_id = rows
        .first()
        .map(|id| ("support".to_string(), id.to_string()));
    s
}

fn press(s: &mut State, keys: &str) -> Vec<Command> {
    let mut out = Vec::new();
    for c in keys.chars() {
        out.extend(update(
            s,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)),
        ));
    }
    out
}

fn code(s: &mut State, code: KeyCode) -> Vec<Command> {
    update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn last_list(cmds: &[Command]) -> (u64, TabQuery, Anchor) {
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
    assert_eq!(s.selected, 1);
    let cmds = press(&mut s, "2");
    assert_eq!(s.tab, Tab::Wip);
    assert_eq!((s.selected, s.top), (0, 0));
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
    code(&mut s, KeyCode::Tab);
    assert_eq!(s.tab, Tab::Done);
    let cmds = press(&mut s, "4");
    assert_eq!(s.tab, Tab::Mine);
    let (_, q, _) = last_list(&cmds);
    assert_eq!(q.assignee.as_deref(), Some("alice"));
    code(&mut s, KeyCode::BackTab);
    assert_eq!(s.tab, Tab::Done);
}

#[test]
fn typing_a_filter_narrows_the_list_as_you_type_and_esc_clears_it() {
    let mut s = state_with(&["a1", "b2"]);
    let cmds = press(&mut s, "/inv");
    assert_eq!(s.filter, "inv");
    assert_eq!(s.overlay, Some(Overlay::Filter));
    // One request per character, the last one with the whole text.
    let lists = cmds
        .iter()
        .filter(|c| matches!(c, Command::LoadList { .. }))
        .count();
    assert_eq!(lists, 3);
    let (req, q, _) = last_list(&cmds);
    assert_eq!(q.text.as_deref(), Some("inv"));
    assert_eq!(req, s.list_req);
    code(&mut s, KeyCode::Backspace);
    assert_eq!(s.filter, "in");
    code(&mut s, KeyCode::Enter);
    assert_eq!(s.overlay, None);
    assert_eq!(s.filter, "in");
    // In the list, q first clears the filter, then quits.
    press(&mut s, "q");
    assert!(s.filter.is_empty());
    assert!(!s.quit);
    press(&mut s, "q");
    assert!(s.quit);
}

#[test]
fn the_selection_stays_on_its_conversation_when_the_list_reorders() {
    let mut s = state_with(&["a1", "b2", "c3"]);
    press(&mut s, "j");
    assert_eq!(s.selected_id, Some(("support".into(), "b2".into())));
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
    let counts = s.counts;
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
        }),
    );
    assert_eq!(s.selected, 2);
    assert_eq!(s.selected_id, Some(("support".into(), "b2".into())));
    // An answer to an older request is dropped.
    update(
        &mut s,
        Msg::Worker(Reply::List {
            req: req - 1,
            window: Window::default(),
            selected: 0,
            top: 0,
            counts,
        }),
    );
    assert_eq!(s.selected, 2);
    assert_eq!(s.window.rows.len(), 3);
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
    let (window, selected, tab, counts) = (s.window.clone(), s.selected, s.tab, s.counts);
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
        (s.window.clone(), s.selected, s.tab, s.counts),
        (window, selected, tab, counts)
    );
    let e = s.error.clone().expect("an error");
    assert!(e.contains("bob holds it") && e.contains("5m ago"), "{e}");
    assert_eq!(s.busy, 0);
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
        .error
        .as_deref()
        .is_some_and(|e| e.contains("only a supervisor")));
}

#[test]
fn moving_past_the_loaded_rows_asks_for_the_next_window() {
    let mut s = state_with(&["a1", "b2", "c3"]);
    s.list_height = 2;
    s.window.total = 100;
    let cmds = press(&mut s, "jj");
    assert_eq!(s.selected, 2);
    assert_eq!(s.top, 1);
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
    assert_eq!(s.selected, 99);
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
    press(&mut s, "n");
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
        .info
        .as_deref()
        .is_some_and(|i| i.contains("2 attachment")));
    press(&mut s, ":fly");
    code(&mut s, KeyCode::Enter);
    assert!(s
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
            reason: "connection refused".into(),
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
    let (window, selected, tab) = (s.window.clone(), s.selected, s.tab);
    let cmds = update(
        &mut s,
        Msg::Worker(Reply::ReplyPrepared {
            id: "a1".into(),
            result: Ok(Err(Replied::Held {
                conversation: "a1".into(),
                holder: "bob".into(),
                kept: None,
            })),
        }),
    );
    assert!(cmds.is_empty(), "no editor, nothing written: {cmds:?}");
    assert_eq!(
        (s.window.clone(), s.selected, s.tab),
        (window, selected, tab)
    );
    assert!(s.compose.is_none() && s.overlay.is_none() && s.undo.is_none());
    let e = s.error.clone().expect("an error");
    assert!(
        e.contains("bob holds it") && e.contains("only they can reply"),
        "{e}"
    );
    assert_eq!(s.busy, 0);
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
    assert!(s.info.as_deref().is_some_and(|i| i.contains("taken back")));
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
    assert!(s.info.as_deref().is_some_and(|i| i.contains("too late")));
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
    assert_eq!(s.selected, 3);
    update(&mut s, Msg::Mouse(Mouse::ScrollUp));
    assert_eq!(s.selected, 0);
    // Rows start under the tab bar and the header.
    update(&mut s, Msg::Mouse(Mouse::Click { column: 10, row: 3 }));
    assert_eq!(s.selected, 1);
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
    assert_eq!(s.tab, Tab::Wip);
    update(&mut s, Msg::Mouse(Mouse::Click { column: 2, row: 0 }));
    assert_eq!(s.tab, Tab::New);
}

#[test]
fn an_agent_writing_a_reply_is_told_once_that_someone_took_the_conversation_over() {
    let mut s = state_with(&["a1"]);
    let mine = row("a1", "Hello", Status::Wip).conversation;
    let draft = "To: a1@example.com\nSubject: Re: Hello\n\nHi\n";
    s.compose = Some(crate::tui::state::Compose {
        mailbox: "support".into(),
        id: "a1".into(),
        text: draft.into(),
        prepared: crate::tui::state::Draft(std::sync::Arc::new(
            crate::app::reply::Prepared::for_tests(mine, draft),
        )),
        displaced: false,
    });
    let mut taken = row("a1", "Hello", Status::Wip);
    taken.conversation.assignee = Some("carol".into());
    let answer = |s: &mut State| {
        let req = s.list_req;
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
                counts: s.counts,
            }),
        );
    };
    answer(&mut s);
    let e = s.error.clone().expect("told");
    assert!(e.contains("carol"), "{e}");
    assert!(
        s.compose.as_ref().is_some_and(|c| c.displaced),
        "the draft stays"
    );
    // Told once: a later reload does not say it again.
    s.error = None;
    answer(&mut s);
    assert!(s.error.is_none(), "{:?}", s.error);
}
