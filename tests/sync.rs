//! The foundation's user stories, against a real Dovecot.

mod harness;
mod support;

use std::collections::BTreeMap;

use harness::{sample_message, Dovecot};
use serde_json::Value;
use support::Tanto;

/// 250 threads of 4 messages each.
fn thousand_messages() -> Vec<Vec<u8>> {
    (0..1000)
        .map(|i| sample_message(i, if i % 4 == 0 { None } else { Some(i - i % 4) }))
        .collect()
}

fn by_id(list: &Value) -> BTreeMap<String, Value> {
    list.as_array()
        .expect("list is an array")
        .iter()
        .map(|c| (c["id"].as_str().expect("id").to_string(), c.clone()))
        .collect()
}

#[test]
fn a_thousand_messages_sync_into_threaded_conversations_matching_the_server() {
    let server = Dovecot::start();
    server.append_many("support", "INBOX", &thousand_messages());
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");

    let report = alice.sync();
    assert_eq!(report["mode"], "full");
    assert_eq!(report["fetched"], 1000);
    assert_eq!(report["messages"], server.uids("support", "INBOX").len());

    let list = alice.json(&["list", "--json"]);
    let convs = list.as_array().expect("array");
    assert_eq!(convs.len(), 250, "one conversation per thread");
    for c in convs {
        assert_eq!(c["messages"], 4, "{c}");
        assert_eq!(c["status"], "new");
        assert!(c["assignee"].is_null());
        assert!(c["from"]
            .as_str()
            .expect("from")
            .ends_with("@customer.example"));
        let subject = c["subject"].as_str().expect("subject");
        assert!(subject.starts_with("Question "), "{subject}");
        assert_eq!(c["id"].as_str().expect("id").len(), 12);
        assert!(c["last_received"].as_str().expect("date").ends_with('Z'));
    }

    // A second agent on the same host, same cache: the same list, nothing downloaded.
    let bob = Tanto::new(&server, dir.path(), "bob");
    let again = bob.sync();
    assert_eq!(again["fetched"], 0);
    assert_eq!(bob.json(&["list", "--json"]), list);
}

#[test]
fn another_clients_flag_changes_and_expunges_are_picked_up_without_refetching() {
    let server = Dovecot::start();
    server.append_many("support", "INBOX", &thousand_messages());
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    alice.sync();

    // The newest message of thread 0 (uids 1-4) carries the thread's state.
    server.store("support", "INBOX", "4", "+FLAGS (tanto-wip tanto-by-bob)");
    server.store("support", "INBOX", "101:109", "+FLAGS (\\Seen)");
    server.expunge("support", "INBOX", "201:205");

    let report = alice.sync();
    assert_eq!(report["fetched"], 0, "no message fetched again: {report}");
    assert_eq!(report["flag_updates"], 10, "{report}");
    assert_eq!(report["expunged"], 5, "{report}");
    assert_eq!(report["messages"], 995);

    let wip = alice.json(&["list", "--status", "wip", "--json"]);
    let wip = wip.as_array().expect("array");
    assert_eq!(wip.len(), 1);
    assert_eq!(wip[0]["assignee"], "bob");
    assert_eq!(wip[0]["messages"], 4);

    // Nothing changed: nothing fetched, nothing updated.
    let quiet = alice.sync();
    assert_eq!(quiet["mode"], "unchanged", "{quiet}");
    assert_eq!(quiet["fetched"], 0);
}

#[test]
fn a_uidvalidity_change_resets_the_folder_and_keeps_the_ids() {
    let server = Dovecot::start();
    let msgs: Vec<Vec<u8>> = thousand_messages().into_iter().take(40).collect();
    server.append_many("support", "INBOX", &msgs);
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    alice.sync();
    let before = by_id(&alice.json(&["list", "--json"]));

    let old = server.uidvalidity("support", "INBOX");
    server.reset_uidvalidity("support", "INBOX");
    assert_ne!(old, server.uidvalidity("support", "INBOX"));

    let report = alice.sync();
    assert_eq!(report["reset"], true, "{report}");
    assert_eq!(report["messages"], 40);
    let after = by_id(&alice.json(&["list", "--json"]));
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (id, c) in &after {
        assert_eq!(c["messages"], before[id]["messages"]);
    }
}

#[test]
fn deleting_the_cache_file_loses_nothing() {
    let server = Dovecot::start();
    let msgs: Vec<Vec<u8>> = thousand_messages().into_iter().take(60).collect();
    server.append_many("support", "INBOX", &msgs);
    server.store(
        "support",
        "INBOX",
        "8",
        "+FLAGS (tanto-done tanto-by-carol)",
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    alice.sync();
    let before = alice.json(&["list", "--json"]);
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{}{suffix}", alice.cache.display());
        let _ = std::fs::remove_file(p);
    }
    assert!(!alice.cache.exists());
    alice.sync();
    assert_eq!(alice.json(&["list", "--json"]), before);
    alice.ok(&["cache", "rebuild"]);
    assert_eq!(alice.json(&["list", "--json"]), before);
}

#[test]
fn two_processes_syncing_one_cache_at_once_make_no_error_and_no_duplicate() {
    let server = Dovecot::start();
    server.append_many("support", "INBOX", &thousand_messages());
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    let bob = Tanto::new(&server, dir.path(), "bob");
    let a = alice.command(&["sync", "--once"]).spawn().expect("spawn");
    let b = bob.command(&["sync", "--once"]).spawn().expect("spawn");
    for child in [a, b] {
        let out = child.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let cache = tanto_mail::cache::Cache::open(&alice.cache, false).expect("open cache");
    assert_eq!(cache.message_count().expect("count"), 1000);
    let list = alice.json(&["list", "--json"]);
    assert_eq!(by_id(&list).len(), list.as_array().expect("array").len());
    assert_eq!(list.as_array().expect("array").len(), 250);
}

#[test]
fn replies_in_sent_and_replies_without_headers_join_their_conversation() {
    let server = Dovecot::start();
    server.append(
        "support",
        "INBOX",
        b"From: Taro <taro@customer.example>\r\nTo: support@example.com\r\nSubject: =?ISO-2022-JP?B?GyRCQ21KOBsoQg==?= order\r\nMessage-ID: <q1@customer.example>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0900\r\n\r\nWhere is my order?\r\n",
        &[],
    );
    server.append(
        "support",
        "Sent",
        b"From: Support <support@example.com>\r\nTo: taro@customer.example\r\nSubject: Re: order\r\nMessage-ID: <r1@example.com>\r\nIn-Reply-To: <q1@customer.example>\r\nReferences: <q1@customer.example>\r\nDate: Mon, 2 Nov 2026 11:00:00 +0900\r\n\r\nIt ships today.\r\n",
        &[],
    );
    // A mailer that drops In-Reply-To and References.
    server.append(
        "support",
        "INBOX",
        b"From: taro@customer.example\r\nTo: support@example.com\r\nSubject: RE: =?ISO-2022-JP?B?GyRCQ21KOBsoQg==?= order\r\nMessage-ID: <q2@customer.example>\r\nDate: Mon, 2 Nov 2026 12:00:00 +0900\r\n\r\nThanks!\r\n",
        &[],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    alice.sync();
    let list = alice.json(&["list", "--json"]);
    let convs = list.as_array().expect("array");
    assert_eq!(convs.len(), 1, "{list}");
    assert_eq!(convs[0]["messages"], 3);
    assert_eq!(convs[0]["subject"], "注文 order");
    assert_eq!(convs[0]["from"], "taro@customer.example");
    let id = convs[0]["id"].as_str().expect("id");
    let show = alice.json(&["show", id, "--json"]);
    let kinds: Vec<&str> = show["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["inbound", "reply", "inbound"]);
    assert_eq!(
        show["timeline"][1]["text"].as_str().map(str::trim),
        Some("It ships today.")
    );
    // Reading through tanto must not mark mail seen for the team.
    let human = alice.ok(&["show", &id[..6]]);
    assert!(human.contains("Where is my order?"));
    let seen = support::fetch_flags(&server, "support", "INBOX");
    assert!(seen.iter().all(|f| !f.contains("\\Seen")), "{seen:?}");
}

#[test]
fn bad_config_wrong_password_and_down_server_exit_1_with_one_clear_line() {
    let server = Dovecot::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");

    let one_line_error = |out: std::process::Output, needle: &str| {
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err:?}");
        assert!(err.contains(needle), "{err:?} should mention {needle}");
    };

    // A wrong key.
    let text = std::fs::read_to_string(&alice.config).expect("read");
    std::fs::write(&alice.config, text.replace("folder = ", "foldr = ")).expect("write");
    one_line_error(alice.run(&["list"]), "foldr");
    // A missing file.
    let missing = Tanto {
        config: dir.path().join("nope.toml"),
        cache: alice.cache.clone(),
        dir: dir.path().to_path_buf(),
    };
    one_line_error(missing.run(&["list"]), "nope.toml");
    std::fs::write(&alice.config, &text).expect("write");

    // A wrong password.
    let out = alice
        .command(&["sync", "--once"])
        .env("TANTO_TEST_PASSWORD", "wrong")
        .output()
        .expect("run");
    one_line_error(out, "login");

    // The server is down.
    drop(server);
    one_line_error(alice.run(&["sync", "--once"]), "cannot reach");
}

/// CAPABILITY as Dovecot announces it, less CONDSTORE and QRESYNC.
const NO_CONDSTORE: &str = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SPECIAL-USE LITERAL+ NAMESPACE UIDPLUS MOVE";

#[test]
fn a_server_without_condstore_is_synced_by_comparing_flags_and_uids() {
    let server = Dovecot::start_with(NO_CONDSTORE);
    let msgs: Vec<Vec<u8>> = thousand_messages().into_iter().take(40).collect();
    server.append_many("support", "INBOX", &msgs);
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    assert_eq!(alice.sync()["mode"], "full");

    server.store("support", "INBOX", "4", "+FLAGS (tanto-wip tanto-by-bob)");
    server.store("support", "INBOX", "5", "+FLAGS (\\Seen)");
    server.expunge("support", "INBOX", "10:12");
    server.append("support", "INBOX", &sample_message(1000, None), &[]);
    let report = alice.sync();
    assert_eq!(report["mode"], "plain", "{report}");
    assert_eq!(report["flag_updates"], 2, "{report}");
    assert_eq!(report["expunged"], 3, "{report}");
    assert_eq!(report["fetched"], 1, "{report}");
    assert_eq!(report["messages"], 38);
    let wip = alice.json(&["list", "--status", "wip", "--json"]);
    assert_eq!(wip[0]["assignee"], "bob");

    let doctor = alice.ok(&["doctor"]);
    assert!(doctor.contains("CONDSTORE    no"), "{doctor}");
    assert!(doctor.contains("through the activity log"), "{doctor}");

    // Claims are decided through the log (tests/log_coordination.rs races them); a
    // keyword set by another client before is still read as the holder.
    let bob = Tanto::new(&server, dir.path(), "bob");
    let id = wip[0]["id"].as_str().expect("id").to_string();
    let other = alice.json(&["list", "--status", "new", "--json"])[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert!(alice.ok(&["claim", &other]).contains("alice claimed it"));
    let out = bob.run(&["claim", &other]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert_eq!(alice.run(&["claim", &id]).status.code(), Some(3));
}

#[test]
fn doctor_reports_every_capability_and_the_keyword_budget() {
    let server = Dovecot::start();
    server.append(
        "support",
        "INBOX",
        &sample_message(1, None),
        &["tanto-wip", "tanto-by-bob"],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    let out = alice.ok(&["doctor"]);
    for cap in [
        "CONDSTORE",
        "QRESYNC",
        "IDLE",
        "MOVE",
        "UIDPLUS",
        "SPECIAL-USE",
    ] {
        assert!(out.contains(&format!("{cap:<12} yes")), "{cap}: {out}");
    }
    assert!(out.contains("keywords     yes"), "{out}");
    assert!(out.contains("2 of them tanto's"), "{out}");
    assert!(out.contains("sent folder  ok    Sent"), "{out}");
}

#[test]
fn the_cache_file_is_shared_with_the_group_but_not_the_world() {
    use std::os::unix::fs::PermissionsExt;
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &dir.path().join("new/dir"), "alice");
    alice.sync();
    let mode = std::fs::metadata(&alice.cache)
        .expect("cache")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660, "{mode:o}");
}

#[test]
fn show_says_who_else_is_looking_at_a_conversation() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    let bob = Tanto::new(&server, dir.path(), "bob");
    alice.sync();
    let id = alice.json(&["list", "--json"])[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    bob.ok(&["show", &id]);
    assert!(alice.ok(&["show", &id]).starts_with("bob is viewing"));
    let json = alice.json(&["show", &id, "--json"]);
    assert_eq!(json["presence"][0]["agent"], "bob");
}

#[test]
fn wrong_arguments_exit_1_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    for args in [
        &["list", "--status", "bogus"][..],
        &["frobnicate"],
        &["claim"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tanto"))
            .args(args)
            .env("TANTO_CONFIG", dir.path().join("none.toml"))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    }
}

#[test]
fn two_shared_addresses_sync_side_by_side_and_list_by_mailbox() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    server.append("alice", "INBOX", &sample_message(2, None), &[]);
    server.append("alice", "INBOX", &sample_message(3, Some(2)), &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tanto::new(&server, dir.path(), "carol");
    t.add_info_mailbox();

    let report = t.json(&["sync", "--once", "--json"]);
    assert_eq!(report.as_array().map(Vec::len), Some(2), "{report}");
    let all = t.json(&["list", "--json"]);
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    let info = t.json(&["list", "--mailbox", "info", "--json"]);
    let info = info.as_array().expect("array");
    assert_eq!(info.len(), 1);
    assert_eq!(info[0]["mailbox"], "info");
    assert_eq!(info[0]["messages"], 2);
    let id = info[0]["id"].as_str().expect("id");
    t.ok(&["claim", id]);
    assert_eq!(t.json(&["list", "--mine", "--json"])[0]["mailbox"], "info");
}

#[test]
fn a_reply_filed_in_sent_after_a_sync_is_picked_up_by_the_next_resync() {
    // The resync asks STATUS of Sent and SELECTs it only when it changed: a change there
    // must still be seen.
    let server = Dovecot::start();
    server.append(
        "support",
        "INBOX",
        b"From: Taro <taro@customer.example>\r\nTo: support@example.com\r\nSubject: order\r\nMessage-ID: <q1@customer.example>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0900\r\n\r\nWhere is my order?\r\n",
        &[],
    );
    server.append(
        "support",
        "Sent",
        b"From: Support <support@example.com>\r\nTo: someone@customer.example\r\nSubject: hello\r\nMessage-ID: <r0@example.com>\r\nDate: Mon, 2 Nov 2026 09:00:00 +0900\r\n\r\nHello.\r\n",
        &[],
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    alice.sync();
    alice.sync();
    server.append(
        "support",
        "Sent",
        b"From: Support <support@example.com>\r\nTo: taro@customer.example\r\nSubject: Re: order\r\nMessage-ID: <r1@example.com>\r\nIn-Reply-To: <q1@customer.example>\r\nReferences: <q1@customer.example>\r\nDate: Mon, 2 Nov 2026 11:00:00 +0900\r\n\r\nIt ships today.\r\n",
        &[],
    );
    alice.sync();
    let list = alice.json(&["list", "--json"]);
    let taro: Vec<&Value> = list
        .as_array()
        .expect("array")
        .iter()
        .filter(|c| c["from"] == "taro@customer.example")
        .collect();
    assert_eq!(taro.len(), 1, "{list}");
    assert_eq!(taro[0]["messages"], 2, "{list}");
}

/// The cache work of a no-change resync (VM steps of every statement it runs), after a
/// first sync of `n` messages in the inbox and `n / 4` in Sent.
fn no_change_resync_steps(n: usize) -> u64 {
    let server = Dovecot::start();
    let inbox: Vec<Vec<u8>> = (0..n).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &inbox);
    let sent: Vec<Vec<u8>> = (0..n / 4).map(|i| sample_message(n + i, Some(i))).collect();
    server.append_many("support", "Sent", &sent);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = server.agent_config(dir.path(), "alice", "agent", "");
    let ctx = tanto_app::Ctx::load(Some(&config)).expect("config");
    let mut cache = ctx.cache().expect("cache");
    let (i, m) = ctx.mailboxes().next().expect("mailbox");
    tanto_app::sync::sync_mailbox(&ctx, &mut cache, i, m).expect("first sync");
    cache.statement_stats(true);
    let reports = tanto_app::sync::sync_mailbox(&ctx, &mut cache, i, m).expect("resync");
    assert!(
        reports
            .iter()
            .all(|r| r.mode == tanto_mail::imap::sync::SyncMode::Unchanged
                || r.mode == tanto_mail::imap::sync::SyncMode::Missing),
        "{reports:?}"
    );
    cache
        .statement_stats(false)
        .iter()
        .map(|s| s.vm_steps)
        .sum()
}

/// A no-change resync must cost the same at 100 and at 1,000 messages: nothing it asks of
/// the cache may walk a folder's rows (a count of them did, 5 ms of a 30 ms resync at 100k).
#[test]
fn a_no_change_resync_does_not_read_the_folders_rows() {
    let small = no_change_resync_steps(100);
    let big = no_change_resync_steps(1000);
    assert!(
        big <= small + small / 2,
        "a no-change resync's cache work grows with the folder: {small} steps at 100 messages, {big} at 1000"
    );
}

/// A no-change resync costs the server next to nothing: the inbox is selected before any
/// LIST (on maildir a SELECT right after a LIST cost 65-97 ms at 100k), and once the Sent
/// folder has been found (no `sent_folder` in the config) it is not looked for again.
#[test]
fn a_no_change_resync_selects_the_inbox_first_and_lists_nothing() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(0, None), &[]);
    let relay = harness::Relay::start(server.port);
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tanto::via(&server, relay.port(), dir.path(), "alice");
    let text = std::fs::read_to_string(&t.config).expect("read config");
    std::fs::write(&t.config, text.replace("sent_folder = \"Sent\"\n", "")).expect("write");
    t.sync();
    let before = relay.commands().len();
    t.sync();
    let cmds: Vec<String> = relay.commands()[before..]
        .iter()
        .map(|c| c.trim().to_string())
        .collect();
    let first_folder_command = cmds.iter().find(|c| {
        ["SELECT", "EXAMINE", "LIST", "STATUS"]
            .iter()
            .any(|v| c.starts_with(v))
    });
    assert!(
        first_folder_command.is_some_and(|c| c.starts_with("SELECT") && c.contains("INBOX")),
        "{cmds:?}"
    );
    assert!(!cmds.iter().any(|c| c.starts_with("LIST")), "{cmds:?}");
}

/// A first sync tells how far it is, batch by batch, then that it sorts into
/// conversations; a resync with nothing new tells nothing.
#[test]
fn a_first_sync_reports_its_progress_by_batch_and_a_resync_none() {
    use std::sync::{Arc, Mutex};
    use tanto_app::sync::{ProgressSink, SyncProgress};
    use tanto_mail::imap::sync::Progress;
    let server = Dovecot::start();
    let n = 2500;
    let inbox: Vec<Vec<u8>> = (0..n).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &inbox);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = server.agent_config(dir.path(), "alice", "agent", "");
    let seen: Arc<Mutex<Vec<SyncProgress>>> = Arc::default();
    let sink = {
        let seen = seen.clone();
        ProgressSink::new(move |p| seen.lock().expect("lock").push(p))
    };
    let ctx = tanto_app::Ctx::load(Some(&config))
        .expect("config")
        .with_progress(sink);
    let mut cache = ctx.cache().expect("cache");
    let (i, m) = ctx.mailboxes().next().expect("mailbox");
    tanto_app::sync::sync_mailbox(&ctx, &mut cache, i, m).expect("first sync");
    let inbox: Vec<Progress> = seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|p| p.folder == "INBOX" && p.mailbox == "support")
        .map(|p| p.progress)
        .collect();
    let Some((Progress::Threading { total }, fetching)) = inbox.split_last() else {
        panic!("no threading step last: {inbox:?}");
    };
    assert_eq!(*total, n, "{inbox:?}");
    let done: Vec<usize> = fetching
        .iter()
        .map(|p| match p {
            Progress::Fetching { done, total } if *total == n => *done,
            other => panic!("{other:?} in {inbox:?}"),
        })
        .collect();
    // From nothing, by whole batches, in order, to all of them.
    assert_eq!(done.first(), Some(&0), "{done:?}");
    assert_eq!(done.last(), Some(&n), "{done:?}");
    assert!(done.len() >= 3, "{done:?}");
    assert!(done.windows(2).all(|w| w[0] < w[1]), "{done:?}");
    seen.lock().expect("lock").clear();
    tanto_app::sync::sync_mailbox(&ctx, &mut cache, i, m).expect("resync");
    assert!(seen.lock().expect("lock").is_empty(), "{:?}", seen.lock());
}
