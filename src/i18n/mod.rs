//! The front ends' wording: what tanto's typed results, errors and warnings say, in the
//! language in use. The catalogue, the languages and `Said` are the leaf below
//! (`tanto_core::wording`), re-exported here.

mod error;
mod warning;
pub use error::{cause_text, error_text};
pub use tanto_core::wording::*;
pub use warning::{config_warning, retrying_what, warning};

/// The sentence for an event, in the language in use (the log itself keeps English).
pub fn event_sentence(
    kind: &tanto_core::event::EventKind,
    agent: &str,
    owner: Option<&str>,
    displaced: Option<&str>,
) -> String {
    use tanto_core::event::EventKind as K;
    let a: [(&str, &dyn std::fmt::Display); 3] = [
        ("agent", &agent),
        ("owner", &owner.unwrap_or("")),
        ("displaced", &displaced.unwrap_or("")),
    ];
    let key = match (kind, owner, displaced) {
        (K::Claim, _, _) => "event.claim",
        (K::Takeover, _, Some(_)) => "event.takeover_from",
        (K::Takeover, _, None) => "event.takeover",
        (K::Release, _, Some(_)) => "event.release_of",
        (K::Release, _, None) => "event.release",
        (K::Assign, Some(_), Some(_)) => "event.assign_was",
        (K::Assign, Some(_), None) => "event.assign",
        (K::Done, Some(o), _) if o != agent => "event.done_owner",
        (K::Done, _, _) => "event.done",
        (K::Reopen, _, _) => "event.reopen",
        (K::Rule, _, _) => "event.rule",
        (K::Tag, _, _) => "event.tag",
        (K::Untag, _, _) => "event.untag",
        (K::Merge, _, _) => "event.merge",
        (K::Split, _, _) => "event.split",
        (K::Wait, _, _) => "event.wait",
        (K::Snooze, _, _) => "event.snooze",
        (K::Wake, Some(_), _) => "event.wake_to",
        (K::Wake, None, _) => "event.wake",
        _ => return tanto_mail::activity::describe(kind, agent, owner, displaced),
    };
    tf(key, &a)
}

/// A length of time for people: "3h 12m", "5m", "40s" (in Japanese 3時間12分, 5分, 40秒).
pub fn duration(secs: i64) -> String {
    let secs = secs.max(0);
    let (h, m) = (secs / 3600, (secs % 3600) / 60);
    let key = match (h, m) {
        (0, 0) => "time.secs",
        (0, _) => "time.mins",
        _ => "time.hours_mins",
    };
    tf(key, &[("h", &h), ("m", &m), ("s", &secs)])
}

/// Why a queued reply was held, as the front ends say it.
pub fn hold_text(h: &tanto_core::outbox::Hold) -> String {
    use tanto_core::outbox::Hold;
    let one = tanto_mail::sanitize::single_line;
    match h {
        Hold::Owner {
            author,
            holder: Some(holder),
        } => tf(
            "hold.owner",
            &[("author", &one(author)), ("holder", &one(holder))],
        ),
        Hold::Owner {
            author,
            holder: None,
        } => tf("hold.nobody", &[("author", &one(author))]),
        Hold::Arrived(what) => tf("hold.arrived", &[("what", &one(&what.join("; ")))]),
        Hold::Gone => t("hold.gone").to_string(),
        Hold::Refused(words) => tf("hold.refused", &[("words", &one(words))]),
    }
}

/// Why a written reply was stopped for a second look, as the front ends say it.
pub fn send_warning(w: &tanto_core::compose::SendWarning) -> String {
    use tanto_core::compose::SendWarning as W;
    let one = tanto_mail::sanitize::single_line;
    match w {
        W::NoAttachment => t("send_warning.no_attachment").to_string(),
        W::WarnWord(word) => tf("send_warning.warn_word", &[("word", &one(word))]),
        W::NewDomain(domain) => tf("send_warning.new_domain", &[("domain", &one(domain))]),
    }
}

/// A status as the front ends name it.
/// "since 5 min" for a holder's claim of `idle` seconds ago (or "just now").
pub fn held_since(idle: Option<i64>) -> String {
    match idle {
        Some(secs) => tf("cli.held.since", &[("ago", &duration(secs))]),
        None => t("cli.held.just_now").into(),
    }
}

/// Why an action was refused, in words (never a Rust value).
pub fn refused_reason(why: &tanto_core::claims::Refused) -> String {
    use tanto_core::claims::Refused;
    match why {
        Refused::NeedsSupervisor {
            holder,
            idle_secs,
            stale_hours,
        } => tf(
            "tui.refused.needs_supervisor",
            &[
                ("holder", holder),
                ("since", &held_since(*idle_secs)),
                ("hours", stale_hours),
            ],
        ),
        Refused::BadAgentId(a) => tf("tui.refused.bad_agent", &[("agent", &format!("{a:?}"))]),
        Refused::Superseded => t("tui.refused.superseded").into(),
    }
}

/// What became of a note or action made offline; true when it was not applied.
pub fn offline_text(a: &tanto_app::offline::Applied) -> (String, bool) {
    use tanto_app::act::Outcome;
    use tanto_app::offline::Applied;
    let short = |id: &str| id.chars().take(12).collect::<String>();
    match a {
        Applied::Noted { conversation } => (
            tf("notice.offline.noted", &[("id", &short(conversation))]),
            false,
        ),
        Applied::Acted {
            conversation,
            outcome,
        } => {
            let (what, bad) = match outcome {
                Outcome::Won(w) => (
                    event_sentence(
                        &w.event,
                        &w.agent,
                        w.owner.as_deref(),
                        w.displaced.as_deref(),
                    ),
                    false,
                ),
                Outcome::Lost { winner, .. } => {
                    (tf("hold.owner_short", &[("holder", winner)]), true)
                }
                Outcome::Refused { why, .. } => (refused_reason(why), true),
                Outcome::Already { .. } | Outcome::Queued { .. } => (String::new(), false),
            };
            (
                tf(
                    "notice.offline.acted",
                    &[("id", &short(conversation)), ("what", &what)],
                ),
                bad,
            )
        }
        Applied::Refused {
            conversation,
            verb,
            status,
            holder,
        } => (
            tf(
                "notice.offline.refused",
                &[
                    ("id", &short(conversation)),
                    ("verb", verb),
                    ("status", &status_name(*status)),
                    (
                        "holder",
                        &holder
                            .as_ref()
                            .map(|h| format!(", {h}"))
                            .unwrap_or_default(),
                    ),
                ],
            ),
            true,
        ),
    }
}

/// What a tag or untag did, in one line (`tanto tag`, the TUI's status bar).
pub fn tagged_text(t: &tanto_app::tags::Tagged) -> String {
    use tanto_app::tags::Tagged;
    match t {
        Tagged::Added { conversation, tag } => {
            tf("tag.added", &[("id", conversation), ("tag", tag)])
        }
        Tagged::Removed { conversation, tag } => {
            tf("tag.removed", &[("id", conversation), ("tag", tag)])
        }
        Tagged::Already {
            conversation,
            tag,
            on,
        } => tf(
            if *on {
                "tag.already_on"
            } else {
                "tag.already_off"
            },
            &[("id", conversation), ("tag", tag)],
        ),
    }
}

/// What a teammate is doing in a conversation ("viewing", "replying"), in the user's
/// language; a kind this version does not know is shown as written, on one line.
pub fn presence_kind(kind: &str) -> String {
    match kind {
        "viewing" => t("presence.viewing").to_string(),
        "replying" => t("presence.replying").to_string(),
        other => tanto_mail::sanitize::single_line(other),
    }
}

pub fn status_name(s: tanto_core::status::Status) -> &'static str {
    use tanto_core::status::Status;
    t(match s {
        Status::New => "status.new",
        Status::Wip => "status.wip",
        Status::Done => "status.done",
        Status::Noise => "status.noise",
        Status::Waiting => "status.waiting",
    })
}

/// A status as the TUI's tabs name it ("In progress", where `status_name` says "wip").
pub fn status_title(s: tanto_core::status::Status) -> &'static str {
    use tanto_core::status::Status;
    t(match s {
        Status::New => "tab.new",
        Status::Wip => "tab.wip",
        Status::Done => "tab.done",
        Status::Noise => "tab.noise",
        Status::Waiting => "tab.waiting",
    })
}
