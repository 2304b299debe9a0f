//! tanto on Dovecot with maildir storage (`mail_location = maildir:`), where keywords live
//! in file names (26 per folder) as well as the index: notes, statuses and replies reach the
//! other agents, after a sync and live. The races are in tests/log_coordination.rs, the
//! keyword budget in tests/keyword_budget.rs.

mod harness;
mod support;

use harness::{sample_message, Dovecot, SmtpSink};
use support::lifecycle::note_done_and_reopen_reach_the_other;
use support::replying::{question, reply_goes_out_once, sends_through};
use support::teammate::Teammate;
use support::Tanto;

const MAILDIR: &str = "mail_location = maildir:~/Maildir";

fn maildir_with(msgs: &[Vec<u8>]) -> Dovecot {
    let server = Dovecot::start_with(MAILDIR);
    server.append_days_old("support", "INBOX", msgs, 3);
    server
}

#[test]
fn on_maildir_a_note_done_and_reopen_by_one_agent_are_seen_by_another() {
    let server = maildir_with(&[sample_message(1, None)]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    let bob = Tanto::new(&server, &root.path().join("b"), "bob");
    note_done_and_reopen_reach_the_other(&alice, &bob);
}

#[test]
fn on_maildir_past_26_keywords_a_note_done_and_reopen_go_through_the_log_and_reach_another() {
    let server = Dovecot::start_with(MAILDIR);
    // Another mail client's 26 keywords fill maildir's file-name slots: tanto's go to the log.
    let kws: Vec<String> = (0..26).map(|i| format!("other{i}")).collect();
    let refs: Vec<&str> = kws.iter().map(String::as_str).collect();
    let then = (chrono::Local::now() - chrono::Duration::days(3))
        .format("%d-%b-%Y %H:%M:%S %z")
        .to_string();
    server.append_dated(
        "support",
        "INBOX",
        &sample_message(1, None),
        &refs,
        Some(&then),
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    let bob = Tanto::new(&server, &root.path().join("b"), "bob");
    note_done_and_reopen_reach_the_other(&alice, &bob);
    for uid in server.uids("support", "INBOX") {
        let flags = server.flags("support", "INBOX", uid);
        assert!(!flags.iter().any(|f| f.starts_with("tanto-")), "{flags:?}");
    }
}

#[test]
fn on_maildir_a_reply_goes_out_once_and_the_team_sees_it_done() {
    let server = maildir_with(&[question(1, "質問です")]);
    let sink = SmtpSink::start();
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    let bob = Tanto::new(&server, &root.path().join("b"), "bob");
    sends_through(&alice, &sink);
    sends_through(&bob, &sink);
    reply_goes_out_once(&alice, &bob, &sink, root.path());
    assert_eq!(server.uids("support", "Sent").len(), 1);
}

#[test]
fn on_maildir_a_claim_a_note_done_and_reopen_reach_a_teammate_s_running_tanto_within_two_seconds() {
    let server = maildir_with(&[sample_message(1, None)]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    alice.sync();
    let id = alice.only_id();
    let bob = tanto_app::Ctx::load(Some(&server.agent_config(
        &root.path().join("b"),
        "bob",
        "agent",
        "",
    )))
    .expect("bob's config");
    let bob = Teammate::start(&bob, &root.path().join("b/cache.sqlite"));
    bob.sees_alice_claim_note_done_and_reopen(&alice, &id);
}
