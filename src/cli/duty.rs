//! `tanto away` / `tanto back`: this agent off duty or on duty again for automatic
//! assignment (`[team] assign`), recorded in each mailbox's activity folder so every
//! agent's tanto reads it alike; then who is on duty now.

use super::Ctx;
use crate::i18n::{error_text, t, tf};

/// Records the agent away (`away`) or back; exit 1 when a mailbox could not be told.
pub fn run(ctx: &Ctx, away: bool) -> anyhow::Result<u8> {
    let failed = tanto_app::assignment::set_duty(ctx, away)?;
    let mut code = 0;
    for (mailbox, e) in &failed {
        let error = error_text(e);
        eprintln!(
            "tanto: {}",
            tf(
                "cli.duty.failed",
                &[("mailbox", mailbox), ("error", &error)]
            )
        );
        code = 1;
    }
    if failed.len() < ctx.config.mailboxes.len() {
        outln!(
            "{}",
            t(if away {
                "cli.duty.away"
            } else {
                "cli.duty.back"
            })
        );
    }
    let team = tanto_app::assignment::on_duty(ctx)?;
    if !team.is_empty() {
        let list: Vec<String> = team
            .iter()
            .map(|(a, on)| {
                if *on {
                    a.clone()
                } else {
                    tf("cli.duty.is_away", &[("agent", a)])
                }
            })
            .collect();
        outln!("{}", tf("cli.duty.team", &[("agents", &list.join(", "))]));
    }
    Ok(code)
}
