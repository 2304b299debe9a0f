//! Round trips per action, counted by tanto itself (`TANTO_TRACE`), against the real
//! Dovecot: a regression in round trips fails here even on loopback, where they cost
//! nothing. The counts are what the design promises (docs/architecture.md, "Round trips").

mod harness;
mod support;

use harness::{sample_message, Dovecot};
use support::replying::{agent, all_ids, body_file, question};
use support::Tanto;
use tanto_app::act::Outcome;
use tanto_core::claims::Action;
use tanto_devserver::SmtpSink;

/// Runs `tanto args` with `TANTO_TRACE`: (exit code, IMAP round trips, connections).
fn traced(t: &Tanto, args: &[&str]) -> (i32, u64, u64) {
    let (code, rt, conns, _) = traced_as(t, args, "1");
    (code, rt, conns)
}

/// `traced` with `TANTO_TRACE=mode`, and what the trace printed.
fn traced_as(t: &Tanto, args: &[&str], mode: &str) -> (i32, u64, u64, String) {
    let out = t
        .command(args)
        .env("TANTO_TRACE", mode)
        .output()
        .expect("run tanto");
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    let line = err
        .lines()
        .find_map(|l| l.strip_prefix("tanto: trace: "))
        .unwrap_or_else(|| panic!("no trace line: {err}"));
    let mut n = line.split_whitespace();
    let rt = n.next().and_then(|v| v.parse().ok()).expect("round trips");
    let conns = n.nth(3).and_then(|v| v.parse().ok()).expect("connections");
    (out.status.code().unwrap_or(-1), rt, conns, err)
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
    let ids = all_ids(&alice);
    // (what, agent, command, round trips at most, connections at most): the budget of
    // docs/architecture.md "Round trips" (login with capabilities, QRESYNC and namespaces
    // pipelined 1, the inbox's QRESYNC SELECT 1, the other folders' STATUS 1 together, ...).
    let body = body_file(root.path(), "回答");
    let cases: Vec<(&str, &Tanto, Vec<&str>, u64, u64)> = vec![
        (
            "resync, nothing changed",
            &alice,
            vec!["sync", "--once"],
            2,
            1,
        ),
        ("claim won", &alice, vec!["claim", &ids[0]], 6, 1),
        ("claim lost", &bob, vec!["claim", &ids[0]], 8, 1),
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
            53,
            2,
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

/// The terminal UI keeps its sessions warm (`Ctx::keep_sessions_warm`): after the first
/// action, a claim costs the inbox's SELECT, the compare-and-set with its read-back and the
/// event's APPEND (3 round trips), and no login; a note one (the APPEND) and no login.
#[test]
fn on_a_warm_session_a_claim_costs_three_round_trips_and_no_login() {
    let mut server = Dovecot::start();
    for i in 0..4 {
        server.append("support", "INBOX", &sample_message(i, None), &[]);
    }
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    // In this process: the password from a command, not this process's environment.
    let text = std::fs::read_to_string(&alice.config)
        .expect("config")
        .replace(
            "password_env = \"TANTO_TEST_PASSWORD\"",
            "password_command = \"echo secret\"",
        );
    std::fs::write(&alice.config, text).expect("config");
    let ctx = tanto_app::Ctx::load(Some(&alice.config))
        .expect("config")
        .keep_sessions_warm();
    // The terminal UI's first sync of an empty cache: the inbox's SELECT behind the login,
    // then the other folders' STATUS with the FETCHes.
    let (rt0, conns0) = tanto_mail::imap::traffic();
    {
        let mut cache = ctx.cache().expect("cache");
        let (i, m) = ctx.mailboxes().next().expect("a mailbox");
        tanto_app::sync::sync_mailbox(&ctx, &mut cache, i, m).expect("first sync");
    }
    let (rt1, conns1) = tanto_mail::imap::traffic();
    assert_eq!(
        (rt1 - rt0, conns1 - conns0),
        (2, 1),
        "the TUI's first sync: round trips and logins"
    );
    let ids = all_ids(&alice);
    let claim = |id: &str| {
        let out = tanto_app::act::perform_or_queue(&ctx, id, &Action::Claim).expect("claim");
        assert!(matches!(out, Outcome::Won(_)), "{out:?}");
    };
    // The first action logs in (and creates the log folder).
    claim(&ids[0]);
    let (rt, conns) = tanto_mail::imap::traffic();
    claim(&ids[1]);
    let (rt2, conns2) = tanto_mail::imap::traffic();
    assert_eq!(conns2 - conns, 0, "no new login");
    assert!(rt2 - rt <= 3, "a warm claim took {} round trips", rt2 - rt);
    tanto_app::note::note(&ctx, &ids[1], "電話済み").expect("note");
    let (rt3, conns3) = tanto_mail::imap::traffic();
    assert_eq!(conns3 - conns2, 0, "no new login");
    assert!(rt3 - rt2 <= 1, "a warm note took {} round trips", rt3 - rt2);
    // The server restarts: the kept sessions are gone; the next action logs in anew.
    server.restart();
    claim(&ids[2]);
    let (_, conns4) = tanto_mail::imap::traffic();
    assert!(conns4 > conns3, "a new login after the restart");
}

/// A first sync keeps every FETCH batch in flight: its round trips do not grow with the
/// mailbox (2,500 messages are four batches; with three in flight the fourth waited for
/// the first's answer, a round trip more, and one per three batches beyond). The first
/// 20,000 UIDs are fetched behind the login, before the SELECT's answer.
#[test]
fn a_first_sync_costs_the_same_round_trips_for_two_messages_or_2500() {
    let first_sync = |n: usize| {
        let server = Dovecot::start();
        let msgs: Vec<Vec<u8>> = (0..n).map(|i| sample_message(10 + i, None)).collect();
        server.append_many("support", "INBOX", &msgs);
        let root = tempfile::tempdir().expect("tempdir");
        let t = Tanto::new(&server, root.path(), "alice");
        let (code, rt, conns, trace) = traced_as(&t, &["sync", "--once"], "commands");
        assert_eq!((code, conns), (0, 1), "{n} messages");
        // The work between the waits is in the trace too, to see where a slow link's time goes.
        for step in [
            format!("- fetched {n} messages"),
            "- command done".to_string(),
        ] {
            assert!(trace.contains(&step), "{step:?} in {trace}");
        }
        // The mail is asked for behind the login, before any answer came back.
        support::assert_fetched_behind_the_login(&trace);
        assert_eq!(
            t.json(&["list", "--json"]).as_array().map(Vec::len),
            Some(n)
        );
        // Fetched ahead of the SELECT's answer or after it, every message has its MODSEQ
        // (a claim's compare-and-set starts from it).
        let without = support::rows_without_modseq(&t.cache);
        assert_eq!(without, 0, "{n} messages: rows without a MODSEQ");
        rt
    };
    let (small, big) = (first_sync(2), first_sync(2500));
    assert_eq!(big, small, "2 messages: {small} round trips; 2,500: {big}");
    // The login with the inbox's SELECT behind it, then the other folders' STATUS with the
    // FETCHes (three before the SELECT rode behind the login).
    assert_eq!(small, 2, "a first sync's round trips");
}

/// A `sync --once` dials the server while it opens its cache and reads its password: a slow
/// password manager (here 0.6 s) and the round trips before the login (connect, TLS, the
/// greeting; here 0.4 s for the greeting alone) overlap, where the login waited for both,
/// one after the other.
#[test]
fn a_sync_reads_its_password_while_its_connection_is_made() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let relay = harness::Relay::start(server.port);
    relay.delay(std::time::Duration::from_millis(400));
    let root = tempfile::tempdir().expect("tempdir");
    let t = Tanto::via(&server, relay.port(), root.path(), "alice");
    let config = std::fs::read_to_string(&t.config).expect("config");
    let slow = config.replace(
        "password_env = \"TANTO_TEST_PASSWORD\"",
        &format!(
            "password_command = \"sleep 0.6; echo {}\"",
            harness::PASSWORD
        ),
    );
    assert_ne!(slow, config, "the config reads the password from its env");
    std::fs::write(&t.config, slow).expect("config");
    let (code, _, _, trace) = traced_as(&t, &["sync", "--once"], "commands");
    assert_eq!(code, 0, "{trace}");
    let at = |what: &str| -> u64 {
        trace
            .lines()
            .find(|l| l.contains(what))
            .and_then(|l| l.split_whitespace().nth(2))
            .and_then(|ms| ms.parse().ok())
            .unwrap_or_else(|| panic!("{what:?} in {trace}"))
    };
    let (password, login) = (at("- password read"), at("> a1 LOGIN"));
    assert!(
        login < password + 200,
        "the password was read at {password} ms, the LOGIN went at {login} ms: \
         the greeting (400 ms after the connect) was waited for after the password\n{trace}"
    );
}
