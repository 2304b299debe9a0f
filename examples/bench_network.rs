//! The network benchmark's server (not a test): a local Dovecot with a shared mailbox, and
//! one delay relay in front of it per round trip, for `bench/network.py` (run by
//! `bench/network.sh`), which times tanto and the one-shot floor through them.
//!
//! Usage: bench_network [ROUND_TRIP_MS ...]   (default 0 50 150)
//!
//! Prints one JSON line, then serves until its stdin ends (the driver closes it): the
//! relays, then the server, stop in order.
//!
//! - `support`'s INBOX (the shared mailbox tanto's agents log in to) holds `MESSAGES`
//!   conversations; `carol`'s INBOX, the floor's, the same messages (so the floor's
//!   compare-and-set changes nothing tanto reads).
//! - Per round trip: a relay with half of it as the delay each way, and a config for the
//!   agents `alice` and `bob` through it, each with its own cache and state directory; the
//!   password comes from `$TANTO_TEST_PASSWORD` (no process spawned per run).

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use tanto_devserver::{sample_message, Dovecot, Relay, PASSWORD};

const MESSAGES: usize = 200;

/// A tanto config for `agent` through `port`, its cache and state in `dir`.
fn config(server: &Dovecot, port: u16, dir: &Path, agent: &str) -> String {
    std::fs::create_dir_all(dir).expect("agent dir");
    let path = dir.join(format!("{agent}.toml"));
    let text = server
        .config_toml_via(port, "support", &dir.join("cache.sqlite"), agent)
        .replace(
            "role = \"agent\"",
            &format!(
                "role = \"agent\"\nstate_dir = \"{}\"",
                dir.join("state").display()
            ),
        );
    std::fs::write(&path, text).expect("write the config");
    path.display().to_string()
}

/// A JSON string (paths here are plain ASCII; quotes and backslashes escaped anyway).
fn json(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn main() {
    let rtts: Vec<u64> = {
        let given: Vec<u64> = std::env::args()
            .skip(1)
            .map(|a| a.parse().expect("usage: bench_network [ROUND_TRIP_MS ...]"))
            .collect();
        if given.is_empty() {
            vec![0, 50, 150]
        } else {
            given
        }
    };
    let server = Dovecot::start();
    let msgs: Vec<Vec<u8>> = (0..MESSAGES).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let floor_uids = server.append_many("carol", "INBOX", &msgs);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut relays = Vec::new();
    let mut links = Vec::new();
    for rtt in &rtts {
        let relay = Relay::start(server.port);
        relay.delay(Duration::from_micros(rtt * 500));
        let here = dir.path().join(format!("rtt{rtt}"));
        let (alice, bob) = (
            config(&server, relay.port(), &here.join("alice"), "alice"),
            config(&server, relay.port(), &here.join("bob"), "bob"),
        );
        links.push(format!(
            "{{\"rtt_ms\": {rtt}, \"port\": {}, \"alice\": {}, \"bob\": {}}}",
            relay.port(),
            json(&alice),
            json(&bob)
        ));
        relays.push(relay);
    }
    println!(
        "{{\"server_port\": {}, \"password\": {}, \"floor_user\": \"carol\", \"floor_uid\": {}, \
         \"messages\": {MESSAGES}, \"links\": [{}]}}",
        server.port,
        json(PASSWORD),
        floor_uids[0],
        links.join(", ")
    );
    // Serve until the driver is done (or gone).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(relays);
    drop(server);
}
