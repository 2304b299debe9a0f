//! Replying against a real Dovecot and a real SMTP server (aiosmtpd): one correct mail out,
//! Sent, `\Answered`, Done, seen by a second agent; the duplicate-reply guard; approval;
//! crashes at each step of the send; SMTP down; mail arriving while the draft is open.

mod harness;
mod support;

use std::time::Duration;

use harness::{Dovecot, SmtpSink};
use support::replying::*;

#[test]
fn a_reply_reaches_smtp_once_threaded_in_sent_done_and_seen_by_a_colleague() {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append(
        "support",
        "INBOX",
        &question(1, "注文した商品が届きません。"),
        &[],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &sink, &root.path().join("a"), "alice", "");
    let bob = agent(&server, &sink, &root.path().join("b"), "bob", "");
    alice.sync();
    let id = only_id(&alice);
    let text = "山田様\n\nご不便をおかけして申し訳ございません。本日発送いたしました。\n";
    let out = alice.ok(&[
        "reply",
        &id,
        "--all",
        "--body-file",
        &body_file(root.path(), text),
    ]);
    assert!(out.contains("sent"), "{out}");

    let got = sink.wait_for(1, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1, "exactly one mail");
    let m = parsed(&got[0]);
    let from = m.from().and_then(|f| f.first()).expect("from");
    assert_eq!(from.address(), Some("support@example.com"));
    assert_eq!(from.name(), Some("サポート窓口"));
    let to: Vec<&str> = m
        .to()
        .expect("to")
        .iter()
        .filter_map(|a| a.address())
        .collect();
    assert_eq!(to, ["yamada1@customer.jp"]);
    let cc: Vec<&str> = m
        .cc()
        .expect("cc")
        .iter()
        .filter_map(|a| a.address())
        .collect();
    assert_eq!(cc, ["boss1@customer.jp"], "reply-all, never to support@");
    assert_eq!(m.subject(), Some("Re: お問い合わせ 1"));
    assert_eq!(m.in_reply_to().as_text(), Some("q1@customer.jp"));
    let refs: Vec<String> = m
        .references()
        .as_text_list()
        .expect("references")
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(refs, ["root1@customer.jp", "q1@customer.jp"]);
    let body = m.body_text(0).expect("text").replace("\r\n", "\n");
    assert!(body.starts_with(text), "{body}");
    assert!(body.contains("株式会社例 サポート"), "{body}");
    assert!(body.contains("> 注文した商品が届きません。"), "{body}");
    assert_eq!(got[0].mail_from, "support@example.com");
    assert_eq!(got[0].rcpt_to, ["yamada1@customer.jp", "boss1@customer.jp"]);

    // The very same bytes are in Sent, and nothing is left in the outbox.
    let sent = server.uids("support", "Sent");
    assert_eq!(sent.len(), 1);
    let mut s = server.session("support");
    s.examine("Sent").expect("examine");
    let f = s
        .uid_fetch(sent[0].to_string(), "BODY.PEEK[]")
        .expect("fetch");
    assert_eq!(
        f.iter().next().and_then(|f| f.body()),
        Some(got[0].raw.as_slice())
    );
    assert!(server.uids("support", "Tanto/Outbox").is_empty());
    let inbox = server.uids("support", "INBOX");
    assert!(server
        .flags("support", "INBOX", inbox[0])
        .iter()
        .any(|f| f == "\\Answered"));
    assert_eq!(status(&alice, &id), "done");

    bob.sync();
    let view = bob.json(&["show", &id, "--json"]);
    assert_eq!(view["status"], "done");
    let timeline = view["timeline"].as_array().expect("timeline");
    assert!(timeline.iter().any(|e| e["kind"] == "reply"), "{view}");
    assert!(
        timeline
            .iter()
            .any(|e| e["kind"] == "event"
                && e["text"].as_str().unwrap_or("").contains("sent a reply")),
        "{view}"
    );
}

#[test]
fn iso_2022_jp_when_the_mailbox_asks_for_it() {
    // Bound to the end: the server runs while it is held.
    let Desk {
        server: _server,
        sink,
        alice,
        id,
        root,
    } = desk_with(
        "請求書をお願いします。",
        "reply_charset = \"iso-2022-jp\"\n",
    );
    let text = "山田様\n\n請求書を添付いたしました。\n";
    let f = root.path().join("請求書.pdf");
    std::fs::write(&f, b"%PDF-1.4 test").expect("write");
    alice.ok(&[
        "reply",
        &id,
        "--keep-open",
        "--attach",
        &f.to_string_lossy(),
        "--body-file",
        &body_file(root.path(), text),
    ]);
    let got = sink.wait_for(1, Duration::from_secs(30));
    assert!(got[0].raw.is_ascii(), "ISO-2022-JP is 7-bit");
    assert!(String::from_utf8_lossy(&got[0].raw).contains("charset=ISO-2022-JP"));
    let m = parsed(&got[0]);
    assert_eq!(m.subject(), Some("Re: お問い合わせ 1"));
    assert!(m
        .body_text(0)
        .expect("text")
        .replace("\r\n", "\n")
        .starts_with(text));
    assert_eq!(
        m.attachment(0).map(|a| a.contents()),
        Some(&b"%PDF-1.4 test"[..])
    );
    assert_eq!(
        status(&alice, &id),
        "wip",
        "--keep-open keeps it in progress"
    );
}

#[test]
fn while_alice_holds_it_bobs_reply_exits_3_naming_her_and_nothing_is_sent() {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, "質問です"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &sink, &root.path().join("a"), "alice", "");
    let bob = agent(&server, &sink, &root.path().join("b"), "bob", "");
    alice.sync();
    let id = only_id(&alice);
    alice.ok(&["claim", &id]);
    bob.sync();
    let (code, _, err) = run_code(
        &bob,
        &["reply", &id, "--body-file", &body_file(root.path(), "hi")],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("alice"), "{err}");
    std::thread::sleep(Duration::from_millis(300));
    assert!(sink.received().is_empty());
    let mut s = server.session("support");
    let outbox = s.list(Some(""), Some("Tanto/Outbox")).expect("list");
    assert!(outbox.is_empty(), "nothing was queued");
}

#[test]
fn a_reply_needing_approval_waits_then_goes_out_once_or_comes_back_with_the_reason() {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, "一つ目"), &[]);
    server.append("support", "INBOX", &question(2, "二つ目"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let team = "\n[team]\napproval = [\"newbie\"]\n";
    let newbie = agent(&server, &sink, &root.path().join("n"), "newbie", team);
    let boss = agent(&server, &sink, &root.path().join("s"), "boss", team).supervisor();
    newbie.sync();
    let ids = all_ids(&newbie);
    for id in &ids {
        let out = newbie.ok(&[
            "reply",
            id,
            "--body-file",
            &body_file(root.path(), "お返事です"),
        ]);
        assert!(out.contains("approval"), "{out}");
    }
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        sink.received().is_empty(),
        "nothing goes out before approval"
    );
    boss.sync();
    assert!(
        sink.received().is_empty(),
        "a sync does not send what waits for approval"
    );
    let (code, _, err) = run_code(&newbie, &["approve", &ids[0]]);
    assert_eq!(code, 1, "only a supervisor approves: {err}");
    let out = boss.ok(&["approve", &ids[0]]);
    assert!(out.contains("sent"), "{out}");
    sink.wait_for(1, Duration::from_secs(30));
    boss.ok(&["reject", &ids[1], "-m", "敬語を直してください"]);
    newbie.sync();
    boss.sync();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1, "exactly one mail");
    let view = newbie.json(&["show", &ids[1], "--json"]);
    assert!(view.to_string().contains("敬語を直してください"), "{view}");
}

#[test]
fn killed_after_the_outbox_append_the_next_start_sends_it_once() {
    let Desk {
        server,
        sink,
        alice,
        id,
        root: _root,
    } = crash_then_restart("after-outbox");
    sink.wait_for(1, Duration::from_secs(30));
    alice.sync();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1);
    assert_eq!(server.uids("support", "Sent").len(), 1);
    assert!(server.uids("support", "Tanto/Outbox").is_empty());
    assert_eq!(status(&alice, &id), "done");
}

#[test]
fn killed_after_smtp_accepted_the_next_start_says_send_uncertain_and_never_resends() {
    let Desk {
        server,
        sink,
        alice,
        id: _id,
        root: _root,
    } = crash_then_restart("after-smtp");
    let (_, _, err) = run_code(&alice, &["sync", "--once"]);
    assert!(err.contains("send uncertain"), "{err}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1, "never sent twice");
    assert!(server.uids("support", "Sent").is_empty());
    assert_eq!(
        server.uids("support", "Tanto/Outbox").len(),
        1,
        "kept for a person"
    );
}

#[test]
fn killed_after_the_sent_append_the_next_start_only_does_the_bookkeeping() {
    let Desk {
        server,
        sink,
        alice,
        id,
        root: _root,
    } = crash_then_restart("after-sent");
    alice.sync();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1);
    assert_eq!(server.uids("support", "Sent").len(), 1);
    assert!(server.uids("support", "Tanto/Outbox").is_empty());
    assert_eq!(status(&alice, &id), "done");
    let inbox = server.uids("support", "INBOX");
    assert!(server
        .flags("support", "INBOX", inbox[0])
        .iter()
        .any(|f| f == "\\Answered"));
}

#[test]
fn with_smtp_down_the_reply_stays_in_the_outbox_and_goes_out_once_when_it_is_back() {
    let Desk {
        server,
        mut sink,
        alice,
        id,
        root,
    } = desk();
    sink.stop();
    let out = alice.ok(&[
        "reply",
        &id,
        "--body-file",
        &body_file(root.path(), "お答えします"),
    ]);
    assert!(out.contains("queued"), "{out}");
    assert_eq!(server.uids("support", "Tanto/Outbox").len(), 1);
    alice.sync();
    assert_eq!(
        server.uids("support", "Tanto/Outbox").len(),
        1,
        "still down: still queued"
    );
    sink.restart();
    alice.sync();
    alice.sync();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1);
    assert!(server.uids("support", "Tanto/Outbox").is_empty());
    assert_eq!(status(&alice, &id), "done");
}

#[test]
fn a_customer_mail_arriving_while_the_draft_is_open_stops_the_send_and_says_so() {
    let Desk {
        server,
        sink,
        alice,
        id,
        root,
    } = desk();
    // The editor writes the reply, says it is open, and waits until the test lets it close.
    let open = root.path().join("open");
    let go = root.path().join("go");
    let editor = support::editor_script(
        root.path(),
        &format!(
            "printf 'To: yamada1@customer.jp\\nSubject: Re: x\\n\\nお答えします\\n' > \"$1\"\ntouch '{}'\nwhile [ ! -e '{}' ]; do sleep 0.05; done\n",
            open.display(),
            go.display()
        ),
    );
    let child = alice
        .command(&["reply", &id])
        .env("EDITOR", &editor)
        .env_remove("VISUAL")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !open.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the editor never opened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let follow_up = String::from_utf8(question(1, "追加の質問です"))
        .expect("utf8")
        .replace("<q1@customer.jp>", "<q1b@customer.jp>")
        .replace(
            "References: <root1@customer.jp>",
            "In-Reply-To: <q1@customer.jp>\r\nReferences: <root1@customer.jp> <q1@customer.jp>",
        );
    server.append("support", "INBOX", follow_up.as_bytes(), &[]);
    std::fs::write(&go, "").expect("go");
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("not sent") && err.contains("yamada1@customer.jp"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(sink.received().is_empty());
}

#[test]
fn a_scheduled_reply_is_sent_once_when_due_with_two_agents_syncing() {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, "質問です"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &sink, &root.path().join("a"), "alice", "");
    let bob = agent(&server, &sink, &root.path().join("b"), "bob", "");
    alice.sync();
    let id = only_id(&alice);
    let out = alice.ok(&[
        "reply",
        &id,
        "--at",
        "+2s",
        "--body-file",
        &body_file(root.path(), "後ほど"),
    ]);
    assert!(out.contains("scheduled"), "{out}");
    alice.sync();
    bob.sync();
    assert!(sink.received().is_empty(), "not before it is due");
    std::thread::sleep(Duration::from_millis(2200));
    std::thread::scope(|s| {
        let a = s.spawn(|| alice.run(&["sync", "--once"]));
        let b = s.spawn(|| bob.run(&["sync", "--once"]));
        let _ = (a.join(), b.join());
    });
    alice.sync();
    bob.sync();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1, "exactly once");
    assert_eq!(server.uids("support", "Sent").len(), 1);
    assert!(server.uids("support", "Tanto/Outbox").is_empty());
}

#[test]
fn a_reply_goes_to_the_server_s_sender_not_to_a_reply_to_planted_in_the_shared_cache() {
    let d = desk();
    // The body is cached by the first view; another agent on the host then rewrites it in
    // the shared cache with a Reply-To of theirs and another subject.
    let _ = d.alice.json(&["show", &d.id, "--json"]);
    let db = rusqlite::Connection::open(&d.alice.cache).expect("open the cache");
    let raw: Vec<u8> = db
        .query_row("SELECT raw FROM bodies LIMIT 1", [], |r| r.get(0))
        .expect("a cached body");
    let forged = String::from_utf8_lossy(&raw).replacen(
        "From: ",
        "Reply-To: attacker@evil.example\r\nSubject: forged\r\nFrom: ",
        1,
    );
    db.execute("UPDATE bodies SET raw = ?1", [forged.as_bytes()])
        .expect("plant");
    drop(db);
    let (code, out, err) = reply_with(&d.alice, &d.id, d.root.path(), "お答えします");
    assert_eq!(code, 0, "{out}{err}");
    let got = d.sink.wait_for(1, Duration::from_secs(30));
    assert_eq!(got.len(), 1);
    assert!(
        got[0].rcpt_to.iter().all(|r| !r.contains("evil.example")),
        "{:?}",
        got[0].rcpt_to
    );
    assert!(
        got[0].rcpt_to.iter().any(|r| r == "yamada1@customer.jp"),
        "{:?}",
        got[0].rcpt_to
    );
    let subject = parsed(&got[0]).subject().unwrap_or_default().to_string();
    assert!(!subject.contains("forged"), "{subject}");
}

/// Issue 23 (送信確認): with `confirm_new_domains`, a first reply to a domain the team has
/// never written to stops for a second look (exit 1, naming the domain; the TUI asks "send
/// anyway"); `--force` sends it, and once the team has written there, the next reply to that
/// domain goes out without a word.
#[test]
fn a_first_reply_to_a_new_domain_asks_for_confirmation() {
    let Desk {
        server,
        sink,
        alice,
        id,
        root,
    } = desk_with(
        "請求書を送ってください。",
        "[team]\nconfirm_new_domains = true\n",
    );
    let (code, _, err) = reply_with(&alice, &id, root.path(), "お送りします。");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("customer.jp") && err.contains("never written"),
        "{err}"
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(sink.received().is_empty(), "nothing went out");
    let (code, _, err) = run_code(
        &alice,
        &[
            "reply",
            &id,
            "--force",
            "--body-file",
            &body_file(root.path(), "お送りします。"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    sink.wait_for(1, Duration::from_secs(30));

    // The team's mail to customer.jp is in Sent now: the next customer there is no stranger.
    server.append(
        "support",
        "INBOX",
        &question(2, "領収書もお願いします。"),
        &[],
    );
    alice.sync();
    let second = all_ids(&alice)
        .into_iter()
        .find(|c| *c != id)
        .expect("the second conversation");
    let (code, _, err) = reply_with(&alice, &second, root.path(), "承知しました。");
    assert_eq!(code, 0, "{err}");
    sink.wait_for(2, Duration::from_secs(30));
}

/// Issue 23: a reply keeps in Cc whoever the customer's latest mail had in Cc (and the
/// envelope goes to them too), unless the team sets `keep_cc = false`: then only the customer.
#[test]
fn a_team_that_keeps_the_cc_answers_the_customer_s_cc_too() {
    for (setting, keep) in [
        ("", true),
        ("keep_cc = true\n", true),
        ("keep_cc = false\n", false),
    ] {
        let Desk {
            server: _server,
            sink,
            alice,
            id,
            root,
        } = desk_with("見積もりをください。", &format!("[team]\n{setting}"));
        let (code, _, err) = reply_with(&alice, &id, root.path(), "お送りします。");
        assert_eq!(code, 0, "{err}");
        let got = sink.wait_for(1, Duration::from_secs(30));
        let cc = got[0].header("Cc").unwrap_or_default();
        assert_eq!(cc.contains("boss1@customer.jp"), keep, "Cc: {cc}");
        assert_eq!(
            got[0].rcpt_to.iter().any(|r| r == "boss1@customer.jp"),
            keep,
            "{:?}",
            got[0].rcpt_to
        );
    }
}
