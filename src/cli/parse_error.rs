//! A command line clap rejects, as the one line the contract promises, in the user's
//! language. clap words its errors in English only: the Japanese line is built from the
//! error's kind and the pieces it names (the argument, the value, what was expected).

use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::i18n::{tf, Lang};

/// The line to print for a parse error (without the leading `tanto: `).
pub fn line(e: &clap::Error, lang: Lang) -> String {
    match lang {
        Lang::Ja => japanese(e).unwrap_or_else(|| english(e)),
        Lang::En => english(e),
    }
}

fn english(e: &clap::Error) -> String {
    let text = e.to_string();
    let what: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|l| {
            !l.starts_with("Usage:") && !l.starts_with("tip:") && !l.starts_with("For more")
        })
        .filter(|l| !l.is_empty())
        .collect();
    let what = what.join(" ");
    let what = what.trim_start_matches("error: ");
    format!("{what}; see `tanto --help`")
}

/// One piece of the error's context as text (a list joined by commas).
fn piece(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => Some(v.join(", ")),
        ContextValue::StyledStr(s) => Some(s.to_string()),
        ContextValue::StyledStrs(v) => Some(
            v.iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The Japanese line, for the kinds a user meets; `None` for the others (English then).
fn japanese(e: &clap::Error) -> Option<String> {
    let arg = || piece(e, ContextKind::InvalidArg).unwrap_or_default();
    let value = || piece(e, ContextKind::InvalidValue).unwrap_or_default();
    let what = match e.kind() {
        ErrorKind::UnknownArgument => tf("cli.parse.unknown_argument", &[("arg", &arg())]),
        ErrorKind::InvalidSubcommand => tf(
            "cli.parse.unknown_command",
            &[(
                "command",
                &piece(e, ContextKind::InvalidSubcommand).unwrap_or_default(),
            )],
        ),
        ErrorKind::InvalidValue if value().is_empty() => {
            tf("cli.parse.value_required", &[("arg", &arg())])
        }
        ErrorKind::InvalidValue => {
            let valid = piece(e, ContextKind::ValidValue).unwrap_or_default();
            tf(
                "cli.parse.invalid_value",
                &[("arg", &arg()), ("value", &value()), ("valid", &valid)],
            )
        }
        ErrorKind::ValueValidation => {
            // The value parser's own reason (worded through the catalogue where it is
            // tanto's) follows the argument and the value.
            let reason = std::error::Error::source(e)
                .map(|s| s.to_string())
                .unwrap_or_default();
            tf(
                "cli.parse.bad_value",
                &[("arg", &arg()), ("value", &value()), ("reason", &reason)],
            )
        }
        ErrorKind::MissingRequiredArgument => tf("cli.parse.missing_argument", &[("arg", &arg())]),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            tf("cli.parse.missing_command", &[])
        }
        ErrorKind::ArgumentConflict => tf(
            "cli.parse.conflict",
            &[
                ("arg", &arg()),
                (
                    "other",
                    &piece(e, ContextKind::PriorArg).unwrap_or_default(),
                ),
            ],
        ),
        ErrorKind::TooManyValues
        | ErrorKind::TooFewValues
        | ErrorKind::WrongNumberOfValues
        | ErrorKind::NoEquals => tf("cli.parse.wrong_values", &[("arg", &arg())]),
        _ => return None,
    };
    Some(format!("{what}{}", tf("cli.parse.see_help", &[])))
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::cli::Cli;

    fn error(args: &[&str]) -> clap::Error {
        let mut all = vec!["tanto"];
        all.extend_from_slice(args);
        match Cli::try_parse_from(all) {
            Ok(_) => panic!("{args:?} parsed"),
            Err(e) => e,
        }
    }

    const MISTAKES: &[&[&str]] = &[
        &["frobnicate"],
        &["list", "--bogus"],
        &["list", "--status", "bogus"],
        &["claim"],
        &["demo", "--agents", "9"],
        &["list", "--status"],
    ];

    #[test]
    fn every_mistake_is_one_japanese_line_naming_what_was_wrong() {
        for args in MISTAKES {
            let e = error(args);
            let ja = crate::i18n::with_lang(Lang::Ja, || line(&e, Lang::Ja));
            assert_eq!(ja.lines().count(), 1, "{args:?}: {ja}");
            assert!(
                ja.contains("tanto --help") && ja.chars().any(|c| c > '\u{3000}'),
                "{args:?}: {ja}"
            );
            assert!(
                !ja.contains("error:") && !ja.contains("unexpected argument"),
                "{args:?}: {ja}"
            );
            // What was typed is named, verbatim.
            let typed = args.last().copied().unwrap_or_default();
            if typed != "claim" && typed != "--status" {
                assert!(ja.contains(typed), "{args:?}: {ja}");
            }
        }
    }

    #[test]
    fn the_english_line_is_clap_s_own_first_line() {
        let e = error(&["frobnicate"]);
        let en = line(&e, Lang::En);
        assert!(
            en.starts_with("unrecognized subcommand 'frobnicate'"),
            "{en}"
        );
        assert!(en.ends_with("; see `tanto --help`"), "{en}");
        let en = line(&error(&["list", "--status", "bogus"]), Lang::En);
        assert!(!en.contains("For more information"), "{en}");
        assert_eq!(en.lines().count(), 1);
    }
}
