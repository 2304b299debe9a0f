//! A real Dovecot IMAP server on 127.0.0.1, for the integration tests (through
//! `tests/harness`), `tanto demo` and the benchmarks.
//!
//! Every instance has its own temp dir, port and data, so tests can run in parallel.
//!
//! ```ignore
//! mod harness;
//! use harness::Dovecot;
//!
//! #[test]
//! fn something() {
//!     let dc = Dovecot::start();
//!     let uid = dc.append("support", "INBOX", &harness::sample_message(1, None), &[]);
//!     let mut s = dc.session("alice");
//!     // ...
//! }
//! ```
//!
//! Requirements: the `dovecot` binary (package `dovecot-imapd`) and `doveadm` (dovecot-core);
//! run `scripts/ensure-deps.sh`. The tests never skip: a missing server is a panic.
//!
//! The server runs in the foreground as a child of the test process, with every path (config,
//! sockets, state, logs, mail) inside the temp dir. Works as root (mail is owned by `nobody`,
//! login processes run as `dovenull`) and as an ordinary user (everything runs as that user).
//!
//! The crate is a workspace member of its own, outside tanto's public API: it does not
//! depend on tanto, and talks IMAP through the `imap` crate. [`relay`] puts a fault-injecting
//! proxy in front of a server. [`SmtpSink`] is a real SMTP server (aiosmtpd) for the send
//! tests, delivering into a Maildir the tests read. [`OAuthMock`] is a local OAuth2 provider
//! (device flow, tokens, introspection) for the sign-in tests. [`Cyrus`] is a real Cyrus IMAP
//! (Debian's packages unpacked by `scripts/ensure-cyrus.sh`, never installed) in Debian's
//! layout, where agents log in as themselves and open `user.support`. [`Courier`] is a real
//! Courier-IMAP (Debian's packages unpacked by `scripts/ensure-courier.sh`), a server
//! without CONDSTORE. Every server dereferences to [`ImapServer`]: port, sessions, mail
//! operations, tanto configs.
#![deny(clippy::unwrap_used)]

mod conf;
mod config;
mod courier;
mod cyrus;
mod imap_server;
mod mail;
mod oauth;
pub mod relay;
mod sample;
mod server;
mod smtp;
mod sys;

pub use courier::{courier_root, Courier};
pub use cyrus::{cyrus_root, Cyrus, CYRUS_AGENTS, TEAM_RIGHTS};
pub use imap_server::ImapServer;
pub use oauth::{OAuthMock, OAuthRequest};
pub use relay::{Profile, Relay};
pub use sample::sample_message;
pub use server::{Dovecot, Session, PASSWORD, USERS};
pub use smtp::{Received, SinkError, SmtpSink};
