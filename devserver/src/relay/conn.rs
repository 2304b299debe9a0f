//! One relayed connection: a pump for each direction, sharing the fault pending on it and
//! the right to write to the client (the relay answers some commands itself).

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

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

/// Both sockets of one connection, its profile and the fault pending on it.
pub(crate) struct Conn {
    pub(crate) client: TcpStream,
    pub(crate) server: TcpStream,
    profile: Option<Profile>,
    pending: Mutex<Option<Pending>>,
    /// Held while a whole response is written to the client.
    writing: Mutex<()>,
}

impl Conn {
    pub(crate) fn new(client: TcpStream, server: TcpStream, profile: Option<Profile>) -> Conn {
        Conn {
            client,
            server,
            profile,
            pending: Mutex::new(None),
            writing: Mutex::new(()),
        }
    }

    /// Ends both sides; the pumps' blocking reads return.
    pub(crate) fn cut(&self) {
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }

    fn pending(&self) -> MutexGuard<'_, Option<Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Writes one whole response to the client, garbling or swallowing it when a fault is
    /// pending on its command. False when the client is to be cut off.
    fn deliver(&self, mut resp: Vec<u8>, to: &mut TcpStream) -> io::Result<bool> {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let mut pending = self.pending();
        if let Some(p) = pending.as_mut() {
            let tagged = resp.starts_with(&p.tag) && resp.get(p.tag.len()) == Some(&b' ');
            match p.fault {
                // The command was applied (its tagged response came) and the client never
                // hears of it.
                Fault::DropResponse if tagged => return Ok(false),
                // A continuation request ("+ ...") lets the command's literal through: the
                // command must reach the server whole for its answer to be the one lost.
                Fault::DropResponse if resp.starts_with(b"+") => {}
                Fault::DropResponse => return Ok(true),
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
        to.write_all(&resp)?;
        Ok(true)
    }
}

/// Client to server: command by command, applying holds, arming faults and the profile,
/// passing the bytes of literals through untouched. Cuts the connection when either side
/// ends.
pub(crate) fn client_to_server(conn: &Conn, shared: &Shared) {
    let _ = pump_commands(conn, shared);
    conn.cut();
}

fn pump_commands(conn: &Conn, shared: &Shared) -> io::Result<()> {
    let mut from = BufReader::new(conn.client.try_clone()?);
    let mut to = conn.server.try_clone()?;
    let mut answer_to = conn.client.try_clone()?;
    while let Some(mut line) = read_line(&mut from)? {
        // The command's name, for the profile to rewrite the lines after its literals.
        let mut name = None;
        if let Some(text) = matchable(&line) {
            let decision = shared.rules().on_command(&text);
            if let Some(hold) = decision.hold {
                nap(shared, hold);
                // The relay was dropped during the hold: the command never reaches the
                // server (its client is cut off, as every other client is).
                if shared.stop.load(Ordering::Relaxed) {
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
                        if !skip_literals(&mut from, &line)?
                            || !conn.deliver(resp, &mut answer_to)?
                        {
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
            if !copy_exact(&mut from, &mut to, n)? {
                return Ok(());
            }
            let Some(mut next) = read_line(&mut from)? else {
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

/// Sleeps `hold`, in short naps so that dropping the relay is not kept waiting.
fn nap(shared: &Shared, hold: Duration) {
    let until = Instant::now() + hold;
    while !shared.stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(Duration::from_millis(10)));
    }
}

/// Server to client: response by response, rewritten by the profile, garbling or
/// swallowing the response to the command a fault is pending on. Cuts the connection when
/// either side ends.
pub(crate) fn server_to_client(conn: &Conn) {
    let _ = pump_responses(conn);
    conn.cut();
}

fn pump_responses(conn: &Conn) -> io::Result<()> {
    let mut from = BufReader::new(conn.server.try_clone()?);
    let mut to = conn.client.try_clone()?;
    while let Some(resp) = read_response(&mut from)? {
        let resp = match conn.profile {
            Some(profile) => match profile.on_response(resp) {
                Some(resp) => resp,
                None => continue,
            },
            None => resp,
        };
        if !conn.deliver(resp, &mut to)? {
            return Ok(());
        }
    }
    Ok(())
}
