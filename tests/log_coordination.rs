//! Coordination through the activity log (`core::log`) on a server without CONDSTORE: the
//! APPEND order decides, so exactly one agent wins each conversation even when every
//! contender read the state before anyone wrote (the relay holds every APPEND).

mod harness;
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use harness::{sample_message, Dovecot, Profile, Relay};
use tanto::app::act::{perform, Outcome};
use tanto::app::Ctx;
use tanto::core::claims::Action;

/// Dovecot's capabilities less CONDSTORE and QRESYNC (a Courier-like server).
const NO_CONDSTORE: &str = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE \
     IDLE SORT SPECIAL-USE LITERAL+ NAMESPACE UIDPLUS MOVE";

fn agent_via(server: &Dovecot, port: u16, dir: &Path, id: &str) -> Ctx {
    Ctx::load(Some(&server.agent_config_via(port, dir, id, "agent", ""))).expect("load config")
}

fn sync(ctx: &Ctx) {
    tanto::app::sync::sync_once(ctx).expect("sync");
}

fn owners(ctx: &Ctx) -> BTreeMap<String, (String, Option<String>)> {
    tanto::app::conversations::list(ctx, &Default::default())
        .expect("list")
        .into_iter()
        .map(|c| (c.id, (c.status.as_str().to_string(), c.assignee)))
        .collect()
}

#[test]
fn without_condstore_agents_who_all_read_before_anyone_wrote_get_one_winner_each() {
    let server = Dovecot::start_with(NO_CONDSTORE);
    let relay = Relay::start(server.port);
    race_and_go_on(&server, &relay, Caches::Separate);
}

#[test]
fn without_condstore_agents_sharing_one_cache_get_one_winner_each() {
    let server = Dovecot::start_with(NO_CONDSTORE);
    let relay = Relay::start(server.port);
    race_and_go_on(&server, &relay, Caches::Shared);
}

#[test]
fn on_microsoft_365_without_keywords_or_condstore_the_log_alone_gives_one_winner_each() {
    let server = Dovecot::start();
    let relay = Relay::start_as(server.port, Profile::Microsoft365);
    race_and_go_on(&server, &relay, Caches::Separate);
    // The server holds no keyword of ours: the log alone holds the state.
    for uid in server.uids("support", "INBOX") {
        let flags = server.flags("support", "INBOX", uid);
        assert!(
            !flags.iter().any(|f| f.starts_with("tanto-")),
            "uid {uid}: {flags:?}"
        );
    }
}

#[test]
fn on_gmail_keywords_and_condstore_decide_as_on_dovecot() {
    let server = Dovecot::start();
    let relay = Relay::start_as(server.port, Profile::Gmail);
    race_and_go_on(&server, &relay, Caches::Separate);
}

/// Whether the agents of a race each have their cache or share one (one jump host).
#[derive(Clone, Copy)]
enum Caches {
    Separate,
    Shared,
}

/// Six conversations of old mail, eight agents claiming all of them at once through
/// `relay` (which holds every write so that all read first), then a done and a new claim:
/// one winner each, the same on every agent.
fn race_and_go_on(server: &Dovecot, relay: &Relay, caches: Caches) {
    let msgs: Vec<Vec<u8>> = (0..6).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let root = tempfile::tempdir().expect("tempdir");
    let agents: Vec<(String, Ctx)> = (0..8)
        .map(|n| {
            let id = format!("agent{n}");
            let dir = match caches {
                Caches::Separate => root.path().join(&id),
                Caches::Shared => root.path().join("shared"),
            };
            let ctx = agent_via(server, relay.port(), &dir, &id);
            (id, ctx)
        })
        .collect();
    for (_, ctx) in &agents {
        sync(ctx);
    }
    let ids: Vec<String> = owners(&agents[0].1).into_keys().collect();
    assert_eq!(ids.len(), 6);
    // Every write waits a moment on its way to the server: each agent reads the state,
    // finds nothing, and writes its claim before any claim lands.
    relay.hold(" append ", Duration::from_millis(700));
    relay.hold(" store ", Duration::from_millis(700));
    let results: Vec<Vec<(String, Outcome)>> = std::thread::scope(|s| {
        let handles: Vec<_> = agents
            .iter()
            .enumerate()
            .map(|(n, (_, ctx))| {
                let ids = &ids;
                s.spawn(move || {
                    let mut order: Vec<&String> = ids.iter().collect();
                    order.rotate_left(n % ids.len());
                    order
                        .into_iter()
                        .map(|id| (id.clone(), perform(ctx, id, &Action::Claim).expect("claim")))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("agent thread"))
            .collect()
    });
    relay.release_holds();
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for ((agent, _), outcomes) in agents.iter().zip(&results) {
        for (id, acted) in outcomes {
            if let Outcome::Won(_) = acted {
                assert!(
                    owner.insert(id.clone(), agent.clone()).is_none(),
                    "{id} won twice: {results:?}"
                );
            }
        }
    }
    assert_eq!(
        owner.len(),
        6,
        "every conversation has a winner: {results:?}"
    );
    for ((agent, _), outcomes) in agents.iter().zip(&results) {
        for (id, acted) in outcomes {
            match acted {
                Outcome::Won(_) => {}
                Outcome::Lost { winner, .. } => {
                    assert_eq!(
                        winner, &owner[id],
                        "{agent} on {id}: the loser is told who won"
                    )
                }
                other => panic!("{agent} on {id}: unexpected {other:?}"),
            }
        }
    }
    // Every agent's cache, synced, reads the same owners from the log.
    for (agent, ctx) in &agents {
        sync(ctx);
        let seen = owners(ctx);
        for (id, who) in &owner {
            assert_eq!(
                seen[id],
                ("wip".to_string(), Some(who.clone())),
                "{agent} reads {id}"
            );
        }
    }
    // Changes go on from the standing record: the owner marks one done, another agent
    // reopens it, and everyone reads the same.
    let id = &ids[0];
    let who = &owner[id];
    let (_, ctx) = agents.iter().find(|(a, _)| a == who).expect("owner");
    assert!(matches!(
        perform(ctx, id, &Action::Done).expect("done"),
        Outcome::Won(_)
    ));
    let other = agents.iter().find(|(a, _)| a != who).expect("another");
    sync(&other.1);
    assert_eq!(owners(&other.1)[id].0, "done");
    assert!(matches!(
        perform(&other.1, id, &Action::Claim).expect("claim a done one"),
        Outcome::Won(_)
    ));
    for (_, ctx) in &agents {
        sync(ctx);
        assert_eq!(owners(ctx)[id], ("wip".to_string(), Some(other.0.clone())));
    }
}
