//! Header decoding as the first sync does it: each message's header block, cut down to the
//! fields the sync FETCHes (`BODY.PEEK[HEADER.FIELDS (...)]`), through `mime::parse_headers`.
//! Prints microseconds per message.
//!
//! `python3 bench/gen_mailbox.py --n 3000 --maildir /tmp/hdr-maildir --seed 2`
//! then `cargo run --release --example bench_headers -- /tmp/hdr-maildir [rounds]`.

use std::path::Path;
use std::time::Instant;

/// The fields of the sync's FETCH (crates/tanto-mail/src/imap/sync.rs), lower-cased.
const FIELDS: &[&str] = &[
    "date",
    "from",
    "to",
    "cc",
    "reply-to",
    "subject",
    "message-id",
    "in-reply-to",
    "references",
    "list-id",
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "content-type",
    "return-path",
    "x-failed-recipients",
    "x-tanto-agent",
];

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(maildir) = args.next() else {
        eprintln!("usage: bench_headers MAILDIR [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(20);
    let blocks = read_blocks(Path::new(&maildir));
    if blocks.is_empty() {
        eprintln!("no messages under {maildir}/cur or {maildir}/new");
        std::process::exit(1);
    }
    let bytes: usize = blocks.iter().map(Vec::len).sum();
    println!(
        "{} header blocks, {} bytes on average",
        blocks.len(),
        bytes / blocks.len()
    );
    // One round to warm the caches, then the timed ones.
    let mut sink = 0usize;
    for block in &blocks {
        sink += tanto_mail::mime::parse_headers(block).subject.len();
    }
    let start = Instant::now();
    let cpu_start = thread_cpu_seconds();
    for _ in 0..rounds {
        for block in &blocks {
            sink += tanto_mail::mime::parse_headers(block).subject.len();
        }
    }
    let messages = (rounds * blocks.len()) as f64;
    let wall = start.elapsed().as_secs_f64() * 1e6 / messages;
    let cpu = (thread_cpu_seconds() - cpu_start) * 1e6 / messages;
    // On a shared machine the CPU time is the steadier figure.
    println!(
        "parse_headers: {wall:.2} µs/message wall, {cpu:.2} µs CPU ({rounds} rounds; checksum {sink})"
    );
}

/// This thread's CPU time, in seconds.
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill in.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// Each message's header block with only the FETCHed fields, CRLF line ends and the final
/// empty line, as the IMAP server sends it.
fn read_blocks(maildir: &Path) -> Vec<Vec<u8>> {
    let mut paths = Vec::new();
    for sub in ["cur", "new"] {
        if let Ok(entries) = std::fs::read_dir(maildir.join(sub)) {
            paths.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()));
        }
    }
    paths.sort();
    paths
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .map(|raw| fetched_fields(&raw))
        .collect()
}

fn fetched_fields(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut keep = false;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        let content = content.strip_suffix(b"\r").unwrap_or(content);
        if content.is_empty() {
            break;
        }
        if !matches!(content[0], b' ' | b'\t') {
            let name = content.split(|&b| b == b':').next().unwrap_or_default();
            let name = String::from_utf8_lossy(name).trim().to_ascii_lowercase();
            keep = FIELDS.contains(&name.as_str());
        }
        if keep {
            out.extend_from_slice(content);
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}
