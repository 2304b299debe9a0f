//! Attachments: how each one is listed (a safe file name, its MIME type, its decoded size).

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use super::encoded_word::decode_header_value;
use super::header::nested_header_info;
use super::render::transfer_decoded;
use crate::sanitize;
use tanto_core::model::Attachment;

pub(super) fn describe_attachment(message: &Message<'_>, part: &MessagePart<'_>) -> Attachment {
    let mime_type = match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_owned(),
        },
        None if matches!(part.body, PartType::Message(_)) => "message/rfc822".to_owned(),
        None if part.is_text() => "text/plain".to_owned(),
        None => "application/octet-stream".to_owned(),
    };
    let mime_type = sanitize::single_line(&mime_type).to_ascii_lowercase();
    let name = part.attachment_name().map(|n| {
        if n.contains("=?") {
            decode_header_value(n.as_bytes(), None)
        } else {
            n.to_owned()
        }
    });
    let name = match (name, &part.body) {
        (Some(name), _) if !name.trim().is_empty() => sanitize::file_name(&name),
        (_, PartType::Message(nested)) => {
            let subject = nested_subject(nested);
            let stem = if subject.is_empty() {
                "message".to_owned()
            } else {
                subject
            };
            sanitize::file_name(&format!("{stem}.eml"))
        }
        _ => sanitize::file_name(&format!("attachment{}", extension_for(&mime_type))),
    };
    let size = match &part.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => b.len(),
        PartType::Message(nested) => nested.raw_message().len(),
        PartType::Text(_) | PartType::Html(_) => transfer_decoded(message, part).len(),
        PartType::Multipart(_) => 0,
    };
    Attachment {
        name,
        mime_type,
        size,
    }
}

/// Appends each attachment of `message` (and, after a nested message, the nested
/// message's own) with its decoded bytes, as `render_message` lists them.
pub(super) fn files(message: &Message<'_>, depth: usize, out: &mut Vec<(Attachment, Vec<u8>)>) {
    for &id in &message.attachments {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        if super::render::is_failed_multipart(part) {
            continue;
        }
        let bytes = match &part.body {
            PartType::Message(nested) => nested.raw_message().to_vec(),
            PartType::Multipart(_) => Vec::new(),
            _ => transfer_decoded(message, part).into_owned(),
        };
        out.push((describe_attachment(message, part), bytes));
        if let PartType::Message(nested) = &part.body {
            if depth < super::render::MAX_NESTED_DEPTH {
                files(nested, depth + 1, out);
            }
        }
    }
}

/// A file extension for an unnamed attachment of a common type, so it opens with the right tool.
fn extension_for(mime_type: &str) -> &'static str {
    match mime_type {
        "text/plain"
        | "text/enriched"
        | "text/rfc822-headers"
        | "message/delivery-status"
        | "message/disposition-notification"
        | "message/feedback-report" => ".txt",
        "text/html" => ".html",
        "text/calendar" => ".ics",
        "message/rfc822" | "message/global" => ".eml",
        "application/pdf" => ".pdf",
        "application/json" => ".json",
        "application/zip" => ".zip",
        "application/pgp-signature" => ".asc",
        "application/pkcs7-signature" | "application/x-pkcs7-signature" => ".p7s",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        _ => "",
    }
}

fn nested_subject(nested: &Message<'_>) -> String {
    nested_header_info(nested).headers.subject
}

#[cfg(test)]
mod tests {
    use crate::mime::render;
    use crate::mime::test_support::corpus;

    #[test]
    fn attachment_names_are_decoded_and_safe() {
        let cases: &[(&str, &[&str])] = &[
            (
                "japanese/mikel__multi_charset__japanese_attachment.eml",
                &["てすと.txt"],
            ),
            (
                "japanese/mikel__multi_charset__japanese_attachment_long_name.eml",
                &["かきくけこかきくけこかきくけこかきくけこかきくけこ.txt"],
            ),
            (
                "japanese/sa__nice__cjk__iso-2022-jp.1.eml",
                &["test-sjis.txt"],
            ),
            (
                "structure/mikel__attachment_emails__attachment_nonascii_filename.eml",
                &["ciële.txt"],
            ),
            (
                "structure/mikel__attachment_emails__attachment_with_quoted_filename.eml",
                &["Eelanalüüsi päring.jpg"],
            ),
            (
                "structure/mikel__attachment_emails__attachment_with_base64_encoded_name.eml",
                &["This is a test.pdf"],
            ),
            ("bounces/sisimai__bsd__lhost-kddi-01.eml", &["猫ちゃん.eml"]),
        ];
        for (file, want) in cases {
            let r = render(&corpus(file));
            let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(names, *want, "{file}");
        }
        let r = render(&corpus("structure/mime4j__testmsgs__simple-attachment.eml"));
        assert_eq!(r.attachments[0].size, 1024, "decoded size");
    }
}
