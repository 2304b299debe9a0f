//! tanto: a terminal client for a shared support mailbox. This crate holds the front ends;
//! the layers below are crates of their own, so that the compiler keeps dependencies
//! pointing one way (see docs/architecture.md):
//!
//! - `tanto_core`: the pure domain (threading, statuses, claims, events, noise rules,
//!   summaries), the clock, and the wording leaf (languages, the catalogue, `Said`).
//! - `tanto_mail`: mime and sanitize, the IMAP protocol, SMTP, OAuth2, the shared cache.
//! - `tanto_app`: the config and the application layer every front end calls (`Ctx`,
//!   `act::perform(action) -> Outcome`, sync, replies, the watcher).
//! - `tanto_demo` (the `demo` feature): `tanto demo`'s local server and simulated teammate.
//!
//! Here: `cli` (one file per subcommand), `tui` (one loop, `update(State, Msg) -> Commands`,
//! pure views, workers calling the application layer) and `i18n`, which words typed results
//! and errors in the language in use. Only this crate prints.
#![deny(clippy::unwrap_used)]

pub mod cli;
pub mod i18n;
pub mod tui;
