//! Coordination on a real Cyrus IMAP (Debian's packages, `tanto_devserver::Cyrus`) in
//! Debian's layout: personal folders under `INBOX.`, other users under `user.`, separator
//! `.`. The team's mailbox is `user.support`; every agent logs in as themselves with every
//! right on it (docs/admin-guide.md, the Cyrus note). Cyrus has CONDSTORE and keywords, so
//! claims are compare-and-set STOREs.

mod harness;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use harness::{sample_message, Cyrus, Relay, CYRUS_AGENTS};
use support::lifecycle::{note_done_and_reopen_reach_the_other, status_of};
use support::race::{
    caches_agree, claim_all, keyword_owners, one_winner_each, owners, sync, Caches,
};
use support::replying::{question, reply_goes_out_once, sends_through};
use support::{wait_for, Tanto};
use tanto_app::Ctx;

/// The team's inbox as the agents name it, and its activity folder.
const INBOX: &str = "user.support";
const ACTIVITY: &str = "user.support.Tanto.Activity";

/// A fresh Cyrus with `n` conversations of customer mail that arrived three days ago.
fn cyrus_with_mail(n: usize) -> Cyrus {
    let server = Cyrus::start();
    let msgs: Vec<Vec<u8>> = (0..n).map(|i| sample_message(i, None)).collect();
    server.append_days_old("support", "INBOX", &msgs, 3);
    server
}

fn agent_via(server: &Cyrus, port: u16, dir: &Path, id: &str) -> Ctx {
    Ctx::load(Some(&server.agent_config_via(port, dir, id, "agent", ""))).expect("load config")
}

#[test]
fn eight_agents_logging_in_as_themselves_on_separate_caches_get_one_winner_each() {
    race(Caches::Separate);
}

#[test]
fn eight_agents_logging_in_as_themselves_sharing_one_cache_get_one_winner_each() {
    race(Caches::Shared);
}

/// Twelve conversations, eight agents (each their own login) claiming all of them at once
/// through a relay that holds every write for 700 ms, so that every agent reads the state
/// before anyone writes: exactly one winner each, every loser told the winner, every cache
/// (synced) reading the same owners, and the server holding one owner per message.
fn race(caches: Caches) {
    let started = Instant::now();
    let server = cyrus_with_mail(12);
    let relay = Relay::start(server.port);
    let root = tempfile::tempdir().expect("tempdir");
    let agents: Vec<(String, Ctx)> = CYRUS_AGENTS
        .iter()
        .map(|id| {
            let dir = caches.dir(root.path(), id);
            (id.to_string(), agent_via(&server, relay.port(), &dir, id))
        })
        .collect();
    for (_, ctx) in &agents {
        sync(ctx);
    }
    let ids: Vec<String> = owners(&agents[0].1).into_keys().collect();
    assert_eq!(ids.len(), 12);
    relay.hold(" append ", Duration::from_millis(700));
    relay.hold(" store ", Duration::from_millis(700));
    let raced = Instant::now();
    // Half the agents go down the list, half up: each conversation is contended by four
    // at once, and later by the other four.
    let results = claim_all(&agents, &ids, |n, ids| {
        let mut order: Vec<&String> = ids.iter().collect();
        if n % 2 == 1 {
            order.reverse();
        }
        order
    });
    relay.release_holds();
    eprintln!("{caches:?}: the race took {:?}", raced.elapsed());

    // Claims were conditional STOREs (CONDSTORE), not decided through the log, and losers
    // too sent theirs: they had read the state before the winner wrote.
    let commands = relay.commands();
    let conditional = commands
        .iter()
        .filter(|c| c.to_ascii_uppercase().contains("UNCHANGEDSINCE"))
        .count();
    eprintln!("{caches:?}: {conditional} conditional STOREs");
    assert!(
        conditional > 12,
        "{conditional} conditional STOREs: {commands:?}"
    );

    let owner = one_winner_each(&agents, &results);
    assert_eq!(
        owner.len(),
        12,
        "every conversation has a winner: {results:?}"
    );
    caches_agree(&agents, &owner);
    // The server agrees: one owner keyword per message, one claim record per conversation.
    let mut by = keyword_owners(&server, "alice", INBOX);
    by.sort();
    let mut want: Vec<String> = owner.values().cloned().collect();
    want.sort();
    assert_eq!(by, want);
    assert_eq!(server.uids("bob", ACTIVITY).len(), 12);
    eprintln!("{caches:?}: the whole test took {:?}", started.elapsed());
}

#[test]
fn a_note_done_and_reopen_by_one_agent_are_seen_by_another_after_sync() {
    let server = cyrus_with_mail(1);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("alice"), "alice");
    let bob = Tanto::new(&server, &root.path().join("bob"), "bob");
    note_done_and_reopen_reach_the_other(&alice, &bob);
    // Everything is in the team's mailbox, nothing in the agents' own.
    assert_eq!(server.uids("support", "INBOX.Tanto.Activity").len(), 4);
    for who in ["alice", "bob"] {
        assert_eq!(
            server
                .list(who)
                .iter()
                .filter(|f| f.starts_with("INBOX."))
                .count(),
            0
        );
    }
}

#[test]
fn doctor_is_green_on_user_support_and_creates_nothing_under_an_agents_inbox() {
    let server = cyrus_with_mail(1);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("alice"), "alice");
    let doctor = alice.run(&["doctor"]);
    let report = String::from_utf8_lossy(&doctor.stdout);
    eprintln!("{report}");
    assert_eq!(doctor.status.code(), Some(0), "{report}");
    let line = |key: &str| {
        report
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap_or_else(|| panic!("no {key} line in {report}"))
            .to_string()
    };
    assert!(line("activity").contains(ACTIVITY), "{report}");
    assert!(
        line("outbox").contains("user.support.Tanto.Outbox"),
        "{report}"
    );
    assert!(line("coordination").contains("keyword"), "{report}");
    assert!(!report.contains("INBOX.user"), "{report}");

    // Doctor proved the activity folder can be made: it is there, under user.support; no
    // agent has a stray `INBOX.user.support` (which Cyrus names `user.alice.user.support`).
    let all = server.list("cyrus");
    assert!(all.iter().any(|f| f == ACTIVITY), "{all:?}");
    for agent in CYRUS_AGENTS {
        let own = format!("user.{agent}.");
        assert!(
            !all.iter().any(|f| f.starts_with(&own)),
            "a stray folder of {agent}: {all:?}"
        );
    }
    // And the agents' claims go there.
    alice.sync();
    let id = alice.only_id();
    alice.ok(&["claim", &id]);
    assert_eq!(server.uids("bob", ACTIVITY).len(), 1);
}

#[test]
fn a_claim_a_note_and_done_reach_a_teammates_watcher_within_two_seconds() {
    let server = cyrus_with_mail(1);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("alice"), "alice");
    alice.sync();
    let id = alice.only_id();
    let bob = agent_via(&server, server.port, &root.path().join("bob"), "bob");
    let watcher = tanto_app::watch::Watcher::spawn(bob.clone());
    let cache = tanto_mail::cache::Cache::open(&root.path().join("bob/cache.sqlite"), false)
        .expect("cache");
    let status = || owners(&bob).get(&id).cloned();
    wait_for("the conversation", &|| status().is_some());
    // The watcher's connections are up and idling.
    std::thread::sleep(Duration::from_secs(1));

    alice.ok(&["claim", &id]);
    let claim = wait_for("alice's claim", &|| {
        status() == Some(("wip".into(), Some("alice".into())))
    });
    alice.ok(&["note", &id, "-m", "called the customer"]);
    let note = wait_for("alice's note", &|| {
        let Some(conv) = cache.find_conversation(&id).ok().and_then(|r| r.ok()) else {
            return false;
        };
        cache.events("support", &conv.id).is_ok_and(|e| {
            e.iter()
                .any(|e| e.kind.as_str() == "note" && e.text.contains("called the customer"))
        })
    });
    alice.ok(&["done", &id]);
    let done = wait_for("done", &|| {
        status() == Some(("done".into(), Some("alice".into())))
    });
    watcher.stop();
    for (what, took) in [("claim", claim), ("note", note), ("done", done)] {
        assert!(took < Duration::from_secs(2), "the {what} took {took:?}");
    }
}

#[test]
fn a_top_level_shared_folder_works_as_named_never_under_inbox_dot() {
    // Cyrus's other place for a team's mailbox: a shared folder at the top level, made by
    // the admin; its Tanto folders are created under it by the first claim.
    let server = Cyrus::start();
    server.admin("CREATE support");
    for agent in ["alice", "bob"] {
        server.set_acl("support", agent, harness::TEAM_RIGHTS);
    }
    server.append("alice", "support", &sample_message(1, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let agent = |id: &str| {
        let t = Tanto::new(&server, &root.path().join(id), id);
        let text = std::fs::read_to_string(&t.config)
            .expect("config")
            .replace("\"user.support", "\"support");
        std::fs::write(&t.config, text).expect("config");
        t
    };
    let alice = agent("alice");
    let bob = agent("bob");
    let id = alice.claims_before("alice", &bob);
    alice.ok(&["note", &id, "-m", "called back"]);
    bob.sync();
    assert_eq!(status_of(&bob, &id), ("wip".into(), "alice".into()));
    let doctor = bob.run(&["doctor"]);
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert_eq!(doctor.status.code(), Some(0), "{report}");
    assert!(report.contains("support.Tanto.Activity"), "{report}");
    assert!(!report.contains("INBOX.support"), "{report}");
    assert_eq!(server.uids("bob", "support.Tanto.Activity").len(), 2);
    let all = server.list("cyrus");
    assert!(
        !all.iter()
            .any(|f| f.starts_with("user.alice.") || f.starts_with("user.bob.")),
        "{all:?}"
    );
}

#[test]
fn doctor_fails_when_the_tanto_folders_are_left_as_the_agents_own() {
    // Only `folder = "user.support"`: the Tanto folders at their defaults would be alice's
    // own INBOX.Tanto.*, where her teammates never look.
    let server = cyrus_with_mail(1);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, root.path(), "alice");
    let text = std::fs::read_to_string(&alice.config).expect("config");
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("_folder = \"user.support.Tanto."))
        .collect();
    std::fs::write(&alice.config, kept.join("\n") + "\n").expect("config");
    let doctor = alice.run(&["doctor"]);
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert_ne!(doctor.status.code(), Some(0), "{report}");
    let activity = report
        .lines()
        .find(|l| l.trim_start().starts_with("activity"))
        .unwrap_or_else(|| panic!("no activity line in {report}"));
    assert!(activity.contains("FAIL"), "{report}");
    assert!(activity.contains(ACTIVITY), "the fix is named: {report}");
    assert!(
        !server
            .list("cyrus")
            .iter()
            .any(|f| f.starts_with("user.alice.")),
        "nothing was created under alice's INBOX."
    );
}

#[test]
fn a_reply_goes_out_once_and_the_team_sees_it_done() {
    let server = Cyrus::start();
    server.append_days_old("support", "INBOX", &[question(1, "質問です")], 3);
    let sink = harness::SmtpSink::start();
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("alice"), "alice");
    let bob = Tanto::new(&server, &root.path().join("bob"), "bob");
    sends_through(&alice, &sink);
    sends_through(&bob, &sink);
    reply_goes_out_once(&alice, &bob, &sink, root.path());
    // Filed in the team's Sent folder, found beside its inbox (none in the agents' own).
    assert_eq!(server.uids("support", "INBOX.Sent").len(), 1);
}

/// An agent syncing a mailbox of its own on Cyrus (logged in as its owner, `INBOX` in the
/// config): the first sync's SELECT and first FETCHes ride behind the LOGIN as on Dovecot
/// (Cyrus keeps what follows LOGIN), every message comes with its MODSEQ, and a claim right
/// after wins. Cyrus's personal folders live under `INBOX.` beside a shared namespace, so the
/// other folders' STATUS wait until the FETCHes sent ahead are read.
#[test]
fn a_first_sync_of_an_own_inbox_on_cyrus_fetches_behind_the_login() {
    let server = cyrus_with_mail(30);
    let root = tempfile::tempdir().expect("tempdir");
    let dir = root.path().join("owner");
    std::fs::create_dir_all(&dir).expect("dir");
    let cache = dir.join("cache.sqlite");
    let text = server.config_toml("support", &cache, "support");
    let folders_start = text.find("folder = ").expect("folder line");
    let folders_end = text.find("[cache]").expect("cache table");
    let text = format!(
        "{}folder = \"INBOX\"\n{}",
        &text[..folders_start],
        &text[folders_end..]
    );
    let config = dir.join("support.toml");
    std::fs::write(&config, text).expect("config");
    let t = Tanto {
        config,
        cache: cache.clone(),
        dir,
    };
    let out = t
        .command(&["sync", "--once"])
        .env("TANTO_TRACE", "commands")
        .output()
        .expect("sync");
    let trace = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "{trace}");
    support::assert_fetched_behind_the_login(&trace);
    assert_eq!(
        t.json(&["list", "--json"]).as_array().map(Vec::len),
        Some(30)
    );
    let without = support::rows_without_modseq(&cache);
    assert_eq!(without, 0, "rows without a MODSEQ");
    let id = t.json(&["list", "--json"])[0]["id"]
        .as_str()
        .expect("an id")
        .to_string();
    let claimed = t.command(&["claim", &id]).output().expect("claim");
    assert!(claimed.status.success(), "{claimed:?}");
}
