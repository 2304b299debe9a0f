//! `tanto tag ID NAME` and `tanto untag ID NAME`: one line saying what happened.

use super::Ctx;
use crate::i18n::tf;
use tanto_app::tags::Tagged;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// The tag: 1-24 of a-z 0-9 _ -
    pub name: String,
}

pub fn run(ctx: &Ctx, a: Args, on: bool) -> anyhow::Result<u8> {
    let line = match tanto_app::tags::set(ctx, &a.id, &a.name, on)? {
        Tagged::Added { conversation, tag } => {
            tf("tag.added", &[("id", &conversation), ("tag", &tag)])
        }
        Tagged::Removed { conversation, tag } => {
            tf("tag.removed", &[("id", &conversation), ("tag", &tag)])
        }
        Tagged::Already {
            conversation,
            tag,
            on,
        } => tf(
            if on {
                "tag.already_on"
            } else {
                "tag.already_off"
            },
            &[("id", &conversation), ("tag", &tag)],
        ),
    };
    outln!("{line}");
    Ok(0)
}
