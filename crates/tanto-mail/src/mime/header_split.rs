//! A header block cut into fields, exactly where mail-parser cuts it, without parsing the
//! values tanto reads itself: only Date and Content-Type values go through mail-parser.
//!
//! mail-parser's rules, kept here byte for byte (its `MessageStream::parse_headers`): white
//! space (and CR) before a field is skipped, and an LF there ends the block; a field name is
//! every non-white-space byte up to the first colon that follows one (a line with no such
//! colon is skipped); a value ends at the first LF not followed by a space or a tab. A known
//! name is recognised with the white space inside it removed (`Sub ject:` is a Subject), an
//! unknown one only as written. The one value parser that can read past that LF is the date
//! parser (a letter where the zone goes makes it take two more bytes, whatever they are):
//! Date values are cut by running it.

use std::ops::Range;

use mail_parser::parsers::MessageStream;
use mail_parser::HeaderValue;

/// The fields `header_info` reads; every other name is `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Name {
    Subject,
    From,
    To,
    Cc,
    ReplyTo,
    Date,
    ResentDate,
    MessageId,
    InReplyTo,
    References,
    ListId,
    AutoSubmitted,
    Precedence,
    XAutoreply,
    XFailedRecipients,
    XTantoAgent,
    ReturnPath,
    ContentType,
    Other,
}

/// mail-parser keeps at most this many bytes of a name to look it up.
const MAX_NAME_LEN: usize = 34;

/// Lower-case names and whether mail-parser knows them (then white space inside the name
/// does not matter); the test `known_names_are_the_ones_mail_parser_knows` keeps this true.
const NAMES: &[(&[u8], Name, bool)] = &[
    (b"subject", Name::Subject, true),
    (b"from", Name::From, true),
    (b"to", Name::To, true),
    (b"cc", Name::Cc, true),
    (b"reply-to", Name::ReplyTo, true),
    (b"date", Name::Date, true),
    (b"resent-date", Name::ResentDate, true),
    (b"message-id", Name::MessageId, true),
    (b"in-reply-to", Name::InReplyTo, true),
    (b"references", Name::References, true),
    (b"list-id", Name::ListId, true),
    (b"auto-submitted", Name::AutoSubmitted, true),
    (b"precedence", Name::Precedence, false),
    (b"x-autoreply", Name::XAutoreply, false),
    (b"x-failed-recipients", Name::XFailedRecipients, false),
    (b"x-tanto-agent", Name::XTantoAgent, false),
    (b"return-path", Name::ReturnPath, true),
    (b"content-type", Name::ContentType, true),
];

/// One header field: its name, its raw value (from after the colon to after the LF that ends
/// it, folding included) and, for Date and Content-Type, mail-parser's reading of it.
pub(super) struct Field<'a> {
    pub(super) name: Name,
    pub(super) value: Range<usize>,
    pub(super) parsed: Option<HeaderValue<'a>>,
}

/// The fields of the header block at the start of `data`, in order.
pub(super) fn split_fields(data: &[u8]) -> Vec<Field<'_>> {
    let mut fields = Vec::with_capacity(20);
    let mut pos = 0;
    loop {
        // Before a field: white space is skipped, an LF ends the header block.
        loop {
            match data.get(pos) {
                None | Some(b'\n') => return fields,
                Some(b) if b.is_ascii_whitespace() => pos += 1,
                Some(_) => break,
            }
        }
        let Some((name, start)) = field_name(data, &mut pos) else {
            continue;
        };
        let (end, parsed) = match name {
            Name::Date | Name::ResentDate => {
                let (value, len) = parse_with(&data[start..], MessageStream::parse_date);
                (start + len, Some(value))
            }
            Name::ContentType => {
                let (value, len) = parse_with(&data[start..], MessageStream::parse_content_type);
                (start + len, Some(value))
            }
            _ => (value_end(data, start), None),
        };
        fields.push(Field {
            name,
            value: start..end,
            parsed,
        });
        pos = end;
    }
}

fn parse_with<'a>(
    value: &'a [u8],
    parse: fn(&mut MessageStream<'a>) -> HeaderValue<'a>,
) -> (HeaderValue<'a>, usize) {
    let mut stream = MessageStream::new(value);
    let parsed = parse(&mut stream);
    (parsed, stream.offset())
}

/// Reads a field name from `*pos` (on a byte that is not white space): the name and where
/// its value starts, or `None` for a line with no colon after a name (then `*pos` is past
/// that line).
fn field_name(data: &[u8], pos: &mut usize) -> Option<(Name, usize)> {
    let mut lower = [0u8; MAX_NAME_LEN];
    let mut len = 0;
    let mut first = None;
    let mut last = 0;
    while let Some(&b) = data.get(*pos) {
        *pos += 1;
        match b {
            // A colon before any name byte is not the end of the name.
            b':' if first.is_some() => break,
            b':' => {}
            b'\n' => return None,
            b if b.is_ascii_whitespace() => {}
            b => {
                first.get_or_insert(*pos - 1);
                last = *pos - 1;
                if let Some(slot) = lower.get_mut(len) {
                    *slot = b.to_ascii_lowercase();
                }
                len += 1;
            }
        }
    }
    let first = first?;
    let name = if len > MAX_NAME_LEN {
        Name::Other
    } else {
        let written_as_is = last + 1 - first == len;
        NAMES
            .iter()
            .find(|(n, _, known)| *n == &lower[..len] && (*known || written_as_is))
            .map_or(Name::Other, |(_, name, _)| *name)
    };
    Some((name, *pos))
}

/// Where a value starting at `start` ends: just past the first LF not followed by a space
/// or a tab, or at the end of the data.
fn value_end(data: &[u8], start: usize) -> usize {
    let mut i = start;
    while let Some(lf) = data[i..].iter().position(|&b| b == b'\n') {
        let after = i + lf + 1;
        if !matches!(data.get(after), Some(b' ' | b'\t')) {
            return after;
        }
        i = after + 1;
    }
    data.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use mail_parser::HeaderName;

    #[test]
    fn known_names_are_the_ones_mail_parser_knows() {
        for (name, _, known) in NAMES {
            let name = std::str::from_utf8(name).expect("ASCII name");
            let parsed = HeaderName::parse(name).expect("a valid name");
            assert_eq!(!matches!(parsed, HeaderName::Other(_)), *known, "{name}");
        }
    }

    #[test]
    fn fields_are_cut_as_mail_parser_cuts_them() {
        let data = b"  Sub ject : a\r\n b\r\nno colon here\r\n:X-Autoreply: y\r\n\
X-Auto reply: n\r\nDate: 1 Jan 2024 10:00:00 UT\nTo: c\r\n\r\nFrom: body\r\n";
        let got: Vec<(Name, &str)> = split_fields(data)
            .iter()
            .map(|f| {
                let value = std::str::from_utf8(&data[f.value.clone()]).expect("UTF-8");
                (f.name, value)
            })
            .collect();
        assert_eq!(
            got,
            [
                (Name::Subject, " a\r\n b\r\n"),
                (Name::XAutoreply, " y\r\n"),
                (Name::Other, " n\r\n"),
                // The zone `UT` makes the date parser read on into the next field.
                (Name::Date, " 1 Jan 2024 10:00:00 UT\nTo: c\r\n"),
            ]
        );
    }
}
