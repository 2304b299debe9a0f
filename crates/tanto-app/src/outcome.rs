//! What the application layer's work came to, as data for the front ends to word: an
//! action's outcome, a queued reply's fate, an offline entry applied. A leaf: the modules that
//! produce these and the notices that carry them all import it, and it imports only the crates
//! below.

use std::sync::Arc;

use tanto_core::claims::{Already, Refused};
use tanto_core::event::EventKind;
use tanto_core::outbox::{Hold, Standing};
use tanto_core::status::Status;

/// Why something failed, kept whole (the error and its chain of causes) so that each front end
/// words it in its language: a catalogue-keyed `Said` or a typed error in the chain is
/// worded, OS and server text stays verbatim. `Display` is the English line, for logs.
#[derive(Clone)]
pub struct Cause(Arc<anyhow::Error>);

impl Cause {
    /// The error, for a front end to word (`i18n::error_text`).
    pub fn error(&self) -> &anyhow::Error {
        &self.0
    }
}

impl Cause {
    /// Keeps `e` (any error tanto or a crate below it returns).
    pub fn new(e: impl Into<anyhow::Error>) -> Cause {
        Cause(Arc::new(e.into()))
    }
}

/// `e.into()` from the errors the layers below return.
macro_rules! cause_from {
    ($($t:ty),* $(,)?) => {
        $(impl From<$t> for Cause {
            fn from(e: $t) -> Cause {
                Cause::new(e)
            }
        })*
    };
}

cause_from!(
    anyhow::Error,
    tanto_core::wording::Said,
    Refused,
    tanto_mail::cache::CacheError,
    tanto_mail::imap::ImapError,
    tanto_mail::imap::sync::SyncError,
    tanto_mail::send::SendError,
);

/// The first link only (`{:#}` gives the whole chain, as for any error).
impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if f.alternate() {
            write!(f, "{:#}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl std::fmt::Debug for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", format!("{self:#}"))
    }
}

/// A cause can itself be the cause of a line of context (`Said::because`): its chain goes on
/// with the error's own causes.
impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

/// Two causes are the same when they read the same (a notice said twice is said once).
impl PartialEq for Cause {
    fn eq(&self, other: &Cause) -> bool {
        format!("{self:#}") == format!("{other:#}")
    }
}

impl Eq for Cause {}

/// What is being tried again after connection trouble (`Notice::Retrying`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retried {
    Action(tanto_core::claims::Action),
    Note,
    Sync,
}

/// How an action ended, for the front end to word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Written and logged.
    Won(Won),
    /// Someone else holds the conversation (or just took it).
    Lost {
        conversation: String,
        winner: String,
        /// Seconds since the winner's own claim event, when the log has one.
        idle_secs: Option<i64>,
    },
    /// Nothing to write: it already was so. Nothing was logged.
    Already { conversation: String, what: Already },
    /// Not allowed; nothing was written.
    Refused { conversation: String, why: Refused },
    /// The server could not be reached: the action waits in the offline journal, and the
    /// next sync that reaches the server applies it if the conversation is still as seen.
    Queued { conversation: String },
}

/// A change this agent made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Won {
    pub conversation: String,
    pub agent: String,
    pub event: EventKind,
    pub status: Status,
    pub owner: Option<String>,
    /// The agent whose claim this displaced (take-over, re-assignment, release of theirs).
    pub displaced: Option<String>,
}

/// What became of one queued reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// SMTP took it, it is in Sent, and the bookkeeping is done.
    Delivered { conversation: String },
    /// A half-done send found in Sent: only the bookkeeping was left, and is now done.
    Completed { conversation: String },
    /// It stays in the outbox: SMTP did not take it (the reason says why); it goes out on
    /// a later run.
    Queued { conversation: String, reason: Cause },
    /// Nobody can know whether SMTP took it: a person must decide.
    Uncertain { conversation: String, reason: Cause },
    /// Someone else is sending it or already did.
    Taken { conversation: String, by: String },
    /// Held for its author by the check at send time (or a permanent SMTP refusal): it is
    /// never sent by anyone; the author decides what becomes of it.
    Held {
        conversation: String,
        /// The held reply's Message-ID (without brackets), to name it in `tanto outbox`.
        message_id: String,
        author: String,
        hold: Hold,
    },
    /// Not for now.
    Waiting {
        conversation: String,
        standing: Standing,
        /// Whose reply it is (a held or rejected reply is told to its author).
        author: String,
    },
}

/// What became of a journal entry once the server was back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Noted {
        conversation: String,
    },
    Acted {
        conversation: String,
        outcome: Outcome,
    },
    /// The conversation changed meanwhile: the action was not applied.
    Refused {
        conversation: String,
        verb: String,
        status: Status,
        holder: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cause_keeps_the_error_whole_and_reads_as_its_chain() {
        let inner = anyhow::Error::new(Refused::Superseded).context("done after the reply");
        let cause = Cause::from(inner);
        assert_eq!(cause.to_string(), "done after the reply");
        assert_eq!(
            format!("{cause:#}"),
            "done after the reply: a newer message decides its state now"
        );
        // The typed error is still there for a front end to word.
        assert!(cause
            .error()
            .chain()
            .any(|e| e.downcast_ref::<Refused>().is_some()));
        // Wrapped again as the cause of a line, the chain goes on with its causes.
        let outer = anyhow::Error::new(cause.clone()).context("outer");
        assert_eq!(outer.chain().count(), 3, "{outer:#}");
        assert_eq!(cause.clone(), cause);
        assert_ne!(cause, Cause::from(anyhow::anyhow!("done after the reply")));
    }
}
