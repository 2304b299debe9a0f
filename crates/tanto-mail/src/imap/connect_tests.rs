//! `Conn::open` and the folder mapping, against a scripted server: which capabilities count,
//! the session-start pipeline, the SASL-IR XOAUTH2 line, and the personal namespace in the
//! names SELECT and APPEND send.

use base64::Engine as _;

use super::transcript::{Player, Script};
use super::transcript_tests::{logged_in, server, CAPS};
use super::{Conn, ImapError, InboxAhead, Login};

fn password() -> Login {
    Login::Password("secret".into())
}

/// The rest of a session start once logged in, the way a server not known to keep commands
/// behind LOGIN gets it: CAPABILITY, ENABLE, NAMESPACE pipelined as `a2`..`a4`.
fn session_start(caps: &str, enabled: &str) -> Script {
    Script::new()
        .expect("a2 CAPABILITY")
        .expect("a3 ENABLE QRESYNC")
        .expect("a4 NAMESPACE")
        .send(&format!("* CAPABILITY {caps}"))
        .send("a2 OK Capability completed.")
        .send(enabled)
        .send("a3 OK Enabled.")
        .send("* NAMESPACE ((\"\" \"/\")) NIL NIL")
        .send("a4 OK Namespace completed.")
}

#[test]
fn a_dovecot_login_carries_the_session_start_in_its_round_trip() {
    let player = Player::start(vec![logged_in(CAPS, "((\"\" \"/\"))")]);
    let conn = Conn::open(&server(player.port, password())).expect("logged in");
    assert!(conn.caps.condstore && conn.caps.qresync && conn.caps.idle);
    assert!(conn.caps.uidplus && conn.caps.literal_plus && conn.caps.mv);
    assert!(!conn.caps.metadata && !conn.caps.notify);
    assert!(conn.qresync_enabled);
    drop(conn);
    let t = player.finish();
    t.assert_followed();
    assert_eq!(
        t.text(),
        "a1 LOGIN \"agent\" \"secret\"\r\ns1 CAPABILITY\r\ns2 ENABLE QRESYNC\r\ns3 NAMESPACE\r\n"
    );
}

#[test]
fn other_servers_get_the_session_start_after_the_login_answer() {
    // The LOGIN answer's CAPABILITY code (pre-ENABLE, possibly partial) is not what counts:
    // the CAPABILITY asked after login is.
    let script = Script::new()
        .send("* OK IMAP4rev1 server ready")
        .expect("a1 LOGIN \"agent\" \"secret\"")
        .send("a1 OK [CAPABILITY IMAP4rev1 QRESYNC METADATA] Logged in")
        .then(session_start("IMAP4rev1 IDLE ENABLE", "* ENABLED"));
    let player = Player::start(vec![script]);
    let conn = Conn::open(&server(player.port, password())).expect("logged in");
    assert!(conn.caps.idle && conn.caps.enable);
    assert!(!conn.caps.qresync && !conn.caps.condstore && !conn.caps.metadata);
    assert!(!conn.qresync_enabled);
    drop(conn);
    player.finish().assert_followed();
}

#[test]
fn capabilities_and_enabled_are_read_in_any_case() {
    let script = Script::new()
        .send("* OK IMAP4rev1 server ready")
        .expect("a1 LOGIN \"agent\" \"secret\"")
        .send("a1 ok logged in")
        .then(session_start(
            "imap4rev1 condstore qresync literal+ metadata",
            "* enabled qresync",
        ));
    let player = Player::start(vec![script]);
    let conn = Conn::open(&server(player.port, password())).expect("logged in");
    assert!(conn.caps.qresync && conn.caps.condstore);
    assert!(conn.caps.literal_plus && conn.caps.metadata);
    assert!(conn.qresync_enabled);
    drop(conn);
    player.finish().assert_followed();
}

#[test]
fn a_server_without_enable_or_namespace_still_opens() {
    let script = Script::new()
        .send("* OK IMAP4rev1 server ready")
        .expect("a1 LOGIN \"agent\" \"secret\"")
        .send("a1 OK logged in")
        .expect("a2 CAPABILITY")
        .expect("a3 ENABLE QRESYNC")
        .expect("a4 NAMESPACE")
        .send("* CAPABILITY IMAP4rev1 CONDSTORE")
        .send("a2 OK done")
        .send("a3 BAD Unknown command")
        .send("a4 BAD Unknown command");
    let player = Player::start(vec![script]);
    let conn = Conn::open(&server(player.port, password())).expect("logged in");
    assert!(conn.caps.condstore && !conn.qresync_enabled && !conn.caps.namespace);
    drop(conn);
    player.finish().assert_followed();
}

#[test]
fn a_refused_login_is_a_login_error_and_a_cut_one_is_lost() {
    let script = Script::new()
        .send("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] Dovecot ready.")
        .expect("a1 LOGIN \"agent\" \"secret\"")
        .expect("s1 CAPABILITY")
        .expect("s2 ENABLE QRESYNC")
        .expect("s3 NAMESPACE")
        .send("a1 NO [AUTHENTICATIONFAILED] Authentication failed.")
        .close();
    let player = Player::start(vec![script]);
    let got = Conn::open(&server(player.port, password()));
    assert!(
        matches!(got, Err(ImapError::Login { .. })),
        "{:?}",
        got.err()
    );
    player.finish().assert_followed();

    let script = Script::new()
        .send("* OK IMAP4rev1 server ready")
        .expect("a1 LOGIN \"agent\" \"secret\"")
        .send("* BYE too many connections")
        .close();
    let player = Player::start(vec![script]);
    let got = Conn::open(&server(player.port, password()));
    assert!(
        matches!(got, Err(ImapError::Lost { .. })),
        "{:?}",
        got.err()
    );
    player.finish().assert_followed();
}

#[test]
fn xoauth2_goes_on_the_authenticate_line_with_sasl_ir() {
    let initial =
        base64::engine::general_purpose::STANDARD.encode("user=agent\x01auth=Bearer tok3n\x01\x01");
    let script = Script::new()
        .send("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=OAUTHBEARER] Dovecot ready.")
        .expect(&format!("a1 AUTHENTICATE XOAUTH2 {initial}"))
        .send("a1 OK Logged in")
        .then(session_start(
            super::transcript_tests::CAPS,
            "* ENABLED QRESYNC",
        ));
    let player = Player::start(vec![script]);
    let login = Login::OAuth2 {
        access_token: "tok3n".into(),
    };
    let conn = Conn::open(&server(player.port, login)).expect("signed in");
    assert!(conn.qresync_enabled);
    drop(conn);
    player.finish().assert_followed();
}

#[test]
fn xoauth2_without_sasl_ir_answers_the_empty_challenge() {
    let initial =
        base64::engine::general_purpose::STANDARD.encode("user=agent\x01auth=Bearer tok3n\x01\x01");
    let script = Script::new()
        .send("* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] ready.")
        .expect("a1 AUTHENTICATE XOAUTH2")
        .send("+ ")
        .expect(&initial)
        .send("a1 OK Logged in")
        .then(session_start("IMAP4rev1", "* ENABLED"));
    let player = Player::start(vec![script]);
    let login = Login::OAuth2 {
        access_token: "tok3n".into(),
    };
    Conn::open(&server(player.port, login)).expect("signed in");
    player.finish().assert_followed();
}

#[test]
fn a_refused_token_is_a_token_error_with_the_servers_words() {
    let initial =
        base64::engine::general_purpose::STANDARD.encode("user=agent\x01auth=Bearer tok3n\x01\x01");
    let said = base64::engine::general_purpose::STANDARD.encode("{\"status\":\"401\"}");
    let script = Script::new()
        .send("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] ready.")
        .expect(&format!("a1 AUTHENTICATE XOAUTH2 {initial}"))
        .send(&format!("+ {said}"))
        .expect("")
        .send("a1 NO [AUTHENTICATIONFAILED] Authentication failed.")
        .close();
    let player = Player::start(vec![script]);
    let login = Login::OAuth2 {
        access_token: "tok3n".into(),
    };
    match Conn::open(&server(player.port, login)) {
        Err(ImapError::TokenRefused { reason, .. }) => assert!(reason.contains("401"), "{reason}"),
        other => panic!("{:?}", other.err()),
    }
    player.finish().assert_followed();
}

#[test]
fn the_personal_namespace_prefixes_what_select_and_append_name() {
    let raw = b"Subject: x\r\n\r\ny\r\n";
    let script = logged_in(CAPS, "((\"INBOX.\" \".\"))")
        .expect("* SELECT \"INBOX.Tanto.Activity\" (CONDSTORE)")
        .send("* OK [UIDVALIDITY 9] ok")
        .send("{tag} OK [READ-WRITE] Select completed")
        .expect(&format!(
            "* APPEND \"INBOX.Tanto.Activity\" () {{{}+}}",
            raw.len()
        ))
        .literal()
        .send("{tag} OK [APPENDUID 9 1] Append completed.")
        // The inbox is the inbox everywhere.
        .expect("* SELECT \"INBOX\" (CONDSTORE)")
        .send("{tag} OK [READ-WRITE] Select completed");
    let player = Player::start(vec![script]);
    let mut conn = Conn::open(&server(player.port, password())).expect("logged in");
    assert_eq!(
        conn.server_folder("Tanto/Activity").expect("mapped"),
        "INBOX.Tanto.Activity"
    );
    assert_eq!(
        conn.select("Tanto/Activity", None)
            .expect("selected")
            .uidvalidity,
        9
    );
    assert_eq!(
        conn.append("Tanto/Activity", raw, &[]).expect("appended"),
        Some(1)
    );
    conn.select("INBOX", None).expect("selected");
    drop(conn);
    player.finish().assert_followed();
}

#[test]
fn a_folder_name_is_sent_in_modified_utf7() {
    let script = logged_in(CAPS, "((\"\" \"/\"))")
        .expect("* SELECT \"&kAFP4W4IMH8-\" (CONDSTORE)")
        .send("{tag} OK [READ-WRITE] Select completed");
    let player = Player::start(vec![script]);
    let mut conn = Conn::open(&server(player.port, password())).expect("logged in");
    conn.select("送信済み", None).expect("selected");
    drop(conn);
    player.finish().assert_followed();
}

#[test]
fn a_lower_case_greeting_still_announces_sasl_ir() {
    let initial =
        base64::engine::general_purpose::STANDARD.encode("user=agent\x01auth=Bearer tok3n\x01\x01");
    let script = Script::new()
        .send("* ok [capability imap4rev1 sasl-ir auth=xoauth2] ready.")
        .expect(&format!("a1 AUTHENTICATE XOAUTH2 {initial}"))
        .send("a1 ok logged in")
        .then(session_start("imap4rev1", "* enabled"));
    let player = Player::start(vec![script]);
    let login = Login::OAuth2 {
        access_token: "tok3n".into(),
    };
    Conn::open(&server(player.port, login)).expect("signed in");
    player.finish().assert_followed();
}

#[test]
fn starttls_is_asked_of_a_lower_case_server_too() {
    // The TLS handshake itself fails here (the script speaks no TLS): what counts is that
    // the greeting and the OK were understood and the handshake began.
    for (greeting, ok) in [
        ("* OK ready", "t0 OK Begin TLS"),
        ("* ok ready", "t0 ok begin tls"),
    ] {
        let script = Script::new()
            .send(greeting)
            .expect("t0 STARTTLS")
            .send(ok)
            .close();
        let player = Player::start(vec![script]);
        let mut s = server(player.port, password());
        s.tls = crate::settings::Tls::Starttls;
        match Conn::open(&s) {
            Err(ImapError::Tls { reason, .. }) => {
                assert!(!reason.starts_with("STARTTLS"), "{greeting}: {reason}")
            }
            other => panic!("{:?}", other.err()),
        }
        player.finish().assert_followed();
    }
}

/// A Dovecot login for a first sync: the inbox's SELECT and its presence read ride behind
/// the session start (`s4`, `s5`), then the FETCHes of the first UID ranges (`s6`...),
/// answered with the lines of `select` and `presence`, and each FETCH with `fetched`.
fn logged_in_selecting(caps: &str, enabled: &str, select: &[&str], presence: &[&str]) -> Script {
    logged_in_spaced(
        ROOT_NAMESPACE,
        caps,
        enabled,
        select,
        presence,
        Some("OK Fetch completed."),
    )
}

/// The inbox's SELECT answered behind the login (three messages, HIGHESTMODSEQ 12).
const SELECTED: &[&str] = &[
    "* 3 EXISTS",
    "* OK [UIDVALIDITY 7] UIDs valid",
    "* OK [HIGHESTMODSEQ 12] Highest",
    "s4 OK [READ-WRITE] Select completed.",
];

/// The same on a server where CONDSTORE is not on (no HIGHESTMODSEQ).
const SELECTED_WITHOUT_MODSEQ: &[&str] = &[
    "* 3 EXISTS",
    "* OK [UIDVALIDITY 7] UIDs valid",
    "* OK [UIDNEXT 4] Predicted next UID",
    "s4 OK [READ-WRITE] Select completed.",
];

/// The presence read behind the login, on a server without METADATA.
const NO_METADATA: &[&str] = &["s5 BAD Unknown command."];

/// The personal namespace at the root, separator `/`: every folder's name as in the config.
const ROOT_NAMESPACE: &str = "((\"\" \"/\")) NIL NIL";

/// `logged_in_selecting` where the server's NAMESPACE answer is `namespace` and each FETCH
/// sent ahead is answered `fetched` (None: none is sent).
fn logged_in_spaced(
    namespace: &str,
    caps: &str,
    enabled: &str,
    select: &[&str],
    presence: &[&str],
    fetched: Option<&str>,
) -> Script {
    let ahead = match fetched {
        Some(_) => super::connect::ranges_fetched_ahead(),
        None => Vec::new(),
    };
    let items = super::sync::fetch_items(true);
    let mut script = Script::new()
        .send("* OK [CAPABILITY IMAP4rev1 SASL-IR LITERAL+ ENABLE IDLE AUTH=PLAIN] Dovecot ready.")
        .expect("a1 LOGIN \"agent\" \"secret\"")
        .expect("s1 CAPABILITY")
        .expect("s2 ENABLE QRESYNC")
        .expect("s3 NAMESPACE")
        .expect("s4 SELECT INBOX")
        .expect("s5 GETMETADATA (DEPTH 1) \"INBOX\" (/shared/vendor/tanto/presence)");
    for (k, (a, b)) in ahead.iter().enumerate() {
        script = script.expect(&format!("s{} UID FETCH {a}:{b} {items}", k + 6));
    }
    script = script
        .send("a1 OK Logged in")
        .send(&format!("* CAPABILITY {caps}"))
        .send("s1 OK Capability completed.")
        .send(enabled)
        .send("s2 OK Enabled.")
        .send(&format!("* NAMESPACE {namespace}"))
        .send("s3 OK Namespace completed.");
    for line in select.iter().chain(presence) {
        script = script.send(line);
    }
    for k in 0..ahead.len() {
        script = script.send(&format!("s{} {}", k + 6, fetched.unwrap_or_default()));
    }
    script
}

/// Plays `script` to a connection opened for a first sync of the inbox (`ahead`).
fn open_first_sync(script: Script, ahead: InboxAhead) -> (Player, Conn) {
    let player = Player::start(vec![script]);
    let conn = Conn::open_selecting(&server(player.port, password()), ahead).expect("logged in");
    (player, conn)
}

#[test]
fn a_first_syncs_select_rides_behind_the_login_and_the_status_with_the_fetch() {
    let caps = format!("{CAPS} METADATA");
    let script = logged_in_selecting(
        &caps,
        "* ENABLED QRESYNC",
        &[
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* 3 EXISTS",
            "* OK [UIDVALIDITY 7] UIDs valid",
            "* OK [UIDNEXT 4] Predicted next UID",
            "* OK [HIGHESTMODSEQ 12] Highest",
            "s4 OK [READ-WRITE] Select completed.",
        ],
        &[
            "* METADATA \"INBOX\" (/shared/vendor/tanto/presence/bob \"viewing 7 1796638200\")",
            "s5 OK Getmetadata completed.",
        ],
    )
    // The STATUS asked ahead go out in the next round trip (here alone: no FETCH follows).
    .expect("a2 STATUS \"Sent\" (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)")
    .send("* STATUS \"Sent\" (UIDVALIDITY 3 UIDNEXT 9 MESSAGES 8 HIGHESTMODSEQ 20)")
    .send("a2 OK Status completed.");
    let (player, mut conn) = open_first_sync(script, InboxAhead::SelectAndFetch);
    conn.status_with_next_select(&["Sent"]);
    conn.audit_with_next_select();
    conn.presence_with_next_select();
    let info = conn.select("INBOX", None).expect("selected");
    assert_eq!((info.uidvalidity, info.exists), (7, 3));
    assert_eq!((info.uidnext, info.highestmodseq), (Some(4), Some(12)));
    assert_eq!(
        conn.take_presence(),
        Some(vec![(
            "/shared/vendor/tanto/presence/bob".to_string(),
            "viewing 7 1796638200".to_string()
        )])
    );
    // No audit of a folder read whole anyway.
    assert_eq!(conn.take_audit(), None);
    // The sync's FETCH stage reads the FETCHes sent ahead, then the STATUS sent after them.
    assert_eq!(conn.take_fetched_ahead().len(), 40);
    conn.send_status_ahead().expect("sent");
    for _ in 0..40 {
        conn.read_each("UID FETCH", |_| {}).expect("fetched ahead");
    }
    conn.read_status_sent().expect("read");
    let sent = conn.folder_status("Sent").expect("status").expect("there");
    assert_eq!((sent.messages, sent.highestmodseq), (8, Some(20)));
    drop(conn);
    player.finish().assert_followed();
}

/// A first sync whose SELECT behind the login is not used: `select(INBOX, known)` asks again
/// (`command`), and the second answer is the one read. Returns whether QRESYNC is enabled.
fn selects_again(script: Script, command: &str, known: Option<(u32, u64)>) -> bool {
    let script = script
        .expect(command)
        .send("* 3 EXISTS")
        .send("* OK [UIDVALIDITY 7] UIDs valid")
        .send("* OK [UIDNEXT 4] Predicted next UID")
        .send("* OK [HIGHESTMODSEQ 12] Highest")
        .send("a2 OK [READ-WRITE] Select completed.");
    let (player, mut conn) = open_first_sync(script, InboxAhead::SelectAndFetch);
    let qresync = conn.qresync_enabled;
    let info = conn.select("INBOX", known).expect("selected");
    assert_eq!(info.highestmodseq, Some(12));
    drop(conn);
    player.finish().assert_followed();
    qresync
}

#[test]
fn a_server_with_condstore_but_not_qresync_gets_its_select_again_with_condstore() {
    let script = logged_in_selecting(
        "IMAP4rev1 CONDSTORE ENABLE IDLE UIDPLUS NAMESPACE LITERAL+",
        "* ENABLED",
        SELECTED_WITHOUT_MODSEQ,
        NO_METADATA,
    );
    let qresync = selects_again(script, "a2 SELECT \"INBOX\" (CONDSTORE)", None);
    assert!(!qresync);
}

#[test]
fn a_state_known_from_the_cache_does_not_take_the_plain_select() {
    let script = logged_in_selecting(CAPS, "* ENABLED QRESYNC", SELECTED, NO_METADATA);
    selects_again(
        script,
        "a2 SELECT \"INBOX\" (QRESYNC (7 10))",
        Some((7, 10)),
    );
}

#[test]
fn a_server_without_condstore_has_the_fetches_sent_ahead_read_away() {
    // The FETCHes ahead ask for MODSEQ: refused here, and read away before the next command.
    let script = logged_in_spaced(
        ROOT_NAMESPACE,
        "IMAP4rev1 ENABLE IDLE UIDPLUS NAMESPACE",
        "* ENABLED",
        SELECTED_WITHOUT_MODSEQ,
        NO_METADATA,
        Some("BAD Error in IMAP command UID FETCH: Unknown FETCH attribute."),
    )
    .expect("a2 UID SEARCH UID 1:*")
    .send("* SEARCH 1 2 3")
    .send("a2 OK Search completed.");
    let (player, mut conn) = open_first_sync(script, InboxAhead::SelectAndFetch);
    let info = conn.select("INBOX", None).expect("selected");
    assert_eq!((info.exists, info.highestmodseq), (3, None));
    assert!(conn.take_fetched_ahead().is_empty(), "read away");
    assert_eq!(conn.uids_from(1).expect("uids"), vec![1, 2, 3]);
    drop(conn);
    player.finish().assert_followed();
}

#[test]
fn a_first_sync_resumed_sends_its_select_behind_the_login_but_no_fetch() {
    let script = logged_in_spaced(
        ROOT_NAMESPACE,
        CAPS,
        "* ENABLED QRESYNC",
        &[
            "* 3 EXISTS",
            "* OK [UIDVALIDITY 7] UIDs valid",
            "* OK [UIDNEXT 4] Predicted next UID",
            "* OK [HIGHESTMODSEQ 12] Highest",
            "s4 OK [READ-WRITE] Select completed.",
        ],
        &["s5 BAD Unknown command."],
        None,
    )
    .expect("a2 UID FETCH 1:* (UID FLAGS)")
    .send("* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ (3))")
    .send("a2 OK Fetch completed.");
    let (player, mut conn) = open_first_sync(script, InboxAhead::Select);
    let info = conn.select("INBOX", None).expect("selected");
    assert_eq!(info.highestmodseq, Some(12));
    assert!(conn.take_fetched_ahead().is_empty());
    assert_eq!(conn.flags_changed_since(None).expect("flags").len(), 1);
    drop(conn);
    player.finish().assert_followed();
}

#[test]
fn a_status_whose_folder_must_be_probed_does_not_go_out_while_fetches_are_on_their_way() {
    // Personal folders under `INBOX.` and a shared namespace at the root: whether `Sent` is
    // `INBOX.Sent` or a shared `Sent` takes a LIST, whose answer would come after those of
    // the FETCHes sent ahead: its STATUS is left for later.
    let script = logged_in_spaced(
        "((\"INBOX.\" \".\")) NIL ((\"\" \".\"))",
        CAPS,
        "* ENABLED QRESYNC",
        SELECTED,
        NO_METADATA,
        Some("OK Fetch completed."),
    );
    let (player, mut conn) = open_first_sync(script, InboxAhead::SelectAndFetch);
    conn.status_with_next_select(&["Sent"]);
    conn.select("INBOX", None).expect("selected");
    assert_eq!(conn.take_fetched_ahead().len(), 40);
    conn.send_status_ahead().expect("nothing sent");
    for _ in 0..40 {
        conn.read_each("UID FETCH", |_| {}).expect("fetched ahead");
    }
    conn.read_status_sent().expect("nothing to read");
    drop(conn);
    player.finish().assert_followed();
}
