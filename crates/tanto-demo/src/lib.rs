//! `tanto demo` without the printing: a local Dovecot on 127.0.0.1 filled with a generated
//! sample mailbox, an SMTP sink on 127.0.0.1 that every reply goes out through, one config
//! (and cache) per agent, a simulated teammate at work, and for several agents a tmux session
//! with one pane each. Everything lives in the server's temp dir and goes with it: dropping
//! the [`Demo`] stops the teammate, then the SMTP sink and the server, and deletes the dir.

mod error;
pub mod mail;
pub mod teammate;
pub mod tmux;

use std::path::{Path, PathBuf};
use std::time::Duration;

use tanto_devserver::{Dovecot, SinkError, SmtpSink};

pub use error::DemoError;
use tanto_app::Ctx;
pub use teammate::{Teammate, TeammateEvent};

/// The simulated teammate's agent id.
pub const TEAMMATE: &str = "hanako";

/// Agent ids of the people at the keyboard, in order (`--agents N` takes the first N).
pub const AGENTS: &[&str] = &["you", "ken", "mika", "sam"];

/// What to start.
#[derive(Debug, Clone)]
pub struct Options {
    /// Agents at the keyboard (1 to `AGENTS.len()`).
    pub agents: usize,
    /// Run the simulated teammate.
    pub teammate: bool,
    /// The teammate's time between two steps.
    pub pace: Duration,
}

/// Where the start-up is, for a front end to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Starting,
    Loading { messages: usize },
    Syncing,
}

/// A running demo. Dropping it stops everything it started.
pub struct Demo {
    teammate: Option<Teammate>,
    configs: Vec<PathBuf>,
    // After the teammate (who sends through it), before the server (its dir is inside).
    sink: SmtpSink,
    // Last, so that it is dropped after the teammate stopped using it.
    server: Dovecot,
}

impl Demo {
    /// Starts the server, loads the sample mailbox, writes the configs and syncs each
    /// agent's cache; the teammate starts later, with [`Demo::start_teammate`].
    pub fn start(opts: &Options, progress: impl Fn(Progress)) -> anyhow::Result<Demo> {
        if opts.agents == 0 || opts.agents > AGENTS.len() {
            return Err(DemoError::AgentsOutOfRange {
                agents: opts.agents,
                max: AGENTS.len(),
            }
            .into());
        }
        progress(Progress::Starting);
        let server = start_server()?;
        let sink = SmtpSink::try_start_in(server.dir.path()).map_err(|e| match e {
            SinkError::NotInstalled => DemoError::SmtpMissing,
            SinkError::Failed(cause) => DemoError::Smtp { cause },
        })?;
        let samples = mail::samples(tanto_core::clock::now());
        progress(Progress::Loading {
            messages: samples.len(),
        });
        load(&server, samples)?;
        let dir = server.dir.path().to_path_buf();
        let configs: Vec<PathBuf> = AGENTS[..opts.agents]
            .iter()
            .map(|a| config(&server, &sink, &dir, a))
            .collect();
        progress(Progress::Syncing);
        for c in &configs {
            tanto_app::after_sync::sync_once(&Ctx::load(Some(c))?)?;
        }
        Ok(Demo {
            teammate: None,
            configs,
            sink,
            server,
        })
    }

    /// Starts the simulated teammate (with its own config and cache).
    pub fn start_teammate(
        &mut self,
        pace: Duration,
        on_event: impl Fn(TeammateEvent) + Send + 'static,
    ) -> anyhow::Result<()> {
        let dir = self.server.dir.path().to_path_buf();
        let ctx = Ctx::load(Some(&config(&self.server, &self.sink, &dir, TEAMMATE)))?;
        tanto_app::after_sync::sync_once(&ctx)?;
        self.teammate = Some(Teammate::spawn(ctx, pace, on_event));
        Ok(())
    }

    /// The config file of each agent at the keyboard, in `AGENTS` order.
    pub fn configs(&self) -> &[PathBuf] {
        &self.configs
    }

    /// The demo's directory (server, configs, caches): deleted when the demo ends.
    pub fn dir(&self) -> &Path {
        self.server.dir.path()
    }

    /// The server's IMAP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// The SMTP sink's port on 127.0.0.1.
    pub fn smtp_port(&self) -> u16 {
        self.sink.port
    }

    /// The Maildir's `new/` where every mail sent in the demo lands.
    pub fn sent_mail(&self) -> PathBuf {
        self.sink.dir.path().join("new")
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // The teammate first: it must not be mid-command when the server goes.
        if let Some(t) = self.teammate.take() {
            t.stop();
        }
    }
}

/// Runs `f`, which panics on failure (the devserver is test tooling), returning the panic's
/// first line as the error.
fn quietly<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> Result<T, String> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(f);
    std::panic::set_hook(hook);
    r.map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown failure".into());
        msg.lines().next().unwrap_or("").to_string()
    })
}

fn start_server() -> Result<Dovecot, DemoError> {
    quietly(Dovecot::start).map_err(|cause| DemoError::Server { cause })
}

/// APPENDs the samples, folder by folder, with their dates and keywords.
fn load(server: &Dovecot, samples: Vec<mail::Sample>) -> Result<(), DemoError> {
    for folder in ["INBOX", "Sent"] {
        let batch: Vec<(Vec<u8>, Vec<String>, String)> = samples
            .iter()
            .filter(|s| s.folder == folder)
            .map(|s| (s.raw.clone(), s.flags.clone(), mail::internal_date(s.date)))
            .collect();
        let server = std::panic::AssertUnwindSafe(server);
        quietly(move || {
            server.append_dated_many("support", folder, &batch);
        })
        .map_err(|cause| DemoError::Loading { cause })?;
    }
    Ok(())
}

/// Writes `dir/<agent>/<agent>.toml`: the shared mailbox sending through the sink, its own
/// cache, the team.
fn config(server: &Dovecot, sink: &SmtpSink, dir: &Path, agent: &str) -> PathBuf {
    let mut team: Vec<&str> = AGENTS.to_vec();
    team.insert(1, TEAMMATE);
    team.extend(["bob"]);
    let extra = format!(
        "{}\n[team]\nagents = [{}]\nreply_target_mins = 240\n",
        sink.config_toml(),
        team.iter()
            .map(|a| format!("\"{a}\""))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The first agent is a supervisor, to try take-overs too.
    let role = if agent == AGENTS[0] {
        "supervisor"
    } else {
        "agent"
    };
    server.agent_config(&dir.join(agent), agent, role, &extra)
}
