//! The text filter's index: a trigram FTS5 table over each conversation's subject, customer
//! and assignee, kept by triggers on `conversations`. `conversations` has no rowid, so
//! `conv_keys` gives each (mailbox, id) the number that is its row in `conv_fts`.

/// The triggers that keep `conv_fts` (name, body). A bulk load into an empty cache drops
/// them and fills the index once at its end (`ensure`), as it does with `BULK_INDEXES`.
pub const TRIGGERS: &[(&str, &str)] = &[
    (
        "conv_fts_insert",
        "AFTER INSERT ON conversations
BEGIN
    INSERT INTO conv_keys (mailbox, id) VALUES (new.mailbox, new.id)
        ON CONFLICT (mailbox, id) DO NOTHING;
    INSERT INTO conv_fts (rowid, subject, customer, assignee)
        SELECT n, new.subject, new.customer, COALESCE(new.assignee, '') FROM conv_keys
        WHERE mailbox = new.mailbox AND id = new.id;
END",
    ),
    (
        "conv_fts_delete",
        "AFTER DELETE ON conversations
BEGIN
    DELETE FROM conv_fts WHERE rowid =
        (SELECT n FROM conv_keys WHERE mailbox = old.mailbox AND id = old.id);
    DELETE FROM conv_keys WHERE mailbox = old.mailbox AND id = old.id;
END",
    ),
    (
        "conv_fts_update",
        "AFTER UPDATE OF mailbox, id, subject, customer, assignee ON conversations
    WHEN old.mailbox IS NOT new.mailbox OR old.id IS NOT new.id
        OR old.subject IS NOT new.subject OR old.customer IS NOT new.customer
        OR old.assignee IS NOT new.assignee
BEGIN
    DELETE FROM conv_fts WHERE rowid =
        (SELECT n FROM conv_keys WHERE mailbox = old.mailbox AND id = old.id);
    DELETE FROM conv_keys WHERE mailbox = old.mailbox AND id = old.id;
    INSERT INTO conv_keys (mailbox, id) VALUES (new.mailbox, new.id)
        ON CONFLICT (mailbox, id) DO NOTHING;
    INSERT INTO conv_fts (rowid, subject, customer, assignee)
        SELECT n, new.subject, new.customer, COALESCE(new.assignee, '') FROM conv_keys
        WHERE mailbox = new.mailbox AND id = new.id;
END",
    ),
];

/// The index and its triggers.
pub const KEPT: super::kept::Kept = super::kept::Kept {
    triggers: TRIGGERS,
    rebuild: "DELETE FROM conv_fts; DELETE FROM conv_keys;
         INSERT INTO conv_keys (mailbox, id) SELECT mailbox, id FROM conversations;
         INSERT INTO conv_fts (rowid, subject, customer, assignee)
             SELECT k.n, c.subject, c.customer, COALESCE(c.assignee, '')
             FROM conv_keys k JOIN conversations c ON c.mailbox = k.mailbox AND c.id = k.id;",
};

/// Whether the index is kept (all its triggers are there). After a bulk load it is not: a
/// first sync leaves it to `Cache::build_filter_index` (the TUI builds it in the
/// background), and the filter matches with LIKE until then.
pub fn ready(conn: &rusqlite::Connection) -> rusqlite::Result<bool> {
    KEPT.present(conn)
}

/// The fewest characters the trigram index answers; shorter text is matched with LIKE.
pub const MIN_CHARS: usize = 3;

/// `text` as one FTS5 string (a phrase of its trigrams: a substring match), so that nothing
/// the user types is FTS syntax.
pub fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// Whether the index holds exactly each conversation's subject, customer and assignee.
#[cfg(test)]
pub fn assert_kept(conn: &rusqlite::Connection, when: &str) {
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).expect(sql) };
    let convs = count("SELECT COUNT(*) FROM conversations");
    let same = count(
        "SELECT COUNT(*) FROM conversations c JOIN conv_keys k
           ON k.mailbox = c.mailbox AND k.id = c.id
         JOIN conv_fts f ON f.rowid = k.n
         WHERE f.subject = c.subject AND f.customer = c.customer
           AND f.assignee = COALESCE(c.assignee, '')",
    );
    assert_eq!(same, convs, "conversations indexed as they are, {when}");
    assert_eq!(count("SELECT COUNT(*) FROM conv_keys"), convs, "{when}");
    assert_eq!(count("SELECT COUNT(*) FROM conv_fts"), convs, "{when}");
    let triggers = count(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'conv_fts_%'",
    );
    assert_eq!(triggers, TRIGGERS.len() as i64, "triggers, {when}");
}
