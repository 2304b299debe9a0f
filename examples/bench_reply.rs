//! The send benchmark (not a test): 200 replies on loopback (Dovecot, the aiosmtpd sink),
//! timed from "send" (the draft submitted: stale check, outbox append, compare-and-set,
//! SMTP, Sent, bookkeeping) to SMTP accepted (the sink's Maildir has it), to the command
//! returning, and to Done visible in a second agent's cache (a watcher on IDLE).
//!
//! Run with `bench/reply.sh [N]` (default 200 replies).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tanto_app::reply::{self, Options, Replied};
use tanto_app::reply_outbox::Sent;
use tanto_app::Ctx;
use tanto_core::status::Status;
use tanto_devserver::{sample_message, Dovecot, SmtpSink};

fn ctx(server: &Dovecot, sink: &SmtpSink, dir: &std::path::Path, id: &str) -> Ctx {
    Ctx::load(Some(&server.agent_config(
        dir,
        id,
        "agent",
        &sink.config_toml(),
    )))
    .expect("config")
}

fn stats(name: &str, mut v: Vec<Duration>) {
    v.sort();
    let pct = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    println!(
        "{name:<36} median {:>8.2?}  p99 {:>8.2?}  max {:>8.2?}  (n={})",
        pct(0.5),
        pct(0.99),
        v[v.len() - 1],
        v.len()
    );
}

fn delivered(sink: &SmtpSink) -> usize {
    std::fs::read_dir(sink.dir.path().join("new"))
        .map(|d| d.count())
        .unwrap_or(0)
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    let msgs: Vec<Vec<u8>> = (0..n).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = ctx(&server, &sink, &dir.path().join("alice"), "alice");
    let bob = ctx(&server, &sink, &dir.path().join("bob"), "bob");
    for c in [&alice, &bob] {
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
    let watcher = tanto_app::watch::Watcher::spawn(bob.clone());
    let bob_cache = bob.cache().expect("cache");
    let _ = watcher.events.recv_timeout(Duration::from_secs(30));

    let opts = Options::default();
    let (mut to_smtp, mut to_return, mut to_seen) = (Vec::new(), Vec::new(), Vec::new());
    for (k, id) in ids.iter().enumerate() {
        let p = match reply::prepare(&alice, id, &opts).expect("prepare") {
            Ok(p) => p,
            Err(r) => panic!("cannot reply to {id}: {r:?}"),
        };
        let draft = p.draft_with("Thank you for your message. We have looked into it.\n");
        let done = AtomicBool::new(false);
        let t = Instant::now();
        let smtp = std::thread::scope(|s| {
            let watch = s.spawn(|| {
                while delivered(&sink) <= k {
                    if done.load(Ordering::SeqCst) && delivered(&sink) <= k {
                        return None;
                    }
                    std::thread::sleep(Duration::from_micros(500));
                }
                Some(t.elapsed())
            });
            let r = reply::submit(&alice, &p, &draft, &opts).expect("submit");
            to_return.push(t.elapsed());
            assert!(
                matches!(r, Replied::Sent(Sent::Delivered { .. })),
                "{id}: {r:?}"
            );
            done.store(true, Ordering::SeqCst);
            watch.join().expect("join")
        });
        to_smtp.push(smtp.expect("SMTP received it"));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let c = bob_cache
                .find_conversation(id)
                .expect("query")
                .expect("found");
            if c.status == Status::Done {
                to_seen.push(t.elapsed());
                break;
            }
            assert!(Instant::now() < deadline, "never seen done: {id}");
            let _ = watcher.events.recv_timeout(Duration::from_millis(50));
        }
    }
    watcher.stop();
    assert_eq!(delivered(&sink), n, "each reply exactly once");
    stats("send to SMTP accepted", to_smtp);
    stats("send to command returned (all done)", to_return);
    stats("send to Done seen by a 2nd agent", to_seen);
}
