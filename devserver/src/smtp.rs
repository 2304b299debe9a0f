//! A real SMTP server on 127.0.0.1 for the send tests: aiosmtpd (Debian's
//! `python3-aiosmtpd`, run by `/usr/bin/python3`) with a small handler written by the
//! harness that delivers every accepted message, byte for byte, into a Maildir in a temp
//! dir, with its envelope beside it.
//!
//! It can be stopped and restarted on the same port (the "SMTP is down" tests), and tests
//! read what it received with [`SmtpSink::received`]. A missing aiosmtpd is a panic that
//! says how to install it (the tests never skip), or for `tanto demo` a [`SinkError`].

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::sys::{make_temp_dir, pick_free_port, start_python, PYTHON};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(15);

/// The handler: each message goes to `tmp/` then is renamed into `new/` (Maildir delivery,
/// so a reader never sees half a message); `<name>.env` holds the envelope, one line
/// `from <addr>` then one `to <addr>` per recipient. Files in the root change its answers
/// (read each time they apply, so a test may change them while the sink runs): `refuse` (see
/// [`SmtpSink::refuse`]) and `slow` (see [`SmtpSink::slow_data`]). The sink exits when its
/// parent (the test process) is gone, so a killed test leaves nothing running.
const SCRIPT: &str = r#"
import asyncio, base64, itertools, json, os, sys, time, urllib.parse, urllib.request
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

port, root = int(sys.argv[1]), sys.argv[2]
counter = itertools.count()

def read(name, default=""):
    # A control file of the root, read at each use (a test may change it meanwhile).
    try:
        with open(os.path.join(root, name), encoding="utf-8") as f:
            return f.read().strip()
    except FileNotFoundError:
        return default

class Sink:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        # Addresses listed in <root>/refuse are refused for good, as a real server refuses
        # a mailbox that does not exist.
        try:
            with open(os.path.join(root, "refuse"), encoding="utf-8") as f:
                refused = {l.strip().lower() for l in f if l.strip()}
        except FileNotFoundError:
            refused = set()
        if address.lower() in refused:
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    # SASL XOAUTH2 (lettre sends the initial response on the AUTH line). Each attempt is
    # logged to <root>/auth.log as "XOAUTH2 <user> <token> ok|refused"; with <root>/xoauth2
    # holding a token introspection URL (RFC 7662) the token must be active there.
    async def auth_XOAUTH2(self, server, args):
        try:
            raw = base64.b64decode(args[1]).decode("utf-8")
            fields = dict(f.split("=", 1) for f in raw.split("\x01") if "=" in f)
            user, token = fields["user"], fields["auth"].split(" ", 1)[1]
        except Exception:
            return AuthResult(success=False, handled=False)
        ok = True
        # <root>/refuse-xoauth2 holds how many sign-ins to refuse whatever the token.
        refuse = int(read("refuse-xoauth2") or "0")
        if refuse > 0:
            with open(os.path.join(root, "refuse-xoauth2"), "w", encoding="utf-8") as f:
                f.write(str(refuse - 1))
            ok = False
        url = read("xoauth2")
        if url and ok:
            body = urllib.parse.urlencode({"token": token}).encode()
            with urllib.request.urlopen(url, data=body, timeout=10) as r:
                ok = json.load(r).get("active") is True
        with open(os.path.join(root, "auth.log"), "a", encoding="utf-8") as f:
            f.write("XOAUTH2 %s %s %s\n" % (user, token, "ok" if ok else "refused"))
        return AuthResult(success=ok, handled=False)

    async def handle_DATA(self, server, session, envelope):
        name = "%020d.%06d.%d" % (time.time_ns(), next(counter), os.getpid())
        tmp = os.path.join(root, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(envelope.original_content)
        env = os.path.join(root, "tmp", name + ".env")
        with open(env, "w", encoding="utf-8") as f:
            f.write("from %s\n" % envelope.mail_from)
            for r in envelope.rcpt_tos:
                f.write("to %s\n" % r)
        os.rename(env, os.path.join(root, "envelope", name + ".env"))
        os.rename(tmp, os.path.join(root, "new", name))
        # A server that took the mail but is slow to say so (<root>/slow holds the seconds):
        # the mail is delivered first, then the 250 waits. Only this session waits: others
        # are served meanwhile.
        delay = float(read("slow") or "0")
        if delay > 0:
            await asyncio.sleep(delay)
        return "250 2.0.0 Ok: queued as %s" % name

parent = os.getppid()
controller = Controller(Sink(), hostname="127.0.0.1", port=port,
                        ident="tanto-test-sink", enable_SMTPUTF8=True, decode_data=False,
                        auth_require_tls=False, auth_exclude_mechanism=["PLAIN", "LOGIN"])
controller.start()
print("READY", flush=True)
try:
    while os.getppid() == parent:
        time.sleep(0.2)
finally:
    controller.stop()
"#;

/// One message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// `MAIL FROM` address.
    pub mail_from: String,
    /// `RCPT TO` addresses, in order.
    pub rcpt_to: Vec<String>,
    /// The message exactly as sent in DATA (dot-unstuffed).
    pub raw: Vec<u8>,
}

impl Received {
    /// The value of the first header field `name` (case-insensitive), unfolded; `None` when
    /// absent. Enough for tests; not a MIME parser.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = String::from_utf8_lossy(&self.raw);
        let head = text
            .split("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .replace("\r\n ", " ")
            .replace("\r\n\t", " ");
        head.split("\r\n").find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
}

/// Why a sink did not start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SinkError {
    /// `/usr/bin/python3` cannot import aiosmtpd.
    NotInstalled,
    /// Anything else, in words.
    Failed(String),
}

impl std::fmt::Display for SinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SinkError::NotInstalled => write!(
                f,
                "{PYTHON} cannot import aiosmtpd: the send tests need a real SMTP server. \
                 Install it with `scripts/ensure-deps.sh` (Debian/Ubuntu package \
                 `python3-aiosmtpd`)."
            ),
            SinkError::Failed(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for SinkError {}

/// A running SMTP sink owned by a test. Dropping it stops the server and deletes its mail.
pub struct SmtpSink {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
}

impl SmtpSink {
    /// Starts a sink on a free port of 127.0.0.1 and waits for its `220` greeting.
    pub fn start() -> SmtpSink {
        Self::start_at(make_temp_dir("tanto-dovecot-")).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Like `start`, with the sink's dir (Maildir, script, log) a new `smtp-*` dir in
    /// `parent` (the demo keeps everything in its own dir), and failures returned.
    pub fn try_start_in(parent: &Path) -> Result<SmtpSink, SinkError> {
        let dir = tempfile::Builder::new()
            .prefix("smtp-")
            .tempdir_in(parent)
            .map_err(|e| SinkError::Failed(format!("create a dir in {}: {e}", parent.display())))?;
        Self::start_at(dir)
    }

    fn start_at(dir: tempfile::TempDir) -> Result<SmtpSink, SinkError> {
        if !installed() {
            return Err(SinkError::NotInstalled);
        }
        for sub in ["tmp", "new", "cur", "envelope"] {
            fs::create_dir_all(dir.path().join(sub))
                .map_err(|e| SinkError::Failed(format!("create the sink's maildir: {e}")))?;
        }
        fs::write(dir.path().join("sink.py"), SCRIPT)
            .map_err(|e| SinkError::Failed(format!("write the sink's script: {e}")))?;
        let mut sink = SmtpSink {
            port: 0,
            dir,
            child: None,
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            sink.port = pick_free_port();
            match sink.spawn() {
                Ok(()) => return Ok(sink),
                Err(why) if attempt < 5 && why.contains("in use") => continue,
                Err(why) => {
                    return Err(SinkError::Failed(format!(
                        "the SMTP sink (aiosmtpd) did not start on 127.0.0.1:{}: {why}",
                        sink.port
                    )))
                }
            }
        }
    }

    /// Stops the server: connections are refused until `restart`. Received mail stays.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same port (retrying while the port is in TIME_WAIT).
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match self.spawn() {
                Ok(()) => return,
                Err(why) if Instant::now() < deadline => {
                    let _ = why;
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(why) => panic!(
                    "the SMTP sink did not restart on 127.0.0.1:{}: {why}",
                    self.port
                ),
            }
        }
    }

    /// Whether the server is running (between `start`/`restart` and `stop`).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Everything received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let new = self.dir.path().join("new");
        let mut names: Vec<String> = fs::read_dir(&new)
            .map(|d| {
                d.filter_map(|e| e.ok()?.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .into_iter()
            .filter_map(|n| {
                let raw = fs::read(new.join(&n)).ok()?;
                let env = fs::read_to_string(self.dir.path().join("envelope").join(n + ".env"))
                    .unwrap_or_default();
                let mut mail_from = String::new();
                let mut rcpt_to = Vec::new();
                for line in env.lines() {
                    if let Some(a) = line.strip_prefix("from ") {
                        mail_from = a.to_string();
                    } else if let Some(a) = line.strip_prefix("to ") {
                        rcpt_to.push(a.to_string());
                    }
                }
                Some(Received {
                    mail_from,
                    rcpt_to,
                    raw,
                })
            })
            .collect()
    }

    /// From now on the sink refuses `address` at RCPT with a permanent 550.
    pub fn refuse(&self, address: &str) {
        let path = self.dir.path().join("refuse");
        let mut text = fs::read_to_string(&path).unwrap_or_default();
        text.push_str(address);
        text.push('\n');
        fs::write(&path, text).expect("write the sink's refuse list");
    }

    /// From now on the final answer to DATA (the `250` after the end of the message) comes
    /// `delay` late: the message is delivered (`received` lists it) at once, and its `250`
    /// only after the wait, as from a server whose filters take their time. Other sessions
    /// are served meanwhile. `Duration::ZERO` answers at once again.
    pub fn slow_data(&self, delay: Duration) {
        fs::write(
            self.dir.path().join("slow"),
            format!("{:.3}\n", delay.as_secs_f64()),
        )
        .expect("write the sink's delay");
    }

    /// From now on a client that signs in with XOAUTH2 must bring a token that
    /// `introspection_url` (RFC 7662, e.g. [`crate::OAuthMock::introspection_url`]) calls
    /// active; without this call any token is taken. Signing in stays optional.
    pub fn check_xoauth2(&self, introspection_url: &str) {
        fs::write(self.dir.path().join("xoauth2"), introspection_url)
            .expect("write the sink's introspection URL");
    }

    /// The next `n` XOAUTH2 sign-ins are refused (535) whatever their token, as a server
    /// refuses a token it no longer takes.
    pub fn refuse_xoauth2(&self, n: u32) {
        fs::write(self.dir.path().join("refuse-xoauth2"), n.to_string())
            .expect("write the sink's refusals");
    }

    /// Every XOAUTH2 sign-in so far, oldest first: (user, token, accepted).
    pub fn xoauth2_logins(&self) -> Vec<(String, String, bool)> {
        fs::read_to_string(self.dir.path().join("auth.log"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| {
                let mut f = l.split(' ').skip(1);
                Some((f.next()?.into(), f.next()?.into(), f.next()? == "ok"))
            })
            .collect()
    }

    /// Waits (up to `timeout`) until at least `n` messages arrived; returns them all.
    /// Panics on timeout with what did arrive.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if Instant::now() > deadline {
                panic!(
                    "the SMTP sink received {} message(s) within {timeout:?}, expected {n}",
                    got.len()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The `[mailbox.smtp]` table of a tanto config pointing at this sink (plain SMTP on
    /// loopback, no login). It may follow any table: it belongs to the last `[[mailbox]]`.
    pub fn config_toml(&self) -> String {
        format!(
            "\n[mailbox.smtp]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\n",
            self.port
        )
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("sink.log")
    }

    fn spawn(&mut self) -> Result<(), String> {
        assert!(self.child.is_none(), "the SMTP sink is already running");
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let args = [self.port.to_string(), self.dir.path().display().to_string()];
        let script = self.dir.path().join("sink.py");
        let child = start_python(&script, &args, &self.log_path(), STARTUP_TIMEOUT, || {
            greets(addr)
        })
        .map_err(|why| {
            if why.contains("Address already in use") {
                format!("port in use ({why})")
            } else {
                why
            }
        })?;
        self.child = Some(child);
        Ok(())
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.stop();
    }
}

/// True when a connection to `addr` gets this sink's `220` greeting.
fn greets(addr: SocketAddr) -> bool {
    let Ok(tcp) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) else {
        return false;
    };
    let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
    let mut line = String::new();
    let ok = BufReader::new(&tcp).read_line(&mut line).is_ok()
        && line.starts_with("220")
        && line.contains("tanto-test-sink");
    if ok {
        use std::io::Write;
        let _ = (&tcp).write_all(b"QUIT\r\n");
    }
    ok
}

/// Whether Debian's Python has aiosmtpd.
fn installed() -> bool {
    Command::new(PYTHON)
        .args(["-c", "import aiosmtpd"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
