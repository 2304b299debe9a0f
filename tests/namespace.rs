//! Servers that keep personal folders under a prefix with their own separator (Cyrus as
//! Debian ships it, Courier: `INBOX.` and `.`), played by a Dovecot configured so.

mod harness;
mod support;

use harness::{sample_message, Dovecot};
use support::acl::{own_login, share_with_alice_and_bob, TEAM};
use support::{has_note, Tanto};

fn only_id(t: &Tanto) -> String {
    let list = t.json(&["list", "--json"]);
    let convs = list.as_array().expect("array");
    assert_eq!(convs.len(), 1, "{list}");
    convs[0]["id"].as_str().expect("id").to_string()
}

#[test]
fn claim_note_done_list_show_and_doctor_work_when_folders_live_under_inbox_dot() {
    let server = Dovecot::start_namespaced("INBOX.", '.', "");
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("alice"), "alice");
    let bob = Tanto::new(&server, &root.path().join("bob"), "bob");
    alice.sync();
    bob.sync();
    let id = only_id(&alice);

    alice.ok(&["claim", &id]);
    bob.loses_claim_to(&id, "alice");
    alice.ok(&["note", &id, "-m", "called the customer back"]);
    alice.ok(&["done", &id]);

    // The activity folder is where this server keeps personal folders.
    let folders = server.doveadm(&["mailbox", "list", "-u", "support"]);
    assert!(
        folders.lines().any(|l| l.trim() == "INBOX.Tanto.Activity"),
        "{folders}"
    );
    assert_eq!(server.uids("support", "INBOX.Tanto.Activity").len(), 3);

    for who in [&alice, &bob] {
        who.sync();
        let list = who.json(&["list", "--json"]);
        assert_eq!(list[0]["status"], "done", "{list}");
        assert_eq!(list[0]["assignee"], "alice", "{list}");
        let show = who.json(&["show", &id, "--json"]);
        let timeline = show["timeline"].as_array().expect("timeline");
        assert!(has_note(&show, "called the customer back"), "{show}");
        assert!(
            timeline.iter().filter(|e| e["kind"] == "event").count() >= 2,
            "{show}"
        );
    }

    let doctor = alice.run(&["doctor"]);
    let out = String::from_utf8_lossy(&doctor.stdout);
    assert_eq!(doctor.status.code(), Some(0), "{out}");
    assert!(out.contains("INBOX.Tanto.Activity"), "{out}");
    assert!(out.contains("INBOX.Tanto.Outbox"), "{out}");
}

#[test]
fn doctor_names_and_creates_the_activity_folder_on_a_fresh_server() {
    let server = Dovecot::start_namespaced("INBOX.", '.', "");
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, root.path(), "alice");
    let doctor = alice.run(&["doctor"]);
    let out = String::from_utf8_lossy(&doctor.stdout);
    assert_eq!(doctor.status.code(), Some(0), "{out}");
    assert!(out.contains("Tanto/Activity"), "{out}");
    assert!(out.contains("INBOX.Tanto.Activity"), "{out}");
    let folders = server.doveadm(&["mailbox", "list", "-u", "support"]);
    assert!(
        folders.lines().any(|l| l.trim() == "INBOX.Tanto.Activity"),
        "doctor proved the folder can be created: {folders}"
    );
}

#[test]
fn a_claim_that_could_not_be_logged_leaves_the_keywords_alone() {
    let server = Dovecot::start();
    let uid = server.append("support", "INBOX", &sample_message(1, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, root.path(), "alice");
    // A name the server refuses to create (an empty level between separators).
    let config = std::fs::read_to_string(&alice.config).expect("config");
    std::fs::write(
        &alice.config,
        config.replace(
            "folder = \"INBOX\"\n",
            "folder = \"INBOX\"\nactivity_folder = \"Tanto//Activity\"\n",
        ),
    )
    .expect("config");
    alice.sync();
    let id = only_id(&alice);
    let out = alice.run(&["claim", &id]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Tanto//Activity"),
        "{out:?}"
    );
    let flags = server.flags("support", "INBOX", uid);
    assert!(
        !flags.iter().any(|f| f.starts_with("tanto-")),
        "nothing was claimed without a log: {flags:?}"
    );
}

/// Claims by alice, lost by bob; doctor green for alice, naming `sent`; nothing created under
/// the agents' own `INBOX.`.
fn claims_and_doctor_work_in_place(server: &Dovecot, folders: &str, sent: &str) {
    let root = tempfile::tempdir().expect("tempdir");
    let alice = own_login(server, &root.path().join("alice"), "alice", folders);
    let bob = own_login(server, &root.path().join("bob"), "bob", folders);
    let id = alice.claims_before("alice", &bob);
    alice.ok(&["note", &id, "-m", "called back"]);
    bob.sync();
    let show = bob.json(&["show", &id, "--json"]);
    assert_eq!(show["assignee"], "alice", "{show}");
    assert!(has_note(&show, "called back"), "{show}");

    let doctor = alice.run(&["doctor"]);
    let report = String::from_utf8_lossy(&doctor.stdout);
    eprintln!("{report}");
    assert_eq!(doctor.status.code(), Some(0), "{report}");
    assert!(
        report
            .lines()
            .any(|l| l.trim_start().starts_with("sent folder") && l.contains(sent)),
        "{report}"
    );
    for who in ["alice", "bob"] {
        let own = server.doveadm(&["mailbox", "list", "-u", who]);
        assert!(
            !own.lines()
                .any(|l| l.starts_with("INBOX.user") || l.starts_with("INBOX.support")),
            "a stray folder under {who}'s INBOX.: {own}"
        );
    }
}

#[test]
fn another_users_mailbox_under_user_dot_is_used_as_named_never_under_inbox_dot() {
    // Cyrus as Debian ships it, played by Dovecot: other users' folders under `user.` (on
    // Cyrus the team's inbox is `user.support`; Dovecot names it `user.support.INBOX`).
    let server = Dovecot::start_cyrus_layout("");
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    share_with_alice_and_bob(
        &server,
        &[
            "INBOX",
            "INBOX.Sent",
            "INBOX.Tanto",
            "INBOX.Tanto.Activity",
            "INBOX.Tanto.Outbox",
            "INBOX.Tanto.Templates",
        ],
    );
    claims_and_doctor_work_in_place(
        &server,
        "folder = \"user.support.INBOX\"\n\
         activity_folder = \"user.support.Tanto.Activity\"\n\
         outbox_folder = \"user.support.Tanto.Outbox\"\n\
         templates_folder = \"user.support.Tanto.Templates\"\n",
        "user.support.Sent",
    );
    assert!(server.uids("support", "INBOX.Tanto.Activity").len() >= 2);
}

#[test]
fn a_top_level_shared_folder_is_used_as_named_never_under_inbox_dot() {
    // Cyrus's shared folders sit at the top level beside the personal `INBOX.`: `support`
    // is the team's; its Tanto folders are created under it by the first claim.
    let server = Dovecot::start_cyrus_layout("");
    for folder in ["support", "support.Sent"] {
        server.share_top_level(folder, "user=alice", TEAM);
        server.share_top_level(folder, "user=bob", TEAM);
    }
    server.append("alice", "support", &sample_message(1, None), &[]);
    claims_and_doctor_work_in_place(
        &server,
        "folder = \"support\"\n\
         activity_folder = \"support.Tanto.Activity\"\n\
         outbox_folder = \"support.Tanto.Outbox\"\n\
         templates_folder = \"support.Tanto.Templates\"\n",
        "support.Sent",
    );
    let top = server.doveadm(&["-o", "mail_plugins=", "mailbox", "list", "-u", "support"]);
    assert!(
        top.lines().any(|l| l.trim() == "support.Tanto.Activity"),
        "{top}"
    );
}
