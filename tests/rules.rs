//! The team's rules and tags against a real Dovecot: a rule acts once per new message
//! whichever agent syncs first, `stop` ends the rules, `rules test` says why, and a tag put
//! by one agent shows in another's list.

mod harness;
mod support;

use std::path::Path;

use harness::Dovecot;
use support::{fetch_flags, Tanto};

const RULES: &str = r#"
[[rule]]
name = "big customer"
from = { glob = "*@big.example" }
tag = "vip"
assign = "bob"
stop = true

[[rule]]
name = "refunds"
subject = { regex = "refund|返金" }
tag = "refund"
"#;

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
    let t = Tanto::new(server, dir, id);
    std::fs::write(dir.join("rules.toml"), rules).expect("rules file");
    let text = std::fs::read_to_string(&t.config).expect("config");
    std::fs::write(
        &t.config,
        format!("{text}\n[team]\nrules = \"rules.toml\"\n"),
    )
    .expect("config");
    t
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
    // A rule event per matching message. The keywords above decide, and are exactly once;
    // the record can come twice when Dovecot lets an identical conditional STORE through and
    // one client reads back before the other's write lands (protocol §3a): seen once in
    // six full runs, so at most a couple of doubles are tolerated here.
    let events = server.uids("support", "Tanto/Activity").len();
    assert!(
        (n..=n + 2).contains(&events),
        "{events} rule events for {n}"
    );
    // A second sync finds nothing left to do.
    alice.ok(&["sync", "--once"]);
    carol.ok(&["sync", "--once"]);
    assert_eq!(server.uids("support", "Tanto/Activity").len(), events);
    // Both agents' lists show it.
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
    }
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
fn without_compare_and_set_tags_are_refused_clearly_and_rules_write_nothing() {
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
    let out = alice.run(&["tag", &id, "urgent"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("tags cannot be stored"), "{err}");
    let flags = fetch_flags(&server, "support", "INBOX");
    assert!(!flags[0].contains("tanto-"), "{flags:?}");
}
