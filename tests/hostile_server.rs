//! A hostile (or broken) IMAP server cannot grow tanto's memory without bound: a greeting
//! line that never ends, a response that never ends, a literal announced at 700 MB. Each is
//! cut off at `[limits]` with one line naming the key that raises it, and is not retried
//! (it is not the network). The server here is a few lines of Rust on 127.0.0.1, as hostile
//! as the test needs.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the server does wrong.
#[derive(Clone, Copy)]
enum Hostile {
    /// The greeting line never ends.
    EndlessGreeting,
    /// The SELECT's answer never ends (short lines, without end).
    EndlessResponse,
    /// A FETCH announces a 700 MB literal.
    HugeLiteral,
}

/// Serves `how` on a free port; counts the connections it accepted.
fn serve(how: Hostile) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            count.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let _ = session(stream, how);
            });
        }
    });
    (port, accepted)
}

fn session(mut s: std::net::TcpStream, how: Hostile) -> std::io::Result<()> {
    let chunk = vec![b'A'; 1 << 20];
    if let Hostile::EndlessGreeting = how {
        s.write_all(b"* OK ")?;
        loop {
            s.write_all(&chunk)?;
        }
    }
    s.write_all(b"* OK [CAPABILITY IMAP4rev1 LITERAL+] hostile ready\r\n")?;
    let mut r = BufReader::new(s.try_clone()?);
    let mut line = String::new();
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let tag = line.split(' ').next().unwrap_or("*").to_string();
        let upper = line.to_ascii_uppercase();
        if upper.contains(" SELECT ") {
            if let Hostile::EndlessResponse = how {
                loop {
                    s.write_all(&b"* 1 EXISTS\r\n".repeat(50_000))?;
                }
            }
            s.write_all(
                format!(
                    "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n\
                     * FLAGS (\\Seen)\r\n* OK [PERMANENTFLAGS (\\Seen \\*)] ok\r\n\
                     {tag} OK [READ-WRITE] done\r\n"
                )
                .as_bytes(),
            )?;
        } else if upper.contains(" FETCH ") {
            // 700 MB announced, a little sent: the client must not wait for (or keep) it.
            s.write_all(b"* 1 FETCH (UID 1 BODY[HEADER] {700000000}\r\nFrom: x\r\n")?;
            std::thread::sleep(Duration::from_secs(30));
            return Ok(());
        } else if upper.contains(" LOGOUT") {
            s.write_all(format!("* BYE\r\n{tag} OK bye\r\n").as_bytes())?;
            return Ok(());
        } else if upper.contains(" SEARCH ") {
            s.write_all(format!("* SEARCH 1\r\n{tag} OK done\r\n").as_bytes())?;
        } else {
            s.write_all(format!("{tag} OK done\r\n").as_bytes())?;
        }
    }
}

/// `tanto sync --once` against the server on `port`, with `[limits]` lines `limits`: its
/// exit code, stderr and how long it took.
fn sync_against(port: u16, limits: &str) -> (i32, String, Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[agent]\nid = \"alice\"\n\n[[mailbox]]\nname = \"support\"\naddress = \"support@example.com\"\n\
             [mailbox.imap]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nuser = \"support\"\n\
             password_env = \"TANTO_TEST_PASSWORD\"\n\n[cache]\npath = \"{}\"\n\n[limits]\n{limits}",
            dir.path().join("cache.sqlite").display()
        ),
    )
    .expect("config");
    let started = Instant::now();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tanto"))
        .args(["--config", &config.to_string_lossy(), "sync", "--once"])
        .env("TANTO_TEST_PASSWORD", "secret")
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL")
        .output()
        .expect("run tanto");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        started.elapsed(),
    )
}

/// One line naming `key`, soon, after one connection.
fn cut_off(how: Hostile, limits: &str, key: &str) {
    let (port, accepted) = serve(how);
    let (code, err, took) = sync_against(port, limits);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(key), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(took < Duration::from_secs(20), "took {took:?}: {err}");
    assert_eq!(accepted.load(Ordering::SeqCst), 1, "not retried: {err}");
}

#[test]
fn an_endless_greeting_line_is_cut_off_at_the_line_limit() {
    cut_off(
        Hostile::EndlessGreeting,
        "imap_line_mib = 2\n",
        "limits.imap_line_mib",
    );
}

#[test]
fn an_endless_response_is_cut_off_at_the_response_limit() {
    cut_off(
        Hostile::EndlessResponse,
        "imap_response_mib = 8\n",
        "limits.imap_response_mib",
    );
}

#[test]
fn a_700_mb_literal_is_refused_when_announced_at_the_default_limit() {
    cut_off(Hostile::HugeLiteral, "", "limits.message_mib");
}

#[test]
fn a_limit_of_zero_is_a_config_error_naming_the_key() {
    let (port, _) = serve(Hostile::HugeLiteral);
    let (code, err, _) = sync_against(port, "message_mib = 0\n");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("limits.message_mib"), "{err}");
}
