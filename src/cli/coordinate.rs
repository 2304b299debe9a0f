//! `tanto claim|release|assign|done|reopen|note`: one line saying what happened; exit 3 when
//! someone else holds the conversation, 1 when the action is refused.

use super::{Ctx, EXIT_LOST_RACE};
use crate::i18n::{self, t, tf};
use tanto_app::act::{self, Outcome};
use tanto_core::claims::{Action, Already, Refused};

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

/// `tanto merge ID INTO`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The conversation to merge (or a unique prefix of at least 4 characters)
    pub id: String,
    /// The conversation to merge it into (or a unique prefix of at least 4 characters)
    pub into: String,
}

/// `tanto split ID --message N`.
#[derive(clap::Args, Debug)]
pub struct SplitArgs {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// The mail to split off: its number as `tanto show` lists it (#1 is the first), or its Message-ID
    #[arg(short = 'm', long = "message")]
    pub message: String,
}

/// Merges one conversation into another; prints where it went.
pub fn merge(ctx: &Ctx, args: MergeArgs) -> anyhow::Result<u8> {
    let r = tanto_app::regroup::merge(ctx, &args.id, &args.into)?;
    outln!(
        "{}",
        tf(
            "cli.merged",
            &[("id", &r.conversation), ("other", &r.other)]
        )
    );
    Ok(0)
}

/// Splits a mail off into a conversation of its own; prints its id.
pub fn split(ctx: &Ctx, args: SplitArgs) -> anyhow::Result<u8> {
    let r = tanto_app::regroup::split(ctx, &args.id, &args.message)?;
    outln!(
        "{}",
        tf("cli.split", &[("id", &r.conversation), ("other", &r.other)])
    );
    Ok(0)
}

use crate::i18n::held_since;

fn already_text(id: &str, what: &Already) -> String {
    match what {
        Already::ClaimedByYou => tf("cli.already.claimed_by_you", &[("id", &id)]),
        Already::NotClaimed => tf("cli.already.not_claimed", &[("id", &id)]),
        Already::AssignedTo(a) => tf("cli.already.assigned_to", &[("id", &id), ("agent", a)]),
        Already::Done => tf("cli.already.done", &[("id", &id)]),
        Already::NotDone(st) => tf(
            "cli.already.not_done",
            &[("id", &id), ("status", &i18n::status_name(*st))],
        ),
        Already::NotWaiting(st) => tf(
            "cli.already.not_waiting",
            &[("id", &id), ("status", &i18n::status_name(*st))],
        ),
        Already::NotNew(st) => tf(
            "cli.already.not_new",
            &[("id", &id), ("status", &i18n::status_name(*st))],
        ),
    }
}

fn verb(action: &Action) -> &'static str {
    t(match action {
        Action::Claim => "verb.claim",
        Action::TakeOver => "verb.take_over",
        Action::Release => "verb.release",
        Action::Assign(_) | Action::AutoAssign(_) => "verb.assign",
        Action::Done => "verb.done",
        Action::Reopen => "verb.reopen",
        Action::Wait { .. } => "verb.wait",
        Action::Snooze { .. } => "verb.snooze",
        Action::Wake => "verb.wake",
    })
}

/// Runs an action and prints its one line; returns the exit code.
pub fn run(ctx: &Ctx, id: &str, action: Action) -> anyhow::Result<u8> {
    match act::perform(ctx, id, &action)? {
        Outcome::Won(w) => {
            let what = i18n::event_sentence(
                &w.event,
                &w.agent,
                w.owner.as_deref(),
                w.displaced.as_deref(),
            );
            outln!(
                "{}",
                tf(
                    "cli.won",
                    &[
                        ("id", &w.conversation),
                        ("what", &what),
                        ("status", &i18n::status_name(w.status)),
                    ]
                )
            );
            Ok(0)
        }
        Outcome::Already { conversation, what } => {
            outln!("{}", already_text(&conversation, &what));
            Ok(0)
        }
        Outcome::Queued { conversation } => {
            eprintln!(
                "tanto: {}",
                tf("cli.offline.queued", &[("id", &conversation)])
            );
            Ok(0)
        }
        Outcome::Lost {
            conversation,
            winner,
            idle_secs,
        } => {
            let since = held_since(idle_secs);
            let line = tf(
                "cli.lost",
                &[
                    ("id", &conversation),
                    ("winner", &winner),
                    ("since", &since),
                ],
            );
            eprintln!("tanto: {line}");
            Ok(EXIT_LOST_RACE)
        }
        Outcome::Refused { conversation, why } => {
            let line = match why {
                Refused::NeedsSupervisor {
                    holder,
                    idle_secs,
                    stale_hours,
                } => tf(
                    "cli.refused.needs_supervisor",
                    &[
                        ("verb", &verb(&action)),
                        ("id", &conversation),
                        ("holder", &holder),
                        ("since", &held_since(idle_secs)),
                        ("hours", &stale_hours),
                    ],
                ),
                Refused::BadAgentId(a) => tf(
                    "cli.refused.bad_agent",
                    &[("id", &conversation), ("agent", &format!("{a:?}"))],
                ),
                Refused::Superseded => tf("cli.refused.superseded", &[("id", &conversation)]),
            };
            eprintln!("tanto: {line}");
            Ok(1)
        }
    }
}

pub fn note(ctx: &Ctx, args: NoteArgs) -> anyhow::Result<u8> {
    let n = tanto_app::note::note(ctx, &args.id, &args.message)?;
    if n.queued {
        eprintln!("tanto: {}", tf("note.queued", &[("id", &n.conversation)]));
        return Ok(0);
    }
    outln!(
        "{}",
        tf(
            "cli.note_added",
            &[("id", &n.conversation), ("agent", &n.agent)]
        )
    );
    Ok(0)
}
