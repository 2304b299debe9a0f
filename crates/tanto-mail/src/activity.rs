//! The activity log: one small message per event (claim, release, assign, take-over, done,
//! reopen, note) in the activity folder, readable by any mail client and by every agent.

use std::time::SystemTime;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;

use tanto_core::event::EventKind;

/// Header fields tanto writes on every event; other tools can rely on them.
pub const H_AGENT: &str = "X-Tanto-Agent";
pub const H_EVENT: &str = "X-Tanto-Event";
pub const H_ABOUT: &str = "X-Tanto-About";
pub const H_CONVERSATION: &str = "X-Tanto-Conversation";
pub const H_STATUS: &str = "X-Tanto-Status";
pub const H_OWNER: &str = "X-Tanto-Owner";
/// On a merge: the key of the other conversation's root (section 2 of the protocol).
pub const H_INTO: &str = "X-Tanto-Into";

/// The fields the sync fetches from the activity folder.
pub const FETCH_FIELDS: &str = "DATE SUBJECT MESSAGE-ID X-TANTO-AGENT X-TANTO-EVENT X-TANTO-ABOUT \
     X-TANTO-CONVERSATION X-TANTO-STATUS X-TANTO-OWNER X-TANTO-BASE X-TANTO-KEYWORDS X-TANTO-INTO \
     X-TANTO-TAGS";

/// On a mark record (`core::log` for an outbox message): the message's keywords after it.
pub const H_KEYWORDS: &str = "X-Tanto-Keywords";
/// On a tag, untag or rule record: the tag names it puts on or takes off (space-separated).
pub const H_TAGS: &str = "X-Tanto-Tags";

/// One event, as written and as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventKind,
    pub agent: String,
    /// The Message-ID (without brackets) of the message the event is about.
    pub about: String,
    pub conversation: String,
    /// The conversation's status and owner after the event (none for notes).
    pub status: Option<String>,
    pub owner: Option<String>,
    /// Seconds since the epoch.
    pub at: i64,
    /// The note, or a sentence saying what happened.
    pub text: String,
    /// For a change decided through the log (`core::log`): the record it was decided on,
    /// `UIDVALIDITY/UID`.
    pub base: Option<String>,
    /// On a mark record: the keywords it gives the message (space-separated).
    pub keywords: Option<String>,
    /// On a merge: the id (without brackets) the conversation of `about` joins.
    pub into: Option<String>,
    /// On a tag, untag or rule record: the tag names (space-separated).
    pub tags: Option<String>,
}

impl Event {
    /// The one way an event is made: `agent` did `kind` about the message `about` of
    /// `conversation`, now; `text` is the note or the sentence for the log.
    pub fn new(
        kind: EventKind,
        agent: &str,
        about: &str,
        conversation: &str,
        text: String,
    ) -> Event {
        Event {
            kind,
            agent: agent.to_string(),
            about: about.to_string(),
            conversation: conversation.to_string(),
            status: None,
            owner: None,
            at: tanto_core::clock::now(),
            text,
            base: None,
            keywords: None,
            into: None,
            tags: None,
        }
    }

    /// A tag, untag or rule record's tag names (none: nothing is written).
    pub fn with_tags(mut self, tags: &[String]) -> Event {
        self.tags = (!tags.is_empty()).then(|| tags.join(" "));
        self
    }

    /// A merge's other side: the id the conversation of `about` joins.
    pub fn with_into(mut self, into: &str) -> Event {
        self.into = Some(into.to_string());
        self
    }

    /// A change decided through the log on the record `base` (`core::log::base_value`).
    pub fn with_base(mut self, base: String) -> Event {
        self.base = Some(base);
        self
    }

    /// The conversation's status and owner after the event.
    pub fn with_state(mut self, status: Option<&str>, owner: Option<&str>) -> Event {
        self.status = status.map(str::to_string);
        self.owner = owner.map(str::to_string);
        self
    }
}

/// A sentence for the log and the timeline: "alice claimed it", "bob assigned it to carol".
pub fn describe(
    kind: &EventKind,
    agent: &str,
    owner: Option<&str>,
    displaced: Option<&str>,
) -> String {
    use EventKind as K;
    match (kind, owner, displaced) {
        (K::Claim, _, _) => format!("{agent} claimed it"),
        (K::Takeover, _, Some(d)) => format!("{agent} took it over from {d}"),
        (K::Takeover, _, None) => format!("{agent} took it over"),
        (K::Release, _, Some(d)) => format!("{agent} released {d}'s claim"),
        (K::Release, _, None) => format!("{agent} released it"),
        (K::Assign, Some(o), Some(d)) => format!("{agent} assigned it to {o} (was {d})"),
        (K::Assign, Some(o), None) => format!("{agent} assigned it to {o}"),
        (K::Done, Some(o), _) if o != agent => format!("{agent} marked it done (owner {o})"),
        (K::Done, _, _) => format!("{agent} marked it done"),
        (K::Reopen, _, _) => format!("{agent} reopened it"),
        (K::Wait, _, _) => format!("{agent} is waiting on the customer"),
        (K::Snooze, _, _) => format!("{agent} snoozed it"),
        (K::Wake, Some(o), _) => format!("{agent} woke it, back to {o}"),
        (K::Wake, None, _) => format!("{agent} woke it"),
        (K::Sent, _, _) => format!("{agent} sent a reply"),
        (K::Approve, _, _) => format!("{agent} approved a reply"),
        (K::Reject, _, _) => format!("{agent} rejected a reply"),
        (K::Away, Some(o), _) if o != agent => format!("{agent} marked {o} away"),
        (K::Back, Some(o), _) if o != agent => format!("{agent} marked {o} back on duty"),
        (K::Away, _, _) => format!("{agent} is away"),
        (K::Back, _, _) => format!("{agent} is back on duty"),
        (K::Tag, _, _) => format!("{agent} tagged it"),
        (K::Untag, _, _) => format!("{agent} took a tag off"),
        (k, _, _) => format!("{agent}: {k}"),
    }
}

fn header(name: &'static str, value: &str) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value.to_string())
}

/// The message for `event`, from the shared address on behalf of the agent. `subject` is the
/// conversation's subject.
pub fn build(
    event: &Event,
    shared_address: &str,
    agent_name: &str,
    subject: &str,
) -> Result<Vec<u8>, String> {
    let address: lettre::Address = shared_address
        .parse()
        .map_err(|e| format!("the shared address {shared_address:?} is not valid: {e}"))?;
    let display = if agent_name.is_empty() {
        event.agent.clone()
    } else {
        agent_name.to_string()
    };
    let from = Mailbox::new(Some(format!("{display} (tanto)")), address.clone());
    let what = match event.kind {
        EventKind::Note => format!("note from {}", event.agent),
        // Their text is the reason (and a snooze's time): the subject says what happened.
        EventKind::Wait | EventKind::Snooze => {
            describe(&event.kind, &event.agent, event.owner.as_deref(), None)
        }
        _ => event.text.clone(),
    };
    let mut b = lettre::Message::builder()
        .from(from)
        .to(Mailbox::new(None, address))
        .subject(format!("[tanto] {what}: {subject}"))
        // The event's own time (the test clock in tests), as the writer's cache has it.
        .date(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(event.at.max(0) as u64))
        .message_id(Some(message_id(event, shared_address)))
        .header(ContentType::TEXT_PLAIN)
        .raw_header(header(H_AGENT, &event.agent))
        .raw_header(header(H_EVENT, event.kind.as_str()))
        .raw_header(header(H_ABOUT, &format!("<{}>", event.about)))
        .raw_header(header(H_CONVERSATION, &event.conversation))
        .raw_header(header("Auto-Submitted", "auto-generated"));
    if let Some(s) = &event.status {
        b = b.raw_header(header(H_STATUS, s));
    }
    if let Some(o) = &event.owner {
        b = b.raw_header(header(H_OWNER, o));
    }
    if let Some(base) = &event.base {
        b = b.raw_header(header(tanto_core::log::H_BASE, base));
    }
    if let Some(k) = &event.keywords {
        b = b.raw_header(header(H_KEYWORDS, k));
    }
    if let Some(i) = &event.into {
        b = b.raw_header(header(H_INTO, &format!("<{i}>")));
    }
    if let Some(t) = &event.tags {
        b = b.raw_header(header(H_TAGS, t));
    }
    let mut body = event.text.clone();
    if event.kind != EventKind::Note {
        body.push_str(&format!(
            "\n\nConversation {} (about <{}>): now {}{}.\n",
            event.conversation,
            event.about,
            event.status.as_deref().unwrap_or("unchanged"),
            event
                .owner
                .as_deref()
                .map(|o| format!(", owner {o}"))
                .unwrap_or_default()
        ));
    }
    b.body(body)
        .map(|m| m.formatted())
        .map_err(|e| format!("cannot build the event message: {e}"))
}

/// A Message-ID in the team's domain, unique per event.
fn message_id(event: &Event, shared_address: &str) -> String {
    let domain = shared_address.rsplit('@').next().unwrap_or("tanto.invalid");
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "<tanto.{}.{}.{}.{nanos:x}.{}@{domain}>",
        event.conversation,
        event.kind,
        event.agent,
        std::process::id()
    )
}

/// The value of header `name` in a raw header block (unfolded, trimmed), ASCII only.
pub fn header_value(block: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(block);
    let mut found: Option<String> = None;
    let mut in_field = false;
    for line in text.split('\n') {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            if found.is_some() {
                break;
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if in_field {
                if let Some(f) = found.as_mut() {
                    f.push(' ');
                    f.push_str(line.trim());
                }
            }
            continue;
        }
        if found.is_some() && in_field {
            break;
        }
        in_field = false;
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case(name) {
                found = Some(v.trim().to_string());
                in_field = true;
            }
        }
    }
    found.map(|v| crate::sanitize::single_line(&v))
}

/// An event's own text without the line `build` adds under it for people reading the
/// folder ("Conversation … (about <…>): now …"): the writer's cache keeps the text alone, so
/// every reader must, or a wait's reason read from the server carries the line with it.
/// Line ends are LF, as typed.
fn own_text(kind: &EventKind, conversation: &str, text: &str) -> String {
    // Mail travels with CRLF; the writer's cache holds the text as typed.
    let text = text.replace("\r\n", "\n");
    let text = text.trim_end();
    if *kind == EventKind::Note {
        return text.to_string();
    }
    let line = format!("Conversation {conversation} (about <");
    match text.rfind(&line) {
        Some(at) if text[..at].ends_with('\n') || at == 0 => text[..at].trim_end().to_string(),
        _ => text.to_string(),
    }
}

/// Reads an event back from its header block and text; `None` for mail that is not tanto's.
pub fn parse(block: &[u8], text: &str, at: i64) -> Option<Event> {
    let kind = EventKind::parse(&header_value(block, H_EVENT)?);
    let agent = header_value(block, H_AGENT)?;
    // A non-ASCII Message-ID is written RFC 2047-encoded (lettre encodes any such value).
    let about = header_value(block, H_ABOUT)
        .map(|a| crate::sanitize::single_line(&crate::mime::decode_header_field(a.as_bytes())))
        .map(|a| a.trim().trim_matches(|c| c == '<' || c == '>').to_string())
        .unwrap_or_default();
    let conversation = header_value(block, H_CONVERSATION).unwrap_or_default();
    let text = own_text(&kind, &conversation, text);
    Some(Event {
        kind,
        agent,
        about,
        conversation,
        status: header_value(block, H_STATUS),
        owner: header_value(block, H_OWNER),
        at,
        text,
        base: header_value(block, tanto_core::log::H_BASE),
        keywords: header_value(block, H_KEYWORDS),
        into: header_value(block, H_INTO)
            .map(|a| crate::sanitize::single_line(&crate::mime::decode_header_field(a.as_bytes())))
            .map(|a| a.trim().trim_matches(|c| c == '<' || c == '>').to_string())
            .filter(|a| !a.is_empty()),
        // Only names a tag may have count (a record from another tool could hold anything).
        tags: header_value(block, H_TAGS)
            .map(|t| {
                t.split_whitespace()
                    .filter(|n| tanto_core::rules::valid_tag(n))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|t| !t.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_survives_a_round_trip_through_its_message() {
        let e = Event {
            kind: EventKind::Claim,
            agent: "alice".into(),
            about: "q1@customer.example".into(),
            conversation: "0123456789ab".into(),
            status: Some("wip".into()),
            owner: Some("alice".into()),
            at: 0,
            text: describe(&EventKind::Claim, "alice", Some("alice"), None),
            base: Some("7/12".into()),
            keywords: None,
            into: Some("q0@customer.example".into()),
            tags: Some("vip refund".into()),
        };
        let raw =
            build(&e, "support@example.com", "Alice Sato", "商品が届きません").expect("build");
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        let back = parse(&raw[..end + 2], &e.text, 0).expect("parse");
        assert_eq!(back, e);
        let text = String::from_utf8_lossy(&raw);
        assert!(
            text.contains("X-Tanto-About: <q1@customer.example>"),
            "{text}"
        );
        assert!(
            text.contains("=?utf-8?b?5ZWG"),
            "subject is encoded: {text}"
        );
        assert!(
            text.contains("@example.com>"),
            "message id in our domain: {text}"
        );
        assert!(
            text.contains("Jan 1970 00:00:00"),
            "dated at the event: {text}"
        );
    }

    #[test]
    fn a_reason_read_from_the_server_is_the_reason_alone() {
        let e = Event::new(
            EventKind::Wait,
            "alice",
            "q1@customer.example",
            "0123456789ab",
            "注文番号の返事待ち\nConversation notes stay".into(),
        )
        .with_state(Some("waiting"), Some("alice"));
        let raw = build(&e, "support@example.com", "Alice", "件名").expect("build");
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        // The body as a reader decodes it, with the line for people under the text.
        let body = mail_parser::MessageParser::default()
            .parse(&raw[..])
            .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
            .expect("body");
        assert!(body.contains("now waiting, owner alice"), "{body}");
        let back = parse(&raw[..end + 2], &body, 0).expect("parse");
        assert_eq!(back.text, e.text);
        // A note is the agent's text, whatever it says.
        let note = "Conversation 0123456789ab (about <q1@customer.example>): now done.";
        let n = Event::new(
            EventKind::Note,
            "bob",
            "q1@customer.example",
            "0123456789ab",
            note.into(),
        );
        let raw = build(&n, "support@example.com", "Bob", "件名").expect("build");
        let end = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        assert_eq!(parse(&raw[..end + 2], note, 0).expect("parse").text, note);
    }

    #[test]
    fn a_non_ascii_message_id_survives_the_round_trip() {
        for about in [
            "問い合わせ.20240101.長い長い長い長い長い長い長い長い長い識別子@例え.jp",
            "café@example.com",
            "plain=?not-a-word?=@example.com",
        ] {
            let e = Event {
                kind: EventKind::Note,
                agent: "alice".into(),
                about: about.into(),
                conversation: "0123456789ab".into(),
                status: None,
                owner: None,
                at: 0,
                text: "hello".into(),
                base: None,
                keywords: None,
                into: None,
                tags: None,
            };
            let raw = build(&e, "support@example.com", "", "s").expect("build");
            let end = raw
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .expect("header end");
            assert!(raw[..end].is_ascii(), "header block is ASCII");
            let back = parse(&raw[..end + 2], &e.text, 0).expect("parse");
            assert_eq!(back.about, about);
        }
    }

    #[test]
    fn headers_unfold_and_other_mail_is_not_an_event() {
        let block = b"Subject: x\r\nX-Tanto-Event: note\r\nX-Tanto-Agent:\r\n bob\r\n\r\n";
        assert_eq!(header_value(block, "x-tanto-agent").as_deref(), Some("bob"));
        assert!(parse(b"Subject: hello\r\n\r\n", "", 0).is_none());
        assert_eq!(
            describe(&EventKind::Assign, "alice", Some("bob"), None),
            "alice assigned it to bob"
        );
    }
}
