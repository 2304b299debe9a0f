//! Where the server keeps personal folders (RFC 2342 NAMESPACE and the LIST hierarchy
//! separator), and how tanto's folder names from the config map onto it.
//!
//! The config writes folder names with `/` as the hierarchy separator (`Tanto/Activity`).
//! Dovecot's default keeps them as they are; Cyrus as Debian ships it and Courier put personal
//! folders under `INBOX.` with `.` as the separator, where the same folder is
//! `INBOX.Tanto.Activity` and `CREATE "Tanto/Activity"` is refused.

/// The personal namespace: the prefix of every personal folder and its hierarchy separator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Personal {
    /// `""` on most servers, `"INBOX."` on Cyrus (Debian) and Courier.
    pub prefix: String,
    /// `None` on a flat server (no hierarchy).
    pub separator: Option<char>,
}

impl Default for Personal {
    fn default() -> Personal {
        Personal {
            prefix: String::new(),
            separator: Some('/'),
        }
    }
}

impl Personal {
    /// The server's name for a folder named `logical` in the config (`/` separates levels).
    ///
    /// Names already in the server's form (the inbox, a name under the personal prefix such
    /// as one a LIST or SPECIAL-USE returned) are kept as they are, so mapping twice is the
    /// same as mapping once.
    pub fn server_name(&self, logical: &str) -> String {
        if logical.eq_ignore_ascii_case("INBOX")
            || (!self.prefix.is_empty() && logical.starts_with(&self.prefix))
        {
            return logical.to_string();
        }
        let Some(sep) = self.separator else {
            // A flat server: no hierarchy to map onto.
            return logical.to_string();
        };
        let mapped = if sep == '/' {
            logical.to_string()
        } else {
            logical.replace('/', &sep.to_string())
        };
        // `INBOX/Sent` in the config, with the prefix `INBOX.`: already under the prefix.
        if mapped.starts_with(&self.prefix) {
            mapped
        } else {
            format!("{}{mapped}", self.prefix)
        }
    }
}

/// A namespace beside the personal one (RFC 2342): other users' folders (Dovecot's
/// `Other Users/` or `shared/`, Cyrus's `user.`) or shared folders (Cyrus's top level, `""`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Space {
    pub prefix: String,
    pub separator: Option<char>,
}

/// Every namespace the server announced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespaces {
    pub personal: Personal,
    /// Other users' and shared namespaces, in the order NAMESPACE gave them.
    pub others: Vec<Space>,
}

/// Where a folder name from the config lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A personal folder: `/` becomes the server's separator and the prefix goes in front.
    Personal,
    /// Under another namespace's prefix (`shared/support/INBOX`, `user.support`): the name
    /// is the server's as written, never given the personal prefix.
    Other,
    /// Under no prefix, on a server whose shared folders sit at the top level beside a
    /// personal prefix (Cyrus: `INBOX.` and `""`): a shared folder when the server has one
    /// so named or has its top level (`support` for `support.Tanto.Activity`), else a
    /// personal folder.
    Either,
}

impl Namespaces {
    /// Which namespace `logical` (a folder name from the config) is in. The longest prefix
    /// the name starts with decides.
    pub fn place(&self, logical: &str) -> Place {
        if logical.eq_ignore_ascii_case("INBOX") {
            return Place::Personal;
        }
        let personal = &self.personal;
        let personal_len = if under(logical, &personal.prefix, personal.separator) {
            personal.prefix.len()
        } else {
            0
        };
        let other_len = self
            .others
            .iter()
            .filter(|o| under(logical, &o.prefix, o.separator))
            .map(|o| o.prefix.len())
            .max()
            .unwrap_or(0);
        if other_len > personal_len {
            Place::Other
        } else if personal_len > 0 {
            Place::Personal
        } else if !personal.prefix.is_empty() && self.others.iter().any(|o| o.prefix.is_empty()) {
            Place::Either
        } else {
            Place::Personal
        }
    }
}

/// True when `name` is under the non-empty `prefix`, or is the namespace's own root (`user`
/// for `user.`).
fn under(name: &str, prefix: &str, separator: Option<char>) -> bool {
    if prefix.is_empty() {
        return false;
    }
    if name.starts_with(prefix) {
        return true;
    }
    let root = match separator {
        Some(sep) => prefix.strip_suffix(sep).unwrap_or(prefix),
        None => prefix,
    };
    !root.is_empty() && root.len() < prefix.len() && name == root
}

/// Reads the namespaces out of a raw `* NAMESPACE` response line: the personal one (`None`
/// when it is `NIL`) and the others. `None` when the line is not a NAMESPACE response or
/// cannot be read.
pub fn parse_namespaces(line: &[u8]) -> Option<(Option<Personal>, Vec<Space>)> {
    let rest = strip_prefix_ci(line, b"* NAMESPACE ")?;
    let mut p = Parser { s: rest, at: 0 };
    // namespace = nil / "(" 1*( "(" prefix SP delimiter *extension ")" ) ")", three times:
    // personal, other users', shared.
    let personal = p.group()?;
    let mut others = Vec::new();
    for _ in 0..2 {
        match p.group() {
            Some(g) => others.extend(g),
            // A server that sends less than the three is read for what it sent.
            None => break,
        }
    }
    // A second personal namespace (`#mh/`) is used as written, like another's.
    let mut personal = personal.into_iter();
    let first = personal.next().map(|s| Personal {
        prefix: s.prefix,
        separator: s.separator,
    });
    let mut all: Vec<Space> = personal.collect();
    all.extend(others);
    Some((first, all))
}

/// Reads the personal namespace out of a raw `* NAMESPACE` response line; `None` when the line
/// is not one or names no personal namespace (`NIL`).
#[cfg(test)]
fn parse_namespace(line: &[u8]) -> Option<Personal> {
    parse_namespaces(line)?.0
}

fn strip_prefix_ci<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| s.get(prefix.len()..))
        .flatten()
}

/// Folder names on the wire are modified UTF-7; a malformed one is kept as it came (the
/// decoder panics on some malformed input).
fn decode(wire: &str) -> String {
    let raw = wire.to_string();
    std::panic::catch_unwind(|| utf7_imap::decode_utf7_imap(raw.clone()))
        .unwrap_or_else(|_| wire.to_string())
}

struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.skip_spaces();
        (self.peek() == Some(c)).then(|| self.at += 1)
    }

    /// A string or `NIL`.
    fn nstring(&mut self) -> Option<Option<String>> {
        self.skip_spaces();
        let rest = self.s.get(self.at..)?;
        if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"NIL") {
            self.at += 3;
            return Some(None);
        }
        self.string().map(Some)
    }

    /// One namespace group: `NIL`, or the descriptions in parentheses (extensions skipped).
    fn group(&mut self) -> Option<Vec<Space>> {
        if self.nstring_nil() {
            return Some(Vec::new());
        }
        self.expect(b'(')?;
        let mut out = Vec::new();
        loop {
            self.skip_spaces();
            match self.peek()? {
                b')' => {
                    self.at += 1;
                    break;
                }
                b'(' => {
                    self.at += 1;
                    let prefix = self.string()?;
                    self.skip_spaces();
                    let separator = match self.nstring()? {
                        Some(d) => d.chars().next(),
                        None => None,
                    };
                    self.skip_to_close()?;
                    out.push(Space {
                        prefix: decode(&prefix),
                        separator,
                    });
                }
                _ => return None,
            }
        }
        (!out.is_empty()).then_some(out)
    }

    /// `NIL` here (consumed), or not.
    fn nstring_nil(&mut self) -> bool {
        self.skip_spaces();
        let rest = self.s.get(self.at..).unwrap_or_default();
        if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"NIL") {
            self.at += 3;
            return true;
        }
        false
    }

    /// Skips whatever is left of a parenthesized item (extensions: strings and lists) up to
    /// and including its closing parenthesis.
    fn skip_to_close(&mut self) -> Option<()> {
        let mut depth = 1;
        while depth > 0 {
            self.skip_spaces();
            match self.peek()? {
                b'(' => {
                    depth += 1;
                    self.at += 1;
                }
                b')' => {
                    depth -= 1;
                    self.at += 1;
                }
                b'"' | b'{' => {
                    self.string()?;
                }
                _ => self.at += 1,
            }
        }
        Some(())
    }

    /// A quoted string or a literal (`{n}\r\n` and n bytes).
    fn string(&mut self) -> Option<String> {
        self.skip_spaces();
        match self.peek()? {
            b'"' => {
                self.at += 1;
                let mut out = Vec::new();
                loop {
                    let c = self.peek()?;
                    self.at += 1;
                    match c {
                        b'"' => break,
                        b'\\' => {
                            out.push(self.peek()?);
                            self.at += 1;
                        }
                        c => out.push(c),
                    }
                }
                Some(String::from_utf8_lossy(&out).into_owned())
            }
            b'{' => {
                let rest = self.s.get(self.at + 1..)?;
                let close = rest.iter().position(|&c| c == b'}')?;
                let n: usize = std::str::from_utf8(rest.get(..close)?)
                    .ok()?
                    .trim_end_matches('+')
                    .parse()
                    .ok()?;
                let start = self.at + 1 + close + 1 + 2; // past "}\r\n"
                let bytes = self.s.get(start..start + n)?;
                self.at = start + n;
                Some(String::from_utf8_lossy(bytes).into_owned())
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(prefix: &str, sep: Option<char>) -> Personal {
        Personal {
            prefix: prefix.into(),
            separator: sep,
        }
    }

    #[test]
    fn config_names_map_onto_the_servers_namespace() {
        let cases: &[(Personal, &str, &str)] = &[
            // Dovecot's default: nothing changes.
            (ns("", Some('/')), "Tanto/Activity", "Tanto/Activity"),
            (ns("", Some('/')), "INBOX", "INBOX"),
            // Cyrus (Debian), Courier.
            (
                ns("INBOX.", Some('.')),
                "Tanto/Activity",
                "INBOX.Tanto.Activity",
            ),
            (
                ns("INBOX.", Some('.')),
                "Tanto/Outbox",
                "INBOX.Tanto.Outbox",
            ),
            (ns("INBOX.", Some('.')), "INBOX", "INBOX"),
            (ns("INBOX.", Some('.')), "inbox", "inbox"),
            (ns("INBOX.", Some('.')), "Sent", "INBOX.Sent"),
            // Already the server's name (from LIST, SPECIAL-USE, or written so in the config).
            (ns("INBOX.", Some('.')), "INBOX.Sent", "INBOX.Sent"),
            (
                ns("INBOX.", Some('.')),
                "INBOX.Tanto.Activity",
                "INBOX.Tanto.Activity",
            ),
            (ns("INBOX.", Some('.')), "INBOX/Sent", "INBOX.Sent"),
            // A `.` separator without a prefix; a `/` separator with one.
            (ns("", Some('.')), "Tanto/Activity", "Tanto.Activity"),
            (
                ns("INBOX/", Some('/')),
                "Tanto/Activity",
                "INBOX/Tanto/Activity",
            ),
            // A flat server.
            (ns("", None), "Tanto/Activity", "Tanto/Activity"),
        ];
        for (space, logical, server) in cases {
            let got = space.server_name(logical);
            assert_eq!(got, *server, "{space:?} {logical}");
            assert_eq!(space.server_name(&got), got, "mapping twice: {space:?}");
        }
    }

    #[test]
    fn namespace_responses_name_the_personal_prefix_and_separator() {
        let cases: &[(&[u8], Option<Personal>)] = &[
            (
                b"* NAMESPACE ((\"INBOX.\" \".\")) NIL NIL\r\n",
                Some(ns("INBOX.", Some('.'))),
            ),
            (
                b"* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) NIL\r\n",
                Some(ns("", Some('/'))),
            ),
            (b"* namespace ((\"\" NIL)) NIL NIL\r\n", Some(ns("", None))),
            (
                b"* NAMESPACE ((\"\" \"\\\\\" \"X-EXT\" (\"a\"))) NIL NIL\r\n",
                Some(ns("", Some('\\'))),
            ),
            (b"* NAMESPACE ({6}\r\nINBOX. \".\")) NIL NIL\r\n", None),
            (
                b"* NAMESPACE (({6}\r\nINBOX. \".\")) NIL NIL\r\n",
                Some(ns("INBOX.", Some('.'))),
            ),
            (b"* NAMESPACE NIL NIL ((\"#shared/\" \"/\"))\r\n", None),
            (b"* LIST () \"/\" INBOX\r\n", None),
            (b"* NAMESPACE ((\"unterminated", None),
        ];
        for (line, want) in cases {
            assert_eq!(
                parse_namespace(line),
                *want,
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    fn space(prefix: &str, sep: char) -> Space {
        Space {
            prefix: prefix.into(),
            separator: Some(sep),
        }
    }

    #[test]
    fn every_namespace_is_read() {
        let cases: &[(&[u8], Option<Personal>, Vec<Space>)] = &[
            // Dovecot with a shared namespace (docs/admin-guide.md section 4).
            (
                b"* NAMESPACE ((\"\" \"/\")) ((\"shared/\" \"/\")) NIL\r\n",
                Some(ns("", Some('/'))),
                vec![space("shared/", '/')],
            ),
            // Cyrus as Debian ships it: other users under `user.`, shared at the top.
            (
                b"* NAMESPACE ((\"INBOX.\" \".\")) ((\"user.\" \".\")) ((\"\" \".\"))\r\n",
                Some(ns("INBOX.", Some('.'))),
                vec![space("user.", '.'), space("", '.')],
            ),
            // Cyrus with altnamespace, Exchange-like names.
            (
                b"* NAMESPACE ((\"\" \"/\")) ((\"Other Users/\" \"/\")) ((\"Shared Folders/\" \"/\"))\r\n",
                Some(ns("", Some('/'))),
                vec![space("Other Users/", '/'), space("Shared Folders/", '/')],
            ),
            // Extensions are skipped; a second personal namespace is used as written.
            (
                b"* NAMESPACE ((\"\" \"/\")(\"#mh/\" \"/\" \"X-PARAM\" (\"FLAG1\" \"FLAG2\"))) NIL ((\"#shared.\" \".\" \"X-A\" (\"(\")))\r\n",
                Some(ns("", Some('/'))),
                vec![space("#mh/", '/'), space("#shared.", '.')],
            ),
            (
                b"* NAMESPACE NIL NIL ((\"#shared/\" \"/\"))\r\n",
                None,
                vec![space("#shared/", '/')],
            ),
        ];
        for (line, personal, others) in cases {
            let got = parse_namespaces(line);
            assert_eq!(
                got,
                Some((personal.clone(), others.clone())),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn names_in_another_namespace_never_get_the_personal_prefix() {
        let dovecot = Namespaces {
            personal: ns("", Some('/')),
            others: vec![space("shared/", '/')],
        };
        let cyrus = Namespaces {
            personal: ns("INBOX.", Some('.')),
            others: vec![space("user.", '.'), space("", '.')],
        };
        let alt = Namespaces {
            personal: ns("", Some('/')),
            others: vec![space("Other Users/", '/'), space("Shared Folders/", '/')],
        };
        let dotted = Namespaces {
            personal: ns("INBOX.", Some('.')),
            others: vec![space("shared.", '.')],
        };
        let cases: &[(&Namespaces, &str, Place)] = &[
            (&dovecot, "shared/support/INBOX", Place::Other),
            (&dovecot, "shared/support/Tanto/Activity", Place::Other),
            (&dovecot, "shared", Place::Other),
            (&dovecot, "Tanto/Activity", Place::Personal),
            (&dovecot, "INBOX", Place::Personal),
            (&dovecot, "sharedfolder", Place::Personal),
            (&cyrus, "user.support", Place::Other),
            (&cyrus, "user.support.Tanto.Activity", Place::Other),
            (&cyrus, "user", Place::Other),
            (&cyrus, "INBOX", Place::Personal),
            (&cyrus, "INBOX.Sent", Place::Personal),
            (&cyrus, "support", Place::Either),
            (&cyrus, "Tanto/Activity", Place::Either),
            (&alt, "Other Users/support/INBOX", Place::Other),
            (&alt, "Shared Folders/support", Place::Other),
            (&alt, "Tanto/Activity", Place::Personal),
            (&dotted, "shared.support.INBOX", Place::Other),
            (&dotted, "Tanto/Activity", Place::Personal),
            (&dotted, "INBOX.Sent", Place::Personal),
        ];
        for (spaces, name, place) in cases {
            assert_eq!(spaces.place(name), *place, "{name} in {spaces:?}");
        }
        assert_eq!(
            Namespaces::default().place("Tanto/Activity"),
            Place::Personal
        );
    }
}
