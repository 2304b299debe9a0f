//! Formatting shared by the subcommands: times, table cells of wide text.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Prints one JSON document on stdout (the `--json` contract).
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// RFC 3339 in UTC, as the JSON contract has it.
pub fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// A short local time for tables.
pub fn short_time(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// `s` cut or padded to exactly `width` terminal columns (wide CJK characters count two).
pub fn fit(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    let total = s.width();
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        let room = if total > width {
            width.saturating_sub(1)
        } else {
            width
        };
        if used + w > room {
            break;
        }
        out.push(c);
        used += w;
    }
    if total > width && width > 0 {
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_text_is_fitted_by_columns() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("日本語です", 6), "日本… ");
        assert_eq!(fit("日本", 4), "日本");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
