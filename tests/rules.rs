//! The team's rules and tags against a real Dovecot: a rule acts once per new message
//! whichever agent syncs first, `stop` ends the rules, `rules test` says why, and a tag put
//! by one agent shows in another's list.

mod harness;
mod support;

use std::path::Path;

use harness::Dovecot;
use support::replying::all_ids;
use support::{fetch_flags, Tanto};

const RULES: &str = support::TEAM_RULES;

/// A customer message `n` from `from` with `subject`.
fn mail(n: usize, from: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: Customer <{from}>\r\nTo: support@example.com\r\nSubject: {subject}\r\n\
         Date: Mon, 7 Dec 2026 09:00:00 +0000\r\nMessage-ID: <rule{n}@customer.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello {n}\r\n"
    )
    .into_bytes()
}

/// An agent whose config names a rules file beside it holding `rules`.
fn agent(server: &Dovecot, dir: &Path, id: &str, rules: &str) -> Tanto {
    Tanto::new(server, dir, id).with_rules(rules)
}

/// Each conversation's (subject, status, assignee, tags) in `t`'s list.
fn rows(t: &Tanto) -> Vec<(String, String, Option<String>, Vec<String>)> {
    let mut v: Vec<_> = t
        .json(&["list", "--json"])
        .as_array()
        .expect("array")
        .iter()
        .map(|c| {
            let tags = c["tags"].as_array().expect("tags");
            (
                c["subject"].as_str().expect("subject").to_string(),
                c["status"].as_str().expect("status").to_string(),
                c["assignee"].as_str().map(str::to_string),
                tags.iter()
                    .map(|t| t.as_str().expect("tag").to_string())
                    .collect(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn a_rule_that_tags_and_assigns_acts_once_when_two_agents_sync_at_once() {
    let server = Dovecot::start();
    let n = 30;
    let msgs: Vec<Vec<u8>> = (0..n)
        .map(|i| mail(i, &format!("c{i}@big.example"), &format!("Order {i}")))
        .chain([mail(99, "someone@else.example", "Hello")])
        .collect();
    server.append_many("support", "INBOX", &msgs);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &root.path().join("alice"), "alice", RULES);
    let carol = agent(&server, &root.path().join("carol"), "carol", RULES);
    // Both clients sync the new mail at the same moment.
    let runs: Vec<_> = [&alice, &carol]
        .iter()
        .map(|t| t.command(&["sync", "--once"]).spawn().expect("start sync"))
        .collect();
    for mut r in runs {
        assert!(r.wait().expect("sync").success());
    }
    // Every message is ruled once: its keywords on the server, and one rule event each.
    let flags = fetch_flags(&server, "support", "INBOX");
    assert_eq!(flags.len(), n + 1);
    for f in &flags {
        assert!(f.contains("tanto-ruled"), "{f}");
    }
    let big: Vec<&String> = flags
        .iter()
        .filter(|f| f.contains("tanto-tag-vip"))
        .collect();
    assert_eq!(big.len(), n, "{flags:?}");
    for f in &big {
        assert!(f.contains("tanto-wip") && f.contains("tanto-by-bob"), "{f}");
    }
    // A rule event per matching message on the server; a second one when Dovecot lets an
    // identical conditional STORE through and one client reads back before the other's
    // write lands (protocol §3a: seen once in six full runs). Readers count the first only.
    let events = server.uids("support", "Tanto/Activity").len();
    assert!(events >= n, "{events} rule events for {n}");
    // A second sync finds nothing left to do.
    alice.ok(&["sync", "--once"]);
    carol.ok(&["sync", "--once"]);
    assert_eq!(server.uids("support", "Tanto/Activity").len(), events);
    // Both agents' lists show it, and each timeline exactly one rule event.
    for t in [&alice, &carol] {
        let rows = rows(t);
        assert_eq!(rows.len(), n + 1);
        for (subject, status, assignee, tags) in &rows {
            if subject == "Hello" {
                assert_eq!((status.as_str(), assignee, tags.len()), ("new", &None, 0));
            } else {
                assert_eq!(status, "wip", "{subject}");
                assert_eq!(assignee.as_deref(), Some("bob"));
                assert_eq!(tags, &["vip"]);
            }
        }
        for id in all_ids(t) {
            let ruled = rule_events(t, &id);
            assert!(ruled <= 1, "{id}: {ruled} rule events");
        }
    }
    let ruled: usize = all_ids(&alice)
        .iter()
        .map(|id| rule_events(&alice, id))
        .sum();
    assert_eq!(ruled, n);
    // The timeline tells which rule did it.
    let id = alice.json(&["list", "--json", "--tag", "vip"])[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let show = alice.ok(&["show", &id]);
    assert!(
        show.contains("rules \"big customer\": assigned to bob; tags vip"),
        "{show}"
    );
    assert!(show.contains("Tags:     vip"), "{show}");
}

/// How many rule events conversation `id`'s timeline shows in `t`.
fn rule_events(t: &Tanto, id: &str) -> usize {
    support::timeline_events(t, id, "rules ")
}

#[test]
fn a_second_rule_record_about_a_message_counts_for_nothing_in_any_cache() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &mail(1, "a@big.example", "Order"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &root.path().join("alice"), "alice", RULES);
    alice.ok(&["sync", "--once"]);
    let id = alice.only_id();
    assert_eq!(rule_events(&alice, &id), 1);
    // What a second writer let through beside the first logs (protocol §3a): its own rule
    // record about the same message, after the first.
    let log = server.uids("support", "Tanto/Activity");
    assert_eq!(log.len(), 1);
    let mut s = server.session("support");
    s.examine("Tanto/Activity").expect("examine");
    let first = s
        .uid_fetch(log[0].to_string(), "BODY.PEEK[]")
        .expect("fetch");
    let raw = first.iter().next().and_then(|f| f.body()).expect("body");
    let second = String::from_utf8_lossy(raw)
        .replace("X-Tanto-Agent: alice", "X-Tanto-Agent: carol")
        .replace("Message-ID: <tanto.", "Message-ID: <second.tanto.");
    s.logout().expect("logout");
    server.append("support", "Tanto/Activity", second.as_bytes(), &["\\Seen"]);
    // The writer's cache and a cache that reads both at once count the first only.
    alice.ok(&["sync", "--once"]);
    let bob = agent(&server, &root.path().join("bob"), "bob", RULES);
    bob.ok(&["sync", "--once"]);
    for t in [&alice, &bob] {
        assert_eq!(rule_events(t, &id), 1);
        let show = t.ok(&["show", &id]);
        assert!(!show.contains("carol"), "{show}");
    }
}

#[test]
fn stop_ends_the_rules_and_a_message_someone_touched_is_left_alone() {
    let server = Dovecot::start();
    server.append_many(
        "support",
        "INBOX",
        &[
            mail(1, "a@big.example", "Refund please"),
            mail(2, "b@small.example", "Refund please"),
        ],
    );
    // Already handled by a person: the rules leave it alone.
    server.append(
        "support",
        "INBOX",
        &mail(3, "c@big.example", "Refund please"),
        &["tanto-done", "tanto-by-alice"],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &root.path().join("alice"), "alice", RULES);
    alice.ok(&["sync", "--once"]);
    let rows = rows(&alice);
    let tags: Vec<(&str, &[String])> = rows
        .iter()
        .map(|(_, st, who, tags)| (who.as_deref().unwrap_or(st.as_str()), tags.as_slice()))
        .collect();
    // The big customer's refund stops at the first rule: vip, no refund tag.
    assert!(
        tags.contains(&("bob", &["vip".to_string()][..])),
        "{rows:?}"
    );
    assert!(
        tags.contains(&("new", &["refund".to_string()][..])),
        "{rows:?}"
    );
    assert!(tags.contains(&("alice", &[][..])), "{rows:?}");
}

#[test]
fn rules_test_names_the_matching_rule_and_each_matchers_result() {
    let server = Dovecot::start();
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &root.path().join("alice"), "alice", RULES);
    let eml = root.path().join("m.eml");
    std::fs::write(&eml, mail(1, "kenji@big.example", "=?UTF-8?B?6L+U6YeR?=")).expect("eml");
    let out = alice.ok(&["rules", "test", &eml.to_string_lossy()]);
    assert!(out.contains("rule 1 \"big customer\": matches"), "{out}");
    assert!(
        out.contains("yes  from glob \"*@big.example\": \"kenji@big.example\""),
        "{out}"
    );
    assert!(
        out.contains("not looked at (an earlier rule said stop)"),
        "{out}"
    );
    assert!(out.contains("does: assign to bob, tag vip, stop"), "{out}");
    let json = alice.json(&["rules", "test", "--json", &eml.to_string_lossy()]);
    assert_eq!(json["matched"], serde_json::json!(["big customer"]));
    assert_eq!(json["rules"][1]["skipped"], true);
    // Without the stop, the decoded Japanese subject matches the second rule's regex.
    std::fs::write(
        root.path().join("alice/rules.toml"),
        RULES.replace("stop = true", ""),
    )
    .expect("rules");
    let json = alice.json(&["rules", "test", "--json", &eml.to_string_lossy()]);
    assert_eq!(json["rules"][1]["checks"][0]["value"], "返金");
    assert_eq!(
        json["actions"]["tags"],
        serde_json::json!(["vip", "refund"])
    );
    // A bad rules file is a config error naming the rule, the key and the fix.
    std::fs::write(
        root.path().join("alice/rules.toml"),
        "[[rule]]\nname = \"x\"\nsubject = { regex = \"(\" }\ntag = \"t\"\n",
    )
    .expect("rules");
    let bad = alice.run(&["rules", "test", &eml.to_string_lossy()]);
    let err = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(1), "{err}");
    assert!(
        err.contains("rule[1] \"x\".subject") && err.contains("fix:"),
        "{err}"
    );
}

#[test]
fn a_tag_put_by_one_agent_shows_in_anothers_list_and_comes_off_again() {
    let server = Dovecot::start();
    server.append(
        "support",
        "INBOX",
        &mail(1, "a@small.example", "Question"),
        &[],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("alice"), "alice");
    let bob = Tanto::new(&server, &root.path().join("bob"), "bob");
    alice.sync();
    let id = alice.only_id();
    let out = alice.ok(&["tag", &id, "urgent"]);
    assert!(out.contains("tagged urgent"), "{out}");
    assert!(alice.ok(&["tag", &id, "urgent"]).contains("already tagged"));
    bob.sync();
    let list = bob.json(&["list", "--json"]);
    assert_eq!(list[0]["tags"], serde_json::json!(["urgent"]));
    assert_eq!(
        bob.json(&["list", "--json", "--tag", "urgent"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    assert_eq!(
        bob.json(&["list", "--json", "--tag", "other"])
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    assert!(bob.ok(&["list"]).contains("#urgent"));
    // The tag outlives a claim (the claim keeps every other flag).
    bob.ok(&["claim", &id]);
    alice.ok(&["untag", &id, "urgent"]);
    bob.sync();
    let list = bob.json(&["list", "--json"]);
    assert_eq!(list[0]["tags"], serde_json::json!([]));
    assert_eq!(list[0]["assignee"], "bob");
    let bad = alice.run(&["tag", &id, "Not A Tag"]);
    assert_eq!(bad.status.code(), Some(1));
}

/// Dovecot's capabilities less CONDSTORE and QRESYNC (a Courier-like server).
const NO_CONDSTORE: &str = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE \
     IDLE SORT SPECIAL-USE LITERAL+ NAMESPACE UIDPLUS MOVE";

#[test]
fn without_compare_and_set_tags_and_rules_go_through_the_log() {
    let server = Dovecot::start_with(NO_CONDSTORE);
    server.append(
        "support",
        "INBOX",
        &mail(1, "a@big.example", "Question"),
        &[],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &root.path().join("alice"), "alice", RULES);
    alice.sync();
    let id = alice.only_id();
    let out = alice.ok(&["tag", &id, "urgent"]);
    assert!(out.contains("tagged urgent"), "{out}");
    let rows = rows(&alice);
    assert_eq!(
        rows[0].1.as_str(),
        "wip",
        "the rule assigned it through the log: {rows:?}"
    );
    assert_eq!(rows[0].2.as_deref(), Some("bob"));
    assert_eq!(rows[0].3, ["urgent", "vip"]);
    // No compare-and-set on keywords: none is written, the log holds it all.
    let flags = fetch_flags(&server, "support", "INBOX");
    assert!(!flags[0].contains("tanto-"), "{flags:?}");
}
