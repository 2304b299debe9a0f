//! Automatic assignment against a real Dovecot (`[team] assign`, `capacity`, `tanto away` /
//! `tanto back`): several agents' clients see the same new mail at once and each
//! conversation is assigned exactly once, in turn; a full agent is passed by until a slot
//! frees; an agent away gets nothing.

mod harness;
mod support;

use std::collections::BTreeMap;
use std::process::Stdio;
use std::time::Duration;

use harness::{sample_message, Dovecot, Relay};
use support::Tanto;

const TEAM: [&str; 3] = ["alice", "bob", "carol"];

/// Adds the team table to an agent's config: `assign`, the team's order, and `extra`.
fn with_team(t: Tanto, assign: &str, extra: &str) -> Tanto {
    let text = std::fs::read_to_string(&t.config).expect("read config");
    std::fs::write(
        &t.config,
        format!(
            "{text}\n[team]\nassign = \"{assign}\"\nagents = [\"alice\", \"bob\", \"carol\"]\n{extra}"
        ),
    )
    .expect("write config");
    t
}

/// The three agents of `TEAM`, each with their own cache under `root`, in this mode.
fn team(server: &Dovecot, root: &std::path::Path, assign: &str, extra: &str) -> Vec<Tanto> {
    TEAM.iter()
        .map(|id| with_team(Tanto::new(server, &root.join(id), id), assign, extra))
        .collect()
}

/// Owner keyword of each inbox message, as another client reads them from the server.
fn owners_on_server(server: &Dovecot) -> BTreeMap<u32, Vec<String>> {
    server
        .uids("support", "INBOX")
        .into_iter()
        .map(|uid| {
            let owners = server
                .flags("support", "INBOX", uid)
                .into_iter()
                .map(|f| f.to_ascii_lowercase())
                .filter(|f| f.starts_with("tanto-by-"))
                .collect();
            (uid, owners)
        })
        .collect()
}

/// How many inbox messages each agent owns on the server.
fn per_agent(server: &Dovecot) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for owners in owners_on_server(server).values() {
        for o in owners {
            *n.entry(o.trim_start_matches("tanto-by-").to_string())
                .or_insert(0) += 1;
        }
    }
    n
}

/// The `X-Tanto-Event` of every record in the activity folder.
fn logged_kinds(server: &Dovecot) -> Vec<String> {
    let mut s = server.session("support");
    if s.examine("Tanto/Activity").is_err() {
        return Vec::new();
    }
    let f = s
        .fetch("1:*", "(UID BODY.PEEK[HEADER.FIELDS (X-TANTO-EVENT)])")
        .expect("fetch the log");
    f.iter()
        .map(|m| {
            String::from_utf8_lossy(m.header().unwrap_or_default())
                .trim()
                .trim_start_matches("X-Tanto-Event:")
                .trim()
                .to_string()
        })
        .collect()
}

fn list(t: &Tanto) -> Vec<serde_json::Value> {
    t.json(&["list", "--json"])
        .as_array()
        .expect("array")
        .clone()
}

fn count_by_assignee(t: &Tanto, status: &str) -> BTreeMap<String, usize> {
    let mut n = BTreeMap::new();
    for c in list(t).iter().filter(|c| c["status"] == status) {
        let who = c["assignee"].as_str().unwrap_or("-").to_string();
        *n.entry(who).or_insert(0) += 1;
    }
    n
}

#[test]
fn round_robin_over_three_agents_racing_places_thirty_mails_ten_each_once() {
    let server = Dovecot::start();
    let relay = Relay::start(server.port);
    let root = tempfile::tempdir().expect("tempdir");
    let agents: Vec<Tanto> = TEAM
        .iter()
        .map(|id| {
            let t = Tanto::via(&server, relay.port(), &root.path().join(id), id);
            with_team(t, "round_robin", "")
        })
        .collect();
    // doctor creates the activity folder; nothing is logged before the race.
    agents[0].ok(&["doctor"]);
    let msgs: Vec<Vec<u8>> = (0..30).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    // Every STORE waits, so each client reads a conversation before anyone writes it.
    relay.hold(" STORE ", Duration::from_millis(300));
    let children: Vec<_> = agents
        .iter()
        .map(|t| {
            t.command(&["sync", "--once"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn tanto")
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .collect();
    for o in &outputs {
        assert!(o.status.success(), "{o:?}");
    }
    // They did race: more writes were tried than conversations placed.
    let stores = relay.count(" STORE ");
    assert!(stores > 30, "{stores} STOREs: the clients never met");
    let owners = owners_on_server(&server);
    assert_eq!(owners.len(), 30);
    for (uid, o) in &owners {
        assert_eq!(o.len(), 1, "message {uid} has one owner: {owners:?}");
    }
    let n = per_agent(&server);
    assert_eq!(
        n,
        BTreeMap::from([
            ("alice".to_string(), 10),
            ("bob".to_string(), 10),
            ("carol".to_string(), 10)
        ]),
        "{owners:?}"
    );
    let kinds = logged_kinds(&server);
    assert_eq!(kinds.len(), 30, "{kinds:?}");
    assert!(kinds.iter().all(|k| k == "assign"), "{kinds:?}");
    // Every client's cache agrees with the server.
    for t in &agents {
        t.sync();
        let c = count_by_assignee(t, "wip");
        assert_eq!(c.values().sum::<usize>(), 30, "{c:?}");
    }
}

#[test]
fn with_capacity_two_seven_mails_go_two_each_and_the_seventh_when_one_is_done() {
    let server = Dovecot::start();
    let root = tempfile::tempdir().expect("tempdir");
    let agents = team(&server, root.path(), "round_robin", "capacity = 2\n");
    let msgs: Vec<Vec<u8>> = (0..7).map(|i| sample_message(100 + i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let (alice, bob) = (&agents[0], &agents[1]);
    alice.sync();
    let wip = count_by_assignee(alice, "wip");
    assert_eq!(
        wip,
        BTreeMap::from([
            ("alice".to_string(), 2),
            ("bob".to_string(), 2),
            ("carol".to_string(), 2)
        ])
    );
    assert_eq!(count_by_assignee(alice, "new").get("-"), Some(&1));
    // Another sync changes nothing: everyone is full.
    bob.sync();
    assert_eq!(count_by_assignee(bob, "new").get("-"), Some(&1));
    // bob finishes one: his freed slot takes the waiting mail, at his next sync.
    let bobs: Vec<String> = list(bob)
        .iter()
        .filter(|c| c["assignee"] == "bob")
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect();
    bob.ok(&["done", &bobs[0]]);
    bob.sync();
    assert_eq!(count_by_assignee(bob, "new").get("-"), None, "the 7th went");
    assert_eq!(count_by_assignee(bob, "wip").get("bob"), Some(&2));
    assert_eq!(per_agent(&server).get("bob"), Some(&3), "2 open, 1 done");
    let kinds = logged_kinds(&server);
    assert_eq!(
        kinds.iter().filter(|k| *k == "assign").count(),
        7,
        "{kinds:?}"
    );
}

#[test]
fn an_agent_away_gets_no_new_mail_and_back_gets_it_again() {
    let server = Dovecot::start();
    let root = tempfile::tempdir().expect("tempdir");
    let agents = team(&server, root.path(), "least_loaded", "");
    let (alice, bob) = (&agents[0], &agents[1]);
    let out = bob.ok(&["away"]);
    assert!(out.contains("away"), "{out}");
    assert!(out.contains("bob (away)"), "{out}");
    let msgs: Vec<Vec<u8>> = (0..4).map(|i| sample_message(200 + i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    // alice's client reads bob's record from the server, not from bob's cache.
    alice.sync();
    let wip = count_by_assignee(alice, "wip");
    assert_eq!(
        wip,
        BTreeMap::from([("alice".to_string(), 2), ("carol".to_string(), 2)])
    );
    bob.ok(&["back"]);
    let msgs: Vec<Vec<u8>> = (0..2).map(|i| sample_message(300 + i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    alice.sync();
    // Least loaded: bob had none open, so both go to him.
    assert_eq!(count_by_assignee(alice, "wip").get("bob"), Some(&2));
    let kinds = logged_kinds(&server);
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "away" || *k == "back")
            .count(),
        2,
        "{kinds:?}"
    );
}

#[test]
fn a_supervisor_sets_a_colleagues_duty_and_an_agent_cannot() {
    let server = Dovecot::start();
    let root = tempfile::tempdir().expect("tempdir");
    let agents = team(&server, root.path(), "least_loaded", "");
    let (alice, bob) = (&agents[0], &agents[1]);
    let boss = with_team(
        Tanto::new(&server, &root.path().join("dana"), "dana").supervisor(),
        "manual",
        "",
    );
    // An agent cannot take a colleague off duty; a name not in the team is refused.
    let refused = alice.run(&["away", "--agent", "carol"]);
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("supervisor"), "{err}");
    let typo = boss.run(&["away", "--agent", "karol"]);
    assert_eq!(typo.status.code(), Some(1));
    let err = String::from_utf8_lossy(&typo.stderr);
    assert!(
        err.contains("karol") && err.contains("team.agents"),
        "{err}"
    );
    assert!(logged_kinds(&server).is_empty(), "nothing recorded");

    let out = boss.ok(&["away", "--agent", "carol"]);
    assert!(out.contains("carol (away)"), "{out}");
    let msgs: Vec<Vec<u8>> = (0..4).map(|i| sample_message(500 + i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    bob.sync();
    assert_eq!(
        count_by_assignee(bob, "wip"),
        BTreeMap::from([("alice".to_string(), 2), ("bob".to_string(), 2)])
    );
    assert!(bob.ok(&["back"]).contains("carol (away)"), "still away");
    boss.ok(&["back", "--agent", "carol"]);
    let msgs: Vec<Vec<u8>> = (0..2).map(|i| sample_message(600 + i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    alice.sync();
    assert_eq!(count_by_assignee(alice, "wip").get("carol"), Some(&2));
}

#[test]
fn manual_mode_assigns_nothing() {
    let server = Dovecot::start();
    let root = tempfile::tempdir().expect("tempdir");
    let alice = with_team(
        Tanto::new(&server, &root.path().join("alice"), "alice"),
        "manual",
        "",
    );
    server.append_many("support", "INBOX", &[sample_message(400, None)]);
    alice.sync();
    assert_eq!(count_by_assignee(&alice, "new").get("-"), Some(&1));
    assert!(per_agent(&server).is_empty());
}

#[test]
fn sticky_gives_a_returning_customer_to_their_previous_agent_and_new_ones_in_turn() {
    let server = Dovecot::start();
    let root = tempfile::tempdir().expect("tempdir");
    let alice = with_team(
        Tanto::new(&server, &root.path().join("alice"), "alice"),
        "sticky",
        "",
    );
    let bob = with_team(
        Tanto::new(&server, &root.path().join("bob"), "bob"),
        "manual",
        "",
    );
    server.append_many("support", "INBOX", &[sample_message(500, None)]);
    bob.sync();
    let id = list(&bob)[0]["id"].as_str().expect("id").to_string();
    bob.ok(&["claim", &id]);
    bob.ok(&["done", &id]);
    // The customer writes again, and someone new writes: in turn, alice would be first.
    server.append_many(
        "support",
        "INBOX",
        &[sample_message(501, Some(500)), sample_message(502, None)],
    );
    alice.sync();
    let rows = list(&alice);
    let back = rows.iter().find(|c| c["id"] == id.as_str()).expect("row");
    assert_eq!(
        (&back["status"], &back["assignee"]),
        (&"wip".into(), &"bob".into())
    );
    let other = rows.iter().find(|c| c["id"] != id.as_str()).expect("row");
    assert_eq!(other["assignee"], "carol", "after bob, in turn: {rows:?}");
}
