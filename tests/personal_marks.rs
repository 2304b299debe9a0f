//! Personal unread and mentions in `tanto list --json` (issue 23), against the real server:
//! each agent's own marks, kept in that agent's cache, never through the server's `\Seen`;
//! `@bob` in a teammate's note puts the conversation in bob's `list --mine`.

mod harness;
mod support;

use harness::Dovecot;
use support::Tanto;

fn mail(n: u32, subject: &str) -> Vec<u8> {
    format!(
        "From: Customer {n} <c{n}@example.org>\r\nTo: support@example.com\r\n\
         Subject: {subject}\r\nMessage-ID: <marks-{n}@example.org>\r\n\
         Date: Mon, 7 Dec 2026 09:0{n} +0900\r\n\r\nHello\r\n"
    )
    .into_bytes()
}

/// (unread, mentioned) of the conversation with this subject in `tanto list --json`.
fn marks(tanto: &Tanto, args: &[&str], subject: &str) -> Option<(bool, bool)> {
    let mut all = vec!["list", "--json"];
    all.extend_from_slice(args);
    tanto
        .json(&all)
        .as_array()
        .expect("an array")
        .iter()
        .find(|c| c["subject"] == subject)
        .map(|c| {
            (
                c["unread"].as_bool().expect("unread"),
                c["mentioned"].as_bool().expect("mentioned"),
            )
        })
}

#[test]
fn each_agent_sees_their_own_unread_and_mentions_in_list_json() {
    let server = Dovecot::start();
    server.append_many("support", "INBOX", &[mail(1, "Invoice")]);
    let (a, b) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    let alice = Tanto::new(&server, a.path(), "alice");
    let bob = Tanto::new(&server, b.path(), "bob");
    alice.sync();
    bob.sync();
    // Mail from before an agent's first sync is not new to them.
    assert_eq!(marks(&bob, &[], "Invoice"), Some((false, false)));

    // Arrival times are in seconds: the next mail arrives a second after both started.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    server.append_many("support", "INBOX", &[mail(2, "Refund")]);
    alice.sync();
    bob.sync();
    assert_eq!(marks(&bob, &[], "Refund"), Some((true, false)));
    assert_eq!(marks(&alice, &[], "Refund"), Some((true, false)));
    let refund = bob.id_of("Refund");
    bob.ok(&["show", &refund]);
    // Looking is personal: bob's read leaves alice's mark.
    assert_eq!(marks(&bob, &[], "Refund"), Some((false, false)));
    assert_eq!(marks(&alice, &[], "Refund"), Some((true, false)));
    let seen = support::fetch_flags(&server, "support", "INBOX");
    assert!(
        seen.iter().all(|f| !f.contains("\\Seen")),
        "the server's \\Seen is not touched: {seen:?}"
    );

    // alice's note names bob: the conversation joins bob's Mine, marked, until he looks.
    let invoice = alice.id_of("Invoice");
    alice.ok(&["claim", &invoice]);
    alice.ok(&[
        "note",
        &invoice,
        "-m",
        "@bob can you check the invoice number?",
    ]);
    bob.sync();
    assert_eq!(marks(&bob, &["--mine"], "Invoice"), Some((false, true)));
    assert_eq!(marks(&bob, &["--mine"], "Refund"), None, "not bob's");
    assert_eq!(
        marks(&alice, &["--mine"], "Invoice"),
        Some((false, false)),
        "a note does not mention its writer"
    );
    bob.ok(&["show", &invoice]);
    assert_eq!(marks(&bob, &[], "Invoice"), Some((false, false)));
    assert_eq!(
        marks(&bob, &["--mine"], "Invoice"),
        None,
        "looked at: mention gone"
    );
}
