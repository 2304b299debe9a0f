use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = tanto::cli::Cli::parse();
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
