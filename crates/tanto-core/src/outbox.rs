//! The outbox protocol's pure parts: the envelope of a queued reply (header lines in front
//! of the exact bytes to send), and what to do with an outbox message given its keywords.
//!
//! An outbox message is `X-Tanto-Outbox-*` lines followed by the reply exactly as it goes
//! over SMTP and into Sent. Its keywords say where it stands:
//! `tanto-approval` (waits for a supervisor), `tanto-approved`, `tanto-rejected`,
//! `tanto-sending` with `tanto-by-<agent>` (won by that agent's compare-and-set: it is
//! sending), `tanto-uncertain` (a send whose fate nobody can know: a person decides).

use super::status::owner_keyword;

pub const KW_APPROVAL: &str = "tanto-approval";
pub const KW_APPROVED: &str = "tanto-approved";
pub const KW_REJECTED: &str = "tanto-rejected";
pub const KW_SENDING: &str = "tanto-sending";
pub const KW_UNCERTAIN: &str = "tanto-uncertain";
/// Held for its author: the check at send time found it may not go out (the conversation
/// changed hands, something arrived after the draft, or the SMTP server refused it for good).
/// Nobody sends it; its author drops it (or takes its text into a new reply).
pub const KW_HELD: &str = "tanto-held";

const PREFIX: &str = "X-Tanto-Outbox-";

/// Beside `tanto-sending`: the host the send runs on (`tanto-host-<8 hex>`) and when it
/// started (`tanto-since-<minutes since the epoch>`), so that only that host judges a live
/// send, and a send nobody finished is looked at by anyone once it is stale.
const HOST_PREFIX: &str = "tanto-host-";
const SINCE_PREFIX: &str = "tanto-since-";

/// How long a send may stay `tanto-sending` before any client may settle it (mark it
/// uncertain, or finish it when Sent has it): far longer than any SMTP transaction.
pub const STALE_SENDING_SECS: i64 = 600;

/// The keyword naming a host (8 hex digits of the SHA-256 of its name).
pub fn host_keyword(host: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(host.as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{HOST_PREFIX}{hex}")
}

fn is_send_mark(flag: &str) -> bool {
    let f = flag.to_ascii_lowercase();
    f.starts_with(HOST_PREFIX) || f.starts_with(SINCE_PREFIX)
}

/// Where a `tanto-sending` mark came from: its host keyword and its start (seconds since
/// the epoch), each `None` when the mark predates them.
pub fn send_mark<S: AsRef<str>>(flags: &[S]) -> (Option<String>, Option<i64>) {
    let mut host = None;
    let mut since = None;
    for f in flags {
        let f = f.as_ref().to_ascii_lowercase();
        if f.starts_with(HOST_PREFIX) {
            host = Some(f);
        } else if let Some(m) = f.strip_prefix(SINCE_PREFIX) {
            since = m.parse::<i64>().ok().map(|m| m * 60);
        }
    }
    (host, since)
}

/// What travels with a queued reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub conversation: String,
    /// The Message-ID (without brackets) of the customer message answered.
    pub about: String,
    /// Without brackets.
    pub message_id: String,
    pub author: String,
    pub mail_from: String,
    pub rcpt: Vec<String>,
    /// Keep the conversation in progress instead of marking it done.
    pub keep_open: bool,
    /// Not before (seconds since the epoch).
    pub send_at: i64,
    pub subject: String,
    /// What the draft was written against, checked again at the moment it is sent.
    pub base: Option<Base>,
}

/// What a draft was written against: the conversation's messages the author had seen
/// and when the draft was started (a teammate's note or reply logged after that, or a
/// message not in `seen`, arrived since).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Base {
    /// Seconds since the epoch.
    pub started: i64,
    /// The keys (Message-IDs without brackets) of the messages seen.
    pub seen: Vec<String>,
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// The outbox message: the envelope's lines, then `payload` (the reply's exact bytes).
pub fn wrap(env: &Envelope, payload: &[u8]) -> Vec<u8> {
    let mut out = String::new();
    let mut line = |k: &str, v: &str| out.push_str(&format!("{PREFIX}{k}: {v}\r\n"));
    line("Conversation", &env.conversation);
    line("About", &hex(&env.about));
    line("Message-Id", &hex(&env.message_id));
    line("Author", &env.author);
    line("Mail-From", &env.mail_from);
    line("Rcpt", &env.rcpt.join(","));
    line("Keep-Open", if env.keep_open { "yes" } else { "no" });
    line("Send-At", &env.send_at.to_string());
    // Hex keeps any subject to one ASCII line; the payload carries it readable.
    line("Subject", &hex(&env.subject));
    if let Some(base) = &env.base {
        line("Started", &base.started.to_string());
        // One line per key keeps every line short, however long the conversation.
        for key in &base.seen {
            line("Seen", &hex(key));
        }
    }
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(payload);
    bytes
}

/// Splits an outbox message into its envelope and the exact bytes to send.
pub fn unwrap(raw: &[u8]) -> Option<(Envelope, &[u8])> {
    let mut env = Envelope {
        conversation: String::new(),
        about: String::new(),
        message_id: String::new(),
        author: String::new(),
        mail_from: String::new(),
        rcpt: Vec::new(),
        keep_open: false,
        send_at: 0,
        subject: String::new(),
        base: None,
    };
    let mut rest = raw;
    while rest.starts_with(PREFIX.as_bytes()) {
        let end = rest.windows(2).position(|w| w == b"\r\n")?;
        let line = std::str::from_utf8(&rest[PREFIX.len()..end]).ok()?;
        let (k, v) = line.split_once(": ")?;
        match k {
            "Conversation" => env.conversation = v.to_string(),
            "About" => env.about = unhex(v)?,
            "Message-Id" => env.message_id = unhex(v)?,
            "Author" => env.author = v.to_string(),
            "Mail-From" => env.mail_from = v.to_string(),
            "Rcpt" => {
                env.rcpt = v
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            }
            "Keep-Open" => env.keep_open = v == "yes",
            "Send-At" => env.send_at = v.parse().ok()?,
            "Subject" => env.subject = unhex(v)?,
            "Started" => env.base.get_or_insert_with(Base::default).started = v.parse().ok()?,
            "Seen" => env
                .base
                .get_or_insert_with(Base::default)
                .seen
                .push(unhex(v)?),
            _ => {}
        }
        rest = &rest[end + 2..];
    }
    (!env.message_id.is_empty() && !env.rcpt.is_empty()).then_some((env, rest))
}

/// Where a queued reply stands, from its keywords.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    WaitingApproval,
    Rejected,
    Scheduled {
        at: i64,
    },
    Due,
    Sending {
        by: String,
    },
    Uncertain,
    /// Taken back by its author (`\Deleted`, about to be expunged): never sent.
    TakenBack,
    /// Held for its author by the check at send time: never sent by anyone.
    Held,
}

/// The flag a take-back sets by compare-and-set before the message is expunged.
pub const TAKEN_BACK: &str = "\\Deleted";

fn has<S: AsRef<str>>(flags: &[S], kw: &str) -> bool {
    flags.iter().any(|f| f.as_ref().eq_ignore_ascii_case(kw))
}

/// Where the outbox message with `flags` stands at `now`.
pub fn standing<S: AsRef<str>>(flags: &[S], send_at: i64, now: i64) -> Standing {
    if has(flags, KW_UNCERTAIN) {
        return Standing::Uncertain;
    }
    if has(flags, KW_SENDING) {
        return Standing::Sending {
            by: super::status::owner(flags).unwrap_or_default(),
        };
    }
    if has(flags, TAKEN_BACK) {
        return Standing::TakenBack;
    }
    if has(flags, KW_HELD) {
        return Standing::Held;
    }
    if has(flags, KW_REJECTED) {
        return Standing::Rejected;
    }
    if has(flags, KW_APPROVAL) && !has(flags, KW_APPROVED) {
        return Standing::WaitingApproval;
    }
    if send_at > now {
        return Standing::Scheduled { at: send_at };
    }
    Standing::Due
}

/// The flags of an uncertain message a person sends again: due once more (the sending
/// mark, its sender and the uncertain mark taken away).
pub fn resend_flags<S: AsRef<str>>(flags: &[S]) -> Vec<String> {
    flags
        .iter()
        .map(|f| f.as_ref().to_string())
        .filter(|f| {
            !f.eq_ignore_ascii_case("\\Recent")
                && !f.eq_ignore_ascii_case(KW_SENDING)
                && !f.eq_ignore_ascii_case(KW_UNCERTAIN)
                && !is_send_mark(f)
                && super::status::owner(&[f.as_str()]).is_none()
        })
        .collect()
}

/// A standing's name for lists and JSON.
pub fn standing_name(s: &Standing) -> &'static str {
    match s {
        Standing::WaitingApproval => "waiting-approval",
        Standing::Rejected => "rejected",
        Standing::Scheduled { .. } => "scheduled",
        Standing::Due => "queued",
        Standing::Sending { .. } => "sending",
        Standing::Uncertain => "uncertain",
        Standing::TakenBack => "taken-back",
        Standing::Held => "held",
    }
}

/// The flags that claim a due outbox message for sending (by compare-and-set), by `me` on
/// the host whose keyword is `host`, at `now` (seconds since the epoch).
pub fn sending_flags<S: AsRef<str>>(flags: &[S], me: &str, host: &str, now: i64) -> Vec<String> {
    let mut out: Vec<String> = flags
        .iter()
        .map(|f| f.as_ref().to_string())
        .filter(|f| !f.eq_ignore_ascii_case("\\Recent") && !is_send_mark(f))
        .collect();
    out.push(KW_SENDING.to_string());
    out.push(owner_keyword(me));
    out.push(host.to_string());
    out.push(format!("{SINCE_PREFIX}{}", now / 60));
    out
}

/// The flags of a message the check at send time holds: its sending mark and sender taken
/// away, `tanto-held` added.
pub fn held_flags<S: AsRef<str>>(flags: &[S]) -> Vec<String> {
    let mut out = resend_flags(flags);
    if !has(&out, KW_HELD) {
        out.push(KW_HELD.to_string());
    }
    out
}

/// `flags` with `kw` added (for approve, reject, uncertain).
pub fn with_keyword<S: AsRef<str>>(flags: &[S], kw: &str) -> Vec<String> {
    let mut out: Vec<String> = flags
        .iter()
        .map(|f| f.as_ref().to_string())
        .filter(|f| !f.eq_ignore_ascii_case("\\Recent"))
        .collect();
    if !has(&out, kw) {
        out.push(kw.to_string());
    }
    out
}

/// True when a reply standing so may still be taken back (no send has started).
pub fn may_take_back(s: &Standing) -> bool {
    matches!(
        s,
        Standing::WaitingApproval
            | Standing::Rejected
            | Standing::Scheduled { .. }
            | Standing::Due
            | Standing::Held
    )
}

/// Why a queued reply may not go out now: the rule of the moment of sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hold {
    /// The author (or the approving supervisor) no longer holds the conversation: `holder`
    /// does (nobody when it is new or done).
    Owner {
        author: String,
        holder: Option<String>,
    },
    /// Something arrived after the draft's base (a customer message, a teammate's reply
    /// or note), each described in a line.
    Arrived(Vec<String>),
    /// The conversation is not in the mailbox any more.
    Gone,
    /// The SMTP server refused the reply for good (5xx): its words.
    Refused(String),
}

/// Decides whether a reply by `author` (approved by `approver`, if any) may go out, given
/// who holds the conversation in progress now and what arrived since its base.
pub fn send_verdict(
    author: &str,
    approver: Option<&str>,
    holder: Option<&str>,
    arrived: Vec<String>,
) -> Option<Hold> {
    let allowed = |h: &str| h == author || approver == Some(h);
    let owner = || Hold::Owner {
        author: author.to_string(),
        holder: holder.map(str::to_string),
    };
    // Another agent holding it says most; else what arrived says why it is no longer the
    // author's (a follow-up made it new, a teammate's reply made it done).
    match holder {
        Some(h) if !allowed(h) => Some(owner()),
        _ if !arrived.is_empty() => Some(Hold::Arrived(arrived)),
        None => Some(owner()),
        Some(_) => None,
    }
}

/// What recovery does with a message whose send was started and never finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recovery {
    /// Sent has it: SMTP took it. Only the bookkeeping is left.
    FinishBookkeeping,
    /// This host saw SMTP accept it and died before Sent had it: Sent, then the bookkeeping.
    FinishSend,
    /// Nobody can know whether SMTP took it: mark it for a person, never send by itself.
    MarkUncertain,
    /// Someone (this host's live process, or another agent) is on it: leave it.
    Leave,
}

/// What a recovering client knows of a `Sending` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendSeen<'a> {
    /// The agent whose mark it carries.
    pub by: &'a str,
    /// The recovering client's agent.
    pub me: &'a str,
    /// The mark names this host (or predates host marks).
    pub this_host: bool,
    /// A live process of this host holds the send's lease.
    pub live_sender: bool,
    /// Seconds since the send started, when the mark says.
    pub age_secs: Option<i64>,
    /// Sent holds the reply.
    pub in_sent: bool,
    /// This host's journal says SMTP accepted the reply (its Sent copy may be missing).
    pub accepted_here: bool,
}

/// Decides recovery for a `Sending` message: only the host that held the send judges it
/// while it may be live (its own agent there, when no live process of that host sends it);
/// once it is stale, any client settles it, never by sending again.
pub fn recover(s: &SendSeen) -> Recovery {
    let stale = s.age_secs.is_some_and(|a| a >= STALE_SENDING_SECS);
    let ours_here = s.by == s.me && s.this_host;
    if s.live_sender || !(ours_here || stale) {
        Recovery::Leave
    } else if s.in_sent {
        Recovery::FinishBookkeeping
    } else if s.accepted_here {
        Recovery::FinishSend
    } else {
        Recovery::MarkUncertain
    }
}

/// Who must have a reply approved: nobody, everyone, or the agents listed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Approval {
    #[default]
    None,
    All,
    Agents(Vec<String>),
}

impl Approval {
    /// True when `agent`'s replies wait for a supervisor.
    pub fn needed_for(&self, agent: &str, supervisor: bool) -> bool {
        match self {
            Approval::None => false,
            Approval::All => !supervisor,
            Approval::Agents(list) => list.iter().any(|a| a == agent),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Envelope {
        Envelope {
            conversation: "abcd1234".into(),
            about: "orig@c.jp".into(),
            message_id: "tanto.1@example.com".into(),
            author: "alice".into(),
            mail_from: "support@example.com".into(),
            rcpt: vec!["y@c.jp".into(), "z@c.jp".into()],
            keep_open: true,
            send_at: 1_700_000_000,
            subject: "Re: 件名\r\nX: injected".into(),
            base: Some(Base {
                started: 1_699_999_000,
                seen: vec!["q1@c.jp".into(), "<\"a b\"@x>".into()],
            }),
        }
    }

    #[test]
    fn the_envelope_round_trips_and_the_payload_is_untouched() {
        let payload = b"From: a\r\nSubject: x\r\n\r\nbody\r\n";
        let raw = wrap(&env(), payload);
        let (e, p) = unwrap(&raw).expect("unwraps");
        assert_eq!(e, env());
        assert_eq!(p, payload);
        assert!(unwrap(payload).is_none());
    }

    #[test]
    fn standing_follows_the_keywords() {
        let now = 100;
        assert_eq!(standing::<&str>(&[], 0, now), Standing::Due);
        assert_eq!(
            standing::<&str>(&[], 200, now),
            Standing::Scheduled { at: 200 }
        );
        assert_eq!(standing(&[KW_APPROVAL], 0, now), Standing::WaitingApproval);
        assert_eq!(standing(&[KW_APPROVAL, KW_APPROVED], 0, now), Standing::Due);
        assert_eq!(
            standing(&[KW_APPROVAL, KW_REJECTED], 0, now),
            Standing::Rejected
        );
        assert_eq!(
            standing(
                &sending_flags::<&str>(&[], "bob", "tanto-host-0000aaaa", 6000),
                0,
                now
            ),
            Standing::Sending { by: "bob".into() }
        );
        assert_eq!(
            standing(&[KW_SENDING, KW_UNCERTAIN], 0, now),
            Standing::Uncertain
        );
        assert_eq!(standing(&[TAKEN_BACK], 0, now), Standing::TakenBack);
        assert!(may_take_back(&Standing::Scheduled { at: 200 }));
        assert!(!may_take_back(&Standing::Sending { by: "bob".into() }));
        assert!(!may_take_back(&Standing::TakenBack));
    }

    #[test]
    fn only_the_sending_host_recovers_a_fresh_send_anyone_a_stale_one_and_none_resends() {
        let seen = |by, this_host, live_sender, age_secs, in_sent| SendSeen {
            by,
            me: "alice",
            this_host,
            live_sender,
            age_secs,
            in_sent,
            accepted_here: false,
        };
        // Another agent's fresh send, or a live one: left alone.
        assert_eq!(
            recover(&seen("bob", true, false, Some(5), true)),
            Recovery::Leave
        );
        assert_eq!(
            recover(&seen("alice", true, true, Some(5), true)),
            Recovery::Leave
        );
        // Ours on this host, with no live sender: settled.
        assert_eq!(
            recover(&seen("alice", true, false, Some(5), true)),
            Recovery::FinishBookkeeping
        );
        assert_eq!(
            recover(&seen("alice", true, false, None, false)),
            Recovery::MarkUncertain
        );
        // Ours on another host, still fresh: that host judges it.
        assert_eq!(
            recover(&seen("alice", false, false, Some(5), false)),
            Recovery::Leave
        );
        // Anyone's, once stale: settled by whoever sees it, never sent again.
        let stale = Some(STALE_SENDING_SECS);
        assert_eq!(
            recover(&seen("bob", false, false, stale, false)),
            Recovery::MarkUncertain
        );
        assert_eq!(
            recover(&seen("bob", false, false, stale, true)),
            Recovery::FinishBookkeeping
        );
        // SMTP accepted it here and Sent lacks it: finished, not uncertain.
        let accepted = SendSeen {
            accepted_here: true,
            ..seen("alice", true, false, Some(5), false)
        };
        assert_eq!(recover(&accepted), Recovery::FinishSend);
    }

    #[test]
    fn a_send_mark_names_its_host_and_start_and_a_resend_clears_them() {
        let host = host_keyword("jump1");
        assert_eq!(host.len(), "tanto-host-".len() + 8);
        let flags = sending_flags(&["\\Seen"], "bob", &host, 6000);
        assert_eq!(send_mark(&flags), (Some(host.clone()), Some(6000)));
        assert_eq!(resend_flags(&flags), ["\\Seen"]);
    }

    #[test]
    fn a_resend_makes_an_uncertain_reply_due_again_keeping_its_approval() {
        let mut flags = sending_flags(
            &["\\Seen", KW_APPROVAL, KW_APPROVED],
            "bob",
            "tanto-host-0000aaaa",
            6000,
        );
        flags.push(KW_UNCERTAIN.into());
        assert_eq!(standing(&flags, 0, 0), Standing::Uncertain);
        let again = resend_flags(&flags);
        assert_eq!(standing(&again, 0, 0), Standing::Due);
        assert_eq!(again, ["\\Seen", KW_APPROVAL, KW_APPROVED]);
    }

    #[test]
    fn an_envelope_without_a_base_still_reads() {
        let mut e = env();
        e.base = None;
        let raw = wrap(&e, b"x");
        assert_eq!(unwrap(&raw).expect("unwraps").0, e);
    }

    #[test]
    fn a_held_reply_is_never_due_and_may_be_dropped() {
        let held = held_flags(&sending_flags(
            &["\\Seen", KW_APPROVAL, KW_APPROVED],
            "bob",
            "tanto-host-0000aaaa",
            6000,
        ));
        assert_eq!(standing(&held, 0, 0), Standing::Held);
        assert_eq!(held, ["\\Seen", KW_APPROVAL, KW_APPROVED, KW_HELD]);
        assert!(may_take_back(&Standing::Held));
    }

    #[test]
    fn only_the_author_or_the_approver_holding_it_may_send() {
        assert_eq!(send_verdict("alice", None, Some("alice"), vec![]), None);
        assert_eq!(
            send_verdict("alice", Some("boss"), Some("boss"), vec![]),
            None
        );
        assert_eq!(
            send_verdict("alice", None, Some("carol"), vec![]),
            Some(Hold::Owner {
                author: "alice".into(),
                holder: Some("carol".into())
            })
        );
        assert_eq!(
            send_verdict("alice", None, None, vec![]),
            Some(Hold::Owner {
                author: "alice".into(),
                holder: None
            })
        );
        assert_eq!(
            send_verdict("alice", None, Some("alice"), vec!["x".into()]),
            Some(Hold::Arrived(vec!["x".into()]))
        );
        // A follow-up made it new: what arrived is the reason.
        assert_eq!(
            send_verdict("alice", None, None, vec!["x".into()]),
            Some(Hold::Arrived(vec!["x".into()]))
        );
        assert!(matches!(
            send_verdict("alice", None, Some("carol"), vec!["x".into()]),
            Some(Hold::Owner { .. })
        ));
    }

    #[test]
    fn approval_by_team_rule() {
        assert!(!Approval::None.needed_for("a", false));
        assert!(Approval::All.needed_for("a", false));
        assert!(!Approval::All.needed_for("boss", true));
        let l = Approval::Agents(vec!["newbie".into()]);
        assert!(l.needed_for("newbie", false) && !l.needed_for("a", false));
    }
}
