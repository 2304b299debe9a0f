//! Races made real: a relay between the agents and Dovecot holds every STORE for a second,
//! so every contender reads before anyone writes; it also cuts and garbles chosen answers.
//! The mail is days old (a backlog), so a claim's age can never be read from the mail.

mod harness;
mod support;

use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use harness::{Dovecot, Relay};
use support::{now, rfc2822, Tanto};

const DAY: i64 = 86_400;
const HOLD: Duration = Duration::from_millis(1000);

/// Customer `n`'s question, `age` seconds old; `reply_to` makes it a follow-up.
fn question(n: usize, age: i64, reply_to: Option<usize>) -> Vec<u8> {
    let (subject, links, id) = match reply_to {
        Some(r) => (
            format!("Re: Order {r}"),
            format!(
                "In-Reply-To: <o{r}@customer.example>\r\nReferences: <o{r}@customer.example>\r\n"
            ),
            format!("o{r}.again.{n}"),
        ),
        None => (format!("Order {n}"), String::new(), format!("o{n}")),
    };
    let who = reply_to.unwrap_or(n);
    format!(
        "From: Customer {who} <c{who}@customer.example>\r\nTo: support@example.com\r\n\
         Subject: {subject}\r\nDate: {}\r\nMessage-ID: <{id}@customer.example>\r\n{links}\
         Content-Type: text/plain; charset=utf-8\r\n\r\nWhere is order {who}?\r\n",
        rfc2822(now() - age)
    )
    .into_bytes()
}

struct Team {
    server: Dovecot,
    relay: Relay,
    _root: tempfile::TempDir,
    agents: Vec<(String, Tanto)>,
}

/// A server with `convs` three-day-old questions, and `n` agents (the first a supervisor)
/// reaching it through a relay, each with its own cache, synced.
fn team(convs: usize, n: usize) -> Team {
    let server = Dovecot::start();
    let relay = Relay::start(server.port);
    team_on(server, relay, convs, n)
}

/// Like `team`, on `server` reached through `relay` (a hosted profile, say).
fn team_on(server: Dovecot, relay: Relay, convs: usize, n: usize) -> Team {
    let msgs: Vec<Vec<u8>> = (0..convs).map(|i| question(i, 3 * DAY, None)).collect();
    server.append_days_old("support", "INBOX", &msgs, 3);
    let root = tempfile::tempdir().expect("tempdir");
    let agents: Vec<(String, Tanto)> = (0..n)
        .map(|i| {
            let id = if i == 0 {
                "boss".to_string()
            } else {
                format!("agent{i}")
            };
            let t = Tanto::via(&server, relay.port(), &root.path().join(&id), &id);
            let t = if i == 0 { t.supervisor() } else { t };
            t.sync();
            (id, t)
        })
        .collect();
    // doctor creates the activity folder, so that the tests can count events from zero.
    agents[0].1.ok(&["doctor"]);
    Team {
        server,
        relay,
        _root: root,
        agents,
    }
}

fn ids(t: &Tanto) -> Vec<String> {
    let mut v: Vec<String> = t
        .json(&["list", "--json"])
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect();
    v.sort();
    v
}

fn spawn(t: &Tanto, args: &[&str]) -> Child {
    t.command(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tanto")
}

fn finish(children: Vec<(String, Child)>) -> Vec<(String, Output)> {
    children
        .into_iter()
        .map(|(who, c)| (who, c.wait_with_output().expect("wait")))
        .collect()
}

fn text(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Owner keywords of every message of a folder, as another client sees them.
fn owner_keywords(server: &Dovecot, folder: &str) -> Vec<(u32, Vec<String>)> {
    server
        .uids("support", folder)
        .into_iter()
        .map(|uid| {
            let owners = server
                .flags("support", folder, uid)
                .into_iter()
                .filter(|f| f.to_ascii_lowercase().starts_with("tanto-by-"))
                .collect();
            (uid, owners)
        })
        .collect()
}

fn events(server: &Dovecot) -> usize {
    server.uids("support", "Tanto/Activity").len()
}

/// What the server holds, for a failure message: owner keywords and the log's subjects.
fn server_state(server: &Dovecot) -> String {
    let mut s = server.session("support");
    let mut out = format!("{:?}\n", owner_keywords(server, "INBOX"));
    if s.examine("Tanto/Activity").is_ok() {
        if let Ok(f) = s.fetch(
            "1:*",
            "(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT DATE X-TANTO-ABOUT)])",
        ) {
            for m in f.iter() {
                out.push_str(&format!(
                    "{:?} {}\n",
                    m.uid,
                    String::from_utf8_lossy(m.header().unwrap_or_default()).replace("\r\n", " | ")
                ));
            }
        }
    }
    out
}

#[test]
fn eight_agents_and_a_supervisor_claiming_a_backlog_at_once_end_with_one_owner_each() {
    let t = team(20, 8);
    t.relay.hold(" STORE ", HOLD);
    let convs = ids(&t.agents[0].1);
    assert_eq!(convs.len(), 20);
    // Two conversations at a time, every agent claiming both at once.
    for pair in convs.chunks(2) {
        let mut children = Vec::new();
        for id in pair {
            for (who, agent) in &t.agents {
                children.push((format!("{who} {id}"), spawn(agent, &["claim", id])));
            }
        }
        let results = finish(children);
        for id in pair {
            let mine: Vec<&(String, Output)> = results
                .iter()
                .filter(|(w, _)| w.ends_with(id.as_str()))
                .collect();
            let winners: Vec<&str> = mine
                .iter()
                .filter(|(_, o)| o.status.code() == Some(0))
                .map(|(w, _)| w.split(' ').next().unwrap_or(""))
                .collect();
            assert_eq!(
                winners.len(),
                1,
                "{id}: {:#?}\n{}",
                mine.iter()
                    .map(|(w, o)| format!("{w}: {}", text(o)))
                    .collect::<Vec<_>>(),
                server_state(&t.server)
            );
            for (who, o) in &mine {
                if o.status.code() != Some(0) {
                    assert_eq!(o.status.code(), Some(3), "{who}: {}", text(o));
                    assert!(
                        String::from_utf8_lossy(&o.stderr).contains(winners[0]),
                        "{who} is told the winner {}: {}",
                        winners[0],
                        text(o)
                    );
                }
            }
        }
    }
    for (uid, owners) in owner_keywords(&t.server, "INBOX") {
        assert_eq!(owners.len(), 1, "uid {uid}: {owners:?}");
    }
    assert_eq!(events(&t.server), 20, "one claim event per conversation");
    assert!(
        t.relay.count(" STORE ") >= 8 * 20,
        "every contender wrote: {}",
        t.relay.count(" STORE ")
    );
}

/// Runs `a` and `b` at once (both STOREs held), and checks one winner, one owner, and one
/// event per winner; returns the outputs.
fn race(t: &Team, a: (usize, &[&str]), b: (usize, &[&str])) -> Vec<(String, Output)> {
    let before = events(&t.server);
    let children = vec![
        (t.agents[a.0].0.clone(), spawn(&t.agents[a.0].1, a.1)),
        (t.agents[b.0].0.clone(), spawn(&t.agents[b.0].1, b.1)),
    ];
    let out = finish(children);
    let report: Vec<String> = out
        .iter()
        .map(|(w, o)| format!("{w}: {}", text(o)))
        .collect();
    let wins = out
        .iter()
        .filter(|(_, o)| o.status.code() == Some(0))
        .count();
    assert_eq!(wins, 1, "{report:#?}");
    for (_, o) in &out {
        assert!(matches!(o.status.code(), Some(0) | Some(3)), "{report:#?}");
    }
    assert_eq!(events(&t.server), before + 1, "{report:#?}");
    for (uid, owners) in owner_keywords(&t.server, "INBOX") {
        assert!(owners.len() <= 1, "uid {uid}: {owners:?}");
    }
    out
}

#[test]
fn done_release_and_assign_racing_a_claim_leave_one_winner() {
    let t = team(4, 3);
    t.relay.hold(" STORE ", HOLD);
    let convs = ids(&t.agents[1].1);
    // done (agent2) against a claim (agent1) on a new conversation.
    race(&t, (1, &["claim", &convs[0]]), (2, &["done", &convs[0]]));
    // assign by the supervisor against a claim.
    race(
        &t,
        (1, &["claim", &convs[1]]),
        (0, &["assign", &convs[1], "agent2"]),
    );
    // release by the holder against a take-over by the supervisor: both may happen in
    // either order, but never two owners.
    t.relay.release_holds();
    t.agents[1].1.ok(&["claim", &convs[2]]);
    t.relay.hold(" STORE ", HOLD);
    let before = events(&t.server);
    let out = finish(vec![
        (
            "agent1".into(),
            spawn(&t.agents[1].1, &["release", &convs[2]]),
        ),
        (
            "boss".into(),
            spawn(&t.agents[0].1, &["claim", "--take-over", &convs[2]]),
        ),
    ]);
    let wins = out
        .iter()
        .filter(|(_, o)| o.status.code() == Some(0))
        .count();
    assert_eq!(
        events(&t.server),
        before + wins,
        "one event per change made"
    );
    for (uid, owners) in owner_keywords(&t.server, "INBOX") {
        assert!(owners.len() <= 1, "uid {uid}: {owners:?}");
    }
}

#[test]
fn a_claim_racing_a_new_customer_message_still_ends_with_one_owner() {
    let t = team(1, 3);
    a_claim_racing_a_new_customer_message(&t, " STORE ");
    // Every message of the conversation names at most the winner.
    let winner = t.agents[1].1.json(&["list", "--json"])[0]["assignee"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    for (uid, owners) in owner_keywords(&t.server, "INBOX") {
        assert!(
            owners
                .iter()
                .all(|o| o.eq_ignore_ascii_case(&format!("tanto-by-{winner}"))),
            "uid {uid}: {owners:?}"
        );
    }
    assert_eq!(events(&t.server), 1);
}

#[test]
fn through_the_log_a_claim_racing_a_new_customer_message_still_ends_with_one_owner() {
    // Microsoft 365: no keywords, no CONDSTORE; the relay holds the log's APPENDs.
    let server = Dovecot::start();
    let relay = Relay::start_as(server.port, harness::Profile::Microsoft365);
    let t = team_on(server, relay, 1, 3);
    a_claim_racing_a_new_customer_message(&t, " APPEND ");
}

/// agent1 claims the one conversation; while its write (`held`: the command the relay holds)
/// is on its way, the customer writes again and agent2 claims after reading that: one
/// winner, the loser told who; a fresh agent and both contenders read the winner holding the
/// conversation, both messages in it.
fn a_claim_racing_a_new_customer_message(t: &Team, held: &str) {
    let conv = ids(&t.agents[1].1).remove(0);
    t.relay.hold(held, HOLD);
    let stores = t.relay.count(held);
    let first = spawn(&t.agents[1].1, &["claim", &conv]);
    // agent1 has read and is writing (held); the customer writes again now.
    let deadline = Instant::now() + Duration::from_secs(20);
    while t.relay.count(held) == stores {
        assert!(Instant::now() < deadline, "agent1 never wrote");
        std::thread::sleep(Duration::from_millis(10));
    }
    t.server
        .append("support", "INBOX", &question(1, 0, Some(0)), &[]);
    // agent2 reads after that mail arrived: for it, the new message holds the state.
    let second = spawn(&t.agents[2].1, &["claim", &conv]);
    let out = finish(vec![("agent1".into(), first), ("agent2".into(), second)]);
    let report: Vec<String> = out
        .iter()
        .map(|(w, o)| format!("{w}: {}", text(o)))
        .collect();
    let winners: Vec<&str> = out
        .iter()
        .filter(|(_, o)| o.status.code() == Some(0))
        .map(|(w, _)| w.as_str())
        .collect();
    assert_eq!(winners.len(), 1, "{report:#?}");
    let loser = out
        .iter()
        .find(|(_, o)| o.status.code() != Some(0))
        .expect("a loser");
    assert_eq!(loser.1.status.code(), Some(3), "{report:#?}");
    assert!(
        String::from_utf8_lossy(&loser.1.stderr).contains(winners[0]),
        "{report:#?}"
    );
    t.relay.release_holds();
    let fresh = Tanto::new(&t.server, &t._root.path().join("fresh"), "fresh");
    fresh.sync();
    let list = fresh.json(&["list", "--json"]);
    assert_eq!(list[0]["assignee"], winners[0], "{list}");
    assert_eq!(list[0]["messages"], 2);
    for (_, agent) in &t.agents[1..] {
        agent.sync();
        let list = agent.json(&["list", "--json"]);
        assert_eq!(list[0]["assignee"], winners[0], "{list}");
        assert_eq!(list[0]["messages"], 2);
    }
}

/// Mail without a Message-ID is keyed by where it is stored: `8.V.INBOX@tanto.invalid` is a
/// substring of `18.V.INBOX@tanto.invalid`.
fn no_id_mail(n: usize) -> Vec<u8> {
    format!(
        "From: Customer {n} <n{n}@customer.example>\r\nTo: support@example.com\r\n\
         Subject: Parcel {n}\r\nDate: {}\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nhello {n}\r\n",
        rfc2822(now() - 2 * DAY)
    )
    .into_bytes()
}

#[test]
fn a_claim_whose_answer_was_lost_is_logged_once_even_next_to_a_lookalike_id() {
    let server = Dovecot::start();
    let msgs: Vec<Vec<u8>> = (1..=18).map(no_id_mail).collect();
    let uids = server.append_many("support", "INBOX", &msgs);
    assert_eq!(uids[7], 8);
    let relay = Relay::start(server.port);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::via(&server, relay.port(), root.path(), "alice");
    alice.sync();
    let list = alice.json(&["list", "--json"]);
    let id_of = |subject: &str| {
        list.as_array()
            .expect("array")
            .iter()
            .find(|c| c["subject"] == subject)
            .map(|c| c["id"].as_str().expect("id").to_string())
            .expect("conversation")
    };
    alice.ok(&["claim", &id_of("Parcel 18")]);
    assert_eq!(events(&server), 1);
    // The STORE of the next claim is applied, but alice never hears the answer.
    relay.drop_response(" STORE ", 1);
    let out = alice.run(&["claim", &id_of("Parcel 8")]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(relay.faults_fired(), 1);
    assert_eq!(
        events(&server),
        2,
        "the retried claim is logged: {}",
        text(&out)
    );
    let show = alice.json(&["show", &id_of("Parcel 8"), "--json"]);
    let claims = show["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["event"] == "claim")
        .count();
    assert_eq!(claims, 1);
}

#[test]
fn a_garbled_fetch_response_loses_no_message() {
    let server = Dovecot::start();
    let msgs: Vec<Vec<u8>> = (0..5).map(|i| question(i, DAY, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let relay = Relay::start(server.port);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::via(&server, relay.port(), root.path(), "alice");
    relay.garble_response("BODY.PEEK[HEADER", 1);
    alice.sync();
    assert_eq!(relay.faults_fired(), 1, "{:?}", relay.commands());
    assert_eq!(ids(&alice).len(), 5);
    // And later syncs keep it.
    alice.sync();
    let fresh = Tanto::new(&server, &root.path().join("fresh"), "fresh");
    fresh.sync();
    assert_eq!(ids(&alice), ids(&fresh));
}

#[test]
fn three_agents_reopening_at_once_log_one_reopen() {
    let t = team(1, 3);
    let conv = ids(&t.agents[1].1).remove(0);
    t.agents[1].1.ok(&["claim", &conv]);
    t.agents[1].1.ok(&["done", &conv]);
    let before = events(&t.server);
    t.relay.hold(" STORE ", HOLD);
    let children = t
        .agents
        .iter()
        .map(|(who, a)| (who.clone(), spawn(a, &["reopen", &conv])))
        .collect();
    let out = finish(children);
    for (who, o) in &out {
        assert_eq!(o.status.code(), Some(0), "{who}: {}", text(o));
    }
    assert_eq!(events(&t.server), before + 1, "one reopen, logged once");
}

#[test]
fn a_note_whose_append_answer_is_lost_is_logged_once_and_reported_done() {
    let t = team(1, 2);
    let conv = ids(&t.agents[1].1).remove(0);
    let before = events(&t.server);
    // The APPEND reaches the server; its answer never reaches the agent.
    t.relay.drop_response(" APPEND ", 1);
    let out = t.agents[1].1.run(&["note", &conv, "-m", "called back"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(t.relay.faults_fired(), 1);
    assert_eq!(events(&t.server), before + 1, "{}", text(&out));
    let show = t.agents[1].1.json(&["show", &conv, "--json"]);
    assert!(support::has_note(&show, "called back"), "{show}");
}
