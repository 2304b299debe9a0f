//! Notes and actions made while the server is down are kept and applied when it is back,
//! by compare-and-set: what changed meanwhile refuses the action and says so. Against the
//! real Dovecot, stopped and restarted.

mod harness;
mod support;

use std::path::Path;
use std::sync::{Arc, Mutex};

use harness::{sample_message, Dovecot};
use tanto_app::act::{perform, perform_or_queue, Outcome};
use tanto_app::offline::Applied;
use tanto_app::{Ctx, Notice, Notifier};
use tanto_core::claims::Action;

/// An agent used through the library; what its syncs tell lands in the returned list.
fn agent_ctx(server: &Dovecot, dir: &Path, id: &str) -> (Ctx, Arc<Mutex<Vec<Notice>>>) {
    let told = Arc::new(Mutex::new(Vec::new()));
    let sink = told.clone();
    let ctx = Ctx::load(Some(&server.agent_config(dir, id, "agent", "")))
        .expect("load config")
        .with_notifier(Notifier::new(move |n| {
            if let Ok(mut v) = sink.lock() {
                v.push(n.clone());
            }
        }));
    (ctx, told)
}

fn conversation_ids(ctx: &Ctx) -> Vec<String> {
    let mut ids: Vec<String> = tanto_app::conversations::list(ctx, &Default::default())
        .expect("list")
        .into_iter()
        .map(|c| c.id)
        .collect();
    ids.sort();
    ids
}

fn applied(told: &Arc<Mutex<Vec<Notice>>>) -> Vec<Applied> {
    told.lock()
        .expect("notices")
        .iter()
        .filter_map(|n| match n {
            Notice::Offline(a) => Some(a.clone()),
            _ => None,
        })
        .collect()
}

/// A server whose shared inbox holds two conversations, and a directory for the agents.
fn two_conversations() -> (Dovecot, tempfile::TempDir) {
    let server = Dovecot::start();
    server.append_many(
        "support",
        "INBOX",
        &[sample_message(1, None), sample_message(2, None)],
    );
    (server, tempfile::tempdir().expect("tempdir"))
}

#[test]
fn what_an_agent_does_while_the_server_is_down_is_applied_when_it_is_back_unless_it_changed() {
    let (mut server, root) = two_conversations();
    let (alice, told) = agent_ctx(&server, &root.path().join("a"), "alice");
    let (bob, _) = agent_ctx(&server, &root.path().join("b"), "bob");
    tanto_app::after_sync::sync_once(&alice).expect("sync");
    tanto_app::after_sync::sync_once(&bob).expect("sync");
    let ids = conversation_ids(&alice);
    let (one, two) = (&ids[0], &ids[1]);

    server.stop();
    let started = std::time::Instant::now();
    let noted = tanto_app::note::note(&alice, one, "お客様に電話済み").expect("note");
    assert!(noted.queued, "kept for later, not lost");
    for id in [one, two] {
        let o = perform_or_queue(&alice, id, &Action::Claim).expect("claim");
        assert!(matches!(o, Outcome::Queued { .. }), "{o:?}");
    }
    assert!(
        started.elapsed().as_secs() < 10,
        "no long retry before keeping them: {:?}",
        started.elapsed()
    );

    server.restart();
    // Bob takes the second conversation before alice's tanto is back.
    assert!(matches!(
        perform(&bob, two, &Action::Claim).expect("bob claims"),
        Outcome::Won(_)
    ));
    tanto_app::after_sync::sync_once(&alice).expect("sync");

    let got = applied(&told);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(got.contains(&Applied::Noted {
        conversation: one.clone()
    }));
    assert!(
        got.iter().any(|a| matches!(a, Applied::Acted { conversation, outcome: Outcome::Won(_) } if conversation == one)),
        "{got:?}"
    );
    assert!(
        got.iter().any(|a| matches!(a, Applied::Refused { conversation, holder: Some(h), .. } if conversation == two && h == "bob")),
        "{got:?}"
    );
    // On the server: alice holds the first with her note; bob keeps the second.
    tanto_app::after_sync::sync_once(&bob).expect("sync");
    let view = tanto_app::conversations::view(&bob, one).expect("view");
    assert_eq!(view.conversation.assignee.as_deref(), Some("alice"));
    assert!(
        view.timeline
            .iter()
            .any(|e| e.text.contains("お客様に電話済み")),
        "the note is in the shared log"
    );
    let view = tanto_app::conversations::view(&bob, two).expect("view");
    assert_eq!(view.conversation.assignee.as_deref(), Some("bob"));
    // Nothing is applied twice.
    tanto_app::after_sync::sync_once(&alice).expect("sync");
    assert_eq!(applied(&told).len(), 3);
}

#[test]
fn a_wait_and_a_snooze_made_offline_keep_their_reason_and_time() {
    let (mut server, root) = two_conversations();
    let (alice, told) = agent_ctx(&server, &root.path().join("a"), "alice");
    tanto_app::after_sync::sync_once(&alice).expect("sync");
    let ids = conversation_ids(&alice);
    let (one, two) = (&ids[0], &ids[1]);
    for id in [one, two] {
        perform(&alice, id, &Action::Claim).expect("claim");
    }

    server.stop();
    let until = tanto_core::clock::now() + 3 * 86_400;
    let wait = Action::Wait {
        reason: "見積もりの返事待ち".into(),
    };
    let snooze = Action::Snooze {
        until,
        reason: "call back Thursday".into(),
    };
    for (id, action) in [(one, &wait), (two, &snooze)] {
        let o = perform_or_queue(&alice, id, action).expect("kept");
        assert!(matches!(o, Outcome::Queued { .. }), "{o:?}");
    }
    server.restart();
    tanto_app::after_sync::sync_once(&alice).expect("sync");
    let got = applied(&told);
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got.iter().all(|a| matches!(
            a,
            Applied::Acted {
                outcome: Outcome::Won(_),
                ..
            }
        )),
        "{got:?}"
    );

    // A colleague reads the reason and the wake time from the shared log.
    let (bob, _) = agent_ctx(&server, &root.path().join("b"), "bob");
    tanto_app::after_sync::sync_once(&bob).expect("sync");
    for (id, reason) in [(one, "見積もりの返事待ち"), (two, "call back Thursday")] {
        let view = tanto_app::conversations::view(&bob, id).expect("view");
        assert_eq!(view.conversation.status.as_str(), "waiting");
        assert!(
            view.timeline.iter().any(|e| e.text.contains(reason)),
            "{:?}",
            view.timeline
        );
    }
    let why = bob
        .cache()
        .expect("cache")
        .waiting_why("support", two)
        .expect("why");
    assert_eq!(why.and_then(|w| w.until), Some(until));
}
