//! One catalogue for every user-facing string of the front ends (the TUI and the CLI's human
//! output): `en.toml` and `ja.toml`, embedded. `--json` output never goes through it: its keys
//! and values stay in English.
//!
//! The language is chosen once per process (`init`): the config's `lang`, else the locale
//! (`LC_ALL`, `LC_MESSAGES`, `LANG` starting with `ja`), else English. A key missing from a
//! catalogue falls back to English, then to the key itself, so a lookup never fails.

use std::collections::HashMap;
use std::sync::OnceLock;

mod error;
mod said;
mod warning;
pub use error::error_text;
pub use said::Said;
pub use warning::{config_warning, retrying_what, warning};

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

pub(crate) fn catalogue(lang: Lang) -> &'static HashMap<String, String> {
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

/// The sentence for an event, in the language in use (the log itself keeps English).
pub fn event_sentence(
    kind: &crate::core::event::EventKind,
    agent: &str,
    owner: Option<&str>,
    displaced: Option<&str>,
) -> String {
    use crate::core::event::EventKind as K;
    let a: [(&str, &dyn std::fmt::Display); 3] = [
        ("agent", &agent),
        ("owner", &owner.unwrap_or("")),
        ("displaced", &displaced.unwrap_or("")),
    ];
    let key = match (kind, owner, displaced) {
        (K::Claim, _, _) => "event.claim",
        (K::Takeover, _, Some(_)) => "event.takeover_from",
        (K::Takeover, _, None) => "event.takeover",
        (K::Release, _, Some(_)) => "event.release_of",
        (K::Release, _, None) => "event.release",
        (K::Assign, Some(_), Some(_)) => "event.assign_was",
        (K::Assign, Some(_), None) => "event.assign",
        (K::Done, Some(o), _) if o != agent => "event.done_owner",
        (K::Done, _, _) => "event.done",
        (K::Reopen, _, _) => "event.reopen",
        _ => return crate::activity::describe(kind, agent, owner, displaced),
    };
    tf(key, &a)
}

/// A length of time for people: "3h 12m", "5m", "40s" (in Japanese 3時間12分, 5分, 40秒).
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m) = (secs / 3600, (secs % 3600) / 60);
    let key = match (h, m) {
        (0, 0) => "time.secs",
        (0, _) => "time.mins",
        _ => "time.hours_mins",
    };
    tf(key, &[("h", &h), ("m", &m), ("s", &secs)])
}

/// Why a queued reply was held, as the front ends say it.
pub fn hold_text(h: &crate::core::outbox::Hold) -> String {
    use crate::core::outbox::Hold;
    let one = crate::sanitize::single_line;
    match h {
        Hold::Owner {
            author,
            holder: Some(holder),
        } => tf(
            "hold.owner",
            &[("author", &one(author)), ("holder", &one(holder))],
        ),
        Hold::Owner {
            author,
            holder: None,
        } => tf("hold.nobody", &[("author", &one(author))]),
        Hold::Arrived(what) => tf("hold.arrived", &[("what", &one(&what.join("; ")))]),
        Hold::Gone => t("hold.gone").to_string(),
        Hold::Refused(words) => tf("hold.refused", &[("words", &one(words))]),
    }
}

/// A status as the front ends name it.
/// "since 5 min" for a holder's claim of `idle` seconds ago (or "just now").
pub fn held_since(idle: Option<i64>) -> String {
    match idle {
        Some(secs) => tf("cli.held.since", &[("ago", &duration(secs))]),
        None => t("cli.held.just_now").into(),
    }
}

/// Why an action was refused, in words (never a Rust value).
pub fn refused_reason(why: &crate::core::claims::Refused) -> String {
    use crate::core::claims::Refused;
    match why {
        Refused::NeedsSupervisor {
            holder,
            idle_secs,
            stale_hours,
        } => tf(
            "tui.refused.needs_supervisor",
            &[
                ("holder", holder),
                ("since", &held_since(*idle_secs)),
                ("hours", stale_hours),
            ],
        ),
        Refused::BadAgentId(a) => tf("tui.refused.bad_agent", &[("agent", &format!("{a:?}"))]),
        Refused::Superseded => t("tui.refused.superseded").into(),
    }
}

/// What became of a note or action made offline; true when it was not applied.
pub fn offline_text(a: &crate::app::offline::Applied) -> (String, bool) {
    use crate::app::act::Outcome;
    use crate::app::offline::Applied;
    let short = |id: &str| id.chars().take(12).collect::<String>();
    match a {
        Applied::Noted { conversation } => (
            tf("notice.offline.noted", &[("id", &short(conversation))]),
            false,
        ),
        Applied::Acted {
            conversation,
            outcome,
        } => {
            let (what, bad) = match outcome {
                Outcome::Won(w) => (
                    event_sentence(
                        &w.event,
                        &w.agent,
                        w.owner.as_deref(),
                        w.displaced.as_deref(),
                    ),
                    false,
                ),
                Outcome::Lost { winner, .. } => {
                    (tf("hold.owner_short", &[("holder", winner)]), true)
                }
                Outcome::Refused { why, .. } => (refused_reason(why), true),
                Outcome::Already { .. } | Outcome::Queued { .. } => (String::new(), false),
            };
            (
                tf(
                    "notice.offline.acted",
                    &[("id", &short(conversation)), ("what", &what)],
                ),
                bad,
            )
        }
        Applied::Refused {
            conversation,
            verb,
            status,
            holder,
        } => (
            tf(
                "notice.offline.refused",
                &[
                    ("id", &short(conversation)),
                    ("verb", verb),
                    ("status", &status_name(*status)),
                    (
                        "holder",
                        &holder
                            .as_ref()
                            .map(|h| format!(", {h}"))
                            .unwrap_or_default(),
                    ),
                ],
            ),
            true,
        ),
    }
}

/// What a teammate is doing in a conversation ("viewing", "replying"), in the user's
/// language; a kind this version does not know is shown as written, on one line.
pub fn presence_kind(kind: &str) -> String {
    match kind {
        "viewing" => t("presence.viewing").to_string(),
        "replying" => t("presence.replying").to_string(),
        other => crate::sanitize::single_line(other),
    }
}

pub fn status_name(s: crate::core::status::Status) -> &'static str {
    use crate::core::status::Status;
    t(match s {
        Status::New => "status.new",
        Status::Wip => "status.wip",
        Status::Done => "status.done",
        Status::Noise => "status.noise",
    })
}

/// A status as the TUI's tabs name it ("In progress", where `status_name` says "wip").
pub fn status_title(s: crate::core::status::Status) -> &'static str {
    use crate::core::status::Status;
    t(match s {
        Status::New => "tab.new",
        Status::Wip => "tab.wip",
        Status::Done => "tab.done",
        Status::Noise => "tab.noise",
    })
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
