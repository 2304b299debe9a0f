//! Who is viewing or replying to what, across hosts: this host's agents share it through the
//! cache; agents on other hosts through a METADATA entry per agent on the shared inbox
//! (`core::presence`), published by the front ends that keep sessions (the TUI's heartbeat)
//! and read by every sync behind its SELECT.

use super::Ctx;
use crate::cache::Cache;
use crate::core::presence::{self, Doing};

/// How long a published presence holds without a heartbeat (the TUI renews it every 10 s):
/// an agent whose tanto died is gone from every host within this.
const HOLDS_SECS: i64 = 30;

/// Says what this agent is doing with conversation `conv` of `mailbox` (None: nothing any
/// more): in the cache for this host; where sessions are kept (the TUI) and the server offers
/// METADATA, on the server too, reading the other agents' in the same round trip. Best
/// effort: presence is a courtesy, never worth an error on screen.
pub fn announce(ctx: &Ctx, mailbox: &str, conv: &str, doing: Option<Doing>) {
    let me = &ctx.config.agent.id;
    if let Ok(mut c) = ctx.cache() {
        let _ = match doing {
            Some(d) => c.set_presence(mailbox, conv, me, d.as_str()),
            None => c.clear_presence(mailbox, conv, me),
        };
    }
    if !ctx.sessions_kept() {
        return;
    }
    let published = (|| -> anyhow::Result<Option<Vec<(String, String)>>> {
        let (index, mb) = ctx.mailbox_named(mailbox)?;
        let mut conn = ctx.session(index, mb)?;
        let value = doing.map(|d| presence::value(d, conv, crate::clock::now() + HOLDS_SECS));
        let entry = presence::entry(me);
        let r = conn.exchange_presence(&mb.imap.folder, (&entry, value.as_deref()));
        ctx.session_done(index, conn, r.is_ok());
        Ok(r?)
    })();
    match published {
        Ok(Some(entries)) => {
            if let Ok(mut c) = ctx.cache() {
                remember(ctx, &mut c, mailbox, &entries);
            }
        }
        Ok(None) => {}
        Err(e) => tracing::debug!("presence not published: {e:#}"),
    }
}

/// Keeps what the server says of the other agents' presence on `mailbox` (its METADATA
/// entries as read): each entry is checked (`presence::read`), never trusted.
pub fn remember(ctx: &Ctx, cache: &mut Cache, mailbox: &str, entries: &[(String, String)]) {
    let now = crate::clock::now();
    let published: Vec<presence::Published> = entries
        .iter()
        .filter_map(|(entry, value)| presence::read(entry, value, now))
        .collect();
    if let Err(e) = cache.set_remote_presence(mailbox, &ctx.config.agent.id, &published) {
        tracing::debug!("presence not kept: {e}");
    }
}
