//! Sync benchmark (not a test): fills a local Dovecot with N realistic messages and prints the
//! sync figures beside the floor, a bare `UID FETCH 1:* (UID FLAGS MODSEQ INTERNALDATE
//! RFC822.SIZE ENVELOPE)` read to the end on the same server in the same run.
//!
//! Run with `bench/sync.sh [N ...]` (default 10000 100000).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use tanto_devserver::Dovecot;

/// A realistic message: a few header lines of every kind a mailer adds, a quarter Japanese,
/// threads of 1-5 messages, bodies of 0.5-6 KB.
fn message(i: usize) -> Vec<u8> {
    let root = i - i % 4 * usize::from(i % 7 != 0);
    let reply = root != i;
    let japanese = i % 4 == 1;
    let mut m = String::new();
    m.push_str(&format!(
        "Return-Path: <c{root}@customer{}.example>\r\nReceived: from mx{} (mx.example [192.0.2.{}]) by imap.example with LMTP id {i}; Mon, 2 Nov 2026 10:00:00 +0900\r\n",
        root % 97,
        i % 5,
        i % 250
    ));
    m.push_str("DKIM-Signature: v=1; a=rsa-sha256; d=customer.example; s=s1; h=from:to:subject:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=dGhpcyBpcyBub3QgYSByZWFsIHNpZ25hdHVyZSwganVzdCBwYWRkaW5nIGZvciB0aGUgYmVuY2g=\r\n");
    m.push_str(&format!(
        "From: Customer {root} <c{root}@customer{}.example>\r\nTo: Support <support@example.com>\r\n",
        root % 97
    ));
    let subject = if japanese {
        "=?ISO-2022-JP?B?GyRCPiZJSiQsRk8kLSReJDskcxsoQg==?="
    } else {
        "Order question"
    };
    m.push_str(&format!(
        "Subject: {}{subject} #{root}\r\nDate: Mon, 2 Nov 2026 {:02}:{:02}:00 +0900\r\nMessage-ID: <m{i}@customer.example>\r\n",
        if reply { "Re: " } else { "" },
        (i / 60) % 24,
        i % 60
    ));
    if reply {
        m.push_str(&format!(
            "In-Reply-To: <m{}@customer.example>\r\nReferences: <m{root}@customer.example> <m{}@customer.example>\r\n",
            i - 1,
            i - 1
        ));
    }
    if i % 50 == 3 {
        m.push_str("List-Id: <news.example.com>\r\nPrecedence: bulk\r\n");
    }
    m.push_str("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
    let line = if japanese {
        "先週注文した商品がまだ届きません。確認をお願いします。\r\n"
    } else {
        "Hello, my order has not arrived yet, could you please check the status?\r\n"
    };
    for _ in 0..(5 + i % 60) {
        m.push_str(line);
    }
    m.into_bytes()
}

fn fill(server: &Dovecot, n: usize) {
    let started = Instant::now();
    let chunk = 5_000;
    let mut i = 0;
    while i < n {
        let msgs: Vec<Vec<u8>> = (i..(i + chunk).min(n)).map(message).collect();
        server.append_many("support", "INBOX", &msgs);
        i += chunk;
    }
    eprintln!("  filled {n} messages in {:.1?}", started.elapsed());
}

/// The floor: a bare FETCH of what a list needs, read to the end.
fn floor(port: u16) -> Duration {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut r = BufReader::new(s.try_clone().expect("clone"));
    let mut line = Vec::new();
    let mut read_until = |r: &mut BufReader<TcpStream>, tag: &[u8]| loop {
        line.clear();
        if r.read_until(b'\n', &mut line).expect("read") == 0 {
            panic!("connection closed");
        }
        if line.starts_with(tag) {
            break;
        }
    };
    read_until(&mut r, b"* OK");
    s.write_all(b"a LOGIN support secret\r\n").expect("write");
    read_until(&mut r, b"a ");
    s.write_all(b"b SELECT INBOX\r\n").expect("write");
    read_until(&mut r, b"b ");
    let started = Instant::now();
    s.write_all(b"c UID FETCH 1:* (UID FLAGS MODSEQ INTERNALDATE RFC822.SIZE ENVELOPE)\r\n")
        .expect("write");
    read_until(&mut r, b"c ");
    let t = started.elapsed();
    let _ = s.write_all(b"d LOGOUT\r\n");
    t
}

/// Runs `tanto` and returns its wall time and peak resident memory (KiB).
fn tanto(config: &Path, args: &[&str]) -> (Duration, i64) {
    let started = Instant::now();
    let child =
        Command::new(std::env::var("TANTO_BIN").unwrap_or_else(|_| "target/release/tanto".into()))
            .arg("--config")
            .arg(config)
            .args(args)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("spawn tanto");
    let mut status = 0;
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: wait4 on our own child with valid pointers.
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    assert_eq!(pid, child.id() as i32, "wait4");
    // Reaped by wait4 above; dropping the handle does not wait again.
    drop(child);
    assert_eq!(status, 0, "tanto {args:?} failed");
    (started.elapsed(), usage.ru_maxrss)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--serve") {
        // For profiling by hand: fill a server and keep it up.
        let n = std::env::args()
            .nth(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or(10_000);
        let server = Dovecot::start();
        fill(&server, n);
        let cfg = server.dir.path().join("bench.toml");
        let toml = server
            .config_toml("support", &server.dir.path().join("cache.sqlite"), "bench")
            .replace(
                "password_env = \"TANTO_TEST_PASSWORD\"",
                "password_command = \"echo secret\"",
            );
        std::fs::write(&cfg, toml).expect("config");
        println!("{}", cfg.display());
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000]
    } else {
        sizes
    };
    for n in sizes {
        println!("== {n} messages ==");
        let server = Dovecot::start();
        fill(&server, n);
        let dir = tempfile::tempdir().expect("tempdir");
        let cache = dir.path().join("cache.sqlite");
        let config = dir.path().join("bench.toml");
        std::fs::write(
            &config,
            server.config_toml("support", &cache, "bench").replace(
                "password_env = \"TANTO_TEST_PASSWORD\"",
                "password_command = \"echo secret\"",
            ),
        )
        .expect("config");

        let floor_cold = floor(server.port);
        let (initial, rss) = tanto(&config, &["sync", "--once"]);
        let floor_warm = floor(server.port);
        let nochange = median(
            (0..7)
                .map(|_| tanto(&config, &["sync", "--once"]).0)
                .collect(),
        );
        let mut flagged = Vec::new();
        for round in 0..5 {
            let uids: Vec<String> = (1..=10)
                .map(|k| (k * 97 + round * 13).to_string())
                .collect();
            server.store(
                "support",
                "INBOX",
                &uids.join(","),
                "+FLAGS (tanto-wip tanto-by-bench)",
            );
            flagged.push(tanto(&config, &["sync", "--once"]).0);
            server.store(
                "support",
                "INBOX",
                &uids.join(","),
                "-FLAGS (tanto-wip tanto-by-bench)",
            );
            tanto(&config, &["sync", "--once"]);
        }
        let list = median(
            (0..5)
                .map(|_| tanto(&config, &["list", "--json"]).0)
                .collect(),
        );
        let size: u64 = ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", cache.display())).ok())
            .map(|m| m.len())
            .sum();
        let floor_best = floor_cold.min(floor_warm);
        println!("floor (bare UID FETCH 1:* ... ENVELOPE): {floor_cold:.2?} first, {floor_warm:.2?} second");
        println!(
            "initial sync:              {initial:.2?}  ({:.2}x the first floor, {:.2}x the best)",
            initial.as_secs_f64() / floor_cold.as_secs_f64(),
            initial.as_secs_f64() / floor_best.as_secs_f64()
        );
        println!("no-change resync (median): {nochange:.2?}");
        println!(
            "resync after 10 flags:     {:.2?} (median of 5)",
            median(flagged)
        );
        println!("list --json (median):      {list:.2?}");
        println!("cache size:                {:.1} MB", size as f64 / 1e6);
        println!("peak memory (initial):     {:.1} MB", rss as f64 / 1024.0);
    }
}
