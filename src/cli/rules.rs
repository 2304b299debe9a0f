//! `tanto rules test FILE.eml`: which of the config's rules match a message and why (each
//! matcher's result), without a server.

use std::path::PathBuf;

use super::Ctx;
use crate::i18n::{status_name, t, tf};
use tanto_core::rules::{Actions, Verdict};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Show which rule matches a message file (.eml) and why, without touching the server
    Test(TestArgs),
}

#[derive(Debug, clap::Args)]
pub struct TestArgs {
    /// The message file (.eml, as saved by a mail client)
    pub file: PathBuf,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Ctx, command: Command) -> anyhow::Result<u8> {
    match command {
        Command::Test(a) => test(ctx, a),
    }
}

fn test(ctx: &Ctx, a: TestArgs) -> anyhow::Result<u8> {
    let verdict = tanto_app::rules::test_file(&ctx.config.rules, &a.file)?;
    if a.json {
        super::output::print_json(&verdict)?;
        return Ok(0);
    }
    if ctx.config.rules.is_empty() {
        outln!("{}", t("rules.none_configured"));
        return Ok(0);
    }
    print(&verdict);
    Ok(0)
}

fn print(v: &Verdict) {
    for r in &v.rules {
        let (index, name) = (r.index, format!("{:?}", r.name));
        let key = match (r.skipped, r.matched) {
            (true, _) => "rules.rule_skipped",
            (false, true) => "rules.rule_matched",
            (false, false) => "rules.rule_missed",
        };
        outln!("{}", tf(key, &[("index", &index), ("name", &name)]));
        for c in &r.checks {
            let pattern = format!("{:?}", c.pattern);
            let args: [(&str, &dyn std::fmt::Display); 4] = [
                ("field", &c.field),
                ("kind", &c.kind),
                ("pattern", &pattern),
                (
                    "value",
                    &format!("{:?}", c.value.as_deref().unwrap_or_default()),
                ),
            ];
            let key = if c.matched {
                "rules.check_yes"
            } else {
                "rules.check_no"
            };
            outln!("    {}", tf(key, &args));
        }
    }
    if v.any() {
        outln!(
            "{}",
            tf("rules.does", &[("actions", &actions_text(&v.actions))])
        );
    } else {
        outln!("{}", t("rules.nothing"));
    }
}

fn actions_text(a: &Actions) -> String {
    let mut parts = Vec::new();
    if a.noise {
        parts.push(t("rules.action.noise").to_string());
    }
    if let Some(s) = a.status {
        parts.push(tf("rules.action.status", &[("status", &status_name(s))]));
    }
    if let Some(x) = &a.assign {
        parts.push(tf("rules.action.assign", &[("agent", x)]));
    }
    for tag in &a.tags {
        parts.push(tf("rules.action.tag", &[("tag", tag)]));
    }
    if a.stop {
        parts.push(t("rules.action.stop").to_string());
    }
    parts.join(t("rules.action.sep"))
}
