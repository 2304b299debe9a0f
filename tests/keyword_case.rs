//! IMAP keywords are case-insensitive, and Dovecot (like Cyrus) gives back the first spelling
//! a folder ever saw. Once another client wrote `TANTO-BY-ALICE`, tanto's own `tanto-by-alice`
//! comes back in capitals: it must still read as alice's claim.

mod harness;
mod support;

use harness::{sample_message, Dovecot};
use support::Tanto;

#[test]
fn a_claim_in_another_clients_spelling_still_belongs_to_its_owner() {
    let server = Dovecot::start();
    let by_other = server.append("support", "INBOX", &sample_message(1, None), &[]);
    let by_tanto = server.append("support", "INBOX", &sample_message(2, None), &[]);
    // Another client is the first to write these keywords in this (fresh) folder.
    server.store(
        "support",
        "INBOX",
        &by_other.to_string(),
        "+FLAGS (TANTO-WIP TANTO-BY-ALICE)",
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("alice"), "alice");
    let bob = Tanto::new(&server, &root.path().join("bob"), "bob");
    alice.sync();
    bob.sync();
    let list = alice.json(&["list", "--json"]);
    let id_of = |n: usize| -> String {
        let subject = format!("Question {n}");
        list.as_array()
            .expect("array")
            .iter()
            .find(|c| c["subject"] == subject.as_str())
            .and_then(|c| c["id"].as_str())
            .unwrap_or_else(|| panic!("{subject:?} in {list}"))
            .to_string()
    };
    let (other_id, tanto_id) = (id_of(1), id_of(2));

    // alice claims through tanto; the server answers in the folder's first spelling.
    alice.ok(&["claim", &tanto_id]);
    let flags = server.flags("support", "INBOX", by_tanto);
    assert!(flags.iter().any(|f| f == "TANTO-BY-ALICE"), "{flags:?}");

    for id in [&other_id, &tanto_id] {
        let out = bob.run(&["claim", id]);
        assert_eq!(
            out.status.code(),
            Some(3),
            "bob over alice on {id}: {out:?}"
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("alice"),
            "{out:?}"
        );
        let again = alice.run(&["claim", id]);
        assert!(again.status.success(), "{again:?}");
        assert!(
            String::from_utf8_lossy(&again.stdout).contains("already"),
            "alice already holds {id}: {again:?}"
        );
    }
    for uid in [by_other, by_tanto] {
        let flags = server.flags("support", "INBOX", uid);
        let owners: Vec<&String> = flags
            .iter()
            .filter(|f| f.to_ascii_lowercase().starts_with("tanto-by-"))
            .collect();
        assert_eq!(owners, ["TANTO-BY-ALICE"], "uid {uid}: {flags:?}");
    }
    for who in [&alice, &bob] {
        who.sync();
        let list = who.json(&["list", "--json"]);
        for c in list.as_array().expect("array") {
            assert_eq!(c["status"], "wip", "{list}");
            assert_eq!(c["assignee"], "alice", "{list}");
        }
    }
    // And alice can close what she holds.
    alice.ok(&["done", &other_id]);
    let list = bob.json(&["list", "--status", "done", "--json"]);
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(0),
        "bob has not synced yet"
    );
    bob.sync();
    let list = bob.json(&["list", "--status", "done", "--json"]);
    assert_eq!(list[0]["assignee"], "alice", "{list}");
}
