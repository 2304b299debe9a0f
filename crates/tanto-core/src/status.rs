//! The protocol's status keywords and how a message's flags read as a status.

use serde::Serialize;

pub const KW_WIP: &str = "tanto-wip";
pub const KW_DONE: &str = "tanto-done";
pub const KW_NOISE: &str = "tanto-noise";
/// An agent's decision that a message the rules call noise is customer mail.
pub const KW_NOT_NOISE: &str = "tanto-notnoise";
pub const KW_BY_PREFIX: &str = "tanto-by-";
/// Waiting on the customer, or snoozed until a time (the log's newest `wait` or `snooze`
/// event says which, and until when); kept with its owner's `tanto-by-`.
pub const KW_WAIT: &str = "tanto-wait";

/// Where a conversation stands, as the New / In progress / Done tabs show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    New,
    Wip,
    Done,
    Noise,
    /// Waiting on the customer or snoozed: out of New and of the owner's In progress until
    /// the customer writes or the snooze's time comes.
    Waiting,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Wip => "wip",
            Status::Done => "done",
            Status::Noise => "noise",
            Status::Waiting => "waiting",
        }
    }

    /// Parses the CLI spelling (`new`, `wip`, `done`, `noise`, `waiting`).
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::New,
            Status::Wip,
            Status::Done,
            Status::Noise,
            Status::Waiting,
        ]
        .into_iter()
        .find(|st| st.as_str() == s)
    }
}

/// The keyword that marks `agent` as the owner.
pub fn owner_keyword(agent: &str) -> String {
    format!("{KW_BY_PREFIX}{agent}")
}

/// The owner named by the flags, if any (the first `tanto-by-` keyword in sorted order,
/// so that every agent reads the same owner even from a corrupted double claim).
///
/// Keywords are case-insensitive in IMAP, and Dovecot and Cyrus give back the first spelling
/// a folder ever saw: `TANTO-BY-ALICE` is alice's claim, so the id is read in lower case.
pub fn owner<S: AsRef<str>>(flags: &[S]) -> Option<String> {
    owners(flags).into_iter().next()
}

/// Every agent named by a `tanto-by-` keyword, sorted; more than one only after a server
/// let two conflicting writes through (see `claims::confirmed`).
pub fn owners<S: AsRef<str>>(flags: &[S]) -> Vec<String> {
    let mut v: Vec<String> = flags
        .iter()
        .filter_map(|f| {
            let f = f.as_ref();
            f.get(..KW_BY_PREFIX.len())
                .filter(|p| p.eq_ignore_ascii_case(KW_BY_PREFIX))
                .and_then(|_| f.get(KW_BY_PREFIX.len()..))
                .map(str::to_ascii_lowercase)
        })
        .filter(|a| crate::agent::valid_id(a))
        .collect();
    v.sort();
    v.dedup();
    v
}

fn has<S: AsRef<str>>(flags: &[S], kw: &str) -> bool {
    // Keywords are case-insensitive in IMAP.
    flags.iter().any(|f| f.as_ref().eq_ignore_ascii_case(kw))
}

/// True when the flags or the rules make this inbound message noise.
pub fn is_noise<S: AsRef<str>>(flags: &[S], rules_say_noise: bool) -> bool {
    has(flags, KW_NOISE)
        || (rules_say_noise
            && !has(flags, KW_NOT_NOISE)
            && !has(flags, KW_WIP)
            && !has(flags, KW_DONE)
            && !has(flags, KW_WAIT))
}

/// The status the flags of a conversation's newest inbound message give.
pub fn status_of<S: AsRef<str>>(flags: &[S], rules_say_noise: bool) -> Status {
    if has(flags, KW_DONE) {
        Status::Done
    } else if has(flags, KW_WIP) {
        Status::Wip
    } else if has(flags, KW_WAIT) {
        Status::Waiting
    } else if is_noise(flags, rules_say_noise) {
        Status::Noise
    } else {
        Status::New
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_as_status_and_owner() {
        let cases: &[(&[&str], bool, Status, Option<&str>)] = &[
            (&[], false, Status::New, None),
            (&["\\Seen"], false, Status::New, None),
            (
                &["tanto-wip", "tanto-by-alice"],
                false,
                Status::Wip,
                Some("alice"),
            ),
            (
                &["tanto-done", "tanto-by-bob", "\\Answered"],
                false,
                Status::Done,
                Some("bob"),
            ),
            (
                &["TANTO-WIP", "tanto-by-carol"],
                true,
                Status::Wip,
                Some("carol"),
            ),
            (&[], true, Status::Noise, None),
            (&["tanto-notnoise"], true, Status::New, None),
            (&["tanto-noise"], false, Status::Noise, None),
            (
                &["tanto-wip", "tanto-by-zed", "tanto-by-amy"],
                false,
                Status::Wip,
                Some("amy"),
            ),
            (&["tanto-by-Bad Id"], false, Status::New, None),
            // The server kept another client's spelling of the keywords.
            (
                &["TANTO-WIP", "TANTO-BY-ALICE"],
                false,
                Status::Wip,
                Some("alice"),
            ),
            (
                &["Tanto-Done", "Tanto-By-Bob"],
                false,
                Status::Done,
                Some("bob"),
            ),
            (&["TANTO-NOISE"], false, Status::Noise, None),
            (&["TANTO-NOTNOISE"], true, Status::New, None),
            (
                &["tanto-wait", "tanto-by-alice"],
                true,
                Status::Waiting,
                Some("alice"),
            ),
            (
                &["TANTO-WAIT", "tanto-by-bob"],
                false,
                Status::Waiting,
                Some("bob"),
            ),
            // A snooze that woke keeps its owner as the previous assignee, status new.
            (&["tanto-by-bob"], false, Status::New, Some("bob")),
            (
                &["tanto-wip", "TANTO-BY-ZED", "tanto-by-amy"],
                false,
                Status::Wip,
                Some("amy"),
            ),
        ];
        for (flags, rules, status, who) in cases {
            assert_eq!(status_of(flags, *rules), *status, "{flags:?}");
            assert_eq!(owner(flags).as_deref(), *who, "{flags:?}");
        }
    }
}
