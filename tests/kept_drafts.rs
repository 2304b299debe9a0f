//! A reply's text is never lost: taken over while it was written, rejected, held or taken
//! back, the agent's next reply on the conversation opens it again (with why), against the
//! real Dovecot and SMTP sink.

mod harness;
mod support;

use std::time::Duration;

use harness::Dovecot;
use serde_json::Value;
use support::replying::{agent, body_file, desk, only_id, question, run_code};
use support::{editor_script, Tanto};
use tanto_devserver::SmtpSink;

fn outbox(t: &Tanto) -> Vec<Value> {
    let out = t.ok(&["outbox", "--json"]);
    serde_json::from_str::<Value>(&out)
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

/// `tanto reply ID` with `editor` (a script of `sh`) as the editor.
fn reply_in_editor(t: &Tanto, id: &str, editor: &std::path::Path) -> (i32, String) {
    let out = t
        .command(&["reply", id])
        .env("EDITOR", editor)
        .env_remove("VISUAL")
        .output()
        .expect("run tanto");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// An editor that copies the draft it is given to `seen` and exits without a change
/// (nothing left to send: the reply stops on "no text").
fn peeking_editor(dir: &std::path::Path, seen: &std::path::Path) -> std::path::PathBuf {
    editor_script(dir, &format!("cp \"$1\" {}\nexit 1\n", seen.display()))
}

#[test]
fn a_take_over_while_the_agent_writes_keeps_the_text_and_her_next_reply_opens_it() {
    let desk = desk();
    let carol = agent(
        &desk.server,
        &desk.sink,
        &desk.root.path().join("c"),
        "carol",
        "",
    )
    .supervisor();
    carol.sync();
    // While alice writes, carol takes the conversation over.
    let editor = editor_script(
        &desk.root.path().join("c"),
        &format!(
            "{} --config {} claim --take-over {} >/dev/null 2>&1 || exit 9\n\
             awk '{{print}} /^$/ && !d {{print \"ご注文の件、確認いたしました。\"; d=1}}' \"$1\" > \"$1.new\" && cat \"$1.new\" > \"$1\"\n",
            env!("CARGO_BIN_EXE_tanto"),
            carol.config.display(),
            desk.id
        ),
    );
    let (code, said) = reply_in_editor(&desk.alice, &desk.id, &editor);
    assert_eq!(code, 3, "held by carol now: {said}");
    assert!(said.contains("carol"), "{said}");
    assert!(said.contains("text is kept"), "{said}");
    assert!(desk.sink.received().is_empty(), "nothing was sent");
    // Carol gives it back; alice's next reply opens her text, saying where it comes from.
    carol.ok(&["assign", &desk.id, "alice"]);
    let seen = desk.root.path().join("seen.txt");
    let (_, said) = reply_in_editor(
        &desk.alice,
        &desk.id,
        &peeking_editor(desk.root.path(), &seen),
    );
    let draft = std::fs::read_to_string(&seen).unwrap_or_else(|e| panic!("{e}: {said}"));
    assert!(draft.contains("ご注文の件、確認いたしました。"), "{draft}");
    assert!(
        draft.contains("carol took this conversation over"),
        "{draft}"
    );
    // The kept copy is private.
    let dir = desk.root.path().join("state/tanto/drafts/alice");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&dir)
            .expect("the drafts dir")
            .permissions(),
    );
    assert_eq!(mode & 0o777, 0o700);
}

#[test]
fn a_rejected_reply_opens_again_with_the_reason_and_sending_the_new_one_replaces_it() {
    let server = Dovecot::start();
    let sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, "質問です"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let team = "\n[team]\napproval = [\"newbie\"]\n";
    let newbie = agent(&server, &sink, &root.path().join("n"), "newbie", team);
    let boss = agent(&server, &sink, &root.path().join("s"), "boss", team).supervisor();
    newbie.sync();
    let id = only_id(&newbie);
    newbie.ok(&[
        "reply",
        &id,
        "--body-file",
        &body_file(root.path(), "返金はできません。"),
    ]);
    boss.sync();
    boss.ok(&["reject", &id, "-m", "返金規定の説明を添えてください"]);
    newbie.sync();
    let seen = root.path().join("seen.txt");
    let (_, said) = reply_in_editor(&newbie, &id, &peeking_editor(root.path(), &seen));
    let draft = std::fs::read_to_string(&seen).unwrap_or_else(|e| panic!("{e}: {said}"));
    assert!(
        draft.contains("返金はできません。"),
        "the old text: {draft}"
    );
    assert!(draft.contains("rejected"), "{draft}");
    assert!(
        draft.contains("返金規定の説明を添えてください"),
        "the reason: {draft}"
    );
    // The new version replaces the rejected one in the outbox.
    let editor = editor_script(
        root.path(),
        "sed -i 's/返金はできません。/返金規定により、開封済みの商品は返金できません。/' \"$1\"\n",
    );
    let (code, said) = reply_in_editor(&newbie, &id, &editor);
    assert_eq!(code, 0, "{said}");
    let items = outbox(&boss);
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(items[0]["standing"], "waiting-approval", "{items:?}");
    boss.ok(&["approve", &id]);
    let got = sink.wait_for(1, Duration::from_secs(30));
    let body = support::replying::parsed(&got[0])
        .body_text(0)
        .map(|b| b.into_owned())
        .unwrap_or_default();
    assert!(body.contains("開封済みの商品"), "{body}");
    assert!(!body.contains("返金はできません。\n"), "{body}");
}

#[test]
fn a_reply_stopped_by_a_warning_is_kept_in_the_private_drafts_not_in_tmp() {
    let desk = desk();
    let (code, _out, err) = run_code(
        &desk.alice,
        &[
            "reply",
            &desk.id,
            "--body-file",
            &body_file(desk.root.path(), "添付ファイルをご確認ください。"),
        ],
    );
    assert_eq!(code, 1, "the attachment warning stops it: {err}");
    let kept = desk.root.path().join("state/tanto/drafts/alice");
    assert!(err.contains(&kept.display().to_string()), "{err}");
    assert!(!err.contains("/tmp/tanto-draft"), "{err}");
}

/// The editor's file: in the agent's private drafts directory (0700), created new and 0600
/// under a name nobody can guess (a link planted at last run's name is not followed), and
/// gone once the reply is settled. It was `/tmp/tanto-draft-<ID>-<PID>.txt`, 0644.
#[test]
fn the_editor_s_draft_is_a_new_private_file_with_a_random_name_and_is_removed() {
    let desk = desk();
    let dir = desk.root.path().join("editor");
    std::fs::create_dir_all(&dir).expect("dir");
    let log = dir.join("seen.log");
    // The editor logs the file's path, mode, its directory's mode and whether it is a link,
    // then gives up (nothing sent: the draft is unchanged).
    let editor = editor_script(
        &dir,
        &format!(
            "{{ echo \"$1\"; stat -c %a \"$1\"; stat -c %a \"$(dirname \"$1\")\"; \
             if [ -L \"$1\" ]; then echo link; else echo file; fi; }} >> {}\nexit 1\n",
            log.display()
        ),
    );
    reply_in_editor(&desk.alice, &desk.id, &editor);
    let first = std::fs::read_to_string(&log).expect("the editor ran");
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(&lines[1..4], ["600", "700", "file"], "{first}");
    let path = std::path::PathBuf::from(lines[0]);
    assert!(
        path.parent()
            .is_some_and(|d| d.ends_with("state/tanto/drafts/alice")),
        "in the agent's state directory: {first}"
    );
    // A link planted at that very name, pointing at a file the agent owns: the next draft
    // goes elsewhere and the target is untouched.
    let target = dir.join("precious.txt");
    std::fs::write(&target, "keep me").expect("target");
    // (A failed editor leaves its file where the error names it; the agent cleared it.)
    std::fs::remove_file(&path).expect("the failed edit's file");
    std::os::unix::fs::symlink(&target, &path).expect("plant a link");
    reply_in_editor(&desk.alice, &desk.id, &editor);
    let second = std::fs::read_to_string(&log).expect("log");
    let next = second.lines().nth(4).expect("second run");
    assert_ne!(next, lines[0], "a new name each time");
    assert_eq!(std::fs::read_to_string(&target).expect("target"), "keep me");
    // A successful edit leaves nothing behind in the drafts directory.
    let drafts = path.parent().expect("dir").to_path_buf();
    let names = || -> std::collections::BTreeSet<String> {
        std::fs::read_dir(&drafts)
            .expect("drafts dir")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect()
    };
    let before = names();
    let editor = editor_script(&dir, "printf 'Done.\\n' >> \"$1\"\n");
    let (code, said) = reply_in_editor(&desk.alice, &desk.id, &editor);
    assert_eq!(code, 0, "{said}");
    let left: Vec<String> = names().difference(&before).cloned().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
