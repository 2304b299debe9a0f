//! The TOML config: where it is found, what it holds, and checks that name the key and the fix.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Why a config could not be used; every variant names the file, and the key where one is at fault.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "no config file at {path}: create it (see examples/config.toml) or pass --config PATH"
    )]
    Missing { path: PathBuf },
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path}: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("config {path}: key `{key}` {problem}; fix: {fix}")]
    Invalid {
        path: PathBuf,
        key: String,
        problem: String,
        fix: String,
    },
    #[error("no config path: set --config, TANTO_CONFIG, or a home directory")]
    NoPath,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    agent: Option<Agent>,
    #[serde(default)]
    mailbox: Vec<Mailbox>,
    #[serde(default)]
    cache: RawCache,
    #[serde(default)]
    team: Team,
    /// Key bindings over the TUI's defaults: action name = key or list of keys.
    #[serde(default)]
    keys: std::collections::BTreeMap<String, KeyList>,
}

/// One key or several, as a user writes them in `[keys]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum KeyList {
    One(String),
    Many(Vec<String>),
}

/// The agent running this copy of tanto.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub role: Role,
    /// The editor for drafts (default: $VISUAL, then $EDITOR, then vi).
    pub editor: Option<String>,
    /// The TUI takes the mouse (wheel scrolls, a click picks a row or a tab). Off by
    /// default: a captured mouse stops the terminal's own text selection.
    #[serde(default)]
    pub mouse: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[default]
    Agent,
    Supervisor,
}

/// Team-wide behaviour; every agent should use the same values.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    /// Re-assign a conversation to its previous agent when the customer writes again.
    #[serde(default)]
    pub sticky_assignee: bool,
    /// Hours without activity after which an agent may take over someone else's claim.
    #[serde(default = "default_stale_hours")]
    pub stale_claim_hours: u32,
    /// Addresses of the team (besides the mailbox address) whose mail counts as a reply.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// Poll the watched folders every this many milliseconds instead of waiting on IDLE
    /// (0: IDLE). Some servers (Dovecot) hold IDLE notifications for 0.5 s; polling makes a
    /// colleague's claim show sooner at the cost of a NOOP per interval per agent.
    #[serde(default)]
    pub live_poll_ms: u64,
    /// The team's agent ids, offered by the TUI's assign picker (with those in the log).
    #[serde(default)]
    pub agents: Vec<String>,
    /// The team's reply-time target in minutes: the TUI colours a conversation's age as it
    /// nears and passes it.
    pub reply_target_mins: Option<u32>,
    /// Whose replies wait for a supervisor: "none", "all", or a list of agent ids.
    #[serde(default, deserialize_with = "approval")]
    pub approval: crate::core::outbox::Approval,
    /// Words that make tanto warn before a reply goes out.
    #[serde(default)]
    pub warn_words: Vec<String>,
    /// Seconds a sent reply can still be taken back in the terminal UI.
    #[serde(default = "default_undo_seconds")]
    pub undo_seconds: u64,
}

impl Default for Team {
    fn default() -> Self {
        Team {
            sticky_assignee: false,
            stale_claim_hours: default_stale_hours(),
            addresses: Vec::new(),
            live_poll_ms: 0,
            agents: Vec::new(),
            reply_target_mins: None,
            approval: Default::default(),
            warn_words: Vec::new(),
            undo_seconds: default_undo_seconds(),
        }
    }
}

fn default_undo_seconds() -> u64 {
    10
}

/// `approval = "none" | "all" | ["agent", ...]`.
fn approval<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<crate::core::outbox::Approval, D::Error> {
    use crate::core::outbox::Approval;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Word(String),
        Agents(Vec<String>),
    }
    match Raw::deserialize(d)? {
        Raw::Word(w) if w == "none" => Ok(Approval::None),
        Raw::Word(w) if w == "all" => Ok(Approval::All),
        Raw::Word(w) => Err(serde::de::Error::custom(format!(
            "approval is {w:?}: use \"none\", \"all\" or a list of agent ids"
        ))),
        Raw::Agents(list) => Ok(Approval::Agents(list)),
    }
}

fn default_stale_hours() -> u32 {
    24
}

/// One shared address and how to reach it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mailbox {
    pub name: String,
    pub address: String,
    pub imap: Imap,
    pub smtp: Option<Smtp>,
    /// The team's name in the From of replies (default: the mailbox name).
    pub display_name: Option<String>,
    /// Appended to every reply, after "-- ".
    #[serde(default)]
    pub signature: String,
    /// The charset of replies: "utf-8" (default) or "iso-2022-jp" (UTF-8 when the text has
    /// characters outside it).
    #[serde(default)]
    pub reply_charset: ReplyCharset,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum ReplyCharset {
    #[default]
    #[serde(rename = "utf-8", alias = "UTF-8")]
    Utf8,
    #[serde(rename = "iso-2022-jp", alias = "ISO-2022-JP")]
    Iso2022Jp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tls {
    Tls,
    Starttls,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imap {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default = "default_tls")]
    pub tls: Tls,
    pub user: String,
    pub password_command: Option<String>,
    pub password_env: Option<String>,
    /// A plain password in the file; allowed, but warned about when the file is readable by others.
    pub password: Option<String>,
    #[serde(default = "default_folder")]
    pub folder: String,
    /// Where the team's sent replies are; found through SPECIAL-USE `\Sent` when not set.
    pub sent_folder: Option<String>,
    #[serde(default = "default_activity")]
    pub activity_folder: String,
    #[serde(default = "default_outbox")]
    pub outbox_folder: String,
    #[serde(default = "default_templates")]
    pub templates_folder: String,
    #[serde(default)]
    pub allow_insecure: bool,
    /// Skip certificate checks (self-signed test servers only).
    #[serde(default)]
    pub danger_accept_invalid_certs: bool,
}

impl Imap {
    /// The port to connect to, defaulting by TLS mode.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            Tls::Tls => 993,
            Tls::Starttls | Tls::None => 143,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default = "default_smtp_tls")]
    pub tls: Tls,
    pub user: Option<String>,
    pub password_command: Option<String>,
    pub password_env: Option<String>,
    pub password: Option<String>,
    #[serde(default)]
    pub allow_insecure: bool,
}

/// Reads a password from the configured source; `key` names the table for messages.
fn resolve_password(
    key: &str,
    command: Option<&str>,
    env: Option<&str>,
    plain: Option<&str>,
) -> Result<String, String> {
    if let Some(cmd) = command {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| format!("{key}.password_command could not run: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "{key}.password_command failed ({}); run it by hand to see why",
                out.status
            ));
        }
        let text = String::from_utf8_lossy(&out.stdout);
        return Ok(text.lines().next().unwrap_or("").to_string());
    }
    if let Some(var) = env {
        return std::env::var(var).map_err(|_| {
            format!("{key}.password_env names {var}, which is not set; export {var}=... first")
        });
    }
    plain.map(str::to_string).ok_or_else(|| {
        format!("{key} has no password source; set password_command or password_env")
    })
}

impl Imap {
    /// The IMAP password, from the command, the environment or the file.
    pub fn password(&self, mailbox_index: usize) -> Result<String, String> {
        resolve_password(
            &format!("mailbox[{mailbox_index}].imap"),
            self.password_command.as_deref(),
            self.password_env.as_deref(),
            self.password.as_deref(),
        )
    }
}

impl Smtp {
    /// The port to connect to, defaulting by TLS mode.
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            Tls::Tls => 465,
            Tls::Starttls => 587,
            Tls::None => 25,
        })
    }

    /// The SMTP password, from the command, the environment or the file.
    pub fn password(&self, mailbox_index: usize) -> Result<String, String> {
        resolve_password(
            &format!("mailbox[{mailbox_index}].smtp"),
            self.password_command.as_deref(),
            self.password_env.as_deref(),
            self.password.as_deref(),
        )
    }
}

fn default_tls() -> Tls {
    Tls::Tls
}
fn default_smtp_tls() -> Tls {
    Tls::Starttls
}
fn default_folder() -> String {
    "INBOX".into()
}
fn default_activity() -> String {
    "Tanto/Activity".into()
}
fn default_outbox() -> String {
    "Tanto/Outbox".into()
}
fn default_templates() -> String {
    "Tanto/Templates".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCache {
    path: Option<PathBuf>,
    #[serde(default)]
    network_fs: bool,
}

/// Where the shared SQLite cache lives and how to lock it.
#[derive(Debug, Clone)]
pub struct Cache {
    pub path: PathBuf,
    /// The cache sits on NFS or similar: use a rollback journal instead of WAL.
    pub network_fs: bool,
}

/// A loaded, validated config.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub agent: Agent,
    pub mailboxes: Vec<Mailbox>,
    pub cache: Cache,
    pub team: Team,
    /// The user's `[keys]`: action name to keys, checked against the TUI's actions.
    pub keys: Vec<(String, Vec<String>)>,
    /// Things worth telling the user that do not stop tanto (e.g. a readable plain password).
    pub warnings: Vec<String>,
}

impl Config {
    /// The mailbox tanto works on: the first one, or the one named.
    pub fn mailbox(&self, name: Option<&str>) -> Option<&Mailbox> {
        match name {
            Some(n) => self.mailboxes.iter().find(|m| m.name == n),
            None => self.mailboxes.first(),
        }
    }
}

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
    if !crate::core::agent::valid_id(&agent.id) {
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
        if m.imap.password_command.is_none()
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
        if !crate::core::agent::valid_id(a) {
            return Err(invalid(
                &format!("team.agents[{i}]"),
                &format!("is {a:?}, not 1-16 of a-z 0-9 _ -"),
                "list agent ids as in each agent's [agent] id",
            ));
        }
    }
    if raw.team.reply_target_mins == Some(0) {
        return Err(invalid(
            "team.reply_target_mins",
            "is 0",
            "give the target in minutes (e.g. 240), or remove it",
        ));
    }
    let mut keys = Vec::new();
    for (action, list) in raw.keys {
        let list = match list {
            KeyList::One(k) => vec![k],
            KeyList::Many(ks) => ks,
        };
        // The bindings themselves are the terminal UI's to check (`cli::load_ctx`).
        keys.push((action, list));
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
        warnings: Vec::new(),
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

/// True for hosts whose traffic never leaves the machine.
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

fn expand_tilde(p: &Path) -> PathBuf {
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
fn permission_warnings(path: &Path, config: &Config) -> Vec<String> {
    use std::os::unix::fs::PermissionsExt;
    let has_plain = config.mailboxes.iter().any(|m| {
        m.imap.password.is_some() || m.smtp.as_ref().is_some_and(|s| s.password.is_some())
    });
    if !has_plain {
        return Vec::new();
    }
    match std::fs::metadata(path) {
        Ok(meta) if meta.permissions().mode() & 0o077 != 0 => vec![format!(
            "warning: {} holds a plain password and is readable by others; run `chmod 600 {}` or use password_command",
            path.display(),
            path.display()
        )],
        _ => Vec::new(),
    }
}

#[cfg(not(unix))]
fn permission_warnings(_path: &Path, _config: &Config) -> Vec<String> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(c.team.approval, crate::core::outbox::Approval::None);
        assert_eq!(c.team.undo_seconds, 10);
        assert_eq!(m.reply_charset, ReplyCharset::Utf8);
    }

    #[test]
    fn approval_is_none_all_or_a_list() {
        use crate::core::outbox::Approval;
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
        assert!(c.warnings[0].contains("chmod 600"), "{:?}", c.warnings);
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
