//! Running the desk from the terminal UI, end to end: the real `tanto` in tmux against the
//! real Dovecot. `t` tags a conversation (the row shows `#vip`), `/tag:vip` lists only it,
//! `&` marks it and `&` on another merges it there after a yes, and `#` in the reader splits
//! a mail off again after a yes; `tanto list --json` agrees with the screen at each step.

mod harness;
mod support;

use support::tmux::{alice_at_her_desk, Desk};
use support::Tanto;

fn rows(screen: &str) -> Vec<&str> {
    screen.lines().filter(|l| l.contains("Question ")).collect()
}

/// The conversations as `tanto list --json` gives them: (subject, messages, tags).
fn listed(agent: &Tanto) -> Vec<(String, u64, Vec<String>)> {
    let v = agent.json(&["list", "--json"]);
    let mut out: Vec<(String, u64, Vec<String>)> = v
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| {
            (
                c["subject"].as_str().unwrap_or_default().to_string(),
                c["messages"].as_u64().unwrap_or_default(),
                c["tags"]
                    .as_array()
                    .map(|t| {
                        t.iter()
                            .filter_map(|x| x.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn t_tags_slash_tag_filters_ampersand_merges_and_hash_splits() {
    let desk = alice_at_her_desk(3);
    let Desk { tmux, alice, .. } = &desk;
    let screen = tmux.wait_for("A", "the list", |s| {
        s.contains("New 3") && rows(s).len() == 3
    });
    // Newest first: Question 3 is selected.
    assert!(rows(&screen)[0].contains("Question 3"), "{screen}");

    // t: the name is asked; an invalid one is refused in the status bar, nothing sent.
    tmux.keys("A", &["t"]);
    tmux.wait_for("A", "the tag prompt", |s| s.contains("Tag with"));
    tmux.text("A", "V I P");
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the refusal", |s| s.contains("is not a tag name"));
    for _ in 0..5 {
        tmux.keys("A", &["BSpace"]);
    }
    tmux.text("A", "vip");
    tmux.keys("A", &["Enter"]);
    let screen = tmux.wait_for("A", "the tag on the row", |s| {
        rows(s).iter().any(|r| r.contains("#vip"))
    });
    let tagged: Vec<&str> = rows(&screen)
        .into_iter()
        .filter(|r| r.contains("#vip"))
        .collect();
    assert_eq!(tagged.len(), 1, "{screen}");
    assert!(tagged[0].contains("Question 3"), "{screen}");
    assert_eq!(
        listed(alice),
        [
            ("Question 1".to_string(), 1, vec![]),
            ("Question 2".to_string(), 1, vec![]),
            ("Question 3".to_string(), 1, vec!["vip".to_string()]),
        ]
    );

    // /tag:vip: only the tagged conversation; Esc shows them all again.
    tmux.keys("A", &["/"]);
    tmux.text("A", "tag:vip");
    tmux.keys("A", &["Enter"]);
    let screen = tmux.wait_for("A", "only the tagged one", |s| {
        rows(s).len() == 1 && s.contains("/tag:vip")
    });
    assert!(rows(&screen)[0].contains("Question 3"), "{screen}");
    tmux.keys("A", &["Escape"]);
    tmux.wait_for("A", "all of them", |s| rows(s).len() == 3);

    // &: Question 3 marked; & on Question 2 asks, y merges.
    tmux.keys("A", &["g", "&"]);
    tmux.wait_for("A", "the mark", |s| s.contains("marked to merge"));
    tmux.keys("A", &["j", "&"]);
    tmux.wait_for("A", "the question", |s| {
        s.contains("Regroup customer mail?") && s.contains("Merge")
    });
    tmux.keys("A", &["y"]);
    let screen = tmux.wait_for("A", "two conversations", |s| {
        s.contains("New 2") && rows(s).len() == 2
    });
    assert!(screen.contains("merged into"), "{screen}");
    let after_merge = listed(alice);
    assert_eq!(after_merge.len(), 2, "{after_merge:?}");
    assert!(
        after_merge.contains(&("Question 1".to_string(), 1, vec![])),
        "{after_merge:?}"
    );
    // The merged conversation holds both mails, and the tag that came with Question 3.
    let merged: Vec<_> = after_merge.iter().filter(|c| c.1 == 2).collect();
    assert_eq!(merged.len(), 1, "{after_merge:?}");
    assert_eq!(merged[0].2, ["vip"], "{after_merge:?}");

    // #: in the merged conversation (found by its tag), J J puts the second mail on top;
    // # asks about it by number, y splits it off.
    tmux.keys("A", &["/"]);
    tmux.text("A", "tag:vip");
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the merged one", |s| rows(s).len() == 1);
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the reader", |s| s.contains("Tags #vip"));
    tmux.keys("A", &["J", "J", "#"]);
    tmux.wait_for("A", "the split question", |s| s.contains("Split mail #2"));
    tmux.keys("A", &["y"]);
    tmux.wait_for("A", "split", |s| s.contains("split off from"));
    let after_split = listed(alice);
    assert_eq!(after_split.len(), 3, "{after_split:?}");
    assert!(after_split.iter().all(|c| c.1 == 1), "{after_split:?}");
    tmux.keys("A", &["q", "Escape", "q"]);
}
