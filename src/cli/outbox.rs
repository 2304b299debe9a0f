//! `tanto outbox [--json]`, `tanto outbox resend ID`, `tanto outbox drop ID`: see what waits
//! or is stuck in the outbox, and settle it.

use super::Ctx;
use crate::i18n::{t, tf};
use tanto_app::outbox_admin;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// One JSON array of the queued replies
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Send again a reply marked "send uncertain" (you checked: it did not go out)
    Resend {
        /// The conversation id (a prefix of at least 4 characters) or the reply's Message-ID
        id: String,
    },
    /// Remove a queued reply from the outbox: it is never sent (logged as an event)
    Drop {
        /// The conversation id (a prefix of at least 4 characters) or the reply's Message-ID
        id: String,
    },
}

pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<u8> {
    match a.command {
        None => {
            let items = outbox_admin::overview(ctx)?;
            if a.json {
                super::output::print_json(&items)?;
            } else if items.is_empty() {
                outln!("{}", t("outbox.empty"));
            } else {
                let one = |s: &str| tanto_mail::sanitize::single_line(s);
                for i in items {
                    let by = i.by.map(|b| format!(" by {b}")).unwrap_or_default();
                    // The reply's number and id last, so that the columns before keep
                    // their places; the reason a held or rejected reply carries after them.
                    let reason = i
                        .reason
                        .map(|r| format!("\t{}", one(&r)))
                        .unwrap_or_default();
                    outln!(
                        "{}\t{}{}\t{}\t{}\t{}\t#{} <{}>{}",
                        one(&i.conversation),
                        i.standing,
                        one(&by),
                        one(&i.author),
                        one(&i.rcpt.join(",")),
                        one(&i.subject),
                        i.reply,
                        one(&i.message_id),
                        reason
                    );
                }
            }
            Ok(0)
        }
        Some(Command::Resend { id }) => {
            let r = outbox_admin::resend(ctx, &id)?;
            Ok(super::reply::sent_report(&r))
        }
        Some(Command::Drop { id }) => {
            let i = outbox_admin::drop(ctx, &id)?;
            outln!(
                "{}",
                tf(
                    "outbox.dropped",
                    &[
                        ("id", &tanto_mail::sanitize::single_line(&i.conversation)),
                        ("standing", &i.standing)
                    ]
                )
            );
            Ok(0)
        }
    }
}
