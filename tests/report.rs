//! `tanto report` against a real Dovecot: a mailbox built with known times (customer mail
//! APPENDed with its INTERNALDATE, activity-log records APPENDed with their Date, a reply
//! written outside tanto APPENDed to Sent) gives the figures worked by hand below, in
//! business hours (Tokyo, Mon-Fri 09:00-18:00), as JSON, CSV and a Japanese table.

mod harness;
mod support;

use harness::{sample_message, Dovecot};
use serde_json::{json, Value};
use support::Tanto;

const HOURS: &str = "\n[team]\nreply_target_mins = 60\n[team.hours]\ndays = \"Mon-Fri\"\nfrom = \"09:00\"\nuntil = \"18:00\"\nzone = \"Asia/Tokyo\"\nholidays = \"jp\"\n";

/// Seconds since the epoch of a Tokyo wall-clock time "2026-11-30 10:00".
fn jst(at: &str) -> i64 {
    chrono::DateTime::parse_from_str(&format!("{at} +0900"), "%Y-%m-%d %H:%M %z")
        .expect("a time")
        .timestamp()
}

/// The INTERNALDATE form of a Tokyo time.
fn internal(at: &str) -> String {
    chrono::DateTime::from_timestamp(jst(at), 0)
        .expect("time")
        .with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).expect("offset"))
        .format("%d-%b-%Y %H:%M:%S %z")
        .to_string()
}

/// An activity-log record as `tanto_mail::activity::build` writes one (the fields a reader
/// needs), dated `at`.
fn event(n: usize, kind: &str, agent: &str, about: &str, conv: &str, at: &str) -> Vec<u8> {
    format!(
        "From: {agent} (tanto) <support@example.com>\r\n\
         To: support@example.com\r\n\
         Subject: [tanto] {agent}: {kind}\r\n\
         Date: {date}\r\n\
         Message-ID: <tanto.test.{n}@example.com>\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         X-Tanto-Agent: {agent}\r\n\
         X-Tanto-Event: {kind}\r\n\
         X-Tanto-About: <{about}>\r\n\
         X-Tanto-Conversation: {conv}\r\n\
         Auto-Submitted: auto-generated\r\n\
         \r\n\
         {agent}: {kind}\r\n",
        date = support::rfc2822(jst(at)),
    )
    .into_bytes()
}

fn id_of(t: &Tanto, subject: &str) -> String {
    let list = t.json(&["list", "--json"]);
    list.as_array()
        .expect("array")
        .iter()
        .find(|c| c["subject"] == subject)
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("no {subject:?} in {list}"))
        .to_string()
}

/// Customer mail (JST): Q5 Fri 11-27 10:00 (before the period), Q0 Mon 11-30 10:00, Q1
/// Mon 17:30, Q2 Wed 12-02 09:00, Q3 Thu 12-03 09:00, Q4 Fri 12-04 11:30.
/// The log: Q5 alice sent Mon 09:30, done 09:40; Q0 alice sent 10:30, done 11:00; Q1 bob
/// sent Tue 09:15, done 09:45, alice reopens 12:00 and marks it done 13:00; Q2 bob's note
/// Wed 09:05, alice sent 11:00. Q3: a reply from another mail client in Sent, Thu 10:00.
/// Q0, Q1 and Q5 are done on the server, Q2 claimed by alice, Q3 and Q4 new.
fn desk() -> (Dovecot, tempfile::TempDir, Tanto) {
    let server = Dovecot::start();
    for (i, at) in [
        (0, "2026-11-30 10:00"),
        (1, "2026-11-30 17:30"),
        (2, "2026-12-02 09:00"),
        (3, "2026-12-03 09:00"),
        (4, "2026-12-04 11:30"),
        (5, "2026-11-27 10:00"),
    ] {
        server.append_dated(
            "support",
            "INBOX",
            &sample_message(i, None),
            &[],
            Some(&internal(at)),
        );
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    let config = std::fs::read_to_string(&alice.config).expect("config");
    std::fs::write(&alice.config, format!("{config}{HOURS}")).expect("write config");
    alice.sync();
    let q: Vec<String> = (0..6)
        .map(|i| id_of(&alice, &format!("Question {i}")))
        .collect();
    let msg = |i: usize| format!("msg{i}@customer.example");
    let records = [
        (5, "sent", "alice", "reply5@example.com", "2026-11-30 09:30"),
        (5, "done", "alice", &*msg(5), "2026-11-30 09:40"),
        (0, "sent", "alice", "reply0@example.com", "2026-11-30 10:30"),
        (0, "done", "alice", &*msg(0), "2026-11-30 11:00"),
        (1, "sent", "bob", "reply1@example.com", "2026-12-01 09:15"),
        (1, "done", "bob", &*msg(1), "2026-12-01 09:45"),
        (1, "reopen", "alice", &*msg(1), "2026-12-01 12:00"),
        (1, "done", "alice", &*msg(1), "2026-12-01 13:00"),
        (2, "note", "bob", &*msg(2), "2026-12-02 09:05"),
        (2, "sent", "alice", "reply2@example.com", "2026-12-02 11:00"),
    ];
    for (n, (i, kind, agent, about, at)) in records.iter().enumerate() {
        server.append_dated(
            "support",
            "Tanto/Activity",
            &event(n, kind, agent, about, &q[*i], at),
            &[],
            Some(&internal(at)),
        );
    }
    let outside = "From: Example Support <support@example.com>\r\n\
        To: Customer 3 <customer3@customer.example>\r\n\
        Subject: Re: Question 3\r\n\
        Date: Thu, 3 Dec 2026 10:00:00 +0900\r\n\
        Message-ID: <outlook3@example.com>\r\n\
        In-Reply-To: <msg3@customer.example>\r\n\
        References: <msg3@customer.example>\r\n\
        Content-Type: text/plain; charset=utf-8\r\n\
        \r\n\
        We are looking into it.\r\n";
    server.append_dated(
        "support",
        "Sent",
        outside.as_bytes(),
        &["\\Seen"],
        Some(&internal("2026-12-03 10:00")),
    );
    // The server's state now (these records are dated today, after the period), set by a
    // client that has seen the log so far.
    alice.sync();
    for i in [0, 1, 5] {
        alice.ok(&["done", &q[i]]);
    }
    alice.ok(&["claim", &q[2]]);
    (server, dir, alice)
}

/// The report of Mon 30 November to Fri 4 December 2026 (JST), seen on Friday at 12:00.
fn report(t: &Tanto, format: &[&str], lang: &str) -> String {
    let mut args = vec!["report", "--since", "2026-11-30", "--until", "2026-12-04"];
    args.extend_from_slice(format);
    let out = t
        .command(&args)
        .env("TANTO_NOW", jst("2026-12-04 12:00").to_string())
        .env("LANG", lang)
        .env("TZ", "Asia/Tokyo")
        .output()
        .expect("run tanto");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn spread(count: u64, median: Option<i64>, p90: Option<i64>) -> Value {
    json!({ "count": count, "median_secs": median, "p90_secs": p90 })
}

/// Worked by hand, in business time (Mon-Fri 09:00-18:00 JST; no holiday that week):
///
/// First responses (first customer mail in the period → the team's first reply):
///   Q0 Mon 10:00 → alice 10:30 = 1800 s; Q1 Mon 17:30 → bob Tue 09:15 = 30 + 15 min =
///   2700 s; Q2 Wed 09:00 → alice 11:00 (bob's note at 09:05 is no response) = 7200 s;
///   Q3 Thu 09:00 → the reply in Sent 10:00 = 3600 s (from another mail client while nobody
///   held Q3: the next sync logs it as `outside`'s and marks Q3 done, now). Q5's mail
///   came before the period: no first response.
/// Resolutions (first customer mail → the last done, not reopened after, in the period):
///   Q5 Fri 10:00 → alice Mon 09:40 = 8 h + 40 min = 31200 s; Q0 10:00 → alice 11:00 =
///   3600 s; Q1 Mon 17:30 → alice's done Tue 13:00 (bob's done at 09:45 was reopened) =
///   30 min + 4 h = 16200 s.
/// alice: handled Q5 Q0 Q1 Q2 = 4; replies 3; FR [1800 7200] → median 4500, p90 (rank
///   ⌈1.8⌉ = 2) 7200; resolution [3600 16200 31200] → 16200, p90 (rank ⌈2.7⌉ = 3) 31200;
///   open 1 (Q2), overdue 1 (Q2, due Wed 10:00).
/// bob: handled Q1 = 1 (a note handles nothing); replies 1; FR [2700]; resolution none;
///   open 0, overdue 0.
/// outside: handled Q3 = 1; replies 1; FR [3600]; resolution none (its done is today, after
///   the period); open 0, overdue 0.
/// all: handled Q5 Q0 Q1 Q2 Q3 = 5; replies 5; FR [1800 2700 3600 7200] → median
///   (2700 + 3600) / 2 = 3150, p90 (rank ⌈3.6⌉ = 4) 7200; resolution as alice's; open Q2 Q4
///   = 2 (Q3 is done); overdue Q2 = 1 (Q4 at 11:30 is due at 12:30).
#[test]
fn report_json_matches_the_figures_worked_by_hand() {
    let (_server, _dir, alice) = desk();
    let got: Value = serde_json::from_str(&report(&alice, &["--json"], "C.UTF-8")).expect("json");
    let want = json!({
        "since": "2026-11-29T15:00:00Z",
        "until": "2026-12-04T15:00:00Z",
        "business_time": true,
        "agents": [
            {
                "agent": "alice", "handled": 4, "replies_sent": 3,
                "first_response": spread(2, Some(4500), Some(7200)),
                "resolution": spread(3, Some(16200), Some(31200)),
                "open": 1, "overdue": 1
            },
            {
                "agent": "bob", "handled": 1, "replies_sent": 1,
                "first_response": spread(1, Some(2700), Some(2700)),
                "resolution": spread(0, None, None),
                "open": 0, "overdue": 0
            },
            {
                "agent": "outside", "handled": 1, "replies_sent": 1,
                "first_response": spread(1, Some(3600), Some(3600)),
                "resolution": spread(0, None, None),
                "open": 0, "overdue": 0
            }
        ],
        "all": {
            "handled": 5, "replies_sent": 5,
            "first_response": spread(4, Some(3150), Some(7200)),
            "resolution": spread(3, Some(16200), Some(31200)),
            "open": 2, "overdue": 1
        }
    });
    assert_eq!(got, want, "{got:#}");

    // CSV: the same figures, one row per agent and the team's `all`.
    let csv = report(&alice, &["--csv"], "C.UTF-8");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        [
            "agent,handled,replies_sent,first_response_count,first_response_median_secs,\
             first_response_p90_secs,resolution_count,resolution_median_secs,\
             resolution_p90_secs,open,overdue",
            "alice,4,3,2,4500,7200,3,16200,31200,1,1",
            "bob,1,1,1,2700,2700,0,,,0,0",
            "outside,1,1,1,3600,3600,0,,,0,0",
            "all,5,5,4,3150,7200,3,16200,31200,2,1",
        ]
    );

    // In Japanese: the durations worded (4500 s = 1時間15分), the team's row named.
    let table = report(&alice, &[], "ja_JP.UTF-8");
    assert!(
        table.contains("レポート") && table.contains("営業時間"),
        "{table}"
    );
    assert!(
        table.contains("担当者") && table.contains("全体"),
        "{table}"
    );
    assert!(table.contains("1時間15分 / 2時間0分"), "{table}");

    // A date that is not one says how to write it.
    let out = alice
        .command(&["report", "--since", "last week"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("YYYY-MM-DD"), "{err}");
}

/// A teammate's record logged before this host ever read the activity folder, then one of
/// this host's own (cached as it was written, with a higher UID): the next sync still reads
/// the teammate's. It used to take the cached UID for a sync cut off half-way and resume
/// after it, so this host never saw bob's reply and its report differed from bob's.
#[test]
fn a_record_logged_before_this_host_first_read_the_log_is_not_skipped() {
    let server = Dovecot::start();
    server.append_dated(
        "support",
        "INBOX",
        &sample_message(0, None),
        &[],
        Some(&internal("2026-11-30 10:00")),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let alice = Tanto::new(&server, dir.path(), "alice");
    alice.sync();
    let id = id_of(&alice, "Question 0");
    server.append_dated(
        "support",
        "Tanto/Activity",
        &event(
            0,
            "sent",
            "bob",
            "reply0@example.com",
            &id,
            "2026-11-30 10:30",
        ),
        &[],
        Some(&internal("2026-11-30 10:30")),
    );
    alice.ok(&["claim", &id]);
    alice.sync();
    let got: Value = serde_json::from_str(&report(&alice, &["--json"], "C.UTF-8")).expect("json");
    assert_eq!(got["all"]["replies_sent"], 1, "{got:#}");
    assert_eq!(got["agents"][0]["agent"], "alice", "{got:#}");
    assert_eq!(got["agents"][1]["agent"], "bob", "{got:#}");
}
