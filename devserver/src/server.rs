//! The server's lifecycle: start on a free port, stop, restart, log, readiness.

use std::fs;
use std::net::TcpStream;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::conf::{dovecot_conf, RunAs};
use crate::imap_server::ImapServer;
use crate::sys::{
    child_pids, find_binary, make_temp_dir, pick_free_port, signal, wait_for_greeting, watchdog,
};

/// Password of every test user.
pub const PASSWORD: &str = "secret";
/// Users present in every test server.
pub const USERS: &[&str] = &[
    "support", "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
];

pub(crate) const HOST: &str = "127.0.0.1";
const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// An IMAP session of the `imap` crate over plain TCP, as returned by
/// [`ImapServer::session`].
pub type Session = imap::Session<TcpStream>;

/// A running Dovecot server owned by a test. Dropping it stops the server and deletes its data.
/// Dereferences to [`ImapServer`]: its `port`, sessions, mail operations and tanto configs.
pub struct Dovecot {
    server: ImapServer,
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
        Dovecot::start_conf(prefix, separator, &|_| extra.to_string())
    }

    /// Like `start_with`, with the ACL plugin and a shared namespace `shared/<owner>/` set up
    /// as docs/admin-guide.md section 4 says, so that agents log in as themselves and reach
    /// `support`'s folders as `shared/support/...` once [`Dovecot::share`] granted them rights.
    pub fn start_shared(extra: &str) -> Dovecot {
        Dovecot::start_conf("", '/', &|base| {
            crate::conf::shared_namespace_conf(base) + "\n" + extra
        })
    }

    /// Like `start_namespaced("INBOX.", '.', extra)`, with the other namespaces of Cyrus as
    /// Debian ships it and ACLs: other users' folders under `user.` (`user.support.INBOX`
    /// here, `user.support` on Cyrus) and shared folders at the top level (`support`, made
    /// with [`Dovecot::share_top_level`]). NAMESPACE answers as Cyrus does:
    /// `(("INBOX." ".")) (("user." ".")) (("" "."))`.
    pub fn start_cyrus_layout(extra: &str) -> Dovecot {
        Dovecot::start_conf("INBOX.", '.', &|base| {
            crate::conf::cyrus_layout_conf(base) + "\n" + extra
        })
    }

    /// Creates the top-level shared folder `folder` (see `start_cyrus_layout`) unless it is
    /// there, and grants `who` `rights` on it (doveadm's names, as for [`Dovecot::share`]).
    pub fn share_top_level(&self, folder: &str, who: &str, rights: &[&str]) {
        // Nobody may create a top-level folder but the administrator: doveadm without ACLs.
        let listed = self.doveadm(&["-o", "mail_plugins=", "mailbox", "list", "-u", "support"]);
        if !listed.lines().any(|l| l.trim() == folder) {
            self.doveadm(&[
                "-o",
                "mail_plugins=",
                "mailbox",
                "create",
                "-u",
                "support",
                folder,
            ]);
        }
        let mut args = vec!["acl", "set", "-u", "support", folder, who];
        args.extend_from_slice(rights);
        self.doveadm(&args);
    }

    /// Grants `who` (`user=alice`, `anyone`, ...) `rights` (doveadm's names: `lookup read
    /// write write-seen write-deleted insert expunge create`) on `owner`'s `folder`, creating
    /// the folder first when it is missing.
    pub fn share(&self, owner: &str, folder: &str, who: &str, rights: &[&str]) {
        if !self
            .doveadm(&["mailbox", "list", "-u", owner])
            .lines()
            .any(|l| l.trim() == folder)
        {
            self.doveadm(&["mailbox", "create", "-u", owner, folder]);
        }
        let mut args = vec!["acl", "set", "-u", owner, folder, who];
        args.extend_from_slice(rights);
        self.doveadm(&args);
    }

    fn start_conf(prefix: &str, separator: char, extra: &dyn Fn(&Path) -> String) -> Dovecot {
        let dovecot_bin = find_binary("dovecot", &["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"])
            .unwrap_or_else(|| {
                panic!(
                    "the `dovecot` binary was not found (looked in $PATH and /usr/sbin): the \
                     integration tests need a real Dovecot IMAP server. Install it with \
                     `scripts/ensure-deps.sh` (Debian/Ubuntu package `dovecot-imapd`)."
                )
            });
        let dir = make_temp_dir("tanto-dovecot-");
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
            server: ImapServer {
                port: 0,
                name: "Dovecot",
                logs: vec![base.join("dovecot.log"), base.join("dovecot.stderr")],
                other_users: None,
            },
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
            dc.server.port = pick_free_port();
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
                    + &extra(&base)
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
                    let since = self.log_since(mark);
                    let port_clash = since.contains("Address already in use");
                    // A master killed under load can leave its sockets behind; nothing runs
                    // now, so they are stale: clear them and start again.
                    let stale_sockets = since.contains("Socket already exists");
                    if stale_sockets {
                        let run = self.dir.path().join("run");
                        let _ = std::fs::remove_dir_all(&run);
                        let _ = std::fs::create_dir_all(&run);
                    }
                    if (port_clash || stale_sockets) && Instant::now() < deadline {
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
        self.server.log()
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

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "Dovecot is already running");
        let stderr = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr_path)
            .expect("open dovecot stderr file");
        let stdout = stderr.try_clone().expect("clone stderr file handle");
        // A process group of its own, for the server and its watchdog: a terminal's hangup
        // (SIGHUP to the foreground group) or Ctrl-C reaches the program that owns them,
        // which stops them in order, not Dovecot itself (SIGHUP would make it reload).
        let child = Command::new(&self.dovecot_bin)
            .process_group(0)
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
        self.watchdog = watchdog(child.id(), "TERM", self.dir.path());
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
        let (greeting, port) = (self.greeting(), self.port);
        wait_for_greeting(self.child.as_mut(), port, &greeting, STARTUP_TIMEOUT)
            .map_err(|why| format!("dovecot {why}"))
    }
}

impl std::ops::Deref for Dovecot {
    type Target = ImapServer;

    fn deref(&self) -> &ImapServer {
        &self.server
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}
