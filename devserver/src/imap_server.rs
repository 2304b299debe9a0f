//! What every test IMAP server offers, whichever software runs it: its port, logged-in
//! sessions, and (in `mail.rs` and `config.rs`) mail operations as another client and tanto
//! configs pointing at it. [`crate::Dovecot`], [`crate::Cyrus`] and [`crate::Courier`]
//! dereference to it, so a test written against `&ImapServer` runs on each.

use std::fs;
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

use crate::server::HOST;
use crate::{Session, PASSWORD};

const IO_TIMEOUT: Duration = Duration::from_secs(60);

/// A running test IMAP server on 127.0.0.1, as its clients see it.
pub struct ImapServer {
    pub port: u16,
    /// The software's name, for messages ("Dovecot", "Cyrus", "Courier").
    pub(crate) name: &'static str,
    /// What the server wrote (its log first, then e.g. its stderr), for failure messages.
    pub(crate) logs: Vec<PathBuf>,
    /// How an agent's config (`config.rs`) reaches the team's mailbox `support`: `None`, by
    /// logging in as `support` and opening its INBOX; `Some(prefix)`, by logging in as the
    /// agent and opening `support`'s inbox in the other users' namespace `prefix` (Cyrus:
    /// `user.` gives `user.support`, with its folders `user.support.Tanto.Activity`, ...).
    pub(crate) other_users: Option<&'static str>,
}

impl ImapServer {
    /// The server's log so far: its log file, then any other output it wrote (each further
    /// file under a `--- <file name> ---` line, when not empty).
    pub fn log(&self) -> String {
        let mut out = String::new();
        for (n, path) in self.logs.iter().enumerate() {
            let text = fs::read_to_string(path).unwrap_or_default();
            if n == 0 {
                out.push_str(&text);
            } else if !text.trim().is_empty() {
                let name = path.file_name().unwrap_or_default().to_string_lossy();
                out.push_str(&format!("--- {name} ---\n{text}"));
            }
        }
        out
    }

    /// A logged-in session (`imap` crate, plain TCP, 60 s I/O timeouts) as `user`/`secret`.
    pub fn session(&self, user: &str) -> Session {
        let tcp = self.connect();
        let mut client = imap::Client::new(tcp);
        client.read_greeting().expect("read IMAP greeting");
        match client.login(user, PASSWORD) {
            Ok(s) => s,
            Err((e, _)) => panic!(
                "IMAP LOGIN as {user} on {} failed: {e}\n--- log ---\n{}",
                self.name,
                self.log()
            ),
        }
    }

    /// A plain TCP connection to the server (nothing read yet), with 60 s I/O timeouts.
    pub fn connect(&self) -> TcpStream {
        let tcp = TcpStream::connect((HOST, self.port))
            .unwrap_or_else(|e| panic!("connect to {} on 127.0.0.1:{}: {e}", self.name, self.port));
        tcp.set_read_timeout(Some(IO_TIMEOUT))
            .expect("set read timeout");
        tcp.set_write_timeout(Some(IO_TIMEOUT))
            .expect("set write timeout");
        tcp
    }
}
