//! The server check behind `tanto doctor`: can we log in, what does the server offer that
//! tanto relies on, where tanto's folders live. Returns the findings as data.

use super::Ctx;
use crate::oauth::TokenState;

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
    /// `templates` (the front end words it).
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
    NoSentFolder,
    /// How the mailbox signs in: a password, or OAuth2 and where its token stands.
    SignIn(SignIn),
    Namespace {
        prefix: String,
        separator: Option<char>,
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
        state: crate::oauth::TokenState,
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
                crate::imap::Conn::open(&ctx.server(i, m)?).map_err(anyhow::Error::from)
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
                if info.custom_keywords() {
                    r.add("keywords", Verdict::Yes, Detail::None);
                } else {
                    r.add("keywords", Verdict::No, Detail::NoCustomKeywords);
                }
                // The same choice `act` makes for every agent of this server.
                let by_log = !caps.condstore || !info.custom_keywords();
                let mode = Detail::Coordination {
                    by_log,
                    mirror: by_log && info.custom_keywords(),
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
        match ctx.folders(&mut conn, m) {
            Ok(folders) => {
                let sent = folders
                    .iter()
                    .find(|(_, role)| *role == crate::cache::FolderRole::Sent)
                    .map(|(n, _)| n.clone());
                match sent {
                    Some(name) => {
                        let wire = conn.server_folder(&name).ok().filter(|w| *w != name);
                        let place = Detail::Place {
                            name,
                            wire,
                            state: None,
                        };
                        r.add("sent folder", Verdict::Ok, place)
                    }
                    None => r.add("sent folder", Verdict::Info, Detail::NoSentFolder),
                }
            }
            Err(e) => r.fail("sent folder", e),
        }
        conn.logout();
        out.push(r);
    }
    Ok(out)
}

/// Where tanto's own folders live on this server, and that they can be created: the
/// activity folder is created now if missing (the first claim or note would create it).
fn tanto_folders(conn: &mut crate::imap::Conn, m: &crate::config::Mailbox, r: &mut MailboxChecks) {
    match conn.namespace() {
        Ok(ns) => {
            let found = Detail::Namespace {
                prefix: ns.prefix,
                separator: ns.separator,
            };
            r.add("namespace", Verdict::Ok, found)
        }
        Err(e) => {
            r.fail("namespace", e);
            return;
        }
    }
    let folders = [
        ("activity", &m.imap.activity_folder, true),
        ("outbox", &m.imap.outbox_folder, false),
        ("templates", &m.imap.templates_folder, false),
    ];
    for (what, name, create_now) in folders {
        let wire = match conn.server_folder(name) {
            Ok(w) => w,
            Err(e) => {
                r.fail(what, e);
                continue;
            }
        };
        let result = match conn.folder_exists(name) {
            Ok(true) => Ok(FolderState::Exists),
            Ok(false) if create_now => conn.ensure_folder(name).map(|()| FolderState::CreatedNow),
            Ok(false) => Ok(FolderState::CreatedOnFirstUse),
            Err(e) => Err(e),
        };
        match result {
            Ok(state) => {
                let place = Detail::Place {
                    name: name.to_string(),
                    wire: Some(wire).filter(|w| w != name),
                    state: Some(state),
                };
                r.add(what, Verdict::Ok, place)
            }
            Err(e) => r.fail(what, e),
        }
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
