//! Tables kept by triggers on `conversations` (the tab counts, the filter's index). A bulk
//! load into an empty cache drops their triggers (fired once per row they cost more than
//! the load) and rebuilds each table once at its end.

/// A derived table and the triggers that keep it.
pub struct Kept {
    /// (name, body) of each trigger.
    pub triggers: &'static [(&'static str, &'static str)],
    /// The statements that rebuild the table from `conversations`.
    pub rebuild: &'static str,
}

impl Kept {
    /// Drops the triggers (the table is stale until `ensure`).
    pub fn drop_triggers(&self, tx: &rusqlite::Connection) -> rusqlite::Result<()> {
        for (name, _) in self.triggers {
            tx.execute_batch(&format!("DROP TRIGGER IF EXISTS {name}"))?;
        }
        Ok(())
    }

    /// Whether every trigger is there (the table is kept).
    pub fn present(&self, conn: &rusqlite::Connection) -> rusqlite::Result<bool> {
        let mut st =
            conn.prepare_cached("SELECT name FROM sqlite_master WHERE type = 'trigger'")?;
        let names = st
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(self
            .triggers
            .iter()
            .all(|(name, _)| names.iter().any(|n| n == name)))
    }

    /// Rebuilds the table and creates the triggers, unless they are all there (then the
    /// table is already kept).
    pub fn ensure(&self, tx: &rusqlite::Connection) -> rusqlite::Result<()> {
        if self.present(tx)? {
            return Ok(());
        }
        self.drop_triggers(tx)?;
        tx.execute_batch(self.rebuild)?;
        for (name, body) in self.triggers {
            tx.execute_batch(&format!("CREATE TRIGGER {name} {body}"))?;
        }
        Ok(())
    }
}

/// Whether the schema's `kind` object `name` was created by exactly `want` (whitespace aside).
#[cfg(test)]
pub fn assert_created_as(conn: &rusqlite::Connection, kind: &str, name: &str, want: &str) {
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = ?1 AND name = ?2",
            [kind, name],
            |r| r.get(0),
        )
        .expect(name);
    assert_eq!(
        sql.split_whitespace().collect::<Vec<_>>(),
        want.split_whitespace().collect::<Vec<_>>()
    );
}
