//! Agent identities as they appear in keywords (`tanto-by-<id>`).

/// True when `id` can be used in a keyword: 1-16 of `a-z 0-9 _ -`.
pub fn valid_id(id: &str) -> bool {
    (1..=16).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::valid_id;

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
