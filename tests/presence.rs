//! Presence across hosts: an agent whose tanto keeps sessions (the TUI) publishes what it is
//! viewing on the server (METADATA); an agent on another host, with its own cache, sees it
//! after its next sync, and sees it go when the first one leaves.

mod harness;
mod support;

use harness::{sample_message, Dovecot};
use support::Tanto;
use tanto_core::presence::Doing;

fn presence_of(t: &Tanto, id: &str) -> Vec<(String, String)> {
    let show = t.json(&["show", id, "--json"]);
    show["presence"]
        .as_array()
        .expect("presence")
        .iter()
        .map(|p| {
            (
                p["agent"].as_str().unwrap_or_default().to_string(),
                p["kind"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[test]
fn an_agent_on_another_host_sees_who_is_viewing_and_replying_and_sees_them_leave() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    // Two hosts: two caches that share nothing but the server.
    let alice = Tanto::new(&server, &root.path().join("host-a"), "alice");
    let bob = Tanto::new(&server, &root.path().join("host-b"), "bob");
    alice.sync();
    bob.sync();
    let id = alice.only_id();

    // Bob's terminal UI (sessions kept) opens the conversation, then starts replying.
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("TANTO_TEST_PASSWORD", "secret") };
    let ctx = tanto_app::Ctx::load(Some(&bob.config))
        .expect("bob's config")
        .keep_sessions_warm();
    tanto_app::presence::announce(&ctx, "support", &id, Some(Doing::Viewing));
    alice.sync();
    assert_eq!(
        presence_of(&alice, &id),
        vec![("bob".to_string(), "viewing".to_string())]
    );
    tanto_app::presence::announce(&ctx, "support", &id, Some(Doing::Replying));
    alice.sync();
    assert_eq!(
        presence_of(&alice, &id),
        vec![("bob".to_string(), "replying".to_string())]
    );
    // Bob leaves: gone for alice at her next sync, not 30 s later.
    tanto_app::presence::announce(&ctx, "support", &id, None);
    alice.sync();
    assert_eq!(presence_of(&alice, &id), vec![]);
}

#[test]
fn a_forged_or_stale_presence_entry_on_the_server_is_not_shown_a_good_one_is() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("host-a"), "alice");
    alice.sync();
    let id = alice.only_id();
    // Anyone with access can write entries: ones with a terminal escape, a bad name, a time
    // long past or far ahead are read as nothing.
    let entries = [
        ("eve", format!("viewing {id} 99999999999")),
        ("mallory", format!("viewing {id} 1000")),
        ("bob", "viewing \u{1b}]52;c;aGk=\u{7} 99999".to_string()),
        (
            "Carol Smith",
            format!("viewing {id} {}", support::now() + 20),
        ),
        // The one well-formed entry, so that reading is seen to work.
        ("dave", format!("replying {id} {}", support::now() + 20)),
    ];
    for (agent, value) in entries {
        let key = format!("/shared/vendor/tanto/presence/{agent}");
        server.doveadm(&[
            "mailbox", "metadata", "set", "-u", "support", "INBOX", &key, &value,
        ]);
    }
    alice.sync();
    assert_eq!(
        presence_of(&alice, &id),
        vec![("dave".to_string(), "replying".to_string())]
    );
}

/// Without METADATA (Microsoft 365, emulated by the relay from its published behaviour), each
/// agent's presence is a short-lived record in the presence folder, replaced at each
/// heartbeat: an agent on another host sees it at its own next heartbeat, and sees it go.
#[test]
fn on_microsoft_365_presence_goes_through_records_and_goes_away() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &sample_message(1, None), &[]);
    let relay = harness::Relay::start_as(server.port, harness::Profile::Microsoft365);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::via(&server, relay.port(), &root.path().join("host-a"), "alice");
    let bob = Tanto::via(&server, relay.port(), &root.path().join("host-b"), "bob");
    alice.sync();
    bob.sync();
    let id = alice.only_id();
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("TANTO_TEST_PASSWORD", "secret") };
    let warm = |t: &Tanto| {
        tanto_app::Ctx::load(Some(&t.config))
            .expect("config")
            .keep_sessions_warm()
    };
    let (a, b) = (warm(&alice), warm(&bob));
    tanto_app::presence::announce(&b, "support", &id, Some(Doing::Replying));
    tanto_app::presence::announce(&a, "support", &id, Some(Doing::Viewing));
    assert_eq!(
        presence_of(&alice, &id),
        vec![("bob".to_string(), "replying".to_string())]
    );
    // One record per agent, however many heartbeats.
    for _ in 0..3 {
        tanto_app::presence::announce(&b, "support", &id, Some(Doing::Replying));
    }
    assert_eq!(server.uids("support", "Tanto/Presence").len(), 2);
    tanto_app::presence::announce(&b, "support", &id, None);
    tanto_app::presence::announce(&a, "support", &id, Some(Doing::Viewing));
    assert_eq!(presence_of(&alice, &id), vec![]);
}
