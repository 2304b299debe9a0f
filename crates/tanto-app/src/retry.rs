//! Retrying what failed because of the network, with backoff, telling the front end.

use std::time::{Duration, Instant};

use super::notice::{Notice, Notifier};
use super::outcome::Retried;
use tanto_mail::imap::sync::SyncError;
use tanto_mail::imap::ImapError;

/// How long connection trouble is retried before giving up.
pub const RETRY_FOR: Duration = Duration::from_secs(45);

/// True when the error is the network's, so that trying again may work.
pub fn is_transient(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<ImapError>()
            .is_some_and(ImapError::is_transient)
            || matches!(c.downcast_ref::<SyncError>(), Some(SyncError::Imap(i)) if i.is_transient())
    })
}

/// True when an open connection was dropped (as opposed to a server that cannot be reached).
pub fn is_dropped(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(c.downcast_ref::<ImapError>(), Some(ImapError::Lost { .. }))
            || matches!(
                c.downcast_ref::<SyncError>(),
                Some(SyncError::Imap(ImapError::Lost { .. }))
            )
    })
}

/// Runs `f` again on connection trouble, with backoff, for up to `RETRY_FOR`.
pub fn with_retry<T>(
    notify: &Notifier,
    what: Retried,
    f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    retry_while(notify, what, is_transient, f)
}

/// Runs `f` again while `retryable` says so of its error, with backoff, for up to
/// `RETRY_FOR`; each retry is announced through `notify`.
pub fn retry_while<T>(
    notify: &Notifier,
    what: Retried,
    retryable: fn(&anyhow::Error) -> bool,
    mut f: impl FnMut() -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let started = Instant::now();
    let mut wait = Duration::from_millis(200);
    loop {
        match f() {
            Err(e) if retryable(&e) && started.elapsed() < RETRY_FOR => {
                notify.send(Notice::Retrying {
                    what: what.clone(),
                    reason: e.into(),
                    wait,
                });
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(5));
            }
            other => return other,
        }
    }
}
