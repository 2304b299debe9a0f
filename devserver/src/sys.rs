//! Processes, ports and files.

use std::fs;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::server::HOST;

pub(crate) fn find_binary(name: &str, fallbacks: &[&str]) -> Option<PathBuf> {
    let from_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    from_path.or_else(|| fallbacks.iter().map(PathBuf::from).find(|p| p.is_file()))
}

/// A temp dir for a server, named `<prefix>XXXXXX`.
pub(crate) fn make_temp_dir(prefix: &str) -> tempfile::TempDir {
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
                .prefix(prefix)
                .tempdir_in(parent)
                .map_err(|e| errors.push(format!("{}: {e}", parent.display())))
                .ok()
        })
        .unwrap_or_else(|| panic!("cannot create a temp dir {prefix}*: {errors:?}"));
    // The servers' unprivileged processes must traverse it (tempfile creates it 0700).
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
pub(crate) fn pick_free_port() -> u16 {
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

pub(crate) fn signal(pid: u32, sig: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Pids whose parent is `parent` (from /proc).
pub(crate) fn child_pids(parent: u32) -> Vec<u32> {
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

/// Debian's own Python, which runs the SMTP sink and the OAuth2 provider (never the
/// `python3` on PATH, which may be another build without Debian's packages).
pub(crate) const PYTHON: &str = "/usr/bin/python3";

/// Runs `PYTHON script args...` with its stderr appended to `log`, and waits (up to
/// `timeout`) until `ready()`. On failure the child is gone and the error says why, with
/// what it logged (a port clash reads "Address already in use").
pub(crate) fn start_python(
    script: &std::path::Path,
    args: &[String],
    log: &std::path::Path,
    timeout: std::time::Duration,
    ready: impl Fn() -> bool,
) -> Result<std::process::Child, String> {
    let file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("open {}: {e}", log.display()))?;
    let mark = fs::metadata(log).map(|m| m.len()).unwrap_or(0);
    let since = || {
        let bytes = fs::read(log).unwrap_or_default();
        String::from_utf8_lossy(bytes.get(mark as usize..).unwrap_or_default()).into_owned()
    };
    let mut child = Command::new(PYTHON)
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .map_err(|e| format!("spawn {PYTHON}: {e}"))?;
    let deadline = std::time::Instant::now() + timeout;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("exited {status}: {}", since()));
        }
        if ready() {
            return Ok(child);
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("not ready within {timeout:?}: {}", since()));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A watchdog for a server process the test process started: should the test process die
/// without stopping it (SIGKILL, abort), the watchdog sends `sig` to `server` and deletes
/// `dir`, so nothing is left behind. Kill the watchdog first on a normal stop.
pub(crate) fn watchdog(server: u32, sig: &str, dir: &std::path::Path) -> Option<Child> {
    let script = format!(
        "while kill -0 {me} 2>/dev/null && kill -0 {server} 2>/dev/null; do sleep 1; done; \
         if ! kill -0 {me} 2>/dev/null; then kill -{sig} {server} 2>/dev/null; sleep 3; rm -rf '{dir}'; fi",
        me = std::process::id(),
        dir = dir.display().to_string().replace('\'', "'\\''"),
    );
    Command::new("sh")
        .process_group(0)
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

/// Waits (up to `timeout`) until 127.0.0.1:`port` accepts a connection and greets with a
/// `* OK` line containing `mark` (what tells this server from another's); fails at once
/// when `child` (the server) exits.
pub(crate) fn wait_for_greeting(
    mut child: Option<&mut Child>,
    port: u16,
    mark: &str,
    timeout: std::time::Duration,
) -> Result<(), String> {
    use std::io::BufRead as _;
    use std::time::{Duration, Instant};
    let deadline = Instant::now() + timeout;
    let addr = std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, port));
    loop {
        if let Some(Ok(Some(status))) = child.as_mut().map(|c| c.try_wait()) {
            return Err(format!("exited: {status}"));
        }
        if let Ok(tcp) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            let _ = tcp.set_read_timeout(Some(Duration::from_secs(2)));
            let mut line = String::new();
            if std::io::BufReader::new(&tcp).read_line(&mut line).is_ok()
                && line.starts_with("* OK")
                && line.contains(mark)
            {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            return Err(format!("no IMAP greeting within {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Where `scripts/debs.sh` unpacks Debian's packages of server `name`: `$<var>`, else as
/// root `/var/cache/tanto-devserver/<name>` (the servers run as `nobody`, who cannot enter
/// root's home), else `${XDG_CACHE_HOME:-$HOME/.cache}/tanto-devserver/<name>`.
pub(crate) fn package_root(name: &str, var: &str) -> PathBuf {
    let env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(root) = env(var) {
        return PathBuf::from(root);
    }
    if crate::conf::RunAs::detect().root {
        return PathBuf::from("/var/cache/tanto-devserver").join(name);
    }
    let cache = env("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    cache.join("tanto-devserver").join(name)
}
