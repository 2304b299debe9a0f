//! The kinds of event the activity log holds, as the protocol spells them.

use serde::Serialize;

/// What an activity-log entry records.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "String")]
pub enum EventKind {
    Claim,
    Release,
    Assign,
    Takeover,
    Done,
    Reopen,
    Note,
    /// A reply went out (SMTP accepted it and it is in Sent).
    Sent,
    /// A supervisor approved a queued reply.
    Approve,
    /// A supervisor rejected a queued reply (the text says why).
    Reject,
    /// A person decided a "send uncertain" reply did not go out and sent it again.
    Resend,
    /// A person removed a queued reply from the outbox.
    Drop,
    /// The check at send time held a queued reply for its author (the text says why).
    Hold,
    /// The team's rules acted on a new message (the text names the rules and what they did).
    Rule,
    /// A person joined a conversation to another (`X-Tanto-Into` names the other's root).
    Merge,
    /// A person cut a message (and the replies to it) out of its conversation.
    Split,
    /// Waiting on the customer (the text is the reason).
    Wait,
    /// Snoozed until a time (the text: `waiting::snooze_text`).
    Snooze,
    /// Back to New from waiting or snoozed: by hand, or the snooze's time came.
    Wake,
    /// The agent went off duty: automatic assignment passes them by (about no conversation).
    Away,
    /// The agent is on duty again.
    Back,
    /// Tags put on a conversation through the log (a server that keeps no keywords of ours).
    Tag,
    /// Tags taken off a conversation through the log.
    Untag,
    /// A kind this version does not know (written by a newer tanto or another tool).
    Other(String),
}

impl EventKind {
    /// The protocol's spelling (`X-Tanto-Event`).
    pub fn as_str(&self) -> &str {
        match self {
            EventKind::Claim => "claim",
            EventKind::Release => "release",
            EventKind::Assign => "assign",
            EventKind::Takeover => "takeover",
            EventKind::Done => "done",
            EventKind::Reopen => "reopen",
            EventKind::Note => "note",
            EventKind::Sent => "sent",
            EventKind::Approve => "approve",
            EventKind::Reject => "reject",
            EventKind::Resend => "resend",
            EventKind::Drop => "drop",
            EventKind::Hold => "hold",
            EventKind::Rule => "rule",
            EventKind::Merge => "merge",
            EventKind::Split => "split",
            EventKind::Wait => "wait",
            EventKind::Snooze => "snooze",
            EventKind::Wake => "wake",
            EventKind::Away => "away",
            EventKind::Back => "back",
            EventKind::Tag => "tag",
            EventKind::Untag => "untag",
            EventKind::Other(s) => s,
        }
    }

    /// Reads the protocol's spelling; unknown kinds are kept as `Other`.
    pub fn parse(s: &str) -> EventKind {
        match s.trim().to_ascii_lowercase().as_str() {
            "claim" => EventKind::Claim,
            "release" => EventKind::Release,
            "assign" => EventKind::Assign,
            "takeover" => EventKind::Takeover,
            "done" => EventKind::Done,
            "reopen" => EventKind::Reopen,
            "note" => EventKind::Note,
            "sent" => EventKind::Sent,
            "approve" => EventKind::Approve,
            "reject" => EventKind::Reject,
            "resend" => EventKind::Resend,
            "drop" => EventKind::Drop,
            "hold" => EventKind::Hold,
            "rule" => EventKind::Rule,
            "merge" => EventKind::Merge,
            "split" => EventKind::Split,
            "wait" => EventKind::Wait,
            "snooze" => EventKind::Snooze,
            "wake" => EventKind::Wake,
            "away" => EventKind::Away,
            "back" => EventKind::Back,
            "tag" => EventKind::Tag,
            "untag" => EventKind::Untag,
            _ => EventKind::Other(s.trim().to_string()),
        }
    }

    /// True for the events that change no conversation's state (notes, tags): passed over
    /// where the last state event decides (how old a claim is, why it came back).
    pub fn is_annotation(&self) -> bool {
        matches!(self, EventKind::Note | EventKind::Tag | EventKind::Untag)
    }

    /// True for the events that make their `owner` the holder of a claim (the ones a claim's
    /// age is measured from).
    pub fn starts_a_claim(&self) -> bool {
        matches!(
            self,
            EventKind::Claim
                | EventKind::Takeover
                | EventKind::Assign
                | EventKind::Reopen
                | EventKind::Rule
        )
    }
}

impl From<EventKind> for String {
    fn from(k: EventKind) -> String {
        k.as_str().to_string()
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_kept() {
        for k in [
            EventKind::Claim,
            EventKind::Release,
            EventKind::Assign,
            EventKind::Takeover,
            EventKind::Done,
            EventKind::Reopen,
            EventKind::Note,
            EventKind::Sent,
            EventKind::Approve,
            EventKind::Reject,
            EventKind::Rule,
            EventKind::Merge,
            EventKind::Split,
            EventKind::Wait,
            EventKind::Snooze,
            EventKind::Wake,
            EventKind::Away,
            EventKind::Back,
            EventKind::Tag,
            EventKind::Untag,
        ] {
            assert_eq!(EventKind::parse(k.as_str()), k);
        }
        assert_eq!(EventKind::parse("CLAIM"), EventKind::Claim);
        assert_eq!(
            EventKind::parse("escalate"),
            EventKind::Other("escalate".into())
        );
    }
}
