//! Conversation ids are a function of the server's state: whatever history a cache went
//! through, it lists what a fresh cache synced once at the end lists.

mod harness;
mod support;

use harness::Dovecot;
use support::{summary, Conv, Tanto};

/// A message: Message-ID, minutes after a fixed time, the ids it links to (References and
/// In-Reply-To), subject, From, and any extra header lines.
fn mail(id: &str, minute: u32, links: &[&str], subject: &str, from: &str, extra: &str) -> Vec<u8> {
    let mut m = format!(
        "From: {from}\r\nTo: support@example.com\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\
         Date: Mon, 2 Nov 2026 10:{minute:02}:00 +0900\r\n"
    );
    if let Some(last) = links.last() {
        let refs: Vec<String> = links.iter().map(|l| format!("<{l}>")).collect();
        m.push_str(&format!(
            "References: {}\r\nIn-Reply-To: <{last}>\r\n",
            refs.join(" ")
        ));
    }
    m.push_str(extra);
    m.push_str("\r\nHello.\r\n");
    m.into_bytes()
}

/// Appends a customer's message (see `customer`) to the shared inbox; returns its UID.
fn inbox(server: &Dovecot, id: &str, minute: u32, links: &[&str], subject: &str) -> u32 {
    server.append(
        "support",
        "INBOX",
        &customer(id, minute, links, subject),
        &[],
    )
}

fn customer(id: &str, minute: u32, links: &[&str], subject: &str) -> Vec<u8> {
    mail(
        id,
        minute,
        links,
        subject,
        "Taro <taro@customer.example>",
        "",
    )
}

/// Syncs `t` and a fresh agent (its own cache, synced once now); both must list the same.
fn same_as_fresh(server: &Dovecot, t: &Tanto) -> Vec<Conv> {
    t.ok(&["sync", "--once"]);
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = Tanto::new(server, dir.path(), "bob");
    fresh.ok(&["sync", "--once"]);
    let (mine, theirs) = (summary(t), summary(&fresh));
    assert_eq!(mine, theirs, "incremental cache vs fresh cache");
    mine
}

fn ids(s: &[Conv]) -> Vec<String> {
    s.iter().map(|c| c.0.clone()).collect()
}

fn agent(server: &Dovecot) -> (tempfile::TempDir, Tanto) {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tanto::new(server, dir.path(), "alice");
    (dir, t)
}

#[test]
fn the_first_message_of_a_thread_expunged_keeps_the_id() {
    let server = Dovecot::start();
    inbox(&server, "q1@c", 0, &[], "Order");
    inbox(&server, "q2@c", 5, &["q1@c"], "Re: Order");
    let (_d, alice) = agent(&server);
    let before = same_as_fresh(&server, &alice);
    alice.ok(&["claim", &before[0].0]);
    server.expunge("support", "INBOX", "1");
    let after = same_as_fresh(&server, &alice);
    assert_eq!(ids(&after), ids(&before));
    assert_eq!(after[0].2.as_deref(), Some("alice"));
    assert_eq!(after[0].3, 1);
}

#[test]
fn a_message_that_joined_two_threads_expunged_splits_them_again() {
    let server = Dovecot::start();
    inbox(&server, "a1@c", 0, &[], "Order");
    inbox(&server, "a2@c", 5, &["a1@c"], "Re: Order");
    inbox(&server, "b1@c", 10, &[], "Invoice");
    let joiner = inbox(
        &server,
        "j@c",
        20,
        &["a2@c", "b1@c"],
        "Re: Order and invoice",
    );
    let (_d, alice) = agent(&server);
    let joined = same_as_fresh(&server, &alice);
    assert_eq!(joined.len(), 1, "{joined:?}");
    alice.ok(&["claim", &joined[0].0]);
    server.expunge("support", "INBOX", &joiner.to_string());
    let split = same_as_fresh(&server, &alice);
    assert_eq!(split.len(), 2, "{split:?}");
}

#[test]
fn a_reply_arriving_before_its_root_is_already_under_the_roots_id() {
    let server = Dovecot::start();
    inbox(&server, "q2@c", 5, &["q1@c"], "Re: Order");
    let (_d, alice) = agent(&server);
    let early = same_as_fresh(&server, &alice);
    inbox(&server, "q1@c", 0, &[], "Order");
    let late = same_as_fresh(&server, &alice);
    assert_eq!(ids(&late), ids(&early));
    assert_eq!(late[0].3, 2);
}

#[test]
fn sent_synced_before_the_inbox_gives_the_same_conversations() {
    let server = Dovecot::start();
    server.append(
        "support",
        "Sent",
        &mail(
            "r1@example.com",
            30,
            &["q1@c"],
            "Re: Order",
            "Support <support@example.com>",
            "",
        ),
        &[],
    );
    // A second customer's thread whose reply (without links) comes before its question.
    inbox(&server, "x2@c", 40, &[], "Re: Refund");
    let (_d, alice) = agent(&server);
    let sent_only = same_as_fresh(&server, &alice);
    inbox(&server, "q1@c", 0, &[], "Order");
    inbox(&server, "x1@c", 35, &[], "Refund");
    let both = same_as_fresh(&server, &alice);
    assert!(
        both.iter()
            .any(|c| c.0 == sent_only[0].0 || c.0 == sent_only[1].0),
        "{sent_only:?} {both:?}"
    );
    assert_eq!(both.len(), 2, "{both:?}");
    assert!(both.iter().all(|c| c.1 == "new" && c.3 == 2), "{both:?}");
}

#[test]
fn a_uidvalidity_reset_with_the_root_gone_gives_what_a_fresh_cache_gives() {
    let server = Dovecot::start();
    inbox(&server, "q1@c", 0, &[], "Order");
    inbox(&server, "q2@c", 5, &["q1@c"], "Re: Order");
    server.append(
        "support",
        "Sent",
        &mail(
            "r1@example.com",
            3,
            &["q1@c"],
            "Re: Order",
            "support@example.com",
            "",
        ),
        &[],
    );
    let (_d, alice) = agent(&server);
    let before = same_as_fresh(&server, &alice);
    alice.ok(&["claim", &before[0].0]);
    server.reset_uidvalidity("support", "INBOX");
    let first = server.uids("support", "INBOX")[0];
    server.expunge("support", "INBOX", &first.to_string());
    let after = same_as_fresh(&server, &alice);
    assert_eq!(ids(&after), ids(&before));
    assert_eq!(after[0].3, 2);
}

#[test]
fn a_cache_rebuild_keeps_the_ids() {
    let server = Dovecot::start();
    inbox(&server, "q1@c", 0, &[], "Order");
    inbox(&server, "q2@c", 5, &["q1@c"], "Re: Order");
    inbox(&server, "q3@c", 9, &[], "RE: order");
    let (_d, alice) = agent(&server);
    let before = same_as_fresh(&server, &alice);
    alice.ok(&["claim", &before[0].0]);
    server.expunge("support", "INBOX", "1");
    let expunged = same_as_fresh(&server, &alice);
    alice.ok(&["cache", "rebuild"]);
    let rebuilt = same_as_fresh(&server, &alice);
    assert_eq!(rebuilt, expunged);
    assert_eq!(ids(&rebuilt), ids(&before));
}

#[test]
fn one_message_in_two_shared_mailboxes_is_two_conversations_each_claimed_in_its_own() {
    let server = Dovecot::start();
    let raw = customer("both@c", 0, &[], "To everyone");
    server.append("support", "INBOX", &raw, &[]);
    server.append("alice", "INBOX", &raw, &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let t = Tanto::new(&server, dir.path(), "carol");
    t.add_info_mailbox();
    t.ok(&["sync", "--once"]);
    let list = t.json(&["list", "--json"]);
    let convs = list.as_array().expect("array");
    assert_eq!(convs.len(), 2, "{list}");
    let id_of = |mailbox: &str| {
        convs
            .iter()
            .find(|c| c["mailbox"] == mailbox)
            .and_then(|c| c["id"].as_str())
            .expect("conversation of the mailbox")
            .to_string()
    };
    let (support, info) = (id_of("support"), id_of("info"));
    assert_ne!(support, info);
    let wip = |user: &str| {
        server
            .flags(user, "INBOX", 1)
            .iter()
            .any(|f| f == "tanto-wip")
    };
    t.ok(&["claim", &info]);
    assert!(wip("alice") && !wip("support"));
    t.ok(&["claim", &support]);
    assert!(wip("support"));
}

#[test]
fn a_contact_form_message_is_the_customers_and_can_be_claimed() {
    let server = Dovecot::start();
    server.append(
        "support",
        "INBOX",
        &mail(
            "form1@example.com",
            0,
            &[],
            "Contact form: broken order",
            "Support <support@example.com>",
            "Reply-To: Hanako <hanako@customer.example>\r\n",
        ),
        &[],
    );
    let (_d, alice) = agent(&server);
    alice.ok(&["sync", "--once"]);
    let list = alice.json(&["list", "--json"]);
    assert_eq!(list[0]["status"], "new", "{list}");
    assert_eq!(list[0]["from"], "hanako@customer.example", "{list}");
    let id = list[0]["id"].as_str().expect("id").to_string();
    alice.ok(&["claim", &id]);
    let list = alice.json(&["list", "--json"]);
    assert_eq!(list[0]["status"], "wip");
    assert_eq!(list[0]["assignee"], "alice");
}
