//! A scripted server on a real loopback socket, for byte-transcript tests of the IMAP and
//! SMTP layers: it plays a script (greeting, the command lines it expects, canned answers)
//! and records every byte the client sent, so that a test can assert both what went over
//! the wire and what the client made of the answers.
//!
//! An expected line starting `* ` matches any tag (`* UID STORE 5 ...` matches
//! `a7 UID STORE 5 ...`); one ending `...` matches by prefix. In what the server sends,
//! `{tag}` is the tag of the last command read, `{tag-1}` the one before, and so on.
//! A mismatch, a read that waits more than a few seconds, or bytes the client sent after
//! the script ended, fail the transcript; the socket is then closed, so the client sees
//! its connection end rather than a hang.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Duration;

/// How long the server waits for the client's next bytes before failing the script.
const PATIENCE: Duration = Duration::from_secs(5);

enum Step {
    Send(String),
    Expect(String),
    /// The literal announced (`{N}` or `{N+}`) at the end of the last line read, and the
    /// line's end after it.
    Literal,
    /// Lines up to and including one that is exactly `.` (SMTP DATA).
    Data,
    /// Closes the connection.
    Close,
}

/// What one connection's server does, in order.
#[derive(Default)]
pub struct Script(Vec<Step>);

impl Script {
    pub fn new() -> Script {
        Script::default()
    }

    /// Sends `line` (CRLF added; `{tag}` replaced).
    pub fn send(mut self, line: &str) -> Script {
        self.0.push(Step::Send(line.to_string()));
        self
    }

    /// Reads one command line that must match `pattern`.
    pub fn expect(mut self, pattern: &str) -> Script {
        self.0.push(Step::Expect(pattern.to_string()));
        self
    }

    /// Reads the literal the last line announced.
    pub fn literal(mut self) -> Script {
        self.0.push(Step::Literal);
        self
    }

    /// Reads an SMTP message up to its lone `.`.
    pub fn data(mut self) -> Script {
        self.0.push(Step::Data);
        self
    }

    /// This script, then `next`'s steps.
    pub fn then(mut self, next: Script) -> Script {
        self.0.extend(next.0);
        self
    }

    /// Closes the connection at this point.
    pub fn close(mut self) -> Script {
        self.0.push(Step::Close);
        self
    }
}

/// What a connection's server saw.
#[derive(Debug, Default)]
pub struct Transcript {
    /// Every byte the client sent, in order, across the connections.
    pub sent: Vec<u8>,
    /// What went against the script (empty when the client did just what it said).
    pub failures: Vec<String>,
}

impl Transcript {
    /// The client's bytes as text, each line with its CRLF.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.sent).into_owned()
    }

    /// Panics with the transcript unless the client followed the script.
    pub fn assert_followed(&self) {
        assert!(
            self.failures.is_empty(),
            "the client left the script: {:?}\nit sent:\n{}",
            self.failures,
            self.text()
        );
    }
}

/// A server playing one script per connection, in the order the client connects.
pub struct Player {
    pub port: u16,
    thread: JoinHandle<Transcript>,
}

impl Player {
    /// Listens on 127.0.0.1 (a free port) and plays `scripts` in a thread.
    pub fn start(scripts: Vec<Script>) -> Player {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        let port = listener.local_addr().expect("local addr").port();
        let thread = std::thread::spawn(move || {
            let mut t = Transcript::default();
            for script in scripts {
                match listener.accept() {
                    Ok((sock, _)) => play(sock, script, &mut t),
                    Err(e) => t.failures.push(format!("accept: {e}")),
                }
                if !t.failures.is_empty() {
                    break;
                }
            }
            t
        });
        Player { port, thread }
    }

    /// Waits for the scripts to end (the client must have closed its connection or stopped
    /// sending) and returns what the server saw.
    pub fn finish(self) -> Transcript {
        match self.thread.join() {
            Ok(t) => t,
            Err(_) => Transcript {
                sent: Vec::new(),
                failures: vec!["the server thread panicked".into()],
            },
        }
    }
}

fn play(sock: TcpStream, script: Script, t: &mut Transcript) {
    let _ = sock.set_read_timeout(Some(PATIENCE));
    let _ = sock.set_nodelay(true);
    let mut out = match sock.try_clone() {
        Ok(s) => s,
        Err(e) => return t.failures.push(format!("clone: {e}")),
    };
    let mut reader = BufReader::new(sock);
    let mut tags: Vec<String> = Vec::new();
    let mut last = Vec::new();
    for step in script.0 {
        match step {
            Step::Send(line) => {
                let mut line = line;
                for (back, tag) in tags.iter().rev().enumerate() {
                    let key = match back {
                        0 => "{tag}".to_string(),
                        n => format!("{{tag-{n}}}"),
                    };
                    line = line.replace(&key, tag);
                }
                if out
                    .write_all(format!("{line}\r\n").as_bytes())
                    .and_then(|()| out.flush())
                    .is_err()
                {
                    return t.failures.push(format!("could not send {line:?}"));
                }
            }
            Step::Expect(pattern) => {
                last.clear();
                match reader.read_until(b'\n', &mut last) {
                    Ok(0) => return t.failures.push(format!("closed, expected {pattern:?}")),
                    Ok(_) => t.sent.extend_from_slice(&last),
                    Err(e) => return t.failures.push(format!("{e}, expected {pattern:?}")),
                }
                let line = String::from_utf8_lossy(&last);
                let line = line.trim_end_matches(['\r', '\n']);
                let (tag, body) = if pattern.starts_with("* ") {
                    line.split_once(' ').unwrap_or((line, ""))
                } else {
                    ("", line)
                };
                let want = pattern.strip_prefix("* ").unwrap_or(&pattern);
                let matched = match want.strip_suffix("...") {
                    Some(prefix) => body.starts_with(prefix),
                    None => body == want,
                };
                if !matched {
                    return t
                        .failures
                        .push(format!("expected {pattern:?}, the client sent {line:?}"));
                }
                if !tag.is_empty() {
                    tags.push(tag.to_string());
                }
            }
            Step::Literal => {
                let Some(n) = announced(&last) else {
                    return t.failures.push("no literal announced".into());
                };
                let mut body = vec![0; n];
                if let Err(e) = reader.read_exact(&mut body) {
                    return t.failures.push(format!("literal: {e}"));
                }
                t.sent.extend_from_slice(&body);
                let mut end = Vec::new();
                if let Err(e) = reader.read_until(b'\n', &mut end) {
                    return t.failures.push(format!("after the literal: {e}"));
                }
                t.sent.extend_from_slice(&end);
                if end != b"\r\n" {
                    return t.failures.push(format!(
                        "after the literal: {:?}",
                        String::from_utf8_lossy(&end)
                    ));
                }
            }
            Step::Data => loop {
                let mut line = Vec::new();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) => return t.failures.push("closed inside DATA".into()),
                    Ok(_) => t.sent.extend_from_slice(&line),
                    Err(e) => return t.failures.push(format!("DATA: {e}")),
                }
                if line == b".\r\n" {
                    break;
                }
            },
            Step::Close => return,
        }
    }
    // The script is over: whatever the client sends now was not asked for.
    let mut rest = Vec::new();
    let _ = reader.read_to_end(&mut rest);
    if !rest.is_empty() {
        t.failures.push(format!(
            "sent after the script ended: {:?}",
            String::from_utf8_lossy(&rest)
        ));
        t.sent.extend_from_slice(&rest);
    }
}

/// The size a line ending `{N}` or `{N+}` announces.
fn announced(line: &[u8]) -> Option<usize> {
    let line = String::from_utf8_lossy(line);
    let line = line.trim_end_matches(['\r', '\n']).strip_suffix('}')?;
    let line = line.strip_suffix('+').unwrap_or(line);
    line.rsplit_once('{')?.1.parse().ok()
}
