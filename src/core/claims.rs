//! The coordination state machine: who may do what to a conversation, and which keywords
//! that writes. Pure: `plan` decides from the flags tanto observed on the state message, and
//! `interpret` reads the outcome of the conditional STORE.

use super::status::{self, Status, KW_DONE, KW_NOISE, KW_NOT_NOISE, KW_WIP};

/// What an agent asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Claim,
    Release,
    Assign(String),
    Done,
    Reopen,
}

impl Action {
    pub fn verb(&self) -> &'static str {
        match self {
            Action::Claim => "claim",
            Action::Release => "release",
            Action::Assign(_) => "assign",
            Action::Done => "done",
            Action::Reopen => "reopen",
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
    /// Seconds since the last activity on the conversation (claims go stale).
    pub idle_secs: i64,
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
    /// The event to log: claim, release, assign, takeover, done, reopen.
    pub event: &'static str,
    pub status: Status,
    pub owner: Option<String>,
    /// The owner this action displaces (a take-over or re-assignment), for the message.
    pub displaced: Option<String>,
}

/// Why an action is not carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Someone else holds the conversation: the race is lost.
    HeldBy(String),
    /// The role may not do this; the text says why and what would allow it.
    NotAllowed(String),
    /// Nothing to do: it is already so.
    AlreadySo(String),
}

/// Decides what `actor` doing `action` writes, given what was observed.
pub fn plan(
    action: &Action,
    seen: &Observed,
    actor: &Actor,
    policy: &Policy,
) -> Result<Plan, Refusal> {
    let current = status::status_of(&seen.flags, seen.rules_noise);
    let owner = status::owner(&seen.flags);
    let stale = seen.idle_secs >= i64::from(policy.stale_claim_hours) * 3600;
    let mine = owner.as_deref() == Some(actor.id.as_str());
    // May the actor override another agent's claim?
    let may_override = |other: &str| -> Result<(), Refusal> {
        if actor.supervisor || stale {
            Ok(())
        } else {
            Err(Refusal::NotAllowed(format!(
                "{other} holds it (active {}h ago); only a supervisor may take over a claim younger than {}h",
                seen.idle_secs / 3600,
                policy.stale_claim_hours
            )))
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
    let make =
        |flags: Vec<String>, event, status, new_owner: Option<&str>, displaced: Option<String>| {
            Plan {
                flags,
                unchanged_since: seen.modseq,
                event,
                status,
                owner: new_owner.map(str::to_string),
                displaced,
            }
        };
    let wip_by = |who: &str| with(&[KW_WIP, &status::owner_keyword(who)]);
    match action {
        Action::Claim => match (current, owner) {
            (Status::Wip, Some(o)) if o == actor.id => {
                Err(Refusal::AlreadySo(format!("already claimed by you ({o})")))
            }
            (Status::Wip, Some(o)) => {
                if actor.supervisor || stale {
                    Ok(make(
                        wip_by(&actor.id),
                        "takeover",
                        Status::Wip,
                        Some(&actor.id),
                        Some(o),
                    ))
                } else {
                    Err(Refusal::HeldBy(o))
                }
            }
            _ => Ok(make(
                wip_by(&actor.id),
                "claim",
                Status::Wip,
                Some(&actor.id),
                None,
            )),
        },
        Action::Release => match (current, owner) {
            (Status::Wip, Some(o)) => {
                if !mine {
                    may_override(&o)?;
                }
                Ok(make(
                    base.clone(),
                    "release",
                    Status::New,
                    None,
                    (!mine).then_some(o),
                ))
            }
            _ => Err(Refusal::AlreadySo("not claimed by anyone".into())),
        },
        Action::Assign(to) => {
            if !super::agent::valid_id(to) {
                return Err(Refusal::NotAllowed(format!(
                    "{to:?} is not an agent id (1-16 of a-z 0-9 _ -)"
                )));
            }
            match (current, owner) {
                (Status::Wip, Some(o)) if o == *to => {
                    Err(Refusal::AlreadySo(format!("already assigned to {o}")))
                }
                (Status::Wip, Some(o)) => {
                    if !mine {
                        may_override(&o)?;
                    }
                    Ok(make(wip_by(to), "assign", Status::Wip, Some(to), Some(o)))
                }
                _ => Ok(make(wip_by(to), "assign", Status::Wip, Some(to), None)),
            }
        }
        Action::Done => match (current, owner) {
            (Status::Done, _) => Err(Refusal::AlreadySo("already done".into())),
            (Status::Wip, Some(o)) if !mine => {
                may_override(&o)?;
                Ok(make(
                    with(&[KW_DONE, &status::owner_keyword(&o)]),
                    "done",
                    Status::Done,
                    Some(&o),
                    None,
                ))
            }
            _ => Ok(make(
                with(&[KW_DONE, &status::owner_keyword(&actor.id)]),
                "done",
                Status::Done,
                Some(&actor.id),
                None,
            )),
        },
        Action::Reopen => match (current, owner) {
            (Status::Done, Some(o)) => Ok(make(wip_by(&o), "reopen", Status::Wip, Some(&o), None)),
            (Status::Done, None) => Ok(make(base.clone(), "reopen", Status::New, None, None)),
            (Status::Noise, _) => Ok(make(
                with(&[KW_NOT_NOISE]),
                "reopen",
                Status::New,
                None,
                None,
            )),
            _ => Err(Refusal::AlreadySo(format!(
                "it is {}, not done",
                current.as_str()
            ))),
        },
    }
}

/// The keywords `plan` owns (everything else on the message is kept as it is).
fn is_status_keyword(f: &str) -> bool {
    let l = f.to_ascii_lowercase();
    l == KW_WIP
        || l == KW_DONE
        || l == KW_NOISE
        || l == KW_NOT_NOISE
        || l.starts_with(status::KW_BY_PREFIX)
}

/// What a conditional STORE came back with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreResult {
    /// The server applied it; the message's flags and modseq are now these.
    Applied { flags: Vec<String>, modseq: u64 },
    /// `[MODIFIED]`: the message changed since the modseq we sent.
    Modified,
}

/// The outcome of a planned action once the server answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Won {
        modseq: u64,
    },
    /// Read the message again and decide again (someone changed something, perhaps only \Seen).
    Retry,
}

/// Interprets the STORE result for `plan`.
pub fn interpret(result: &StoreResult) -> Outcome {
    match result {
        StoreResult::Applied { modseq, .. } => Outcome::Won { modseq: *modseq },
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
            idle_secs: 60,
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

    fn kws(p: &Plan) -> Vec<&str> {
        let mut v: Vec<&str> = p.flags.iter().map(String::as_str).collect();
        v.sort();
        v
    }

    #[test]
    fn claiming_a_new_conversation_makes_it_mine_and_keeps_other_flags() {
        let p = plan(&Action::Claim, &seen(&["\\Seen"]), &agent("alice"), &POLICY).expect("plan");
        assert_eq!(kws(&p), ["\\Seen", "tanto-by-alice", "tanto-wip"]);
        assert_eq!(
            (p.unchanged_since, p.event, p.status),
            (10, "claim", Status::Wip)
        );
    }

    #[test]
    fn a_claim_held_by_someone_else_is_lost_unless_supervisor_or_stale() {
        let held = seen(&["tanto-wip", "tanto-by-bob"]);
        assert_eq!(
            plan(&Action::Claim, &held, &agent("alice"), &POLICY),
            Err(Refusal::HeldBy("bob".into()))
        );
        let p = plan(&Action::Claim, &held, &boss("carol"), &POLICY).expect("supervisor");
        assert_eq!((p.event, p.displaced.as_deref()), ("takeover", Some("bob")));
        assert_eq!(kws(&p), ["tanto-by-carol", "tanto-wip"]);
        let mut stale = held.clone();
        stale.idle_secs = 25 * 3600;
        assert_eq!(
            plan(&Action::Claim, &stale, &agent("alice"), &POLICY).map(|p| p.event),
            Ok("takeover")
        );
        assert!(matches!(
            plan(
                &Action::Claim,
                &seen(&["tanto-wip", "tanto-by-alice"]),
                &agent("alice"),
                &POLICY
            ),
            Err(Refusal::AlreadySo(_))
        ));
    }

    #[test]
    fn release_assign_done_and_reopen_follow_the_state_machine() {
        let mine = seen(&["tanto-wip", "tanto-by-alice", "\\Answered"]);
        let rel = plan(&Action::Release, &mine, &agent("alice"), &POLICY).expect("release");
        assert_eq!((kws(&rel), rel.status), (vec!["\\Answered"], Status::New));
        assert!(matches!(
            plan(
                &Action::Release,
                &seen(&["tanto-wip", "tanto-by-bob"]),
                &agent("alice"),
                &POLICY
            ),
            Err(Refusal::NotAllowed(_))
        ));
        let asg = plan(
            &Action::Assign("bob".into()),
            &mine,
            &agent("alice"),
            &POLICY,
        )
        .expect("assign");
        assert_eq!(kws(&asg), ["\\Answered", "tanto-by-bob", "tanto-wip"]);
        assert!(plan(
            &Action::Assign("Bad Id".into()),
            &mine,
            &agent("alice"),
            &POLICY
        )
        .is_err());
        let done = plan(&Action::Done, &mine, &agent("alice"), &POLICY).expect("done");
        assert_eq!(kws(&done), ["\\Answered", "tanto-by-alice", "tanto-done"]);
        let closed = seen(&["tanto-done", "tanto-by-alice"]);
        assert!(matches!(
            plan(&Action::Done, &closed, &agent("alice"), &POLICY),
            Err(Refusal::AlreadySo(_))
        ));
        let re = plan(&Action::Reopen, &closed, &agent("bob"), &POLICY).expect("reopen");
        assert_eq!(
            (kws(&re), re.status),
            (vec!["tanto-by-alice", "tanto-wip"], Status::Wip)
        );
        let mut noise = seen(&[]);
        noise.rules_noise = true;
        let re = plan(&Action::Reopen, &noise, &agent("bob"), &POLICY).expect("not noise");
        assert_eq!((kws(&re), re.status), (vec!["tanto-notnoise"], Status::New));
        let new_done = plan(&Action::Done, &seen(&[]), &agent("bob"), &POLICY).expect("close new");
        assert_eq!(kws(&new_done), ["tanto-by-bob", "tanto-done"]);
    }

    #[test]
    fn keywords_in_another_spelling_mean_the_same_claim() {
        // Dovecot and Cyrus give back the first spelling a folder saw, whoever wrote it.
        let held = seen(&["TANTO-WIP", "TANTO-BY-ALICE", "\\Seen"]);
        assert_eq!(
            plan(&Action::Claim, &held, &agent("bob"), &POLICY),
            Err(Refusal::HeldBy("alice".into()))
        );
        assert!(matches!(
            plan(&Action::Claim, &held, &agent("alice"), &POLICY),
            Err(Refusal::AlreadySo(_))
        ));
        assert!(matches!(
            plan(&Action::Release, &held, &agent("bob"), &POLICY),
            Err(Refusal::NotAllowed(_))
        ));
        // The old spelling is replaced, never doubled.
        let done = plan(&Action::Done, &held, &agent("alice"), &POLICY).expect("done");
        assert_eq!(kws(&done), ["\\Seen", "tanto-by-alice", "tanto-done"]);
        assert_eq!(done.owner.as_deref(), Some("alice"));
        let take = plan(&Action::Claim, &held, &boss("carol"), &POLICY).expect("take over");
        assert_eq!(kws(&take), ["\\Seen", "tanto-by-carol", "tanto-wip"]);
        assert_eq!(take.displaced.as_deref(), Some("alice"));
        let closed = seen(&["TANTO-DONE", "TANTO-BY-ALICE"]);
        assert!(matches!(
            plan(&Action::Done, &closed, &agent("bob"), &POLICY),
            Err(Refusal::AlreadySo(_))
        ));
        let re = plan(&Action::Reopen, &closed, &agent("bob"), &POLICY).expect("reopen");
        assert_eq!(kws(&re), ["tanto-by-alice", "tanto-wip"]);
    }

    #[test]
    fn store_results_are_won_or_retried() {
        assert_eq!(
            interpret(&StoreResult::Applied {
                flags: vec![],
                modseq: 12
            }),
            Outcome::Won { modseq: 12 }
        );
        assert_eq!(interpret(&StoreResult::Modified), Outcome::Retry);
    }
}
