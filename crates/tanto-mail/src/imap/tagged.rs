//! A tagged completion line read as RFC 3501 §7.1 writes it: `tag SP status SP ["[" code "]"
//! SP] text`. The claim's commit point (did a compare-and-set win?) is the `MODIFIED`
//! response code of RFC 7162 §3.1.3, which imap-proto leaves as text: read here, in one place,
//! from where the grammar puts it, never from anywhere in the line.

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    No,
    Bad,
}

/// A tagged completion: its status, its response code's name (upper case) if it has one,
/// and the human text after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tagged {
    pub status: Status,
    pub code: Option<String>,
    pub text: String,
}

impl Tagged {
    /// A conditional STORE found the message changed since the MODSEQ it was given (RFC 7162
    /// §3.1.3): the compare-and-set lost.
    pub fn modified(&self) -> bool {
        self.code.as_deref() == Some("MODIFIED")
    }
}

/// Reads a tagged completion line (with or without its CRLF); None when it is not one.
pub fn parse(line: &[u8]) -> Option<Tagged> {
    let line = String::from_utf8_lossy(line);
    let line = line.trim_end_matches(['\r', '\n']);
    let (tag, rest) = line.split_once(' ')?;
    if tag == "*" || tag == "+" {
        return None;
    }
    let (status, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = match status.to_ascii_uppercase().as_str() {
        "OK" => Status::Ok,
        "NO" => Status::No,
        "BAD" => Status::Bad,
        _ => return None,
    };
    let (code, text) = match rest.strip_prefix('[') {
        Some(inner) => match inner.split_once(']') {
            Some((code, text)) => {
                let name = code
                    .split(' ')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                (Some(name), text.trim_start())
            }
            None => (None, rest),
        },
        None => (None, rest),
    };
    Some(Tagged {
        status,
        code,
        text: text.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_modified_code_counts_only_where_the_grammar_puts_it() {
        let lost = parse(b"a4 OK [MODIFIED 7] Conditional STORE failed\r\n").expect("tagged");
        assert!(lost.modified());
        assert_eq!(lost.status, Status::Ok);
        assert_eq!(lost.text, "Conditional STORE failed");
        assert!(parse(b"a4 ok [modified 7,9:12] done")
            .expect("tagged")
            .modified());
        // In the text, not the code: a server's words, not a lost race.
        let won = parse(b"a4 OK Store completed (not [MODIFIED])\r\n").expect("tagged");
        assert!(!won.modified());
        assert_eq!(won.code, None);
        assert!(!parse(b"a4 OK [HIGHESTMODSEQ 9] done")
            .expect("tagged")
            .modified());
        let no = parse(b"a4 NO [CANNOT] Keywords are not allowed").expect("tagged");
        assert_eq!(
            (no.status, no.code.as_deref()),
            (Status::No, Some("CANNOT"))
        );
        assert_eq!(parse(b"a4 OK").expect("bare").status, Status::Ok);
        assert_eq!(
            parse(b"* OK [ALERT] hi"),
            None.or(parse(b"* OK [ALERT] hi"))
        );
        assert_eq!(parse(b"a4 PREAUTH x"), None);
        assert_eq!(parse(b""), None);
    }
}
