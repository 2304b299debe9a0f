//! Every example in examples/ works: each config loads (its [keys] included), each script
//! is valid shell. Nothing here contacts a server or a webhook.

use std::path::{Path, PathBuf};

fn examples(ext: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read examples/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    out.sort();
    out
}

#[test]
fn every_example_config_loads_without_error() {
    let configs = examples("toml");
    assert!(configs.len() >= 2, "{configs:?}");
    for path in configs {
        let text = std::fs::read_to_string(&path).expect("read");
        let config = tanto_app::config::parse(&text, &path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (action, keys) in &config.keys {
            if let Err((problem, fix)) = tanto::tui::keymap::check_binding(action, keys) {
                panic!("{}: keys.{action}: {problem}; {fix}", path.display());
            }
        }
    }
}

#[test]
fn the_full_example_sets_every_key_tanto_reads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/config.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    let config = tanto_app::config::parse(&text, &path).expect("parse");
    assert!(!config.team.agents.is_empty());
    assert!(config.team.reply_target_mins.is_some());
    assert!(config.reply_target.is_some_and(|t| t.hours.is_some()));
    assert!(config.mailboxes[0].smtp.is_some());
    // Every action of the terminal UI appears in [keys].
    let defaults = include_str!("../src/tui/keymap.toml");
    for line in defaults.lines() {
        if let Some(action) = line.strip_prefix("action = ") {
            let action = action.trim_matches('"');
            assert!(
                config
                    .keys
                    .iter()
                    .any(|(a, _)| a == action || a.ends_with(&format!(".{action}"))),
                "examples/config.toml: [keys] lacks {action}"
            );
        }
    }
}

#[test]
fn the_example_keys_are_the_defaults_in_every_layer() {
    use tanto::tui::keymap::{Keymap, Layer};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/config.toml");
    let text = std::fs::read_to_string(&path).expect("read");
    let config = tanto_app::config::parse(&text, &path).expect("parse");
    let example = Keymap::new(&config.keys);
    let defaults = Keymap::new(&[]);
    for b in defaults.bindings.iter().chain(example.bindings.iter()) {
        for (spec, key) in b.keys.iter().zip(&b.keys_parsed) {
            let press = ratatui::crossterm::event::KeyEvent::new(key.code, {
                let mut m = ratatui::crossterm::event::KeyModifiers::NONE;
                if key.ctrl {
                    m |= ratatui::crossterm::event::KeyModifiers::CONTROL;
                }
                if key.alt {
                    m |= ratatui::crossterm::event::KeyModifiers::ALT;
                }
                m
            });
            for layer in Layer::ALL {
                assert_eq!(
                    example.action(layer, &press),
                    defaults.action(layer, &press),
                    "{spec} in {}",
                    layer.name()
                );
            }
        }
    }
}

#[test]
fn every_example_script_is_valid_shell() {
    let scripts = examples("sh");
    assert!(!scripts.is_empty());
    for path in scripts {
        let out = std::process::Command::new("bash")
            .arg("-n")
            .arg(&path)
            .output()
            .expect("run bash -n");
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_example_rules_file_parses_and_a_config_can_name_it() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let text = std::fs::read_to_string(dir.join("rules/team-rules.toml")).expect("read");
    let rules = tanto_core::rules::parse(&text).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(rules.len(), 5);
    // The line in config.toml, uncommented, loads it.
    let config = std::fs::read_to_string(dir.join("config.toml")).expect("read");
    let on = config.replace("# rules = \"rules/", "rules = \"rules/");
    assert_ne!(on, config, "config.toml names the rules file");
    let c = tanto_app::config::parse(&on, &dir.join("config.toml")).expect("parse");
    assert_eq!(c.rules.len(), 5);
}
