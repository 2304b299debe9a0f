//! The keyword budget: Dovecot's maildir keeps 26 keywords per folder in file names (more
//! live only in its index); tanto's doctor says how many are in use and warns past that.

mod harness;
mod support;

use harness::{sample_message, Dovecot};
use support::Tanto;

#[test]
fn past_maildir_s_26_keywords_claims_go_through_the_log_and_survive_an_index_rebuild() {
    let mut server = Dovecot::start_with("mail_location = maildir:~/Maildir");
    let kws: Vec<String> = (0..26).map(|i| format!("other{i}")).collect();
    let refs: Vec<&str> = kws.iter().map(String::as_str).collect();
    server.append("support", "INBOX", &sample_message(1, None), &refs);
    server.append("support", "INBOX", &sample_message(2, None), &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &dir.path().join("a"), "alice");
    let bob = Tanto::new(&server, &dir.path().join("b"), "bob");
    alice.sync();
    let id = alice
        .json(&["list", "--json"])
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["subject"] == "Question 2")
        .and_then(|c| c["id"].as_str().map(String::from))
        .expect("conversation");
    alice.ok(&["claim", &id]);
    // No 27th keyword that maildir would keep only in its index: the log holds the claim.
    assert!(!server
        .flags("support", "INBOX", 2)
        .iter()
        .any(|f| f.starts_with("tanto-")));
    let doctor = alice.ok(&["doctor"]);
    assert!(doctor.contains("26 defined in the folder"), "{doctor}");
    assert!(doctor.contains("through the activity log"), "{doctor}");
    // Changes enough that the index's change counter is well past where a rebuilt one
    // starts, and alice's cache has seen them.
    for _ in 0..10 {
        server.store("support", "INBOX", "1", "+FLAGS (\\Seen)");
        server.store("support", "INBOX", "1", "-FLAGS (\\Seen)");
    }
    alice.sync();
    // The index files are lost (a common repair): the claim is not.
    server.stop();
    let mut lost = 0;
    let mut stack = vec![server.dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if e.file_name().to_string_lossy().starts_with("dovecot.index") {
                std::fs::remove_file(&p).expect("remove an index file");
                lost += 1;
            }
        }
    }
    assert!(lost > 0, "no index file found");
    server.restart();
    bob.sync();
    let seen = bob.json(&["show", &id, "--json"]);
    assert_eq!(seen["status"], "wip", "{seen}");
    assert_eq!(seen["assignee"], "alice", "{seen}");
    assert_eq!(bob.run(&["claim", &id]).status.code(), Some(3));
    // The rebuilt index numbers changes anew (HIGHESTMODSEQ went back): alice's sync must
    // still see what another client changed since.
    server.store("support", "INBOX", "1", "+FLAGS (tanto-done)");
    let report = alice.sync();
    assert_eq!(report["mode"], "plain", "every flag read again: {report}");
    assert_eq!(alice.json(&["show", &id, "--json"])["assignee"], "alice");
    let first = alice
        .json(&["list", "--json"])
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["subject"] == "Question 1")
        .map(|c| c["status"].clone())
        .expect("conversation 1");
    assert_eq!(first, "done");
}
