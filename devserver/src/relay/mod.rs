//! A fault-injecting relay: a TCP proxy on 127.0.0.1 in front of a test server's plain IMAP
//! port, for tests of races and lost responses.
//!
//! ```ignore
//! let dc = Dovecot::start();
//! let relay = Relay::start(dc.port);
//! // Every STORE waits 1 s, so that all contenders read before anyone writes.
//! relay.hold(" STORE ", Duration::from_secs(1));
//! // The 2nd STORE is applied, but its client is cut off before hearing the answer.
//! relay.drop_response(" STORE ", 2);
//! let config = dc.config_toml_via(relay.port(), "support", &cache, "alice");
//! // ... run agents ...
//! assert_eq!(relay.count(" STORE "), 8);
//! ```
//!
//! Rules may be armed before the first client connects or at any time after: they live
//! behind a mutex shared with every connection. A pattern is a case-insensitive substring of
//! the command line with its tag removed but the space after the tag kept, so ` STORE `
//! matches `a1 STORE ...` and `a1 UID STORE ...`; a command that goes on after a literal is
//! matched on its first line. Literals (`{n}`, `{n+}`) pass through untouched. Holds apply
//! to every matching command until `release_holds`; faults fire once.
//!
//! A delay rule makes the relay a slow network link, for figures and tests of round trips:
//!
//! ```ignore
//! let relay = Relay::start(dc.port);
//! relay.delay(Duration::from_millis(25)); // each way: a 50 ms round trip
//! relay.delay_each(Duration::from_millis(10), Duration::from_millis(40)); // or per direction
//! relay.bandwidth(1_000_000); // and at most 1 MB/s each way (0: no cap)
//! ```
//!
//! The delay sits between the client and the relay: a command reaches the rules (holds,
//! faults, the profile) `one_way` after the client sent it, and everything the client is
//! sent, the relay's own answers included, reaches it `one_way` after it was put on the way.
//! It is a delay line, not a throttle: every chunk read is forwarded `one_way` after it was
//! read, in order, and throughput is unchanged, so that 100 pipelined commands cost one round
//! trip, not 100. With a bandwidth cap each direction is one link for all connections: a
//! chunk waits for the bytes ahead of it and takes `len / rate` to send. Holds add to the
//! delay; a connection cut by a fault or by the server ends when the cut reaches the client,
//! behind the responses sent before it. The TCP handshake is not delayed: connecting costs
//! nothing (over a real link it costs a round trip before the greeting, and TLS one or two
//! more).
//!
//! Each connection has four threads (two per direction: one reads and timestamps, the other
//! forwards when due); dropping the relay cuts every connection at once, whatever is still
//! on its way, and joins all of its threads.
//!
//! A [`Profile`] makes the server behind the relay look like a service the tests cannot
//! reach, from its published behaviour: capabilities, flags, refusals.
//!
//! ```ignore
//! let relay = Relay::start_as(dc.port, Profile::Microsoft365);
//! // CAPABILITY reads `IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 ... LITERAL+`, PERMANENTFLAGS
//! // `(\Seen \Answered \Flagged \Deleted \Draft $MDNSent)`; `UID STORE 5 +FLAGS
//! // (tanto-wip)` is answered `NO` by the relay, `SELECT INBOX (CONDSTORE)` `BAD`.
//! ```
//!
//! **Microsoft 365** (Exchange Online): the capabilities above, before and after login (in
//! `* CAPABILITY` and in every `[CAPABILITY ...]` code); `* FLAGS` and `[PERMANENTFLAGS]`
//! list the five system flags and `$MDNSent`, FETCH responses show no other keyword and no
//! MODSEQ, and `[HIGHESTMODSEQ]`/`[NOMODSEQ]` are removed. The relay answers itself, the
//! server never seeing the command: a STORE naming any other flag (`+FLAGS`, `-FLAGS` or
//! `FLAGS`) with `NO Command failed.`; CONDSTORE/QRESYNC syntax (SELECT/EXAMINE parameters,
//! `UNCHANGEDSINCE`, `CHANGEDSINCE`, `VANISHED`, MODSEQ in FETCH or SEARCH, STATUS
//! HIGHESTMODSEQ), SEARCH KEYWORD/UNKEYWORD, ESEARCH's `RETURN` and LIST-EXTENDED with
//! `BAD Command Argument Error. 11`; a command Exchange does not know (ENABLE, NOTIFY,
//! MYRIGHTS, ...) with `BAD Command Error. 10`. APPEND drops the keywords from its flags.
//! Password LOGIN goes through (Exchange Online refuses it: OAuth2 only), so that tests log
//! in as everywhere else.
//!
//! **Gmail**: `IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS
//! COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS
//! LITERAL- SPECIAL-USE APPENDLIMIT=35651584` plus the server's AUTH= mechanisms; keywords
//! (PERMANENTFLAGS `\*`) and CONDSTORE as the server has them; `(QRESYNC ...)` on SELECT and
//! `VANISHED` get `BAD Could not parse command`; `ENABLE QRESYNC` gets `* ENABLED` without
//! QRESYNC (RFC 5161); commands Gmail does not know (NOTIFY, MYRIGHTS, ...) `BAD Unknown
//! command`.
//!
//! A command is judged on its first line; the lines after its literals are only rewritten
//! (APPEND's flags). Literals' bytes, either way, are never looked into.

mod conn;
mod delay;
mod profile;
mod rules;
mod tokens;
mod wire;

use std::collections::HashMap;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use conn::Conn;
use delay::Links;
pub use profile::Profile;
use rules::{Fault, Rules};

use crate::server::HOST;
use crate::{Session, PASSWORD};

/// State shared by the relay's handle, its accept loop and its connections.
pub(crate) struct Shared {
    rules: Mutex<Rules>,
    /// The delay and bandwidth of each direction, shared by every connection.
    links: Mutex<Links>,
    /// The profile of connections opened from now on.
    profile: Mutex<Option<Profile>>,
    conns: Mutex<HashMap<u64, Arc<Conn>>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    stop: AtomicBool,
}

impl Shared {
    fn rules(&self) -> MutexGuard<'_, Rules> {
        self.rules.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn links(&self) -> MutexGuard<'_, Links> {
        self.links.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn profile(&self) -> MutexGuard<'_, Option<Profile>> {
        self.profile.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn conns(&self) -> MutexGuard<'_, HashMap<u64, Arc<Conn>>> {
        self.conns.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn threads(&self) -> MutexGuard<'_, Vec<JoinHandle<()>>> {
        self.threads.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running relay. Dropping it stops it: every connection is cut and every thread joined.
pub struct Relay {
    port: u16,
    upstream: u16,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Relay {
    /// Listens on a free port of 127.0.0.1 and relays each connection to `upstream_port`
    /// on 127.0.0.1 (a `Dovecot`'s `port`), with no rule armed.
    pub fn start(upstream_port: u16) -> Relay {
        Relay::start_with(upstream_port, None)
    }

    /// Like `start`, making the server look like `profile`'s service to every client.
    pub fn start_as(upstream_port: u16, profile: Profile) -> Relay {
        Relay::start_with(upstream_port, Some(profile))
    }

    fn start_with(upstream_port: u16, profile: Option<Profile>) -> Relay {
        let listener = TcpListener::bind((HOST, 0)).expect("bind the relay on 127.0.0.1:0");
        let port = listener.local_addr().expect("relay's local_addr").port();
        let shared = Arc::new(Shared {
            rules: Mutex::new(Rules::default()),
            links: Mutex::new(Links::default()),
            profile: Mutex::new(profile),
            conns: Mutex::new(HashMap::new()),
            threads: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let accept = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name(format!("relay-{port}"))
                .spawn(move || accept_loop(&listener, upstream_port, &shared))
                .expect("spawn the relay's accept thread")
        };
        Relay {
            port,
            upstream: upstream_port,
            shared,
            accept: Some(accept),
        }
    }

    /// The port on 127.0.0.1 clients connect to (e.g. for `Dovecot::config_toml_via`).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Makes the server look like `profile`'s service to the connections opened from now on.
    pub fn profile(&self, profile: Profile) {
        *self.shared.profile() = Some(profile);
    }

    /// Holds every command matching `pattern` for `duration` before forwarding it (other
    /// connections go on meanwhile), until `release_holds`.
    pub fn hold(&self, pattern: &str, duration: Duration) {
        self.shared.rules().hold(pattern, duration);
    }

    /// Delays every byte by `one_way` in each direction, as a network link would (a round
    /// trip costs `2 × one_way`). A delay line, not a throttle: each chunk is forwarded
    /// `one_way` after the relay read it, in order, so that pipelined commands share one
    /// round trip. For every connection, from the next byte read on; `Duration::ZERO` lifts
    /// it.
    pub fn delay(&self, one_way: Duration) {
        self.delay_each(one_way, one_way);
    }

    /// Like `delay`, with a delay of its own for each direction: `to_server` for what the
    /// client sends, `to_client` for what it is sent (the server's responses and the
    /// relay's own answers).
    pub fn delay_each(&self, to_server: Duration, to_client: Duration) {
        let mut links = self.shared.links();
        links.to_server.set_delay(to_server);
        links.to_client.set_delay(to_client);
    }

    /// Caps each direction at `bytes_per_sec`, shared by all connections as one link's
    /// bandwidth is: a chunk waits for the bytes ahead of it, takes `len / bytes_per_sec`
    /// to send and arrives with the last of its bytes (plus the delay). Big responses are
    /// delivered in pieces of about 10 ms of sending. 0 lifts the cap.
    pub fn bandwidth(&self, bytes_per_sec: u64) {
        let mut links = self.shared.links();
        links.to_server.set_rate(bytes_per_sec);
        links.to_client.set_rate(bytes_per_sec);
    }

    /// Removes every hold; commands already held finish their wait.
    pub fn release_holds(&self) {
        self.shared.rules().release_holds();
    }

    /// Once: the `nth` command matching `pattern` from now on (1 = the next) gets one line
    /// of its response made unparsable (its first untagged data line, else its tagged line).
    /// The `imap` crate reports such a line as `Error::Bye` ("no explanation given").
    pub fn garble_response(&self, pattern: &str, nth: usize) {
        self.shared.rules().arm(pattern, nth, Fault::Garble);
    }

    /// Once: the `nth` command matching `pattern` from now on (1 = the next) reaches the
    /// server, which applies it; its response is swallowed and the client's connection cut.
    pub fn drop_response(&self, pattern: &str, nth: usize) {
        self.shared.rules().arm(pattern, nth, Fault::DropResponse);
    }

    /// How many armed faults have fired so far.
    pub fn faults_fired(&self) -> usize {
        self.shared.rules().fired()
    }

    /// How many commands matching `pattern` clients have sent so far (all connections).
    pub fn count(&self, pattern: &str) -> usize {
        self.shared.rules().count(pattern)
    }

    /// Every command seen so far, as patterns see it (no tag, no literal bytes).
    pub fn commands(&self) -> Vec<String> {
        self.shared.rules().seen()
    }

    /// A logged-in session (`imap` crate) as `user`/`secret` through the relay.
    pub fn session(&self, user: &str) -> Session {
        let tcp = TcpStream::connect((HOST, self.port))
            .unwrap_or_else(|e| panic!("connect to the relay on 127.0.0.1:{}: {e}", self.port));
        tcp.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("set read timeout");
        let mut client = imap::Client::new(tcp);
        client.read_greeting().expect("read IMAP greeting");
        client
            .login(user, PASSWORD)
            .unwrap_or_else(|(e, _)| panic!("IMAP LOGIN as {user} through the relay: {e}"))
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop with a connection of our own.
        let _ = TcpStream::connect((HOST, self.port));
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        for conn in self.shared.conns().values() {
            conn.cut();
        }
        let threads = std::mem::take(&mut *self.shared.threads());
        for t in threads {
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Relay(127.0.0.1:{} -> {})", self.port, self.upstream)
    }
}

/// One of a connection's threads.
type Job = Box<dyn FnOnce(&Conn, &Shared) + Send>;

fn accept_loop(listener: &TcpListener, upstream: u16, shared: &Arc<Shared>) {
    let mut next_id = 0u64;
    for client in listener.incoming() {
        if shared.stop.load(Ordering::Relaxed) {
            return;
        }
        let Ok(client) = client else { continue };
        // A server that is down (e.g. restarting) refuses: so does the relay, by closing.
        let Ok(server) = TcpStream::connect((HOST, upstream)) else {
            continue;
        };
        // The relay writes what it has as soon as it is due: Nagle's algorithm would hold a
        // small write back for the peer's delayed ACK (40 ms), a latency the link has not.
        let _ = client.set_nodelay(true);
        let _ = server.set_nodelay(true);
        next_id += 1;
        let id = next_id;
        let profile = *shared.profile();
        let (conn, ends) = Conn::new(client, server, profile);
        let conn = Arc::new(conn);
        shared.conns().insert(id, Arc::clone(&conn));
        let (to_server_tx, to_server_rx) = ends.to_server;
        let to_client_rx = ends.to_client;
        let jobs: Vec<Job> = vec![
            Box::new(move |c, s| conn::read_client(c, s, &to_server_tx)),
            Box::new(move |c, s| conn::client_to_server(c, s, to_server_rx)),
            Box::new(conn::server_to_client),
            Box::new(move |c, s| conn::write_client(c, s, &to_client_rx)),
        ];
        conn.live.store(jobs.len(), Ordering::Relaxed);
        let mut threads = shared.threads();
        // Forget the threads of connections that ended.
        threads.retain(|t| !t.is_finished());
        for job in jobs {
            let (c, s) = (Arc::clone(&conn), Arc::clone(shared));
            let spawned = std::thread::Builder::new()
                .name(format!("relay-conn-{id}"))
                .spawn(move || {
                    job(&c, &s);
                    // The last thread of the connection forgets it.
                    if c.live.fetch_sub(1, Ordering::Relaxed) == 1 {
                        s.conns().remove(&id);
                    }
                });
            match spawned {
                Ok(t) => threads.push(t),
                Err(_) => {
                    conn.live.fetch_sub(1, Ordering::Relaxed);
                    conn.cut();
                }
            }
        }
    }
}
