//! `tanto save`: received attachments land in the chosen directory under safe names, never
//! outside it, never over an existing file.

mod harness;
mod support;

use std::path::Path;

use harness::Dovecot;
use support::{has_control, Tanto};

/// One base64 part of the multipart body (boundary `b`) with its disposition line(s).
fn part(disposition: &str, body: &str) -> String {
    format!(
        "--b\r\nContent-Type: application/octet-stream\r\n{disposition}\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
        b64(body)
    )
}

/// A tiny base64 without a crate: the test bodies are short ASCII.
fn b64(s: &str) -> String {
    use std::io::Write as _;
    let mut out = Vec::new();
    const T: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for c in s.as_bytes().chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        let chars = [18, 12, 6, 0].map(|s| T[(n >> s & 63) as usize]);
        let keep = c.len() + 1;
        out.write_all(&chars[..keep]).expect("write");
        out.write_all(&b"=="[..4 - keep]).expect("write");
    }
    String::from_utf8(out).expect("ascii")
}

/// A multipart customer mail: a text part, then one base64 part per (disposition, body).
fn multipart(message_id: &str, attachments: &[(&str, &str)]) -> Vec<u8> {
    let mut raw = format!(
        "From: Yamada <y@customer.jp>\r\nTo: support@example.com\r\nSubject: files\r\n\
         Message-ID: <{message_id}>\r\nDate: Mon, 5 Jan 2026 10:00:00 +0900\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n"
    );
    for (disposition, body) in attachments {
        raw += &part(disposition, body);
    }
    raw += "--b--\r\n";
    raw.into_bytes()
}

/// A Dovecot holding one customer mail in the inbox, and alice synced with it.
struct Synced {
    alice: Tanto,
    /// The id of the mail's conversation.
    id: String,
    _server: Dovecot,
}

/// Starts a server with `raw` in its inbox and syncs alice (her files under `root`).
fn synced_with(raw: &[u8], root: &Path) -> Synced {
    let server = Dovecot::start();
    server.append("support", "INBOX", raw, &[]);
    let alice = Tanto::new(&server, &root.join("agent"), "alice");
    alice.sync();
    let id = alice.json(&["list", "--json"])[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    Synced {
        alice,
        id,
        _server: server,
    }
}

/// The names of the files in `dir`, sorted.
fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// A customer mail whose attachments carry hostile or awkward names.
fn hostile() -> Vec<u8> {
    multipart(
        "files@customer.jp",
        &[
            (
                "Content-Disposition: attachment; filename=\"../../etc/passwd\"",
                "root:x:0:0",
            ),
            (
                "Content-Disposition: attachment; filename=\"evil\x1b[31m\x07name.txt\"",
                "control",
            ),
            // RFC 2231: 見積書.pdf in UTF-8, percent-encoded.
            (
                "Content-Disposition: attachment;\r\n filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf",
                "quote",
            ),
            ("Content-Disposition: attachment; filename=\".bashrc\"", "rc"),
            ("Content-Disposition: attachment; filename=\"report.txt\"", "first"),
            ("Content-Disposition: attachment; filename=\"report.txt\"", "second"),
        ],
    )
}

#[test]
fn hostile_attachment_names_are_saved_safely_inside_the_directory_and_never_overwrite() {
    let root = tempfile::tempdir().expect("tempdir");
    let Synced { alice, id, _server } = synced_with(&hostile(), root.path());
    let out_dir = root.path().join("a").join("b");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    // Something already there must survive.
    std::fs::write(out_dir.join("見積書.pdf"), "mine").expect("write");

    let out = alice.ok(&["save", &id, &out_dir.to_string_lossy()]);
    assert!(!has_control(&out), "{out:?}");
    let names = names_in(&out_dir);
    assert_eq!(
        names,
        [
            "bashrc",
            "evilname.txt",
            "passwd",
            "report (2).txt",
            "report.txt",
            "見積書 (2).pdf",
            "見積書.pdf"
        ],
        "{out}"
    );
    let read = |n: &str| std::fs::read_to_string(out_dir.join(n)).expect("read");
    assert_eq!(read("見積書.pdf"), "mine", "never overwritten");
    assert_eq!(read("見積書 (2).pdf"), "quote");
    assert_eq!(read("passwd"), "root:x:0:0");
    assert_eq!(read("report.txt"), "first");
    assert_eq!(read("report (2).txt"), "second");
    assert!(!root.path().join("etc").exists() && !root.path().join("a/etc").exists());

    // One part, by its number; again: a third copy, not an overwrite.
    let out = alice.ok(&["save", &id, &out_dir.to_string_lossy(), "--part", "5"]);
    assert!(out.starts_with("5\treport.txt\t"), "{out}");
    assert_eq!(read("report (3).txt"), "first");
    let bad = alice.run(&["save", &id, &out_dir.to_string_lossy(), "--part", "9"]);
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("6 attachment"));
}

/// 2 + 83 × 3 + 4 = 255 bytes: the longest name a file system takes, so that any " (2)"
/// must cut into the 3-byte Japanese characters.
fn name_of_255_bytes() -> String {
    format!("ab{}.pdf", "書".repeat(83))
}

/// A customer mail with two attachments of the same 255-byte name, then a short one.
fn long_names() -> Vec<u8> {
    // RFC 2231: the UTF-8 bytes percent-encoded.
    let encoded: String = name_of_255_bytes()
        .bytes()
        .map(|b| format!("%{b:02X}"))
        .collect();
    let long = format!("Content-Disposition: attachment;\r\n filename*=UTF-8''{encoded}");
    multipart(
        "long-names@customer.jp",
        &[
            (&long, "first"),
            (&long, "second"),
            (
                "Content-Disposition: attachment; filename=\"invoice.pdf\"",
                "third",
            ),
        ],
    )
}

#[test]
fn two_attachments_with_the_same_255_byte_name_and_the_next_one_are_all_saved_privately() {
    use std::os::unix::fs::PermissionsExt as _;
    let root = tempfile::tempdir().expect("tempdir");
    let Synced { alice, id, _server } = synced_with(&long_names(), root.path());
    let out_dir = root.path().join("out");
    std::fs::create_dir(&out_dir).expect("mkdir");

    let out = alice.ok(&["save", &id, &out_dir.to_string_lossy()]);
    assert_eq!(out.lines().count(), 3, "{out}");
    let names = names_in(&out_dir);
    assert_eq!(names.len(), 3, "{names:?}");
    for name in &names {
        assert!(name.len() <= 255, "{} bytes: {name}", name.len());
        assert!(name.ends_with(".pdf"), "extension lost: {name}");
        let mode = std::fs::metadata(out_dir.join(name))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
    let read = |n: &str| std::fs::read_to_string(out_dir.join(n)).expect("read");
    let long = name_of_255_bytes();
    assert!(names.contains(&long), "{names:?}");
    assert_eq!(read(&long), "first");
    let numbered = names
        .iter()
        .find(|n| n.ends_with("書 (2).pdf"))
        .expect("the second copy, numbered");
    assert!(numbered.starts_with("ab書"), "{numbered}");
    assert_eq!(read(numbered), "second");
    assert_eq!(read("invoice.pdf"), "third");
}
