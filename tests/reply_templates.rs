//! Template suggestions against a real Dovecot and SMTP sink: the template a reply used is
//! recorded on the sent copy, past replies teach the ranking, and the draft names the best
//! three.

mod harness;
mod support;

use std::time::Duration;

use harness::{Dovecot, SmtpSink};
use support::replying::*;
use support::Tanto;

fn add_template(t: &Tanto, dir: &std::path::Path, name: &str, body: &str) {
    let p = dir.join("template.txt");
    std::fs::write(&p, body).expect("write template");
    t.ok(&["template", "add", name, "--body-file", &p.to_string_lossy()]);
}

fn conversation_with(t: &Tanto, needle: &str) -> String {
    let list = t.json(&["list", "--json"]);
    list.as_array()
        .expect("list")
        .iter()
        .find(|c| c["subject"].as_str().unwrap_or_default().contains(needle))
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("no conversation about {needle}: {list}"))
        .to_string()
}

fn mail(n: usize, subject: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Customer {n} <c{n}@customer.jp>\r\nTo: support@example.com\r\n\
         Subject: {subject}\r\nDate: Mon, 5 Jan 2026 10:0{n}:00 +0900\r\n\
         Message-ID: <m{n}@customer.jp>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

#[test]
fn the_fitting_template_is_suggested_first_for_japanese_and_english_mail() {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append(
        "support",
        "INBOX",
        &mail(
            1,
            "delivery",
            "先週注文した商品がまだ届いていません。発送はいつですか。",
        ),
        &[],
    );
    server.append(
        "support",
        "INBOX",
        &mail(
            2,
            "login",
            "I forgot my password and cannot log in to my account.",
        ),
        &[],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &sink, root.path(), "alice", "");
    add_template(
        &alice,
        root.path(),
        "返品",
        "返品・交換のご依頼ありがとうございます。返品受付フォームからお申し込みください。",
    );
    add_template(&alice, root.path(), "配送遅延", "ご注文の商品の配送が遅れており申し訳ございません。発送予定日と追跡番号をご案内いたします。");
    add_template(
        &alice,
        root.path(),
        "password",
        "To reset your password, open the login page and choose 'Forgot password'.",
    );
    add_template(
        &alice,
        root.path(),
        "refund",
        "Refunds are issued to the original payment method within 5 business days.",
    );
    alice.sync();
    let ja = conversation_with(&alice, "delivery");
    let en = conversation_with(&alice, "login");
    let first = |id: &str| {
        alice
            .ok(&["template", "suggest", id])
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(first(&ja), "配送遅延");
    assert_eq!(first(&en), "password");
    assert!(alice.ok(&["template", "suggest", &en]).lines().count() <= 3);
}

#[test]
fn past_replies_that_used_a_template_teach_the_ranking_and_the_draft_names_the_best() {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append(
        "support",
        "INBOX",
        &mail(
            1,
            "card 1",
            "ポイントカードの有効期限が切れてしまいました。ポイントは戻りますか。",
        ),
        &[],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &sink, root.path(), "alice", "");
    // Two templates whose own text says nothing about the topic: only history can tell.
    add_template(
        &alice,
        root.path(),
        "定型A",
        "お問い合わせありがとうございます。",
    );
    add_template(&alice, root.path(), "定型B", "ご連絡ありがとうございます。");
    alice.sync();
    let first = conversation_with(&alice, "card 1");
    alice.ok(&[
        "reply",
        &first,
        "--template",
        "定型B",
        "--body-file",
        &body_file(
            root.path(),
            "ポイントカードの有効期限延長を承りました。ポイントは復元済みです。",
        ),
    ]);
    let got = sink.wait_for(1, Duration::from_secs(30));
    assert_eq!(
        got[0]
            .header("X-Tanto-Template")
            .as_deref()
            .map(|h| h.contains("=?")),
        Some(true)
    );
    assert_eq!(
        tanto_mail::mime::header_field(&got[0].raw, "X-Tanto-Template").as_deref(),
        Some("定型B"),
        "the template is recorded on the copy that goes to Sent"
    );

    server.append(
        "support",
        "INBOX",
        &mail(
            2,
            "card 2",
            "ポイントカードのポイントが消えています。有効期限はいつまでですか。",
        ),
        &[],
    );
    alice.sync();
    let second = conversation_with(&alice, "card 2");
    let out = alice.ok(&["template", "suggest", &second]);
    assert_eq!(out.lines().next(), Some("定型B"), "{out}");

    // The draft's header comment names the suggestions; the comment is not sent.
    let seen = root.path().join("seen.txt");
    let editor = support::editor_script(root.path(), &format!("cp \"$1\" '{}'\n", seen.display()));
    let out = alice
        .command(&["reply", &second])
        .env("EDITOR", &editor)
        .env_remove("VISUAL")
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let draft = std::fs::read_to_string(&seen).expect("the editor saw the draft");
    assert!(draft.starts_with("# Templates that fit: 定型B"), "{draft}");
    let got = sink.wait_for(2, Duration::from_secs(30));
    let text = String::from_utf8_lossy(&got[1].raw).into_owned();
    assert!(!text.contains("Templates that fit"), "{text}");
}

/// Issue 23: a template's placeholders (`{{customer.name}}`, `{{agent.name}}`) are filled,
/// a prompted field (`{{ask:order_id}}`) must be filled before the reply can go out (not
/// even --force sends it), `--field` fills it, and the agent's signature stands above the
/// mailbox's.
#[test]
fn a_template_with_an_unfilled_field_cannot_be_sent() {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append(
        "support",
        "INBOX",
        &mail(1, "注文", "注文した商品の状況を教えてください。"),
        &[],
    );
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &sink, root.path(), "alice", "");
    let config = std::fs::read_to_string(&alice.config).expect("config");
    let config = config.replacen(
        "[agent]\n",
        "[agent]\nsignature = \"佐藤 花子（内線 12）\"\n",
        1,
    );
    std::fs::write(&alice.config, config).expect("config");
    add_template(
        &alice,
        root.path(),
        "注文確認",
        "{{customer.name}} 様\n{{agent.name}}です。ご注文番号 {{ask:order_id}} を確認しました。",
    );
    alice.sync();
    let id = conversation_with(&alice, "注文");
    let body = body_file(root.path(), "よろしくお願いいたします。");
    for force in [false, true] {
        let mut args = vec!["reply", &id, "--template", "注文確認", "--body-file", &body];
        if force {
            args.push("--force");
        }
        let (code, _, err) = run_code(&alice, &args);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("{{ask:order_id}}") && err.contains("--field order_id="),
            "{err}"
        );
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(sink.received().is_empty(), "nothing went out");
    let outbox = alice.json(&["outbox", "--json"]);
    assert_eq!(outbox.as_array().map(Vec::len), Some(0), "{outbox}");

    alice.ok(&[
        "reply",
        &id,
        "--template",
        "注文確認",
        "--field",
        "order_id=A-1234",
        "--body-file",
        &body,
    ]);
    let got = sink.wait_for(1, Duration::from_secs(30));
    let text = parsed(&got[0])
        .body_text(0)
        .map(|t| t.into_owned())
        .unwrap_or_default();
    assert!(text.contains("Customer 1 様"), "{text}");
    assert!(
        text.contains("です。ご注文番号 A-1234 を確認しました。"),
        "{text}"
    );
    let agent_sig = text
        .find("佐藤 花子（内線 12）")
        .expect("the agent's signature");
    let mailbox_sig = text
        .find("株式会社例 サポート")
        .expect("the mailbox's signature");
    assert!(agent_sig < mailbox_sig, "{text}");
    assert!(!text.contains("{{"), "{text}");
    // The text came from the file alone: the draft kept by the refused tries is not
    // sent along with it.
    assert_eq!(
        text.matches("よろしくお願いいたします。").count(),
        1,
        "{text}"
    );
}
