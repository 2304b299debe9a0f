//! Merging and splitting conversations by hand (`tanto merge`, `tanto split`), against the
//! real Dovecot: the result lives on the server (an event in the activity folder), so a
//! second agent, a cache rebuilt from scratch and mail arriving later all agree with it.

mod harness;
mod support;

use harness::Dovecot;
use support::{summary, Conv, Tanto};

/// A customer's message: Message-ID, minute, the ids it links to, subject.
fn customer(id: &str, minute: u32, links: &[&str], subject: &str) -> Vec<u8> {
    let mut m = format!(
        "From: Taro <taro@customer.example>\r\nTo: support@example.com\r\nSubject: {subject}\r\n\
         Message-ID: <{id}>\r\nDate: Mon, 2 Nov 2026 10:{minute:02}:00 +0900\r\n"
    );
    if let Some(last) = links.last() {
        let refs: Vec<String> = links.iter().map(|l| format!("<{l}>")).collect();
        m.push_str(&format!(
            "References: {}\r\nIn-Reply-To: <{last}>\r\n",
            refs.join(" ")
        ));
    }
    m.push_str("\r\nHello.\r\n");
    m.into_bytes()
}

fn inbox(server: &Dovecot, id: &str, minute: u32, links: &[&str], subject: &str) -> u32 {
    server.append(
        "support",
        "INBOX",
        &customer(id, minute, links, subject),
        &[],
    )
}

/// Syncs `t`, a second agent with a cache of its own synced once now, and `t` again after
/// its cache file is deleted: all three must list the same.
fn everyone_agrees(server: &Dovecot, t: &Tanto) -> Vec<Conv> {
    t.ok(&["sync", "--once"]);
    let mine = summary(t);
    let dir = tempfile::tempdir().expect("tempdir");
    let bob = Tanto::new(server, dir.path(), "bob");
    bob.ok(&["sync", "--once"]);
    assert_eq!(summary(&bob), mine, "alice's cache vs bob's fresh one");
    for suffix in ["", "-wal", "-shm"] {
        let mut p = t.cache.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
    t.ok(&["sync", "--once"]);
    assert_eq!(
        summary(t),
        mine,
        "alice's cache vs the same rebuilt from the server"
    );
    mine
}

/// The Message-IDs of a conversation's mail, as `tanto show` lists it.
fn mail_of(t: &Tanto, id: &str) -> (String, Vec<String>) {
    let v = t.json(&["show", id, "--json"]);
    let mails = v["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "inbound" || e["kind"] == "reply")
        .map(|e| e["message_id"].as_str().unwrap_or("").to_string())
        .collect();
    (v["id"].as_str().expect("id").to_string(), mails)
}

#[test]
fn merge_and_split_round_trip_with_stable_ids() {
    let server = Dovecot::start();
    inbox(&server, "a1@c", 0, &[], "Order 1234");
    inbox(&server, "a2@c", 5, &["a1@c"], "Re: Order 1234");
    // The customer writes again as a new mail: no In-Reply-To, no References.
    inbox(&server, "n1@c", 10, &[], "Where is my parcel?");
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    let before = everyone_agrees(&server, &alice);
    assert_eq!(before.len(), 2, "{before:?}");
    let order = mail_of(&alice, &before[0].0);
    let (order_id, new_id) = if order.1.contains(&"a1@c".to_string()) {
        (before[0].0.clone(), before[1].0.clone())
    } else {
        (before[1].0.clone(), before[0].0.clone())
    };

    // Merge: one conversation with all three mails, named by its earliest root.
    let out = alice.ok(&["merge", &new_id[..6], &order_id]);
    assert!(out.contains(&order_id), "{out}");
    let merged = everyone_agrees(&server, &alice);
    assert_eq!(merged.len(), 1, "{merged:?}");
    assert_eq!((merged[0].0.as_str(), merged[0].3), (order_id.as_str(), 3));
    // The merged conversation's id keeps resolving, for reading and for acting.
    let (shown, mails) = mail_of(&alice, &new_id);
    assert_eq!(shown, order_id);
    assert_eq!(mails, ["a1@c", "a2@c", "n1@c"]);
    alice.ok(&["claim", &new_id]);
    let claimed = everyone_agrees(&server, &alice);
    assert_eq!(claimed[0].2.as_deref(), Some("alice"), "{claimed:?}");
    assert_eq!(mail_of(&alice, &new_id[..6]).0, order_id);

    // The customer answers the mail that had no headers: it lands in the merged conversation,
    // which is new again (its newest inbound mail carries the state).
    inbox(&server, "n2@c", 20, &["n1@c"], "Re: Where is my parcel?");
    let replied = everyone_agrees(&server, &alice);
    assert_eq!(replied.len(), 1, "{replied:?}");
    assert_eq!(
        (replied[0].0.as_str(), replied[0].1.as_str(), replied[0].3),
        (order_id.as_str(), "new", 4)
    );

    // Split the headerless mail off (its number as `show` lists it): it and the reply to it
    // are their own conversation again, under the id it had before the merge.
    let out = alice.ok(&["split", &order_id, "--message", "3"]);
    assert!(out.contains(&new_id), "{out}");
    let split = everyone_agrees(&server, &alice);
    assert_eq!(split.len(), 2, "{split:?}");
    assert!(
        split.contains(&(new_id.clone(), "new".into(), None, 2)),
        "{split:?}"
    );
    assert!(
        split.iter().any(|c| c.0 == order_id && c.3 == 2),
        "{split:?}"
    );
    assert_eq!(mail_of(&alice, &new_id).1, ["n1@c", "n2@c"]);
    assert_eq!(mail_of(&alice, &order_id).1, ["a1@c", "a2@c"]);

    // Merged again after the split: one conversation again, everywhere.
    alice.ok(&["merge", &new_id, &order_id]);
    let again = everyone_agrees(&server, &alice);
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!((again[0].0.as_str(), again[0].3), (order_id.as_str(), 4));
}

#[test]
fn a_split_by_message_id_takes_a_colleagues_question_and_its_answers_out() {
    let server = Dovecot::start();
    inbox(&server, "q1@c", 0, &[], "Invoice");
    inbox(&server, "q2@c", 5, &["q1@c"], "Re: Invoice");
    // A CC'd colleague asks something else inside the thread; the customer answers it.
    inbox(&server, "cc1@c", 10, &["q1@c", "q2@c"], "Re: Invoice");
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    let one = everyone_agrees(&server, &alice);
    assert_eq!(one.len(), 1, "{one:?}");
    let id = one[0].0.clone();
    // A mail the conversation does not have is refused.
    let out = alice.run(&["split", &id, "--message", "9"]);
    assert!(!out.status.success());
    alice.ok(&["split", &id, "--message", "<cc1@c>"]);
    // A later mail answering the split one follows it, whichever cache sees it first.
    inbox(
        &server,
        "cc2@c",
        15,
        &["q1@c", "q2@c", "cc1@c"],
        "Re: Invoice",
    );
    let two = everyone_agrees(&server, &alice);
    assert_eq!(two.len(), 2, "{two:?}");
    assert!(two.iter().any(|c| c.0 == id && c.3 == 2), "{two:?}");
    let other = two.iter().find(|c| c.0 != id).expect("split-off");
    assert_eq!(mail_of(&alice, &other.0).1, ["cc1@c", "cc2@c"]);
}

#[test]
fn a_merge_holds_when_the_merged_mail_is_gone_and_a_reply_to_it_arrives() {
    let server = Dovecot::start();
    inbox(&server, "a1@c", 0, &[], "Order 1234");
    let lone = inbox(&server, "n1@c", 10, &[], "Where is my parcel?");
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    let two = everyone_agrees(&server, &alice);
    let order = two
        .iter()
        .find(|c| mail_of(&alice, &c.0).1 == ["a1@c"])
        .expect("the order")
        .0
        .clone();
    let other = two
        .iter()
        .find(|c| c.0 != order)
        .expect("the new mail")
        .0
        .clone();
    alice.ok(&["merge", &other, &order]);
    // The merged mail is expunged: what is left is the order alone.
    server.expunge("support", "INBOX", &lone.to_string());
    let left = everyone_agrees(&server, &alice);
    assert_eq!(left, [(order.clone(), "new".to_string(), None, 1)]);
    // A reply naming only the expunged mail still joins through the merge.
    inbox(&server, "n2@c", 20, &["n1@c"], "Re: Where is my parcel?");
    let joined = everyone_agrees(&server, &alice);
    assert_eq!(joined, [(order.clone(), "new".to_string(), None, 2)]);
    assert_eq!(mail_of(&alice, &other).1, ["a1@c", "n2@c"]);
}
