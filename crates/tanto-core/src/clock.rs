//! Wall-clock time as the cache and the activity log store it.

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (0 if the clock is before it); `TANTO_NOW`, when set to a
/// number of seconds, stands in for the clock (a testing aid: "now is Monday 09:31").
pub fn now() -> i64 {
    if let Some(t) = fixed() {
        return t;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `TANTO_NOW`, read once per process (the clock is asked on every list query).
fn fixed() -> Option<i64> {
    static FIXED: OnceLock<Option<i64>> = OnceLock::new();
    *FIXED.get_or_init(|| {
        std::env::var("TANTO_NOW")
            .ok()
            .and_then(|s| s.trim().parse().ok())
    })
}
