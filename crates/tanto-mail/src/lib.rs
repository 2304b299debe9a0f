//! tanto's mail layer: everything that touches mail bytes, a server or the disk, below the
//! application layer and above the pure domain (`tanto_core`).
//!
//! - `sanitize` and `mime`: hostile mail bytes to safe, decoded text; `activity`: the event
//!   messages of the activity folder.
//! - `imap`: the only module that speaks IMAP; it converts `imap`/`imap-proto` types to
//!   tanto's own at its boundary. `send`: SMTP. `oauth`: OAuth2 sign-in and access tokens,
//!   the only module that speaks HTTP. `settings`: what they need to reach a server.
//! - `cache`: the shared SQLite file (a cache: the IMAP server is the source of truth).
#![deny(clippy::unwrap_used)]

pub mod activity;
pub mod cache;
mod fast_path;
pub mod imap;
pub mod mime;
pub mod oauth;
pub mod private_file;
pub mod sanitize;
pub mod send;
pub mod settings;
pub mod trace;
