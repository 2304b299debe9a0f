//! The MIME layer: raw mail bytes in, tanto's own `Headers` and `Rendered` out.
//!
//! mail-parser (0.11, `full_encoding`) finds the MIME structure. A header block alone (the
//! sync's FETCH) is cut into fields by `header_split`, where mail-parser would cut it, and only
//! its Date and Content-Type values go through mail-parser. This module adds what it gets
//! wrong on the mail tanto's users receive: charset labels it does not know (`cp932`), text with
//! no charset or a misplaced one (ISO-2022-JP is recognised by its escape sequences),
//! encoded-words split inside a character (adjacent words are joined before decoding), classic
//! Mac bare-CR line endings, damaged structure (blank lines before the header, no blank line
//! after it, a multipart that lost its boundary: `repair`), an empty text/plain beside the
//! HTML, and an HTML-to-text conversion that keeps line structure. No
//! mail-parser type leaves this module, and every string that does has been through
//! [`sanitize`]. Nothing here panics on any input; `render` and `parse_headers` also catch a
//! panic from below as a last resort.

mod attachment;
mod charset;
#[cfg(test)]
mod damaged_tests;
mod encoded_word;
mod header;
#[cfg(test)]
mod header_equivalence_tests;
#[cfg(test)]
mod header_reference;
mod header_split;
mod html;
mod render;
mod repair;
#[cfg(test)]
mod test_support;

use crate::sanitize;
use tanto_core::model::{Headers, Rendered};

use charset::decode_bytes;
pub use header::clean_email;
use header::header_info;
use render::render_message_bytes;

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// Drafts, notes and raw IMAP parts need the same charset rules as mail: one place holds them.
pub fn decode_text(bytes: &[u8], charset: Option<&str>) -> String {
    decode_bytes(bytes, charset, None)
}

/// A header field's value with its RFC 2047 encoded-words decoded (by tanto's charset rules),
/// for fields `parse_headers` does not keep. Not sanitized: the caller does that.
pub fn decode_header_field(raw_value: &[u8]) -> String {
    std::panic::catch_unwind(|| encoded_word::decode_header_value(raw_value, None))
        .unwrap_or_else(|_| String::from_utf8_lossy(raw_value).into_owned())
}

/// The first header field `name` (case-insensitive) of a message, unfolded and decoded,
/// sanitized to one line; `None` when the header block has no such field.
pub fn header_field(raw: &[u8], name: &str) -> Option<String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n"))
        .unwrap_or(raw.len());
    let head = &raw[..end];
    let mut value: Option<Vec<u8>> = None;
    for line in head.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(v) = value.as_mut() {
            if line.first().is_some_and(|b| *b == b' ' || *b == b'\t') {
                v.extend_from_slice(line);
                continue;
            }
            break;
        }
        if let Some(colon) = line.iter().position(|b| *b == b':') {
            if line[..colon].eq_ignore_ascii_case(name.as_bytes()) {
                value = Some(line[colon + 1..].to_vec());
            }
        }
    }
    value.map(|v| sanitize::single_line(decode_header_field(&v).trim()))
}

/// The list, threading and noise rules need decoded, safe header fields, whatever the input.
pub fn parse_headers(raw: &[u8]) -> Headers {
    std::panic::catch_unwind(|| header_info(raw).headers).unwrap_or_default()
}

/// `tanto save` needs each attachment's bytes: listed as `render` lists them (same order,
/// same safe names), decoded from their transfer encoding.
pub fn attachment_files(raw: &[u8]) -> Vec<(tanto_core::model::Attachment, Vec<u8>)> {
    std::panic::catch_unwind(|| render::attachment_files_of(raw)).unwrap_or_default()
}

/// `tanto show` needs a message's readable text and attachment list, safe to print.
pub fn render(raw: &[u8]) -> Rendered {
    std::panic::catch_unwind(|| render_message_bytes(raw)).unwrap_or_else(|_| Rendered {
        text: sanitize::for_display(&String::from_utf8_lossy(raw)),
        attachments: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::encoded_word::base64_encode;
    use super::test_support::{
        assert_headers_safe, assert_rendered_safe, corpus, corpus_dir, eml_files,
    };
    use super::*;

    #[test]
    fn every_corpus_message_parses_and_renders_safely() {
        let mut files = Vec::new();
        eml_files(&corpus_dir(), &mut files);
        assert!(
            files.len() >= 281,
            "only {} corpus files found",
            files.len()
        );
        for path in files {
            let file = path.display().to_string();
            let raw = std::fs::read(&path).expect("read corpus file");
            // The inner functions, without the catch_unwind net: a panic fails the test.
            assert_headers_safe(&file, &header_info(&raw).headers);
            assert_rendered_safe(&file, &render_message_bytes(&raw));
        }
    }

    #[test]
    fn terminal_hostile_files_put_no_escape_on_screen() {
        for file in [
            "terminal-hostile/mimekit__yenc__00000020.eml",
            "terminal-hostile/mimekit__yenc__00000021.eml",
            "terminal-hostile/mimekit__yenc__simple.eml",
            "terminal-hostile/sisimai__err__make-test-31.eml",
        ] {
            let raw = corpus(file);
            let r = render(&raw);
            let h = parse_headers(&raw);
            for s in [&r.text, &h.subject] {
                assert!(!s.contains(['\u{1b}', '\u{9b}', '\u{0}']), "{file}");
            }
            assert!(!r.text.is_empty(), "{file}: nothing shown");
        }
    }

    /// Header-level injection in every encoding (no real sample exists: corpus README, "Gaps").
    #[test]
    fn injection_in_headers_is_stripped_in_every_encoding() {
        // ESC ] 52 (clipboard write), ESC [ 2 J (clear), C1 CSI, RLO.
        let payload = "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31mX\u{202e}gpj.exe";
        let b64 = base64_encode(payload.as_bytes());
        let q: String = payload.bytes().map(|b| format!("={b:02X}")).collect();
        let rfc2231: String = payload.bytes().map(|b| format!("%{b:02X}")).collect();
        let mut raw = Vec::new();
        raw.extend_from_slice(b"Subject: raw ");
        raw.extend_from_slice(payload.as_bytes());
        raw.extend_from_slice(format!(" b =?utf-8?B?{b64}?= q =?utf-8?Q?{q}?=\r\n").as_bytes());
        raw.extend_from_slice(format!("From: =?utf-8?B?{b64}?= <a@example.com>\r\n").as_bytes());
        raw.extend_from_slice(b"To: \"");
        raw.extend_from_slice(payload.as_bytes());
        raw.extend_from_slice(b"\" <b@example.com>\r\n");
        raw.extend_from_slice(b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n");
        raw.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n\r\nbody ");
        raw.extend_from_slice(payload.as_bytes());
        raw.extend_from_slice(b"\r\n--b\r\nContent-Type: application/octet-stream\r\n");
        raw.extend_from_slice(
            format!("Content-Disposition: attachment; filename*=utf-8''{rfc2231}\r\n\r\nx\r\n")
                .as_bytes(),
        );
        raw.extend_from_slice(b"--b\r\nContent-Type: application/octet-stream\r\n");
        raw.extend_from_slice(format!("Content-Disposition: attachment; filename=\"=?utf-8?B?{b64}?=\"\r\n\r\nx\r\n--b--\r\n").as_bytes());

        let h = parse_headers(&raw);
        let r = render(&raw);
        assert_headers_safe("injection", &h);
        assert_rendered_safe("injection", &r);
        assert!(
            h.subject.starts_with("raw Xgpj.exe b Xgpj.exe q Xgpj.exe"),
            "{:?}",
            h.subject
        );
        assert_eq!(h.from[0].name.as_deref(), Some("Xgpj.exe"));
        assert_eq!(h.to[0].name.as_deref(), Some("Xgpj.exe"));
        assert!(r.text.contains("body Xgpj.exe"), "{:?}", r.text);
        let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["Xgpj.exe", "Xgpj.exe"]);
    }

    #[test]
    fn a_header_field_is_found_unfolded_and_decoded() {
        let raw = b"Subject: x\r\nx-tanto-template: =?UTF-8?B?6L+U5ZOB?=\r\n =?UTF-8?B?5Y+X5LuY?=\r\nTo: a\r\n\r\nX-Tanto-Template: body\r\n";
        assert_eq!(
            header_field(raw, "X-Tanto-Template").as_deref(),
            Some("返品受付")
        );
        assert_eq!(header_field(raw, "Cc"), None);
        assert_eq!(header_field(b"A: 1\n\nB: 2\n", "B"), None);
    }
}
