//! Several demo agents side by side: a tmux server of the demo's own (its socket in the
//! demo's dir), one session, one pane per agent running `tanto --config <agent's config>`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::DemoError;

/// The session's name on the demo's own tmux server.
pub const SESSION: &str = "tanto-demo";

/// A tmux server with the demo's session; dropping it kills the server and every pane.
pub struct SideBySide {
    socket: PathBuf,
}

impl SideBySide {
    /// Opens the session (detached), one pane per config, side by side.
    pub fn open(dir: &Path, tanto: &Path, configs: &[PathBuf]) -> anyhow::Result<SideBySide> {
        let tmux = SideBySide {
            socket: dir.join("tmux.sock"),
        };
        let (width, height) = ratatui::crossterm::terminal::size().unwrap_or((200, 50));
        for (i, config) in configs.iter().enumerate() {
            let line = format!(
                "{} --config {}",
                quote(&tanto.to_string_lossy()),
                quote(&config.to_string_lossy())
            );
            if i == 0 {
                tmux.run(&[
                    "new-session",
                    "-d",
                    "-s",
                    SESSION,
                    "-x",
                    &width.to_string(),
                    "-y",
                    &height.to_string(),
                    &line,
                ])?;
            } else {
                tmux.run(&["split-window", "-h", "-t", SESSION, &line])?;
            }
        }
        tmux.run(&["select-layout", "-t", SESSION, "even-horizontal"])?;
        tmux.run(&["select-pane", "-t", &format!("{SESSION}.0")])?;
        Ok(tmux)
    }

    /// `tmux attach` in this terminal, as a child to wait on.
    pub fn attach(&self) -> anyhow::Result<Child> {
        self.command()
            .args(["attach-session", "-t", SESSION])
            .spawn()
            .map_err(|e| {
                tanto_core::said!("error.demo.tmux_attach")
                    .because(e)
                    .into()
            })
    }

    /// Whether the session still has a pane running.
    pub fn alive(&self) -> bool {
        self.command()
            .args(["has-session", "-t", SESSION])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The socket, for `tmux -S SOCKET attach` from another terminal.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        // Inside another tmux, TMUX would make tmux refuse to nest.
        c.env_remove("TMUX").arg("-S").arg(&self.socket);
        c
    }

    fn run(&self, args: &[&str]) -> anyhow::Result<()> {
        let out = self
            .command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| DemoError::TmuxMissing {
                cause: e.to_string(),
            })?;
        if !out.status.success() {
            return Err(DemoError::Tmux {
                command: args.first().copied().unwrap_or_default().to_string(),
                cause: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            }
            .into());
        }
        Ok(())
    }
}

impl Drop for SideBySide {
    fn drop(&mut self) {
        let _ = self
            .command()
            .arg("kill-server")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A word for the shell tmux runs the pane's command with.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
