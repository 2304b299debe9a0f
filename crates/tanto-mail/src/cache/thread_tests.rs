//! The cache's incremental threading against the rule it implements (`thread_all`): after
//! any history of arrivals and expunges, the cache holds what the rule gives for what is left.

use std::collections::BTreeMap;

use crate::cache::{Cache, FolderRole, Team};
use tanto_core::conversation;
use tanto_core::model::{Address, Headers, MessageMeta};
use tanto_core::subject;
use tanto_core::threading::{self, Mail};

fn team() -> Team {
    Team {
        mailbox: "support".into(),
        address: "support@ex.com".into(),
        addresses: vec!["support@ex.com".into()],
    }
}

/// uid, date, Message-ID, References, subject, sender, Reply-To.
type Spec = (
    u32,
    i64,
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static str,
);

const MAILBOX: &[Spec] = &[
    (1, 100, "a", &[], "Order", "c1@x", ""),
    (2, 200, "b", &["a"], "Re: Order", "c1@x", ""),
    (3, 300, "c", &["a", "b"], "Re: Order", "c1@x", ""),
    (4, 150, "d", &["zz"], "Invoice", "c2@x", ""),
    (5, 400, "e", &["zz", "d"], "Re: Invoice", "c2@x", ""),
    // Joins the a-thread and the zz-thread.
    (6, 500, "f", &["c", "e"], "Re: Order", "c1@x", ""),
    // Replies whose mailer dropped the links: threaded by subject and customer.
    (7, 250, "g", &[], "RE: order", "c1@x", ""),
    (8, 350, "h", &[], "Question", "c1@x", ""),
    (9, 450, "i", &[], "Re: question", "c1@x", ""),
    (10, 470, "j", &[], "Re: Question", "c3@x", ""),
    (11, 120, "k", &[], "Question", "c1@x", ""),
    // A contact form: the customer is in Reply-To.
    (12, 600, "l", &[], "Re: question", "support@ex.com", "c1@x"),
    (13, 700, "m", &["l"], "Re: question", "c1@x", ""),
];

fn meta(s: &Spec) -> MessageMeta {
    let (uid, date, id, refs, subject, from, reply_to) = *s;
    let addr = |e: &str| Address {
        name: None,
        email: e.into(),
    };
    MessageMeta {
        uid,
        internal_date: date,
        headers: Headers {
            subject: subject.into(),
            from: vec![addr(from)],
            to: vec![addr("support@ex.com")],
            reply_to: (!reply_to.is_empty())
                .then(|| addr(reply_to))
                .into_iter()
                .collect(),
            date: Some(date),
            message_id: Some(id.into()),
            references: refs.iter().map(|r| r.to_string()).collect(),
            in_reply_to: refs.last().map(|r| r.to_string()).into_iter().collect(),
            ..Headers::default()
        },
        ..MessageMeta::default()
    }
}

/// A new cache in `dir` with the support mailbox's inbox (UIDVALIDITY 1).
fn fresh_inbox(dir: &std::path::Path) -> (Cache, crate::cache::FolderState) {
    let mut c = Cache::open(&dir.join("c.sqlite"), false).expect("open");
    let mut f = c
        .folder("support", "INBOX", FolderRole::Inbox)
        .expect("folder");
    f.uidvalidity = Some(1);
    (c, f)
}

/// The mail of `held` as the threading rule takes it.
fn rule_input(t: &Team, held: &[u32]) -> Vec<Mail> {
    held.iter()
        .map(|uid| {
            let m = meta(&MAILBOX[*uid as usize - 1]);
            let h = &m.headers;
            let key = h.message_id.clone().unwrap_or_default();
            let links = threading::links(h, &key);
            let (norm, prefix) = subject::normalize(&h.subject);
            Mail {
                fallback: threading::uses_subject_fallback(prefix, &links, &norm),
                date: m.internal_date,
                customer: conversation::direction_and_customer(false, h, &t.addresses).1,
                key,
                links,
                subject_norm: norm,
            }
        })
        .collect()
}

/// What the rule gives for `held`: Message-ID -> conversation id.
fn oracle(held: &[u32]) -> BTreeMap<String, String> {
    let t = team();
    let mails = rule_input(&t, held);
    let ids = threading::thread_all(&t.address, &mails);
    mails.into_iter().map(|m| m.key).zip(ids).collect()
}

/// What the cache holds: Message-ID -> conversation id, after checking that its thread ids
/// and conversation rows agree with its messages.
fn cached(c: &Cache) -> BTreeMap<String, String> {
    let rows = |sql: &str| -> Vec<(String, String)> {
        let mut st = c.conn.prepare(sql).expect("prepare");
        let r = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<Vec<_>>>()
            .expect("rows");
        r
    };
    let msgs: BTreeMap<String, String> = rows("SELECT thread_key, conv FROM messages")
        .into_iter()
        .collect();
    let ids: BTreeMap<String, String> = rows("SELECT msgid, conv FROM thread_ids")
        .into_iter()
        .collect();
    for (key, conv) in &msgs {
        assert_eq!(ids.get(key), Some(conv), "thread id of {key}");
    }
    let counts = rows("SELECT id, CAST(messages AS TEXT) FROM conversations");
    let mut want: BTreeMap<String, usize> = BTreeMap::new();
    for conv in msgs.values() {
        *want.entry(conv.clone()).or_default() += 1;
    }
    let got: BTreeMap<String, usize> = counts
        .into_iter()
        .map(|(c, n)| (c, n.parse().unwrap_or(0)))
        .collect();
    assert_eq!(got, want, "conversation rows");
    msgs
}

/// Plays a history: batches to add (by uid), then uids to expunge one at a time; after each
/// step the cache must hold what the rule gives.
fn play(adds: &[Vec<u32>], expunges: &[u32]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Cache::open(&dir.path().join("c.sqlite"), false).expect("open");
    let t = team();
    let mut f = c
        .folder("support", "INBOX", FolderRole::Inbox)
        .expect("folder");
    f.uidvalidity = Some(1);
    let mut held: Vec<u32> = Vec::new();
    for batch in adds {
        let msgs = batch
            .iter()
            .map(|u| meta(&MAILBOX[*u as usize - 1]))
            .collect();
        c.add_messages(&t, &f, msgs).expect("add");
        held.extend(batch);
        crate::cache::fts::assert_kept(&c.conn, "after adding");
        assert_eq!(
            cached(&c),
            oracle(&held),
            "after adding {batch:?} (history {adds:?})"
        );
    }
    for uid in expunges {
        c.remove_messages(&t, f.id, &[*uid]).expect("remove");
        held.retain(|u| u != uid);
        crate::cache::fts::assert_kept(&c.conn, "after expunging");
        assert_eq!(
            cached(&c),
            oracle(&held),
            "after expunging {uid} (history {adds:?})"
        );
    }
}

#[test]
fn any_history_of_arrivals_and_expunges_gives_the_ids_of_a_fresh_cache() {
    let all: Vec<u32> = (1..=MAILBOX.len() as u32).collect();
    play(std::slice::from_ref(&all), &[1, 6, 8, 12, 4]);
    play(std::slice::from_ref(&all), &[6, 11, 2, 13]);
    // One at a time, in several orders (a reply before its root, a subject reply before
    // the message it falls back to, an earlier message arriving last).
    let mut seed: u64 = 7;
    for round in 0..25 {
        let mut order = all.clone();
        for i in (1..order.len()).rev() {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            order.swap(i, (seed >> 33) as usize % (i + 1));
        }
        let batches: Vec<Vec<u32>> = if round % 2 == 0 {
            order.iter().map(|u| vec![*u]).collect()
        } else {
            order.chunks(4).map(|c| c.to_vec()).collect()
        };
        let mut gone = order.clone();
        gone.reverse();
        gone.truncate(6);
        play(&batches, &gone);
    }
}

#[test]
fn a_folder_reset_threads_what_is_left_as_a_fresh_cache_would() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Cache::open(&dir.path().join("c.sqlite"), false).expect("open");
    let t = team();
    let mut inbox = c
        .folder("support", "INBOX", FolderRole::Inbox)
        .expect("folder");
    inbox.uidvalidity = Some(1);
    let mut other = c
        .folder("support", "Other", FolderRole::Inbox)
        .expect("folder");
    other.uidvalidity = Some(1);
    // The joining message f lives in the other folder, which is reset and comes back empty.
    let (f, rest): (Vec<u32>, Vec<u32>) = (1..=MAILBOX.len() as u32).partition(|u| *u == 6);
    c.add_messages(
        &t,
        &inbox,
        rest.iter()
            .map(|u| meta(&MAILBOX[*u as usize - 1]))
            .collect(),
    )
    .expect("add");
    c.add_messages(
        &t,
        &other,
        f.iter().map(|u| meta(&MAILBOX[*u as usize - 1])).collect(),
    )
    .expect("add");
    assert_eq!(
        cached(&c),
        oracle(&(1..=MAILBOX.len() as u32).collect::<Vec<_>>())
    );
    c.reset_folder(&t, other.id).expect("reset");
    assert_eq!(cached(&c), oracle(&rest));
}

#[test]
fn threading_queries_use_an_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = Cache::open(&dir.path().join("c.sqlite"), false).expect("open");
    for op in ["<", ">"] {
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT id, thread_key, fallback FROM messages
             WHERE mailbox = ?1 AND subject_norm = ?2 AND customer = ?3
               AND (tdate, thread_key) {op} (?4, ?5)
             ORDER BY tdate DESC, thread_key DESC LIMIT 1"
        );
        let plan: Vec<String> = c
            .conn
            .prepare(&sql)
            .expect("prepare")
            .query_map(["a", "b", "c", "1", "k"], |r| r.get(3))
            .expect("plan")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        let plan = plan.join("; ");
        assert!(plan.contains("USING INDEX messages_subject"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }
}

/// The outside-replies pass runs after every sync round: it reads the Sent folders' new
/// UIDs, never every message of the mailbox (it did: 6 MB of page cache and ~15 ms per
/// round at 10k messages).
#[test]
fn outside_replies_read_only_the_new_sent_mail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = Cache::open(&dir.path().join("c.sqlite"), false).expect("open");
    let plan: Vec<String> = c
        .conn
        .prepare(&format!(
            "EXPLAIN QUERY PLAN {}",
            crate::cache::lookup::OUTSIDE_REPLIES_SQL
        ))
        .expect("prepare")
        .query_map(rusqlite::params!["support", 0], |r| r.get(3))
        .expect("plan")
        .collect::<rusqlite::Result<_>>()
        .expect("rows");
    let plan = plan.join("; ");
    assert!(plan.starts_with("SCAN f"), "{plan}");
    assert!(
        plan.contains("SEARCH m USING INDEX sqlite_autoindex_messages_1 (folder_id=? AND uid>?)"),
        "{plan}"
    );
}

/// A first sync in bulk of the first `bulk_n` messages (cut off after `cut` of them and
/// resumed; then, when `finish_cut` is not 0, cut off again after that many of the end's
/// transactions and resumed), then the rest one at a time and a few expunges: the rule's ids
/// at every step. `network_fs`: the cache in rollback-journal mode (no WAL), where the
/// end sums the conversations up on the writing connection.
fn play_bulk(bulk_n: usize, cut: usize, finish_cut: usize, network_fs: bool) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Cache::open(&dir.path().join("c.sqlite"), network_fs).expect("open");
    let t = team();
    let mut f = c
        .folder("support", "INBOX", FolderRole::Inbox)
        .expect("folder");
    f.uidvalidity = Some(1);
    let metas = |uids: &[u32]| -> Vec<MessageMeta> {
        uids.iter()
            .map(|u| meta(&MAILBOX[*u as usize - 1]))
            .collect()
    };
    let first: Vec<u32> = (1..=bulk_n as u32).collect();
    assert!(c.bulk_wanted(&t, &f).expect("wanted"));
    let mut load = c.bulk_open(&t).expect("open load");
    for chunk in first[..cut].chunks(3) {
        c.bulk_add(&mut load, &t, &f, metas(chunk)).expect("add");
    }
    // Cut off: the next sync finds the load unfinished and goes on with it.
    drop(load);
    assert!(c.bulk_wanted(&t, &f).expect("wanted again"));
    let mut load = c.bulk_open(&t).expect("reopen load");
    // (the batch that was being written when it was cut off comes again)
    let again = cut.saturating_sub(2);
    for chunk in first[again..].chunks(2) {
        c.bulk_add(&mut load, &t, &f, metas(chunk)).expect("add");
    }
    if finish_cut > 0 {
        c.bulk_finish_cut_off(load, finish_cut)
            .expect("the end's first steps");
        assert!(
            c.list_window(&crate::cache::TabQuery::default(), "alice", 0, 100)
                .expect("window")
                .is_empty(),
            "nothing shows before the load's end (cut after step {finish_cut})"
        );
        assert!(c.bulk_wanted(&t, &f).expect("wanted after a cut-off end"));
        load = c.bulk_open(&t).expect("reopen after a cut-off end");
    }
    c.bulk_finish(load).expect("finish");
    assert!(!c.bulk_wanted(&t, &f).expect("done"), "loaded");
    let indexes: i64 = c
        .conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("indexes");
    assert!(indexes as usize >= crate::cache::schema::BULK_INDEXES.len());
    let mut held = first.clone();
    // The filter's index is left to the TUI after a bulk load; built, it is kept.
    assert!(!c.fts_ready(), "no filter index right after a bulk load");
    assert!(c.build_filter_index().expect("build the filter index"));
    crate::cache::fts::assert_kept(&c.conn, "after a bulk load");
    assert_eq!(
        cached(&c),
        oracle(&held),
        "bulk of {bulk_n}, cut at {cut}, end cut after {finish_cut}"
    );
    for uid in bulk_n as u32 + 1..=MAILBOX.len() as u32 {
        c.add_messages(&t, &f, metas(&[uid])).expect("add one");
        held.push(uid);
        crate::cache::fts::assert_kept(&c.conn, "after adding past a bulk load");
        assert_eq!(
            cached(&c),
            oracle(&held),
            "after {uid} (bulk {bulk_n}, cut {cut})"
        );
    }
    for uid in [6, 1, 11] {
        c.remove_messages(&t, f.id, &[uid]).expect("remove");
        held.retain(|u| *u != uid);
        crate::cache::fts::assert_kept(&c.conn, "after expunging past a bulk load");
        assert_eq!(
            cached(&c),
            oracle(&held),
            "expunged {uid} (bulk {bulk_n}, cut {cut})"
        );
    }
}

#[test]
fn a_bulk_first_sync_cut_off_anywhere_gives_the_ids_of_the_rule_and_stays_right_after() {
    for bulk_n in 1..=MAILBOX.len() {
        for cut in 0..=bulk_n {
            play_bulk(bulk_n, cut, 0, false);
        }
    }
}

/// The end of a bulk load runs in several transactions (so that each is copied into the file
/// while the next runs, and the conversations are summed up on a reader of their own): cut
/// off after any of them, the next sync finishes it and the ids are the rule's; in either
/// journal mode.
#[test]
fn a_bulk_load_cut_off_in_its_end_is_finished_by_the_next_sync() {
    for network_fs in [false, true] {
        for bulk_n in [1, 4, MAILBOX.len()] {
            for finish_cut in 0..crate::cache::bulk::FINISH_STEPS {
                play_bulk(bulk_n, bulk_n / 2, finish_cut, network_fs);
            }
        }
    }
}

/// The customer's name in the list rows, written with the summaries: by a sync one message
/// at a time and by a bulk load alike.
#[test]
fn the_list_rows_carry_the_customers_name_after_a_sync_and_after_a_bulk_load() {
    let t = team();
    let named =
        |uid: u32, name: &str, from: &'static str, reply_to: &'static str, subject: &str| {
            let mut m = meta(&(uid, uid as i64 * 100, "", &[], "", from, reply_to));
            m.headers.message_id = Some(format!("n{uid}"));
            m.headers.subject = subject.into();
            m.headers.from[0].name = (!name.is_empty()).then(|| name.to_string());
            if from == t.address {
                m.headers.to[0].email = "c1@x".into();
            }
            m
        };
    let metas = || {
        vec![
            // The customer's own mail (their address in another case), then the team's
            // answer, whose sender's name is the team's.
            named(1, "山田 花子", "C1@x", "", "Order"),
            named(2, "Support Team", "support@ex.com", "", "Re: Order"),
            // A contact form: the sender is the form, the customer in Reply-To.
            named(3, "Contact Form", "support@ex.com", "c2@x", "Question"),
            // A blank name is none.
            named(4, " ", "c3@x", "", "Invoice"),
        ]
    };
    let names = |c: &Cache| -> Vec<(String, Option<String>)> {
        let q = crate::cache::TabQuery::default();
        let mut rows: Vec<(String, Option<String>)> = c
            .list_window(&q, "alice", 0, 10)
            .expect("window")
            .into_iter()
            .map(|r| (r.conversation.customer, r.conversation.customer_name))
            .collect();
        rows.sort();
        rows
    };
    let want = vec![
        ("c1@x".to_string(), Some("山田 花子".to_string())),
        ("c2@x".to_string(), None),
        ("c3@x".to_string(), None),
    ];
    // One at a time, in bulk, and in a bulk load cut off after `cut` messages and resumed
    // (the names of the rows written before come back from the rows).
    for (bulk, cut) in [(false, 0), (true, 4), (true, 1), (true, 3)] {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = Cache::open(&dir.path().join("c.sqlite"), false).expect("open");
        let mut f = c
            .folder("support", "INBOX", FolderRole::Inbox)
            .expect("folder");
        f.uidvalidity = Some(1);
        if bulk {
            assert!(c.bulk_wanted(&t, &f).expect("wanted"));
            let mut load = c.bulk_open(&t).expect("open load");
            let all = metas();
            let (first, rest) = all.split_at(cut);
            c.bulk_add(&mut load, &t, &f, first.to_vec()).expect("add");
            if !rest.is_empty() {
                drop(load);
                assert!(c.bulk_wanted(&t, &f).expect("wanted again"));
                load = c.bulk_open(&t).expect("reopen load");
                c.bulk_add(&mut load, &t, &f, rest.to_vec()).expect("add");
            }
            c.bulk_finish(load).expect("finish");
        } else {
            for m in metas() {
                c.add_messages(&t, &f, vec![m]).expect("add");
            }
        }
        assert_eq!(names(&c), want, "bulk: {bulk}, cut at {cut}");
    }
}

/// Personal unread (issue 23): mail that came in after an agent last looked is new to that
/// agent only, their own tanto replies aside; nothing is new before they start.
#[test]
fn a_conversation_is_unread_for_each_agent_until_they_look_at_it() {
    let t = team();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut c, f) = fresh_inbox(dir.path());
    let mail = |uid: u32, at: i64, id: &str, refs: &'static [&'static str], from: &'static str| {
        let mut m = meta(&(uid, at, "", refs, "Order", from, ""));
        m.headers.message_id = Some(id.to_string());
        m
    };
    // The list window's per-row answer and `tanto list --json`'s one pass must agree.
    let unread = |c: &Cache, agent: &str| -> Vec<bool> {
        let marks = c.personal_marks(agent).expect("marks");
        c.list_window(&crate::cache::TabQuery::default(), agent, 0, 10)
            .expect("window")
            .into_iter()
            .map(|r| {
                let key = (r.conversation.mailbox.clone(), r.conversation.id.clone());
                assert_eq!(marks.unread.contains(&key), r.unread, "{agent}: {key:?}");
                r.unread
            })
            .collect()
    };
    c.add_messages(&t, &f, vec![mail(1, 100, "a", &[], "c1@x")])
        .expect("add");
    assert_eq!(
        unread(&c, "alice"),
        [false],
        "nobody has started: nothing is new"
    );
    c.start_seen("alice", 150).expect("start");
    c.start_seen("bob", 150).expect("start");
    c.start_seen("alice", 999)
        .expect("kept from the first call");
    assert_eq!(unread(&c, "alice"), [false], "older than alice's start");
    c.add_messages(&t, &f, vec![mail(2, 200, "b", &["a"], "c1@x")])
        .expect("add");
    assert_eq!(unread(&c, "alice"), [true]);
    assert_eq!(unread(&c, "bob"), [true]);
    let id = c
        .list_window(&crate::cache::TabQuery::default(), "alice", 0, 1)
        .expect("window")[0]
        .conversation
        .id
        .clone();
    c.mark_seen("alice", "support", &id, 250).expect("seen");
    assert_eq!(unread(&c, "alice"), [false], "alice looked");
    assert_eq!(unread(&c, "bob"), [true], "bob did not");
    // Alice's own reply through tanto is not news to her; it is to bob.
    let own = format!("tanto.{id}.alice.k1@ex.com");
    let refs: &'static [&'static str] = &["a", "b"];
    c.add_messages(&t, &f, vec![mail(3, 300, &own, refs, "support@ex.com")])
        .expect("add");
    assert_eq!(unread(&c, "alice"), [false]);
    c.mark_seen("bob", "support", &id, 260).expect("seen");
    assert_eq!(
        unread(&c, "bob"),
        [true],
        "alice's reply came after bob looked"
    );
    // An older look never undoes a newer one.
    c.mark_seen("alice", "support", &id, 10).expect("seen");
    assert_eq!(unread(&c, "alice"), [false]);
}

/// Mentions (issue 23): a teammate's note naming `@bob` puts the conversation in bob's Mine
/// (whatever its status and assignee) with a marker, until bob looks at it; the author's own
/// mention and an address's `@` do not.
#[test]
fn a_note_naming_an_agent_puts_the_conversation_in_their_mine_until_they_look() {
    use crate::activity::Event;
    use crate::cache::TabQuery;
    use tanto_core::event::EventKind;
    use tanto_core::status::Status;
    let t = team();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut c, f) = fresh_inbox(dir.path());
    let mut m = meta(&(1, 100, "", &[], "Order", "c1@x", ""));
    m.headers.message_id = Some("a".into());
    c.add_messages(&t, &f, vec![m]).expect("add");
    let mine = |c: &Cache, me: &str| {
        let q = TabQuery {
            status: Some(Status::Wip),
            assignee: Some(me.to_string()),
            mentioned: Some(me.to_string()),
            ..TabQuery::default()
        };
        let rows = c.list_window(&q, me, 0, 10).expect("window");
        let count = c.status_counts(None, me).expect("counts").mine;
        (rows.iter().map(|r| r.mentioned).collect::<Vec<_>>(), count)
    };
    assert_eq!(mine(&c, "bob"), (vec![], 0));
    let mut log = c
        .folder("support", "Tanto/Activity", FolderRole::Activity)
        .expect("log");
    log.uidvalidity = Some(7);
    let note = |agent: &str, text: &str, at: i64| {
        let mut e = Event::new(EventKind::Note, agent, "a", "", text.to_string());
        e.at = at;
        e
    };
    c.add_events(
        &t,
        &log,
        &[
            (
                1,
                200,
                note(
                    "alice",
                    "@bob could you check the invoice? (mail me@bob.example)",
                    200,
                ),
            ),
            (2, 210, note("ken", "@ken note to self", 210)),
        ],
    )
    .expect("events");
    assert_eq!(
        mine(&c, "bob"),
        (vec![true], 1),
        "a New conversation, not his"
    );
    assert_eq!(mine(&c, "ken"), (vec![], 0), "his own mention");
    assert_eq!(mine(&c, "alice"), (vec![], 0));
    let id = c
        .list_window(&TabQuery::default(), "bob", 0, 1)
        .expect("window")[0]
        .conversation
        .id
        .clone();
    c.mark_seen("bob", "support", &id, 300).expect("seen");
    assert_eq!(mine(&c, "bob"), (vec![], 0), "bob looked");
    c.add_events(&t, &log, &[(3, 400, note("alice", "again, @Bob", 400))])
        .expect("events");
    assert_eq!(
        mine(&c, "bob"),
        (vec![true], 1),
        "a newer note names him again"
    );
}

/// A merge or split event, as the activity folder gives it.
fn edit_event(e: &threading::Edit) -> crate::activity::Event {
    use tanto_core::event::EventKind;
    match e {
        threading::Edit::Merge(a, b) => {
            crate::activity::Event::new(EventKind::Merge, "alice", a, "", String::new())
                .with_into(b)
        }
        threading::Edit::Split(k) => {
            crate::activity::Event::new(EventKind::Split, "alice", k, "", String::new())
        }
    }
}

#[test]
fn merges_and_splits_give_the_ids_of_the_rule_whether_they_come_before_or_after_the_mail() {
    use threading::Edit;
    let edits = [
        Edit::Merge("k".into(), "zz".into()),
        Edit::Split("c".into()),
        Edit::Merge("m".into(), "a".into()),
        Edit::Split("k".into()),
    ];
    let t = team();
    let all: Vec<u32> = (1..=MAILBOX.len() as u32).collect();
    let mut seed: u64 = 11;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    };
    for round in 0..30 {
        let mut order = all.clone();
        for i in (1..order.len()).rev() {
            order.swap(i, next(i + 1));
        }
        // Where each edit comes (in its order): after how many messages.
        let mut at: Vec<usize> = (0..edits.len()).map(|_| next(order.len() + 1)).collect();
        at.sort();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = Cache::open(&dir.path().join("c.sqlite"), false).expect("open");
        let mut f = c
            .folder("support", "INBOX", FolderRole::Inbox)
            .expect("folder");
        f.uidvalidity = Some(1);
        let log = c
            .folder("support", "Tanto/Activity", FolderRole::Activity)
            .expect("log");
        let mut held: Vec<u32> = Vec::new();
        let mut done = 0;
        for step in 0..=order.len() {
            while done < edits.len() && at[done] == step {
                let e = edit_event(&edits[done]);
                c.add_events(&t, &log, &[(done as u32 + 1, 1, e)])
                    .expect("add event");
                done += 1;
                let mails: Vec<u32> = held.clone();
                assert_eq!(
                    cached(&c),
                    oracle_edited(&mails, &edits[..done]),
                    "round {round}: after edit {done} with {held:?}"
                );
            }
            if let Some(uid) = order.get(step) {
                c.add_messages(&t, &f, vec![meta(&MAILBOX[*uid as usize - 1])])
                    .expect("add");
                held.push(*uid);
                assert_eq!(
                    cached(&c),
                    oracle_edited(&held, &edits[..done]),
                    "round {round}: after {uid} with {done} edits ({order:?}, {at:?})"
                );
            }
        }
        for uid in order.iter().rev().take(4) {
            c.remove_messages(&t, f.id, &[*uid]).expect("remove");
            held.retain(|u| u != uid);
            assert_eq!(
                cached(&c),
                oracle_edited(&held, &edits),
                "round {round}: after expunging {uid}"
            );
        }
    }
}

/// What the rule gives for `held` with `edits`.
fn oracle_edited(held: &[u32], edits: &[threading::Edit]) -> BTreeMap<String, String> {
    let t = team();
    let plain = oracle(held);
    let mails = rule_input(&t, held);
    let ids = threading::thread_all_edited(&t.address, &mails, edits);
    let out: BTreeMap<String, String> = mails.into_iter().map(|m| m.key).zip(ids).collect();
    assert_eq!(out.len(), plain.len());
    out
}

/// A reply by subject arriving with nothing earlier to fall back to, before a later reply
/// by subject that had no target either: the later one now falls back to it.
#[test]
fn a_subject_reply_becomes_the_target_of_the_next_even_without_one_of_its_own() {
    let order = [1u32, 3, 12, 5, 4, 2, 9, 7, 13, 11, 10, 8, 6];
    let batches: Vec<Vec<u32>> = order.iter().map(|u| vec![*u]).collect();
    play(&batches, &[]);
}

/// The TUI's `tag:NAME` filter: only conversations with that tag's keyword on a message,
/// the name taken literally (`_` is a tag character, not LIKE's wildcard), whatever the
/// keyword's case on the server.
#[test]
fn a_tab_narrowed_to_a_tag_lists_only_its_conversations() {
    use crate::cache::TabQuery;
    let t = team();
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut c, f) = fresh_inbox(dir.path());
    let specs: [(Spec, &[&str]); 4] = [
        (
            (1, 100, "a", &[], "Order", "c1@x", ""),
            &["\\Seen", "tanto-tag-vip"],
        ),
        (
            (2, 200, "b", &[], "Invoice", "c2@x", ""),
            &["tanto-tag-vipx"],
        ),
        ((3, 300, "c", &[], "Refund", "c3@x", ""), &["Tanto-Tag-VIP"]),
        ((4, 400, "d", &[], "Hello", "c4@x", ""), &["tanto-tag-v_p2"]),
    ];
    let msgs = specs
        .iter()
        .map(|(s, flags)| {
            let mut m = meta(s);
            m.flags = flags.iter().map(|f| f.to_string()).collect();
            m
        })
        .collect();
    c.add_messages(&t, &f, msgs).expect("add");
    let tagged = |tag: &str| {
        let q = TabQuery {
            tag: Some(tag.to_string()),
            ..TabQuery::default()
        };
        let mut subjects: Vec<String> = c
            .list_window(&q, "alice", 0, 10)
            .expect("window")
            .into_iter()
            .map(|r| r.conversation.subject)
            .collect();
        subjects.sort();
        (c.count_tab(&q).expect("count"), subjects)
    };
    assert_eq!(tagged("vip"), (2, vec!["Order".into(), "Refund".into()]));
    assert_eq!(tagged("vipx"), (1, vec!["Invoice".into()]));
    assert_eq!(tagged("v_p"), (0, vec![]), "_ is not a wildcard");
    assert_eq!(tagged("v_p2"), (1, vec!["Hello".into()]));
    assert_eq!(tagged("none"), (0, vec![]));
}
