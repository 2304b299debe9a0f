//! Business hours: the days and times a team answers mail, in its time zone, less its
//! holidays; and the reply target counted in them (`ReplyTarget`). A mail at Friday 17:30
//! with a 60-minute target is due on Monday at 09:30 (`BusinessHours::due`), and whether a
//! conversation is overdue now is one comparison of its receive time with `cutoff(now)`,
//! the latest receive time already due, so that a cache can count overdue conversations
//! with one range query over an index on the receive time.

pub mod japan;

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;

/// Days looked at before a search gives up: holidays never close a team for a year, so
/// past this the hours have no opening at all (a file listing every day).
const MAX_DAYS: u32 = 400;

/// Which dates are holidays, besides the closed weekdays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Holidays {
    #[default]
    None,
    /// Japan's public holidays, computed (`japan`).
    Japan,
    /// The dates of a holidays file (`parse_holiday_file`).
    Dates(BTreeSet<NaiveDate>),
}

impl Holidays {
    /// Whether the team is closed on `d` for a holiday.
    pub fn contains(&self, d: NaiveDate) -> bool {
        match self {
            Holidays::None => false,
            Holidays::Japan => japan::is_holiday(d),
            Holidays::Dates(set) => set.contains(&d),
        }
    }
}

/// When a team answers mail: `days` (Monday first), from `from` to `until` (minutes after
/// local midnight; `until` may be 1440, the end of the day) in `zone`, less `holidays`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessHours {
    pub days: [bool; 7],
    pub from: u16,
    pub until: u16,
    pub zone: Tz,
    pub holidays: Holidays,
}

impl BusinessHours {
    /// When a mail received at `received` (seconds since the epoch) has had `target_secs`
    /// of business time: counted from the next opening when it came while closed.
    /// `i64::MAX` when the hours never open.
    pub fn due(&self, received: i64, target_secs: i64) -> i64 {
        let mut left = target_secs.max(0);
        let mut day = self.local_date(received);
        for _ in 0..MAX_DAYS {
            if let Some((open, close)) = self.open(day) {
                let begin = open.max(received);
                if begin <= close {
                    if begin + left <= close {
                        return begin + left;
                    }
                    left -= close - begin;
                }
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        i64::MAX
    }

    /// The business seconds between `a` and `b` (0 when `b` is not after `a`).
    pub fn business_secs_between(&self, a: i64, b: i64) -> i64 {
        if b <= a {
            return 0;
        }
        let mut total = 0;
        let mut day = self.local_date(a);
        let last = self.local_date(b);
        while day <= last {
            if let Some((open, close)) = self.open(day) {
                total += (close.min(b) - open.max(a)).max(0);
            }
            let Some(next) = day.succ_opt() else { break };
            day = next;
        }
        total
    }

    /// The latest receive time whose `due` is at or before `now`: a mail is due by `now`
    /// exactly when it was received at or before this (`due` never decreases as the receive
    /// time grows). Business time walked backwards from `now`; `i64::MIN` when the hours
    /// never open.
    pub fn cutoff(&self, now: i64, target_secs: i64) -> i64 {
        let mut left = target_secs.max(0);
        let mut day = self.local_date(now);
        for _ in 0..MAX_DAYS {
            if let Some((open, close)) = self.open(day) {
                let end = close.min(now);
                if end >= open {
                    if end - left >= open {
                        return end - left;
                    }
                    left -= end - open;
                }
            }
            let Some(prev) = day.pred_opt() else { break };
            day = prev;
        }
        i64::MIN
    }

    /// The opening and closing instants of local date `d`, if the team works that day.
    fn open(&self, d: NaiveDate) -> Option<(i64, i64)> {
        let weekday = d.weekday().num_days_from_monday() as usize;
        if !self.days[weekday] || self.holidays.contains(d) {
            return None;
        }
        Some((self.instant(d, self.from)?, self.instant(d, self.until)?))
    }

    /// The instant `mins` minutes after local midnight of `d` by the wall clock; a time in
    /// a daylight-saving gap reads with the offset before the gap, an ambiguous one as its
    /// first occurrence.
    fn instant(&self, d: NaiveDate, mins: u16) -> Option<i64> {
        let local = d.and_hms_opt(0, 0, 0)? + chrono::Duration::minutes(i64::from(mins));
        match self.zone.from_local_datetime(&local) {
            LocalResult::Single(t) => Some(t.timestamp()),
            LocalResult::Ambiguous(first, _) => Some(first.timestamp()),
            LocalResult::None => {
                let before = local - chrono::Duration::hours(3);
                let off = self.zone.from_local_datetime(&before).earliest()?;
                Some(local.and_utc().timestamp() - i64::from(off.offset().fix().local_minus_utc()))
            }
        }
    }

    fn local_date(&self, t: i64) -> NaiveDate {
        DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .with_timezone(&self.zone)
            .date_naive()
    }
}

/// The team's reply target: `secs` of wall-clock time, or of business time when the team
/// has `hours`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTarget {
    pub secs: i64,
    pub hours: Option<BusinessHours>,
}

impl ReplyTarget {
    /// When a mail received at `received` should have its answer.
    pub fn due(&self, received: i64) -> i64 {
        match &self.hours {
            Some(h) => h.due(received, self.secs),
            None => received.saturating_add(self.secs),
        }
    }

    /// The target's kind of time spent since `received` (business or wall-clock seconds).
    pub fn elapsed(&self, received: i64, now: i64) -> i64 {
        match &self.hours {
            Some(h) => h.business_secs_between(received, now),
            None => (now - received).max(0),
        }
    }

    /// Whether a mail received at `received` is past its target at `now` (due at or before).
    pub fn overdue(&self, received: i64, now: i64) -> bool {
        self.due(received) <= now
    }

    /// The latest receive time that is overdue at `now`: `overdue(r, now)` is `r <= cutoff`.
    pub fn cutoff(&self, now: i64) -> i64 {
        match &self.hours {
            Some(h) => h.cutoff(now, self.secs),
            None => now.saturating_sub(self.secs),
        }
    }
}

/// Days as a team writes them: `Mon-Fri`, `Mon,Wed,Fri`, `Mon-Wed,Sat` (three-letter
/// English names, any case; a range may wrap, `Fri-Mon`). `None` when a part is not a day
/// or no day is named.
pub fn parse_days(s: &str) -> Option<[bool; 7]> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let day = |w: &str| {
        let w = w.trim().to_ascii_lowercase();
        NAMES.iter().position(|n| *n == w)
    };
    let mut days = [false; 7];
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                let mut i = a;
                loop {
                    days[i] = true;
                    if i == b {
                        break;
                    }
                    i = (i + 1) % 7;
                }
            }
            None => days[day(part)?] = true,
        }
    }
    days.iter().any(|d| *d).then_some(days)
}

/// A time of day `HH:MM` (24-hour; `24:00` is the end of the day) as minutes after midnight.
pub fn parse_clock(s: &str) -> Option<u16> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    let mins = h * 60 + m;
    (m < 60 && mins <= 24 * 60).then_some(mins)
}

/// An IANA time zone name (`Asia/Tokyo`, `Europe/Berlin`, `UTC`).
pub fn parse_zone(s: &str) -> Option<Tz> {
    s.trim().parse().ok()
}

/// The dates of a holidays file: one `YYYY-MM-DD` a line; blank lines and `#` comments
/// (whole lines or after a date) are skipped. The error is the 1-based line and its text.
pub fn parse_holiday_file(text: &str) -> Result<BTreeSet<NaiveDate>, (usize, String)> {
    let mut dates = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let bare = line.split('#').next().unwrap_or_default().trim();
        if bare.is_empty() {
            continue;
        }
        match NaiveDate::parse_from_str(bare, "%Y-%m-%d") {
            Ok(d) => {
                dates.insert(d);
            }
            Err(_) => return Err((n + 1, line.to_string())),
        }
    }
    Ok(dates)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60;

    fn tokyo(holidays: Holidays) -> BusinessHours {
        BusinessHours {
            days: parse_days("Mon-Fri").expect("days"),
            from: parse_clock("09:00").expect("from"),
            until: parse_clock("18:00").expect("until"),
            zone: chrono_tz::Asia::Tokyo,
            holidays,
        }
    }

    /// Seconds since the epoch of a Tokyo wall-clock time.
    fn jst(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
        chrono_tz::Asia::Tokyo
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .expect("a time in Tokyo")
            .timestamp()
    }

    #[test]
    fn friday_1730_with_an_hour_target_is_due_monday_0930() {
        let h = tokyo(Holidays::Japan);
        // 2026-12-04 is a Friday; 12-07 the Monday.
        assert_eq!(
            h.due(jst(2026, 12, 4, 17, 30), 60 * MIN),
            jst(2026, 12, 7, 9, 30)
        );
        let t = ReplyTarget {
            secs: 60 * MIN,
            hours: Some(h),
        };
        let got = jst(2026, 12, 4, 17, 30);
        assert!(!t.overdue(got, jst(2026, 12, 7, 9, 29)));
        assert!(t.overdue(got, jst(2026, 12, 7, 9, 31)));
        assert_eq!(t.elapsed(got, jst(2026, 12, 7, 9, 0)), 30 * MIN);
    }

    #[test]
    fn a_japanese_holiday_monday_is_skipped() {
        // Monday 2026-01-12 is 成人の日.
        let h = tokyo(Holidays::Japan);
        assert_eq!(
            h.due(jst(2026, 1, 9, 17, 30), 60 * MIN),
            jst(2026, 1, 13, 9, 30)
        );
        // Without the holidays the Monday counts.
        let plain = tokyo(Holidays::None);
        assert_eq!(
            plain.due(jst(2026, 1, 9, 17, 30), 60 * MIN),
            jst(2026, 1, 12, 9, 30)
        );
        // Silver Week 2026: Monday to Wednesday are holidays.
        assert_eq!(
            h.due(jst(2026, 9, 18, 17, 30), 60 * MIN),
            jst(2026, 9, 24, 9, 30)
        );
    }

    #[test]
    fn a_mail_on_a_weekend_or_holiday_counts_from_the_next_opening() {
        let h = tokyo(Holidays::Japan);
        // Saturday afternoon.
        assert_eq!(
            h.due(jst(2026, 12, 5, 15, 0), 60 * MIN),
            jst(2026, 12, 7, 10, 0)
        );
        // On 文化の日 (Tuesday 2026-11-03).
        assert_eq!(
            h.due(jst(2026, 11, 3, 11, 0), 30 * MIN),
            jst(2026, 11, 4, 9, 30)
        );
        // Before opening, and after closing.
        assert_eq!(
            h.due(jst(2026, 12, 8, 7, 45), 60 * MIN),
            jst(2026, 12, 8, 10, 0)
        );
        assert_eq!(
            h.due(jst(2026, 12, 8, 19, 0), 60 * MIN),
            jst(2026, 12, 9, 10, 0)
        );
        // Within the day.
        assert_eq!(
            h.due(jst(2026, 12, 8, 10, 15), 60 * MIN),
            jst(2026, 12, 8, 11, 15)
        );
        // Exactly the rest of the day: due at closing.
        assert_eq!(
            h.due(jst(2026, 12, 8, 17, 0), 60 * MIN),
            jst(2026, 12, 8, 18, 0)
        );
    }

    #[test]
    fn a_target_spanning_several_days_counts_only_open_hours() {
        let h = tokyo(Holidays::Japan);
        // 20 business hours from Thursday 10:00: 8 on Thursday, 9 on Friday, 3 on Monday.
        assert_eq!(
            h.due(jst(2026, 12, 3, 10, 0), 20 * 60 * MIN),
            jst(2026, 12, 7, 12, 0)
        );
        assert_eq!(
            h.business_secs_between(jst(2026, 12, 3, 10, 0), jst(2026, 12, 7, 12, 0)),
            20 * 60 * MIN
        );
        // Golden Week 2026: 1 hour on Tuesday 28 April, Wednesday 29 closed, 9 on Thursday
        // and 9 on Friday, then 2-6 May closed.
        assert_eq!(
            h.due(jst(2026, 4, 28, 17, 0), 20 * 60 * MIN),
            jst(2026, 5, 7, 10, 0)
        );
    }

    #[test]
    fn due_and_cutoff_agree_on_every_sampled_pair() {
        // Tokyo; Berlin on three days; Berlin every day from 02:30, which the spring-forward
        // night (29 March 2026) skips and the autumn one repeats (25 October).
        let hours = [
            tokyo(Holidays::Japan),
            {
                let mut h = tokyo(Holidays::None);
                h.days = parse_days("Mon,Wed,Fri").expect("days");
                h.zone = chrono_tz::Europe::Berlin;
                h
            },
            BusinessHours {
                days: [true; 7],
                from: parse_clock("02:30").expect("from"),
                until: parse_clock("24:00").expect("until"),
                zone: chrono_tz::Europe::Berlin,
                holidays: Holidays::None,
            },
        ];
        let start = jst(2026, 3, 20, 0, 0);
        let span = 220 * 24 * 60 * MIN;
        let mut seed: u64 = 7;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as i64
        };
        for h in &hours {
            for target in [1, 30 * MIN, 60 * MIN, 9 * 60 * MIN, 30 * 60 * MIN] {
                let t = ReplyTarget {
                    secs: target,
                    hours: Some(h.clone()),
                };
                for _ in 0..600 {
                    let r = start + next() % span;
                    let now = r + next() % (10 * 24 * 60 * MIN);
                    assert_eq!(t.overdue(r, now), r <= t.cutoff(now), "r={r} now={now}");
                    // At the cutoff itself, and a second later.
                    let c = t.cutoff(now);
                    assert!(t.due(c) <= now && t.due(c + 1) > now, "c={c} now={now}");
                }
            }
        }
    }

    #[test]
    fn an_opening_in_the_spring_forward_gap_reads_with_the_offset_before_it() {
        let h = BusinessHours {
            days: [true; 7],
            from: parse_clock("02:30").expect("from"),
            until: parse_clock("24:00").expect("until"),
            zone: chrono_tz::Europe::Berlin,
            holidays: Holidays::None,
        };
        let utc = |d: u32, hh: u32| {
            chrono::Utc
                .with_ymd_and_hms(2026, 3, d, hh, 0, 0)
                .single()
                .expect("time")
                .timestamp()
        };
        // Midnight in Berlin on 29 March 2026 (23:00 UTC the day before): 02:30 does not
        // exist that night; read at +01:00 it is 01:30 UTC (03:30 on the clocks).
        assert_eq!(h.due(utc(28, 23), 60 * MIN), utc(29, 1) + 90 * MIN);
        assert_eq!(h.business_secs_between(utc(28, 23), utc(29, 4)), 150 * MIN);
    }

    #[test]
    fn without_hours_the_target_is_wall_clock_time() {
        let t = ReplyTarget {
            secs: 3600,
            hours: None,
        };
        assert_eq!(t.due(1000), 4600);
        assert!(t.overdue(1000, 4600) && !t.overdue(1000, 4599));
        assert_eq!(t.cutoff(4600), 1000);
    }

    #[test]
    fn days_clocks_and_zones_parse_as_teams_write_them() {
        let d = |s| parse_days(s).map(|d| d.map(u8::from));
        assert_eq!(d("Mon-Fri"), Some([1, 1, 1, 1, 1, 0, 0]));
        assert_eq!(d("mon,Wed, FRI"), Some([1, 0, 1, 0, 1, 0, 0]));
        assert_eq!(d("Mon-Sat"), Some([1, 1, 1, 1, 1, 1, 0]));
        assert_eq!(d("Fri-Mon"), Some([1, 0, 0, 0, 1, 1, 1]));
        assert_eq!(d("Mon-Wed,Sat"), Some([1, 1, 1, 0, 0, 1, 0]));
        for bad in ["", "Monday-Fri", "Mon-", "Mon;Tue", "weekdays"] {
            assert_eq!(d(bad), None, "{bad}");
        }
        assert_eq!(parse_clock("09:00"), Some(540));
        assert_eq!(parse_clock("9:30"), Some(570));
        assert_eq!(parse_clock("24:00"), Some(1440));
        for bad in ["24:01", "9", "09:60", "09:5", "nine", "-1:00"] {
            assert_eq!(parse_clock(bad), None, "{bad}");
        }
        assert_eq!(parse_zone("Asia/Tokyo"), Some(chrono_tz::Asia::Tokyo));
        assert_eq!(parse_zone("Tokyo"), None);
    }

    #[test]
    fn a_holidays_file_gives_its_dates_and_names_a_bad_line() {
        let text = "# our company days\n2026-12-29\n2026-12-30  # year end\n\n2026-12-31\n";
        let dates = parse_holiday_file(text).expect("dates");
        assert_eq!(dates.len(), 3);
        let h = tokyo(Holidays::Dates(dates));
        // Monday 28th at 17:30, 60 minutes: the 29th-31st are closed, 1 Jan is not listed.
        assert_eq!(
            h.due(jst(2026, 12, 28, 17, 30), 60 * MIN),
            jst(2027, 1, 1, 9, 30)
        );
        assert_eq!(
            parse_holiday_file("2026-12-29\n29/12/2026\n"),
            Err((2, "29/12/2026".to_string()))
        );
    }

    #[test]
    fn hours_that_never_open_are_never_due() {
        let mut h = tokyo(Holidays::None);
        h.days = [false; 7];
        assert_eq!(h.due(0, 60), i64::MAX);
        assert_eq!(h.cutoff(0, 60), i64::MIN);
    }
}
