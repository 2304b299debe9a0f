//! Waiting and snooze against a real Dovecot: a conversation put on waiting or snoozed
//! leaves New and In progress; it comes back to New, with its agent, when the customer
//! writes, and a snooze also when its time comes (`TANTO_NOW` is the clock of the sync that
//! wakes it, whichever agent's); `auto_close_days` closes a wait nobody answered, logged.
//! Also through the log alone, on a server without CONDSTORE.

mod harness;
mod support;

use harness::{sample_message, Dovecot};
use serde_json::Value;
use support::{now, Tanto};

/// Dovecot's capabilities less CONDSTORE and QRESYNC: the log decides (`core::log`).
const NO_CONDSTORE: &str = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE \
     IDLE SORT SPECIAL-USE LITERAL+ NAMESPACE UIDPLUS MOVE";

/// The one conversation as `list --json` gives it.
fn the_conversation(t: &Tanto) -> Value {
    let list = t.json(&["list", "--json"]);
    let all = list.as_array().expect("array");
    assert_eq!(all.len(), 1, "{list}");
    all[0].clone()
}

/// (status, assignee, previous assignee) of the one conversation.
fn state(t: &Tanto) -> (String, Option<String>, Option<String>) {
    let c = the_conversation(t);
    let s = |k: &str| c[k].as_str().map(str::to_string);
    (
        s("status").expect("status"),
        s("assignee"),
        s("previous_assignee"),
    )
}

/// `sync --once` as if the clock said `at`.
fn sync_at(t: &Tanto, at: i64) {
    let out = t
        .command(&["sync", "--once"])
        .env("TANTO_NOW", at.to_string())
        .output()
        .expect("run tanto");
    assert!(out.status.success(), "{out:?}");
}

/// The kinds of the events in the conversation's timeline, in order.
fn events(t: &Tanto, id: &str) -> Vec<(String, String)> {
    t.json(&["show", id, "--json"])["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "event")
        .map(|e| {
            (
                e["event"].as_str().unwrap_or("").to_string(),
                e["subject"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn kinds(evs: &[(String, String)]) -> Vec<&str> {
    evs.iter().map(|(k, _)| k.as_str()).collect()
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

/// A server with one customer mail, and alice and bob each with their own cache.
fn two_agents(server: &Dovecot, root: &std::path::Path) -> (Tanto, Tanto, String) {
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let alice = Tanto::new(server, &root.join("alice"), "alice");
    let bob = Tanto::new(server, &root.join("bob"), "bob");
    alice.sync();
    bob.sync();
    let id = alice.only_id();
    (alice, bob, id)
}

#[test]
fn a_snooze_wakes_when_its_time_comes_back_to_its_agent_and_waking_twice_is_harmless() {
    let server = Dovecot::start();
    let root = tempfile::tempdir().expect("tempdir");
    let (alice, bob, id) = two_agents(&server, root.path());
    alice.ok(&["claim", &id]);
    let out = alice.ok(&["snooze", &id, "+2h", "-m", "call back after lunch"]);
    assert!(out.contains("snoozed"), "{out}");
    assert_eq!(state(&alice), ("waiting".into(), some("alice"), None));
    // Out of New and of alice's In progress; `list --status waiting` has it.
    assert_eq!(
        alice.json(&["list", "--status", "new", "--json"]),
        Value::Array(vec![])
    );
    assert_eq!(
        alice.json(&["list", "--mine", "--status", "wip", "--json"]),
        Value::Array(vec![])
    );
    let waiting = alice.json(&["list", "--status", "waiting", "--json"]);
    assert_eq!(waiting.as_array().map(Vec::len), Some(1), "{waiting}");
    // The reason and the wake time come with it, in list and show alike.
    let why = &waiting[0]["waiting"];
    assert_eq!(why["reason"], "call back after lunch", "{waiting}");
    let until = why["until"].as_str().expect("a snooze's wake time");
    let shown = alice.json(&["show", &id, "--json"]);
    assert_eq!(shown["waiting"]["until"], until, "{shown}");
    assert!(alice.ok(&["show", &id]).contains("call back after lunch"));

    // Bob's sync an hour later leaves it snoozed.
    let t0 = now();
    sync_at(&bob, t0 + 3600);
    assert_eq!(state(&bob).0, "waiting");
    // Past its time, bob's running tanto wakes it: new, alice's again.
    sync_at(&bob, t0 + 2 * 3600 + 60);
    assert_eq!(state(&bob), ("new".into(), None, some("alice")));
    // Alice's tanto, a moment later, finds it woken: nothing more is written.
    sync_at(&alice, t0 + 2 * 3600 + 90);
    assert_eq!(state(&alice), ("new".into(), None, some("alice")));
    let evs = events(&alice, &id);
    assert_eq!(kinds(&evs), ["claim", "snooze", "wake"], "{evs:?}");
    assert!(evs[1].1.contains("call back after lunch"), "{evs:?}");
    // The server holds it: alice's owner keyword alone, no waiting keyword.
    let uid = server.uids("support", "INBOX")[0];
    let mut flags = server.flags("support", "INBOX", uid);
    flags.retain(|f| f.starts_with("tanto-"));
    assert_eq!(flags, ["tanto-by-alice"]);
    // Waking by hand now: nothing to do.
    let out = alice.run(&["wake", &id]);
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("not waiting"),
        "{out:?}"
    );
}

#[test]
fn a_snooze_wakes_when_the_customer_writes_before_its_time() {
    let server = Dovecot::start();
    let root = tempfile::tempdir().expect("tempdir");
    let (alice, bob, id) = two_agents(&server, root.path());
    alice.ok(&["snooze", &id, "3d"]);
    bob.sync();
    assert_eq!(state(&bob), ("waiting".into(), some("alice"), None));
    server.append("support", "INBOX", &sample_message(2, Some(1)), &[]);
    bob.sync();
    assert_eq!(state(&bob), ("new".into(), None, some("alice")));
    // Nobody's sync wrote anything for it: the customer's mail did it.
    assert_eq!(kinds(&events(&bob, &id)), ["snooze"]);
}

#[test]
fn waiting_comes_back_to_the_same_agent_when_the_customer_writes() {
    let server = Dovecot::start();
    let root = tempfile::tempdir().expect("tempdir");
    let (alice, bob, id) = two_agents(&server, root.path());
    alice.ok(&["claim", &id]);
    alice.ok(&["wait", &id, "-m", "their order number"]);
    bob.sync();
    assert_eq!(state(&bob), ("waiting".into(), some("alice"), None));
    let why = &bob.json(&["list", "--json"])[0]["waiting"];
    assert_eq!(why["reason"], "their order number", "{why}");
    assert_eq!(
        why["until"],
        Value::Null,
        "waiting on the customer has no wake time"
    );
    // Bob cannot simply take it: it is alice's, waiting.
    assert_eq!(bob.run(&["claim", &id]).status.code(), Some(3));
    server.append("support", "INBOX", &sample_message(2, Some(1)), &[]);
    bob.sync();
    assert_eq!(state(&bob), ("new".into(), None, some("alice")));

    // With sticky_assignee, the sync gives it straight back to alice, in progress.
    let sticky = root.path().join("carol");
    let carol = Tanto::new(&server, &sticky, "carol");
    let config = std::fs::read_to_string(&carol.config).expect("config");
    std::fs::write(
        &carol.config,
        format!("{config}\n[team]\nsticky_assignee = true\n"),
    )
    .expect("write config");
    alice.sync();
    alice.ok(&["wait", &id, "-m", "a photo of the parcel"]);
    server.append("support", "INBOX", &sample_message(3, Some(1)), &[]);
    carol.sync();
    assert_eq!(state(&carol), ("wip".into(), some("alice"), None));
}

#[test]
fn auto_close_days_closes_a_wait_left_unanswered_and_logs_it() {
    let server = Dovecot::start();
    let root = tempfile::tempdir().expect("tempdir");
    let (alice, bob, id) = two_agents(&server, root.path());
    let config = std::fs::read_to_string(&bob.config).expect("config");
    std::fs::write(
        &bob.config,
        format!("{config}\n[team]\nauto_close_days = 3\n"),
    )
    .expect("write config");
    alice.ok(&["wait", &id, "-m", "their order number"]);
    let t0 = now();
    sync_at(&bob, t0 + 2 * 86_400);
    assert_eq!(state(&bob).0, "waiting");
    sync_at(&bob, t0 + 3 * 86_400 + 60);
    assert_eq!(state(&bob), ("done".into(), some("alice"), None));
    let evs = events(&bob, &id);
    assert_eq!(kinds(&evs), ["wait", "done"], "{evs:?}");
    assert!(evs[1].1.contains("no answer"), "{evs:?}");
    // A snooze is never auto-closed.
    server.append("support", "INBOX", &sample_message(2, Some(1)), &[]);
    alice.sync();
    alice.ok(&["snooze", &id, "30d"]);
    sync_at(&bob, t0 + 10 * 86_400);
    assert_eq!(state(&bob).0, "waiting");
}

#[test]
fn without_condstore_the_log_holds_waiting_and_a_snooze_wakes_on_time_and_on_mail() {
    let server = Dovecot::start_with(NO_CONDSTORE);
    let root = tempfile::tempdir().expect("tempdir");
    let (alice, bob, id) = two_agents(&server, root.path());
    alice.ok(&["claim", &id]);
    alice.ok(&["snooze", &id, "+1h"]);
    bob.sync();
    assert_eq!(state(&bob), ("waiting".into(), some("alice"), None));
    sync_at(&bob, now() + 2 * 3600);
    assert_eq!(state(&bob), ("new".into(), None, some("alice")));
    alice.sync();
    assert_eq!(state(&alice), ("new".into(), None, some("alice")));
    // Waiting, then the customer writes: new, alice's.
    alice.ok(&["wait", &id, "-m", "a photo"]);
    bob.sync();
    assert_eq!(state(&bob).0, "waiting");
    server.append("support", "INBOX", &sample_message(2, Some(1)), &[]);
    bob.sync();
    assert_eq!(state(&bob), ("new".into(), None, some("alice")));
}

#[test]
fn a_snooze_time_in_the_past_or_unreadable_is_refused_by_name() {
    let server = Dovecot::start();
    let root = tempfile::tempdir().expect("tempdir");
    let (alice, _bob, id) = two_agents(&server, root.path());
    for bad in ["2020-01-01", "someday"] {
        let out = alice.run(&["snooze", &id, bad]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(bad),
            "{out:?}"
        );
    }
    assert_eq!(state(&alice).0, "new");
}
