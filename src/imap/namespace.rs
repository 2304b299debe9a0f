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

/// Reads the personal namespace out of a raw `* NAMESPACE` response line; `None` when the line
/// is not one or names no personal namespace (`NIL`).
pub fn parse_namespace(line: &[u8]) -> Option<Personal> {
    let rest = strip_prefix_ci(line, b"* NAMESPACE ")?;
    let mut p = Parser { s: rest, at: 0 };
    // personal = NIL / "(" 1*( "(" prefix SP delimiter *extension ")" ) ")"
    p.expect(b'(')?;
    p.expect(b'(')?;
    let prefix = p.string()?;
    p.skip_spaces();
    let separator = match p.nstring()? {
        Some(d) => d.chars().next(),
        None => None,
    };
    Some(Personal {
        prefix: decode(&prefix),
        separator,
    })
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
}
