//! A shared mailbox reached through a Dovecot shared namespace with ACLs, each agent logging
//! in as themselves (docs/admin-guide.md section 4): live updates between agents, the Sent
//! folder beside the shared inbox, rights in doctor, a read-only agent refused by name.

mod harness;
mod support;

use std::time::Duration;

use harness::{sample_message, Dovecot};
use support::acl::{own_login, share_with_alice_and_bob};
use support::{wait_for, Tanto};

/// The shared mailbox's folders, as `support` names them.
const FOLDERS: [&str; 6] = [
    "INBOX",
    "Sent",
    "Tanto",
    "Tanto/Activity",
    "Tanto/Outbox",
    "Tanto/Templates",
];

/// `support`'s mailbox with one customer mail, shared with alice and bob (every right tanto
/// needs) and carol (`lr`: lookup and read).
fn shared_server(extra: &str) -> Dovecot {
    let server = Dovecot::start_shared(extra);
    server.append_days_old("support", "INBOX", &[sample_message(1, None)], 3);
    share_with_alice_and_bob(&server, &FOLDERS);
    for folder in FOLDERS {
        server.share("support", folder, "user=carol", &["lookup", "read"]);
    }
    server
}

/// An agent logging in as themselves, with the shared mailbox's folders by their names in
/// the shared namespace (`folders` = false: only the inbox, the rest left at the defaults).
/// No `sent_folder`: the Sent folder is found beside the shared inbox.
fn agent(server: &Dovecot, dir: &std::path::Path, id: &str, folders: bool) -> Tanto {
    let mut names = "folder = \"shared/support/INBOX\"\n".to_string();
    if folders {
        names.push_str(
            "activity_folder = \"shared/support/Tanto/Activity\"\n\
             outbox_folder = \"shared/support/Tanto/Outbox\"\n\
             templates_folder = \"shared/support/Tanto/Templates\"\n",
        );
    }
    own_login(server, dir, id, &names)
}

fn only_id(t: &Tanto) -> String {
    let list = t.json(&["list", "--json"]);
    let convs = list.as_array().expect("array");
    assert_eq!(convs.len(), 1, "{list}");
    convs[0]["id"].as_str().expect("id").to_string()
}

/// How many times `user` logged in so far.
fn logins(server: &Dovecot, user: &str) -> usize {
    server
        .log()
        .matches(&format!("Login: user=<{user}>"))
        .count()
}

/// Alice claims, writes a note, marks it done and reopens it; bob's running `tanto sync` (the watcher) has each in his
/// cache within 2 s, without logging in again meanwhile (it IDLEs).
fn claim_note_done_and_reopen_reach_bob_within_two_seconds(server: Dovecot) {
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &root.path().join("alice"), "alice", true);
    let bob = agent(&server, &root.path().join("bob"), "bob", true);
    alice.sync();
    bob.sync();
    let id = only_id(&alice);
    let mut watch = bob
        .command(&["sync"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn tanto sync");
    let cache = tanto_mail::cache::Cache::open(&bob.cache, false).expect("bob's cache");
    let status = || {
        cache
            .find_conversation(&id)
            .ok()
            .and_then(|r| r.ok())
            .map(|c| (c.status.as_str().to_string(), c.assignee))
    };
    let noted = || {
        let Some(conv) = cache.find_conversation(&id).ok().and_then(|r| r.ok()) else {
            return false;
        };
        cache
            .events("support", &conv.id)
            .map(|e| {
                e.iter()
                    .any(|e| e.kind.as_str() == "note" && e.text.contains("called the customer"))
            })
            .unwrap_or(false)
    };
    // The watcher's connections are up and idling.
    std::thread::sleep(Duration::from_secs(2));
    let logged_in = logins(&server, "bob");

    alice.ok(&["claim", &id]);
    let claim = wait_for("alice's claim", &|| {
        status() == Some(("wip".into(), Some("alice".into())))
    });
    alice.ok(&["note", &id, "-m", "called the customer"]);
    let note = wait_for("alice's note", &noted);
    // New mail from a customer, delivered to the shared inbox.
    server.append("support", "INBOX", &sample_message(2, None), &[]);
    let mail = wait_for("the new mail", &|| {
        cache
            .list(&tanto_mail::cache::ListFilter::default())
            .is_ok_and(|l| l.len() == 2)
    });
    alice.ok(&["done", &id]);
    let done = wait_for("done", &|| status().is_some_and(|(s, _)| s == "done"));
    alice.ok(&["reopen", &id]);
    let reopen = wait_for("the reopen", &|| {
        status() == Some(("wip".into(), Some("alice".into())))
    });
    std::thread::sleep(Duration::from_secs(2));
    let again = logins(&server, "bob") - logged_in;
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(claim < Duration::from_secs(2), "the claim took {claim:?}");
    assert!(note < Duration::from_secs(2), "the note took {note:?}");
    assert!(mail < Duration::from_secs(2), "the new mail took {mail:?}");
    assert!(done < Duration::from_secs(2), "done took {done:?}");
    assert!(
        reopen < Duration::from_secs(2),
        "the reopen took {reopen:?}"
    );
    assert_eq!(
        again, 0,
        "the watcher logged in {again} more times instead of idling"
    );
}

#[test]
fn with_notify_a_claim_note_done_and_reopen_reach_another_agent_within_two_seconds() {
    // Dovecot offers NOTIFY: one connection, the shared folders named in NOTIFY SET.
    claim_note_done_and_reopen_reach_bob_within_two_seconds(shared_server(""));
}

#[test]
fn without_notify_a_claim_note_done_and_reopen_reach_another_agent_within_two_seconds() {
    // No NOTIFY: one IDLE per folder, on folders LIST does not show by their full names.
    claim_note_done_and_reopen_reach_bob_within_two_seconds(shared_server(
        "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SPECIAL-USE \
         LITERAL+ NAMESPACE UIDPLUS MOVE CONDSTORE QRESYNC ACL",
    ));
}

/// The lines of doctor's report whose check is `name`.
fn lines_of<'a>(report: &'a str, name: &str) -> Vec<&'a str> {
    report
        .lines()
        .filter(|l| l.trim_start().starts_with(&format!("{name} ")))
        .collect()
}

#[test]
fn doctor_shows_each_folders_rights_and_a_read_only_agent_is_told_the_missing_right() {
    let server = shared_server("");
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &root.path().join("alice"), "alice", true);
    let carol = agent(&server, &root.path().join("carol"), "carol", true);

    let out = alice.run(&["doctor"]);
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}");
    assert_eq!(out.status.code(), Some(0), "{report}");
    let rights = lines_of(&report, "rights");
    for folder in [
        "shared/support/INBOX",
        "shared/support/Sent",
        "shared/support/Tanto/Activity",
        "shared/support/Tanto/Outbox",
        "shared/support/Tanto/Templates",
    ] {
        assert!(
            rights
                .iter()
                .any(|l| l.contains(&format!(" {folder}: lrswi")) && l.contains(" ok ")),
            "{folder}: {report}"
        );
    }
    assert!(
        rights.iter().any(|l| l.contains("set keywords")),
        "{report}"
    );
    let sent = lines_of(&report, "sent folder").join("\n");
    assert!(
        sent.contains("shared/support/Sent (found by its name"),
        "{report}"
    );
    assert!(
        lines_of(&report, "namespace")
            .join("")
            .contains("other namespaces: \"shared/\""),
        "{report}"
    );

    // carol may look and read (`lr`): the inbox's keywords and the activity folder are not
    // hers to write, and doctor says so by the rights, not by the server's PERMANENTFLAGS.
    carol.sync();
    let id = only_id(&carol);
    let out = carol.run(&["doctor"]);
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}");
    assert_eq!(out.status.code(), Some(1), "{report}");
    let keywords = lines_of(&report, "keywords").join("\n");
    assert!(keywords.contains("FAIL"), "{report}");
    assert!(
        keywords.contains("shared/support/INBOX: lr, without w (set keywords)"),
        "{report}"
    );
    assert!(!keywords.contains("PERMANENTFLAGS"), "{report}");
    let activity = lines_of(&report, "activity").join("\n");
    assert!(
        activity.contains("FAIL") && !activity.contains(" ok "),
        "{report}"
    );
    assert!(activity.contains("without i (add messages)"), "{report}");
    assert!(
        lines_of(&report, "rights")
            .iter()
            .any(|l| l.contains("shared/support/INBOX: lr,") && l.contains("FAIL")),
        "{report}"
    );

    let refused = carol.run(&["claim", &id]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert!(err.contains("lacks the IMAP right w"), "{err}");
    assert!(err.contains("shared/support/INBOX"), "{err}");
    assert!(!err.contains("PERMANENTFLAGS"), "{err}");
    // A tag is refused the same way, not written to the log instead.
    let refused = carol.run(&["tag", &id, "urgent"]);
    let err = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{err}");
    assert!(err.contains("lacks the IMAP right w"), "{err}");
    assert!(
        server
            .flags("support", "INBOX", 1)
            .iter()
            .all(|f| !f.starts_with("tanto-")),
        "nothing was claimed"
    );
}

#[test]
fn tanto_folders_of_the_agents_own_beside_a_shared_inbox_are_reported_not_created() {
    let server = shared_server("");
    let root = tempfile::tempdir().expect("tempdir");
    // Only the inbox set: the Tanto folders default to the agent's own `Tanto/...`.
    let alice = agent(&server, &root.path().join("alice"), "alice", false);
    let out = alice.run(&["doctor"]);
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}");
    assert_eq!(out.status.code(), Some(1), "{report}");
    let activity = lines_of(&report, "activity").join("\n");
    assert!(activity.contains("FAIL"), "{report}");
    assert!(
        activity.contains("activity_folder = \"shared/support/Tanto/Activity\""),
        "{report}"
    );
    assert!(
        lines_of(&report, "outbox")
            .join("")
            .contains("outbox_folder = \"shared/support/Tanto/Outbox\""),
        "{report}"
    );
    assert!(
        !lines_of(&report, "rights")
            .iter()
            .any(|l| l.contains(" Tanto/Activity:")),
        "{report}"
    );
    let own = server.doveadm(&["mailbox", "list", "-u", "alice"]);
    assert!(
        !own.lines().any(|l| l.starts_with("Tanto")),
        "doctor created a stray folder: {own}"
    );
}

/// Eight agents, each logging in as themselves through a relay that holds every STORE and
/// APPEND so that all read before any writes, claim the same conversations of the shared
/// inbox: one winner each, every loser told who, every cache alike.
fn agents_logging_in_as_themselves_race(caches: support::race::Caches) {
    use support::race::{caches_agree, owners, race_through, sync};
    let server = shared_server("");
    let more: Vec<Vec<u8>> = (2..7).map(|i| sample_message(i, None)).collect();
    server.append_days_old("support", "INBOX", &more, 3);
    let relay = harness::Relay::start(server.port);
    let root = tempfile::tempdir().expect("tempdir");
    const AGENTS: [&str; 8] = [
        "alice", "bob", "dave", "erin", "frank", "grace", "heidi", "ivan",
    ];
    // Alice and bob have the team's rights already (`shared_server`).
    for id in &AGENTS[2..] {
        for folder in FOLDERS {
            server.share("support", folder, &format!("user={id}"), support::acl::TEAM);
        }
    }
    let agents: Vec<(String, tanto_app::Ctx)> = AGENTS
        .iter()
        .map(|id| {
            let t = agent(&server, &caches.dir(root.path(), id), id, true);
            let text = std::fs::read_to_string(&t.config).expect("read config");
            let text = text
                .replace(
                    &format!("port = {}\n", server.port),
                    &format!("port = {}\n", relay.port()),
                )
                // In this process, not a child's: the password from a command.
                .replace(
                    "password_env = \"TANTO_TEST_PASSWORD\"",
                    "password_command = \"echo secret\"",
                );
            std::fs::write(&t.config, text).expect("write config");
            let ctx = tanto_app::Ctx::load(Some(&t.config)).expect("config");
            (id.to_string(), ctx)
        })
        .collect();
    for (_, ctx) in &agents {
        sync(ctx);
    }
    let ids: Vec<String> = owners(&agents[0].1).into_keys().collect();
    assert_eq!(ids.len(), 6);
    let owner = race_through(&relay, &agents, &ids, Duration::from_millis(500));
    caches_agree(&agents, &owner);
}

#[test]
fn agents_on_their_own_logins_racing_in_a_shared_namespace_get_one_winner_each() {
    agents_logging_in_as_themselves_race(support::race::Caches::Separate);
}

#[test]
fn agents_on_their_own_logins_sharing_one_cache_get_one_winner_each() {
    agents_logging_in_as_themselves_race(support::race::Caches::Shared);
}

#[test]
fn a_note_done_and_reopen_by_one_agent_are_seen_by_another_after_sync() {
    let server = shared_server("");
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &root.path().join("alice"), "alice", true);
    let bob = agent(&server, &root.path().join("bob"), "bob", true);
    alice.sync();
    bob.sync();
    support::lifecycle::note_done_and_reopen_reach_the_other(&alice, &bob);
    // Every record is in the team's activity folder, none in the agents' own.
    assert_eq!(server.uids("support", "Tanto/Activity").len(), 4);
    for who in ["alice", "bob"] {
        assert!(!server.list(who).iter().any(|f| f.starts_with("Tanto")));
    }
}

#[test]
fn a_reply_goes_out_once_and_the_team_sees_it_done() {
    let server = shared_server("");
    let sink = harness::SmtpSink::start();
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &root.path().join("alice"), "alice", true);
    let bob = agent(&server, &root.path().join("bob"), "bob", true);
    support::replying::sends_through(&alice, &sink);
    support::replying::sends_through(&bob, &sink);
    support::replying::reply_goes_out_once(&alice, &bob, &sink, root.path());
    // Filed in the team's Sent folder beside the shared inbox, not in alice's own.
    assert_eq!(server.uids("support", "Sent").len(), 1);
    let own = server.list("alice").iter().any(|f| f == "Sent");
    assert!(!own || server.uids("alice", "Sent").is_empty());
}
