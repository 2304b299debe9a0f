//! The relay's delay rule against a real Dovecot: a delay line (latency, not throughput),
//! a bandwidth cap, and the other rules with it.

mod wire;

use std::time::{Duration, Instant};

use tanto_devserver::{sample_message, Dovecot, Profile, Relay, PASSWORD};
use wire::Wire;

const MS: Duration = Duration::from_millis(1);

/// A raw client through the relay, logged in as `support`.
fn login(relay: &Relay) -> Wire {
    let (mut wire, greeting) = Wire::connect(relay);
    assert!(greeting.starts_with("* OK"), "{greeting}");
    ok(&mut wire, "l", &format!("LOGIN support {PASSWORD}"));
    wire
}

/// Runs `tag command`, which must succeed; its untagged responses.
fn ok(wire: &mut Wire, tag: &str, command: &str) -> Vec<String> {
    let (untagged, tagged) = wire.run(tag, command);
    assert!(tagged.starts_with(&format!("{tag} OK")), "{tagged}");
    untagged
}

/// The time of one command's round trip (to its tagged OK).
fn timed(wire: &mut Wire, tag: &str, command: &str) -> Duration {
    let t = Instant::now();
    ok(wire, tag, command);
    t.elapsed()
}

/// The round trips of five NOOPs, one after the other.
fn noops(wire: &mut Wire, prefix: &str) -> Vec<Duration> {
    (0..5)
        .map(|i| timed(wire, &format!("{prefix}{i}"), "NOOP"))
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[test]
fn a_noop_round_trip_costs_two_one_way_delays() {
    let dc = Dovecot::start();
    let relay = Relay::start(dc.port);
    relay.delay(50 * MS);
    let mut wire = login(&relay);
    let rtts = noops(&mut wire, "n");
    eprintln!("NOOP round trips at 50 ms one way: {rtts:?}");
    assert!(rtts.iter().all(|t| *t >= 100 * MS), "{rtts:?}");
    assert!(median(rtts.clone()) <= 130 * MS, "{rtts:?}");

    // Each direction its own: 10 ms to the server, 60 ms back.
    relay.delay_each(10 * MS, 60 * MS);
    let rtts = noops(&mut wire, "e");
    eprintln!("NOOP round trips at 10 ms + 60 ms: {rtts:?}");
    assert!(rtts.iter().all(|t| *t >= 70 * MS), "{rtts:?}");
    assert!(median(rtts.clone()) <= 100 * MS, "{rtts:?}");

    // Lifted: loopback again.
    relay.delay(Duration::ZERO);
    let t = timed(&mut wire, "z", "NOOP");
    assert!(t < 30 * MS, "{t:?}");
}

#[test]
fn pipelined_commands_share_one_round_trip() {
    let dc = Dovecot::start();
    let uid = dc.append("support", "INBOX", &big_message(1_000_000), &[]);
    let relay = Relay::start(dc.port);
    relay.delay(50 * MS);
    let mut wire = login(&relay);
    timed(&mut wire, "s", "SELECT INBOX");

    // Twenty NOOPs written at once: one round trip, not twenty (2 s).
    let pipelined: String = (1..=20).map(|i| format!("p{i} NOOP\r\n")).collect();
    let t = Instant::now();
    wire.send(pipelined.as_bytes());
    let (before, last) = wire.until("p20");
    let took = t.elapsed();
    let answered = before.iter().filter(|l| l.contains(" OK NOOP")).count();
    assert_eq!(answered, 19, "{before:?}");
    assert!(last.starts_with("p20 OK"), "{last}");
    eprintln!("20 pipelined NOOPs at 50 ms one way: {took:?}");
    assert!(took >= 100 * MS, "{took:?}");
    assert!(took < 150 * MS, "pipelined NOOPs took {took:?}");

    // The delay takes no throughput: a megabyte costs the round trip, not more.
    let took = timed(&mut wire, "f", &format!("UID FETCH {uid} BODY.PEEK[]"));
    assert!(took >= 100 * MS, "{took:?}");
    eprintln!("1 MB FETCH at 50 ms one way, no cap: {took:?}");
    assert!(took < 500 * MS, "1 MB FETCH at 50 ms one way took {took:?}");
}

/// A message of exactly `size` bytes (`size` > 1000).
fn big_message(size: usize) -> Vec<u8> {
    let mut m = b"From: Big <big@customer.example>\r\nTo: support@example.com\r\n\
                  Subject: A big one\r\nMessage-ID: <big@customer.example>\r\n\r\n"
        .to_vec();
    let line = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ab\r\n";
    while m.len() + line.len() <= size - 2 {
        m.extend_from_slice(line);
    }
    m.resize(size - 2, b'x');
    m.extend_from_slice(b"\r\n");
    m
}

#[test]
fn a_megabyte_fetch_at_a_megabyte_per_second_takes_a_second() {
    let dc = Dovecot::start();
    let uid = dc.append("support", "INBOX", &big_message(1_000_000), &[]);
    let relay = Relay::start(dc.port);
    let mut wire = login(&relay);
    timed(&mut wire, "s", "SELECT INBOX");
    relay.bandwidth(1_000_000);
    let t = Instant::now();
    let fetched = ok(&mut wire, "f", &format!("UID FETCH {uid} BODY.PEEK[]"));
    let took = t.elapsed();
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert!(fetched[0].len() > 1_000_000, "{}", fetched[0].len());
    eprintln!("1 MB FETCH at 1 MB/s: {took:?}");
    assert!(took >= 1000 * MS, "{took:?}");
    assert!(took < 1400 * MS, "1 MB at 1 MB/s took {took:?}");

    // The cap lifted: loopback speed.
    relay.bandwidth(0);
    let took = timed(&mut wire, "g", &format!("UID FETCH {uid} BODY.PEEK[]"));
    assert!(took < 400 * MS, "{took:?}");
}

#[test]
fn holds_faults_and_profiles_work_behind_the_delay() {
    let dc = Dovecot::start();
    let uid = dc.append("support", "INBOX", &sample_message(1, None), &[]);
    let relay = Relay::start_as(dc.port, Profile::Microsoft365);
    relay.delay(50 * MS);
    let mut wire = login(&relay);
    timed(&mut wire, "s", "SELECT INBOX");

    // A hold adds to the delay.
    relay.hold(" STORE ", 300 * MS);
    let took = timed(
        &mut wire,
        "h",
        &format!("UID STORE {uid} +FLAGS (\\Flagged)"),
    );
    eprintln!("STORE held 300 ms at 50 ms one way: {took:?}");
    assert!(took >= 400 * MS, "{took:?}");
    assert!(took < 600 * MS, "{took:?}");
    relay.release_holds();

    // The relay's own answer (Exchange knows no ENABLE) comes a round trip later too.
    let t = Instant::now();
    wire.send(b"e ENABLE QRESYNC\r\n");
    let answer = wire.response();
    let took = t.elapsed();
    assert_eq!(answer, "e BAD Command Error. 10\r\n");
    eprintln!("the relay's own answer at 50 ms one way: {took:?}");
    assert!(took >= 100 * MS, "{took:?}");
    assert!(took < 250 * MS, "{took:?}");

    // A response swallowed by a fault: what was answered before it still arrives, then the
    // cut; the STORE was applied.
    relay.drop_response(" STORE ", 1);
    let pipelined = format!("a NOOP\r\nb UID STORE {uid} +FLAGS (\\Seen)\r\nc NOOP\r\n");
    wire.send(pipelined.as_bytes());
    let a = wire.try_response();
    assert!(a.as_ref().is_some_and(|a| a.starts_with("a OK")), "{a:?}");
    assert_eq!(wire.try_response(), None, "cut after the NOOP's answer");
    assert!(dc
        .flags("support", "INBOX", uid)
        .contains(&"\\Seen".to_string()));
    assert_eq!(relay.faults_fired(), 1);
}

#[test]
fn dropping_a_delayed_relay_cuts_at_once_and_delivers_nothing_on_its_way() {
    let dc = Dovecot::start();
    let uid = dc.append("support", "INBOX", &sample_message(1, None), &[]);
    let relay = Relay::start(dc.port);
    let mut commands = login(&relay);
    timed(&mut commands, "s", "SELECT INBOX");
    let mut responses = login(&relay);
    relay.delay(Duration::from_secs(10));
    // A STORE on its way to the server, a NOOP's answer on its way back.
    commands.send(format!("t UID STORE {uid} +FLAGS (\\Flagged)\r\n").as_bytes());
    responses.send(b"n NOOP\r\n");
    std::thread::sleep(200 * MS);
    assert_eq!(relay.count(" STORE "), 0, "still on the line");
    let t = Instant::now();
    drop(relay);
    eprintln!("dropping a relay of 10 s one way: {:?}", t.elapsed());
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert_eq!(commands.try_response(), None);
    assert_eq!(responses.try_response(), None);
    std::thread::sleep(200 * MS);
    assert!(!dc
        .flags("support", "INBOX", uid)
        .contains(&"\\Flagged".to_string()));
}
