//! Damage that mail-parser reads as "no body": repaired on the bytes before it parses them.
//!
//! Some export tools save a line of spaces before the first header field; some senders put no
//! blank line between the header block and the body; some multiparts lose their boundary
//! parameter. Each repair changes only what is damaged, so a
//! well-formed message reaches mail-parser byte for byte.

use std::borrow::Cow;

/// Boundaries longer than this are not boundaries (RFC 2046 allows 70 characters).
const MAX_BOUNDARY_LEN: usize = 200;

/// The message with blank-looking lines before its first header field removed, and an empty
/// line inserted where the body starts with none.
pub(super) fn repair_header_block(raw: &[u8]) -> Cow<'_, [u8]> {
    if crate::fast_path::enabled() && is_undamaged(raw) {
        return Cow::Borrowed(raw);
    }
    let lines: Vec<&[u8]> = raw.split_inclusive(|&b| b == b'\n').collect();
    let leading = lines.iter().take_while(|l| is_blank(l)).count();
    // Blank lines first mean "no header" by the RFC: only skipped when a header block follows.
    let skip = if leading > 0
        && lines.get(leading).is_some_and(|l| is_field(l))
        && lines
            .get(leading + 1)
            .is_some_and(|l| is_field(l) || is_continuation(l))
    {
        leading
    } else {
        0
    };
    let start: usize = lines[..skip].iter().map(|l| l.len()).sum();

    // The first line of a body that follows the header block with no empty line between: a
    // line with no colon at all, which mail-parser would otherwise read (with every line after
    // it up to a colon) as a field name. Any line with a colon is left as a field, as
    // mail-parser reads it (real mail has field names with spaces in them), and so is a line
    // of spaces (a folded field whose value starts on the next line).
    let mut body_at = None;
    let mut seen_field = false;
    for (i, line) in lines.iter().enumerate().skip(skip) {
        let content = line_content(line);
        if content.is_empty() {
            break;
        }
        if matches!(content[0], b' ' | b'\t') || (i == skip && line.starts_with(b"From ")) {
            // A folded field, or an mbox "From " line that mail-parser skips itself.
        } else if content.contains(&b':') {
            seen_field = true;
        } else {
            // A stray line with fields after it (RFC 2822's own obsolete-syntax example has
            // one) is junk inside the header, not the start of the body.
            let fields_follow = lines[i + 1..]
                .iter()
                .take_while(|l| !line_content(l).is_empty())
                .any(|l| is_field(l));
            if seen_field && !fields_follow {
                body_at = Some(i);
            }
            break;
        }
    }

    if skip == 0 && body_at.is_none() {
        return Cow::Borrowed(raw);
    }
    let Some(at) = body_at else {
        return Cow::Owned(raw[start..].to_vec());
    };
    let eol: &[u8] = if lines[at - 1].ends_with(b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    };
    let split: usize = lines[..at].iter().map(|l| l.len()).sum();
    let mut out = Vec::with_capacity(raw.len() + 2);
    out.extend_from_slice(&raw[start..split]);
    out.extend_from_slice(eol);
    out.extend_from_slice(&raw[split..]);
    Cow::Owned(out)
}

/// A header block the repairs below leave alone, seen without collecting its lines: it
/// starts with a field, and up to its empty line every line is a field or a continuation.
fn is_undamaged(raw: &[u8]) -> bool {
    let mut lines = raw.split_inclusive(|&b| b == b'\n');
    let Some(first) = lines.next() else {
        return true;
    };
    if is_blank(first) {
        return false;
    }
    let first_content = line_content(first);
    if !first_content.contains(&b':') && !first.starts_with(b"From ") {
        return false;
    }
    for line in lines {
        let content = line_content(line);
        if content.is_empty() {
            return true;
        }
        if !matches!(content[0], b' ' | b'\t') && !content.contains(&b':') {
            return false;
        }
    }
    true
}

/// The boundary a multipart body actually uses, read from its first delimiter line, for a
/// multipart whose Content-Type lost (or cut off) its boundary parameter.
pub(super) fn sniff_boundary(body: &[u8]) -> Option<&[u8]> {
    let mut lines = body.split_inclusive(|&b| b == b'\n');
    let delimiter = lines.find(|l| l.starts_with(b"--"))?;
    let token = trim_end_ws(&line_content(delimiter)[2..]);
    let token = token.strip_suffix(b"--").unwrap_or(token);
    let usable = !token.is_empty()
        && token.len() <= MAX_BOUNDARY_LEN
        && token.iter().all(|&b| b.is_ascii_graphic() || b == b' ')
        && !token.contains(&b'"')
        && !token.contains(&b'\\');
    // A delimiter is followed by a part's header (or an empty one), not by prose.
    let next = lines.next();
    let starts_part = next.is_none_or(|l| line_content(l).is_empty() || is_field(l));
    (usable && starts_part).then_some(token)
}

fn line_content(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn trim_end_ws(bytes: &[u8]) -> &[u8] {
    let end = bytes
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |p| p + 1);
    &bytes[..end]
}

/// A line with nothing but spaces and tabs (and at least one of them, or nothing at all).
fn is_blank(line: &[u8]) -> bool {
    line_content(line).iter().all(|&b| b == b' ' || b == b'\t')
}

fn is_continuation(line: &[u8]) -> bool {
    matches!(line.first(), Some(b' ' | b'\t')) && !is_blank(line)
}

/// `name:` or the obsolete `name :`, with a name of printable ASCII other than the colon.
fn is_field(line: &[u8]) -> bool {
    let name_len = line
        .iter()
        .take_while(|&&b| b.is_ascii_graphic() && b != b':')
        .count();
    let after = line[name_len..]
        .iter()
        .find(|&&b| b != b' ' && b != b'\t')
        .copied();
    name_len > 0 && after == Some(b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_formed_headers_are_left_alone() {
        for raw in [
            &b"From: a@example.com\r\nSubject: x\r\n  folded\r\n\r\nbody: not a header\r\n"[..],
            b"From sender@example.com Mon Jan  1 00:00:00 2024\nSubject: x\n\nbody\n",
            b"X-Odd name: v\r\nTo: a@example.com,\r\n \r\n\tb@example.com\r\n\r\nbody\r\n",
            b"To: a@example.com\r\n__\r\nSubject : x\r\n\r\nbody\r\n",
            b"just text, no header at all\r\n",
            b"\r\nFrom: an empty header block, then this body\r\n",
            b"",
        ] {
            assert!(
                matches!(repair_header_block(raw), Cow::Borrowed(_)),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn damaged_header_blocks_are_repaired() {
        let cases: [(&[u8], &[u8]); 3] = [
            (
                b"   \r\nFrom: a@example.com\r\nSubject: x\r\n\r\nbody\r\n",
                b"From: a@example.com\r\nSubject: x\r\n\r\nbody\r\n",
            ),
            (
                b"From: a@example.com\r\nSubject: x\r\nDear team, help\r\ncall me at: 555\r\n",
                b"From: a@example.com\r\nSubject: x\r\n\r\nDear team, help\r\ncall me at: 555\r\n",
            ),
            (
                b"\t\n \nFrom: a@example.com\nSubject: x\nHello\n",
                b"From: a@example.com\nSubject: x\n\nHello\n",
            ),
        ];
        for (raw, want) in cases {
            assert_eq!(
                String::from_utf8_lossy(&repair_header_block(raw)),
                String::from_utf8_lossy(want)
            );
        }
    }

    #[test]
    fn boundary_is_read_from_the_first_delimiter() {
        assert_eq!(
            sniff_boundary(b"preamble\r\n--XYZ \r\nContent-Type: text/plain\r\n\r\nhi\r\n"),
            Some(&b"XYZ"[..])
        );
        assert_eq!(sniff_boundary(b"--\r\n\r\n"), None);
        assert_eq!(sniff_boundary(b"-- \r\nsignature, not a part\r\n"), None);
        assert_eq!(sniff_boundary(b"no delimiter at all\r\n"), None);
    }
}
