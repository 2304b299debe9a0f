//! tanto's application layer, which every front end calls (the CLI and the TUI): the context,
//! `act::perform(action) -> Outcome`, notes, the conversation list and view, the sync with
//! its after-sync rules, and the watcher that keeps the cache live. It prints nothing:
//! results come back as typed values, retries and warnings go through `Ctx::notify`.

#![deny(clippy::unwrap_used)]

pub mod act;
pub mod after_sync;
pub mod assignment;
pub mod config;
mod context;
pub mod conversations;
mod dialing;
pub mod doctor;
pub mod drafts;
pub mod note;
pub mod notice;
pub mod oauth;
pub mod offline;
pub mod outbox_admin;
pub mod outbox_marks;
pub mod outcome;
pub mod outside_replies;
pub mod presence;
pub mod regroup;
pub mod reply;
pub mod reply_outbox;
pub mod reply_templates;
pub mod report;
pub mod retry;
pub mod rights;
pub mod rules;
pub mod save;
pub mod send_check;
pub mod sessions;
pub mod sync;
pub mod tags;
pub mod watch;

pub use context::Ctx;
pub use dialing::Dialing;
pub use notice::{Notice, Notifier, Warning};
pub use outcome::Cause;
