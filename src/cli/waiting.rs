//! `tanto wait ID -m REASON`, `tanto snooze ID UNTIL [-m REASON]`, `tanto wake ID`: a
//! conversation out of New and of its agent's In progress until the customer writes (or the
//! snooze's time comes), and back by hand. Worded and exited like the other actions.

use super::{coordinate, Ctx};
use tanto_core::claims::Action;
use tanto_core::later::{self, Zone};

#[derive(Debug, clap::Args)]
pub struct WaitArgs {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// What you are waiting for from the customer (kept in the log, shown in Waiting)
    #[arg(short = 'm', long = "message")]
    pub reason: String,
}

#[derive(Debug, clap::Args)]
pub struct SnoozeArgs {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// When it comes back: +2h, 3d, 09:00, "tomorrow 9:00", monday, 2026-12-08T09:00 (in
    /// the team's [team.hours] zone, else local time)
    pub until: String,
    /// Why (kept in the log, shown in Waiting)
    #[arg(short = 'm', long = "message", default_value = "")]
    pub reason: String,
}

/// Puts the conversation on waiting for the customer.
pub fn wait(ctx: &Ctx, a: WaitArgs) -> anyhow::Result<u8> {
    coordinate::run(ctx, &a.id, Action::Wait { reason: a.reason })
}

/// Snoozes the conversation until the time typed (refused when it is not in the future).
pub fn snooze(ctx: &Ctx, a: SnoozeArgs) -> anyhow::Result<u8> {
    let until = later::parse_later(&a.until, tanto_core::clock::now(), zone(ctx))?;
    coordinate::run(
        ctx,
        &a.id,
        Action::Snooze {
            until,
            reason: a.reason,
        },
    )
}

/// The zone typed times are in: the team's, else this machine's offset now.
pub fn zone(ctx: &Ctx) -> Zone {
    match &ctx.config.business_hours {
        Some(h) => Zone::Named(h.zone),
        None => Zone::Offset(chrono::Local::now().offset().local_minus_utc()),
    }
}
