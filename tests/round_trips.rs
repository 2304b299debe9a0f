//! Round trips per action, counted by tanto itself (`TANTO_TRACE`), against the real
//! Dovecot: a regression in round trips fails here even on loopback, where they cost
//! nothing. The counts are what the design promises (docs/architecture.md, "Round trips").

mod harness;
mod support;

use harness::{sample_message, Dovecot};
use support::replying::{agent, body_file, question};
use support::Tanto;
use tanto_devserver::SmtpSink;

/// Runs `tanto args` with `TANTO_TRACE`: (exit code, IMAP round trips, connections).
fn traced(t: &Tanto, args: &[&str]) -> (i32, u64, u64) {
    let out = t
        .command(args)
        .env("TANTO_TRACE", "1")
        .output()
        .expect("run tanto");
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("tanto: trace: "))
        .unwrap_or_else(|| panic!("no trace line: {err}"));
    let mut n = line.split_whitespace();
    let rt = n.next().and_then(|v| v.parse().ok()).expect("round trips");
    let conns = n.nth(3).and_then(|v| v.parse().ok()).expect("connections");
    (out.status.code().unwrap_or(-1), rt, conns)
}

#[test]
fn round_trips_per_action() {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, "質問です"), &[]);
    server.append("support", "INBOX", &sample_message(2, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &sink, &root.path().join("a"), "alice", "");
    let bob = agent(&server, &sink, &root.path().join("b"), "bob", "");
    alice.sync();
    bob.sync();
    let ids: Vec<String> = alice
        .json(&["list", "--json"])
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect();
    // (what, agent, command, round trips at most, connections at most): the budget of
    // docs/architecture.md "Round trips" (login 1, capabilities + QRESYNC + namespaces 1,
    // the inbox's QRESYNC SELECT 1, the other folders' STATUS 1 together, ...).
    let body = body_file(root.path(), "回答");
    let cases: Vec<(&str, &Tanto, Vec<&str>, u64, u64)> = vec![
        (
            "resync, nothing changed",
            &alice,
            vec!["sync", "--once"],
            3,
            1,
        ),
        ("claim won", &alice, vec!["claim", &ids[0]], 6, 1),
        ("claim lost", &bob, vec!["claim", &ids[0]], 9, 1),
        (
            "note",
            &alice,
            vec!["note", &ids[0], "-m", "電話済み"],
            3,
            1,
        ),
        ("done", &alice, vec!["done", &ids[0]], 6, 1),
        (
            "reply",
            &alice,
            vec!["reply", &ids[1], "--body-file", &body],
            55,
            3,
        ),
    ];
    let mut report = Vec::new();
    let mut over = Vec::new();
    for (what, t, args, most, conns) in cases {
        let (code, rt, c) = traced(t, &args);
        let line = format!("{what}: {rt} round trips, {c} connections (exit {code})");
        if rt > most || c > conns {
            over.push(format!("{line}; at most {most} and {conns}"));
        }
        report.push(line);
    }
    eprintln!("{}", report.join("\n"));
    assert!(over.is_empty(), "over budget:\n{}", over.join("\n"));
}
