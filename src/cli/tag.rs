//! `tanto tag ID NAME` and `tanto untag ID NAME`: one line saying what happened.

use super::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// The tag: 1-24 of a-z 0-9 _ -
    pub name: String,
}

pub fn run(ctx: &Ctx, a: Args, on: bool) -> anyhow::Result<u8> {
    let line = crate::i18n::tagged_text(&tanto_app::tags::set(ctx, &a.id, &a.name, on)?);
    outln!("{line}");
    Ok(0)
}
