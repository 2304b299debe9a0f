//! What one tab of the list shows: the filter (status, assignee, mailbox, customer, text)
//! and the one place its SQL is built, with the values bound where the SQL is written.

use rusqlite::types::Value;
use tanto_core::status::Status;

use super::fts;

/// Which conversations to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<Status>,
    pub assignee: Option<String>,
    pub mailbox: Option<String>,
}

/// Which conversations one TUI tab shows, narrowed by what the user typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TabQuery {
    pub status: Option<Status>,
    pub assignee: Option<String>,
    pub mailbox: Option<String>,
    /// Only this customer's conversations.
    pub customer: Option<String>,
    /// Case-insensitive text in the subject, the customer, the assignee or a cached body.
    pub text: Option<String>,
    /// Also the conversations where a teammate's note names this agent (`@id`) since they
    /// last looked (the Mine tab's mentions), whatever the status and assignee above.
    pub mentioned: Option<String>,
    /// Only conversations with this tag (the keyword `tanto-tag-<name>` on any message).
    pub tag: Option<String>,
}

/// The most matches a filter of one or two characters lists (they match most of a tab,
/// without the trigram index).
pub const SHORT_TEXT_CAP: usize = 1000;

/// `%text%` for LIKE, with LIKE's own wildcards escaped.
pub(super) fn like_pattern(text: &str) -> String {
    format!("%{}%", like_escaped(text))
}

/// `text` for a LIKE pattern with `ESCAPE '\\'`: its own wildcards taken literally.
pub(super) fn like_escaped(text: &str) -> String {
    let mut p = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(ch);
    }
    p
}

/// A statement's values as its SQL is written: `bind` gives the next `?N` for a value, so a
/// condition and its value are written in one place, in any order, and a value used twice
/// is bound once (keep the `?N`).
#[derive(Default)]
pub(super) struct Params(pub(super) Vec<Value>);

impl Params {
    pub(super) fn bind(&mut self, v: impl Into<Value>) -> String {
        self.0.push(v.into());
        format!("?{}", self.0.len())
    }
}

impl TabQuery {
    pub(super) fn text_pattern(&self) -> Option<String> {
        self.text
            .as_deref()
            .filter(|t| !t.is_empty())
            .map(like_pattern)
    }

    /// The WHERE clause over `conversations c` with only the conditions that apply (a
    /// `?1 IS NULL OR ...` would keep the tab's index from serving), its values bound in `p`.
    /// `indexed`: the filter's trigram index is kept (`fts::ready`); else text is matched
    /// with LIKE whatever its length.
    pub(super) fn where_clause(&self, indexed: bool, p: &mut Params) -> String {
        let mut sql = String::from("c.messages > 0");
        let mut own = Vec::new();
        for (col, v) in [
            ("status", self.status.map(|s| s.as_str().to_string())),
            ("assignee", self.assignee.clone()),
        ] {
            if let Some(v) = v {
                own.push(format!("c.{col} = {}", p.bind(v)));
            }
        }
        match (&self.mentioned, own.is_empty()) {
            (Some(me), false) => {
                let me = p.bind(me.clone());
                sql.push_str(&format!(
                    " AND (({}) OR (c.mailbox, c.id) IN ({}))",
                    own.join(" AND "),
                    super::rows::mentioned_set_sql(&me)
                ));
            }
            _ => {
                for cond in own {
                    sql.push_str(&format!(" AND {cond}"));
                }
            }
        }
        for (col, v) in [
            ("mailbox", self.mailbox.clone()),
            ("customer", self.customer.clone()),
        ] {
            if let Some(v) = v {
                sql.push_str(&format!(" AND c.{col} = {}", p.bind(v)));
            }
        }
        if let Some(tag) = &self.tag {
            // Keywords are atoms split by spaces; LIKE matches ASCII case-insensitively, as
            // IMAP keywords compare. The index of tagged messages holds the flags: its scan
            // reads no other message (as `Cache::all_tags`). Where the log holds tags (servers without
            // keywords), the newest record naming the tag decides, as `Cache::tags` folds
            // them: a `tag` or `rule` adds it, an `untag` takes it away, keyword or not.
            let kw = p.bind(format!(
                "% {} %",
                like_escaped(&tanto_core::rules::tag_keyword(tag))
            ));
            let name = p.bind(format!("% {} %", like_escaped(tag)));
            let last = format!(
                "SELECT mailbox, conv, kind FROM (
                   SELECT e.mailbox,
                          COALESCE((SELECT t.conv FROM thread_ids t
                                     WHERE t.mailbox = e.mailbox AND t.msgid = e.about),
                                   e.conversation) AS conv,
                          e.kind,
                          ROW_NUMBER() OVER (PARTITION BY e.mailbox,
                                               COALESCE((SELECT t.conv FROM thread_ids t
                                                          WHERE t.mailbox = e.mailbox
                                                            AND t.msgid = e.about),
                                                        e.conversation)
                                             ORDER BY e.folder_id DESC, e.uid DESC) AS n
                   FROM events e
                   WHERE e.tags IS NOT NULL AND e.void = 0
                     AND e.kind IN ('tag', 'untag', 'rule')
                     AND ' ' || e.tags || ' ' LIKE {name} ESCAPE '\\')
                 WHERE n = 1"
            );
            sql.push_str(&format!(
                " AND ((c.mailbox, c.id) IN (SELECT mailbox, conv FROM ({last}) WHERE kind != 'untag')
                    OR ((c.mailbox, c.id) IN (SELECT mailbox, conv FROM messages
                          INDEXED BY messages_tagged WHERE flags LIKE '%tanto-tag-%'
                            AND ' ' || flags || ' ' LIKE {kw} ESCAPE '\\')
                        AND (c.mailbox, c.id) NOT IN (SELECT mailbox, conv FROM ({last})
                                                     WHERE kind = 'untag')))"
            ));
        }
        if let Some(pattern) = self.text_pattern() {
            let text = self.text.as_deref().unwrap_or_default();
            let like = p.bind(pattern);
            // The cached bodies are few (those opened): matched once, not per conversation.
            let bodies = format!(
                "SELECT m.mailbox, m.conv FROM bodies b
                        JOIN messages m ON m.folder_id = b.folder_id AND m.uid = b.uid
                        WHERE CAST(b.raw AS TEXT) LIKE {like} ESCAPE '\\'"
            );
            if indexed && text.chars().count() >= fts::MIN_CHARS {
                let phrase = p.bind(fts::phrase(text));
                sql.push_str(&format!(
                    " AND (c.mailbox, c.id) IN (SELECT k.mailbox, k.id FROM conv_fts
                        JOIN conv_keys k ON k.n = conv_fts.rowid WHERE conv_fts MATCH {phrase}
                      UNION {bodies})"
                ));
            } else {
                sql.push_str(&format!(
                    " AND (c.subject LIKE {like} ESCAPE '\\' OR c.customer LIKE {like} ESCAPE '\\'
                       OR c.assignee LIKE {like} ESCAPE '\\' OR (c.mailbox, c.id) IN ({bodies}))"
                ));
            }
        }
        sql
    }

    /// What a filtered query reads from and its WHERE clause (values bound in `p`): with a
    /// text of 3+ characters, the index's hits (and the cached bodies that match) first, then
    /// each conversation by its key, so that a common word costs its hits and not a walk of
    /// the whole tab; else the table with `where_clause`.
    pub(super) fn hits_first(&self, indexed: bool, p: &mut Params) -> (String, String) {
        let text = self.text.as_deref().unwrap_or_default();
        let (Some(pattern), true) = (
            self.text_pattern(),
            indexed && text.chars().count() >= fts::MIN_CHARS,
        ) else {
            return ("conversations c".into(), self.where_clause(indexed, p));
        };
        let plain = TabQuery {
            text: None,
            ..self.clone()
        };
        let cond = plain.where_clause(indexed, p);
        let phrase = p.bind(fts::phrase(text));
        let like = p.bind(pattern);
        let from = format!(
            "(SELECT k.mailbox AS hm, k.id AS hi FROM conv_fts
                JOIN conv_keys k ON k.n = conv_fts.rowid WHERE conv_fts MATCH {phrase}
              UNION SELECT m.mailbox, m.conv FROM bodies b
                JOIN messages m ON m.folder_id = b.folder_id AND m.uid = b.uid
                WHERE CAST(b.raw AS TEXT) LIKE {like} ESCAPE '\\') h
             CROSS JOIN conversations c ON c.mailbox = h.hm AND c.id = h.hi"
        );
        (from, cond)
    }

    /// Whether the counts kept per (mailbox, status, assignee) answer this tab's size.
    pub(super) fn counted(&self) -> bool {
        self.customer.is_none()
            && self.text_pattern().is_none()
            && self.mentioned.is_none()
            && self.tag.is_none()
    }
}
