//! The kept tab counts (`tab_counts`): how many listed conversations each (mailbox, status,
//! assignee) holds, kept by triggers on `conversations`. A bulk load into an empty cache
//! drops the triggers (each fired once per row, and made every row's insert keep a
//! statement journal) and counts once at its end (`ensure`), as it does with `BULK_INDEXES`.

/// The triggers that keep `tab_counts` (name, body); `migrate` creates them.
pub const TRIGGERS: &[(&str, &str)] = &[
    (
        "tab_counts_insert",
        "AFTER INSERT ON conversations WHEN new.messages > 0
BEGIN
    INSERT INTO tab_counts (mailbox, status, assignee, n)
        VALUES (new.mailbox, new.status, COALESCE(new.assignee, ''), 1)
        ON CONFLICT (mailbox, status, assignee) DO UPDATE SET n = n + 1;
END",
    ),
    (
        "tab_counts_delete",
        "AFTER DELETE ON conversations WHEN old.messages > 0
BEGIN
    UPDATE tab_counts SET n = n - 1 WHERE mailbox = old.mailbox AND status = old.status
        AND assignee = COALESCE(old.assignee, '');
END",
    ),
    (
        "tab_counts_update",
        "AFTER UPDATE OF mailbox, status, assignee, messages
    ON conversations
    WHEN (old.messages > 0) != (new.messages > 0) OR old.mailbox IS NOT new.mailbox
        OR old.status IS NOT new.status OR old.assignee IS NOT new.assignee
BEGIN
    UPDATE tab_counts SET n = n - 1 WHERE old.messages > 0 AND mailbox = old.mailbox
        AND status = old.status AND assignee = COALESCE(old.assignee, '');
    INSERT INTO tab_counts (mailbox, status, assignee, n)
        SELECT new.mailbox, new.status, COALESCE(new.assignee, ''), 1 WHERE new.messages > 0
        ON CONFLICT (mailbox, status, assignee) DO UPDATE SET n = n + 1;
END",
    ),
];

/// The counts and their triggers.
pub const KEPT: super::kept::Kept = super::kept::Kept {
    triggers: TRIGGERS,
    rebuild: "DELETE FROM tab_counts;
         INSERT INTO tab_counts (mailbox, status, assignee, n)
             SELECT mailbox, status, COALESCE(assignee, ''), COUNT(*) FROM conversations
             WHERE messages > 0 GROUP BY 1, 2, 3;",
};

#[cfg(test)]
mod tests {
    use super::*;

    /// A new cache has the triggers as written here (a bulk load puts back the same).
    #[test]
    fn a_migrated_cache_has_the_triggers_as_written() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("open");
        crate::cache::schema::migrate(&mut conn).expect("migrate");
        for (name, body) in TRIGGERS {
            let want = format!("CREATE TRIGGER {name} {body}");
            crate::cache::kept::assert_created_as(&conn, "trigger", name, &want);
        }
    }

    #[test]
    fn ensure_counts_what_the_triggers_would_have_kept() {
        let mut conn = rusqlite::Connection::open_in_memory().expect("open");
        crate::cache::schema::migrate(&mut conn).expect("migrate");
        KEPT.drop_triggers(&conn).expect("drop");
        conn.execute_batch(
            "INSERT INTO conversations (mailbox, id, root_date, root_key, status, assignee, messages)
             VALUES ('s', 'a', 0, 'a', 'new', NULL, 1), ('s', 'b', 0, 'b', 'new', NULL, 2),
                    ('s', 'c', 0, 'c', 'wip', 'ann', 1), ('s', 'd', 0, 'd', 'new', NULL, 0);",
        )
        .expect("rows");
        KEPT.ensure(&conn).expect("ensure");
        let rows: Vec<(String, String, i64)> = conn
            .prepare("SELECT status, assignee, n FROM tab_counts ORDER BY 1")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            rows,
            [
                ("new".into(), "".into(), 2),
                ("wip".into(), "ann".into(), 1)
            ]
        );
        // Kept from now on.
        conn.execute("DELETE FROM conversations WHERE id = 'a'", [])
            .expect("delete");
        let n: i64 = conn
            .query_row("SELECT n FROM tab_counts WHERE status = 'new'", [], |r| {
                r.get(0)
            })
            .expect("n");
        assert_eq!(n, 1);
    }
}
