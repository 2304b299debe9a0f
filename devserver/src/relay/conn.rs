//! One relayed connection, four threads: the client's bytes read onto the delay line to the
//! server; commands taken off that line when due and relayed (holds, faults, the profile);
//! responses read from the server and put on the delay line to the client; and that line
//! written to the client when each piece is due. The pumps share the fault pending on the
//! connection and the right to put a whole response on the line to the client (the relay
//! answers some commands itself).
//!
//! The connection ends in order: the end of either stream, or a response swallowed by a
//! fault, goes down the line to the client behind what was sent before it, and the
//! connection is cut when it gets there. `cut` (the relay dropped, a socket failing) ends it
//! at once, and nothing still on a line is delivered.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use super::delay::{wait_until, Arrivals, Item, Line};
use super::profile::{Profile, Verdict};
use super::rules::{matchable, Fault};
use super::wire::{copy_exact, garble, read_line, read_response, trailing_literal};
use super::Shared;

/// A fault armed on this connection for the response to the command tagged `tag`.
struct Pending {
    tag: Vec<u8>,
    fault: Fault,
    garbled: bool,
}

/// Both sockets of one connection, its profile, the fault pending on it and the sending end
/// of its line to the client.
pub(crate) struct Conn {
    pub(crate) client: TcpStream,
    pub(crate) server: TcpStream,
    profile: Option<Profile>,
    pending: Mutex<Option<Pending>>,
    /// Held while a whole response is put on the line to the client.
    writing: Mutex<()>,
    to_client: Line,
    cut: AtomicBool,
    /// Threads of this connection still running.
    pub(crate) live: AtomicUsize,
}

/// The receiving ends of a new connection's lines, for the threads that take from them.
pub(crate) struct Ends {
    pub(crate) to_server: (Line, Receiver<(Instant, Item)>),
    pub(crate) to_client: Receiver<(Instant, Item)>,
}

impl Conn {
    pub(crate) fn new(
        client: TcpStream,
        server: TcpStream,
        profile: Option<Profile>,
    ) -> (Conn, Ends) {
        let (to_client, to_client_rx) = channel();
        let conn = Conn {
            client,
            server,
            profile,
            pending: Mutex::new(None),
            writing: Mutex::new(()),
            to_client,
            cut: AtomicBool::new(false),
            live: AtomicUsize::new(0),
        };
        let ends = Ends {
            to_server: channel(),
            to_client: to_client_rx,
        };
        (conn, ends)
    }

    /// Ends both sides at once; the threads' blocking reads and waits return, and nothing
    /// still on a line is delivered.
    pub(crate) fn cut(&self) {
        self.cut.store(true, Ordering::Relaxed);
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
        // Wakes the writer if it is waiting for something to write.
        let _ = self.to_client.send((Instant::now(), Item::End));
    }

    fn is_cut(&self) -> bool {
        self.cut.load(Ordering::Relaxed)
    }

    /// Ends the connection in order: it is cut once everything already on the line to the
    /// client has reached it.
    fn end_to_client(&self, shared: &Shared) {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let due = shared.links().to_client.schedule(Instant::now(), 0);
        let _ = self.to_client.send((due, Item::End));
    }

    fn pending(&self) -> MutexGuard<'_, Option<Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts one whole response on the line to the client, garbling or swallowing it when a
    /// fault is pending on its command. False when the client is to be cut off.
    fn deliver(&self, mut resp: Vec<u8>, shared: &Shared) -> bool {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let mut pending = self.pending();
        if let Some(p) = pending.as_mut() {
            let tagged = resp.starts_with(&p.tag) && resp.get(p.tag.len()) == Some(&b' ');
            match p.fault {
                // The command was applied (its tagged response came) and the client never
                // hears of it.
                Fault::DropResponse if tagged => return false,
                Fault::DropResponse if resp.starts_with(b"* ") => return true,
                // A continuation request ("+ ...") lets the command's literal through: the
                // command must reach the server whole for its answer to be the one lost.
                // The tagged answers of the commands pipelined before it get through too.
                Fault::DropResponse => {}
                Fault::Garble => {
                    if !p.garbled && (tagged || resp.starts_with(b"* ")) {
                        let skip = if tagged { p.tag.len() + 1 } else { 2 };
                        garble(&mut resp, skip);
                        p.garbled = true;
                    }
                    if tagged {
                        *pending = None;
                    }
                }
            }
        }
        drop(pending);
        let pieces = shared
            .links()
            .to_client
            .schedule_pieces(Instant::now(), resp);
        for (due, piece) in pieces {
            let _ = self.to_client.send((due, Item::Bytes(piece)));
        }
        true
    }
}

/// The client's bytes onto the line to the server, each chunk scheduled when it is read;
/// the end of the client's stream goes down the line behind them.
pub(crate) fn read_client(conn: &Conn, shared: &Shared, line: &Line) {
    let mut from = &conn.client;
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let pieces = shared
            .links()
            .to_server
            .schedule_pieces(Instant::now(), buf[..n].to_vec());
        for (due, piece) in pieces {
            if line.send((due, Item::Bytes(piece))).is_err() {
                return;
            }
        }
    }
    let due = shared.links().to_server.schedule(Instant::now(), 0);
    let _ = line.send((due, Item::End));
}

/// The line to the client onto its socket, each piece when it is due; cuts the connection
/// at the line's end, or when the client cannot be written to.
pub(crate) fn write_client(conn: &Conn, shared: &Shared, line: &Receiver<(Instant, Item)>) {
    let mut to = &conn.client;
    let stopped = || conn.is_cut() || shared.stop.load(Ordering::Relaxed);
    while let Ok((due, item)) = line.recv() {
        if !wait_until(due, stopped) {
            break;
        }
        match item {
            Item::Bytes(bytes) if to.write_all(&bytes).is_ok() => {}
            _ => break,
        }
    }
    conn.cut();
}

/// Client to server, from the line when each command is due: command by command,
/// applying holds, arming faults and the profile, passing the bytes of literals through
/// untouched. Ends the connection (in order) when either side ends.
pub(crate) fn client_to_server(conn: &Conn, shared: &Shared, line: Receiver<(Instant, Item)>) {
    let stopped = || conn.is_cut() || shared.stop.load(Ordering::Relaxed);
    let mut from = BufReader::new(Arrivals::new(line, stopped));
    let _ = pump_commands(conn, shared, &mut from);
    conn.end_to_client(shared);
}

fn pump_commands(conn: &Conn, shared: &Shared, from: &mut impl BufRead) -> io::Result<()> {
    let mut to = &conn.server;
    while let Some(mut line) = read_line(from)? {
        // The command's name, for the profile to rewrite the lines after its literals.
        let mut name = None;
        if let Some(text) = matchable(&line) {
            let decision = shared.rules().on_command(&text);
            if let Some(hold) = decision.hold {
                // The relay was dropped during the hold: the command never reaches the
                // server (its client is cut off, as every other client is).
                let stopped = || conn.is_cut() || shared.stop.load(Ordering::Relaxed);
                if !wait_until(Instant::now() + hold, stopped) {
                    return Ok(());
                }
            }
            if let Some(fault) = decision.fault {
                let tag = line.split(|&b| b == b' ').next().unwrap_or_default();
                *conn.pending() = Some(Pending {
                    tag: tag.to_vec(),
                    fault,
                    garbled: false,
                });
            }
            if let Some(profile) = conn.profile {
                match profile.on_command(&line) {
                    Verdict::Forward => {}
                    Verdict::Rewrite(new) => line = new,
                    Verdict::Answer(resp) => {
                        if !skip_literals(from, &line)? || !conn.deliver(resp, shared) {
                            return Ok(());
                        }
                        continue;
                    }
                }
                name = Profile::command_name(&line);
            }
        }
        to.write_all(&line)?;
        // A command ending with a literal goes on after the literal's bytes.
        while let Some((n, _)) = trailing_literal(&line) {
            if !copy_exact(from, &mut to, n)? {
                return Ok(());
            }
            let Some(mut next) = read_line(from)? else {
                return Ok(());
            };
            if let (Some(profile), Some(name)) = (conn.profile, &name) {
                if let Some(new) = profile.on_continuation(name, &next) {
                    next = new;
                }
            }
            to.write_all(&next)?;
            line = next;
        }
    }
    Ok(())
}

/// After the relay answered a command itself: reads and drops what the client sends of it
/// without waiting (non-synchronizing literals, `{n+}`, and the lines after them). A
/// synchronizing literal is never sent, the client having had its answer instead of `+`.
/// False when the client's side ends first.
fn skip_literals(from: &mut impl BufRead, line: &[u8]) -> io::Result<bool> {
    let mut line = line.to_vec();
    while let Some((n, open)) = trailing_literal(&line) {
        if !line[open..].contains(&b'+') {
            return Ok(true);
        }
        if !copy_exact(from, &mut io::sink(), n)? {
            return Ok(false);
        }
        match read_line(from)? {
            Some(next) => line = next,
            None => return Ok(false),
        }
    }
    Ok(true)
}

/// Server to client, onto the line to the client: response by response, rewritten by the
/// profile, garbling or swallowing the response to the command a fault is pending on. Ends
/// the connection (in order) when either side ends.
pub(crate) fn server_to_client(conn: &Conn, shared: &Shared) {
    let _ = pump_responses(conn, shared);
    conn.end_to_client(shared);
}

fn pump_responses(conn: &Conn, shared: &Shared) -> io::Result<()> {
    let mut from = BufReader::new(&conn.server);
    while let Some(resp) = read_response(&mut from)? {
        let resp = match conn.profile {
            Some(profile) => match profile.on_response(resp) {
                Some(resp) => resp,
                None => continue,
            },
            None => resp,
        };
        if !conn.deliver(resp, shared) {
            return Ok(());
        }
    }
    Ok(())
}
