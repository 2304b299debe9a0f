//! Wording, a leaf every layer may use: the languages, one catalogue for every user-facing
//! string (`en.toml` and `ja.toml`, embedded; the TUI's key descriptions included), and
//! [`Said`], an error named by a catalogue key that each front end words in its language.
//! `--json` output never goes through it: its keys and values stay in English.
//!
//! The language is chosen once per process (`init`): the config's `lang`, else the locale
//! (`LC_ALL`, `LC_MESSAGES`, `LANG` starting with `ja`), else English. A key missing from a
//! catalogue falls back to English, then to the key itself, so a lookup never fails.

use std::collections::HashMap;
use std::sync::OnceLock;

mod said;
pub use said::Said;

/// A language tanto speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Ja,
}

impl Lang {
    /// Reads a config value or a locale name (`ja`, `ja_JP.UTF-8`, `en`, `C`).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("ja") {
            Some(Lang::Ja)
        } else if s.starts_with("en") || s == "c" || s == "posix" {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language of the environment's locale, if it names one tanto speaks.
    pub fn from_env() -> Option<Lang> {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|v| std::env::var(v).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Lang::parse(&v))
    }
}

const EN: &str = include_str!("en.toml");
const JA: &str = include_str!("ja.toml");

static LANG: OnceLock<Lang> = OnceLock::new();

/// Chooses the language for this process: `configured` (the config's `lang`) wins over the
/// locale. Later calls do nothing.
pub fn init(configured: Option<Lang>) {
    let _ = LANG.set(configured.or_else(Lang::from_env).unwrap_or(Lang::En));
}

thread_local! {
    /// A language for this thread only (`with_lang`), over the process's.
    static THREAD_LANG: std::cell::Cell<Option<Lang>> = const { std::cell::Cell::new(None) };
}

/// The language in use (English until `init`).
pub fn lang() -> Lang {
    THREAD_LANG
        .with(|l| l.get())
        .or_else(|| LANG.get().copied())
        .unwrap_or(Lang::En)
}

/// Runs `f` with this thread speaking `lang` (tests render both languages side by side).
pub fn with_lang<R>(lang: Lang, f: impl FnOnce() -> R) -> R {
    let before = THREAD_LANG.with(|l| l.replace(Some(lang)));
    let out = f();
    THREAD_LANG.with(|l| l.set(before));
    out
}

fn parse_catalogue(text: &str) -> HashMap<String, String> {
    // A broken catalogue is a build-time mistake that a test catches; at run time it only
    // makes tanto fall back to the keys.
    toml::from_str::<HashMap<String, String>>(text).unwrap_or_default()
}

/// Every key and its text in `lang` (tests check the keys the sources use).
pub fn catalogue(lang: Lang) -> &'static HashMap<String, String> {
    static EN_MAP: OnceLock<HashMap<String, String>> = OnceLock::new();
    static JA_MAP: OnceLock<HashMap<String, String>> = OnceLock::new();
    match lang {
        Lang::En => EN_MAP.get_or_init(|| parse_catalogue(EN)),
        Lang::Ja => JA_MAP.get_or_init(|| parse_catalogue(JA)),
    }
}

/// The text for `key` in `lang`.
pub fn text_in(lang: Lang, key: &str) -> &'static str {
    if let Some(s) = catalogue(lang).get(key) {
        return s.as_str();
    }
    match catalogue(Lang::En).get(key) {
        Some(s) => s.as_str(),
        None => unknown(key),
    }
}

/// An unknown key shows as itself (interned once, so a frame drawn every tick does not
/// allocate); `tests/i18n_keys.rs` keeps every key used in the sources in the catalogue.
fn unknown(key: &str) -> &'static str {
    static SEEN: OnceLock<std::sync::Mutex<HashMap<String, &'static str>>> = OnceLock::new();
    let seen = SEEN.get_or_init(Default::default);
    let mut map = seen
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(s) = map.get(key) {
        return s;
    }
    let leaked: &'static str = Box::leak(key.to_string().into_boxed_str());
    map.insert(key.to_string(), leaked);
    leaked
}

/// The text for `key` in the language in use.
pub fn t(key: &str) -> &'static str {
    text_in(lang(), key)
}

/// The text for `key` with `{name}` placeholders filled from `args`.
pub fn tf(key: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    fill(t(key), args)
}

/// `template` with each `{name}` replaced by its value in `args`.
pub fn fill(template: &str, args: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut out = template.to_string();
    for (name, value) in args {
        out = out.replace(&format!("{{{name}}}"), &value.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<String> {
        let mut v: Vec<String> = s
            .split('{')
            .skip(1)
            .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
            .collect();
        v.sort();
        v.dedup();
        v
    }

    #[test]
    fn the_japanese_catalogue_has_every_key_of_the_english_one_with_the_same_placeholders() {
        let en = parse_catalogue(EN);
        let ja = parse_catalogue(JA);
        assert!(en.len() > 20, "the English catalogue parses");
        let missing: Vec<&String> = en.keys().filter(|k| !ja.contains_key(*k)).collect();
        assert!(missing.is_empty(), "missing in ja.toml: {missing:?}");
        // The English help of commands and arguments is their doc comments (src/cli/help.rs).
        let extra: Vec<&String> = ja
            .keys()
            .filter(|k| !en.contains_key(*k) && !k.starts_with("help.tanto"))
            .collect();
        assert!(extra.is_empty(), "only in ja.toml: {extra:?}");
        for (k, v) in &en {
            assert_eq!(placeholders(v), placeholders(&ja[k]), "placeholders of {k}");
        }
    }

    #[test]
    fn locales_and_config_values_choose_the_language() {
        assert_eq!(Lang::parse("ja_JP.UTF-8"), Some(Lang::Ja));
        assert_eq!(Lang::parse("ja"), Some(Lang::Ja));
        assert_eq!(Lang::parse("en_US.UTF-8"), Some(Lang::En));
        assert_eq!(Lang::parse("C"), Some(Lang::En));
        assert_eq!(Lang::parse("fr_FR"), None);
        assert_eq!(text_in(Lang::Ja, "tab.new"), "新着");
        assert_eq!(text_in(Lang::En, "tab.new"), "New");
        assert_eq!(fill("{a} and {b}", &[("a", &1), ("b", &"x")]), "1 and x");
    }
}
