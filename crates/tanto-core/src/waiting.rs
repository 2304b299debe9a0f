//! Waiting and snoozed conversations: what the log's `wait` and `snooze` events say (the
//! reason, the wake time), and what is due for one now: waking a snooze whose time came,
//! closing a wait the customer left unanswered for `auto_close_days`. Pure: the events and
//! the clock come in as arguments. The keyword `tanto-wait` holds the state; the customer's
//! new mail wakes either without any of this (a new state message has no keywords).

use super::event::EventKind;

/// The text of a `snooze` event: its first line `until <seconds since the epoch>`, then the
/// reason (possibly none). Every reader parses it back with [`parse_snooze`].
pub fn snooze_text(until: i64, reason: &str) -> String {
    let reason = reason.trim();
    if reason.is_empty() {
        format!("until {until}")
    } else {
        format!("until {until}\n{reason}")
    }
}

/// The wake time and reason of a `snooze` event's text; `None` when it is not in that form
/// (another tool's record: it then waits like a `wait`, until the customer writes).
pub fn parse_snooze(text: &str) -> Option<(i64, &str)> {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    let until = first.trim().strip_prefix("until ")?.trim().parse().ok()?;
    Some((until, rest.trim()))
}

/// Why a waiting conversation waits, from its newest `wait` or `snooze` event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    /// The agent's reason (may be empty).
    pub reason: String,
    /// A snooze's wake time; `None` for waiting on the customer.
    pub until: Option<i64>,
    /// When it was put aside (the event's time).
    pub since: i64,
}

/// A log event as this module reads it.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    pub kind: &'a EventKind,
    pub at: i64,
    pub text: &'a str,
}

/// The reason and wake time of a waiting conversation: its newest state event (notes and
/// reply events do not count), when that is a `wait` or `snooze`.
pub fn why<'a>(events: impl DoubleEndedIterator<Item = Seen<'a>>) -> Option<Why> {
    let last = events.rev().find(|e| is_state_event(e.kind))?;
    match last.kind {
        EventKind::Wait => Some(Why {
            reason: last.text.trim().to_string(),
            until: None,
            since: last.at,
        }),
        EventKind::Snooze => {
            let (until, reason) = match parse_snooze(last.text) {
                Some((u, r)) => (Some(u), r),
                None => (None, last.text.trim()),
            };
            Some(Why {
                reason: reason.to_string(),
                until,
                since: last.at,
            })
        }
        _ => None,
    }
}

/// What is due for a waiting conversation at `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Its snooze's time came: back to New, to its agent.
    Wake,
    /// Waiting on the customer with no answer for `days` days: Done.
    Close { days: u32 },
}

/// The pass's decision for a waiting conversation (`why` from its log): a snooze wakes at
/// its time; a wait closes after `auto_close_days` (none: never). Nothing else is due.
pub fn due(why: &Why, now: i64, auto_close_days: Option<u32>) -> Option<Due> {
    match (why.until, auto_close_days) {
        (Some(until), _) if until <= now => Some(Due::Wake),
        (Some(_), _) => None,
        (None, Some(days)) if why.since + i64::from(days) * 86_400 <= now => {
            Some(Due::Close { days })
        }
        (None, _) => None,
    }
}

/// The events that change a conversation's state (a note or a sent reply does not).
fn is_state_event(kind: &EventKind) -> bool {
    matches!(
        kind,
        EventKind::Claim
            | EventKind::Takeover
            | EventKind::Release
            | EventKind::Assign
            | EventKind::Done
            | EventKind::Reopen
            | EventKind::Wait
            | EventKind::Snooze
            | EventKind::Wake
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: &EventKind, at: i64, text: &'static str) -> Seen<'static> {
        // The kinds live for the test's length: leak them, it is a test.
        Seen {
            kind: Box::leak(Box::new(kind.clone())),
            at,
            text,
        }
    }

    #[test]
    fn a_snooze_text_reads_back_with_or_without_a_reason() {
        assert_eq!(
            parse_snooze(&snooze_text(1_800_000_000, "")),
            Some((1_800_000_000, ""))
        );
        assert_eq!(
            parse_snooze(&snooze_text(5, " call after lunch ")),
            Some((5, "call after lunch"))
        );
        assert_eq!(parse_snooze("tomorrow"), None);
    }

    #[test]
    fn the_newest_state_event_says_why_and_notes_do_not_count() {
        let evs = [
            ev(&EventKind::Claim, 10, "alice claimed it"),
            ev(&EventKind::Snooze, 20, "until 500\nafter the release"),
            ev(&EventKind::Note, 30, "called them"),
        ];
        assert_eq!(
            why(evs.iter().copied()),
            Some(Why {
                reason: "after the release".into(),
                until: Some(500),
                since: 20
            })
        );
        let waited = [
            ev(&EventKind::Snooze, 20, "until 500"),
            ev(&EventKind::Wait, 40, "invoice number"),
        ];
        assert_eq!(why(waited.iter().copied()).and_then(|w| w.until), None);
        let woken = [ev(&EventKind::Wait, 40, "x"), ev(&EventKind::Wake, 50, "")];
        assert_eq!(why(woken.iter().copied()), None);
    }

    #[test]
    fn a_snooze_wakes_at_its_time_and_a_wait_closes_after_n_days_only_if_asked() {
        let snoozed = Why {
            reason: String::new(),
            until: Some(1000),
            since: 0,
        };
        assert_eq!(due(&snoozed, 999, Some(1)), None);
        assert_eq!(due(&snoozed, 1000, None), Some(Due::Wake));
        let waiting = Why {
            reason: "invoice".into(),
            until: None,
            since: 0,
        };
        assert_eq!(due(&waiting, 10 * 86_400, None), None);
        assert_eq!(due(&waiting, 3 * 86_400 - 1, Some(3)), None);
        assert_eq!(
            due(&waiting, 3 * 86_400, Some(3)),
            Some(Due::Close { days: 3 })
        );
        // A snooze is never auto-closed, however long ago it was set.
        let far = Why {
            until: Some(i64::MAX),
            ..waiting
        };
        assert_eq!(due(&far, 100 * 86_400, Some(3)), None);
    }
}
