//! Checks of `[team.hours]` into the reply target counted in business time: every error
//! names the key and the fix.

use std::path::Path;

use tanto_core::hours::{self, BusinessHours, Holidays, ReplyTarget};

use super::schema::Team;
use super::ConfigError;

type Invalid<'a> = &'a dyn Fn(&str, &str, &str) -> ConfigError;

/// `[team.hours]` checked, and `team.reply_target_mins` counted in them (wall-clock time
/// without them; `None` without a target). A holidays file is read here, relative to the
/// config file.
pub(super) fn reply_target(
    team: &Team,
    config_path: &Path,
    invalid: Invalid<'_>,
) -> Result<(Option<BusinessHours>, Option<ReplyTarget>), ConfigError> {
    let hours = match &team.hours {
        Some(h) => Some(business_hours(h, config_path, invalid)?),
        None => None,
    };
    let target = team.reply_target_mins.map(|m| ReplyTarget {
        secs: i64::from(m) * 60,
        hours: hours.clone(),
    });
    Ok((hours, target))
}

fn business_hours(
    h: &super::Hours,
    config_path: &Path,
    invalid: Invalid<'_>,
) -> Result<BusinessHours, ConfigError> {
    let days = hours::parse_days(&h.days).ok_or_else(|| {
        invalid(
            "team.hours.days",
            &format!("is {:?}, not a list of days", h.days),
            "write days as \"Mon-Fri\", \"Mon,Wed,Fri\" or \"Mon-Sat\" (Mon Tue Wed Thu Fri Sat Sun)",
        )
    })?;
    let clock = |key: &str, v: &str| {
        hours::parse_clock(v).ok_or_else(|| {
            invalid(
                key,
                &format!("is {v:?}, not a time of day"),
                "write a 24-hour time such as \"09:00\" or \"18:30\"",
            )
        })
    };
    let from = clock("team.hours.from", &h.from)?;
    let until = clock("team.hours.until", &h.until)?;
    if until <= from {
        return Err(invalid(
            "team.hours.until",
            &format!("is {:?}, not after from ({:?})", h.until, h.from),
            "give a closing time later the same day (\"24:00\" for midnight)",
        ));
    }
    let zone = hours::parse_zone(&h.zone).ok_or_else(|| {
        invalid(
            "team.hours.zone",
            &format!("is {:?}, not an IANA time zone", h.zone),
            "use a name from the tz database such as \"Asia/Tokyo\" or \"Europe/Berlin\"",
        )
    })?;
    let holidays = match h.holidays.as_deref().map(str::trim) {
        None | Some("") => Holidays::None,
        Some("jp") => Holidays::Japan,
        Some(file) => {
            let path = super::load::expand_tilde(Path::new(file));
            let path = match config_path.parent() {
                Some(dir) if path.is_relative() => dir.join(path),
                _ => path,
            };
            let text = std::fs::read_to_string(&path).map_err(|e| {
                invalid(
                    "team.hours.holidays",
                    &format!("names {}, which cannot be read ({e})", path.display()),
                    "write \"jp\" for Japan's public holidays, or the path of a file of dates (YYYY-MM-DD a line)",
                )
            })?;
            let dates = hours::parse_holiday_file(&text).map_err(|(line, bad)| {
                invalid(
                    "team.hours.holidays",
                    &format!("file {} line {line} is {bad:?}, not a date", path.display()),
                    "write one date a line as YYYY-MM-DD (# starts a comment)",
                )
            })?;
            Holidays::Dates(dates)
        }
    };
    Ok(BusinessHours {
        days,
        from,
        until,
        zone,
        holidays,
    })
}

#[cfg(test)]
mod tests {
    use crate::config::{parse, ConfigError};
    use std::path::Path;

    const BASE: &str = "[agent]\nid = \"alice\"\n[[mailbox]]\nname = \"support\"\naddress = \"support@example.com\"\n[mailbox.imap]\nhost = \"127.0.0.1\"\ntls = \"none\"\nuser = \"support\"\npassword_env = \"P\"\n[cache]\npath = \"/tmp/tanto-test.sqlite\"\n";

    fn with_hours(hours: &str) -> Result<crate::config::Config, ConfigError> {
        parse(
            &format!("{BASE}[team]\nreply_target_mins = 60\n[team.hours]\n{hours}"),
            Path::new("/tmp/tanto-hours-test/config.toml"),
        )
    }

    const GOOD: &str =
        "days = \"Mon-Fri\"\nfrom = \"09:00\"\nuntil = \"18:00\"\nzone = \"Asia/Tokyo\"\n";

    #[test]
    fn team_hours_make_the_reply_target_count_business_time() {
        let c = with_hours(&format!("{GOOD}holidays = \"jp\"\n")).expect("config");
        let t = c.reply_target.expect("a target");
        let h = t.hours.expect("hours");
        assert_eq!((h.from, h.until), (540, 1080));
        assert_eq!(h.holidays, tanto_core::hours::Holidays::Japan);
        assert_eq!(t.secs, 3600);
        // Without [team.hours], wall-clock time as before.
        let plain = parse(
            &format!("{BASE}[team]\nreply_target_mins = 60\n"),
            Path::new("c.toml"),
        )
        .expect("config");
        assert_eq!(plain.reply_target.expect("target").hours, None);
    }

    #[test]
    fn a_bad_hours_value_names_its_key_and_the_fix() {
        for (hours, key, fix) in [
            (
                GOOD.replace("Mon-Fri", "weekdays"),
                "team.hours.days",
                "Mon-Fri",
            ),
            (GOOD.replace("09:00", "9am"), "team.hours.from", "24-hour"),
            (
                GOOD.replace("18:00", "25:00"),
                "team.hours.until",
                "24-hour",
            ),
            (GOOD.replace("18:00", "08:00"), "team.hours.until", "later"),
            (
                GOOD.replace("Asia/Tokyo", "JST+9"),
                "team.hours.zone",
                "Asia/Tokyo",
            ),
            (
                format!("{GOOD}holidays = \"/nonexistent/holidays.txt\"\n"),
                "team.hours.holidays",
                "\"jp\"",
            ),
        ] {
            match with_hours(&hours) {
                Err(ConfigError::Invalid { key: k, fix: f, .. }) => {
                    assert_eq!(k, key, "{hours}");
                    assert!(f.contains(fix), "{key}: {f}");
                }
                other => panic!("{hours}: {other:?}"),
            }
        }
        // A missing key is a syntax error naming it.
        let e = with_hours("days = \"Mon-Fri\"\n").expect_err("no from");
        assert!(e.to_string().contains("from"), "{e}");
    }

    #[test]
    fn a_holidays_file_is_read_beside_the_config_and_a_bad_line_is_named() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("days.txt"), "# closed\n2026-12-29\n").expect("write");
        let config = dir.path().join("config.toml");
        let text = format!(
            "{BASE}[team]\nreply_target_mins = 60\n[team.hours]\n{GOOD}holidays = \"days.txt\"\n"
        );
        let c = parse(&text, &config).expect("config");
        let h = c.reply_target.and_then(|t| t.hours).expect("hours");
        assert!(h
            .holidays
            .contains(chrono::NaiveDate::from_ymd_opt(2026, 12, 29).expect("date")));
        std::fs::write(dir.path().join("days.txt"), "2026-12-29\nDec 30\n").expect("write");
        match parse(&text, &config) {
            Err(ConfigError::Invalid { key, problem, .. }) => {
                assert_eq!(key, "team.hours.holidays");
                assert!(problem.contains("line 2"), "{problem}");
            }
            other => panic!("{other:?}"),
        }
    }
}
