//! The keyword budget: Dovecot's maildir keeps 26 keywords per folder in file names (more
//! live only in its index); tanto's doctor says how many are in use and warns past that.

mod harness;
mod support;

use harness::{sample_message, Dovecot};
use support::Tanto;

#[test]
fn doctor_warns_when_a_folder_holds_more_keywords_than_maildir_keeps() {
    let server = Dovecot::start_with("mail_location = maildir:~/Maildir");
    let kws: Vec<String> = (0..26).map(|i| format!("other{i}")).collect();
    let refs: Vec<&str> = kws.iter().map(String::as_str).collect();
    server.append("support", "INBOX", &sample_message(1, None), &refs);
    server.append("support", "INBOX", &sample_message(2, None), &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    alice.sync();
    let id = alice
        .json(&["list", "--json"])
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["subject"] == "Question 2")
        .and_then(|c| c["id"].as_str().map(String::from))
        .expect("conversation");
    // The claim itself works and the server shows it to another client.
    alice.ok(&["claim", &id]);
    assert!(server
        .flags("support", "INBOX", 2)
        .contains(&"tanto-wip".to_string()));
    let doctor = alice.ok(&["doctor"]);
    assert!(
        doctor.contains("28 defined in the folder, 2 of them tanto's"),
        "{doctor}"
    );
    assert!(doctor.contains("more than 26"), "{doctor}");
}
