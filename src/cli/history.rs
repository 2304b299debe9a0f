//! `tanto history ADDRESS`: every conversation with one customer, in every status, most
//! recent first.

use super::Ctx;
use crate::i18n::tf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The customer's mail address
    #[arg(value_name = "ADDRESS")]
    pub address: String,
    /// Print JSON (the same array as `tanto list --json`)
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, args: Args) -> anyhow::Result<u8> {
    if !args.address.contains('@') {
        return Err(
            tanto_core::said!("error.history.not_an_address", address = args.address).into(),
        );
    }
    let rows = tanto_app::conversations::history(ctx, &args.address)?;
    let none = tf(
        "history.none",
        &[("address", &tanto_mail::sanitize::single_line(&args.address))],
    );
    super::list::print_found(ctx, &rows, args.json, &none)
}
