//! tanto on a real Courier-IMAP (`tanto_devserver::Courier`, Debian's packages). Courier keeps
//! keywords but has no CONDSTORE, so claims and statuses are decided through the activity
//! log (docs/protocol.md §5): eight agents racing for the same conversations, on separate
//! caches and on one shared cache, get exactly one winner each; notes, statuses and replies
//! reach the other agents.

mod harness;
mod support;

use std::time::{Duration, Instant};

use harness::{sample_message, Courier, ImapServer, Relay, SmtpSink};
use support::race::{
    agent_via, caches_agree, claim_together, keyword_owners, one_winner_each, owners, sync, Caches,
};
use support::replying::{agent, question, reply_goes_out_once};
use support::teammate::Teammate;
use tanto_app::act::{perform, Outcome};
use tanto_app::Ctx;
use tanto_core::claims::Action;

const AGENTS: usize = 8;
const CONVERSATIONS: usize = 12;
/// How long the relay holds every APPEND and STORE: longer than a claim's reads, so that
/// every contender has read the state before any claim lands.
const HOLD: Duration = Duration::from_millis(700);

/// Where tanto keeps its log on Courier (personal folders are under `INBOX.`).
const ACTIVITY: &str = "INBOX.Tanto.Activity";

/// `n` customer messages, each its own conversation, sent and received three days ago.
fn three_day_old_mail(server: &ImapServer, n: usize) {
    let msgs: Vec<Vec<u8>> = (0..n).map(|i| sample_message(i, None)).collect();
    server.append_days_old("support", "INBOX", &msgs, 3);
}

#[test]
fn on_courier_eight_agents_on_their_own_caches_get_one_winner_per_conversation() {
    race(Caches::Separate);
}

#[test]
fn on_courier_eight_agents_sharing_one_cache_get_one_winner_per_conversation() {
    race(Caches::Shared);
}

/// Eight agents claim every conversation, all at once for each (a barrier starts them
/// together; the relay holds every write so that all read before any claim lands): one
/// winner per conversation, every loser told that winner, every agent's synced cache reading
/// the same owners, and the winners' keywords mirrored on the server.
fn race(caches: Caches) {
    let started = Instant::now();
    let server = Courier::start();
    three_day_old_mail(&server, CONVERSATIONS);
    let relay = Relay::start(server.port);
    let root = tempfile::tempdir().expect("tempdir");
    let agents: Vec<(String, Ctx)> = (0..AGENTS)
        .map(|n| {
            let id = format!("agent{n}");
            let ctx = agent_via(&server, relay.port(), &caches.dir(root.path(), &id), &id);
            (id, ctx)
        })
        .collect();
    for (_, ctx) in &agents {
        sync(ctx);
    }
    let ids: Vec<String> = owners(&agents[0].1).into_keys().collect();
    assert_eq!(ids.len(), CONVERSATIONS);
    relay.hold(" append ", HOLD);
    relay.hold(" store ", HOLD);
    let raced = Instant::now();
    let results = claim_together(&agents, &ids);
    relay.release_holds();
    eprintln!("{caches:?}: the race took {:?}", raced.elapsed());
    let owner = one_winner_each(&agents, &results);
    assert_eq!(
        owner.len(),
        CONVERSATIONS,
        "every conversation has a winner: {results:?}"
    );
    // The race was real: many contenders appended a claim before any landed (no CONDSTORE:
    // no claim was a conditional STORE).
    let records = server.uids("support", ACTIVITY).len();
    eprintln!("{caches:?}: {records} claim records for {CONVERSATIONS} conversations");
    assert!(
        records >= 2 * CONVERSATIONS,
        "{records} records: the agents did not race"
    );
    assert!(!relay
        .commands()
        .iter()
        .any(|c| c.to_ascii_uppercase().contains("UNCHANGEDSINCE")));
    caches_agree(&agents, &owner);
    // Courier keeps keywords: the winners mirrored theirs for other mail clients.
    let mut by = keyword_owners(&server, "support", "INBOX");
    by.sort();
    let mut want: Vec<String> = owner.values().cloned().collect();
    want.sort();
    assert_eq!(by, want, "the keywords on the server name the winners");
    eprintln!("{caches:?}: the whole test took {:?}", started.elapsed());
}

/// A change whose first record comes second (another landed between its read and its
/// APPEND) is decided again on the record that stood and, when still to be made, appended
/// again; the agent then reads the log past that second record. By then the log is the
/// selected folder, where Courier answers STATUS and FETCH from the session's old view until
/// a NOOP or a new SELECT: tanto's re-read is a new SELECT (its STATUS shortcut needs
/// HIGHESTMODSEQ, which Courier lacks), so it sees its record and the change holds.
#[test]
fn on_courier_a_take_over_that_came_second_is_decided_again_and_holds() {
    let server = Courier::start();
    three_day_old_mail(&server, 1);
    let relay = Relay::start(server.port);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent_via(&server, server.port, &root.path().join("a"), "alice");
    let boss = Ctx::load(Some(&server.agent_config_via(
        relay.port(),
        &root.path().join("s"),
        "boss",
        "supervisor",
        "",
    )))
    .expect("load config");
    sync(&alice);
    let id = owners(&alice).into_keys().next().expect("a conversation");
    assert!(matches!(
        perform(&alice, &id, &Action::Claim).expect("claim"),
        Outcome::Won(_)
    ));
    sync(&boss);
    // The boss reads alice's claim and appends a take-over, held on its way...
    relay.hold(" append ", Duration::from_secs(3));
    let taken = std::thread::scope(|s| {
        let boss = s.spawn(|| perform(&boss, &id, &Action::TakeOver));
        let until = Instant::now() + Duration::from_secs(20);
        while relay.count(" append ") == 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            relay.count(" append "),
            1,
            "the boss's record is on its way"
        );
        // ...while alice's release (not through the relay) lands first: the boss's record
        // is void, and decided again the take-over is a claim of a free conversation.
        assert!(matches!(
            perform(&alice, &id, &Action::Release).expect("release"),
            Outcome::Won(_)
        ));
        relay.release_holds();
        boss.join().expect("boss thread")
    });
    match taken {
        Ok(Outcome::Won(_)) => {}
        other => panic!("the take-over, decided again on alice's release: {other:?}"),
    }
    // Alice's claim and release, the boss's void record and the one that stood.
    assert_eq!(server.uids("support", ACTIVITY).len(), 4);
    for ctx in [&alice, &boss] {
        sync(ctx);
        assert_eq!(
            owners(ctx)[&id],
            ("wip".to_string(), Some("boss".to_string()))
        );
    }
}

#[test]
fn on_courier_notes_done_and_reopen_by_one_agent_reach_another() {
    let server = Courier::start();
    three_day_old_mail(&server, 2);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent_via(&server, server.port, &root.path().join("a"), "alice");
    let bob = agent_via(&server, server.port, &root.path().join("b"), "bob");
    sync(&alice);
    sync(&bob);
    let id = owners(&alice).into_keys().next().expect("a conversation");
    assert!(matches!(
        perform(&alice, &id, &Action::Claim).expect("claim"),
        Outcome::Won(_)
    ));
    let noted = tanto_app::note::note(&alice, &id, "お客様に電話済み").expect("note");
    assert!(!noted.queued);
    sync(&bob);
    assert_eq!(
        owners(&bob)[&id],
        ("wip".to_string(), Some("alice".to_string()))
    );
    let view = tanto_app::conversations::view(&bob, &id).expect("view");
    assert!(
        view.timeline.iter().any(|e| {
            e.kind == tanto_app::conversations::EntryKind::Note
                && e.agent.as_deref() == Some("alice")
                && e.text.contains("お客様に電話済み")
        }),
        "bob sees alice's note: {:#?}",
        view.timeline
    );
    // Bob cannot claim what alice holds; he is told she does.
    match perform(&bob, &id, &Action::Claim).expect("claim") {
        Outcome::Lost { winner, .. } => assert_eq!(winner, "alice"),
        other => panic!("bob's claim: {other:?}"),
    }
    assert!(matches!(
        perform(&alice, &id, &Action::Done).expect("done"),
        Outcome::Won(_)
    ));
    sync(&bob);
    assert_eq!(owners(&bob)[&id].0, "done");
    assert!(matches!(
        perform(&bob, &id, &Action::Reopen).expect("reopen"),
        Outcome::Won(_)
    ));
    sync(&alice);
    let (status, _) = &owners(&alice)[&id];
    assert_ne!(status, "done", "alice sees bob's reopen");
    // Both read the same state of every conversation.
    sync(&bob);
    assert_eq!(owners(&alice), owners(&bob));
}

#[test]
fn on_courier_a_reply_goes_out_once_and_the_team_sees_it_done() {
    let server = Courier::start();
    let sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, "質問です"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &sink, &root.path().join("a"), "alice", "");
    let bob = agent(&server, &sink, &root.path().join("b"), "bob", "");
    reply_goes_out_once(&alice, &bob, &sink, root.path());
    // The reply is filed in Courier's Sent folder.
    assert_eq!(server.uids("support", "INBOX.Sent").len(), 1);
}

#[test]
fn on_courier_a_note_done_and_reopen_reach_a_teammate_s_running_tanto_within_two_seconds() {
    // Courier's IDLE does not report other sessions' changes here: the admin guide's
    // `team.live_poll_ms` (NOOP polling) is what a Courier team sets.
    let server = Courier::start();
    three_day_old_mail(&server, 1);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent_via(&server, server.port, &root.path().join("a"), "alice");
    let poll = "\n[team]\nlive_poll_ms = 250\n";
    let bob = Ctx::load(Some(&server.agent_config_via(
        server.port,
        &root.path().join("b"),
        "bob",
        "agent",
        poll,
    )))
    .expect("bob's config");
    sync(&alice);
    let id = owners(&alice).into_keys().next().expect("a conversation");
    // The log folder exists from the first claim on.
    assert!(matches!(
        perform(&alice, &id, &Action::Claim).expect("claim"),
        Outcome::Won(_)
    ));
    let bob = Teammate::start(&bob, &root.path().join("b/cache.sqlite"));
    let within = Duration::from_secs(2);
    bob.sees("alice's claim", Duration::from_secs(30), |b| {
        b.state(&id) == Some(("wip".into(), Some("alice".into())))
    });
    tanto_app::note::note(&alice, &id, "電話しました").expect("note");
    bob.sees("alice's note", within, |b| b.has_note(&id, "電話しました"));
    assert!(matches!(
        perform(&alice, &id, &Action::Done).expect("done"),
        Outcome::Won(_)
    ));
    bob.sees("done", within, |b| {
        b.state(&id).is_some_and(|(s, _)| s == "done")
    });
    assert!(matches!(
        perform(&alice, &id, &Action::Reopen).expect("reopen"),
        Outcome::Won(_)
    ));
    bob.sees("the reopen", within, |b| {
        b.state(&id).is_some_and(|(s, _)| s == "wip")
    });
}
