//! Errors worded by the catalogue: the application layer names what went wrong with a key
//! and its values (`said!`), and each front end words it in its language through
//! `error_text`. Its `Display` is the English text, so logs and `{e:#}` read as before.

use std::error::Error as StdError;
use std::fmt::{self, Display};

use super::{fill, text_in, Lang};

/// An error, or a line of context around a `cause`, named by a catalogue key.
#[derive(Debug)]
pub struct Said {
    key: &'static str,
    args: Vec<(&'static str, String)>,
    cause: Option<anyhow::Error>,
}

impl Said {
    /// The error `key` with its `{name}` values.
    pub fn new(key: &'static str, args: &[(&'static str, &dyn Display)]) -> Said {
        Said {
            key,
            args: args.iter().map(|(n, v)| (*n, v.to_string())).collect(),
            cause: None,
        }
    }

    /// This line as the context of `cause` ("syncing INBOX: <cause>"); the cause is worded
    /// on its own, the way `anyhow`'s `context` would show it.
    pub fn because(mut self, cause: impl Into<anyhow::Error>) -> Said {
        self.cause = Some(cause.into());
        self
    }

    /// The catalogue key (tests name it).
    pub fn key(&self) -> &'static str {
        self.key
    }

    /// This line (without its cause) in `lang`.
    pub fn text_in(&self, lang: Lang) -> String {
        let args: Vec<(&str, &dyn Display)> = self
            .args
            .iter()
            .map(|(n, v)| (*n, v as &dyn Display))
            .collect();
        fill(text_in(lang, self.key), &args)
    }
}

impl Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text_in(Lang::En))
    }
}

impl StdError for Said {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.cause
            .as_ref()
            .map(|c| -> &(dyn StdError + 'static) { c.as_ref() })
    }
}

/// `said!(KEY, name = value, ...)`, KEY a catalogue key literal: a [`Said`] error
/// (`.into()` makes it anyhow's).
#[macro_export]
macro_rules! said {
    ($key:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::wording::Said::new($key, &[$((stringify!($name), &$value as &dyn ::std::fmt::Display)),*])
    };
}
