//! `tanto sync [--once]`: bring the cache up to date, then (without --once) keep it so.

use super::Ctx;
use crate::i18n::{t, tf};
use tanto_app::watch::{WatchEvent, Watcher};
use tanto_mail::imap::sync::SyncMode;
use tanto_mail::sanitize::single_line;

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
    let out = tanto_app::after_sync::sync_once(ctx)?;
    if args.json {
        super::output::print_json(&out)?;
        return Ok(0);
    }
    for r in &out {
        for f in &r.folders {
            let folder = single_line(&f.folder);
            if f.mode == SyncMode::Missing {
                outln!(
                    "{}",
                    tf(
                        "sync.missing",
                        &[("mailbox", &r.mailbox), ("folder", &folder)]
                    )
                );
                continue;
            }
            let reset = if f.reset { t("sync.reset") } else { "" };
            outln!(
                "{}",
                tf(
                    "sync.folder",
                    &[
                        ("mailbox", &r.mailbox),
                        ("folder", &folder),
                        ("messages", &f.messages),
                        ("mode", &mode_name(f.mode)),
                        ("new", &f.fetched),
                        ("flags", &f.flag_updates),
                        ("expunged", &f.expunged),
                        ("reset", &reset),
                    ]
                )
            );
        }
    }
    Ok(0)
}

/// Keeps the cache up to date until interrupted, saying what happens on stderr.
fn watch(ctx: &Ctx) -> anyhow::Result<u8> {
    let watcher = Watcher::spawn(ctx.clone());
    let names: Vec<&str> = ctx
        .config
        .mailboxes
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    eprintln!(
        "tanto: {}",
        tf("sync.watching", &[("mailboxes", &names.join(", "))])
    );
    let mut troubled = false;
    for ev in watcher.events.iter() {
        match ev {
            WatchEvent::Synced { changes } => {
                if troubled {
                    eprintln!("tanto: {}", t("sync.connected_again"));
                    troubled = false;
                }
                if changes > 0 {
                    eprintln!("tanto: {}", tf("sync.changes", &[("count", &changes)]));
                }
            }
            WatchEvent::Trouble { reason, retry_secs } => {
                troubled = true;
                let reason = crate::i18n::cause_text(&reason);
                eprintln!(
                    "tanto: {}",
                    tf(
                        "sync.retrying",
                        &[("reason", &reason), ("secs", &retry_secs)]
                    )
                );
            }
        }
    }
    Ok(0)
}

/// How a folder was synced, in the language in use (the protocol names stay as they are).
fn mode_name(mode: SyncMode) -> &'static str {
    match mode {
        SyncMode::Full => t("sync.mode.full"),
        SyncMode::Plain => t("sync.mode.plain"),
        SyncMode::Unchanged => t("sync.mode.unchanged"),
        SyncMode::Missing => t("sync.mode.missing"),
        SyncMode::Qresync | SyncMode::Condstore => mode.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{with_lang, Lang};

    #[test]
    fn sync_modes_are_named_in_the_language_in_use() {
        use SyncMode as M;
        for m in [
            M::Full,
            M::Qresync,
            M::Condstore,
            M::Plain,
            M::Unchanged,
            M::Missing,
        ] {
            assert_eq!(with_lang(Lang::En, || mode_name(m)), m.as_str());
        }
        assert_eq!(with_lang(Lang::Ja, || mode_name(M::Unchanged)), "変更なし");
        assert_eq!(with_lang(Lang::Ja, || mode_name(M::Qresync)), "qresync");
    }
}
