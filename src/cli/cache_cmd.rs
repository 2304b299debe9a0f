//! `tanto cache rebuild`: forget the cache and sync everything again.

use super::Ctx;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Delete every cached row and sync again from the server
    Rebuild,
    /// Print where the cache is and how much it holds
    Info,
}

pub fn run(ctx: &Ctx, command: Command) -> anyhow::Result<u8> {
    let mut cache = ctx.cache()?;
    match command {
        Command::Rebuild => {
            // Hold the sync leases while clearing, so that a watcher does not write into
            // tables that are being emptied.
            let mut leases = Vec::new();
            for (_, m) in ctx.mailboxes() {
                leases.extend(cache.acquire(
                    &format!("sync:{}", m.name),
                    std::time::Duration::from_secs(60),
                    std::time::Duration::from_secs(120),
                )?);
            }
            let cleared = cache.clear();
            for l in leases {
                // clear() emptied the leases table too; releasing is then a no-op.
                cache.release(l)?;
            }
            cleared?;
            let mut total = 0;
            for (i, m) in ctx.mailboxes() {
                let reports = super::sync::sync_mailbox(ctx, &mut cache, i, m)?;
                total += reports.iter().map(|r| r.messages).sum::<usize>();
            }
            outln!(
                "cache rebuilt: {} messages in {}",
                total,
                cache.path().display()
            );
        }
        Command::Info => {
            let size = std::fs::metadata(cache.path())
                .map(|m| m.len())
                .unwrap_or(0);
            outln!(
                "{}: {} messages, {} bytes",
                cache.path().display(),
                cache.message_count()?,
                size
            );
        }
    }
    Ok(0)
}
