//! The Sent folder without `sent_folder` in the config: marked `\Sent` (SPECIAL-USE), else
//! found by its common name ("Sent", "Sent Items", ...), never created beside an existing
//! one; doctor and every sender agree on it.

mod harness;
mod support;

use std::time::Duration;

use harness::{Dovecot, SmtpSink};
use support::replying::*;
use support::Tanto;

/// A Dovecot whose `Sent` is neither marked `\Sent` nor created by the server.
fn server_without_special_use() -> Dovecot {
    Dovecot::start_with(
        "namespace inbox {\n  mailbox Sent {\n    special_use =\n    auto = no\n  }\n}\n",
    )
}

/// An agent with no `sent_folder`: tanto finds the folder itself.
fn agent_finding_sent(server: &Dovecot, sink: &SmtpSink, dir: &std::path::Path, id: &str) -> Tanto {
    let t = agent(server, sink, dir, id, "");
    let text = std::fs::read_to_string(&t.config).expect("read config");
    std::fs::write(&t.config, text.replace("sent_folder = \"Sent\"\n", "")).expect("write");
    t
}

fn folders(server: &Dovecot) -> Vec<String> {
    server
        .doveadm(&["mailbox", "list", "-u", "support"])
        .lines()
        .map(|l| l.trim().to_string())
        .collect()
}

fn sent_line(t: &Tanto) -> String {
    let out = t.run(&["doctor"]);
    let report = String::from_utf8_lossy(&out.stdout).into_owned();
    report
        .lines()
        .find(|l| l.trim_start().starts_with("sent folder "))
        .unwrap_or_else(|| panic!("no sent folder line: {report}"))
        .to_string()
}

#[test]
fn a_reply_goes_to_sent_items_when_the_server_marks_no_folder_sent_and_no_sent_is_created() {
    let server = server_without_special_use();
    let sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, "届きません"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent_finding_sent(&server, &sink, &root.path().join("a"), "alice");
    assert!(!folders(&server).contains(&"Sent".to_string()));

    // Nothing to find yet: doctor names what the first reply would create.
    let line = sent_line(&alice);
    assert!(
        line.contains("none found: the first reply creates Sent"),
        "{line}"
    );

    server.doveadm(&["mailbox", "create", "-u", "support", "Sent Items"]);
    let line = sent_line(&alice);
    assert!(
        line.contains("ok") && line.contains("Sent Items (found by its name"),
        "{line}"
    );

    alice.sync();
    let id = only_id(&alice);
    let (code, out, err) = reply_with(&alice, &id, root.path(), "本日発送いたしました。");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(sink.wait_for(1, Duration::from_secs(30)).len(), 1);
    assert_eq!(server.uids("support", "Sent Items").len(), 1);
    let now = folders(&server);
    assert!(
        !now.contains(&"Sent".to_string()),
        "a Sent was created beside Sent Items: {now:?}"
    );
    // The reply shows as the team's, from Sent Items, to an agent who syncs.
    let bob = agent_finding_sent(&server, &sink, &root.path().join("b"), "bob");
    let synced = bob.json(&["sync", "--once", "--json"]);
    let synced_folders: Vec<&str> = synced[0]["folders"]
        .as_array()
        .expect("folders")
        .iter()
        .filter_map(|f| f["folder"].as_str())
        .collect();
    assert!(synced_folders.contains(&"Sent Items"), "{synced}");
    let show = bob.json(&["show", &id, "--json"]);
    let timeline = show["timeline"].as_array().expect("timeline");
    assert!(timeline.iter().any(|e| e["kind"] == "reply"), "{show}");
}

#[test]
fn the_folder_marked_sent_comes_before_the_names() {
    // The harness's Dovecot marks `Sent` as `\Sent`; a `Sent Items` beside it is not used.
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.doveadm(&["mailbox", "create", "-u", "support", "Sent Items"]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent_finding_sent(&server, &sink, &root.path().join("a"), "alice");
    let line = sent_line(&alice);
    assert!(
        line.contains("Sent (marked \\Sent by the server)"),
        "{line}"
    );
}
