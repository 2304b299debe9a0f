//! The server check behind `tanto doctor`: can we log in, what does the server offer that
//! tanto relies on, where tanto's folders live. Returns the findings as data.

use super::rights::Role;
use super::Ctx;
use tanto_mail::imap::{Conn, Right, SentFound};
use tanto_mail::oauth::TokenState;

/// How mailbox `m` signs in to IMAP, and where its OAuth2 token stands.
fn sign_in(ctx: &Ctx, m: &crate::config::Mailbox) -> anyhow::Result<SignIn> {
    if m.imap.auth == crate::config::Auth::Password {
        return Ok(SignIn::Password);
    }
    let provider = match m.oauth2.as_ref().map(|o| o.provider) {
        Some(crate::config::Provider::Microsoft) => "microsoft",
        Some(crate::config::Provider::Google) => "google",
        _ => "custom",
    };
    let state = super::oauth::state(ctx, m)?.unwrap_or(TokenState::NotLoggedIn);
    Ok(SignIn::OAuth2 {
        provider,
        mailbox: m.name.clone(),
        state,
    })
}

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// A capability the server lacks (tanto copes; `detail` says how).
    No,
    /// A capability the server has.
    Yes,
    /// Informational.
    Info,
    Warning,
    /// Something tanto needs does not work.
    Fail,
}

/// One line of the report.
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked: a capability's name, or one of `login`, `folder`, `keywords`,
    /// `keyword use`, `keyword cap`, `sent folder`, `namespace`, `activity`, `outbox`,
    /// `templates`, `rights` (the front end words it).
    pub name: String,
    pub verdict: Verdict,
    pub detail: Detail,
}

/// A capability tanto uses, when the server lacks it (the front end says how tanto copes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Capability {
    Condstore,
    Qresync,
    Idle,
    Move,
    Uidplus,
    SpecialUse,
    Notify,
}

impl Capability {
    /// The capability's IMAP name.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Condstore => "CONDSTORE",
            Capability::Qresync => "QRESYNC",
            Capability::Idle => "IDLE",
            Capability::Move => "MOVE",
            Capability::Uidplus => "UIDPLUS",
            Capability::SpecialUse => "SPECIAL-USE",
            Capability::Notify => "NOTIFY",
        }
    }
}

/// What is known of the server's cap on keywords per folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordCap {
    /// A Gmail-like server: labels, no keyword cap known.
    GmailLike,
    /// Servers do not announce it (Dovecot: none for sdbox/mdbox, 26 for maildir; Cyrus: 128).
    NotAnnounced,
}

/// Where one of tanto's folders stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderState {
    Exists,
    CreatedNow,
    CreatedOnFirstUse,
}

/// What a check found, as data: the front end words it in the user's language.
#[derive(Debug, Clone)]
pub enum Detail {
    None,
    /// What failed (the front end words the errors it knows; server or OS text stays).
    Error(std::sync::Arc<anyhow::Error>),
    LoggedInAs {
        user: String,
    },
    /// The server lacks the capability; tanto copes without it.
    Lacks(Capability),
    Folder {
        name: String,
        messages: u32,
        uidvalidity: u32,
    },
    /// No `\*` in PERMANENTFLAGS: claims and statuses cannot be stored.
    NoCustomKeywords,
    /// How claims and statuses are decided on this server: by compare-and-set on keywords,
    /// or through the activity log (`mirror`: keywords are written too, for other clients).
    Coordination {
        by_log: bool,
        mirror: bool,
    },
    KeywordUse {
        defined: usize,
        tanto: usize,
        cap: KeywordCap,
    },
    /// More keywords than a Dovecot maildir keeps in its file names (26).
    TooManyKeywords {
        count: usize,
    },
    /// A folder by its config name, and its name on the server when that differs.
    Place {
        name: String,
        wire: Option<String>,
        state: Option<FolderState>,
    },
    /// How the mailbox signs in: a password, or OAuth2 and where its token stands.
    SignIn(SignIn),
    /// The Sent folder, its name on the server when that differs, and how it was found.
    Sent {
        name: String,
        wire: Option<String>,
        how: SentFound,
    },
    /// No Sent folder: the first reply creates `creates`.
    NoSentFolder {
        creates: String,
    },
    Namespace {
        prefix: String,
        separator: Option<char>,
        /// The other namespaces' prefixes (other users', shared).
        others: Vec<String>,
    },
    /// The login's rights on a folder (MYRIGHTS), what they allow, and which of those tanto
    /// needs there are missing.
    Rights {
        folder: String,
        rights: String,
        missing: Vec<Right>,
    },
    /// One of tanto's folders is the agent's own while the inbox is a shared mailbox's:
    /// each agent would have their own. `key` is the config key to set to `suggested`.
    NotBeside {
        name: String,
        inbox: String,
        key: &'static str,
        suggested: String,
    },
}

/// How a mailbox signs in to IMAP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    Password,
    OAuth2 {
        /// "microsoft", "google" or "custom".
        provider: &'static str,
        mailbox: String,
        state: tanto_mail::oauth::TokenState,
    },
}

/// One mailbox's checks.
#[derive(Debug, Clone)]
pub struct MailboxChecks {
    pub mailbox: String,
    pub address: String,
    pub server: String,
    pub checks: Vec<Check>,
}

impl MailboxChecks {
    fn add(&mut self, name: &str, verdict: Verdict, detail: Detail) {
        self.checks.push(Check {
            name: name.to_string(),
            verdict,
            detail,
        });
    }

    fn fail(&mut self, name: &str, error: impl Into<anyhow::Error>) {
        let error = std::sync::Arc::new(error.into());
        self.add(name, Verdict::Fail, Detail::Error(error));
    }

    /// True when a check failed.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.verdict == Verdict::Fail)
    }
}

/// Checks every mailbox's server.
pub fn doctor(ctx: &Ctx) -> anyhow::Result<Vec<MailboxChecks>> {
    let mut out = Vec::new();
    for (i, m) in ctx.mailboxes() {
        let mut r = MailboxChecks {
            mailbox: m.name.clone(),
            address: m.address.clone(),
            server: format!("{}:{}", m.imap.host, m.imap.port()),
            checks: Vec::new(),
        };
        let opened = match sign_in(ctx, m)? {
            SignIn::Password => {
                r.add("auth", Verdict::Info, Detail::SignIn(SignIn::Password));
                tanto_mail::imap::Conn::open(&ctx.server(i, m)?).map_err(anyhow::Error::from)
            }
            oauth => {
                let usable = matches!(
                    oauth,
                    SignIn::OAuth2 {
                        state: TokenState::Valid { .. } | TokenState::Refreshable { .. },
                        ..
                    }
                );
                let verdict = if usable { Verdict::Ok } else { Verdict::Fail };
                r.add("auth", verdict, Detail::SignIn(oauth));
                ctx.connect(i, m)
            }
        };
        let mut conn = match opened {
            Ok(c) => c,
            Err(e) => {
                r.fail("login", e);
                out.push(r);
                continue;
            }
        };
        let user = m.imap.user.clone();
        r.add("login", Verdict::Ok, Detail::LoggedInAs { user });
        let caps = conn.caps.clone();
        let mut line = |cap: Capability, ok: bool| {
            if ok {
                r.add(cap.name(), Verdict::Yes, Detail::None);
            } else {
                r.add(cap.name(), Verdict::No, Detail::Lacks(cap));
            }
        };
        line(Capability::Condstore, caps.condstore);
        line(Capability::Qresync, caps.qresync);
        line(Capability::Idle, caps.idle);
        line(Capability::Move, caps.mv);
        line(Capability::Uidplus, caps.uidplus);
        line(Capability::SpecialUse, caps.special_use);
        line(Capability::Notify, caps.notify);
        // The login's rights on the inbox, where the server has ACLs (RFC 4314).
        let inbox_rights = conn.my_rights(&m.imap.folder).ok().flatten();
        match conn.select(&m.imap.folder, None) {
            Ok(info) => {
                let folder = Detail::Folder {
                    name: m.imap.folder.clone(),
                    messages: info.exists,
                    uidvalidity: info.uidvalidity,
                };
                r.add("folder", Verdict::Ok, folder);
                let keywords: Vec<&String> =
                    info.flags.iter().filter(|f| !f.starts_with('\\')).collect();
                let tanto_kw = keywords
                    .iter()
                    .filter(|k| {
                        // Keywords are case-insensitive; the server may keep any spelling.
                        k.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("tanto-"))
                    })
                    .count();
                let no_write = inbox_rights
                    .as_ref()
                    .filter(|rights| !Right::Write.granted_by(rights));
                if info.custom_keywords() {
                    r.add("keywords", Verdict::Yes, Detail::None);
                } else if let Some(rights) = no_write {
                    // Not the server's doing: this login may not set keywords here.
                    let lacks = Detail::Rights {
                        folder: m.imap.folder.clone(),
                        rights: rights.clone(),
                        missing: vec![Right::Write],
                    };
                    r.add("keywords", Verdict::Fail, lacks);
                } else {
                    r.add("keywords", Verdict::No, Detail::NoCustomKeywords);
                }
                // The same choice `act` makes for every agent of this server.
                let by_log = !caps.condstore || !info.custom_keywords() || keywords.len() >= 26;
                let mode = Detail::Coordination {
                    by_log,
                    mirror: by_log && info.custom_keywords() && keywords.len() < 26,
                };
                r.add("coordination", Verdict::Info, mode);
                let usage = Detail::KeywordUse {
                    defined: keywords.len(),
                    tanto: tanto_kw,
                    cap: keyword_cap(&caps.all),
                };
                r.add("keyword use", Verdict::Info, usage);
                if keywords.len() > 26 {
                    let count = keywords.len();
                    r.add(
                        "keyword cap",
                        Verdict::Warning,
                        Detail::TooManyKeywords { count },
                    );
                }
            }
            Err(e) => r.fail("folder", e),
        }
        tanto_folders(&mut conn, m, &mut r);
        let sent = match ctx.find_sent(&mut conn, m) {
            Ok(lookup) => match lookup.found {
                Some((name, how)) => {
                    let wire = conn.server_folder(&name).ok().filter(|w| *w != name);
                    let found = Detail::Sent {
                        name: name.clone(),
                        wire,
                        how,
                    };
                    r.add("sent folder", Verdict::Ok, found);
                    Some(name)
                }
                None => {
                    let creates = lookup.default;
                    r.add(
                        "sent folder",
                        Verdict::Info,
                        Detail::NoSentFolder { creates },
                    );
                    None
                }
            },
            Err(e) => {
                r.fail("sent folder", e);
                None
            }
        };
        rights(&mut conn, m, sent, &mut r);
        conn.logout();
        out.push(r);
    }
    Ok(out)
}

/// Where tanto's own folders live on this server, and that they can be created: the
/// activity folder is created now if missing (the first claim or note would create it).
/// With the inbox in another namespace (a shared mailbox), a tanto folder of the agent's own
/// is reported, not created: each agent would have their own.
fn tanto_folders(conn: &mut Conn, m: &crate::config::Mailbox, r: &mut MailboxChecks) {
    match conn.namespaces() {
        Ok(ns) => {
            let found = Detail::Namespace {
                prefix: ns.personal.prefix,
                separator: ns.personal.separator,
                others: ns.others.into_iter().map(|o| o.prefix).collect(),
            };
            r.add("namespace", Verdict::Ok, found)
        }
        Err(e) => {
            r.fail("namespace", e);
            return;
        }
    }
    let scope = match conn.scope(&m.imap.folder) {
        Ok(s) => s,
        Err(e) => {
            r.fail("namespace", e);
            return;
        }
    };
    let folders = [
        (
            "activity",
            "activity_folder",
            &m.imap.activity_folder,
            Role::Activity,
        ),
        (
            "outbox",
            "outbox_folder",
            &m.imap.outbox_folder,
            Role::Outbox,
        ),
        (
            "templates",
            "templates_folder",
            &m.imap.templates_folder,
            Role::Templates,
        ),
    ];
    for (what, key, name, role) in folders {
        let wire = match conn.server_folder(name) {
            Ok(w) => w,
            Err(e) => {
                r.fail(what, e);
                continue;
            }
        };
        let own =
            scope.is_beside() && matches!(conn.place(&wire), Ok(tanto_mail::imap::Place::Personal));
        if own {
            let stray = Detail::NotBeside {
                name: name.to_string(),
                inbox: m.imap.folder.clone(),
                key,
                suggested: scope.beside(name),
            };
            // Without a shared log there is no coordination; the others are a nuisance.
            let verdict = match role {
                Role::Activity => Verdict::Fail,
                _ => Verdict::Warning,
            };
            r.add(what, verdict, stray);
            continue;
        }
        let result = match conn.folder_exists(name) {
            Ok(true) => Ok(FolderState::Exists),
            Ok(false) if role == Role::Activity => {
                conn.ensure_folder(name).map(|()| FolderState::CreatedNow)
            }
            Ok(false) => Ok(FolderState::CreatedOnFirstUse),
            Err(e) => Err(e),
        };
        let state = match result {
            Ok(state) => state,
            Err(e) => {
                r.fail(what, e);
                continue;
            }
        };
        // A folder this login cannot use as tanto needs is not `ok`, whatever else holds.
        let lacking = match state {
            FolderState::CreatedOnFirstUse => None,
            _ => lacking(conn, name, role),
        };
        match lacking {
            Some(lacks) => {
                let verdict = match role {
                    Role::Templates => Verdict::Warning,
                    _ => Verdict::Fail,
                };
                r.add(what, verdict, lacks)
            }
            None => {
                let place = Detail::Place {
                    name: name.to_string(),
                    wire: Some(wire).filter(|w| w != name),
                    state: Some(state),
                };
                r.add(what, Verdict::Ok, place)
            }
        }
    }
}

/// The rights tanto needs on `folder` in `role` that the login lacks, as a finding; `None`
/// when it has them all or the server has no ACLs.
fn lacking(conn: &mut Conn, folder: &str, role: Role) -> Option<Detail> {
    let rights = conn.my_rights(folder).ok().flatten()?;
    let missing = tanto_mail::imap::missing_rights(&rights, role.needs());
    (!missing.is_empty()).then(|| Detail::Rights {
        folder: folder.to_string(),
        rights,
        missing,
    })
}

/// One `rights` line per folder tanto uses, where the server has ACLs: the login's rights
/// there, what they allow, and what tanto needs that is missing.
fn rights(
    conn: &mut Conn,
    m: &crate::config::Mailbox,
    sent: Option<String>,
    r: &mut MailboxChecks,
) {
    if !conn.caps_acl() {
        return;
    }
    let mut folders = vec![(m.imap.folder.clone(), Role::Inbox)];
    folders.extend(sent.map(|s| (s, Role::Sent)));
    folders.extend([
        (m.imap.activity_folder.clone(), Role::Activity),
        (m.imap.outbox_folder.clone(), Role::Outbox),
        (m.imap.templates_folder.clone(), Role::Templates),
    ]);
    let beside = conn.scope(&m.imap.folder).is_ok_and(|s| s.is_beside());
    for (folder, role) in folders {
        // The agent's own folder beside a shared inbox was reported above.
        let own = conn
            .server_folder(&folder)
            .and_then(|w| conn.place(&w))
            .is_ok_and(|p| p == tanto_mail::imap::Place::Personal);
        if beside && own {
            continue;
        }
        // A folder not there (yet) has no rights to show.
        let Ok(Some(rights)) = conn.my_rights(&folder) else {
            continue;
        };
        let missing = tanto_mail::imap::missing_rights(&rights, role.needs());
        let verdict = match (missing.is_empty(), role) {
            (true, _) => Verdict::Ok,
            (false, Role::Templates) => Verdict::Warning,
            (false, _) => Verdict::Fail,
        };
        let wire = conn
            .server_folder(&folder)
            .unwrap_or_else(|_| folder.clone());
        let detail = Detail::Rights {
            folder: wire,
            rights,
            missing,
        };
        r.add("rights", verdict, detail);
    }
}

/// What is known of the server's cap on keywords per folder.
fn keyword_cap(caps: &[String]) -> KeywordCap {
    // Servers do not announce the cap; the implementation name is the best hint we have.
    // Only Gmail offers X-GM-EXT-1; XLIST alone is no sign of Gmail (Cyrus offers it too).
    if caps.iter().any(|c| c.eq_ignore_ascii_case("X-GM-EXT-1")) {
        KeywordCap::GmailLike
    } else {
        KeywordCap::NotAnnounced
    }
}

#[cfg(test)]
mod tests {
    use super::{keyword_cap, KeywordCap};

    #[test]
    fn only_gmail_s_own_extension_means_gmail() {
        let caps = |list: &[&str]| list.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let cyrus = caps(&["IMAP4rev1", "XLIST", "CONDSTORE"]);
        assert_eq!(keyword_cap(&cyrus), KeywordCap::NotAnnounced);
        let gmail = caps(&["IMAP4rev1", "XLIST", "X-GM-EXT-1"]);
        assert_eq!(keyword_cap(&gmail), KeywordCap::GmailLike);
    }
}
