//! Team coordination against a real Dovecot: races, live updates, restarts, roles.

mod harness;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use harness::{sample_message, Dovecot};
use support::race::{claim_all, keyword_owners, one_winner_each};
use support::Tanto;
use tanto_app::act::{perform, Outcome};
use tanto_app::Ctx;
use tanto_core::claims::Action;

/// An agent used through the library, with its own cache and connections.
fn agent_ctx(server: &Dovecot, dir: &Path, id: &str, role: &str) -> Ctx {
    Ctx::load(Some(&server.agent_config(dir, id, role, ""))).expect("load config")
}

fn ids(t: &Tanto) -> Vec<String> {
    t.json(&["list", "--json"])
        .as_array()
        .expect("array")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

fn activity_count(server: &Dovecot) -> usize {
    server.uids("support", "Tanto/Activity").len()
}

#[test]
fn eight_agents_racing_for_200_conversations_each_end_with_exactly_one_owner() {
    let server = Dovecot::start();
    let msgs: Vec<Vec<u8>> = (0..200).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let root = tempfile::tempdir().expect("tempdir");
    let agents: Vec<(String, Ctx)> = (0..8)
        .map(|n| {
            let id = format!("agent{n}");
            let ctx = agent_ctx(&server, &root.path().join(&id), &id, "agent");
            (id, ctx)
        })
        .collect();
    let first = Tanto::new(&server, &root.path().join("agent0"), "agent0");
    first.sync();
    let conv_ids = ids(&first);
    assert_eq!(conv_ids.len(), 200);
    for (_, ctx) in &agents[1..] {
        let mut cache = ctx.cache().expect("cache");
        let (i, m) = ctx.mailboxes().next().expect("mailbox");
        tanto_app::sync::sync_mailbox(ctx, &mut cache, i, m).expect("sync");
    }

    // Every agent goes through the list from a different place.
    let results = claim_all(&agents, &conv_ids, |n, ids| {
        let mut order: Vec<&String> = ids.iter().collect();
        order.rotate_left(n * 25);
        order
    });
    let owner = one_winner_each(&agents, &results);
    assert_eq!(owner.len(), 200, "every conversation has a winner");
    let wins: usize = results
        .iter()
        .map(|r| {
            r.iter()
                .filter(|(_, a)| matches!(a, Outcome::Won(_)))
                .count()
        })
        .sum();
    assert_eq!(wins, 200);
    // The server agrees: one owner keyword per message, one claim event per conversation.
    assert_eq!(keyword_owners(&server, "support", "INBOX").len(), 200);
    assert_eq!(activity_count(&server), 200);
    // And a CLI loser gets exit 3 naming the winner.
    let (id, winner) = owner.iter().next().expect("one");
    let loser = if winner == "agent0" {
        "agent1"
    } else {
        "agent0"
    };
    let out = Tanto::new(&server, &root.path().join(loser), loser).run(&["claim", id]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains(winner.as_str()));
}

#[test]
fn a_claim_a_note_and_done_reach_another_agent_through_idle() {
    claim_note_and_done_reach_bob(Dovecot::start());
}

#[test]
fn without_notify_the_watcher_idles_on_each_folder() {
    // Dovecot's capabilities less NOTIFY: one IDLE connection per folder instead.
    claim_note_and_done_reach_bob(Dovecot::start_with(
        "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SPECIAL-USE \
         LITERAL+ NAMESPACE UIDPLUS MOVE CONDSTORE QRESYNC",
    ));
}

#[test]
fn the_watcher_idles_on_folders_under_inbox_dot() {
    // Folders under `INBOX.` (Cyrus, Courier), and one IDLE per folder (no NOTIFY): the
    // activity folder is watched by its server name, INBOX.Tanto.Activity.
    claim_note_and_done_reach_bob(Dovecot::start_namespaced(
        "INBOX.",
        '.',
        "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SPECIAL-USE \
         LITERAL+ NAMESPACE UIDPLUS MOVE CONDSTORE QRESYNC",
    ));
}

fn claim_note_and_done_reach_bob(server: Dovecot) {
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("alice"), "alice");
    alice.sync();
    let id = ids(&alice).remove(0);

    let bob = agent_ctx(&server, &root.path().join("bob"), "bob", "agent");
    let watcher = tanto_app::watch::Watcher::spawn(bob.clone());
    let bob_cache = tanto_mail::cache::Cache::open(&root.path().join("bob/cache.sqlite"), false)
        .expect("cache");
    let wait_for = |what: &str, ok: &dyn Fn() -> bool| {
        let started = Instant::now();
        let deadline = started + Duration::from_secs(30);
        while !ok() {
            assert!(Instant::now() < deadline, "bob never saw: {what}");
            let _ = watcher.events.recv_timeout(Duration::from_secs(1));
        }
        eprintln!("bob saw {what} after {:?}", started.elapsed());
    };
    let status = || {
        bob_cache
            .find_conversation(&id)
            .ok()
            .and_then(|r| r.ok())
            .map(|c| (c.status.as_str().to_string(), c.assignee))
    };
    wait_for("the conversation", &|| status().is_some());

    alice.ok(&["claim", &id]);
    wait_for("alice's claim", &|| {
        status() == Some(("wip".into(), Some("alice".into())))
    });
    alice.ok(&["note", &id, "-m", "called the customer"]);
    let mailbox = "support";
    let conv = bob_cache.find_conversation(&id).expect("q").expect("found");
    wait_for("alice's note", &|| {
        bob_cache
            .events(mailbox, &conv.id)
            .map(|e| {
                e.iter()
                    .any(|e| e.kind.as_str() == "note" && e.text.contains("called the customer"))
            })
            .unwrap_or(false)
    });
    alice.ok(&["done", &id]);
    wait_for("done", &|| {
        status() == Some(("done".into(), Some("alice".into())))
    });
    let kinds: Vec<String> = bob_cache
        .events(mailbox, &conv.id)
        .expect("events")
        .into_iter()
        .map(|e| format!("{}:{}", e.kind, e.agent))
        .collect();
    assert_eq!(kinds, ["claim:alice", "note:alice", "done:alice"]);
    watcher.stop();
}

#[test]
fn a_server_restart_while_two_agents_work_loses_nothing_and_doubles_nothing() {
    let mut server = Dovecot::start();
    let msgs: Vec<Vec<u8>> = (0..40).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent_ctx(&server, &root.path().join("alice"), "alice", "agent");
    let bob = agent_ctx(&server, &root.path().join("bob"), "bob", "agent");
    let cli = Tanto::new(&server, &root.path().join("alice"), "alice");
    cli.sync();
    Tanto::new(&server, &root.path().join("bob"), "bob").sync();
    let conv_ids = ids(&cli);
    let (mine, theirs) = conv_ids.split_at(20);

    std::thread::scope(|s| {
        let a = s.spawn(|| {
            mine.iter()
                .map(|id| {
                    perform(&alice, id, &Action::Claim).expect("alice claims across the restart")
                })
                .collect::<Vec<_>>()
        });
        let b = s.spawn(|| {
            theirs
                .iter()
                .map(|id| perform(&bob, id, &Action::Claim).expect("bob claims across the restart"))
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(150));
        server.stop();
        std::thread::sleep(Duration::from_millis(700));
        server.restart();
        for r in [a.join().expect("alice"), b.join().expect("bob")] {
            for acted in r {
                assert!(matches!(acted, Outcome::Won(_)), "{acted:?}");
            }
        }
    });
    cli.sync();
    let list = cli.json(&["list", "--json"]);
    let by: BTreeMap<String, String> = list
        .as_array()
        .expect("array")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().expect("id").into(),
                c["assignee"].as_str().unwrap_or("-").into(),
            )
        })
        .collect();
    for id in mine {
        assert_eq!(by[id], "alice");
    }
    for id in theirs {
        assert_eq!(by[id], "bob");
    }
    assert_eq!(activity_count(&server), 40, "one event per change");
}

#[test]
fn a_customer_writing_again_to_a_done_conversation_makes_it_new_with_the_previous_assignee() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(7, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, root.path(), "alice");
    alice.sync();
    let id = ids(&alice).remove(0);
    alice.ok(&["claim", &id]);
    alice.ok(&["done", &id]);
    assert_eq!(
        alice
            .json(&["list", "--status", "done", "--json"])
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    server.append("support", "INBOX", &sample_message(8, Some(7)), &[]);
    alice.sync();
    let new = alice.json(&["list", "--status", "new", "--json"]);
    let new = new.as_array().expect("array");
    assert_eq!(new.len(), 1);
    assert_eq!(new[0]["id"], id.as_str());
    assert_eq!(new[0]["previous_assignee"], "alice");
    assert_eq!(new[0]["messages"], 2);
    // It can be claimed again (the new message carries the state now).
    alice.ok(&["claim", &id]);
    assert_eq!(
        alice.json(&["list", "--mine", "--json"])[0]["status"],
        "wip"
    );
}

#[test]
fn an_agent_may_not_take_over_a_fresh_claim_but_a_supervisor_may() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(3, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    let bob = Tanto::new(&server, &root.path().join("b"), "bob");
    let carol = Tanto::new(&server, &root.path().join("c"), "carol");
    let text = std::fs::read_to_string(&carol.config).expect("read");
    std::fs::write(
        &carol.config,
        text.replace("role = \"agent\"", "role = \"supervisor\""),
    )
    .expect("write");
    for t in [&alice, &bob, &carol] {
        t.sync();
    }
    let id = ids(&alice).remove(0);
    alice.ok(&["claim", &id]);

    let out = bob.run(&["claim", &id]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("alice"));
    let out = bob.run(&["release", &id]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("supervisor"));
    let out = bob.run(&["assign", &id, "bob"]);
    assert_eq!(out.status.code(), Some(1));

    // A plain claim never takes over, not even a supervisor's: that is --take-over.
    let out = carol.run(&["claim", &id]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let line = carol.ok(&["claim", "--take-over", &id]);
    assert!(line.contains("took it over from alice"), "{line}");
    alice.sync();
    assert_eq!(alice.json(&["list", "--json"])[0]["assignee"], "carol");
    let show = alice.json(&["show", &id, "--json"]);
    let events: Vec<&str> = show["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "event")
        .map(|e| e["event"].as_str().expect("event"))
        .collect();
    assert_eq!(events, ["claim", "takeover"]);
}

#[test]
fn with_sticky_assignee_a_returning_customer_goes_back_to_the_previous_agent() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(11, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, root.path(), "alice");
    let text = std::fs::read_to_string(&alice.config).expect("read");
    std::fs::write(
        &alice.config,
        format!("{text}\n[team]\nsticky_assignee = true\n"),
    )
    .expect("write");
    alice.sync();
    let id = ids(&alice).remove(0);
    alice.ok(&["claim", &id]);
    alice.ok(&["done", &id]);
    server.append("support", "INBOX", &sample_message(12, Some(11)), &[]);
    alice.sync();
    let c = &alice.json(&["list", "--json"])[0];
    assert_eq!(c["status"], "wip", "{c}");
    assert_eq!(c["assignee"], "alice");
}

#[test]
fn the_watcher_comes_back_after_the_server_restarts_and_misses_nothing() {
    let mut server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(21, None), &[]);
    server.append("support", "INBOX", &sample_message(22, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("alice"), "alice");
    alice.sync();
    let ids = ids(&alice);
    let bob = agent_ctx(&server, &root.path().join("bob"), "bob", "agent");
    let watcher = tanto_app::watch::Watcher::spawn(bob.clone());
    let bob_cache = tanto_mail::cache::Cache::open(&root.path().join("bob/cache.sqlite"), false)
        .expect("cache");
    let owner = |id: &str| {
        bob_cache
            .find_conversation(id)
            .ok()
            .and_then(|r| r.ok())
            .and_then(|c| c.assignee)
    };
    let wait = |what: &str, ok: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(60);
        while !ok() {
            assert!(Instant::now() < deadline, "bob never saw {what}");
            let _ = watcher.events.recv_timeout(Duration::from_millis(500));
        }
    };
    wait("the mailbox", &|| {
        bob_cache.message_count().unwrap_or(0) == 2
    });

    server.stop();
    // The watcher says it lost the server.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match watcher.events.recv_timeout(Duration::from_secs(1)) {
            Ok(tanto_app::watch::WatchEvent::Trouble { .. }) => break,
            _ => assert!(Instant::now() < deadline, "no trouble reported"),
        }
    }
    server.restart();
    // A change made while bob was away, and one after: both arrive.
    alice.ok(&["claim", &ids[0]]);
    wait("the first claim", &|| {
        owner(&ids[0]).as_deref() == Some("alice")
    });
    alice.ok(&["claim", &ids[1]]);
    wait("the second claim", &|| {
        owner(&ids[1]).as_deref() == Some("alice")
    });
    watcher.stop();
}
