//! Header fields: the header block read into tanto's `Headers`, with addresses, message ids and
//! the return path parsed leniently.

use std::borrow::Cow;

use mail_parser::parsers::MessageStream;
use mail_parser::HeaderValue;

use super::charset::{decode_bytes, decode_header_raw};
use super::encoded_word::{decode_header_value, pieces, prepare_address_field, Piece};
use super::header_split::{split_fields, Name};
use super::repair::repair_header_block;
use crate::sanitize;
use tanto_core::model::{Address, Headers};

/// Headers plus what `render` shows of a nested message that `Headers` does not keep.
#[derive(Default)]
pub(super) struct HeaderInfo {
    pub(super) headers: Headers,
    pub(super) date_raw: Option<String>,
}

/// The header information of a nested (message/rfc822) message, from its own header block.
pub(super) fn nested_header_info(nested: &mail_parser::Message<'_>) -> HeaderInfo {
    let header_bytes = nested
        .parts
        .first()
        .and_then(|r| {
            nested
                .raw_message
                .get(r.offset_header as usize..r.offset_body as usize)
        })
        .unwrap_or_default();
    header_info(header_bytes)
}

pub(super) fn header_info(raw: &[u8]) -> HeaderInfo {
    let fixed = fix_bare_cr(raw);
    let data = repair_header_block(&fixed);
    let mut info = HeaderInfo::default();
    // Date and Content-Type values go through mail-parser: a panic there is no field at all.
    let Ok(fields) = std::panic::catch_unwind(|| split_fields(&data)) else {
        return info;
    };
    // The last Content-Type field counts, as in mail-parser, even when it does not parse.
    let content_type = fields
        .iter()
        .rev()
        .find(|f| f.name == Name::ContentType)
        .and_then(|f| f.parsed.as_ref())
        .and_then(HeaderValue::as_content_type);
    let hint = content_type.and_then(|ct| ct.attribute("charset"));
    let h = &mut info.headers;
    let mut subject: Option<String> = None;
    for field in &fields {
        let raw_value = data.get(field.value.clone()).unwrap_or_default();
        match field.name {
            // Two Subject fields: the first wins, as in most mail readers.
            Name::Subject if subject.is_none() => {
                subject = Some(sanitize::single_line(&decode_header_value(raw_value, hint)));
            }
            Name::From => h.from.extend(parse_addresses(raw_value, hint)),
            Name::To => h.to.extend(parse_addresses(raw_value, hint)),
            Name::Cc => h.cc.extend(parse_addresses(raw_value, hint)),
            Name::ReplyTo => h.reply_to.extend(parse_addresses(raw_value, hint)),
            Name::Date => {
                if h.date.is_none() {
                    h.date = field
                        .parsed
                        .as_ref()
                        .and_then(HeaderValue::as_datetime)
                        .filter(|d| d.is_valid())
                        .map(|d| d.to_timestamp());
                }
                if info.date_raw.is_none() {
                    info.date_raw = raw_text(raw_value, hint);
                }
            }
            Name::MessageId if h.message_id.is_none() => {
                h.message_id = parse_ids(raw_value).into_iter().next();
            }
            Name::InReplyTo => h.in_reply_to.extend(parse_ids(raw_value)),
            Name::References => h.references.extend(parse_ids(raw_value)),
            Name::ListId => set_once(&mut h.list_id, raw_text(raw_value, hint)),
            Name::AutoSubmitted => set_once(&mut h.auto_submitted, raw_text(raw_value, hint)),
            Name::Precedence => set_once(&mut h.precedence, raw_text(raw_value, hint)),
            Name::XAutoreply => set_once(&mut h.x_autoreply, raw_text(raw_value, hint)),
            Name::XFailedRecipients => {
                set_once(&mut h.x_failed_recipients, raw_text(raw_value, hint))
            }
            Name::XTantoAgent => set_once(&mut h.x_tanto_agent, raw_text(raw_value, hint)),
            Name::ReturnPath => set_once(&mut h.return_path, parse_return_path(raw_value)),
            _ => {}
        }
    }
    h.subject = subject.unwrap_or_default();
    dedup_keep_first(&mut h.in_reply_to);
    dedup_keep_first(&mut h.references);
    h.content_type = content_type.map(|ct| {
        let kind = match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_owned(),
        };
        sanitize::single_line(&kind).to_ascii_lowercase()
    });
    info
}

pub(super) fn set_once(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// A header value as sent, unfolded, trimmed and safe; `None` when empty.
pub(super) fn raw_text(raw: &[u8], hint: Option<&str>) -> Option<String> {
    let text = sanitize::single_line(&decode_header_raw(raw, hint));
    (!text.is_empty()).then_some(text)
}

/// Classic Mac mail ends lines with a bare CR, which mail-parser does not see as line ends:
/// when the first line break is a bare CR, every bare CR becomes CRLF.
pub(super) fn fix_bare_cr(raw: &[u8]) -> Cow<'_, [u8]> {
    let first_break = raw.iter().position(|&b| b == b'\r' || b == b'\n');
    let bare_cr_first =
        first_break.is_some_and(|i| raw[i] == b'\r' && raw.get(i + 1) != Some(&b'\n'));
    if !bare_cr_first {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    for (i, &b) in raw.iter().enumerate() {
        out.push(b);
        if b == b'\r' && raw.get(i + 1) != Some(&b'\n') {
            out.push(b'\n');
        }
    }
    Cow::Owned(out)
}

/// Removes the line breaks of folding (and any other CR or LF) from a header value. Most
/// values are one line: those are borrowed as they are, the others copied a line at a time
/// (a first sync unfolds a few values of every message).
pub(super) fn unfold(raw: &[u8]) -> Cow<'_, [u8]> {
    let is_break = |b: &u8| *b == b'\r' || *b == b'\n';
    if !raw.iter().any(is_break) {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    for line in raw.split(is_break) {
        out.extend_from_slice(line);
    }
    Cow::Owned(out)
}

/// Message ids without angle brackets, in order. Lenient: ids inside comments are skipped,
/// junk between ids is ignored, and ids without brackets are taken when there are no others.
pub(super) fn parse_ids(raw: &[u8]) -> Vec<String> {
    let text = decode_bytes(&unfold(raw), None, None);
    let mut ids = bracketed(&text, true);
    if ids.is_empty() {
        ids = bracketed(&text, false);
    }
    if ids.is_empty() {
        let tokens: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|t| !t.is_empty())
            .collect();
        let with_at: Vec<&str> = tokens.iter().copied().filter(|t| t.contains('@')).collect();
        let chosen = if with_at.is_empty() && tokens.len() == 1 {
            tokens
        } else {
            with_at
        };
        ids = chosen.into_iter().filter_map(clean_id).collect();
    }
    ids
}

/// The contents of each `<...>`; with `skip_comments`, those inside `( )` are ignored.
fn bracketed(text: &str, skip_comments: bool) -> Vec<String> {
    let mut ids = Vec::new();
    let mut depth = 0usize;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '(' if skip_comments => depth += 1,
            ')' if skip_comments => depth = depth.saturating_sub(1),
            '<' if depth == 0 => {
                let Some(end) = rest.find('>') else { break };
                if let Some(id) = clean_id(&rest[..end]) {
                    ids.push(id);
                }
                rest = &rest[end + 1..];
            }
            _ => {}
        }
    }
    ids
}

fn clean_id(id: &str) -> Option<String> {
    let id = id.trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace());
    // Printable ASCII with no comment in it is already clean.
    let plain = |b: u8| b.is_ascii_graphic() && b != b'(' && b != b')';
    if crate::fast_path::enabled() && id.bytes().all(plain) {
        return (!id.is_empty()).then(|| id.to_owned());
    }
    let mut out = String::with_capacity(id.len());
    let mut depth = 0usize;
    let mut rest = id;
    while let Some(c) = rest.chars().next() {
        // A quoted local part (`"a b"@x`, obsolete but sent) is part of the id as written,
        // spaces and parentheses included: without them the reply's In-Reply-To would name
        // another message.
        if c == '"' && depth == 0 {
            if let Some(len) = quoted_len(rest) {
                out.extend(
                    rest[..len]
                        .chars()
                        .filter(|&q| q == ' ' || !(q.is_whitespace() || q.is_control())),
                );
                rest = &rest[len..];
                continue;
            }
        }
        rest = &rest[c.len_utf8()..];
        // Comments inside an id (obsolete syntax) are not part of it.
        match c {
            '(' => depth += 1,
            ')' if depth > 0 => {
                depth -= 1;
                continue;
            }
            _ => {}
        }
        if depth == 0 && !c.is_whitespace() && !c.is_control() {
            out.push(c);
        }
    }
    // Not `single_line`: the spaces of a quoted local part are kept as they are.
    let id = sanitize::for_display(&out);
    (!id.is_empty()).then_some(id)
}

/// The length of the quoted string `s` starts with (quotes included), `None` when it is not
/// closed.
fn quoted_len(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 1),
            _ => {}
        }
    }
    None
}

pub(super) fn dedup_keep_first(ids: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
}

/// The reverse path without brackets; the null path `<>` (bounces) is `Some("")`.
pub(super) fn parse_return_path(raw: &[u8]) -> Option<String> {
    let text = sanitize::single_line(&decode_bytes(&unfold(raw), None, None));
    if text.is_empty() {
        return None;
    }
    let inner = match (text.find('<'), text.rfind('>')) {
        (Some(start), Some(end)) if start < end => &text[start + 1..end],
        _ => text.as_str(),
    };
    Some(inner.trim().to_owned())
}

pub(super) fn parse_addresses(raw: &[u8], hint: Option<&str>) -> Vec<Address> {
    if crate::fast_path::enabled() {
        if let Some(addresses) = plain_addresses(raw) {
            return addresses;
        }
    }
    let prepared = prepare_address_field(raw, hint);
    if let Some(addresses) = unbracketed_addresses(&prepared) {
        return addresses;
    }
    let value = MessageStream::new(&prepared).parse_address();
    let mut out = Vec::new();
    let mut push = |addr: &mail_parser::Addr<'_>| {
        let name = addr.name.as_deref().map(|n| {
            // mail-parser leaves encoded-words inside quoted strings alone; senders use them.
            if n.contains("=?") {
                sanitize::single_line(&decode_header_value(n.as_bytes(), None))
            } else {
                sanitize::single_line(n)
            }
        });
        let name = name.filter(|n| !n.is_empty());
        let email = addr.address.as_deref().map(clean_email).unwrap_or_default();
        // `To: postmaster` is a local address that mail-parser reads as a name.
        let (name, email) = match (name, email.is_empty()) {
            (Some(n), true) if !n.contains(char::is_whitespace) => (None, clean_email(&n)),
            (name, _) => (name, email),
        };
        if !email.is_empty() || name.is_some() {
            out.push(Address { name, email });
        }
    };
    match &value {
        HeaderValue::Address(mail_parser::Address::List(list)) => list.iter().for_each(&mut push),
        HeaderValue::Address(mail_parser::Address::Group(groups)) => {
            groups
                .iter()
                .flat_map(|g| g.addresses.iter())
                .for_each(&mut push);
        }
        _ => {}
    }
    out
}

/// The common shapes, read without mail-parser: a list of `address`, `Name <address>`,
/// `"Name" <address>` or `=?charset?B?...?= <address>` with nothing unusual in them (no
/// comments, groups, escapes or folding); `None` for anything else.
fn plain_addresses(raw: &[u8]) -> Option<Vec<Address>> {
    let text = std::str::from_utf8(raw).ok()?;
    let text = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'));
    if text.is_empty() || has_control_or_backslash(text) {
        return None;
    }
    // Commas inside quotes belong to a name: only an unquoted list is split.
    if text.contains('"') && text.contains(',') {
        return None;
    }
    text.split(',').map(plain_address).collect()
}

/// A control character (C0, DEL, C1) or a backslash, found byte by byte.
fn has_control_or_backslash(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len()).any(|i| match b[i] {
        0..=0x1f | 0x7f | b'\\' => true,
        0xc2 => matches!(b.get(i + 1), Some(0x80..=0x9f)),
        _ => false,
    })
}

fn plain_address(text: &str) -> Option<Address> {
    let text = text.trim_matches(|c| c == ' ' || c == '\t');
    let Some(open) = text.find('<') else {
        return plain_email(text).map(|email| Address { name: None, email });
    };
    let email = plain_email(text[open + 1..].strip_suffix('>')?)?;
    let name = text[..open].trim_end_matches([' ', '\t']);
    let name = if let Some(quoted) = name.strip_prefix('"') {
        let inner = quoted.strip_suffix('"')?;
        if inner.contains(['"', '\t']) || inner.contains("=?") {
            return None;
        }
        inner.to_owned()
    } else if name.starts_with("=?") {
        let mut pieces = pieces(name.as_bytes()).into_iter();
        let (Some(Piece::Words { charset, bytes }), None) = (pieces.next(), pieces.next()) else {
            return None;
        };
        let decoded = decode_bytes(&bytes, Some(&charset), None);
        if decoded.is_empty() || decoded.contains("=?") {
            return None;
        }
        decoded
    } else if name.contains([
        '"', '(', ')', ',', ':', ';', '<', '>', '@', '[', ']', '=', '\t',
    ]) {
        return None;
    } else {
        name.to_owned()
    };
    let name = sanitize::single_line(&name);
    Some(Address {
        name: (!name.is_empty()).then_some(name),
        email,
    })
}

/// `local@domain` in printable ASCII with nothing special in it, cleaned as `clean_email`
/// cleans it (the domain lower-cased).
fn plain_email(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut at = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'@' if at.is_none() => at = Some(i),
            b'@' | b'"' | b'(' | b')' | b',' | b':' | b';' | b'<' | b'>' | b'[' | b']' | b'\\'
            | b'=' | b'?' => return None,
            b if !b.is_ascii_graphic() => return None,
            _ => {}
        }
    }
    let at = at.filter(|&at| at > 0 && at + 1 < bytes.len())?;
    let mut email = text.to_owned();
    email[at + 1..].make_ascii_lowercase();
    Some(email)
}

/// `Name Surname name@example.com` or `a@example.com b@example.com`, with no brackets or
/// commas (old and broken mailers): mail-parser glues the words into one address, which would
/// then identify nobody.
fn unbracketed_addresses(prepared: &[u8]) -> Option<Vec<Address>> {
    let text = std::str::from_utf8(prepared).ok()?;
    if text.contains(['<', '"', '(', ',', ';', ':', '=']) {
        return None;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let (last, rest) = words.split_last()?;
    if rest.is_empty() || !last.contains('@') {
        return None;
    }
    if words.iter().all(|w| w.contains('@')) {
        let all = words.iter().map(|w| Address {
            name: None,
            email: clean_email(w),
        });
        return Some(all.collect());
    }
    if rest.iter().any(|w| w.contains('@')) {
        return None;
    }
    let name = sanitize::single_line(&rest.join(" "));
    Some(vec![Address {
        name: (!name.is_empty()).then_some(name),
        email: clean_email(last),
    }])
}

/// The address trimmed and safe, its domain (after the last `@`) lower-cased: how the cache
/// keeps a customer's address, so a typed address is looked up the same way.
pub fn clean_email(email: &str) -> String {
    let email: String = sanitize::single_line(email)
        .trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    // An obsolete source route (`@relay.example:user@example.com`) is not part of the address.
    let email = match (email.starts_with('@'), email.rfind(':')) {
        (true, Some(colon)) => email[colon + 1..].to_owned(),
        _ => email,
    };
    match email.rfind('@') {
        Some(at) => format!("{}@{}", &email[..at], email[at + 1..].to_lowercase()),
        None => email,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::parse_headers;
    use crate::mime::render::render_message_bytes;
    use crate::mime::test_support::{assert_headers_safe, assert_rendered_safe, corpus};

    #[test]
    fn header_block_alone_gives_every_field() {
        let raw = b"Subject: =?ISO-2022-JP?B?GyRCJDRDbUo4JE4zTkcnGyhC?=\r\n\
From: \"Yamada, Taro\" <Taro@Example.CO.JP>\r\n\
To: support@example.com, Group: a@example.com, b@example.com;\r\n\
Cc: undisclosed-recipients:;\r\n\
Reply-To: reply@example.com\r\n\
Date: Tue, 1 Apr 2025 10:00:00 +0900\r\n\
Message-ID: <abc@example.jp>\r\n\
In-Reply-To: <prev@example.jp> (Taro's message of \"Mon, 31 Mar\" <not-an-id@x>)\r\n\
References: <one@x> junk <two@x>\r\n\
\t<three@x>,<four@x>\r\n\
List-Id: Support <support.example.com>\r\n\
Auto-Submitted: auto-replied\r\n\
Precedence: bulk\r\n\
X-Autoreply: yes\r\n\
Content-Type: Multipart/Report; report-type=delivery-status; boundary=x\r\n\
Return-Path: <>\r\n\
X-Failed-Recipients: gone@example.com\r\n\
\r\n";
        let h = parse_headers(raw);
        assert_eq!(h.subject, "ご注文の確認");
        assert_eq!(
            h.from,
            [Address {
                name: Some("Yamada, Taro".into()),
                email: "Taro@example.co.jp".into()
            }]
        );
        let to: Vec<&str> = h.to.iter().map(|a| a.email.as_str()).collect();
        assert_eq!(
            to,
            ["support@example.com", "a@example.com", "b@example.com"]
        );
        assert!(h.cc.is_empty());
        assert_eq!(h.reply_to[0].email, "reply@example.com");
        assert_eq!(h.date, Some(1_743_469_200));
        assert_eq!(h.message_id.as_deref(), Some("abc@example.jp"));
        assert_eq!(h.in_reply_to, ["prev@example.jp"]);
        assert_eq!(h.references, ["one@x", "two@x", "three@x", "four@x"]);
        assert_eq!(h.list_id.as_deref(), Some("Support <support.example.com>"));
        assert_eq!(h.auto_submitted.as_deref(), Some("auto-replied"));
        assert_eq!(h.precedence.as_deref(), Some("bulk"));
        assert_eq!(h.x_autoreply.as_deref(), Some("yes"));
        assert_eq!(h.content_type.as_deref(), Some("multipart/report"));
        assert_eq!(h.return_path.as_deref(), Some(""));
        assert_eq!(h.x_failed_recipients.as_deref(), Some("gone@example.com"));
    }

    #[test]
    fn unfolding_drops_every_cr_and_lf_and_nothing_else() {
        let mut seed = 0x9e37_79b9_u32;
        for len in 0..200 {
            let raw: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    [b'\r', b'\n', b' ', b'\t', b'a', 0xe3, 0][seed as usize % 7]
                })
                .collect();
            let want: Vec<u8> = raw
                .iter()
                .copied()
                .filter(|&b| b != b'\r' && b != b'\n')
                .collect();
            assert_eq!(*unfold(&raw), *want, "{raw:?}");
        }
    }

    #[test]
    fn message_ids_are_read_leniently() {
        let cases: &[(&str, &[&str])] = &[
            ("<a@b>", &["a@b"]),
            ("  <a@b>  <c@d>", &["a@b", "c@d"]),
            ("a@b", &["a@b"]),
            ("a@b c@d", &["a@b", "c@d"]),
            ("<a@b>,<c@d>", &["a@b", "c@d"]),
            ("junk <a@b> more junk <c@d> trailing", &["a@b", "c@d"]),
            ("<a@b> (Joe's message of \"Mon\" <x@y>)", &["a@b"]),
            (
                "<1234   @   local(blah)  .machine .example>",
                &["1234@local.machine.example"],
            ),
            ("<<a@b>>", &["a@b"]),
            ("<>", &[]),
            ("", &[]),
            ("12345", &["12345"]),
            ("<a@b", &["a@b"]),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_ids(raw.as_bytes()), *want, "{raw:?}");
        }
    }

    #[test]
    fn a_message_id_with_a_quoted_local_part_keeps_its_quotes() {
        let cases: &[(&str, &[&str])] = &[
            (r#"<"a b"@x>"#, &[r#""a b"@x"#]),
            (r#"<"a  b"@x> <c@d>"#, &[r#""a  b"@x"#, "c@d"]),
            (r#"<"a(b)"@x>"#, &[r#""a(b)"@x"#]),
            (r#"<"a\" b"@x>"#, &[r#""a\" b"@x"#]),
            (r#"<"a b" (comment) @x>"#, &[r#""a b"@x"#]),
            (r#"<"ab"@x>"#, &[r#""ab"@x"#]),
            // An unclosed quote is not a quoted string: read as before.
            (r#"<a"b c@x>"#, &[r#"a"bc@x"#]),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_ids(raw.as_bytes()), *want, "{raw:?}");
            let general = crate::fast_path::without(|| parse_ids(raw.as_bytes()));
            assert_eq!(general, *want, "{raw:?} without the shortcut");
        }
        let h =
            parse_headers(b"Message-ID: <\"a b\"@x>\r\nReferences: <r@x>\r\n <\"c d\"@x>\r\n\r\n");
        assert_eq!(h.message_id.as_deref(), Some(r#""a b"@x"#));
        assert_eq!(h.references, ["r@x", r#""c d"@x"#]);
    }

    #[test]
    fn first_of_two_subjects_wins() {
        let h = parse_headers(&corpus(
            "structure/mikel__mime_emails__raw_email_with_binary_encoded.eml",
        ));
        assert_eq!(h.subject, "Testing outlook");
    }

    #[test]
    fn unbracketed_addresses_are_split_from_names() {
        let h = parse_headers(&corpus("charsets/sa__mime-subject.eml"));
        assert_eq!(
            h.from,
            [Address {
                name: Some("Stefanie Schwabe".into()),
                email: "stefanie.schwabe@wanadoo.fr".into()
            }]
        );
        let h = parse_headers(&corpus(
            "plain/mikel__plain_emails__raw_email_multiple_from.eml",
        ));
        let from: Vec<&str> = h.from.iter().map(|a| a.email.as_str()).collect();
        assert_eq!(from, ["tim@powerupdev.com", "concierge@powerupdev.com"]);
    }

    #[test]
    fn parse_headers_never_panics_on_junk() {
        let mut inputs: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"\n".to_vec(),
            b"\r\n\r\n".to_vec(),
            b":".to_vec(),
            b"Subject".to_vec(),
            b"Subject:".to_vec(),
            b"Subject: =?".to_vec(),
            b"Subject: =?utf-8?".to_vec(),
            b"Subject: =?utf-8?B?".to_vec(),
            b"Subject: =?utf-8?X?abc?=".to_vec(),
            b"Subject: =??B?YQ==?=".to_vec(),
            b"From: <\r\nTo: \"\r\nCc: (((\r\nReferences: <<<>\r\n".to_vec(),
            b"Date: Mon, 99 Foo 99999 99:99:99 +9999\r\n".to_vec(),
            vec![0xff; 1000],
            (0u8..=255).collect(),
        ];
        // A deterministic pseudo-random byte soup, with header-like bits mixed in.
        let mut seed = 0x2545_f491_u32;
        for _ in 0..200 {
            let mut v = Vec::new();
            for _ in 0..300 {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                match seed % 11 {
                    0 => v.extend_from_slice(b"\r\nSubject: =?iso-2022-jp?B?GyRC"),
                    1 => v.extend_from_slice(b"?= =?utf-8?q?=E3=81"),
                    2 => v.extend_from_slice(b"\r\nFrom: \"<a@b>"),
                    3 => v.extend_from_slice(b"\x1b$B"),
                    _ => v.push(seed as u8),
                }
            }
            inputs.push(v);
        }
        for input in &inputs {
            assert_headers_safe("junk", &header_info(input).headers);
            assert_rendered_safe("junk", &render_message_bytes(input));
        }
    }

    #[test]
    fn return_path_keeps_the_null_sender() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Return-Path: <>\r\n\r\n", Some("")),
            (
                "Return-Path: <bounce@Example.com>\r\n\r\n",
                Some("bounce@Example.com"),
            ),
            (
                "Return-Path: bare@example.com\r\n\r\n",
                Some("bare@example.com"),
            ),
            ("Subject: x\r\n\r\n", None),
        ];
        for (raw, want) in cases {
            assert_eq!(
                parse_headers(raw.as_bytes()).return_path.as_deref(),
                *want,
                "{raw:?}"
            );
        }
    }
}
