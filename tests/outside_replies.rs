//! Issue 23: a reply the team sent from another mail client (Outlook, a phone, webmail) is
//! picked up from Sent by the next sync, attributed (to the conversation's holder, else
//! `outside`), and moves the conversation to done like a reply from tanto; once only, and
//! not for old mail in Sent nor for what was in Sent before a cache's first sync.

mod harness;
mod support;

use chrono::{Duration, Local};
use harness::Dovecot;
use support::Tanto;

fn internal_date(days_ago: i64) -> String {
    (Local::now() - Duration::days(days_ago))
        .format("%d-%b-%Y %H:%M:%S %z")
        .to_string()
}

fn customer_mail(n: u32, days_ago: i64) -> Vec<u8> {
    let date = (Local::now() - Duration::days(days_ago)).to_rfc2822();
    format!(
        "From: Customer {n} <c{n}@customer.jp>\r\nTo: support@example.com\r\n\
         Subject: question {n}\r\nDate: {date}\r\nMessage-ID: <q{n}@customer.jp>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nHello {n}\r\n"
    )
    .into_bytes()
}

fn outlook_reply(n: u32) -> Vec<u8> {
    let date = Local::now().to_rfc2822();
    format!(
        "From: Support <support@example.com>\r\nTo: c{n}@customer.jp\r\n\
         Subject: Re: question {n}\r\nDate: {date}\r\nMessage-ID: <outlook-{n}@example.com>\r\n\
         In-Reply-To: <q{n}@customer.jp>\r\nReferences: <q{n}@customer.jp>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nAnswered from the phone.\r\n"
    )
    .into_bytes()
}

fn conversation(t: &Tanto, subject: &str) -> serde_json::Value {
    t.json(&["list", "--json"])
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["subject"] == subject)
        .cloned()
        .unwrap_or_else(|| panic!("no {subject}"))
}

fn sent_events(t: &Tanto, id: &str) -> Vec<(String, String)> {
    t.json(&["show", id, "--json"])["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "event" && e["event"] == "sent")
        .map(|e| {
            (
                e["agent"].as_str().unwrap_or_default().to_string(),
                e["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_reply_sent_from_another_client_is_attributed_and_closes_the_conversation_once() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &customer_mail(1, 0), &[]);
    server.append("support", "INBOX", &customer_mail(2, 0), &[]);
    server.append_dated(
        "support",
        "INBOX",
        &customer_mail(3, 12),
        &[],
        Some(&internal_date(12)),
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    let bob = Tanto::new(&server, &root.path().join("b"), "bob");
    alice.sync();
    bob.sync();
    let held = conversation(&alice, "question 1")["id"]
        .as_str()
        .expect("id")
        .to_string();
    alice.ok(&["claim", &held]);

    // Alice answers 1 from her phone, someone answers 2 from webmail, and a reply to 3 was
    // sent twelve days ago, before the team used tanto.
    server.append("support", "Sent", &outlook_reply(1), &["\\Seen"]);
    server.append("support", "Sent", &outlook_reply(2), &["\\Seen"]);
    server.append_dated(
        "support",
        "Sent",
        &outlook_reply(3),
        &["\\Seen"],
        Some(&internal_date(11)),
    );

    // Bob's sync picks them up: alice's is done and hers, the unheld one done by `outside`.
    bob.sync();
    let one = conversation(&bob, "question 1");
    assert_eq!(one["status"], "done", "{one}");
    let events = sent_events(&bob, &held);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, "alice");
    assert!(events[0].1.contains("another mail client"), "{events:?}");
    let two = conversation(&bob, "question 2");
    assert_eq!(two["status"], "done", "{two}");
    let id2 = two["id"].as_str().expect("id");
    assert_eq!(sent_events(&bob, id2)[0].0, "outside");
    // Old mail in Sent rewrites no history.
    let three = conversation(&bob, "question 3");
    assert_eq!(three["status"], "new", "{three}");
    assert!(sent_events(&bob, three["id"].as_str().expect("id")).is_empty());

    // A cache that first syncs now takes what is in Sent as history: nothing is picked up
    // twice, and nothing was missed (bob's sync logged it for everyone).
    let carol = Tanto::new(&server, &root.path().join("c"), "carol");
    carol.sync();
    assert_eq!(sent_events(&carol, &held).len(), 1);
    // Alice's sync (another cache, the same server) logs nothing twice.
    alice.sync();
    bob.sync();
    assert_eq!(sent_events(&alice, &held).len(), 1);
    assert_eq!(sent_events(&alice, id2).len(), 1);
    assert_eq!(conversation(&alice, "question 1")["status"], "done");

    // A customer writing again makes it New as usual.
    let follow = format!(
        "From: Customer 1 <c1@customer.jp>\r\nTo: support@example.com\r\n\
         Subject: Re: question 1\r\nDate: {}\r\nMessage-ID: <q1b@customer.jp>\r\n\
         In-Reply-To: <outlook-1@example.com>\r\nReferences: <q1@customer.jp> <outlook-1@example.com>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThanks, one more thing\r\n",
        Local::now().to_rfc2822()
    );
    server.append("support", "INBOX", follow.as_bytes(), &[]);
    bob.sync();
    assert_eq!(conversation(&bob, "question 1")["status"], "new");
}
