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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn lost() -> anyhow::Error {
        ImapError::Lost {
            addr: "127.0.0.1:1".into(),
            reason: "reset".into(),
        }
        .into()
    }

    fn refused() -> anyhow::Error {
        ImapError::Refused {
            addr: "127.0.0.1:1".into(),
            command: "STORE".into(),
            reason: "NO".into(),
        }
        .into()
    }

    fn recording() -> (Notifier, Arc<Mutex<Vec<Notice>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let into = seen.clone();
        let notify = Notifier::new(move |n| into.lock().expect("lock").push(n.clone()));
        (notify, seen)
    }

    #[test]
    fn a_dropped_connection_is_transient_and_a_refusal_is_not_wherever_it_sits_in_the_chain() {
        assert!(is_transient(&lost()) && is_dropped(&lost()));
        assert!(is_transient(&lost().context("syncing INBOX")));
        assert!(is_transient(&anyhow::Error::new(SyncError::Imap(
            ImapError::Lost {
                addr: "a".into(),
                reason: "b".into()
            }
        ))));
        assert!(!is_transient(&refused()) && !is_dropped(&refused()));
        assert!(!is_transient(&anyhow::anyhow!("disk full")));
    }

    #[test]
    fn trouble_is_retried_and_announced_once_per_try_then_the_result_comes_back() {
        let (notify, seen) = recording();
        let mut tries = 0;
        let out = retry_while(&notify, Retried::Sync, is_transient, || {
            tries += 1;
            if tries < 3 {
                Err(lost())
            } else {
                Ok(tries)
            }
        });
        assert_eq!(out.expect("the third try works"), 3);
        let seen = seen.lock().expect("lock");
        assert_eq!(seen.len(), 2, "{seen:?}");
        let waits: Vec<Duration> = seen
            .iter()
            .map(|n| match n {
                Notice::Retrying { what, wait, .. } => {
                    assert_eq!(*what, Retried::Sync);
                    *wait
                }
                other => panic!("not a retry notice: {other:?}"),
            })
            .collect();
        assert!(waits[1] > waits[0], "backoff grows: {waits:?}");
    }

    #[test]
    fn what_is_not_the_network_s_fault_is_returned_at_once_without_a_notice() {
        let (notify, seen) = recording();
        let mut tries = 0;
        let out: anyhow::Result<()> = with_retry(&notify, Retried::Note, || {
            tries += 1;
            Err(refused())
        });
        assert!(out.is_err());
        assert_eq!(tries, 1);
        assert!(seen.lock().expect("lock").is_empty());
    }
}
