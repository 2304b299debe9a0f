//! Printing to a reader that goes away (`tanto list | head -1`) ends quietly with exit 0.

mod harness;
mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;

use harness::{sample_message, Dovecot};
use support::Tanto;

#[test]
fn list_into_a_pipe_closed_after_one_line_exits_0_quietly() {
    let server = Dovecot::start();
    // Far more than a pipe buffer (64 KiB) of list lines, so tanto is still writing when the
    // reader goes.
    let msgs: Vec<Vec<u8>> = (0..1500).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let dir = tempfile::tempdir().expect("tempdir");
    let tanto = Tanto::new(&server, dir.path(), "alice");
    assert_eq!(tanto.sync()["messages"], 1500);

    let mut child = tanto
        .command(&["list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn tanto list");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("read one line");
    // The reader (and with it the pipe's only read end) is dropped here, as `head -1` does.
    assert!(!first.is_empty(), "no first line");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait");
    assert_eq!(stderr, "", "stderr");
    assert_eq!(status.code(), Some(0), "exit status");
}

/// Bytes a terminal would act on, or that would reorder or hide what is read: ESC, C1
/// controls (8-bit CSI, OSC...), BEL, bidi overrides and isolates, zero-width characters.
fn drives_a_terminal(out: &str) -> Option<char> {
    out.chars().find(|c| {
        matches!(c,
            '\u{1b}' | '\u{7}' | '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}')
    })
}

#[test]
fn rows_planted_in_the_shared_cache_cannot_drive_the_terminal_through_list_or_show() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    alice.sync();
    let id = alice.only_id();
    // Another agent on the host writes the shared cache directly: an OSC 52 clipboard write
    // and a terminal reset in the assignee, 8-bit CSI and bidi overrides in the others.
    let db = rusqlite::Connection::open(&alice.cache).expect("open the cache");
    db.execute(
        "UPDATE conversations SET status = 'wip',
            assignee = 'bob' || char(27) || ']52;c;aGVsbG8=' || char(7) || char(27) || 'c',
            previous_assignee = 'eve' || char(155) || '31m' || char(8238) || 'gnp.exe',
            subject = 'Refund ' || char(8294) || 'now' || char(8297) || char(8203)",
        [],
    )
    .expect("plant");
    drop(db);
    for args in [
        vec!["list"],
        vec!["list", "--status", "wip"],
        vec!["list", "--json"],
        vec!["show", &id],
        vec!["show", &id, "--json"],
    ] {
        let out = alice.run(&args);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert_eq!(drives_a_terminal(&text), None, "{args:?}:\n{text:?}");
    }
    // A name not in the agent-name format is shown as unknown (tests/cache_trust.rs).
    let json = alice.json(&["list", "--json"]);
    assert_eq!(json[0]["assignee"], "?", "{json}");
}
