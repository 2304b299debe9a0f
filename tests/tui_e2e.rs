//! The terminal UI end to end: the real `tanto` binary in tmux against the real Dovecot,
//! read back with `tmux capture-pane`.

mod harness;
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use harness::{sample_message, Dovecot, Relay, SmtpSink};
use support::tmux::{scripted_editor, Tmux};
use support::Tanto;

/// What only these tests need of the shared tmux driver.
impl Tmux {
    /// The pid of the tanto running in pane `name` (the shell's child).
    fn tanto_pid(&self, name: &str) -> String {
        let shell = self.pane(name, "#{pane_pid}");
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
            .unwrap_or_default();
        children
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits until tanto in pane `name` has exited; returns its exit code.
    fn wait_exit(&self, name: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            // The shell creates the file before it writes the code: empty is "not yet".
            if let Ok(code) = std::fs::read_to_string(self.exit_file(name)) {
                if code.ends_with('\n') {
                    return code.trim().to_string();
                }
            }
            if Instant::now() >= deadline {
                // Where each thread of the stuck process waits, for the failure message.
                let pid = self.tanto_pid(name);
                let mut threads = String::new();
                if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) {
                    for t in dir.flatten() {
                        let p = t.path();
                        let read = |f: &str| std::fs::read_to_string(p.join(f)).unwrap_or_default();
                        threads.push_str(&format!(
                            "{} {} {}\n",
                            read("comm").trim(),
                            read("wchan"),
                            read("stat")
                        ));
                    }
                }
                panic!(
                    "{name} did not exit (pid {pid}); threads:\n{threads}\nthe screen:\n{}",
                    self.screen(name)
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// The row of the list that shows `subject`.
/// Every agent here reaches the server 50 ms away (25 ms each way, through the devserver's
/// delay relay), as from a jump host: what the screen shows must not depend on a free link.
fn slow_link(server: &Dovecot) -> Relay {
    let relay = Relay::start(server.port);
    relay.delay(Duration::from_millis(25));
    relay
}

fn row_of<'a>(screen: &'a str, subject: &str) -> Option<&'a str> {
    screen.lines().find(|l| l.contains(subject))
}

#[test]
fn a_claim_and_a_note_by_one_agent_show_on_the_other_agents_screen_by_themselves() {
    let server = Dovecot::start();
    let link = slow_link(&server);
    // Distinct arrival times, so that "Question 2" is the newest and tops the list.
    append_questions(&server, 3);
    let root = tempfile::tempdir().expect("tempdir");
    // Two agents on two hosts: each its own cache, so news travels only through the server.
    let alice = Tanto::via(&server, link.port(), &root.path().join("a"), "alice");
    let bob = Tanto::via(&server, link.port(), &root.path().join("b"), "bob");
    alice.sync();
    bob.sync();
    let tmux = Tmux::new(root.path());
    tmux.open("A", &alice);
    tmux.open("B", &bob);
    tmux.wait_for("A", "the list", |s| {
        s.contains("New 3") && s.contains("Question 2")
    });
    // B looks at In progress, empty for now.
    tmux.wait_for("B", "the list", |s| s.contains("New 3"));
    tmux.keys("B", &["2"]);
    tmux.wait_for("B", "the empty In progress tab", |s| {
        s.contains("No conversations in In progress")
    });

    // A claims the newest conversation.
    tmux.keys("A", &["c"]);
    tmux.wait_for("A", "the claim done", |s| {
        s.contains("New 2") && s.contains("In progress 1")
    });
    // With no key pressed, B's screen moves it from New to In progress, held by alice.
    let screen = tmux.wait_for("B", "alice's claim", |s| {
        row_of(s, "Question 2").is_some_and(|r| r.contains("alice"))
    });
    tmux.wait_for("B", "the counts", |s| {
        s.contains("New 2") && s.contains("In progress 1")
    });
    assert!(screen.contains("bob@support"), "{screen}");

    // A goes to the claimed conversation (the selection stayed on New's first row) and
    // writes a note in the inline editor.
    tmux.keys("A", &["2"]);
    tmux.wait_for("A", "the In progress tab", |s| {
        row_of(s, "Question 2").is_some_and(|r| r.contains("alice"))
    });
    tmux.keys("A", &["e"]);
    tmux.wait_for("A", "the note editor", |s| s.contains("Internal note"));
    tmux.text("A", "Called the customer back");
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the note sent", |s| s.contains("note added"));

    // B opens the conversation and reads the note.
    tmux.keys("B", &["Enter"]);
    tmux.wait_for("B", "the note in the reader", |s| {
        s.contains("Note alice") && s.contains("Called the customer back")
    });

    // q leaves the reader, then quits; both terminals are given back.
    tmux.keys("B", &["q"]);
    tmux.wait_for("B", "the list again", |s| s.contains("In progress 1"));
    tmux.keys("B", &["q"]);
    tmux.keys("A", &["q"]);
    for name in ["A", "B"] {
        assert_eq!(tmux.wait_exit(name), "0", "{name}:\n{}", tmux.screen(name));
        assert_eq!(tmux.pane(name, "#{alternate_on}"), "0", "{name}");
    }
}

#[test]
fn with_dovecot_down_the_tui_says_it_is_reconnecting_keeps_working_and_recovers() {
    let mut server = Dovecot::start();
    let link = slow_link(&server);
    let msgs: Vec<Vec<u8>> = (0..3).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::via(&server, link.port(), &root.path().join("a"), "alice");
    alice.sync();
    // A first sync leaves the filter's index to the TUI, which builds it in the background.
    let ready = || {
        tanto_app::Ctx::load(Some(&alice.config))
            .and_then(|ctx| Ok(ctx.cache()?.fts_ready()))
            .expect("the cache")
    };
    assert!(!ready(), "the filter index right after a first sync");
    let tmux = Tmux::new(root.path());
    tmux.open("A", &alice);
    tmux.wait_for("A", "connected", |s| {
        s.contains("New 3") && s.contains("connected")
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !ready() {
        assert!(
            std::time::Instant::now() < deadline,
            "the TUI did not build the filter index"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    tmux.keys("A", &["/"]);
    tmux.text("A", "Question 2");
    tmux.wait_for("A", "the filtered list", |s| {
        s.contains("Question 2") && !s.contains("Question 1")
    });
    tmux.keys("A", &["Escape"]);
    tmux.wait_for("A", "the whole tab again", |s| s.contains("Question 1"));

    server.stop();
    tmux.wait_for("A", "reconnecting", |s| {
        s.contains("reconnecting") || s.contains("offline since")
    });
    // The cached data still answers keys.
    tmux.keys("A", &["2"]);
    tmux.wait_for("A", "the In progress tab", |s| {
        s.contains("No conversations in In progress")
    });
    tmux.keys("A", &["1"]);
    tmux.wait_for("A", "the New tab", |s| s.contains("Question 1"));

    server.restart();
    server.append("support", "INBOX", &sample_message(3, None), &[]);
    tmux.wait_for("A", "recovered with the new mail", |s| {
        s.contains("New 4") && s.contains("Question 3") && s.contains("connected")
    });
    // Connected, and no "retrying" line left beside it; the history kept it in full.
    tmux.wait_for("A", "the trouble line gone", |s| {
        let bar = s.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
        bar.contains("connected") && !bar.contains("retrying")
    });
    tmux.keys("A", &["M"]);
    tmux.wait_for("A", "the message history", |s| {
        s.contains("Messages (newest last") && s.contains("cannot reach the server")
    });
    tmux.keys("A", &["Escape"]);
    tmux.wait_for("A", "the list", |s| !s.contains("Messages (newest last"));
    tmux.keys("A", &["q"]);
    assert_eq!(
        tmux.wait_exit("A"),
        "0",
        "stderr: {}",
        std::fs::read_to_string(alice.dir.join("stderr.log")).unwrap_or_default()
    );
}

/// An agent whose config sends through `sink`, with an undo window of `undo` seconds.
fn replier(
    server: &Dovecot,
    link: &Relay,
    sink: &SmtpSink,
    dir: &Path,
    id: &str,
    undo: u64,
) -> Tanto {
    let t = Tanto::via(server, link.port(), dir, id);
    let text = std::fs::read_to_string(&t.config).expect("read config");
    std::fs::write(
        &t.config,
        format!(
            "{text}{}\n[team]\nundo_seconds = {undo}\n",
            sink.config_toml()
        ),
    )
    .expect("write config");
    t
}

#[test]
fn r_replies_in_the_editor_the_mail_goes_out_once_and_the_other_agent_sees_it_done() {
    let server = Dovecot::start();
    let link = slow_link(&server);
    let sink = SmtpSink::start();
    server.append_many("support", "INBOX", &[sample_message(0, None)]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = replier(&server, &link, &sink, &root.path().join("a"), "alice", 2);
    let bob = replier(&server, &link, &sink, &root.path().join("b"), "bob", 2);
    alice.sync();
    bob.sync();
    let editor = scripted_editor(root.path(), "Thank you, it shipped today.");
    let tmux = Tmux::new(root.path());
    tmux.open_with("A", &alice, &format!("EDITOR={} VISUAL=", editor.display()));
    tmux.open("B", &bob);
    tmux.wait_for("A", "the list", |s| {
        s.contains("New 1") && s.contains("Question 0")
    });
    tmux.wait_for("B", "the list", |s| {
        s.contains("New 1") && s.contains("connected")
    });

    tmux.keys("A", &["r"]);
    tmux.wait_for("A", "the send prompt", |s| {
        s.contains("Reply to") && s.contains("Enter/y send")
    });
    tmux.keys("A", &["Enter"]);
    // The countdown (the next test takes a reply back within it); on a loaded machine the
    // screen may be read only once the reply is out.
    tmux.wait_for("A", "the undo countdown", |s| {
        s.contains("reply sends in") || s.contains("reply sent") || s.contains("Done 1")
    });
    // Sent at the end of the window by the TUI, or by its watcher's outbox pass first, or
    // (over a slow link, often) by bob's, whose pass found it due first: then A says who.
    tmux.wait_for("A", "the reply sent", |s| {
        s.contains("reply sent")
            || s.contains("reply was sent")
            || (s.contains("being sent by bob") && s.contains("Done 1"))
    });
    // With no key pressed, B sees the conversation leave New for Done.
    tmux.wait_for("B", "the conversation done", |s| {
        s.contains("New 0") && s.contains("Done 1")
    });
    let got = sink.wait_for(1, Duration::from_secs(30));
    let raw = String::from_utf8_lossy(&got[0].raw).into_owned();
    assert!(raw.contains("Thank you, it shipped today."), "{raw}");
    std::thread::sleep(Duration::from_millis(500));
    bob.sync();
    assert_eq!(sink.received().len(), 1, "exactly one mail");
    tmux.keys("A", &["q"]);
    tmux.keys("B", &["q"]);
    for name in ["A", "B"] {
        assert_eq!(tmux.wait_exit(name), "0", "{name}");
    }
}

#[test]
fn a_reply_taken_back_within_the_undo_window_never_reaches_smtp() {
    let server = Dovecot::start();
    let link = slow_link(&server);
    let sink = SmtpSink::start();
    server.append_many("support", "INBOX", &[sample_message(0, None)]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = replier(&server, &link, &sink, &root.path().join("a"), "alice", 4);
    let bob = replier(&server, &link, &sink, &root.path().join("b"), "bob", 4);
    alice.sync();
    let editor = scripted_editor(root.path(), "Oops, not this.");
    let tmux = Tmux::new(root.path());
    tmux.open_with("A", &alice, &format!("EDITOR={} VISUAL=", editor.display()));
    tmux.wait_for("A", "the list", |s| s.contains("Question 0"));
    tmux.keys("A", &["r"]);
    tmux.wait_for("A", "the send prompt", |s| s.contains("Enter/y send"));
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the undo countdown", |s| s.contains("reply sends in"));
    tmux.keys("A", &["z"]);
    tmux.wait_for("A", "taken back", |s| s.contains("taken back"));
    // Well past the window, with another agent's tanto sending what is due: nothing goes.
    std::thread::sleep(Duration::from_secs(5));
    bob.sync();
    assert!(sink.received().is_empty(), "the taken-back reply was sent");
    assert!(
        !tmux.screen("A").contains("reply sent"),
        "{}",
        tmux.screen("A")
    );
    tmux.keys("A", &["q"]);
    tmux.wait_exit("A");
}

/// Rows of the cache's presence table (expired ones included).
fn presence_rows(agent: &Tanto) -> i64 {
    let db = rusqlite::Connection::open(&agent.cache).expect("open the cache");
    db.query_row("SELECT count(*) FROM presence", [], |r| r.get(0))
        .expect("count presence")
}

#[test]
fn a_lost_terminal_sighup_clears_presence_and_leaves_no_process() {
    let server = Dovecot::start();
    let link = slow_link(&server);
    server.append_many("support", "INBOX", &[sample_message(0, None)]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::via(&server, link.port(), &root.path().join("a"), "alice");
    alice.sync();
    let tmux = Tmux::new(root.path());
    tmux.open("A", &alice);
    tmux.wait_for("A", "the list", |s| s.contains("Question 0"));
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the reader", |s| s.contains("── Customer"));
    let deadline = Instant::now() + Duration::from_secs(45);
    while presence_rows(&alice) == 0 {
        assert!(Instant::now() < deadline, "opening never marked viewing");
        std::thread::sleep(Duration::from_millis(100));
    }
    let pid = tmux.tanto_pid("A");
    // The ssh session is gone: the terminal hangs up on tanto.
    Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .expect("kill -HUP");
    tmux.wait_exit("A");
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "tanto still runs after SIGHUP"
    );
    assert_eq!(presence_rows(&alice), 0, "presence left behind");
    // Killing the whole session (what a dropped ssh does to the pane) leaves nothing either.
    tmux.open("B", &alice);
    tmux.wait_for("B", "the list", |s| s.contains("Question 0"));
    tmux.keys("B", &["Enter"]);
    tmux.wait_for("B", "the reader", |s| s.contains("── Customer"));
    let pid = tmux.tanto_pid("B");
    let deadline = Instant::now() + Duration::from_secs(45);
    while presence_rows(&alice) == 0 {
        assert!(
            Instant::now() < deadline,
            "opening in B never marked viewing"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    tmux.cmd(&["kill-session", "-t", "B"]);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Path::new(&format!("/proc/{pid}")).exists() {
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        if state.split_whitespace().nth(2) == Some("Z") {
            break; // exited; only the reaping is left to tmux
        }
        assert!(
            Instant::now() < deadline,
            "tanto still runs after its terminal died"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(presence_rows(&alice), 0, "presence left behind");
}

/// `tanto outbox --json` of `agent`: the queued replies as the server has them.
fn outbox(agent: &Tanto) -> Vec<serde_json::Value> {
    agent
        .json(&["outbox", "--json"])
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// "2026-01-05 09:00": how the TUI (run with TZ=UTC) shows `at`.
fn utc_minute(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .expect("time")
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[test]
fn a_reply_sent_later_shows_in_the_reader_and_z_takes_it_back_with_its_text() {
    let server = Dovecot::start();
    let link = slow_link(&server);
    let sink = SmtpSink::start();
    server.append_many("support", "INBOX", &[sample_message(0, None)]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = replier(&server, &link, &sink, &root.path().join("a"), "alice", 2);
    alice.sync();
    // The first run writes the reply; the second keeps what it was given to read.
    let line = "明日の午前中にお届けします。";
    let seen = root.path().join("second-draft.txt");
    let once = root.path().join("edited-once");
    let editor = support::editor_script(
        root.path(),
        &format!(
            "if [ -e {once} ]; then cp \"$1\" {seen}; exit 0; fi\n: > {once}\nsed -i '0,/^$/s//\\n{line}/' \"$1\"\n",
            once = once.display(),
            seen = seen.display(),
        ),
    );
    let tmux = Tmux::new(root.path());
    tmux.open_with("A", &alice, &format!("EDITOR={} VISUAL=", editor.display()));
    tmux.wait_for("A", "the list", |s| {
        s.contains("New 1") && s.contains("Question 0")
    });

    tmux.keys("A", &["r"]);
    tmux.wait_for("A", "the send prompt", |s| s.contains("Enter/y send"));
    tmux.keys("A", &["l"]);
    tmux.text("A", "+1h");
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the reply scheduled", |s| {
        s.contains("reply scheduled for")
    });
    let queued = outbox(&alice);
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(queued[0]["standing"], "scheduled", "{queued:?}");
    let at = queued[0]["send_at"].as_i64().expect("send_at");
    let ahead = at - support::now();
    assert!((3500..=3600).contains(&ahead), "an hour ahead: {ahead} s");

    // Claimed by writing: the conversation is in In progress, where the reader opens it.
    tmux.keys("A", &["2"]);
    tmux.wait_for("A", "the In progress tab", |s| {
        row_of(s, "Question 0").is_some_and(|r| r.contains("alice"))
    });
    tmux.keys("A", &["Enter"]);
    let scheduled = format!("alice's reply: scheduled · {}", utc_minute(at));
    let screen = tmux.wait_for("A", "the scheduled reply in the reader", |s| {
        s.contains("── Outbox") && s.contains(&scheduled)
    });
    assert!(screen.contains("z takes it back"), "{screen}");

    tmux.keys("A", &["z"]);
    // The status line may come a frame before the reader drops the queued reply.
    tmux.wait_for("A", "taken back", |s| {
        s.contains("reply taken back") && !s.contains("z takes it back")
    });
    tmux.wait_for("A", "the outbox line gone", |s| !s.contains("── Outbox"));
    assert_eq!(outbox(&alice), Vec::<serde_json::Value>::new());
    assert!(sink.received().is_empty(), "a taken-back reply was sent");

    // The next reply opens the text that was taken back, and says so.
    tmux.keys("A", &["r"]);
    tmux.wait_for("A", "the send prompt again", |s| s.contains("Enter/y send"));
    let draft = std::fs::read_to_string(&seen).expect("the editor ran a second time");
    assert!(draft.contains(line), "{draft}");
    assert!(draft.contains("taken back before it went out"), "{draft}");
    // Put aside: nothing goes out.
    tmux.keys("A", &["Escape"]);
    tmux.wait_for("A", "the draft put aside", |s| !s.contains("Enter/y send"));
    std::thread::sleep(Duration::from_millis(500));
    assert!(sink.received().is_empty(), "a reply put aside was sent");
    tmux.keys("A", &["q"]);
    tmux.wait_for("A", "the list", |s| s.contains("Age"));
    // The draft put aside lives in this process only: quitting asks first.
    tmux.keys("A", &["q"]);
    tmux.wait_for("A", "the question", |s| s.contains("Quit?"));
    tmux.keys("A", &["y"]);
    assert_eq!(tmux.wait_exit("A"), "0", "{}", tmux.screen("A"));
}

#[test]
fn a_scheduled_reply_is_held_when_a_second_reply_went_out_first() {
    let server = Dovecot::start();
    let link = slow_link(&server);
    let sink = SmtpSink::start();
    server.append_many("support", "INBOX", &[sample_message(0, None)]);
    let root = tempfile::tempdir().expect("tempdir");
    // No undo window: the second reply goes out at Enter.
    let alice = replier(&server, &link, &sink, &root.path().join("a"), "alice", 0);
    let bob = replier(&server, &link, &sink, &root.path().join("b"), "bob", 0);
    alice.sync();
    bob.sync();
    // The first run writes the scheduled reply, the second (after keeping the draft it was
    // given) the one sent at once.
    let first = "Scheduled text: we will write again tomorrow.";
    let second = "Sent at once: it shipped today.";
    let seen = root.path().join("second-draft.txt");
    let once = root.path().join("edited-once");
    let editor = support::editor_script(
        root.path(),
        &format!(
            "if [ -e {once} ]; then\n  cp \"$1\" {seen}\n  sed -i '0,/^$/s//\\n{second}/' \"$1\"\nelse\n  : > {once}\n  sed -i '0,/^$/s//\\n{first}/' \"$1\"\nfi\n",
            once = once.display(),
            seen = seen.display(),
        ),
    );
    let tmux = Tmux::new(root.path());
    tmux.open_with("A", &alice, &format!("EDITOR={} VISUAL=", editor.display()));
    tmux.wait_for("A", "the list", |s| {
        s.contains("New 1") && s.contains("Question 0")
    });
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the reader", |s| s.contains("── Customer"));

    tmux.keys("A", &["r"]);
    tmux.wait_for("A", "the send prompt", |s| s.contains("Enter/y send"));
    tmux.keys("A", &["l"]);
    tmux.text("A", "+30s");
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the reply scheduled", |s| {
        s.contains("reply scheduled for") && s.contains("alice's reply: scheduled")
    });
    let queued = outbox(&alice);
    assert_eq!(queued.len(), 1, "{queued:?}");
    let at = queued[0]["send_at"].as_i64().expect("send_at");

    // At once a second reply, sent now.
    tmux.keys("A", &["r"]);
    tmux.wait_for("A", "the second send prompt", |s| {
        s.contains("Enter/y send")
    });
    let draft = std::fs::read_to_string(&seen).expect("the editor ran a second time");
    assert!(draft.contains("is still in the outbox"), "{draft}");
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the second reply sent", |s| s.contains("reply sent"));
    assert!(
        support::now() < at,
        "the machine was too slow: the second reply went out after the first's time"
    );
    let got = sink.received();
    assert_eq!(got.len(), 1, "exactly the second reply");
    let raw = String::from_utf8_lossy(&got[0].raw).into_owned();
    assert!(raw.contains(second) && !raw.contains(first), "{raw}");

    // The first one's time comes: a teammate's sync (or alice's own watcher) holds it.
    while support::now() <= at {
        std::thread::sleep(Duration::from_millis(200));
    }
    bob.sync();
    let deadline = Instant::now() + Duration::from_secs(30);
    let held = loop {
        let queued = outbox(&alice);
        if queued.len() == 1 && queued[0]["standing"] == "held" {
            break queued;
        }
        assert!(Instant::now() < deadline, "not held: {queued:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(held[0]["author"], "alice", "{held:?}");
    std::thread::sleep(Duration::from_millis(500));
    let got = sink.received();
    assert_eq!(got.len(), 1, "the scheduled reply went out too");
    assert!(!String::from_utf8_lossy(&got[0].raw).contains(first));

    // The reader shows it held, and why.
    tmux.keys("A", &["G"]);
    let screen = tmux.wait_for("A", "the held reply in the reader", |s| {
        s.contains("alice's reply: held") && s.contains("Why:")
    });
    assert!(!screen.contains("alice's reply: scheduled"), "{screen}");
    tmux.keys("A", &["q"]);
    tmux.keys("A", &["q"]);
    assert_eq!(tmux.wait_exit("A"), "0", "{}", tmux.screen("A"));
    // The second draft named the first reply's standing as it was: scheduled, not due now.
    assert!(
        draft.contains("is still in the outbox (scheduled)"),
        "the second draft's note on the scheduled reply: {draft}"
    );
}

/// Japanese from the locale or from the config reaches the terminal UI, not only the CLI:
/// the TUI starts through the same path as every command.
#[test]
fn the_tui_speaks_japanese_from_the_locale_and_from_the_config_at_80_columns() {
    let server = Dovecot::start();
    let msgs: Vec<Vec<u8>> = (0..2).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let root = tempfile::tempdir().expect("tempdir");
    let by_locale = Tanto::new(&server, &root.path().join("a"), "alice");
    let by_config = Tanto::new(&server, &root.path().join("b"), "bob");
    let text = std::fs::read_to_string(&by_config.config).expect("read config");
    std::fs::write(&by_config.config, format!("lang = \"ja\"\n{text}")).expect("write config");
    let tmux = Tmux::new(root.path());
    tmux.open_with(
        "A",
        &by_locale,
        "EDITOR= VISUAL= LC_ALL= LC_MESSAGES= LANG=ja_JP.UTF-8",
    );
    tmux.open_with(
        "B",
        &by_config,
        "EDITOR= VISUAL= LC_ALL= LC_MESSAGES= LANG=C.UTF-8",
    );
    for name in ["A", "B"] {
        tmux.cmd(&["resize-window", "-t", name, "-x", "80", "-y", "24"]);
        tmux.wait_for(name, "the Japanese tabs", |s| {
            s.contains("新着 2") && s.contains("対応中") && s.contains("対応完了")
        });
        tmux.keys(name, &["?"]);
        tmux.wait_for(name, "the Japanese help", |s| s.contains("キー操作"));
        // Apart: Esc and a letter at once read as Alt and the letter.
        tmux.keys(name, &["Escape"]);
        tmux.wait_for(name, "the help closed", |s| !s.contains("キー操作"));
        tmux.keys(name, &["q"]);
        assert_eq!(tmux.wait_exit(name), "0", "{name}:\n{}", tmux.screen(name));
    }
}

/// alice's TUI (pane "A") on a New tab of `n` sample questions, synced.
fn alice_on_new(n: usize) -> (Dovecot, tempfile::TempDir, Tanto, Tmux) {
    let server = Dovecot::start();
    let msgs: Vec<Vec<u8>> = (0..n).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    alice.sync();
    let tmux = Tmux::new(root.path());
    tmux.open("A", &alice);
    tmux.wait_for("A", "the list", |s| s.contains(&format!("New {n}")));
    (server, root, alice, tmux)
}

/// A neomutt/aerc user's keys do what they expect and never write to the team's log by
/// accident: `/` in the reader searches (the letters typed are text), Esc backs out and
/// never quits, keys sent with a tab switch reach the new tab, Ctrl-c in the note editor
/// asks, `n` is the next match, `:` completes and recalls, Ctrl-L redraws, and `q` quits.
#[test]
fn search_keys_in_the_reader_and_the_list_never_act_and_esc_never_quits() {
    let (_server, _root, alice, tmux) = alice_on_new(2);

    // Esc in the list says which key quits, and stays.
    tmux.keys("A", &["Escape"]);
    tmux.wait_for("A", "the quit hint", |s| {
        s.contains("Esc backs out; q quits")
    });

    // In the reader, `/do` is a search for "do", not done + reopen.
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the reader", |s| s.contains("── Customer"));
    tmux.keys("A", &["/", "d", "o"]);
    tmux.wait_for("A", "the search prompt", |s| s.contains("/do█"));
    tmux.keys("A", &["BSpace", "BSpace"]);
    tmux.text("A", "hello");
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the match", |s| s.contains("hello: match 1 of"));
    tmux.keys("A", &["n"]);
    tmux.keys("A", &["Escape"]);
    tmux.wait_for("A", "the list again", |s| {
        s.contains("New 2") && s.contains("Age")
    });
    let list = alice.json(&["list", "--json"]);
    for c in list.as_array().expect("array") {
        assert_eq!(c["status"], "new", "{list}");
    }

    // A tab switch and the keys after it in one burst (to In progress and back, then
    // Enter): none is lost, the reader opens on New's first row.
    tmux.keys("A", &["2", "1", "Enter"]);
    tmux.wait_for("A", "the reader opened by the burst", |s| {
        s.contains("── Customer") && !s.contains("Age")
    });
    tmux.keys("A", &["q"]);
    tmux.wait_for("A", "the list again", |s| s.contains("Age"));

    // n with no search says so instead of opening a note; the note key names the
    // conversation, and Ctrl-c there asks before losing the text.
    tmux.keys("A", &["n"]);
    tmux.wait_for("A", "no search yet", |s| s.contains("no search yet"));
    tmux.keys("A", &["e"]);
    tmux.wait_for("A", "the note editor", |s| {
        s.contains("Internal note on “Question ")
    });
    tmux.text("A", "Called back");
    tmux.keys("A", &["C-c"]);
    tmux.wait_for("A", "the question", |s| s.contains("Quit?"));
    tmux.keys("A", &["n"]);
    tmux.wait_for("A", "the note again", |s| s.contains("Called back█"));
    tmux.keys("A", &["Escape"]);
    tmux.wait_for("A", "the note cancelled", |s| s.contains("note not sent"));

    // The command line completes with Tab and recalls with Up.
    tmux.keys("A", &[":"]);
    tmux.text("A", "mess");
    tmux.keys("A", &["Tab"]);
    tmux.wait_for("A", "the completed command", |s| s.contains(":messages█"));
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the message history", |s| {
        s.contains("Messages (newest last") && s.contains("note not sent")
    });
    tmux.keys("A", &["Escape"]);
    tmux.wait_for("A", "the history closed", |s| {
        !s.contains("Messages (newest")
    });
    tmux.keys("A", &[":"]);
    tmux.keys("A", &["Up"]);
    tmux.wait_for("A", "the recalled command", |s| s.contains(":messages█"));
    tmux.keys("A", &["Escape"]);

    // Whatever else wrote over the screen, Ctrl-L draws it all again.
    let tty = tmux.pane("A", "#{pane_tty}");
    std::fs::write(&tty, "\x1b[5;10HGARBAGE-ON-SCREEN").expect("write to the pane's tty");
    tmux.wait_for("A", "the garbage", |s| s.contains("GARBAGE-ON-SCREEN"));
    tmux.keys("A", &["C-l"]);
    tmux.wait_for("A", "the screen redrawn", |s| {
        !s.contains("GARBAGE-ON-SCREEN") && s.contains("Age")
    });
    tmux.keys("A", &["q"]);
    assert_eq!(tmux.wait_exit("A"), "0", "{}", tmux.screen("A"));
}

/// A search looks in every tab: the tab bar counts the matches of each, and a tab with none
/// says which tabs have some; the tabs stay a key away.
#[test]
fn a_search_counts_matches_in_every_tab_and_an_empty_tab_says_where_they_are() {
    let (_server, _root, _alice, tmux) = alice_on_new(3);
    tmux.keys("A", &["c"]);
    tmux.wait_for("A", "the claim", |s| s.contains("In progress 1"));
    tmux.keys("A", &["2"]);
    let screen = tmux.wait_for("A", "the claimed one", |s| {
        row_of(s, "Question").is_some_and(|r| r.contains("alice"))
    });
    let row = row_of(&screen, "Question").unwrap_or_default();
    let at = row.find("Question").unwrap_or_default();
    let subject: String = row[at..].chars().take("Question 0".len()).collect();
    tmux.keys("A", &["1"]);
    tmux.wait_for("A", "New", |s| {
        s.contains("New 2") && row_of(s, &subject).is_none()
    });
    tmux.keys("A", &["/"]);
    tmux.wait_for("A", "the search prompt at once", |s| {
        s.lines().any(|l| l.starts_with("/█"))
    });
    tmux.text("A", &subject);
    tmux.wait_for("A", "matches elsewhere", |s| {
        s.contains("no match in New; matches in In progress 1")
            && s.contains("New 0")
            && s.contains("In progress 1")
    });
    tmux.keys("A", &["Enter"]);
    // Keys for a conversation, on a tab with none, say so.
    tmux.keys("A", &["d"]);
    tmux.wait_for("A", "the empty tab's answer", |s| {
        s.contains("nothing selected: New has no conversation here")
    });
    tmux.keys("A", &["2"]);
    tmux.wait_for("A", "the match in In progress", |s| {
        s.lines()
            .any(|l| l.contains(&subject) && l.contains("alice") && !l.contains('/'))
    });
    tmux.keys("A", &["q"]);
    assert_eq!(tmux.wait_exit("A"), "0", "{}", tmux.screen("A"));
}

/// At 80x24 the help does not end before the last keys: it says there is more, scrolls,
/// and its last page ends with the questions' keys and the footer.
#[test]
fn the_help_at_80x24_says_there_is_more_and_scrolls_to_its_last_key() {
    let (_server, _root, _alice, tmux) = alice_on_new(1);
    tmux.cmd(&["resize-window", "-t", "A", "-x", "80", "-y", "24"]);
    tmux.keys("A", &["?"]);
    tmux.wait_for("A", "the help's first page", |s| {
        s.contains("Keys (Esc closes)") && s.contains("more below") && !s.contains("more above")
    });
    tmux.keys("A", &["Space"]);
    tmux.wait_for("A", "the second page", |s| s.contains("more above"));
    tmux.keys("A", &["G"]);
    let last = tmux.wait_for("A", "the last page", |s| {
        s.contains("Questions") && !s.contains("more below")
    });
    assert!(last.contains("Change keys in the config"), "{last}");
    // Every line fits: nothing is cut with "…" in the help (the status bar under it may
    // still say "connecting…" on a busy machine).
    assert!(
        !last
            .lines()
            .filter(|l| l.contains('│'))
            .any(|l| l.contains('…')),
        "{last}"
    );
    tmux.keys("A", &["Escape"]);
    tmux.wait_for("A", "the list", |s| !s.contains("Keys (Esc closes)"));
    tmux.keys("A", &["q"]);
    assert_eq!(tmux.wait_exit("A"), "0", "{}", tmux.screen("A"));
}

/// "Question 0" to "Question n-1", a minute apart, the last the newest.
fn append_questions(server: &Dovecot, n: usize) {
    for i in 0..n {
        let date = format!("01-Jan-2024 08:{i:02}:00 +0000");
        server.append_dated(
            "support",
            "INBOX",
            &sample_message(i, None),
            &[],
            Some(&date),
        );
    }
}

/// A mail from `name` with this subject (raw UTF-8 in the header, as RFC 6532 allows).
fn mail_with_subject(i: usize, name: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: {name} <c{i}@customer.example>\r\nTo: support@example.com\r\n\
         Subject: {subject}\r\nDate: Mon, 1 Jan 2024 08:0{i}:00 +0000\r\n\
         Message-ID: <wide{i}@customer.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\n{subject}\r\nｻﾎﾟｰﾄｾﾝﾀｰ ｶﾞｲﾄﾞ\r\n"
    )
    .into_bytes()
}

/// The cells tmux itself takes to draw `text` (one line): printed in a pane of its own, the
/// cursor's column after it.
fn tmux_width(tmux: &Tmux, dir: &Path, text: &str) -> usize {
    let file = dir.join("measure.txt");
    std::fs::write(&file, text).expect("write");
    let _ = Command::new("tmux")
        .arg("-S")
        .arg(&tmux.socket)
        .args(["kill-session", "-t", "W"])
        .output();
    tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "W",
        "-x",
        "250",
        "-y",
        "5",
        &format!("cat {}; sleep 60", file.display()),
    ]);
    let mut last = String::new();
    for _ in 0..50 {
        std::thread::sleep(Duration::from_millis(100));
        let at = tmux.pane("W", "#{cursor_x},#{cursor_y}");
        if at == last && at != "0,0" {
            break;
        }
        last = at;
    }
    let (x, y) = last.split_once(',').expect("cursor");
    assert_eq!(y, "0", "{text:?} wrapped");
    x.parse().expect("column")
}

#[test]
fn flags_zwj_emoji_and_half_width_kana_keep_columns_borders_and_screens_in_line_in_tmux() {
    let server = Dovecot::start();
    let subjects = [
        // Long enough to be cut, with a ZWJ family where the cut falls.
        "🇯🇵 Flag ❤️ and 👍🏽 in a subject that goes on and on 👨‍👩‍👧‍👦 family 👩‍💻",
        "請求書 ｻﾎﾟｰﾄ ｶﾞｲﾄﾞ 🏳️‍🌈",
        "Plain ASCII subject",
    ];
    for (i, subject) in subjects.iter().enumerate() {
        let name = ["山田 花子", "ﾔﾏﾀﾞ ﾀﾛｳ 🇫🇷", "Bob"][i];
        server.append(
            "support",
            "INBOX",
            &mail_with_subject(i, name, subject),
            &[],
        );
    }
    let desk = support::tmux::desk_on(server);
    let (tmux, root) = (&desk.tmux, &desk.root);
    let list = tmux.wait_for("A", "the list", |s| {
        s.contains("New 3") && s.contains("Plain ASCII") && s.contains("請求書")
    });
    let header = list
        .lines()
        .find(|l| l.contains("Msgs"))
        .expect("the column header");
    let msgs_end = header.find("Msgs").expect("Msgs") + "Msgs".len();
    // Every row ends with its message count right under "Msgs", as tmux draws it.
    let rows: Vec<&str> = list
        .lines()
        .filter(|l| l.contains("Plain ASCII") || l.contains("請求書") || l.contains("Flag"))
        .collect();
    assert_eq!(rows.len(), 3, "{list}");
    // The Customer column names them where their mail gave a name.
    for (subject, name) in [
        ("Flag", "山田 花子"),
        ("請求書", "ﾔﾏﾀﾞ ﾀﾛｳ 🇫🇷"),
        ("Plain", "Bob"),
    ] {
        let row = rows.iter().find(|r| r.contains(subject)).expect("row");
        assert!(row.contains(name), "{row:?}");
    }
    for row in &rows {
        assert_eq!(
            tmux_width(tmux, root.path(), row.trim_end()),
            msgs_end,
            "{row:?} out of line with the header in:\n{list}"
        );
    }

    // A popup over the wide text: its borders stay straight.
    tmux.keys("A", &["?"]);
    let help = tmux.wait_for("A", "the help", |s| s.contains("next conversation"));
    let bordered: Vec<&str> = help
        .lines()
        .filter(|l| l.contains("Flag") || l.contains("請求書") || l.contains("next conversation"))
        .collect();
    let left = |l: &str| tmux_width(tmux, root.path(), &l[..l.find('│').expect("border")]);
    let right = |l: &str| tmux_width(tmux, root.path(), &l[..l.rfind('│').expect("border")]);
    let (l0, r0) = (left(bordered[0]), right(bordered[0]));
    for l in &bordered {
        assert_eq!((left(l), right(l)), (l0, r0), "{l:?} in:\n{help}");
    }
    tmux.keys("A", &["Escape"]);
    tmux.wait_for("A", "the list again", |s| !s.contains("next conversation"));

    // The reader and back: no cell of one screen is left on the other.
    tmux.keys("A", &["Enter"]);
    let reader = tmux.wait_for("A", "the reader", |s| s.contains("ｻﾎﾟｰﾄｾﾝﾀｰ"));
    assert!(reader.contains("ｻﾎﾟｰﾄｾﾝﾀｰ ｶﾞｲﾄﾞ"), "{reader}");
    tmux.keys("A", &["q"]);
    let again = tmux.wait_for("A", "the list again", |s| s.contains("Plain ASCII"));
    // The rows as before but for their ages (a second may have passed).
    let rows_of = |screen: &str| -> Vec<String> {
        screen
            .lines()
            .skip(2)
            .take(20)
            .map(|l| l.chars().skip(5).collect())
            .collect()
    };
    assert_eq!(
        rows_of(&list),
        rows_of(&again),
        "before:\n{list}\nafter:\n{again}"
    );
    tmux.keys("A", &["q"]);
    assert_eq!(tmux.wait_exit("A"), "0");
}

/// Tanto's number format for `n` in the English catalogue ("3,000").
fn thousands(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[test]
fn a_slow_first_sync_shows_its_counts_and_quitting_it_lets_the_next_tanto_sync_at_once() {
    let server = Dovecot::start();
    const N: usize = 3000;
    let msgs: Vec<Vec<u8>> = (0..N).map(|i| sample_message(i, None)).collect();
    server.append_many("support", "INBOX", &msgs);
    // A thin link: the first sync's headers take many seconds to come.
    let link = Relay::start(server.port);
    link.bandwidth(200_000);
    let root = tempfile::tempdir().expect("tempdir");
    // Two agents on one host: one cache, one sync lease.
    let dir = root.path().join("host");
    let alice = Tanto::via(&server, link.port(), &dir, "alice");
    let bob = Tanto::via(&server, link.port(), &dir, "bob");
    let tmux = Tmux::new(root.path());
    // Each names its host differently (as two containers on one cache volume would): a
    // lease left behind cannot be judged by its holder's process, only by its expiry.
    tmux.open_with("A", &alice, "EDITOR= VISUAL= TANTO_TEST_HOST=box-a");
    let started = Instant::now();
    let total = thousands(N);
    // The status bar names the phase with its counts, and they move.
    let screen = tmux.wait_for("A", "the first sync's counts", |s| {
        s.contains(&format!("syncing INBOX: 0 of {total}"))
    });
    eprintln!("A after {:?}:\n{screen}", started.elapsed());
    let screen = tmux.wait_for("A", "the counts moving", |s| {
        s.lines()
            .any(|l| l.contains(&format!(" of {total}")) && !l.contains(&format!(": 0 of {total}")))
    });
    eprintln!("A after {:?}:\n{screen}", started.elapsed());
    assert!(!screen.contains("connecting"), "{screen}");
    // A third agent on alice's host starts meanwhile: it says what it waits for.
    let carol = Tanto::via(&server, link.port(), &dir, "carol");
    tmux.open_with("C", &carol, "EDITOR= VISUAL= TANTO_TEST_HOST=box-a");
    tmux.wait_for("C", "carol waiting for alice's sync", |s| {
        s.contains("waiting for another tanto sharing this cache")
    });
    // Quit in the middle of it.
    let alice_pid = tmux.tanto_pid("A");
    tmux.keys("A", &["q"]);
    let quit = Instant::now();
    assert_eq!(tmux.wait_exit("A"), "0");
    let exit_took = quit.elapsed();
    let leases: i64 = rusqlite::Connection::open(&alice.cache)
        .and_then(|c| {
            c.query_row(
                "SELECT count(*) FROM leases WHERE holder LIKE ?1",
                [format!("box-a/{alice_pid}/%")],
                |r| r.get(0),
            )
        })
        .expect("read the leases");
    assert_eq!(leases, 0, "alice left her sync lease behind");
    // The link is free again: carol, who waited, syncs now (alice's lease went with her).
    link.bandwidth(0);
    tmux.wait_for("C", "carol's list", |s| {
        s.contains(&format!("New {N}")) && s.contains("connected")
    });
    // Bob's sync, on the same cache, starts at once rather than waiting for a lease held by
    // a process that is gone (carol's is done: on a loaded machine her first sync, begun on
    // the thin link, could otherwise still hold the lease when bob starts).
    tmux.open_with("B", &bob, "EDITOR= VISUAL= TANTO_TEST_HOST=box-b");
    let opened = Instant::now();
    let screen = tmux.wait_for("B", "bob's list", |s| {
        s.contains(&format!("New {N}")) && s.contains("connected")
    });
    let bob_took = opened.elapsed();
    eprintln!("A exited {exit_took:?} after q; B synced in {bob_took:?}:\n{screen}");
    assert!(exit_took < Duration::from_secs(3), "{exit_took:?}");
    assert!(bob_took < Duration::from_secs(15), "{bob_took:?}");
    tmux.keys("B", &["q"]);
    assert_eq!(tmux.wait_exit("B"), "0");
    tmux.keys("C", &["q"]);
    assert_eq!(tmux.wait_exit("C"), "0");
}

#[test]
fn new_mail_above_the_first_row_shows_and_the_selection_stays_on_its_conversation() {
    let server = Dovecot::start();
    // More than a screen of them: the window could hide a row above it.
    append_questions(&server, 40);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    alice.sync();
    let tmux = Tmux::new(root.path());
    tmux.open("A", &alice);
    tmux.wait_for("A", "the list", |s| {
        s.contains("New 40") && s.contains("Question 39")
    });
    // The cursor on the first row of New (on "Question 39", the newest), by the keys.
    tmux.keys("A", &["j", "k"]);
    std::thread::sleep(Duration::from_millis(300));
    server.append("support", "INBOX", &sample_message(40, None), &[]);
    let screen = tmux.wait_for("A", "the new mail", |s| s.contains("New 41"));
    let rows: Vec<&str> = screen.lines().skip(2).take(4).collect();
    assert!(
        rows[0].contains("Question 40") && rows[1].contains("Question 39"),
        "{screen}"
    );
    // The selection stayed on its conversation: opening it opens Question 39.
    tmux.keys("A", &["Enter"]);
    tmux.wait_for("A", "the reader", |s| {
        s.lines().next().is_some_and(|l| l.contains("Question 39"))
    });
    tmux.keys("A", &["q"]);
    tmux.keys("A", &["q"]);
    assert_eq!(tmux.wait_exit("A"), "0");
}

#[test]
fn ages_count_up_on_screen_without_a_key() {
    let server = Dovecot::start();
    // A mail that came 50 s ago (by its Date and its arrival).
    let at = support::now() - 50;
    let raw = String::from_utf8(mail_with_subject(0, "Carol", "Age check"))
        .expect("utf-8")
        .replace("Mon, 1 Jan 2024 08:00:00 +0000", &support::rfc2822(at));
    let arrival = chrono::DateTime::from_timestamp(at, 0)
        .expect("time")
        .format("%d-%b-%Y %H:%M:%S +0000")
        .to_string();
    server.append_dated("support", "INBOX", raw.as_bytes(), &[], Some(&arrival));
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    alice.sync();
    let tmux = Tmux::new(root.path());
    tmux.open("A", &alice);
    let screen = tmux.wait_for("A", "the list", |s| s.contains("Age check"));
    let age = |s: &str| {
        row_of(s, "Age check")
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_default()
            .to_string()
    };
    assert!(age(&screen).ends_with('s'), "{screen}");
    // No key pressed: within the next minute the age reads in minutes.
    tmux.wait_for_secs("A", "the age in minutes", 75, |s| age(s) == "1m");
    tmux.keys("A", &["q"]);
    assert_eq!(tmux.wait_exit("A"), "0");
}
