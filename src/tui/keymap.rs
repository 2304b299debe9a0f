//! Keys as data: the defaults embedded from `keymap.toml` (each with a description), the
//! user's `[keys]` merged over them, a lookup from a key press to an action, and the rows of
//! the help screen, all from the same table.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

const DEFAULTS: &str = include_str!("keymap.toml");

/// What a key does in the list and the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Open,
    Back,
    NextTab,
    PrevTab,
    TabNew,
    TabWip,
    TabDone,
    TabMine,
    TabNoise,
    Claim,
    TakeOver,
    Release,
    Assign,
    Done,
    Reopen,
    Note,
    Filter,
    Customer,
    Reply,
    ReplyAll,
    Undo,
    Approvals,
    Approve,
    Reject,
    Command,
    Mailbox,
    Help,
    Quit,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    bind: Vec<RawBinding>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    action: Action,
    keys: Vec<String>,
    desc: String,
    /// The description in Japanese (`lang = "ja"` or a Japanese locale).
    desc_ja: String,
}

/// A key as tanto matches it: the code and the Ctrl/Alt modifiers (Shift is in the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
}

impl Key {
    pub fn from_event(e: &KeyEvent) -> Key {
        Key {
            code: e.code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
            alt: e.modifiers.contains(KeyModifiers::ALT),
        }
    }
}

/// One binding as the help screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub action: Action,
    pub name: String,
    /// As written in the table (e.g. "j", "Down", "Ctrl-d").
    pub keys: Vec<String>,
    pub keys_parsed: Vec<Key>,
    pub desc: String,
}

/// The bindings in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

/// Parses "j", "G", "Enter", "Ctrl-d", "Alt-x", "F1"...
pub fn parse_key(spec: &str) -> Result<Key, String> {
    let mut ctrl = false;
    let mut alt = false;
    let mut rest = spec;
    loop {
        if let Some(r) = rest
            .strip_prefix("Ctrl-")
            .or_else(|| rest.strip_prefix("C-"))
        {
            ctrl = true;
            rest = r;
        } else if let Some(r) = rest
            .strip_prefix("Alt-")
            .or_else(|| rest.strip_prefix("M-"))
        {
            alt = true;
            rest = r;
        } else {
            break;
        }
    }
    let mut chars = rest.chars();
    let code = match (chars.next(), chars.next()) {
        (Some(c), None) => KeyCode::Char(c),
        _ => match rest {
            "Enter" => KeyCode::Enter,
            "Esc" => KeyCode::Esc,
            "Tab" => KeyCode::Tab,
            "BackTab" => KeyCode::BackTab,
            "Up" => KeyCode::Up,
            "Down" => KeyCode::Down,
            "Left" => KeyCode::Left,
            "Right" => KeyCode::Right,
            "PageUp" => KeyCode::PageUp,
            "PageDown" => KeyCode::PageDown,
            "Home" => KeyCode::Home,
            "End" => KeyCode::End,
            "Space" => KeyCode::Char(' '),
            "Backspace" => KeyCode::Backspace,
            "Delete" => KeyCode::Delete,
            f if f.starts_with('F') => match f[1..].parse::<u8>() {
                Ok(n) if (1..=12).contains(&n) => KeyCode::F(n),
                _ => return Err(format!("{spec:?} is not a key name")),
            },
            _ => return Err(format!("{spec:?} is not a key name")),
        },
    };
    Ok(Key { code, ctrl, alt })
}

fn action_named(name: &str) -> Option<Action> {
    DEFAULTS_NAMES
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(a, _)| *a)
}

fn defaults() -> Vec<RawBinding> {
    // The embedded file is tested below; a broken one is a build mistake, not user input.
    toml::from_str::<File>(DEFAULTS)
        .map(|f| f.bind)
        .unwrap_or_default()
}

/// Checks one `[keys]` entry of the user's config: `Err((problem, fix))`.
pub fn check_binding(action: &str, keys: &[String]) -> Result<(), (String, String)> {
    if action_named(action).is_none() {
        let names: Vec<String> = defaults()
            .iter()
            .map(|b| name_of(b.action))
            .collect::<Vec<_>>();
        return Err((
            "is not an action".into(),
            format!("use one of: {}", names.join(", ")),
        ));
    }
    if keys.is_empty() {
        return Err((
            "has no keys".into(),
            "give a key, e.g. \"c\", or a list".into(),
        ));
    }
    for k in keys {
        parse_key(k).map_err(|e| {
            (
                e,
                "write a character, a key name such as Enter or PageDown, or Ctrl-x".into(),
            )
        })?;
    }
    Ok(())
}

fn name_of(action: Action) -> String {
    DEFAULTS_NAMES
        .iter()
        .find(|(a, _)| *a == action)
        .map(|(_, n)| n.to_string())
        .unwrap_or_default()
}

/// The names of the actions in the config and the help (serde's snake_case, tested).
const DEFAULTS_NAMES: &[(Action, &str)] = &[
    (Action::Down, "down"),
    (Action::Up, "up"),
    (Action::Top, "top"),
    (Action::Bottom, "bottom"),
    (Action::PageDown, "page_down"),
    (Action::PageUp, "page_up"),
    (Action::Open, "open"),
    (Action::Back, "back"),
    (Action::NextTab, "next_tab"),
    (Action::PrevTab, "prev_tab"),
    (Action::TabNew, "tab_new"),
    (Action::TabWip, "tab_wip"),
    (Action::TabDone, "tab_done"),
    (Action::TabMine, "tab_mine"),
    (Action::TabNoise, "tab_noise"),
    (Action::Claim, "claim"),
    (Action::TakeOver, "take_over"),
    (Action::Release, "release"),
    (Action::Assign, "assign"),
    (Action::Done, "done"),
    (Action::Reopen, "reopen"),
    (Action::Note, "note"),
    (Action::Filter, "filter"),
    (Action::Customer, "customer"),
    (Action::Reply, "reply"),
    (Action::ReplyAll, "reply_all"),
    (Action::Undo, "undo"),
    (Action::Approvals, "approvals"),
    (Action::Approve, "approve"),
    (Action::Reject, "reject"),
    (Action::Command, "command"),
    (Action::Mailbox, "mailbox"),
    (Action::Help, "help"),
    (Action::Quit, "quit"),
];

impl Keymap {
    /// The defaults with `user` (already checked by the config) merged over them: an
    /// action the user binds gets exactly the user's keys.
    pub fn new(user: &[(String, Vec<String>)]) -> Keymap {
        let mut bindings: Vec<Binding> = defaults()
            .into_iter()
            .map(|b| Binding {
                action: b.action,
                name: name_of(b.action),
                keys_parsed: b.keys.iter().filter_map(|k| parse_key(k).ok()).collect(),
                keys: b.keys,
                desc: match crate::i18n::lang() {
                    crate::i18n::Lang::Ja => b.desc_ja,
                    crate::i18n::Lang::En => b.desc,
                },
            })
            .collect();
        for (name, keys) in user {
            let Some(action) = action_named(name) else {
                continue;
            };
            let parsed: Vec<Key> = keys.iter().filter_map(|k| parse_key(k).ok()).collect();
            // A key the user gives to one action leaves every other action.
            for b in bindings.iter_mut().filter(|b| b.action != action) {
                let keep: Vec<usize> = (0..b.keys_parsed.len())
                    .filter(|i| !parsed.contains(&b.keys_parsed[*i]))
                    .collect();
                b.keys = keep.iter().map(|i| b.keys[*i].clone()).collect();
                b.keys_parsed = keep.iter().map(|i| b.keys_parsed[*i]).collect();
            }
            if let Some(b) = bindings.iter_mut().find(|b| b.action == action) {
                b.keys = keys.clone();
                b.keys_parsed = parsed;
            }
        }
        Keymap { bindings }
    }

    /// The action bound to a key press, if any.
    pub fn action(&self, key: &KeyEvent) -> Option<Action> {
        let k = Key::from_event(key);
        self.bindings
            .iter()
            .find(|b| b.keys_parsed.contains(&k))
            .map(|b| b.action)
    }

    /// The first key of an action, as written (for hints in the status bar).
    pub fn key_for(&self, action: Action) -> &str {
        self.bindings
            .iter()
            .find(|b| b.action == action)
            .and_then(|b| b.keys.first())
            .map(String::as_str)
            .unwrap_or("?")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn the_embedded_defaults_parse_and_bind_every_action() {
        let file: File = toml::from_str(DEFAULTS).expect("keymap.toml parses");
        for b in &file.bind {
            for k in &b.keys {
                parse_key(k).expect("default key parses");
            }
            assert!(!b.desc.is_empty());
        }
        for (action, name) in DEFAULTS_NAMES {
            assert_eq!(action_named(name), Some(*action), "{name}");
            assert!(
                file.bind.iter().any(|b| b.action == *action),
                "{name} bound"
            );
        }
    }

    #[test]
    fn user_keys_replace_the_defaults_of_their_action_only() {
        let km = Keymap::new(&[("claim".into(), vec!["x".into(), "Ctrl-k".into()])]);
        let none = KeyModifiers::NONE;
        assert_eq!(
            km.action(&press(KeyCode::Char('x'), none)),
            Some(Action::Claim)
        );
        assert_eq!(
            km.action(&press(KeyCode::Char('k'), KeyModifiers::CONTROL)),
            Some(Action::Claim)
        );
        assert_eq!(km.action(&press(KeyCode::Char('c'), none)), None);
        assert_eq!(
            km.action(&press(KeyCode::Char('k'), none)),
            Some(Action::Up)
        );
        assert_eq!(
            km.action(&press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
    }

    #[test]
    fn bad_user_keys_say_what_is_wrong() {
        assert!(check_binding("fly", &["f".into()]).is_err());
        assert!(check_binding("claim", &["Ctrl-Hyper".into()]).is_err());
        assert!(check_binding("claim", &[]).is_err());
        assert!(check_binding("claim", &["F5".into()]).is_ok());
    }
}
