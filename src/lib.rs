//! tanto: a terminal client for a shared support mailbox.
//!
//! Architecture (see docs/architecture.md for the picture). Dependencies point one way:
//!
//! - front ends: `cli` (one file per subcommand) and, next, `tui`. They parse input, call
//!   `app`, and word its typed results; only they print.
//! - `app`: the application layer every front end calls: `Ctx`, `act::perform(action) ->
//!   Outcome`, notes, the conversation list and view, the sync and its after-sync rules, the
//!   watcher, doctor, replying (`reply`, the outbox's send and recovery, `outbox_admin`,
//!   templates and their suggestions, `save` for received attachments). Retries and warnings go through `Ctx::notify`.
//! - `core`: the pure domain (threading, statuses, claims, events, noise rules, summaries).
//!   No I/O; everything else calls into it.
//! - `imap`: the only module that speaks IMAP; it converts `imap`/`imap-proto` types to
//!   tanto's own at its boundary. `cache`: the shared SQLite file (a cache: the IMAP server
//!   is the source of truth). `activity`: event messages. `mime` and `sanitize`: hostile mail
//!   bytes to safe, decoded text. `config`: the TOML config and its validation. `oauth`:
//!   OAuth2 sign-in (the device flow of `tanto login`) and the access tokens IMAP and SMTP
//!   sign in with; the only module that speaks HTTP.
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
mod fast_path;
pub mod i18n;
pub mod imap;
pub mod mime;
pub mod oauth;
pub mod private_file;
pub mod sanitize;
pub mod send;
pub mod tui;
