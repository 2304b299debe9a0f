//! When to send: the `--at` forms (`+30m`, seconds since the epoch, RFC 3339).

/// Why an `--at` value was not understood (the front ends word it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AtError {
    /// `+` not followed by a number.
    Number(String),
    /// A unit other than s, m, h or d.
    Unit(String),
    /// None of the forms.
    Form(String),
}

impl std::fmt::Display for AtError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AtError::Number(s) => write!(f, "--at {s}: expected +N[s|m|h|d]"),
            AtError::Unit(s) => write!(f, "--at {s}: the unit is s, m, h or d"),
            AtError::Form(s) => write!(
                f,
                "--at {s}: use RFC 3339 (2026-01-05T09:00:00+09:00), seconds since the epoch, or +N[s|m|h|d]"
            ),
        }
    }
}

impl std::error::Error for AtError {}

/// Seconds since the epoch for `s` at `now`; the error says which forms are understood.
pub fn parse_at(s: &str, now: i64) -> Result<i64, AtError> {
    let s = s.trim();
    if let Some(rel) = s.strip_prefix('+') {
        let (n, unit) = rel.split_at(rel.find(|c: char| !c.is_ascii_digit()).unwrap_or(rel.len()));
        let n: i64 = n.parse().map_err(|_| AtError::Number(s.to_string()))?;
        let mul = match unit {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86400,
            _ => return Err(AtError::Unit(s.to_string())),
        };
        return Ok(now + n * mul);
    }
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|d| d.timestamp())
        .map_err(|_| AtError::Form(s.to_string()))
}

#[cfg(test)]
mod tests {
    use super::parse_at;

    #[test]
    fn relative_absolute_and_rfc3339_times_are_read() {
        assert_eq!(parse_at("+30m", 1000), Ok(2800));
        assert_eq!(parse_at("+2h", 0), Ok(7200));
        assert_eq!(parse_at("1700000000", 0), Ok(1_700_000_000));
        assert_eq!(parse_at("2023-11-14T22:13:20Z", 0), Ok(1_700_000_000));
        assert!(parse_at("+2x", 0).is_err());
        assert!(parse_at("soon", 0).is_err());
    }
}
