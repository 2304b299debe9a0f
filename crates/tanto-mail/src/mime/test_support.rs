//! What the MIME tests share: the corpus (`tests/fixtures/corpus`) and the safety checks on what
//! `parse_headers` and `render` return.

use std::path::{Path, PathBuf};

use crate::sanitize;
use tanto_core::model::{Headers, Rendered};

pub(super) fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/corpus")
}

pub(super) fn corpus(rel: &str) -> Vec<u8> {
    let path = corpus_dir().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub(super) fn eml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("read corpus dir entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            eml_files(&path, out);
        } else if path.extension().is_some_and(|x| x == "eml") {
            out.push(path);
        }
    }
}

/// Anything a terminal could act on: controls other than newline and tab, bidi overrides.
fn hostile_char(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    })
}

fn assert_safe(what: &str, file: &str, s: &str) {
    if let Some(c) = hostile_char(s) {
        panic!("{file}: {what} contains {c:?}: {s:?}");
    }
}

fn assert_single_line(what: &str, file: &str, s: &str) {
    assert_safe(what, file, s);
    assert!(
        !s.contains(['\n', '\t']),
        "{file}: {what} is not one line: {s:?}"
    );
}

pub(super) fn assert_headers_safe(file: &str, h: &Headers) {
    assert_single_line("subject", file, &h.subject);
    for a in h.from.iter().chain(&h.to).chain(&h.cc).chain(&h.reply_to) {
        assert_single_line("address", file, &a.email);
        if let Some(name) = &a.name {
            assert_single_line("name", file, name);
        }
    }
    let ids = h
        .message_id
        .iter()
        .chain(&h.in_reply_to)
        .chain(&h.references);
    let raw = [
        &h.list_id,
        &h.auto_submitted,
        &h.precedence,
        &h.x_autoreply,
        &h.content_type,
        &h.return_path,
        &h.x_failed_recipients,
    ];
    for value in ids.chain(raw.into_iter().flatten()) {
        assert_single_line("field", file, value);
    }
}

pub(super) fn assert_rendered_safe(file: &str, r: &Rendered) {
    assert_safe("text", file, &r.text);
    assert!(!r.text.contains('\r'), "{file}: CR left in the text");
    for a in &r.attachments {
        assert_single_line("attachment name", file, &a.name);
        assert_single_line("mime type", file, &a.mime_type);
        assert_eq!(a.name, sanitize::file_name(&a.name), "{file}: unsafe name");
    }
}
