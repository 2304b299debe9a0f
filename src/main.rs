use std::process::ExitCode;

use clap::{FromArgMatches as _, Parser as _};

fn main() -> ExitCode {
    // The trace's milliseconds count from here, so that start-up shows in them.
    tanto_mail::trace::trace_step(|| "started".into());
    // The MIME layer catches panics from below as a last resort, so the hook must not end
    // the process; an uncaught panic is reported below in one line (TANTO_DEBUG=1 keeps
    // Rust's own report).
    if std::env::var_os("TANTO_DEBUG").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match parse(&args) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // The contract: exit 1 and one line saying what to fix, in the user's language;
            // parsed again in it, so that tanto's own value checks say why in it too.
            let lang = tanto::cli::help::language(&args);
            tanto::i18n::init(Some(lang));
            let e = parse(&args).err().unwrap_or(e);
            say(&format!(
                "tanto: {}",
                tanto::cli::parse_error::line(&e, lang)
            ));
            return ExitCode::from(1);
        }
    };
    let code = run(cli);
    // For tests and benches: what the command cost in waits for the server.
    if std::env::var_os("TANTO_TRACE").is_some() {
        // Everything the command opened is closed by now (the cache's last checkpoint too).
        tanto_mail::trace::trace_step(|| "command done".into());
        for line in tanto_mail::imap::trace_lines() {
            say(&format!("tanto: imap: {line}"));
        }
        let (round_trips, connections) = tanto_mail::imap::traffic();
        say(&format!(
            "tanto: trace: {round_trips} IMAP round trips, {connections} connections"
        ));
    }
    code
}

fn run(cli: tanto::cli::Cli) -> ExitCode {
    match std::panic::catch_unwind(|| tanto::cli::run(cli)) {
        Ok(Ok(code)) => ExitCode::from(code),
        Ok(Err(e)) => {
            // One line: the chain of contexts joined, never a multi-line dump, worded in the
            // user's language (the locale's when the config could not be read).
            tanto::i18n::init(None);
            say(&format!("tanto: {}", tanto::i18n::error_text(&e)));
            ExitCode::from(1)
        }
        Err(payload) => {
            let msg = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown".into());
            say(&format!(
                "tanto: internal error, please report it (TANTO_DEBUG=1 shows more): {}",
                tanto_mail::sanitize::single_line(&msg)
            ));
            ExitCode::from(1)
        }
    }
}

/// The command line, parsed; its help in the user's language when help is asked for (the
/// language costs a read of the config, which other commands do later anyway).
fn parse(args: &[std::ffi::OsString]) -> Result<tanto::cli::Cli, clap::Error> {
    let wants_help = args
        .iter()
        .skip(1)
        .any(|a| a == "-h" || a == "--help" || a == "help");
    if !wants_help {
        return tanto::cli::Cli::try_parse_from(args);
    }
    let lang = tanto::cli::help::language(args);
    let matches = tanto::cli::help::command(lang).try_get_matches_from(args)?;
    tanto::cli::Cli::from_arg_matches(&matches)
}

/// One line on stderr; quietly nothing when stderr is gone (the terminal hung up), where
/// `eprintln!` would panic and turn a clean exit into 101.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}
