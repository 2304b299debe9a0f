//! `tanto approve ID` and `tanto reject ID -m WHY`: a supervisor's verdict on a queued reply.

use super::Ctx;
use crate::i18n::tf;
use tanto_app::reply_outbox::{decide, Verdict};

#[derive(Debug, clap::Args)]
pub struct ApproveArgs {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// Which waiting reply of the conversation: its number in `tanto outbox` (#1, #2…) or
    /// its Message-ID; needed when several wait
    #[arg(long)]
    pub reply: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct RejectArgs {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// Why, for the author
    #[arg(short = 'm', long = "message")]
    pub message: String,
    /// Which waiting reply of the conversation: its number in `tanto outbox` (#1, #2…) or
    /// its Message-ID; needed when several wait
    #[arg(long)]
    pub reply: Option<String>,
}

pub fn approve(ctx: &Ctx, a: ApproveArgs) -> anyhow::Result<u8> {
    let s = decide(ctx, &a.id, a.reply.as_deref(), &Verdict::Approve)?;
    Ok(super::reply::sent_report(&s))
}

pub fn reject(ctx: &Ctx, a: RejectArgs) -> anyhow::Result<u8> {
    decide(
        ctx,
        &a.id,
        a.reply.as_deref(),
        &Verdict::Reject(a.message.clone()),
    )?;
    outln!("{}", tf("approve.rejected", &[("id", &a.id)]));
    Ok(0)
}
