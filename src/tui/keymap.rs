//! Keys as data: the defaults embedded from `keymap.toml` (each with a description and the
//! layers it works in), the user's `[keys]` merged over them, a lookup from a layer and a key
//! press to an action, and the rows of the help screen, all from the same table.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

const DEFAULTS: &str = include_str!("keymap.toml");

/// What a key does (in the layers its binding names).
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
    TabWaiting,
    Claim,
    TakeOver,
    Release,
    Assign,
    Done,
    Reopen,
    Wait,
    Snooze,
    Note,
    /// Put a tag on the conversation (asks its name).
    Tag,
    /// Take a tag off the conversation (asks its name).
    Untag,
    /// Mark the conversation, then merge it into the one selected next (asks first).
    Merge,
    /// Split the mail at the top of the reader off into its own conversation (asks first).
    Split,
    Filter,
    Customer,
    Reply,
    ReplyAll,
    Undo,
    Approvals,
    /// Off duty or back on duty for automatic assignment (`tanto away` / `tanto back`).
    Duty,
    Approve,
    Reject,
    Command,
    Mailbox,
    Help,
    Quit,
    NextMatch,
    PrevMatch,
    NextMessage,
    PrevMessage,
    Messages,
    Redraw,
    Submit,
    DeleteChar,
    Complete,
    HistoryPrev,
    HistoryNext,
    Newline,
    Yes,
    SendLater,
    Edit,
}

/// Who takes a key: the screen (list or reader), or the overlay open over it. Each has its
/// own bindings, and a key unbound in the open layer does nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Layer {
    List,
    Reader,
    Help,
    Picker,
    /// One-line input: the filter, the search, the command line, a reason, a time.
    Prompt,
    /// The inline note editor.
    Editor,
    /// A written reply: send, send later, edit again, keep.
    Send,
    /// A yes/no question.
    Confirm,
}

impl Layer {
    pub const ALL: [Layer; 8] = [
        Layer::List,
        Layer::Reader,
        Layer::Help,
        Layer::Picker,
        Layer::Prompt,
        Layer::Editor,
        Layer::Send,
        Layer::Confirm,
    ];

    /// The name in `keymap.toml` and in a `[keys]` entry such as `"reader.back"`.
    pub fn name(self) -> &'static str {
        match self {
            Layer::List => "list",
            Layer::Reader => "reader",
            Layer::Help => "help",
            Layer::Picker => "picker",
            Layer::Prompt => "prompt",
            Layer::Editor => "editor",
            Layer::Send => "send",
            Layer::Confirm => "confirm",
        }
    }

    fn named(name: &str) -> Option<Layer> {
        Layer::ALL.into_iter().find(|l| l.name() == name)
    }
}

fn screens() -> Vec<Layer> {
    vec![Layer::List, Layer::Reader]
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
    #[serde(default = "screens")]
    layers: Vec<Layer>,
    /// The catalogue key of what the help says of it, in the language in use.
    help: String,
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
    pub layers: Vec<Layer>,
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

/// A `[keys]` name: `action` (every layer it works in) or `layer.action` (that layer only).
fn entry_named(name: &str) -> Option<(Option<Layer>, Action)> {
    match name.split_once('.') {
        Some((layer, action)) => Some((Some(Layer::named(layer)?), action_named(action)?)),
        None => Some((None, action_named(name)?)),
    }
}

fn defaults() -> Vec<RawBinding> {
    // The embedded file is tested below; a broken one is a build mistake, not user input.
    toml::from_str::<File>(DEFAULTS)
        .map(|f| f.bind)
        .unwrap_or_default()
}

/// Checks one `[keys]` entry of the user's config: `Err((problem, fix))`.
pub fn check_binding(action: &str, keys: &[String]) -> Result<(), (String, String)> {
    let known = entry_named(action).is_some_and(|(layer, a)| {
        defaults()
            .iter()
            .any(|b| b.action == a && layer.is_none_or(|l| b.layers.contains(&l)))
    });
    if !known {
        let mut names: Vec<String> = defaults().iter().map(|b| name_of(b.action)).collect();
        names.dedup();
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
    (Action::TabWaiting, "tab_waiting"),
    (Action::Claim, "claim"),
    (Action::TakeOver, "take_over"),
    (Action::Release, "release"),
    (Action::Assign, "assign"),
    (Action::Done, "done"),
    (Action::Reopen, "reopen"),
    (Action::Wait, "wait"),
    (Action::Snooze, "snooze"),
    (Action::Note, "note"),
    (Action::Tag, "tag"),
    (Action::Untag, "untag"),
    (Action::Merge, "merge"),
    (Action::Split, "split"),
    (Action::Filter, "filter"),
    (Action::Customer, "customer"),
    (Action::Reply, "reply"),
    (Action::ReplyAll, "reply_all"),
    (Action::Undo, "undo"),
    (Action::Approvals, "approvals"),
    (Action::Duty, "duty"),
    (Action::Approve, "approve"),
    (Action::Reject, "reject"),
    (Action::Command, "command"),
    (Action::Mailbox, "mailbox"),
    (Action::Help, "help"),
    (Action::Quit, "quit"),
    (Action::NextMatch, "next_match"),
    (Action::PrevMatch, "prev_match"),
    (Action::NextMessage, "next_message"),
    (Action::PrevMessage, "prev_message"),
    (Action::Messages, "messages"),
    (Action::Redraw, "redraw"),
    (Action::Submit, "submit"),
    (Action::DeleteChar, "delete_char"),
    (Action::Complete, "complete"),
    (Action::HistoryPrev, "history_prev"),
    (Action::HistoryNext, "history_next"),
    (Action::Newline, "newline"),
    (Action::Yes, "yes"),
    (Action::SendLater, "send_later"),
    (Action::Edit, "edit"),
];

impl Keymap {
    /// The defaults with `user` (already checked by the config) merged over them: an
    /// action the user binds gets exactly the user's keys, in every layer of the entry (or
    /// in the one layer an entry such as `reader.back` names).
    pub fn new(user: &[(String, Vec<String>)]) -> Keymap {
        let mut bindings: Vec<Binding> = defaults()
            .into_iter()
            .map(|b| Binding {
                action: b.action,
                name: name_of(b.action),
                layers: b.layers,
                keys_parsed: b.keys.iter().filter_map(|k| parse_key(k).ok()).collect(),
                keys: b.keys,
                desc: crate::i18n::t(&b.help).to_string(),
            })
            .collect();
        for (name, keys) in user {
            let Some((only, action)) = entry_named(name) else {
                continue;
            };
            let parsed: Vec<Key> = keys.iter().filter_map(|k| parse_key(k).ok()).collect();
            if let Some(l) = only {
                // That layer alone gets the new keys: it leaves a binding it shares.
                let shared = bindings.iter().position(|b| {
                    b.action == action && b.layers.contains(&l) && b.layers.len() > 1
                });
                if let Some(i) = shared {
                    bindings[i].layers.retain(|x| *x != l);
                    let alone = Binding {
                        layers: vec![l],
                        ..bindings[i].clone()
                    };
                    bindings.insert(i + 1, alone);
                }
            }
            let mine = |b: &Binding| b.action == action && only.is_none_or(|l| b.layers == [l]);
            let layers: Vec<Layer> = bindings
                .iter()
                .filter(|b| mine(b))
                .flat_map(|b| b.layers.clone())
                .collect();
            for b in bindings.iter_mut() {
                if mine(b) {
                    b.keys = keys.clone();
                    b.keys_parsed = parsed.clone();
                } else if b.layers.iter().any(|l| layers.contains(l)) {
                    // A key the user gives to one action leaves every other action of its
                    // layers.
                    let keep: Vec<usize> = (0..b.keys_parsed.len())
                        .filter(|i| !parsed.contains(&b.keys_parsed[*i]))
                        .collect();
                    b.keys = keep.iter().map(|i| b.keys[*i].clone()).collect();
                    b.keys_parsed = keep.iter().map(|i| b.keys_parsed[*i]).collect();
                }
            }
        }
        Keymap { bindings }
    }

    /// The action bound to a key press in `layer`, if any.
    pub fn action(&self, layer: Layer, key: &KeyEvent) -> Option<Action> {
        let k = Key::from_event(key);
        self.bindings
            .iter()
            .find(|b| b.layers.contains(&layer) && b.keys_parsed.contains(&k))
            .map(|b| b.action)
    }

    /// Every key of an action in `layer`, as written, joined with "/" (for hints).
    pub fn keys_in(&self, layer: Layer, action: Action) -> String {
        self.bindings
            .iter()
            .filter(|b| b.action == action && b.layers.contains(&layer))
            .flat_map(|b| b.keys.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join("/")
    }

    /// The first key of an action in `layer`, as written (for hints).
    pub fn key_in(&self, layer: Layer, action: Action) -> &str {
        self.bindings
            .iter()
            .find(|b| b.action == action && b.layers.contains(&layer))
            .and_then(|b| b.keys.first())
            .map(String::as_str)
            .unwrap_or("?")
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
            // The help's words are in the one catalogue, in every language.
            for lang in [crate::i18n::Lang::En, crate::i18n::Lang::Ja] {
                let text = crate::i18n::text_in(lang, &b.help);
                assert!(text != b.help && !text.is_empty(), "{} in {lang:?}", b.help);
            }
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
            km.action(Layer::List, &press(KeyCode::Char('x'), none)),
            Some(Action::Claim)
        );
        assert_eq!(
            km.action(
                Layer::List,
                &press(KeyCode::Char('k'), KeyModifiers::CONTROL)
            ),
            Some(Action::Claim)
        );
        assert_eq!(
            km.action(Layer::List, &press(KeyCode::Char('c'), none)),
            None
        );
        assert_eq!(
            km.action(Layer::List, &press(KeyCode::Char('k'), none)),
            Some(Action::Up)
        );
        assert_eq!(
            km.action(Layer::List, &press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
    }

    #[test]
    fn a_layer_entry_rebinds_that_layer_only_and_overlays_have_their_own_keys() {
        let none = KeyModifiers::NONE;
        let km = Keymap::new(&[("reader.back".into(), vec!["h".into()])]);
        assert_eq!(
            km.action(Layer::Reader, &press(KeyCode::Char('h'), none)),
            Some(Action::Back)
        );
        assert_eq!(
            km.action(Layer::Reader, &press(KeyCode::Char('q'), none)),
            None
        );
        // The list's and the help's Back keep their keys.
        assert_eq!(
            km.action(Layer::List, &press(KeyCode::Esc, none)),
            Some(Action::Back)
        );
        assert_eq!(
            km.action(Layer::Help, &press(KeyCode::Char('q'), none)),
            Some(Action::Back)
        );
        // A prompt types letters: the list's `d` (done) is nothing there.
        let km = Keymap::new(&[]);
        assert_eq!(
            km.action(Layer::Prompt, &press(KeyCode::Char('d'), none)),
            None
        );
        assert_eq!(
            km.action(Layer::List, &press(KeyCode::Esc, none)),
            Some(Action::Back)
        );
        assert_eq!(
            km.action(Layer::List, &press(KeyCode::Char('q'), none)),
            Some(Action::Quit)
        );
        assert!(check_binding("reader.back", &["h".into()]).is_ok());
        assert!(check_binding("reader.open", &["h".into()]).is_err());
        assert!(check_binding("nowhere.back", &["h".into()]).is_err());
    }

    #[test]
    fn no_key_that_changes_shared_state_is_a_neomutt_or_aerc_move_or_search_key() {
        let km = Keymap::new(&[]);
        let writes = [
            Action::Claim,
            Action::TakeOver,
            Action::Release,
            Action::Assign,
            Action::Done,
            Action::Reopen,
            Action::Wait,
            Action::Snooze,
            Action::Note,
            Action::Reply,
            Action::ReplyAll,
            Action::Approve,
            Action::Reject,
            Action::Duty,
        ];
        for b in km.bindings.iter().filter(|b| writes.contains(&b.action)) {
            for k in &b.keys {
                assert!(
                    !["j", "k", "J", "K", "n", "N", "/", "?", "Space", "g", "G", "q", "Esc"]
                        .contains(&k.as_str()),
                    "{} on {k}",
                    b.name
                );
            }
        }
    }

    #[test]
    fn bad_user_keys_say_what_is_wrong() {
        assert!(check_binding("fly", &["f".into()]).is_err());
        assert!(check_binding("claim", &["Ctrl-Hyper".into()]).is_err());
        assert!(check_binding("claim", &[]).is_err());
        assert!(check_binding("claim", &["F5".into()]).is_ok());
    }
}
