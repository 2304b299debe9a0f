//! `tanto save ID DIR [--part N]`: a received attachment (or all of them) saved under a
//! safe name, never over an existing file.

use std::path::PathBuf;

use super::Ctx;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// The directory to save into
    pub dir: PathBuf,
    /// Only attachment N (numbered from 1 over the conversation's messages, in order)
    #[arg(long, value_name = "N")]
    pub part: Option<usize>,
}

pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<u8> {
    for s in tanto_app::save::save(ctx, &a.id, &a.dir, a.part)? {
        outln!(
            "{}\t{}\t{}",
            s.part,
            tanto_mail::sanitize::single_line(&s.name),
            tanto_mail::sanitize::single_line(&s.path.to_string_lossy())
        );
    }
    Ok(0)
}
