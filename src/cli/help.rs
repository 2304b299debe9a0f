//! The command line's help in the user's language. The definitions (derive and English doc
//! comments) stay the one source; when the language is not English, each description is
//! replaced from the catalogue: `help.<path>` for a command (`help.tanto`,
//! `help.tanto.template.add`), `help.<path>:<arg>` for an argument, `.long`, `.after` and
//! `.after_long` for a command's longer texts. A key missing from the catalogue keeps the
//! English text; a test in `tests/help.rs` keeps every command and argument translated.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::CommandFactory as _;

use crate::i18n::{text_in, Lang};

/// The language of the help: the config's `lang` (the file `--config` names, else the default
/// one), else the locale. A config that cannot be read is no error here: the command reports
/// it when it loads the config.
pub fn language(args: &[OsString]) -> Lang {
    let flag = config_flag(args);
    tanto_app::config::locate(flag.as_deref())
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| toml::from_str::<toml::Table>(&text).ok())
        .and_then(|t| t.get("lang").and_then(|l| l.as_str()).and_then(Lang::parse))
        .or_else(Lang::from_env)
        .unwrap_or(Lang::En)
}

/// The value of `--config PATH` or `--config=PATH`, if given.
fn config_flag(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(p) = a.to_str().and_then(|s| s.strip_prefix("--config=")) {
            return Some(PathBuf::from(p));
        }
    }
    None
}

/// The command line's definition with its help in `lang`.
pub fn command(lang: Lang) -> clap::Command {
    let cmd = crate::cli::Cli::command();
    if lang == Lang::En {
        return cmd;
    }
    let text = |key: &str| lookup(lang, key);
    let mut cmd = localize(cmd, "tanto", &text);
    cmd.build();
    builtins(cmd, lang)
}

/// The catalogue's text for `key` in `lang`, if it has one (no English fallback).
fn lookup(lang: Lang, key: &str) -> Option<&'static str> {
    let s = text_in(lang, key);
    (s != key && s != text_in(Lang::En, key)).then_some(s)
}

/// The catalogue key of each description of `cmd` and its subcommands, with the English text.
pub fn keys() -> Vec<(String, String)> {
    let mut out = Vec::new();
    walk(&crate::cli::Cli::command(), "tanto", &mut out);
    out
}

fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<(String, String)>) {
    let plain = |s: Option<&clap::builder::StyledStr>| s.map(|s| s.to_string());
    let texts = [
        ("", plain(cmd.get_about())),
        (".long", plain(cmd.get_long_about())),
        (".after", plain(cmd.get_after_help())),
        (".after_long", plain(cmd.get_after_long_help())),
    ];
    for (suffix, text) in texts {
        if let Some(t) = text {
            out.push((format!("help.{path}{suffix}"), t));
        }
    }
    for arg in cmd.get_arguments() {
        let id = arg.get_id().as_str();
        if let Some(h) = arg.get_help() {
            out.push((format!("help.{path}:{id}"), h.to_string()));
        }
        if let Some(h) = arg.get_long_help() {
            out.push((format!("help.{path}:{id}.long"), h.to_string()));
        }
    }
    for sub in cmd.get_subcommands() {
        walk(sub, &format!("{path}.{}", sub.get_name()), out);
    }
}

type Text<'a> = &'a dyn Fn(&str) -> Option<&'static str>;

/// `cmd` and its subcommands with every description found in the catalogue replaced.
fn localize(mut cmd: clap::Command, path: &str, text: Text) -> clap::Command {
    if let Some(s) = text(&format!("help.{path}")) {
        cmd = cmd.about(s);
    }
    if cmd.get_long_about().is_some() {
        cmd = cmd.long_about(text(&format!("help.{path}.long")));
    }
    if let Some(s) = text(&format!("help.{path}.after")) {
        cmd = cmd.after_help(s);
    }
    if let Some(s) = text(&format!("help.{path}.after_long")) {
        cmd = cmd.after_long_help(s);
    }
    let ids: Vec<String> = cmd
        .get_arguments()
        .map(|a| a.get_id().to_string())
        .collect();
    for id in ids {
        let help = text(&format!("help.{path}:{id}"));
        let long = text(&format!("help.{path}:{id}.long"));
        cmd = cmd.mut_arg(&id, |mut a| {
            if let Some(h) = help {
                a = a.help(h);
            }
            if a.get_long_help().is_some() {
                a = a.long_help(long.or(help));
            }
            a
        });
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subs {
        let sub_path = format!("{path}.{name}");
        cmd = cmd.mut_subcommand(&name, |s| localize(s, &sub_path, text));
    }
    cmd
}

/// What clap adds by itself (`--help`, `--version`, the `help` command, the headings), in
/// `lang`, on a built command and its subcommands.
fn builtins(mut cmd: clap::Command, lang: Lang) -> clap::Command {
    let t = |key: &str| text_in(lang, key);
    let template = format!(
        "{{before-help}}{{about-with-newline}}\n{} {{usage}}\n\n{{all-args}}{{after-help}}",
        t("help.heading.usage")
    );
    cmd = cmd
        .help_template(template)
        .subcommand_help_heading(t("help.heading.commands"));
    let ids: Vec<(String, bool)> = cmd
        .get_arguments()
        .map(|a| (a.get_id().to_string(), a.is_positional()))
        .collect();
    for (id, positional) in ids {
        let heading = if positional {
            t("help.heading.arguments")
        } else {
            t("help.heading.options")
        };
        cmd = cmd.mut_arg(&id, |a| {
            let a = a.help_heading(heading);
            match id.as_str() {
                "help" if a.get_long_help().is_some() => a
                    .help(t("help.builtin.help"))
                    .long_help(t("help.builtin.help_long")),
                "help" => a.help(t("help.builtin.help")),
                "version" => a.help(t("help.builtin.version")),
                _ => a,
            }
        });
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subs {
        cmd = cmd.mut_subcommand(&name, |s| {
            let s = builtins(s, lang);
            if name == "help" {
                s.about(t("help.builtin.help_command"))
            } else {
                s
            }
        });
    }
    cmd
}
