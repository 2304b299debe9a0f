//! Exactly once, owner only, on every deferred path: a queued, scheduled, approved or
//! retried reply is decided at the moment it goes out, against the server's state (the real
//! Dovecot and the real SMTP sink).

mod harness;
mod support;

use std::time::{Duration, Instant};

use harness::{Dovecot, SmtpSink};
use serde_json::Value;
use support::replying::*;
use support::Tanto;

/// The outbox as `tanto outbox --json` lists it.
fn outbox(t: &Tanto) -> Vec<Value> {
    t.json(&["outbox", "--json"])
        .as_array()
        .expect("outbox array")
        .clone()
}

/// The customer writes again in conversation `n` (a follow-up to their question).
fn follow_up(server: &Dovecot, n: usize, body: &str) {
    let raw = format!(
        "From: yamada{n}@customer.jp\r\n\
         To: support@example.com\r\n\
         Subject: Re: follow-up {n}\r\n\
         Date: Mon, 5 Jan 2026 11:00:00 +0900\r\n\
         Message-ID: <f{n}@customer.jp>\r\n\
         In-Reply-To: <q{n}@customer.jp>\r\n\
         References: <root{n}@customer.jp> <q{n}@customer.jp>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         {body}\r\n"
    );
    server.append("support", "INBOX", raw.as_bytes(), &[]);
}

fn assert_nothing_more_sent(sink: &SmtpSink, want: usize) {
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(sink.received().len(), want, "mail the sink received");
}

/// A desk with a supervisor `boss` and agent `bob` beside alice (each with a cache of their own).
fn team(desk: &Desk) -> (Tanto, Tanto) {
    let root = desk.root.path();
    let boss = agent(&desk.server, &desk.sink, &root.join("boss"), "boss", "").supervisor();
    let bob = agent(&desk.server, &desk.sink, &root.join("bob"), "bob", "");
    boss.sync();
    bob.sync();
    (boss, bob)
}

#[test]
fn a_reply_queued_while_smtp_is_down_is_held_once_a_supervisor_took_over_and_replied() {
    let mut desk = desk();
    let (boss, _bob) = team(&desk);
    desk.sink.stop();
    let out = desk.alice.ok(&[
        "reply",
        &desk.id,
        "--body-file",
        &body_file(desk.root.path(), "alice の古い回答"),
    ]);
    assert!(out.contains("queued"), "{out}");
    desk.sink.restart();
    boss.ok(&["claim", "--take-over", &desk.id]);
    // The supervisor's own reply goes out; its outbox pass must not send alice's.
    let (code, out, err) = reply_with(&boss, &desk.id, desk.root.path(), "boss の回答");
    assert_eq!(code, 0, "{out}{err}");
    let got = desk.sink.wait_for(1, Duration::from_secs(30));
    assert_eq!(got[0].header("X-Tanto-Agent").as_deref(), Some("boss"));
    // Every later pass leaves it alone too.
    desk.alice.sync();
    assert_nothing_more_sent(&desk.sink, 1);
    let items = outbox(&desk.alice);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["standing"], "held");
    let reason = items[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("boss"), "{reason}");
    let text = desk.alice.ok(&["outbox"]);
    assert!(text.contains("held") && text.contains("boss"), "{text}");
}

#[test]
fn a_scheduled_reply_is_held_when_the_conversation_changed_hands_and_a_teammate_s_sync_is_due_to_send_it(
) {
    let desk = desk();
    let (boss, bob) = team(&desk);
    let out = desk.alice.ok(&[
        "reply",
        &desk.id,
        "--at",
        "+3s",
        "--body-file",
        &body_file(desk.root.path(), "後で送る回答"),
    ]);
    assert!(out.contains("scheduled") || out.contains("waits"), "{out}");
    boss.ok(&["claim", "--take-over", &desk.id]);
    std::thread::sleep(Duration::from_secs(4));
    let _ = run_code(&bob, &["sync", "--once"]);
    assert_nothing_more_sent(&desk.sink, 0);
    let items = outbox(&bob);
    assert_eq!(items[0]["standing"], "held", "{items:?}");
}

#[test]
fn a_scheduled_reply_sent_by_a_teammate_s_sync_marks_the_conversation_done() {
    let desk = desk();
    let (_boss, bob) = team(&desk);
    desk.alice.ok(&[
        "reply",
        &desk.id,
        "--at",
        "+3s",
        "--body-file",
        &body_file(desk.root.path(), "後で送る回答"),
    ]);
    std::thread::sleep(Duration::from_secs(4));
    let _ = run_code(&bob, &["sync", "--once"]);
    let got = desk.sink.wait_for(1, Duration::from_secs(30));
    assert_eq!(got.len(), 1);
    // alice held it and her reply went out: done, though bob's tanto sent it.
    desk.alice.sync();
    assert_eq!(status(&desk.alice, &desk.id), "done");
    assert!(outbox(&desk.alice).is_empty());
}

#[test]
fn a_queued_reply_is_held_when_the_customer_wrote_again_and_the_follow_up_stays_new() {
    let mut desk = desk();
    desk.sink.stop();
    desk.alice.ok(&[
        "reply",
        &desk.id,
        "--body-file",
        &body_file(desk.root.path(), "二件とも発送します"),
    ]);
    follow_up(&desk.server, 1, "二件目の注文はキャンセルしてください！");
    desk.sink.restart();
    let _ = run_code(&desk.alice, &["sync", "--once"]);
    assert_nothing_more_sent(&desk.sink, 0);
    let items = outbox(&desk.alice);
    assert_eq!(items[0]["standing"], "held", "{items:?}");
    let reason = items[0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("customer"), "{reason}");
    assert_eq!(status(&desk.alice, &desk.id), "new");
}

#[test]
fn a_follow_up_that_arrives_after_the_send_keeps_the_conversation_new() {
    // SMTP took the reply and Sent has it; the process died before its bookkeeping.
    let desk = desk();
    reply_dies_at(&desk, "after-sent", "お答えします");
    // The customer writes again before anyone finishes the bookkeeping.
    follow_up(&desk.server, 1, "もう一つ質問があります");
    let _ = run_code(&desk.alice, &["sync", "--once"]);
    assert!(outbox(&desk.alice).is_empty(), "the bookkeeping finished");
    assert_eq!(desk.sink.received().len(), 1);
    // Done marks only the message the reply answered: the follow-up keeps it new.
    assert_eq!(status(&desk.alice, &desk.id), "new");
}

#[test]
fn approve_sends_the_version_the_supervisor_names_and_refuses_to_guess() {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, "質問です"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let team = "\n[team]\napproval = [\"newbie\"]\n";
    let newbie = agent(&server, &sink, &root.path().join("n"), "newbie", team);
    let boss = agent(&server, &sink, &root.path().join("s"), "boss", team).supervisor();
    newbie.sync();
    let id = only_id(&newbie);
    for text in ["version one", "version two"] {
        let out = newbie.ok(&["reply", &id, "--body-file", &body_file(root.path(), text)]);
        assert!(out.contains("approval"), "{out}");
    }
    boss.sync();
    let (code, _, err) = run_code(&boss, &["approve", &id]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--reply"), "{err}");
    assert_nothing_more_sent(&sink, 0);
    let items = outbox(&boss);
    assert_eq!(
        items.iter().map(|i| i["reply"].clone()).collect::<Vec<_>>(),
        [Value::from(1), Value::from(2)]
    );
    let (code, out, err) = run_code(&boss, &["approve", &id, "--reply", "2"]);
    assert_eq!(code, 0, "{out}{err}");
    let got = sink.wait_for(1, Duration::from_secs(30));
    let body = parsed(&got[0])
        .body_text(0)
        .map(|b| b.into_owned())
        .unwrap_or_default();
    assert!(body.contains("version two"), "{body}");
}

#[test]
fn a_permanent_smtp_refusal_holds_the_reply_with_the_server_s_words_and_is_not_retried() {
    let desk = desk();
    desk.sink.refuse("yamada1@customer.jp");
    let (code, out, err) = reply_with(&desk.alice, &desk.id, desk.root.path(), "回答");
    assert_eq!(code, 1, "a person must look: {out}{err}");
    let said = format!("{out}{err}");
    assert!(said.contains("550"), "{said}");
    assert!(said.contains("NOT sent"), "{said}");
    let items = outbox(&desk.alice);
    assert_eq!(items[0]["standing"], "held", "{items:?}");
    assert!(
        items[0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("550"),
        "{items:?}"
    );
    // No sync tries it again.
    let _ = run_code(&desk.alice, &["sync", "--once"]);
    assert_nothing_more_sent(&desk.sink, 0);
    assert_eq!(outbox(&desk.alice)[0]["standing"], "held");
}

#[test]
fn a_sync_lease_left_by_a_killed_process_is_taken_at_once() {
    let desk = desk();
    // A holder on this host whose process is gone (no pid is above Linux's pid_max).
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
    let db = rusqlite::Connection::open(&desk.alice.cache).expect("open the cache");
    db.execute(
        "INSERT OR REPLACE INTO leases (name, holder, expires) VALUES ('sync:support', ?1, ?2)",
        rusqlite::params![format!("{}/4194304/1", host.trim()), support::now() + 600],
    )
    .expect("plant the lease");
    drop(db);
    let started = Instant::now();
    let (code, out, err) = run_code(&desk.alice, &["sync", "--once"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "sync waited {:?} for a dead holder",
        started.elapsed()
    );
}

/// Alice, connecting through a relay in front of the desk's server, with the desk's SMTP sink.
fn alice_via_relay(desk: &Desk, relay: &harness::Relay) -> Tanto {
    let alice = Tanto::via(
        &desk.server,
        relay.port(),
        &desk.root.path().join("relayed"),
        "alice",
    );
    let text = std::fs::read_to_string(&alice.config).expect("read config");
    std::fs::write(&alice.config, format!("{text}{}", desk.sink.config_toml()))
        .expect("write config");
    alice.sync();
    alice
}

#[test]
fn an_outbox_append_whose_answer_is_lost_is_found_not_added_again() {
    let desk = desk();
    let relay = harness::Relay::start(desk.server.port);
    let alice = alice_via_relay(&desk, &relay);
    // The APPEND into the outbox reaches the server; its answer never reaches tanto.
    relay.drop_response(" APPEND \"Tanto/Outbox\"", 1);
    let (code, out, err) = reply_with(&alice, &desk.id, desk.root.path(), "一度だけ届く回答");
    let commands = relay.commands();
    assert_eq!(relay.faults_fired(), 1, "{commands:?}");
    assert_eq!(code, 0, "{out}{err}{commands:#?}");
    let got = desk.sink.wait_for(1, Duration::from_secs(30));
    // Running the same reply again (what a user does after an error) adds nothing either.
    let (code, out, err) = reply_with(&alice, &desk.id, desk.root.path(), "一度だけ届く回答");
    assert_eq!(code, 0, "{out}{err}");
    assert_nothing_more_sent(&desk.sink, got.len());
    assert_eq!(got.len(), 1);
    assert!(desk.server.uids("support", "Tanto/Outbox").is_empty());
    assert_eq!(desk.server.uids("support", "Sent").len(), 1);
}

#[test]
fn a_reply_run_again_after_it_died_before_sending_sends_one_copy() {
    // Killed right after the outbox APPEND: the user runs the same command again.
    let desk = desk();
    let body = body_file(desk.root.path(), "お答えします");
    let out = desk
        .alice
        .command(&["reply", &desk.id, "--body-file", &body])
        .env("TANTO_TEST_CRASH_AT", "after-outbox")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let (code, out, err) = run_code(&desk.alice, &["reply", &desk.id, "--body-file", &body]);
    assert_eq!(code, 0, "{out}{err}");
    let _ = run_code(&desk.alice, &["sync", "--once"]);
    assert_nothing_more_sent(&desk.sink, 1);
    assert!(desk.server.uids("support", "Tanto/Outbox").is_empty());
}

#[test]
fn the_same_agent_on_another_host_leaves_a_live_send_alone_and_its_own_host_settles_it() {
    // alice's send on this host stopped after winning the outbox message (before SMTP).
    let desk = desk();
    reply_dies_at(&desk, "before-check", "回答");
    assert_eq!(outbox(&desk.alice)[0]["standing"], "sending");
    // alice also works on a second jump host (a cache of its own there).
    let elsewhere = agent(
        &desk.server,
        &desk.sink,
        &desk.root.path().join("host-b"),
        "alice",
        "",
    );
    let out = elsewhere
        .command(&["sync", "--once"])
        .env("TANTO_TEST_HOST", "jump-b")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        outbox(&desk.alice)[0]["standing"],
        "sending",
        "another host must not call this host's send uncertain"
    );
    // Back on its own host, with no live sender there: it cannot know, so a person decides.
    let _ = run_code(&desk.alice, &["sync", "--once"]);
    assert_eq!(outbox(&desk.alice)[0]["standing"], "uncertain");
    assert_nothing_more_sent(&desk.sink, 0);
}

#[test]
fn a_send_nobody_finished_is_settled_by_anyone_once_stale_and_can_then_be_dropped() {
    let mut desk = desk();
    let (boss, bob) = team(&desk);
    desk.sink.stop();
    desk.alice.ok(&[
        "reply",
        &desk.id,
        "--body-file",
        &body_file(desk.root.path(), "回答"),
    ]);
    // carol's tanto on another host won it an hour ago and was never seen again.
    let uid = desk.server.uids("support", "Tanto/Outbox")[0];
    let mut s = desk.server.session("support");
    s.select("Tanto/Outbox").expect("select");
    let since = (support::now() - 3600) / 60;
    s.uid_store(
        uid.to_string(),
        format!("+FLAGS (tanto-sending tanto-by-carol tanto-host-deadbeef tanto-since-{since})"),
    )
    .expect("store");
    let _ = s.logout();
    let (code, _, err) = run_code(&boss, &["outbox", "drop", &desk.id]);
    assert_ne!(code, 0, "a send in flight is not dropped: {err}");
    desk.sink.restart();
    let _ = run_code(&bob, &["sync", "--once"]);
    assert_eq!(outbox(&bob)[0]["standing"], "uncertain");
    assert_nothing_more_sent(&desk.sink, 0);
    let (code, out, err) = run_code(&boss, &["outbox", "drop", &desk.id]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(outbox(&bob).is_empty());
}

#[test]
fn a_reply_killed_after_smtp_took_it_is_finished_by_the_next_sync_not_called_uncertain() {
    let desk = crash_then_restart("after-journal");
    assert!(outbox(&desk.alice).is_empty(), "{:?}", outbox(&desk.alice));
    assert_eq!(desk.sink.received().len(), 1);
    assert_eq!(desk.server.uids("support", "Sent").len(), 1);
    assert_eq!(status(&desk.alice, &desk.id), "done");
}

/// Starts alice's `tanto reply` on the desk's conversation in the background (`body` as
/// what she wrote, in a file of her own), its output piped for `wait_with_output`.
fn reply_in_background(alice: &Tanto, id: &str, body: &str) -> std::process::Child {
    let dir = alice.dir.join("background");
    std::fs::create_dir_all(&dir).expect("create the body's dir");
    alice
        .command(&["reply", id, "--body-file", &body_file(&dir, body)])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start tanto reply")
}

#[test]
fn a_send_waiting_for_a_slow_250_is_left_alone_by_the_team_and_delivered_once() {
    // The SMTP server takes the mail at once but answers the end of DATA 8 s later (a slow
    // content filter): a slow server, not a broken one. tanto's SMTP timeout
    // (crates/tanto-mail/src/send/mod.rs, 60 s) is far longer, so the send must simply succeed.
    let desk = desk();
    let (boss, bob) = team(&desk);
    let delay = Duration::from_secs(8);
    desk.sink.slow_data(delay);
    let started = Instant::now();
    let mut reply = reply_in_background(&desk.alice, &desk.id, "ゆっくり届く回答");
    // The sink has the mail: from now on alice's send waits for its 250.
    desk.sink.wait_for(1, Duration::from_secs(30));
    let mut said = Vec::new();
    // bob's sync sees alice's mark on the outbox copy: a live send of someone else's.
    let (code, out, err) = run_code(&bob, &["sync", "--once"]);
    assert_eq!(code, 0, "bob's sync: {out}{err}");
    said.push(format!("bob's sync: {out}{err}"));
    // bob tries to answer too: alice holds the conversation until her reply is done.
    let (code, out, err) = reply_with(&bob, &desk.id, &bob.dir, "bob の回答");
    assert_eq!(code, 3, "alice holds it (exit 3, a lost race): {out}{err}");
    assert!(err.contains("alice"), "the refusal names the holder: {err}");
    said.push(format!("bob's reply: {out}{err}"));
    // alice's own sync on this host (a second terminal) sees her live send's lease.
    let (code, out, err) = run_code(&desk.alice, &["sync", "--once"]);
    assert_eq!(code, 0, "alice's sync: {out}{err}");
    said.push(format!("alice's sync: {out}{err}"));
    let items = outbox(&boss);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["standing"], "sending", "{items:?}");
    assert_eq!(items[0]["by"], "alice", "{items:?}");
    // All of that happened while the 250 was still to come, else the test proves nothing.
    assert!(
        reply.try_wait().expect("poll tanto reply").is_none(),
        "alice's reply ended {:?} after it started, before the team was done: the machine \
         is too slow for this test's {delay:?}",
        started.elapsed()
    );
    let out = reply.wait_with_output().expect("wait for tanto reply");
    let took = started.elapsed();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("reply sent"), "{stdout}{stderr}");
    assert!(
        took >= delay,
        "the reply ended after {took:?}, before the 250"
    );
    said.push(format!("alice's reply: {stdout}{stderr}"));
    for s in &said {
        assert!(
            !s.contains("uncertain"),
            "nobody calls a live send uncertain: {s}"
        );
    }
    assert_nothing_more_sent(&desk.sink, 1);
    assert_eq!(desk.server.uids("support", "Sent").len(), 1);
    assert!(outbox(&boss).is_empty(), "{:?}", outbox(&boss));
    bob.sync();
    assert_eq!(status(&bob, &desk.id), "done");
    assert_eq!(status(&desk.alice, &desk.id), "done");
}

/// The plain `tanto reply` path (no queue left behind, no crash) with the relay holding the
/// reply's command `held` (one the reply sends after SMTP took the mail) while the customer
/// writes again; then alice's sync. Returns the desk, the relay (keep it: alice connects
/// through it) and alice.
fn follow_up_while_held(held: &str) -> (Desk, harness::Relay, Tanto) {
    let desk = desk();
    let relay = harness::Relay::start(desk.server.port);
    let alice = alice_via_relay(&desk, &relay);
    relay.hold(held, Duration::from_secs(3));
    let started = Instant::now();
    let mut reply = reply_in_background(&alice, &desk.id, "一件目は発送済みです");
    let deadline = Instant::now() + Duration::from_secs(60);
    while relay.count(held) == 0 {
        assert!(
            reply.try_wait().expect("poll tanto reply").is_none(),
            "the reply ended without sending {held:?}: {:#?}",
            relay.commands()
        );
        assert!(Instant::now() < deadline, "{:#?}", relay.commands());
        std::thread::sleep(Duration::from_millis(20));
    }
    // The send check is behind us: SMTP took the reply.
    assert_eq!(desk.sink.received().len(), 1);
    follow_up(&desk.server, 1, "二件目の注文はキャンセルしてください！");
    assert!(
        reply.try_wait().expect("poll tanto reply").is_none(),
        "the follow-up came {:?} after the start, after the reply ended: the hold was too short",
        started.elapsed()
    );
    let out = reply.wait_with_output().expect("wait for tanto reply");
    relay.release_holds();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("reply sent"), "{said}");
    let _ = run_code(&alice, &["sync", "--once"]);
    (desk, relay, alice)
}

/// What users get after `follow_up_while_held`: one mail, nothing left in the outbox, done
/// on the answered message only, so the conversation is new for alice and her teammates.
fn assert_the_follow_up_stays_new(desk: &Desk, alice: &Tanto) {
    assert!(outbox(alice).is_empty(), "the bookkeeping finished");
    assert_nothing_more_sent(&desk.sink, 1);
    assert_eq!(desk.server.uids("support", "Sent").len(), 1);
    let flags = support::fetch_flags(&desk.server, "support", "INBOX");
    assert_eq!(flags.len(), 2, "{flags:?}");
    assert!(flags[0].contains("\\Answered"), "{flags:?}");
    assert!(!flags[1].contains("tanto-done"), "{flags:?}");
    assert_eq!(status(alice, &desk.id), "new", "{flags:?}");
    let (_boss, bob) = team(desk);
    assert_eq!(status(&bob, &desk.id), "new");
}

#[test]
fn a_follow_up_that_arrives_while_a_direct_send_goes_into_sent_keeps_the_conversation_new() {
    // After SMTP and before the bookkeeping: the bookkeeping's own sync sees the follow-up.
    let (desk, _relay, alice) = follow_up_while_held(" APPEND \"Sent\"");
    assert_the_follow_up_stays_new(&desk, &alice);
}

#[test]
fn a_follow_up_that_arrives_just_before_a_direct_send_s_done_mark_keeps_the_conversation_new() {
    // Later still: the bookkeeping synced before the follow-up came, and its done mark (a
    // STORE of tanto-done) is on its way to the server.
    let (desk, _relay, alice) = follow_up_while_held("tanto-done");
    // The done mark went out, onto the message the reply answered.
    let flags = support::fetch_flags(&desk.server, "support", "INBOX");
    assert!(flags[0].contains("tanto-done"), "{flags:?}");
    assert_the_follow_up_stays_new(&desk, &alice);
}

#[test]
fn an_approved_reply_sent_after_an_smtp_outage_marks_the_conversation_done() {
    let server = Dovecot::start();
    let mut sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, "質問です"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let team = "\n[team]\napproval = [\"newbie\"]\n";
    let newbie = agent(&server, &sink, &root.path().join("n"), "newbie", team);
    let boss = agent(&server, &sink, &root.path().join("s"), "boss", team).supervisor();
    newbie.sync();
    let id = only_id(&newbie);
    let out = newbie.ok(&[
        "reply",
        &id,
        "--body-file",
        &body_file(root.path(), "承知しました"),
    ]);
    assert!(out.contains("approval"), "{out}");
    boss.sync();
    sink.stop();
    let (code, out, err) = run_code(&boss, &["approve", &id]);
    assert_eq!(code, 0, "approved, queued until SMTP is back: {out}{err}");
    assert!(sink.received().is_empty());
    sink.restart();
    // Any agent's sync sends it once SMTP is back; the author's done follows.
    let _ = run_code(&newbie, &["sync", "--once"]);
    assert_eq!(sink.wait_for(1, Duration::from_secs(30)).len(), 1);
    assert!(outbox(&boss).is_empty());
    boss.sync();
    assert_eq!(status(&boss, &id), "done");
    assert_eq!(status(&newbie, &id), "done");
}
