//! What the config file holds: the tables and keys, as serde reads them.

use std::path::PathBuf;

use serde::Deserialize;

use super::secrets::{Credentials, Secret};
pub use tanto_mail::settings::{Auth, Endpoints, Limits, OAuth2, Provider, Tls};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub(super) agent: Option<Agent>,
    #[serde(default)]
    pub(super) mailbox: Vec<Mailbox>,
    #[serde(default)]
    pub(super) cache: RawCache,
    #[serde(default)]
    pub(super) team: Team,
    /// Key bindings over the TUI's defaults: action name = key or list of keys.
    #[serde(default)]
    pub(super) keys: std::collections::BTreeMap<String, KeyList>,
    /// The language of the TUI and the CLI's messages: "en" or "ja" (default: the locale).
    pub(super) lang: Option<String>,
    #[serde(default)]
    pub(super) limits: Limits,
}

/// One key or several, as a user writes them in `[keys]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum KeyList {
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
    /// This agent's signature, above the mailbox's in every reply (placeholders allowed).
    #[serde(default)]
    pub signature: String,
    /// Where this agent's private files live: kept drafts, actions made offline (default:
    /// `$XDG_STATE_HOME/tanto`, i.e. `~/.local/state/tanto`).
    pub state_dir: Option<std::path::PathBuf>,
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
    /// Ask before a reply goes to a domain the team has never written to (送信確認).
    #[serde(default)]
    pub confirm_new_domains: bool,
    /// A reply keeps in Cc whoever the customer's mail had in Cc (CC引き継ぎ): on unless
    /// a team turns it off, as help desks answer a customer's colleagues too.
    #[serde(default = "default_true")]
    pub keep_cc: bool,
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
    /// When the team works: the reply target counts only this time (`[team.hours]`).
    pub hours: Option<Hours>,
    /// Whose replies wait for a supervisor: "none", "all", or a list of agent ids.
    #[serde(default, deserialize_with = "approval")]
    pub approval: tanto_core::outbox::Approval,
    /// Words that make tanto warn before a reply goes out.
    #[serde(default)]
    pub warn_words: Vec<String>,
    /// Seconds a sent reply can still be taken back in the terminal UI.
    #[serde(default = "default_undo_seconds")]
    pub undo_seconds: u64,
    /// The team's rules file (`[[rule]]` tables), relative to the config file.
    pub rules: Option<String>,
    /// A conversation waiting on the customer with no answer for this many days is closed
    /// (Done, logged) by whichever agent's tanto syncs first. None: never.
    pub auto_close_days: Option<u32>,
    /// How new mail finds its agent: "manual" (default), "round_robin", "least_loaded" or
    /// "sticky"; among `agents`, those on duty (`tanto away` / `tanto back`).
    #[serde(default, deserialize_with = "assign_mode")]
    pub assign: tanto_core::assignment::Mode,
    /// Open conversations an agent holds before automatic assignment passes them by.
    pub capacity: Option<u32>,
}

impl Default for Team {
    fn default() -> Self {
        Team {
            sticky_assignee: false,
            stale_claim_hours: default_stale_hours(),
            addresses: Vec::new(),
            confirm_new_domains: false,
            keep_cc: true,
            live_poll_ms: 0,
            agents: Vec::new(),
            reply_target_mins: None,
            hours: None,
            approval: Default::default(),
            warn_words: Vec::new(),
            undo_seconds: default_undo_seconds(),
            rules: None,
            auto_close_days: None,
            assign: Default::default(),
            capacity: None,
        }
    }
}

/// `[team.hours]` as written; `load` checks it into a `tanto_core::hours::BusinessHours`
/// (`Config::reply_target`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hours {
    /// The working days: "Mon-Fri", "Mon,Wed,Fri", "Mon-Sat".
    pub days: String,
    /// Opening time, "09:00".
    pub from: String,
    /// Closing time, "18:00" ("24:00": the end of the day).
    pub until: String,
    /// An IANA time zone, "Asia/Tokyo".
    pub zone: String,
    /// "jp" for Japan's public holidays, or the path of a file of dates (YYYY-MM-DD a line).
    pub holidays: Option<String>,
}

fn default_undo_seconds() -> u64 {
    10
}

/// `approval = "none" | "all" | ["agent", ...]`.
fn approval<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<tanto_core::outbox::Approval, D::Error> {
    use tanto_core::outbox::Approval;
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

/// `assign = "manual" | "round_robin" | "least_loaded" | "sticky"`.
fn assign_mode<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<tanto_core::assignment::Mode, D::Error> {
    let w = String::deserialize(d)?;
    tanto_core::assignment::Mode::parse(&w).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "assign is {w:?}: use \"manual\", \"round_robin\", \"least_loaded\" or \"sticky\""
        ))
    })
}

fn default_stale_hours() -> u32 {
    24
}

fn default_true() -> bool {
    true
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
    /// The OAuth2 client and provider, for `auth = "oauth2"` (`tanto login`).
    pub oauth2: Option<OAuth2>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum ReplyCharset {
    #[default]
    #[serde(rename = "utf-8", alias = "UTF-8")]
    Utf8,
    #[serde(rename = "iso-2022-jp", alias = "ISO-2022-JP")]
    Iso2022Jp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imap {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default = "default_tls")]
    pub tls: Tls,
    pub user: String,
    /// "password" (default) or "oauth2" (a token from `tanto login`; see `[mailbox.oauth2]`).
    #[serde(default)]
    pub auth: Auth,
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
    /// Where agents' presence records go on servers without METADATA (protocol §7a).
    #[serde(default = "default_presence")]
    pub presence_folder: String,
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
    /// "password" or "oauth2"; default: as `[mailbox.imap]` signs in.
    pub auth: Option<Auth>,
    pub password_command: Option<String>,
    pub password_env: Option<String>,
    pub password: Option<String>,
    #[serde(default)]
    pub allow_insecure: bool,
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

    /// The login, when the server wants one.
    pub fn credentials(&self, mailbox_index: usize) -> Option<Credentials> {
        self.user.as_ref().map(|user| Credentials {
            user: user.clone(),
            secret: Secret::from_fields(
                self.password_command.as_deref(),
                self.password_env.as_deref(),
                self.password.as_deref(),
            ),
            key: format!("mailbox[{mailbox_index}].smtp"),
        })
    }
}

impl Imap {
    /// The login.
    pub fn credentials(&self, mailbox_index: usize) -> Credentials {
        Credentials {
            user: self.user.clone(),
            secret: Secret::from_fields(
                self.password_command.as_deref(),
                self.password_env.as_deref(),
                self.password.as_deref(),
            ),
            key: format!("mailbox[{mailbox_index}].imap"),
        }
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
fn default_presence() -> String {
    "Tanto/Presence".into()
}

fn default_outbox() -> String {
    "Tanto/Outbox".into()
}
fn default_templates() -> String {
    "Tanto/Templates".into()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCache {
    pub(super) path: Option<PathBuf>,
    #[serde(default)]
    pub(super) network_fs: bool,
}
