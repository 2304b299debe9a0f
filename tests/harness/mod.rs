//! Integration-test harness: a real Dovecot IMAP server on 127.0.0.1, started per test in a
//! temp dir on a free port and stopped when the test ends. Each integration test includes it
//! with `mod harness;`.
//!
//! The server itself lives in the workspace crate `tanto-devserver` (`devserver/`) so that
//! `tanto demo` and the benchmarks use the very same setup; this module is where test-only
//! helpers go.
#![allow(dead_code, unused_imports)]

pub use tanto_devserver::*;
