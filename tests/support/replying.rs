//! Helpers for the replying tests: a customer's question, an agent configured for the test
//! SMTP sink, and small readers of what tanto printed.

use crate::harness::{Dovecot, ImapServer, Received, SmtpSink};
use crate::support::Tanto;

/// A customer's Japanese question, answering an earlier mail of theirs.
pub fn question(n: usize, body: &str) -> Vec<u8> {
    format!(
        "From: =?UTF-8?B?5bGx55Sw5aSq6YOO?= <yamada{n}@customer.jp>\r\n\
         To: support@example.com\r\n\
         Cc: boss{n}@customer.jp\r\n\
         Subject: =?UTF-8?B?44GK5ZWP44GE5ZCI44KP44Gb?= {n}\r\n\
         Date: Mon, 5 Jan 2026 10:00:00 +0900\r\n\
         Message-ID: <q{n}@customer.jp>\r\n\
         References: <root{n}@customer.jp>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n\
         {body}\r\n"
    )
    .into_bytes()
}

/// An agent whose config also names the sink's SMTP server; `extra` is TOML for the
/// mailbox (before any table) and may end with further tables (`[team]`).
pub fn agent(
    server: &ImapServer,
    sink: &SmtpSink,
    dir: &std::path::Path,
    id: &str,
    extra: &str,
) -> Tanto {
    let t = Tanto::new(server, dir, id);
    let text = std::fs::read_to_string(&t.config).expect("read config");
    let (mailbox_keys, tables) = match extra.find('[') {
        Some(i) => extra.split_at(i),
        None => (extra, ""),
    };
    let text = text.replacen(
        "address = \"support@example.com\"\n",
        &format!(
            "address = \"support@example.com\"\ndisplay_name = \"サポート窓口\"\nsignature = \"株式会社例 サポート\"\n{mailbox_keys}"
        ),
        1,
    );
    std::fs::write(&t.config, format!("{text}{}{tables}", sink.config_toml()))
        .expect("write config");
    t
}

/// Every conversation id `tanto list --json` gives, in its order.
pub fn all_ids(t: &Tanto) -> Vec<String> {
    t.json(&["list", "--json"])
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_string())
        .collect()
}

/// `tanto reply ID --body-file` with `text` (written in `dir`): exit code, stdout, stderr.
pub fn reply_with(t: &Tanto, id: &str, dir: &std::path::Path, text: &str) -> (i32, String, String) {
    run_code(t, &["reply", id, "--body-file", &body_file(dir, text)])
}

pub fn only_id(t: &Tanto) -> String {
    let list = t.json(&["list", "--json"]);
    list[0]["id"].as_str().expect("id").to_string()
}

pub fn status(t: &Tanto, id: &str) -> String {
    t.json(&["show", id, "--json"])["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

pub fn body_file(dir: &std::path::Path, text: &str) -> String {
    let p = dir.join("body.txt");
    std::fs::write(&p, text).expect("write body");
    p.to_string_lossy().into_owned()
}

pub fn parsed(r: &Received) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(&r.raw)
        .expect("the sent mail parses")
}

pub fn run_code(t: &Tanto, args: &[&str]) -> (i32, String, String) {
    let out = t.run(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The start of most reply tests: a fresh server with one customer question, an SMTP sink,
/// and agent `alice` (its cache in `root`) synced; `id` is the question's conversation.
/// Keep `root` bound while the agent runs: dropping it deletes the agent's files.
pub struct Desk {
    pub server: Dovecot,
    pub sink: SmtpSink,
    pub alice: Tanto,
    pub id: String,
    pub root: tempfile::TempDir,
}

pub fn desk() -> Desk {
    desk_with("質問です", "")
}

/// `desk()` with the customer asking `text`, and `extra` added to alice's config.
pub fn desk_with(text: &str, extra: &str) -> Desk {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, text), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = agent(&server, &sink, root.path(), "alice", extra);
    alice.sync();
    let id = only_id(&alice);
    Desk {
        server,
        sink,
        alice,
        id,
        root,
    }
}

/// Alice's `tanto reply` (text `body`) on the desk's conversation, aborted at `point`
/// (`TANTO_TEST_CRASH_AT`).
pub fn reply_dies_at(desk: &Desk, point: &str, body: &str) {
    let out = desk
        .alice
        .command(&[
            "reply",
            &desk.id,
            "--body-file",
            &body_file(desk.root.path(), body),
        ])
        .env("TANTO_TEST_CRASH_AT", point)
        .output()
        .expect("run");
    assert!(!out.status.success(), "the process died at {point}");
}

/// A desk whose reply process died at `point` (`TANTO_TEST_CRASH_AT`), then one sync.
pub fn crash_then_restart(point: &str) -> Desk {
    let desk = desk();
    reply_dies_at(&desk, point, "お答えします");
    // The next start finishes what it can.
    let _ = run_code(&desk.alice, &["sync", "--once"]);
    desk
}

/// `alice` replies to the only conversation: the sink receives it once, `bob` sees the
/// conversation done after a sync, and later syncs by either send nothing more. Both are
/// agents of the same desk; `dir` holds the reply's body file. Returns the conversation id.
pub fn reply_goes_out_once(
    alice: &Tanto,
    bob: &Tanto,
    sink: &SmtpSink,
    dir: &std::path::Path,
) -> String {
    alice.sync();
    bob.sync();
    let id = only_id(alice);
    let (code, out, err) = reply_with(alice, &id, dir, "お答えします");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        sink.wait_for(1, std::time::Duration::from_secs(30)).len(),
        1
    );
    bob.sync();
    assert_eq!(status(bob, &id), "done");
    for t in [alice, bob] {
        let (code, _, err) = run_code(t, &["sync", "--once"]);
        assert_eq!(code, 0, "{err}");
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(sink.received().len(), 1, "the reply went out once");
    assert_eq!(status(alice, &id), "done");
    id
}

/// Points `t`'s mailbox at the sink's SMTP server (for agents set up without `agent`).
pub fn sends_through(t: &Tanto, sink: &SmtpSink) {
    let text = std::fs::read_to_string(&t.config).expect("read config");
    std::fs::write(&t.config, format!("{text}{}", sink.config_toml())).expect("write config");
}
