//! Agent identities as they appear in keywords (`tanto-by-<id>`).

/// True when `id` can be used in a keyword: 1-16 of `a-z 0-9 _ -`.
pub fn valid_id(id: &str) -> bool {
    (1..=16).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The agents a note names as `@id` (any case; each once, in order): not an address's `@` (a letter,
/// digit or `.` `_` `%` `+` `-` right before it), and only a whole id (`@bobby` is not bob).
pub fn mentions(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('@') {
        let before = i.checked_sub(1).map(|j| bytes[j]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b".-_%+".contains(&b)) {
            continue;
        }
        let id: String = text[i + 1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        let after = text[i + 1 + id.len()..].chars().next();
        // `@bob.` ends a sentence; `@bob.example` is a domain.
        let domain = after == Some('.')
            && text[i + 2 + id.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric());
        let id = id.to_ascii_lowercase();
        if valid_id(&id)
            && !domain
            && !after.is_some_and(|c| c.is_alphanumeric())
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{mentions, valid_id};

    #[test]
    fn a_note_names_agents_with_at_but_not_in_addresses() {
        assert_eq!(
            mentions(
                "@bob please look; cc @ken-2 and @bob again. Mail y@bob.com or @alice.example"
            ),
            vec!["bob", "ken-2"]
        );
        assert_eq!(mentions("（@hanako さん確認お願いします）"), vec!["hanako"]);
        assert_eq!(mentions("@bob."), vec!["bob"]);
        assert_eq!(
            mentions("@Bob: see @bobbyyyyyyyyyyyyy @ @日本"),
            vec!["bob"]
        );
    }

    #[test]
    fn ids_are_short_lowercase_atoms() {
        for ok in ["alice", "a", "bob_2", "x-y", "abcdefghijklmnop"] {
            assert!(valid_id(ok), "{ok}");
        }
        for bad in [
            "",
            "Alice",
            "a b",
            "abcdefghijklmnopq",
            "ali(ce",
            "佐藤",
            "a*",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
