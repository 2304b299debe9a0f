//! `tanto outbox`: what is stuck is listed, and a person settles it (resend an uncertain
//! send, drop a reply), against a real Dovecot and SMTP sink.

mod harness;
mod support;

use std::time::Duration;

use harness::{Dovecot, SmtpSink};
use support::replying::*;

fn standings(t: &support::Tanto) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = t
        .json(&["outbox", "--json"])
        .as_array()
        .expect("array")
        .iter()
        .map(|i| {
            (
                i["conversation"]
                    .as_str()
                    .expect("conversation")
                    .to_string(),
                i["standing"].as_str().expect("standing").to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn timeline_events(t: &support::Tanto, id: &str) -> Vec<String> {
    t.json(&["show", id, "--json"])["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["event"].as_str().map(String::from))
        .collect()
}

#[test]
fn the_outbox_lists_queued_waiting_and_rejected_replies_and_a_drop_is_logged() {
    let server = Dovecot::start();
    let mut sink = SmtpSink::start();
    for n in 1..=3 {
        server.append("support", "INBOX", &question(n, "質問です"), &[]);
    }
    let root = tempfile::tempdir().expect("tempdir");
    let team = "\n[team]\napproval = [\"newbie\"]\n";
    let alice = agent(&server, &sink, &root.path().join("a"), "alice", team);
    let newbie = agent(&server, &sink, &root.path().join("n"), "newbie", team);
    let boss = agent(&server, &sink, &root.path().join("s"), "boss", team).supervisor();
    alice.sync();
    let ids = all_ids(&alice);
    assert_eq!(alice.ok(&["outbox"]).trim(), "the outbox is empty");
    newbie.sync();
    for id in &ids[..2] {
        newbie.ok(&[
            "reply",
            id,
            "--body-file",
            &body_file(root.path(), "お返事"),
        ]);
    }
    boss.sync();
    boss.ok(&["reject", &ids[1], "-m", "敬語を直してください"]);
    sink.stop();
    let out = alice.ok(&[
        "reply",
        &ids[2],
        "--body-file",
        &body_file(root.path(), "回答"),
    ]);
    assert!(out.contains("queued"), "{out}");

    let mut want = vec![
        (ids[0].clone(), "waiting-approval".to_string()),
        (ids[1].clone(), "rejected".to_string()),
        (ids[2].clone(), "queued".to_string()),
    ];
    want.sort();
    assert_eq!(standings(&alice), want);
    let text = alice.ok(&["outbox"]);
    assert_eq!(text.lines().count(), 3, "{text}");

    // The rejected reply is dropped by its author: gone, and the team sees why.
    let out = newbie.ok(&["outbox", "drop", &ids[1]]);
    assert!(out.contains("dropped"), "{out}");
    assert_eq!(standings(&alice).len(), 2);
    alice.sync();
    assert!(
        timeline_events(&alice, &ids[1]).contains(&"drop".to_string()),
        "{:?}",
        timeline_events(&alice, &ids[1])
    );
    sink.restart();
    alice.sync();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1, "only the queued one went out");
}

#[test]
fn an_uncertain_send_is_sent_again_only_when_a_person_says_so() {
    // Killed after SMTP accepted, then one sync.
    let Desk {
        server,
        sink,
        alice,
        id,
        root: _root,
    } = crash_then_restart("after-smtp");
    assert_eq!(standings(&alice), [(id.clone(), "uncertain".to_string())]);
    // Not by itself, and not as a drop-in for other standings.
    let _ = run_code(&alice, &["sync", "--once"]);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1);

    // Pretend the person checked and the mail never arrived.
    let out = alice.ok(&["outbox", "resend", &id]);
    assert!(out.contains("sent"), "{out}");
    let got = sink.wait_for(2, Duration::from_secs(30));
    assert_eq!(got.len(), 2);
    assert!(server.uids("support", "Tanto/Outbox").is_empty());
    assert_eq!(server.uids("support", "Sent").len(), 1);
    assert_eq!(status(&alice, &id), "done");
    assert!(timeline_events(&alice, &id).contains(&"resend".to_string()));
    let (code, _, err) = run_code(&alice, &["outbox", "resend", &id]);
    assert_ne!(code, 0);
    assert!(err.contains("no queued reply"), "{err}");
}

#[test]
fn a_reply_queued_while_smtp_is_down_goes_out_when_a_running_sync_sees_smtp_back() {
    let server = Dovecot::start();
    let mut sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, "質問です"), &[]);
    server.append("support", "INBOX", &question(2, "二つ目"), &[]);
    server.append("support", "INBOX", &question(3, "三つ目"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &sink, &root.path().join("a"), "alice", "");
    let bob = agent(&server, &sink, &root.path().join("b"), "bob", "");
    alice.sync();
    let ids = all_ids(&alice);
    // Bob's tanto runs in watch mode the whole time.
    let mut watch = bob
        .command(&["sync"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn tanto sync");
    sink.stop();
    let out = alice.ok(&[
        "reply",
        &ids[0],
        "--body-file",
        &body_file(root.path(), "回答"),
    ]);
    assert!(out.contains("queued"), "{out}");
    std::thread::sleep(Duration::from_secs(2));
    sink.restart();
    let got = sink.wait_for(1, Duration::from_secs(30));
    // Let the watcher finish the bookkeeping before it is stopped.
    let deadline = std::time::Instant::now() + Duration::from_secs(45);
    while !server.uids("support", "Tanto/Outbox").is_empty() && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = watch.kill();
    let _ = watch.wait();
    assert_eq!(got.len(), 1, "the watcher sent it once SMTP was back");
    assert!(server.uids("support", "Tanto/Outbox").is_empty());
    assert_eq!(server.uids("support", "Sent").len(), 1);

    // And a reply that goes out sends what an earlier one left queued.
    sink.stop();
    alice.ok(&[
        "reply",
        &ids[1],
        "--body-file",
        &body_file(root.path(), "回答2"),
    ]);
    assert_eq!(server.uids("support", "Tanto/Outbox").len(), 1);
    sink.restart();
    alice.ok(&[
        "reply",
        &ids[2],
        "--body-file",
        &body_file(root.path(), "回答3"),
    ]);
    assert_eq!(sink.wait_for(3, Duration::from_secs(30)).len(), 3);
    assert!(server.uids("support", "Tanto/Outbox").is_empty());
    assert_eq!(status(&alice, &ids[1]), "done");
}

#[test]
fn with_an_empty_outbox_a_sync_costs_no_extra_connection_only_one_status() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &question(1, "質問です"), &[]);
    let relay = harness::Relay::start(server.port);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = support::Tanto::via(&server, relay.port(), root.path(), "alice");
    alice.sync();
    let before = relay.commands().len();
    alice.sync();
    let cmds: Vec<String> = relay.commands()[before..]
        .iter()
        .map(|c| c.trim().to_string())
        .collect();
    let logins = cmds
        .iter()
        .filter(|c| c.starts_with("LOGIN") || c.starts_with("AUTHENTICATE"))
        .count();
    assert_eq!(logins, 1, "one connection per sync: {cmds:?}");
    let outbox: Vec<&String> = cmds.iter().filter(|c| c.contains("Outbox")).collect();
    assert_eq!(outbox.len(), 1, "{outbox:?}");
    assert!(outbox[0].starts_with("STATUS"), "{outbox:?}");
}
