//! `tanto claim|release|assign|done|reopen|note`: one line saying what happened; exit 3 when
//! someone else holds the conversation.

use super::act::{self, Acted};
use super::{Ctx, EXIT_LOST_RACE};
use crate::core::claims::Action;

#[derive(Debug, clap::Args)]
pub struct IdArgs {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
}

#[derive(Debug, clap::Args)]
pub struct AssignArgs {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// The agent id to assign it to
    pub agent: String,
}

#[derive(Debug, clap::Args)]
pub struct NoteArgs {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// The note's text
    #[arg(short = 'm', long = "message")]
    pub message: String,
}

/// Runs an action and prints its one line.
pub fn run(ctx: &Ctx, id: &str, action: Action) -> anyhow::Result<u8> {
    match act::perform(ctx, id, &action)? {
        Acted::Done(line) | Acted::Already(line) => {
            outln!("{line}");
            Ok(0)
        }
        Acted::Lost { line, .. } => {
            eprintln!("tanto: {line}");
            Ok(EXIT_LOST_RACE)
        }
    }
}

pub fn note(ctx: &Ctx, args: NoteArgs) -> anyhow::Result<u8> {
    outln!("{}", act::note(ctx, &args.id, &args.message)?);
    Ok(0)
}
