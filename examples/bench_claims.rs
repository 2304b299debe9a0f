//! Coordination benchmark (not a test): claim round trip, claim-to-seen latency from one
//! agent to another through IDLE, and activity-log append rate, on a local Dovecot.
//!
//! Run with `bench/claims.sh [N]` (default 1000 claims).

use std::time::{Duration, Instant};

use tanto_app::act::{perform, Outcome};
use tanto_app::Ctx;
use tanto_core::claims::Action;
use tanto_devserver::{sample_message, Dovecot};
use tanto_mail::activity::{self, Event};

fn ctx(server: &Dovecot, dir: &std::path::Path, id: &str, extra: &str) -> Ctx {
    Ctx::load(Some(&server.agent_config(dir, id, "agent", extra))).expect("config")
}

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let pct = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    println!(
        "{name:<34} median {:>7.2?}  p99 {:>7.2?}  max {:>7.2?}  (n={})",
        pct(0.5),
        pct(0.99),
        v[v.len() - 1],
        v.len()
    );
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let server = Dovecot::start();
    let msgs: Vec<Vec<u8>> = (0..n).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = ctx(&server, &dir.path().join("alice"), "alice", "");
    let bob = ctx(&server, &dir.path().join("bob"), "bob", "");
    let dave = ctx(
        &server,
        &dir.path().join("dave"),
        "dave",
        "\n[team]\nlive_poll_ms = 25\n",
    );
    for c in [&alice, &bob, &dave] {
        let mut cache = c.cache().expect("cache");
        let (i, m) = c.mailboxes().next().expect("mailbox");
        tanto_app::sync::sync_mailbox(c, &mut cache, i, m).expect("sync");
    }
    let ids: Vec<String> = alice
        .cache()
        .expect("cache")
        .list(&Default::default())
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();

    // 1. The compare-and-set alone on an open connection: FETCH (FLAGS MODSEQ) + conditional STORE.
    let server_cfg = alice
        .server(0, alice.mailboxes().next().expect("m").1)
        .expect("server");
    let mut conn = tanto_mail::imap::Conn::open(&server_cfg).expect("connect");
    conn.select("INBOX", None).expect("select");
    let mut cas = Vec::new();
    for uid in 1..=n as u32 {
        let t = Instant::now();
        let (flags, modseq) = conn.fetch_state(uid).expect("fetch").expect("exists");
        let mut new = flags.clone();
        new.push("tanto-benchmark".into());
        conn.store_if_unchanged(uid, modseq, &new).expect("store");
        cas.push(t.elapsed());
    }
    stats("compare-and-set (open connection)", cas);

    // 2. Activity log append rate.
    conn.ensure_folder("Tanto/Activity").expect("folder");
    let t = Instant::now();
    for i in 0..n {
        let e = Event {
            kind: tanto_core::event::EventKind::Note,
            agent: "alice".into(),
            about: format!("msg{i}@customer.example"),
            conversation: "000000000000".into(),
            status: None,
            owner: None,
            at: 0,
            text: "benchmark note".into(),
            base: None,
            keywords: None,
            into: None,
            tags: None,
        };
        let raw = activity::build(&e, "support@example.com", "Alice", "Question").expect("build");
        conn.append("Tanto/Activity", &raw, &["\\Seen"])
            .expect("append");
    }
    let secs = t.elapsed().as_secs_f64();
    println!(
        "{:<34} {:.0} events/s ({n} in {secs:.2}s)",
        "activity log append",
        n as f64 / secs
    );
    conn.logout();

    // 3. Same host: carol shares alice's cache file (the jump-host case). She sees a claim as
    // soon as alice's command has written it there; measured by polling the change counter.
    let carol_cache = tanto_mail::cache::Cache::open(&dir.path().join("alice/cache.sqlite"), false)
        .expect("cache");
    let half = ids.len() / 2;
    let mut same_host = Vec::new();
    for id in &ids[half..] {
        let before = carol_cache.change_counter().expect("counter");
        let t = Instant::now();
        let alice2 = alice.clone();
        let id2 = id.clone();
        let worker =
            std::thread::spawn(move || perform(&alice2, &id2, &Action::Claim).expect("claim"));
        loop {
            if carol_cache.change_counter().expect("counter") != before {
                let c = carol_cache
                    .find_conversation(id)
                    .expect("query")
                    .expect("found");
                if c.assignee.as_deref() == Some("alice") {
                    same_host.push(t.elapsed());
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        let _ = worker.join();
    }
    stats("claim to seen, same host (shared cache)", same_host);

    // 4. Claim round trip, and the time until another host's cache shows it: bob waits on
    // IDLE, dave polls (team.live_poll_ms = 25).
    let quarter = half / 2;
    for (who, other, range) in [
        ("IDLE", &bob, &ids[..quarter]),
        ("poll 25 ms", &dave, &ids[quarter..half]),
    ] {
        let watcher = tanto_app::watch::Watcher::spawn(other.clone());
        let other_cache = other.cache().expect("cache");
        let _ = watcher.events.recv_timeout(Duration::from_secs(30));
        let mut round = Vec::new();
        let mut seen = Vec::new();
        for id in range {
            let t = Instant::now();
            let acted = perform(&alice, id, &Action::Claim).expect("claim");
            assert!(matches!(acted, Outcome::Won(_)), "{acted:?}");
            round.push(t.elapsed());
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                let c = other_cache
                    .find_conversation(id)
                    .expect("query")
                    .expect("found");
                if c.assignee.as_deref() == Some("alice") {
                    seen.push(t.elapsed());
                    break;
                }
                assert!(Instant::now() < deadline, "never seen: {id}");
                let _ = watcher.events.recv_timeout(Duration::from_millis(200));
            }
        }
        stats("claim round trip (tanto claim)", round);
        stats(&format!("claim to seen, other host ({who})"), seen);
        watcher.stop();
    }
}
