//! A real Cyrus IMAP server (Debian's packages, unpacked by `scripts/ensure-cyrus.sh`) on
//! 127.0.0.1, in Debian's layout: personal folders under `INBOX.` with `.` between levels,
//! other users' mailboxes under `user.` (`altnamespace: no`, `unixhierarchysep: no`), and
//! ACLs. The team's mailbox is `support`'s (`user.support`); agents log in as themselves
//! ([`CYRUS_AGENTS`]) with every right on it, as docs/admin-guide.md's Cyrus note says.
//!
//! Cyrus takes every path from its two config files, so nothing needs a namespace:
//! `master -C imapd.conf -M cyrus.conf` runs `imapd` (one process per client) and `idled`
//! (IDLE notifications) from the unpacked packages, with the config directory, the spool and
//! the sockets inside the temp dir. The commands master starts get `-C` too: without it
//! they read `/etc/imapd.conf`. The users and their password [`crate::PASSWORD`] are in a
//! sasldb made with the unpacked `saslpasswd2` (`sasl_pwcheck_method: auxprop`), under the
//! server's name as realm (the one Cyrus asks for). The admin `cyrus` creates
//! `user.<name>` for every user and grants the agents `lrswipkxtea` on `user.support` over
//! IMAP (what `cyradm`'s `cm` and `sam` send).
//!
//! As root the server runs as `nobody` (`CYRUS_USER`: Cyrus drops root itself), which owns
//! the data; as an ordinary user, as that user. Cyrus logs only through syslog, and there is
//! no `/dev/log` in a container: what it prints to stderr (fatal errors) is its log here.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::conf::RunAs;
use crate::imap_server::ImapServer;
use crate::sys::{
    child_pids, make_temp_dir, package_root, pick_free_port, signal, wait_for_greeting, watchdog,
};
use crate::PASSWORD;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// What `scripts/ensure-cyrus.sh` leaves once the packages are unpacked.
const COMPLETE: &str = ".complete";
/// The administrator (`admins: cyrus`): creates the mailboxes and sets their ACLs.
const ADMIN: &str = "cyrus";
/// The owner of the team's mailbox, `user.support`.
const OWNER: &str = "support";
/// What every agent may do on `user.support` and the folders created under it (`cyradm`'s
/// `all`): lookup, read, seen, write, insert, post, create, delete folder, delete messages,
/// expunge, administer.
pub const TEAM_RIGHTS: &str = "lrswipkxtea";

/// The agents of every Cyrus server: each logs in as themselves (password
/// [`crate::PASSWORD`]), has a mailbox `user.<name>` of their own and [`TEAM_RIGHTS`] on
/// `user.support`.
pub const CYRUS_AGENTS: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];

/// Where `scripts/ensure-cyrus.sh` unpacks Debian's Cyrus packages: `$TANTO_CYRUS_ROOT`,
/// else as root `/var/cache/tanto-devserver/cyrus` (the server runs as `nobody`, who cannot
/// enter root's home), else `${XDG_CACHE_HOME:-$HOME/.cache}/tanto-devserver/cyrus`.
pub fn cyrus_root() -> PathBuf {
    package_root("cyrus", "TANTO_CYRUS_ROOT")
}

/// A running Cyrus IMAP server owned by a test. Dropping it stops the server and deletes its
/// data. Dereferences to [`ImapServer`]: its `port`, sessions, mail operations, and tanto
/// configs in which an agent logs in as themselves and opens `user.support`.
pub struct Cyrus {
    server: ImapServer,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    watchdog: Option<Child>,
    packages: PathBuf,
    /// The unpacked libraries' directories, for `LD_LIBRARY_PATH`.
    libs: String,
    /// The sasl plugins' directory (the sasldb plugin), for `SASL_PATH`.
    sasl: PathBuf,
    imapd_conf: PathBuf,
    cyrus_conf: PathBuf,
    stderr_path: PathBuf,
    /// `servername`: in the greeting (readiness) and the users' SASL realm.
    servername: String,
    /// `CYRUS_USER`: whom Cyrus runs as.
    user: String,
}

impl Cyrus {
    /// Creates a fresh server (temp dir, free port; users `support`, `cyrus` and
    /// [`CYRUS_AGENTS`] with password `secret`; the mailboxes `user.<name>`, the agents with
    /// [`TEAM_RIGHTS`] on `user.support`), starts it and waits until it greets.
    pub fn start() -> Cyrus {
        let packages = cyrus_root();
        if !packages.join(COMPLETE).is_file() {
            panic!(
                "Cyrus IMAP was not found in {}: the Cyrus tests need the real server. Unpack \
                 it with `scripts/ensure-deps.sh` (it runs scripts/ensure-cyrus.sh: Debian's \
                 cyrus-imapd packages, fetched with `apt-get download` and unpacked with \
                 `dpkg -x`, never installed).",
                packages.display()
            );
        }
        let multiarch = fs::read_dir(packages.join("usr/lib"))
            .ok()
            .and_then(|dirs| {
                dirs.filter_map(|d| d.ok()?.file_name().into_string().ok())
                    .find(|n| n.contains("-linux-gnu"))
            })
            .unwrap_or_else(|| panic!("no usr/lib/*-linux-gnu in {}", packages.display()));
        let libs = format!(
            "{}:{}",
            packages.join("usr/lib").join(&multiarch).display(),
            packages.join("lib").join(&multiarch).display()
        );
        let sasl = packages.join("usr/lib").join(&multiarch).join("sasl2");

        let dir = make_temp_dir("tanto-cyrus-");
        let base = dir.path().to_path_buf();
        let ids = RunAs::detect();
        let user = if ids.root {
            // Everything it runs must be reachable by `nobody`.
            if let Some(closed) = packages
                .ancestors()
                .find(|d| fs::metadata(d).is_ok_and(|m| m.permissions().mode() & 0o001 == 0))
            {
                panic!(
                    "Cyrus runs as `nobody`, who cannot enter {} (on the way to the packages in \
                     {}): unset TANTO_CYRUS_ROOT or point it at a directory others may read",
                    closed.display(),
                    packages.display()
                );
            }
            "nobody".to_string()
        } else {
            ids.login_user.clone()
        };
        for sub in [
            "conf/db",
            "conf/lock",
            "conf/log",
            "conf/msg",
            "conf/proc",
            "conf/ptclient",
            "conf/quota",
            "conf/sieve",
            "conf/socket",
            "conf/sync",
            "conf/user",
            "spool",
            "sieve",
        ] {
            fs::create_dir_all(base.join(sub)).expect("create a Cyrus directory");
        }
        // Unique per server, and in lower case: Cyrus asks SASL for the users of the realm
        // `servername` in lower case.
        let servername = base
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("tanto-cyrus-test")
            .to_ascii_lowercase();
        let imapd_conf = base.join("imapd.conf");
        fs::write(&imapd_conf, imapd_conf_text(&base, &servername)).expect("write imapd.conf");

        let mut cyrus = Cyrus {
            server: ImapServer {
                port: 0,
                name: "Cyrus",
                logs: vec![base.join("cyrus.stderr")],
                other_users: Some("user."),
            },
            dir,
            child: None,
            watchdog: None,
            packages,
            libs,
            sasl,
            imapd_conf,
            cyrus_conf: base.join("cyrus.conf"),
            stderr_path: base.join("cyrus.stderr"),
            servername,
            user,
        };
        let mut users = vec![ADMIN, OWNER];
        users.extend_from_slice(CYRUS_AGENTS);
        for name in &users {
            cyrus.add_sasl_user(name);
        }
        if ids.root {
            chown_tree(&base, ids.mail_uid, ids.mail_gid);
        }

        // The port is picked before master binds it: retry with another one should someone
        // take it in between (master then greets on no port).
        for attempt in 1.. {
            cyrus.server.port = pick_free_port();
            fs::write(&cyrus.cyrus_conf, cyrus.cyrus_conf_text()).expect("write cyrus.conf");
            match cyrus.try_start() {
                Ok(()) => break,
                Err(why) if attempt < 5 && !why.contains("exited") => {}
                Err(why) => panic!(
                    "Cyrus did not start on 127.0.0.1:{} ({why}).\n--- {} ---\n{}\n--- log ---\n{}",
                    cyrus.server.port,
                    cyrus.cyrus_conf.display(),
                    fs::read_to_string(&cyrus.cyrus_conf).unwrap_or_default(),
                    cyrus.log()
                ),
            }
        }
        cyrus.provision(&users);
        cyrus
    }

    /// Stops the server (master and every process it started). Data stays; `restart` brings
    /// it back. Does nothing when already stopped.
    pub fn stop(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        let Some(mut master) = self.child.take() else {
            return;
        };
        // master ends its services on SIGTERM; whatever is left after a few seconds (a
        // client's imapd) is killed, as is master itself.
        let services = child_pids(master.id());
        signal(master.id(), "TERM");
        let until = Instant::now() + Duration::from_secs(5);
        while Instant::now() < until && matches!(master.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = master.kill();
        let _ = master.wait();
        for pid in services.into_iter().filter(|pid| self.is_ours(*pid)) {
            signal(pid, "KILL");
        }
    }

    /// Stops and starts the server again: same port, same data. Returns once it greets.
    pub fn restart(&mut self) {
        self.stop();
        // The port may still be held by a process on its way out: a few more tries.
        let until = Instant::now() + Duration::from_secs(10);
        while let Err(why) = self.try_start() {
            assert!(
                Instant::now() < until,
                "Cyrus did not restart on 127.0.0.1:{} ({why}).\n--- log ---\n{}",
                self.server.port,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Whether the server is running (between `start`/`restart` and `stop`).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Runs `IMAP command` as the administrator `cyrus` (e.g. `CREATE user.dave` or
    /// `SETACL user.support dave lrs`) and returns its untagged answer. Panics when the
    /// server says NO or BAD.
    pub fn admin(&self, command: &str) -> String {
        let mut s = self.session(ADMIN);
        let answer = s
            .run_command_and_read_response(command)
            .unwrap_or_else(|e| panic!("{command} as {ADMIN}: {e}\n--- log ---\n{}", self.log()));
        s.logout().expect("LOGOUT");
        String::from_utf8_lossy(&answer).into_owned()
    }

    /// Grants `who` `rights` (`lrs`, [`TEAM_RIGHTS`]) on `mailbox` (`user.support`,
    /// `user.support.Sent`), as the administrator.
    pub fn set_acl(&self, mailbox: &str, who: &str, rights: &str) {
        self.admin(&format!("SETACL \"{mailbox}\" \"{who}\" \"{rights}\""));
    }

    /// Adds `name` (password [`crate::PASSWORD`]) to the sasldb.
    fn add_sasl_user(&self, name: &str) {
        let bin = self.packages.join("usr/sbin/saslpasswd2");
        let mut child = Command::new(&bin)
            .env("LD_LIBRARY_PATH", &self.libs)
            .env("SASL_PATH", &self.sasl)
            .arg("-f")
            .arg(self.dir.path().join("sasldb2"))
            .args(["-u", &self.servername, "-c", "-p", name])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        child
            .stdin
            .take()
            .expect("saslpasswd2's stdin")
            .write_all(PASSWORD.as_bytes())
            .expect("write the password to saslpasswd2");
        let out = child.wait_with_output().expect("run saslpasswd2");
        assert!(
            out.status.success(),
            "saslpasswd2 -c {name} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Every user's mailbox, and the agents' rights on `user.support`.
    fn provision(&self, users: &[&str]) {
        let mut s = self.session(ADMIN);
        let mut run = |cmd: String| {
            s.run_command_and_read_response(&cmd)
                .unwrap_or_else(|e| panic!("{cmd} as {ADMIN}: {e}\n--- log ---\n{}", self.log()));
        };
        for name in users.iter().filter(|n| **n != ADMIN) {
            run(format!("CREATE user.{name}"));
        }
        for agent in CYRUS_AGENTS {
            run(format!("SETACL user.{OWNER} {agent} {TEAM_RIGHTS}"));
        }
        s.logout().expect("LOGOUT");
    }

    fn cyrus_conf_text(&self) -> String {
        let bin = self.packages.join("usr/lib/cyrus/bin");
        let conf = self.imapd_conf.display();
        format!(
            "START {{\n  recover cmd=\"{bin}/ctl_cyrusdb -C {conf} -r\"\n}}\n\
             SERVICES {{\n  imap cmd=\"{bin}/imapd -C {conf}\" listen=\"127.0.0.1:{port}\" prefork=0\n}}\n\
             EVENTS {{\n}}\n\
             DAEMON {{\n  idled cmd=\"{bin}/idled -C {conf}\"\n}}\n",
            bin = bin.display(),
            port = self.server.port,
        )
    }

    /// Starts master and waits for the greeting; on failure nothing is left running.
    fn try_start(&mut self) -> Result<(), String> {
        self.spawn();
        self.wait_ready().inspect_err(|_| self.stop())
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "Cyrus is already running");
        let stderr = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.stderr_path)
            .expect("open the Cyrus stderr file");
        let stdout = stderr.try_clone().expect("clone the stderr file handle");
        let master = self.packages.join("usr/lib/cyrus/bin/master");
        // A process group of its own: a terminal's Ctrl-C reaches the test, which stops the
        // server in order. `-D`: in the foreground, stderr kept.
        let child = Command::new(&master)
            .process_group(0)
            .env("LD_LIBRARY_PATH", &self.libs)
            .env("SASL_PATH", &self.sasl)
            .env("CYRUS_USER", &self.user)
            .arg("-D")
            .arg("-C")
            .arg(&self.imapd_conf)
            .arg("-M")
            .arg(&self.cyrus_conf)
            .arg("-p")
            .arg(self.dir.path().join("master.pid"))
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", master.display()));
        self.watchdog = watchdog(child.id(), "TERM", self.dir.path());
        self.child = Some(child);
    }

    /// Whether `pid` is a live process of this server (its command line names this server's
    /// imapd.conf: pids could be reused).
    fn is_ours(&self, pid: u32) -> bool {
        let Ok(cmdline) = fs::read(format!("/proc/{pid}/cmdline")) else {
            return false;
        };
        let conf = self.imapd_conf.to_string_lossy().into_owned();
        String::from_utf8_lossy(&cmdline).contains(&conf)
    }

    /// Waits until the port accepts a connection and this server's `* OK` greeting is read.
    fn wait_ready(&mut self) -> Result<(), String> {
        let mark = format!(" {} Cyrus IMAP", self.servername);
        wait_for_greeting(
            self.child.as_mut(),
            self.server.port,
            &mark,
            STARTUP_TIMEOUT,
        )
        .map_err(|why| format!("master {why}"))
    }
}

/// imapd.conf: Debian's settings that matter here (its layout, plain logins, hashed spool),
/// every path inside `base`.
fn imapd_conf_text(base: &Path, servername: &str) -> String {
    let b = base.display();
    format!(
        "configdirectory: {b}/conf\n\
         proc_path: {b}/conf/proc\n\
         mboxname_lockpath: {b}/conf/lock\n\
         defaultpartition: default\n\
         partition-default: {b}/spool\n\
         sievedir: {b}/sieve\n\
         idlesocket: {b}/conf/socket/idle\n\
         lmtpsocket: {b}/conf/socket/lmtp\n\
         notifysocket: {b}/conf/socket/notify\n\
         servername: {servername}\n\
         admins: {ADMIN}\n\
         altnamespace: no\n\
         unixhierarchysep: no\n\
         hashimapspool: true\n\
         allowplaintext: yes\n\
         sasl_pwcheck_method: auxprop\n\
         sasl_auxprop_plugin: sasldb\n\
         sasl_sasldb_path: {b}/sasldb2\n\
         sasl_mech_list: PLAIN\n\
         umask: 077\n"
    )
}

/// chown -R (the server drops root for `nobody`, who must own its data).
fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid))
        .unwrap_or_else(|e| panic!("chown {}: {e}", path.display()));
    if path.is_dir() {
        for entry in fs::read_dir(path).expect("read dir") {
            chown_tree(&entry.expect("dir entry").path(), uid, gid);
        }
    }
}

impl std::ops::Deref for Cyrus {
    type Target = ImapServer;

    fn deref(&self) -> &ImapServer {
        &self.server
    }
}

impl Drop for Cyrus {
    fn drop(&mut self) {
        self.stop();
    }
}
