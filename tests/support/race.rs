//! Agents racing for the same conversations through the library (`act::perform`), each in a
//! thread of its own, and what every race must end with: one winner per conversation, every
//! loser told who won, every cache reading the same owners.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Barrier;

use crate::harness::ImapServer;
use tanto_app::act::{perform, Outcome};
use tanto_app::Ctx;
use tanto_core::claims::Action;

/// Whether the agents of a race each have their cache or share one (one jump host).
#[derive(Clone, Copy, Debug)]
pub enum Caches {
    Separate,
    Shared,
}

impl Caches {
    /// The directory, under `root`, of agent `id`'s config and cache.
    pub fn dir(self, root: &Path, id: &str) -> PathBuf {
        match self {
            Caches::Separate => root.join(id),
            Caches::Shared => root.join("shared"),
        }
    }
}

/// What each agent got for each conversation it tried, in its order.
pub type Results = Vec<Vec<(String, Outcome)>>;

/// An agent (`role = "agent"`) of `server` connecting to `port` on 127.0.0.1 (the server's
/// own, or a relay's), its config, cache and state in `dir`.
pub fn agent_via(server: &ImapServer, port: u16, dir: &Path, id: &str) -> Ctx {
    Ctx::load(Some(&server.agent_config_via(port, dir, id, "agent", ""))).expect("load config")
}

/// One sync of every mailbox of the agent.
pub fn sync(ctx: &Ctx) {
    tanto_app::after_sync::sync_once(ctx).expect("sync");
}

/// Every conversation in the agent's cache: its status and assignee.
pub fn owners(ctx: &Ctx) -> BTreeMap<String, (String, Option<String>)> {
    tanto_app::conversations::list(ctx, &Default::default())
        .expect("list")
        .into_iter()
        .map(|c| (c.id, (c.status.as_str().to_string(), c.assignee)))
        .collect()
}

/// Every agent claims every conversation of `ids` at once, each in a thread of its own, the
/// n-th agent in the order `order(n, ids)` gives.
pub fn claim_all<'a>(
    agents: &[(String, Ctx)],
    ids: &'a [String],
    order: impl Fn(usize, &'a [String]) -> Vec<&'a String> + Sync,
) -> Results {
    each_agent(agents, |n, ctx| {
        order(n, ids)
            .into_iter()
            .map(|id| (id.clone(), perform(ctx, id, &Action::Claim).expect("claim")))
            .collect()
    })
}

/// Every agent claims the conversations of `ids` one after the other, all agents starting
/// on each conversation together (a barrier): every claim of one conversation is contended
/// by all. A claim that fails fails the race once every agent is through (a panic at once
/// would leave the others at the barrier).
pub fn claim_together(agents: &[(String, Ctx)], ids: &[String]) -> Results {
    let together = Barrier::new(agents.len());
    each_agent(agents, |_, ctx| {
        let tried: Vec<(String, anyhow::Result<Outcome>)> = ids
            .iter()
            .map(|id| {
                together.wait();
                (id.clone(), perform(ctx, id, &Action::Claim))
            })
            .collect();
        tried
            .into_iter()
            .map(|(id, r)| {
                let acted = r.unwrap_or_else(|e| panic!("claim of {id}: {e:#}"));
                (id, acted)
            })
            .collect()
    })
}

/// `act(n, ctx)` for the n-th agent, every agent in a thread of its own at once; what each
/// returned, in the agents' order.
fn each_agent<T: Send>(agents: &[(String, Ctx)], act: impl Fn(usize, &Ctx) -> T + Sync) -> Vec<T> {
    let act = &act;
    std::thread::scope(|s| {
        let handles: Vec<_> = agents
            .iter()
            .enumerate()
            .map(|(n, (_, ctx))| s.spawn(move || act(n, ctx)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("agent thread"))
            .collect()
    })
}

/// Every agent claims every conversation of `ids` at once (the n-th starting at the n-th),
/// through `relay`, which holds every APPEND, STORE and CREATE for `hold` so that each agent reads
/// the state before any claim lands; checks one winner each (`one_winner_each`), every
/// conversation won, and returns the winners.
pub fn race_through(
    relay: &tanto_devserver::Relay,
    agents: &[(String, Ctx)],
    ids: &[String],
    hold: std::time::Duration,
) -> BTreeMap<String, String> {
    relay.hold(" append ", hold);
    relay.hold(" store ", hold);
    // The log folder is created by the first claims: every agent then decides before it
    // knows the new folder's UIDVALIDITY from a sync.
    relay.hold(" create ", hold);
    let results = claim_all(agents, ids, |n, ids| {
        let mut order: Vec<&String> = ids.iter().collect();
        order.rotate_left(n % ids.len());
        order
    });
    relay.release_holds();
    let owner = one_winner_each(agents, &results);
    assert_eq!(
        owner.len(),
        ids.len(),
        "every conversation has a winner: {results:?}"
    );
    owner
}

/// The winner of each conversation in `results` (of `agents`, in their order), checking that
/// nobody else won it and that every loser was told who did. Any other outcome fails.
pub fn one_winner_each(agents: &[(String, Ctx)], results: &Results) -> BTreeMap<String, String> {
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for ((agent, _), outcomes) in agents.iter().zip(results) {
        for (id, acted) in outcomes {
            if let Outcome::Won(_) = acted {
                assert!(
                    owner.insert(id.clone(), agent.clone()).is_none(),
                    "{id} won twice: {results:?}"
                );
            }
        }
    }
    for ((agent, _), outcomes) in agents.iter().zip(results) {
        for (id, acted) in outcomes {
            match acted {
                Outcome::Won(_) => {}
                Outcome::Lost { winner, .. } => assert_eq!(
                    Some(winner),
                    owner.get(id),
                    "{agent} on {id}: the loser is told who won"
                ),
                other => panic!("{agent} on {id}: unexpected {other:?}"),
            }
        }
    }
    owner
}

/// Every agent's cache, synced, reads each conversation of `owner` as in progress by its
/// winner.
pub fn caches_agree(agents: &[(String, Ctx)], owner: &BTreeMap<String, String>) {
    for (agent, ctx) in agents {
        sync(ctx);
        let seen = owners(ctx);
        for (id, who) in owner {
            assert_eq!(
                seen[id],
                ("wip".to_string(), Some(who.clone())),
                "{agent} reads {id}"
            );
        }
    }
}

/// The owner of every message of `folder` (as `user` sees it), by its keywords, in UID
/// order: each message must be `tanto-wip` with exactly one `tanto-by-<agent>`.
pub fn keyword_owners(server: &ImapServer, user: &str, folder: &str) -> Vec<String> {
    server
        .uids(user, folder)
        .into_iter()
        .map(|uid| {
            let flags = server.flags(user, folder, uid);
            let by: Vec<&str> = flags
                .iter()
                .filter_map(|f| f.strip_prefix("tanto-by-"))
                .collect();
            assert_eq!(by.len(), 1, "uid {uid}: {flags:?}");
            assert!(
                flags.iter().any(|f| f == "tanto-wip"),
                "uid {uid}: {flags:?}"
            );
            by[0].to_string()
        })
        .collect()
}
