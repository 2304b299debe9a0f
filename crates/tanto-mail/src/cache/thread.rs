//! Threading in the cache, kept equal to the rule of `core::threading` (`thread_all`) at a
//! cost in proportion to the batch: a new message joins, and may merge, conversations by a
//! union over the ids it shares; whatever can take an edge away (a message expunged, a
//! folder reset, a subject fallback that now points at a newly arrived message) threads the
//! conversations it touched again from their message rows. Every query uses an index.
//! A merge (an event of the activity folder) counts as one more shared id, looked up from
//! both of its ends, so that it holds whichever arrives first: the event or the mail.

use std::collections::{BTreeSet, HashMap};

use rusqlite::{params, OptionalExtension, Transaction};

use super::store::{join_flags, FolderRole, FolderState, Team};
use tanto_core::conversation::{self, Direction};
use tanto_core::model::MessageMeta;
use tanto_core::threading::{self, Mail, Root};
use tanto_core::{noise, subject};

fn root_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Root> {
    Ok(Root {
        conv: r.get(0)?,
        date: r.get(1)?,
        key: r.get(2)?,
        root_id: r.get(3)?,
    })
}

/// The conversation (with its root) that an id, a Message-ID or a link, belongs to.
fn root_of_id(tx: &Transaction<'_>, mailbox: &str, id: &str) -> rusqlite::Result<Option<Root>> {
    tx.prepare_cached(
        "SELECT c.id, c.root_date, c.root_key, c.root_id FROM thread_ids t
         JOIN conversations c ON c.mailbox = t.mailbox AND c.id = t.conv
         WHERE t.mailbox = ?1 AND t.msgid = ?2",
    )?
    .query_row(params![mailbox, id], root_row)
    .optional()
}

fn root_of_conv(tx: &Transaction<'_>, mailbox: &str, conv: &str) -> rusqlite::Result<Option<Root>> {
    tx.prepare_cached(
        "SELECT id, root_date, root_key, root_id FROM conversations WHERE mailbox = ?1 AND id = ?2",
    )?
    .query_row(params![mailbox, conv], root_row)
    .optional()
}

/// The conversation an id belongs to now.
pub(super) fn conv_of_id(
    tx: &Transaction<'_>,
    mailbox: &str,
    id: &str,
) -> rusqlite::Result<Option<String>> {
    tx.prepare_cached("SELECT conv FROM thread_ids WHERE mailbox = ?1 AND msgid = ?2")?
        .query_row(params![mailbox, id], |r| r.get(0))
        .optional()
}

/// What the subject fallback compares: normalized subject, customer, and (date, key).
struct Place<'a> {
    subject_norm: &'a str,
    customer: &'a str,
    date: i64,
    key: &'a str,
}

/// The subject fallback target of a message: the row id of the newest message earlier than
/// it (date, then key) with the same normalized subject and customer.
fn fallback_target(
    tx: &Transaction<'_>,
    mailbox: &str,
    p: &Place<'_>,
) -> rusqlite::Result<Option<i64>> {
    tx.prepare_cached(
        "SELECT id FROM messages
         WHERE mailbox = ?1 AND subject_norm = ?2 AND customer = ?3 AND (tdate, thread_key) < (?4, ?5)
         ORDER BY tdate DESC, thread_key DESC LIMIT 1",
    )?
    .query_row(
        params![mailbox, p.subject_norm, p.customer, p.date, p.key],
        |r| r.get(0),
    )
    .optional()
}

/// The key of the message right after this place among those with the same subject and
/// customer, when it threads by subject fallback: its target is now the new message.
fn next_fallback(
    tx: &Transaction<'_>,
    mailbox: &str,
    p: &Place<'_>,
) -> rusqlite::Result<Option<String>> {
    let next: Option<(String, bool)> = tx
        .prepare_cached(
            "SELECT thread_key, fallback FROM messages
             WHERE mailbox = ?1 AND subject_norm = ?2 AND customer = ?3 AND (tdate, thread_key) > (?4, ?5)
             ORDER BY tdate, thread_key LIMIT 1",
        )?
        .query_row(
            params![mailbox, p.subject_norm, p.customer, p.date, p.key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(next.filter(|(_, f)| *f).map(|(k, _)| k))
}

/// The union step: `me` and the conversations in `found` become one, named after the
/// earliest root; returns that root.
fn merge(tx: &Transaction<'_>, team: &Team, me: Root, found: &[Root]) -> rusqlite::Result<Root> {
    let d = threading::decide(&team.address, me, found);
    let unchanged = found.len() == 1 && found[0] == d.root;
    if !unchanged {
        tx.prepare_cached(
            "INSERT INTO conversations (mailbox, id, root_date, root_key, root_id)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (mailbox, id) DO UPDATE SET root_date = excluded.root_date,
                root_key = excluded.root_key, root_id = excluded.root_id",
        )?
        .execute(params![
            team.mailbox,
            d.root.conv,
            d.root.date,
            d.root.key,
            d.root.root_id
        ])?;
    }
    for old in &d.absorb {
        tx.prepare_cached("UPDATE messages SET conv = ?3 WHERE mailbox = ?1 AND conv = ?2")?
            .execute(params![team.mailbox, old, d.root.conv])?;
        tx.prepare_cached("UPDATE thread_ids SET conv = ?3 WHERE mailbox = ?1 AND conv = ?2")?
            .execute(params![team.mailbox, old, d.root.conv])?;
        tx.prepare_cached("DELETE FROM conversations WHERE mailbox = ?1 AND id = ?2")?
            .execute(params![team.mailbox, old])?;
    }
    Ok(d.root)
}

/// A merge event `e` stands unless a later split (in the folder's order) names one of its
/// ids (`core::threading::effective`).
const MERGE_STANDS: &str = "NOT EXISTS (SELECT 1 FROM events s
    WHERE s.mailbox = e.mailbox AND s.kind = 'split' AND s.void = 0
        AND s.folder_id = e.folder_id AND s.uid > e.uid
        AND (s.about = e.about OR s.about = e.into_key))";

/// True when a split event names the message `key`.
fn is_split(tx: &Transaction<'_>, mailbox: &str, key: &str) -> rusqlite::Result<bool> {
    tx.prepare_cached(
        "SELECT 1 FROM events WHERE mailbox = ?1 AND about = ?2 AND kind = 'split' AND void = 0",
    )?
    .exists(params![mailbox, key])
}

/// A message's links and subject fallback with the splits applied (`core::threading::cut_links`).
fn cut(
    tx: &Transaction<'_>,
    mailbox: &str,
    key: &str,
    links: &[String],
    fallback: bool,
) -> rusqlite::Result<(Vec<String>, bool)> {
    let mut split: Vec<&str> = Vec::new();
    for id in std::iter::once(key).chain(links.iter().map(String::as_str)) {
        if is_split(tx, mailbox, id)? {
            split.push(id);
        }
    }
    if split.is_empty() {
        return Ok((links.to_vec(), fallback));
    }
    let (links, may) = threading::cut_links(key, links, |k| split.contains(&k));
    Ok((links, fallback && may))
}

/// The ids that merges join to `id`, from either end (`core::threading::merge_edges`).
fn merge_partners(tx: &Transaction<'_>, mailbox: &str, id: &str) -> rusqlite::Result<Vec<String>> {
    tx.prepare_cached(&format!(
        "SELECT into_key FROM events e
         WHERE mailbox = ?1 AND about = ?2 AND kind = 'merge' AND into_key IS NOT NULL
            AND void = 0 AND {MERGE_STANDS}
         UNION
         SELECT about FROM events e
         WHERE mailbox = ?1 AND into_key = ?2 AND kind = 'merge' AND void = 0 AND {MERGE_STANDS}"
    ))?
    .query_map(params![mailbox, id], |r| r.get(0))?
    .collect()
}

/// The conversations merges join to the messages holding `ids`, with their roots, added to
/// `found`.
fn merged_roots<'a>(
    tx: &Transaction<'_>,
    mailbox: &str,
    ids: impl IntoIterator<Item = &'a String>,
    found: &mut Vec<Root>,
) -> rusqlite::Result<()> {
    for id in ids {
        for other in merge_partners(tx, mailbox, id)? {
            if let Some(root) = root_of_id(tx, mailbox, &other)? {
                if !found.contains(&root) {
                    found.push(root);
                }
            }
        }
    }
    Ok(())
}

/// Applies a merge of the conversations holding ids `a` and `b`, when the cache holds both
/// and they are apart; returns the conversations to refresh.
pub(super) fn join(
    tx: &Transaction<'_>,
    team: &Team,
    a: &str,
    b: &str,
) -> rusqlite::Result<BTreeSet<String>> {
    let mut out = BTreeSet::new();
    let (Some(ra), Some(rb)) = (
        root_of_id(tx, &team.mailbox, a)?,
        root_of_id(tx, &team.mailbox, b)?,
    ) else {
        return Ok(out);
    };
    if ra.conv == rb.conv {
        return Ok(out);
    }
    out.insert(ra.conv.clone());
    out.insert(rb.conv.clone());
    out.insert(merge(tx, team, ra.clone(), &[ra, rb])?.conv);
    Ok(out)
}

/// Applies a split of the message `key`: its conversation is threaded again with the cut;
/// returns the conversations to refresh.
pub(super) fn split(
    tx: &Transaction<'_>,
    team: &Team,
    key: &str,
) -> rusqlite::Result<BTreeSet<String>> {
    match conv_of_id(tx, &team.mailbox, key)? {
        Some(conv) => rethread(tx, team, &BTreeSet::from([conv])),
        None => Ok(BTreeSet::new()),
    }
}

/// Applies every split and merge of the mailbox (after a bulk load, which threads by
/// headers only); returns the conversations to refresh.
pub(super) fn join_all(tx: &Transaction<'_>, team: &Team) -> rusqlite::Result<BTreeSet<String>> {
    let splits: Vec<String> = tx
        .prepare_cached(
            "SELECT about FROM events WHERE mailbox = ?1 AND kind = 'split' AND void = 0",
        )?
        .query_map([&team.mailbox], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut touched = BTreeSet::new();
    for key in splits {
        touched.extend(conv_of_id(tx, &team.mailbox, &key)?);
    }
    let mut out = if touched.is_empty() {
        BTreeSet::new()
    } else {
        rethread(tx, team, &touched)?
    };
    let merges: Vec<(String, String)> = tx
        .prepare_cached(&format!(
            "SELECT about, into_key FROM events e
             WHERE mailbox = ?1 AND kind = 'merge' AND into_key IS NOT NULL AND void = 0
                AND {MERGE_STANDS}
             ORDER BY folder_id, uid"
        ))?
        .query_map([&team.mailbox], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (a, b) in merges {
        out.extend(join(tx, team, &a, &b)?);
    }
    Ok(out)
}

fn put_id(tx: &Transaction<'_>, mailbox: &str, id: &str, conv: &str) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO thread_ids (mailbox, msgid, conv) VALUES (?1, ?2, ?3)
         ON CONFLICT (mailbox, msgid) DO UPDATE SET conv = excluded.conv",
    )?
    .execute(params![mailbox, id, conv])
    .map(|_| ())
}

/// What threading and the list derive from one message's headers.
pub(super) struct Derived {
    pub key: String,
    pub links: Vec<String>,
    pub direction: Direction,
    pub customer: String,
    pub subject_norm: String,
    pub date: i64,
    pub fallback: bool,
}

/// The threading inputs of a message, as every path (incremental or bulk) computes them.
pub(super) fn derive(team: &Team, folder: &FolderState, m: &MessageMeta) -> Derived {
    let h = &m.headers;
    let key = threading::message_key(
        h.message_id.as_deref(),
        &folder.name,
        folder.uidvalidity.unwrap_or(0),
        m.uid,
    );
    let links = threading::links(h, &key);
    let (direction, customer) =
        conversation::direction_and_customer(folder.role == FolderRole::Sent, h, &team.addresses);
    let (subject_norm, had_prefix) = subject::normalize(&h.subject);
    let date = h.date.unwrap_or(m.internal_date);
    let fallback = threading::uses_subject_fallback(had_prefix, &links, &subject_norm);
    Derived {
        key,
        links,
        direction,
        customer,
        subject_norm,
        date,
        fallback,
    }
}

/// The columns `stored_mail` reads, in its order.
pub(super) const MAIL_COLUMNS: &str =
    "id, thread_key, tdate, refs, in_reply_to, subject_norm, customer, fallback";

/// A message row (selected with `MAIL_COLUMNS`) as the threading rule sees it, with its id.
pub(super) fn stored_mail(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, Mail)> {
    let key: String = r.get(1)?;
    let refs: String = r.get(3)?;
    let irt: String = r.get(4)?;
    let links = threading::link_ids(refs.split_whitespace().chain(irt.split_whitespace()), &key);
    Ok((
        r.get(0)?,
        Mail {
            key,
            date: r.get(2)?,
            links,
            subject_norm: r.get(5)?,
            customer: r.get(6)?,
            fallback: r.get(7)?,
        },
    ))
}

/// Writes a message's row in conversation `conv`; returns its row id. `bulk`: a row already
/// there is left alone (and `None` returned) instead of getting the new flags.
pub(super) fn insert_message(
    tx: &Transaction<'_>,
    team: &Team,
    folder: &FolderState,
    m: &MessageMeta,
    d: &Derived,
    conv: &str,
    bulk: bool,
) -> rusqlite::Result<Option<i64>> {
    let h = &m.headers;
    let from = h.from.first();
    let noise = if d.direction == Direction::Inbound {
        noise::classify(h).map(|r| r.as_str())
    } else {
        None
    };
    // One column list for both; only what a row already there gets differs.
    macro_rules! insert_message {
        ($on_conflict:literal) => {
            concat!(
                "INSERT INTO messages (folder_id, uid, mailbox, modseq, flags, internal_date,
                    size, date, subject, from_name, from_email, to_json, cc_json, message_id,
                    thread_key, in_reply_to, refs, list_id, auto_submitted, precedence,
                    x_autoreply, content_type, noise, direction, customer, conv, tdate,
                    subject_norm, fallback)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)
                 ON CONFLICT (folder_id, uid) ",
                $on_conflict
            )
        };
    }
    let sql = if bulk {
        insert_message!("DO NOTHING")
    } else {
        insert_message!(
            "DO UPDATE SET flags = excluded.flags, modseq = excluded.modseq RETURNING id"
        )
    };
    let mut st = tx.prepare_cached(sql)?;
    let values = params![
        folder.id,
        m.uid,
        team.mailbox,
        m.modseq as i64,
        join_flags(&m.flags),
        m.internal_date,
        m.size,
        h.date,
        h.subject,
        from.and_then(|a| a.name.clone()),
        from.map(|a| a.email.as_str()).unwrap_or_default(),
        serde_json::to_string(&h.to).unwrap_or_else(|_| "[]".into()),
        serde_json::to_string(&h.cc).unwrap_or_else(|_| "[]".into()),
        h.message_id,
        d.key,
        h.in_reply_to.join(" "),
        h.references.join(" "),
        h.list_id,
        h.auto_submitted,
        h.precedence,
        h.x_autoreply,
        h.content_type,
        noise,
        match d.direction {
            Direction::Inbound => "in",
            Direction::Reply => "out",
        },
        d.customer,
        conv,
        d.date,
        d.subject_norm,
        d.fallback,
    ];
    if bulk {
        // No RETURNING: SQLite gathers returned rows in a temporary table per statement,
        // a cost on every row of a first sync; the new row's id is the last one inserted.
        return Ok((st.execute(values)? == 1).then(|| tx.last_insert_rowid()));
    }
    st.query_row(values, |r| r.get(0)).optional()
}

/// Threads one new message and inserts it; returns its conversation. When the message
/// becomes the subject fallback target of a later message, that message's key goes into
/// `retarget`: its conversation must be threaded again once the batch is in.
pub(super) fn thread_one(
    tx: &Transaction<'_>,
    team: &Team,
    folder: &FolderState,
    m: &MessageMeta,
    retarget: &mut BTreeSet<String>,
) -> rusqlite::Result<String> {
    let mut d = derive(team, folder, m);
    (d.links, d.fallback) = cut(tx, &team.mailbox, &d.key, &d.links, d.fallback)?;
    let (key, links) = (&d.key, &d.links);
    let place = Place {
        subject_norm: &d.subject_norm,
        customer: &d.customer,
        date: d.date,
        key,
    };

    let mut found: Vec<Root> = Vec::new();
    // Ids already mapped: their conversation is found, so after the merge they point at it.
    let mut mapped: Vec<&str> = Vec::new();
    for id in links.iter().chain(std::iter::once(key)) {
        if let Some(root) = root_of_id(tx, &team.mailbox, id)? {
            mapped.push(id);
            if !found.contains(&root) {
                found.push(root);
            }
        }
    }
    merged_roots(
        tx,
        &team.mailbox,
        links.iter().chain(std::iter::once(key)),
        &mut found,
    )?;
    if d.fallback {
        if let Some(target) = fallback_target(tx, &team.mailbox, &place)? {
            let conv: String = tx
                .prepare_cached("SELECT conv FROM messages WHERE id = ?1")?
                .query_row([target], |r| r.get(0))?;
            if let Some(root) = root_of_conv(tx, &team.mailbox, &conv)? {
                if !found.contains(&root) {
                    found.push(root);
                }
            }
        }
    }
    if !d.subject_norm.is_empty() {
        // Even when this one threads by subject too: it may have no target itself (nothing
        // earlier), while the next one had one earlier than it, or none.
        retarget.extend(next_fallback(tx, &team.mailbox, &place)?);
    }
    let root_id = threading::root_id(key, links).to_string();
    let me = Root {
        conv: threading::conversation_id(&team.address, &root_id),
        date: d.date,
        key: key.clone(),
        root_id,
    };
    let conv = merge(tx, team, me, &found)?.conv;
    for id in links.iter().chain(std::iter::once(key)) {
        if !mapped.contains(&id.as_str()) {
            put_id(tx, &team.mailbox, id, &conv)?;
        }
    }
    insert_message(tx, team, folder, m, &d, &conv, false)?;
    Ok(conv)
}

/// Threads the messages of `convs` again from their rows, as if they had just arrived
/// together: what a message gone (or a moved subject fallback) split or re-rooted comes out
/// right. Returns the conversations to refresh: the old ones (refresh drops those left
/// empty) and the new.
pub(super) fn rethread(
    tx: &Transaction<'_>,
    team: &Team,
    convs: &BTreeSet<String>,
) -> rusqlite::Result<BTreeSet<String>> {
    let mailbox = team.mailbox.as_str();
    let mut out = convs.clone();
    let mut rows: Vec<(i64, Mail)> = Vec::new();
    {
        let mut st = tx.prepare_cached(&format!(
            "SELECT {MAIL_COLUMNS} FROM messages WHERE mailbox = ?1 AND conv = ?2"
        ))?;
        for conv in convs {
            let found = st.query_map(params![mailbox, conv], stored_mail)?;
            for row in found {
                rows.push(row?);
            }
        }
    }
    for (_, m) in rows.iter_mut() {
        (m.links, m.fallback) = cut(tx, mailbox, &m.key, &m.links, m.fallback)?;
    }
    for conv in convs {
        tx.prepare_cached("DELETE FROM thread_ids WHERE mailbox = ?1 AND conv = ?2")?
            .execute(params![mailbox, conv])?;
        tx.prepare_cached("DELETE FROM conversations WHERE mailbox = ?1 AND id = ?2")?
            .execute(params![mailbox, conv])?;
    }
    let local: HashMap<i64, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, (id, _))| (*id, i))
        .collect();
    let mut edges: Vec<(usize, usize)> = Vec::new();
    // Subject fallbacks that leave the set: (node, target row).
    let mut outside: Vec<(usize, i64)> = Vec::new();
    for (i, (_, m)) in rows.iter().enumerate() {
        if !m.fallback {
            continue;
        }
        let place = Place {
            subject_norm: &m.subject_norm,
            customer: &m.customer,
            date: m.date,
            key: &m.key,
        };
        if let Some(target) = fallback_target(tx, mailbox, &place)? {
            match local.get(&target) {
                Some(&j) => edges.push((i, j)),
                None => outside.push((i, target)),
            }
        }
    }
    let ids = |i: usize| {
        let m = &rows[i].1;
        std::iter::once(m.key.as_str())
            .chain(m.links.iter().map(String::as_str))
            .collect()
    };
    for group in threading::components(ids, rows.len(), &edges) {
        let Some(me) = threading::root_of(&team.address, group.iter().map(|&i| &rows[i].1)) else {
            continue;
        };
        let mut found: Vec<Root> = Vec::new();
        for (_, target) in outside.iter().filter(|(i, _)| group.contains(i)) {
            // Looked up now: an earlier group's merge may have renamed it.
            let conv: Option<String> = tx
                .prepare_cached("SELECT conv FROM messages WHERE id = ?1")?
                .query_row([target], |r| r.get(0))
                .optional()?;
            if let Some(root) = conv
                .map(|c| root_of_conv(tx, mailbox, &c))
                .transpose()?
                .flatten()
            {
                if !found.contains(&root) {
                    found.push(root);
                }
            }
        }
        for &i in &group {
            let m = &rows[i].1;
            merged_roots(
                tx,
                mailbox,
                std::iter::once(&m.key).chain(m.links.iter()),
                &mut found,
            )?;
        }
        let conv = merge(tx, team, me, &found)?.conv;
        for &i in &group {
            let (row, m) = &rows[i];
            tx.prepare_cached("UPDATE messages SET conv = ?2 WHERE id = ?1")?
                .execute(params![row, conv])?;
            for id in std::iter::once(&m.key).chain(m.links.iter()) {
                put_id(tx, mailbox, id, &conv)?;
            }
        }
        out.insert(conv);
    }
    Ok(out)
}

#[cfg(test)]
#[path = "thread_tests.rs"]
mod tests;
