//! `tanto demo`: a local Dovecot with a generated sample mailbox, the terminal UI as agent
//! "you", and a simulated teammate at work (`app::demo` does it all; this file words it).

#[cfg(feature = "demo")]
pub use with_demo::run;

/// Agents at the keyboard the demo can seat (its sample agents).
#[cfg(feature = "demo")]
const MAX_AGENTS: usize = tanto_demo::AGENTS.len();
#[cfg(not(feature = "demo"))]
const MAX_AGENTS: usize = 4;

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Everything runs on 127.0.0.1 in a temp dir that is deleted when the demo ends (q, \
                  or SIGHUP/SIGTERM). Replies go to a local SMTP sink that sends nothing on. Needs dovecot, \
                  python3-aiosmtpd (and tmux for --agents 2+): scripts/ensure-deps.sh."
)]
pub struct Args {
    /// Agents at the keyboard: 1 opens the terminal UI here; 2 to 4 open one tmux pane each
    #[arg(long, default_value_t = 1, value_name = "N",
          value_parser = clap::value_parser!(u8).range(1..=MAX_AGENTS as i64))]
    pub agents: u8,
    /// Milliseconds between two steps of the simulated teammate "hanako"
    #[arg(
        long,
        env = "TANTO_DEMO_PACE_MS",
        default_value_t = 6000,
        value_name = "MS"
    )]
    pub pace_ms: u64,
    /// Do not run the simulated teammate
    #[arg(long)]
    pub no_teammate: bool,
    /// No terminal UI: keep the server running (until Ctrl-C) and print how to reach it
    #[arg(long)]
    pub keep: bool,
}

/// A build without the `demo` feature (a packager's) says so instead of starting one.
#[cfg(not(feature = "demo"))]
pub fn run(_args: Args) -> anyhow::Result<u8> {
    Err(tanto_core::said!("error.demo.not_built").into())
}

#[cfg(feature = "demo")]
mod with_demo {
    use std::io::Write as _;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::Args;
    use crate::i18n::{t, tf};
    use tanto_demo::{tmux::SideBySide, Demo, Options, Progress};

    pub fn run(args: Args) -> anyhow::Result<u8> {
        let opts = Options {
            agents: usize::from(args.agents),
            teammate: !args.no_teammate,
            pace: Duration::from_millis(args.pace_ms.max(100)),
        };
        let mut demo = Demo::start(&opts, |p| match p {
            Progress::Starting => eprintln!("tanto demo: {}", t("demo.starting")),
            Progress::Loading { messages } => {
                eprintln!(
                    "tanto demo: {}",
                    tf("demo.loading", &[("count", &messages)])
                )
            }
            Progress::Syncing => eprintln!("tanto demo: {}", t("demo.syncing")),
        })?;
        if opts.teammate {
            // Its work shows on the screen through the server; failures are not worth the screen.
            demo.start_teammate(opts.pace, |_| {})?;
        }
        let code = if args.keep {
            keep(&demo)?
        } else if opts.agents == 1 {
            let ctx = tanto_app::Ctx::load(demo.configs().first().map(|p| p.as_path()))?;
            crate::cli::start(&ctx)?;
            crate::tui::run(ctx)?
        } else {
            side_by_side(&demo)?
        };
        drop(demo);
        // The terminal may be gone (a hangup): nothing to say then, and no panic over it.
        let _ = writeln!(std::io::stderr(), "tanto demo: {}", t("demo.stopped"));
        Ok(code)
    }

    /// SIGINT, SIGTERM and SIGHUP raise the returned flag instead of ending the process.
    fn stop_flag() -> anyhow::Result<Arc<AtomicBool>> {
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            signal_hook::flag::register(sig, flag.clone())
                .map_err(|e| tanto_core::said!("error.signal_handler").because(e))?;
        }
        Ok(flag)
    }

    fn keep(demo: &Demo) -> anyhow::Result<u8> {
        let stop = stop_flag()?;
        outln!("{}", tf("demo.keep", &[("port", &demo.port())]));
        outln!(
            "{}",
            tf(
                "demo.smtp",
                &[
                    ("port", &demo.smtp_port()),
                    ("dir", &demo.sent_mail().display())
                ]
            )
        );
        outln!("{}", t("demo.try"));
        for c in demo.configs() {
            outln!("  tanto --config {}", c.display());
        }
        if let Some(c) = demo.configs().first() {
            outln!("  tanto --config {} list --status new", c.display());
            outln!("  tanto --config {} doctor", c.display());
        }
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(0)
    }

    fn side_by_side(demo: &Demo) -> anyhow::Result<u8> {
        let stop = stop_flag()?;
        let exe = std::env::current_exe()
            .map_err(|e| tanto_core::said!("error.demo.own_binary").because(e))?;
        let tmux = SideBySide::open(demo.dir(), &exe, demo.configs())?;
        let interactive = std::io::IsTerminal::is_terminal(&std::io::stdin());
        let mut attached = if interactive {
            Some(tmux.attach()?)
        } else {
            eprintln!(
                "tanto demo: {}",
                tf("demo.no_terminal", &[("socket", &tmux.socket().display())])
            );
            None
        };
        // Until every pane has quit (q in each), or a signal.
        while !stop.load(Ordering::SeqCst) && tmux.alive() {
            if let Some(child) = attached.as_mut() {
                if let Ok(Some(_)) = child.try_wait() {
                    attached = None;
                    if tmux.alive() {
                        eprintln!(
                            "tanto demo: {}",
                            tf("demo.detached", &[("socket", &tmux.socket().display())])
                        );
                    }
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        drop(tmux);
        if let Some(mut child) = attached {
            let _ = child.wait();
        }
        Ok(0)
    }
}
