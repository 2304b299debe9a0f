//! `tanto template list|add|edit|rm|suggest`: the shared templates (messages in the templates folder).

use std::path::PathBuf;

use super::Ctx;
use crate::i18n::tf;
use tanto_app::reply_templates as t;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// List the templates
    List,
    /// Add a template (text from --body-file, else the editor)
    Add {
        /// The template's name (its subject in the templates folder)
        name: String,
        /// Read the text from this file instead of opening the editor
        #[arg(long, value_name = "F")]
        body_file: Option<PathBuf>,
    },
    /// Change a template in the editor (or from --body-file)
    Edit {
        /// The template's name
        name: String,
        /// Read the new text from this file instead of opening the editor
        #[arg(long, value_name = "F")]
        body_file: Option<PathBuf>,
    },
    /// Remove a template
    Rm {
        /// The template's name
        name: String,
    },
    /// The three templates that fit a conversation best, best first
    Suggest {
        /// The conversation id (or a unique prefix)
        id: String,
    },
}

fn mailbox(ctx: &Ctx) -> String {
    ctx.config
        .mailboxes
        .first()
        .map(|m| m.name.clone())
        .unwrap_or_default()
}

fn text(ctx: &Ctx, file: Option<PathBuf>, start: &str) -> anyhow::Result<String> {
    match file {
        Some(f) => std::fs::read_to_string(&f).map_err(|e| {
            tanto_core::said!("error.file.read", path = f.display())
                .because(e)
                .into()
        }),
        None => {
            let path = tanto_app::drafts::dir(ctx)?.join("template");
            super::reply::edit(ctx, start, &path)
        }
    }
}

pub fn run(ctx: &Ctx, c: Command) -> anyhow::Result<u8> {
    let mb = mailbox(ctx);
    match c {
        Command::List => {
            for tpl in t::list(ctx, &mb)? {
                let first = tpl.body.lines().next().unwrap_or("");
                outln!(
                    "{}\t{}",
                    tanto_mail::sanitize::single_line(&tpl.name),
                    tanto_mail::sanitize::single_line(first)
                );
            }
        }
        Command::Add { name, body_file } => {
            let body = text(ctx, body_file, "")?;
            t::save(ctx, &mb, &name, &body, false)?;
            outln!(
                "{}",
                tf("template.added", &[("name", &format!("{name:?}"))])
            );
        }
        Command::Edit { name, body_file } => {
            let old = t::find(ctx, &mb, &name)?;
            let body = text(ctx, body_file, &old.body)?;
            t::save(ctx, &mb, &name, &body, true)?;
            outln!(
                "{}",
                tf("template.changed", &[("name", &format!("{name:?}"))])
            );
        }
        Command::Suggest { id } => {
            for name in t::suggest_for(ctx, &id)? {
                outln!("{}", tanto_mail::sanitize::single_line(&name));
            }
        }
        Command::Rm { name } => {
            t::remove(ctx, &mb, &name)?;
            outln!(
                "{}",
                tf("template.removed", &[("name", &format!("{name:?}"))])
            );
        }
    }
    Ok(0)
}
