//! Finding, reading and checking the config: every error names the key and the fix.

use std::path::{Path, PathBuf};

use super::schema::{KeyList, RawConfig, Tls};
use super::{Cache, Config, ConfigError};
pub use tanto_mail::settings::is_loopback;

/// Finds the config path: the flag, then `TANTO_CONFIG`, then the XDG config dir.
pub fn locate(flag: Option<&Path>) -> Result<PathBuf, ConfigError> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("TANTO_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "tanto")
        .map(|d| d.config_dir().join("config.toml"))
        .ok_or(ConfigError::NoPath)
}

/// Reads and validates the config at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::Missing {
                path: path.to_path_buf(),
            })
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut config = parse(&text, path)?;
    config.warnings.extend(permission_warnings(path, &config));
    Ok(config)
}

/// Parses and validates config text; `path` is only used in messages.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| ConfigError::Syntax {
        path: path.to_path_buf(),
        message: syntax_message(&e, text),
    })?;
    let invalid = |key: &str, problem: &str, fix: &str| ConfigError::Invalid {
        path: path.to_path_buf(),
        key: key.to_string(),
        problem: problem.to_string(),
        fix: fix.to_string(),
    };
    let agent = raw.agent.ok_or_else(|| {
        invalid(
            "agent",
            "is missing",
            "add an [agent] table with id = \"yourname\"",
        )
    })?;
    if !tanto_core::agent::valid_id(&agent.id) {
        return Err(invalid(
            "agent.id",
            &format!("is {:?}, not 1-16 of a-z 0-9 _ -", agent.id),
            "use a short lower-case id such as \"alice\"",
        ));
    }
    if raw.mailbox.is_empty() {
        return Err(invalid(
            "mailbox",
            "is missing",
            "add a [[mailbox]] table with name, address and [mailbox.imap]",
        ));
    }
    for (i, m) in raw.mailbox.iter().enumerate() {
        let key = |k: &str| format!("mailbox[{i}].{k}");
        if m.name.trim().is_empty() {
            return Err(invalid(
                &key("name"),
                "is empty",
                "name the mailbox, e.g. \"support\"",
            ));
        }
        if !m.address.contains('@') {
            return Err(invalid(
                &key("address"),
                &format!("is {:?}, not an address", m.address),
                "write the shared address, e.g. \"support@example.com\"",
            ));
        }
        check_server(
            &key("imap"),
            &m.imap.host,
            m.imap.tls,
            m.imap.allow_insecure,
            &invalid,
        )?;
        if m.imap.user.is_empty() {
            return Err(invalid(
                &key("imap.user"),
                "is empty",
                "set the IMAP login name",
            ));
        }
        super::oauth2::check(i, m, &invalid)?;
        if m.imap.auth == super::Auth::Password
            && m.imap.password_command.is_none()
            && m.imap.password_env.is_none()
            && m.imap.password.is_none()
        {
            return Err(invalid(
                &key("imap.password_command"),
                "is missing (no password source)",
                "set password_command = \"pass show mail/support\" or password_env = \"VAR\"",
            ));
        }
        if let Some(s) = &m.smtp {
            check_server(&key("smtp"), &s.host, s.tls, s.allow_insecure, &invalid)?;
        }
    }
    if let Some(m) = raw
        .mailbox
        .iter()
        .find(|m| !tanto_mail::sanitize::is_plain_name(&m.name))
    {
        return Err(invalid(
            "mailbox.name",
            &format!("{:?} is not a name tanto can show", m.name),
            "use 1-64 printable characters, without control characters or spaces at either end",
        ));
    }
    let mut names: Vec<&str> = raw.mailbox.iter().map(|m| m.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        return Err(invalid(
            "mailbox.name",
            "is used twice",
            "give every [[mailbox]] its own name",
        ));
    }
    let cache_path = match raw.cache.path {
        Some(p) if p.as_os_str().is_empty() => {
            return Err(invalid(
                "cache.path",
                "is empty",
                "remove it for the default, or give a file path",
            ))
        }
        Some(p) => expand_tilde(&p),
        None => directories::ProjectDirs::from("", "", "tanto")
            .map(|d| d.cache_dir().join("cache.sqlite"))
            .ok_or_else(|| {
                invalid(
                    "cache.path",
                    "has no default (no home directory)",
                    "set cache.path",
                )
            })?,
    };
    for (i, a) in raw.team.agents.iter().enumerate() {
        if !tanto_core::agent::valid_id(a) {
            return Err(invalid(
                &format!("team.agents[{i}]"),
                &format!("is {a:?}, not 1-16 of a-z 0-9 _ -"),
                "list agent ids as in each agent's [agent] id",
            ));
        }
    }
    if raw.team.assign != tanto_core::assignment::Mode::Manual && raw.team.agents.is_empty() {
        return Err(invalid(
            "team.assign",
            "assigns among team.agents, which is empty",
            "list the agent ids in team.agents, in the order they take turns",
        ));
    }
    if raw.team.capacity == Some(0) {
        return Err(invalid(
            "team.capacity",
            "is 0 (nobody could be assigned anything)",
            "give the open conversations per agent (e.g. 10), or remove it",
        ));
    }
    if raw.team.reply_target_mins == Some(0) {
        return Err(invalid(
            "team.reply_target_mins",
            "is 0",
            "give the target in minutes (e.g. 240), or remove it",
        ));
    }
    let (business_hours, reply_target) = super::hours::reply_target(&raw.team, path, &invalid)?;
    let rules = super::rules::load(&raw.team, path, &invalid)?;
    let mut keys = Vec::new();
    for (action, list) in raw.keys {
        let list = match list {
            KeyList::One(k) => vec![k],
            KeyList::Many(ks) => ks,
        };
        // The bindings themselves are the terminal UI's to check (`cli::load_ctx`).
        keys.push((action, list));
    }
    let lang = match raw.lang.as_deref() {
        None => None,
        Some(l) => match tanto_core::wording::Lang::parse(l) {
            Some(lang) => Some(lang),
            None => {
                return Err(invalid(
                    "lang",
                    &format!("is {l:?}, a language tanto does not speak"),
                    "use \"en\" or \"ja\", or remove it to follow the locale",
                ))
            }
        },
    };
    let l = raw.limits;
    for (key, v) in [
        ("limits.imap_line_mib", l.imap_line_mib),
        ("limits.imap_response_mib", l.imap_response_mib),
        ("limits.message_mib", l.message_mib),
    ] {
        if v == 0 || v > 1 << 20 {
            return Err(invalid(
                key,
                &format!("is {v}"),
                "use a number of MiB from 1 to 1048576, or remove it for the default",
            ));
        }
    }
    Ok(Config {
        path: path.to_path_buf(),
        agent,
        mailboxes: raw.mailbox,
        cache: Cache {
            path: cache_path,
            network_fs: raw.cache.network_fs,
        },
        team: raw.team,
        keys,
        lang,
        warnings: Vec::new(),
        limits: raw.limits,
        business_hours,
        reply_target,
        rules,
    })
}

fn check_server(
    key: &str,
    host: &str,
    tls: Tls,
    allow_insecure: bool,
    invalid: &dyn Fn(&str, &str, &str) -> ConfigError,
) -> Result<(), ConfigError> {
    if host.trim().is_empty() {
        return Err(invalid(
            &format!("{key}.host"),
            "is empty",
            "set the server's host name",
        ));
    }
    if tls == Tls::None && !allow_insecure && !is_loopback(host) {
        return Err(invalid(
            &format!("{key}.tls"),
            &format!("is \"none\" for the non-loopback host {host:?}"),
            "use tls = \"tls\" or \"starttls\", or set allow_insecure = true if you accept sending the password in clear",
        ));
    }
    Ok(())
}

pub(super) fn expand_tilde(p: &Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~") {
        if let Some(home) = directories::BaseDirs::new() {
            return home.home_dir().join(rest);
        }
    }
    p.to_path_buf()
}

fn syntax_message(e: &toml::de::Error, text: &str) -> String {
    // toml's Display spans several lines with a source excerpt; the line, the key and the
    // message are what fit the one-line contract.
    let msg = e.message().trim().replace('\n', " ");
    let at = e
        .span()
        .map(|s| {
            let start = s.start.min(text.len());
            let before = text.get(..start).unwrap_or("");
            let line_no = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map(|p| p + 1).unwrap_or(0);
            let line = text
                .get(line_start..)
                .and_then(|l| l.lines().next())
                .unwrap_or("")
                .trim();
            let table = if line.starts_with('[') {
                Some(line)
            } else {
                before
                    .lines()
                    .rev()
                    .map(str::trim)
                    .find(|l| l.starts_with('['))
            }
            .map(|t| t.trim_matches(|c| c == '[' || c == ']').trim().to_string());
            let key = (!line.starts_with('['))
                .then(|| line.split('=').next().unwrap_or("").trim().to_string())
                .filter(|k| !k.is_empty());
            match (table, key) {
                (Some(t), Some(k)) => format!("line {line_no}, key `{t}.{k}`: "),
                (None, Some(k)) => format!("line {line_no}, key `{k}`: "),
                (Some(t), None) => format!("line {line_no}, table [{t}]: "),
                (None, None) => format!("line {line_no}: "),
            }
        })
        .unwrap_or_default();
    let fix = if msg.contains("unknown field") {
        "; fix: remove or correct the key (examples/config.toml lists every key)"
    } else if msg.contains("missing field") {
        "; fix: add the key (examples/config.toml lists every key)"
    } else if msg.contains("unknown variant") {
        "; fix: use one of the listed values"
    } else if msg.contains("invalid type") {
        "; fix: give it a value of the expected type (examples/config.toml shows one)"
    } else {
        "; fix: correct the TOML syntax at that line"
    };
    format!("{at}{msg}{fix}")
}

#[cfg(unix)]
fn permission_warnings(path: &Path, config: &Config) -> Vec<super::ConfigWarning> {
    use std::os::unix::fs::PermissionsExt;
    let has_plain = config.mailboxes.iter().any(|m| {
        m.imap.password.is_some() || m.smtp.as_ref().is_some_and(|s| s.password.is_some())
    });
    if !has_plain {
        return Vec::new();
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => {
            vec![super::ConfigWarning::PlainPasswordReadable {
                path: path.to_path_buf(),
            }]
        }
        _ => Vec::new(),
    }
}

#[cfg(not(unix))]
fn permission_warnings(_path: &Path, _config: &Config) -> Vec<super::ConfigWarning> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ReplyCharset, Role};

    const GOOD: &str = r#"
[agent]
id = "alice"
name = "Alice"
role = "supervisor"

[[mailbox]]
name = "support"
address = "support@example.com"
[mailbox.imap]
host = "imap.example.com"
user = "support@example.com"
password_command = "echo secret"

[cache]
path = "/tmp/x.sqlite"
"#;

    fn err(text: &str) -> String {
        match parse(text, Path::new("t.toml")) {
            Ok(_) => panic!("expected an error"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn good_config_loads_with_defaults() {
        let c = parse(GOOD, Path::new("t.toml")).expect("parses");
        assert_eq!(c.agent.role, Role::Supervisor);
        let m = c.mailbox(None).expect("one mailbox");
        assert_eq!(m.imap.port(), 993);
        assert_eq!(m.imap.folder, "INBOX");
        assert_eq!(m.imap.activity_folder, "Tanto/Activity");
        assert_eq!(c.team.stale_claim_hours, 24);
        assert_eq!(c.team.approval, tanto_core::outbox::Approval::None);
        assert_eq!(c.team.undo_seconds, 10);
        assert_eq!(m.reply_charset, ReplyCharset::Utf8);
    }

    #[test]
    fn approval_is_none_all_or_a_list() {
        use tanto_core::outbox::Approval;
        let with = |v: &str| {
            parse(
                &format!("{GOOD}\n[team]\napproval = {v}\n"),
                Path::new("t.toml"),
            )
        };
        assert_eq!(with("\"all\"").expect("all").team.approval, Approval::All);
        assert_eq!(
            with("[\"bob\"]").expect("list").team.approval,
            Approval::Agents(vec!["bob".into()])
        );
        let e = with("\"some\"")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("approval"), "{e}");
    }

    #[test]
    fn bad_configs_name_the_key_and_the_fix() {
        let cases = [
            (GOOD.replace("\"alice\"", "\"Alice Sato\""), "agent.id"),
            (
                GOOD.replace("role = \"supervisor\"", "role = \"boss\""),
                "boss",
            ),
            (
                GOOD.replace(
                    "host = \"imap.example.com\"",
                    "host = \"imap.example.com\"\ntls = \"none\"",
                ),
                "mailbox[0].imap.tls",
            ),
            (
                GOOD.replace("password_command = \"echo secret\"", ""),
                "mailbox[0].imap.password_command",
            ),
            (
                GOOD.replace("user = \"support@example.com\"", "usr = \"x\""),
                "usr",
            ),
            (
                GOOD.replace(
                    "[agent]\nid = \"alice\"\nname = \"Alice\"\nrole = \"supervisor\"",
                    "",
                ),
                "agent",
            ),
            (
                GOOD.replace("address = \"support@example.com\"", "address = \"support\""),
                "mailbox[0].address",
            ),
            ("[agent\n".to_string(), "t.toml"),
            (
                format!("{GOOD}\n[team]\nagents = [\"bob\", \"Bob Smith\"]\n"),
                "team.agents[1]",
            ),
            (
                format!("{GOOD}\n[team]\nassign = \"round_robin\"\n"),
                "team.assign",
            ),
            (
                format!("{GOOD}\n[team]\nassign = \"roundrobin\"\nagents = [\"bob\"]\n"),
                "round_robin",
            ),
            (
                format!(
                    "{GOOD}\n[team]\nassign = \"least_loaded\"\nagents = [\"bob\"]\ncapacity = 0\n"
                ),
                "team.capacity",
            ),
        ];
        for (text, needle) in cases {
            let e = err(&text);
            assert!(e.contains(needle), "{e:?} should name {needle}");
            assert!(!e.contains('\n'), "one line: {e:?}");
        }
    }

    #[test]
    fn user_keys_and_team_agents_are_read() {
        let text = format!(
            "{GOOD}\n[team]\nagents = [\"bob\"]\nreply_target_mins = 60\n[keys]\nclaim = \"C\"\ndown = [\"j\", \"Ctrl-n\"]\n"
        );
        let c = parse(&text, Path::new("t.toml")).expect("parses");
        assert_eq!(c.team.agents, ["bob"]);
        assert_eq!(c.team.reply_target_mins, Some(60));
        assert!(c
            .keys
            .iter()
            .any(|(a, k)| a == "down" && k == &["j", "Ctrl-n"]));
    }

    #[cfg(unix)]
    #[test]
    fn a_plain_password_in_a_file_others_can_read_is_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.toml");
        let text = GOOD.replace(
            "password_command = \"echo secret\"",
            "password = \"hunter2\"",
        );
        std::fs::write(&path, &text).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let c = load(&path).expect("loads");
        assert_eq!(c.warnings.len(), 1);
        assert!(
            c.warnings[0].to_string().contains("chmod 600"),
            "{:?}",
            c.warnings
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(load(&path).expect("loads").warnings.is_empty());
        let missing = load(&dir.path().join("none.toml"))
            .err()
            .map(|e| e.to_string());
        assert!(
            missing.is_some_and(|m| m.contains("none.toml") && m.contains("examples/config.toml"))
        );
    }

    #[test]
    fn plain_tcp_is_allowed_on_loopback_or_when_opted_in() {
        let lo = GOOD.replace(
            "host = \"imap.example.com\"",
            "host = \"127.0.0.1\"\ntls = \"none\"",
        );
        assert!(parse(&lo, Path::new("t.toml")).is_ok());
        let opt = GOOD.replace(
            "host = \"imap.example.com\"",
            "host = \"imap.example.com\"\ntls = \"none\"\nallow_insecure = true",
        );
        assert!(parse(&opt, Path::new("t.toml")).is_ok());
        assert!(is_loopback("::1") && is_loopback("localhost") && !is_loopback("10.0.0.1"));
    }
}
