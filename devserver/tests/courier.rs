//! The Courier-IMAP harness: a real Courier, its users and mail operations, and the quirk
//! tanto must live with.

use tanto_devserver::{sample_message, Courier};

#[test]
fn courier_starts_serves_the_users_and_stops() {
    let mut server = Courier::start();
    let uid = server.append("support", "INBOX", &sample_message(1, None), &["tanto-wip"]);
    assert_eq!(server.uids("support", "INBOX"), vec![uid]);
    assert!(server
        .flags("support", "INBOX", uid)
        .contains(&"tanto-wip".to_string()));
    // Folders are under INBOX. with `.` between levels.
    server.append("support", "INBOX.Tanto", &sample_message(2, None), &[]);
    assert_eq!(server.uids("support", "INBOX.Tanto").len(), 1);
    // Every user signs in with the test password; others' mail is apart.
    assert!(server.uids("alice", "INBOX").is_empty());
    let mut s = server.session("support");
    let caps = s.capabilities().expect("CAPABILITY");
    assert!(!caps.has_str("CONDSTORE"), "Courier has no CONDSTORE");
    assert!(caps.has_str("IDLE"));
    s.logout().expect("LOGOUT");
    let port = server.port;
    server.stop();
    assert!(!server.is_running());
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}

/// A Courier session sees another session's flag changes on `UID FETCH` only after a NOOP
/// (or a new SELECT): the quirk tanto's re-reads must allow for.
#[test]
fn courier_shows_another_sessions_flags_only_after_a_noop() {
    let server = Courier::start();
    let uid = server.append("support", "INBOX", &sample_message(1, None), &[]);
    let mut reader = server.session("support");
    reader.select("INBOX").expect("SELECT");
    let flags = |s: &mut tanto_devserver::Session| -> Vec<String> {
        let f = s.uid_fetch(uid.to_string(), "FLAGS").expect("FETCH");
        let v = f
            .iter()
            .filter(|m| m.uid == Some(uid))
            .flat_map(|m| m.flags().iter().map(|f| f.to_string()))
            .collect();
        v
    };
    assert!(!flags(&mut reader).contains(&"tanto-wip".to_string()));
    server.store("support", "INBOX", &uid.to_string(), "+FLAGS (tanto-wip)");
    assert!(
        !flags(&mut reader).contains(&"tanto-wip".to_string()),
        "Courier now shows others' changes without a NOOP: the quirk is gone"
    );
    reader.noop().expect("NOOP");
    assert!(flags(&mut reader).contains(&"tanto-wip".to_string()));
    reader.logout().expect("LOGOUT");
}

/// Courier answers STATUS of the selected folder from the session's view too, even after
/// the session's own APPEND; a NOOP or a new SELECT brings it up to date.
#[test]
fn courier_answers_status_of_the_selected_folder_from_the_sessions_view() {
    let server = Courier::start();
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let mut s = server.session("support");
    s.select("INBOX").expect("SELECT");
    let messages =
        |s: &mut tanto_devserver::Session| s.status("INBOX", "(MESSAGES)").expect("STATUS").exists;
    assert_eq!(messages(&mut s), 1);
    server.append("support", "INBOX", &sample_message(2, None), &[]);
    s.append("INBOX", &sample_message(3, None))
        .finish()
        .expect("APPEND");
    assert_eq!(messages(&mut s), 1, "the quirk is gone: STATUS is fresh");
    s.noop().expect("NOOP");
    assert_eq!(messages(&mut s), 3);
    s.logout().expect("LOGOUT");
}
