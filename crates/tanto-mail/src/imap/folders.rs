//! Folders on the server: which namespace a config name is in and its server name, whether
//! a folder exists (whatever LIST says), the login's rights on it (RFC 4314 MYRIGHTS), the
//! Sent folder, and NOTIFY for the folders a watcher covers.

use std::collections::HashMap;

use imap_proto::types::NameAttribute;

use super::namespace::{parse_namespaces, Namespaces, Personal, Place, Space};
use super::{Conn, Result};

/// What a connection knows of the server's namespaces, asked once per connection, and the
/// server names it found by asking (see `Place::Either`).
#[derive(Debug, Clone, Default)]
pub struct Known {
    spaces: Namespaces,
    probed: HashMap<String, String>,
}

/// The names tried for the Sent folder, in order, after SPECIAL-USE `\Sent`.
pub const SENT_NAMES: &[&str] = &[
    "Sent",
    "Sent Items",
    "Sent Messages",
    "INBOX.Sent",
    "[Gmail]/Sent Mail",
];

/// How the Sent folder was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SentFound {
    /// `sent_folder` in the config.
    Configured,
    /// Marked `\Sent` (RFC 6154 SPECIAL-USE).
    SpecialUse,
    /// One of the common names (`SENT_NAMES`).
    ByName,
}

/// Where the Sent folder is, or where a first reply would create it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentLookup {
    /// The folder (a server name) and how it was found.
    pub found: Option<(String, SentFound)>,
    /// The folder a reply creates when none was found: `Sent` beside the inbox.
    pub default: String,
}

impl SentLookup {
    /// The folder replies go to: the one found, else the default.
    pub fn folder(&self) -> String {
        self.found
            .as_ref()
            .map_or_else(|| self.default.clone(), |(f, _)| f.clone())
    }
}

/// A folder as LIST gave it: its name (decoded) and whether it is marked `\Sent`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub sent: bool,
}

/// Where the team's folders are looked for: the personal namespace (the inbox is `INBOX`),
/// or the folders beside an inbox in another namespace (`shared/support/` for
/// `shared/support/INBOX`, `user.support.` for Cyrus's `user.support`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Personal(Personal),
    Beside { root: String, separator: char },
}

impl Scope {
    /// The candidates for the Sent folder, by name, in order (duplicates dropped).
    pub fn sent_names(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut add = |n: String| {
            if !out.contains(&n) {
                out.push(n);
            }
        };
        for name in SENT_NAMES {
            match self {
                Scope::Personal(p) => {
                    add(p.server_name(name));
                    add(name.to_string());
                }
                Scope::Beside { root, separator } => add(format!(
                    "{root}{}",
                    name.replace('/', &separator.to_string())
                )),
            }
        }
        out
    }

    /// Whether the inbox is in another namespace (a shared mailbox).
    pub fn is_beside(&self) -> bool {
        matches!(self, Scope::Beside { .. })
    }

    /// Where a folder named `logical` in the config (`Tanto/Activity`) belongs beside the
    /// inbox: under the owner's root when the inbox is shared.
    pub fn beside(&self, logical: &str) -> String {
        match self {
            Scope::Personal(_) => logical.to_string(),
            Scope::Beside { root, separator } => {
                format!("{root}{}", logical.replace('/', &separator.to_string()))
            }
        }
    }

    /// The Sent folder a first reply creates.
    pub fn default_sent(&self) -> String {
        match self {
            Scope::Personal(p) => p.server_name("Sent"),
            Scope::Beside { root, .. } => format!("{root}Sent"),
        }
    }

    /// Whether a listed folder is in this scope (a `\Sent` folder elsewhere is not the
    /// team's: an agent's own Sent when the inbox is shared).
    fn holds(&self, name: &str, spaces: &Namespaces) -> bool {
        match self {
            Scope::Personal(_) => spaces.place(name) != Place::Other,
            Scope::Beside { root, .. } => name.starts_with(root.as_str()),
        }
    }
}

/// The scope of an inbox whose server name is `inbox` in namespace `place`: the folders
/// beside it. `separator` is its namespace's.
pub fn scope_of(inbox: &str, place: Place, spaces: &Namespaces, separator: char) -> Scope {
    if place == Place::Personal || inbox.eq_ignore_ascii_case("INBOX") {
        return Scope::Personal(spaces.personal.clone());
    }
    let sep = separator.to_string();
    // `shared/support/INBOX`: the owner's folders are its siblings. `user.support` (Cyrus):
    // the owner's inbox is the root of its folders.
    let root = match inbox.rsplit_once(separator) {
        Some((parent, last)) if last.eq_ignore_ascii_case("INBOX") => format!("{parent}{sep}"),
        _ => format!("{inbox}{sep}"),
    };
    Scope::Beside { root, separator }
}

/// Picks the Sent folder among `listed`: the one marked `\Sent` in scope, else the first of
/// the common names that is there (exactly, else in any case).
pub fn pick_sent(
    listed: &[Listed],
    scope: &Scope,
    spaces: &Namespaces,
    inbox: &str,
) -> Option<(String, SentFound)> {
    let usable = |l: &&Listed| l.name != inbox && scope.holds(&l.name, spaces);
    if let Some(l) = listed.iter().filter(usable).find(|l| l.sent) {
        return Some((l.name.clone(), SentFound::SpecialUse));
    }
    let names = scope.sent_names();
    let exact = names
        .iter()
        .find(|n| listed.iter().filter(usable).any(|l| l.name == **n));
    let found = exact.cloned().or_else(|| {
        names.iter().find_map(|n| {
            listed
                .iter()
                .filter(usable)
                .find(|l| l.name.eq_ignore_ascii_case(n))
                .map(|l| l.name.clone())
        })
    });
    found.map(|n| (n, SentFound::ByName))
}

/// One IMAP right (RFC 4314), with what it lets tanto do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Right {
    /// `l`: the folder shows in LIST.
    Lookup,
    /// `r`: SELECT, FETCH, SEARCH, STATUS.
    Read,
    /// `s`: keep `\Seen`.
    Seen,
    /// `w`: flags and keywords other than `\Seen` and `\Deleted`: claims, statuses,
    /// assignees, `\Answered`.
    Write,
    /// `i`: APPEND and COPY into it: notes, events, replies, drafts.
    Insert,
    /// `k` (or the older `c`): create folders under it.
    Create,
    /// `t` (or the older `d`): mark messages `\Deleted`.
    DeleteMessages,
    /// `e` (or the older `d`): EXPUNGE.
    Expunge,
}

impl Right {
    pub const ALL: [Right; 8] = [
        Right::Lookup,
        Right::Read,
        Right::Seen,
        Right::Write,
        Right::Insert,
        Right::Create,
        Right::DeleteMessages,
        Right::Expunge,
    ];

    /// The right's letter.
    pub fn letter(self) -> char {
        match self {
            Right::Lookup => 'l',
            Right::Read => 'r',
            Right::Seen => 's',
            Right::Write => 'w',
            Right::Insert => 'i',
            Right::Create => 'k',
            Right::DeleteMessages => 't',
            Right::Expunge => 'e',
        }
    }

    /// Whether a MYRIGHTS answer (its letters) grants this right; the RFC 2086 letters
    /// count too (`c` for `k`, `d` for `t` and `e`).
    pub fn granted_by(self, rights: &str) -> bool {
        let has = |c: char| rights.contains(c);
        match self {
            Right::Create => has('k') || has('c'),
            Right::DeleteMessages => has('t') || has('d'),
            Right::Expunge => has('e') || has('d'),
            r => has(r.letter()),
        }
    }
}

/// The rights of `needed` that `rights` (a MYRIGHTS answer) lacks.
pub fn missing_rights(rights: &str, needed: &[Right]) -> Vec<Right> {
    needed
        .iter()
        .copied()
        .filter(|r| !r.granted_by(rights))
        .collect()
}

impl Conn {
    /// Takes the namespaces from a NAMESPACE answer read elsewhere (pipelined after login);
    /// one that does not parse leaves them to be asked on first use.
    pub(super) fn learn_namespaces(&mut self, untagged: &[Vec<u8>]) {
        let found = untagged
            .iter()
            .find_map(|b| super::namespace::parse_namespaces(b));
        if let Some((Some(personal), others)) = found {
            self.personal = Some(Known {
                spaces: Namespaces { personal, others },
                probed: HashMap::new(),
            });
        }
    }

    fn known(&mut self) -> Result<&mut Known> {
        if self.personal.is_none() {
            let spaces = self.ask_namespaces()?;
            self.personal = Some(Known {
                spaces,
                probed: HashMap::new(),
            });
        }
        Ok(self.personal.get_or_insert_with(Known::default))
    }

    /// The personal namespace (prefix and separator), asked of the server once per connection.
    pub fn namespace(&mut self) -> Result<Personal> {
        Ok(self.known()?.spaces.personal.clone())
    }

    /// Every namespace the server announced.
    pub fn namespaces(&mut self) -> Result<Namespaces> {
        Ok(self.known()?.spaces.clone())
    }

    /// Which namespace a folder named `logical` in the config is in.
    pub fn place(&mut self, logical: &str) -> Result<Place> {
        Ok(self.known()?.spaces.place(logical))
    }

    /// `server_folder` without asking the server: None where that would take a round trip
    /// (the namespaces not read yet, or a folder whose namespace must be probed).
    pub(super) fn server_folder_known(&self, logical: &str) -> Option<String> {
        if logical.eq_ignore_ascii_case("INBOX") {
            return Some(logical.to_string());
        }
        let known = self.personal.as_ref()?;
        match known.spaces.place(logical) {
            Place::Personal => Some(known.spaces.personal.server_name(logical)),
            Place::Other => Some(logical.to_string()),
            Place::Either => known.probed.get(logical).cloned(),
        }
    }

    /// The server's name for a folder named `logical` in the config (`Tanto/Activity` is
    /// `INBOX.Tanto.Activity` on a server whose personal folders live under `INBOX.`). A
    /// name in another namespace (`shared/support/INBOX`, `user.support`) is the server's
    /// as written; so is a top-level shared folder on a server like Cyrus, when the server
    /// has one so named.
    pub fn server_folder(&mut self, logical: &str) -> Result<String> {
        if logical.eq_ignore_ascii_case("INBOX") {
            // No round trip for the inbox: its name is the same everywhere.
            return Ok(logical.to_string());
        }
        let known = self.known()?;
        match known.spaces.place(logical) {
            Place::Personal => Ok(known.spaces.personal.server_name(logical)),
            Place::Other => Ok(logical.to_string()),
            Place::Either => {
                if let Some(w) = known.probed.get(logical) {
                    return Ok(w.clone());
                }
                let personal = known.spaces.personal.server_name(logical);
                let sep = known
                    .spaces
                    .others
                    .iter()
                    .find(|o| o.prefix.is_empty())
                    .and_then(|o| o.separator);
                // `support.Tanto.Activity` is shared when `support` is, even before it exists.
                let top = sep
                    .and_then(|sep| logical.split_once(sep))
                    .map(|(top, _)| top.to_string());
                // The config's `/` between levels (`Tanto/Activity`) is a personal name where
                // the shared folders' separator is another: nothing to ask.
                let config_form = sep != Some('/') && logical.contains('/');
                let shared = !config_form
                    && (self.exists_as_written(logical)?
                        || match top {
                            Some(top) => self.exists_as_written(&top)?,
                            None => false,
                        });
                let wire = if shared {
                    logical.to_string()
                } else {
                    personal
                };
                self.known()?
                    .probed
                    .insert(logical.to_string(), wire.clone());
                Ok(wire)
            }
        }
    }

    fn ask_namespaces(&mut self) -> Result<Namespaces> {
        let mut others = Vec::new();
        if self.caps.namespace {
            let mut found = None;
            let asked = self.raw_each("NAMESPACE", |bytes| {
                if found.is_none() {
                    found = parse_namespaces(bytes);
                }
            });
            match asked {
                Ok(()) => {
                    if let Some((personal, rest)) = found {
                        if let Some(personal) = personal {
                            return Ok(Namespaces {
                                personal,
                                others: rest,
                            });
                        }
                        others = rest;
                    }
                }
                Err(e) if e.is_transient() => return Err(e),
                // Refused: the separator alone, from LIST, will do.
                Err(_) => {}
            }
        }
        // Without NAMESPACE: no prefix, and the separator LIST reports for the root.
        let names = match self.session.list(Some(""), Some("\"\"")) {
            Ok(n) => n,
            Err(e) => return Err(self.lost_or_refused("LIST", e)),
        };
        let personal = match names.iter().next() {
            Some(n) => Personal {
                prefix: String::new(),
                separator: n.delimiter().and_then(|d| d.chars().next()),
            },
            None => Personal::default(),
        };
        Ok(Namespaces { personal, others })
    }

    /// Whether a folder (named as in the config) exists. LIST is asked first; a folder it
    /// does not show exists all the same when STATUS accepts it (Dovecot lists no folder of
    /// a shared namespace by its full name, and a server may hide what the login cannot
    /// look up).
    /// Takes `folder` as existing without asking (the caller knows it from an earlier
    /// session); `forget_exists` undoes it when the server says otherwise.
    pub fn assume_exists(&mut self, folder: &str) -> Result<()> {
        let wire = self.server_folder(folder)?;
        self.existing.insert(wire);
        Ok(())
    }

    /// Forgets that `folder` exists (a command on it was refused with TRYCREATE).
    pub fn forget_exists(&mut self, folder: &str) -> Result<()> {
        let wire = self.server_folder(folder)?;
        self.existing.remove(&wire);
        Ok(())
    }

    pub fn folder_exists(&mut self, folder: &str) -> Result<bool> {
        let wire = self.server_folder(folder)?;
        // Seen by this session (STATUS, SELECT, CREATE): folders are not deleted under us.
        if self.existing.contains(&wire) {
            return Ok(true);
        }
        if self.place(&wire)? == Place::Personal {
            // LIST shows every personal folder that exists.
            return self.listed(&wire);
        }
        self.exists_as_written(&wire)
    }

    /// Whether the folder with this server name exists: LIST shows it, or STATUS accepts it.
    fn exists_as_written(&mut self, wire: &str) -> Result<bool> {
        Ok(self.listed(wire)? || self.accepts(wire)?)
    }

    /// Whether LIST shows the folder with this server name.
    fn listed(&mut self, wire: &str) -> Result<bool> {
        let quoted = super::quote_folder(wire);
        match self.session.list(Some(""), Some(&quoted)) {
            Ok(n) => Ok(!n.is_empty()),
            Err(e) => Err(self.lost_or_refused("LIST", e)),
        }
    }

    /// Whether the server accepts the folder with this server name in a STATUS (as it does
    /// any folder that SELECT would).
    fn accepts(&mut self, wire: &str) -> Result<bool> {
        match self
            .session
            .status(super::encode_folder(wire), "(MESSAGES)")
        {
            Ok(_) => Ok(true),
            Err(imap::Error::No(_)) => Ok(false),
            Err(e) => Err(self.lost_or_refused("STATUS", e)),
        }
    }

    /// Whether the server offers ACLs (RFC 4314).
    pub fn caps_acl(&self) -> bool {
        self.caps.all.iter().any(|c| c.eq_ignore_ascii_case("ACL"))
    }

    /// The login's rights on a folder (named as in the config), as MYRIGHTS gives them
    /// (`lrswipkxtea`); `None` when the server offers no ACLs or refuses (a folder that does
    /// not exist).
    pub fn my_rights(&mut self, folder: &str) -> Result<Option<String>> {
        if !self.caps_acl() {
            return Ok(None);
        }
        let wire = self.server_folder(folder)?;
        match self.session.my_rights(super::encode_folder(&wire)) {
            Ok(r) => Ok(Some(r.parsed().rights().to_string())),
            Err(imap::Error::No(_) | imap::Error::Bad(_)) => Ok(None),
            Err(e) => Err(self.lost_or_refused("MYRIGHTS", e)),
        }
    }

    /// The folders beside the inbox `inbox` (named as in the config): the personal namespace,
    /// or the owner's folders when the inbox is in another namespace.
    pub fn scope(&mut self, inbox: &str) -> Result<Scope> {
        let spaces = self.namespaces()?;
        let inbox_wire = self.server_folder(inbox)?;
        let place = spaces.place(&inbox_wire);
        let separator = match place {
            Place::Personal => spaces.personal.separator,
            _ => spaces
                .others
                .iter()
                .filter(|o| inbox_wire.starts_with(&o.prefix))
                .max_by_key(|o| o.prefix.len())
                .and_then(|o: &Space| o.separator)
                .or(spaces.personal.separator),
        }
        .unwrap_or('/');
        Ok(scope_of(&inbox_wire, place, &spaces, separator))
    }

    /// The Sent folder beside the inbox `inbox` (named as in the config): marked `\Sent`
    /// (SPECIAL-USE), else by its common names (`SENT_NAMES`); one LIST. With the inbox in
    /// another namespace (a shared mailbox reached with an agent's own login), the folders
    /// beside it, never the agent's own Sent.
    pub fn find_sent(&mut self, inbox: &str) -> Result<SentLookup> {
        let spaces = self.namespaces()?;
        let inbox_wire = self.server_folder(inbox)?;
        let scope = self.scope(inbox)?;
        let pattern = match &scope {
            Scope::Personal(_) => "*".to_string(),
            Scope::Beside { root, .. } => {
                let q = super::quote_folder(root);
                format!("{}*\"", &q[..q.len() - 1])
            }
        };
        let names = match self.session.list(Some(""), Some(&pattern)) {
            Ok(n) => n,
            Err(e) => return Err(self.lost_or_refused("LIST", e)),
        };
        let listed: Vec<Listed> = names
            .iter()
            .map(|n| Listed {
                name: decode(n.name()),
                sent: n
                    .attributes()
                    .iter()
                    .any(|a| matches!(a, NameAttribute::Sent)),
            })
            .collect();
        let mut found = pick_sent(&listed, &scope, &spaces, &inbox_wire);
        if found.is_none() && listed.is_empty() {
            if let Scope::Beside { .. } = scope {
                // LIST showed nothing beside a shared inbox: ask for each name instead.
                for name in scope.sent_names() {
                    if self.accepts(&name)? {
                        found = Some((name, SentFound::ByName));
                        break;
                    }
                }
            }
        }
        Ok(SentLookup {
            found,
            default: scope.default_sent(),
        })
    }

    /// Asks (RFC 5465 NOTIFY) for changes to the selected folder, for new or expunged
    /// messages in every personal folder and in each of `folders` (named as in the config),
    /// so that one IDLE connection covers them all. `personal` does not cover a folder in
    /// another namespace (a shared mailbox): those are named.
    pub fn notify_watched(&mut self, folders: &[String]) -> Result<()> {
        let mut named = Vec::new();
        for f in folders {
            let wire = self.server_folder(f)?;
            let quoted = super::quote_folder(&wire);
            if !named.contains(&quoted) {
                named.push(quoted);
            }
        }
        let mut cmd = "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) \
                       (personal (MessageNew MessageExpunge))"
            .to_string();
        if !named.is_empty() {
            cmd.push_str(&format!(
                " (mailboxes ({}) (MessageNew MessageExpunge))",
                named.join(" ")
            ));
        }
        self.raw(&cmd).map(|_| ())
    }
}

/// Folder names on the wire are modified UTF-7; a malformed one is kept as it came (the
/// decoder panics on some malformed input).
fn decode(wire: &str) -> String {
    let raw = wire.to_string();
    std::panic::catch_unwind(|| utf7_imap::decode_utf7_imap(raw.clone()))
        .unwrap_or_else(|_| wire.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spaces(prefix: &str, sep: char, others: &[(&str, char)]) -> Namespaces {
        Namespaces {
            personal: Personal {
                prefix: prefix.into(),
                separator: Some(sep),
            },
            others: others
                .iter()
                .map(|(p, s)| Space {
                    prefix: p.to_string(),
                    separator: Some(*s),
                })
                .collect(),
        }
    }

    fn listed(names: &[&str], sent: Option<&str>) -> Vec<Listed> {
        names
            .iter()
            .map(|n| Listed {
                name: n.to_string(),
                sent: Some(*n) == sent,
            })
            .collect()
    }

    fn pick(ns: &Namespaces, inbox: &str, names: &[&str], sent: Option<&str>) -> Option<String> {
        let place = ns.place(inbox);
        let sep = match place {
            Place::Personal => ns.personal.separator.unwrap_or('/'),
            _ => ns
                .others
                .iter()
                .filter(|o| inbox.starts_with(&o.prefix))
                .max_by_key(|o| o.prefix.len())
                .and_then(|o| o.separator)
                .unwrap_or('/'),
        };
        let scope = scope_of(inbox, place, ns, sep);
        pick_sent(&listed(names, sent), &scope, ns, inbox).map(|(n, _)| n)
    }

    #[test]
    fn the_sent_folder_is_marked_or_found_by_its_common_names_in_order() {
        let dovecot = spaces("", '/', &[("shared/", '/')]);
        let courier = spaces("INBOX.", '.', &[]);
        let pick_d = |names: &[&str], sent| pick(&dovecot, "INBOX", names, sent);
        // SPECIAL-USE first, whatever its name.
        assert_eq!(
            pick_d(&["INBOX", "Sent", "Gesendet"], Some("Gesendet")).as_deref(),
            Some("Gesendet")
        );
        // Then the names, in order.
        assert_eq!(
            pick_d(&["INBOX", "Sent Messages", "Sent Items"], None).as_deref(),
            Some("Sent Items")
        );
        assert_eq!(
            pick_d(&["INBOX", "Sent Items"], None).as_deref(),
            Some("Sent Items")
        );
        assert_eq!(
            pick_d(&["INBOX", "[Gmail]/Sent Mail", "[Gmail]/All Mail"], None).as_deref(),
            Some("[Gmail]/Sent Mail")
        );
        assert_eq!(
            pick_d(&["INBOX", "sent items"], None).as_deref(),
            Some("sent items")
        );
        assert_eq!(pick_d(&["INBOX", "Drafts"], None), None);
        // An agent's own Sent is not the shared mailbox's.
        assert_eq!(
            pick(
                &dovecot,
                "shared/support/INBOX",
                &["shared/support", "shared/support/Sent Items", "Sent"],
                Some("Sent")
            )
            .as_deref(),
            Some("shared/support/Sent Items")
        );
        assert_eq!(
            pick(&dovecot, "shared/support/INBOX", &["Sent"], Some("Sent")),
            None
        );
        // Under INBOX. (Courier, Cyrus): the mapped names.
        assert_eq!(
            pick(&courier, "INBOX", &["INBOX", "INBOX.Sent Items"], None).as_deref(),
            Some("INBOX.Sent Items")
        );
        assert_eq!(
            pick(&courier, "INBOX", &["INBOX", "INBOX.Sent"], None).as_deref(),
            Some("INBOX.Sent")
        );
        // Cyrus: the shared inbox user.support, its Sent is user.support.Sent.
        let cyrus = spaces("INBOX.", '.', &[("user.", '.'), ("", '.')]);
        assert_eq!(
            pick(
                &cyrus,
                "user.support",
                &["INBOX.Sent", "user.support.Sent", "user.support.Trash"],
                None
            )
            .as_deref(),
            Some("user.support.Sent")
        );
        // The inbox itself is never the Sent folder.
        assert_eq!(pick_d(&["INBOX"], Some("INBOX")), None);
    }

    #[test]
    fn a_first_reply_creates_sent_beside_the_inbox() {
        let dovecot = spaces("", '/', &[("shared/", '/')]);
        let courier = spaces("INBOX.", '.', &[]);
        let cyrus = spaces("INBOX.", '.', &[("user.", '.'), ("", '.')]);
        let cases = [
            (&dovecot, "INBOX", '/', "Sent"),
            (&courier, "INBOX", '.', "INBOX.Sent"),
            (&dovecot, "shared/support/INBOX", '/', "shared/support/Sent"),
            (&cyrus, "user.support", '.', "user.support.Sent"),
            (&cyrus, "support", '.', "support.Sent"),
        ];
        for (ns, inbox, sep, want) in cases {
            let scope = scope_of(inbox, ns.place(inbox), ns, sep);
            assert_eq!(scope.default_sent(), want, "{inbox}");
        }
        let shared = scope_of("shared/support/INBOX", Place::Other, &dovecot, '/');
        assert!(shared.is_beside());
        assert_eq!(
            shared.beside("Tanto/Activity"),
            "shared/support/Tanto/Activity"
        );
        let cyrus_scope = scope_of("user.support", Place::Other, &cyrus, '.');
        assert_eq!(
            cyrus_scope.beside("Tanto/Activity"),
            "user.support.Tanto.Activity"
        );
        assert_eq!(
            cyrus_scope.sent_names()[..3],
            [
                "user.support.Sent",
                "user.support.Sent Items",
                "user.support.Sent Messages"
            ]
        );
    }

    #[test]
    fn rights_are_read_with_the_older_letters_too() {
        assert!(Right::Write.granted_by("lrswipkxtea"));
        assert!(!Right::Write.granted_by("lr"));
        assert_eq!(
            missing_rights("lr", &[Right::Read, Right::Write, Right::Insert]),
            [Right::Write, Right::Insert]
        );
        // RFC 2086: c = create, d = delete (messages and expunge).
        assert!(Right::Create.granted_by("lrswicd"));
        assert!(Right::DeleteMessages.granted_by("lrswicd"));
        assert!(Right::Expunge.granted_by("lrswicd"));
        assert!(!Right::Expunge.granted_by("lrswit"));
    }
}
