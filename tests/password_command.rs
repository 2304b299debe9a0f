//! Where the password comes from, against the real binary: a runaway `password_command` is
//! stopped at 64 KiB and named, a failing one's stderr is in the error, a password a login
//! cannot carry is refused before any connection, and a login answer that is not IMAP is a
//! protocol error that is not retried.

mod harness;
mod support;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use harness::Dovecot;
use support::Tanto;

/// A server and an agent `alice` whose password comes from `command`.
struct Desk {
    server: Dovecot,
    alice: Tanto,
    _dir: tempfile::TempDir,
}

/// A desk whose password comes from `command` (a TOML literal string: no `'''` in it).
fn desk(command: &str) -> Desk {
    let server = Dovecot::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = with_command(&server, dir.path(), command);
    Desk {
        server,
        alice,
        _dir: dir,
    }
}

/// An agent in `dir` whose password comes from `command`.
fn with_command(server: &Dovecot, dir: &std::path::Path, command: &str) -> Tanto {
    let t = Tanto::new(server, dir, "alice");
    let text = std::fs::read_to_string(&t.config).expect("read config");
    let text = text.replace(
        "password_env = \"TANTO_TEST_PASSWORD\"",
        &format!("password_command = '''{command}'''"),
    );
    std::fs::write(&t.config, text).expect("write config");
    t
}

/// Exit 1 with exactly one line on stderr, which is returned.
fn one_error_line(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");
    err
}

/// Nobody tried to log in (a login, good or bad, is logged with its user).
fn no_login(server: &Dovecot) {
    // Dovecot writes its log through another process: give a late line the time to land.
    std::thread::sleep(Duration::from_millis(300));
    let log = server.log();
    assert!(!log.contains("user=<support>"), "{log}");
}

#[test]
fn a_command_printing_300_mb_is_stopped_and_named_without_a_login() {
    let d = desk(r"head -c 300000000 /dev/zero | tr '\0' a");
    let started = Instant::now();
    let out = d.alice.run(&["sync", "--once"]);
    let took = started.elapsed();
    let err = one_error_line(&out);
    assert!(
        err.contains(
            "mailbox[0].imap.password_command printed more than 64 KiB; it must print the password alone"
        ),
        "{err}"
    );
    assert!(took < Duration::from_secs(5), "took {took:?}");
    no_login(&d.server);
}

#[test]
fn a_failing_command_says_why_in_the_error_line() {
    let d = desk("echo 'gpg: decryption failed: No secret key' >&2; exit 1");
    let err = one_error_line(&d.alice.run(&["sync", "--once"]));
    assert!(
        err.contains("mailbox[0].imap.password_command failed (exit status: 1): gpg: decryption failed: No secret key"),
        "{err}"
    );
    no_login(&d.server);
}

#[test]
fn a_password_with_a_line_break_in_it_is_refused_by_name_before_any_login() {
    let server = Dovecot::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    let out = alice
        .command(&["sync", "--once"])
        .env("TANTO_TEST_PASSWORD", "sec\nret")
        .output()
        .expect("run tanto");
    let err = one_error_line(&out);
    assert!(
        err.contains("mailbox[0].imap.password_env gave a password with a line break"),
        "{err}"
    );
    // A command's password is its first line of output: a CR inside that line is refused.
    let bob = with_command(&server, &dir.path().join("bob"), r"printf 'sec\rret\n'");
    let err = one_error_line(&bob.run(&["sync", "--once"]));
    assert!(
        err.contains("mailbox[0].imap.password_command gave a password with a line break"),
        "{err}"
    );
    no_login(&server);
}

/// A server that greets as IMAP does and answers each LOGIN with a line that is not IMAP.
/// Returns its port and the number of LOGINs it has seen.
fn not_imap_after_the_greeting() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("local address").port();
    let logins = Arc::new(AtomicUsize::new(0));
    let seen = logins.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let mut w = conn.try_clone().expect("clone the stream");
            let _ = w.write_all(b"* OK IMAP4rev1 ready\r\n");
            let mut lines = BufReader::new(conn).lines();
            while let Some(Ok(line)) = lines.next() {
                if line.to_ascii_uppercase().contains(" LOGIN ") {
                    seen.fetch_add(1, Ordering::SeqCst);
                    let _ = w.write_all(b"HTTP/1.1 400 Bad Request\r\n");
                }
            }
        }
    });
    (port, logins)
}

#[test]
fn a_login_answer_that_is_not_imap_is_a_protocol_error_and_is_not_retried() {
    let server = Dovecot::start();
    let (port, logins) = not_imap_after_the_greeting();
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::via(&server, port, dir.path(), "alice");
    let started = Instant::now();
    let err = one_error_line(&alice.run(&["sync", "--once"]));
    assert!(err.contains("broke the protocol"), "{err}");
    assert!(!err.contains("closed the connection"), "{err}");
    assert_eq!(logins.load(Ordering::SeqCst), 1, "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "retried: {err}"
    );
}
