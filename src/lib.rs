//! tanto: a terminal client for a shared support mailbox.
//!
//! Architecture (see docs/architecture.md for the picture):
//!
//! - `core`: the pure domain (threading, statuses, noise rules, conversation summaries).
//!   No I/O; everything else calls into it.
//! - `mime` and `sanitize`: turning hostile mail bytes into safe, decoded text.
//! - `imap`: connections, capabilities, the sync algorithm. The only module that speaks IMAP;
//!   it converts `imap`/`imap-proto` types to `core::model` at its boundary.
//! - `cache`: the shared SQLite file (schema, migrations, writes from the sync, reads for the
//!   CLI). It is a cache: the IMAP server is the source of truth.
//! - `config`: the TOML config and its validation.
//! - `cli`: one file per subcommand; it wires config, cache and imap together.
//! - `tui`: the terminal UI (`tanto` alone): one loop, `update(State, Msg) -> Commands`,
//!   pure views, workers calling `app`.
//!
//! State lives on the IMAP server (keywords, folders) and, derived from it, in the cache.
#![deny(clippy::unwrap_used)]

pub mod activity;
pub mod app;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod core;
pub mod devserver;
pub mod imap;
pub mod mime;
pub mod sanitize;
pub mod tui;
