//! `tanto demo`: a local Dovecot with a sample mailbox, synced and listed.

#[derive(Debug, clap::Args, Default)]
pub struct Args {}

pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("demo: not built yet")
}
