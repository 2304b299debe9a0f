//! Threading messages into conversations, as decisions over plain data.
//!
//! A conversation is the set of messages linked by Message-ID / In-Reply-To / References, or,
//! for a reply whose mailer dropped those headers, by normalized subject and customer. Its id
//! is derived from its earliest message, so every agent that sees the same mail computes the
//! same ids, whatever order the mail reached its cache in.

use sha2::{Digest, Sha256};

use super::model::Headers;

/// A conversation as threading sees it: its id and the message it is rooted at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    pub conv: String,
    pub date: i64,
    pub key: String,
}

/// What to do with a new message: put it in `conv` (creating it when new) with `root`, and
/// fold the conversations in `absorb` into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub root: Root,
    pub absorb: Vec<String>,
}

/// The stable id of the conversation rooted at the message with this key.
pub fn conversation_id(root_key: &str) -> String {
    let digest = Sha256::digest(root_key.as_bytes());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
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
    let mut out: Vec<String> = Vec::new();
    for id in h.references.iter().chain(h.in_reply_to.iter()) {
        let id = id.trim();
        if !id.is_empty() && id != own_key && !out.iter().any(|o| o == id) {
            out.push(id.to_string());
        }
    }
    out
}

/// Decides a new message's conversation from the conversations its ids (or, failing those,
/// its subject and customer) already belong to. The earliest root wins, so that the result
/// does not depend on the order messages arrived in.
pub fn decide(me: Root, found: &[Root]) -> Decision {
    let mut all: Vec<&Root> = found.iter().collect();
    all.push(&me);
    let winner = all
        .iter()
        .min_by(|a, b| (a.date, &a.key).cmp(&(b.date, &b.key)))
        .map(|r| (*r).clone())
        .unwrap_or(me.clone());
    let winner = Root {
        conv: conversation_id(&winner.key),
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A tiny in-memory store doing what the cache does, to check order independence.
    #[derive(Default)]
    struct Store {
        by_id: HashMap<String, String>,
        roots: HashMap<String, Root>,
        msgs: HashMap<String, String>,
    }

    impl Store {
        fn add(&mut self, key: &str, date: i64, refs: &[&str]) {
            let mut found: Vec<Root> = Vec::new();
            for id in refs.iter().copied().chain([key]) {
                if let Some(c) = self.by_id.get(id) {
                    let r = self.roots[c].clone();
                    if !found.contains(&r) {
                        found.push(r);
                    }
                }
            }
            let me = Root {
                conv: conversation_id(key),
                date,
                key: key.into(),
            };
            let d = decide(me, &found);
            for old in d.absorb.iter().chain(std::iter::once(&d.root.conv)) {
                self.roots.remove(old);
                for v in self.by_id.values_mut().chain(self.msgs.values_mut()) {
                    if v == old {
                        *v = d.root.conv.clone();
                    }
                }
            }
            for id in refs.iter().copied().chain([key]) {
                self.by_id.insert(id.into(), d.root.conv.clone());
            }
            self.msgs.insert(key.into(), d.root.conv.clone());
            self.roots.insert(d.root.conv.clone(), d.root);
        }
    }

    #[test]
    fn a_reply_joins_the_conversation_of_the_message_it_answers() {
        let mut s = Store::default();
        s.add("a@x", 100, &[]);
        s.add("b@x", 200, &["a@x"]);
        s.add("c@x", 300, &["a@x", "b@x"]);
        assert_eq!(s.msgs["a@x"], s.msgs["c@x"]);
        assert_eq!(s.msgs["a@x"], conversation_id("a@x"));
    }

    #[test]
    fn ids_do_not_depend_on_arrival_order() {
        let msgs: &[(&str, i64, &[&str])] = &[
            ("a", 100, &[]),
            ("b", 200, &["a"]),
            ("c", 300, &["a", "b"]),
            ("d", 150, &["zz"]),
            ("e", 400, &["zz", "d"]),
            ("f", 500, &["c", "e"]),
            ("g", 50, &[]),
        ];
        let orders: &[&[usize]] = &[
            &[0, 1, 2, 3, 4, 5, 6],
            &[6, 5, 4, 3, 2, 1, 0],
            &[5, 0, 3, 6, 1, 4, 2],
            &[2, 4, 6, 1, 3, 5, 0],
        ];
        let mut results = Vec::new();
        for order in orders {
            let mut s = Store::default();
            for &i in *order {
                let (k, d, r) = msgs[i];
                s.add(k, d, r);
            }
            let mut m: Vec<(String, String)> = s.msgs.into_iter().collect();
            m.sort();
            results.push(m);
        }
        assert!(results.windows(2).all(|w| w[0] == w[1]), "{results:#?}");
        // f links the a-thread and the d-thread: one conversation rooted at a.
        let first = &results[0];
        let conv_of = |k: &str| first.iter().find(|(m, _)| m == k).map(|(_, c)| c.clone());
        assert_eq!(conv_of("e"), Some(conversation_id("a")));
        assert_eq!(conv_of("g"), Some(conversation_id("g")));
    }

    #[test]
    fn links_skip_self_and_repeats() {
        let h = Headers {
            references: vec!["a".into(), "b".into(), "me".into()],
            in_reply_to: vec!["b".into()],
            ..Headers::default()
        };
        assert_eq!(links(&h, "me"), vec!["a".to_string(), "b".to_string()]);
        assert_eq!(message_key(None, "INBOX", 7, 3), "3.7.INBOX@tanto.invalid");
        assert_eq!(conversation_id("a").len(), 12);
    }
}
