//! `team.rules`: the team's rules file read (relative to the config file) and checked, each
//! error naming the file, the rule (index and name), the key and the fix.

use std::path::{Path, PathBuf};

use tanto_core::rules::{self, Rule};

use super::schema::Team;
use super::ConfigError;

type Invalid<'a> = &'a dyn Fn(&str, &str, &str) -> ConfigError;

/// Where `team.rules` points, relative to the config file's folder.
pub fn rules_path(team: &Team, config_path: &Path) -> Option<PathBuf> {
    let file = team
        .rules
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())?;
    let path = super::load::expand_tilde(Path::new(file));
    Some(match config_path.parent() {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path,
    })
}

/// The rules of `team.rules`, checked; none without the key.
pub(super) fn load(
    team: &Team,
    config_path: &Path,
    invalid: Invalid<'_>,
) -> Result<Vec<Rule>, ConfigError> {
    let Some(path) = rules_path(team, config_path) else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        invalid(
            "team.rules",
            &format!("names {}, which cannot be read ({e})", path.display()),
            "give the path of the rules file (relative to this config), or remove team.rules",
        )
    })?;
    rules::parse(&text).map_err(|e| {
        invalid(
            &format!("team.rules: {} {}.{}", path.display(), e.place, e.key),
            &e.problem,
            &e.fix,
        )
    })
}

#[cfg(test)]
mod tests {
    use crate::config::{parse, ConfigError};

    const BASE: &str = "[agent]\nid = \"alice\"\n[[mailbox]]\nname = \"support\"\naddress = \"support@example.com\"\n[mailbox.imap]\nhost = \"127.0.0.1\"\ntls = \"none\"\nuser = \"support\"\npassword_env = \"P\"\n[cache]\npath = \"/tmp/tanto-test.sqlite\"\n[team]\nrules = \"rules.toml\"\n";

    fn with_rules(name: &str, rules: &str) -> Result<crate::config::Config, ConfigError> {
        let dir = std::env::temp_dir().join(format!("tanto-rules-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("rules.toml"), rules).expect("rules file");
        parse(BASE, &dir.join("config.toml"))
    }

    #[test]
    fn the_rules_file_is_read_beside_the_config() {
        let c = with_rules(
            "good",
            "[[rule]]\nname = \"vip\"\nfrom = { glob = \"*@big.example\" }\ntag = \"vip\"\n",
        )
        .expect("config");
        assert_eq!(c.rules.len(), 1);
        assert_eq!(c.rules[0].name, "vip");
    }

    #[test]
    fn a_bad_rule_is_a_config_error_naming_the_rule_the_key_and_the_fix() {
        let e = with_rules(
            "bad",
            "[[rule]]\nname = \"ok\"\nfrom = \"a@b\"\ntag = \"x\"\n[[rule]]\nname = \"vip\"\nsubject = { regex = \"(\" }\ntag = \"x\"\n",
        )
        .expect_err("bad regex");
        let ConfigError::Invalid { key, fix, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(key.contains("rule[2] \"vip\".subject"), "{key}");
        assert!(fix.contains("regular expression"), "{fix}");
        assert!(e.to_string().contains("rules.toml"), "{e}");
    }

    #[test]
    fn a_missing_rules_file_names_team_rules() {
        let dir = std::env::temp_dir().join(format!("tanto-rules-none-{}", std::process::id()));
        let e = parse(BASE, &dir.join("config.toml")).expect_err("no file");
        assert!(
            matches!(&e, ConfigError::Invalid { key, .. } if key == "team.rules"),
            "{e:?}"
        );
    }
}
