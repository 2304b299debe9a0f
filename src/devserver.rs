//! A real Dovecot IMAP server on 127.0.0.1, for the integration tests (through
//! `tests/harness`), `tanto demo` and the benchmarks.
//!
//! Every instance has its own temp dir, port and data, so tests can run in parallel.
//!
//! ```ignore
//! mod harness;
//! use harness::Dovecot;
//!
//! #[test]
//! fn something() {
//!     let dc = Dovecot::start();
//!     let uid = dc.append("support", "INBOX", &harness::sample_message(1, None), &[]);
//!     let mut s = dc.session("alice");
//!     // ...
//! }
//! ```
//!
//! Requirements: the `dovecot` binary (package `dovecot-imapd`) and `doveadm` (dovecot-core);
//! run `scripts/ensure-deps.sh`. The tests never skip: a missing server is a panic.
//!
//! The server runs in the foreground as a child of the test process, with every path (config,
//! sockets, state, logs, mail) inside the temp dir. Works as root (mail is owned by `nobody`,
//! login processes run as `dovenull`) and as an ordinary user (everything runs as that user).

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Password of every test user.
pub const PASSWORD: &str = "secret";
/// Users present in every test server.
pub const USERS: &[&str] = &["support", "alice", "bob", "carol"];

const HOST: &str = "127.0.0.1";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Messages per MULTIAPPEND command in `append_many`.
const APPEND_BATCH: usize = 250;

/// An IMAP session of the `imap` crate over plain TCP, as returned by [`Dovecot::session`].
pub type Session = imap::Session<TcpStream>;

/// A running Dovecot server owned by a test. Dropping it stops the server and deletes its data.
pub struct Dovecot {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    watchdog: Option<Child>,
    instance: String,
    conf: PathBuf,
    log_path: PathBuf,
    stderr_path: PathBuf,
    dovecot_bin: PathBuf,
}

impl Dovecot {
    /// Creates a fresh server (temp dir, free port, users `support`, `alice`, `bob`, `carol`
    /// with password `secret`), starts it and waits until it sends its IMAP greeting.
    pub fn start() -> Dovecot {
        Dovecot::start_with("")
    }

    /// Like `start`, with `extra` appended to the config (e.g. an `imap_capability` line that
    /// hides CONDSTORE and QRESYNC, to test the fallbacks).
    pub fn start_with(extra: &str) -> Dovecot {
        Dovecot::start_namespaced("", '/', extra)
    }

    /// Like `start_with`, with personal folders under `prefix` and `separator` between
    /// levels: `("INBOX.", '.')` is the layout of Cyrus as Debian ships it and of Courier.
    pub fn start_namespaced(prefix: &str, separator: char, extra: &str) -> Dovecot {
        let dovecot_bin = find_binary("dovecot", &["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"])
            .unwrap_or_else(|| {
                panic!(
                    "the `dovecot` binary was not found (looked in $PATH and /usr/sbin): the \
                     integration tests need a real Dovecot IMAP server. Install it with \
                     `scripts/ensure-deps.sh` (Debian/Ubuntu package `dovecot-imapd`)."
                )
            });
        let dir = make_temp_dir();
        let base = dir.path().to_path_buf();
        let ids = RunAs::detect();
        for sub in ["run", "state"] {
            fs::create_dir_all(base.join(sub)).expect("create dovecot run/state dir");
        }
        let mail = base.join("mail");
        fs::create_dir_all(&mail).expect("create mail dir");
        if ids.root {
            std::os::unix::fs::chown(&mail, Some(ids.mail_uid), Some(ids.mail_gid))
                .expect("chown mail dir to the unprivileged mail user");
        }
        let users: String = USERS
            .iter()
            .map(|u| {
                format!(
                    "{u}:{{PLAIN}}{PASSWORD}:{}:{}::{}::\n",
                    ids.mail_uid,
                    ids.mail_gid,
                    mail.join(u).display()
                )
            })
            .collect();
        fs::write(base.join("users"), users).expect("write dovecot passwd-file");

        // Unique per server: names its processes (`dovecot-<instance>/imap`) and is part of
        // its greeting, so that readiness is never confused with another test's server.
        let instance = format!(
            "tanto-{}",
            base.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("tanto-dovecot-"))
                .unwrap_or("test")
        );
        let mut dc = Dovecot {
            port: 0,
            dir,
            child: None,
            watchdog: None,
            instance,
            conf: base.join("dovecot.conf"),
            log_path: base.join("dovecot.log"),
            stderr_path: base.join("dovecot.stderr"),
            dovecot_bin,
        };

        // The port is picked before Dovecot binds it, so another process may grab it in
        // between: retry with a new port in that (rare) case.
        let mut attempt = 0;
        loop {
            attempt += 1;
            dc.port = pick_free_port();
            fs::write(
                &dc.conf,
                dovecot_conf(
                    &base,
                    dc.port,
                    &dc.instance,
                    &dc.greeting(),
                    &ids,
                    (prefix, separator),
                ) + "\n"
                    + extra
                    + "\n",
            )
            .expect("write dovecot.conf");
            let mark = dc.log_mark();
            dc.spawn();
            match dc.wait_ready() {
                Ok(()) => return dc,
                Err(why) => {
                    dc.stop();
                    let log = dc.log();
                    let port_clash = dc.log_since(mark).contains("Address already in use");
                    if port_clash && attempt < 5 {
                        continue;
                    }
                    panic!(
                        "Dovecot did not start on 127.0.0.1:{} ({why}).\n--- config {} ---\n{}\n--- log ---\n{log}",
                        dc.port,
                        dc.conf.display(),
                        fs::read_to_string(&dc.conf).unwrap_or_default()
                    );
                }
            }
        }
    }

    /// Stops the server (all its processes). Data stays; `restart` brings it back.
    /// Does nothing when already stopped.
    pub fn stop(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        let Some(mut child) = self.child.take() else {
            return;
        };
        let master = child.id();
        // Dovecot's master forks every service process itself: remember them, so that none
        // survives even if the master has to be SIGKILLed.
        let children = child_pids(master);
        signal(master, "TERM");
        // A graceful shutdown: the master stops its services, tells the remaining ones (log,
        // stats and the imap processes serving clients) to quit, then sleeps a fixed second
        // before exiting and ending the client sessions. Once only those are left, nothing is
        // gained by waiting: end the client sessions (SIGTERM, as the master would: they log
        // "Server shutting down") and kill the master. The log process drains its pipes and
        // exits when it sees the master gone.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10));
                    let live: Vec<(u32, String)> = child_pids(master)
                        .into_iter()
                        .filter_map(|pid| Some((pid, self.service_of(pid)?)))
                        .collect();
                    let winding_down = live
                        .iter()
                        .all(|(_, svc)| matches!(svc.as_str(), "log" | "stats" | "imap"));
                    if winding_down {
                        let clients: Vec<u32> = live
                            .iter()
                            .filter(|(_, svc)| svc == "imap")
                            .map(|(pid, _)| *pid)
                            .collect();
                        for pid in &clients {
                            signal(*pid, "TERM");
                        }
                        let until = Instant::now() + Duration::from_secs(2);
                        while Instant::now() < until
                            && clients.iter().any(|pid| self.service_of(*pid).is_some())
                        {
                            std::thread::sleep(Duration::from_millis(5));
                        }
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
            }
        }
        let _ = fs::remove_file(self.dir.path().join("run/master.pid"));
        // Give the remaining processes (the log process) a moment to exit on their own, then
        // kill whatever is left. Only processes still showing this instance's title are
        // signalled (pids could in theory be reused).
        let soft = Instant::now() + Duration::from_secs(1);
        let hard = soft + Duration::from_secs(5);
        for pid in children {
            while self.service_of(pid).is_some() {
                if Instant::now() > soft {
                    signal(pid, "KILL");
                }
                if Instant::now() > hard {
                    break;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// Stops and starts the server again: same port, same data. Returns once it greets.
    pub fn restart(&mut self) {
        self.stop();
        // The port may be in TIME_WAIT (Dovecot sets SO_REUSEADDR) or, very rarely, briefly
        // used by someone else: retry for a few seconds.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let mark = self.log_mark();
            self.spawn();
            match self.wait_ready() {
                Ok(()) => return,
                Err(why) => {
                    self.stop();
                    let log = self.log();
                    let port_clash = self.log_since(mark).contains("Address already in use");
                    if port_clash && Instant::now() < deadline {
                        std::thread::sleep(Duration::from_millis(200));
                        continue;
                    }
                    panic!(
                        "Dovecot did not restart on 127.0.0.1:{} ({why}).\n--- log ---\n{log}",
                        self.port
                    );
                }
            }
        }
    }

    /// Whether the server process is running (it is between `start`/`restart` and `stop`).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The server's log so far (all starts), plus anything it wrote to stderr.
    /// Every session ends with a line like
    /// `imap(alice)<..>: Info: Disconnected: Logged out in=.. out=.. deleted=0 expunged=0
    /// trashed=0 hdr_count=2 hdr_bytes=52 body_count=1 body_bytes=32`.
    pub fn log(&self) -> String {
        let mut log = fs::read_to_string(&self.log_path).unwrap_or_default();
        let stderr = fs::read_to_string(&self.stderr_path).unwrap_or_default();
        if !stderr.trim().is_empty() {
            log.push_str("--- dovecot stderr ---\n");
            log.push_str(&stderr);
        }
        log
    }

    /// Current sizes of the log and stderr files, for `log_since`.
    fn log_mark(&self) -> (usize, usize) {
        let len = |p: &Path| fs::metadata(p).map(|m| m.len() as usize).unwrap_or(0);
        (len(&self.log_path), len(&self.stderr_path))
    }

    /// What the server logged (log file and stderr) after `mark`.
    fn log_since(&self, mark: (usize, usize)) -> String {
        let tail = |p: &Path, from: usize| {
            let bytes = fs::read(p).unwrap_or_default();
            String::from_utf8_lossy(bytes.get(from..).unwrap_or_default()).into_owned()
        };
        tail(&self.log_path, mark.0) + &tail(&self.stderr_path, mark.1)
    }

    /// Waits (up to `timeout`) until the log contains `needle`, and returns the log. Dovecot
    /// writes its log through a separate process, so a line (e.g. the `Logged out` line of a
    /// session that just ended) may appear a few milliseconds after the event. Panics with the
    /// log on timeout.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let log = self.log();
            if log.contains(needle) {
                return log;
            }
            if Instant::now() > deadline {
                panic!("{needle:?} did not appear in the Dovecot log within {timeout:?}:\n{log}");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Path of the generated dovecot.conf (for `doveadm -c`).
    pub fn conf_path(&self) -> &Path {
        &self.conf
    }

    /// Runs `doveadm -c <conf> <args>` against this server's config and returns its stdout.
    /// Panics (with stderr) when it fails. Example: `dc.doveadm(&["mailbox", "list", "-u", "alice"])`.
    pub fn doveadm(&self, args: &[&str]) -> String {
        let bin = find_binary("doveadm", &["/usr/bin/doveadm", "/usr/local/bin/doveadm"])
            .expect("`doveadm` not found (package dovecot-core): run scripts/ensure-deps.sh");
        let out = Command::new(bin)
            .arg("-c")
            .arg(&self.conf)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run doveadm");
        assert!(
            out.status.success(),
            "doveadm {args:?} failed ({}): {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A logged-in session (`imap` crate, plain TCP, 60 s I/O timeouts) as `user`/`secret`.
    pub fn session(&self, user: &str) -> Session {
        let tcp = self.connect();
        let mut client = imap::Client::new(tcp);
        client.read_greeting().expect("read IMAP greeting");
        match client.login(user, PASSWORD) {
            Ok(s) => s,
            Err((e, _)) => panic!(
                "IMAP LOGIN as {user} failed: {e}\n--- log ---\n{}",
                self.log()
            ),
        }
    }

    /// A plain TCP connection to the server (nothing read yet), with 60 s I/O timeouts.
    pub fn connect(&self) -> TcpStream {
        let tcp = TcpStream::connect((HOST, self.port))
            .unwrap_or_else(|e| panic!("connect to Dovecot on 127.0.0.1:{}: {e}", self.port));
        tcp.set_read_timeout(Some(IO_TIMEOUT))
            .expect("set read timeout");
        tcp.set_write_timeout(Some(IO_TIMEOUT))
            .expect("set write timeout");
        tcp
    }

    /// APPENDs one message (any bytes) to `folder` of `user`, creating the folder if missing,
    /// with the given flags (`"\\Seen"`, `"tanto-wip"`, ...). Returns its UID (APPENDUID).
    pub fn append(&self, user: &str, folder: &str, raw: &[u8], flags: &[&str]) -> u32 {
        self.append_dated(user, folder, raw, flags, None)
    }

    /// Like `append`, with the INTERNALDATE (`"23-Nov-2026 09:02:11 +0900"`) when given.
    pub fn append_dated(
        &self,
        user: &str,
        folder: &str,
        raw: &[u8],
        flags: &[&str],
        date: Option<&str>,
    ) -> u32 {
        let mut c = RawImap::login(self, user);
        c.ensure_folder(folder);
        let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        let uids = c.multiappend(folder, &[(raw, flags.as_slice(), date.map(str::to_string))]);
        c.logout();
        assert_eq!(uids.len(), 1, "APPENDUID for one message: {uids:?}");
        uids[0]
    }

    /// APPENDs many messages (no flags) on one connection with MULTIAPPEND, creating the
    /// folder if missing (1000 messages: well under a second). Returns their UIDs in order.
    pub fn append_many(&self, user: &str, folder: &str, msgs: &[Vec<u8>]) -> Vec<u32> {
        let mut c = RawImap::login(self, user);
        c.ensure_folder(folder);
        let mut uids = Vec::with_capacity(msgs.len());
        for chunk in msgs.chunks(APPEND_BATCH) {
            let items: Vec<(&[u8], &[String], Option<String>)> = chunk
                .iter()
                .map(|m| (m.as_slice(), &[][..], None))
                .collect();
            uids.extend(c.multiappend(folder, &items));
        }
        c.logout();
        assert_eq!(uids.len(), msgs.len(), "one APPENDUID per message");
        uids
    }

    /// `UID STORE <uid_set> <query>` as another client, e.g.
    /// `store("support", "INBOX", "1:10", "+FLAGS (tanto-wip)")`.
    pub fn store(&self, user: &str, folder: &str, uid_set: &str, query: &str) {
        let mut s = self.session(user);
        s.select(folder)
            .unwrap_or_else(|e| panic!("SELECT {folder} as {user}: {e}"));
        s.uid_store(uid_set, query)
            .unwrap_or_else(|e| panic!("UID STORE {uid_set} {query} in {folder} as {user}: {e}"));
        s.logout().expect("LOGOUT");
    }

    /// Sets `\Deleted` on `uid_set` and UID EXPUNGEs exactly those messages, as another client.
    pub fn expunge(&self, user: &str, folder: &str, uid_set: &str) {
        let mut s = self.session(user);
        s.select(folder)
            .unwrap_or_else(|e| panic!("SELECT {folder} as {user}: {e}"));
        s.uid_store(uid_set, "+FLAGS.SILENT (\\Deleted)")
            .unwrap_or_else(|e| panic!("UID STORE {uid_set} \\Deleted in {folder}: {e}"));
        s.uid_expunge(uid_set)
            .unwrap_or_else(|e| panic!("UID EXPUNGE {uid_set} in {folder}: {e}"));
        s.logout().expect("LOGOUT");
    }

    /// Changes the UIDVALIDITY of `folder` (INBOX too) while keeping its messages, as a server
    /// rebuild would: every message is fetched, expunged, the UIDVALIDITY raised with
    /// `doveadm mailbox update`, and the messages re-APPENDed with their flags and internal
    /// dates, so they also get new UIDs. Returns the new UIDVALIDITY (checked to differ).
    pub fn reset_uidvalidity(&self, user: &str, folder: &str) -> u32 {
        let mut s = self.session(user);
        let mbox = s
            .select(folder)
            .unwrap_or_else(|e| panic!("SELECT {folder} as {user}: {e}"));
        let old = mbox.uid_validity.expect("UIDVALIDITY in SELECT response");
        let mut saved: Vec<(u32, Vec<u8>, Vec<String>, String)> = Vec::new();
        if mbox.exists > 0 {
            let fetches = s
                .uid_fetch("1:*", "(UID FLAGS INTERNALDATE BODY.PEEK[])")
                .unwrap_or_else(|e| panic!("UID FETCH 1:* in {folder}: {e}"));
            for f in fetches.iter() {
                let uid = f.uid.expect("UID in FETCH response");
                let body = f.body().expect("BODY[] in FETCH response").to_vec();
                let flags = f
                    .flags()
                    .iter()
                    .filter(|fl| !matches!(fl, imap::types::Flag::Recent))
                    .map(|fl| fl.to_string())
                    .collect();
                let date = f
                    .internal_date()
                    .expect("INTERNALDATE in FETCH response")
                    .format("%d-%b-%Y %H:%M:%S %z")
                    .to_string();
                saved.push((uid, body, flags, date));
            }
            saved.sort_by_key(|m| m.0);
            s.uid_store("1:*", "+FLAGS.SILENT (\\Deleted)")
                .expect("mark all \\Deleted");
            s.expunge().expect("EXPUNGE");
        }
        s.logout().expect("LOGOUT");

        let new = old.wrapping_add(1).max(1);
        self.doveadm(&[
            "mailbox",
            "update",
            "-u",
            user,
            "--uid-validity",
            &new.to_string(),
            folder,
        ]);

        if !saved.is_empty() {
            let mut c = RawImap::login(self, user);
            for chunk in saved.chunks(APPEND_BATCH) {
                let items: Vec<(&[u8], &[String], Option<String>)> = chunk
                    .iter()
                    .map(|(_, body, flags, date)| {
                        (body.as_slice(), flags.as_slice(), Some(date.clone()))
                    })
                    .collect();
                c.multiappend(folder, &items);
            }
            c.logout();
        }
        let now = self.uidvalidity(user, folder);
        assert_ne!(now, old, "UIDVALIDITY of {user}/{folder} did not change");
        assert_eq!(
            now, new,
            "UIDVALIDITY of {user}/{folder} after doveadm update"
        );
        now
    }

    /// The folder's current UIDVALIDITY (STATUS).
    pub fn uidvalidity(&self, user: &str, folder: &str) -> u32 {
        let mut s = self.session(user);
        let m = s
            .status(folder, "(UIDVALIDITY)")
            .unwrap_or_else(|e| panic!("STATUS {folder} (UIDVALIDITY) as {user}: {e}"));
        s.logout().expect("LOGOUT");
        m.uid_validity.expect("UIDVALIDITY in STATUS response")
    }

    /// All UIDs in the folder, ascending (read-only EXAMINE + UID SEARCH ALL).
    pub fn uids(&self, user: &str, folder: &str) -> Vec<u32> {
        let mut s = self.session(user);
        s.examine(folder)
            .unwrap_or_else(|e| panic!("EXAMINE {folder} as {user}: {e}"));
        let mut uids: Vec<u32> = s
            .uid_search("ALL")
            .unwrap_or_else(|e| panic!("UID SEARCH ALL in {folder}: {e}"))
            .into_iter()
            .collect();
        s.logout().expect("LOGOUT");
        uids.sort_unstable();
        uids
    }

    /// The flags (including keywords, excluding `\Recent`) of one message, by UID.
    pub fn flags(&self, user: &str, folder: &str, uid: u32) -> Vec<String> {
        let mut s = self.session(user);
        s.examine(folder)
            .unwrap_or_else(|e| panic!("EXAMINE {folder} as {user}: {e}"));
        let fetches = s
            .uid_fetch(uid.to_string(), "(UID FLAGS)")
            .unwrap_or_else(|e| panic!("UID FETCH {uid} FLAGS in {folder}: {e}"));
        let f = fetches
            .iter()
            .find(|f| f.uid == Some(uid))
            .unwrap_or_else(|| panic!("no message with UID {uid} in {user}/{folder}"));
        let flags = f
            .flags()
            .iter()
            .filter(|fl| !matches!(fl, imap::types::Flag::Recent))
            .map(|fl| fl.to_string())
            .collect();
        s.logout().expect("LOGOUT");
        flags
    }

    /// Writes `dir/<agent_id>.toml` for an agent used in-process (tests, benches): the
    /// config of `config_toml` with its own cache in `dir`, the password given by a command
    /// (no environment needed), the `role`, and `extra` TOML appended. Returns its path.
    pub fn agent_config(&self, dir: &Path, agent_id: &str, role: &str, extra: &str) -> PathBuf {
        fs::create_dir_all(dir).expect("create the agent's dir");
        let path = dir.join(format!("{agent_id}.toml"));
        let text = self
            .config_toml("support", &dir.join("cache.sqlite"), agent_id)
            .replace(
                "password_env = \"TANTO_TEST_PASSWORD\"",
                &format!("password_command = \"echo {PASSWORD}\""),
            )
            .replace("role = \"agent\"", &format!("role = \"{role}\""))
            + extra;
        fs::write(&path, text).expect("write the agent's config");
        path
    }

    /// A tanto config (TOML) for this server: one mailbox `support` logged in as `user`,
    /// password from `$TANTO_TEST_PASSWORD` (tests set it to `secret` in the child's env).
    pub fn config_toml(&self, user: &str, cache_path: &Path, agent_id: &str) -> String {
        format!(
            r#"[agent]
id = {id}
name = {id}
role = "agent"

[[mailbox]]
name = "support"
address = "support@example.com"
[mailbox.imap]
host = "127.0.0.1"
port = {port}
tls = "none"
user = {user}
password_env = "TANTO_TEST_PASSWORD"
folder = "INBOX"
sent_folder = "Sent"

[cache]
path = {cache}
"#,
            id = toml_str(agent_id),
            port = self.port,
            user = toml_str(user),
            cache = toml_str(&cache_path.to_string_lossy()),
        )
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "Dovecot is already running");
        let stderr = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr_path)
            .expect("open dovecot stderr file");
        let stdout = stderr.try_clone().expect("clone stderr file handle");
        let child = Command::new(&self.dovecot_bin)
            .arg("-F")
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.dovecot_bin.display()));
        // If the test process dies without running Drop (SIGKILL, abort), this watchdog stops
        // the server and deletes its temp dir, so nothing is left behind. A normal stop kills
        // the watchdog first.
        let script = format!(
            "while kill -0 {me} 2>/dev/null && kill -0 {dc} 2>/dev/null; do sleep 1; done; \
             if ! kill -0 {me} 2>/dev/null; then kill -TERM {dc} 2>/dev/null; sleep 3; rm -rf '{dir}'; fi",
            me = std::process::id(),
            dc = child.id(),
            dir = self.dir.path().display().to_string().replace('\'', "'\\''"),
        );
        self.watchdog = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok();
        self.child = Some(child);
    }

    /// For a live (non-zombie) process of this Dovecot instance, its service name (`imap`,
    /// `log`, `auth`, ...) from its process title `dovecot-<instance>/<service> [...]`.
    /// None for anything else (dead, zombie, or not ours: pids could be reused).
    fn service_of(&self, pid: u32) -> Option<String> {
        let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let state = stat[stat.rfind(')')? + 1..].split_whitespace().next()?;
        if state == "Z" || state == "X" {
            return None;
        }
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let title = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        let prefix = format!("dovecot-{}/", self.instance);
        let rest = title.strip_prefix(&prefix)?;
        Some(
            rest.split([' ', '\0'])
                .next()
                .unwrap_or_default()
                .to_string(),
        )
    }

    /// The `login_greeting` of this server.
    fn greeting(&self) -> String {
        format!("Dovecot ready ({})", self.instance)
    }

    /// Waits until the port accepts a connection and this server's `* OK` greeting is read.
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    return Err(format!("dovecot exited: {status}"));
                }
            }
            if let Ok(tcp) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
                let mut line = String::new();
                if BufReader::new(&tcp).read_line(&mut line).is_ok()
                    && line.starts_with("* OK")
                    && line.contains(&self.greeting())
                {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!("no IMAP greeting within {STARTUP_TIMEOUT:?}"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A deterministic, realistic customer message (CRLF line endings).
///
/// `i` numbers the message: Message-ID `<msg{i}@customer.example>`, Date = 2024-01-01 08:00 UTC
/// plus `i` × 5 minutes. `thread_of: Some(root)` makes it a reply in the thread started by
/// message `root`: Subject `Re: Question {root}`, `In-Reply-To` and `References` pointing at
/// `<msg{root}@customer.example>`. The sender is `customer{root}@customer.example`, so all
/// messages of a thread come from the same customer. `None` (or `Some(i)`) starts a thread:
/// Subject `Question {i}`.
pub fn sample_message(i: usize, thread_of: Option<usize>) -> Vec<u8> {
    let root = thread_of.unwrap_or(i);
    let reply = root != i;
    let n = root;
    let date = rfc5322_date(1_704_096_000 + 300 * i as u64);
    let mut m = String::new();
    m.push_str(&format!("Return-Path: <customer{n}@customer.example>\r\n"));
    m.push_str(&format!(
        "From: Customer {n} <customer{n}@customer.example>\r\n"
    ));
    m.push_str("To: Example Support <support@example.com>\r\n");
    if reply {
        m.push_str(&format!("Subject: Re: Question {root}\r\n"));
    } else {
        m.push_str(&format!("Subject: Question {root}\r\n"));
    }
    m.push_str(&format!("Date: {date}\r\n"));
    m.push_str(&format!("Message-ID: <msg{i}@customer.example>\r\n"));
    if reply {
        m.push_str(&format!("In-Reply-To: <msg{root}@customer.example>\r\n"));
        m.push_str(&format!("References: <msg{root}@customer.example>\r\n"));
    }
    m.push_str("MIME-Version: 1.0\r\n");
    m.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    m.push_str("Content-Transfer-Encoding: 7bit\r\n");
    m.push_str("\r\n");
    m.push_str("Hello,\r\n\r\n");
    if reply {
        m.push_str(&format!(
            "I am writing again about question {root}: it is still not solved.\r\n\
             This is message {i}.\r\n"
        ));
    } else {
        m.push_str(&format!(
            "I have question {root} about my order #{}: it has not arrived yet.\r\n\
             Could you please check? This is message {i}.\r\n",
            10_000 + root
        ));
    }
    m.push_str(&format!("\r\nThanks,\r\nCustomer {n}\r\n"));
    m.into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Dovecot configuration

/// Who the server runs as.
struct RunAs {
    root: bool,
    /// Owner of the mail files (never root).
    mail_uid: u32,
    mail_gid: u32,
    /// `default_login_user`, `default_internal_user`.
    login_user: String,
    internal_user: String,
    /// `default_internal_group` when not root (the default, `dovecot`, is for root only).
    internal_group: Option<String>,
}

impl RunAs {
    fn detect() -> RunAs {
        let status = fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
        let id_field = |key: &str| -> u32 {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|rest| rest.split_whitespace().nth(1)) // effective id
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("no {key} line in /proc/self/status"))
        };
        let (uid, gid) = (id_field("Uid:"), id_field("Gid:"));
        let passwd = fs::read_to_string("/etc/passwd").unwrap_or_default();
        let by_name = |name: &str| -> Option<(u32, u32)> {
            passwd.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                if f.len() > 3 && f[0] == name {
                    Some((f[2].parse().ok()?, f[3].parse().ok()?))
                } else {
                    None
                }
            })
        };
        if uid == 0 {
            let (mail_uid, mail_gid) = by_name("nobody").unwrap_or((65534, 65534));
            let pick = |names: &[&str]| -> String {
                names
                    .iter()
                    .find(|n| by_name(n).is_some())
                    .map(|n| n.to_string())
                    .expect("no unprivileged system user (dovenull/dovecot/nobody) found")
            };
            RunAs {
                root: true,
                mail_uid,
                mail_gid,
                login_user: pick(&["dovenull", "nobody"]),
                internal_user: pick(&["dovecot", "nobody"]),
                internal_group: None,
            }
        } else {
            let me = passwd
                .lines()
                .find_map(|l| {
                    let f: Vec<&str> = l.split(':').collect();
                    (f.len() > 3 && f[2] == uid.to_string()).then(|| f[0].to_string())
                })
                .unwrap_or_else(|| {
                    panic!("uid {uid} has no /etc/passwd entry; Dovecot needs a user name")
                });
            let group = fs::read_to_string("/etc/group")
                .unwrap_or_default()
                .lines()
                .find_map(|l| {
                    let f: Vec<&str> = l.split(':').collect();
                    (f.len() > 2 && f[2] == gid.to_string()).then(|| f[0].to_string())
                })
                .unwrap_or_else(|| {
                    panic!("gid {gid} has no /etc/group entry; Dovecot needs a group name")
                });
            RunAs {
                root: false,
                mail_uid: uid,
                mail_gid: gid,
                login_user: me.clone(),
                internal_user: me,
                internal_group: Some(group),
            }
        }
    }
}

/// `namespace`: the inbox namespace's prefix and separator.
fn dovecot_conf(
    base: &Path,
    port: u16,
    instance: &str,
    greeting: &str,
    ids: &RunAs,
    namespace: (&str, char),
) -> String {
    let d = base.display();
    // Without root, chroot is impossible: turn it off for the services that use it.
    let internal_group = match &ids.internal_group {
        Some(g) => format!("default_internal_group = {g}\n"),
        None => String::new(),
    };
    let no_chroot = if ids.root {
        String::new()
    } else {
        [
            "anvil",
            "imap-login",
            "imap-urlauth-login",
            "ipc",
            "old-stats",
            "aggregator",
            "director",
        ]
        .iter()
        .map(|s| format!("service {s} {{\n  chroot =\n}}\n"))
        .collect()
    };
    format!(
        r#"# Generated by tests/harness/mod.rs (Dovecot 2.3 syntax). Self-contained: no /etc/dovecot.
instance_name = {instance}
login_greeting = {greeting}
base_dir = {d}/run
state_dir = {d}/state
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_verbose = yes
verbose_proctitle = yes
log_path = {d}/dovecot.log
info_log_path = {d}/dovecot.log
default_login_user = {login_user}
default_internal_user = {internal_user}
{internal_group}first_valid_uid = 1
first_valid_gid = 1
# sdbox: one file per message, no per-mailbox keyword cap (maildir has 26).
mail_location = sdbox:~/sdbox
mail_fsync = never
mail_max_userip_connections = 1000
default_process_limit = 200
imap_logout_format = in=%i out=%o deleted=%{{deleted}} expunged=%{{expunged}} trashed=%{{trashed}} hdr_count=%{{fetch_hdr_count}} hdr_bytes=%{{fetch_hdr_bytes}} body_count=%{{fetch_body_count}} body_bytes=%{{fetch_body_bytes}}

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {d}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {d}/users
}}

namespace inbox {{
  inbox = yes
  prefix = {prefix}
  separator = {separator}
  mailbox Sent {{
    special_use = \Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \Drafts
    auto = subscribe
  }}
  mailbox Trash {{
    special_use = \Trash
    auto = subscribe
  }}
}}

service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
# Mail processes run as the mail user, which is not in the dovecot group.
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
{no_chroot}"#,
        login_user = ids.login_user,
        internal_user = ids.internal_user,
        prefix = namespace.0,
        separator = namespace.1,
    )
}

// ---------------------------------------------------------------------------------------------
// Minimal raw IMAP client, byte-clean, used for APPEND / MULTIAPPEND (LITERAL+) so that
// arbitrary message bytes work and APPENDUID can be read exactly.

struct RawImap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
    user: String,
}

impl RawImap {
    fn login(dc: &Dovecot, user: &str) -> RawImap {
        let tcp = dc.connect();
        let writer = tcp.try_clone().expect("clone TcpStream");
        let mut c = RawImap {
            reader: BufReader::new(tcp),
            writer,
            tag: 0,
            user: user.to_string(),
        };
        let greeting = c.read_line();
        assert!(
            greeting.starts_with(b"* OK"),
            "bad greeting: {}",
            String::from_utf8_lossy(&greeting)
        );
        let cmd = format!("LOGIN {} {}", quote(user), quote(PASSWORD));
        if let Err(e) = c.command(cmd.as_bytes()) {
            panic!(
                "IMAP LOGIN as {user} failed: {e}\n--- log ---\n{}",
                dc.log()
            );
        }
        c
    }

    fn read_line(&mut self) -> Vec<u8> {
        let mut line = Vec::new();
        let n = self
            .reader
            .read_until(b'\n', &mut line)
            .expect("read from IMAP server");
        assert!(n > 0, "IMAP server closed the connection");
        line
    }

    /// Sends `<tag> <cmd>\r\n` and reads up to the tagged response.
    /// Ok(tagged line) when OK, Err(tagged line) when NO/BAD.
    fn command(&mut self, cmd: &[u8]) -> Result<String, String> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        let mut buf = Vec::with_capacity(cmd.len() + 16);
        buf.extend_from_slice(tag.as_bytes());
        buf.push(b' ');
        buf.extend_from_slice(cmd);
        buf.extend_from_slice(b"\r\n");
        self.writer.write_all(&buf).expect("write IMAP command");
        self.writer.flush().expect("flush IMAP command");
        loop {
            let line = self.read_line();
            // Skip the contents of literals in untagged responses.
            if let Some(len) = trailing_literal(&line) {
                let mut skip = vec![0u8; len];
                self.reader.read_exact(&mut skip).expect("read literal");
                continue;
            }
            if line.starts_with(tag.as_bytes()) && line.get(tag.len()) == Some(&b' ') {
                let text = String::from_utf8_lossy(&line[tag.len() + 1..])
                    .trim_end()
                    .to_string();
                return if text.starts_with("OK") {
                    Ok(text)
                } else {
                    Err(text)
                };
            }
        }
    }

    fn ensure_folder(&mut self, folder: &str) {
        if folder.eq_ignore_ascii_case("INBOX") {
            return;
        }
        let cmd = format!("CREATE {}", quote(folder));
        if let Err(e) = self.command(cmd.as_bytes()) {
            assert!(
                e.contains("ALREADYEXISTS"),
                "CREATE {folder} as {}: {e}",
                self.user
            );
        }
    }

    /// One APPEND command with all `items` (MULTIAPPEND, non-synchronizing literals).
    /// Item: (message, flags, optional internal date "dd-Mon-yyyy hh:mm:ss +zzzz").
    fn multiappend(
        &mut self,
        folder: &str,
        items: &[(&[u8], &[String], Option<String>)],
    ) -> Vec<u32> {
        if items.is_empty() {
            return Vec::new();
        }
        let mut cmd = Vec::new();
        cmd.extend_from_slice(b"APPEND ");
        cmd.extend_from_slice(quote(folder).as_bytes());
        for (msg, flags, date) in items {
            cmd.extend_from_slice(format!(" ({})", flags.join(" ")).as_bytes());
            if let Some(date) = date {
                cmd.extend_from_slice(format!(" \"{date}\"").as_bytes());
            }
            cmd.extend_from_slice(format!(" {{{}+}}\r\n", msg.len()).as_bytes());
            cmd.extend_from_slice(msg);
        }
        let ok = self
            .command(&cmd)
            .unwrap_or_else(|e| panic!("APPEND to {folder} as {}: {e}", self.user));
        let uids =
            parse_appenduid(&ok).unwrap_or_else(|| panic!("no APPENDUID in APPEND response: {ok}"));
        assert_eq!(uids.len(), items.len(), "APPENDUID count: {ok}");
        uids
    }

    fn logout(mut self) {
        let _ = self.command(b"LOGOUT");
    }
}

/// `OK [APPENDUID 1795463515 4:6] ...` -> [4, 5, 6]
fn parse_appenduid(ok: &str) -> Option<Vec<u32>> {
    let rest = &ok[ok.find("[APPENDUID ")? + "[APPENDUID ".len()..];
    let rest = &rest[..rest.find(']')?];
    let set = rest.split_whitespace().nth(1)?;
    let mut uids = Vec::new();
    for part in set.split(',') {
        match part.split_once(':') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
                uids.extend(a.min(b)..=a.max(b));
            }
            None => uids.push(part.parse().ok()?),
        }
    }
    Some(uids)
}

/// Length of a `{n}` literal announced at the end of a response line.
fn trailing_literal(line: &[u8]) -> Option<usize> {
    let line = line
        .strip_suffix(b"\r\n")
        .or_else(|| line.strip_suffix(b"\n"))?;
    let line = line.strip_suffix(b"}")?;
    let open = line.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&line[open + 1..])
        .ok()?
        .trim_end_matches('+')
        .parse()
        .ok()
}

/// IMAP quoted string.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---------------------------------------------------------------------------------------------
// Processes, ports, files

fn find_binary(name: &str, fallbacks: &[&str]) -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    from_path.or_else(|| fallbacks.iter().map(PathBuf::from).find(|p| p.is_file()))
}

fn make_temp_dir() -> tempfile::TempDir {
    // $TANTO_TEST_TMPDIR if set, else /dev/shm when it is a roomy tmpfs (RAM: bulk APPENDs
    // are up to 10x faster than on a disk), else the usual temp dir. Unix socket paths are
    // limited to 108 bytes, so a long temp dir is replaced by /tmp.
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("TANTO_TEST_TMPDIR") {
        candidates.push(PathBuf::from(dir));
    } else if free_kib("/dev/shm").is_some_and(|kib| kib >= 1024 * 1024) {
        candidates.push(PathBuf::from("/dev/shm"));
    }
    let tmp = std::env::temp_dir();
    candidates.push(if tmp.as_os_str().len() > 40 {
        PathBuf::from("/tmp")
    } else {
        tmp
    });
    let mut errors = Vec::new();
    let dir = candidates
        .iter()
        .find_map(|parent| {
            tempfile::Builder::new()
                .prefix("tanto-dovecot-")
                .tempdir_in(parent)
                .map_err(|e| errors.push(format!("{}: {e}", parent.display())))
                .ok()
        })
        .unwrap_or_else(|| panic!("cannot create a temp dir for Dovecot: {errors:?}"));
    // Dovecot's unprivileged processes must traverse it (tempfile creates it 0700).
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755))
        .expect("chmod temp dir 0755");
    dir
}

/// Free space of the file system holding `path`, in KiB (`df -Pk`).
fn free_kib(path: &str) -> Option<u64> {
    let out = Command::new("df")
        .args(["-Pk", path])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().nth(1)?.split_whitespace().nth(3)?.parse().ok()
}

/// A free port on 127.0.0.1 below the kernel's ephemeral range (so that no outgoing
/// connection can take it between a stop and a restart), falling back to port 0.
fn pick_free_port() -> u16 {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let mut x = nanos ^ (std::process::id() << 16) ^ COUNTER.fetch_add(7919, Ordering::Relaxed);
    for _ in 0..200 {
        // xorshift
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        let port = 20_000 + (x % 12_000) as u16;
        if TcpListener::bind((HOST, port)).is_ok() {
            return port;
        }
    }
    let l = TcpListener::bind((HOST, 0)).expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Pids whose parent is `parent` (from /proc).
fn child_pids(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    // "pid (comm) state ppid ..." - comm may contain spaces/parens.
                    let after = &s[s.rfind(')')? + 1..];
                    after.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

/// `Mon, 1 Jan 2024 08:00:00 +0000` for a Unix time.
fn rfc5322_date(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days);
    const WD: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{}, {} {} {} {:02}:{:02}:{:02} +0000",
        WD[(days % 7) as usize],
        d,
        MON[(m - 1) as usize],
        y,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// Days since 1970-01-01 -> (year, month 1-12, day 1-31). (H. Hinnant's algorithm.)
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
