//! The command line describes itself completely: every command and argument has help, and
//! the completion scripts and manual pages are generated from the same definitions.

use std::process::Command;

use clap::CommandFactory as _;

fn tanto(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tanto"))
        .args(args)
        // No config anywhere: help, completions and man must not need one.
        .env("TANTO_CONFIG", "/nonexistent/tanto.toml")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .output()
        .expect("run tanto");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every command path: [], ["list"], ["cache", "rebuild"], ...
fn command_paths(cmd: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(prefix.clone());
    for sub in cmd.get_subcommands() {
        let mut p = prefix.clone();
        p.push(sub.get_name().to_string());
        command_paths(sub, p, out);
    }
}

#[test]
fn every_command_and_every_argument_has_help() {
    let mut cmd = tanto::cli::Cli::command();
    cmd.build();
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        if cmd.get_about().is_none() && path != "tanto" {
            missing.push(format!("{path}: no description"));
        }
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if matches!(id, "help" | "version") {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {id}: no help"));
            }
        }
        for sub in cmd.get_subcommands() {
            if sub.get_name() != "help" {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
    }
    let mut missing = Vec::new();
    walk(&cmd, "tanto", &mut missing);
    assert!(missing.is_empty(), "{missing:#?}");
}

#[test]
fn help_prints_for_tanto_and_every_command() {
    let mut paths = Vec::new();
    command_paths(&tanto::cli::Cli::command(), Vec::new(), &mut paths);
    assert!(paths.len() > 15, "{paths:?}");
    for p in paths {
        let mut args: Vec<&str> = p.iter().map(String::as_str).collect();
        args.push("--help");
        let (code, out, err) = tanto(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert!(out.contains("Usage: tanto"), "{args:?}: {out}");
    }
    let (_, out, _) = tanto(&["--help"]);
    assert!(
        out.contains("Exit codes") && out.contains("TANTO_CONFIG"),
        "{out}"
    );
}

#[test]
fn completions_are_generated_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef tanto"),
        ("fish", "complete -c tanto"),
    ] {
        let (code, out, err) = tanto(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}: {out}");
        // The commands are offered.
        assert!(out.contains("claim") && out.contains("demo"), "{shell}");
    }
    let (code, _, err) = tanto(&["completions", "tcsh"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn the_manual_pages_are_generated_to_stdout_and_into_a_directory() {
    let (code, out, err) = tanto(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(".TH tanto 1") && out.contains("claim"),
        "{out}"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("man1");
    let (code, _, err) = tanto(&["man", "--out", &target.to_string_lossy()]);
    assert_eq!(code, 0, "{err}");
    for page in [
        "tanto.1",
        "tanto-list.1",
        "tanto-claim.1",
        "tanto-cache-rebuild.1",
    ] {
        let text = std::fs::read_to_string(target.join(page)).unwrap_or_default();
        assert!(text.contains(".TH"), "{page}: {text}");
    }
}

/// `tanto ARGS` in a locale: the language comes from `LANG` alone (the other variables empty).
fn tanto_in(lang: &str, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tanto"))
        .args(args)
        .env("TANTO_CONFIG", "/nonexistent/tanto.toml")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("LC_ALL", "")
        .env("LC_MESSAGES", "")
        .env("LANG", lang)
        .output()
        .expect("run tanto");
    assert!(out.status.success(), "{args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn japanese_catalogue() -> std::collections::HashMap<String, String> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/crates/tanto-core/src/wording/ja.toml"
    );
    toml::from_str(&std::fs::read_to_string(path).expect("read ja.toml")).expect("ja.toml parses")
}

#[test]
fn every_command_and_argument_has_japanese_help() {
    let ja = japanese_catalogue();
    let keys = tanto::cli::help::keys();
    assert!(keys.len() > 60, "{keys:?}");
    let missing: Vec<&String> = keys
        .iter()
        .map(|(k, _)| k)
        .filter(|k| !ja.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "no Japanese help in ja.toml for: {missing:#?}"
    );
    let unknown: Vec<&String> = ja
        .keys()
        .filter(|k| k.starts_with("help.tanto") && !keys.iter().any(|(u, _)| u == *k))
        .collect();
    assert!(
        unknown.is_empty(),
        "ja.toml has help for no argument: {unknown:#?}"
    );
}

#[test]
fn a_japanese_locale_gets_japanese_help() {
    let ja = japanese_catalogue();
    let out = tanto_in("ja_JP.UTF-8", &["--help"]);
    assert!(
        out.contains("使い方: tanto") && out.contains("終了コード"),
        "{out}"
    );
    for sub in tanto::cli::Cli::command().get_subcommands() {
        let name = sub.get_name();
        let about = &ja[&format!("help.tanto.{name}")];
        assert!(out.contains(about.as_str()), "{name}: {out}");
        let english = sub.get_about().map(|a| a.to_string()).unwrap_or_default();
        assert!(!out.contains(&english), "{name} still in English: {out}");
    }
    let out = tanto_in("ja_JP.UTF-8", &["claim", "--help"]);
    assert!(out.contains(&ja["help.tanto.claim:take_over"]), "{out}");
    assert!(out.contains("ヘルプを表示します"), "{out}");
}

#[test]
fn the_config_s_lang_chooses_the_language_of_the_help() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("tanto.toml");
    std::fs::write(&config, "lang = \"ja\"\n").expect("write the config");
    let out = tanto_in(
        "C",
        &["--config", &config.to_string_lossy(), "list", "--help"],
    );
    assert!(out.contains("会話を一覧します"), "{out}");
}

#[test]
fn english_help_is_the_definitions_own() {
    let out = tanto_in("C", &["--help"]);
    let own = tanto::cli::Cli::command().render_long_help().to_string();
    assert_eq!(out.trim_end(), own.trim_end());
    let out = tanto_in("en_US.UTF-8", &["template", "--help"]);
    assert!(out.contains("Usage: tanto template") && out.contains("Shared reply templates"));
    assert!(out.contains("Print help"), "{out}");
}

/// A mistyped command line: one line in the locale's language, exit 1, and tanto's own check
/// of a value (the status) worded in it too.
#[test]
fn a_japanese_locale_gets_parse_errors_in_japanese() {
    for (args, says) in [
        (&["list", "--status", "bogus"][..], "状態ではありません"),
        (&["frobnicate"], "というコマンドはありません"),
        (&["list", "--bogus"], "不明な引数 '--bogus'"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_tanto"))
            .args(args)
            .env("TANTO_CONFIG", "/nonexistent/tanto.toml")
            .env("LANG", "ja_JP.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.contains(says) && err.contains("tanto --help"),
            "{args:?}: {err}"
        );
    }
}
