//! Coordination through the activity log (`core::log`) on a server without CONDSTORE: the
//! APPEND order decides, so exactly one agent wins each conversation even when every
//! contender read the state before anyone wrote (the relay holds every APPEND).

mod harness;
mod support;

use std::path::Path;
use std::time::Duration;

use harness::{sample_message, Dovecot, Profile, Relay};
use support::race::{caches_agree, owners, race_through, sync, Caches};
use tanto_app::act::{perform, Outcome};
use tanto_app::Ctx;
use tanto_core::claims::Action;

/// Dovecot's capabilities less CONDSTORE and QRESYNC (a Courier-like server).
const NO_CONDSTORE: &str = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE \
     IDLE SORT SPECIAL-USE LITERAL+ NAMESPACE UIDPLUS MOVE";

fn agent_via(server: &Dovecot, port: u16, dir: &Path, id: &str) -> Ctx {
    Ctx::load(Some(&server.agent_config_via(port, dir, id, "agent", ""))).expect("load config")
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

#[test]
fn on_microsoft_365_agents_sharing_one_cache_get_one_winner_each() {
    let server = Dovecot::start();
    let relay = Relay::start_as(server.port, Profile::Microsoft365);
    race_and_go_on(&server, &relay, Caches::Shared);
}

#[test]
fn on_gmail_agents_sharing_one_cache_get_one_winner_each() {
    let server = Dovecot::start();
    let relay = Relay::start_as(server.port, Profile::Gmail);
    race_and_go_on(&server, &relay, Caches::Shared);
}

#[test]
fn on_dovecot_sdbox_with_condstore_agents_get_one_winner_each() {
    let server = Dovecot::start();
    let relay = Relay::start(server.port);
    race_and_go_on(&server, &relay, Caches::Separate);
}

#[test]
fn on_dovecot_sdbox_with_condstore_agents_sharing_one_cache_get_one_winner_each() {
    let server = Dovecot::start();
    let relay = Relay::start(server.port);
    race_and_go_on(&server, &relay, Caches::Shared);
}

#[test]
fn on_dovecot_maildir_agents_get_one_winner_each() {
    let server = Dovecot::start_with("mail_location = maildir:~/Maildir");
    let relay = Relay::start(server.port);
    race_and_go_on(&server, &relay, Caches::Separate);
}

#[test]
fn on_dovecot_maildir_agents_sharing_one_cache_get_one_winner_each() {
    let server = Dovecot::start_with("mail_location = maildir:~/Maildir");
    let relay = Relay::start(server.port);
    race_and_go_on(&server, &relay, Caches::Shared);
}

/// Six conversations of three-day-old mail, eight agents claiming all of them at once through
/// `relay` (which holds every write so that all read first), then a done and a new claim:
/// one winner each, the same on every agent.
fn race_and_go_on(server: &Dovecot, relay: &Relay, caches: Caches) {
    let msgs: Vec<Vec<u8>> = (0..6).map(|i| sample_message(i, None)).collect();
    server.append_days_old("support", "INBOX", &msgs, 3);
    let root = tempfile::tempdir().expect("tempdir");
    let agents: Vec<(String, Ctx)> = (0..8)
        .map(|n| {
            let id = format!("agent{n}");
            let ctx = agent_via(server, relay.port(), &caches.dir(root.path(), &id), &id);
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
    let owner = race_through(relay, &agents, &ids, Duration::from_millis(700));
    // Every agent's cache, synced, reads the same owners from the log.
    caches_agree(&agents, &owner);
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
