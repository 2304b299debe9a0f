//! Replies exactly once, and a teammate's running tanto kept live, on the hosted services
//! emulated by the relay in front of the real Dovecot with the real SMTP sink: Microsoft 365
//! (no CONDSTORE, no custom keywords: the log decides, the outbox's marks go through it too,
//! `app::outbox_marks`) and Gmail (keywords and CONDSTORE without QRESYNC).

mod harness;
mod support;

use std::time::Duration;

use harness::{Dovecot, Profile, Relay};
use serde_json::Value;
use support::replying::{
    agent, body_file, only_id, question, reply_goes_out_once, reply_with, run_code,
};
use support::teammate::Teammate;
use support::{no_tanto_keyword_on_the_server, Tanto};
use tanto_devserver::SmtpSink;

/// An agent of the desk's team connecting through `relay`.
fn via(
    server: &Dovecot,
    sink: &SmtpSink,
    relay: &Relay,
    dir: &std::path::Path,
    id: &str,
    extra: &str,
) -> Tanto {
    let t = agent(server, sink, dir, id, extra);
    let text = std::fs::read_to_string(&t.config).expect("read config");
    let text = text.replace(
        &format!("port = {}\n", server.port),
        &format!("port = {}\n", relay.port()),
    );
    std::fs::write(&t.config, text).expect("write config");
    t
}

fn outbox(t: &Tanto) -> Vec<Value> {
    serde_json::from_str::<Value>(&t.ok(&["outbox", "--json"]))
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

fn a_reply_goes_out_once_and_the_team_sees_it_done_on(profile: Profile) {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append_days_old("support", "INBOX", &[question(1, "質問です")], 3);
    let relay = Relay::start_as(server.port, profile);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = via(&server, &sink, &relay, &root.path().join("a"), "alice", "");
    let bob = via(&server, &sink, &relay, &root.path().join("b"), "bob", "");
    reply_goes_out_once(&alice, &bob, &sink, root.path());
    assert!(outbox(&bob).is_empty());
    if profile == Profile::Microsoft365 {
        no_tanto_keyword_on_the_server(&server);
    }
}

fn a_reply_needing_approval_waits_and_goes_out_once_approved_on(profile: Profile) {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append_days_old("support", "INBOX", &[question(1, "質問です")], 3);
    let relay = Relay::start_as(server.port, profile);
    let root = tempfile::tempdir().expect("tempdir");
    let team = "\n[team]\napproval = [\"newbie\"]\n";
    let newbie = via(
        &server,
        &sink,
        &relay,
        &root.path().join("n"),
        "newbie",
        team,
    );
    let boss = via(&server, &sink, &relay, &root.path().join("s"), "boss", team).supervisor();
    newbie.sync();
    let id = only_id(&newbie);
    let said = newbie.ok(&[
        "reply",
        &id,
        "--body-file",
        &body_file(root.path(), "承知しました"),
    ]);
    assert!(said.contains("approval"), "{said}");
    // A teammate's sync does not send it: it waits for the supervisor.
    let (code, _, err) = run_code(&boss, &["sync", "--once"]);
    assert_eq!(code, 0, "{err}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(sink.received().is_empty(), "sent before approval");
    let items = outbox(&boss);
    assert_eq!(items[0]["standing"], "waiting-approval", "{items:?}");
    let (code, out, err) = run_code(&boss, &["approve", &id]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(sink.wait_for(1, Duration::from_secs(30)).len(), 1);
    let _ = run_code(&newbie, &["sync", "--once"]);
    assert_eq!(sink.received().len(), 1);
    assert!(outbox(&newbie).is_empty());
    if profile == Profile::Microsoft365 {
        no_tanto_keyword_on_the_server(&server);
    }
}

fn a_queued_reply_is_held_when_a_supervisor_took_over_meanwhile_on(profile: Profile) {
    let server = Dovecot::start();
    let mut sink = SmtpSink::start();
    server.append_days_old("support", "INBOX", &[question(1, "質問です")], 3);
    let relay = Relay::start_as(server.port, profile);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = via(&server, &sink, &relay, &root.path().join("a"), "alice", "");
    let boss = via(&server, &sink, &relay, &root.path().join("s"), "boss", "").supervisor();
    alice.sync();
    let id = only_id(&alice);
    sink.stop();
    let (code, out, err) = reply_with(&alice, &id, root.path(), "古い回答");
    assert_eq!(code, 0, "queued while SMTP is down: {out}{err}");
    boss.sync();
    boss.ok(&["claim", "--take-over", &id]);
    sink.restart();
    let (code, out, err) = reply_with(&boss, &id, root.path(), "新しい回答");
    assert_eq!(code, 0, "{out}{err}");
    let _ = run_code(&alice, &["sync", "--once"]);
    let got = sink.wait_for(1, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sink.received().len(), 1, "only the supervisor's reply");
    let body = String::from_utf8_lossy(&got[0].raw).into_owned();
    assert!(!body.contains("古い回答"), "{body}");
    let items = outbox(&alice);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["standing"], "held", "{items:?}");
}

fn a_claim_a_note_done_and_reopen_reach_a_teammate_s_running_tanto_within_two_seconds_on(
    profile: Profile,
) {
    let server = Dovecot::start();
    server.append_days_old("support", "INBOX", &[question(1, "質問です")], 3);
    let relay = Relay::start_as(server.port, profile);
    let root = tempfile::tempdir().expect("tempdir");
    let sink = SmtpSink::start();
    let alice = via(&server, &sink, &relay, &root.path().join("a"), "alice", "");
    alice.sync();
    let id = only_id(&alice);
    let bob = tanto_app::Ctx::load(Some(&server.agent_config_via(
        relay.port(),
        &root.path().join("b"),
        "bob",
        "agent",
        "",
    )))
    .expect("bob's config");
    let bob = Teammate::start(&bob, &root.path().join("b/cache.sqlite"));
    bob.sees_alice_claim_note_done_and_reopen(&alice, &id);
}

/// Alice's note, done and bob's reopen, each seen by the other after a sync, on `profile`.
fn a_note_done_and_reopen_by_one_agent_are_seen_by_another_on(profile: Profile) {
    let server = Dovecot::start();
    server.append_days_old("support", "INBOX", &[question(1, "質問です")], 3);
    let relay = Relay::start_as(server.port, profile);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::via(&server, relay.port(), &root.path().join("a"), "alice");
    let bob = Tanto::via(&server, relay.port(), &root.path().join("b"), "bob");
    support::lifecycle::note_done_and_reopen_reach_the_other(&alice, &bob);
    if profile == Profile::Microsoft365 {
        no_tanto_keyword_on_the_server(&server);
    }
}

#[test]
fn on_microsoft_365_a_reply_goes_out_once_and_the_team_sees_it_done() {
    a_reply_goes_out_once_and_the_team_sees_it_done_on(Profile::Microsoft365);
}

#[test]
fn on_gmail_a_reply_goes_out_once_and_the_team_sees_it_done() {
    a_reply_goes_out_once_and_the_team_sees_it_done_on(Profile::Gmail);
}

#[test]
fn on_microsoft_365_a_reply_needing_approval_waits_and_goes_out_once_approved() {
    a_reply_needing_approval_waits_and_goes_out_once_approved_on(Profile::Microsoft365);
}

#[test]
fn on_gmail_a_reply_needing_approval_waits_and_goes_out_once_approved() {
    a_reply_needing_approval_waits_and_goes_out_once_approved_on(Profile::Gmail);
}

#[test]
fn on_microsoft_365_a_queued_reply_is_held_when_a_supervisor_took_over_meanwhile() {
    a_queued_reply_is_held_when_a_supervisor_took_over_meanwhile_on(Profile::Microsoft365);
}

#[test]
fn on_gmail_a_queued_reply_is_held_when_a_supervisor_took_over_meanwhile() {
    a_queued_reply_is_held_when_a_supervisor_took_over_meanwhile_on(Profile::Gmail);
}

#[test]
fn on_microsoft_365_a_claim_a_note_done_and_reopen_reach_a_teammate_s_running_tanto_within_two_seconds(
) {
    a_claim_a_note_done_and_reopen_reach_a_teammate_s_running_tanto_within_two_seconds_on(
        Profile::Microsoft365,
    );
}

#[test]
fn on_gmail_a_claim_a_note_done_and_reopen_reach_a_teammate_s_running_tanto_within_two_seconds() {
    a_claim_a_note_done_and_reopen_reach_a_teammate_s_running_tanto_within_two_seconds_on(
        Profile::Gmail,
    );
}

#[test]
fn on_microsoft_365_a_note_done_and_reopen_by_one_agent_are_seen_by_another() {
    a_note_done_and_reopen_by_one_agent_are_seen_by_another_on(Profile::Microsoft365);
}

#[test]
fn on_gmail_a_note_done_and_reopen_by_one_agent_are_seen_by_another() {
    a_note_done_and_reopen_by_one_agent_are_seen_by_another_on(Profile::Gmail);
}
