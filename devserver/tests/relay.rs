//! The fault-injecting relay against a real Dovecot.

use std::time::{Duration, Instant};

use tanto_devserver::{sample_message, Dovecot, Relay};

#[test]
fn a_held_store_waits_and_other_commands_do_not() {
    let dc = Dovecot::start();
    let uid = dc.append("support", "INBOX", &sample_message(1, None), &[]);
    let relay = Relay::start(dc.port);
    relay.hold(" STORE ", Duration::from_secs(1));
    let mut s = relay.session("support");
    s.select("INBOX").expect("SELECT");

    let t = Instant::now();
    s.uid_fetch(uid.to_string(), "FLAGS").expect("FETCH");
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );

    let t = Instant::now();
    s.uid_store(uid.to_string(), "+FLAGS (tanto-wip)")
        .expect("STORE");
    let held = t.elapsed();
    assert!(held >= Duration::from_secs(1), "held {held:?}");
    assert!(held < Duration::from_secs(3), "held {held:?}");
    assert!(dc
        .flags("support", "INBOX", uid)
        .contains(&"tanto-wip".to_string()));

    relay.release_holds();
    let t = Instant::now();
    s.uid_store(uid.to_string(), "-FLAGS (tanto-wip)")
        .expect("STORE");
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(relay.count(" STORE "), 2);
    assert_eq!(relay.count(" uid fetch "), 1);
    s.logout().expect("LOGOUT");
}

#[test]
fn eight_connections_held_at_once_wait_side_by_side() {
    let dc = Dovecot::start();
    let uids: Vec<u32> = (0..8)
        .map(|i| dc.append("support", "INBOX", &sample_message(i, None), &[]))
        .collect();
    let relay = Relay::start(dc.port);
    relay.hold(" STORE ", Duration::from_millis(800));
    let t = Instant::now();
    std::thread::scope(|scope| {
        for (i, uid) in uids.iter().enumerate() {
            let relay = &relay;
            scope.spawn(move || {
                let mut s = relay.session("support");
                s.select("INBOX").expect("SELECT");
                s.uid_store(uid.to_string(), format!("+FLAGS (agent{i})"))
                    .expect("STORE");
                s.logout().expect("LOGOUT");
            });
        }
    });
    // Eight holds of 0.8 s one after the other would take 6.4 s.
    assert!(t.elapsed() < Duration::from_secs(4), "{:?}", t.elapsed());
    assert_eq!(relay.count(" STORE "), 8);
    for (i, uid) in uids.iter().enumerate() {
        assert!(dc
            .flags("support", "INBOX", *uid)
            .contains(&format!("agent{i}")));
    }
}

#[test]
fn a_garbled_fetch_response_is_a_parse_error_once() {
    let dc = Dovecot::start();
    let uid = dc.append("support", "INBOX", &sample_message(1, None), &["\\Seen"]);
    let relay = Relay::start(dc.port);
    relay.garble_response(" FETCH ", 2);
    let mut s = relay.session("support");
    s.select("INBOX").expect("SELECT");
    s.uid_fetch(uid.to_string(), "FLAGS")
        .expect("the 1st FETCH is untouched");
    let Err(err) = s.uid_fetch(uid.to_string(), "(FLAGS BODY.PEEK[])") else {
        panic!("the 2nd FETCH's response is garbled");
    };
    // The crate reads a line it cannot parse as the end of the connection.
    assert!(
        matches!(err, imap::Error::Bye(_) | imap::Error::Parse(_)),
        "{err:?}"
    );
    assert_eq!(relay.faults_fired(), 1);

    // One shot: a new connection fetches fine.
    let mut s = relay.session("support");
    s.select("INBOX").expect("SELECT");
    let f = s
        .uid_fetch(uid.to_string(), "(FLAGS BODY.PEEK[])")
        .expect("FETCH after the fault");
    assert_eq!(
        f.iter().next().and_then(|f| f.body()),
        Some(&sample_message(1, None)[..])
    );
    s.logout().expect("LOGOUT");
}

#[test]
fn a_dropped_store_response_cuts_the_client_but_the_flag_is_on_the_server() {
    let dc = Dovecot::start();
    let uid = dc.append("support", "INBOX", &sample_message(1, None), &[]);
    let relay = Relay::start(dc.port);
    relay.drop_response(" STORE ", 1);
    let mut s = relay.session("support");
    s.select("INBOX").expect("SELECT");
    assert!(
        s.uid_store(uid.to_string(), "+FLAGS (tanto-wip tanto-by-alice)")
            .is_err(),
        "the client never hears back"
    );
    assert!(s.noop().is_err(), "the connection is cut");
    let flags = dc.flags("support", "INBOX", uid);
    assert!(flags.contains(&"tanto-by-alice".to_string()), "{flags:?}");

    // One shot: the next STORE through the relay is answered.
    let mut s = relay.session("support");
    s.select("INBOX").expect("SELECT");
    s.uid_store(uid.to_string(), "-FLAGS (tanto-wip)")
        .expect("STORE after the fault");
    s.logout().expect("LOGOUT");
    assert_eq!(relay.count(" STORE "), 2);
}

#[test]
fn appends_pass_their_literals_through_untouched() {
    let dc = Dovecot::start();
    let relay = Relay::start(dc.port);
    relay.hold(" STORE ", Duration::from_secs(5));
    // A message whose lines look like commands: the relay must not read them as such.
    let msg = b"Subject: tricky\r\n\r\na1 UID STORE 1 +FLAGS (x) {3}\r\nb2 STORE 1:* FLAGS ()\r\n";
    let mut s = relay.session("support");
    // A synchronizing literal ({n}: the client waits for the server's `+`).
    let sync = s.append("INBOX", msg).finish().expect("APPEND {n}");
    // Non-synchronizing ones ({n+}), two messages in one command (MULTIAPPEND).
    let text = std::str::from_utf8(msg).expect("ASCII");
    let cmd = format!(
        "APPEND INBOX () {{{n}+}}\r\n{text} (\\Seen) {{{n}+}}\r\n{text}",
        n = msg.len()
    );
    let t = Instant::now();
    s.run_command_and_check_ok(&cmd).expect("APPEND {n+}");
    assert!(t.elapsed() < Duration::from_secs(2), "nothing was held");
    s.logout().expect("LOGOUT");

    assert_eq!(relay.count(" STORE "), 0, "{:?}", relay.commands());
    assert_eq!(relay.count(" APPEND "), 2);
    assert!(sync.uids.is_some());
    let mut s = dc.session("support");
    s.examine("INBOX").expect("EXAMINE");
    let fetched = s.uid_fetch("1:*", "BODY.PEEK[]").expect("FETCH");
    assert_eq!(fetched.len(), 3);
    assert!(fetched.iter().all(|f| f.body() == Some(&msg[..])));
    s.logout().expect("LOGOUT");
}

#[test]
fn dropping_the_relay_cuts_its_connections_and_stops_listening() {
    let dc = Dovecot::start();
    let relay = Relay::start(dc.port);
    relay.hold(" NOOP", Duration::from_secs(30));
    let port = relay.port();
    let mut idle = relay.session("support");
    let held = std::thread::spawn({
        let mut s = relay.session("alice");
        move || s.noop()
    });
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    drop(relay);
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    assert!(idle.noop().is_err(), "an idle connection is cut");
    assert!(held.join().expect("thread").is_err(), "a held one too");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err());
}
