//! Regression guards on the cache's work that are not timings: the query plans of every
//! statement the sync, the list and the resync run, and the rows visited per message synced
//! as the cache grows.

use crate::cache::{Cache, FolderRole, ListFilter, TabQuery, Team};
use tanto_core::model::{Address, FlagUpdate, Headers, MessageMeta};
use tanto_core::status::Status;

fn team() -> Team {
    Team {
        mailbox: "support".into(),
        address: "support@acme.example".into(),
        addresses: vec!["support@acme.example".into()],
    }
}

/// A support mailbox in miniature: about 2,000 customers, 70 % thread starters, 30 % replies
/// (most with In-Reply-To and References, some whose mailer dropped them, so they thread by
/// subject), a share of the replies from the team, dates slightly out of order.
fn message(i: usize) -> MessageMeta {
    let addr = |e: String| Address {
        name: Some(format!("Name {e}")),
        email: e,
    };
    let reply = i % 10 >= 7 && i > 10;
    // A reply answers a message from a little earlier.
    let parent = if reply { i - 1 - (i * 7919) % 10 } else { i };
    let thread = if reply { parent / 3 } else { i / 3 };
    let customer = format!("c{}@cust{}.example", thread % 2000, thread % 97);
    let from = if reply && i % 3 == 0 {
        "support@acme.example".to_string()
    } else {
        customer.clone()
    };
    let subject = format!(
        "{}Order {} has not arrived",
        if reply { "Re: " } else { "" },
        thread
    );
    let links_dropped = reply && i % 5 == 0;
    let refs: Vec<String> = if reply && !links_dropped {
        vec![format!("m{parent}@mail.example")]
    } else {
        Vec::new()
    };
    MessageMeta {
        uid: i as u32 + 1,
        modseq: i as u64 + 1,
        flags: if i % 5 == 0 {
            Vec::new()
        } else {
            vec!["\\Seen".into()]
        },
        internal_date: 1_700_000_000 + i as i64 * 60,
        size: 2000,
        headers: Headers {
            subject,
            from: vec![addr(from)],
            to: vec![addr("support@acme.example".into())],
            date: Some(1_700_000_000 + i as i64 * 60 - (i % 7) as i64 * 45),
            message_id: Some(format!("m{i}@mail.example")),
            in_reply_to: refs.clone(),
            references: refs,
            ..Headers::default()
        },
    }
}

/// Syncs `n` messages into a new cache in batches, as a full sync does.
fn synced(dir: &std::path::Path, n: usize) -> (Cache, crate::cache::FolderState) {
    let mut c = Cache::open(&dir.join("cache.sqlite"), false).expect("open");
    let t = team();
    let folder = c
        .folder("support", "INBOX", FolderRole::Inbox)
        .expect("folder");
    let mut i = 0;
    while i < n {
        let batch: Vec<MessageMeta> = (i..(i + 500).min(n)).map(message).collect();
        c.add_messages(&t, &folder, batch).expect("add");
        i += 500;
    }
    (c, folder)
}

/// Runs every statement of the resync, list and read paths once.
fn exercise_reads_and_resync(c: &mut Cache, folder: &crate::cache::FolderState, n: usize) {
    let t = team();
    let updates: Vec<FlagUpdate> = (1..=10)
        .map(|k| FlagUpdate {
            uid: (k * 97 % n) as u32 + 1,
            modseq: n as u64 + k as u64,
            flags: vec!["\\Seen".into(), "tanto-wip".into()],
        })
        .collect();
    c.update_flags(&t, folder.id, &updates).expect("flags");
    let fresh: Vec<MessageMeta> = (n..n + 10).map(message).collect();
    c.add_messages(&t, folder, fresh).expect("add");
    c.remove_messages(&t, folder.id, &[3, 5]).expect("expunge");
    c.folder_stats(folder).expect("stats");
    c.folder_uids(folder).expect("uids");
    for filter in [
        ListFilter::default(),
        ListFilter {
            status: Some(Status::New),
            ..ListFilter::default()
        },
        ListFilter {
            status: Some(Status::New),
            mailbox: Some("support".into()),
            ..ListFilter::default()
        },
        ListFilter {
            assignee: Some("alice".into()),
            ..ListFilter::default()
        },
    ] {
        c.list(&filter).expect("list");
        c.each_overdue(&filter, 1_700_000_000 + n as i64 * 30, |_| true)
            .expect("overdue");
    }
    for mailbox in [None, Some("support")] {
        c.count_overdue(mailbox, "alice", 1_700_000_000 + n as i64 * 30)
            .expect("overdue counts");
    }
    let conv = c
        .list(&ListFilter::default())
        .expect("list")
        .into_iter()
        .next()
        .expect("a conversation");
    let _ = c.find_conversation(&conv.id).expect("find");
    let _ = c.find_conversation(&conv.id[..6]).expect("find prefix");
    c.messages("support", &conv.id).expect("messages");
    c.events("support", &conv.id).expect("events");
    c.state_message("support", &conv.id).expect("state");
    c.has_event(
        "support",
        "m1@mail.example",
        "alice",
        &tanto_core::event::EventKind::Claim,
        0,
    )
    .expect("has_event");
    c.presence("support", &conv.id).expect("presence");
    // The TUI's tab: its window, size, the selection's position and the counts per tab.
    for q in [
        TabQuery {
            status: Some(Status::New),
            ..TabQuery::default()
        },
        TabQuery {
            status: Some(Status::Wip),
            assignee: Some("alice".into()),
            ..TabQuery::default()
        },
        TabQuery {
            status: Some(Status::New),
            text: Some("order 12".into()),
            ..TabQuery::default()
        },
    ] {
        c.list_window(&q, "alice", 40, 60).expect("window");
        c.count_tab(&q).expect("count");
        c.position_in_tab(&q, "support", &conv.id)
            .expect("position");
    }
    // The TUI's filter as typed: one query for the keys (the trigram index from 3
    // characters on, LIKE over the tab below), then the window's rows by key.
    for text in ["o", "or", "order 12"] {
        let q = TabQuery {
            status: Some(Status::New),
            text: Some(text.into()),
            ..TabQuery::default()
        };
        let keys = c.filtered_keys(&q).expect("keys");
        c.rows_of(&keys[..keys.len().min(60)], "alice")
            .expect("rows");
    }
    crate::cache::fts::assert_kept(&c.conn, "after the resync");
    c.status_counts(None, "alice").expect("counts");
}

/// Statements that may sort or scan, and why.
const ALLOWED: &[(&str, &str)] = &[
    // One conversation's messages in date order: a handful of rows, found by index.
    ("ORDER BY COALESCE(m.date", "USE TEMP B-TREE"),
    // One conversation's events in time order: a handful of rows, found by index.
    ("ORDER BY 3, 7", "USE TEMP B-TREE"),
    // `tanto list --overdue`: the overdue range of two tabs, found by the tab index and
    // merged longest-waiting first; every row of it is printed, once per command.
    (
        "last_received <= ?1 ORDER BY last_received, id",
        "USE TEMP B-TREE FOR ORDER BY",
    ),
    (
        "last_received <= ?1 AND",
        "USE TEMP B-TREE FOR LAST TERM OF ORDER BY",
    ),
    // The notes that name anyone (a partial index of them), once per statement: the set of
    // conversations where a teammate named the agent (the Mine tab, its count, a row's `@`).
    ("e.mentions != ''", "SCAN e USING INDEX events_mentions"),
    // The folders of a join: a few rows.
    ("JOIN folders f", "SCAN f"),
    // A count for reports and tests.
    ("SELECT COUNT(*) FROM messages", "SCAN messages"),
    // Whether a kept table's triggers are there: the schema, a few dozen rows.
    ("FROM sqlite_master", "SCAN sqlite_master"),
    // The kept tab counts: a row per (mailbox, status, assignee).
    ("FROM tab_counts", "SCAN tab_counts"),
    ("FROM tab_counts", "USE TEMP B-TREE FOR GROUP BY"),
    // The filter's match in cached bodies, once per query: only the opened mail is cached.
    ("FROM bodies b", "SCAN b"),
    // The trigram index's matches, in the tab's order: the matches are sorted (they are
    // what the index found, not an order).
    ("conv_fts MATCH", "SCAN conv_fts VIRTUAL TABLE"),
    ("conv_fts MATCH", "USE TEMP B-TREE FOR ORDER BY"),
    // The filter's set of matches, built once per query.
    ("conv_fts MATCH", "USE TEMP B-TREE FOR UNION"),
    // The filter reads the index's hits first (the subquery `h`), then each conversation by
    // its key: the scan is of the hits, not of a table.
    ("CROSS JOIN conversations c ON c.mailbox = h.hm", "SCAN h"),
    // The upkeep of the index on a conversation's write: one row, by its number.
    ("conv_fts", "SCAN conv_fts VIRTUAL TABLE INDEX 0:="),
];

fn allowed(sql: &str, step: &str) -> bool {
    // The whole list (of every mailbox, or of the one there is) is every row: walked in the
    // order shown, by its index, never sorted. A tab or an agent's list is never walked.
    let whole_list = sql.contains("FROM conversations WHERE messages > 0")
        && !sql.contains("status =")
        && !sql.contains("assignee =");
    if whole_list && step == "SCAN conversations USING COVERING INDEX conversations_recent" {
        return true;
    }
    ALLOWED
        .iter()
        .any(|(s, p)| sql.contains(s) && step.contains(p))
}

/// A step that walks a whole table (or a whole index of one) or sorts what an index
/// should give in order.
fn bad_step(step: &str) -> bool {
    let scan = step.starts_with("SCAN ") && !step.contains("CONSTANT ROW");
    scan || step.contains("USE TEMP B-TREE") || step.contains("AUTOMATIC")
}

#[test]
fn no_statement_of_the_sync_list_or_resync_scans_a_table_or_sorts_what_an_index_orders() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut c, folder) = synced(dir.path(), 1500);
    exercise_reads_and_resync(&mut c, &folder, 1500);
    let stats = c.statement_stats(true);
    assert!(stats.len() > 20, "too few statements seen: {}", stats.len());
    let mut bad = Vec::new();
    for s in &stats {
        let plan = c.query_plan(&s.sql).expect("explain");
        for step in plan {
            if bad_step(&step) && !allowed(&s.sql, &step) {
                bad.push(format!(
                    "{step}\n    in: {}",
                    s.sql.split_whitespace().collect::<Vec<_>>().join(" ")
                ));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "plans that scan or sort:\n{}",
        bad.join("\n")
    );
}

/// The VM steps and full-scan steps per message of syncing `n` messages, and the worst
/// statements (for the failure message).
fn work_per_message(n: usize) -> (f64, f64, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Cache::open(&dir.path().join("cache.sqlite"), false).expect("open");
    let t = team();
    let folder = c
        .folder("support", "INBOX", FolderRole::Inbox)
        .expect("folder");
    c.statement_stats(true);
    let mut totals: std::collections::BTreeMap<String, (u64, u64)> = Default::default();
    let mut i = 0;
    while i < n {
        let batch: Vec<MessageMeta> = (i..(i + 500).min(n)).map(message).collect();
        c.add_messages(&t, &folder, batch).expect("add");
        // Read after every batch: a statement evicted from the cache would take its
        // counters with it.
        for s in c.statement_stats(true) {
            let e = totals.entry(s.sql).or_default();
            e.0 += s.vm_steps;
            e.1 += s.fullscan_steps;
        }
        i += 500;
    }
    let vm: u64 = totals.values().map(|v| v.0).sum();
    let scan: u64 = totals.values().map(|v| v.1).sum();
    let mut worst: Vec<_> = totals.into_iter().collect();
    worst.sort_by_key(|(_, v)| std::cmp::Reverse(v.0));
    let top = worst
        .iter()
        .take(5)
        .map(|(sql, (vm, fs))| {
            format!(
                "  {:.1} steps/msg, {:.1} scan/msg: {}",
                *vm as f64 / n as f64,
                *fs as f64 / n as f64,
                sql.split_whitespace().collect::<Vec<_>>().join(" ")
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    (vm as f64 / n as f64, scan as f64 / n as f64, top)
}

#[test]
fn the_rows_visited_per_message_synced_do_not_grow_with_the_cache() {
    let (vm_small, scan_small, top_small) = work_per_message(2_000);
    let (vm_big, scan_big, top_big) = work_per_message(20_000);
    let report = format!(
        "2k: {vm_small:.1} steps/msg, {scan_small:.2} scan steps/msg\n{top_small}\n\
         20k: {vm_big:.1} steps/msg, {scan_big:.2} scan steps/msg\n{top_big}"
    );
    eprintln!("{report}");
    assert!(
        vm_big <= 1.5 * vm_small,
        "work per message grows:\n{report}"
    );
    assert!(
        scan_big <= 1.5 * scan_small + 0.01,
        "full scans per message grow:\n{report}"
    );
}

/// A bulk load's batches are copied from the WAL into the file while it goes on (a thread of
/// its own), not all at the close after the last byte: by the end of the load most of its
/// pages are in the file, and what the close still copies is what the load's last
/// transaction wrote.
#[test]
fn a_bulk_load_is_copied_into_the_file_as_it_goes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cache.sqlite");
    let mut c = Cache::open(&path, false).expect("open");
    let t = team();
    let mut folder = c
        .folder("support", "INBOX", FolderRole::Inbox)
        .expect("folder");
    folder.uidvalidity = Some(1);
    assert!(c.bulk_wanted(&t, &folder).expect("wanted"));
    let mut load = c.bulk_open(&t).expect("load");
    for start in (0..6000).step_by(1000) {
        let batch: Vec<MessageMeta> = (start..start + 1000).map(message).collect();
        c.bulk_add(&mut load, &t, &folder, batch).expect("add");
    }
    let rows_size = |c: &Cache| -> u64 {
        c.conn
            .query_row(
                "SELECT SUM(LENGTH(subject) + LENGTH(customer)) FROM messages",
                [],
                |r| r.get::<_, i64>(0),
            )
            .expect("size") as u64
    };
    let rows = rows_size(&c);
    let pages = |c: &Cache| -> u64 {
        c.conn
            .query_row("PRAGMA page_count", [], |r| r.get::<_, i64>(0))
            .expect("pages") as u64
            * crate::cache::PAGE_BYTES as u64
    };
    let before_end = pages(&c);
    c.bulk_finish(load).expect("finish");
    let file = std::fs::metadata(&path).expect("file").len();
    // What the load's end wrote and what of it the close still has to copy (pages only in the
    // WAL): its first transactions (the messages' indexes, the thread ids) are copied while
    // the last runs. In one transaction, the close copied all of it.
    let (end_wrote, end_waits) = (pages(&c) - before_end, pages(&c).saturating_sub(file));
    assert!(
        end_waits <= end_wrote * 3 / 4,
        "the close copies {end_waits} of the {end_wrote} bytes the load's end wrote"
    );
    // Before, the file held the schema alone (tens of KB) until the close.
    assert!(
        file > rows,
        "the file holds {file} bytes; the rows alone are {rows}"
    );
}

/// A new cache has 16 KiB pages (a quarter of the system calls of a first sync); a cache
/// made before keeps its 4 KiB pages (SQLite fixes the size with the first page).
#[test]
fn a_new_cache_has_big_pages_and_an_old_one_keeps_its_own() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = |c: &Cache| -> i64 {
        c.conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .expect("page size")
    };
    let new = Cache::open(&dir.path().join("new.sqlite"), false).expect("open");
    assert_eq!(page(&new), 16384);
    let old_path = dir.path().join("old.sqlite");
    {
        let old = rusqlite::Connection::open(&old_path).expect("old");
        old.execute_batch("PRAGMA page_size = 4096; CREATE TABLE early (x)")
            .expect("an early cache");
    }
    let old = Cache::open(&old_path, false).expect("open old");
    assert_eq!(page(&old), 4096);
}
