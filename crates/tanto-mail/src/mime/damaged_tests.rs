//! Damaged mail as export tools and careless senders produce it: each case must show its
//! readable text (issue 7, defect 13), and no cut of any of them may panic.

use super::header::header_info;
use super::render::render_message_bytes;
use super::test_support::assert_rendered_safe;
use crate::mime::{parse_headers, render};

const PART: &str = "--XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello plain\r\n\
                    --XYZ\r\nContent-Type: text/html\r\n\r\n<p>Hello html</p>\r\n--XYZ--\r\n";

fn multipart_with(content_type: &str) -> Vec<u8> {
    format!("From: a@example.com\r\nSubject: s\r\nContent-Type: {content_type}\r\n\r\n{PART}")
        .into_bytes()
}

/// Every fixture of this file, for the no-panic sweep.
pub(super) fn fixtures() -> Vec<Vec<u8>> {
    vec![
        multipart_with("multipart/alternative"),
        multipart_with("multipart/alternative; boundary=\"XYZ"),
        multipart_with("multipart/alternative; boundary=\""),
        multipart_with("multipart/alternative; bound"),
        NESTED_NO_BOUNDARY.to_vec(),
        NO_DELIMITER.to_vec(),
        NO_BLANK_LINE.to_vec(),
        SPACES_FIRST.to_vec(),
        NESTED_HTML_ONLY.to_vec(),
    ]
}

const NESTED_NO_BOUNDARY: &[u8] = b"From: a@example.com\r\nSubject: s\r\n\
    Content-Type: multipart/mixed; boundary=o\r\n\r\n\
    --o\r\nContent-Type: multipart/alternative\r\n\r\n\
    --XYZ\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello plain\r\n--XYZ--\r\n\
    --o\r\nContent-Type: application/pdf; name=a.pdf\r\n\r\nxx\r\n--o--\r\n";

const NO_DELIMITER: &[u8] = b"From: a@example.com\r\nSubject: s\r\n\
    Content-Type: multipart/mixed; charset=iso-8859-1\r\n\r\nCaf\xe9 ouvert\r\n";

const NO_BLANK_LINE: &[u8] = b"From: a@example.com\r\nSubject: no gap\r\n\
    Content-Type: text/plain; charset=utf-8\r\nHello there, the body.\r\n\
    Call me at: 555 0100\r\n";

const SPACES_FIRST: &[u8] = b"    \r\nFrom: a@example.com\r\nSubject: exported\r\n\
    Content-Type: text/plain\r\n\r\nThe body\r\n";

/// A forward whose inner message has an empty text/plain beside its HTML.
const NESTED_HTML_ONLY: &[u8] = b"From: a@example.com\r\nSubject: fwd\r\n\
    Content-Type: multipart/mixed; boundary=b\r\n\r\n\
    --b\r\nContent-Type: message/rfc822\r\n\r\n\
    From: c@example.com\r\nSubject: inner\r\n\
    Content-Type: multipart/alternative; boundary=c\r\n\r\n\
    --c\r\nContent-Type: text/plain\r\n\r\n\r\n\
    --c\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Inner html text</p>\r\n--c--\r\n\
    --b--\r\n";

#[test]
fn multipart_with_missing_or_cut_off_boundary_shows_its_text() {
    for ct in [
        "multipart/alternative",
        "multipart/alternative; boundary=\"XYZ",
        "multipart/alternative; boundary=\"",
        "multipart/alternative; bound",
    ] {
        let r = render(&multipart_with(ct));
        assert!(r.text.contains("Hello plain"), "{ct}: {:?}", r.text);
        assert!(!r.text.contains("Content-Type"), "{ct}: {:?}", r.text);
        assert!(r.attachments.is_empty(), "{ct}: {:?}", r.attachments);
    }
}

#[test]
fn nested_multipart_without_boundary_shows_its_text_and_keeps_the_attachments() {
    let r = render(NESTED_NO_BOUNDARY);
    assert_eq!(r.text, "Hello plain\n");
    let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["a.pdf"]);
}

#[test]
fn multipart_with_no_delimiter_at_all_shows_its_body_in_its_charset() {
    assert_eq!(render(NO_DELIMITER).text, "Café ouvert\n");
}

#[test]
fn body_with_no_blank_line_after_the_header_is_shown() {
    let r = render(NO_BLANK_LINE);
    assert_eq!(r.text, "Hello there, the body.\nCall me at: 555 0100\n");
    assert_eq!(parse_headers(NO_BLANK_LINE).subject, "no gap");
}

#[test]
fn line_of_spaces_before_the_header_is_skipped() {
    let r = render(SPACES_FIRST);
    assert_eq!(r.text, "The body\n");
    let h = parse_headers(SPACES_FIRST);
    assert_eq!(h.subject, "exported");
    assert_eq!(h.from[0].email, "a@example.com");
}

#[test]
fn html_only_text_inside_a_forwarded_message_is_shown() {
    let r = render(NESTED_HTML_ONLY);
    assert!(r.text.contains("Subject: inner"), "{:?}", r.text);
    assert!(r.text.contains("Inner html text"), "{:?}", r.text);
}

#[test]
fn no_cut_of_a_damaged_message_panics() {
    for raw in fixtures() {
        for end in 0..=raw.len() {
            // The inner functions, without the catch_unwind net: a panic fails the test.
            let r = render_message_bytes(&raw[..end]);
            assert_rendered_safe("damaged", &r);
            header_info(&raw[..end]);
        }
    }
}
