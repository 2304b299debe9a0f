//! `tanto sync [--once]`: bring the cache up to date, then (without --once) keep it so.

use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde::Serialize;

use super::Ctx;
use crate::cache::Cache;
use crate::config::Mailbox;
use crate::imap::sync::{sync_folder, FolderReport};

#[derive(Debug, clap::Args, Default)]
pub struct Args {
    /// Sync once and exit instead of watching for changes
    #[arg(long)]
    pub once: bool,
    /// Print what the sync did as JSON
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Report {
    mailbox: String,
    folders: Vec<FolderReport>,
    millis: u128,
}

/// Syncs every folder of one mailbox, under a lease so that two processes sharing the cache
/// do not both run a full sync.
pub fn sync_mailbox(
    ctx: &Ctx,
    cache: &mut Cache,
    index: usize,
    mailbox: &Mailbox,
) -> anyhow::Result<Vec<FolderReport>> {
    let mut conn = None;
    let reports = sync_mailbox_on(ctx, cache, &mut conn, index, mailbox)?;
    if let Some(c) = conn {
        c.logout();
    }
    Ok(reports)
}

/// Like `sync_mailbox`, on the connection in `conn` (opened there when `None`, and dropped
/// again when it fails), so that a long-running watcher does not log in for every resync.
pub fn sync_mailbox_on(
    ctx: &Ctx,
    cache: &mut Cache,
    conn: &mut Option<crate::imap::Conn>,
    index: usize,
    mailbox: &Mailbox,
) -> anyhow::Result<Vec<FolderReport>> {
    let lease = cache.acquire(
        &format!("sync:{}", mailbox.name),
        Duration::from_secs(600),
        Duration::from_secs(300),
    )?;
    let result: anyhow::Result<Vec<FolderReport>> = (|| {
        let c = match conn {
            Some(c) => c,
            None => conn.insert(ctx.connect(index, mailbox)?),
        };
        let team = ctx.team(mailbox);
        let mut reports = Vec::new();
        for (folder, role) in ctx.folders(c, mailbox)? {
            let r = sync_folder(c, cache, &team, &folder, role)
                .with_context(|| format!("syncing {folder}"))?;
            reports.push(r);
        }
        c.forget_unsolicited();
        Ok(reports)
    })();
    if result.is_err() {
        // Whatever state the connection is in, the next attempt starts from a fresh one.
        *conn = None;
    }
    if let Some(l) = lease {
        cache.release(l)?;
    }
    let reports = result?;
    if ctx.config.team.sticky_assignee {
        reassign_returning(ctx, cache, mailbox)?;
    }
    Ok(reports)
}

/// With `team.sticky_assignee`, a conversation a customer reopened by writing again goes back
/// to its previous agent. Every agent's sync may try; the compare-and-set lets one write it.
fn reassign_returning(ctx: &Ctx, cache: &mut Cache, mailbox: &Mailbox) -> anyhow::Result<()> {
    let filter = crate::cache::ListFilter {
        status: Some(crate::core::status::Status::New),
        assignee: None,
        mailbox: Some(mailbox.name.clone()),
    };
    for conv in cache.list(&filter)? {
        // Only a conversation that was done and came back: not one an agent released.
        let last_state_event = cache
            .events(&conv.mailbox, &conv.id)?
            .into_iter()
            .rev()
            .find(|e| e.kind != "note")
            .map(|e| e.kind);
        if last_state_event.as_deref() != Some("done") {
            continue;
        }
        if let Some(prev) = conv.previous_assignee {
            let action = crate::core::claims::Action::Assign(prev);
            if let Err(e) = super::act::perform(ctx, &conv.id, &action) {
                eprintln!("tanto: could not give {} back to its agent: {e:#}", conv.id);
            }
        }
    }
    Ok(())
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<u8> {
    let mut cache = ctx.cache()?;
    if args.once {
        let mut out = Vec::new();
        for (i, m) in ctx.mailboxes() {
            let started = Instant::now();
            let folders = super::act::retry_while("sync", super::act::is_dropped, || {
                sync_mailbox(ctx, &mut cache, i, m)
            })?;
            out.push(Report {
                mailbox: m.name.clone(),
                folders,
                millis: started.elapsed().as_millis(),
            });
        }
        if args.json {
            outln!("{}", serde_json::to_string_pretty(&out)?);
        } else {
            for r in &out {
                for f in &r.folders {
                    if f.mode == "missing" {
                        outln!(
                            "{} {}: not on the server yet",
                            r.mailbox,
                            crate::sanitize::single_line(&f.folder)
                        );
                        continue;
                    }
                    outln!(
                        "{} {}: {} messages ({}: {} new, {} flag changes, {} expunged{})",
                        r.mailbox,
                        crate::sanitize::single_line(&f.folder),
                        f.messages,
                        f.mode,
                        f.fetched,
                        f.flag_updates,
                        f.expunged,
                        if f.reset {
                            ", UIDVALIDITY changed: cache reset"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
        return Ok(0);
    }
    watch(ctx, &mut cache)
}

/// Keeps the cache up to date until interrupted, saying what happens on stderr.
fn watch(ctx: &Ctx, _cache: &mut Cache) -> anyhow::Result<u8> {
    let watcher = crate::watch::Watcher::spawn(ctx.clone());
    eprintln!(
        "tanto: watching {} (Ctrl-C to stop)",
        ctx.config
            .mailboxes
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut troubled = false;
    for ev in watcher.events.iter() {
        match ev {
            crate::watch::WatchEvent::Synced { changes } => {
                if troubled {
                    eprintln!("tanto: connected again");
                    troubled = false;
                }
                if changes > 0 {
                    eprintln!("tanto: {changes} changes synced");
                }
            }
            crate::watch::WatchEvent::Trouble { reason, retry_secs } => {
                troubled = true;
                eprintln!(
                    "tanto: {}; retrying in {retry_secs}s",
                    crate::sanitize::single_line(&reason)
                );
            }
        }
    }
    Ok(0)
}
