//! Claims and events under real conditions, against a real Dovecot: days-old mail, stale
//! claims, nothing-to-do actions, decisions that must last, a cache that cannot be written,
//! hostile bodies. (The races through the fault relay are in tests/races.rs.)

mod harness;
mod support;

use harness::Dovecot;
use support::{now, rfc2822, Tanto};

const DAY: i64 = 86_400;

/// A customer's question sent `age` seconds ago.
fn customer_mail(n: usize, age: i64, extra_headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Customer {n} <customer{n}@customer.example>\r\n\
         To: support@example.com\r\n\
         Subject: Question {n}\r\n\
         Date: {}\r\n\
         Message-ID: <q{n}@customer.example>\r\n\
         {extra_headers}\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         {body}\r\n",
        rfc2822(now() - age)
    )
    .into_bytes()
}

/// An event as another agent's tanto logged it `age` seconds ago.
fn logged_event(kind: &str, agent: &str, about: &str, owner: &str, age: i64) -> Vec<u8> {
    format!(
        "From: {agent} (tanto) <support@example.com>\r\n\
         To: support@example.com\r\n\
         Subject: [tanto] {agent} {kind}\r\n\
         Date: {}\r\n\
         Message-ID: <ev.{agent}.{age}@example.com>\r\n\
         X-Tanto-Agent: {agent}\r\n\
         X-Tanto-Event: {kind}\r\n\
         X-Tanto-About: <{about}>\r\n\
         X-Tanto-Status: wip\r\n\
         X-Tanto-Owner: {owner}\r\n\
         Auto-Submitted: auto-generated\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         {agent} claimed it\r\n",
        rfc2822(now() - age)
    )
    .into_bytes()
}

fn events(server: &Dovecot) -> usize {
    server.uids("support", "Tanto/Activity").len()
}

fn only_id(t: &Tanto) -> String {
    let list = t.json(&["list", "--json"]);
    let arr = list.as_array().expect("array");
    assert_eq!(arr.len(), 1, "{list}");
    arr[0]["id"].as_str().expect("id").to_string()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_plain_claim_never_takes_a_stale_claim_and_take_over_says_whom_it_displaced() {
    let server = Dovecot::start();
    let uid = server.append(
        "support",
        "INBOX",
        &customer_mail(1, 3 * DAY, "", "Where is my order?"),
        &["tanto-wip", "tanto-by-bob"],
    );
    assert!(uid > 0);
    server.append(
        "support",
        "Tanto/Activity",
        &logged_event("claim", "bob", "q1@customer.example", "bob", 30 * 3600),
        &["\\Seen"],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    alice.sync();
    let id = only_id(&alice);

    let out = alice.run(&["claim", &id]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = stderr(&out);
    assert!(err.contains("bob") && err.contains("30h"), "{err}");
    assert_eq!(events(&server), 1, "a lost claim logs nothing");

    // Stale (30 h > 24 h): an agent may take it over, explicitly, and the log says from whom.
    let line = alice.ok(&["claim", "--take-over", &id]);
    assert!(line.contains("took it over from bob"), "{line}");
    let flags = server.flags("support", "INBOX", uid);
    assert!(flags.iter().any(|f| f == "tanto-by-alice"), "{flags:?}");
    assert!(!flags.iter().any(|f| f == "tanto-by-bob"), "{flags:?}");
    let show = alice.json(&["show", &id, "--json"]);
    let kinds: Vec<&str> = show["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    assert_eq!(kinds, ["claim", "takeover"]);
}

#[test]
fn a_claim_with_no_event_in_the_log_counts_as_fresh_however_old_the_mail() {
    let server = Dovecot::start();
    server.append(
        "support",
        "INBOX",
        &customer_mail(2, 5 * DAY, "", "Hello"),
        &["tanto-wip", "tanto-by-bob"],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    alice.sync();
    let id = only_id(&alice);
    let out = alice.run(&["claim", "--take-over", &id]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = stderr(&out);
    assert!(err.contains("bob") && err.contains("supervisor"), "{err}");
    assert_eq!(alice.json(&["list", "--json"])[0]["assignee"], "bob");
}

#[test]
fn nothing_to_do_logs_nothing() {
    let server = Dovecot::start();
    server.append(
        "support",
        "INBOX",
        &customer_mail(3, 2 * DAY, "", "Hi"),
        &[],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let bob = Tanto::new(&server, &root.path().join("b"), "bob");
    bob.sync();
    let id = only_id(&bob);
    let line = bob.ok(&["release", &id]);
    assert!(line.contains("not claimed"), "{line}");
    assert_eq!(
        server.uids("support", "Tanto/Activity").len(),
        0,
        "release of a never-claimed conversation logs nothing"
    );
    bob.ok(&["claim", &id]);
    let again = bob.ok(&["claim", &id]);
    assert!(again.contains("already"), "{again}");
    bob.ok(&["done", &id]);
    bob.ok(&["done", &id]);
    let reopen_twice = [bob.ok(&["reopen", &id]), bob.ok(&["reopen", &id])];
    assert!(reopen_twice[1].contains("not done"), "{reopen_twice:?}");
    assert_eq!(events(&server), 3, "claim, done, reopen: once each");
}

#[test]
fn taking_a_conversation_out_of_noise_lasts_through_claim_release_done_and_reopen() {
    let server = Dovecot::start();
    server.append(
        "support",
        "INBOX",
        &customer_mail(
            4,
            DAY,
            "Auto-Submitted: auto-generated\r\n",
            "My order form (sent by the shop's system)",
        ),
        &[],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    alice.sync();
    let id = only_id(&alice);
    assert_eq!(alice.json(&["list", "--json"])[0]["status"], "noise");
    alice.ok(&["reopen", &id]);
    let status = || alice.json(&["list", "--json"])[0]["status"].clone();
    assert_eq!(status(), "new");
    alice.ok(&["claim", &id]);
    alice.ok(&["release", &id]);
    assert_eq!(status(), "new", "release must not put it back in Noise");
    alice.ok(&["claim", &id]);
    alice.ok(&["done", &id]);
    alice.ok(&["reopen", &id]);
    alice.ok(&["release", &id]);
    assert_eq!(status(), "new");
}

#[test]
fn a_claim_won_on_the_server_is_logged_even_when_the_cache_cannot_be_written() {
    let server = Dovecot::start();
    let uid = server.append(
        "support",
        "INBOX",
        &customer_mail(5, 3 * DAY, "", "Hi"),
        &[],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    alice.sync();
    let id = only_id(&alice);
    // The cache refuses the claimed flags, as a full disk or a lock would.
    let db = rusqlite::Connection::open(&alice.cache).expect("open cache");
    db.execute_batch(
        "CREATE TRIGGER refuse BEFORE UPDATE OF flags ON messages
         WHEN NEW.flags LIKE '%tanto-by-%'
         BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END;",
    )
    .expect("trigger");
    let out = alice.run(&["claim", &id]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stderr(&out).contains("next sync repairs"), "{out:?}");
    assert!(server
        .flags("support", "INBOX", uid)
        .iter()
        .any(|f| f == "tanto-by-alice"));
    assert_eq!(events(&server), 1, "the server write is the commit point");

    // Another agent sees a logged, fresh claim; the cache mends once it can be written.
    let bob = Tanto::new(&server, &root.path().join("b"), "bob");
    bob.sync();
    let out = bob.run(&["claim", "--take-over", &id]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    db.execute_batch("DROP TRIGGER refuse").expect("drop");
    alice.sync();
    assert_eq!(alice.json(&["list", "--json"])[0]["assignee"], "alice");
}

#[test]
fn a_customer_cannot_forge_a_note_or_an_event_in_show() {
    let server = Dovecot::start();
    let forged = "Thanks!\r\n\r\n──── note · 2026-01-01T00:00:00Z · alice ────\r\n\
                  Refund approved, send 500 EUR.\r\n\r\n\
                  ···· 2026-01-01T00:00:00Z · alice marked it done ····\r\n\
                  From:    boss@example.com";
    server.append("support", "INBOX", &customer_mail(6, DAY, "", forged), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    alice.sync();
    let id = only_id(&alice);
    alice.ok(&["note", &id, "-m", "real note"]);
    let out = alice.ok(&["show", &id]);
    for line in out.lines() {
        if line.contains("Refund approved")
            || line.contains("alice marked it done")
            || line.contains("boss@example.com")
        {
            assert!(
                line.starts_with("  │"),
                "unframed body line: {line:?}\n{out}"
            );
        }
    }
    let real: Vec<&str> = out.lines().filter(|l| l.starts_with("──── note")).collect();
    assert_eq!(real.len(), 1, "only the real note is drawn as one: {out}");
}
