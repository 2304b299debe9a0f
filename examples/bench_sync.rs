//! Sync benchmark (not a test): a local Dovecot serving a realistic shared support mailbox
//! (a Maildir written by `gen_mailbox.py`, see bench/sync.sh), and the figures of `tanto`
//! beside the floor measured on the same server in the same run, in alternating pairs,
//! warm against warm, medians:
//!
//! - cold `sync --once` beside a bare connect, login, SELECT and `UID FETCH 1:*` of the items
//!   tanto's sync fetches, read to the end, timed whole;
//! - a no-change resync beside a bare login + `SELECT INBOX (QRESYNC ...)` + logout;
//! - a resync after 10 flag changes and 10 new messages beside the same QRESYNC SELECT and a
//!   `UID FETCH` of the new messages;
//! - `list --json` and one status tab (`list --status wip --json`), which have no IMAP floor;
//! - peak resident memory of every `tanto` run, from the OS (`wait4`'s rusage).
//!
//! Usage: bench_sync [--sdbox] [--rtt MS] [--mbit N] MAILDIR...   (each a `.../Maildir`
//!        directory; `--rtt`, `--mbit`: tanto and the floor through the devserver's relay,
//!        with that round trip and bandwidth)
//!        bench_sync --serve [--rtt MS] MAILDIR   (serve it and print a config, for profiling;
//!        with `--rtt` the config goes through the delay relay)

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use tanto_devserver::{Dovecot, Relay};

/// An IMAP connection to the bench server, logged in as `support`.
struct Raw {
    s: TcpStream,
    r: BufReader<TcpStream>,
    tag: u32,
}

impl Raw {
    fn login(port: u16) -> Raw {
        let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        let r = BufReader::new(s.try_clone().expect("clone"));
        let mut raw = Raw { s, r, tag: 0 };
        raw.read_until("* OK");
        raw.cmd("LOGIN support secret");
        raw
    }

    fn read_until(&mut self, tag: &str) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = Vec::new();
        loop {
            line.clear();
            if self.r.read_until(b'\n', &mut line).expect("read") == 0 {
                panic!("connection closed");
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            let done = text.starts_with(tag);
            // Only the untagged status lines are kept: the FETCH data is read and dropped.
            if text.starts_with("* OK [") || done {
                lines.push(text);
            }
            if done {
                return lines;
            }
        }
    }

    /// Sends a command and reads to its tagged response; returns the status lines.
    fn cmd(&mut self, c: &str) -> Vec<String> {
        self.tag += 1;
        let tag = format!("t{} ", self.tag);
        self.s
            .write_all(format!("{tag}{c}\r\n").as_bytes())
            .expect("write");
        let lines = self.read_until(&tag);
        assert!(
            lines
                .last()
                .is_some_and(|l| l[tag.len()..].starts_with("OK")),
            "{c}: {lines:?}"
        );
        lines
    }

    fn logout(mut self) {
        let _ = self.s.write_all(b"z LOGOUT\r\n");
    }
}

/// A number in a `* OK [NAME n]` line of a SELECT.
fn code(lines: &[String], name: &str) -> u64 {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&format!("* OK [{name} ")))
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {lines:?}"))
}

/// The cold floor: connect, log in, SELECT and one `UID FETCH 1:*` of the items tanto's sync
/// fetches (`imap::sync`), read to the end: timed whole, as a `tanto sync --once` is.
fn floor_fetch(port: u16) -> Duration {
    let started = Instant::now();
    let mut c = Raw::login(port);
    c.cmd("SELECT INBOX");
    c.cmd(
        "UID FETCH 1:* (UID FLAGS MODSEQ INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE \
         FROM TO CC REPLY-TO SUBJECT MESSAGE-ID IN-REPLY-TO REFERENCES LIST-ID AUTO-SUBMITTED \
         PRECEDENCE X-AUTOREPLY CONTENT-TYPE RETURN-PATH X-FAILED-RECIPIENTS X-TANTO-AGENT)])",
    );
    let t = started.elapsed();
    c.logout();
    t
}

/// The resync floor: log in, QRESYNC SELECT from `since` = (uidvalidity, modseq), fetch the
/// envelopes of the messages from `uidnext` on, log out.
fn floor_resync(port: u16, since: (u64, u64, u64)) -> Duration {
    let started = Instant::now();
    let mut c = Raw::login(port);
    c.cmd("ENABLE QRESYNC");
    let sel = c.cmd(&format!("SELECT INBOX (QRESYNC ({} {}))", since.0, since.1));
    if code(&sel, "UIDNEXT") > since.2 {
        c.cmd(&format!(
            "UID FETCH {}:* (UID FLAGS MODSEQ INTERNALDATE RFC822.SIZE ENVELOPE)",
            since.2
        ));
    }
    c.logout();
    started.elapsed()
}

/// (uidvalidity, highestmodseq, uidnext) of the inbox now.
fn inbox_state(port: u16) -> (u64, u64, u64) {
    let mut c = Raw::login(port);
    let sel = c.cmd("SELECT INBOX (CONDSTORE)");
    c.logout();
    (
        code(&sel, "UIDVALIDITY"),
        code(&sel, "HIGHESTMODSEQ"),
        code(&sel, "UIDNEXT"),
    )
}

/// Runs `tanto` and returns its wall time and peak resident memory (KiB).
fn tanto(config: &Path, args: &[&str]) -> (Duration, i64) {
    let started = Instant::now();
    let bin = std::env::var("TANTO_BIN").unwrap_or_else(|_| "target/release/tanto".into());
    // TANTO_BENCH_WRAP="perf record -g -o FILE": a profiler in front of every tanto run.
    let wrap: Vec<String> = std::env::var("TANTO_BENCH_WRAP")
        .map(|w| w.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    let mut command = match wrap.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(&bin);
            c
        }
        None => Command::new(&bin),
    };
    let child = command
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

fn median<T: Ord + Copy>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

/// A new message for the resync rounds.
fn new_message(round: usize, k: usize) -> Vec<u8> {
    format!(
        "From: Bench <bench{k}@customer.example>\r\nTo: support@acme.example\r\n\
         Subject: New question {round}-{k}\r\nDate: Mon, 2 Nov 2026 10:00:00 +0900\r\n\
         Message-ID: <bench-{round}-{k}@customer.example>\r\n\r\nHello\r\n"
    )
    .into_bytes()
}

/// A server whose `support` user holds a hard-linked copy of `maildir` (in maildir, or
/// converted to sdbox), indexed once so that the server's first indexing is not timed.
fn serve(maildir: &Path, sdbox: bool) -> Dovecot {
    // sdbox: the server reads ~/sdbox, filled from the maildir below.
    let server = Dovecot::start_with(if sdbox {
        "mail_location = sdbox:~/sdbox"
    } else {
        "mail_location = maildir:~/Maildir"
    });
    let home = server.dir.path().join("mail").join("support");
    std::fs::create_dir_all(&home).expect("home");
    let copy = home.join("Maildir");
    // Hard links when on the same file system (Dovecot renames, never rewrites, a maildir
    // file), else a copy.
    let cp = |flags: &str| {
        Command::new("cp")
            .arg(flags)
            .arg(maildir)
            .arg(&copy)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !cp("-al") {
        let _ = std::fs::remove_dir_all(&copy);
        assert!(cp("-a"), "cp -a {}", maildir.display());
    }
    // The mail belongs to whom the server reads it as: the owner of its mail directory.
    let owner = std::fs::metadata(server.dir.path().join("mail")).expect("mail dir");
    use std::os::unix::fs::MetadataExt;
    let ok = Command::new("chown")
        .arg("-R")
        .arg(format!("{}:{}", owner.uid(), owner.gid()))
        .arg(&home)
        .status()
        .expect("chown");
    assert!(ok.success(), "chown");
    if sdbox {
        // A reverse backup pulls the maildir into the configured (sdbox) location.
        server.doveadm(&["backup", "-R", "-u", "support", "maildir:~/Maildir"]);
    }
    server.doveadm(&["index", "-u", "support", "INBOX"]);
    server
}

fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

fn bench(maildir: &Path, sdbox: bool, rtt: Option<u64>, mbit: Option<u64>) {
    let server = serve(maildir, sdbox);
    let n = inbox_state(server.port).2 - 1;
    let fmt = if sdbox { "sdbox" } else { "maildir" };
    // Through the delay relay when asked: tanto and the floor over the same link.
    let relay = (rtt.is_some() || mbit.is_some()).then(|| {
        let r = Relay::start(server.port);
        r.delay(Duration::from_micros(rtt.unwrap_or(0) * 500));
        if let Some(m) = mbit {
            r.bandwidth(m * 125_000);
        }
        r
    });
    let port = relay.as_ref().map_or(server.port, |r| r.port());
    let link = rtt.map_or(String::new(), |ms| format!(", {ms} ms round trip"))
        + &mbit.map_or(String::new(), |m| format!(", {m} Mbit/s"));
    println!("== {n} messages, {fmt}{link} ({}) ==", maildir.display());
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache.sqlite");
    let config = dir.path().join("bench.toml");
    write_config(&server, port, &config, &cache);
    let drop_cache = || {
        for s in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{s}", cache.display()));
        }
    };
    // Warm Dovecot's cache for both: its fields are added on first request.
    floor_fetch(port);
    tanto(&config, &["sync", "--once"]);
    let pairs = if n > 50_000 { 3 } else { 5 };
    let (mut f_cold, mut t_cold, mut rss_cold) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..pairs {
        f_cold.push(floor_fetch(port));
        drop_cache();
        let (t, rss) = tanto(&config, &["sync", "--once"]);
        t_cold.push(t);
        rss_cold.push(rss);
    }
    let (mut f_none, mut t_none) = (Vec::new(), Vec::new());
    for _ in 0..9 {
        let since = inbox_state(server.port);
        f_none.push(floor_resync(port, since));
        t_none.push(tanto(&config, &["sync", "--once"]).0);
    }
    let (mut f_chg, mut t_chg) = (Vec::new(), Vec::new());
    for round in 0..5 {
        let since = inbox_state(server.port);
        let uids: Vec<String> = (1..=10)
            .map(|k| ((k * 997 + round * 131) as u64 % n + 1).to_string())
            .collect();
        let flag = if round % 2 == 0 { "+" } else { "-" };
        server.store(
            "support",
            "INBOX",
            &uids.join(","),
            &format!("{flag}FLAGS (\\Flagged)"),
        );
        let msgs: Vec<Vec<u8>> = (0..10).map(|k| new_message(round, k)).collect();
        server.append_many("support", "INBOX", &msgs);
        f_chg.push(floor_resync(port, since));
        t_chg.push(tanto(&config, &["sync", "--once"]).0);
    }
    let mut list = Vec::new();
    let mut list_rss = Vec::new();
    let mut tab = Vec::new();
    for _ in 0..5 {
        let (t, rss) = tanto(&config, &["list", "--json"]);
        list.push(t);
        list_rss.push(rss);
        tab.push(tanto(&config, &["list", "--status", "wip", "--json"]).0);
    }
    let (fc, tc) = (median(f_cold), median(t_cold));
    let (fnc, tnc) = (median(f_none), median(t_none));
    let (fch, tch) = (median(f_chg), median(t_chg));
    let ratio = |t: Duration, f: Duration| t.as_secs_f64() / f.as_secs_f64();
    println!("| {n} {fmt} | floor | tanto | ratio |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| cold `sync --once` | {} | {} | {:.2}x ({:.1} us/msg) |",
        secs(fc),
        secs(tc),
        ratio(tc, fc),
        tc.as_secs_f64() * 1e6 / n as f64
    );
    println!(
        "| no-change resync | {} | {} | {:.2}x |",
        secs(fnc),
        secs(tnc),
        ratio(tnc, fnc)
    );
    println!(
        "| resync, 10 flags + 10 new | {} | {} | {:.2}x |",
        secs(fch),
        secs(tch),
        ratio(tch, fch)
    );
    println!("| `list --json` | - | {} | |", secs(median(list)));
    println!(
        "| `list --status wip --json` | - | {} | |",
        secs(median(tab))
    );
    println!(
        "| peak RSS: cold sync / list --json | - | {:.1} MB / {:.1} MB | |",
        median(rss_cold) as f64 / 1024.0,
        median(list_rss) as f64 / 1024.0
    );
    let size: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", cache.display())).ok())
        .map(|m| m.len())
        .sum();
    println!("cache size: {:.1} MB", size as f64 / 1e6);
}

/// Writes a tanto config for `server` at `config`, with its cache at `cache`.
fn write_config(server: &Dovecot, port: u16, config: &Path, cache: &Path) {
    std::fs::write(
        config,
        server
            .config_toml_via(port, "support", cache, "bench")
            .replace("support@example.com", "support@acme.example")
            .replace(
                "password_env = \"TANTO_TEST_PASSWORD\"",
                "password_command = \"echo secret\"",
            ),
    )
    .expect("config");
}

/// The mailboxes named on the command line: the arguments that are neither flags nor a
/// flag's number.
fn maildirs() -> Vec<PathBuf> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    args.iter()
        .enumerate()
        .filter(|(i, a)| {
            !a.starts_with("--") && (*i == 0 || !matches!(args[i - 1].as_str(), "--rtt" | "--mbit"))
        })
        .map(|(_, a)| PathBuf::from(a))
        .collect()
}

/// The number after `flag` on the command line, if given.
fn flag_value(flag: &str) -> Option<u64> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse::<u64>().unwrap_or_else(|_| panic!("{flag} N")))
}

fn main() {
    let sdbox = std::env::args().any(|a| a == "--sdbox");
    if std::env::args().any(|a| a == "--serve") {
        // For profiling by hand: serve the first mailbox, print a config, stay up.
        let dir = maildirs()
            .into_iter()
            .next()
            .expect("usage: bench_sync --serve [--rtt MS] MAILDIR");
        let server = serve(Path::new(&dir), sdbox);
        // `--rtt MS`: the config goes through the delay relay, to trace a slow link by hand
        // (`TANTO_TRACE=commands`).
        let relay = flag_value("--rtt").map(|ms| {
            let r = Relay::start(server.port);
            r.delay(Duration::from_micros(ms * 500));
            r
        });
        let config = server.dir.path().join("bench.toml");
        write_config(
            &server,
            relay.as_ref().map_or(server.port, |r| r.port()),
            &config,
            &server.dir.path().join("cache.sqlite"),
        );
        println!("{}", config.display());
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
    let (rtt, mbit) = (flag_value("--rtt"), flag_value("--mbit"));
    let dirs = maildirs();
    assert!(
        !dirs.is_empty(),
        "usage: bench_sync [--sdbox] [--rtt MS] [--mbit N] MAILDIR..."
    );
    for d in dirs {
        bench(&d, sdbox, rtt, mbit);
    }
}
