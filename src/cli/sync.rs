//! `tanto sync [--once]`: bring the cache up to date, then (without --once) keep it so.

use super::Ctx;
use crate::app::watch::{WatchEvent, Watcher};
use crate::imap::sync::SyncMode;
use crate::sanitize::single_line;

#[derive(Debug, clap::Args, Default)]
pub struct Args {
    /// Sync once and exit instead of watching for changes
    #[arg(long)]
    pub once: bool,
    /// Print what the sync did as JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<u8> {
    if !args.once {
        return watch(ctx);
    }
    let out = crate::app::sync::sync_once(ctx)?;
    if args.json {
        super::output::print_json(&out)?;
        return Ok(0);
    }
    for r in &out {
        for f in &r.folders {
            if f.mode == SyncMode::Missing {
                println!(
                    "{} {}: not on the server yet",
                    r.mailbox,
                    single_line(&f.folder)
                );
                continue;
            }
            println!(
                "{} {}: {} messages ({}: {} new, {} flag changes, {} expunged{})",
                r.mailbox,
                single_line(&f.folder),
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
    Ok(0)
}

/// Keeps the cache up to date until interrupted, saying what happens on stderr.
fn watch(ctx: &Ctx) -> anyhow::Result<u8> {
    let watcher = Watcher::spawn(ctx.clone());
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
            WatchEvent::Synced { changes } => {
                if troubled {
                    eprintln!("tanto: connected again");
                    troubled = false;
                }
                if changes > 0 {
                    eprintln!("tanto: {changes} changes synced");
                }
            }
            WatchEvent::Trouble { reason, retry_secs } => {
                troubled = true;
                eprintln!("tanto: {}; retrying in {retry_secs}s", single_line(&reason));
            }
        }
    }
    Ok(0)
}
