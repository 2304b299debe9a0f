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
