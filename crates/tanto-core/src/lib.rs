//! The pure domain: no network, no database, no terminal. Everything here is plain functions
//! over plain data, unit-tested without I/O.

#![deny(clippy::unwrap_used)]

pub mod agent;
pub mod assignment;
pub mod claims;
pub mod clock;
pub mod compose;
mod compose_render;
pub mod conversation;
pub mod event;
pub mod hours;
pub mod later;
pub mod log;
pub mod model;
pub mod noise;
pub mod oauth;
pub mod outbox;
pub mod presence;
pub mod report;
pub mod rules;
pub mod status;
pub mod subject;
pub mod templates;
pub mod threading;
pub mod waiting;
pub mod when;
pub mod wording;
