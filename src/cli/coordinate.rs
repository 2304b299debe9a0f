//! `tanto claim|release|assign|done|reopen|note`: one line saying what happened; exit 3 when
//! someone else holds the conversation, 1 when the action is refused.

use super::{Ctx, EXIT_LOST_RACE};
use crate::activity;
use crate::app::act::{self, Outcome};
use crate::core::claims::{Action, Already, Refused};

#[derive(Debug, clap::Args)]
pub struct IdArgs {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
}

#[derive(Debug, clap::Args)]
pub struct ClaimArgs {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// Take it from the agent who holds it (supervisors; agents only once the claim is
    /// older than the team's stale_claim_hours)
    #[arg(long)]
    pub take_over: bool,
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

/// "3h 12m", "5m", "40s".
pub fn idle_text(secs: i64) -> String {
    let secs = secs.max(0);
    match (secs / 3600, (secs % 3600) / 60) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m"),
        (h, m) => format!("{h}h {m}m"),
    }
}

fn held_since(idle: Option<i64>) -> String {
    match idle {
        Some(s) => format!("claimed {} ago", idle_text(s)),
        None => "just claimed".to_string(),
    }
}

fn already_text(what: &Already) -> String {
    match what {
        Already::ClaimedByYou => "already claimed by you".into(),
        Already::NotClaimed => "not claimed by anyone; nothing to release".into(),
        Already::AssignedTo(a) => format!("already assigned to {a}"),
        Already::Done => "already done".into(),
        Already::NotDone(s) => format!("it is {}, not done", s.as_str()),
    }
}

/// Runs an action and prints its one line; returns the exit code.
pub fn run(ctx: &Ctx, id: &str, action: Action) -> anyhow::Result<u8> {
    match act::perform(ctx, id, &action)? {
        Outcome::Won(w) => {
            let text = activity::describe(
                &w.event,
                &w.agent,
                w.owner.as_deref(),
                w.displaced.as_deref(),
            );
            println!("{}: {text} (now {})", w.conversation, w.status.as_str());
            Ok(0)
        }
        Outcome::Already { conversation, what } => {
            println!("{conversation}: {}", already_text(&what));
            Ok(0)
        }
        Outcome::Lost {
            conversation,
            winner,
            idle_secs,
        } => {
            eprintln!(
                "tanto: {conversation} is held by {winner} ({}); a supervisor can `tanto claim --take-over {conversation}`",
                held_since(idle_secs)
            );
            Ok(EXIT_LOST_RACE)
        }
        Outcome::Refused { conversation, why } => {
            match why {
                Refused::NeedsSupervisor {
                    holder,
                    idle_secs,
                    stale_hours,
                } => eprintln!(
                    "tanto: cannot {} {conversation}: {holder} holds it ({}); only a supervisor may override a claim younger than {stale_hours}h",
                    action.verb(),
                    held_since(idle_secs),
                ),
                Refused::BadAgentId(a) => eprintln!(
                    "tanto: cannot assign {conversation}: {a:?} is not an agent id (1-16 of a-z 0-9 _ -)"
                ),
            }
            Ok(1)
        }
    }
}

pub fn note(ctx: &Ctx, args: NoteArgs) -> anyhow::Result<u8> {
    let n = crate::app::note::note(ctx, &args.id, &args.message)?;
    println!("{}: note added by {}", n.conversation, n.agent);
    Ok(0)
}
