//! `tanto away` / `tanto back`: this agent off duty or on duty again for automatic
//! assignment (`[team] assign`), recorded in each mailbox's activity folder so every
//! agent's tanto reads it alike; then who is on duty now.

use super::Ctx;
use crate::i18n::{error_text, t, tf};

#[derive(Debug, clap::Args, Default)]
pub struct Args {
    /// This agent instead of me (a supervisor covering for a colleague)
    #[arg(long, value_name = "AGENT")]
    pub agent: Option<String>,
}

/// Records the agent away (`away`) or back; exit 1 when a mailbox could not be told.
pub fn run(ctx: &Ctx, args: Args, away: bool) -> anyhow::Result<u8> {
    let other = args.agent.filter(|a| *a != ctx.config.agent.id);
    let failed = tanto_app::assignment::set_duty(ctx, other.as_deref(), away)?;
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
        match (&other, away) {
            (None, true) => outln!("{}", t("cli.duty.away")),
            (None, false) => outln!("{}", t("cli.duty.back")),
            (Some(a), true) => outln!("{}", tf("cli.duty.other_away", &[("agent", a)])),
            (Some(a), false) => outln!("{}", tf("cli.duty.other_back", &[("agent", a)])),
        }
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
