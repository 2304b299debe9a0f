//! The desk's report: conversations handled, first-response and resolution times, replies
//! sent, per agent and for the whole team, over a period. Computed from plain records of
//! the mailbox's own history (each conversation's first customer mail, and the replies,
//! dones and reopens of the activity log and the Sent folder), so that every agent who
//! reads the same mailbox gets the same figures.
//!
//! The definitions (as Help Scout and Front publish theirs; docs/user-guide.md words them):
//! - **first response time**: from a conversation's first customer mail to the team's first
//!   reply after it; counted for the conversations whose first customer mail and first reply
//!   both fall in the period, and credited to the agent who sent that reply. Notes, claims
//!   and auto-replies are not replies.
//! - **resolution time**: from a conversation's first customer mail to the `done` that
//!   resolved it: the last `done` before the period's end, when no `reopen` follows it (a
//!   reopened conversation is resolved by its last `done`, once); counted when that `done`
//!   falls in the period, and credited to the agent who marked it done.
//! - **handled**: the conversations an agent replied to or marked done in the period (the
//!   team's: any reply or done in the period).
//! - **replies sent**: the replies sent in the period.
//!
//! Times are business seconds (`BusinessHours::business_secs_between`) when the team has
//! business hours, else wall-clock seconds. The **median** of n sorted values is the middle
//! one (n odd) or the mean of the two middle ones, rounded down to the second (n even); the
//! **p90** is the nearest-rank percentile: the value at rank ⌈0.9·n⌉.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{LocalResult, NaiveDate, TimeZone};

use crate::hours::BusinessHours;

/// A conversation's first customer mail (seconds since the epoch). Conversations the team
/// started, with no customer mail, have no times and are left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub conversation: String,
    pub first_inbound: i64,
}

/// What a record of the history did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Act {
    /// A reply went out (a `sent` event, or a reply in Sent that no `sent` event names).
    Reply,
    Done,
    Reopen,
    /// An internal note: kept in the history, and never a response.
    Note,
}

/// One record of the history: `agent` did `act` on `conversation` at `at`. `agent` is
/// `None` for a reply found only in Sent (written outside tanto): the team's, nobody's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub conversation: String,
    pub act: Act,
    pub agent: Option<String>,
    pub at: i64,
}

/// The period reported on: from `since` (included; `None`: from the start of the history)
/// to `until` (excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub since: Option<i64>,
    pub until: i64,
}

impl Period {
    /// Whether `t` falls in the period.
    pub fn holds(&self, t: i64) -> bool {
        self.since.is_none_or(|s| t >= s) && t < self.until
    }
}

/// How many durations there were, their median and p90 (seconds; `None` without any).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spread {
    pub count: u64,
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

impl Spread {
    /// The count, median and p90 of `values` (any order), as this module defines them.
    pub fn of(mut values: Vec<i64>) -> Spread {
        values.sort_unstable();
        let n = values.len();
        if n == 0 {
            return Spread::default();
        }
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]).div_euclid(2)
        };
        // Nearest rank ⌈0.9·n⌉, in integers: ⌈9n/10⌉.
        let rank = (9 * n).div_ceil(10).max(1);
        Spread {
            count: n as u64,
            median: Some(median),
            p90: Some(values[rank - 1]),
        }
    }
}

/// One agent's figures, or the team's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub handled: u64,
    pub replies: u64,
    pub first_response: Spread,
    pub resolution: Spread,
}

/// The report: each agent who replied or marked something done in the period (by id, in
/// order), and the whole team.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub agents: BTreeMap<String, Figures>,
    pub all: Figures,
}

/// Durations measured in the team's kind of time.
fn span(hours: Option<&BusinessHours>, from: i64, to: i64) -> i64 {
    match hours {
        Some(h) => h.business_secs_between(from, to),
        None => (to - from).max(0),
    }
}

#[derive(Default)]
struct Gathered {
    handled: BTreeSet<String>,
    replies: u64,
    first_response: Vec<i64>,
    resolution: Vec<i64>,
}

impl Gathered {
    fn figures(self) -> Figures {
        Figures {
            handled: self.handled.len() as u64,
            replies: self.replies,
            first_response: Spread::of(self.first_response),
            resolution: Spread::of(self.resolution),
        }
    }
}

/// The report over `period` from each conversation's first customer mail and the history's
/// records (any order; records at `period.until` or later are not seen, so that a past
/// period's figures never change). `hours`: count business time.
pub fn compute(
    opened: &[Opened],
    records: &[Record],
    period: Period,
    hours: Option<&BusinessHours>,
) -> Report {
    let mut seen: Vec<&Record> = records.iter().filter(|r| r.at < period.until).collect();
    // Stable: records of one second keep the order the log gave them.
    seen.sort_by_key(|r| r.at);
    let mut by_conv: HashMap<&str, Vec<&Record>> = HashMap::new();
    for r in &seen {
        by_conv.entry(r.conversation.as_str()).or_default().push(r);
    }
    let mut agents: BTreeMap<String, Gathered> = BTreeMap::new();
    let mut all = Gathered::default();

    for r in seen.iter().filter(|r| period.holds(r.at)) {
        if matches!(r.act, Act::Reopen | Act::Note) {
            continue;
        }
        all.handled.insert(r.conversation.clone());
        if r.act == Act::Reply {
            all.replies += 1;
        }
        if let Some(a) = &r.agent {
            let g = agents.entry(a.clone()).or_default();
            g.handled.insert(r.conversation.clone());
            if r.act == Act::Reply {
                g.replies += 1;
            }
        }
    }

    for o in opened {
        let history = by_conv.get(o.conversation.as_str());
        let history = history.map(Vec::as_slice).unwrap_or(&[]);
        if period.holds(o.first_inbound) {
            let first_reply = history
                .iter()
                .find(|r| r.act == Act::Reply && r.at >= o.first_inbound);
            if let Some(r) = first_reply {
                let d = span(hours, o.first_inbound, r.at);
                all.first_response.push(d);
                if let Some(a) = &r.agent {
                    agents.entry(a.clone()).or_default().first_response.push(d);
                }
            }
        }
        let last_state = history
            .iter()
            .rev()
            .find(|r| matches!(r.act, Act::Done | Act::Reopen));
        if let Some(r) = last_state.filter(|r| r.act == Act::Done && period.holds(r.at)) {
            let d = span(hours, o.first_inbound, r.at);
            all.resolution.push(d);
            if let Some(a) = &r.agent {
                agents.entry(a.clone()).or_default().resolution.push(d);
            }
        }
    }

    Report {
        agents: agents.into_iter().map(|(a, g)| (a, g.figures())).collect(),
        all: all.figures(),
    }
}

/// The instant local `date` begins in `zone` (its first instant when midnight is skipped
/// or repeated by a clock change).
pub fn day_start<Z: TimeZone>(zone: &Z, date: NaiveDate) -> Option<i64> {
    let midnight = date.and_hms_opt(0, 0, 0)?;
    match zone.from_local_datetime(&midnight) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(first, _) => Some(first.timestamp()),
        LocalResult::None => (1..=3).find_map(|h| {
            zone.from_local_datetime(&(midnight + chrono::Duration::hours(h)))
                .earliest()
                .map(|t| t.timestamp())
        }),
    }
}

/// A period's bound as a person writes it: `YYYY-MM-DD` in `zone` (the start of that day
/// for `--since`; for `--until`, `end`, the end of it: the day is included), or an RFC 3339
/// instant, exact. `None` when it is neither.
pub fn parse_bound<Z: TimeZone>(s: &str, zone: &Z, end: bool) -> Option<i64> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let d = if end { d.succ_opt()? } else { d };
        return day_start(zone, d);
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
