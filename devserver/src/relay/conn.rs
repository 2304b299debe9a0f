//! One relayed connection: a pump for each direction, sharing the fault pending on it.

use std::io::{BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::rules::{matchable, Fault};
use super::wire::{copy_exact, garble, read_line, read_response, trailing_literal};
use super::Shared;

/// A fault armed on this connection for the response to the command tagged `tag`.
struct Pending {
    tag: Vec<u8>,
    fault: Fault,
    garbled: bool,
}

/// Both sockets of one connection and the fault pending on it.
pub(crate) struct Conn {
    pub(crate) client: TcpStream,
    pub(crate) server: TcpStream,
    pending: Mutex<Option<Pending>>,
}

impl Conn {
    pub(crate) fn new(client: TcpStream, server: TcpStream) -> Conn {
        Conn {
            client,
            server,
            pending: Mutex::new(None),
        }
    }

    /// Ends both sides; the pumps' blocking reads return.
    pub(crate) fn cut(&self) {
        let _ = self.client.shutdown(Shutdown::Both);
        let _ = self.server.shutdown(Shutdown::Both);
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Option<Pending>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Client to server: command by command, applying holds and arming faults, passing the
/// bytes of literals through untouched. Cuts the connection when either side ends.
pub(crate) fn client_to_server(conn: &Conn, shared: &Shared) {
    let _ = pump_commands(conn, shared);
    conn.cut();
}

fn pump_commands(conn: &Conn, shared: &Shared) -> std::io::Result<()> {
    let mut from = BufReader::new(conn.client.try_clone()?);
    let mut to = conn.server.try_clone()?;
    while let Some(mut line) = read_line(&mut from)? {
        if let Some(text) = matchable(&line) {
            let decision = shared.rules().on_command(&text);
            if let Some(hold) = decision.hold {
                nap(shared, hold);
            }
            if let Some(fault) = decision.fault {
                let tag = line.split(|&b| b == b' ').next().unwrap_or_default();
                *conn.pending() = Some(Pending {
                    tag: tag.to_vec(),
                    fault,
                    garbled: false,
                });
            }
        }
        to.write_all(&line)?;
        // A command ending with a literal goes on after the literal's bytes.
        while let Some((n, _)) = trailing_literal(&line) {
            if !copy_exact(&mut from, &mut to, n)? {
                return Ok(());
            }
            match read_line(&mut from)? {
                Some(next) => {
                    to.write_all(&next)?;
                    line = next;
                }
                None => return Ok(()),
            }
        }
    }
    Ok(())
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

/// Server to client: response by response, garbling or swallowing the response to the
/// command a fault is pending on. Cuts the connection when either side ends.
pub(crate) fn server_to_client(conn: &Conn) {
    let _ = pump_responses(conn);
    conn.cut();
}

fn pump_responses(conn: &Conn) -> std::io::Result<()> {
    let mut from = BufReader::new(conn.server.try_clone()?);
    let mut to = conn.client.try_clone()?;
    while let Some(mut resp) = read_response(&mut from)? {
        let mut pending = conn.pending();
        if let Some(p) = pending.as_mut() {
            let tagged = resp.starts_with(&p.tag) && resp.get(p.tag.len()) == Some(&b' ');
            match p.fault {
                // The command was applied (its tagged response came) and the client never
                // hears of it.
                Fault::DropResponse if tagged => return Ok(()),
                // A continuation request ("+ ...") lets the command's literal through: the
                // command must reach the server whole for its answer to be the one lost.
                Fault::DropResponse if resp.starts_with(b"+") => {}
                Fault::DropResponse => continue,
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
    }
    Ok(())
}
