//! `tanto doctor`: can we log in, and what does the server offer that tanto relies on.

use super::Ctx;
use crate::app::doctor::{self, Verdict};

#[derive(Debug, clap::Args, Default)]
pub struct Args {}

pub fn run(ctx: &Ctx, _args: Args) -> anyhow::Result<u8> {
    let reports = doctor::doctor(ctx)?;
    for r in &reports {
        outln!("mailbox {} ({}) on {}", r.mailbox, r.address, r.server);
        for c in &r.checks {
            let verdict = match c.verdict {
                Verdict::Ok => "ok",
                Verdict::Yes => "yes",
                Verdict::No => "no",
                Verdict::Info => "",
                Verdict::Warning => "warn",
                Verdict::Fail => "FAIL",
            };
            let line = format!("  {:<12} {verdict:<5} {}", c.name, c.detail);
            outln!("{}", line.trim_end());
        }
    }
    Ok(u8::from(reports.iter().any(|r| r.failed())))
}
