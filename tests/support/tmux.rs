//! A tmux server of a test's own, to drive the real binary as a user would and read the
//! screen back with `capture-pane`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use super::Tanto;

/// A tmux server with its own socket, killed when dropped.
pub struct Tmux {
    pub socket: PathBuf,
}

impl Tmux {
    /// A server whose socket lives in `dir`.
    pub fn new(dir: &Path) -> Tmux {
        Tmux {
            socket: dir.join("tmux.sock"),
        }
    }

    pub fn cmd(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .env_remove("TMUX")
            .arg("-S")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Opens `tanto` for an agent in a new 100x30 session named `name`.
    pub fn open(&self, name: &str, agent: &Tanto) {
        self.open_with(name, agent, "EDITOR= VISUAL=");
    }

    /// Like `open`, with `env` (NAME=value words) in tanto's environment.
    pub fn open_with(&self, name: &str, agent: &Tanto, env: &str) {
        // stderr goes to a file beside the config: a failure shows what tanto said.
        // The shell records tanto's exit code in a file: tmux marks a pane dead when its
        // terminal closes, which can be before (or without) it has the process's status.
        let line = format!(
            "env TANTO_TEST_PASSWORD=secret TZ=UTC TANTO_DEBUG=1 XDG_STATE_HOME={} {env} {} --config {} 2>>{}; echo $? > {}",
            agent.dir.join("state").display(),
            env!("CARGO_BIN_EXE_tanto"),
            agent.config.display(),
            agent.dir.join("stderr.log").display(),
            self.exit_file(name).display()
        );
        let _ = std::fs::remove_file(self.exit_file(name));
        self.cmd(&[
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "100",
            "-y",
            "30",
            &line,
        ]);
        // Keep the pane after tanto exits, to read how it ended.
        self.cmd(&["set-option", "-t", name, "remain-on-exit", "on"]);
    }

    pub fn exit_file(&self, name: &str) -> PathBuf {
        self.socket.with_file_name(format!("exit-{name}"))
    }

    pub fn screen(&self, name: &str) -> String {
        self.cmd(&["capture-pane", "-p", "-t", name])
    }

    pub fn keys(&self, name: &str, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", name];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    /// Types `text` literally.
    pub fn text(&self, name: &str, text: &str) {
        self.cmd(&["send-keys", "-t", name, "-l", text]);
    }

    pub fn pane(&self, name: &str, format: &str) -> String {
        self.cmd(&["display-message", "-p", "-t", name, format])
            .trim()
            .to_string()
    }

    /// Waits up to 60 s (a busy 2-core machine) until `ok` holds for the screen of `name`.
    pub fn wait_for(&self, name: &str, what: &str, ok: impl Fn(&str) -> bool) -> String {
        self.wait_for_secs(name, what, 60, ok)
    }

    /// Waits up to `secs` until `ok` holds for the screen of `name`; panics with the screen.
    pub fn wait_for_secs(
        &self,
        name: &str,
        what: &str,
        secs: u64,
        ok: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen(name);
            if ok(&s) {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "{name}: waited {secs}s for {what}; the screen:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .output();
    }
}

/// Alice at her desk: a Dovecot (`alice_at_her_desk`: holding the sample conversations
/// "Question 1" to "Question n"), her tanto synced and open in the tmux session "A". Dropped in field order:
/// tmux (and tanto in it) before the directory and the server.
pub struct Desk {
    pub tmux: Tmux,
    pub alice: Tanto,
    pub root: tempfile::TempDir,
    pub server: crate::harness::Dovecot,
}

/// `alice_at_her_desk` with `n` sample conversations.
pub fn alice_at_her_desk(n: usize) -> Desk {
    let server = crate::harness::Dovecot::start();
    for i in 1..=n {
        server.append(
            "support",
            "INBOX",
            &crate::harness::sample_message(i, None),
            &[],
        );
    }
    desk_on(server)
}

/// Alice at her desk on `server`, with whatever mail it holds.
pub fn desk_on(server: crate::harness::Dovecot) -> Desk {
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    alice.sync();
    let tmux = Tmux::new(root.path());
    tmux.open("A", &alice);
    Desk {
        tmux,
        alice,
        root,
        server,
    }
}

/// A scripted editor: writes `line` as the reply's text, right under the headers.
pub fn scripted_editor(dir: &Path, line: &str) -> PathBuf {
    super::editor_script(dir, &format!("sed -i '0,/^$/s//\\n{line}/' \"$1\"\n"))
}
