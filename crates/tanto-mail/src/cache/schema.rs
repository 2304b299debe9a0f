//! The cache schema and its migrations, keyed by SQLite's `user_version`.

use rusqlite::Connection;

/// Each entry migrates from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // v1
    r#"
CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    mailbox TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,            -- inbox | sent
    uidvalidity INTEGER,
    highestmodseq INTEGER,
    uidnext INTEGER,
    complete INTEGER NOT NULL DEFAULT 0,
    synced_at INTEGER,
    UNIQUE (mailbox, name)
);
CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    mailbox TEXT NOT NULL,
    modseq INTEGER NOT NULL DEFAULT 0,
    flags TEXT NOT NULL DEFAULT '',
    internal_date INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    date INTEGER,
    subject TEXT NOT NULL DEFAULT '',
    from_name TEXT,
    from_email TEXT NOT NULL DEFAULT '',
    to_json TEXT NOT NULL DEFAULT '[]',
    cc_json TEXT NOT NULL DEFAULT '[]',
    message_id TEXT,
    thread_key TEXT NOT NULL,
    in_reply_to TEXT NOT NULL DEFAULT '',
    refs TEXT NOT NULL DEFAULT '',
    list_id TEXT,
    auto_submitted TEXT,
    precedence TEXT,
    x_autoreply TEXT,
    content_type TEXT,
    noise TEXT,                    -- the rules' reason, or NULL for customer mail
    direction TEXT NOT NULL,       -- in | out
    customer TEXT NOT NULL DEFAULT '',
    conv TEXT NOT NULL,
    UNIQUE (folder_id, uid)
);
CREATE INDEX messages_conv ON messages (mailbox, conv);
CREATE TABLE thread_ids (
    mailbox TEXT NOT NULL,
    msgid TEXT NOT NULL,
    conv TEXT NOT NULL,
    PRIMARY KEY (mailbox, msgid)
) WITHOUT ROWID;
CREATE INDEX thread_ids_conv ON thread_ids (mailbox, conv);
CREATE TABLE conversations (
    mailbox TEXT NOT NULL,
    id TEXT NOT NULL,
    root_date INTEGER NOT NULL,
    root_key TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    subject_norm TEXT NOT NULL DEFAULT '',
    customer TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'new',
    assignee TEXT,
    previous_assignee TEXT,
    messages INTEGER NOT NULL DEFAULT 0,
    last_received INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (mailbox, id)
) WITHOUT ROWID;
CREATE INDEX conversations_subject ON conversations (mailbox, subject_norm, customer);
CREATE INDEX conversations_list ON conversations (status, last_received);
CREATE INDEX conversations_id ON conversations (id);
CREATE TABLE bodies (
    folder_id INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    raw BLOB NOT NULL,
    PRIMARY KEY (folder_id, uid)
) WITHOUT ROWID;
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires INTEGER NOT NULL
);
"#,
    // v2: the activity log and presence
    r#"
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    mailbox TEXT NOT NULL,
    about TEXT NOT NULL,
    conversation TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    agent TEXT NOT NULL,
    at INTEGER NOT NULL,
    status TEXT,
    owner TEXT,
    text TEXT NOT NULL DEFAULT '',
    UNIQUE (folder_id, uid)
);
CREATE INDEX events_about ON events (mailbox, about);
CREATE INDEX events_conversation ON events (mailbox, conversation);
CREATE TABLE presence (
    mailbox TEXT NOT NULL,
    conv TEXT NOT NULL,
    agent TEXT NOT NULL,
    kind TEXT NOT NULL,
    expires INTEGER NOT NULL,
    PRIMARY KEY (mailbox, conv, agent)
) WITHOUT ROWID;
CREATE TABLE changes (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    counter INTEGER NOT NULL
);
INSERT INTO changes (id, counter) VALUES (1, 0);
"#,
    // v3: ids from the server's state alone (mixed with the shared address), threading by
    // subject per message. Ids changed: everything derived is cleared and synced again.
    r#"
DELETE FROM messages; DELETE FROM thread_ids; DELETE FROM conversations; DELETE FROM bodies;
DELETE FROM events; DELETE FROM presence; DELETE FROM folders;
ALTER TABLE messages ADD COLUMN tdate INTEGER NOT NULL DEFAULT 0;         -- Date, else arrival
ALTER TABLE messages ADD COLUMN subject_norm TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN fallback INTEGER NOT NULL DEFAULT 0;      -- threads by subject
CREATE INDEX messages_subject ON messages (mailbox, subject_norm, customer, tdate, thread_key);
ALTER TABLE conversations ADD COLUMN root_id TEXT NOT NULL DEFAULT '';
DROP INDEX conversations_subject;
UPDATE changes SET counter = counter + 1 WHERE id = 1;
"#,
    // v4: the list in the order it is shown, straight from an index: all of it, one status
    // tab, one agent's conversations (no scan, no sort of every conversation).
    r#"
DROP INDEX conversations_list;
CREATE INDEX conversations_recent ON conversations (last_received DESC, id);
CREATE INDEX conversations_tab ON conversations (status, last_received DESC, id);
CREATE INDEX conversations_assignee ON conversations (assignee, last_received DESC, id);
"#,
    // v5: a mailbox being loaded in bulk (its rows are not threaded yet; see `bulk`).
    r#"
ALTER TABLE folders ADD COLUMN loading INTEGER NOT NULL DEFAULT 0;
"#,
    // v6: the TUI's tab counts without counting: how many listed conversations each
    // (mailbox, status, assignee) holds, kept by triggers whatever writes the conversations
    // (sync, bulk load, reset; see `tab_counts`); and the tab index made partial, so that it
    // alone answers a tab's window, count and positions (no look-up of each row for
    // `messages > 0`).
    r#"
CREATE TABLE tab_counts (
    mailbox TEXT NOT NULL,
    status TEXT NOT NULL,
    assignee TEXT NOT NULL,        -- '' for none
    n INTEGER NOT NULL,
    PRIMARY KEY (mailbox, status, assignee)
) WITHOUT ROWID;
-- The counts and their triggers come from `tab_counts::KEPT`, which `migrate` ensures.
DROP INDEX conversations_tab;
CREATE INDEX conversations_tab ON conversations (status, last_received DESC, id)
    WHERE messages > 0;
"#,
    // v7: the text filter's trigram index (see `fts`); its triggers and its rows come from
    // `fts::KEPT`: `migrate` creates them in an empty cache; after a bulk load
    // `Cache::build_filter_index` fills the index.
    r#"
CREATE TABLE conv_keys (
    n INTEGER PRIMARY KEY,
    mailbox TEXT NOT NULL,
    id TEXT NOT NULL,
    UNIQUE (mailbox, id)
);
CREATE VIRTUAL TABLE conv_fts USING fts5(subject, customer, assignee, tokenize = 'trigram');
"#,
    // v8: the whole list (`list --json`) straight from its index: every column it prints is
    // in the index, so no row is looked up by its key (that look-up was most of the time).
    r#"
DROP INDEX IF EXISTS conversations_recent;
CREATE INDEX conversations_recent ON conversations (last_received DESC, id, mailbox, subject,
    customer, status, assignee, previous_assignee, messages) WHERE messages > 0;
"#,
    // v9: a conversation's summary from its index alone: the columns it is made of are in
    // the index (a first sync reads every conversation's members in index order; a look-up
    // of each row was a random read of the table).
    r#"
DROP INDEX IF EXISTS messages_conv;
CREATE INDEX messages_conv ON messages (mailbox, conv, direction, internal_date, uid, flags,
    noise, subject, customer);
"#,
    // v10: this host's journal of replies SMTP accepted whose Sent copy may not be written
    // yet: a send killed between the two is finished by the next sync on this host instead
    // of being called uncertain. Not server data: `clear` keeps it.
    r#"
CREATE TABLE smtp_accepted (
    message_id TEXT PRIMARY KEY,
    at INTEGER NOT NULL
) WITHOUT ROWID;
"#,
    // v11: the outbox as last seen (each sync's outbox pass writes it): what the reader shows
    // of a conversation's queued replies. Shown only; every act on a queued reply reads the
    // server first.
    r#"
CREATE TABLE outbox_seen (
    mailbox TEXT NOT NULL,
    message_id TEXT NOT NULL,
    conversation TEXT NOT NULL,
    author TEXT NOT NULL,
    standing TEXT NOT NULL,
    send_at INTEGER NOT NULL,
    PRIMARY KEY (mailbox, message_id)
) WITHOUT ROWID;
"#,
    // v12: coordination through the log (`core::log`): each change record's base, whether it
    // stands, and each conversation's standing record (derived: rebuilt from the events).
    r#"
ALTER TABLE events ADD COLUMN base TEXT;
ALTER TABLE events ADD COLUMN void INTEGER NOT NULL DEFAULT 0;
CREATE TABLE log_state (
    mailbox TEXT NOT NULL,
    conv TEXT NOT NULL,
    uid INTEGER NOT NULL,
    about TEXT NOT NULL,
    status TEXT NOT NULL,
    owner TEXT,
    PRIMARY KEY (mailbox, conv)
) WITHOUT ROWID;
"#,
    // v13: the messages without a state keyword and the claimed ones, each in its own small
    // index, so that every sync can check them against the server's SEARCH (`audit`)
    // without reading the whole folder.
    r#"
CREATE INDEX messages_stateless ON messages (folder_id, uid)
    WHERE instr(lower(flags), 'tanto-done') = 0 AND instr(lower(flags), 'tanto-wip') = 0
        AND instr(lower(flags), 'tanto-noise') = 0;
CREATE INDEX messages_claimed ON messages (folder_id, uid)
    WHERE instr(lower(flags), 'tanto-wip') > 0;
"#,
    // v14: presence read from the server (agents on other hosts), told apart from this host's
    // heartbeats so that the server's word replaces only its own rows.
    r#"
ALTER TABLE presence ADD COLUMN remote INTEGER NOT NULL DEFAULT 0;
"#,
    // v15: the two indexes of v13 dropped: the check runs every 5 minutes at most, in a
    // long-running process, where a scan of the folder is on nobody's way, while every cold
    // sync built them and every flag change kept them.
    r#"
DROP INDEX IF EXISTS messages_stateless;
DROP INDEX IF EXISTS messages_claimed;
"#,
    // v16: the customer's display name beside their address (`Summary::customer_name`), so
    // that the list reads it with its window instead of a message row per row. Filled for
    // the cached conversations from the message their customer comes from (the one of
    // `last_received` with that customer; a few rows each, through `messages_conv`), and
    // kept by every summary written from now on. The whole list's index covers it.
    r#"
ALTER TABLE conversations ADD COLUMN customer_name TEXT;
UPDATE conversations SET customer_name = (
    SELECT CASE WHEN lower(m.from_email) = m.customer
        AND trim(coalesce(m.from_name, '')) != '' THEN m.from_name END
    FROM messages m
    WHERE m.mailbox = conversations.mailbox AND m.conv = conversations.id
      AND m.internal_date = conversations.last_received AND m.customer = conversations.customer
    ORDER BY m.uid DESC LIMIT 1)
WHERE messages > 0;
DROP INDEX IF EXISTS conversations_recent;
CREATE INDEX conversations_recent ON conversations (last_received DESC, id, mailbox, subject,
    customer, status, assignee, previous_assignee, messages, customer_name) WHERE messages > 0;
UPDATE changes SET counter = counter + 1 WHERE id = 1;
"#,
    // v17: what each agent last looked at (personal unread, never the server's \Seen): one
    // row per (agent, conversation), and a row with empty mailbox and conversation for when
    // the agent started on this cache (what was there before is not new to them).
    r#"
CREATE TABLE agent_seen (
    agent TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    conv TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (agent, mailbox, conv)
) WITHOUT ROWID;
-- The first UID of a Sent folder that came after its first full sync: only mail from there
-- on can be a reply sent from another mail client (what was there before is history).
ALTER TABLE folders ADD COLUMN watched_from INTEGER;
-- The agents a note names (`@bob`), as " bob ken ", so a mention is one indexed LIKE away.
ALTER TABLE events ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
CREATE INDEX events_mentions ON events (mentions) WHERE mentions != '';
"#,
    // v18: a merge's other side (`X-Tanto-Into`), looked up from both ends when threading.
    r#"
ALTER TABLE events ADD COLUMN into_key TEXT;
CREATE INDEX events_into ON events (mailbox, into_key) WHERE into_key IS NOT NULL;
"#,
    // v19: the tags a tag, untag or rule record names (`X-Tanto-Tags`): where the server keeps
    // no keywords of ours, a conversation's tags are folded from these records in log order.
    // Earlier records have none (tags were keywords only), so nothing is read again.
    r#"
ALTER TABLE events ADD COLUMN tags TEXT;
CREATE INDEX events_tags ON events (folder_id, uid) WHERE tags IS NOT NULL;
"#,
    // v20: the few messages that carry a tag keyword, so that a list's tags and a tag filter
    // read those alone instead of every message's flags; mail by arrival, so that what is
    // unread to an agent (only mail after their start can be) is a range, not a scan of
    // every message (2.3 MB of page cache per `tanto list --json` at 10k messages, each).
    r#"
CREATE INDEX messages_tagged ON messages (mailbox, conv, flags) WHERE flags LIKE '%tanto-tag-%';
CREATE INDEX messages_arrival ON messages (internal_date);
"#,
];

/// The secondary indexes a bulk load into an empty cache drops and builds again at its end
/// (one sort instead of a random insert per row): as the migrations above create them.
pub const BULK_INDEXES: &[(&str, &str)] = &[
    (
        "messages_conv",
        "messages (mailbox, conv, direction, internal_date, uid, flags, noise, subject, customer)",
    ),
    (
        "messages_subject",
        "messages (mailbox, subject_norm, customer, tdate, thread_key)",
    ),
    ("messages_arrival", "messages (internal_date)"),
    ("thread_ids_conv", "thread_ids (mailbox, conv)"),
    ("conversations_id", "conversations (id)"),
    (
        "conversations_recent",
        "conversations (last_received DESC, id, mailbox, subject, customer, status, assignee,
            previous_assignee, messages, customer_name) WHERE messages > 0",
    ),
    (
        "conversations_tab",
        "conversations (status, last_received DESC, id) WHERE messages > 0",
    ),
    (
        "conversations_assignee",
        "conversations (assignee, last_received DESC, id)",
    ),
];

/// The schema version this build writes.
pub const VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings the schema up to date; several processes may call this at once.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<u32> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as u32)?;
    }
    let loading = tx
        .prepare("SELECT 1 FROM folders WHERE loading = 1")?
        .exists([])?;
    if !loading {
        super::tab_counts::KEPT.ensure(&tx)?;
        // A new cache keeps the filter's index from its first row; one a bulk load filled
        // is indexed by `Cache::build_filter_index`, not on every open.
        let empty = !tx.prepare("SELECT 1 FROM conversations")?.exists([])?;
        if empty {
            super::fts::KEPT.ensure(&tx)?;
        }
    }
    tx.commit()?;
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bulk_indexes_are_the_schemas() {
        let mut conn = Connection::open_in_memory().expect("open");
        migrate(&mut conn).expect("migrate");
        for (name, on) in BULK_INDEXES {
            let want = format!("CREATE INDEX {name} ON {on}");
            crate::cache::kept::assert_created_as(&conn, "index", name, &want);
        }
    }

    /// A cache as a build of schema `version` left it.
    fn at_version(version: u32) -> Connection {
        let conn = Connection::open_in_memory().expect("open");
        for sql in &MIGRATIONS[..version as usize] {
            conn.execute_batch(sql).expect("old schema");
        }
        conn.pragma_update(None, "user_version", version)
            .expect("version");
        conn
    }

    #[test]
    fn an_upgraded_cache_shows_the_names_its_messages_give_at_once() {
        let mut conn = at_version(15);
        // Conversation a: the customer's named mail (address in another case), then the
        // team's answer. b: a contact form (its sender is the form). c: a blank name.
        conn.execute_batch(
            "INSERT INTO messages (folder_id, uid, mailbox, thread_key, direction, conv,
                 internal_date, from_name, from_email, customer) VALUES
               (1, 1, 'support', 'k1', 'in', 'a', 100, '山田 花子', 'C@x', 'c@x'),
               (1, 2, 'support', 'k2', 'out', 'a', 200, 'Support', 'support@x', 'c@x'),
               (1, 3, 'support', 'k3', 'in', 'b', 300, 'Contact Form', 'support@x', 'd@x'),
               (1, 4, 'support', 'k4', 'in', 'c', 400, ' ', 'e@x', 'e@x');
             INSERT INTO conversations (mailbox, id, root_date, root_key, customer, messages,
                 last_received) VALUES
               ('support', 'a', 0, 'k1', 'c@x', 2, 100),
               ('support', 'b', 0, 'k3', 'd@x', 1, 300),
               ('support', 'c', 0, 'k4', 'e@x', 1, 400);",
        )
        .expect("old rows");
        assert_eq!(migrate(&mut conn).expect("migrate"), 15);
        let names: Vec<(String, Option<String>)> = conn
            .prepare("SELECT id, customer_name FROM conversations ORDER BY id")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows");
        assert_eq!(
            names,
            [
                ("a".to_string(), Some("山田 花子".to_string())),
                ("b".to_string(), None),
                ("c".to_string(), None)
            ]
        );
    }

    #[test]
    fn a_cache_of_the_old_id_scheme_is_cleared_so_that_the_next_sync_fetches_everything() {
        let mut conn = at_version(2);
        conn.execute_batch(
            "INSERT INTO folders (mailbox, name, role, uidvalidity, complete)
                 VALUES ('support', 'INBOX', 'inbox', 7, 1);
             INSERT INTO messages (folder_id, uid, mailbox, thread_key, direction, conv)
                 VALUES (1, 1, 'support', 'a', 'in', 'oldid');
             INSERT INTO conversations (mailbox, id, root_date, root_key) VALUES ('support', 'oldid', 0, 'a');",
        )
        .expect("old rows");
        assert_eq!(migrate(&mut conn).expect("migrate"), 2);
        let count = |t: &str| -> i64 {
            conn.query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                .expect("count")
        };
        for t in ["folders", "messages", "conversations"] {
            assert_eq!(count(t), 0, "{t}");
        }
        let v: u32 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(v, VERSION);
    }
}
