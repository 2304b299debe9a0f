//! Every real-world message of tests/fixtures/corpus goes through the real server and `tanto show`.

mod harness;
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use harness::Dovecot;
use serde_json::Value;
use support::{has_control, Tanto};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corpus")
}

fn eml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            eml_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "eml") {
            out.push(p);
        }
    }
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn every_corpus_message_renders_through_tanto_show_decoded_and_safe() {
    let mut files = Vec::new();
    eml_files(&corpus_dir(), &mut files);
    assert_eq!(files.len(), 281, "the corpus has 281 messages");
    let server = Dovecot::start();
    let msgs: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).expect("read"))
        .collect();
    server.append_many("support", "INBOX", &msgs);
    assert_eq!(
        server.uids("support", "INBOX").len(),
        281,
        "the server took every message"
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let tanto = Tanto::new(&server, dir.path(), "alice");
    let report = tanto.sync();
    assert_eq!(report["messages"], 281);

    let list = tanto.json(&["list", "--json"]);
    let mut subjects = BTreeSet::new();
    let mut texts = Vec::new();
    let mut shown = 0;
    for c in list.as_array().expect("array") {
        let id = c["id"].as_str().expect("id");
        let json = tanto.json(&["show", id, "--json"]);
        let mut all = Vec::new();
        strings(&json, &mut all);
        for s in &all {
            assert!(
                !has_control(s),
                "control character in show {id} --json: {s:?}"
            );
        }
        for e in json["timeline"].as_array().expect("timeline") {
            subjects.insert(squash(e["subject"].as_str().unwrap_or("")));
            texts.push(e["text"].as_str().unwrap_or("").to_string());
            shown += 1;
        }
        let human = tanto.ok(&["show", id]);
        assert!(!has_control(&human), "control character in show {id}");
    }
    assert_eq!(shown, 281, "every message appears in some timeline");

    let expected = [
        "📧 Test いろは歌",
        "📧 Signed Test いろは歌",
        "まみむめも",
        "まみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめも",
        "MIME text/plain attach with Shift_JIS (CP932)",
        "[ports-jp 8947] Re: ipv6 & ruby",
    ];
    for s in expected {
        assert!(
            subjects.contains(s),
            "subject {s:?} not decoded; have e.g. {:?}",
            subjects.iter().take(40).collect::<Vec<_>>()
        );
    }
    let phrase = |p: &str, n: usize| {
        let found = texts.iter().filter(|t| t.contains(p)).count();
        assert!(found >= n, "{p:?} in {found} texts, expected at least {n}");
    };
    // ISO-2022-JP, EUC-JP and UTF-8 bodies of the same text, in plain and multipart mail.
    phrase("とりなくこゑすゆめさませみよあけわたる", 6);
    // Shift_JIS body.
    phrase("このメールはテスト用のメールです", 1);
    // Thai bodies (TIS-620, ISO-8859-11, windows-874).
    let thai = texts
        .iter()
        .filter(|t| {
            t.chars()
                .filter(|c| ('\u{e01}'..='\u{e5b}').contains(c))
                .count()
                > 20
        })
        .count();
    assert!(thai >= 3, "Thai text decoded in {thai} messages");
    // ISO-2022-JP body without much else.
    phrase("すみません", 1);
}
