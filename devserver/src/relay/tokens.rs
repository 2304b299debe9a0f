//! A lexer for one IMAP line (a command's or a response's text outside literals), just
//! enough for the service profiles to find what they rewrite without ever looking inside a
//! quoted string or a literal's bytes.

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An atom, number, flag or section: `UID`, `\Seen`, `+FLAGS.SILENT`,
    /// `BODY[HEADER.FIELDS (SUBJECT)]<0>` (a `[...]` section is part of its atom, parentheses
    /// and spaces included).
    Atom,
    /// A quoted string, quotes included.
    Quoted,
    Open,
    Close,
    /// A literal's announcement `{n}` / `{n+}` (its bytes follow the line).
    Literal,
}

/// One token: its kind and where it is in the line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tok {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Tok {
    /// The token's bytes in `line`.
    pub(crate) fn text<'a>(&self, line: &'a [u8]) -> &'a [u8] {
        &line[self.start..self.end]
    }

    /// True for an atom equal to `word`, ignoring ASCII case.
    pub(crate) fn is(&self, line: &[u8], word: &str) -> bool {
        self.kind == Kind::Atom && self.text(line).eq_ignore_ascii_case(word.as_bytes())
    }
}

/// The line without its CRLF (or LF).
pub(crate) fn body(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The tokens of `line` (CRLF excluded). Spaces separate tokens and are not tokens; a
/// quoted string left open runs to the end of the line.
pub(crate) fn lex(line: &[u8]) -> Vec<Tok> {
    let line = body(line);
    let mut toks = Vec::new();
    let mut i = 0;
    while i < line.len() {
        let start = i;
        let kind = match line[i] {
            b' ' => {
                i += 1;
                continue;
            }
            b'(' => {
                i += 1;
                Kind::Open
            }
            b')' => {
                i += 1;
                Kind::Close
            }
            b'"' => {
                i += 1;
                while i < line.len() && line[i] != b'"' {
                    i += if line[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(line.len());
                Kind::Quoted
            }
            b'{' => {
                while i < line.len() && line[i] != b'}' {
                    i += 1;
                }
                i = (i + 1).min(line.len());
                Kind::Literal
            }
            _ => {
                let mut brackets = 0usize;
                while i < line.len() {
                    match line[i] {
                        b'[' => brackets += 1,
                        b']' => brackets = brackets.saturating_sub(1),
                        b' ' | b'(' | b')' | b'"' | b'{' if brackets == 0 => break,
                        _ => {}
                    }
                    i += 1;
                }
                Kind::Atom
            }
        };
        toks.push(Tok {
            kind,
            start,
            end: i,
        });
    }
    toks
}

/// From `toks[open]` (an `Open`), the index of its matching `Close` (None when the line
/// ends first).
pub(crate) fn matching_close(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t.kind {
            Kind::Open => depth += 1,
            Kind::Close => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(line: &[u8]) -> Vec<String> {
        lex(line)
            .iter()
            .map(|t| String::from_utf8_lossy(t.text(body(line))).into_owned())
            .collect()
    }

    #[test]
    fn quoted_strings_sections_and_literals_are_single_tokens() {
        assert_eq!(
            texts(b"a1 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (MODSEQ X)]) \"a \\\" (b\" {5+}\r\n"),
            [
                "a1",
                "UID",
                "FETCH",
                "1:*",
                "(",
                "FLAGS",
                "BODY.PEEK[HEADER.FIELDS (MODSEQ X)]",
                ")",
                "\"a \\\" (b\"",
                "{5+}"
            ]
        );
        let toks = lex(b"x (a (b) c) d");
        assert_eq!(matching_close(&toks, 1), Some(7));
        assert_eq!(matching_close(&toks, 3), Some(5));
        assert_eq!(matching_close(&lex(b"x (a"), 1), None);
    }
}
