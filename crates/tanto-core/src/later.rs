//! Times "later" as people type them, for a snooze (`tanto snooze ID UNTIL`, the TUI's `s`)
//! and the TUI's "send later": `+2h`, `3d`, `30m`, `09:00` (the next one), `tomorrow 9:00`,
//! `monday`, `2026-12-08T09:00`, `2026-12-08`, or anything `tanto reply --at` takes (RFC 3339,
//! seconds since the epoch). Japanese day words too (`明日 9:00`, `月曜`). Dates and clock
//! times are read in the team's zone (`[team.hours] zone`), else the caller's local offset.
//! Pure: the clock and the zone come in as arguments.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;

use crate::wording::Said;

/// The zone a typed date or clock time is in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Zone {
    /// The team's IANA zone (daylight saving followed).
    Named(Tz),
    /// A fixed offset, seconds east of UTC (the machine's, when the team names no zone).
    Offset(i32),
}

/// The clock time a day word alone means (`tomorrow`, `monday`, a date).
const MORNING: u32 = 9 * 60;

/// Seconds since the epoch for `text`, typed at `now` in `zone`; a time not in the future is
/// refused (`error.later.past`), a text in none of the forms too (`error.later.form`).
pub fn parse_later(text: &str, now: i64, zone: Zone) -> Result<i64, Said> {
    let at = read(text, now, zone).ok_or_else(|| crate::said!("error.later.form", text = text))?;
    if at <= now {
        return Err(crate::said!("error.later.past", text = text));
    }
    Ok(at)
}

fn read(text: &str, now: i64, zone: Zone) -> Option<i64> {
    let t = text.trim().to_lowercase();
    if t.is_empty() {
        return None;
    }
    if let Some(secs) = relative(&t) {
        return Some(now + secs);
    }
    let today = local(now, zone)?.date();
    let (word, rest) = t.split_once(char::is_whitespace).unwrap_or((&t, ""));
    if let Some(day) = day_word(word, today) {
        let mins = if rest.trim().is_empty() {
            MORNING
        } else {
            clock_minutes(rest.trim())?
        };
        return at_local(day, mins, zone);
    }
    if let Some(mins) = clock_minutes(&t) {
        let at = at_local(today, mins, zone)?;
        // "09:00" typed at 15:00 means tomorrow's.
        return if at > now {
            Some(at)
        } else {
            at_local(today + Duration::days(1), mins, zone)
        };
    }
    if let Some(at) = date_time(&t, zone) {
        return Some(at);
    }
    crate::when::parse_at(&t.to_uppercase(), now).ok()
}

/// `+2h`, `3d`, `30m`, `+20` (seconds, as `--at` reads it), `2w`: seconds ahead.
fn relative(t: &str) -> Option<i64> {
    let body = t.strip_prefix('+').unwrap_or(t);
    // A number without a unit is a clock time ("17"), or `--at`'s seconds ("+20"): not here.
    let split = body.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = body.split_at(split);
    let n: i64 = n.parse().ok()?;
    let mul = match unit.trim() {
        "s" => 1,
        "m" | "min" | "分" => 60,
        "h" | "時間" => 3600,
        "d" | "日" => 86_400,
        "w" | "週間" => 7 * 86_400,
        _ => return None,
    };
    n.checked_mul(mul)
}

/// The day a word names, from `today`: tomorrow, or the next such weekday (never today).
fn day_word(w: &str, today: NaiveDate) -> Option<NaiveDate> {
    let wd = match w {
        "tomorrow" | "明日" | "あした" => return Some(today + Duration::days(1)),
        "today" | "今日" => return Some(today),
        "monday" | "mon" | "月" | "月曜" | "月曜日" => Weekday::Mon,
        "tuesday" | "tue" | "火" | "火曜" | "火曜日" => Weekday::Tue,
        "wednesday" | "wed" | "水" | "水曜" | "水曜日" => Weekday::Wed,
        "thursday" | "thu" | "木" | "木曜" | "木曜日" => Weekday::Thu,
        "friday" | "fri" | "金" | "金曜" | "金曜日" => Weekday::Fri,
        "saturday" | "sat" | "土" | "土曜" | "土曜日" => Weekday::Sat,
        "sunday" | "sun" | "日曜" | "日曜日" => Weekday::Sun,
        _ => return None,
    };
    let ahead = (7 + wd.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    Some(today + Duration::days(if ahead == 0 { 7 } else { i64::from(ahead) }))
}

/// `2026-12-08T09:00`, `2026-12-08 09:00[:00]`, `2026-12-08` (09:00), in `zone`.
fn date_time(t: &str, zone: Zone) -> Option<i64> {
    let t = &t.to_uppercase(); // the T the text was lower-cased with
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return at_local(d, MORNING, zone);
    }
    for f in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, f) {
            return to_epoch(dt, zone);
        }
    }
    None
}

/// Minutes after midnight for "9:00", "09:30", "17" (digits only: "+5" is `--at`'s five
/// seconds, not 05:00).
fn clock_minutes(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':').unwrap_or((s, "0"));
    let digits = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    (h < 24 && m < 60).then_some(h * 60 + m)
}

fn local(now: i64, zone: Zone) -> Option<NaiveDateTime> {
    let utc = chrono::DateTime::from_timestamp(now, 0)?;
    Some(match zone {
        Zone::Named(tz) => utc.with_timezone(&tz).naive_local(),
        Zone::Offset(off) => utc.naive_utc() + Duration::seconds(i64::from(off)),
    })
}

fn at_local(day: NaiveDate, mins: u32, zone: Zone) -> Option<i64> {
    let time = NaiveTime::from_hms_opt(mins / 60, mins % 60, 0)?;
    to_epoch(day.and_time(time), zone)
}

fn to_epoch(dt: NaiveDateTime, zone: Zone) -> Option<i64> {
    match zone {
        // A time skipped by a clock change: the same wall time an hour on.
        Zone::Named(tz) => tz
            .from_local_datetime(&dt)
            .earliest()
            .or_else(|| {
                tz.from_local_datetime(&(dt + Duration::hours(1)))
                    .earliest()
            })
            .map(|d| d.timestamp()),
        Zone::Offset(off) => Some(dt.and_utc().timestamp() - i64::from(off)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2024-05-01 (a Wednesday) 15:00 in Tokyo (UTC+9) is 06:00 UTC.
    const NOW: i64 = 1_714_543_200;
    const JST: Zone = Zone::Offset(9 * 3600);
    const TOKYO: Zone = Zone::Named(chrono_tz::Asia::Tokyo);

    fn p(t: &str, z: Zone) -> Option<i64> {
        parse_later(t, NOW, z).ok()
    }

    #[test]
    fn relative_clock_and_tomorrow() {
        assert_eq!(p("+2h", JST), Some(NOW + 7200));
        assert_eq!(p(" +30m ", JST), Some(NOW + 1800));
        assert_eq!(p("3d", JST), Some(NOW + 3 * 86_400));
        assert_eq!(p("2h", JST), Some(NOW + 7200));
        assert_eq!(p("1w", JST), Some(NOW + 7 * 86_400));
        // 17:30 today is 2.5 hours away; 09:00 has passed, so it is tomorrow's.
        assert_eq!(p("17:30", JST), Some(NOW + 9000));
        assert_eq!(p("09:00", JST), Some(NOW + 18 * 3600));
        assert_eq!(p("tomorrow 09:00", JST), Some(NOW + 18 * 3600));
        assert_eq!(p("tomorrow 9:00", TOKYO), Some(NOW + 18 * 3600));
        assert_eq!(p("Tomorrow", JST), Some(NOW + 18 * 3600));
        assert_eq!(p("25:00", JST), None);
        assert_eq!(p("1", JST), Some(NOW + 10 * 3600)); // 01:00, the next one
    }

    #[test]
    fn weekdays_are_the_next_one_and_never_today() {
        // Monday 2024-05-06 09:00 JST = 00:00 UTC.
        let monday = 1_714_953_600;
        assert_eq!(p("monday", TOKYO), Some(monday));
        assert_eq!(p("Mon 14:00", TOKYO), Some(monday + 5 * 3600));
        assert_eq!(p("月曜 9:00", TOKYO), Some(monday));
        // Typed on a Wednesday, "wednesday" is next week's.
        assert_eq!(p("wednesday", TOKYO), Some(NOW - 6 * 3600 + 7 * 86_400));
        assert_eq!(p("明日", TOKYO), Some(NOW + 18 * 3600));
    }

    #[test]
    fn dates_are_read_in_the_teams_zone() {
        // 2026-12-08 09:00 in Tokyo is 00:00 UTC.
        let tokyo_nine = 1_796_688_000;
        assert_eq!(p("2026-12-08T09:00", TOKYO), Some(tokyo_nine));
        assert_eq!(p("2026-12-08 09:00", TOKYO), Some(tokyo_nine));
        assert_eq!(p("2026-12-08", TOKYO), Some(tokyo_nine));
        // The same wall time in Berlin (winter, UTC+1) is 8 hours later.
        let berlin = Zone::Named(chrono_tz::Europe::Berlin);
        assert_eq!(p("2026-12-08T09:00", berlin), Some(tokyo_nine + 8 * 3600));
        assert_eq!(
            p("2026-12-08T09:00", Zone::Offset(0)),
            Some(tokyo_nine + 9 * 3600)
        );
        // RFC 3339 carries its own zone.
        assert_eq!(p("2026-12-08T09:00:00+09:00", berlin), Some(tokyo_nine));
    }

    #[test]
    fn the_past_and_nonsense_are_refused_by_name() {
        let e = parse_later("2020-01-01", NOW, TOKYO).map_err(|e| e.key());
        assert_eq!(e, Err("error.later.past"));
        let e = parse_later("soon", NOW, TOKYO).map_err(|e| e.key());
        assert_eq!(e, Err("error.later.form"));
        assert!(parse_later("", NOW, TOKYO).is_err());
    }

    #[test]
    fn a_signed_number_is_seconds_ahead_as_for_reply_at_not_a_clock_time() {
        assert_eq!(p("+20", JST), Some(NOW + 20));
        assert_eq!(p("+5", JST), Some(NOW + 5));
        assert_eq!(p("+20s", JST), Some(NOW + 20));
        assert_eq!(p("9:+5", JST), None);
    }
}
