use super::*;
use crate::hours::{BusinessHours, Holidays};

fn opened(conversation: &str, first_inbound: i64) -> Opened {
    Opened {
        conversation: conversation.into(),
        first_inbound,
    }
}

fn rec(conversation: &str, act: Act, agent: Option<&str>, at: i64) -> Record {
    Record {
        conversation: conversation.into(),
        act,
        agent: agent.map(str::to_string),
        at,
    }
}

fn spread(count: u64, median: i64, p90: i64) -> Spread {
    Spread {
        count,
        median: Some(median),
        p90: Some(p90),
    }
}

#[test]
fn median_is_the_middle_or_the_floored_mean_and_p90_the_nearest_rank() {
    assert_eq!(Spread::of(vec![]), Spread::default());
    assert_eq!(Spread::of(vec![5]), spread(1, 5, 5));
    // [1,2,3,4]: median (2+3)/2 = 2.5 → 2; p90 rank ⌈3.6⌉ = 4 → 4.
    assert_eq!(Spread::of(vec![4, 1, 3, 2]), spread(4, 2, 4));
    // 1..=10: median (5+6)/2 → 5; p90 rank ⌈9⌉ = 9 → 9.
    assert_eq!(Spread::of((1..=10).rev().collect()), spread(10, 5, 9));
    // 1..=11: median the 6th → 6; p90 rank ⌈9.9⌉ = 10 → 10.
    assert_eq!(Spread::of((1..=11).collect()), spread(11, 6, 10));
}

/// Period [1000, 100000), wall-clock time. Worked by hand:
/// - A: in 1000; bob's note 1500 (not a response); alice replies 4600 (FR 3600), done 5000
///   (resolution 4000, alice).
/// - B: in 2000; bob replies 2600 (FR 600) and 3000; bob done 9200 (resolution 7200).
/// - C: in 3000; alice replies 3300 (FR 300), done 4000; bob reopens 6000, done 12000: the
///   last done resolves it, 9000, bob's.
/// - D: in 500, before the period: alice's reply 1200 counts as a reply and a handled
///   conversation, not as a first response.
/// - E: in 50000; a reply found only in Sent at 50600: the team's FR 600, nobody's own.
/// - F: in 90000; alice's reply at 100500 is after the period: not seen.
///
/// alice: handled A C D = 3, replies 3, FR [300 3600] → median 1950, p90 (rank 2) 3600;
///        resolution [4000].
/// bob:   handled B C = 2 (the note on A and the reopen handle nothing), replies 2,
///        FR [600]; resolution [7200 9000] → median 8100, p90 9000.
/// all:   handled A B C D E = 5, replies 6, FR [300 600 600 3600] → median 600, p90 (rank
///        ⌈3.6⌉ = 4) 3600; resolution [4000 7200 9000] → median 7200, p90 (rank 3) 9000.
#[test]
fn figures_per_agent_and_for_the_team_match_the_hand_calculation() {
    let opened = [
        opened("A", 1000),
        opened("B", 2000),
        opened("C", 3000),
        opened("D", 500),
        opened("E", 50000),
        opened("F", 90000),
    ];
    let records = [
        rec("A", Act::Note, Some("bob"), 1500),
        rec("A", Act::Reply, Some("alice"), 4600),
        rec("A", Act::Done, Some("alice"), 5000),
        rec("B", Act::Reply, Some("bob"), 2600),
        rec("B", Act::Reply, Some("bob"), 3000),
        rec("B", Act::Done, Some("bob"), 9200),
        rec("C", Act::Done, Some("alice"), 4000),
        rec("C", Act::Reply, Some("alice"), 3300),
        rec("C", Act::Reopen, Some("bob"), 6000),
        rec("C", Act::Done, Some("bob"), 12000),
        rec("D", Act::Reply, Some("alice"), 1200),
        rec("E", Act::Reply, None, 50600),
        rec("F", Act::Reply, Some("alice"), 100500),
    ];
    let period = Period {
        since: Some(1000),
        until: 100000,
    };
    let r = compute(&opened, &records, period, None);
    assert_eq!(
        r.agents["alice"],
        Figures {
            handled: 3,
            replies: 3,
            first_response: spread(2, 1950, 3600),
            resolution: spread(1, 4000, 4000),
        }
    );
    assert_eq!(
        r.agents["bob"],
        Figures {
            handled: 2,
            replies: 2,
            first_response: spread(1, 600, 600),
            resolution: spread(2, 8100, 9000),
        }
    );
    assert_eq!(r.agents.len(), 2);
    assert_eq!(
        r.all,
        Figures {
            handled: 5,
            replies: 6,
            first_response: spread(4, 600, 3600),
            resolution: spread(3, 7200, 9000),
        }
    );
}

#[test]
fn a_note_before_the_reply_is_not_the_first_response() {
    let r = compute(
        &[opened("A", 0)],
        &[
            rec("A", Act::Note, Some("bob"), 60),
            rec("A", Act::Reply, Some("alice"), 600),
        ],
        Period {
            since: None,
            until: 10_000,
        },
        None,
    );
    assert_eq!(r.all.first_response, spread(1, 600, 600));
    assert!(!r.agents.contains_key("bob"), "{r:?}");
}

#[test]
fn a_conversation_reopened_after_its_last_done_is_not_resolved() {
    let records = [
        rec("A", Act::Done, Some("alice"), 2000),
        rec("A", Act::Reopen, Some("bob"), 3000),
    ];
    let all = Period {
        since: None,
        until: 10_000,
    };
    let r = compute(&[opened("A", 1000)], &records, all, None);
    assert_eq!(r.all.resolution, Spread::default());
    // As of before the reopen, it was resolved by alice's done.
    let before = Period {
        since: None,
        until: 2500,
    };
    let r = compute(&[opened("A", 1000)], &records, before, None);
    assert_eq!(r.agents["alice"].resolution, spread(1, 1000, 1000));
}

fn jst(at: &str) -> i64 {
    chrono::DateTime::parse_from_str(&format!("{at} +0900"), "%Y-%m-%d %H:%M %z")
        .expect("a time")
        .timestamp()
}

/// Mon-Fri 09:00-18:00 in Tokyo. A mail at Friday 4 December 2026 17:30, answered on
/// Monday at 09:30 and done at 10:00: 30 + 30 = 60 business minutes to the reply, 30 + 60 =
/// 90 to done; by the wall clock 64 h and 64 h 30 min.
#[test]
fn business_hours_count_only_open_time() {
    let hours = BusinessHours {
        days: [true, true, true, true, true, false, false],
        from: 9 * 60,
        until: 18 * 60,
        zone: chrono_tz::Asia::Tokyo,
        holidays: Holidays::Japan,
    };
    let opened = [opened("A", jst("2026-12-04 17:30"))];
    let records = [
        rec("A", Act::Reply, Some("alice"), jst("2026-12-07 09:30")),
        rec("A", Act::Done, Some("alice"), jst("2026-12-07 10:00")),
    ];
    let period = Period {
        since: None,
        until: jst("2026-12-08 00:00"),
    };
    let r = compute(&opened, &records, period, Some(&hours));
    assert_eq!(r.all.first_response, spread(1, 3600, 3600));
    assert_eq!(r.all.resolution, spread(1, 5400, 5400));
    let r = compute(&opened, &records, period, None);
    assert_eq!(r.all.first_response, spread(1, 64 * 3600, 64 * 3600));
    assert_eq!(
        r.all.resolution,
        spread(1, 64 * 3600 + 1800, 64 * 3600 + 1800)
    );
}

#[test]
fn a_date_bound_is_a_whole_day_in_the_zone_and_rfc3339_is_exact() {
    let tokyo = chrono_tz::Asia::Tokyo;
    assert_eq!(
        parse_bound("2026-12-07", &tokyo, false),
        Some(jst("2026-12-07 00:00"))
    );
    assert_eq!(
        parse_bound("2026-12-07", &tokyo, true),
        Some(jst("2026-12-08 00:00"))
    );
    assert_eq!(
        parse_bound("2026-12-07T09:30:00+09:00", &tokyo, true),
        Some(jst("2026-12-07 09:30"))
    );
    assert_eq!(parse_bound("last week", &tokyo, false), None);
    assert_eq!(parse_bound("2026-13-01", &tokyo, false), None);
}
