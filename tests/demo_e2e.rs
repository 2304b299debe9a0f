//! `tanto demo` end to end: the real binary in tmux, read back with `tmux capture-pane`.

mod harness;
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use support::tmux::{scripted_editor, Tmux};

/// Pids of live processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if text.contains(needle) {
            out.push((pid, text));
        }
    }
    out
}

/// The demo's server dir (the only entry in `parent`), once it exists.
fn server_dir(parent: &Path) -> PathBuf {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(e) = std::fs::read_dir(parent)
            .expect("read the demo's temp parent")
            .flatten()
            .next()
        {
            return e.path();
        }
        assert!(Instant::now() < deadline, "the demo made no server dir");
        std::thread::sleep(Duration::from_millis(50));
    }
}

const ENGLISH: &[&str] = &[
    "Where is my order",
    "Wrong size delivered",
    "Refund for order",
    "change my delivery",
    "Invoice with our",
    "Damaged item",
    "Discount code",
    "ship to Canada",
    "Cancel my",
    "Password reset",
    "the warranty",
    "Bulk order",
];

const JAPANESE: &[&str] = &[
    "配送状況",
    "破損",
    "返品",
    "請求書",
    "領収書",
    "お届け先",
    "クーポン",
    "定期便",
    "ログイン",
    "大量注文",
    "サイズ交換",
    "支払い方法",
    "請求書について",
];

/// Waits (up to `secs`) until no process mentions the demo's Dovecot instance or its dir,
/// and the dir is gone.
fn assert_nothing_left(dir: &Path, secs: u64) {
    let instance = dir
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix("tanto-dovecot-"))
        .expect("the server dir's name")
        .to_string();
    // Their titles name the instance (dovecot-tanto-<id>/imap); the watchdog names the dir.
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let left: Vec<_> = processes_mentioning(&format!("tanto-{instance}"))
            .into_iter()
            .chain(processes_mentioning(&dir.to_string_lossy()))
            .collect();
        if left.is_empty() && !dir.exists() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "left behind after {secs}s: {left:?}, dir exists: {}",
            dir.exists()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts `tanto demo` in a 120x40 tmux session "demo"; returns the tmux and the server dir.
fn start_demo(root: &Path) -> (Tmux, PathBuf) {
    start_demo_with(root, "", (120, 40))
}

/// Starts `tanto demo ARGS` in a tmux session "demo" of `size` columns and rows.
fn start_demo_with(root: &Path, args: &str, size: (u16, u16)) -> (Tmux, PathBuf) {
    start_demo_env(root, "EDITOR= VISUAL=", args, size)
}

/// Like `start_demo_with`, with `env` (`NAME=value ...`) for the demo.
fn start_demo_env(root: &Path, env: &str, args: &str, size: (u16, u16)) -> (Tmux, PathBuf) {
    let parent = root.join("srv");
    std::fs::create_dir_all(&parent).expect("mkdir");
    let tmux = Tmux {
        socket: root.join("tmux.sock"),
    };
    let line = format!(
        // The shell ignores the hangup so that it outlives the terminal and records how the
        // demo ended (tanto installs its own SIGHUP handler).
        "trap '' HUP; env TANTO_TEST_TMPDIR={} TANTO_DEMO_PACE_MS=600 {env} TZ=UTC {} demo {args}; \
         s=$?; echo $s > {}; echo demo-exit=$s",
        parent.display(),
        env!("CARGO_BIN_EXE_tanto"),
        root.join("status").display(),
    );
    tmux.cmd(&[
        "new-session",
        "-d",
        "-s",
        "demo",
        "-x",
        &size.0.to_string(),
        "-y",
        &size.1.to_string(),
        &line,
    ]);
    tmux.cmd(&["set-option", "-t", "demo", "remain-on-exit", "on"]);
    let dir = server_dir(&parent);
    (tmux, dir)
}

/// The demo's SMTP sink: its dir (inside the demo's), once it exists.
fn sink_dir(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .expect("read the demo's dir")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("smtp-"))
        })
        .expect("the demo started an SMTP sink in its dir")
}

/// The mails the demo's SMTP sink received so far.
fn sent_mail(sink: &Path) -> Vec<String> {
    std::fs::read_dir(sink.join("new"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read(e.path()).ok())
                .map(|raw| String::from_utf8_lossy(&raw).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits (up to `secs`) for a mail the sink received for which `ok` holds.
fn wait_for_mail(sink: &Path, what: &str, secs: u64, ok: impl Fn(&str) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !sent_mail(sink).iter().any(|m| ok(m)) {
        assert!(
            Instant::now() < deadline,
            "waited {secs}s for {what} in the SMTP sink; it has {} mail(s)",
            sent_mail(sink).len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The demo's SMTP server processes: aiosmtpd run with the sink's dir on its command line.
fn sink_processes(sink: &Path) -> Vec<(u32, String)> {
    processes_mentioning(&sink.join("sink.py").to_string_lossy())
}

/// A list row's columns: text separated by two spaces or more (age, customer, subject, …).
fn row_fields(line: &str) -> Vec<String> {
    line.split("  ")
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(String::from)
        .collect()
}

/// True when two renderings of a subject column name the same subject (either may be cut
/// short with "…" at a narrower width).
fn same_subject(a: &str, b: &str) -> bool {
    let a = a.trim_end_matches('…');
    let b = b.trim_end_matches('…');
    !a.is_empty() && !b.is_empty() && (a.starts_with(b) || b.starts_with(a))
}

fn shows_both_languages(s: &str) -> bool {
    s.contains("New")
        && ENGLISH.iter().any(|e| s.contains(e))
        && JAPANESE.iter().any(|j| s.contains(j))
}

#[test]
fn the_demo_shows_sample_mail_the_teammate_works_live_replies_go_through_smtp_and_q_leaves_nothing_behind(
) {
    let root = tempfile::tempdir().expect("tempdir");
    let editor = scripted_editor(root.path(), "Thanks, we are on it.");
    let env = format!("EDITOR={} VISUAL=", editor.display());
    let (tmux, dir) = start_demo_env(root.path(), &env, "", (120, 40));

    // The New tab, with English and Japanese sample mail (decoded from ISO-2022-JP or UTF-8).
    let screen = tmux.wait_for_secs("demo", "the New tab with sample mail", 60, |s| {
        s.contains("New")
            && ENGLISH.iter().any(|e| s.contains(e))
            && JAPANESE.iter().any(|j| s.contains(j))
    });
    assert!(screen.contains("you@support"), "{screen}");

    // In progress: with no key pressed after this one, hanako's claims appear there.
    tmux.cmd(&["send-keys", "-t", "demo", "2"]);
    tmux.wait_for_secs("demo", "hanako's claim on the In progress tab", 60, |s| {
        s.lines().any(|l| l.contains("hanako"))
    });
    // And her done conversations on the Done tab.
    tmux.cmd(&["send-keys", "-t", "demo", "3"]);
    tmux.wait_for_secs("demo", "a conversation hanako marked done", 60, |s| {
        s.lines().any(|l| l.contains("hanako"))
    });
    // Her replies went out through the demo's SMTP sink (her Message-IDs name her).
    let sink = sink_dir(&dir);
    assert!(!sink_processes(&sink).is_empty(), "no SMTP sink running");
    wait_for_mail(&sink, "hanako's reply", 30, |m| m.contains(".hanako."));

    // "you" replies from the TUI (r, the editor, Enter) to the oldest New conversation (G),
    // which hanako (on the newest) leaves alone; it reaches the sink after the undo window.
    tmux.cmd(&["send-keys", "-t", "demo", "1"]);
    tmux.wait_for("demo", "the New tab", |s| !s.contains("hanako"));
    tmux.cmd(&["send-keys", "-t", "demo", "G"]);
    tmux.cmd(&["send-keys", "-t", "demo", "r"]);
    tmux.wait_for_secs("demo", "the send prompt", 60, |s| {
        s.contains("Enter/y send")
    });
    tmux.cmd(&["send-keys", "-t", "demo", "Enter"]);
    tmux.wait_for_secs("demo", "the reply sent", 60, |s| {
        s.contains("reply sent") || s.contains("reply was sent")
    });
    // Its Message-ID names its author (the body may be base64: the quote can be Japanese).
    wait_for_mail(&sink, "you's reply", 10, |m| m.contains(".you."));

    tmux.cmd(&["send-keys", "-t", "demo", "q"]);
    let screen = tmux.wait_for_secs("demo", "the demo to exit", 60, |s| s.contains("demo-exit="));
    assert!(screen.contains("demo-exit=0"), "{screen}");
    assert_eq!(tmux.pane("demo", "#{alternate_on}"), "0");
    // No SMTP server of this demo is left (nor anything else of it).
    assert_nothing_left(&dir, 5);
    assert_eq!(
        sink_processes(&sink),
        vec![],
        "the SMTP sink outlived the demo"
    );
}

#[test]
fn a_hangup_stops_the_demo_at_once_and_leaves_nothing_behind() {
    let root = tempfile::tempdir().expect("tempdir");
    let (tmux, dir) = start_demo(root.path());
    tmux.wait_for_secs(
        "demo",
        "the New tab with sample mail",
        60,
        shows_both_languages,
    );
    // The terminal goes away (an ssh session dropped): SIGHUP to its foreground group.
    drop(tmux);
    // tanto ends by itself, stopping what it started (an abort would leave the cleanup
    // to the server's watchdog, seconds later).
    let status = root.path().join("status");
    let deadline = Instant::now() + Duration::from_secs(45);
    while !std::fs::read_to_string(&status).is_ok_and(|s| s.ends_with('\n')) {
        assert!(
            Instant::now() < deadline,
            "the demo did not end after the hangup"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let code = std::fs::read_to_string(&status).unwrap_or_default();
    // 0, or 1 when the UI saw the terminal fail before the signal: an exit of its own,
    // not an abort (134) nor a panic (101).
    assert!(
        matches!(code.trim(), "0" | "1"),
        "the demo's exit status after a hangup: {code}"
    );
    assert_nothing_left(&dir, 1);
}

#[test]
fn two_agents_side_by_side_see_each_other_s_claim_and_q_in_each_pane_leaves_nothing_behind() {
    let root = tempfile::tempdir().expect("tempdir");
    // No simulated teammate: the only claim is the one made here.
    let (outer, dir) = start_demo_with(root.path(), "--agents 2 --no-teammate", (200, 45));
    // The demo's own tmux server (attached in the outer pane) has one pane per agent.
    let demo = Tmux {
        socket: dir.join("tmux.sock"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !demo.socket.exists() {
        assert!(Instant::now() < deadline, "the demo opened no tmux server");
        std::thread::sleep(Duration::from_millis(100));
    }
    // By pane id: indexes shift when a pane quits. The demo splits its window after
    // starting the server: wait for the second pane.
    let panes = loop {
        let panes = demo.cmd(&["list-panes", "-t", "tanto-demo", "-F", "#{pane_id}"]);
        if panes.split_whitespace().count() >= 2 || Instant::now() > deadline {
            break panes;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let panes: Vec<&str> = panes.split_whitespace().collect();
    let [you, ken] = panes[..] else {
        panic!("two panes, one per agent: {panes:?}")
    };

    // Each pane runs the terminal UI of its own agent on the New tab with sample mail.
    for (pane, agent) in [(you, "you@support"), (ken, "ken@support")] {
        let screen = demo.wait_for_secs(pane, "the New tab with sample mail", 60, |s| {
            shows_both_languages(s) && s.contains(agent)
        });
        assert!(!screen.contains("hanako"), "{screen}");
    }
    // Side by side on the user's screen: the outer terminal shows both agents at once.
    outer.wait_for("demo", "both panes on one screen", |s| {
        s.contains("you@support") && s.contains("ken@support")
    });

    // "you" claims the first conversation of the New tab (c, from keymap.toml); ken sees it
    // in progress, held by you, with no key pressed in his pane after the tab switch.
    // The row by its subject, not its whole text: the panes may still be settling into their
    // final width when the row is read, and column widths follow the pane's.
    let first = demo
        .screen(you)
        .lines()
        .nth(2)
        .and_then(|l| row_fields(l).get(2).cloned())
        .expect("a first row in the New tab");
    let held_by_you = |s: &str| {
        s.lines().any(|l| {
            let f = row_fields(l);
            f.len() >= 4
                && same_subject(&f[2], &first)
                && f.last().is_some_and(|a| a.ends_with(" you") || a == "you")
        })
    };
    demo.keys(ken, &["2"]);
    demo.wait_for(ken, "ken's In progress tab", |s| s.contains("In progress"));
    assert!(
        !held_by_you(&demo.screen(ken)),
        "{first} is not claimed yet"
    );
    demo.keys(you, &["c"]);
    demo.wait_for(you, "the claim to be won", |s| s.contains("you claimed it"));
    demo.wait_for_secs(ken, "you's claim in ken's In progress tab", 60, held_by_you);

    // q in each pane ends the demo: the server, the SMTP sink and the tmux server go.
    demo.keys(you, &["q"]);
    demo.keys(ken, &["q"]);
    let screen = outer.wait_for_secs("demo", "the demo to exit", 60, |s| s.contains("demo-exit="));
    assert!(screen.contains("demo-exit=0"), "{screen}");
    assert_nothing_left(&dir, 5);
}
