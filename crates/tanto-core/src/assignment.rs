//! Automatic assignment: which agent a new conversation goes to. Pure: every agent's client
//! computes the choice from the same shared data (the team's agent order, who is on duty,
//! the inbox's owner keywords), so clients that choose at once choose alike, and the
//! compare-and-set of the assign lets one write win.

use std::collections::{BTreeMap, BTreeSet};

/// `[team] assign`: how new mail finds its agent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Mode {
    /// Nobody is assigned automatically (agents claim).
    #[default]
    Manual,
    /// In turn, in the order of `team.agents`.
    RoundRobin,
    /// To whoever holds the fewest open conversations (ties: the order of `team.agents`).
    LeastLoaded,
    /// Back to the customer's previous agent when there is one; else in turn.
    Sticky,
}

impl Mode {
    /// Reads the config's spelling; `None` for anything else.
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "manual" => Some(Mode::Manual),
            "round_robin" => Some(Mode::RoundRobin),
            "least_loaded" => Some(Mode::LeastLoaded),
            "sticky" => Some(Mode::Sticky),
            _ => None,
        }
    }
}

/// What the record of duty (`away` / `back` events in the activity folder) says of an
/// agent: the latest record of each agent, in log (UID) order, wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    Away,
    Back,
}

/// Folds the duty records, in log order, into the agents that are away now. An agent
/// without a record is on duty.
pub fn away<'a>(records: impl IntoIterator<Item = (&'a str, Duty)>) -> BTreeSet<String> {
    let mut latest: BTreeMap<&str, Duty> = BTreeMap::new();
    for (agent, duty) in records {
        latest.insert(agent, duty);
    }
    latest
        .into_iter()
        .filter(|(_, d)| *d == Duty::Away)
        .map(|(a, _)| a.to_string())
        .collect()
}

/// The team as every client sees it from the server.
#[derive(Debug, Clone, Default)]
pub struct Desk {
    /// `team.agents`, in the config's order: the only agents assigned to, and the turn order.
    pub agents: Vec<String>,
    /// Agents whose latest duty record is `away`.
    pub away: BTreeSet<String>,
    /// Open (in progress) conversations per agent.
    pub open: BTreeMap<String, u32>,
    /// Open conversations an agent may hold before new mail passes them by (`None`: no cap).
    pub capacity: Option<u32>,
}

impl Desk {
    fn open_of(&self, agent: &str) -> u32 {
        self.open.get(agent).copied().unwrap_or(0)
    }

    /// On duty and under the cap.
    fn free(&self, agent: &str) -> bool {
        !self.away.contains(agent) && self.capacity.is_none_or(|c| self.open_of(agent) < c)
    }
}

/// The conversation to place, as far as the choice needs it.
#[derive(Debug, Clone, Default)]
pub struct Turn<'a> {
    /// The owner of the newest conversation older than this one that has an owner: who
    /// had the last turn (conversations are assigned oldest first).
    pub last: Option<&'a str>,
    /// The customer's previous agent, when the conversation had one (sticky).
    pub previous: Option<&'a str>,
}

/// The agent the conversation goes to, or `None` when nobody on duty has room (it waits
/// for a free slot) or the mode is manual.
pub fn choose(mode: Mode, desk: &Desk, turn: &Turn) -> Option<String> {
    match mode {
        Mode::Manual => None,
        Mode::RoundRobin => in_turn(desk, turn.last),
        Mode::LeastLoaded => desk
            .agents
            .iter()
            .filter(|a| desk.free(a))
            // `min_by_key` keeps the first of equals: ties go by the team's order.
            .min_by_key(|a| desk.open_of(a))
            .cloned(),
        Mode::Sticky => match turn.previous {
            Some(p) if desk.agents.iter().any(|a| a == p) && desk.free(p) => Some(p.to_string()),
            _ => in_turn(desk, turn.last),
        },
    }
}

/// The first free agent after `last` in the team's order (from the first when `last` is
/// nobody on the team).
fn in_turn(desk: &Desk, last: Option<&str>) -> Option<String> {
    let n = desk.agents.len();
    let start = last
        .and_then(|l| desk.agents.iter().position(|a| a == l))
        .map_or(0, |i| i + 1);
    (0..n)
        .map(|k| &desk.agents[(start + k) % n])
        .find(|a| desk.free(a))
        .cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn desk(agents: &[&str]) -> Desk {
        Desk {
            agents: agents.iter().map(|a| a.to_string()).collect(),
            ..Desk::default()
        }
    }

    /// Places `n` conversations one after the other as the pass does (each one's owner is
    /// the next one's `last`, each adds to its agent's open count).
    fn place(mode: Mode, d: &mut Desk, n: usize) -> Vec<Option<String>> {
        let mut last: Option<String> = None;
        let mut out = Vec::new();
        for _ in 0..n {
            let got = choose(
                mode,
                d,
                &Turn {
                    last: last.as_deref(),
                    previous: None,
                },
            );
            if let Some(a) = &got {
                *d.open.entry(a.clone()).or_default() += 1;
                last = Some(a.clone());
            }
            out.push(got);
        }
        out
    }

    fn count(placed: &[Option<String>], who: &str) -> usize {
        placed.iter().filter(|p| p.as_deref() == Some(who)).count()
    }

    #[test]
    fn round_robin_takes_turns_in_the_team_order() {
        let mut d = desk(&["alice", "bob", "carol"]);
        let placed = place(Mode::RoundRobin, &mut d, 30);
        for who in ["alice", "bob", "carol"] {
            assert_eq!(count(&placed, who), 10, "{who}: {placed:?}");
        }
        assert_eq!(placed[0].as_deref(), Some("alice"));
        assert_eq!(placed[1].as_deref(), Some("bob"));
        assert_eq!(placed[3].as_deref(), Some("alice"));
    }

    #[test]
    fn the_turn_follows_whoever_had_the_last_one() {
        let d = desk(&["alice", "bob", "carol"]);
        let after = |last| {
            choose(
                Mode::RoundRobin,
                &d,
                &Turn {
                    last: Some(last),
                    previous: None,
                },
            )
        };
        assert_eq!(after("alice").as_deref(), Some("bob"));
        assert_eq!(after("carol").as_deref(), Some("alice"));
        // Someone off the team (a supervisor's own claim) had it: from the first.
        assert_eq!(after("dave").as_deref(), Some("alice"));
    }

    #[test]
    fn capacity_holds_back_the_rest_until_a_slot_frees() {
        let mut d = desk(&["alice", "bob", "carol"]);
        d.capacity = Some(2);
        let placed = place(Mode::RoundRobin, &mut d, 7);
        for who in ["alice", "bob", "carol"] {
            assert_eq!(count(&placed, who), 2, "{who}: {placed:?}");
        }
        assert_eq!(placed[6], None, "the 7th waits");
        // bob marks one done: the waiting one is his, whoever's turn it was.
        d.open.insert("bob".into(), 1);
        let turn = Turn {
            last: Some("carol"),
            previous: None,
        };
        assert_eq!(choose(Mode::RoundRobin, &d, &turn).as_deref(), Some("bob"));
        assert_eq!(choose(Mode::LeastLoaded, &d, &turn).as_deref(), Some("bob"));
    }

    #[test]
    fn an_agent_away_gets_nothing_and_back_gets_again() {
        let mut d = desk(&["alice", "bob", "carol"]);
        d.away = away([
            ("bob", Duty::Away),
            ("carol", Duty::Away),
            ("carol", Duty::Back),
        ]);
        assert_eq!(d.away, BTreeSet::from(["bob".to_string()]));
        let placed = place(Mode::RoundRobin, &mut d, 6);
        assert_eq!(count(&placed, "bob"), 0, "{placed:?}");
        assert_eq!(count(&placed, "alice"), 3);
        d.away = away([("bob", Duty::Away), ("bob", Duty::Back)]);
        let placed = place(Mode::LeastLoaded, &mut d, 3);
        assert_eq!(count(&placed, "bob"), 3, "bob had none open: {placed:?}");
        // Everyone away: nobody is chosen.
        d.away = ["alice", "bob", "carol"].map(String::from).into();
        assert_eq!(choose(Mode::RoundRobin, &d, &Turn::default()), None);
    }

    #[test]
    fn least_loaded_picks_the_fewest_open_ties_by_team_order() {
        let mut d = desk(&["alice", "bob", "carol"]);
        d.open = BTreeMap::from([("alice".into(), 3), ("bob".into(), 1), ("carol".into(), 1)]);
        let t = Turn::default();
        assert_eq!(choose(Mode::LeastLoaded, &d, &t).as_deref(), Some("bob"));
        d.away.insert("bob".into());
        assert_eq!(choose(Mode::LeastLoaded, &d, &t).as_deref(), Some("carol"));
    }

    #[test]
    fn sticky_gives_the_previous_agent_back_when_they_have_room() {
        let mut d = desk(&["alice", "bob", "carol"]);
        let t = Turn {
            last: Some("alice"),
            previous: Some("carol"),
        };
        assert_eq!(choose(Mode::Sticky, &d, &t).as_deref(), Some("carol"));
        d.away.insert("carol".into());
        assert_eq!(choose(Mode::Sticky, &d, &t).as_deref(), Some("bob"));
        let stranger = Turn {
            last: None,
            previous: Some("zed"),
        };
        assert_eq!(
            choose(Mode::Sticky, &d, &stranger).as_deref(),
            Some("alice")
        );
    }

    #[test]
    fn manual_and_an_empty_team_choose_nobody() {
        let d = desk(&["alice"]);
        assert_eq!(choose(Mode::Manual, &d, &Turn::default()), None);
        let empty = desk(&[]);
        assert_eq!(choose(Mode::RoundRobin, &empty, &Turn::default()), None);
        assert_eq!(choose(Mode::LeastLoaded, &empty, &Turn::default()), None);
        assert_eq!(Mode::parse("round_robin"), Some(Mode::RoundRobin));
        assert_eq!(Mode::parse("roundrobin"), None);
    }
}
