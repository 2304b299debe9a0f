//! `tanto cache rebuild|info|check`: forget the cache and sync everything again, say what it
//! holds, or check it against the server.

use super::Ctx;
use crate::i18n::tf;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Delete every cached row and sync again from the server
    Rebuild,
    /// Print where the cache is and how much it holds
    Info,
    /// Check the cache's statuses and claims against the server and put right what another
    /// process wrote into it (a running tanto does this every 5 minutes)
    Check,
}

pub fn run(ctx: &Ctx, command: Command) -> anyhow::Result<u8> {
    let mut cache = ctx.cache()?;
    match command {
        Command::Rebuild => {
            let total = tanto_app::sync::rebuild(ctx, &mut cache)?;
            outln!(
                "{}",
                tf(
                    "cache.rebuilt",
                    &[("count", &total), ("path", &cache.path().display())]
                )
            );
        }
        Command::Check => {
            drop(cache);
            tanto_app::sync::check_cache_now();
            tanto_app::after_sync::sync_once(ctx)?;
            outln!(
                "{}",
                tf(
                    "cache.checked",
                    &[("count", &tanto_app::sync::rows_put_right())]
                )
            );
        }
        Command::Info => {
            let size = std::fs::metadata(cache.path())
                .map(|m| m.len())
                .unwrap_or(0);
            outln!(
                "{}",
                tf(
                    "cache.info",
                    &[
                        ("path", &cache.path().display()),
                        ("count", &cache.message_count()?),
                        ("bytes", &size)
                    ]
                )
            );
        }
    }
    Ok(0)
}
