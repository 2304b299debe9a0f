//! Tags and rule records read from the activity log: the first `rule` record about a message
//! counts whatever order a cache reads them in, and tags fold from the records in UID order.

use crate::activity::Event;
use crate::cache::{Cache, FolderRole, FolderState, Team};
use tanto_core::event::EventKind;
use tanto_core::model::{Headers, MessageMeta};

fn team() -> Team {
    Team {
        mailbox: "support".into(),
        address: "support@ex.com".into(),
        addresses: vec!["support@ex.com".into()],
    }
}

/// A cache holding one customer message `a`, its conversation id and the activity folder.
fn one_message(dir: &std::path::Path) -> (Cache, String, FolderState) {
    let mut c = Cache::open(&dir.join("c.sqlite"), false).expect("open");
    let mut f = c
        .folder("support", "INBOX", FolderRole::Inbox)
        .expect("folder");
    f.uidvalidity = Some(1);
    let m = MessageMeta {
        uid: 1,
        internal_date: 100,
        headers: Headers {
            subject: "Order".into(),
            message_id: Some("a".into()),
            from: vec![tanto_core::model::Address {
                name: None,
                email: "c1@x".into(),
            }],
            ..Headers::default()
        },
        ..MessageMeta::default()
    };
    c.add_messages(&team(), &f, vec![m]).expect("add");
    let conv = c
        .conversation_of_message("support", "a")
        .expect("lookup")
        .expect("conversation");
    let mut log = c
        .folder("support", "Tanto/Activity", FolderRole::Activity)
        .expect("log");
    log.uidvalidity = Some(7);
    (c, conv, log)
}

fn record(kind: EventKind, agent: &str, conv: &str, tags: &[&str]) -> Event {
    let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    Event::new(kind, agent, "a", conv, format!("{agent} did it")).with_tags(&tags)
}

#[test]
fn a_rule_record_read_before_an_earlier_one_stops_counting_when_the_earlier_arrives() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut c, conv, log) = one_message(dir.path());
    // A shared cache: carol's record went in by its UID before alice's earlier one was read.
    c.add_events(
        &team(),
        &log,
        &[(5, 100, record(EventKind::Rule, "carol", &conv, &[]))],
    )
    .expect("events");
    c.add_events(
        &team(),
        &log,
        &[(3, 100, record(EventKind::Rule, "alice", &conv, &[]))],
    )
    .expect("events");
    let rules: Vec<String> = c
        .events("support", &conv)
        .expect("events")
        .into_iter()
        .filter(|e| e.kind == EventKind::Rule)
        .map(|e| e.agent)
        .collect();
    assert_eq!(rules, ["alice"]);
    assert_eq!(
        c.record_void("Tanto/Activity", "support", 5).expect("void"),
        Some(true)
    );
}

#[test]
fn tags_fold_from_the_log_in_uid_order_and_only_the_first_equal_record_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut c, conv, log) = one_message(dir.path());
    c.add_events(
        &team(),
        &log,
        &[
            (1, 100, record(EventKind::Tag, "alice", &conv, &["urgent"])),
            (2, 100, record(EventKind::Tag, "bob", &conv, &["urgent"])),
            (3, 100, record(EventKind::Rule, "alice", &conv, &["vip"])),
            // A second client's rule record: void, its tags count for nothing.
            (4, 100, record(EventKind::Rule, "bob", &conv, &["other"])),
        ],
    )
    .expect("events");
    assert_eq!(c.tags("support", &conv).expect("tags"), ["urgent", "vip"]);
    assert!(c
        .tag_record_counted("support", &conv, log.id, 1)
        .expect("1"));
    assert!(!c
        .tag_record_counted("support", &conv, log.id, 2)
        .expect("2"));
    c.add_events(
        &team(),
        &log,
        &[(6, 100, record(EventKind::Untag, "bob", &conv, &["urgent"]))],
    )
    .expect("events");
    assert_eq!(c.tags("support", &conv).expect("tags"), ["vip"]);
    let all = c.all_tags().expect("all");
    assert_eq!(all[&("support".to_string(), conv.clone())], ["vip"]);
    assert!(c.touched_in_log("support", "a").expect("touched"));
    assert!(!c.touched_in_log("support", "b").expect("untouched"));
}

#[test]
fn a_later_rule_record_put_back_from_the_server_still_counts_for_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut c, conv, log) = one_message(dir.path());
    let alice = record(EventKind::Rule, "alice", &conv, &[]);
    let carol = record(EventKind::Rule, "carol", &conv, &[]);
    c.add_events(&team(), &log, &[(3, 100, alice), (5, 100, carol.clone())])
        .expect("events");
    // `tanto cache check` puts the server's copy in place of a row another process wrote.
    c.put_server_event(log.id, "support", 5, &carol)
        .expect("put");
    assert_eq!(
        c.record_void("Tanto/Activity", "support", 5).expect("void"),
        Some(true)
    );
}

#[test]
fn a_rule_record_that_changed_no_state_is_passed_over_like_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut c, conv, log) = one_message(dir.path());
    let assigned =
        record(EventKind::Rule, "alice", &conv, &["vip"]).with_state(Some("wip"), Some("bob"));
    let tagged = record(EventKind::Rule, "alice", &conv, &["vip"]);
    c.add_events(
        &team(),
        &log,
        &[
            (1, 100, assigned),
            (2, 100, record(EventKind::Tag, "bob", &conv, &["x"])),
        ],
    )
    .expect("events");
    let events = c.events("support", &conv).expect("events");
    assert_eq!(
        events.iter().map(|e| e.is_annotation()).collect::<Vec<_>>(),
        [false, true]
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut c, conv, log) = one_message(dir.path());
    c.add_events(&team(), &log, &[(1, 100, tagged)])
        .expect("events");
    assert!(c.events("support", &conv).expect("events")[0].is_annotation());
}

/// The TUI's `tag:NAME` filter finds what the log tagged, as `Cache::tags` folds it: the
/// newest record naming the tag decides, over the keyword too.
#[test]
fn a_tab_narrowed_to_a_tag_follows_the_log_records() {
    use crate::cache::TabQuery;
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut c, conv, log) = one_message(dir.path());
    let listed = |c: &Cache, tag: &str| {
        let q = TabQuery {
            tag: Some(tag.to_string()),
            ..TabQuery::default()
        };
        let window = c.list_window(&q, "alice", 0, 10).expect("window").len();
        let counted = c.count_tab(&q).expect("count");
        assert_eq!(window as u64, counted, "{tag}");
        let tags = c.tags("support", &conv).expect("tags");
        assert_eq!(
            tags.contains(&tag.to_string()),
            window == 1,
            "the filter and the tags agree on {tag}"
        );
        // One conversation's tags (a list row) and every conversation's (`tanto list`) agree.
        let all = c.all_tags().expect("all tags");
        let key = ("support".to_string(), conv.clone());
        assert_eq!(all.get(&key).cloned().unwrap_or_default(), tags);
        window
    };
    assert_eq!(listed(&c, "vip"), 0);
    let add = |c: &mut Cache, uid: u32, kind: EventKind, tags: &[&str]| {
        c.add_events(
            &team(),
            &log,
            &[(uid, 100, record(kind, "alice", &conv, tags))],
        )
        .expect("events");
    };
    add(&mut c, 1, EventKind::Tag, &["vip", "billing"]);
    assert_eq!(listed(&c, "vip"), 1);
    assert_eq!(listed(&c, "billing"), 1);
    assert_eq!(listed(&c, "vi"), 0, "whole names only");
    add(&mut c, 2, EventKind::Untag, &["vip"]);
    assert_eq!(listed(&c, "vip"), 0);
    assert_eq!(listed(&c, "billing"), 1);
    add(&mut c, 3, EventKind::Rule, &["vip"]);
    assert_eq!(listed(&c, "vip"), 1, "a rule's tag counts");
}
