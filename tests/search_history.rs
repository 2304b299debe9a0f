//! `tanto search QUERY` and `tanto history ADDRESS` (the command-line contract), against the
//! real server: every status, Japanese text, the JSON of `tanto list`, an address typed with
//! another case in its domain.

mod harness;
mod support;

use harness::Dovecot;
use support::Tanto;

fn mail(n: u32, from: &str, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: support@example.com\r\nSubject: {subject}\r\n\
         Message-ID: <search-{n}@example.jp>\r\nDate: Mon, 7 Dec 2026 09:0{n} +0900\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

fn ids(v: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = v
        .as_array()
        .expect("an array")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn search_and_history_find_conversations_in_every_status_as_list_prints_them() {
    let server = Dovecot::start();
    let msgs = [
        mail(
            1,
            "Taro Yamada <taro@example.jp>",
            "返金のお願い",
            "注文 1234 の返金を希望します",
        ),
        mail(
            2,
            "Taro Yamada <taro@example.jp>",
            "配送について",
            "いつ届きますか",
        ),
        mail(
            3,
            "Ann <ann@example.org>",
            "Refund please",
            "I want a refund for order 99",
        ),
        mail(
            4,
            "Bob <bob@example.org>",
            "Invoice",
            "Where is my invoice?",
        ),
    ];
    server.append_many("support", "INBOX", &msgs);
    let dir = tempfile::tempdir().expect("tempdir");
    let tanto = Tanto::new(&server, dir.path(), "alice");
    assert_eq!(tanto.sync()["messages"], 4);
    let all = tanto.json(&["list", "--json"]);
    let id_of = |subject: &str| {
        all.as_array()
            .expect("array")
            .iter()
            .find(|c| c["subject"] == subject)
            .and_then(|c| c["id"].as_str())
            .expect("listed")
            .to_string()
    };
    let (refund_ja, delivery, refund_en) = (
        id_of("返金のお願い"),
        id_of("配送について"),
        id_of("Refund please"),
    );
    // Done conversations are found too.
    tanto.ok(&["done", &delivery]);

    // A search matches the subject, case-insensitively, in every status.
    let found = tanto.json(&["search", "REFUND", "--json"]);
    assert_eq!(ids(&found), vec![refund_en.clone()], "{found}");
    assert_eq!(found[0]["from"], "ann@example.org");
    assert_eq!(found[0]["status"], "new");
    let found = tanto.json(&["search", "返金", "--json"]);
    assert_eq!(ids(&found), vec![refund_ja.clone()], "{found}");
    // The table names the conversation; nothing found says so, exit 0.
    let table = tanto.ok(&["search", "返金"]);
    assert!(
        table.contains(&refund_ja) && table.contains("返金のお願い"),
        "{table}"
    );
    let none = tanto.run(&["search", "no such words"]);
    assert!(none.status.success());
    assert!(String::from_utf8_lossy(&none.stdout).contains("no such words"));

    // A customer's history: both of Taro's, whatever their status, the domain in any case.
    let history = tanto.json(&["history", "taro@EXAMPLE.jp", "--json"]);
    let mut want = vec![refund_ja, delivery.clone()];
    want.sort();
    assert_eq!(ids(&history), want, "{history}");
    let done: Vec<&serde_json::Value> = history
        .as_array()
        .expect("array")
        .iter()
        .filter(|c| c["id"] == delivery.as_str())
        .collect();
    assert_eq!(done[0]["status"], "done");
    assert_eq!(
        ids(&tanto.json(&["history", "nobody@example.jp", "--json"])),
        Vec::<String>::new()
    );

    // Bad input: one line naming the fix, exit 1.
    for args in [&["search", "  "][..], &["history", "taro"][..]] {
        let out = tanto.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("e.g. tanto"), "{err}");
    }
}
