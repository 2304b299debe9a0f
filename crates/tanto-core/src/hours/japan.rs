//! Japan's public holidays as the Act on National Holidays (国民の祝日に関する法律) and its
//! special laws set them, computed for any year rather than listed: the fixed dates, the
//! Happy Monday ones, the equinoxes by the standard formula (valid 1980–2099), 振替休日 (a
//! holiday on a Sunday moves to the next day that is not one) and 国民の休日 (a day between
//! two holidays), with the years the law moved or added days (1989–1993, 2019–2021).

use chrono::{Datelike, NaiveDate, Weekday};

/// Whether `d` is a Japanese public holiday (祝日, 振替休日 or 国民の休日).
pub fn is_holiday(d: NaiveDate) -> bool {
    holidays(d.year()).binary_search(&d).is_ok()
}

/// The public holidays of `year`, in date order.
pub fn holidays(year: i32) -> Vec<NaiveDate> {
    let named = named(year);
    let mut all = named.clone();
    // 国民の休日 (from 1986): a day between two 祝日 that is not one itself; before 2007 a
    // Sunday or a substitute holiday did not count.
    if year >= 1986 {
        for d in &named {
            let (Some(next), Some(after)) = (d.succ_opt(), d.succ_opt().and_then(|n| n.succ_opt()))
            else {
                continue;
            };
            let sunday_excluded = year < 2007 && next.weekday() == Weekday::Sun;
            if named.contains(&after) && !named.contains(&next) && !sunday_excluded {
                all.push(next);
            }
        }
    }
    // 振替休日 (from 12 April 1973): a 祝日 on a Sunday gives the next day that is not a 祝日
    // (until 2006 only the Monday, when it was not a 祝日 itself).
    for d in &named {
        if d.weekday() != Weekday::Sun || *d < ymd(1973, 4, 12) {
            continue;
        }
        let mut sub = d.succ_opt();
        if year >= 2007 {
            while let Some(s) = sub.filter(|s| named.contains(s)) {
                sub = s.succ_opt();
            }
        } else if sub.is_some_and(|s| named.contains(&s)) {
            sub = None;
        }
        all.extend(sub.filter(|s| s.year() == year));
    }
    all.sort_unstable();
    all.dedup();
    all
}

/// The 祝日 of `year` themselves (with the days special laws made holidays).
fn named(year: i32) -> Vec<NaiveDate> {
    let y = year;
    let mut days = vec![ymd(y, 1, 1), ymd(y, 2, 11), ymd(y, 5, 3), ymd(y, 5, 5)];
    days.extend([ymd(y, 11, 3), ymd(y, 11, 23)]);
    // 成人の日: 15 January, the second Monday from 2000.
    days.push(if y >= 2000 {
        nth_monday(y, 1, 2)
    } else {
        ymd(y, 1, 15)
    });
    days.push(ymd(y, 3, vernal_equinox_day(y)));
    days.push(ymd(y, 9, autumnal_equinox_day(y)));
    // 29 April: the Shōwa Emperor's birthday, みどりの日 from 1989, 昭和の日 from 2007.
    days.push(ymd(y, 4, 29));
    // みどりの日 moved to 4 May in 2007 (before, 4 May was a 国民の休日 between two 祝日).
    if y >= 2007 {
        days.push(ymd(y, 5, 4));
    }
    // 天皇誕生日: 23 December 1989–2018, none in 2019, 23 February from 2020.
    if (1989..=2018).contains(&y) {
        days.push(ymd(y, 12, 23));
    } else if y >= 2020 {
        days.push(ymd(y, 2, 23));
    }
    // 海の日: 20 July from 1996, the third Monday from 2003; moved for the 2020/2021 Games.
    match y {
        2020 => days.push(ymd(y, 7, 23)),
        2021 => days.push(ymd(y, 7, 22)),
        2003.. => days.push(nth_monday(y, 7, 3)),
        1996.. => days.push(ymd(y, 7, 20)),
        _ => {}
    }
    // 山の日: 11 August from 2016; moved for the Games.
    match y {
        2020 => days.push(ymd(y, 8, 10)),
        2021 => days.push(ymd(y, 8, 8)),
        2016.. => days.push(ymd(y, 8, 11)),
        _ => {}
    }
    // 敬老の日: 15 September from 1966, the third Monday from 2003.
    days.push(if y >= 2003 {
        nth_monday(y, 9, 3)
    } else {
        ymd(y, 9, 15)
    });
    // 体育の日 / スポーツの日: 10 October from 1966, the second Monday from 2000; moved to
    // the Games' opening in 2020 and 2021.
    match y {
        2020 => days.push(ymd(y, 7, 24)),
        2021 => days.push(ymd(y, 7, 23)),
        2000.. => days.push(nth_monday(y, 10, 2)),
        1966.. => days.push(ymd(y, 10, 10)),
        _ => {}
    }
    // Days of the special laws: the Shōwa Emperor's funeral, the enthronement ceremonies,
    // the Crown Prince's wedding, the 2019 accession.
    days.extend(
        [
            (1989, 2, 24),
            (1990, 11, 12),
            (1993, 6, 9),
            (2019, 5, 1),
            (2019, 10, 22),
        ]
        .into_iter()
        .filter(|(sy, _, _)| *sy == y)
        .map(|(sy, m, d)| ymd(sy, m, d)),
    );
    days.sort_unstable();
    days.dedup();
    days
}

/// 春分の日's day of March (the standard formula, valid 1980–2099).
fn vernal_equinox_day(year: i32) -> u32 {
    equinox(20.8431, year)
}

/// 秋分の日's day of September (the standard formula, valid 1980–2099).
fn autumnal_equinox_day(year: i32) -> u32 {
    equinox(23.2488, year)
}

fn equinox(base: f64, year: i32) -> u32 {
    let n = f64::from(year - 1980);
    (base + 0.242194 * n - (n / 4.0).floor()).floor() as u32
}

/// The `n`th Monday of `month`.
fn nth_monday(year: i32, month: u32, n: u8) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, n)
        .unwrap_or_else(|| ymd(year, month, 1))
}

/// A date known to exist (the days above are all valid in every year); 1 January otherwise.
fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d)
        .or_else(|| NaiveDate::from_ymd_opt(y, 1, 1))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(year: i32, list: &[(u32, u32)]) -> Vec<NaiveDate> {
        list.iter().map(|&(m, d)| ymd(year, m, d)).collect()
    }

    /// The Cabinet Office's list for 2025.
    #[test]
    fn the_2025_holidays_are_the_cabinet_office_s() {
        assert_eq!(
            holidays(2025),
            days(
                2025,
                &[
                    (1, 1),
                    (1, 13),
                    (2, 11),
                    (2, 23),
                    (2, 24), // 振替休日
                    (3, 20),
                    (4, 29),
                    (5, 3),
                    (5, 4),
                    (5, 5),
                    (5, 6), // 振替休日 for Sunday 4 May, past the 5th
                    (7, 21),
                    (8, 11),
                    (9, 15),
                    (9, 23),
                    (10, 13),
                    (11, 3),
                    (11, 23),
                    (11, 24), // 振替休日
                ]
            )
        );
    }

    /// The Cabinet Office's list for 2026, with its 国民の休日 on 22 September.
    #[test]
    fn the_2026_holidays_are_the_cabinet_office_s() {
        assert_eq!(
            holidays(2026),
            days(
                2026,
                &[
                    (1, 1),
                    (1, 12),
                    (2, 11),
                    (2, 23),
                    (3, 20),
                    (4, 29),
                    (5, 3),
                    (5, 4),
                    (5, 5),
                    (5, 6), // 振替休日 for Sunday 3 May
                    (7, 20),
                    (8, 11),
                    (9, 21),
                    (9, 22), // 国民の休日
                    (9, 23),
                    (10, 12),
                    (11, 3),
                    (11, 23),
                ]
            )
        );
    }

    /// 2019: the accession on 1 May with the days around it, no Emperor's Birthday, the
    /// enthronement ceremony on 22 October.
    #[test]
    fn the_2019_accession_gives_ten_days_off_and_no_emperor_s_birthday() {
        assert_eq!(
            holidays(2019),
            days(
                2019,
                &[
                    (1, 1),
                    (1, 14),
                    (2, 11),
                    (3, 21),
                    (4, 29),
                    (4, 30), // 国民の休日
                    (5, 1),  // 即位の日
                    (5, 2),  // 国民の休日
                    (5, 3),
                    (5, 4),
                    (5, 5),
                    (5, 6), // 振替休日
                    (7, 15),
                    (8, 11),
                    (8, 12), // 振替休日
                    (9, 16),
                    (9, 23),
                    (10, 14),
                    (10, 22), // 即位礼正殿の儀
                    (11, 3),
                    (11, 4), // 振替休日
                    (11, 23),
                ]
            )
        );
    }

    /// The Olympic years moved Marine Day, Sports Day and Mountain Day.
    #[test]
    fn the_olympic_years_move_marine_sports_and_mountain_day() {
        assert_eq!(
            holidays(2020),
            days(
                2020,
                &[
                    (1, 1),
                    (1, 13),
                    (2, 11),
                    (2, 23),
                    (2, 24),
                    (3, 20),
                    (4, 29),
                    (5, 3),
                    (5, 4),
                    (5, 5),
                    (5, 6),
                    (7, 23),
                    (7, 24),
                    (8, 10),
                    (9, 21),
                    (9, 22),
                    (11, 3),
                    (11, 23),
                ]
            )
        );
        assert_eq!(
            holidays(2021),
            days(
                2021,
                &[
                    (1, 1),
                    (1, 11),
                    (2, 11),
                    (2, 23),
                    (3, 20),
                    (4, 29),
                    (5, 3),
                    (5, 4),
                    (5, 5),
                    (7, 22),
                    (7, 23),
                    (8, 8),
                    (8, 9), // 振替休日 for Mountain Day on a Sunday
                    (9, 20),
                    (9, 23),
                    (11, 3),
                    (11, 23),
                ]
            )
        );
    }

    #[test]
    fn the_emperor_s_birthday_follows_the_reign() {
        assert!(is_holiday(ymd(2018, 12, 23)));
        assert!(is_holiday(ymd(2018, 12, 24)), "Sunday's substitute");
        assert!(!is_holiday(ymd(2019, 12, 23)));
        assert!(!is_holiday(ymd(2019, 2, 23)));
        assert!(is_holiday(ymd(2020, 2, 23)));
        assert!(!is_holiday(ymd(2020, 12, 23)));
    }

    #[test]
    fn the_equinoxes_follow_the_formula() {
        for (year, spring, autumn) in [
            (1980, 20, 23),
            (2000, 20, 23),
            (2012, 20, 22),
            (2023, 21, 23),
            (2024, 20, 22),
            (2030, 20, 23),
            (2044, 20, 22),
            (2099, 20, 23),
        ] {
            assert_eq!(vernal_equinox_day(year), spring, "{year}");
            assert_eq!(autumnal_equinox_day(year), autumn, "{year}");
        }
    }
}
