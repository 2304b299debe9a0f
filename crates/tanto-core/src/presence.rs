//! Who is viewing or replying to what, as published for agents on other hosts: one METADATA
//! entry per agent on the shared inbox (`/shared/vendor/tanto/presence/<agent>`), whose value
//! says what the agent is doing, on which conversation, until when.

/// What an agent is doing with a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Doing {
    Viewing,
    Replying,
}

impl Doing {
    /// The word stored in the cache and on the server.
    pub fn as_str(self) -> &'static str {
        match self {
            Doing::Viewing => "viewing",
            Doing::Replying => "replying",
        }
    }

    /// The word as stored; None for anything else.
    pub fn parse(s: &str) -> Option<Doing> {
        match s {
            "viewing" => Some(Doing::Viewing),
            "replying" => Some(Doing::Replying),
            _ => None,
        }
    }
}

/// The METADATA entry under which every agent's presence sits.
pub const ENTRY_ROOT: &str = "/shared/vendor/tanto/presence";

/// The METADATA entry of `agent` (an agent id: safe in an entry name).
pub fn entry(agent: &str) -> String {
    format!("{ENTRY_ROOT}/{agent}")
}

/// One agent's published presence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    pub agent: String,
    pub doing: Doing,
    pub conversation: String,
    /// Seconds since the epoch after which it no longer holds (the agent died or was cut off).
    pub until: i64,
}

/// The value published for `doing` on `conversation` until `until`.
pub fn value(doing: Doing, conversation: &str, until: i64) -> String {
    format!("{} {conversation} {until}", doing.as_str())
}

/// Reads one entry (`entry`, `value`) as published; None for anything that is not an agent's
/// well-formed, unexpired presence at `now` (an entry is written by any agent: never trusted).
pub fn read(entry_name: &str, value: &str, now: i64) -> Option<Published> {
    let agent = entry_name
        .strip_prefix(ENTRY_ROOT)?
        .strip_prefix('/')?
        .to_string();
    if !super::agent::valid_id(&agent) {
        return None;
    }
    let mut parts = value.split(' ');
    let doing = Doing::parse(parts.next()?)?;
    let conversation = parts.next()?.to_string();
    let until: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some()
        || !super::threading::valid_conversation_id(&conversation)
        || until <= now
        // A presence lasts seconds: one far in the future is not one.
        || until > now + 600
    {
        return None;
    }
    Some(Published {
        agent,
        doing,
        conversation,
        until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_presence_reads_back_as_published_and_nothing_else_reads() {
        let v = value(Doing::Replying, "0123456789ab", 1_000_030);
        assert_eq!(
            read(&entry("bob"), &v, 1_000_000),
            Some(Published {
                agent: "bob".into(),
                doing: Doing::Replying,
                conversation: "0123456789ab".into(),
                until: 1_000_030,
            })
        );
        // Expired, too far ahead, malformed, or not an agent's entry: nothing.
        assert_eq!(read(&entry("bob"), &v, 1_000_030), None);
        assert_eq!(
            read(
                &entry("bob"),
                &value(Doing::Viewing, "0123456789ab", 9_999_999),
                1_000_000
            ),
            None
        );
        assert_eq!(read(&entry("bob"), "viewing 0123456789ab", 1_000_000), None);
        assert_eq!(
            read(&entry("bob"), "typing 0123456789ab 1000030", 1_000_000),
            None
        );
        assert_eq!(
            read(&entry("bob"), "viewing \u{1b}[2J 1000030", 1_000_000),
            None
        );
        assert_eq!(read(&entry("Bob Smith"), &v, 1_000_000), None);
        assert_eq!(read("/shared/other/bob", &v, 1_000_000), None);
    }
}
