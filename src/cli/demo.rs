//! `tanto demo`: a local Dovecot with a sample mailbox, synced and listed with tanto itself.

use std::io::Write as _;

use anyhow::{anyhow, Context as _};

use super::demo_mail::samples;
use tanto_devserver::Dovecot;

#[derive(Debug, clap::Args, Default)]
pub struct Args {
    /// Keep the demo server running (until Ctrl-C) to explore it with the printed config
    #[arg(long)]
    pub keep: bool,
}

/// Starts Dovecot, turning its panics (it is test tooling) into one error line.
fn start_server() -> anyhow::Result<Dovecot> {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = std::panic::catch_unwind(Dovecot::start);
    std::panic::set_hook(hook);
    r.map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown failure".into());
        let first = msg.lines().next().unwrap_or("").to_string();
        anyhow!(
            "the demo server did not start: {first}; run scripts/ensure-deps.sh to install Dovecot"
        )
    })
}

fn write_config(server: &Dovecot) -> anyhow::Result<std::path::PathBuf> {
    let dir = server.dir.path();
    let path = dir.join("tanto-demo.toml");
    // The test config, as a supervisor, with the password in the file (mode 600).
    let text = server
        .config_toml("support", &dir.join("cache.sqlite"), "alice")
        .replace("role = \"agent\"", "role = \"supervisor\"")
        .replace(
            "password_env = \"TANTO_TEST_PASSWORD\"",
            &format!("password = \"{}\"", tanto_devserver::PASSWORD),
        );
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode_600()
        .open(&path)
        .with_context(|| format!("writing {}", path.display()))?;
    f.write_all(
        format!(
            "# tanto demo config: a local Dovecot on 127.0.0.1:{}\n{text}",
            server.port
        )
        .as_bytes(),
    )?;
    Ok(path)
}

trait Mode600 {
    fn mode_600(&mut self) -> &mut Self;
}

impl Mode600 for std::fs::OpenOptions {
    #[cfg(unix)]
    fn mode_600(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }
    #[cfg(not(unix))]
    fn mode_600(&mut self) -> &mut Self {
        self
    }
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    eprintln!("tanto demo: starting a local Dovecot with a sample mailbox…");
    let server = start_server()?;
    for s in samples() {
        // Arrival time as the Date header says, so that the list reads like a real morning.
        let date = crate::mime::parse_headers(&s.raw)
            .date
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|d| d.format("%d-%b-%Y %H:%M:%S +0000").to_string());
        server.append_dated("support", s.folder, &s.raw, s.flags, date.as_deref());
    }
    let config = write_config(&server)?;
    let ctx = super::load_ctx(Some(&config))?;
    super::sync::run(
        &ctx,
        super::sync::Args {
            once: true,
            json: false,
        },
    )?;
    outln!();
    super::list::run(&ctx, super::list::Args::default())?;
    outln!();
    if args.keep {
        outln!(
            "The demo server runs on 127.0.0.1:{} until you press Ctrl-C.",
            server.port
        );
        outln!("In another terminal, try:");
        outln!("  tanto --config {} list --status new", config.display());
        outln!("  tanto --config {} show ID", config.display());
        outln!("  tanto --config {} doctor", config.display());
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
    outln!(
        "Run `tanto demo --keep` to keep the server running and explore it with `tanto show ID`."
    );
    Ok(0)
}
