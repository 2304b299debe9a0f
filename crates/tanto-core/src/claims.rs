//! The coordination state machine: who may do what to a conversation, and which keywords
//! that writes. Pure: `decide` chooses from the flags tanto observed on the state message
//! (and whether an earlier write of ours lost a race), and `interpret` reads the outcome of
//! the conditional STORE.

use super::event::EventKind;
use super::status::{self, Status, KW_DONE, KW_NOISE, KW_WAIT, KW_WIP};

/// What an agent asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Claim a conversation nobody holds (never displaces a holder).
    Claim,
    /// Claim it even from its holder: a supervisor, or an agent once the claim is stale.
    TakeOver,
    Release,
    Assign(String),
    /// The automatic assignment: assign a conversation only while it is new. It never
    /// displaces a holder nor reopens a closed or noise conversation: whatever happened to
    /// it since the pass looked wins.
    AutoAssign(String),
    Done,
    Reopen,
    /// Waiting on the customer, with the reason the log keeps.
    Wait {
        reason: String,
    },
    /// Out of sight until `until` (seconds since the epoch) or the customer's next mail.
    Snooze {
        until: i64,
        reason: String,
    },
    /// Back to New by hand from waiting or snoozed, to the agent it was waiting with.
    Wake,
}

impl Action {
    /// The command-line verb.
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Claim => "claim",
            Action::TakeOver => "take over",
            Action::Release => "release",
            Action::Assign(_) | Action::AutoAssign(_) => "assign",
            Action::Done => "done",
            Action::Reopen => "reopen",
            Action::Wait { .. } => "wait",
            Action::Snooze { .. } => "snooze",
            Action::Wake => "wake",
        }
    }

    /// The event this action logs when it wins without displacing anyone.
    pub fn event(&self) -> EventKind {
        match self {
            Action::Claim => EventKind::Claim,
            Action::TakeOver => EventKind::Takeover,
            Action::Release => EventKind::Release,
            Action::Assign(_) | Action::AutoAssign(_) => EventKind::Assign,
            Action::Done => EventKind::Done,
            Action::Reopen => EventKind::Reopen,
            Action::Wait { .. } => EventKind::Wait,
            Action::Snooze { .. } => EventKind::Snooze,
            Action::Wake => EventKind::Wake,
        }
    }

    /// The text its event carries beyond the sentence: a wait's reason, a snooze's time
    /// and reason (`waiting::snooze_text`, which every reader parses back).
    pub fn event_text(&self) -> Option<String> {
        match self {
            Action::Wait { reason } => Some(reason.clone()),
            Action::Snooze { until, reason } => Some(super::waiting::snooze_text(*until, reason)),
            _ => None,
        }
    }
}

/// Who asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub id: String,
    pub supervisor: bool,
}

/// What tanto saw on the conversation's state message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Observed {
    pub flags: Vec<String>,
    pub modseq: u64,
    /// The rules call this message noise.
    pub rules_noise: bool,
    /// Seconds since the holder's own claim (or assign) event on the server; `None` when no
    /// such event was found, which counts as a fresh claim.
    pub holder_idle_secs: Option<i64>,
}

/// Team rules that bear on a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub stale_claim_hours: u32,
}

/// The write that carries out an action: the complete new flag list, set only if the
/// message is unchanged since `modseq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub flags: Vec<String>,
    pub unchanged_since: u64,
    pub event: EventKind,
    pub status: Status,
    pub owner: Option<String>,
    /// The owner this action displaces (a take-over or re-assignment).
    pub displaced: Option<String>,
}

/// Why nothing needs writing: it already is as asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Already {
    ClaimedByYou,
    NotClaimed,
    AssignedTo(String),
    Done,
    /// Reopen of a conversation that is not done (its status now).
    NotDone(Status),
    /// Wake of a conversation that is not waiting (its status now): someone (or the
    /// customer) woke it first.
    NotWaiting(Status),
    /// An automatic assignment of a conversation that is no longer new (its status now).
    NotNew(Status),
}

/// Why an action is refused (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// `holder` has it and only a supervisor may override a claim younger than
    /// `stale_hours` (the holder's idle time, when an event says it).
    NeedsSupervisor {
        holder: String,
        idle_secs: Option<i64>,
        stale_hours: u32,
    },
    /// Not an agent id that fits in a keyword.
    BadAgentId(String),
    /// The action was meant for one message (a reply's done is for the message it answers)
    /// and a newer message holds the conversation's state now: it stays as that one says.
    Superseded,
}

/// English for logs; the front ends word it in the user's language (`i18n::refused_reason`).
impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::NeedsSupervisor { holder, .. } => {
                write!(f, "{holder} has it; only a supervisor may take it over")
            }
            Refused::BadAgentId(a) => write!(f, "{a:?} is not a valid agent id"),
            Refused::Superseded => f.write_str("a newer message decides its state now"),
        }
    }
}

impl std::error::Error for Refused {}

/// What to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Write this, by compare-and-set.
    Write(Plan),
    /// Someone else holds the conversation (or just took it): the race is lost.
    Lost {
        winner: String,
        idle_secs: Option<i64>,
    },
    Already(Already),
    Refused(Refused),
}

/// Decides what `actor` doing `action` writes, given what was observed. `raced` is true once
/// a write of ours came back `[MODIFIED]`: a holder who appeared meanwhile wins the race and
/// is never displaced by this attempt.
pub fn decide(
    action: &Action,
    seen: &Observed,
    actor: &Actor,
    policy: &Policy,
    raced: bool,
) -> Decision {
    let current = status::status_of(&seen.flags, seen.rules_noise);
    let owner = status::owner(&seen.flags);
    // Two owner keywords: a server let two writes through. The first in sorted order holds
    // it; when that is the actor, "already so" is not true until the others are gone.
    let doubled = status::owners(&seen.flags).len() > 1;
    // Two writes let through at once: the first owner in order holds it; anyone else lost
    // the race (and takes its own keyword back).
    if doubled && raced && owner.as_deref() != Some(actor.id.as_str()) {
        if let Some(o) = &owner {
            return Decision::Lost {
                winner: o.clone(),
                idle_secs: seen.holder_idle_secs,
            };
        }
    }
    let idle = seen.holder_idle_secs;
    let stale = idle.is_some_and(|s| s >= i64::from(policy.stale_claim_hours) * 3600);
    let mine = owner.as_deref() == Some(actor.id.as_str());
    let lost = |winner: &str| Decision::Lost {
        winner: winner.to_string(),
        idle_secs: idle,
    };
    // Overriding another agent's claim: never after a lost race; a supervisor may, an agent
    // only once the holder's claim is stale.
    let override_of = |other: &str| -> Option<Decision> {
        if raced {
            Some(lost(other))
        } else if actor.supervisor || stale {
            None
        } else {
            Some(Decision::Refused(Refused::NeedsSupervisor {
                holder: other.to_string(),
                idle_secs: idle,
                stale_hours: policy.stale_claim_hours,
            }))
        }
    };
    let base: Vec<String> = seen
        .flags
        .iter()
        .filter(|f| !is_status_keyword(f))
        .cloned()
        .collect();
    let with = |extra: &[&str]| {
        let mut f = base.clone();
        for e in extra {
            if !f.iter().any(|x| x.eq_ignore_ascii_case(e)) {
                f.push(e.to_string());
            }
        }
        f
    };
    let write = |flags: Vec<String>,
                 event: EventKind,
                 status: Status,
                 new_owner: Option<&str>,
                 displaced: Option<String>| {
        Decision::Write(Plan {
            flags,
            unchanged_since: seen.modseq,
            event,
            status,
            owner: new_owner.map(str::to_string),
            displaced,
        })
    };
    let wip_by = |who: &str| with(&[KW_WIP, &status::owner_keyword(who)]);
    let claim = || {
        write(
            wip_by(&actor.id),
            EventKind::Claim,
            Status::Wip,
            Some(&actor.id),
            None,
        )
    };
    match action {
        Action::Claim | Action::TakeOver => match (current, owner) {
            (Status::Wip, Some(o)) if o == actor.id && !doubled => {
                Decision::Already(Already::ClaimedByYou)
            }
            // The owner of a waiting conversation takes it up again.
            (Status::Wip | Status::Waiting, Some(o)) if o == actor.id => claim(),
            // A plain claim never takes over: the holder keeps it, whatever their role.
            // Waiting is still held: its agent gets it back when the customer writes.
            (Status::Wip | Status::Waiting, Some(o)) if *action == Action::Claim => lost(&o),
            (Status::Wip | Status::Waiting, Some(o)) => override_of(&o).unwrap_or_else(|| {
                write(
                    wip_by(&actor.id),
                    EventKind::Takeover,
                    Status::Wip,
                    Some(&actor.id),
                    Some(o),
                )
            }),
            // Closed by someone else while we raced: theirs.
            (Status::Done, Some(o)) if raced && !mine => lost(&o),
            _ => claim(),
        },
        Action::Release => match (current, owner) {
            (Status::Wip | Status::Waiting, Some(o)) => {
                if !mine {
                    if let Some(d) = override_of(&o) {
                        return d;
                    }
                }
                write(
                    base.clone(),
                    EventKind::Release,
                    Status::New,
                    None,
                    (!mine).then_some(o),
                )
            }
            _ => Decision::Already(Already::NotClaimed),
        },
        Action::Assign(to) => {
            if !super::agent::valid_id(to) {
                return Decision::Refused(Refused::BadAgentId(to.clone()));
            }
            match (current, owner) {
                (Status::Wip, Some(o)) if o == *to && !doubled => {
                    Decision::Already(Already::AssignedTo(o))
                }
                (Status::Wip | Status::Waiting, Some(o)) => {
                    if !mine {
                        if let Some(d) = override_of(&o) {
                            return d;
                        }
                    }
                    write(
                        wip_by(to),
                        EventKind::Assign,
                        Status::Wip,
                        Some(to),
                        Some(o),
                    )
                }
                (Status::Done, Some(o)) if raced && !mine => lost(&o),
                _ => write(wip_by(to), EventKind::Assign, Status::Wip, Some(to), None),
            }
        }
        Action::AutoAssign(to) => {
            if !super::agent::valid_id(to) {
                return Decision::Refused(Refused::BadAgentId(to.clone()));
            }
            match (current, owner) {
                (Status::New, _) => {
                    write(wip_by(to), EventKind::Assign, Status::Wip, Some(to), None)
                }
                (Status::Wip, Some(o)) if o == *to && !doubled => {
                    Decision::Already(Already::AssignedTo(o))
                }
                (Status::Wip, Some(o)) if o == *to => {
                    write(wip_by(to), EventKind::Assign, Status::Wip, Some(to), None)
                }
                // Someone holds it (another client's assignment, or a person's claim).
                (Status::Wip, Some(o)) => lost(&o),
                (other, _) => Decision::Already(Already::NotNew(other)),
            }
        }
        Action::Done => match (current, owner) {
            (Status::Done, _) if !doubled => Decision::Already(Already::Done),
            // Closing a waiting conversation (by hand or `auto_close_days`) keeps its agent:
            // nobody is working on it, so nobody is overridden.
            (Status::Waiting, Some(o)) => write(
                with(&[KW_DONE, &status::owner_keyword(&o)]),
                EventKind::Done,
                Status::Done,
                Some(&o),
                None,
            ),
            (Status::Wip, Some(o)) if !mine => override_of(&o).unwrap_or_else(|| {
                write(
                    with(&[KW_DONE, &status::owner_keyword(&o)]),
                    EventKind::Done,
                    Status::Done,
                    Some(&o),
                    None,
                )
            }),
            _ => write(
                with(&[KW_DONE, &status::owner_keyword(&actor.id)]),
                EventKind::Done,
                Status::Done,
                Some(&actor.id),
                None,
            ),
        },
        Action::Reopen => match (current, owner) {
            (Status::Done, Some(o)) => {
                write(wip_by(&o), EventKind::Reopen, Status::Wip, Some(&o), None)
            }
            (Status::Done, None) => write(base.clone(), EventKind::Reopen, Status::New, None, None),
            (Status::Noise, _) => write(
                with(&[status::KW_NOT_NOISE]),
                EventKind::Reopen,
                Status::New,
                None,
                None,
            ),
            _ => Decision::Already(Already::NotDone(current)),
        },
        Action::Wait { .. } | Action::Snooze { .. } => {
            let kind = action.event();
            let wait_by = |who: &str| with(&[KW_WAIT, &status::owner_keyword(who)]);
            match (current, owner) {
                // Someone else's: theirs to put aside, unless one may override.
                (Status::Wip | Status::Waiting, Some(o)) if !mine => match override_of(&o) {
                    Some(d) => d,
                    None => write(wait_by(&o), kind, Status::Waiting, Some(&o), None),
                },
                (Status::Done, Some(o)) if raced && !mine => lost(&o),
                _ => write(
                    wait_by(&actor.id),
                    kind,
                    Status::Waiting,
                    Some(&actor.id),
                    None,
                ),
            }
        }
        Action::Wake => match (current, owner) {
            // New again, its agent kept as the previous assignee (`tanto-by-` alone).
            (Status::Waiting, o) => {
                let flags = match &o {
                    Some(o) => with(&[&status::owner_keyword(o)]),
                    None => base.clone(),
                };
                write(flags, EventKind::Wake, Status::New, o.as_deref(), None)
            }
            _ => Decision::Already(Already::NotWaiting(current)),
        },
    }
}

/// The keywords a plan rewrites; everything else on the message, `tanto-notnoise` among
/// them (an agent's lasting decision), is kept as it is.
fn is_status_keyword(f: &str) -> bool {
    let l = f.to_ascii_lowercase();
    l == KW_WIP
        || l == KW_DONE
        || l == KW_NOISE
        || l == KW_WAIT
        || l.starts_with(status::KW_BY_PREFIX)
}

/// The flags that carry a won plan over to a newer state message that arrived meanwhile:
/// that message's own flags with the plan's status keywords. `None` when the newer message
/// already has an owner (someone claimed it: the caller reports the conflict).
pub fn carry_over(plan: &Plan, newer_flags: &[String]) -> Option<Vec<String>> {
    if status::owner(newer_flags).is_some_and(|o| plan.owner.as_deref() != Some(o.as_str())) {
        return None;
    }
    let mut flags: Vec<String> = newer_flags
        .iter()
        .filter(|f| !is_status_keyword(f))
        .cloned()
        .collect();
    for f in plan.flags.iter().filter(|f| is_status_keyword(f)) {
        if !flags.iter().any(|x| x.eq_ignore_ascii_case(f)) {
            flags.push(f.clone());
        }
    }
    Some(flags)
}

/// True when the status keywords read back after a won STORE are the ones it wrote. Some
/// servers (Dovecot 2.3, seen on a folder's first keyword writes) let a second conditional
/// STORE through, which then overwrites or merges with the first: a read-back tells the
/// writer whose change holds.
pub fn confirmed<S: AsRef<str>, T: AsRef<str>>(written: &[S], read_back: &[T]) -> bool {
    fn status_set<'a>(flags: impl Iterator<Item = &'a str>) -> Vec<String> {
        let mut v: Vec<String> = flags
            .filter(|f| is_status_keyword(f))
            .map(str::to_ascii_lowercase)
            .collect();
        v.sort();
        v.dedup();
        v
    }
    status_set(written.iter().map(AsRef::as_ref)) == status_set(read_back.iter().map(AsRef::as_ref))
}

/// After losing a race in which a server let our write through beside the winner's: the
/// flags without what we added that contradicts the winner (our owner keyword, and our
/// status keyword where both `tanto-wip` and `tanto-done` stand). `None`: nothing to take
/// back.
pub fn take_back(flags: &[String], me: &str, our_status: Status) -> Option<Vec<String>> {
    let mine = status::owner_keyword(me);
    let both = [KW_WIP, KW_DONE]
        .iter()
        .all(|k| flags.iter().any(|f| f.eq_ignore_ascii_case(k)));
    let ours = match our_status {
        Status::Wip if both => Some(KW_WIP),
        Status::Done if both => Some(KW_DONE),
        _ => None,
    };
    let kept: Vec<String> = flags
        .iter()
        .filter(|f| !f.eq_ignore_ascii_case(&mine))
        .filter(|f| ours.is_none_or(|o| !f.eq_ignore_ascii_case(o)))
        .cloned()
        .collect();
    (kept.len() != flags.len()).then_some(kept)
}

/// What a conditional STORE came back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreResult {
    /// The server applied it; the message's flags and modseq are now these.
    Applied { flags: Vec<String>, modseq: u64 },
    /// `[MODIFIED]`: the message changed since the modseq we sent.
    Modified,
}

/// The outcome of a planned write once the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Won {
        flags: Vec<String>,
        modseq: u64,
    },
    /// Someone changed the message first: read it again and `decide` with `raced = true`,
    /// which turns a holder who appeared meanwhile into a lost race.
    Retry,
}

/// Interprets the STORE result for a plan.
pub fn interpret(result: StoreResult) -> Outcome {
    match result {
        StoreResult::Applied { flags, modseq } => Outcome::Won { flags, modseq },
        StoreResult::Modified => Outcome::Retry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(flags: &[&str]) -> Observed {
        Observed {
            flags: flags.iter().map(|s| s.to_string()).collect(),
            modseq: 10,
            rules_noise: false,
            holder_idle_secs: Some(60),
        }
    }
    fn agent(id: &str) -> Actor {
        Actor {
            id: id.into(),
            supervisor: false,
        }
    }
    fn boss(id: &str) -> Actor {
        Actor {
            id: id.into(),
            supervisor: true,
        }
    }
    const POLICY: Policy = Policy {
        stale_claim_hours: 24,
    };

    fn plan(action: &Action, seen: &Observed, actor: &Actor) -> Plan {
        match decide(action, seen, actor, &POLICY, false) {
            Decision::Write(p) => p,
            other => panic!("{action:?} on {seen:?}: {other:?}"),
        }
    }

    fn kws(p: &Plan) -> Vec<&str> {
        let mut v: Vec<&str> = p.flags.iter().map(String::as_str).collect();
        v.sort();
        v
    }

    #[test]
    fn waiting_keeps_the_agent_and_a_wake_gives_it_back_as_new() {
        let wait = Action::Wait {
            reason: "invoice number".into(),
        };
        let p = plan(
            &wait,
            &seen(&["\\Seen", "tanto-wip", "tanto-by-alice"]),
            &agent("alice"),
        );
        assert_eq!(kws(&p), ["\\Seen", "tanto-by-alice", "tanto-wait"]);
        assert_eq!((p.event, p.status), (EventKind::Wait, Status::Waiting));
        // A new conversation: waiting becomes the actor's.
        let snooze = Action::Snooze {
            until: 99,
            reason: String::new(),
        };
        let p = plan(&snooze, &seen(&[]), &agent("bob"));
        assert_eq!(kws(&p), ["tanto-by-bob", "tanto-wait"]);
        assert_eq!(p.event, EventKind::Snooze);
        // Someone else's claim is theirs to put aside.
        assert!(matches!(
            decide(
                &wait,
                &seen(&["tanto-wip", "tanto-by-bob"]),
                &agent("alice"),
                &POLICY,
                false
            ),
            Decision::Refused(Refused::NeedsSupervisor { .. })
        ));
        // Waking: new, the agent kept as previous assignee; twice is nothing to do.
        let waiting = seen(&["tanto-wait", "tanto-by-alice"]);
        let p = plan(&Action::Wake, &waiting, &agent("carol"));
        assert_eq!(kws(&p), ["tanto-by-alice"]);
        assert_eq!(
            (p.status, p.owner.as_deref(), &p.event),
            (Status::New, Some("alice"), &EventKind::Wake)
        );
        assert_eq!(
            decide(
                &Action::Wake,
                &seen(&["tanto-by-alice"]),
                &agent("carol"),
                &POLICY,
                true
            ),
            Decision::Already(Already::NotWaiting(Status::New))
        );
        // Waiting is still held: a plain claim by another loses, the owner's resumes it.
        assert!(matches!(
            decide(&Action::Claim, &waiting, &agent("bob"), &POLICY, false),
            Decision::Lost { ref winner, .. } if winner == "alice"
        ));
        assert_eq!(
            kws(&plan(&Action::Claim, &waiting, &agent("alice"))),
            ["tanto-by-alice", "tanto-wip"]
        );
        // Closing it (auto_close_days, any agent's client) keeps its agent.
        let p = plan(&Action::Done, &waiting, &agent("bob"));
        assert_eq!(kws(&p), ["tanto-by-alice", "tanto-done"]);
    }

    #[test]
    fn claiming_a_new_conversation_makes_it_mine_and_keeps_other_flags() {
        let p = plan(&Action::Claim, &seen(&["\\Seen"]), &agent("alice"));
        assert_eq!(kws(&p), ["\\Seen", "tanto-by-alice", "tanto-wip"]);
        assert_eq!(
            (p.unchanged_since, p.event, p.status),
            (10, EventKind::Claim, Status::Wip)
        );
    }

    #[test]
    fn a_plain_claim_never_takes_over_whoever_asks_and_however_old_the_claim() {
        let held = seen(&["tanto-wip", "tanto-by-bob"]);
        let mut stale = held.clone();
        stale.holder_idle_secs = Some(30 * 3600);
        for (s, who) in [(&held, agent("alice")), (&stale, boss("carol"))] {
            assert!(matches!(
                decide(&Action::Claim, s, &who, &POLICY, false),
                Decision::Lost { ref winner, .. } if winner == "bob"
            ));
        }
    }

    #[test]
    fn take_over_is_for_supervisors_and_for_agents_only_on_a_stale_claim() {
        let held = seen(&["tanto-wip", "tanto-by-bob"]);
        assert!(matches!(
            decide(&Action::TakeOver, &held, &agent("alice"), &POLICY, false),
            Decision::Refused(Refused::NeedsSupervisor { ref holder, .. }) if holder == "bob"
        ));
        let p = plan(&Action::TakeOver, &held, &boss("carol"));
        assert_eq!(
            (&p.event, p.displaced.as_deref()),
            (&EventKind::Takeover, Some("bob"))
        );
        assert_eq!(kws(&p), ["tanto-by-carol", "tanto-wip"]);
        let mut stale = held.clone();
        stale.holder_idle_secs = Some(25 * 3600);
        assert_eq!(
            plan(&Action::TakeOver, &stale, &agent("alice")).event,
            EventKind::Takeover
        );
        // No event found for the holder's claim: it counts as fresh.
        let mut unknown = held.clone();
        unknown.holder_idle_secs = None;
        assert!(matches!(
            decide(&Action::TakeOver, &unknown, &agent("alice"), &POLICY, false),
            Decision::Refused(_)
        ));
        // After a lost race, not even a supervisor displaces the winner.
        assert!(matches!(
            decide(&Action::TakeOver, &held, &boss("carol"), &POLICY, true),
            Decision::Lost { .. }
        ));
        assert_eq!(
            decide(
                &Action::Claim,
                &seen(&["tanto-wip", "tanto-by-alice"]),
                &agent("alice"),
                &POLICY,
                false
            ),
            Decision::Already(Already::ClaimedByYou)
        );
    }

    #[test]
    fn release_assign_done_and_reopen_follow_the_state_machine() {
        let mine = seen(&["tanto-wip", "tanto-by-alice", "\\Answered"]);
        let rel = plan(&Action::Release, &mine, &agent("alice"));
        assert_eq!((kws(&rel), rel.status), (vec!["\\Answered"], Status::New));
        assert!(matches!(
            decide(
                &Action::Release,
                &seen(&["tanto-wip", "tanto-by-bob"]),
                &agent("alice"),
                &POLICY,
                false
            ),
            Decision::Refused(Refused::NeedsSupervisor { .. })
        ));
        assert_eq!(
            decide(&Action::Release, &seen(&[]), &agent("bob"), &POLICY, false),
            Decision::Already(Already::NotClaimed)
        );
        let asg = plan(&Action::Assign("bob".into()), &mine, &agent("alice"));
        assert_eq!(kws(&asg), ["\\Answered", "tanto-by-bob", "tanto-wip"]);
        assert_eq!(
            decide(
                &Action::Assign("Bad Id".into()),
                &mine,
                &agent("alice"),
                &POLICY,
                false
            ),
            Decision::Refused(Refused::BadAgentId("Bad Id".into()))
        );
        let done = plan(&Action::Done, &mine, &agent("alice"));
        assert_eq!(kws(&done), ["\\Answered", "tanto-by-alice", "tanto-done"]);
        let closed = seen(&["tanto-done", "tanto-by-alice"]);
        assert_eq!(
            decide(&Action::Done, &closed, &agent("alice"), &POLICY, false),
            Decision::Already(Already::Done)
        );
        let re = plan(&Action::Reopen, &closed, &agent("bob"));
        assert_eq!(
            (kws(&re), re.status),
            (vec!["tanto-by-alice", "tanto-wip"], Status::Wip)
        );
        let mut noise = seen(&[]);
        noise.rules_noise = true;
        let re = plan(&Action::Reopen, &noise, &agent("bob"));
        assert_eq!((kws(&re), re.status), (vec!["tanto-notnoise"], Status::New));
        let new_done = plan(&Action::Done, &seen(&[]), &agent("bob"));
        assert_eq!(kws(&new_done), ["tanto-by-bob", "tanto-done"]);
        assert_eq!(
            decide(
                &Action::Reopen,
                &seen(&["tanto-wip", "tanto-by-bob"]),
                &agent("bob"),
                &POLICY,
                true
            ),
            Decision::Already(Already::NotDone(Status::Wip))
        );
    }

    #[test]
    fn an_automatic_assignment_takes_only_a_new_conversation() {
        let to = Action::AutoAssign("bob".into());
        let p = plan(&to, &seen(&["\\Seen"]), &agent("alice"));
        assert_eq!(kws(&p), ["\\Seen", "tanto-by-bob", "tanto-wip"]);
        assert_eq!(
            (p.event, p.owner.as_deref()),
            (EventKind::Assign, Some("bob"))
        );
        // Held by someone, even the agent whose client runs the pass: never displaced.
        for holder in ["alice", "carol"] {
            let held = seen(&["tanto-wip", &format!("tanto-by-{holder}")]);
            assert!(matches!(
                decide(&to, &held, &agent("alice"), &POLICY, false),
                Decision::Lost { ref winner, .. } if winner == holder
            ));
        }
        assert_eq!(
            decide(
                &to,
                &seen(&["tanto-wip", "tanto-by-bob"]),
                &agent("alice"),
                &POLICY,
                true
            ),
            Decision::Already(Already::AssignedTo("bob".into()))
        );
        // Closed or noise since the pass looked: left as it is.
        let done = seen(&["tanto-done", "tanto-by-carol"]);
        assert_eq!(
            decide(&to, &done, &agent("alice"), &POLICY, false),
            Decision::Already(Already::NotNew(Status::Done))
        );
        let mut noise = seen(&[]);
        noise.rules_noise = true;
        assert_eq!(
            decide(&to, &noise, &boss("alice"), &POLICY, false),
            Decision::Already(Already::NotNew(Status::Noise))
        );
    }

    #[test]
    fn an_agents_not_noise_decision_survives_every_action() {
        let mut taken_out = seen(&["tanto-notnoise"]);
        taken_out.rules_noise = true;
        let claim = plan(&Action::Claim, &taken_out, &agent("alice"));
        assert!(kws(&claim).contains(&"tanto-notnoise"));
        let mut claimed = taken_out.clone();
        claimed.flags = claim.flags.clone();
        let rel = plan(&Action::Release, &claimed, &agent("alice"));
        assert_eq!(kws(&rel), ["tanto-notnoise"]);
        let done = plan(&Action::Done, &claimed, &agent("alice"));
        let mut closed = taken_out.clone();
        closed.flags = done.flags.clone();
        let re = plan(&Action::Reopen, &closed, &agent("alice"));
        assert!(kws(&re).contains(&"tanto-notnoise"), "{re:?}");
        let mut after = taken_out.clone();
        after.flags = rel.flags;
        assert_eq!(status::status_of(&after.flags, true), Status::New);
    }

    #[test]
    fn a_holder_who_appeared_during_a_race_wins_it() {
        let taken = seen(&["tanto-wip", "tanto-by-bob"]);
        for action in [
            Action::Release,
            Action::Assign("carol".into()),
            Action::Done,
        ] {
            assert!(
                matches!(
                    decide(&action, &taken, &boss("carol"), &POLICY, true),
                    Decision::Lost { ref winner, .. } if winner == "bob"
                ),
                "{action:?}"
            );
        }
        let closed = seen(&["tanto-done", "tanto-by-bob"]);
        assert!(matches!(
            decide(&Action::Claim, &closed, &agent("alice"), &POLICY, true),
            Decision::Lost { .. }
        ));
        // Without a race, claiming a closed conversation is a follow-up, allowed.
        assert_eq!(
            plan(&Action::Claim, &closed, &agent("alice")).event,
            EventKind::Claim
        );
    }

    #[test]
    fn a_claim_carries_over_to_a_newer_message_unless_someone_holds_that_one() {
        let p = plan(&Action::Claim, &seen(&["\\Seen"]), &agent("alice"));
        let mut carried = carry_over(&p, &["\\Recent".to_string()]).expect("free");
        carried.sort();
        assert_eq!(carried, ["\\Recent", "tanto-by-alice", "tanto-wip"]);
        assert_eq!(
            carry_over(&p, &["tanto-wip".into(), "tanto-by-bob".into()]),
            None
        );
    }

    #[test]
    fn keywords_in_another_spelling_mean_the_same_claim() {
        // Dovecot and Cyrus give back the first spelling a folder saw, whoever wrote it.
        let held = seen(&["TANTO-WIP", "TANTO-BY-ALICE", "\\Seen"]);
        let d = |a: &Action, who: &Actor| decide(a, &held, who, &POLICY, false);
        assert!(matches!(
            d(&Action::Claim, &agent("bob")),
            Decision::Lost { ref winner, .. } if winner == "alice"
        ));
        assert_eq!(
            d(&Action::Claim, &agent("alice")),
            Decision::Already(Already::ClaimedByYou)
        );
        assert!(matches!(
            d(&Action::Release, &agent("bob")),
            Decision::Refused(_)
        ));
        // The old spelling is replaced, never doubled.
        let done = plan(&Action::Done, &held, &agent("alice"));
        assert_eq!(kws(&done), ["\\Seen", "tanto-by-alice", "tanto-done"]);
        assert_eq!(done.owner.as_deref(), Some("alice"));
        let take = plan(&Action::TakeOver, &held, &boss("carol"));
        assert_eq!(kws(&take), ["\\Seen", "tanto-by-carol", "tanto-wip"]);
        assert_eq!(take.displaced.as_deref(), Some("alice"));
        let closed = seen(&["TANTO-DONE", "TANTO-BY-ALICE"]);
        assert_eq!(
            decide(&Action::Done, &closed, &agent("bob"), &POLICY, false),
            Decision::Already(Already::Done)
        );
        let re = plan(&Action::Reopen, &closed, &agent("bob"));
        assert_eq!(kws(&re), ["tanto-by-alice", "tanto-wip"]);
    }

    #[test]
    fn a_doubled_claim_is_mended_by_its_first_owner_and_lost_by_the_other() {
        let doubled = seen(&["tanto-wip", "tanto-by-bob", "tanto-by-alice"]);
        let p = plan(&Action::Claim, &doubled, &agent("alice"));
        assert_eq!(kws(&p), ["tanto-by-alice", "tanto-wip"]);
        assert!(matches!(
            decide(&Action::Claim, &doubled, &agent("bob"), &POLICY, true),
            Decision::Lost { ref winner, .. } if winner == "alice"
        ));
        let back = ["\\Seen", "TANTO-WIP", "tanto-by-alice"];
        assert!(confirmed(&p.flags, &back));
        assert!(!confirmed(&p.flags, &doubled.flags));
        assert!(!confirmed(&p.flags, &["tanto-wip", "tanto-by-bob"]));
    }

    #[test]
    fn a_merged_claim_and_done_is_lost_by_the_second_owner_and_mended_by_the_first() {
        let merged = seen(&[
            "tanto-wip",
            "tanto-done",
            "tanto-by-agent1",
            "tanto-by-agent2",
        ]);
        assert!(matches!(
            decide(&Action::Done, &merged, &agent("agent2"), &POLICY, true),
            Decision::Lost { ref winner, .. } if winner == "agent1"
        ));
        let p = plan(&Action::Claim, &merged, &agent("agent1"));
        assert_eq!(kws(&p), ["tanto-by-agent1", "tanto-wip"]);
        let d = plan(&Action::Done, &merged, &agent("agent1"));
        assert_eq!(kws(&d), ["tanto-by-agent1", "tanto-done"]);
    }

    #[test]
    fn the_loser_of_a_merged_write_takes_back_only_what_contradicts_the_winner() {
        let merged: Vec<String> = [
            "tanto-wip",
            "tanto-done",
            "tanto-by-agent1",
            "tanto-by-agent2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let mut back = take_back(&merged, "agent2", Status::Done).expect("changes");
        back.sort();
        assert_eq!(back, ["tanto-by-agent1", "tanto-wip"]);
        let two_claims: Vec<String> = ["tanto-wip", "tanto-by-a", "tanto-by-b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let mut back = take_back(&two_claims, "b", Status::Wip).expect("changes");
        back.sort();
        assert_eq!(back, ["tanto-by-a", "tanto-wip"]);
        assert_eq!(
            take_back(&["tanto-wip".to_string()], "b", Status::Wip),
            None
        );
    }

    #[test]
    fn store_results_are_won_or_retried() {
        assert_eq!(
            interpret(StoreResult::Applied {
                flags: vec![],
                modseq: 12
            }),
            Outcome::Won {
                flags: vec![],
                modseq: 12
            }
        );
        assert_eq!(interpret(StoreResult::Modified), Outcome::Retry);
    }
}
