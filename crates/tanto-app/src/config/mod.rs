//! The TOML config: what it holds (`schema`), where it is found and how it is checked
//! (`load`, with `oauth2` for `[mailbox.oauth2]`), and the logins with their password
//! sources (`secrets`, `password_command`).

mod hours;
mod load;
mod oauth2;
mod password_command;
mod rules;
mod schema;
mod secrets;

use std::path::PathBuf;

pub use load::{is_loopback, load, locate, parse};
pub use rules::rules_path;
pub use schema::*;
pub use secrets::{Credentials, PasswordError, Secret};

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
    /// A password that could not be read (not a `source`: the text says it all).
    #[error("config {path}: {error}")]
    Password { path: PathBuf, error: PasswordError },
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
    /// The language chosen in the config (`lang`), if any; else the locale decides.
    pub lang: Option<tanto_core::wording::Lang>,
    /// Things worth telling the user that do not stop tanto (e.g. a readable plain password).
    pub warnings: Vec<ConfigWarning>,
    /// The most a server may send (`[limits]`).
    pub limits: Limits,
    /// `[team.hours]`, checked (its holidays file read).
    pub business_hours: Option<tanto_core::hours::BusinessHours>,
    /// `team.reply_target_mins`, counted in `[team.hours]` when the team has them.
    pub reply_target: Option<tanto_core::hours::ReplyTarget>,
    /// The team's rules (`team.rules`), checked, in the file's order; empty without one.
    pub rules: Vec<tanto_core::rules::Rule>,
}

/// Something about the config worth telling the user that does not stop tanto; the front
/// ends word it (`i18n::config_warning`). `Display` is the English text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigWarning {
    /// The config file holds a plain password and others can read it.
    PlainPasswordReadable { path: PathBuf },
}

impl std::fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigWarning::PlainPasswordReadable { path } => write!(
                f,
                "warning: {} holds a plain password and is readable by others; run `chmod 600 {}` or use password_command",
                path.display(),
                path.display()
            ),
        }
    }
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
