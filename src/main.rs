use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // The MIME layer catches panics from below as a last resort, so the hook must not end
    // the process; an uncaught panic is reported below in one line (TANTO_DEBUG=1 keeps
    // Rust's own report).
    if std::env::var_os("TANTO_DEBUG").is_none() {
        std::panic::set_hook(Box::new(|_| {}));
    }
    let cli = match tanto::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // The contract: exit 1 and one line saying what to fix.
            let text = e.to_string();
            let what: Vec<&str> = text
                .lines()
                .map(str::trim)
                .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("tip:"))
                .filter(|l| !l.is_empty())
                .collect();
            let what = what.join(" ");
            let what = what.trim_start_matches("error: ");
            eprintln!("tanto: {what}; see `tanto --help`");
            return ExitCode::from(1);
        }
    };
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
                tanto::sanitize::single_line(&msg)
            ));
            ExitCode::from(1)
        }
    }
}

/// One line on stderr; quietly nothing when stderr is gone (the terminal hung up), where
/// `eprintln!` would panic and turn a clean exit into 101.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{line}");
}
