//! Tags, merge, split and a snooze's reason from the keyboard: each key's intent.

use ratatui::crossterm::event::KeyCode;

use super::super::tests::{answer_list, code, ctrl, last_list, press, reading, state_with};
use super::*;
use crate::tui::state::Question;

fn tags_sent(cmds: &[Command]) -> Vec<(String, String, bool)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Tag { id, name, on } => Some((id.clone(), name.clone(), *on)),
            _ => None,
        })
        .collect()
}

fn regroups_sent(cmds: &[Command]) -> usize {
    cmds.iter()
        .filter(|c| matches!(c, Command::Merge { .. } | Command::Split { .. }))
        .count()
}

#[test]
fn t_asks_the_tag_name_and_tags_the_selected_conversation_and_the_list_follows() {
    let mut s = state_with(&["a1", "b2"]);
    press(&mut s, "j");
    let cmds = press(&mut s, "tvip");
    assert!(tags_sent(&cmds).is_empty(), "typed, not sent: {cmds:?}");
    assert!(matches!(
        &s.overlay,
        Some(Overlay::TagName { id, text, on: true }) if id == "b2" && text == "vip"
    ));
    let cmds = code(&mut s, KeyCode::Enter);
    assert_eq!(tags_sent(&cmds), [("b2".into(), "vip".into(), true)]);
    assert_eq!(s.overlay, None);
    assert_eq!(s.status.busy, 1);
    // The worker's answer: said, and the list (with the row's tags) asked again.
    let cmds = update(
        &mut s,
        Msg::Worker(Reply::Tagged {
            id: "b2".into(),
            result: Ok(tanto_app::tags::Tagged::Added {
                conversation: "b2".into(),
                tag: "vip".into(),
            }),
        }),
    );
    assert_eq!(s.status.busy, 0);
    assert_eq!(s.status.info.as_deref(), Some("b2: tagged vip"));
    assert!(cmds.iter().any(|c| matches!(c, Command::LoadList { .. })));
}

#[test]
fn shift_t_takes_a_tag_off_and_a_failure_is_shown() {
    let mut s = state_with(&["a1"]);
    press(&mut s, "Tbilling");
    let cmds = code(&mut s, KeyCode::Enter);
    assert_eq!(tags_sent(&cmds), [("a1".into(), "billing".into(), false)]);
    update(
        &mut s,
        Msg::Worker(Reply::Tagged {
            id: "a1".into(),
            result: Err("the server keeps no keywords".into()),
        }),
    );
    assert_eq!(
        s.status.error.as_deref(),
        Some("a1: the server keeps no keywords")
    );
}

#[test]
fn an_invalid_tag_name_gives_the_catalogues_error_and_sends_nothing() {
    let mut s = state_with(&["a1"]);
    press(&mut s, "tVIP!");
    let cmds = code(&mut s, KeyCode::Enter);
    assert!(tags_sent(&cmds).is_empty(), "{cmds:?}");
    assert_eq!(
        s.status.error.as_deref(),
        Some("\"VIP!\" is not a tag name: use 1-24 of a-z 0-9 _ -")
    );
    // The prompt stays, with the name to correct.
    assert!(matches!(&s.overlay, Some(Overlay::TagName { text, .. }) if text == "VIP!"));
    for _ in 0..4 {
        code(&mut s, KeyCode::Backspace);
    }
    press(&mut s, "vip");
    let cmds = code(&mut s, KeyCode::Enter);
    assert_eq!(tags_sent(&cmds), [("a1".into(), "vip".into(), true)]);
    assert_eq!(s.status.error, None);
    // Empty: nothing either.
    press(&mut s, "t");
    let cmds = code(&mut s, KeyCode::Enter);
    assert!(tags_sent(&cmds).is_empty());
    // The command line checks the same way.
    code(&mut s, KeyCode::Esc);
    press(&mut s, ":tag no way");
    let cmds = code(&mut s, KeyCode::Enter);
    assert!(tags_sent(&cmds).is_empty());
    assert!(s
        .status
        .error
        .as_deref()
        .is_some_and(|e| e.contains("is not a tag name")));
    press(&mut s, ":untag vip");
    let cmds = code(&mut s, KeyCode::Enter);
    assert_eq!(tags_sent(&cmds), [("a1".into(), "vip".into(), false)]);
}

#[test]
fn the_filter_takes_tag_name_words_and_says_when_a_name_cannot_be_a_tag() {
    let mut s = state_with(&["a1"]);
    let cmds = press(&mut s, "/tag:VIP refund");
    let (_, q, _) = last_list(&cmds);
    assert_eq!(q.tag.as_deref(), Some("vip"), "tags are lower case");
    assert_eq!(q.text.as_deref(), Some("refund"));
    assert_eq!(s.status.error, None);
    code(&mut s, KeyCode::Esc);
    answer_list(&mut s);
    let cmds = press(&mut s, "/tag:v!");
    let (_, q, _) = last_list(&cmds);
    assert_eq!(q.tag.as_deref(), Some("v!"));
    assert_eq!(q.text, None);
    assert!(s
        .status
        .error
        .as_deref()
        .is_some_and(|e| e.contains("\"v!\" is not a tag name")));
    // Corrected: the line goes.
    code(&mut s, KeyCode::Backspace);
    assert_eq!(s.status.error, None);
    // A bare `tag:` being typed narrows nothing; a filter without one is the text as typed.
    assert_eq!(
        crate::tui::state::split_filter("tag:"),
        (None, String::new())
    );
    assert_eq!(
        crate::tui::state::split_filter(" a  b "),
        (None, "a  b".to_string())
    );
}

#[test]
fn ampersand_marks_then_merges_into_the_next_conversation_after_a_yes() {
    let mut s = state_with(&["a1", "b2", "c3"]);
    press(&mut s, "&");
    assert_eq!(s.list.mark.as_ref().map(|m| m.id.as_str()), Some("a1"));
    assert!(s.status.info.as_deref().is_some_and(|i| i.contains("a1")));
    press(&mut s, "jj");
    let cmds = press(&mut s, "&");
    assert_eq!(regroups_sent(&cmds), 0, "asked first");
    assert!(matches!(
        &s.overlay,
        Some(Overlay::Confirm { question: Question::Merge { from, into }, .. })
            if from.id == "a1" && into.id == "c3"
    ));
    // "n": nothing, and the mark stays for another target.
    let cmds = press(&mut s, "n");
    assert_eq!(regroups_sent(&cmds), 0);
    assert_eq!(s.overlay, None);
    assert!(s.list.mark.is_some());
    // Ctrl-C on the question quits; it never merges.
    press(&mut s, "&");
    let cmds = ctrl(&mut s, 'c');
    assert_eq!(regroups_sent(&cmds), 0);
    assert!(s.quit);
    s.quit = false;
    press(&mut s, "k&");
    let cmds = press(&mut s, "y");
    assert_eq!(
        cmds.iter()
            .filter_map(|c| match c {
                Command::Merge { id, into } => Some((id.as_str(), into.as_str())),
                _ => None,
            })
            .collect::<Vec<_>>(),
        [("a1", "b2")]
    );
    assert_eq!(s.list.mark, None);
    let cmds = update(
        &mut s,
        Msg::Worker(Reply::Regrouped {
            id: "a1".into(),
            split: false,
            result: Ok(tanto_app::regroup::Regrouped {
                conversation: "b2".into(),
                other: "a1".into(),
            }),
        }),
    );
    assert!(s
        .status
        .info
        .as_deref()
        .is_some_and(|i| i.contains("a1 merged into b2")));
    assert!(cmds.iter().any(|c| matches!(c, Command::LoadList { .. })));
}

#[test]
fn ampersand_twice_on_one_conversation_or_esc_forgets_the_mark() {
    let mut s = state_with(&["a1", "b2"]);
    press(&mut s, "&&");
    assert_eq!(s.list.mark, None);
    assert_eq!(s.overlay, None);
    press(&mut s, "&");
    code(&mut s, KeyCode::Esc);
    assert_eq!(s.list.mark, None);
    // & is the list's: in the reader it does nothing.
    let mut r = reading();
    let cmds = press(&mut r, "&");
    assert_eq!(r.list.mark, None);
    assert_eq!(regroups_sent(&cmds), 0);
}

#[test]
fn hash_in_the_reader_splits_the_mail_at_the_top_after_a_yes() {
    let mut s = reading();
    if let Some(v) = s.reader.as_mut().and_then(|r| r.view.as_mut()) {
        for (i, e) in v.timeline.iter_mut().enumerate() {
            e.message_id = Some(format!("m{}@example.com", i + 1));
        }
    }
    // J: the second mail to the top.
    press(&mut s, "JJ");
    let cmds = press(&mut s, "#");
    assert_eq!(regroups_sent(&cmds), 0, "asked first");
    assert!(matches!(
        &s.overlay,
        Some(Overlay::Confirm { question: Question::Split { id, message, number: 2, .. }, .. })
            if id == "a1" && message == "m2@example.com"
    ));
    let cmds = press(&mut s, "y");
    assert_eq!(
        cmds.iter()
            .filter_map(|c| match c {
                Command::Split { id, message } => Some((id.as_str(), message.as_str())),
                _ => None,
            })
            .collect::<Vec<_>>(),
        [("a1", "m2@example.com")]
    );
    // Answered: the reader (same conversation, one mail fewer) is read again.
    let cmds = update(
        &mut s,
        Msg::Worker(Reply::Regrouped {
            id: "a1".into(),
            split: true,
            result: Ok(tanto_app::regroup::Regrouped {
                conversation: "a1".into(),
                other: "z9".into(),
            }),
        }),
    );
    assert_eq!(s.status.info.as_deref(), Some("split off from a1 as z9"));
    assert!(cmds
        .iter()
        .any(|c| matches!(c, Command::Open { id, .. } if id == "a1")));
    // Without a Message-ID, the mail's number names it; at the top, the first mail.
    let mut s = reading();
    press(&mut s, "#");
    assert!(matches!(
        &s.overlay,
        Some(Overlay::Confirm { question: Question::Split { message, number: 1, .. }, .. })
            if message == "1"
    ));
    // # is the reader's: in the list it does nothing.
    let mut s = state_with(&["a1"]);
    press(&mut s, "#");
    assert_eq!(s.overlay, None);
}

#[test]
fn the_snooze_prompt_takes_a_reason_after_dash_m() {
    let mut s = state_with(&["a1"]);
    press(&mut s, "s3d -m call back after the audit");
    let cmds = code(&mut s, KeyCode::Enter);
    let acted: Vec<_> = cmds
        .iter()
        .filter_map(|c| match c {
            Command::Act {
                action: claims::Action::Snooze { until, reason },
                ..
            } => Some((*until, reason.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(acted.len(), 1, "{cmds:?}");
    assert_eq!(acted[0].0, 1_700_000_000 + 3 * 86400);
    assert_eq!(acted[0].1, "call back after the audit");
    assert_eq!(until_and_reason("3d"), ("3d", ""));
    assert_eq!(
        until_and_reason("tomorrow 9:00 -m  why "),
        ("tomorrow 9:00", "why")
    );
    assert_eq!(until_and_reason("monday -m"), ("monday", ""));
    // No time before -m: the time is asked for again, nothing sent.
    let cmds = press(&mut s, "s-m why");
    let cmds = [cmds, code(&mut s, KeyCode::Enter)].concat();
    assert!(!cmds.iter().any(|c| matches!(c, Command::Act { .. })));
    assert!(matches!(s.overlay, Some(Overlay::SnoozeUntil { .. })));
}
