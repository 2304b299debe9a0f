//! `tanto completions SHELL`: the shell's completion script, from the same definitions as
//! the parser, on stdout.

use clap::CommandFactory as _;

#[derive(Debug, clap::Args)]
#[command(after_help = "Install, for example:\n  \
    bash: tanto completions bash > ~/.local/share/bash-completion/completions/tanto\n  \
    zsh:  tanto completions zsh > ~/.zfunc/_tanto   (with fpath+=~/.zfunc before compinit)\n  \
    fish: tanto completions fish > ~/.config/fish/completions/tanto.fish")]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Writes the completion script for `shell` to `out`.
pub fn write(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    let mut cmd = super::Cli::command();
    clap_complete::generate(shell, &mut cmd, "tanto", out);
}

pub fn run(args: Args) -> anyhow::Result<u8> {
    let mut buf = Vec::new();
    write(args.shell, &mut buf);
    outln!("{}", String::from_utf8_lossy(&buf).trim_end());
    Ok(0)
}
