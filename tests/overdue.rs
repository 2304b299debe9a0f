//! Reply targets in business hours, against a real Dovecot: with `[team.hours]` in Tokyo, a
//! mail at Friday 17:30 with a 60-minute target is due on Monday at 09:30, and a Japanese
//! holiday on the Monday makes it Tuesday. `TANTO_NOW` says what time it is.

mod harness;
mod support;

use harness::{sample_message, Dovecot};
use serde_json::Value;
use support::Tanto;

const HOURS: &str = "\n[team]\nreply_target_mins = 60\n[team.hours]\ndays = \"Mon-Fri\"\nfrom = \"09:00\"\nuntil = \"18:00\"\nzone = \"Asia/Tokyo\"\nholidays = \"jp\"\n";

/// Seconds since the epoch of a Tokyo wall-clock time "2026-12-07 09:31".
fn jst(at: &str) -> i64 {
    chrono::DateTime::parse_from_str(&format!("{at} +0900"), "%Y-%m-%d %H:%M %z")
        .expect("a time")
        .timestamp()
}

/// `tanto list --overdue --json` at `now`: the subjects, each with its due time and how
/// long it has been overdue.
fn overdue_at(t: &Tanto, now: i64) -> Vec<(String, String, i64)> {
    let out = t
        .command(&["list", "--overdue", "--json"])
        .env("TANTO_NOW", now.to_string())
        .output()
        .expect("run tanto");
    assert!(out.status.success(), "{out:?}");
    let list: Value = serde_json::from_slice(&out.stdout).expect("json");
    list.as_array()
        .expect("array")
        .iter()
        .map(|c| {
            (
                c["subject"].as_str().expect("subject").to_string(),
                c["due"].as_str().expect("due").to_string(),
                c["overdue_secs"].as_i64().expect("overdue_secs"),
            )
        })
        .collect()
}

fn subjects(list: &[(String, String, i64)]) -> Vec<&str> {
    list.iter().map(|(s, _, _)| s.as_str()).collect()
}

/// Two Friday mails at 17:30 in Tokyo: one before an ordinary weekend (4 December 2026),
/// one before 成人の日 (Monday 12 January 2026).
fn server_with_friday_mail() -> Dovecot {
    let server = Dovecot::start();
    for (i, arrival) in [
        (0, "04-Dec-2026 17:30:00 +0900"),
        (1, "09-Jan-2026 17:30:00 +0900"),
    ] {
        server.append_dated(
            "support",
            "INBOX",
            &sample_message(i, None),
            &[],
            Some(arrival),
        );
    }
    server
}

#[test]
fn a_friday_1730_mail_is_overdue_at_monday_0931_and_not_at_0929() {
    let server = server_with_friday_mail();
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    let config = std::fs::read_to_string(&alice.config).expect("config");
    std::fs::write(&alice.config, format!("{config}{HOURS}")).expect("write config");
    alice.sync();
    // January's mail is long overdue by December, until it is done.
    assert_eq!(
        subjects(&overdue_at(&alice, jst("2026-12-05 12:00"))),
        ["Question 1"]
    );
    alice.ok(&["done", &alice.id_of("Question 1")]);

    assert_eq!(overdue_at(&alice, jst("2026-12-05 12:00")), [], "Saturday");
    assert_eq!(overdue_at(&alice, jst("2026-12-07 09:29")), []);
    let late = overdue_at(&alice, jst("2026-12-07 09:31"));
    assert_eq!(
        late,
        [(
            "Question 0".to_string(),
            "2026-12-07T00:30:00Z".to_string(),
            60
        )]
    );
    // As a table: the due time in the local zone (UTC here) and how late.
    let table = alice
        .command(&["list", "--overdue"])
        .env("TANTO_NOW", jst("2026-12-07 10:45").to_string())
        .env("TZ", "UTC")
        .output()
        .expect("run");
    let table = String::from_utf8_lossy(&table.stdout).to_string();
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains("2026-12-07 00:30  1h15m") && table.contains("Question 0"),
        "{table}"
    );
    // Taken on, it is still open and still overdue; done, it is not.
    let id = alice.id_of("Question 0");
    alice.ok(&["claim", &id]);
    let now = jst("2026-12-07 09:31").to_string();
    let mine = alice
        .command(&["list", "--overdue", "--mine", "--json"])
        .env("TANTO_NOW", &now)
        .output()
        .expect("run");
    let mine: Value = serde_json::from_slice(&mine.stdout).expect("json");
    assert_eq!(mine[0]["status"], "wip", "{mine}");
    // Tags come with it, and --tag narrows the overdue list as it narrows the list.
    alice.ok(&["tag", &id, "vip"]);
    let tagged = |tag: &str| {
        let out = alice
            .command(&["list", "--overdue", "--tag", tag, "--json"])
            .env("TANTO_NOW", &now)
            .output()
            .expect("run");
        serde_json::from_slice::<Value>(&out.stdout).expect("json")
    };
    assert_eq!(tagged("vip")[0]["tags"], serde_json::json!(["vip"]));
    assert_eq!(tagged("other"), serde_json::json!([]));
    alice.ok(&["done", &id]);
    assert_eq!(overdue_at(&alice, jst("2026-12-07 09:31")), []);
}

#[test]
fn a_japanese_holiday_monday_moves_the_due_time_to_tuesday() {
    let server = server_with_friday_mail();
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    let config = std::fs::read_to_string(&alice.config).expect("config");
    std::fs::write(&alice.config, format!("{config}{HOURS}")).expect("write config");
    alice.sync();

    // 成人の日: Monday 12 January 2026 is closed all day.
    assert_eq!(overdue_at(&alice, jst("2026-01-12 17:00")), []);
    assert_eq!(overdue_at(&alice, jst("2026-01-13 09:29")), []);
    let late = overdue_at(&alice, jst("2026-01-13 09:31"));
    assert_eq!(subjects(&late), ["Question 1"]);
    assert_eq!(late[0].1, "2026-01-13T00:30:00Z");

    // Without [team.hours] the target is wall-clock time: due Friday 18:30.
    std::fs::write(
        &alice.config,
        format!("{config}\n[team]\nreply_target_mins = 60\n"),
    )
    .expect("write config");
    assert_eq!(overdue_at(&alice, jst("2026-01-09 18:29")), []);
    assert_eq!(
        subjects(&overdue_at(&alice, jst("2026-01-09 18:31"))),
        ["Question 1"]
    );

    // Without a target, --overdue says how to set one.
    std::fs::write(&alice.config, &config).expect("write config");
    let out = alice.run(&["list", "--overdue"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("team.reply_target_mins"),
        "{out:?}"
    );
}

#[test]
fn the_terminal_ui_shows_each_tab_s_overdue_count() {
    let server = server_with_friday_mail();
    let root = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, &root.path().join("a"), "alice");
    let config = std::fs::read_to_string(&alice.config).expect("config");
    std::fs::write(&alice.config, format!("{config}{HOURS}")).expect("write config");
    alice.sync();
    alice.ok(&["claim", &alice.id_of("Question 1")]);

    let tmux = support::tmux::Tmux::new(root.path());
    let at = |now: &str| format!("EDITOR= VISUAL= TANTO_NOW={}", jst(now));
    tmux.open_with("A", &alice, &at("2026-12-07 09:29"));
    let screen = tmux.wait_for("A", "the list", |s| s.contains("Question 0"));
    let tabs = screen.lines().next().unwrap_or_default().to_string();
    // January's claimed mail is overdue in In progress and Mine; December's not yet.
    assert_eq!(tabs.matches("1 late").count(), 2, "{tabs}");
    assert!(tabs.contains("New 1 │"), "{tabs}");
    tmux.keys("A", &["q"]);
    support::wait_for("tanto to quit", &|| {
        std::fs::read_to_string(tmux.exit_file("A")).is_ok_and(|c| c.trim() == "0")
    });

    tmux.open_with("B", &alice, &at("2026-12-07 09:31"));
    let screen = tmux.wait_for("B", "the list", |s| s.contains("Question 0"));
    let tabs = screen.lines().next().unwrap_or_default().to_string();
    assert!(tabs.contains("New 1 1 late │"), "{tabs}");
    tmux.keys("B", &["q"]);
    support::wait_for("tanto to quit", &|| {
        std::fs::read_to_string(tmux.exit_file("B")).is_ok_and(|c| c.trim() == "0")
    });
}
