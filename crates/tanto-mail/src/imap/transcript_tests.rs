//! Byte transcripts of the IMAP commands the claims and the sync stand on: what tanto sends
//! (command syntax) and what it makes of the answers (typed results), upper and lower case,
//! with the untagged FETCH omitted, refused with NO, and cut by BYE.

use std::time::{Duration, Instant};

use super::transcript::{Player, Script, Transcript};
use super::{Conn, ImapError, Limits, Login, Server};
use crate::settings::Tls;
use tanto_core::claims::StoreResult;
use tanto_core::model::FlagUpdate;

/// What a CONDSTORE/QRESYNC server with UIDPLUS and LITERAL+ announces after login.
pub(super) const CAPS: &str =
    "IMAP4rev1 CONDSTORE QRESYNC ENABLE IDLE UIDPLUS NAMESPACE LITERAL+ MOVE";

/// An error must come at once, not after the 120 s I/O time-out.
const PROMPTLY: Duration = Duration::from_secs(3);

pub(super) fn server(port: u16, login: Login) -> Server {
    Server {
        host: "127.0.0.1".into(),
        port,
        tls: Tls::None,
        user: "agent".into(),
        login,
        accept_invalid_certs: false,
        limits: Limits::default(),
    }
}

/// A Dovecot session start: the greeting, then LOGIN with CAPABILITY, ENABLE and NAMESPACE
/// pipelined behind it (tags `a1`, `s1`..`s3`); the next command is `a2`.
pub(super) fn logged_in(caps: &str, namespace: &str) -> Script {
    Script::new()
        .send("* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ENABLE IDLE AUTH=PLAIN] Dovecot ready.")
        .expect("a1 LOGIN \"agent\" \"secret\"")
        .expect("s1 CAPABILITY")
        .expect("s2 ENABLE QRESYNC")
        .expect("s3 NAMESPACE")
        .send("a1 OK Logged in")
        .send(&format!("* CAPABILITY {caps}"))
        .send("s1 OK Capability completed.")
        .send("* ENABLED QRESYNC")
        .send("s2 OK Enabled.")
        .send(&format!("* NAMESPACE {namespace} NIL NIL"))
        .send("s3 OK Namespace completed.")
}

pub(super) fn password() -> Login {
    Login::Password("secret".into())
}

/// Plays `then` after a Dovecot login, runs `client` on the logged-in connection, and
/// returns its result with what the server saw (the script followed to the byte).
pub(super) fn session<T>(then: Script, client: impl FnOnce(&mut Conn) -> T) -> (T, Transcript) {
    let player = Player::start(vec![logged_in(CAPS, "((\"\" \"/\"))").then(then)]);
    let mut conn = Conn::open(&server(player.port, password())).expect("logged in");
    let out = client(&mut conn);
    drop(conn);
    let t = player.finish();
    t.assert_followed();
    (out, t)
}

pub(super) fn applied(flags: &[&str], modseq: u64) -> StoreResult {
    StoreResult::Applied {
        flags: flags.iter().map(|f| f.to_string()).collect(),
        modseq,
    }
}

pub(super) fn flags(f: &[&str]) -> Vec<String> {
    f.iter().map(|f| f.to_string()).collect()
}

pub(super) const STORE: &str = "* UID STORE 5 (UNCHANGEDSINCE 9) FLAGS (\\Seen $tanto_wip)";

pub(super) fn store(conn: &mut Conn) -> super::Result<StoreResult> {
    conn.store_if_unchanged(5, 9, &flags(&["\\Seen", "$tanto_wip"]))
}

#[test]
fn a_conditional_store_that_wins_is_applied_with_the_new_modseq() {
    for (fetch, done) in [
        (
            "* 1 FETCH (UID 5 MODSEQ (12) FLAGS (\\Seen $tanto_wip))",
            "{tag} OK Conditional STORE completed",
        ),
        (
            "* 1 fetch (uid 5 modseq (12) flags (\\Seen $tanto_wip))",
            "{tag} ok conditional store completed",
        ),
    ] {
        let script = Script::new().expect(STORE).send(fetch).send(done);
        let (got, t) = session(script, store);
        assert_eq!(got.expect("stored"), applied(&["\\Seen", "$tanto_wip"], 12));
        assert!(t
            .text()
            .ends_with("a2 UID STORE 5 (UNCHANGEDSINCE 9) FLAGS (\\Seen $tanto_wip)\r\n"));
    }
}

#[test]
fn a_conditional_store_answered_modified_lost_and_is_not_retried() {
    for done in [
        "{tag} OK [MODIFIED 5] Conditional STORE failed",
        "{tag} ok [modified 5] conditional store failed",
    ] {
        // What changed comes first (RFC 7162 §3.1.3 example); the code decides.
        let script = Script::new()
            .expect(STORE)
            .send("* 1 FETCH (UID 5 MODSEQ (14) FLAGS (\\Seen $tanto_done))")
            .send(done);
        let (got, _) = session(script, store);
        assert_eq!(got.expect("answered"), StoreResult::Modified);
    }
}

#[test]
fn modified_in_the_servers_text_is_not_a_lost_race() {
    for done in [
        "{tag} OK Store completed, not [MODIFIED]",
        "{tag} OK [HIGHESTMODSEQ 12] nothing was MODIFIED meanwhile",
    ] {
        let script = Script::new()
            .expect(STORE)
            .send("* 1 FETCH (UID 5 MODSEQ (12) FLAGS (\\Seen $tanto_wip))")
            .send(done);
        let (got, _) = session(script, store);
        assert_eq!(got.expect("stored"), applied(&["\\Seen", "$tanto_wip"], 12));
    }
}

#[test]
fn another_messages_unsolicited_fetch_is_not_taken_for_the_stores_answer() {
    // Without QRESYNC a server need not put the UID in an unsolicited FETCH (RFC 7162
    // §3.2.4 asks it only with QRESYNC on): another agent's change to message 2 arriving
    // behind our answer is not our outcome.
    let script = Script::new()
        .expect(STORE)
        .send("* 1 FETCH (UID 5 MODSEQ (12) FLAGS (\\Seen $tanto_wip))")
        .send("* 2 FETCH (MODSEQ (13) FLAGS (\\Flagged))")
        .send("{tag} OK Conditional STORE completed");
    let (got, _) = session(script, store);
    assert_eq!(got.expect("stored"), applied(&["\\Seen", "$tanto_wip"], 12));
}

#[test]
fn a_store_whose_fetch_the_server_omits_is_read_back_once() {
    // RFC 7162 §3.1.3 lets a server leave out the untagged FETCH: tanto asks once.
    for (done, read) in [
        (
            "{tag} OK Store completed",
            "* 1 FETCH (UID 5 MODSEQ (12) FLAGS (\\Seen $tanto_wip))",
        ),
        (
            "{tag} ok store completed",
            "* 1 fetch (uid 5 modseq (12) flags (\\Seen $tanto_wip))",
        ),
    ] {
        let script = Script::new()
            .expect(STORE)
            .send(done)
            .expect("* UID FETCH 5 (UID FLAGS MODSEQ)")
            .send(read)
            .send("{tag} OK Fetch completed");
        let (got, _) = session(script, store);
        assert_eq!(got.expect("stored"), applied(&["\\Seen", "$tanto_wip"], 12));
    }
}

#[test]
fn a_store_refused_with_no_is_a_typed_refusal_sent_once() {
    for done in [
        "{tag} NO [LIMIT] Too many keywords",
        "{tag} no too many keywords",
    ] {
        let script = Script::new().expect(STORE).send(done);
        let (got, t) = session(script, store);
        // Not transient: nothing retries it.
        assert!(got.as_ref().is_err_and(|e| !e.is_transient()));
        match got {
            Err(ImapError::Refused { command, .. }) => assert_eq!(command, "STORE"),
            other => panic!("{other:?}"),
        }
        assert_eq!(t.text().matches("UID STORE").count(), 1);
    }
}

#[test]
fn a_bye_during_a_store_is_a_lost_connection_at_once() {
    let script = Script::new()
        .expect(STORE)
        .send("* BYE Server shutting down.")
        .close();
    let started = Instant::now();
    let (got, _) = session(script, store);
    assert!(matches!(got, Err(ImapError::Lost { .. })), "{got:?}");
    assert!(got.is_err_and(|e| e.is_transient()));
    assert!(started.elapsed() < PROMPTLY);
}

const STORE_AND_READ: [&str; 2] = [
    "* UID STORE 5 (UNCHANGEDSINCE 9) FLAGS (\\Seen $tanto_wip)",
    "* UID FETCH 5 (UID FLAGS MODSEQ)",
];

fn store_and_read(conn: &mut Conn) -> super::Result<(StoreResult, Option<super::store::ReadBack>)> {
    conn.store_if_unchanged_and_read(5, 9, &flags(&["\\Seen", "$tanto_wip"]))
}

#[test]
fn a_store_with_its_read_back_in_one_round_trip() {
    let won = flags(&["\\Seen", "$tanto_wip"]);
    let theirs = flags(&["\\Seen", "$tanto_done"]);
    // (the STORE's answer, the read-back's, what tanto must conclude)
    let cases = [
        // Won; Dovecot sends the read-back's data ahead of the STORE's OK.
        (
            vec![
                "* 1 FETCH (UID 5 MODSEQ (12) FLAGS (\\Seen $tanto_wip))",
                "{tag-1} OK Conditional STORE completed",
            ],
            vec!["{tag} OK Fetch completed"],
            (
                applied(&["\\Seen", "$tanto_wip"], 12),
                Some((won.clone(), 12)),
            ),
        ),
        // Won, the STORE's FETCH omitted: the read-back tells.
        (
            vec!["{tag-1} ok store completed"],
            vec![
                "* 1 fetch (uid 5 modseq (12) flags (\\Seen $tanto_wip))",
                "{tag} ok fetch completed",
            ],
            (
                applied(&["\\Seen", "$tanto_wip"], 12),
                Some((won.clone(), 12)),
            ),
        ),
        // Lost: what holds now is the other agent's.
        (
            vec!["{tag-1} ok [modified 5] conditional store failed"],
            vec![
                "* 1 FETCH (UID 5 MODSEQ (14) FLAGS (\\Seen $tanto_done))",
                "{tag} OK Fetch completed",
            ],
            (StoreResult::Modified, Some((theirs, 14))),
        ),
        // The server's words, not its code.
        (
            vec!["{tag-1} OK Store completed, not [MODIFIED]"],
            vec![
                "* 1 FETCH (UID 5 MODSEQ (12) FLAGS (\\Seen $tanto_wip))",
                "{tag} OK Fetch completed",
            ],
            (applied(&["\\Seen", "$tanto_wip"], 12), Some((won, 12))),
        ),
    ];
    for (stored, read, want) in cases {
        let mut script = Script::new()
            .expect(STORE_AND_READ[0])
            .expect(STORE_AND_READ[1]);
        for line in stored.iter().chain(&read) {
            script = script.send(line);
        }
        let (got, t) = session(script, store_and_read);
        assert_eq!(got.expect("answered"), want);
        assert!(t.text().ends_with(
            "a2 UID STORE 5 (UNCHANGEDSINCE 9) FLAGS (\\Seen $tanto_wip)\r\n\
             a3 UID FETCH 5 (UID FLAGS MODSEQ)\r\n"
        ));
    }
}

#[test]
fn a_store_with_read_back_refused_or_cut() {
    let script = Script::new()
        .expect(STORE_AND_READ[0])
        .expect(STORE_AND_READ[1])
        .send("{tag-1} NO [LIMIT] Too many keywords")
        .send("* 1 FETCH (UID 5 MODSEQ (9) FLAGS (\\Seen))")
        .send("{tag} OK Fetch completed");
    let (got, _) = session(script, store_and_read);
    assert!(
        matches!(&got, Err(ImapError::Refused { command, .. }) if command == "STORE"),
        "{got:?}"
    );
    let script = Script::new()
        .expect(STORE_AND_READ[0])
        .expect(STORE_AND_READ[1])
        .send("* bye shutting down")
        .close();
    let started = Instant::now();
    let (got, _) = session(script, store_and_read);
    assert!(matches!(got, Err(ImapError::Lost { .. })), "{got:?}");
    assert!(started.elapsed() < PROMPTLY);
}

/// A QRESYNC SELECT's answer (RFC 7162 §3.2.5.1), in either case.
fn qresync_answer(lower: bool) -> Vec<String> {
    let lines = [
        "* 3 EXISTS",
        "* 0 RECENT",
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $tanto_wip)",
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $tanto_wip \\*)] Flags permitted.",
        "* OK [UIDVALIDITY 1234] UIDs valid",
        "* OK [UIDNEXT 9] Predicted next UID",
        "* OK [HIGHESTMODSEQ 77] Highest",
        "* VANISHED (EARLIER) 2,4:5",
        "* 1 FETCH (UID 3 MODSEQ (70) FLAGS (\\Seen $tanto_wip))",
        "{tag} OK [READ-WRITE] Select completed",
    ];
    lines
        .iter()
        .map(|l| {
            if !lower {
                return l.to_string();
            }
            // Lower-case everything but the flags (keywords are the client's own words).
            let (head, tail) = l.split_once('\\').map_or((*l, ""), |(h, t)| (h, t));
            let sep = if tail.is_empty() { "" } else { "\\" };
            format!("{}{sep}{tail}", head.to_ascii_lowercase())
        })
        .collect()
}

#[test]
fn a_qresync_select_reports_validity_modseq_vanished_and_changed() {
    for lower in [false, true] {
        let mut script = Script::new().expect("* SELECT \"INBOX\" (QRESYNC (1234 50))");
        for line in qresync_answer(lower) {
            script = script.send(&line);
        }
        let (got, _) = session(script, |c| c.select("INBOX", Some((1234, 50))));
        let info = got.expect("selected");
        assert_eq!(info.uidvalidity, 1234, "lower case: {lower}");
        assert_eq!(info.highestmodseq, Some(77), "lower case: {lower}");
        assert_eq!(info.uidnext, Some(9), "lower case: {lower}");
        assert_eq!(info.exists, 3, "lower case: {lower}");
        assert_eq!(info.vanished, vec![2, 4, 5], "lower case: {lower}");
        assert_eq!(
            info.changed,
            vec![FlagUpdate {
                uid: 3,
                modseq: 70,
                flags: flags(&["\\Seen", "$tanto_wip"])
            }],
            "lower case: {lower}"
        );
        assert!(info.custom_keywords(), "lower case: {lower}");
    }
}

#[test]
fn a_select_without_known_state_asks_condstore() {
    let script = Script::new()
        .expect("* SELECT \"INBOX\" (CONDSTORE)")
        .send("* 0 EXISTS")
        .send("* ok [uidvalidity 7] uids valid")
        .send("* ok [highestmodseq 1] highest")
        .send("{tag} ok [read-write] select completed");
    let (got, _) = session(script, |c| c.select("INBOX", None));
    let info = got.expect("selected");
    assert_eq!((info.uidvalidity, info.highestmodseq), (7, Some(1)));
}

#[test]
fn a_select_refused_with_no_is_a_folder_error() {
    for done in [
        "{tag} NO [NONEXISTENT] Mailbox doesn't exist: Gone",
        "{tag} no [nonexistent] mailbox doesn't exist: gone",
    ] {
        let script = Script::new()
            .expect("* SELECT \"Gone\" (CONDSTORE)")
            .send(done);
        let (got, t) = session(script, |c| c.select("Gone", None));
        assert!(matches!(got, Err(ImapError::Folder { .. })), "{got:?}");
        assert_eq!(t.text().matches("SELECT").count(), 1);
    }
}

#[test]
fn a_select_refused_with_status_behind_it_is_a_folder_error_in_either_case() {
    for done in [
        "{tag-1} NO [NONEXISTENT] Mailbox doesn't exist: Gone",
        "{tag-1} no [nonexistent] mailbox doesn't exist: gone",
    ] {
        let script = Script::new()
            .expect("* SELECT \"Gone\" (CONDSTORE)")
            .expect("* STATUS \"Other\" (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)")
            .send(done)
            .send("* STATUS \"Other\" (UIDVALIDITY 3 UIDNEXT 4 MESSAGES 2 HIGHESTMODSEQ 5)")
            .send("{tag} OK Status completed");
        let (got, _) = session(script, |c| {
            c.status_with_next_select(&["Other"]);
            c.select("Gone", None)
        });
        assert!(matches!(got, Err(ImapError::Folder { .. })), "{got:?}");
    }
}

#[test]
fn a_bye_during_a_select_is_a_lost_connection_at_once() {
    let script = Script::new()
        .expect("* SELECT \"INBOX\" (CONDSTORE)")
        .send("* 3 EXISTS")
        .send("* BYE Disconnected for inactivity.")
        .close();
    let started = Instant::now();
    let (got, _) = session(script, |c| c.select("INBOX", None));
    assert!(matches!(got, Err(ImapError::Lost { .. })), "{got:?}");
    assert!(started.elapsed() < PROMPTLY);
}

#[test]
fn a_fetch_of_flags_reads_each_message() {
    for (a, b, done) in [
        (
            "* 1 FETCH (UID 3 MODSEQ (70) FLAGS (\\Seen))",
            "* 2 FETCH (UID 5 MODSEQ (71) FLAGS ())",
            "{tag} OK Fetch completed",
        ),
        (
            "* 1 fetch (uid 3 modseq (70) flags (\\Seen))",
            "* 2 fetch (uid 5 modseq (71) flags ())",
            "{tag} ok fetch completed",
        ),
    ] {
        let script = Script::new()
            .expect("* UID FETCH 3,5 (UID FLAGS MODSEQ)")
            .send(a)
            .send(b)
            .send(done);
        let (got, _) = session(script, |c| c.fetch_flags(&[5, 3]));
        assert_eq!(
            got.expect("fetched"),
            vec![
                FlagUpdate {
                    uid: 3,
                    modseq: 70,
                    flags: flags(&["\\Seen"])
                },
                FlagUpdate {
                    uid: 5,
                    modseq: 71,
                    flags: vec![]
                },
            ]
        );
    }
}

#[test]
fn a_fetch_of_header_fields_returns_the_literal() {
    let header = "Message-ID: <x@y>\r\nSubject: hi\r\n\r\n";
    for (fetch, done) in [
        (
            "* 1 FETCH (UID 5 BODY[HEADER.FIELDS (MESSAGE-ID SUBJECT)]",
            "{tag} OK Fetch completed",
        ),
        (
            "* 1 fetch (uid 5 body[header.fields (message-id subject)]",
            "{tag} ok fetch completed",
        ),
    ] {
        let script = Script::new()
            .expect("* UID FETCH 5 (UID BODY.PEEK[HEADER.FIELDS (Message-ID Subject)])")
            .send(&format!("{fetch} {{{}}}\r\n{header})", header.len()))
            .send(done);
        let (got, _) = session(script, |c| c.fetch_header_fields(5, "Message-ID Subject"));
        assert_eq!(got.expect("fetched"), Some(header.as_bytes().to_vec()));
    }
}

#[test]
fn a_fetch_refused_or_cut() {
    let script = Script::new()
        .expect("* UID FETCH 3 (UID FLAGS MODSEQ)")
        .send("{tag} NO [SERVERBUG] Internal error");
    let (got, _) = session(script, |c| c.fetch_flags(&[3]));
    assert!(matches!(got, Err(ImapError::Refused { .. })), "{got:?}");
    let script = Script::new()
        .expect("* UID FETCH 3 (UID FLAGS MODSEQ)")
        .send("* bye going away")
        .close();
    let (got, _) = session(script, |c| c.fetch_flags(&[3]));
    assert!(matches!(got, Err(ImapError::Lost { .. })), "{got:?}");
}

pub(super) const RAW: &[u8] = b"From: a@example.com\r\nSubject: hi\r\n\r\nbody\r\n";

#[test]
fn an_append_with_literal_plus_returns_the_appenduid() {
    for (done, want) in [
        ("{tag} OK [APPENDUID 1234 42] Append completed.", Some(42)),
        ("{tag} ok [appenduid 1234 42] append completed.", Some(42)),
        ("{tag} OK Append completed.", None),
    ] {
        let script = Script::new()
            .expect(&format!("* APPEND \"INBOX\" (\\Seen) {{{}+}}", RAW.len()))
            .literal()
            .send("* 4 EXISTS")
            .send(done);
        let (got, t) = session(script, |c| c.append("INBOX", RAW, &["\\Seen"]));
        assert_eq!(got.expect("appended"), want, "{done}");
        let wanted = format!(
            "a2 APPEND \"INBOX\" (\\Seen) {{{}+}}\r\n{}\r\n",
            RAW.len(),
            String::from_utf8_lossy(RAW)
        );
        assert!(t.text().ends_with(&wanted), "{}", t.text());
    }
}

#[test]
fn an_append_refused_or_cut() {
    for done in [
        "{tag} NO [OVERQUOTA] Quota exceeded",
        "{tag} no [trycreate] mailbox doesn't exist",
    ] {
        let script = Script::new()
            .expect(&format!("* APPEND \"INBOX\" () {{{}+}}", RAW.len()))
            .literal()
            .send(done);
        let (got, t) = session(script, |c| c.append("INBOX", RAW, &[]));
        assert!(
            matches!(&got, Err(ImapError::Refused { command, .. }) if command == "APPEND"),
            "{got:?}"
        );
        assert_eq!(t.text().matches("APPEND").count(), 1);
    }
    let script = Script::new()
        .expect(&format!("* APPEND \"INBOX\" () {{{}+}}", RAW.len()))
        .literal()
        .send("* BYE shutting down")
        .close();
    let started = Instant::now();
    let (got, _) = session(script, |c| c.append("INBOX", RAW, &[]));
    assert!(matches!(got, Err(ImapError::Lost { .. })), "{got:?}");
    assert!(started.elapsed() < PROMPTLY);
}

#[test]
fn an_append_without_literal_plus_waits_for_the_continuation() {
    let caps = "IMAP4rev1 CONDSTORE UIDPLUS NAMESPACE";
    let script = logged_in(caps, "((\"\" \"/\"))")
        .expect(&format!("* APPEND \"INBOX\" (\\Seen) {{{}}}", RAW.len()))
        .send("+ OK")
        .literal()
        .send("{tag} ok [appenduid 1234 43] append completed.");
    let player = Player::start(vec![script]);
    let mut conn = Conn::open(&server(player.port, password())).expect("logged in");
    assert_eq!(
        conn.append("INBOX", RAW, &["\\Seen"]).expect("appended"),
        Some(43)
    );
    drop(conn);
    player.finish().assert_followed();
}

#[test]
fn idle_sees_a_change_that_comes_before_the_continuation() {
    for (exists, plus, done) in [
        ("* 4 EXISTS", "+ idling", "{tag} OK Idle completed."),
        ("* 4 exists", "+ idling", "{tag} ok idle completed."),
    ] {
        let script = Script::new()
            .expect("* IDLE")
            .send(exists)
            .send(plus)
            .expect("DONE")
            .send(done);
        let started = Instant::now();
        let (got, t) = session(script, |c| c.idle_once(Duration::from_secs(30)));
        assert!(got.expect("idled"), "the change was reported");
        // The change was already there: no waiting out the 30 s.
        assert!(started.elapsed() < PROMPTLY);
        assert!(t.text().ends_with("a2 IDLE\r\nDONE\r\n"));
    }
}

#[test]
fn idle_without_changes_waits_and_ends() {
    let script = Script::new()
        .expect("* IDLE")
        .send("+ idling")
        .expect("DONE")
        .send("{tag} OK Idle completed.");
    let (got, _) = session(script, |c| c.idle_once(Duration::from_millis(200)));
    assert!(!got.expect("idled"));
}

#[test]
fn idle_refused_or_cut() {
    let script = Script::new()
        .expect("* IDLE")
        .send("{tag} no [cannot] not now");
    let (got, _) = session(script, |c| c.idle_once(Duration::from_secs(30)));
    assert!(
        matches!(&got, Err(ImapError::Refused { command, .. }) if command == "IDLE"),
        "{got:?}"
    );
    let script = Script::new()
        .expect("* IDLE")
        .send("+ idling")
        .send("* BYE Server shutting down.")
        .close();
    let started = Instant::now();
    let (got, _) = session(script, |c| c.idle_once(Duration::from_secs(30)));
    assert!(matches!(got, Err(ImapError::Lost { .. })), "{got:?}");
    assert!(started.elapsed() < PROMPTLY);
}
