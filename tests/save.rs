//! `tanto save`: received attachments land in the chosen directory under safe names, never
//! outside it, never over an existing file.

mod harness;
mod support;

use harness::Dovecot;
use support::{has_control, Tanto};

/// A customer mail whose attachments carry hostile or awkward names.
fn hostile() -> Vec<u8> {
    let part = |disposition: &str, body: &str| {
        format!(
            "--b\r\nContent-Type: application/octet-stream\r\n{disposition}\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n{}\r\n",
            body
        )
    };
    let b64 = |s: &str| {
        use std::io::Write as _;
        let mut out = Vec::new();
        // A tiny base64 without a crate: the test bodies are short ASCII.
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
    };
    let mut raw = String::from(
        "From: Yamada <y@customer.jp>\r\nTo: support@example.com\r\nSubject: files\r\n\
         Message-ID: <files@customer.jp>\r\nDate: Mon, 5 Jan 2026 10:00:00 +0900\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nsee attached\r\n",
    );
    raw += &part(
        "Content-Disposition: attachment; filename=\"../../etc/passwd\"",
        &b64("root:x:0:0"),
    );
    raw += &part(
        "Content-Disposition: attachment; filename=\"evil\x1b[31m\x07name.txt\"",
        &b64("control"),
    );
    // RFC 2231: 見積書.pdf in UTF-8, percent-encoded.
    raw += &part(
        "Content-Disposition: attachment;\r\n filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.pdf",
        &b64("quote"),
    );
    raw += &part(
        "Content-Disposition: attachment; filename=\".bashrc\"",
        &b64("rc"),
    );
    raw += &part(
        "Content-Disposition: attachment; filename=\"report.txt\"",
        &b64("first"),
    );
    raw += &part(
        "Content-Disposition: attachment; filename=\"report.txt\"",
        &b64("second"),
    );
    raw += "--b--\r\n";
    raw.into_bytes()
}

#[test]
fn hostile_attachment_names_are_saved_safely_inside_the_directory_and_never_overwrite() {
    let server = Dovecot::start();
    server.append("support", "INBOX", &hostile(), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("agent"), "alice");
    alice.sync();
    let id = alice.json(&["list", "--json"])[0]["id"]
        .as_str()
        .expect("id")
        .to_string();
    let out_dir = root.path().join("a").join("b");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    // Something already there must survive.
    std::fs::write(out_dir.join("見積書.pdf"), "mine").expect("write");

    let out = alice.ok(&["save", &id, &out_dir.to_string_lossy()]);
    assert!(!has_control(&out), "{out:?}");
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
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
