//! Rendering: a message's readable text (text parts decoded by tanto's rules, HTML converted,
//! nested messages shown inline up to a depth) and its attachment list.

use std::borrow::Cow;

use mail_parser::parsers::MessageStream;
use mail_parser::{Encoding, Message, MessageParser, MessagePart, MimeHeaders, PartType};

use super::attachment::describe_attachment;
use super::charset::decode_bytes;
use super::encoded_word::base64_lenient;
use super::header::{fix_bare_cr, nested_header_info};
use super::html::html_to_text;
use super::repair::{repair_header_block, sniff_boundary};
use crate::sanitize;
use tanto_core::model::{Address, Attachment, Rendered};

/// Nested message/rfc822 parts shown inline, at most this deep; deeper ones are only listed.
pub(super) const MAX_NESTED_DEPTH: usize = 8;

/// The rendered text stops here (a few MB of text is far past anything a person reads).
const MAX_TEXT_BYTES: usize = 8 << 20;

pub(super) fn render_message_bytes(raw: &[u8]) -> Rendered {
    let fixed = fix_bare_cr(raw);
    let data = repair_header_block(&fixed);
    let mut out = Rendered::default();
    // mail-parser 0.11 has `debug_assert!`s that real mail trips (structure/sa__nice__mime9.eml:
    // message/rfc822 inside message/rfc822 with multiparts): in a debug build they panic, and
    // the message is then shown as plain text. Release builds never panic there.
    let parsed = std::panic::catch_unwind(|| MessageParser::default().parse(data.as_ref()));
    match parsed.ok().flatten() {
        Some(message) => {
            let mut text = String::new();
            render_message(&message, 0, &mut text, &mut out.attachments);
            out.text = finish_text(&text);
            let found_body = !message.text_body.is_empty() || !message.html_body.is_empty();
            if out.text.is_empty() && out.attachments.is_empty() && !found_body {
                // Nothing found by the MIME rules (a multipart with no boundary line at all,
                // say): show the body as sent rather than nothing.
                let body = message
                    .parts
                    .first()
                    .and_then(|root| data.get(root.offset_body as usize..))
                    .unwrap_or_default();
                let charset = message
                    .content_type()
                    .and_then(|ct| ct.attribute("charset"));
                out.text = finish_text(&decode_bytes(body, charset, None));
            }
        }
        // No header block at all (or the debug-build panic above): show the bytes as text.
        None => out.text = finish_text(&decode_bytes(&data, None, None)),
    }
    out
}

/// Every attachment of the message with its decoded bytes, in the order (and with the
/// names) `render` lists them. What a damaged multipart held is not included.
pub(super) fn attachment_files_of(raw: &[u8]) -> Vec<(Attachment, Vec<u8>)> {
    let fixed = fix_bare_cr(raw);
    let data = repair_header_block(&fixed);
    let mut out = Vec::new();
    let parsed = std::panic::catch_unwind(|| MessageParser::default().parse(data.as_ref()));
    if let Some(message) = parsed.ok().flatten() {
        super::attachment::files(&message, 0, &mut out);
    }
    out
}

/// Sanitizes the text and trims blank lines at both ends, within the size limit.
fn finish_text(text: &str) -> String {
    let mut text = text;
    let mut truncated = false;
    if text.len() > MAX_TEXT_BYTES {
        let mut cut = MAX_TEXT_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text = &text[..cut];
        truncated = true;
    }
    let clean = sanitize::for_display(text);
    let mut clean = clean.trim_end().trim_start_matches('\n').to_owned();
    if truncated {
        clean.push_str("\n\n[… message text truncated …]");
    }
    if !clean.is_empty() {
        clean.push('\n');
    }
    clean
}

/// Appends the readable text of `message` (and of nested messages, up to a depth) to `text`,
/// and its attachments to `attachments`, in the order they appear in the message.
fn render_message(
    message: &Message<'_>,
    depth: usize,
    text: &mut String,
    attachments: &mut Vec<Attachment>,
) {
    let parents = parent_map(message);
    // No body by mail-parser's rules (e.g. a damaged encoding demoted it to an attachment):
    // the text parts nobody named or marked as an attachment.
    let unnamed: Vec<u32> = message
        .attachments
        .iter()
        .copied()
        .filter(|&id| {
            message
                .parts
                .get(id as usize)
                .is_some_and(is_unnamed_inline_text)
        })
        .collect();
    // The first choice that has readable text: an empty text/plain beside the HTML (common
    // in forwarded mail) must not hide the HTML.
    let mut ids: Vec<u32> = [&message.text_body, &message.html_body, &unnamed]
        .into_iter()
        .find(|ids| {
            let mut probe = String::new();
            for &id in ids.iter() {
                if let Some(part) = message.parts.get(id as usize) {
                    push_text_part(&mut probe, message, part, id, &parents);
                }
            }
            !probe.trim().is_empty()
        })
        .cloned()
        .unwrap_or_default();
    ids.extend(message.attachments.iter().copied().filter(|&id| {
        message
            .parts
            .get(id as usize)
            .is_some_and(|p| matches!(p.body, PartType::Message(_)) || is_failed_multipart(p))
    }));
    ids.sort_unstable();
    ids.dedup();

    let mut nested_attachments: Vec<(u32, Vec<Attachment>)> = Vec::new();
    for id in ids {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        match &part.body {
            _ if is_failed_multipart(part) => {
                let mut inner_attachments = Vec::new();
                render_failed_multipart(
                    message,
                    part,
                    id,
                    &parents,
                    depth,
                    text,
                    &mut inner_attachments,
                );
                nested_attachments.push((id, inner_attachments));
            }
            PartType::Text(_)
            | PartType::Html(_)
            | PartType::Binary(_)
            | PartType::InlineBinary(_) => {
                push_text_part(text, message, part, id, &parents);
            }
            PartType::Message(nested) if depth < MAX_NESTED_DEPTH => {
                let mut inner_text = String::new();
                let mut inner_attachments = Vec::new();
                render_message(nested, depth + 1, &mut inner_text, &mut inner_attachments);
                push_block(text, &nested_heading(nested));
                text.push('\n');
                text.push_str(inner_text.trim_start_matches('\n'));
                nested_attachments.push((id, inner_attachments));
            }
            _ => {}
        }
    }

    for &id in &message.attachments {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        // A failed multipart is not a file: what it held is listed in its place.
        if !is_failed_multipart(part) {
            attachments.push(describe_attachment(message, part));
        }
        if let Some(pos) = nested_attachments.iter().position(|(nid, _)| *nid == id) {
            attachments.append(&mut nested_attachments[pos].1);
        }
    }
}

/// Appends the text of a text part (HTML converted); other parts add nothing.
fn push_text_part(
    text: &mut String,
    message: &Message<'_>,
    part: &MessagePart<'_>,
    id: u32,
    parents: &[Option<u32>],
) {
    match &part.body {
        PartType::Text(_) if !part.is_content_type("text", "html") => {
            push_block(text, &part_text(message, part, id, parents));
        }
        PartType::Text(_) | PartType::Html(_) => {
            push_block(text, &html_to_text(&part_text(message, part, id, parents)));
        }
        // Only chosen when `is_unnamed_inline_text` found a text type mail-parser did not.
        PartType::Binary(_) | PartType::InlineBinary(_) if is_unnamed_inline_text(part) => {
            push_block(text, &part_text(message, part, id, parents));
        }
        _ => {}
    }
}

/// A multipart whose boundary parameter is missing or cut off: parsed again with the boundary
/// its body uses, or else its body shown as text.
fn render_failed_multipart(
    message: &Message<'_>,
    part: &MessagePart<'_>,
    id: u32,
    parents: &[Option<u32>],
    depth: usize,
    text: &mut String,
    attachments: &mut Vec<Attachment>,
) {
    let body = transfer_decoded(message, part);
    if let (Some(boundary), true) = (sniff_boundary(&body), depth < MAX_NESTED_DEPTH) {
        let subtype = part
            .content_type()
            .and_then(|ct| ct.subtype())
            .filter(|s| s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
            .unwrap_or("mixed");
        let mut rebuilt = format!("Content-Type: multipart/{subtype}; boundary=\"").into_bytes();
        rebuilt.extend_from_slice(boundary);
        rebuilt.extend_from_slice(b"\"\r\n\r\n");
        rebuilt.extend_from_slice(&body);
        let parsed =
            std::panic::catch_unwind(|| MessageParser::default().parse(rebuilt.as_slice()));
        if let Some(inner) = parsed.ok().flatten() {
            let mut inner_text = String::new();
            render_message(&inner, depth + 1, &mut inner_text, attachments);
            if !inner_text.trim().is_empty() || !attachments.is_empty() {
                push_block(text, &inner_text);
                return;
            }
        }
    }
    let charset = part.content_type().and_then(|ct| ct.attribute("charset"));
    push_block(
        text,
        &decode_bytes(&body, charset, inherited_charset(message, id, parents)),
    );
}

fn is_unnamed_inline_text(part: &MessagePart<'_>) -> bool {
    let text_like = match part.body {
        PartType::Text(_) | PartType::Html(_) => true,
        // A malformed type such as `text plain` makes mail-parser treat the part as binary.
        PartType::Binary(_) | PartType::InlineBinary(_) => part
            .content_type()
            .is_some_and(|ct| ct.ctype().to_ascii_lowercase().starts_with("text")),
        _ => false,
    };
    text_like
        && part.attachment_name().is_none()
        && !part
            .content_disposition()
            .is_some_and(|d| d.is_attachment())
        && part.content_type().is_none_or(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                || matches!(ct.subtype(), Some("plain" | "html") | None)
        })
}

/// A multipart whose boundary is missing, cut off or never appears: mail-parser keeps its body
/// as one leaf part. It is split again or shown as text, never listed as an attachment.
pub(super) fn is_failed_multipart(part: &MessagePart<'_>) -> bool {
    matches!(
        part.body,
        PartType::Text(_) | PartType::Html(_) | PartType::Binary(_) | PartType::InlineBinary(_)
    ) && part
        .content_type()
        .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
}

/// Appends a block of text, separated from what precedes it by one blank line.
fn push_block(text: &mut String, block: &str) {
    let block = block.trim_end();
    if block.trim().is_empty() {
        return;
    }
    if !text.is_empty() {
        while text.ends_with('\n') {
            text.pop();
        }
        text.push_str("\n\n");
    }
    text.push_str(block.trim_start_matches(['\r', '\n']));
    text.push('\n');
}

/// The header lines shown above a nested (forwarded, bounced) message.
fn nested_heading(nested: &Message<'_>) -> String {
    let info = nested_header_info(nested);
    let h = &info.headers;
    let mut lines = vec!["---------- Attached message ----------".to_owned()];
    if !h.from.is_empty() {
        lines.push(format!("From: {}", format_addresses(&h.from)));
    }
    if let Some(date) = &info.date_raw {
        lines.push(format!("Date: {date}"));
    }
    if !h.subject.is_empty() {
        lines.push(format!("Subject: {}", h.subject));
    }
    if !h.to.is_empty() {
        lines.push(format!("To: {}", format_addresses(&h.to)));
    }
    if !h.cc.is_empty() {
        lines.push(format!("Cc: {}", format_addresses(&h.cc)));
    }
    lines.join("\n")
}

fn format_addresses(addresses: &[Address]) -> String {
    let shown: Vec<String> = addresses
        .iter()
        .map(|a| match (&a.name, a.email.is_empty()) {
            (Some(name), false) => format!("{name} <{}>", a.email),
            (Some(name), true) => name.clone(),
            (None, _) => a.email.clone(),
        })
        .collect();
    shown.join(", ")
}

/// For each part id, the multipart part that contains it.
fn parent_map(message: &Message<'_>) -> Vec<Option<u32>> {
    let mut parents = vec![None; message.parts.len()];
    for (id, part) in message.parts.iter().enumerate() {
        if let PartType::Multipart(children) = &part.body {
            for &child in children {
                if let Some(slot) = parents.get_mut(child as usize) {
                    if slot.is_none() && child as usize != id {
                        *slot = Some(id as u32);
                    }
                }
            }
        }
    }
    parents
}

/// The charset declared on the nearest enclosing part (or the message), for a part with none:
/// signed Japanese mail often declares it on the multipart/signed container only.
fn inherited_charset<'m>(
    message: &'m Message<'_>,
    id: u32,
    parents: &[Option<u32>],
) -> Option<&'m str> {
    let mut current = parents.get(id as usize).copied().flatten();
    let mut steps = 0;
    while let Some(pid) = current {
        let part = message.parts.get(pid as usize)?;
        if let Some(cs) = part.content_type().and_then(|ct| ct.attribute("charset")) {
            return Some(cs);
        }
        current = parents.get(pid as usize).copied().flatten();
        steps += 1;
        if steps > message.parts.len() {
            break;
        }
    }
    None
}

/// The text of a text part, decoded from its bytes by tanto's rules rather than mail-parser's
/// (which read unknown labels and missing charsets as UTF-8).
fn part_text(
    message: &Message<'_>,
    part: &MessagePart<'_>,
    id: u32,
    parents: &[Option<u32>],
) -> String {
    let bytes = transfer_decoded(message, part);
    let declared = part.content_type().and_then(|ct| ct.attribute("charset"));
    let meta;
    let declared = match declared {
        Some(cs) => Some(cs),
        None if part.is_content_type("text", "html") => {
            meta = html_meta_charset(&bytes);
            meta.as_deref()
        }
        None => None,
    };
    decode_bytes(&bytes, declared, inherited_charset(message, id, parents))
}

/// The part's body after its Content-Transfer-Encoding, before any charset decoding.
pub(super) fn transfer_decoded<'m>(
    message: &'m Message<'_>,
    part: &MessagePart<'_>,
) -> Cow<'m, [u8]> {
    let raw: &'m [u8] = message
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)
        .unwrap_or_default();
    match part.encoding {
        // mail-parser drops the last bytes of unpadded base64 (common in Japanese test mail).
        Encoding::Base64 => Cow::Owned(base64_lenient(raw)),
        // mail-parser gives up on base64 with text after it (a list footer): decode the
        // base64 lines and keep the text.
        Encoding::None
            if part.is_encoding_problem
                && part
                    .content_transfer_encoding()
                    .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64")) =>
        {
            Cow::Owned(base64_then_text(raw))
        }
        Encoding::None => Cow::Borrowed(raw),
        Encoding::QuotedPrintable => {
            match MessageStream::new(raw).decode_quoted_printable_mime(b"") {
                (usize::MAX, _) => Cow::Borrowed(raw),
                (_, decoded) => decoded,
            }
        }
    }
}

/// Base64 lines up to the first line that is not base64, then the rest as it is.
fn base64_then_text(raw: &[u8]) -> Vec<u8> {
    let is_b64 = |line: &[u8]| {
        line.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\r' | b' ' | b'\t')
        })
    };
    let mut end = 0;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        if !is_b64(content) {
            break;
        }
        end += line.len();
    }
    let mut out = base64_lenient(&raw[..end]);
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.extend_from_slice(&raw[end..]);
    out
}

/// `<meta charset=...>` or `<meta http-equiv ... content="...; charset=...">` near the start.
fn html_meta_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = lower.find("charset=")? + "charset=".len();
    let value: String = lower[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .collect();
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use crate::mime::render;
    use crate::mime::test_support::{assert_rendered_safe, corpus};

    /// Phrases checked independently (iconv / Python's codecs on the raw body).
    const IROHA: &[&str] = &["色は匂えど", "酔いもせず。", "舟繋けぬ。"];

    #[test]
    fn japanese_bodies_decode_in_every_charset_and_transfer_encoding() {
        let files = [
            "japanese/letters__test_japanese_plaintext_iso-2022-jp_over_7bit.eml",
            "japanese/letters__test_japanese_plaintext_iso-2022-jp_over_base64.eml",
            "japanese/letters__test_japanese_plaintext_iso-2022-jp_over_quoted-printable.eml",
            "japanese/letters__test_japanese_plaintext_euc-jp_over_base64.eml",
            "japanese/letters__test_japanese_plaintext_euc-jp_over_quoted-printable.eml",
            "japanese/letters__test_japanese_plaintext_utf-8_over_7bit.eml",
            "japanese/letters__test_japanese_plaintext_utf-8_over_base64.eml",
            "japanese/letters__test_japanese_plaintext_utf-8_over_quoted-printable.eml",
            "japanese/letters__test_japanese_multipart_mixed_iso-2022-jp_over_base64.eml",
            "japanese/letters__test_japanese_multipart_mixed_euc-jp_over_quoted-printable.eml",
            "japanese/letters__test_japanese_multipart_related_iso-2022-jp_over_7bit.eml",
            // The charset is declared on the multipart/signed container only.
            "japanese/letters__test_japanese_multipart_signed_iso-2022-jp_over_quoted-printable.eml",
        ];
        for file in files {
            let text = render(&corpus(file)).text;
            for phrase in IROHA {
                assert!(text.contains(phrase), "{file}: no {phrase:?} in {text:?}");
            }
            assert!(
                !text.contains('\u{fffd}'),
                "{file}: replacement character in {text:?}"
            );
        }
    }

    #[test]
    fn forwarded_message_shows_its_headers_and_text() {
        let r = render(&corpus(
            "structure/mikel__attachment_emails__attachment_message_rfc822.eml",
        ));
        assert!(r.text.contains("This is the first part."), "{}", r.text);
        assert!(
            r.text
                .contains("---------- Attached message ----------\nFrom: "),
            "{}",
            r.text
        );
        let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["ForwardedMessage.eml", "broken.pdf"]);
        assert_eq!(r.attachments[0].mime_type, "message/rfc822");
    }

    #[test]
    fn bounce_shows_the_returned_message() {
        let r = render(&corpus("bounces/sisimai__bsd__lhost-postfix-53.eml"));
        assert!(r
            .text
            .starts_with("This is the mail system at host mail.example.com."));
        assert!(r.text.contains("Subject: Nyaan\n"), "{}", r.text);
        let kinds: Vec<&str> = r.attachments.iter().map(|a| a.mime_type.as_str()).collect();
        assert_eq!(kinds, ["message/delivery-status", "message/rfc822"]);
    }

    #[test]
    fn hundred_levels_of_nested_messages_render() {
        let mut msg = b"Subject: level 100\r\n\r\ninnermost\r\n".to_vec();
        for level in (0..100).rev() {
            let mut outer =
                format!("Subject: level {level}\r\nContent-Type: message/rfc822\r\n\r\n")
                    .into_bytes();
            outer.extend_from_slice(&msg);
            msg = outer;
        }
        let r = render(&msg);
        assert_rendered_safe("nested", &r);
        assert!(r.text.contains("Subject: level 1\n"));
        assert!(!r.attachments.is_empty());
    }

    #[test]
    fn ten_thousand_parts_render() {
        let mut msg =
            b"Subject: many\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n".to_vec();
        for i in 0..10_000 {
            msg.extend_from_slice(
                format!("--zz\r\nContent-Type: application/octet-stream; name=\"f{i}.bin\"\r\n\r\nAAAA\r\n").as_bytes(),
            );
        }
        msg.extend_from_slice(b"--zz--\r\n");
        let r = render(&msg);
        assert_eq!(r.attachments.len(), 10_000);
        assert_eq!(r.attachments[9_999].name, "f9999.bin");
    }

    #[test]
    fn broken_messages_still_show_something() {
        let cases = [
            "malformed/mime4j__testmsgs__malformedHeader-noheader.eml",
            "malformed/letters__test_english_empty.eml",
            "charsets/sa__nice__cjk__big5-base64.1.eml",
            "malformed/mime4j__testmsgs__missing-boundary.eml",
        ];
        for file in cases {
            let r = render(&corpus(file));
            assert!(!r.text.trim().is_empty(), "{file}: nothing shown");
        }
        // base64 body with a mailing-list footer after it: both decoded.
        let r = render(&corpus("charsets/sa__nice__cjk__big5-base64.1.eml"));
        assert!(r.text.contains("更新日期"), "{}", r.text);
        assert!(r.text.contains("SLAT-talk mailing list"), "{}", r.text);
    }

    #[test]
    fn line_endings_become_newlines() {
        for file in [
            "line-endings/sisimai__mac__lhost-ezweb-01.eml",
            "line-endings/sa__nice__crlf-endings.eml",
        ] {
            let text = render(&corpus(file)).text;
            assert!(!text.contains('\r') && text.contains('\n'), "{file}");
        }
    }
}
