//! The byte stream under the `imap` crate's session, shared with `bulk_fetch`.
//!
//! The crate re-parses a response from its start every time a literal line arrives, which
//! costs O(lines²) per message on a FETCH of header blocks and doubled the time of an initial
//! sync. For that one command tanto writes through the crate (so its tag counter stays right)
//! and reads the response itself, framing lines and literals and parsing each response once.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use imap::extensions::idle::SetReadTimeout;

/// The most a server may send on one connection (`[limits]` in the config, in bytes here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub line: u64,
    pub response: u64,
    pub message: u64,
}

impl Limits {
    /// From the config's `[limits]` (MiB).
    pub fn from_config(l: &crate::settings::Limits) -> Limits {
        let mib = |v: u64| v.saturating_mul(1 << 20);
        Limits {
            line: mib(l.imap_line_mib),
            response: mib(l.imap_response_mib),
            message: mib(l.message_mib),
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::from_config(&crate::settings::Limits::default())
    }
}

/// Which of `Limits` a server broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    Line,
    Response,
    Message,
}

impl Over {
    /// The config key that raises this limit.
    pub fn key(self) -> &'static str {
        match self {
            Over::Line => "limits.imap_line_mib",
            Over::Response => "limits.imap_response_mib",
            Over::Message => "limits.message_mib",
        }
    }
}

/// A server sent more than `Limits` allow: the connection is dropped, and the error says
/// which limit and which config key raises it. Not a network failure: never retried.
#[derive(Debug, thiserror::Error)]
#[error("the server sent more than the {mib} MiB {key} allows", key = what.key())]
pub struct OverLimit {
    pub what: Over,
    pub mib: u64,
}

impl OverLimit {
    /// The `OverLimit` inside an I/O error, if that is what it is.
    pub fn of(e: &io::Error) -> Option<&OverLimit> {
        e.get_ref().and_then(|r| r.downcast_ref::<OverLimit>())
    }
}

/// The bytes of a line's end kept to spot a literal's `{N}` (a 20-digit size fits).
const TAIL: usize = 32;

/// Where a response read stands, to hold it to `Limits` as its bytes arrive.
#[derive(Default)]
struct Meter {
    /// Bytes of the current line so far (literals aside).
    line: u64,
    /// The last bytes of the current line, to spot a literal's `{N}` at its end.
    tail: Vec<u8>,
    /// Bytes of a literal still to come.
    literal_left: u64,
    /// Bytes since the last command was written.
    response: u64,
}

impl Meter {
    /// Counts `bytes` as read; an error when they break a limit.
    fn count(&mut self, limits: &Limits, mut bytes: &[u8]) -> io::Result<()> {
        let over = |what, mib| io::Error::new(io::ErrorKind::InvalidData, OverLimit { what, mib });
        self.response += bytes.len() as u64;
        if self.response > limits.response {
            return Err(over(Over::Response, limits.response >> 20));
        }
        while !bytes.is_empty() {
            if self.literal_left > 0 {
                let n = (self.literal_left).min(bytes.len() as u64);
                self.literal_left -= n;
                bytes = &bytes[n as usize..];
                continue;
            }
            let (line_part, rest, ended) = match bytes.iter().position(|&b| b == b'\n') {
                Some(i) => (&bytes[..=i], &bytes[i + 1..], true),
                None => (bytes, &bytes[bytes.len()..], false),
            };
            self.line += line_part.len() as u64;
            if self.line > limits.line {
                return Err(over(Over::Line, limits.line >> 20));
            }
            // Only a line's last bytes can announce a literal: a long line is not copied.
            self.tail
                .extend_from_slice(&line_part[line_part.len().saturating_sub(TAIL)..]);
            if self.tail.len() > TAIL {
                self.tail.drain(..self.tail.len() - TAIL);
            }
            if ended {
                if let Some(n) = literal_announced(&self.tail) {
                    if n > limits.message {
                        return Err(over(Over::Message, limits.message >> 20));
                    }
                    self.literal_left = n;
                }
                self.line = 0;
                self.tail.clear();
            }
            bytes = rest;
        }
        Ok(())
    }
}

/// The size a line ending in `{N}\r\n` (or `{N+}`) announces for the literal after it.
fn literal_announced(line: &[u8]) -> Option<u64> {
    let line = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))?;
    let line = line.strip_suffix(b"}")?;
    let line = line.strip_suffix(b"+").unwrap_or(line);
    let open = line.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&line[open + 1..]).ok()?.parse().ok()
}

struct Inner {
    stream: imap::Connection,
    limits: Limits,
    meter: Meter,
    /// Bytes read past the end of a bulk response, served first to the next reader.
    pending: VecDeque<u8>,
    /// Something was written since the last read: the next read waits for the server.
    wrote: bool,
    /// Commands to send right after the next flush of a write (`send_after_next_command`).
    after_flush: Vec<u8>,
    /// Reads stop at the end of a line (`one_line_reads`).
    line_reads: bool,
}

/// IMAP round trips of this process so far: each time it reads an answer to what it wrote
/// (pipelined commands count once; a LOGOUT nobody waits for, not at all).
static ROUND_TRIPS: AtomicU64 = AtomicU64::new(0);
/// IMAP connections this process opened (each a TCP and TLS handshake, a greeting, a login).
static CONNECTIONS: AtomicU64 = AtomicU64::new(0);

/// (round trips, connections) of this process so far, for `TANTO_TRACE` and tests.
pub fn traffic() -> (u64, u64) {
    (
        ROUND_TRIPS.load(Ordering::Relaxed),
        CONNECTIONS.load(Ordering::Relaxed),
    )
}

/// The command a write starts, for the trace: `tag VERB ...` on its first line, with a
/// login's or an authentication's arguments left out; None for a literal's bytes.
fn command_line(buf: &[u8]) -> Option<String> {
    let line = buf.split(|&b| b == b'\n').next()?;
    let line = String::from_utf8_lossy(line);
    let mut words = line.split(' ');
    let tag = words.next()?;
    let verb = words.next()?;
    let is_command = !tag.is_empty()
        && tag.len() <= 12
        && tag.bytes().all(|b| b.is_ascii_alphanumeric())
        && !verb.is_empty()
        && verb.bytes().all(|b| b.is_ascii_uppercase());
    if !is_command {
        return None;
    }
    if matches!(verb, "LOGIN" | "AUTHENTICATE") {
        return Some(format!("{tag} {verb} …"));
    }
    let clean: String = line
        .trim_end()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(160)
        .collect();
    Some(clean)
}

/// A cloneable handle on the connection's stream.
#[derive(Clone)]
pub struct Shared(Arc<Mutex<Inner>>);

impl Shared {
    pub fn new(stream: imap::Connection, limits: Limits) -> Shared {
        CONNECTIONS.fetch_add(1, Ordering::Relaxed);
        Shared(Arc::new(Mutex::new(Inner {
            stream,
            limits,
            meter: Meter::default(),
            pending: VecDeque::new(),
            wrote: false,
            after_flush: Vec::new(),
            line_reads: false,
        })))
    }

    /// Sends `commands` (complete lines, tagged apart from the crate's `aN`) right behind
    /// the next command written, in the same round trip: how a login carries the commands
    /// every session starts with (RFC 3501 5.5 pipelining).
    pub fn send_after_next_command(&self, commands: &[u8]) -> io::Result<()> {
        let mut inner = self.lock()?;
        inner.after_flush = commands.to_vec();
        inner.wrote = false;
        Ok(())
    }

    /// While on, a read returns at most one line: the crate's reader then takes only its
    /// own answer and leaves what follows (pipelined answers) to be read here.
    pub fn one_line_reads(&self, on: bool) -> io::Result<()> {
        self.lock()?.line_reads = on;
        Ok(())
    }

    fn lock(&self) -> io::Result<MutexGuard<'_, Inner>> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("connection lock poisoned"))
    }

    /// Keeps bytes a bulk reader took too many of, for the next read.
    pub fn unread(&self, bytes: &[u8]) -> io::Result<()> {
        self.lock()?.pending.extend(bytes);
        Ok(())
    }
}

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut inner = self.lock()?;
        if !inner.pending.is_empty() {
            let mut n = buf.len().min(inner.pending.len());
            if inner.line_reads {
                if let Some(i) = inner.pending.iter().take(n).position(|&b| b == b'\n') {
                    n = i + 1;
                }
            }
            for (dst, src) in buf.iter_mut().zip(inner.pending.drain(..n)) {
                *dst = src;
            }
            return Ok(n);
        }
        let mut n = inner.stream.read(buf)?;
        let limits = inner.limits;
        inner.meter.count(&limits, &buf[..n])?;
        if inner.line_reads {
            if let Some(i) = buf[..n].iter().position(|&b| b == b'\n') {
                let rest = buf[i + 1..n].to_vec();
                // Kept in order ahead of anything read later.
                for b in rest.into_iter().rev() {
                    inner.pending.push_front(b);
                }
                n = i + 1;
            }
        }
        if n > 0 && inner.wrote {
            inner.wrote = false;
            let count = ROUND_TRIPS.fetch_add(1, Ordering::Relaxed) + 1;
            if crate::trace::on() {
                crate::trace::line(format!("round trip {count} answered"));
            }
        }
        Ok(n)
    }
}

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut inner = self.lock()?;
        if !buf.is_empty() {
            inner.wrote = true;
            // A new command: its response is counted from here.
            inner.meter.response = 0;
            if crate::trace::on() {
                if let Some(line) = command_line(buf) {
                    crate::trace::line(format!("> {line}"));
                }
            }
        }
        inner.stream.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut inner = self.lock()?;
        inner.stream.flush()?;
        if inner.wrote && !inner.after_flush.is_empty() {
            let more = std::mem::take(&mut inner.after_flush);
            if crate::trace::on() {
                for line in more.split(|&b| b == b'\n').filter_map(command_line) {
                    crate::trace::line(format!("> {line}"));
                }
            }
            inner.stream.write_all(&more)?;
            inner.stream.flush()?;
        }
        Ok(())
    }
}

impl SetReadTimeout for Shared {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> imap::Result<()> {
        self.lock()
            .map_err(imap::Error::Io)?
            .stream
            .set_read_timeout(timeout)
    }
}

/// Larger literals are refused rather than read (a message is far smaller).
const MAX_LITERAL: usize = 1 << 30;

/// At most this much is reserved for a literal before its bytes arrive: a server that
/// announces `{1073741824}` and sends little costs no more than this.
const LITERAL_RESERVE: usize = 4 << 20;

/// Reads complete responses (lines with their literals) from `r` until the tagged one;
/// calls `each` with every untagged response's bytes and returns the tagged line.
pub fn read_responses(
    r: &mut impl io::BufRead,
    mut each: impl FnMut(&[u8]),
) -> io::Result<Vec<u8>> {
    let mut resp = Vec::with_capacity(4096);
    loop {
        resp.clear();
        loop {
            let start = resp.len();
            if r.read_until(b'\n', &mut resp)? == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            match literal_len(&resp[start..]) {
                Some(n) => {
                    if n > MAX_LITERAL {
                        return Err(io::Error::other(format!(
                            "the server announced a literal of {n} bytes"
                        )));
                    }
                    read_literal(r, n, &mut resp)?;
                }
                None => break,
            }
        }
        if resp.starts_with(b"* ") || resp.starts_with(b"+ ") {
            each(&resp);
        } else {
            return Ok(resp);
        }
    }
}

/// Appends the `n` bytes of a literal to `out`, the buffer growing as they arrive.
fn read_literal(r: &mut impl io::BufRead, n: usize, out: &mut Vec<u8>) -> io::Result<()> {
    out.reserve(n.min(LITERAL_RESERVE));
    let mut left = n;
    while left > 0 {
        let available = r.fill_buf()?;
        if available.is_empty() {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let take = available.len().min(left);
        out.extend_from_slice(&available[..take]);
        r.consume(take);
        left -= take;
    }
    Ok(())
}

/// The size of the literal announced at the end of `line` (`{123}\r\n`), if any.
fn literal_len(line: &[u8]) -> Option<usize> {
    let line = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))?;
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|b| *b == b'{')?;
    let digits = &inner[open + 1..];
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trace_names_commands_and_never_credentials_or_message_text() {
        assert_eq!(
            command_line(b"a4 UID STORE 7 (UNCHANGEDSINCE 9) FLAGS (x)\r\n").as_deref(),
            Some("a4 UID STORE 7 (UNCHANGEDSINCE 9) FLAGS (x)")
        );
        assert_eq!(
            command_line(b"a1 LOGIN support secret\r\n").as_deref(),
            Some("a1 LOGIN …")
        );
        assert_eq!(command_line(b"From: a@b\r\nSubject: x\r\n"), None);
        assert_eq!(command_line(b"\r\n"), None);
    }

    #[test]
    fn responses_are_framed_with_their_literals() {
        let data = b"* 1 FETCH (UID 1 BODY[HEADER] {14}\r\nA: b\r\nC: {3}\r\n)\r\n* 2 FETCH (UID 2 FLAGS ())\r\na7 OK done\r\nextra";
        let mut r = io::BufReader::new(&data[..]);
        let mut got = Vec::new();
        let tagged = read_responses(&mut r, |b| got.push(b.to_vec())).expect("read");
        assert_eq!(tagged, b"a7 OK done\r\n");
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[0],
            b"* 1 FETCH (UID 1 BODY[HEADER] {14}\r\nA: b\r\nC: {3}\r\n)\r\n"
        );
        assert_eq!(literal_len(b"x {0}\r\n"), Some(0));
        assert_eq!(literal_len(b"x {a}\r\n"), None);
    }

    /// A stream that records the largest read it was asked for (the size of the buffer the
    /// reader had allocated for it).
    struct Liar {
        data: &'static [u8],
        largest_read: std::rc::Rc<std::cell::Cell<usize>>,
    }

    impl Read for Liar {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.largest_read
                .set(self.largest_read.get().max(buf.len()));
            let n = buf.len().min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn a_huge_announced_literal_is_not_allocated_before_it_arrives() {
        let largest_read = std::rc::Rc::new(std::cell::Cell::new(0));
        let liar = Liar {
            data: b"* 1 FETCH (UID 1 BODY[] {1073741824}\r\nonly this",
            largest_read: largest_read.clone(),
        };
        let mut r = io::BufReader::with_capacity(256 * 1024, liar);
        let err = read_responses(&mut r, |_| {}).expect_err("cut off");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
        assert!(
            largest_read.get() <= LITERAL_RESERVE,
            "read into a buffer of {} bytes",
            largest_read.get()
        );
    }
}
