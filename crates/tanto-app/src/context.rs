//! What every application call needs: the config, the cache, the team, a connection, and
//! where to send notices.

use std::path::Path;
use tanto_core::said;

use anyhow::anyhow;

use crate::config::{self, Config, Mailbox};
use tanto_mail::cache::{Cache, FolderRole, Team};
use tanto_mail::imap::{
    Conn, Endpoint, ImapError, InboxAhead, Login, SentFound, SentLookup, Server,
};

use super::dialing::Dialing;
use super::notice::Notifier;

#[derive(Clone, Debug)]
pub struct Ctx {
    pub config: Config,
    /// Where retries and warnings go (the front end decides how to show them).
    pub notify: Notifier,
    /// Sessions kept warm between actions (`keep_sessions_warm`); none for a one-shot command.
    sessions: Option<std::sync::Arc<super::sessions::Sessions>>,
    /// Where a long (first) sync says how far it is; nowhere unless `with_progress`.
    pub progress: super::sync::ProgressSink,
}

impl Ctx {
    /// Loads the config; its warnings are in `config.warnings` for the front end to show.
    /// Notices are dropped until `with_notifier` says where they go.
    pub fn load(flag: Option<&Path>) -> anyhow::Result<Ctx> {
        let path = config::locate(flag)?;
        Ok(Ctx::from_config(config::load(&path)?))
    }

    /// A context for a config read already (notices dropped, no sessions kept).
    pub fn from_config(config: Config) -> Ctx {
        Ctx {
            config,
            notify: Notifier::silent(),
            sessions: None,
            progress: super::sync::ProgressSink::default(),
        }
    }

    /// The same context, keeping IMAP sessions open between actions (for a front end that
    /// runs many: the terminal UI). Clones share the sessions.
    pub fn keep_sessions_warm(mut self) -> Ctx {
        self.sessions = Some(super::sessions::Sessions::start());
        self
    }

    /// Opens one session per mailbox in the background and keeps it, so that the first
    /// action finds one (no-op where sessions are not kept).
    pub fn warm_up(&self) {
        if !self.sessions_kept() {
            return;
        }
        let ctx = self.clone();
        std::thread::spawn(move || {
            for (index, mailbox) in ctx.mailboxes() {
                if let Ok(conn) = ctx.session(index, mailbox) {
                    ctx.session_done(index, conn, true);
                }
            }
        });
    }

    /// True when sessions are kept warm between actions.
    pub fn sessions_kept(&self) -> bool {
        self.sessions.is_some()
    }

    /// A session for mailbox `index`: a kept one when there is, else a new login. Give it
    /// back with `session_done` when the action is over.
    pub fn session(&self, index: usize, mailbox: &Mailbox) -> anyhow::Result<Conn> {
        match self.kept_session(index) {
            Some(conn) => Ok(conn),
            None => self.connect(index, mailbox),
        }
    }

    /// A warm session of mailbox `index` kept from an earlier action, if there is one.
    pub fn kept_session(&self, index: usize) -> Option<Conn> {
        self.sessions.as_ref().and_then(|s| s.take(index))
    }

    /// Whether this process checked the event with fingerprint `f` on the server already
    /// (remembered only where sessions are kept: a one-shot command always asks).
    pub fn event_checked(&self, f: u64) -> bool {
        self.sessions.as_ref().is_some_and(|s| s.event_checked(f))
    }

    /// Remembers an event seen on the server (see `event_checked`).
    pub fn remember_event_checked(&self, f: u64) {
        if let Some(s) = &self.sessions {
            s.remember_event_checked(f);
        }
    }

    /// Ends an action on `conn`: kept for the next one where sessions are kept warm (only
    /// after a clean end: `ok` false drops it, whatever state it is in), else logged out.
    pub fn session_done(&self, index: usize, conn: Conn, ok: bool) {
        match &self.sessions {
            Some(s) if ok => s.put(index, conn),
            _ => conn.logout(),
        }
    }

    /// The same context, telling `progress` how a long sync goes.
    pub fn with_progress(mut self, progress: super::sync::ProgressSink) -> Ctx {
        self.progress = progress;
        self
    }

    /// The same context, sending its notices to `notify`.
    pub fn with_notifier(mut self, notify: Notifier) -> Ctx {
        self.notify = notify;
        self
    }

    /// The mailbox a conversation belongs to, with its index in the config.
    pub fn mailbox_named(&self, name: &str) -> anyhow::Result<(usize, &Mailbox)> {
        self.mailboxes()
            .find(|(_, m)| m.name == name)
            .ok_or_else(|| {
                anyhow!(said!(
                    "error.app.mailbox_unknown",
                    mailbox = format!("{name:?}")
                ))
            })
    }

    pub fn cache(&self) -> anyhow::Result<Cache> {
        let cache = Cache::open(&self.config.cache.path, self.config.cache.network_fs)?;
        tanto_mail::trace::trace_step(|| "cache opened".into());
        Ok(cache)
    }

    pub fn mailboxes(&self) -> impl Iterator<Item = (usize, &Mailbox)> {
        self.config.mailboxes.iter().enumerate()
    }

    /// The team as the cache needs it for one mailbox.
    pub fn team(&self, mailbox: &Mailbox) -> Team {
        let mut addresses: Vec<String> = vec![mailbox.address.to_lowercase()];
        addresses.extend(self.config.team.addresses.iter().map(|a| a.to_lowercase()));
        Team {
            mailbox: mailbox.name.clone(),
            address: mailbox.address.to_lowercase(),
            addresses,
        }
    }

    /// Where and how to sign in to the mailbox's IMAP server: its password (read now), or
    /// an OAuth2 access token with a minute to live (refreshed now if need be).
    pub fn server(&self, index: usize, mailbox: &Mailbox) -> anyhow::Result<Server> {
        let login = match mailbox.imap.auth {
            config::Auth::Password => {
                let login = mailbox.imap.credentials(index);
                Login::Password(login.password().map_err(|error| {
                    crate::config::ConfigError::Password {
                        path: self.config.path.clone(),
                        error,
                    }
                })?)
            }
            config::Auth::Oauth2 => {
                let tokens = super::oauth::required(self, mailbox)?;
                Login::OAuth2 {
                    access_token: tokens.access_token()?,
                }
            }
        };
        let at = self.endpoint(mailbox);
        Ok(Server {
            host: at.host,
            port: at.port,
            tls: at.tls,
            user: mailbox.imap.user.clone(),
            login,
            accept_invalid_certs: at.accept_invalid_certs,
            limits: at.limits,
        })
    }

    /// Where the mailbox's IMAP server is, without the login.
    pub fn endpoint(&self, mailbox: &Mailbox) -> Endpoint {
        Endpoint {
            host: mailbox.imap.host.clone(),
            port: mailbox.imap.port(),
            tls: mailbox.imap.tls,
            accept_invalid_certs: mailbox.imap.danger_accept_invalid_certs,
            limits: tanto_mail::imap::Limits::from_config(&self.config.limits),
        }
    }

    /// This agent's private state directory, `what` under it (`agent.state_dir`, else
    /// `$XDG_STATE_HOME/tanto`; then `what/AGENT`), created 0700: kept drafts, the offline
    /// journal, OAuth2 tokens. Never the shared cache, which other agents can write.
    pub fn state_dir(&self, what: &str) -> anyhow::Result<std::path::PathBuf> {
        use anyhow::Context as _;
        let base = match &self.config.agent.state_dir {
            Some(d) => d.clone(),
            None => directories::ProjectDirs::from("", "", "tanto")
                .map(|d| {
                    d.state_dir()
                        .map(std::path::Path::to_path_buf)
                        .unwrap_or_else(|| d.data_local_dir().to_path_buf())
                })
                .context("no home directory for tanto's state (set agent.state_dir)")?,
        };
        let dir = base
            .join(what)
            .join(tanto_mail::sanitize::file_name(&self.config.agent.id));
        tanto_mail::private_file::private_dir(&dir)
            .with_context(|| format!("creating {}", dir.display()))?;
        Ok(dir)
    }

    /// A signed-in connection to the mailbox's IMAP server. An OAuth2 token the server
    /// refuses is refreshed and tried once more (it may have been revoked, or the clock
    /// may be off).
    pub fn connect(&self, index: usize, mailbox: &Mailbox) -> anyhow::Result<Conn> {
        self.connect_dialed(index, mailbox, InboxAhead::Nothing, None)
    }

    /// Dials the mailbox's server on a thread of its own (`Conn::dial`): the round trips
    /// before the login (connect, TLS, greeting) overlap what the caller does meanwhile
    /// (opening the cache, reading the password). For a caller sure to connect next: the
    /// connection is made whether or not it is used.
    pub fn dial_ahead(&self, mailbox: &Mailbox) -> Dialing {
        Dialing::start(self.endpoint(mailbox))
    }

    /// `connect`, for a sync of the inbox: what it sends behind the login where the server
    /// allows (`inbox`, `Conn::open_selecting`), on the connection `dialing` makes when given.
    pub fn connect_dialed(
        &self,
        index: usize,
        mailbox: &Mailbox,
        inbox: InboxAhead,
        dialing: Option<Dialing>,
    ) -> anyhow::Result<Conn> {
        let server = self.server(index, mailbox)?;
        tanto_mail::trace::trace_step(|| "password read".into());
        let opened = match dialing {
            Some(dialing) => dialing
                .finish()?
                .and_then(|d| Conn::open_dialed(d, &server, inbox)),
            None => Conn::open_selecting(&server, inbox),
        };
        match (opened, &server.login) {
            (Err(ImapError::TokenRefused { .. }), Login::OAuth2 { access_token }) => {
                let tokens = super::oauth::required(self, mailbox)?;
                let access_token = tokens.refresh_after_refusal(access_token)?;
                let again = Server {
                    login: Login::OAuth2 { access_token },
                    ..server
                };
                Ok(Conn::open(&again)?)
            }
            (opened, _) => Ok(opened?),
        }
    }

    /// The mailbox's SMTP server, signed in as the config says (password or OAuth2).
    pub fn smtp(
        &self,
        index: usize,
        mailbox: &Mailbox,
        smtp: &config::Smtp,
    ) -> anyhow::Result<tanto_mail::send::SmtpServer> {
        let login = super::oauth::smtp_login(self, index, mailbox)?;
        let relay = tanto_mail::send::Relay {
            host: &smtp.host,
            port: smtp.port(),
            tls: smtp.tls,
            allow_insecure: smtp.allow_insecure,
        };
        Ok(tanto_mail::send::connect(&relay, login)?)
    }

    /// The folders a sync covers: the inbox, and the Sent folder (see `find_sent`).
    pub fn folders(
        &self,
        conn: &mut Conn,
        mailbox: &Mailbox,
    ) -> anyhow::Result<Vec<(String, FolderRole)>> {
        let mut out = vec![(mailbox.imap.folder.clone(), FolderRole::Inbox)];
        out.extend(self.folders_after_inbox(conn, mailbox)?);
        Ok(out)
    }

    /// The Sent folder: `sent_folder` in the config, else the folder beside the inbox the
    /// server marks `\Sent` (SPECIAL-USE), else the first of the common names there ("Sent",
    /// "Sent Items", ...); and where a first reply creates it when there is none. Sync,
    /// doctor, the watcher and every sender ask this, so that they agree.
    pub fn find_sent(&self, conn: &mut Conn, mailbox: &Mailbox) -> anyhow::Result<SentLookup> {
        if let Some(s) = &mailbox.imap.sent_folder {
            return Ok(SentLookup {
                found: Some((s.clone(), SentFound::Configured)),
                default: s.clone(),
            });
        }
        Ok(conn
            .find_sent(&mailbox.imap.folder)
            .map_err(|e| said!("error.context.sent_folder").because(e))?)
    }

    /// The folders a sync covers after the inbox: the Sent folder and the activity folder.
    /// Looking for the Sent folder takes a LIST, which a sync sends after the inbox's
    /// SELECT: on maildir, Dovecot makes a SELECT right after a LIST cost tens of ms at
    /// 100,000 messages.
    pub fn folders_after_inbox(
        &self,
        conn: &mut Conn,
        mailbox: &Mailbox,
    ) -> anyhow::Result<Vec<(String, FolderRole)>> {
        let mut out = Vec::new();
        let sent = self.find_sent(conn, mailbox)?.found.map(|(f, _)| f);
        if let Some(s) = sent.filter(|s| *s != mailbox.imap.folder) {
            out.push((s, FolderRole::Sent));
        }
        // Created on first use by a coordination command; synced once it exists.
        out.push((mailbox.imap.activity_folder.clone(), FolderRole::Activity));
        Ok(out)
    }
}
