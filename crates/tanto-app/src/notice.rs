//! What the application layer tells a front end while it works: retries and warnings. The
//! CLI prints them on stderr; the TUI shows them in its status bar.

use std::sync::Arc;
use std::time::Duration;

use super::outcome::{Cause, Retried};

/// Something worth telling the user that is not the result of the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Connection trouble; `what` is tried again after `wait`.
    Retrying {
        what: Retried,
        reason: Cause,
        wait: Duration,
    },
    /// Something went wrong that did not stop the work (the front end words it).
    Warning(Warning),
    /// The outbox pass of a sync sent a queued reply, or found one a person must look at.
    Outbox(super::outcome::Sent),
    /// A note or action made offline was applied (or refused) once the server was back.
    Offline(super::outcome::Applied),
}

/// What went wrong without stopping the work, as data: each front end words it through its
/// catalogue, and the cause from below with it (`Cause`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The team could not be told that this agent is viewing the conversation.
    PresenceViewing { error: Cause },
    /// The notes and events shown could not be checked against the server's activity
    /// folder: they are shown as the cache has them.
    EventsUnchecked { error: Cause },
    /// The team could not be told that this agent is replying.
    PresenceReplying { error: Cause },
    /// A claim lost on the conversation's state message stayed on an older message.
    ClaimNotUndone { id: String, error: Cause },
    /// A write made twice could not be taken back.
    DoubleNotTakenBack { id: String, error: Cause },
    /// The change is on the server; the local cache did not take it.
    CacheBehind { error: Cause },
    /// Mail that arrived during a change could not be looked for (the cache is not writable).
    ArrivalsNotChecked,
    /// The event is logged on the server; the local cache did not take it.
    EventNotCached { error: Cause },
    /// The note is logged on the server; the local cache did not take it.
    NoteNotCached { error: Cause },
    /// A sync's pass over the outbox failed.
    OutboxPass { error: Cause },
    /// A conversation reopened by a customer could not be given back to its agent.
    NotGivenBack { id: String, error: Cause },
    /// A snooze whose time came, or a wait past `auto_close_days`, could not be acted on
    /// (the next sync tries again).
    NotWoken { id: String, error: Cause },
    /// The automatic assignment pass stopped at a conversation it could not assign.
    NotAssigned { id: String, error: Cause },
    /// A reply went out but its conversation could not be marked done.
    NotMarkedDone { id: String, error: Cause },
    /// The agent's copy of a reply could not be kept (the reply itself goes on).
    DraftNotKept { error: Cause },
    /// Replies sent from other mail clients could not be looked for in Sent.
    OutsideRepliesNotChecked { error: Cause },
    /// The templates could not be ranked for a draft.
    TemplatesUnranked { error: Cause },
}

/// Where notices go. Cheap to clone; shared by every worker of one front end.
#[derive(Clone)]
pub struct Notifier(Arc<dyn Fn(&Notice) + Send + Sync>);

impl Notifier {
    /// Hands every notice to `f`.
    pub fn new(f: impl Fn(&Notice) + Send + Sync + 'static) -> Notifier {
        Notifier(Arc::new(f))
    }

    /// Drops every notice (tests, benches).
    pub fn silent() -> Notifier {
        Notifier::new(|_| {})
    }

    pub fn send(&self, notice: Notice) {
        (self.0)(&notice)
    }

    /// A warning; the front end words it in the user's language.
    pub fn warn(&self, warning: Warning) {
        self.send(Notice::Warning(warning));
    }
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notifier")
    }
}
