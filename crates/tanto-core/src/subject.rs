//! Subject normalization for threading mail whose mailer dropped In-Reply-To and References.

/// Reply and forward prefixes in the languages our users' customers write in, lower case,
/// without the colon.
const PREFIXES: &[&str] = &[
    "re", "fw", "fwd", "aw", "sv", "vs", "wg", "antw", "tr", "rv", "ref", "odp", "res", "返信",
    "転送", "回复", "回覆", "转发", "轉寄", "답장", "전달",
];

/// The subject with reply/forward prefixes, list tags like `[support]`, counters like
/// `Re[2]:`/`Re^2:` and surrounding whitespace removed, lower-cased; and whether a reply or
/// forward prefix was found.
pub fn normalize(subject: &str) -> (String, bool) {
    let mut s = subject.trim();
    let mut had_prefix = false;
    loop {
        let before = s;
        s = strip_tag(s).trim_start();
        if let Some(rest) = strip_prefix(s) {
            s = rest.trim_start();
            had_prefix = true;
        }
        if s == before {
            break;
        }
    }
    let mut out = String::with_capacity(s.len());
    let mut last_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            if !last_space && !out.is_empty() {
                out.push(' ');
            }
            last_space = true;
        } else {
            // The same as `to_lowercase` for ASCII, without its iterator (a first sync
            // normalizes every subject).
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
            last_space = false;
        }
    }
    (out.trim_end().to_string(), had_prefix)
}

/// Strips one `[list-tag]` at the start, but not a subject that is only a tag.
fn strip_tag(s: &str) -> &str {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            let after = &rest[end + 1..];
            if !after.trim().is_empty() {
                return after;
            }
        }
    }
    s
}

/// Strips one reply/forward prefix (`Re:`, `RE :`, `Re[2]:`, `Re^2:`, `返信：`) if present.
fn strip_prefix(s: &str) -> Option<&str> {
    let word_end = s
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let word = &s[..word_end];
    if word.is_empty()
        || !PREFIXES
            .iter()
            .any(|p| word.eq_ignore_ascii_case(p) || word == *p)
    {
        return None;
    }
    let mut rest = &s[word_end..];
    // Counters: Re[2]: Re(2): Re^2:
    if let Some(r) = rest.strip_prefix('[').or_else(|| rest.strip_prefix('(')) {
        let close = r.find([']', ')'])?;
        if !r[..close].chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        rest = &r[close + 1..];
    } else if let Some(r) = rest.strip_prefix('^') {
        rest = r.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let rest = rest.trim_start_matches(' ');
    rest.strip_prefix(':')
        .or_else(|| rest.strip_prefix('：'))
        .or_else(|| rest.strip_prefix('>'))
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn reply_and_forward_prefixes_in_many_languages_are_removed() {
        let cases = [
            ("Question about my order", "question about my order", false),
            (
                "Re: Question about my order",
                "question about my order",
                true,
            ),
            ("RE: RE: Fwd: Question", "question", true),
            ("FW: question", "question", true),
            ("AW: Frage", "frage", true),
            ("SV: Fråga", "fråga", true),
            ("Re[2]: Hello", "hello", true),
            ("Re^3: Hello", "hello", true),
            ("re : spaced", "spaced", true),
            ("返信: 注文について", "注文について", true),
            ("転送：注文について", "注文について", true),
            ("[support] Re: Login fails", "login fails", true),
            ("Re: [support] Login fails", "login fails", true),
            ("Regarding the invoice", "regarding the invoice", false),
            ("Return policy", "return policy", false),
            ("[only a tag]", "[only a tag]", false),
            ("  Many   spaces  ", "many spaces", false),
            ("", "", false),
            ("Re:", "", true),
        ];
        for (input, want, prefixed) in cases {
            assert_eq!(normalize(input), (want.to_string(), prefixed), "{input:?}");
        }
    }

    /// The ASCII shortcut of the lower-casing gives what `char::to_lowercase` gives, for
    /// every character around it (Unicode's `İ` lower-cases to two).
    #[test]
    fn lower_casing_is_unicodes_for_ascii_and_beyond() {
        for c in (0u32..0x250)
            .chain([0x130, 0x1e9e, 0x2126])
            .filter_map(char::from_u32)
        {
            let input = format!("x{c}Y{c}");
            let want: String = input
                .chars()
                .flat_map(char::to_lowercase)
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert_eq!(normalize(&input).0, want, "{c:?}");
        }
    }
}
