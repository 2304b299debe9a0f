//! A real Courier-IMAP server (Debian's packages, unpacked by `scripts/ensure-courier.sh`)
//! on 127.0.0.1, for the tests of servers without CONDSTORE.
//!
//! Courier's programs look for their files in fixed places: `/etc/courier` (authdaemonrc,
//! the userdb), `/run/courier/authdaemon/socket` (where `imaplogin` asks authdaemond), and
//! `/usr/lib/courier-authlib` (authdaemond's modules). So each server runs in a mount and
//! PID namespace of its own (`unshare`), where read-only overlays lay the unpacked packages
//! over `/usr` and this server's config (then the packages' own) over `/etc`, and its own
//! `run/` is bind-mounted on `/run`. Nothing is installed or changed outside the temp dir,
//! servers run side by side, and killing the namespace's first process stops all of its
//! processes at once. It takes root (tests and CI run as root): in the user namespace an
//! ordinary user could make, the mounts work but `imaplogin` fails on `setgroups`.
//!
//! Inside, as Debian's init script does: `authdaemond` (module `authuserdb`, a userdb made
//! by `makeuserdb` with the users of [`crate::USERS`] and password [`crate::PASSWORD`]),
//! then `couriertcpd` → `imaplogin` → `imapd` with the settings of Debian's
//! `/etc/courier/imapd` (no STARTTLS: there is no certificate), except that imapd finds
//! no FAM (file alteration monitor): Debian's imapd waits for a maildir's lock through FAM
//! (gamin), and loses the wake-up when the lock goes just before it asks, stalling the
//! session 2 minutes; without FAM, Courier polls the lock every second (see
//! `scripts/ensure-courier.sh`). Mail is in
//! `<dir>/mail/<user>/Maildir`; personal folders are under `INBOX.` with `.` between
//! levels, as on every Courier.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::conf::RunAs;
use crate::imap_server::ImapServer;
use crate::sys::{
    child_pids, find_binary, make_temp_dir, package_root, pick_free_port, wait_for_greeting,
    watchdog,
};
use crate::{PASSWORD, USERS};

const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// What Courier's greeting says.
const READY: &str = "Courier-IMAP ready.";
/// What `scripts/ensure-courier.sh` leaves once the packages are unpacked (and its libfam
/// built: a tree without it is from an older script).
const COMPLETE: &str = "usr/lib/tanto-nofam/libfam.so.0";

/// A running Courier-IMAP server owned by a test. Dropping it stops the server and deletes
/// its data. Dereferences to [`ImapServer`]: its `port`, sessions, mail operations and tanto
/// configs, as on [`crate::Dovecot`].
pub struct Courier {
    server: ImapServer,
    pub dir: tempfile::TempDir,
    /// `unshare`, whose child is the namespace's first process.
    child: Option<Child>,
    watchdog: Option<Child>,
    log_path: PathBuf,
    script: PathBuf,
    unshare: PathBuf,
}

/// Where `scripts/ensure-courier.sh` unpacks Debian's Courier packages:
/// `$TANTO_COURIER_ROOT`, else as root `/var/cache/tanto-devserver/courier`, else
/// `${XDG_CACHE_HOME:-$HOME/.cache}/tanto-devserver/courier`.
pub fn courier_root() -> PathBuf {
    package_root("courier", "TANTO_COURIER_ROOT")
}

impl Courier {
    /// Creates a fresh server (temp dir, free port, users `support`, `alice`, `bob`, `carol`
    /// with password `secret`), starts it and waits until it greets and authenticates.
    pub fn start() -> Courier {
        let packages = courier_root();
        if !packages.join(COMPLETE).is_file() {
            panic!(
                "Courier-IMAP was not found in {}: the Courier tests need the real server. \
                 Unpack it with `scripts/ensure-deps.sh` (it runs scripts/ensure-courier.sh: \
                 Debian's courier-imap packages, fetched with `apt-get download` and unpacked \
                 with `dpkg -x`, never installed).",
                packages.display()
            );
        }
        let ids = RunAs::detect();
        assert!(
            ids.root,
            "Courier-IMAP runs as root only (its mounts need it, and in an unprivileged user \
             namespace its login fails on setgroups): run the Courier tests as root"
        );
        let unshare = find_binary("unshare", &["/usr/bin/unshare"])
            .expect("`unshare` (util-linux) not found: Courier runs in a namespace of its own");
        let dir = make_temp_dir("tanto-courier-");
        let base = dir.path().to_path_buf();
        for sub in ["etc/courier", "run"] {
            fs::create_dir_all(base.join(sub)).expect("create courier etc/run dir");
        }
        let (uid, gid) = (ids.mail_uid, ids.mail_gid);
        let hash = crypt_sha512(PASSWORD);
        let mut userdb = String::new();
        for user in USERS {
            let home = base.join("mail").join(user);
            for sub in ["cur", "new", "tmp"] {
                fs::create_dir_all(home.join("Maildir").join(sub)).expect("create Maildir");
            }
            chown_tree(&home, uid, gid);
            userdb.push_str(&format!(
                "{user}\tuid={uid}|gid={gid}|home={h}|mail={h}/Maildir|systempw={hash}\n",
                h = home.display()
            ));
        }
        std::os::unix::fs::chown(base.join("mail"), Some(uid), Some(gid))
            .expect("chown the mail dir");
        let userdb_path = base.join("etc/courier/userdb");
        fs::write(&userdb_path, userdb).expect("write the userdb");
        // makeuserdb refuses a userdb that others may read.
        fs::set_permissions(&userdb_path, fs::Permissions::from_mode(0o600))
            .expect("chmod the userdb");
        fs::write(base.join("etc/courier/authdaemonrc"), AUTHDAEMONRC).expect("authdaemonrc");

        let mut courier = Courier {
            server: ImapServer {
                port: 0,
                name: "Courier",
                logs: vec![base.join("courier.log")],
                other_users: None,
            },
            dir,
            child: None,
            watchdog: None,
            log_path: base.join("courier.log"),
            script: base.join("start.sh"),
            unshare,
        };
        // The port is picked before couriertcpd binds it: retry with another one should
        // someone take it in between.
        for attempt in 1.. {
            courier.server.port = pick_free_port();
            fs::write(
                &courier.script,
                start_script(&packages, &base, courier.server.port),
            )
            .expect("write the start script");
            let mark = courier.log_len();
            courier.spawn();
            match courier.wait_ready() {
                Ok(()) => break,
                Err(why) => {
                    courier.stop();
                    let clash = courier.log_since(mark).contains("Address already in use");
                    if clash && attempt < 5 {
                        continue;
                    }
                    panic!(
                        "Courier-IMAP did not start on 127.0.0.1:{} ({why}).\n--- {} ---\n{}\n--- log ---\n{}",
                        courier.server.port,
                        courier.script.display(),
                        fs::read_to_string(&courier.script).unwrap_or_default(),
                        courier.log()
                    );
                }
            }
        }
        courier
    }

    /// Stops the server (every process of its namespace). Does nothing when already stopped.
    pub fn stop(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
        let Some(mut child) = self.child.take() else {
            return;
        };
        // `unshare` ignores SIGTERM while it waits; killed, it has the namespace's first
        // process killed (--kill-child), and the kernel then kills the rest.
        let first = child_pids(child.id());
        let _ = child.kill();
        let _ = child.wait();
        let deadline = Instant::now() + Duration::from_secs(5);
        while first.iter().any(|pid| alive(*pid)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Whether the server is running (between `start` and `stop`).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The Maildir of `user` (where Courier keeps its keywords, in `courierimapkeywords/`).
    pub fn maildir(&self, user: &str) -> PathBuf {
        self.dir.path().join("mail").join(user).join("Maildir")
    }

    fn spawn(&mut self) {
        assert!(self.child.is_none(), "Courier is already running");
        let log = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("open the courier log");
        let out = log.try_clone().expect("clone the log file handle");
        // A process group of its own: a terminal's Ctrl-C reaches the test, which stops
        // the server in order.
        let child = Command::new(&self.unshare)
            .process_group(0)
            .args([
                "--mount",
                "--pid",
                "--fork",
                "--kill-child",
                "--",
                "/bin/sh",
            ])
            .arg(&self.script)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", self.unshare.display()));
        self.watchdog = watchdog(child.id(), "KILL", self.dir.path());
        self.child = Some(child);
    }

    /// Waits until this server greets on its port (authdaemond's socket is made before
    /// couriertcpd starts, see the script). Another server that took the port first would
    /// greet too: ours, had it failed to bind, would be gone a moment later.
    fn wait_ready(&mut self) -> Result<(), String> {
        wait_for_greeting(
            self.child.as_mut(),
            self.server.port,
            READY,
            STARTUP_TIMEOUT,
        )
        .map_err(|why| format!("the namespace {why}"))?;
        std::thread::sleep(Duration::from_millis(20));
        match self.child.as_mut().map(|c| c.try_wait()) {
            Some(Ok(Some(status))) => Err(format!("the namespace exited: {status}")),
            _ => Ok(()),
        }
    }

    fn log_len(&self) -> usize {
        fs::metadata(&self.log_path).map_or(0, |m| m.len() as usize)
    }

    fn log_since(&self, mark: usize) -> String {
        let bytes = fs::read(&self.log_path).unwrap_or_default();
        String::from_utf8_lossy(bytes.get(mark..).unwrap_or_default()).into_owned()
    }
}

impl std::ops::Deref for Courier {
    type Target = ImapServer;

    fn deref(&self) -> &ImapServer {
        &self.server
    }
}

impl Drop for Courier {
    fn drop(&mut self) {
        self.stop();
    }
}

/// authdaemond's config: the userdb module only, no login debugging (it would log passwords).
const AUTHDAEMONRC: &str = "authmodulelist=\"authuserdb\"
authmodulelistorig=\"authuserdb\"
daemons=2
authdaemonvar=/run/courier/authdaemon
DEBUG_LOGIN=0
DEFAULTOPTIONS=\"\"
LOGGEROPTS=\"\"
";

/// The script run as the namespace's first process (`sh`, then `couriertcpd`).
fn start_script(packages: &Path, dir: &Path, port: u16) -> String {
    let q = |p: &Path| format!("'{}'", p.display().to_string().replace('\'', "'\\''"));
    format!(
        r#"# Courier-IMAP in a mount and PID namespace of its own (see devserver/src/courier.rs).
set -eu
C={packages}
T={dir}
# The unpacked packages over /usr: binaries, libraries, authdaemond's modules, gam_server.
mount -t overlay overlay -o "lowerdir=$C/usr:/usr" /usr
makeuserdb -f "$T/etc/courier/userdb"
# This server's authdaemonrc and userdb, then the packages' own config, over /etc.
mount -t overlay overlay -o "lowerdir=$T/etc:$C/etc:/etc" /etc
mount --bind "$T/run" /run
mkdir -p /run/courier/authdaemon
/usr/lib/courier/courier-authlib/authdaemond &
n=0
while [ ! -S /run/courier/authdaemon/socket ]; do
    n=$((n + 1))
    if [ "$n" -gt 200 ]; then echo "authdaemond made no socket" >&2; exit 1; fi
    sleep 0.05
done
# As Debian's /usr/lib/courier/imapd does, with its settings (/etc/courier/imapd), on
# 127.0.0.1:{port}, without STARTTLS (there is no certificate), and room for many sessions
# from one address.
# imapd with a libfam that reports FAM unavailable: it then polls its dot-locks each second
# instead of stalling 2 minutes on a lost FAM event (see scripts/ensure-courier.sh).
exec env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin LD_LIBRARY_PATH=/usr/lib/tanto-nofam /bin/sh -c '
    set -a
    . /etc/courier/imapd
    . /etc/courier/imapd-ssl
    IMAP_STARTTLS=NO
    umask "$IMAP_UMASK"
    ulimit -v "$IMAP_ULIMITD"
    exec /usr/sbin/couriertcpd -address=127.0.0.1 -maxprocs=200 -maxperip=200 \
        $TCPDOPTS {port} /usr/lib/courier/courier/imaplogin /usr/bin/imapd "$MAILDIRPATH"'
"#,
        packages = q(packages),
        dir = q(dir),
    )
}

/// crypt(3) SHA-512 of `password` (salt `tanto`), as the userdb's `systempw`: Perl's `crypt`,
/// as makeuserdb is Perl too.
fn crypt_sha512(password: &str) -> String {
    let out = Command::new("perl")
        .args(["-e", "print crypt($ARGV[0], q($6$tanto$))", password])
        .stdin(Stdio::null())
        .output()
        .expect("run perl (Courier's makeuserdb needs it too)");
    let hash = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success() && hash.starts_with("$6$tanto$"),
        "perl crypt failed: {hash}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    hash
}

fn chown_tree(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).expect("chown the Maildir");
    if path.is_dir() {
        for entry in fs::read_dir(path).expect("read the Maildir").flatten() {
            chown_tree(&entry.path(), uid, gid);
        }
    }
}

/// Whether `pid` is a live process (not gone, not a zombie).
fn alive(pid: u32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}
