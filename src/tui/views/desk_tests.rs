//! Tags, markers and the regrouping questions as drawn, cell by cell where it matters.

use super::snapshots_tests::{conv, open_reader, render, sample_view, state};
use crate::tui::state::{Marked, Overlay, Question};
use tanto_core::status::Status;

fn line_with<'a>(screen: &'a str, text: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(text))
        .unwrap_or_else(|| panic!("no line with {text:?} in\n{screen}"))
}

/// Where `text` starts on its line, in cells (each char of the render is one cell).
fn column(line: &str, text: &str) -> usize {
    let at = line
        .find(text)
        .unwrap_or_else(|| panic!("{text:?} in {line:?}"));
    line[..at].chars().count()
}

#[test]
fn list_rows_show_tags_after_the_subject_and_a_long_subject_gives_way_to_them() {
    let mut short = conv("a1", "Invoice", "carol@example.com", Status::New, None, 300);
    short.tags = vec!["billing".into(), "vip".into()];
    let mut long = conv(
        "b2",
        "請求書の再発行をお願いします（至急）長い件名がここに続きます、まだまだ続きます",
        "taro@example.jp",
        Status::New,
        None,
        600,
    );
    long.tags = vec!["vip".into()];
    let mut hostile = conv("c3", "Hi", "x@example.com", Status::New, None, 900);
    // Tags are checked names; a cache written by someone else is still drawn safely.
    hostile.tags = vec!["a\u{1b}[31mred".into()];
    let plain = conv("d4", "No tags here", "d@example.com", Status::New, None, 60);
    let s = state(vec![short, long, hostile, plain]);
    for width in [80u16, 120] {
        let screen = render(&s, width, 10);
        let short = line_with(&screen, "Invoice");
        assert!(short.contains("Invoice  #billing #vip"), "{screen}");
        let long = line_with(&screen, "請求書");
        assert!(
            long.contains("… #vip") || long.contains("…  #vip"),
            "{screen}"
        );
        // The count column stays where it is on every row, in cells.
        let counts: Vec<usize> = ["Invoice", "請求書", "Hi ", "No tags"]
            .iter()
            .map(|t| {
                let l = line_with(&screen, t);
                let at = l.rfind(" 2 ").unwrap_or_else(|| panic!("{l}"));
                crate::tui::cells::width(&l[..at])
            })
            .collect();
        assert!(
            counts.iter().all(|c| *c == counts[0]),
            "{counts:?}\n{screen}"
        );
        assert!(!screen.contains('\u{1b}'), "{screen}");
        assert!(line_with(&screen, "Hi ").contains("#a"), "{screen}");
        assert!(!line_with(&screen, "No tags").contains('#'), "{screen}");
    }
    // Many tags keep half the subject column at most: the subject is still read.
    let mut many = conv(
        "e5",
        "Password reset",
        "e@example.com",
        Status::New,
        None,
        60,
    );
    many.tags = (0..12).map(|i| format!("tag-number-{i}")).collect();
    let screen = render(&state(vec![many]), 80, 6);
    let row = line_with(&screen, "Password");
    assert!(row.contains("Password reset  #tag-number-0"), "{screen}");
    assert!(row.contains('…'), "{screen}");
}

#[test]
fn unread_mentions_presence_and_the_merge_mark_each_have_a_marker() {
    let mut unread = conv("a1", "Unread one", "a@example.com", Status::New, None, 60);
    unread.unread = true;
    let mut mentioned = conv(
        "b2",
        "Mentioned one",
        "b@example.com",
        Status::New,
        None,
        60,
    );
    mentioned.mentioned = true;
    let mut present = conv("c3", "Present one", "c@example.com", Status::New, None, 60);
    present.present = Some("bob".into());
    let marked = conv("d4", "Marked one", "d@example.com", Status::New, None, 60);
    let quiet = conv("e5", "Quiet one", "e@example.com", Status::New, None, 60);
    let mut s = state(vec![unread, mentioned, present, marked, quiet]);
    s.list.mark = Some(Marked {
        mailbox: "support".into(),
        id: "d4".into(),
        subject: "Marked one".into(),
    });
    let screen = render(&s, 80, 10);
    for (subject, marker) in [
        ("Unread one", '+'),
        ("Mentioned one", '@'),
        ("Present one", '*'),
        ("Marked one", '&'),
        ("Quiet one", ' '),
    ] {
        let line = line_with(&screen, subject);
        let at = column(line, subject);
        assert_eq!(
            line.chars().nth(at - 1),
            Some(marker),
            "{subject}:\n{screen}"
        );
    }
}

#[test]
fn the_reader_header_shows_the_tags() {
    let mut s = state(vec![]);
    let mut v = sample_view();
    v.tags = vec!["billing".into(), "vip".into()];
    open_reader(&mut s, "a1b2c3d4", "Cannot log in", v);
    let screen = render(&s, 80, 12);
    let lines: Vec<&str> = screen.lines().collect();
    let customer = lines
        .iter()
        .position(|l| l.contains("carol@example.com"))
        .expect("the customer line");
    assert!(
        lines[customer + 1].contains("Tags #billing #vip"),
        "{screen}"
    );
    // Without tags, no line for them.
    let mut s = state(vec![]);
    open_reader(&mut s, "a1b2c3d4", "Cannot log in", sample_view());
    assert!(!render(&s, 80, 12).contains("Tags"));
}

#[test]
fn merge_and_split_ask_in_words_that_name_both_sides() {
    let mut s = state(vec![]);
    let m = |id: &str, subject: &str| Marked {
        mailbox: "support".into(),
        id: id.into(),
        subject: subject.into(),
    };
    s.overlay = Some(Overlay::Confirm {
        question: Question::Merge {
            from: m("a1b2c3d4", "Login"),
            into: m("e5f6a7b8", "Cannot log in"),
        },
        back: None,
    });
    let screen = render(&s, 80, 14);
    assert!(screen.contains("Regroup customer mail?"), "{screen}");
    assert!(
        screen.contains("Merge a1b2c3d4 (Login) into e5f6a7b8"),
        "{screen}"
    );
    assert!(screen.contains("y do it"), "{screen}");
    s.overlay = Some(Overlay::Confirm {
        question: Question::Split {
            id: "a1b2c3d4".into(),
            message: "m2@x".into(),
            number: 2,
            from: "carol@example.com".into(),
            subject: "Other matter".into(),
        },
        back: None,
    });
    let screen = render(&s, 80, 14);
    assert!(
        screen.contains("Split mail #2 (carol@example.com"),
        "{screen}"
    );
}

#[test]
fn the_tag_prompt_is_titled_by_what_it_does() {
    let mut s = state(vec![]);
    s.overlay = Some(Overlay::TagName {
        id: "a1".into(),
        text: "vip".into(),
        on: true,
    });
    let screen = render(&s, 80, 10);
    assert!(screen.contains("Tag with"), "{screen}");
    assert!(screen.contains("vip█"), "{screen}");
    s.overlay = Some(Overlay::TagName {
        id: "a1".into(),
        text: String::new(),
        on: false,
    });
    assert!(render(&s, 80, 10).contains("Remove the tag"));
}

#[test]
fn the_help_lists_the_desk_keys_from_the_keymap() {
    let mut s = state(vec![]);
    s.overlay = Some(Overlay::Help { scroll: 0 });
    s.reader_height = 200;
    let screen = render(&s, 120, 200);
    for (key, text) in [
        ("t", "tag the conversation"),
        ("T", "remove a tag from the conversation"),
        ("&", "merge: marks the conversation"),
        ("#", "split the mail at the top of the reader"),
    ] {
        let line = line_with(&screen, text);
        assert!(line.contains(&format!("  {key}  ")), "{key}: {line}");
    }
}
