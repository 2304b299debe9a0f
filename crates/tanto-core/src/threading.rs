//! Threading messages into conversations, as decisions over plain data.
//!
//! The rule, a pure function of the messages a mailbox holds (so every agent's cache gives
//! the same ids and grouping, whatever order mail reached it in or left it):
//!
//! - A message's *ids* are its own key (its Message-ID) and its links (References, then
//!   In-Reply-To). Messages that share an id are in one conversation, even when the message
//!   named by that id is gone or not there yet.
//! - A message with a reply prefix and no links (its mailer dropped the headers) also joins
//!   the newest earlier message (by date, then key) with the same normalized subject and
//!   customer: its *subject fallback*.
//! - A message's *root id* is its first link (the thread's first message as it names it),
//!   else its own key. A conversation's id is a hash of the mailbox's shared address and the
//!   root id of its earliest message (by date, then key): ids differ between mailboxes, and
//!   stay put when a thread's first message is expunged or arrives late.
//! - A *merge* (an event in the activity folder, written by `tanto merge`) is one more
//!   shared id: the messages holding either of its two ids are in one conversation, named
//!   like any other by its earliest root. Headers stay the default; a merge only adds.
//! - A *split* of a message (`tanto split`) cuts it from what it names: it keeps only its
//!   own key, and a message naming it keeps only the links from it on. So the message and
//!   the replies to it are a conversation of their own, whose id is the hash of its key.
//!   A split also undoes the merges before it that name its key.

use std::collections::HashMap;

use sha2::{Digest, Sha256};

use super::model::Headers;

/// A conversation as threading sees it: its id and its earliest message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub conv: String,
    /// The earliest message's date and key (the order that picks the root).
    pub date: i64,
    pub key: String,
    /// The earliest message's root id, which the conversation id is a hash of.
    pub root_id: String,
}

/// What to do with a new message: put it in `root.conv` (creating it when new) with
/// `root`, and fold the conversations in `absorb` into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub root: Root,
    pub absorb: Vec<String>,
}

/// The id of the conversation whose earliest message has `root_id`, in the mailbox whose
/// shared address is `address` (any case: it is lower-cased, the same for every agent).
pub fn conversation_id(address: &str, root_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(address.trim().to_lowercase().as_bytes());
    h.update(b"\n");
    h.update(root_id.as_bytes());
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut id = String::with_capacity(12);
    for b in h.finalize().iter().take(6) {
        id.push(HEX[usize::from(b >> 4)] as char);
        id.push(HEX[usize::from(b & 15)] as char);
    }
    id
}

/// True when `id` has the form `conversation_id` gives: 12 lower-case hex digits.
pub fn valid_conversation_id(id: &str) -> bool {
    id.len() == 12
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The key that identifies a message for threading: its Message-ID, or, for mail without
/// one, a key built from where it is stored (stable as long as the folder's UIDVALIDITY is).
pub fn message_key(message_id: Option<&str>, folder: &str, uidvalidity: u32, uid: u32) -> String {
    match message_id.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => format!("{uid}.{uidvalidity}.{folder}@tanto.invalid"),
    }
}

/// The ids a message points at (References, then In-Reply-To), without itself or repeats.
pub fn links(h: &Headers, own_key: &str) -> Vec<String> {
    link_ids(
        h.references
            .iter()
            .chain(h.in_reply_to.iter())
            .map(String::as_str),
        own_key,
    )
}

/// `links` from ids already split out (References first, then In-Reply-To).
pub fn link_ids<'a>(ids: impl IntoIterator<Item = &'a str>, own_key: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        let id = id.trim();
        if !id.is_empty() && id != own_key && !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    }
    out
}

/// A message's root id: its first link, else its own key.
pub fn root_id<'a>(key: &'a str, links: &'a [String]) -> &'a str {
    links.first().map(String::as_str).unwrap_or(key)
}

/// Whether a message threads by subject: a reply prefix, no links, a subject left to match.
pub fn uses_subject_fallback(had_prefix: bool, links: &[String], subject_norm: &str) -> bool {
    had_prefix && links.is_empty() && !subject_norm.is_empty()
}

/// Decides a new message's conversation from the conversations its ids (or its subject
/// fallback) already belong to. The earliest root wins, so that the result does not depend
/// on the order messages arrived in.
pub fn decide(address: &str, me: Root, found: &[Root]) -> Decision {
    let winner = found
        .iter()
        .chain(std::iter::once(&me))
        .min_by(|a, b| (a.date, &a.key).cmp(&(b.date, &b.key)))
        .cloned()
        .unwrap_or(me);
    let winner = Root {
        conv: conversation_id(address, &winner.root_id),
        ..winner
    };
    let mut absorb: Vec<String> = found
        .iter()
        .map(|r| r.conv.clone())
        .filter(|c| *c != winner.conv)
        .collect();
    absorb.sort();
    absorb.dedup();
    Decision {
        root: winner,
        absorb,
    }
}

/// One message as the whole-mailbox rule sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub key: String,
    pub date: i64,
    pub links: Vec<String>,
    pub subject_norm: String,
    pub customer: String,
    pub fallback: bool,
}

/// The subject fallback target among `candidates` for `me`: the newest message earlier than
/// `me` (by date, then key) with the same normalized subject and customer.
pub fn fallback_target(me: &Mail, candidates: &[Mail]) -> Option<usize> {
    candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            c.subject_norm == me.subject_norm
                && c.customer == me.customer
                && (c.date, &c.key) < (me.date, &me.key)
        })
        .max_by(|(_, a), (_, b)| (a.date, &a.key).cmp(&(b.date, &b.key)))
        .map(|(i, _)| i)
}

/// Connected components of `n` nodes given each node's ids and extra edges.
pub fn components<'a>(
    ids: impl Fn(usize) -> Vec<&'a str>,
    n: usize,
    edges: &[(usize, usize)],
) -> Vec<Vec<usize>> {
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut i: usize) -> usize {
        while p[i] != i {
            p[i] = p[p[i]];
            i = p[i];
        }
        i
    }
    let union = |p: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(p, a), find(p, b));
        if ra != rb {
            p[ra.max(rb)] = ra.min(rb);
        }
    };
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for i in 0..n {
        for id in ids(i) {
            match owner.get(id) {
                Some(&j) => union(&mut parent, i, j),
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    for &(a, b) in edges {
        union(&mut parent, a, b);
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    for i in 0..n {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut out: Vec<Vec<usize>> = groups.into_values().collect();
    out.sort();
    out
}

/// The root of a group of messages: its earliest (date, key) message.
pub fn root_of<'a>(address: &str, members: impl IntoIterator<Item = &'a Mail>) -> Option<Root> {
    let first = members
        .into_iter()
        .min_by(|a, b| (a.date, &a.key).cmp(&(b.date, &b.key)))?;
    let root_id = root_id(&first.key, &first.links).to_string();
    Some(Root {
        conv: conversation_id(address, &root_id),
        date: first.date,
        key: first.key.clone(),
        root_id,
    })
}

/// The rule itself over a whole mailbox: each message's conversation id, in input order.
/// The cache computes the same incrementally; this is its definition (and its test oracle).
pub fn thread_all(address: &str, mails: &[Mail]) -> Vec<String> {
    thread_all_edited(address, mails, &[])
}

/// Edges between the messages that hold the two ids of each merge `(about, into)`: a merge
/// joins whatever holds either id, so it keeps holding when its messages change (a reply
/// arrives, the root is expunged) and means nothing while no message holds one of them.
pub fn merge_edges(mails: &[Mail], merges: &[(String, String)]) -> Vec<(usize, usize)> {
    let mut holder: HashMap<&str, usize> = HashMap::new();
    for (i, m) in mails.iter().enumerate() {
        for id in std::iter::once(&m.key).chain(m.links.iter()) {
            holder.entry(id.as_str()).or_insert(i);
        }
    }
    merges
        .iter()
        .filter_map(|(a, b)| Some((*holder.get(a.as_str())?, *holder.get(b.as_str())?)))
        .collect()
}

/// A merge or split, as the activity folder holds them (in the folder's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// The conversation holding the first id joins the one holding the second.
    Merge(String, String),
    /// The message with this key is cut from what it names.
    Split(String),
}

/// What the edits (oldest first) come to: the merges that stand (no later split names
/// either of their ids) and the split keys.
pub fn effective(edits: &[Edit]) -> (Vec<(String, String)>, Vec<String>) {
    let mut merges = Vec::new();
    let mut splits = Vec::new();
    for (i, e) in edits.iter().enumerate() {
        match e {
            Edit::Merge(a, b) => {
                let undone = edits[i + 1..]
                    .iter()
                    .any(|l| matches!(l, Edit::Split(k) if k == a || k == b));
                if !undone {
                    merges.push((a.clone(), b.clone()));
                }
            }
            Edit::Split(k) => {
                if !splits.contains(k) {
                    splits.push(k.clone());
                }
            }
        }
    }
    (merges, splits)
}

/// A message's links once splits are applied, and whether it may still thread by subject:
/// a split message names nothing; a message naming split ones keeps its links from the last
/// of them on.
pub fn cut_links(
    key: &str,
    links: &[String],
    is_split: impl Fn(&str) -> bool,
) -> (Vec<String>, bool) {
    if is_split(key) {
        return (Vec::new(), false);
    }
    match links.iter().rposition(|l| is_split(l)) {
        Some(i) => (links[i..].to_vec(), false),
        None => (links.to_vec(), true),
    }
}

/// `thread_all` with the merges and splits the activity folder holds (oldest first).
pub fn thread_all_edited(address: &str, mails: &[Mail], edits: &[Edit]) -> Vec<String> {
    let (merges, splits) = effective(edits);
    let mails: Vec<Mail> = mails
        .iter()
        .map(|m| {
            let (links, may_fallback) =
                cut_links(&m.key, &m.links, |k| splits.iter().any(|s| s == k));
            Mail {
                links,
                fallback: m.fallback && may_fallback,
                ..m.clone()
            }
        })
        .collect();
    thread_all_merged(address, &mails, &merges)
}

/// `thread_all` with the merges `(about, into)` that stand.
fn thread_all_merged(address: &str, mails: &[Mail], merges: &[(String, String)]) -> Vec<String> {
    let mut edges: Vec<(usize, usize)> = mails
        .iter()
        .enumerate()
        .filter(|(_, m)| m.fallback)
        .filter_map(|(i, m)| fallback_target(m, mails).map(|j| (i, j)))
        .collect();
    edges.extend(merge_edges(mails, merges));
    let ids = |i: usize| {
        let m = &mails[i];
        std::iter::once(m.key.as_str())
            .chain(m.links.iter().map(String::as_str))
            .collect()
    };
    let mut out = vec![String::new(); mails.len()];
    for group in components(ids, mails.len(), &edges) {
        if let Some(root) = root_of(address, group.iter().map(|&i| &mails[i])) {
            for i in group {
                out[i] = root.conv.clone();
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUPPORT: &str = "support@example.com";

    /// A message: key, date, links; subject fallback when `subject` starts with "re:".
    fn mail(key: &str, date: i64, links: &[&str], subject: &str) -> Mail {
        let (norm, prefix) = match subject.strip_prefix("re:") {
            Some(s) => (s.to_string(), true),
            None => (subject.to_string(), false),
        };
        let links: Vec<String> = links.iter().map(|s| s.to_string()).collect();
        Mail {
            key: key.into(),
            date,
            fallback: uses_subject_fallback(prefix, &links, &norm),
            links,
            subject_norm: norm,
            customer: "c@x".into(),
        }
    }

    fn id(root_id: &str) -> String {
        conversation_id(SUPPORT, root_id)
    }

    /// Each message's id, by key, for the mailbox holding `mails`.
    fn ids(mails: &[Mail]) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = mails
            .iter()
            .map(|m| m.key.clone())
            .zip(thread_all(SUPPORT, mails))
            .collect();
        out.sort();
        out
    }

    #[test]
    #[allow(clippy::type_complexity)]
    fn ids_name_the_thread_as_its_messages_do_whatever_is_missing() {
        let a = mail("a", 100, &[], "q");
        let b = mail("b", 200, &["a"], "re:q");
        let c = mail("c", 300, &["a", "b"], "re:q");
        let d = mail("d", 150, &["zz"], "other");
        let e = mail("e", 400, &["zz", "d"], "re:other");
        let f = mail("f", 500, &["a", "e"], "re:q");
        let g = mail("g", 50, &[], "lone");
        let h = mail("h", 600, &[], "re:lone");
        // (what the mailbox holds, the expected id of each message)
        let cases: Vec<(Vec<&Mail>, Vec<(&str, String)>)> = vec![
            // Whole: f joins the a-thread and the zz-thread; the earliest (a) names it.
            (
                vec![&a, &b, &c, &d, &e, &f],
                vec![("a", id("a")), ("d", id("a")), ("f", id("a"))],
            ),
            // The root expunged (or not arrived yet): the replies still name it.
            (vec![&b, &c], vec![("b", id("a")), ("c", id("a"))]),
            // The joining message expunged: two conversations again.
            (
                vec![&a, &b, &d, &e],
                vec![
                    ("a", id("a")),
                    ("b", id("a")),
                    ("d", id("zz")),
                    ("e", id("zz")),
                ],
            ),
            // The earliest message is a reply to something never seen: rooted at that.
            (vec![&d], vec![("d", id("zz"))]),
            // Subject fallback: a reply without links joins the earlier message.
            (vec![&g, &h], vec![("g", id("g")), ("h", id("g"))]),
            // ... and stands alone without it.
            (vec![&h], vec![("h", id("h"))]),
        ];
        for (held, want) in cases {
            let held: Vec<Mail> = held.into_iter().cloned().collect();
            let got = ids(&held);
            for (key, conv) in want {
                let found = got.iter().find(|(k, _)| k == key).map(|(_, c)| c);
                assert_eq!(found, Some(&conv), "{key} in {got:?}");
            }
        }
    }

    #[test]
    fn a_reply_by_subject_joins_the_newest_earlier_message_of_that_customer() {
        let q1 = mail("q1", 100, &[], "order");
        let q2 = mail("q2", 300, &["x"], "order");
        let r = mail("r", 400, &[], "re:order");
        let early = mail("early", 200, &[], "re:order");
        let mut other = mail("o", 350, &[], "order");
        other.customer = "someone@else".into();
        let of_r = |got: Vec<(String, String)>| got.into_iter().find(|(k, _)| k == "r");
        let got = ids(&[q1.clone(), q2.clone(), r.clone(), other.clone()]);
        assert_eq!(of_r(got), Some(("r".to_string(), id("x"))));
        // Without q2, r falls back to q1 (the other customer's message does not count).
        let got = ids(&[q1.clone(), r.clone(), other]);
        assert_eq!(of_r(got), Some(("r".to_string(), id("q1"))));
        // A chain of replies without links hangs together.
        let got = ids(&[q1, early, r]);
        assert!(got.iter().all(|(_, c)| *c == id("q1")), "{got:?}");
    }

    #[test]
    fn the_same_thread_in_two_mailboxes_has_two_ids() {
        assert_ne!(
            conversation_id("support@example.com", "a"),
            conversation_id("info@example.com", "a")
        );
        assert_eq!(
            conversation_id("Support@Example.com", "a"),
            conversation_id("support@example.com", "a")
        );
        assert_eq!(conversation_id(SUPPORT, "a").len(), 12);
    }

    #[test]
    fn ids_do_not_depend_on_arrival_order() {
        let mails = vec![
            mail("a", 100, &[], "q"),
            mail("b", 200, &["a"], "re:q"),
            mail("g", 50, &[], "lone"),
            mail("h", 60, &[], "re:lone"),
            mail("e", 400, &["zz", "d"], "re:other"),
        ];
        let want = ids(&mails);
        let mut rev = mails.clone();
        rev.reverse();
        assert_eq!(ids(&rev), want);
    }

    #[test]
    fn decide_merges_into_the_earliest_root() {
        let root = |key: &str, date: i64, rid: &str| Root {
            conv: id(rid),
            date,
            key: key.into(),
            root_id: rid.into(),
        };
        let d = decide(
            SUPPORT,
            root("f", 500, "a"),
            &[root("b", 200, "a"), root("d", 150, "zz")],
        );
        assert_eq!(d.root, root("d", 150, "zz"));
        assert_eq!(d.absorb, vec![id("a")]);
    }

    #[test]
    fn a_merge_joins_two_threads_and_keeps_holding_as_mail_comes_and_goes() {
        let a = mail("a", 100, &[], "order");
        let b = mail("b", 200, &["a"], "re:order");
        // The customer's new mail without headers, and the team's answer to it.
        let n = mail("n", 300, &[], "where is it");
        let r = mail("r", 400, &["n"], "re:where is it");
        let merges = vec![Edit::Merge("n".into(), "a".into())];
        let of = |mails: &[Mail], edits: &[Edit]| -> Vec<(String, String)> {
            let mut out: Vec<(String, String)> = mails
                .iter()
                .map(|m| m.key.clone())
                .zip(thread_all_edited(SUPPORT, mails, edits))
                .collect();
            out.sort();
            out
        };
        let all = [a.clone(), b.clone(), n.clone(), r.clone()];
        // Without the merge: two conversations; with it: one, named by the earliest root.
        assert!(of(&all, &[]).iter().any(|(_, c)| *c == id("n")));
        let got = of(&all, &merges);
        assert!(got.iter().all(|(_, c)| *c == id("a")), "{got:?}");
        // A merge about a conversation whose first mail is gone still holds: its reply names it.
        let got = of(&[b.clone(), r.clone()], &merges);
        assert!(got.iter().all(|(_, c)| *c == id("a")), "{got:?}");
        // The order of the mailbox does not matter.
        let mut rev = all.to_vec();
        rev.reverse();
        assert_eq!(of(&rev, &merges), of(&all, &merges));
        // A merge naming an id no message holds changes nothing.
        let stray = vec![Edit::Merge("n".into(), "zz".into())];
        assert_eq!(of(&all, &stray), of(&all, &[]));
        // A split of the merged mail undoes the merge; a merge after it joins again.
        let split = vec![merges[0].clone(), Edit::Split("n".into())];
        assert_eq!(of(&all, &split), of(&all, &[]));
        let again = vec![split[0].clone(), split[1].clone(), merges[0].clone()];
        assert_eq!(of(&all, &again), of(&all, &merges));
    }

    #[test]
    fn a_split_message_and_the_replies_to_it_are_a_conversation_of_its_own() {
        let a = mail("a", 100, &[], "order");
        let b = mail("b", 200, &["a"], "re:order");
        // A colleague's new question inside the thread, and the team's answer to it.
        let c = mail("c", 300, &["a", "b"], "re:order");
        let r = mail("r", 400, &["a", "b", "c"], "re:order");
        let later = mail("d", 500, &["a", "b"], "re:order");
        let all = [a, b, c, r, later];
        let split = [Edit::Split("c".into())];
        let got: Vec<(String, String)> = all
            .iter()
            .map(|m| m.key.clone())
            .zip(thread_all_edited(SUPPORT, &all, &split))
            .collect();
        for (key, conv) in &got {
            let want = if matches!(key.as_str(), "c" | "r") {
                id("c")
            } else {
                id("a")
            };
            assert_eq!(*conv, want, "{key} in {got:?}");
        }
        // Whatever order the mailbox lists them in.
        let mut rev = all.to_vec();
        rev.reverse();
        let back: Vec<String> = thread_all_edited(SUPPORT, &rev, &split);
        assert_eq!(back.iter().filter(|c| **c == id("c")).count(), 2);
        assert_eq!(
            cut_links("x", &["a".into(), "c".into(), "e".into()], |k| k == "c"),
            (vec!["c".to_string(), "e".to_string()], false)
        );
        assert_eq!(cut_links("c", &["a".into()], |k| k == "c"), (vec![], false));
    }

    #[test]
    fn links_skip_self_and_repeats() {
        let h = Headers {
            references: vec!["a".into(), "b".into(), "me".into()],
            in_reply_to: vec!["b".into()],
            ..Headers::default()
        };
        let l = links(&h, "me");
        assert_eq!(l, vec!["a".to_string(), "b".to_string()]);
        assert_eq!(root_id("me", &l), "a");
        assert_eq!(root_id("me", &[]), "me");
        assert_eq!(message_key(None, "INBOX", 7, 3), "3.7.INBOX@tanto.invalid");
    }
}
