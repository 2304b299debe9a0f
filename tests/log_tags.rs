//! Tags and the team's rules where the server keeps no keywords of ours (Microsoft 365, as the
//! relay's hosted profile emulates it in front of the real Dovecot): `tanto tag` and `untag`
//! append records to the activity folder, and a rule's record is its decision, the first
//! of several clients' records about a message standing. Every agent, and a cache rebuilt
//! from nothing, reads the same tags, statuses and owners from the log.

mod harness;
mod support;

use std::process::Stdio;
use std::time::Duration;

use harness::{Dovecot, Profile, Relay};
use serde_json::Value;
use support::replying::question;
use support::{no_tanto_keyword_on_the_server, timeline_events, Tanto, TEAM_RULES};

/// A desk on Microsoft 365 (the relay's profile in front of Dovecot) with one question that
/// alice and bob have synced.
struct Desk {
    server: Dovecot,
    relay: Relay,
    root: tempfile::TempDir,
    alice: Tanto,
    bob: Tanto,
    /// The question's conversation.
    id: String,
}

impl Desk {
    fn start() -> Desk {
        let server = Dovecot::start();
        server.append_days_old("support", "INBOX", &[question(1, "質問です")], 3);
        let relay = Relay::start_as(server.port, Profile::Microsoft365);
        let root = tempfile::tempdir().expect("tempdir");
        let alice = Tanto::via(&server, relay.port(), &root.path().join("a"), "alice");
        let bob = Tanto::via(&server, relay.port(), &root.path().join("b"), "bob");
        alice.sync();
        bob.sync();
        let id = alice.only_id();
        Desk {
            server,
            relay,
            root,
            alice,
            bob,
            id,
        }
    }
}

/// Tags of the one conversation in `t`'s list.
fn tags(t: &Tanto) -> Value {
    t.json(&["list", "--json"])[0]["tags"].clone()
}

/// How many conversations `t`'s list shows with tag `tag`.
fn tagged(t: &Tanto, tag: &str) -> usize {
    t.json(&["list", "--json", "--tag", tag])
        .as_array()
        .map_or(0, Vec::len)
}

/// Runs `args` for every agent at the same moment; their standard outputs.
fn at_once(agents: &[&Tanto], args: &[&str]) -> Vec<String> {
    let runs: Vec<_> = agents
        .iter()
        .map(|t| {
            t.command(args)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start tanto")
        })
        .collect();
    runs.into_iter()
        .map(|r| {
            let out = r.wait_with_output().expect("tanto");
            assert!(
                out.status.success(),
                "tanto {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .collect()
}

#[test]
fn on_microsoft_365_tags_go_through_the_log_and_every_agent_and_a_rebuilt_cache_read_them() {
    let Desk {
        server,
        relay,
        root,
        alice,
        bob,
        id,
    } = Desk::start();
    // Both tag it at the same moment: one tag, and exactly one of them put it there.
    let said = at_once(&[&alice, &bob], &["tag", &id, "urgent"]);
    let added = said
        .iter()
        .filter(|s| s.contains(": tagged urgent"))
        .count();
    assert_eq!(added, 1, "{said:?}");
    assert!(alice
        .ok(&["tag", &id, "urgent"])
        .contains("already tagged urgent"));
    bob.sync();
    assert_eq!(tags(&bob), serde_json::json!(["urgent"]));
    assert_eq!(tagged(&bob, "urgent"), 1);
    assert_eq!(tagged(&bob, "other"), 0);
    assert!(bob.ok(&["list"]).contains("#urgent"));
    assert!(bob.ok(&["show", &id]).contains("Tags:     urgent"));
    // The tag outlives a claim through the log, and comes off again.
    bob.ok(&["claim", &id]);
    assert!(alice
        .ok(&["untag", &id, "urgent"])
        .contains("tag urgent removed"));
    assert!(alice
        .ok(&["untag", &id, "urgent"])
        .contains("not tagged urgent"));
    alice.ok(&["tag", &id, "vip"]);
    bob.sync();
    let list = bob.json(&["list", "--json"]);
    assert_eq!(list[0]["tags"], serde_json::json!(["vip"]));
    assert_eq!(list[0]["assignee"], "bob");
    assert_eq!(tagged(&bob, "urgent"), 0);
    // A cache rebuilt from nothing, and a newcomer's first sync, read the same from the log.
    bob.ok(&["cache", "rebuild"]);
    assert_eq!(tags(&bob), serde_json::json!(["vip"]));
    let carol = Tanto::via(&server, relay.port(), &root.path().join("c"), "carol");
    carol.sync();
    let list = carol.json(&["list", "--json"]);
    assert_eq!(list[0]["tags"], serde_json::json!(["vip"]));
    assert_eq!(list[0]["assignee"], "bob");
    let history = carol.json(&["history", "yamada1@customer.jp", "--json"]);
    assert_eq!(history[0]["tags"], serde_json::json!(["vip"]));
    let show = carol.ok(&["show", &id]);
    assert!(show.contains("alice tagged it vip"), "{show}");
    no_tanto_keyword_on_the_server(&server);
}

#[test]
fn on_microsoft_365_a_tag_does_not_make_a_stale_claim_look_fresh() {
    // The server, relay and directories stay for the whole test (bound, not dropped).
    let Desk {
        server: _server,
        relay: _relay,
        root: _root,
        alice,
        bob,
        id,
    } = Desk::start();
    bob.ok(&["claim", &id]);
    alice.ok(&["tag", &id, "urgent"]);
    // A day and more later, bob's claim is stale (stale_claim_hours = 24): the tag since
    // is no claim of his and does not count as one.
    let later = support::now() + 25 * 3600;
    let out = alice
        .command(&["claim", "--take-over", &id])
        .env("TANTO_NOW", later.to_string())
        .output()
        .expect("tanto");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    bob.sync();
    assert_eq!(bob.json(&["list", "--json"])[0]["assignee"], "alice");
}

#[test]
fn on_microsoft_365_a_rule_acts_once_when_three_agents_sync_at_once() {
    let server = Dovecot::start();
    let n = 6;
    let msgs: Vec<Vec<u8>> = (0..n)
        .map(|i| customer(i, &format!("c{i}@big.example"), "Order"))
        .chain([
            customer(98, "refund@else.example", "Refund please"),
            customer(99, "someone@else.example", "Hello"),
        ])
        .collect();
    server.append_days_old("support", "INBOX", &msgs, 1);
    let relay = Relay::start_as(server.port, Profile::Microsoft365);
    let root = tempfile::tempdir().expect("tempdir");
    let agents: Vec<Tanto> = ["alice", "bob", "carol"]
        .iter()
        .map(|a| Tanto::via(&server, relay.port(), &root.path().join(a), a).with_rules(TEAM_RULES))
        .collect();
    // Every record waits on its way to the server: each client reads the log, finds the
    // mail untouched, and writes its rule records before any of them lands.
    relay.hold(" append ", Duration::from_millis(400));
    at_once(&agents.iter().collect::<Vec<_>>(), &["sync", "--once"]);
    relay.release_holds();
    let records = server.uids("support", "Tanto/Activity").len();
    assert!(records > n, "a record per message looked at: {records}");
    // Nothing is left to do: more syncs write nothing.
    for t in &agents {
        t.ok(&["sync", "--once"]);
    }
    assert_eq!(server.uids("support", "Tanto/Activity").len(), records);
    for t in &agents {
        let list = t.json(&["list", "--json"]);
        let convs = list.as_array().expect("array");
        assert_eq!(convs.len(), n + 2);
        for c in convs {
            let id = c["id"].as_str().expect("id");
            // Each conversation's rule event, once: the rules' name and what they did.
            let ruled = |name: &str| timeline_events(t, id, &format!("rules \"{name}\""));
            let state = (&c["status"], &c["assignee"], &c["tags"]);
            match c["from"].as_str().expect("from") {
                "someone@else.example" => {
                    assert_eq!(state, (&"new".into(), &Value::Null, &serde_json::json!([])));
                    assert_eq!(timeline_events(t, id, "no rule matched"), 1);
                }
                "refund@else.example" => {
                    assert_eq!(
                        state,
                        (&"new".into(), &Value::Null, &serde_json::json!(["refund"]))
                    );
                    assert_eq!(ruled("refunds"), 1, "{c}");
                }
                _ => {
                    assert_eq!(
                        state,
                        (&"wip".into(), &"bob".into(), &serde_json::json!(["vip"]))
                    );
                    assert_eq!(ruled("big customer"), 1, "{c}");
                }
            }
        }
    }
    no_tanto_keyword_on_the_server(&server);
}

#[test]
fn on_microsoft_365_a_customer_back_after_done_goes_back_to_their_agent_when_no_rule_matches() {
    let Desk {
        server,
        relay,
        root,
        alice: _,
        bob,
        id,
    } = Desk::start();
    let alice =
        Tanto::via(&server, relay.port(), &root.path().join("a2"), "alice").with_rules(TEAM_RULES);
    alice.sync();
    bob.ok(&["claim", &id]);
    bob.ok(&["done", &id]);
    // The customer writes again: new, and bob's to come back to.
    let again = "From: <yamada1@customer.jp>\r\nTo: support@example.com\r\n\
         Subject: Re: again\r\nDate: Tue, 6 Jan 2026 10:00:00 +0900\r\n\
         Message-ID: <q1b@customer.jp>\r\nIn-Reply-To: <q1@customer.jp>\r\n\
         References: <root1@customer.jp> <q1@customer.jp>\r\n\r\nStill broken\r\n";
    server.append("support", "INBOX", again.as_bytes(), &[]);
    // Alice's tanto looks at it first: no rule matches, bob stays the one it comes back to.
    alice.sync();
    let list = alice.json(&["list", "--json"]);
    assert_eq!(list[0]["status"], "new", "{list}");
    assert_eq!(list[0]["previous_assignee"], "bob", "{list}");
    assert_eq!(timeline_events(&alice, &id, "no rule matched"), 2);
    // A tanto with the sticky assignee then gives it back to bob: the rules' record since
    // the done changed nothing and does not hide it.
    let text = std::fs::read_to_string(&bob.config).expect("config");
    std::fs::write(
        &bob.config,
        format!("{text}\n[team]\nsticky_assignee = true\n"),
    )
    .expect("config");
    bob.sync();
    alice.sync();
    for t in [&alice, &bob] {
        let list = t.json(&["list", "--json"]);
        assert_eq!(
            (&list[0]["status"], &list[0]["assignee"]),
            (&"wip".into(), &"bob".into()),
            "{list}"
        );
    }
}

/// A customer message `n` from `from` about `subject`.
fn customer(n: usize, from: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Customer <{from}>\r\nTo: support@example.com\r\nSubject: {subject} {n}\r\n\
         Date: Mon, 7 Dec 2026 09:00:00 +0000\r\nMessage-ID: <logrule{n}@customer.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello {n}\r\n"
    )
    .into_bytes()
}
