//! `tanto search QUERY`: conversations whose subject, customer, assignee or an opened mail
//! holds the text, in every status.

use super::Ctx;
use crate::i18n::tf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The text to look for (case-insensitive; Japanese works without spaces)
    #[arg(value_name = "QUERY")]
    pub query: String,
    /// Print JSON (the same array as `tanto list --json`)
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<u8> {
    if args.query.trim().is_empty() {
        return Err(tanto_core::said!("error.search.empty").into());
    }
    let rows = tanto_app::conversations::search(ctx, &args.query)?;
    let none = tf("search.none", &[("query", &args.query.trim())]);
    super::list::print_found(ctx, &rows, args.json, &none)
}
