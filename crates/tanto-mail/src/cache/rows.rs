//! The rows the cache's reads give back (a conversation, a message, a list row, the counts
//! per status) and how each is read from SQL; a cached value that is not in its format is
//! shown as a placeholder, never as written (the file is shared and writable on the host).

use tanto_core::model::Address;
use tanto_core::status::Status;

/// One conversation as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationRow {
    pub mailbox: String,
    pub id: String,
    pub subject: String,
    pub customer: String,
    /// The customer's display name, as the mail their address comes from gives it.
    pub customer_name: Option<String>,
    pub status: Status,
    pub assignee: Option<String>,
    pub previous_assignee: Option<String>,
    pub messages: u32,
    pub last_received: i64,
}

/// One message of a conversation, as cached.
#[derive(Debug, Clone)]
pub struct MessageRow {
    pub folder_id: i64,
    pub folder: String,
    pub uid: u32,
    pub flags: Vec<String>,
    pub internal_date: i64,
    pub date: Option<i64>,
    pub subject: String,
    pub from: Address,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub message_id: Option<String>,
    pub inbound: bool,
    pub noise: Option<String>,
}

/// A list row with who else is on the conversation now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRow {
    pub conversation: ConversationRow,
    /// Agents (other than the asker) viewing or replying, comma-separated.
    pub present: Option<String>,
    /// Mail came into the conversation since the asker last looked at it (`Cache::mark_seen`).
    pub unread: bool,
    /// A teammate's note names the asker (`@id`) since they last looked at it.
    pub mentioned: bool,
    /// For a waiting conversation: why and until when, from its log (filled by the reader
    /// of a window that shows them; the cache query leaves it out).
    pub waiting: Option<tanto_core::waiting::Why>,
    /// The conversation's tags, sorted (filled like `waiting`: only for the rows on show).
    pub tags: Vec<String>,
}

/// SQL: the conversations (mailbox, id) where a teammate's note names the agent bound at
/// `me` after that agent last looked (an indexed scan of the notes that name anyone).
pub(super) fn mentioned_set_sql(me: &str) -> String {
    format!(
        "SELECT t.mailbox, t.conv FROM events e
           JOIN thread_ids t ON t.mailbox = e.mailbox AND t.msgid = e.about
          WHERE e.mentions != '' AND e.mentions LIKE '% ' || {me} || ' %' AND e.void = 0
            AND e.agent != {me}
            AND e.at > COALESCE((SELECT s.at FROM agent_seen s WHERE s.agent = {me}
                                   AND s.mailbox = t.mailbox AND s.conv = t.conv), 0)"
    )
}

/// SQL: whether conversation `c` has mail the agent bound at `me` has not seen: mail newer
/// than their last look (else than when they started on this cache), their own replies
/// aside (tanto's Message-IDs name the agent).
pub(super) fn unread_sql(me: &str) -> String {
    format!(
        "COALESCE((SELECT MAX(m.internal_date) FROM messages m
            WHERE m.mailbox = c.mailbox AND m.conv = c.id
              AND (m.message_id IS NULL OR m.message_id NOT LIKE 'tanto.' || c.id || '.' || {me} || '.%'))
          > COALESCE((SELECT s.at FROM agent_seen s WHERE s.agent = {me} AND s.mailbox = c.mailbox
                        AND s.conv = c.id),
                     (SELECT s.at FROM agent_seen s WHERE s.agent = {me} AND s.mailbox = ''
                        AND s.conv = ''),
                     9223372036854775807), 0)"
    )
}

/// How many conversations each status holds, and how many are the asker's in progress.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatusCounts {
    pub new: u64,
    pub wip: u64,
    pub done: u64,
    pub noise: u64,
    /// Waiting on the customer or snoozed.
    pub waiting: u64,
    pub mine: u64,
    /// Of the open ones, how many are past the reply target (`Cache::count_overdue`).
    pub overdue: super::overdue::OverdueCounts,
}

/// (status, conversations, of them `me`'s) from a counting query.
pub(super) fn counts_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, u64, u64)> {
    Ok((
        r.get::<_, String>(0)?,
        r.get::<_, i64>(1)?.max(0) as u64,
        r.get::<_, Option<i64>>(2)?.unwrap_or(0).max(0) as u64,
    ))
}

pub(super) fn fold_counts(
    rows: impl Iterator<Item = rusqlite::Result<(String, u64, u64)>>,
) -> rusqlite::Result<StatusCounts> {
    let mut counts = StatusCounts::default();
    for row in rows {
        let (status, n, mine) = row?;
        match Status::parse(&status) {
            Some(Status::New) => counts.new += n,
            Some(Status::Wip) => {
                counts.wip += n;
                counts.mine += mine;
            }
            Some(Status::Done) => counts.done += n,
            Some(Status::Noise) => counts.noise += n,
            Some(Status::Waiting) => counts.waiting += n,
            None => {}
        }
    }
    Ok(counts)
}

pub(super) const CONV_COLUMNS: &str =
    "mailbox, id, subject, customer, status, assignee, previous_assignee,
    messages, last_received, customer_name";

/// Shown for a cached id that is not a conversation id (a forged row): never resolves.
pub const INVALID_ID: &str = "(invalid id)";
/// Shown for a cached agent name that is not an agent id.
pub const UNKNOWN_AGENT: &str = "?";
/// Shown for a cached mailbox name that no config could have given.
pub const UNKNOWN_MAILBOX: &str = "?";

pub(super) fn conv_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ConversationRow> {
    let status: String = r.get(4)?;
    // The file is shared and writable by every agent on the host: what is not in the format
    // tanto writes is shown as unknown, never passed on (an id or a name is printed bare).
    let agent = |at| -> rusqlite::Result<Option<String>> {
        let a: Option<String> = r.get(at)?;
        Ok(a.map(|a| {
            if tanto_core::agent::valid_id(&a) {
                a
            } else {
                UNKNOWN_AGENT.to_string()
            }
        }))
    };
    let id: String = r.get(1)?;
    let mailbox: String = r.get(0)?;
    Ok(ConversationRow {
        mailbox: if crate::sanitize::is_plain_name(&mailbox) {
            mailbox
        } else {
            UNKNOWN_MAILBOX.to_string()
        },
        id: if tanto_core::threading::valid_conversation_id(&id) {
            id
        } else {
            INVALID_ID.to_string()
        },
        subject: r.get(2)?,
        customer: r.get(3)?,
        // Shown only, and made safe where it is drawn (like the subject).
        customer_name: r.get(9)?,
        status: Status::parse(&status).unwrap_or(Status::New),
        assignee: agent(5)?,
        previous_assignee: agent(6)?,
        messages: r.get(7)?,
        last_received: r.get(8)?,
    })
}

/// A list row: `CONV_COLUMNS`, then who else is there.
pub(super) fn window_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<WindowRow> {
    Ok(WindowRow {
        conversation: conv_row(r)?,
        present: r.get(10)?,
        unread: r.get(11)?,
        mentioned: r.get(12)?,
        waiting: None,
        tags: Vec::new(),
    })
}
