//! "Send later" times as typed in the TUI's prompt: `+2h`, `+30m`, `09:00` (the next one),
//! `tomorrow 09:00`, or anything `tanto reply --at` takes. Pure: the clock and the time
//! zone come in as arguments.

/// Seconds since the epoch for `text`, typed at `now` in a zone `utc_offset` seconds east.
pub fn parse_later(text: &str, now: i64, utc_offset: i32) -> Result<i64, String> {
    let t = text.trim().to_ascii_lowercase();
    let off = i64::from(utc_offset);
    let (day, rest) = match t.strip_prefix("tomorrow") {
        Some(r) => (1, r.trim()),
        None => (0, t.as_str()),
    };
    if let Some(mins) = clock_minutes(rest) {
        let local_now = now + off;
        let midnight = local_now - local_now.rem_euclid(86_400);
        let mut at = midnight + 86_400 * day + mins * 60 - off;
        if day == 0 && at <= now {
            at += 86_400; // "09:00" typed at 15:00 means tomorrow's
        }
        return Ok(at);
    }
    if day == 1 && rest.is_empty() {
        return parse_later("tomorrow 09:00", now, utc_offset);
    }
    let at = tanto_core::when::parse_at(&t, now).map_err(|_| {
        format!("{text:?}: try +2h, +30m, 09:00, tomorrow 09:00 or 2026-01-05T09:00:00+09:00")
    })?;
    if at <= now {
        return Err(format!("{text:?} is in the past"));
    }
    Ok(at)
}

/// Minutes after midnight for "9:00", "09:30", "17" (digits only: "+5" is `--at`'s five
/// seconds, not 05:00).
fn clock_minutes(s: &str) -> Option<i64> {
    let (h, m) = s.split_once(':').unwrap_or((s, "0"));
    let digits = |p: &str| (1..=2).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || !digits(m) {
        return None;
    }
    let h: i64 = h.parse().ok()?;
    let m: i64 = m.parse().ok()?;
    ((0..24).contains(&h) && (0..60).contains(&m)).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2024-05-01 15:00 in Tokyo (UTC+9) is 06:00 UTC.
    const NOW: i64 = 1_714_543_200;
    const JST: i32 = 9 * 3600;

    #[test]
    fn relative_clock_and_tomorrow() {
        assert_eq!(parse_later("+2h", NOW, JST), Ok(NOW + 7200));
        assert_eq!(parse_later(" +30m ", NOW, JST), Ok(NOW + 1800));
        // 17:30 today is 2.5 hours away; 09:00 has passed, so it is tomorrow's.
        assert_eq!(parse_later("17:30", NOW, JST), Ok(NOW + 9000));
        assert_eq!(parse_later("09:00", NOW, JST), Ok(NOW + 18 * 3600));
        assert_eq!(parse_later("tomorrow 09:00", NOW, JST), Ok(NOW + 18 * 3600));
        assert_eq!(parse_later("Tomorrow", NOW, JST), Ok(NOW + 18 * 3600));
        assert!(parse_later("25:00", NOW, JST).is_err());
        assert!(parse_later("soon", NOW, JST).is_err());
        assert!(parse_later("1", NOW, JST).is_ok()); // 01:00, the next one
    }

    #[test]
    fn a_signed_number_is_seconds_ahead_as_for_reply_at_not_a_clock_time() {
        assert_eq!(parse_later("+20", NOW, JST), Ok(NOW + 20));
        assert_eq!(parse_later("+5", NOW, JST), Ok(NOW + 5));
        assert_eq!(parse_later("+20s", NOW, JST), Ok(NOW + 20));
        assert!(parse_later("9:+5", NOW, JST).is_err());
    }
}
