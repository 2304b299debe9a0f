//! `tanto man`: the manual page (roff), from the same definitions as the parser: tanto(1)
//! on stdout, or one page per command written to a directory.

use std::path::PathBuf;

use clap::CommandFactory as _;

#[derive(Debug, clap::Args)]
#[command(after_help = "Read it with: tanto man | man -l -\n\
    Install the pages with: tanto man --out ~/.local/share/man/man1")]
pub struct Args {
    /// Write tanto.1 and one tanto-COMMAND.1 per command into this directory instead
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Renders tanto(1) as roff.
pub fn page() -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(super::Cli::command()).render(&mut buf)?;
    Ok(buf)
}

/// Writes tanto.1 and a page for every command (and sub-command) into `dir`.
pub fn write_all(dir: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| tanto_core::said!("error.file.create_dir", path = dir.display()).because(e))?;
    clap_mangen::generate_to(super::Cli::command(), dir).map_err(|e| {
        tanto_core::said!("error.man.write", path = dir.display())
            .because(e)
            .into()
    })
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    match args.out {
        Some(dir) => {
            write_all(&dir)?;
            outln!("manual pages written to {}", dir.display());
        }
        None => {
            let page = page().map_err(|e| tanto_core::said!("error.man.render").because(e))?;
            outln!("{}", String::from_utf8_lossy(&page).trim_end());
        }
    }
    Ok(0)
}
