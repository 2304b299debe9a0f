//! HTML to text: one linear pass that keeps line structure, for HTML parts and HTML-only mail.

use mail_parser::decoders::html::add_html_token;

/// Elements whose content is not text to read.
/// (`head` itself is not skipped: an unclosed one would hide the whole body. Its `title` and
/// `style` are.)
const SKIPPED_ELEMENTS: &[&str] = &["script", "style", "title", "template", "noscript"];

/// Elements that start and end a paragraph (a blank line around them).
const PARAGRAPH_ELEMENTS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "table",
    "ul",
    "ol",
    "dl",
    "pre",
    "hr",
];

/// Elements that start and end a line.
const LINE_ELEMENTS: &[&str] = &[
    "div",
    "tr",
    "li",
    "dt",
    "dd",
    "section",
    "article",
    "header",
    "footer",
    "nav",
    "aside",
    "address",
    "form",
    "fieldset",
    "figure",
    "figcaption",
    "main",
    "center",
    "caption",
    "tbody",
    "thead",
    "tfoot",
    "html",
    "body",
];

/// Converts HTML to readable text in one linear pass with no recursion, so deeply nested or
/// huge HTML costs neither stack nor more memory than its size. Block elements become line
/// breaks, list items get a dash, entities are decoded, script and style are dropped.
pub(super) fn html_to_text(html: &str) -> String {
    let bytes = html.as_bytes();
    let mut out = HtmlText {
        text: String::with_capacity(html.len() / 2),
        pending_space: false,
    };
    let mut skipping: Option<&'static str> = None;
    // Where the content of the element being skipped starts, and whether skipping is still
    // allowed: an element never closed (`<title>` in broken HTML) is read again as text.
    let mut skip_start = 0;
    let mut may_skip = true;
    // The document title, shown only when there is no other text.
    let mut title: Option<std::ops::Range<usize>> = None;
    let mut pre_depth = 0usize;
    // After a failed search for a tag end, no '>' exists past this point: tags are text there.
    let mut no_tag_end_from = usize::MAX;
    let mut i = 0;
    loop {
        if i >= bytes.len() {
            if skipping.take().is_some() && may_skip {
                may_skip = false;
                i = skip_start;
                continue;
            }
            break;
        }
        if bytes[i] == b'<' && i < no_tag_end_from {
            if bytes[i..].starts_with(b"<!--") {
                i = find(bytes, i + 4, b"-->").map_or(bytes.len(), |e| e + 3);
                continue;
            }
            let closing = bytes.get(i + 1) == Some(&b'/');
            let name_start = if closing { i + 2 } else { i + 1 };
            let starts_tag = bytes
                .get(name_start)
                .is_some_and(|b| b.is_ascii_alphabetic() || (!closing && matches!(b, b'!' | b'?')));
            if starts_tag {
                let name_end = bytes[name_start..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b':'))
                    .map_or(bytes.len(), |p| name_start + p);
                match tag_end(bytes, name_end) {
                    Some(end) => {
                        let name = html[name_start..name_end].to_ascii_lowercase();
                        let self_closing = end > 0 && bytes[end - 1] == b'/';
                        let tag_start = i;
                        i = end + 1;
                        if let Some(skipped) = skipping {
                            if closing && name == skipped {
                                skipping = None;
                                if skipped == "title" && title.is_none() {
                                    title = Some(skip_start..tag_start);
                                }
                            }
                            continue;
                        }
                        if !closing && !self_closing && may_skip {
                            if let Some(s) = SKIPPED_ELEMENTS.iter().find(|s| **s == name) {
                                skipping = Some(s);
                                skip_start = i;
                                continue;
                            }
                        }
                        if name == "pre" {
                            pre_depth = if closing {
                                pre_depth.saturating_sub(1)
                            } else {
                                pre_depth + 1
                            };
                        }
                        out.tag(&name, closing);
                        continue;
                    }
                    None => no_tag_end_from = i,
                }
            }
        }
        if skipping.is_some() {
            i = bytes[i + 1..]
                .iter()
                .position(|&b| b == b'<')
                .map_or(bytes.len(), |p| i + 1 + p);
            continue;
        }
        // A run of text up to the next '<'.
        let end = bytes[i + 1..]
            .iter()
            .position(|&b| b == b'<')
            .map_or(bytes.len(), |p| i + 1 + p);
        out.text_run(&html[i..end], pre_depth > 0);
        i = end;
    }
    if out.text.trim().is_empty() {
        if let Some(range) = title {
            out.text_run(html.get(range).unwrap_or_default(), false);
        }
    }
    out.finish()
}

/// Where the tag whose name ends at `from` closes (its '>'), honouring quoted attribute values
/// when they close; `None` when no '>' follows at all.
fn tag_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    let mut last = 0u8;
    for (off, &b) in bytes[from..].iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'>' => return Some(from + off),
            None if (b == b'"' || b == b'\'') && last == b'=' => quote = Some(b),
            None => {}
        }
        if !b.is_ascii_whitespace() {
            last = b;
        }
    }
    // An unclosed quote: fall back to the first '>'.
    bytes[from..]
        .iter()
        .position(|&b| b == b'>')
        .map(|p| from + p)
}

fn find(haystack: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| from + p)
}

/// The text being built from HTML, with white space collapsed as a browser would.
struct HtmlText {
    text: String,
    pending_space: bool,
}

impl HtmlText {
    fn tag(&mut self, name: &str, closing: bool) {
        match name {
            "br" => self.newline(1, true),
            "li" if !closing => {
                self.newline(1, false);
                self.text.push_str("- ");
                self.pending_space = false;
            }
            "td" | "th" if !closing => self.pending_space = true,
            "img" | "hr" if !closing => self.newline(2, false),
            _ if PARAGRAPH_ELEMENTS.contains(&name) => self.newline(2, false),
            _ if LINE_ELEMENTS.contains(&name) => self.newline(1, false),
            _ => {}
        }
    }

    /// Ends the current line; `n` = 2 leaves a blank line. `hard` (a `<br>`) always adds one.
    fn newline(&mut self, n: usize, hard: bool) {
        while self.text.ends_with(' ') {
            self.text.pop();
        }
        self.pending_space = false;
        if self.text.is_empty() {
            return;
        }
        if hard {
            self.text.push('\n');
            return;
        }
        let have = self.text.len() - self.text.trim_end_matches('\n').len();
        for _ in have..n {
            self.text.push('\n');
        }
    }

    fn text_run(&mut self, run: &str, pre: bool) {
        let mut rest = run;
        while !rest.is_empty() {
            // Entities: `&name;` or `&#n;` within a short distance.
            if let Some(stripped) = rest.strip_prefix('&') {
                let len = stripped
                    .bytes()
                    .take(32)
                    .position(|b| !(b.is_ascii_alphanumeric() || b == b'#'))
                    .filter(|&p| p > 0 && stripped.as_bytes().get(p) == Some(&b';'));
                if let Some(len) = len {
                    let mut decoded = String::new();
                    add_html_token(&mut decoded, &rest.as_bytes()[..len + 2], false);
                    let decoded = decoded.replace('\u{a0}', " ");
                    self.push_word(&decoded);
                    rest = &rest[len + 2..];
                    continue;
                }
            }
            let Some(c) = rest.chars().next() else { break };
            rest = &rest[c.len_utf8()..];
            if pre {
                if c == '\n' {
                    self.newline(1, true);
                } else {
                    self.text.push(if c == '\r' { ' ' } else { c });
                }
            } else if c.is_ascii_whitespace() {
                self.pending_space = true;
            } else {
                let mut buf = [0u8; 4];
                self.push_word(c.encode_utf8(&mut buf));
            }
        }
    }

    fn push_word(&mut self, s: &str) {
        if self.pending_space && !self.text.is_empty() && !self.text.ends_with(['\n', ' ']) {
            self.text.push(' ');
        }
        self.pending_space = false;
        self.text.push_str(s);
    }

    fn finish(self) -> String {
        let mut text = self.text.trim_end().to_owned();
        if !text.is_empty() {
            text.push('\n');
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mime::render;
    use crate::mime::test_support::corpus;

    #[test]
    fn html_becomes_readable_text() {
        let cases: &[(&str, &str)] = &[
            ("<p>Hello</p><p>World</p>", "Hello\n\nWorld\n"),
            ("<div>one</div><div>two</div>", "one\ntwo\n"),
            ("a<br>b<br/>c", "a\nb\nc\n"),
            ("<ul><li>x</li><li>y</li></ul>", "- x\n- y\n"),
            ("<table><tr><td>a</td><td>b</td></tr></table>", "a b\n"),
            (
                "a &amp; b &lt;c&gt; &#x3042;&#12356; &nbsp;&copy;",
                "a & b <c> あい  ©\n",
            ),
            (
                "<head><title>T</title><style>p{}</style></head><body>text</body>",
                "text\n",
            ),
            (
                "<script>if (a < b) { x = '</p>'; }</script>shown",
                "shown\n",
            ),
            ("<!-- <p>hidden</p> -->shown", "shown\n"),
            ("<a href=\"x>y\" title='a>b'>link</a>", "link\n"),
            ("  lots   of\n\n  space  ", "lots of space\n"),
            ("<pre>  keep\n    this</pre>", "  keep\n    this\n"),
            ("1 < 2 and 3 > 2", "1 < 2 and 3 > 2\n"),
            ("<title>only a title</title>", "only a title\n"),
            ("<p>unclosed <b", "unclosed <b\n"),
            ("日本語の<b>メール</b>です", "日本語のメールです\n"),
        ];
        for (html, want) in cases {
            assert_eq!(html_to_text(html), *want, "{html:?}");
        }
    }

    #[test]
    fn deeply_nested_and_huge_html_is_cheap() {
        let nested = format!(
            "{}deep{}",
            "<div><span>".repeat(200_000),
            "</span></div>".repeat(200_000)
        );
        let text = html_to_text(&nested);
        assert_eq!(text.trim(), "deep");
        let r = render(&corpus("large/nodemailer__htmllargecallstack.eml"));
        assert!(!r.text.is_empty());
        let r = render(&corpus("large/nodemailer__outofmemory.eml"));
        assert!(
            r.text.contains("$1 million in Life Insurance Coverage"),
            "{}",
            r.text
        );
        // Pathological: many '<' with no '>' at all, and many unclosed quotes.
        let lt = "<a ".repeat(100_000);
        assert!(html_to_text(&lt).len() >= 100_000);
        let quotes = "<a href=\"x>".repeat(50_000);
        let _ = html_to_text(&quotes);
    }
}
