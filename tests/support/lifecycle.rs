//! The same life of a conversation checked on every server and profile: one agent claims,
//! writes a note and marks it done, another sees each and reopens it, the first sees that;
//! both read the same timeline. Run through the real binary, as users do.

use crate::support::{has_note, Tanto};

/// `(status, assignee)` of `id` as `show --json` gives it.
pub fn status_of(t: &Tanto, id: &str) -> (String, String) {
    let show = t.json(&["show", id, "--json"]);
    (
        show["status"].as_str().unwrap_or_default().to_string(),
        show["assignee"].as_str().unwrap_or_default().to_string(),
    )
}

/// The status events of `id`'s timeline as `(event, agent)`, oldest first.
pub fn status_events(t: &Tanto, id: &str) -> Vec<(String, String)> {
    let show = t.json(&["show", id, "--json"]);
    show["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "event")
        .map(|e| {
            (
                e["event"].as_str().unwrap_or_default().to_string(),
                e["agent"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// On the one conversation both agents see: alice claims it (bob loses it to her), notes
/// and marks it done; bob, after a sync, sees it done with her note, and reopens it; alice,
/// after a sync, sees it in progress again, and both timelines read claim, done, reopen.
/// Returns the conversation's id.
pub fn note_done_and_reopen_reach_the_other(alice: &Tanto, bob: &Tanto) -> String {
    let id = alice.claims_before("alice", bob);
    alice.ok(&["note", &id, "-m", "お客様に電話済み"]);
    alice.ok(&["done", &id]);

    bob.sync();
    assert_eq!(status_of(bob, &id), ("done".into(), "alice".into()));
    let show = bob.json(&["show", &id, "--json"]);
    assert!(has_note(&show, "お客様に電話済み"), "{show}");

    bob.ok(&["reopen", &id]);
    alice.sync();
    assert_eq!(status_of(alice, &id), ("wip".into(), "alice".into()));
    let want: Vec<(String, String)> = [("claim", "alice"), ("done", "alice"), ("reopen", "bob")]
        .iter()
        .map(|(e, a)| (e.to_string(), a.to_string()))
        .collect();
    assert_eq!(status_events(alice, &id), want);
    bob.sync();
    assert_eq!(status_events(bob, &id), want);
    id
}
