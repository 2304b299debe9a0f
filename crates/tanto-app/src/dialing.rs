//! A connection to a mailbox's IMAP server made ahead of its login (`Ctx::dial_ahead`): the
//! round trips before the login (connect, TLS, greeting) need no password, so they run on a
//! thread of their own while the caller opens its cache and reads the password.

use anyhow::anyhow;
use tanto_mail::imap::{Conn, Dialed, Endpoint, ImapError};

/// A mailbox's server being dialed.
pub struct Dialing(std::thread::JoinHandle<Result<Dialed, ImapError>>);

impl Dialing {
    /// Starts dialing `at`.
    pub fn start(at: Endpoint) -> Dialing {
        Dialing(std::thread::spawn(move || Conn::dial(&at)))
    }

    /// Waits for the connection: the dial's own error is the connection's (retried as any).
    pub fn finish(self) -> anyhow::Result<Result<Dialed, ImapError>> {
        self.0
            .join()
            .map_err(|_| anyhow!("the thread dialing the IMAP server panicked"))
    }
}
