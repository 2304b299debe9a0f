//! `tanto cache rebuild`: forget the cache and sync everything again.

use super::Ctx;
use crate::i18n::tf;

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
            let total = crate::app::sync::rebuild(ctx, &mut cache)?;
            outln!(
                "{}",
                tf(
                    "cache.rebuilt",
                    &[("count", &total), ("path", &cache.path().display())]
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
