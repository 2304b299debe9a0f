//! Opening a connection: TCP with a time-out, TLS or STARTTLS, login, capabilities, ENABLE.

use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use imap_proto::types::{MailboxDatum, ResponseCode};
use imap_proto::Response;

use super::parse::{for_each_response, reason};
use super::{ImapError, Result};
use crate::settings::Tls;
use tanto_core::model::FlagUpdate;

use imap::extensions::idle::SetReadTimeout as _;

use super::transport::{read_responses, OverLimit, Shared};

type Session = imap::Session<Shared>;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Long enough for a big FETCH on a slow server, short enough that a dead link is noticed.
const IO_TIMEOUT: Duration = Duration::from_secs(120);

/// Where and how to log in.
#[derive(Clone)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub user: String,
    pub login: Login,
    pub accept_invalid_certs: bool,
    /// The most the server may send (`[limits]`).
    pub limits: super::Limits,
}

/// How to sign in: LOGIN with a password, or SASL XOAUTH2 (OAUTHBEARER where the server
/// offers only that) with an OAuth2 access token.
#[derive(Clone)]
pub enum Login {
    Password(String),
    OAuth2 { access_token: String },
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the password or the token.
        let how = match self.login {
            Login::Password(_) => "password",
            Login::OAuth2 { .. } => "oauth2",
        };
        write!(
            f,
            "Server({}@{}:{}, {how})",
            self.user, self.host, self.port
        )
    }
}

impl Server {
    pub fn addr(&self) -> String {
        self.endpoint().addr()
    }

    /// Where it is, without the login (what `Conn::dial` needs).
    pub fn endpoint(&self) -> Endpoint {
        Endpoint {
            host: self.host.clone(),
            port: self.port,
            tls: self.tls,
            accept_invalid_certs: self.accept_invalid_certs,
            limits: self.limits,
        }
    }
}

/// Where an IMAP server is and how to talk to it, before any login.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub tls: Tls,
    pub accept_invalid_certs: bool,
    /// The most the server may send (`[limits]`).
    pub limits: super::Limits,
}

impl Endpoint {
    pub fn addr(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

/// The capabilities tanto cares about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Caps {
    pub condstore: bool,
    pub qresync: bool,
    pub idle: bool,
    pub mv: bool,
    pub uidplus: bool,
    pub special_use: bool,
    pub enable: bool,
    pub notify: bool,
    pub namespace: bool,
    /// Literals the server takes without a continuation: any size (LITERAL+) or up to
    /// 4096 bytes (LITERAL-, RFC 7888).
    pub literal_plus: bool,
    pub literal_minus: bool,
    /// METADATA (RFC 5464): where presence is published for agents on other hosts.
    pub metadata: bool,
    pub all: Vec<String>,
}

impl Caps {
    fn from_list(list: Vec<String>) -> Caps {
        let has = |c: &str| list.iter().any(|x| x.eq_ignore_ascii_case(c));
        Caps {
            condstore: has("CONDSTORE") || has("QRESYNC"),
            metadata: has("METADATA"),
            qresync: has("QRESYNC"),
            idle: has("IDLE"),
            mv: has("MOVE"),
            uidplus: has("UIDPLUS"),
            special_use: has("SPECIAL-USE"),
            enable: has("ENABLE"),
            notify: has("NOTIFY"),
            namespace: has("NAMESPACE"),
            literal_plus: has("LITERAL+"),
            literal_minus: has("LITERAL-"),
            all: list,
        }
    }
}

/// What SELECT told us about a folder, plus the changes QRESYNC reported with it.
#[derive(Debug, Clone, Default)]
pub struct SelectInfo {
    pub uidvalidity: u32,
    pub highestmodseq: Option<u64>,
    pub uidnext: Option<u32>,
    pub exists: u32,
    pub permanent_flags: Vec<String>,
    /// The flags and keywords defined in the folder (the FLAGS response).
    pub flags: Vec<String>,
    pub vanished: Vec<u32>,
    pub changed: Vec<FlagUpdate>,
}

impl SelectInfo {
    /// True when the server lets clients create keywords (`\*` in PERMANENTFLAGS).
    pub fn custom_keywords(&self) -> bool {
        self.permanent_flags.iter().any(|f| f == "\\*")
    }
}

/// What a failed login (LOGIN or AUTHENTICATE) is: the network's (`Lost`, retried), a
/// server that does not speak IMAP (`Protocol`, not retried: it answers the same way again),
/// or a refusal (`refused` words it).
fn login_failure(addr: &str, e: imap::Error, refused: &dyn Fn(String) -> ImapError) -> ImapError {
    let protocol = |reason: String| ImapError::Protocol {
        addr: addr.to_string(),
        reason,
    };
    match e {
        // A limit the server broke (not retried), or the server went away mid-login: the
        // network's fault, not the credentials'.
        imap::Error::Io(io) => ImapError::from_io(addr, &io),
        imap::Error::ConnectionLost => ImapError::Lost {
            addr: addr.to_string(),
            reason: reason(&e),
        },
        // The crate turns an answer it cannot parse into a BYE with no text. A real BYE is
        // untagged: the crate passes over it and then finds the connection closed
        // (ConnectionLost, above). So a BYE here is an answer that is not IMAP.
        imap::Error::Bye(_) => protocol("its answer to the login is not IMAP".into()),
        imap::Error::Parse(p) => protocol(format!("its answer to the login is not IMAP ({p})")),
        e => refused(reason(&e)),
    }
}

/// How a command ended: OK or not, and its tagged line.
pub(super) type Ended = (bool, String);

/// One command's answer read past the crate: its untagged responses, then its tagged line.
pub(super) type Answer = (Vec<Vec<u8>>, Vec<u8>);

/// The commands every session starts with, answered in one round trip.
const SESSION_START: &[&str] = &["CAPABILITY", "ENABLE QRESYNC", "NAMESPACE"];

/// A logged-in connection.
pub struct Conn {
    pub(super) session: Session,
    pub(super) shared: Shared,
    pub caps: Caps,
    pub(super) addr: String,
    pub qresync_enabled: bool,
    /// The namespaces, asked for on first use of a folder other than the inbox.
    pub(super) personal: Option<super::folders::Known>,
    /// Whether the folder selected last lets clients create keywords.
    selected_keywords: Option<bool>,
    /// Folders (server names) this session has seen exist: no LIST to ask again.
    pub(super) existing: std::collections::HashSet<String>,
    /// STATUS answers asked ahead in one round trip (`prefetch_status`), each used once.
    prefetched: std::collections::HashMap<String, FolderStatus>,
    /// Folders that prefetch found missing (their STATUS refused), each used once.
    prefetched_missing: std::collections::HashSet<String>,
    /// Folders whose STATUS goes out behind the next SELECT (`status_with_next_select`).
    status_ahead: Vec<String>,
    /// The next SELECT also asks which messages carry no state keyword and which are
    /// claimed (see `audit_with_next_select`).
    audit_ahead: bool,
    audit: Option<StateSets>,
    /// The next SELECT also reads the presence entries (see `presence_with_next_select`).
    presence_ahead: bool,
    presence: Option<Vec<(String, String)>>,
    /// The folder selected last (server name) and what its SELECT said.
    selected: Option<(String, SelectInfo)>,
    /// The selected folder grew since its SELECT (an untagged EXISTS said more).
    grew: bool,
    /// The inbox's SELECT and presence read sent behind the login (`open_selecting`),
    /// for the first `select` of the inbox to use instead of a round trip of its own.
    early: Option<EarlyInbox>,
    /// STATUS commands sent ahead of a first sync's FETCHes (`send_status_ahead`): the
    /// folders' server names and how many answers to read.
    status_sent: Option<(Vec<String>, usize)>,
    /// The UID ranges of the FETCHes sent behind the login for a first sync, in order, their
    /// answers not read yet: the sync's `Fetcher` reads them (`take_fetched_ahead`), any
    /// other command first reads them away (`drain_fetched_ahead`).
    fetched_ahead: Option<Vec<(u32, u32)>>,
}

/// What a sync of the inbox sends behind the login (`Conn::open_selecting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InboxAhead {
    /// Nothing: the inbox's state is known (a QRESYNC SELECT follows).
    Nothing,
    /// Its plain SELECT and presence read: a first sync cut off, resumed.
    Select,
    /// Those and the FETCHes of the first UIDs: a first sync from nothing.
    SelectAndFetch,
}

/// The answers of the commands sent behind the login for a first sync of the inbox.
struct EarlyInbox {
    select: Answer,
    presence: Answer,
}

/// The commands that ride behind the login for a first sync: the inbox (its name is the
/// same on every server, so no NAMESPACE answer is needed) and its presence entries.
/// A plain SELECT: the ENABLE QRESYNC before it turns CONDSTORE on where the server has it.
fn early_inbox_commands() -> [String; 2] {
    ["SELECT INBOX".to_string(), get_presence_command("INBOX")]
}

/// The UID ranges a first sync fetches behind its login, before the SELECT's answer tells
/// how many messages there are: the mail starts to flow a round trip earlier. A range past
/// the last UID costs the server next to nothing (an empty answer); a bigger mailbox
/// gets the rest once the SELECT is read.
pub(super) fn ranges_fetched_ahead() -> Vec<(u32, u32)> {
    const SIZE: u32 = 500;
    (0..40).map(|k| (k * SIZE + 1, (k + 1) * SIZE)).collect()
}

/// A connection to an IMAP server whose greeting is read and nothing sent yet (`Conn::dial`).
pub struct Dialed {
    addr: String,
    shared: Shared,
    client: imap::Client<Shared>,
    /// Capabilities announced in the greeting (none are trusted from before STARTTLS).
    greeting_caps: Vec<String>,
    pipelines_login: bool,
}

impl Conn {
    /// Connects, logs in, reads capabilities and enables QRESYNC where offered.
    pub fn open(server: &Server) -> Result<Conn> {
        Self::open_selecting(server, InboxAhead::Nothing)
    }

    /// `open`, with what a first sync of the inbox sends behind the login in its round trip
    /// (`inbox`), where the server keeps pipelined commands: the first `select` of the inbox
    /// without a known state then uses that answer, and the sync's FETCH stage reads the
    /// FETCHes sent ahead.
    pub fn open_selecting(server: &Server, inbox: InboxAhead) -> Result<Conn> {
        Self::open_dialed(Self::dial(&server.endpoint())?, server, inbox)
    }

    /// The first half of `open_selecting`: the connection made (TLS included) and the
    /// greeting read, nothing sent. Its login (`open_dialed`) needs the password; the
    /// round trips before it do not, so a caller can dial while it reads the password and
    /// opens its cache.
    pub fn dial(server: &Endpoint) -> Result<Dialed> {
        let addr = server.addr();
        let connect_err = |reason: String| ImapError::Connect {
            addr: addr.clone(),
            reason,
        };
        let tls_err = |reason: String| ImapError::Tls {
            addr: addr.clone(),
            reason,
        };
        let sock = (server.host.as_str(), server.port)
            .to_socket_addrs()
            .map_err(|e| connect_err(e.to_string()))?
            .next()
            .ok_or_else(|| connect_err("the host name has no address".into()))?;
        let tcp = TcpStream::connect_timeout(&sock, CONNECT_TIMEOUT)
            .map_err(|e| connect_err(e.to_string()))?;
        let _ = tcp.set_read_timeout(Some(IO_TIMEOUT));
        let _ = tcp.set_write_timeout(Some(IO_TIMEOUT));
        let _ = tcp.set_nodelay(true);
        let connector = || {
            native_tls::TlsConnector::builder()
                .danger_accept_invalid_certs(server.accept_invalid_certs)
                .build()
                .map_err(|e| tls_err(e.to_string()))
        };
        let stream: imap::Connection = match server.tls {
            Tls::None => Box::new(tcp),
            Tls::Tls => Box::new(
                connector()?
                    .connect(&server.host, tcp)
                    .map_err(|e| tls_err(e.to_string()))?,
            ),
            Tls::Starttls => {
                let tcp = starttls(tcp).map_err(|e| tls_err(format!("STARTTLS: {e}")))?;
                Box::new(
                    connector()?
                        .connect(&server.host, tcp)
                        .map_err(|e| tls_err(e.to_string()))?,
                )
            }
        };
        let shared = Shared::new(stream, server.limits);
        let mut client = imap::Client::new(shared.clone());
        // Capabilities announced in the greeting (none are trusted from before STARTTLS).
        let mut greeting_caps = Vec::new();
        let mut pipelines_login = false;
        if server.tls == Tls::Starttls {
            // The greeting came before STARTTLS.
            client.greeting_read = true;
        } else {
            let greeting = client.read_greeting().map_err(|e| match &e {
                imap::Error::Io(io) if OverLimit::of(io).is_some() => ImapError::from_io(&addr, io),
                _ => connect_err(e.to_string()),
            })?;
            greeting_caps = super::sasl::greeting_capabilities(&greeting);
            pipelines_login = super::sasl::keeps_commands_behind_login(&greeting);
        }
        Ok(Dialed {
            addr,
            shared,
            client,
            greeting_caps,
            pipelines_login,
        })
    }

    /// The second half of `open_selecting`, on a connection `dial` made to `server`.
    pub fn open_dialed(dialed: Dialed, server: &Server, inbox: InboxAhead) -> Result<Conn> {
        let Dialed {
            addr,
            shared,
            client,
            greeting_caps,
            pipelines_login,
        } = dialed;
        let connect_err = |reason: String| ImapError::Connect {
            addr: addr.clone(),
            reason,
        };
        let lost_or = |e: imap::Error, refused: &dyn Fn(String) -> ImapError| {
            login_failure(&addr, e, refused)
        };
        // What every session needs after login (the capabilities, QRESYNC turned on, the
        // namespaces) rides behind a password LOGIN in its round trip (RFC 3501 5.5): none
        // depends on another's answer, and a server without ENABLE or NAMESPACE refuses that
        // one alone. The crate reads its LOGIN answer one line at a time, leaving the rest.
        let early = pipelines_login && matches!(server.login, Login::Password(_));
        let inbox_early = early && inbox != InboxAhead::Nothing;
        let mut behind: Vec<String> = SESSION_START.iter().map(|c| c.to_string()).collect();
        if inbox_early {
            behind.extend(early_inbox_commands());
        }
        // Their answers are left for the sync's FETCH stage to read as they stream in. With
        // MODSEQ, as Dovecot and Cyrus (the servers that get commands behind LOGIN) have
        // CONDSTORE; where the capabilities say otherwise they are read away unused.
        let ahead = if inbox_early && inbox == InboxAhead::SelectAndFetch {
            ranges_fetched_ahead()
        } else {
            Vec::new()
        };
        let ahead_lines = ahead
            .iter()
            .map(|(a, b)| format!("UID FETCH {a}:{b} {}", super::sync::fetch_items(true)));
        if early {
            let lines: String = behind
                .iter()
                .cloned()
                .chain(ahead_lines)
                .enumerate()
                .map(|(i, c)| format!("s{} {c}\r\n", i + 1))
                .collect();
            let io = |e: std::io::Error| connect_err(e.to_string());
            shared
                .send_after_next_command(lines.as_bytes())
                .map_err(io)?;
            shared.one_line_reads(true).map_err(io)?;
        }
        let session = match &server.login {
            Login::Password(password) => {
                client.login(&server.user, password).map_err(|(e, _)| {
                    lost_or(e, &|reason| ImapError::Login {
                        addr: addr.clone(),
                        user: server.user.clone(),
                        reason,
                    })
                })?
            }
            Login::OAuth2 { access_token } => {
                let sasl = super::sasl::Bearer::choose(
                    &greeting_caps,
                    &server.user,
                    &server.host,
                    server.port,
                    access_token,
                );
                client
                    .authenticate(sasl.command(), &sasl)
                    .map_err(|(e, _)| {
                        lost_or(e, &|reason| ImapError::TokenRefused {
                            addr: addr.clone(),
                            user: server.user.clone(),
                            reason: sasl.explain(reason),
                        })
                    })?
            }
        };
        let mut conn = Conn {
            session,
            shared,
            caps: Caps::default(),
            addr,
            qresync_enabled: false,
            personal: None,
            selected_keywords: None,
            existing: Default::default(),
            prefetched: Default::default(),
            prefetched_missing: Default::default(),
            status_ahead: Vec::new(),
            audit_ahead: false,
            audit: None,
            presence_ahead: false,
            presence: None,
            selected: None,
            grew: false,
            early: None,
            status_sent: None,
            fetched_ahead: (!ahead.is_empty()).then_some(ahead),
        };
        let untagged = if early {
            conn.shared
                .one_line_reads(false)
                .map_err(|e| conn.lost(&e))?;
            let mut answers = conn.read_each_answer(behind.len())?;
            if inbox_early {
                let presence = answers.pop().unwrap_or_default();
                let select = answers.pop().unwrap_or_default();
                conn.early = Some(EarlyInbox { select, presence });
            }
            answers
                .into_iter()
                .flat_map(|(untagged, _)| untagged)
                .collect()
        } else {
            conn.pipeline(SESSION_START)?.0
        };
        // Told apart by what they are, not by order: a proxy may answer one out of turn.
        let starts =
            |b: &[u8], p: &[u8]| b.len() >= p.len() && b[..p.len()].eq_ignore_ascii_case(p);
        let words = |prefix: &[u8]| -> Vec<String> {
            untagged
                .iter()
                .filter(|b| starts(b, prefix))
                .flat_map(|b| {
                    String::from_utf8_lossy(&b[prefix.len()..])
                        .split_whitespace()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .collect()
        };
        conn.caps = Caps::from_list(words(b"* CAPABILITY "));
        conn.qresync_enabled = conn.caps.qresync
            && words(b"* ENABLED ")
                .iter()
                .any(|c| c.eq_ignore_ascii_case("QRESYNC"));
        let namespaces: Vec<Vec<u8>> = untagged
            .iter()
            .filter(|b| starts(b, b"* NAMESPACE "))
            .cloned()
            .collect();
        conn.learn_namespaces(&namespaces);
        Ok(conn)
    }

    /// The connection failed reading or writing: lost, or a limit broken.
    fn lost(&self, e: &std::io::Error) -> ImapError {
        ImapError::from_io(&self.addr, e)
    }

    /// Reads the answers of `n` commands sent ahead: each tagged line with the untagged responses that came before it
    /// (after the previous one): a server answers pipelined UID commands in order.
    pub(super) fn read_each_answer(&mut self, n: usize) -> Result<Vec<Answer>> {
        let mut reader = std::io::BufReader::with_capacity(64 * 1024, self.shared.clone());
        let mut out = Vec::new();
        for _ in 0..n {
            let mut untagged = Vec::new();
            let line = read_responses(&mut reader, |b| untagged.push(b.to_vec()))
                .map_err(|e| self.lost(&e))?;
            out.push((untagged, line));
        }
        let rest = reader.buffer().to_vec();
        drop(reader);
        if !rest.is_empty() {
            let _ = self.shared.unread(&rest);
        }
        Ok(out)
    }

    /// Sends `commands` at once and reads their answers: the bytes of every untagged
    /// response, in arrival order, and for each command (in the order given) whether it
    /// ended OK, matched by its tag. One round trip for all.
    pub(super) fn pipeline(&mut self, commands: &[&str]) -> Result<(Vec<Vec<u8>>, Vec<bool>)> {
        let (untagged, tagged) = self.pipeline_tagged(commands)?;
        Ok((untagged, tagged.into_iter().map(|(ok, _)| ok).collect()))
    }

    /// `pipeline`, with each command's tagged line as text beside whether it ended OK.
    pub(super) fn pipeline_tagged(
        &mut self,
        commands: &[&str],
    ) -> Result<(Vec<Vec<u8>>, Vec<Ended>)> {
        self.drain_fetched_ahead()?;
        for c in commands {
            if let Err(e) = self.session.run_command(c) {
                return Err(self.lost_or_refused(c, e));
            }
        }
        self.read_tagged(commands.len())
    }

    /// Reads the answers of the `n` commands sent last (`pipeline_tagged`'s second half).
    fn read_tagged(&mut self, n: usize) -> Result<(Vec<Vec<u8>>, Vec<Ended>)> {
        let answers = self.read_each_answer(n)?;
        let mut untagged = Vec::new();
        // (tag number, OK, text) of each tagged answer: the crate numbers its tags `a1`,
        // `a2`... in the order the commands went out; a server may end them in another.
        let mut done: Vec<(u64, bool, String)> = Vec::new();
        for (u, tagged) in answers {
            untagged.extend(u);
            let ok = matches!(
                imap_proto::parser::parse_response(&tagged),
                Ok((
                    _,
                    Response::Done {
                        status: imap_proto::Status::Ok,
                        ..
                    }
                ))
            );
            let number = tagged
                .split(|b| *b == b' ')
                .next()
                .and_then(|t| std::str::from_utf8(t).ok())
                .and_then(|t| t.trim_start_matches('a').parse::<u64>().ok())
                .unwrap_or(u64::MAX);
            done.push((number, ok, String::from_utf8_lossy(&tagged).into_owned()));
        }
        done.sort_by_key(|d| d.0);
        Ok((
            untagged,
            done.into_iter().map(|(_, ok, text)| (ok, text)).collect(),
        ))
    }

    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Maps a crate error to ours: I/O trouble is a lost connection, the rest a refusal.
    pub(super) fn lost_or_refused(&self, command: &str, e: imap::Error) -> ImapError {
        match e {
            imap::Error::Io(io) => self.lost(&io),
            imap::Error::ConnectionLost | imap::Error::Bye(_) => ImapError::Lost {
                addr: self.addr.clone(),
                reason: reason(&e),
            },
            other => ImapError::Refused {
                addr: self.addr.clone(),
                command: command.to_string(),
                reason: reason(&other),
            },
        }
    }

    /// Runs a raw command and returns the untagged response bytes.
    pub(super) fn raw(&mut self, command: &str) -> Result<Vec<u8>> {
        self.drain_fetched_ahead()?;
        let verb = command.split(' ').take(2).collect::<Vec<_>>().join(" ");
        match self.session.run_command_and_read_response(command) {
            Ok(d) => {
                self.note_exists(&d);
                Ok(d)
            }
            Err(e) => Err(self.lost_or_refused(&verb, e)),
        }
    }

    /// Reads the answer of a command sent ahead (`send`) whose response may be large,
    /// calling `each` on every untagged response (see `transport`). Returns the untagged
    /// responses imap-proto could not parse, as sent, for the caller to recover what it can.
    pub(super) fn bulk_read(
        &mut self,
        command: &str,
        mut each: impl FnMut(Response<'_>),
    ) -> Result<Vec<Vec<u8>>> {
        let mut unparsed = Vec::new();
        self.read_each(command, |bytes| {
            match imap_proto::parser::parse_response(bytes) {
                Ok((_, r)) => each(r),
                Err(_) => unparsed.push(bytes.to_vec()),
            }
        })?;
        Ok(unparsed)
    }

    /// Runs a command and calls `each` on the bytes of every untagged response, read past
    /// the crate: also for responses imap-proto does not parse (the crate would fail on them).
    pub(super) fn raw_each(&mut self, command: &str, each: impl FnMut(&[u8])) -> Result<()> {
        self.send(command)?;
        self.read_each(command, each)
    }

    /// Sends a command without reading its answer: `read_each` or `bulk_read` reads it
    /// later, after the answers of the commands sent before it (pipelining).
    pub(super) fn send(&mut self, command: &str) -> Result<()> {
        match self.session.run_command(command) {
            Ok(()) => Ok(()),
            Err(e) => {
                let verb = command.split(' ').take(2).collect::<Vec<_>>().join(" ");
                Err(self.lost_or_refused(&verb, e))
            }
        }
    }

    /// Reads the answer of the oldest command sent and not read yet (`command`, for the
    /// error), calling `each` on every untagged response.
    pub(super) fn read_each(&mut self, command: &str, each: impl FnMut(&[u8])) -> Result<()> {
        let verb = command.split(' ').take(2).collect::<Vec<_>>().join(" ");
        let mut reader = std::io::BufReader::with_capacity(256 * 1024, self.shared.clone());
        let tagged = read_responses(&mut reader, each).map_err(|e| self.lost(&e))?;
        self.finish_direct_read(reader, &tagged, &verb)
    }

    /// Ends a response read past the crate: gives back the bytes read beyond the tagged line,
    /// and turns that line into Ok or the server's refusal.
    fn finish_direct_read(
        &mut self,
        reader: std::io::BufReader<Shared>,
        tagged: &[u8],
        command: &str,
    ) -> Result<()> {
        let rest = reader.buffer().to_vec();
        drop(reader);
        if !rest.is_empty() {
            let _ = self.shared.unread(&rest);
        }
        match imap_proto::parser::parse_response(tagged) {
            Ok((
                _,
                Response::Done {
                    status: imap_proto::Status::Ok,
                    ..
                },
            )) => Ok(()),
            Ok((_, Response::Done { information, .. })) => Err(ImapError::Refused {
                addr: self.addr.clone(),
                command: command.to_string(),
                reason: information.map(|i| i.to_string()).unwrap_or_default(),
            }),
            _ => Err(ImapError::Lost {
                addr: self.addr.clone(),
                reason: format!("unexpected response {:?}", String::from_utf8_lossy(tagged)),
            }),
        }
    }

    /// Selects `folder` read-write; with `known = Some((uidvalidity, modseq))` and QRESYNC,
    /// the server reports what vanished and changed since.
    pub fn select(&mut self, folder: &str, known: Option<(u32, u64)>) -> Result<SelectInfo> {
        let wire = self.server_folder(folder)?;
        let mut cmd = format!("SELECT {}", super::quote_folder(&wire));
        match known {
            Some((v, m)) if self.qresync_enabled && m > 0 => {
                cmd.push_str(&format!(" (QRESYNC ({v} {m}))"))
            }
            _ if self.caps.condstore => cmd.push_str(" (CONDSTORE)"),
            _ => {}
        }
        let early = match self.early.take() {
            Some(e) if known.is_none() && wire.eq_ignore_ascii_case("INBOX") => self.use_early(e),
            _ => None,
        };
        if early.is_none() || !self.caps.condstore {
            self.drain_fetched_ahead()?;
        }
        let info = match early {
            Some(info) => info,
            None => {
                let data =
                    if self.status_ahead.is_empty() && !self.audit_ahead && !self.presence_ahead {
                        match self.session.run_command_and_read_response(&cmd) {
                            Ok(d) => d,
                            Err(imap::Error::No(no)) => {
                                return Err(ImapError::Folder {
                                    addr: self.addr.clone(),
                                    folder: shown(folder, &wire),
                                    reason: no.information,
                                })
                            }
                            Err(e) => return Err(self.lost_or_refused("SELECT", e)),
                        }
                    } else {
                        self.select_with_status(&cmd, folder, &wire)?
                    };
                select_info(&data)
            }
        };
        self.selected_keywords = Some(info.custom_keywords());
        self.existing.insert(wire.clone());
        self.selected = Some((wire, info.clone()));
        self.grew = false;
        Ok(info)
    }

    /// The inbox's SELECT answered behind the login, when it can stand for the one `select`
    /// would send: it ended OK, and said HIGHESTMODSEQ wherever the server has CONDSTORE
    /// (a server with CONDSTORE but without QRESYNC needs `(CONDSTORE)` on the SELECT).
    /// The presence read asked for comes from it too; the STATUS asked ahead go out before
    /// the FETCHes that follow (`send_status_ahead`); an audit waits for another round (a
    /// first sync reads every message anyway).
    fn use_early(&mut self, early: EarlyInbox) -> Option<SelectInfo> {
        let ended_ok = |tagged: &[u8]| {
            super::tagged::parse(tagged).is_some_and(|t| t.status == super::tagged::Status::Ok)
        };
        let (untagged, tagged) = early.select;
        if !ended_ok(&tagged) {
            return None;
        }
        let info = select_info(&untagged.concat());
        if self.caps.condstore && info.highestmodseq.is_none() {
            return None;
        }
        if std::mem::take(&mut self.presence_ahead) {
            let (entries, tagged) = &early.presence;
            self.presence = ended_ok(tagged).then(|| presence_entries(entries));
        }
        self.audit_ahead = false;
        self.audit = None;
        Some(info)
    }

    /// The UID ranges fetched behind the login whose answers come next, for the sync's FETCH
    /// stage to read (once).
    pub(super) fn take_fetched_ahead(&mut self) -> Vec<(u32, u32)> {
        self.fetched_ahead.take().unwrap_or_default()
    }

    /// Reads away the answers of the FETCHes sent behind the login, where the sync does not
    /// use them (its SELECT is asked again, or there is nothing to fetch): the next command's
    /// answer comes after them.
    pub(super) fn drain_fetched_ahead(&mut self) -> Result<()> {
        if let Some(ahead) = self.fetched_ahead.take() {
            // Whatever they say (a FETCH after a refused SELECT is refused too).
            self.read_each_answer(ahead.len())?;
        }
        Ok(())
    }

    /// Sends the STATUS asked ahead that no SELECT carried (the inbox's came behind the
    /// login), before a first sync's FETCHes go out, in their round trip: `read_status_sent`
    /// reads the answers where they come. Only when the folders' server names are known
    /// without asking (the answers of the FETCHes sent behind the login may be on their way):
    /// else each STATUS is asked later, on its own.
    pub(super) fn send_status_ahead(&mut self) -> Result<()> {
        if self.status_ahead.is_empty() || self.status_sent.is_some() {
            return Ok(());
        }
        let known: Option<Vec<String>> = self
            .status_ahead
            .iter()
            .map(|f| self.server_folder_known(f))
            .collect();
        let Some(wires) = known else {
            return Ok(());
        };
        self.status_ahead.clear();
        let commands = self.status_lines(&wires);
        for c in &commands {
            self.send(c)?;
        }
        self.status_sent = Some((wires, commands.len()));
        Ok(())
    }

    /// Reads the answers of `send_status_ahead`, if any, and keeps them as prefetched.
    pub(super) fn read_status_sent(&mut self) -> Result<()> {
        let Some((wires, n)) = self.status_sent.take() else {
            return Ok(());
        };
        let (untagged, ended) = self.read_tagged(n)?;
        let ok: Vec<bool> = ended.iter().map(|(ok, _)| *ok).collect();
        self.keep_status_answers(&wires, &untagged, &ok);
        Ok(())
    }

    /// What SELECT said of `folder`: from this session's last SELECT when it is the folder
    /// selected now (no round trip; `fetch_state` and STORE read current flags anyway),
    /// else by a SELECT.
    pub fn select_if_needed(&mut self, folder: &str) -> Result<SelectInfo> {
        let wire = self.server_folder(folder)?;
        match &self.selected {
            Some((w, info)) if *w == wire => Ok(info.clone()),
            _ => self.select(folder, None),
        }
    }

    /// What the last SELECT said of the folder selected now.
    pub fn selected_info(&self) -> Option<&SelectInfo> {
        self.selected.as_ref().map(|(_, i)| i)
    }

    /// True when mail arrived in the selected folder since its SELECT, as far as the
    /// server's answers since then said (an untagged EXISTS with more messages).
    pub fn grew(&self) -> bool {
        self.grew
    }

    /// Notes an untagged EXISTS in `data` (any command's answer carries one when the
    /// selected folder grew).
    pub(super) fn note_exists(&mut self, data: &[u8]) {
        let Some((_, info)) = &self.selected else {
            return;
        };
        let before = info.exists;
        let mut grew = false;
        for_each_response(data, |r| {
            if let Response::MailboxData(MailboxDatum::Exists(n)) = r {
                grew |= n > before;
            }
        });
        self.grew |= grew;
    }

    /// True when the folder selected last lets clients create keywords (`\*` in its
    /// PERMANENTFLAGS); false before any SELECT.
    pub fn selected_keeps_keywords(&self) -> bool {
        self.selected_keywords == Some(true)
    }

    /// All UIDs from `from` on, ascending.
    pub fn uids_from(&mut self, from: u32) -> Result<Vec<u32>> {
        self.drain_fetched_ahead()?;
        let set = match self.session.uid_search(format!("UID {}:*", from.max(1))) {
            Ok(s) => s,
            Err(e) => return Err(self.lost_or_refused("UID SEARCH", e)),
        };
        let mut v: Vec<u32> = set.into_iter().filter(|u| *u >= from).collect();
        v.sort_unstable();
        Ok(v)
    }

    /// Flag changes since `modseq` (CONDSTORE), or all flags when `modseq` is `None`.
    pub fn flags_changed_since(&mut self, modseq: Option<u64>) -> Result<Vec<FlagUpdate>> {
        let cmd = match modseq {
            Some(m) => format!("UID FETCH 1:* (UID FLAGS) (CHANGEDSINCE {m})"),
            None => "UID FETCH 1:* (UID FLAGS)".to_string(),
        };
        let data = self.raw(&cmd)?;
        let mut out = Vec::new();
        for_each_response(&data, |r| {
            if let Response::Fetch(_, attrs) = r {
                if let Some(u) = super::parse::flag_update(&attrs) {
                    out.push(u);
                }
            }
        });
        Ok(out)
    }

    /// Whole messages by UID, without setting `\Seen` (reading must not mark mail read for
    /// the whole team).
    pub fn fetch_bodies(&mut self, uids: &[u32]) -> Result<Vec<(u32, Vec<u8>)>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let data = self.raw(&format!(
            "UID FETCH {} (UID BODY.PEEK[])",
            super::uid_set(uids)
        ))?;
        let mut out = Vec::new();
        for_each_response(&data, |r| {
            if let Response::Fetch(_, attrs) = r {
                if let Some(b) = super::parse::full_body(&attrs) {
                    out.push(b);
                }
            }
        });
        Ok(out)
    }

    /// The events recorded by the messages `uids` of the selected activity folder, as the
    /// server holds them (mail there that tanto did not write is left out).
    pub fn fetch_events(&mut self, uids: &[u32]) -> Result<Vec<(u32, crate::activity::Event)>> {
        Ok(self
            .fetch_bodies(uids)?
            .into_iter()
            .filter_map(|(uid, raw)| super::parse::event_of(&raw, 0).map(|e| (uid, e)))
            .collect())
    }

    /// How many messages `folder` holds (STATUS MESSAGES: no SELECT, one round trip);
    /// `None` when the server refuses, as it does for a folder that does not exist.
    pub fn message_count(&mut self, folder: &str) -> Result<Option<u32>> {
        let wire = self.server_folder(folder)?;
        if let Some(s) = self.prefetched.remove(&wire) {
            return Ok(Some(s.messages));
        }
        if self.prefetched_missing.remove(&wire) {
            return Ok(None);
        }
        match self.session.status(&wire, "(MESSAGES)") {
            Ok(m) => Ok(Some(m.exists)),
            Err(imap::Error::No(_)) => Ok(None),
            Err(e) => Err(self.lost_or_refused("STATUS", e)),
        }
    }

    /// A folder's UIDVALIDITY, UIDNEXT, MESSAGES and (with CONDSTORE) HIGHESTMODSEQ, by
    /// STATUS (no SELECT: cheap for the server); `None` when the server refuses, as it does
    /// for a folder that does not exist.
    pub fn folder_status(&mut self, folder: &str) -> Result<Option<FolderStatus>> {
        let wire = self.server_folder(folder)?;
        if let Some(s) = self.prefetched.remove(&wire) {
            return Ok(Some(s));
        }
        if self.prefetched_missing.remove(&wire) {
            return Ok(None);
        }
        let items = if self.caps.condstore {
            "(UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)"
        } else {
            "(UIDVALIDITY UIDNEXT MESSAGES)"
        };
        self.drain_fetched_ahead()?;
        match self.session.status(&wire, items) {
            Ok(m) => {
                self.existing.insert(wire);
                Ok(Some(FolderStatus {
                    uidvalidity: m.uid_validity,
                    uidnext: m.uid_next,
                    messages: m.exists,
                    highestmodseq: m.highest_mod_seq,
                }))
            }
            Err(imap::Error::No(_)) => Ok(None),
            Err(e) => Err(self.lost_or_refused("STATUS", e)),
        }
    }

    /// Asks STATUS of several folders (named as in the config) in one round trip; the next
    /// `folder_status` or `message_count` of each takes its answer. A folder the server
    /// refuses (missing) gets no answer here and is asked again then.
    pub fn prefetch_status(&mut self, folders: &[&str]) -> Result<()> {
        let (wires, commands) = self.status_commands(folders)?;
        let refs: Vec<&str> = commands.iter().map(String::as_str).collect();
        let (untagged, ok) = self.pipeline(&refs)?;
        self.keep_status_answers(&wires, &untagged, &ok);
        Ok(())
    }

    /// Sends the STATUS of `folders` (named as in the config) behind the next SELECT, in its
    /// round trip (a resync's inbox SELECT and its other folders' STATUS: the same round
    /// trips as a bare login and SELECT). Answered as `prefetch_status` answers.
    pub fn status_with_next_select(&mut self, folders: &[&str]) {
        self.status_ahead = folders.iter().map(|f| f.to_string()).collect();
    }

    /// The STATUS commands for `folders`, with each one's server name.
    fn status_commands(&mut self, folders: &[&str]) -> Result<(Vec<String>, Vec<String>)> {
        let mut wires = Vec::new();
        for f in folders {
            wires.push(self.server_folder(f)?);
        }
        let commands = self.status_lines(&wires);
        Ok((wires, commands))
    }

    /// The STATUS command of each folder (server names).
    fn status_lines(&self, wires: &[String]) -> Vec<String> {
        let items = if self.caps.condstore {
            "(UIDVALIDITY UIDNEXT MESSAGES HIGHESTMODSEQ)"
        } else {
            "(UIDVALIDITY UIDNEXT MESSAGES)"
        };
        wires
            .iter()
            .map(|w| format!("STATUS {} {items}", super::quote_folder(w)))
            .collect()
    }

    /// Keeps the STATUS answers among `untagged` for the folders `wires` (`ok`: whether each
    /// one's STATUS ended OK; a refused one is missing and not asked again).
    fn keep_status_answers(&mut self, wires: &[String], untagged: &[Vec<u8>], ok: &[bool]) {
        // Answers of an earlier round that nobody took are stale now.
        self.prefetched.clear();
        self.prefetched_missing.clear();
        for (wire, ok) in wires.iter().zip(ok) {
            if !ok {
                self.prefetched_missing.insert(wire.clone());
            }
        }
        for bytes in untagged {
            let Ok((_, Response::MailboxData(MailboxDatum::Status { mailbox, status }))) =
                imap_proto::parser::parse_response(bytes)
            else {
                continue;
            };
            // The server names it as sent: modified UTF-7, compared encoded.
            let Some(wire) = wires
                .iter()
                .find(|w| super::encode_folder(w) == mailbox.as_ref())
            else {
                continue;
            };
            let mut s = FolderStatus::default();
            for a in status {
                use imap_proto::types::StatusAttribute as A;
                match a {
                    A::UidValidity(v) => s.uidvalidity = Some(v),
                    A::UidNext(n) => s.uidnext = Some(n),
                    A::Messages(n) => s.messages = n,
                    A::HighestModSeq(m) => s.highestmodseq = Some(m),
                    _ => {}
                }
            }
            self.existing.insert(wire.clone());
            self.prefetched.insert(wire.clone(), s);
        }
    }

    /// Asks, behind the next SELECT and in its round trip, which messages of that folder
    /// carry no state keyword and which are claimed: what the cache says of them is checked
    /// against it (`take_audit`).
    pub fn audit_with_next_select(&mut self) {
        self.audit_ahead = true;
    }

    /// Reads, behind the next SELECT and in its round trip, what every agent published of
    /// their presence on that folder (`take_presence`); a no-op where METADATA is not offered.
    pub fn presence_with_next_select(&mut self) {
        self.presence_ahead = self.caps.metadata;
    }

    /// The entries asked for by `presence_with_next_select`, once: (entry, value).
    pub fn take_presence(&mut self) -> Option<Vec<(String, String)>> {
        self.presence.take()
    }

    /// Publishes this agent's presence on `folder` (`mine`: its entry and value, or the
    /// entry to remove) and reads everyone's, in one round trip. None where the server
    /// offers no METADATA.
    pub fn exchange_presence(
        &mut self,
        folder: &str,
        mine: (&str, Option<&str>),
    ) -> Result<Option<Vec<(String, String)>>> {
        if !self.caps.metadata {
            return Ok(None);
        }
        let wire = super::quote_folder(&self.server_folder(folder)?);
        // Values are tanto's own (`core::presence::value`): a word, an id, a number.
        let value = match mine.1 {
            Some(v) if v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' ') => {
                format!("\"{v}\"")
            }
            _ => "NIL".to_string(),
        };
        let set = format!("SETMETADATA {wire} ({} {value})", mine.0);
        let get = get_presence_command(&self.server_folder(folder)?);
        let (untagged, tagged) = self.pipeline_tagged(&[&set, &get])?;
        match tagged.last() {
            Some((true, _)) => Ok(Some(presence_entries(&untagged))),
            _ => Err(ImapError::Refused {
                addr: self.addr.clone(),
                command: "GETMETADATA".into(),
                reason: tagged.last().map(|t| t.1.clone()).unwrap_or_default(),
            }),
        }
    }

    /// The answer asked for by `audit_with_next_select`, once.
    pub fn take_audit(&mut self) -> Option<StateSets> {
        self.audit.take()
    }

    /// Flags (and MODSEQ where the server keeps one) of `uids` in the selected folder.
    pub fn fetch_flags(&mut self, uids: &[u32]) -> Result<Vec<tanto_core::model::FlagUpdate>> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let items = if self.caps.condstore {
            "(UID FLAGS MODSEQ)"
        } else {
            "(UID FLAGS)"
        };
        let data = self.raw(&format!("UID FETCH {} {items}", super::uid_set(uids)))?;
        let mut out = Vec::new();
        for_each_response(&data, |r| {
            if let Response::Fetch(_, attrs) = r {
                out.extend(super::parse::flag_update(&attrs));
            }
        });
        Ok(out)
    }

    /// SELECT (`cmd`) with the STATUS commands asked ahead behind it, in one round trip: the
    /// SELECT's untagged responses (the STATUS ones kept as prefetched answers).
    fn select_with_status(&mut self, cmd: &str, folder: &str, wire: &str) -> Result<Vec<u8>> {
        let ahead = std::mem::take(&mut self.status_ahead);
        let refs: Vec<&str> = ahead.iter().map(String::as_str).collect();
        let (wires, status) = self.status_commands(&refs)?;
        let mut commands = vec![cmd.to_string()];
        commands.extend(status);
        let audit = std::mem::take(&mut self.audit_ahead);
        if audit {
            use tanto_core::status::{KW_DONE, KW_NOISE, KW_WIP};
            commands.push(format!(
                "UID SEARCH UNKEYWORD {KW_DONE} UNKEYWORD {KW_WIP} UNKEYWORD {KW_NOISE}"
            ));
            commands.push(format!("UID SEARCH KEYWORD {KW_WIP}"));
        }
        let presence = std::mem::take(&mut self.presence_ahead);
        if presence {
            commands.push(get_presence_command(wire));
        }
        let refs: Vec<&str> = commands.iter().map(String::as_str).collect();
        let (untagged, tagged) = self.pipeline_tagged(&refs)?;
        let ok: Vec<bool> = tagged.iter().map(|(ok, _)| *ok).collect();
        self.keep_status_answers(&wires, &untagged, ok.get(1..).unwrap_or_default());
        self.presence = match (presence, ok.last()) {
            (true, Some(true)) => Some(presence_entries(&untagged)),
            _ => None,
        };
        let audit_ok = if presence {
            ok.len().checked_sub(1).map(|n| &ok[..n])
        } else {
            Some(&ok[..])
        };
        self.audit = None;
        if audit && audit_ok.is_some_and(|ok| ok.iter().rev().take(2).all(|ok| *ok)) {
            // One SEARCH answer per SEARCH, in the order asked (RFC 3501 7.2.5).
            let mut found = untagged.iter().filter_map(|bytes| {
                match imap_proto::parser::parse_response(bytes) {
                    Ok((_, Response::MailboxData(MailboxDatum::Search(uids)))) => Some(uids),
                    _ => None,
                }
            });
            if let (Some(stateless), Some(claimed)) = (found.next(), found.next()) {
                self.audit = Some(StateSets { stateless, claimed });
            }
        }
        match tagged.first() {
            Some((true, _)) => {}
            // A status read as the grammar has it: `a1 no ...` is a NO too.
            Some((false, text))
                if super::tagged::parse(text.as_bytes())
                    .is_some_and(|t| t.status == super::tagged::Status::No) =>
            {
                return Err(ImapError::Folder {
                    addr: self.addr.clone(),
                    folder: shown(folder, wire),
                    reason: text.trim_end().to_string(),
                })
            }
            _ => {
                return Err(ImapError::Refused {
                    addr: self.addr.clone(),
                    command: "SELECT".into(),
                    reason: tagged.first().map(|t| t.1.clone()).unwrap_or_default(),
                })
            }
        }
        Ok(untagged.concat())
    }

    /// NOOP: keeps an idle session open and shows whether it still is.
    pub fn noop(&mut self) -> Result<()> {
        self.raw("NOOP").map(|_| ())
    }

    /// Drops the STATUS answers asked ahead and not used (stale for a later action).
    pub fn forget_answers(&mut self) {
        self.prefetched.clear();
        self.prefetched_missing.clear();
    }

    /// Logs out without waiting for the server's goodbye (the work is done: a round trip
    /// less for every command).
    pub fn logout(mut self) {
        let _ = self.session.run_command("LOGOUT");
    }
}

/// What a SELECT's untagged responses (`data`) say of the folder.
fn select_info(data: &[u8]) -> SelectInfo {
    let mut info = SelectInfo::default();
    for_each_response(data, |r| match r {
        // `[CLOSED]` (RFC 7162 §3.2.11): what came before it is the previous folder's
        // (a VANISHED there must not drop this folder's mail from the cache).
        Response::Data {
            code: None,
            information: Some(text),
            ..
        } if is_closed_code(&text) => info = SelectInfo::default(),
        Response::Data {
            code: Some(code), ..
        } => match code {
            ResponseCode::UidValidity(v) => info.uidvalidity = v,
            ResponseCode::UidNext(n) => info.uidnext = Some(n),
            ResponseCode::HighestModSeq(m) => info.highestmodseq = Some(m),
            ResponseCode::PermanentFlags(f) => {
                info.permanent_flags = f.iter().map(|s| s.to_string()).collect()
            }
            _ => {}
        },
        Response::MailboxData(MailboxDatum::Exists(n)) => info.exists = n,
        Response::MailboxData(MailboxDatum::Flags(f)) => {
            info.flags = f.iter().map(|s| s.to_string()).collect()
        }
        Response::Vanished { uids, .. } => {
            // Bounded: a hostile `1:4294967295` must not expand to 4 billion UIDs; the
            // sync only needs the UIDs it has cached, which are far fewer.
            for r in uids {
                let room = 10_000_000usize.saturating_sub(info.vanished.len());
                info.vanished.extend(r.take(room));
            }
        }
        Response::Fetch(_, attrs) => {
            if let Some(u) = super::parse::flag_update(&attrs) {
                info.changed.push(u);
            }
        }
        _ => {}
    });
    info
}

/// The GETMETADATA of every agent's presence entry on the folder `wire` (its server name).
fn get_presence_command(wire: &str) -> String {
    format!(
        "GETMETADATA (DEPTH 1) {} ({})",
        super::quote_folder(wire),
        tanto_core::presence::ENTRY_ROOT
    )
}

/// The (entry, value) pairs of the METADATA answers among `untagged` (removed ones left out).
fn presence_entries(untagged: &[Vec<u8>]) -> Vec<(String, String)> {
    untagged
        .iter()
        .flat_map(|bytes| super::parse::metadata_entries(bytes))
        .collect()
}

/// Which messages of a folder carry no state keyword (new, or noise by the rules) and which
/// carry the claimed one, as the server says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StateSets {
    pub stateless: Vec<u32>,
    pub claimed: Vec<u32>,
}

/// What STATUS tells of a folder (see `Conn::folder_status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FolderStatus {
    pub uidvalidity: Option<u32>,
    pub uidnext: Option<u32>,
    pub messages: u32,
    pub highestmodseq: Option<u64>,
}

/// True for the text of an untagged OK carrying the `[CLOSED]` code (imap-proto does not
/// type it, leaving it in the text).
fn is_closed_code(text: &str) -> bool {
    text.get(..8)
        .is_some_and(|c| c.eq_ignore_ascii_case("[CLOSED]"))
}

/// A folder's name for a message: as configured, and the server's name when it differs.
pub(super) fn shown(logical: &str, wire: &str) -> String {
    if logical == wire {
        logical.to_string()
    } else {
        format!("{logical} (on the server: {wire})")
    }
}

/// Reads the greeting and upgrades with STARTTLS on the bare socket (the crate's client does
/// not expose a raw command before login, and its builder has no connect time-out).
fn starttls(mut tcp: TcpStream) -> std::io::Result<TcpStream> {
    use std::io::{BufRead, BufReader, Write};
    let mut reader = BufReader::new(tcp.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    // Response keywords are case-insensitive (RFC 3501 §9).
    let upper = line.to_ascii_uppercase();
    if !upper.starts_with("* OK") && !upper.starts_with("* PREAUTH") {
        return Err(std::io::Error::other(format!(
            "unexpected greeting {:?}",
            line.trim()
        )));
    }
    tcp.write_all(b"t0 STARTTLS\r\n")?;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        if let Some(rest) = line.strip_prefix("t0 ") {
            if rest.get(..2).is_some_and(|s| s.eq_ignore_ascii_case("OK")) {
                // The server must not send anything more before the handshake.
                return Ok(tcp);
            }
            return Err(std::io::Error::other(rest.trim().to_string()));
        }
    }
}

impl Conn {
    /// IDLE on the selected folder for up to `max`; true when the server reported a change.
    ///
    /// Done on the shared stream rather than with the crate's IDLE, which waits for a tagged
    /// response (forever) when an untagged one comes before the `+` continuation, as it does
    /// when changes are pending or NOTIFY is set.
    pub fn idle_once(&mut self, max: Duration) -> Result<bool> {
        use std::io::{BufRead, Write};
        let lost = |addr: &str, e: std::io::Error| ImapError::from_io(addr, &e);
        if let Err(e) = self.session.run_command("IDLE") {
            return Err(self.lost_or_refused("IDLE", e));
        }
        let mut reader = std::io::BufReader::new(self.shared.clone());
        let mut changed = false;
        // Until the continuation: untagged lines are changes; a tagged line is a refusal.
        loop {
            let mut line = Vec::new();
            if reader
                .read_until(b'\n', &mut line)
                .map_err(|e| lost(&self.addr, e))?
                == 0
            {
                return Err(lost(&self.addr, std::io::ErrorKind::UnexpectedEof.into()));
            }
            if line.starts_with(b"+") {
                break;
            }
            if line.starts_with(b"* ") {
                changed = true;
                continue;
            }
            return Err(ImapError::Refused {
                addr: self.addr.clone(),
                command: "IDLE".into(),
                reason: String::from_utf8_lossy(&line).trim().to_string(),
            });
        }
        if !changed {
            // Wait for anything at all from the server, up to `max`.
            let mut timed = self.shared.clone();
            let _ = timed.set_read_timeout(Some(max));
            changed = match reader.fill_buf() {
                Ok(buf) => !buf.is_empty(),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    false
                }
                Err(e) => return Err(lost(&self.addr, e)),
            };
            let _ = timed.set_read_timeout(Some(IO_TIMEOUT));
        }
        let mut writer = self.shared.clone();
        writer
            .write_all(b"DONE\r\n")
            .and_then(|()| writer.flush())
            .map_err(|e| lost(&self.addr, e))?;
        let tagged =
            read_responses(&mut reader, |_| changed = true).map_err(|e| lost(&self.addr, e))?;
        self.finish_direct_read(reader, &tagged, "IDLE")?;
        Ok(changed)
    }
}

impl Conn {
    /// A NOOP on the selected folder; true when the server reported any change with it.
    /// (Polling notices a change at once, where Dovecot holds IDLE notifications for 0.5 s.)
    pub fn poll_changes(&mut self) -> Result<bool> {
        if let Err(e) = self.session.noop() {
            return Err(self.lost_or_refused("NOOP", e));
        }
        Ok(self.session.take_all_unsolicited().count() > 0)
    }
}

impl Conn {
    /// Drops the unsolicited responses the crate queued (a long-lived connection would
    /// otherwise keep them all; the sync reads state with its own commands).
    pub fn forget_unsolicited(&mut self) {
        let _ = self.session.take_all_unsolicited().count();
    }
}
