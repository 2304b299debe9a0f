use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
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
    match tanto::cli::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // One line: the chain of contexts joined, never a multi-line dump.
            let msg = format!("{e:#}").replace(['\n', '\r'], " ");
            eprintln!("tanto: {}", tanto::sanitize::single_line(&msg));
            ExitCode::from(1)
        }
    }
}
