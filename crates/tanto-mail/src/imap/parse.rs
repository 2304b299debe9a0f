//! Turning raw IMAP responses (parsed by imap-proto) into tanto's types.

use imap_proto::types::{AttributeValue, Response};

use tanto_core::model::{FlagUpdate, MessageMeta};

/// Calls `f` on every response in `data`; a line imap-proto cannot parse is skipped, so one
/// odd response from a server does not lose the rest.
pub fn for_each_response<'a>(data: &'a [u8], mut f: impl FnMut(Response<'a>)) {
    let mut rest = data;
    while !rest.is_empty() {
        match imap_proto::parser::parse_response(rest) {
            Ok((next, resp)) => {
                f(resp);
                rest = next;
            }
            Err(_) => match rest.windows(2).position(|w| w == b"\r\n") {
                Some(p) => {
                    tracing::debug!(
                        "skipping an unparsed IMAP line: {:?}",
                        String::from_utf8_lossy(&rest[..p.min(200)])
                    );
                    rest = &rest[p + 2..];
                }
                None => break,
            },
        }
    }
}

/// The user-facing reason in a crate error.
pub fn reason(e: &imap::Error) -> String {
    match e {
        imap::Error::No(no) => no.information.clone(),
        imap::Error::Bad(bad) => bad.information.clone(),
        imap::Error::Bye(bye) => format!("server closed the connection: {}", bye.information),
        imap::Error::ConnectionLost => "the server closed the connection".into(),
        other => other.to_string(),
    }
}

fn flags_of(attrs: &[AttributeValue<'_>]) -> Option<Vec<String>> {
    attrs.iter().find_map(|a| match a {
        AttributeValue::Flags(f) => Some(
            f.iter()
                .map(|s| s.to_string())
                .filter(|s| s != "\\Recent")
                .collect(),
        ),
        _ => None,
    })
}

/// The UID of a FETCH response, if it carries one.
pub fn fetch_uid(attrs: &[AttributeValue<'_>]) -> Option<u32> {
    uid_of(attrs)
}

fn uid_of(attrs: &[AttributeValue<'_>]) -> Option<u32> {
    attrs.iter().find_map(|a| match a {
        AttributeValue::Uid(u) => Some(*u),
        _ => None,
    })
}

fn modseq_of(attrs: &[AttributeValue<'_>]) -> u64 {
    attrs
        .iter()
        .find_map(|a| match a {
            AttributeValue::ModSeq(m) => Some(*m),
            _ => None,
        })
        .unwrap_or(0)
}

/// A FETCH carrying UID and FLAGS, as a flag update.
pub fn flag_update(attrs: &[AttributeValue<'_>]) -> Option<FlagUpdate> {
    Some(FlagUpdate {
        uid: uid_of(attrs)?,
        modseq: modseq_of(attrs),
        flags: flags_of(attrs)?,
    })
}

/// A FETCH of `BODY.PEEK[]`, as (uid, bytes).
pub fn full_body(attrs: &[AttributeValue<'_>]) -> Option<(u32, Vec<u8>)> {
    let uid = uid_of(attrs)?;
    attrs.iter().find_map(|a| match a {
        AttributeValue::BodySection {
            section: None,
            data: Some(d),
            ..
        } => Some((uid, d.to_vec())),
        AttributeValue::Rfc822(Some(d)) => Some((uid, d.to_vec())),
        _ => None,
    })
}

/// A FETCH of the sync's metadata items, as a message; `None` for an unsolicited FETCH
/// that carries only flags.
#[cfg(test)]
pub fn message_meta(attrs: &[AttributeValue<'_>]) -> Option<MessageMeta> {
    message_unparsed(attrs).map(|(mut m, header)| {
        m.headers = crate::mime::parse_headers(&header);
        m
    })
}

/// Like `message_meta`, with the header block left raw (decoding it is the costly part, done
/// on another thread during a sync).
pub fn message_unparsed(attrs: &[AttributeValue<'_>]) -> Option<(MessageMeta, Vec<u8>)> {
    let uid = uid_of(attrs)?;
    let header = attrs.iter().find_map(|a| match a {
        AttributeValue::BodySection {
            section: Some(_),
            data,
            ..
        } => Some(data.as_deref().unwrap_or(b"")),
        AttributeValue::Rfc822Header(d) => Some(d.as_deref().unwrap_or(b"")),
        _ => None,
    })?;
    let internal_date = attrs
        .iter()
        .find_map(|a| match a {
            AttributeValue::InternalDate(d) => parse_internal_date(d),
            _ => None,
        })
        .unwrap_or(0);
    let size = attrs
        .iter()
        .find_map(|a| match a {
            AttributeValue::Rfc822Size(s) => Some(*s),
            _ => None,
        })
        .unwrap_or(0);
    Some((
        MessageMeta {
            uid,
            modseq: modseq_of(attrs),
            flags: flags_of(attrs).unwrap_or_default(),
            internal_date,
            size,
            headers: Default::default(),
        },
        header.to_vec(),
    ))
}

/// A FETCH of an activity message (`UID INTERNALDATE BODY.PEEK[]`), as an event; `None` for
/// mail in the folder that tanto did not write.
pub fn event(attrs: &[AttributeValue<'_>]) -> Option<(u32, i64, crate::activity::Event)> {
    let (uid, raw) = full_body(attrs)?;
    let at = attrs
        .iter()
        .find_map(|a| match a {
            AttributeValue::InternalDate(d) => parse_internal_date(d),
            _ => None,
        })
        .unwrap_or(0);
    event_of(&raw, at).map(|e| (uid, at, e))
}

/// The event a message of the activity folder records (`at`: its arrival, for a record
/// without a Date); None for mail tanto did not write.
pub fn event_of(raw: &[u8], at: i64) -> Option<crate::activity::Event> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 2)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|p| p + 1))
        .unwrap_or(raw.len());
    let header = &raw[..end];
    let text = crate::mime::render(raw).text;
    let date = crate::mime::parse_headers(header).date.unwrap_or(at);
    crate::activity::parse(header, &text, date)
}

/// The (entry, value) pairs of one `* METADATA mailbox (entry value ...)` response (RFC 5464
/// 4.4.1), removed (NIL) entries left out; nothing for any other response. imap-proto 0.16
/// cannot read a value sent as a literal, which is how Dovecot sends every value.
pub fn metadata_entries(bytes: &[u8]) -> Vec<(String, String)> {
    let mut r = Reader { b: bytes, at: 0 };
    let mut out = Vec::new();
    if !r.eat(b"* METADATA ") || r.string().is_none() || !r.eat(b" (") {
        return out;
    }
    while let Some(entry) = r.string() {
        if !r.eat(b" ") {
            break;
        }
        let value = if r.eat(b"NIL") { None } else { r.string() };
        if let Some(v) = value {
            out.push((entry, v));
        }
        if !r.eat(b" ") {
            break;
        }
    }
    out
}

/// A cursor over one response's bytes, for `metadata_entries`.
struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn eat(&mut self, s: &[u8]) -> bool {
        let found = self
            .b
            .get(self.at..)
            // Keywords (`METADATA`, `NIL`) in any case (RFC 3501 §9).
            .is_some_and(|rest| {
                rest.get(..s.len())
                    .is_some_and(|r| r.eq_ignore_ascii_case(s))
            });
        if found {
            self.at += s.len();
        }
        found
    }

    /// An atom, a quoted string or a literal, as text (None when there is none here).
    fn string(&mut self) -> Option<String> {
        let rest = self.b.get(self.at..)?;
        match rest.first()? {
            b'"' => {
                let mut out = Vec::new();
                let mut i = 1;
                loop {
                    match rest.get(i)? {
                        b'\\' => {
                            out.push(*rest.get(i + 1)?);
                            i += 2;
                        }
                        b'"' => break,
                        c => {
                            out.push(*c);
                            i += 1;
                        }
                    }
                }
                self.at += i + 1;
                Some(String::from_utf8_lossy(&out).into_owned())
            }
            b'{' => {
                let close = rest.iter().position(|c| *c == b'}')?;
                let n: usize = std::str::from_utf8(&rest[1..close])
                    .ok()?
                    .trim_end_matches('+')
                    .parse()
                    .ok()?;
                let start = close + 1 + rest.get(close + 1..)?.starts_with(b"\r\n").then_some(2)?;
                let text = rest.get(start..start.checked_add(n)?)?;
                self.at += start + n;
                Some(String::from_utf8_lossy(text).into_owned())
            }
            _ => {
                let n = rest
                    .iter()
                    .position(|c| matches!(c, b' ' | b')' | b'(' | b'\r' | b'\n'))
                    .unwrap_or(rest.len());
                (n > 0).then(|| {
                    self.at += n;
                    String::from_utf8_lossy(&rest[..n]).into_owned()
                })
            }
        }
    }
}

/// The subject a message is listed with when its FETCH response could not be read: the
/// marker that says so (and that a rebuild of the cache may bring it back).
pub const UNREADABLE_SUBJECT: &str = "[tanto: unreadable message, see the server]";

/// What can be read of a FETCH response imap-proto rejects, by a lenient scan of its bytes:
/// the message `uid` with its flags and INTERNALDATE if they are found, and a subject that
/// marks it, so that it is listed rather than dropped.
pub fn salvage(raw: &[u8], uid: u32) -> MessageMeta {
    let text = String::from_utf8_lossy(raw);
    let flags = text
        .find("FLAGS (")
        .and_then(|at| {
            let rest = &text[at + "FLAGS (".len()..];
            rest.find(')').map(|end| &rest[..end])
        })
        .map(|list| {
            list.split_whitespace()
                .filter(|f| *f != "\\Recent" && f.bytes().all(|b| b.is_ascii_graphic()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let internal_date = text
        .find("INTERNALDATE \"")
        .and_then(|at| {
            let rest = &text[at + "INTERNALDATE \"".len()..];
            rest.find('"')
                .and_then(|end| parse_internal_date(&rest[..end]))
        })
        .unwrap_or(0);
    let mut meta = MessageMeta {
        uid,
        modseq: 0,
        flags,
        internal_date,
        size: 0,
        headers: Default::default(),
    };
    meta.headers.subject = format!("{UNREADABLE_SUBJECT} (uid {uid})");
    meta
}

/// Parses an INTERNALDATE (`17-Jul-1996 02:44:25 -0700`) to Unix seconds.
pub fn parse_internal_date(s: &str) -> Option<i64> {
    use chrono::format::{parse, Item, Parsed, StrftimeItems};
    use std::sync::LazyLock;
    const FORMAT: &str = "%d-%b-%Y %H:%M:%S %z";
    // The format read once: `parse_from_str` reads it again for every date, a fifth of
    // reading a first sync's FETCH answers.
    static ITEMS: LazyLock<Option<Vec<Item<'static>>>> =
        LazyLock::new(|| StrftimeItems::new(FORMAT).parse_to_owned().ok());
    let date = match &*ITEMS {
        Some(items) => {
            let mut parsed = Parsed::new();
            parse(&mut parsed, s.trim(), items.iter()).and_then(|()| parsed.to_datetime())
        }
        None => chrono::DateTime::parse_from_str(s.trim(), FORMAT),
    };
    date.ok().map(|d| d.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The format read once gives what reading it for every date gave, odd dates included.
    #[test]
    fn internal_dates_read_as_chrono_reads_them() {
        let dates = [
            " 3-Feb-2025 10:00:00 +0900",
            "17-Jul-1996 02:44:25 -0700",
            "01-Jan-2000 00:00:00 +0000",
            "29-Feb-2024 23:59:59 -1200",
            "31-Feb-2024 10:00:00 +0000",
            "17-Jul-1996 02:44:25",
            "garbage",
            "",
        ];
        for d in dates {
            let want = chrono::DateTime::parse_from_str(d.trim(), "%d-%b-%Y %H:%M:%S %z")
                .ok()
                .map(|d| d.timestamp());
            assert_eq!(parse_internal_date(d), want, "{d:?}");
        }
        assert_eq!(
            parse_internal_date("17-Jul-1996 02:44:25 -0700"),
            Some(837_596_665)
        );
    }

    #[test]
    fn fetch_responses_become_messages_and_flag_updates() {
        let data = b"* 1 FETCH (UID 7 MODSEQ (42) FLAGS (\\Seen tanto-wip) INTERNALDATE \" 3-Feb-2025 10:00:00 +0900\" RFC822.SIZE 120 BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: Hello\r\n\r\n)\r\n* 2 FETCH (UID 8 FLAGS (\\Recent))\r\n* garbage line\r\n* 3 FETCH (UID 9 MODSEQ (50) FLAGS ())\r\n";
        let mut metas = Vec::new();
        let mut updates = Vec::new();
        for_each_response(data, |r| {
            if let Response::Fetch(_, attrs) = r {
                if let Some(m) = message_meta(&attrs) {
                    metas.push(m);
                } else if let Some(u) = flag_update(&attrs) {
                    updates.push(u);
                }
            }
        });
        assert_eq!(metas.len(), 1);
        let m = &metas[0];
        assert_eq!((m.uid, m.modseq, m.size), (7, 42, 120));
        assert_eq!(m.flags, vec!["\\Seen".to_string(), "tanto-wip".to_string()]);
        assert_eq!(m.headers.subject, "Hello");
        assert_eq!(m.internal_date, 1738544400);
        assert_eq!(updates.len(), 2);
        assert_eq!(updates[0].flags, Vec::<String>::new());
        assert_eq!(updates[1].modseq, 50);
    }

    /// A response imap-proto rejects (a keyword with a list wildcard in it, which some servers
    /// store as given): the message is kept with its UID, flags and date, and a marker.
    #[test]
    fn an_unreadable_fetch_response_is_salvaged_with_what_is_known() {
        let raw = b"* 4 FETCH (UID 42 FLAGS (\\Seen \\Recent odd%kw) INTERNALDATE \" 3-Feb-2025 10:00:00 +0900\" RFC822.SIZE 120 BODY[HEADER.FIELDS (SUBJECT)] {18}\r\nSubject: Hello\r\n\r\n)\r\n";
        assert!(imap_proto::parser::parse_response(raw).is_err());
        let m = salvage(raw, 42);
        assert_eq!(m.uid, 42);
        assert_eq!(m.flags, ["\\Seen", "odd%kw"]);
        assert_eq!(m.internal_date, 1738544400);
        assert!(m.headers.subject.starts_with(UNREADABLE_SUBJECT));
        assert!(m.headers.subject.contains("uid 42"));

        // Nothing readable at all: still the UID and the marker.
        let m = salvage(b"* 4 FETCH (\xff\xfe garbage\r\n", 7);
        assert_eq!((m.uid, m.internal_date), (7, 0));
        assert!(m.flags.is_empty());
        assert!(m.headers.subject.starts_with(UNREADABLE_SUBJECT));
    }
}

#[cfg(test)]
mod metadata_tests {
    use super::metadata_entries;

    #[test]
    fn metadata_values_read_as_literals_quoted_strings_and_nil() {
        let dovecot = b"* METADATA INBOX (/shared/vendor/tanto/presence/bob {31}\r\nviewing f6cd3fc0c75d 1796638239)\r\n";
        assert_eq!(
            metadata_entries(dovecot),
            vec![(
                "/shared/vendor/tanto/presence/bob".to_string(),
                "viewing f6cd3fc0c75d 1796638239".to_string()
            )]
        );
        let several = b"* METADATA \"INBOX\" (/shared/a \"x \\\"y\\\"\" /shared/b NIL /shared/c {2}\r\nzz)\r\n";
        assert_eq!(
            metadata_entries(several),
            vec![
                ("/shared/a".to_string(), "x \"y\"".to_string()),
                ("/shared/c".to_string(), "zz".to_string())
            ]
        );
        // Cut short, or a literal longer than what came: nothing past the break.
        assert_eq!(
            metadata_entries(b"* METADATA INBOX (/shared/a {99}\r\nshort)"),
            vec![]
        );
        assert_eq!(metadata_entries(b"* OK done"), vec![]);
    }
}
