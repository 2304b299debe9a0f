//! What the application layer tells a front end while it works: retries and warnings. The
//! CLI prints them on stderr; the TUI shows them in its status bar.

use std::sync::Arc;
use std::time::Duration;

/// Something worth telling the user that is not the result of the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Connection trouble; `what` is tried again after `wait`.
    Retrying {
        what: String,
        reason: String,
        wait: Duration,
    },
    /// Something went wrong that did not stop the work (the text is sanitized, one line).
    Warning(String),
    /// The outbox pass of a sync sent a queued reply, or found one a person must look at.
    Outbox(super::reply_outbox::Sent),
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

    /// A warning, made one safe line.
    pub fn warn(&self, text: impl AsRef<str>) {
        self.send(Notice::Warning(crate::sanitize::single_line(text.as_ref())));
    }
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notifier")
    }
}
