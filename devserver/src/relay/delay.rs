//! The delay rule: each direction of the relay is a link with a one-way delay and an
//! optional bandwidth cap, and a delay line carries the bytes across it.
//!
//! A link schedules each chunk of bytes when it is read: with a cap, the chunk waits for the
//! bytes ahead of it to be sent (one direction of the relay is one link, shared by every
//! connection), takes `len / rate` to send, and arrives `one_way` after its last byte was
//! sent; without one, it arrives `one_way` after it was read. A delay line is a channel of
//! scheduled chunks: whoever reads its end sleeps until each chunk's time, in order, so that
//! the delay adds latency and takes no throughput (100 pipelined commands cost one round trip,
//! not 100).
//!
//! The scheduling is plain arithmetic on `Instant`s, unit-tested without sockets.

use std::io::{self, Read};
use std::sync::mpsc::{Receiver, Sender};
use std::time::{Duration, Instant};

/// One direction of the relay: the client's commands to the server, or everything the
/// client is sent (the server's responses and the relay's own answers).
#[derive(Debug, Default)]
pub(crate) struct Link {
    one_way: Duration,
    /// Bytes per second; 0: no cap.
    rate: u64,
    /// When the bytes already scheduled are all sent (with a cap).
    free_at: Option<Instant>,
}

/// Both directions.
#[derive(Debug, Default)]
pub(crate) struct Links {
    pub(crate) to_server: Link,
    pub(crate) to_client: Link,
}

impl Link {
    pub(crate) fn set_delay(&mut self, one_way: Duration) {
        self.one_way = one_way;
    }

    /// Caps the link at `bytes_per_sec` (0: no cap). Bytes already scheduled keep their time.
    pub(crate) fn set_rate(&mut self, bytes_per_sec: u64) {
        self.rate = bytes_per_sec;
        if bytes_per_sec == 0 {
            self.free_at = None;
        }
    }

    /// The largest piece a chunk is cut into, so that a capped link delivers a big response
    /// as it is sent (about 10 ms of sending a piece), not all at once at the end.
    pub(crate) fn piece(&self) -> usize {
        if self.rate == 0 {
            usize::MAX
        } else {
            usize::try_from(self.rate / 100)
                .unwrap_or(usize::MAX)
                .clamp(1024, 64 * 1024)
        }
    }

    /// When `len` bytes read at `now` reach the other side. Calls must come in the order the
    /// bytes are to go in: each waits for the ones scheduled before it to be sent.
    pub(crate) fn schedule(&mut self, now: Instant, len: usize) -> Instant {
        let sent = if self.rate == 0 {
            now
        } else {
            let start = self.free_at.map_or(now, |free| free.max(now));
            let nanos = len as u128 * 1_000_000_000 / u128::from(self.rate);
            let end = start + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
            self.free_at = Some(end);
            end
        };
        sent + self.one_way
    }

    /// Schedules `bytes` read at `now`, cut into pieces (see `piece`): each piece with the
    /// time it arrives.
    pub(crate) fn schedule_pieces(
        &mut self,
        now: Instant,
        bytes: Vec<u8>,
    ) -> Vec<(Instant, Vec<u8>)> {
        let piece = self.piece();
        if bytes.len() <= piece {
            let due = self.schedule(now, bytes.len());
            return vec![(due, bytes)];
        }
        bytes
            .chunks(piece)
            .map(|p| (self.schedule(now, p.len()), p.to_vec()))
            .collect()
    }
}

/// What travels on a delay line.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Item {
    Bytes(Vec<u8>),
    /// The end of the stream: the connection is cut when it arrives (in order, after the
    /// bytes sent before it).
    End,
}

/// A delay line's sending end: items with the time each is due on the other side.
pub(crate) type Line = Sender<(Instant, Item)>;

/// Sleeps until `due`, in short naps so that `stopped` is noticed promptly. False when
/// `stopped` said so first.
pub(crate) fn wait_until(due: Instant, stopped: impl Fn() -> bool) -> bool {
    loop {
        if stopped() {
            return false;
        }
        let left = due.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(10)));
    }
}

/// The far end of a delay line as a byte stream: each chunk can be read once it is due.
/// End of stream at `Item::End`, when the sending end is gone, or once `stopped` says so
/// (what is still on the line is then never read).
pub(crate) struct Arrivals<S: Fn() -> bool> {
    rx: Receiver<(Instant, Item)>,
    chunk: Vec<u8>,
    at: usize,
    ended: bool,
    stopped: S,
}

impl<S: Fn() -> bool> Arrivals<S> {
    pub(crate) fn new(rx: Receiver<(Instant, Item)>, stopped: S) -> Arrivals<S> {
        Arrivals {
            rx,
            chunk: Vec::new(),
            at: 0,
            ended: false,
            stopped,
        }
    }
}

impl<S: Fn() -> bool> Read for Arrivals<S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.chunk.len() {
            if self.ended || (self.stopped)() {
                return Ok(0);
            }
            match self.rx.recv() {
                Ok((due, Item::Bytes(bytes))) => {
                    if !wait_until(due, &self.stopped) {
                        self.ended = true;
                        return Ok(0);
                    }
                    self.chunk = bytes;
                    self.at = 0;
                }
                Ok((_, Item::End)) | Err(_) => {
                    self.ended = true;
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc::channel;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn without_a_cap_every_chunk_arrives_one_way_after_it_was_read() {
        let mut link = Link::default();
        link.set_delay(50 * MS);
        let t0 = Instant::now();
        // Pipelined chunks do not wait for each other: latency, not throughput.
        for i in 0..100 {
            let read = t0 + i * MS;
            assert_eq!(link.schedule(read, 1_000_000), read + 50 * MS);
        }
    }

    #[test]
    fn a_capped_link_sends_one_chunk_after_the_other_then_adds_the_delay() {
        let mut link = Link::default();
        link.set_delay(50 * MS);
        link.set_rate(1_000_000);
        let t0 = Instant::now();
        // 10 kB take 10 ms to send, the next 10 kB read at the same time 10 ms more.
        assert_eq!(link.schedule(t0, 10_000), t0 + 60 * MS);
        assert_eq!(link.schedule(t0, 10_000), t0 + 70 * MS);
        // Read while the link is still busy: waits for it.
        assert_eq!(link.schedule(t0 + 5 * MS, 1_000), t0 + 71 * MS);
        // Read after the link went idle: starts at once.
        assert_eq!(link.schedule(t0 + 500 * MS, 1_000), t0 + 551 * MS);
        // Lifting the cap: the delay alone.
        link.set_rate(0);
        assert_eq!(link.schedule(t0 + 500 * MS, 1_000), t0 + 550 * MS);
    }

    #[test]
    fn a_megabyte_at_a_megabyte_per_second_arrives_in_pieces_over_a_second() {
        let mut link = Link::default();
        link.set_rate(1_000_000);
        let t0 = Instant::now();
        let pieces = link.schedule_pieces(t0, vec![7; 1_000_000]);
        assert_eq!(pieces.len(), 100, "10 kB pieces, 10 ms each");
        assert!(pieces.iter().all(|(_, p)| p.len() == 10_000));
        assert_eq!(pieces[0].0, t0 + 10 * MS);
        assert_eq!(pieces[99].0, t0 + 1000 * MS);
        assert!(pieces.windows(2).all(|w| w[0].0 < w[1].0));
        // Uncapped, a chunk stays whole.
        let mut open = Link::default();
        open.set_delay(5 * MS);
        let whole = open.schedule_pieces(t0, vec![7; 1_000_000]);
        assert_eq!(whole.len(), 1);
        assert_eq!(whole[0].0, t0 + 5 * MS);
    }

    #[test]
    fn arrivals_are_read_in_order_at_their_time_and_end_at_end() {
        let (tx, rx) = channel();
        let t0 = Instant::now();
        tx.send((t0 + 30 * MS, Item::Bytes(b"ab".to_vec())))
            .expect("send");
        // Due earlier but sent later: still after "ab" (a line never reorders).
        tx.send((t0 + 10 * MS, Item::Bytes(b"cd".to_vec())))
            .expect("send");
        tx.send((t0 + 40 * MS, Item::End)).expect("send");
        tx.send((t0, Item::Bytes(b"never".to_vec()))).expect("send");
        let mut arrivals = Arrivals::new(rx, || false);
        let mut got = String::new();
        arrivals.read_to_string(&mut got).expect("read");
        assert_eq!(got, "abcd");
        let took = t0.elapsed();
        assert!(took >= 30 * MS, "{took:?}");
        assert!(took < 500 * MS, "{took:?}");
    }

    #[test]
    fn a_stopped_line_ends_at_once_and_delivers_nothing_more() {
        let (tx, rx) = channel();
        let stop = AtomicBool::new(false);
        let t0 = Instant::now();
        tx.send((t0, Item::Bytes(b"now".to_vec()))).expect("send");
        tx.send((t0 + Duration::from_secs(30), Item::Bytes(b"late".to_vec())))
            .expect("send");
        let mut arrivals = Arrivals::new(rx, || stop.load(Ordering::Relaxed));
        let mut buf = [0; 16];
        assert_eq!(arrivals.read(&mut buf).expect("read"), 3);
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(20 * MS);
                stop.store(true, Ordering::Relaxed);
            });
            assert_eq!(arrivals.read(&mut buf).expect("read"), 0);
        });
        assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
        assert_eq!(arrivals.read(&mut buf).expect("read"), 0);
    }
}
