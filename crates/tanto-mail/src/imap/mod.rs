//! Everything that speaks IMAP. The `imap` crate and `imap-proto` types stay inside this
//! module; callers get tanto's own types (`core::model`) and `ImapError`.

mod connect;
#[cfg(test)]
mod connect_tests;
mod folders;
mod namespace;
mod parse;
mod presence_records;
#[cfg(test)]
mod quirks_tests;
mod sasl;
mod store;
pub mod sync;
mod tagged;
#[cfg(test)]
pub(crate) mod transcript;
#[cfg(test)]
mod transcript_tests;
mod transport;

pub use crate::trace::{trace_lines, trace_step};
pub use connect::{
    Caps, Conn, Dialed, Endpoint, FolderStatus, InboxAhead, Login, SelectInfo, Server, StateSets,
};
pub use folders::{missing_rights, Right, Scope, SentFound, SentLookup};
pub use namespace::{Namespaces, Personal, Place, Space};
pub use transport::{traffic, Limits, Over, OverLimit};

/// What went wrong talking to the server, phrased for the user.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("cannot reach IMAP server {addr}: {reason}; check [mailbox.imap] host and port, and that the server is up")]
    Connect { addr: String, reason: String },
    #[error("TLS with IMAP server {addr} failed: {reason}; check [mailbox.imap] tls (\"tls\" for port 993, \"starttls\" for 143)")]
    Tls { addr: String, reason: String },
    #[error("IMAP login as {user:?} on {addr} failed: {reason}; check the password (password_command or password_env) and user")]
    Login {
        addr: String,
        user: String,
        reason: String,
    },
    /// The server refused the OAuth2 access token (SASL XOAUTH2 or OAUTHBEARER).
    #[error("IMAP server {addr} refused the OAuth2 token for {user:?}: {reason}; check that the signed-in account may open this mailbox (user), or sign in again with `tanto login`")]
    TokenRefused {
        addr: String,
        user: String,
        reason: String,
    },
    #[error("IMAP folder {folder:?} on {addr}: {reason}; check the folder name in the config")]
    Folder {
        addr: String,
        folder: String,
        reason: String,
    },
    #[error("IMAP server {addr} refused {command}: {reason}")]
    Refused {
        addr: String,
        command: String,
        reason: String,
    },
    #[error("connection to IMAP server {addr} lost: {reason}")]
    Lost { addr: String, reason: String },
    /// The server sent more than `[limits]` allow (`transport::OverLimit`): not retried.
    #[error("IMAP server {addr} sent more than {mib} MiB ({what:?}); if that is real mail, raise {key} in the config", key = what.key())]
    TooMuch {
        addr: String,
        what: transport::Over,
        mib: u64,
    },
    /// The server's answer is not IMAP (it fails to parse): not retried, since the same
    /// server answers the same way again.
    #[error("IMAP server {addr} broke the protocol: {reason}; check [mailbox.imap] host, port and tls (is it an IMAP server?)")]
    Protocol { addr: String, reason: String },
}

impl ImapError {
    /// The error for an I/O failure on the connection to `addr`: a limit the server broke,
    /// or the connection lost.
    pub(crate) fn from_io(addr: &str, e: &std::io::Error) -> ImapError {
        match transport::OverLimit::of(e) {
            Some(over) => ImapError::TooMuch {
                addr: addr.to_string(),
                what: over.what,
                mib: over.mib,
            },
            None => ImapError::Lost {
                addr: addr.to_string(),
                reason: e.to_string(),
            },
        }
    }
}

impl ImapError {
    /// True when retrying later may help (the network, not the config, is at fault).
    pub fn is_transient(&self) -> bool {
        matches!(self, ImapError::Connect { .. } | ImapError::Lost { .. })
    }
}

pub type Result<T> = std::result::Result<T, ImapError>;

/// Encodes a folder name in modified UTF-7, unquoted (for the crate's methods, which quote).
pub fn encode_folder(name: &str) -> String {
    utf7_imap::encode_utf7_imap(name.to_string())
}

/// Encodes a folder name for a raw command: modified UTF-7, quoted.
pub fn quote_folder(name: &str) -> String {
    let encoded = encode_folder(name);
    format!("\"{}\"", encoded.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Formats UIDs as a compact IMAP sequence set (`1:5,7,9:10`).
pub fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        let mut end = start;
        while i + 1 < sorted.len() && sorted[i + 1] == end + 1 {
            i += 1;
            end = sorted[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[5, 1, 2, 3, 9, 7, 10, 3]), "1:3,5,7,9:10");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn folder_names_are_encoded_and_quoted() {
        assert_eq!(quote_folder("INBOX"), "\"INBOX\"");
        assert_eq!(quote_folder("Tanto/Activity"), "\"Tanto/Activity\"");
        assert_eq!(quote_folder("送信済み"), "\"&kAFP4W4IMH8-\"");
        assert_eq!(quote_folder("a\"b"), "\"a\\\"b\"");
    }
}
