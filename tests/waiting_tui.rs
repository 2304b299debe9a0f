//! Waiting and snooze in the terminal UI, end to end: the real `tanto` in tmux against the
//! real Dovecot. `w` puts a conversation on waiting with a reason, the Waiting tab (`6`)
//! shows it with the reason, `s` snoozes another until a typed time (`-m` says why), and
//! the customer's mail brings the waiting one back to New under the same agent, by itself.

mod harness;
mod support;

use harness::sample_message;
use support::tmux::{alice_at_her_desk, Desk};

fn row_of<'a>(screen: &'a str, subject: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(subject))
}

#[test]
fn w_and_s_put_conversations_in_waiting_and_the_customers_mail_brings_one_back() {
    let desk = alice_at_her_desk(2);
    let Desk { tmux, server, .. } = &desk;
    tmux.wait_for("A", "the list", |s| {
        s.contains("New 2") && s.contains("Waiting 0")
    });

    // w: what for? The reason is typed, Enter puts the first row on waiting.
    tmux.keys("A", &["w"]);
    tmux.wait_for("A", "the reason prompt", |s| {
        s.contains("Waiting on the customer for")
    });
    tmux.text("A", "their order number");
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "one waiting", |s| {
        s.contains("New 1") && s.contains("Waiting 1")
    });

    // s: until when? "3d" snoozes the other one, and why after -m.
    tmux.keys("A", &["s"]);
    tmux.wait_for("A", "the snooze prompt", |s| s.contains("Snooze until"));
    tmux.text("A", "3d -m after the audit");
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "both waiting", |s| {
        s.contains("New 0") && s.contains("Waiting 2")
    });

    // The Waiting tab: the reason, and the snooze's wake time with its reason.
    tmux.keys("A", &["6"]);
    let screen = tmux.wait_for("A", "the Waiting tab", |s| {
        s.contains("their order number") && s.contains("until ")
    });
    let snoozed = screen
        .lines()
        .find(|l| l.contains("until "))
        .unwrap_or_default();
    assert!(snoozed.contains("· after the audit"), "{screen}");
    assert!(screen.contains("alice"), "{screen}");

    // The customer of Question 2 or 1 writes again: the waiting one is New, still alice's.
    let waiting_subject =
        if row_of(&screen, "their order number").is_some_and(|r| r.contains("Question 1")) {
            1
        } else {
            2
        };
    server.append(
        "support",
        "INBOX",
        &sample_message(10, Some(waiting_subject)),
        &[],
    );
    tmux.keys("A", &["1"]);
    let screen = tmux.wait_for("A", "back in New", |s| {
        s.contains("New 1") && s.contains("Waiting 1")
    });
    let row = row_of(&screen, &format!("Question {waiting_subject}")).expect("the row");
    assert!(row.contains("(alice)"), "{screen}");
    tmux.keys("A", &["q"]);
}
