//! A teammate's running tanto (the watcher of `tanto sync` or the TUI) and its cache: what
//! it sees of another agent's changes, and how soon.

use std::path::Path;
use std::time::{Duration, Instant};

use tanto_app::watch::Watcher;
use tanto_app::Ctx;
use tanto_mail::cache::Cache;

pub struct Teammate {
    watcher: Watcher,
    cache: Cache,
}

impl Teammate {
    /// Once it sees conversation `id`: `alice` (the CLI) claims it, writes a note, marks it
    /// done and reopens it, and this teammate sees each within 2 s.
    pub fn sees_alice_claim_note_done_and_reopen(&self, alice: &crate::support::Tanto, id: &str) {
        let within = Duration::from_secs(2);
        self.sees("the conversation", Duration::from_secs(30), |b| {
            b.state(id).is_some()
        });
        alice.ok(&["claim", id]);
        self.sees("alice's claim", within, |b| {
            b.state(id) == Some(("wip".into(), Some("alice".into())))
        });
        alice.ok(&["note", id, "-m", "電話しました"]);
        self.sees("alice's note", within, |b| b.has_note(id, "電話しました"));
        alice.ok(&["done", id]);
        self.sees("done", within, |b| {
            b.state(id).is_some_and(|(s, _)| s == "done")
        });
        alice.ok(&["reopen", id]);
        self.sees("the reopen", within, |b| {
            b.state(id) == Some(("wip".into(), Some("alice".into())))
        });
    }

    /// Starts `ctx`'s watcher; `cache` is the path of its cache file.
    pub fn start(ctx: &Ctx, cache: &Path) -> Teammate {
        Teammate {
            watcher: Watcher::spawn(ctx.clone()),
            cache: Cache::open(cache, false).expect("the teammate's cache"),
        }
    }

    /// Waits until `ok` holds, failing (naming `what`) after `within`; how long it took.
    pub fn sees(&self, what: &str, within: Duration, ok: impl Fn(&Teammate) -> bool) -> Duration {
        let started = Instant::now();
        while !ok(self) {
            assert!(
                started.elapsed() < within,
                "the teammate did not see {what} within {within:?}"
            );
            let _ = self.watcher.events.recv_timeout(Duration::from_millis(50));
        }
        eprintln!("the teammate saw {what} after {:?}", started.elapsed());
        started.elapsed()
    }

    /// The conversation's status and assignee in the teammate's cache.
    pub fn state(&self, id: &str) -> Option<(String, Option<String>)> {
        self.cache
            .find_conversation(id)
            .ok()
            .and_then(|r| r.ok())
            .map(|c| (c.status.as_str().to_string(), c.assignee))
    }

    /// True when the teammate's cache has a note containing `text` on the conversation.
    pub fn has_note(&self, id: &str, text: &str) -> bool {
        let Some(conv) = self.cache.find_conversation(id).ok().and_then(|r| r.ok()) else {
            return false;
        };
        self.cache.events(&conv.mailbox, &conv.id).is_ok_and(|e| {
            e.iter()
                .any(|e| e.kind.as_str() == "note" && e.text.contains(text))
        })
    }
}
