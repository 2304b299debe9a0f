//! The relay's service profiles against a real Dovecot, over a plain TCP connection that
//! shows every byte the client gets.

mod wire;

use std::io::BufRead;
use std::time::{Duration, Instant};

use tanto_devserver::{sample_message, Dovecot, Profile, Relay};
use wire::Wire;

const M365_CAPS: &str = "IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID \
                         UNSELECT CHILDREN IDLE NAMESPACE LITERAL+";
const M365_FLAGS: &str = "(\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)";
const GMAIL_CAPS: &str = "IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 \
                          UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT \
                          LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=35651584";

fn capability_line(untagged: &[String]) -> String {
    untagged
        .iter()
        .find(|l| l.starts_with("* CAPABILITY "))
        .map(|l| l.trim_end().to_string())
        .unwrap_or_else(|| panic!("no CAPABILITY in {untagged:?}"))
}

/// The UID an `OK [APPENDUID v uid]` names.
fn appended_uid(tagged: &str) -> u32 {
    tagged
        .split("[APPENDUID ")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .and_then(|r| r.split(' ').nth(1))
        .and_then(|u| u.parse().ok())
        .unwrap_or_else(|| panic!("no APPENDUID in {tagged:?}"))
}

/// IDLE, a message arrives meanwhile, DONE.
fn idle_sees_a_new_message(wire: &mut Wire, dc: &Dovecot, tag: &str) {
    wire.send(format!("{tag} IDLE\r\n").as_bytes());
    let go = wire.response();
    assert!(go.starts_with("+ "), "{go}");
    dc.append("support", "INBOX", &sample_message(9, None), &[]);
    let exists = wire.response();
    assert!(exists.trim_end().ends_with(" EXISTS"), "{exists}");
    wire.send(b"DONE\r\n");
    let (_, done) = wire.until(tag);
    assert!(done.starts_with(&format!("{tag} OK")), "{done}");
}

#[test]
fn microsoft365_has_no_keywords_nor_condstore_and_ordinary_commands_pass() {
    let t = Instant::now();
    let dc = Dovecot::start();
    let msg = sample_message(1, None);
    let uid = dc.append("support", "INBOX", &msg, &[]);
    // Mail another client marked on the server: Exchange would never show the keyword.
    let marked = dc.append(
        "support",
        "INBOX",
        &sample_message(2, None),
        &["tanto-by-bob"],
    );
    let relay = Relay::start_as(dc.port, Profile::Microsoft365);
    let (mut wire, greeting) = Wire::connect(&relay);
    assert!(
        greeting.starts_with(&format!("* OK [CAPABILITY {M365_CAPS}] ")),
        "{greeting}"
    );
    // Password LOGIN goes through (the real service takes OAuth2 only).
    let (_, ok) = wire.run("a2", "LOGIN support secret");
    assert!(
        ok.starts_with(&format!("a2 OK [CAPABILITY {M365_CAPS}] ")),
        "{ok}"
    );
    let (untagged, _) = wire.run("a3", "CAPABILITY");
    assert_eq!(
        capability_line(&untagged),
        format!("* CAPABILITY {M365_CAPS}")
    );

    let (untagged, ok) = wire.run("a4", "SELECT INBOX");
    assert!(ok.starts_with("a4 OK [READ-WRITE]"), "{ok}");
    assert!(
        untagged.contains(&format!("* FLAGS {M365_FLAGS}\r\n")),
        "{untagged:?}"
    );
    assert!(
        untagged
            .iter()
            .any(|l| l.starts_with(&format!("* OK [PERMANENTFLAGS {M365_FLAGS}]"))),
        "{untagged:?}"
    );
    assert!(
        !untagged.iter().any(|l| l.contains("MODSEQ")),
        "{untagged:?}"
    );

    // Keyword STOREs are refused by the relay and never reach the server.
    let (_, no) = wire.run("a5", &format!("UID STORE {uid} +FLAGS (tanto-wip)"));
    assert_eq!(no, "a5 NO Command failed.");
    let (_, no) = wire.run("a6", &format!("UID STORE {uid} FLAGS (\\Seen tanto-wip)"));
    assert_eq!(no, "a6 NO Command failed.");
    // CONDSTORE syntax is BAD.
    let (_, bad) = wire.run(
        "a7",
        &format!("UID STORE {uid} (UNCHANGEDSINCE 100) +FLAGS (\\Seen)"),
    );
    assert_eq!(bad, "a7 BAD Command Argument Error. 11");
    let (_, bad) = wire.run("a8", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)");
    assert_eq!(bad, "a8 BAD Command Argument Error. 11");
    let (_, bad) = wire.run("a9", "ENABLE CONDSTORE");
    assert_eq!(bad, "a9 BAD Command Error. 10");
    assert!(dc.flags("support", "INBOX", uid).is_empty());
    assert_eq!(relay.count(" STORE "), 3, "{:?}", relay.commands());

    // Ordinary commands pass: system flags, FETCH of flags and bodies.
    let (untagged, ok) = wire.run("b1", &format!("UID STORE {uid} +FLAGS (\\Seen)"));
    assert!(ok.starts_with("b1 OK"), "{ok} {untagged:?}");
    assert_eq!(dc.flags("support", "INBOX", uid), ["\\Seen"]);
    let (untagged, ok) = wire.run(
        "b2",
        &format!("UID FETCH {uid}:{marked} (FLAGS BODY.PEEK[])"),
    );
    assert!(ok.starts_with("b2 OK"), "{ok}");
    assert_eq!(untagged.len(), 2, "{untagged:?}");
    let body = String::from_utf8(msg.clone()).expect("ASCII");
    assert!(
        untagged[0].contains("FLAGS (\\Seen \\Recent)"),
        "{}",
        untagged[0]
    );
    assert!(untagged[0].contains(&body), "{}", untagged[0]);
    assert!(untagged[1].contains("FLAGS (\\Recent)"), "{}", untagged[1]);
    assert!(!untagged.iter().any(|l| l.contains("MODSEQ")));
    assert_eq!(dc.flags("support", "INBOX", marked), ["tanto-by-bob"]);

    // APPEND: without keywords as sent; with keywords, they are dropped.
    let ok = wire.append("b3", "\\Seen", b"Subject: plain\r\n\r\nbody\r\n");
    assert!(ok.starts_with("b3 OK [APPENDUID "), "{ok}");
    assert_eq!(dc.flags("support", "INBOX", appended_uid(&ok)), ["\\Seen"]);
    let ok = wire.append("b4", "\\Flagged tanto-wip", b"Subject: kw\r\n\r\nbody\r\n");
    assert!(ok.starts_with("b4 OK [APPENDUID "), "{ok}");
    assert_eq!(
        dc.flags("support", "INBOX", appended_uid(&ok)),
        ["\\Flagged"]
    );

    idle_sees_a_new_message(&mut wire, &dc, "b5");

    // The relay's own answers are held like any other command.
    relay.hold(" STORE ", Duration::from_millis(600));
    let held = Instant::now();
    let (_, no) = wire.run("c1", &format!("UID STORE {uid} +FLAGS (tanto-wip)"));
    assert_eq!(no, "c1 NO Command failed.");
    assert!(held.elapsed() >= Duration::from_millis(600));
    relay.release_holds();

    let (_, bye) = wire.run("c2", "LOGOUT");
    assert!(bye.starts_with("c2 OK"), "{bye}");

    // Before login too (Dovecot leaves the code out of LOGIN's OK once it was asked).
    let (mut wire, _) = Wire::connect(&relay);
    let (untagged, ok) = wire.run("d1", "CAPABILITY");
    assert_eq!(
        capability_line(&untagged),
        format!("* CAPABILITY {M365_CAPS}")
    );
    assert!(ok.starts_with("d1 OK"), "{ok}");
    // Faults fire on the relay's own answers too: this one is swallowed, the client cut off.
    relay.drop_response(" STORE ", 1);
    wire.send(b"d2 STORE 1 +FLAGS (tanto-wip)\r\n");
    let mut rest = String::new();
    let read = wire.r.read_line(&mut rest);
    assert!(matches!(read, Ok(0)), "{read:?} {rest:?}");
    assert_eq!(relay.faults_fired(), 1);

    // The `imap` crate logs in and reads the rewritten SELECT.
    let mut s = relay.session("support");
    let mailbox = s.select("INBOX").expect("SELECT");
    assert_eq!(mailbox.permanent_flags.len(), 6, "{mailbox:?}");
    assert_eq!(mailbox.highest_mod_seq, None);
    s.logout().expect("LOGOUT");
    eprintln!("microsoft365 test: {:?}", t.elapsed());
}

#[test]
fn gmail_keeps_keywords_and_condstore_but_not_qresync() {
    let t = Instant::now();
    let dc = Dovecot::start();
    let msg = sample_message(1, None);
    let uid = dc.append("support", "INBOX", &msg, &[]);
    let relay = Relay::start(dc.port);
    relay.profile(Profile::Gmail);
    let (mut wire, greeting) = Wire::connect(&relay);
    // Before login Gmail shows its mechanisms: here the server's, for LOGIN to work.
    assert!(
        greeting.starts_with(&format!(
            "* OK [CAPABILITY {GMAIL_CAPS} AUTH=PLAIN AUTH=LOGIN] "
        )),
        "{greeting}"
    );
    let (_, ok) = wire.run("a1", "LOGIN support secret");
    assert!(
        ok.starts_with(&format!("a1 OK [CAPABILITY {GMAIL_CAPS}] ")),
        "{ok}"
    );
    let (untagged, _) = wire.run("a2", "CAPABILITY");
    assert_eq!(
        capability_line(&untagged),
        format!("* CAPABILITY {GMAIL_CAPS}")
    );

    let (untagged, ok) = wire.run("a3", "SELECT INBOX (QRESYNC (1 1))");
    assert_eq!(ok, "a3 BAD Could not parse command", "{untagged:?}");
    let (untagged, ok) = wire.run("a4", "ENABLE QRESYNC");
    assert_eq!(untagged, ["* ENABLED\r\n"]);
    assert_eq!(ok, "a4 OK Success");

    let (untagged, ok) = wire.run("a5", "SELECT INBOX (CONDSTORE)");
    assert!(ok.starts_with("a5 OK [READ-WRITE]"), "{ok}");
    let perm = untagged
        .iter()
        .find(|l| l.starts_with("* OK [PERMANENTFLAGS "))
        .unwrap_or_else(|| panic!("{untagged:?}"));
    assert!(perm.contains("\\*)]"), "{perm}");
    let modseq: u64 = untagged
        .iter()
        .find_map(|l| l.strip_prefix("* OK [HIGHESTMODSEQ "))
        .and_then(|l| l.split(']').next())
        .and_then(|m| m.parse().ok())
        .unwrap_or_else(|| panic!("no HIGHESTMODSEQ in {untagged:?}"));

    // Keywords, compare-and-set with CONDSTORE.
    let (untagged, ok) = wire.run(
        "a6",
        &format!("UID STORE {uid} (UNCHANGEDSINCE {modseq}) +FLAGS (tanto-wip)"),
    );
    assert!(ok.starts_with("a6 OK"), "{ok} {untagged:?}");
    assert_eq!(dc.flags("support", "INBOX", uid), ["tanto-wip"]);
    let (untagged, ok) = wire.run(
        "a7",
        &format!("UID STORE {uid} (UNCHANGEDSINCE {modseq}) +FLAGS (tanto-by-alice)"),
    );
    assert!(ok.starts_with("a7 OK [MODIFIED "), "{ok} {untagged:?}");
    assert_eq!(dc.flags("support", "INBOX", uid), ["tanto-wip"]);

    let (untagged, ok) = wire.run("a8", &format!("UID FETCH {uid} (FLAGS MODSEQ BODY.PEEK[])"));
    assert!(ok.starts_with("a8 OK"), "{ok}");
    assert!(untagged[0].contains("tanto-wip"), "{untagged:?}");
    assert!(untagged[0].contains("MODSEQ ("), "{untagged:?}");
    let body = String::from_utf8(msg).expect("ASCII");
    assert!(untagged[0].contains(&body), "{untagged:?}");

    let ok = wire.append("a9", "\\Seen tanto-note", b"Subject: kw\r\n\r\nbody\r\n");
    assert!(ok.starts_with("a9 OK [APPENDUID "), "{ok}");
    assert_eq!(
        dc.flags("support", "INBOX", appended_uid(&ok)),
        ["\\Seen", "tanto-note"]
    );
    idle_sees_a_new_message(&mut wire, &dc, "b1");
    let (_, bad) = wire.run("b2", "NOTIFY SET (selected (MessageNew))");
    assert_eq!(bad, "b2 BAD Unknown command");
    let (_, bye) = wire.run("b3", "LOGOUT");
    assert!(bye.starts_with("b3 OK"), "{bye}");
    eprintln!("gmail test: {:?}", t.elapsed());
}
