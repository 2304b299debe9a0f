//! Who is viewing or replying to what, across hosts: this host's agents share it through the
//! cache; agents on other hosts through a METADATA entry per agent on the shared inbox
//! (`core::presence`), published by the front ends that keep sessions (the TUI's heartbeat)
//! and read by every sync behind its SELECT.

use super::Ctx;
use tanto_core::presence::{self, Doing};
use tanto_mail::cache::Cache;

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
            Some(d) => c.set_presence(mailbox, conv, me, d),
            None => c.clear_presence(mailbox, conv, me),
        };
    }
    if !ctx.sessions_kept() {
        return;
    }
    let published = (|| -> anyhow::Result<Option<Vec<(String, String)>>> {
        let (index, mb) = ctx.mailbox_named(mailbox)?;
        let mut conn = ctx.session(index, mb)?;
        let value = doing.map(|d| presence::value(d, conv, tanto_core::clock::now() + HOLDS_SECS));
        let r = if conn.caps.metadata {
            let entry = presence::entry(me);
            conn.exchange_presence(&mb.imap.folder, (&entry, value.as_deref()))
                .map_err(anyhow::Error::from)
        } else {
            by_record(ctx, &mut conn, mb, value.as_deref()).map(Some)
        };
        ctx.session_done(index, conn, r.is_ok());
        r
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

/// Where the server has no METADATA: this agent's record in the presence folder replaced
/// by one saying `value` (or none), and everyone's records read back as (entry, value), as
/// METADATA would give them. Records of agents whose tanto is gone stay until their time
/// is past, then anyone's next heartbeat removes them.
fn by_record(
    ctx: &Ctx,
    conn: &mut tanto_mail::imap::Conn,
    mb: &crate::config::Mailbox,
    value: Option<&str>,
) -> anyhow::Result<Vec<(String, String)>> {
    let me = &ctx.config.agent.id;
    let folder = &mb.imap.presence_folder;
    let now = tanto_core::clock::now();
    let records = conn.presence_records(folder)?;
    // Mine (from this process or an earlier one), and anyone's long past.
    let stale: Vec<u32> = records
        .iter()
        .filter(|(_, agent, v)| {
            agent == me || presence::read(&presence::entry(agent), v, now).is_none()
        })
        .map(|(uid, ..)| *uid)
        .collect();
    let raw = value.map(|v| record(me, &mb.address, v));
    conn.replace_presence_record(folder, raw.as_deref(), &stale)?;
    let mut entries: Vec<(String, String)> = records
        .into_iter()
        .filter(|(uid, ..)| !stale.contains(uid))
        .map(|(_, agent, v)| (presence::entry(&agent), v))
        .collect();
    if let Some(v) = value {
        entries.push((presence::entry(me), v.to_string()));
    }
    Ok(entries)
}

/// A presence record: a message of headers only, all ASCII (an agent id, a word, an id, a
/// number), from and to the shared address.
fn record(agent: &str, address: &str, value: &str) -> Vec<u8> {
    let date = chrono::Utc::now().to_rfc2822();
    let unique = format!(
        "{:x}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
    );
    format!(
        "From: {address}\r\nTo: {address}\r\nDate: {date}\r\n\
         Subject: [tanto] presence of {agent}\r\n\
         Message-ID: <presence.{agent}.{unique}@tanto.invalid>\r\n\
         Auto-Submitted: auto-generated\r\nX-Tanto-Agent: {agent}\r\n\
         X-Tanto-Presence: {value}\r\n\r\n"
    )
    .into_bytes()
}

/// Keeps what the server says of the other agents' presence on `mailbox` (its METADATA
/// entries as read): each entry is checked (`presence::read`), never trusted.
pub fn remember(ctx: &Ctx, cache: &mut Cache, mailbox: &str, entries: &[(String, String)]) {
    let now = tanto_core::clock::now();
    let published: Vec<presence::Published> = entries
        .iter()
        .filter_map(|(entry, value)| presence::read(entry, value, now))
        .collect();
    if let Err(e) = cache.set_remote_presence(mailbox, &ctx.config.agent.id, &published) {
        tracing::debug!("presence not kept: {e}");
    }
}
