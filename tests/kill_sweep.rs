//! The kill sweep: `tanto reply` SIGKILLed at random moments, then both agents' syncs and a
//! restart, against the real Dovecot and SMTP sink. No reply may go out twice, none that
//! went out may be left unaccounted for, no sync may wait 30 s, and no conversation whose
//! reply went out may stay in progress. `TANTO_KILL_SWEEP=N` sets the number of kills
//! (110 by default); the table is printed (`--nocapture` shows it).

mod harness;
mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use harness::{Dovecot, SmtpSink};
use support::replying::*;

/// A small deterministic generator (no dependency for a test's randomness).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn replies_killed_at_random_moments_go_out_at_most_once_and_nothing_is_left_stuck() {
    let kills: usize = std::env::var("TANTO_KILL_SWEEP")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(110);
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    for n in 1..=kills {
        server.append("support", "INBOX", &question(n, "質問です"), &[]);
    }
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &sink, &root.path().join("a"), "alice", "");
    let bob = agent(&server, &sink, &root.path().join("b"), "bob", "");
    alice.sync();
    bob.sync();
    let ids = all_ids(&alice);
    assert_eq!(ids.len(), kills);
    let mut rng = Lcg(0x7a17_0d0e);
    let mut slowest = Duration::ZERO;
    let mut killed_after = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let body = body_file(root.path(), &format!("回答 {i}"));
        let mut child = alice
            .command(&["reply", id, "--body-file", &body])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn tanto reply");
        // Anywhere from before the claim to after the bookkeeping.
        let wait = Duration::from_millis(rng.below(700));
        std::thread::sleep(wait);
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        killed_after.push(wait);
        // Both agents' syncs, then the killed agent's restart.
        for t in [&alice, &bob, &alice] {
            let started = Instant::now();
            let _ = run_code(t, &["sync", "--once"]);
            slowest = slowest.max(started.elapsed());
        }
    }
    // One more round of both, as the team's running clients would do.
    let _ = run_code(&alice, &["sync", "--once"]);
    let _ = run_code(&bob, &["sync", "--once"]);
    std::thread::sleep(Duration::from_millis(500));

    let mut delivered: HashMap<String, usize> = HashMap::new();
    for m in sink.received() {
        let mid = m.header("Message-ID").unwrap_or_default();
        if let Some(id) = ids.iter().find(|id| mid.contains(&format!("tanto.{id}."))) {
            *delivered.entry(id.clone()).or_default() += 1;
        }
    }
    let pending: Vec<(String, String)> = alice
        .json(&["outbox", "--json"])
        .as_array()
        .expect("outbox")
        .iter()
        .map(|i| {
            (
                i["conversation"].as_str().unwrap_or_default().to_string(),
                i["standing"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let sent_folder = server.uids("support", "Sent").len();
    let duplicates = delivered.values().filter(|&&n| n > 1).count();
    let once = delivered.values().filter(|&&n| n == 1).count();
    // A reply whose kill fell between the end of DATA and SMTP's 250 went out, but nobody
    // can know that: it is in the outbox as uncertain, for a person (counted apart).
    let uncertain: Vec<&String> = pending
        .iter()
        .filter(|(_, s)| s == "uncertain")
        .map(|(c, _)| c)
        .collect();
    let in_progress_after_delivery: Vec<&String> = delivered
        .keys()
        .filter(|id| !uncertain.contains(id) && status(&alice, id) == "wip")
        .collect();
    let mut standings: HashMap<&str, usize> = HashMap::new();
    for (_, s) in &pending {
        *standings.entry(s.as_str()).or_default() += 1;
    }
    let never_queued = kills - once - duplicates - pending.len();
    println!("kill sweep: {kills} kills of `tanto reply` (0-700 ms after start), then alice's, bob's and alice's sync");
    println!("| outcome | count |");
    println!("| --- | --- |");
    println!("| delivered once | {once} |");
    println!("| delivered twice or more | {duplicates} |");
    for (s, n) in &standings {
        println!("| left in the outbox: {s} | {n} |");
    }
    println!("| killed before it was queued (nothing sent, command failed) | {never_queued} |");
    println!("| in Sent | {sent_folder} |");
    println!(
        "| in progress after a delivered reply, uncertain ones apart | {} |",
        in_progress_after_delivery.len()
    );
    println!(
        "| slowest sync after a kill | {:.1} s |",
        slowest.as_secs_f64()
    );

    assert_eq!(duplicates, 0, "{delivered:?}");
    // Every reply in Sent went out (Sent is written only after SMTP took it).
    assert!(sent_folder <= once, "Sent {sent_folder}, delivered {once}");
    // What did not go out is still there for a person (never queued, or in the outbox as
    // uncertain/held), and nothing waits for SMTP that is up.
    assert!(
        !standings.contains_key("queued") && !standings.contains_key("sending"),
        "{standings:?}"
    );
    assert!(
        in_progress_after_delivery.is_empty(),
        "{in_progress_after_delivery:?}"
    );
    assert!(
        slowest < Duration::from_secs(30),
        "a sync waited {slowest:?}"
    );
}
