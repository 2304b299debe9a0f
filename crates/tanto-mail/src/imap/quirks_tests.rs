//! Byte transcripts of what servers also send: unsolicited responses among an answer,
//! `[CLOSED]` in a SELECT, a refusal with TRYCREATE, lower-case answers to the commands the
//! `imap` crate still reads, METADATA, SPECIAL-USE, a server past `[limits]`, and a whole
//! sync, first and QRESYNC.

use super::transcript::{Player, Script};
use super::transcript_tests::{
    applied, flags, logged_in, password, server, session, store, CAPS, RAW, STORE,
};
use super::{Conn, ImapError, Limits};

#[test]
fn unsolicited_responses_among_a_stores_answer_leave_its_outcome_alone() {
    let script = Script::new()
        .expect("* SELECT \"INBOX\" (CONDSTORE)")
        .send("* 3 EXISTS")
        .send("* OK [UIDVALIDITY 7] UIDs valid")
        .send("{tag} OK [READ-WRITE] Select completed")
        .expect(STORE)
        .send("* 2 FETCH (UID 4 MODSEQ (11) FLAGS (\\Flagged))")
        .send("* VANISHED 3")
        .send("* 1 FETCH (UID 5 MODSEQ (12) FLAGS (\\Seen $tanto_wip))")
        .send("* 4 EXISTS")
        .send("* 3 FETCH (UID 9 MODSEQ (13) FLAGS ())")
        .send("{tag} OK Conditional STORE completed");
    let ((got, grew), _) = session(script, |c| {
        c.select("INBOX", None).expect("selected");
        (store(c), c.grew())
    });
    assert_eq!(got.expect("stored"), applied(&["\\Seen", "$tanto_wip"], 12));
    assert!(grew, "the EXISTS that came with the answer was noted");
}

#[test]
fn what_a_select_reports_of_the_folder_it_closes_is_not_the_new_folders() {
    // RFC 7162 §3.2.11: with QRESYNC, responses before `[CLOSED]` are the previous folder's.
    for closed in [
        "* OK [CLOSED] Previous mailbox closed.",
        "* ok [closed] previous mailbox closed.",
    ] {
        closed_then_selected(closed);
    }
}

fn closed_then_selected(closed: &str) {
    let script = Script::new()
        .expect("* SELECT \"INBOX\" (CONDSTORE)")
        .send("* 3 EXISTS")
        .send("* OK [UIDVALIDITY 7] UIDs valid")
        .send("{tag} OK [READ-WRITE] Select completed")
        .expect("* SELECT \"Other\" (QRESYNC (9 40))")
        .send("* VANISHED 2")
        .send("* 1 FETCH (UID 3 MODSEQ (44) FLAGS (\\Deleted))")
        .send(closed)
        .send("* 5 EXISTS")
        .send("* OK [UIDVALIDITY 9] UIDs valid")
        .send("* OK [HIGHESTMODSEQ 41] Highest")
        .send("* VANISHED (EARLIER) 8")
        .send("* 2 FETCH (UID 6 MODSEQ (41) FLAGS (\\Seen))")
        .send("{tag} OK [READ-WRITE] Select completed");
    let (got, _) = session(script, |c| {
        c.select("INBOX", None).expect("selected");
        c.select("Other", Some((9, 40)))
    });
    let info = got.expect("selected");
    assert_eq!((info.uidvalidity, info.exists), (9, 5));
    assert_eq!(info.vanished, vec![8], "{closed}");
    assert_eq!(
        info.changed.iter().map(|u| u.uid).collect::<Vec<_>>(),
        vec![6]
    );
}

#[test]
fn an_unconditional_store_and_a_noop_poll() {
    let script = Script::new()
        .expect("* UID STORE 5 FLAGS (\\Seen)")
        .send("* 1 fetch (uid 5 flags (\\Seen))")
        .send("{tag} ok store completed")
        .expect("* NOOP")
        .send("* 4 EXISTS")
        .send("{tag} OK NOOP completed")
        .expect("* NOOP")
        .send("{tag} OK NOOP completed")
        .expect("* NOOP")
        .send("* BYE Server shutting down.")
        .close();
    let ((stored, changed, quiet, cut), _) = session(script, |c| {
        (
            c.store_flags(5, &flags(&["\\Seen"])),
            c.poll_changes(),
            c.poll_changes(),
            c.poll_changes(),
        )
    });
    assert_eq!(stored.expect("stored"), applied(&["\\Seen"], 0));
    assert!(changed.expect("polled"));
    assert!(!quiet.expect("polled"));
    assert!(matches!(cut, Err(ImapError::Lost { .. })), "{cut:?}");
}

#[test]
fn status_answers_are_read_in_either_case() {
    let script = Script::new()
        .expect("* STATUS \"Other\" (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)")
        .expect("* STATUS \"Gone\" (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)")
        .send("* status \"Other\" (uidvalidity 3 uidnext 4 messages 2 highestmodseq 5)")
        .send("{tag-1} ok status completed")
        .send("{tag} no [nonexistent] mailbox doesn't exist");
    let ((other, gone), _) = session(script, |c| {
        c.prefetch_status(&["Other", "Gone"]).expect("asked");
        (c.folder_status("Other"), c.folder_status("Gone"))
    });
    assert_eq!(
        other.expect("answered"),
        Some(super::FolderStatus {
            uidvalidity: Some(3),
            uidnext: Some(4),
            messages: 2,
            highestmodseq: Some(5),
        })
    );
    assert_eq!(gone.expect("answered"), None);
}

/// A lower-case FETCH of a message's metadata as the sync asks it.
fn meta_fetch(seq: u32, uid: u32, flags: &str, modseq: u64, subject: &str) -> String {
    let header = format!(
        "Subject: {subject}\r\nMessage-ID: <{uid}@example.com>\r\nFrom: c@example.com\r\n\r\n"
    );
    format!(
        "* {seq} fetch (uid {uid} flags ({flags}) modseq ({modseq}) internaldate \"07-Dec-2026 10:00:00 +0000\" rfc822.size 120 body[header.fields (date from subject message-id)] {{{}}}\r\n{header})",
        header.len()
    )
}

#[test]
fn a_first_sync_and_a_qresync_resync_in_lower_case() {
    use super::sync::{sync_folder, SyncMode};
    use crate::cache::{Cache, FolderRole, Team};
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cache = Cache::open(&dir.path().join("cache.db"), false).expect("cache");
    let team = Team {
        mailbox: "support".into(),
        address: "support@example.com".into(),
        addresses: vec!["support@example.com".into()],
    };
    let script = Script::new()
        .expect("* SELECT \"INBOX\" (CONDSTORE)")
        .send("* 2 exists")
        .send("* ok [uidvalidity 7] uids valid")
        .send("* ok [uidnext 3] predicted next uid")
        .send("* ok [highestmodseq 10] highest")
        .send("{tag} ok [read-write] select completed")
        .expect("* UID FETCH 1:2 (UID FLAGS MODSEQ INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM ...")
        .send(&meta_fetch(1, 1, "\\Seen", 9, "Order"))
        .send(&meta_fetch(2, 2, "", 10, "Invoice"))
        .send("{tag} ok fetch completed")
        .expect("* SELECT \"INBOX\" (QRESYNC (7 10))")
        .send("* ok [closed] previous mailbox closed.")
        .send("* 1 exists")
        .send("* ok [uidvalidity 7] uids valid")
        .send("* ok [uidnext 3] predicted next uid")
        .send("* ok [highestmodseq 12] highest")
        .send("* vanished (earlier) 1")
        .send("* 1 fetch (uid 2 modseq (12) flags ($tanto_wip))")
        .send("{tag} ok [read-write] select completed");
    let player = Player::start(vec![logged_in(CAPS, "((\"\" \"/\"))").then(script)]);
    let mut conn = Conn::open(&server(player.port, password())).expect("logged in");
    let first =
        sync_folder(&mut conn, &mut cache, &team, "INBOX", FolderRole::Inbox).expect("first sync");
    assert_eq!(
        (first.mode, first.fetched, first.messages),
        (SyncMode::Full, 2, 2)
    );
    let again =
        sync_folder(&mut conn, &mut cache, &team, "INBOX", FolderRole::Inbox).expect("resync");
    assert_eq!(again.mode, SyncMode::Qresync);
    assert_eq!(
        (again.expunged, again.flag_updates, again.messages),
        (1, 1, 1)
    );
    drop(conn);
    player.finish().assert_followed();
    let state = cache
        .folder("support", "INBOX", FolderRole::Inbox)
        .expect("state");
    assert_eq!(cache.folder_uids(&state).expect("uids"), vec![2]);
    assert_eq!(
        (state.uidvalidity, state.highestmodseq),
        (Some(7), Some(12))
    );
}

#[test]
fn an_append_refused_with_trycreate_says_so_with_or_without_literal_plus() {
    // The activity log's APPEND makes the folder again on TRYCREATE (`act::append_raw_event`
    // reads it in the refusal): the code must reach the error whichever literal went out.
    let caps = "IMAP4rev1 CONDSTORE UIDPLUS NAMESPACE";
    let sync = format!("* APPEND \"Log\" (\\Seen) {{{}}}", RAW.len());
    let plus = format!("* APPEND \"Log\" (\\Seen) {{{}+}}", RAW.len());
    let scripts = [
        // Refused instead of the continuation.
        logged_in(caps, "((\"\" \"/\"))")
            .expect(&sync)
            .send("{tag} NO [TRYCREATE] Mailbox doesn't exist: Log"),
        // Refused after the literal.
        logged_in(caps, "((\"\" \"/\"))")
            .expect(&sync)
            .send("+ OK")
            .literal()
            .send("{tag} no [trycreate] mailbox doesn't exist: Log"),
        logged_in(CAPS, "((\"\" \"/\"))")
            .expect(&plus)
            .literal()
            .send("{tag} NO [TRYCREATE] Mailbox doesn't exist: Log"),
    ];
    for script in scripts {
        let player = Player::start(vec![script]);
        let mut conn = Conn::open(&server(player.port, password())).expect("logged in");
        conn.assume_exists("Log").expect("assumed");
        match conn.append("Log", RAW, &["\\Seen"]) {
            Err(ImapError::Refused {
                command, reason, ..
            }) => {
                assert_eq!(command, "APPEND");
                assert!(
                    reason.to_ascii_uppercase().contains("TRYCREATE"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
        drop(conn);
        player.finish().assert_followed();
    }
}

#[test]
fn search_status_list_and_myrights_answers_in_lower_case() {
    let caps = format!("{CAPS} ACL");
    let script = logged_in(&caps, "((\"\" \"/\"))")
        .expect("* SELECT \"INBOX\" (CONDSTORE)")
        .send("* ok [uidvalidity 7] uids valid")
        .send("{tag} ok [read-write] select completed")
        .expect("* UID SEARCH HEADER Message-ID \"<x@y>\"")
        .send("* search 9 4")
        .send("{tag} ok search completed")
        .expect("* STATUS \"Other\" (UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)")
        .send("* status \"Other\" (messages 2 uidnext 4 uidvalidity 3 highestmodseq 5)")
        .send("{tag} ok status completed")
        .expect("* STATUS \"Gone\" (MESSAGES)")
        .send("{tag} no [nonexistent] mailbox doesn't exist")
        .expect("* LIST \"\" \"Tanto\"")
        .send("* list (\\hasnochildren) \"/\" Tanto")
        .send("{tag} ok list completed")
        .expect("* MYRIGHTS \"Tanto\"")
        .send("* myrights \"Tanto\" lrswipkxtecda")
        .send("{tag} ok myrights completed");
    let player = Player::start(vec![script]);
    let mut conn = Conn::open(&server(player.port, password())).expect("logged in");
    assert_eq!(
        conn.find_message_id("INBOX", "x@y").expect("searched"),
        Some(4)
    );
    let status = conn
        .folder_status("Other")
        .expect("status")
        .expect("exists");
    assert_eq!(
        (
            status.messages,
            status.uidnext,
            status.uidvalidity,
            status.highestmodseq
        ),
        (2, Some(4), Some(3), Some(5))
    );
    assert_eq!(conn.message_count("Gone").expect("asked"), None);
    assert!(conn.folder_exists("Tanto").expect("listed"));
    // The rights as a set (the crate gives them in its own order).
    let rights = conn.my_rights("Tanto").expect("asked").expect("offered");
    assert!(
        super::missing_rights(&rights, &[super::Right::Lookup, super::Right::Write]).is_empty()
    );
    assert_eq!(rights.len(), "lrswipkxtecda".len());
    drop(conn);
    player.finish().assert_followed();
}

#[test]
fn presence_entries_are_read_in_either_case() {
    let caps = format!("{CAPS} METADATA");
    for (metadata, nil) in [("METADATA", "NIL"), ("metadata", "nil")] {
        let script = logged_in(&caps, "((\"\" \"/\"))")
            .expect("* SETMETADATA \"INBOX\" (/shared/vendor/tanto/presence/alice \"viewing 7 1796638239\")")
            .expect("* GETMETADATA (DEPTH 1) \"INBOX\" (/shared/vendor/tanto/presence)")
            .send("{tag-1} ok setmetadata complete")
            .send(&format!(
                "* {metadata} \"INBOX\" (/shared/vendor/tanto/presence/alice {{20}}\r\nviewing 7 1796638239 /shared/vendor/tanto/presence/carol {nil} /shared/vendor/tanto/presence/bob \"replying 7 1796638200\")"
            ))
            .send("{tag} ok getmetadata complete");
        let player = Player::start(vec![script]);
        let mut conn = Conn::open(&server(player.port, password())).expect("logged in");
        let mine = (
            "/shared/vendor/tanto/presence/alice",
            Some("viewing 7 1796638239"),
        );
        let got = conn.exchange_presence("INBOX", mine).expect("exchanged");
        assert_eq!(
            got,
            Some(vec![
                (
                    "/shared/vendor/tanto/presence/alice".to_string(),
                    "viewing 7 1796638239".to_string()
                ),
                (
                    "/shared/vendor/tanto/presence/bob".to_string(),
                    "replying 7 1796638200".to_string()
                ),
            ]),
            "{metadata}"
        );
        drop(conn);
        player.finish().assert_followed();
    }
}

#[test]
fn the_sent_folder_is_found_by_its_special_use_in_either_case() {
    for (list, sent) in [("* LIST", "\\Sent"), ("* list", "\\sent")] {
        let script = Script::new()
            .expect("* LIST \"\" *")
            .send(&format!("{list} (\\HasNoChildren) \"/\" INBOX"))
            .send(&format!(
                "{list} (\\HasNoChildren {sent}) \"/\" \"Outbox Copies\""
            ))
            .send(&format!("{list} (\\HasNoChildren) \"/\" Sent"))
            .send("{tag} OK List completed");
        let (got, _) = session(script, |c| c.find_sent("INBOX"));
        assert_eq!(
            got.expect("listed").found,
            Some(("Outbox Copies".to_string(), super::SentFound::SpecialUse)),
            "{list}"
        );
    }
}

#[test]
fn a_server_past_the_limits_is_stopped_with_the_limit_named() {
    let long_line = format!("* 1 FETCH (UID 3 FLAGS ({}))", "$k ".repeat(1 << 10));
    let huge_literal = "* 1 FETCH (UID 5 BODY[HEADER.FIELDS (SUBJECT)] {5000000}";
    for (answer, what) in [
        (long_line.as_str(), super::Over::Line),
        (huge_literal, super::Over::Message),
    ] {
        let script = logged_in(CAPS, "((\"\" \"/\"))")
            .expect("* UID FETCH 3 (UID FLAGS MODSEQ)")
            .send(answer)
            .send("{tag} OK Fetch completed");
        let player = Player::start(vec![script]);
        let mut s = server(player.port, password());
        s.limits = Limits {
            line: 2048,
            response: 1 << 20,
            message: 1 << 20,
        };
        let mut conn = Conn::open(&s).expect("logged in");
        match conn.fetch_flags(&[3]) {
            Err(e @ ImapError::TooMuch { .. }) => {
                assert!(!e.is_transient(), "not retried");
                assert!(matches!(e, ImapError::TooMuch { what: w, .. } if w == what));
            }
            other => panic!("{other:?}"),
        }
        drop(conn);
        let _ = player.finish();
    }
}
