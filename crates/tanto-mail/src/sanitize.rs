//! Text from a message is hostile: these functions make it safe to put on a terminal or to use
//! as a file name. Everything shown to a user from a message passes through here.

/// ST (string terminator) in its 8-bit C1 form.
const C1_ST: char = '\u{9c}';

/// Mail must not drive the terminal: drops escape sequences, controls and bidi overrides.
pub fn for_display(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut cur = Cursor { s, pos: 0 };
    while let Some(c) = cur.bump() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => {
                if cur.peek() == Some('\n') {
                    cur.bump();
                }
                out.push('\n');
            }
            '\u{1b}' => skip_escape(&mut cur),
            // 8-bit CSI: parameters and a final byte follow, exactly as after `ESC [`.
            '\u{9b}' => skip_csi(&mut cur),
            // 8-bit DCS, SOS, OSC, PM, APC: a string up to ST follows.
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut cur),
            c if is_dropped(c) => {}
            c => out.push(c),
        }
    }
    out
}

/// JSON text with every character a terminal (or a reader's eye) could take for something
/// else escaped as `\uXXXX`: C1 controls, bidi controls, zero-width characters and line
/// separators. serde_json leaves them raw inside strings; escaped, the document means the
/// same and cannot drive a terminal it is printed to. Only valid inside JSON text: these
/// characters never occur outside its strings.
pub fn json_for_terminal(json: &str) -> std::borrow::Cow<'_, str> {
    let hidden = |c: char| {
        matches!(c,
            '\u{80}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2069}'
            | '\u{feff}')
    };
    if !json.chars().any(hidden) {
        return std::borrow::Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if hidden(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// True when `for_display` would return `s` unchanged: no escape, control (but `\n` and
/// `\t`), carriage return, or character it drops. Lets a printer skip the copy.
pub fn is_displayable_already(s: &str) -> bool {
    s.chars()
        .all(|c| matches!(c, '\n' | '\t') || !(c.is_control() || is_dropped(c)))
}

/// True when `name` (a mailbox's name) is 1-64 characters that print as they are on one
/// line: nothing `single_line` would change.
pub fn is_plain_name(name: &str) -> bool {
    (1..=64).contains(&name.chars().count()) && single_line(name) == name
}

/// Lists show one line per entry: subjects and names must not break the layout or the terminal.
pub fn single_line(s: &str) -> String {
    if crate::fast_path::enabled() {
        // Line breaks and white space at either end are dropped whatever else is there.
        let trimmed = s.trim_matches([' ', '\t', '\r', '\n']);
        if is_single_line_already(trimmed) {
            return trimmed.to_owned();
        }
    }
    let clean = for_display(s);
    let mut out = String::with_capacity(clean.len());
    // The blank run before the next character: its length and its first character.
    let mut run = (0usize, ' ');
    for c in clean.chars() {
        if looks_blank(c) {
            if run.0 == 0 {
                run.1 = c;
            }
            run.0 += 1;
            continue;
        }
        if run.0 > 0 && !out.is_empty() {
            // A lone ideographic space is how Japanese text separates: kept as written.
            out.push(if run == (1, '\u{3000}') {
                '\u{3000}'
            } else {
                ' '
            });
        }
        run.0 = 0;
        out.push(c);
    }
    out
}

/// White space of any kind, and the characters that draw nothing though they are not white
/// space (the braille blank, Hangul fillers, the Khmer inherent vowels): a run of them in a
/// subject pads it to wrap into lines that pass for tanto's own, so one line shows them as
/// one space.
fn looks_blank(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '\u{2800}'
                | '\u{3164}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{ffa0}'
                | '\u{17b4}'
                | '\u{17b5}'
        )
}

/// True when the UTF-8 text `b` starts with a character `looks_blank` names.
fn starts_blank(b: &[u8]) -> bool {
    let end = b.len().min(4);
    (1..=end).any(|n| {
        std::str::from_utf8(&b[..n])
            .ok()
            .and_then(|t| t.chars().next())
            .is_some_and(looks_blank)
    })
}

/// Text that `single_line` returns unchanged: no control character (C0, DEL, C1), bidi
/// control or line separator, and no white space other than single spaces between words.
fn is_single_line_already(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b' ' if b.get(i + 1) == Some(&b' ') => return false,
            // Any non-ASCII character `looks_blank` names (white space and blank-drawing
            // ones, e.g. U+00A0, U+3000, U+2800): the slow path makes them one space.
            0xc2 | 0xe1..=0xe3 | 0xef if starts_blank(&b[i..]) => return false,
            0..=0x1f | 0x7f => return false,
            // U+0080..=U+009F (C1 controls).
            0xc2 if matches!(b.get(i + 1), Some(0x80..=0x9f)) => return false,
            // U+2028..=U+202E (separators, bidi embeddings), U+2066..=U+2069 (isolates),
            // U+200B and U+2060..=U+2064 (invisible).
            0xe2 => match (b.get(i + 1), b.get(i + 2)) {
                (Some(0x80), Some(0xa8..=0xae | 0x8b))
                | (Some(0x81), Some(0xa6..=0xa9 | 0xa0..=0xa4)) => return false,
                _ => {}
            },
            // U+061C (Arabic letter mark), U+180E, U+FEFF.
            0xd8 if b.get(i + 1) == Some(&0x9c) => return false,
            0xe1 if b.get(i + 1) == Some(&0xa0) && b.get(i + 2) == Some(&0x8e) => return false,
            0xef if b.get(i + 1) == Some(&0xbb) && b.get(i + 2) == Some(&0xbf) => return false,
            _ => {}
        }
        i += 1;
    }
    true
}

/// A sender chooses attachment names: make one safe to create on disk, on any OS, without a path.
pub fn file_name(name: &str) -> String {
    let line = single_line(name);
    // Basename only: whatever follows the last separator of either convention.
    let base = line.rsplit(['/', '\\']).next().unwrap_or_default();
    // A drive letter ("C:name") that survived because no separator followed it.
    let base = match base.as_bytes() {
        [d, b':', ..] if d.is_ascii_alphabetic() => &base[2..],
        _ => base,
    };
    let replaced: String = base
        .chars()
        .map(|c| match c {
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    let trimmed = replaced
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    if trimmed.is_empty() {
        return "attachment".to_string();
    }
    let mut name = if is_reserved_windows_name(trimmed) {
        format!("_{trimmed}")
    } else {
        trimmed.to_string()
    };
    if name.len() > MAX_FILE_NAME_BYTES {
        name = with_suffix_fitting(&name, "");
    }
    name
}

/// The `n`th choice of a file name that is taken: `report.txt` → `report (2).txt`
/// (`n` = 2); `n` ≤ 1 gives the name itself. The stem is cut so that the result still fits
/// in 255 bytes, the extension kept; `name` should come from `file_name` (already fitting).
pub fn numbered_file_name(name: &str, n: u32) -> String {
    if n <= 1 {
        return name.to_string();
    }
    with_suffix_fitting(name, &format!(" ({n})"))
}

/// Most file systems cap a name at 255 bytes.
const MAX_FILE_NAME_BYTES: usize = 255;

/// Control characters and invisible direction overrides that are removed outright.
fn is_dropped(c: char) -> bool {
    c.is_control() // C0, DEL and C1 (U+0080..=U+009F)
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        // Invisible: the Arabic letter mark, zero-width space, word joiner and invisible
        // operators, BOM, Mongolian vowel separator. (ZWJ, ZWNJ, LRM and RLM stay: emoji,
        // scripts and right-to-left text need them.)
        || matches!(
            c,
            '\u{61c}' | '\u{180e}' | '\u{200b}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
        )
}

/// A position in a string, read one character at a time.
#[derive(Clone, Copy)]
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.pos..).and_then(|rest| rest.chars().next())
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Consumes the next character if `pred` accepts it.
    fn bump_if(&mut self, pred: impl Fn(char) -> bool) -> bool {
        match self.peek() {
            Some(c) if pred(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }
}

/// Consumes what follows an ESC already taken from the cursor.
fn skip_escape(cur: &mut Cursor<'_>) {
    match cur.peek() {
        Some('[') => {
            cur.bump();
            skip_csi(cur);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            cur.bump();
            skip_string(cur);
        }
        Some(' '..='/') => {
            // nF sequence (e.g. the ISO 2022 designations `ESC $ B`, `ESC ( J`):
            // intermediates then one final byte.
            while cur.bump_if(|c| matches!(c, ' '..='/')) {}
            cur.bump_if(|c| matches!(c, '0'..='~'));
        }
        Some('0'..='~') => {
            // Two-character sequence (ESC c, ESC 7, ESC =, ...).
            cur.bump();
        }
        // A lone ESC, or ESC before a control or a non-ASCII character: drop the ESC alone.
        _ => {}
    }
}

/// Consumes CSI parameters, intermediates and the final byte, stopping early at anything else.
fn skip_csi(cur: &mut Cursor<'_>) {
    while cur.bump_if(|c| matches!(c, ' '..='?')) {}
    cur.bump_if(|c| matches!(c, '@'..='~'));
}

/// Consumes an OSC/DCS/SOS/PM/APC payload up to its terminator (BEL, `ESC \` or 8-bit ST).
/// The payload never runs past the end of its line, so that a stray introducer cannot hide
/// the rest of a message (and the scan stays linear).
fn skip_string(cur: &mut Cursor<'_>) {
    while let Some(c) = cur.peek() {
        match c {
            '\n' | '\r' => return,
            '\u{7}' | C1_ST => {
                cur.bump();
                return;
            }
            '\u{1b}' => {
                cur.bump();
                if cur.peek() == Some('\\') {
                    cur.bump();
                    return;
                }
            }
            _ => {
                cur.bump();
            }
        }
    }
}

/// Names Windows reserves for devices, with or without an extension (`con.txt` too).
fn is_reserved_windows_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end();
    let upper = stem.to_ascii_uppercase();
    matches!(
        upper.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$"
    ) || ((upper.starts_with("COM") || upper.starts_with("LPT"))
        && upper.len() == 4
        && upper.as_bytes()[3].is_ascii_digit())
}

/// `name` with `suffix` put before its extension, the stem cut (on a character boundary)
/// so that the whole fits in `MAX_FILE_NAME_BYTES`: a longer name fails to be created.
fn with_suffix_fitting(name: &str, suffix: &str) -> String {
    let (stem, ext) = split_extension(name);
    let room = MAX_FILE_NAME_BYTES.saturating_sub(suffix.len() + ext.len());
    let stem = if stem.len() > room {
        let mut cut = room;
        while !stem.is_char_boundary(cut) {
            cut -= 1;
        }
        // A cut can end on a space, which would then sit oddly before " (2)" or ".pdf".
        stem[..cut].trim_end()
    } else {
        stem
    };
    format!("{stem}{suffix}{ext}")
}

/// Splits off an extension (from the last dot), when short enough to be one: in
/// "v1.2 release notes for Acme" the dot belongs to the name, so a number or a cut goes
/// at its end rather than into "v1".
fn split_extension(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= MAX_EXTENSION_BYTES => name.split_at(dot),
        _ => (name, ""),
    }
}

/// The longest extension (with its dot) kept whole when a name is cut.
const MAX_EXTENSION_BYTES: usize = 16;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keeps_its_meaning_with_terminal_characters_escaped() {
        let v = serde_json::json!({"a": "x\u{9b}31m\u{202e}y\u{200b}z", "b": "日本語"});
        let text = serde_json::to_string(&v).expect("json");
        let safe = json_for_terminal(&text);
        assert!(
            !safe.contains('\u{9b}') && !safe.contains('\u{202e}') && !safe.contains('\u{200b}')
        );
        assert!(safe.contains("\\u009b") && safe.contains("日本語"));
        let back: serde_json::Value = serde_json::from_str(&safe).expect("still JSON");
        assert_eq!(back, v);
    }

    #[test]
    fn blank_padding_is_one_space_on_one_line() {
        let padded = format!("Refund{}Supervisor note: approved", "\u{2800}".repeat(200));
        assert_eq!(single_line(&padded), "Refund Supervisor note: approved");
        assert_eq!(
            single_line("【重要】\u{3000}お知らせ"),
            "【重要】\u{3000}お知らせ"
        );
        assert_eq!(
            single_line("【重要】\u{3000}\u{3000}\u{3000}お知らせ"),
            "【重要】 お知らせ"
        );
        assert_eq!(single_line("a\u{3164}\u{a0}b"), "a b");
        assert_eq!(single_line("日本語 テスト"), "日本語 テスト");
    }

    #[test]
    fn invisible_characters_are_dropped_but_joiners_and_marks_stay() {
        assert_eq!(single_line("a\u{200b}b\u{feff}c\u{2060}d"), "abcd");
        assert_eq!(for_display("👨\u{200d}👩"), "👨\u{200d}👩");
    }

    #[test]
    fn for_display_strips_what_a_terminal_would_interpret() {
        let cases: &[(&str, &str)] = &[
            ("plain text", "plain text"),
            ("tab\tand\nnewline", "tab\tand\nnewline"),
            ("crlf\r\nline", "crlf\nline"),
            ("bare\rcr", "bare\ncr"),
            ("\r\r\n", "\n\n"),
            ("red \u{1b}[31mtext\u{1b}[0m", "red text"),
            ("clear\u{1b}[2J\u{1b}[H!", "clear!"),
            ("csi private \u{1b}[?1049h.", "csi private ."),
            ("title \u{1b}]0;pwned\u{7}after", "title after"),
            ("clip \u{1b}]52;c;ZXZpbA==\u{1b}\\after", "clip after"),
            (
                "link \u{1b}]8;;http://x\u{1b}\\text\u{1b}]8;;\u{1b}\\",
                "link text",
            ),
            ("dcs \u{1b}Pq#0;2;0;0;0\u{1b}\\x", "dcs x"),
            ("apc \u{1b}_payload\u{9c}x", "apc x"),
            ("pm \u{1b}^payload\u{7}x", "pm x"),
            ("sos \u{1b}Xpayload\u{1b}\\x", "sos x"),
            (
                "unterminated \u{1b}]0;title\nnext line",
                "unterminated \nnext line",
            ),
            ("iso2022 \u{1b}$B$3\u{1b}(B.", "iso2022 $3."),
            ("designate \u{1b}$(D.", "designate ."),
            ("reset \u{1b}c.", "reset ."),
            ("save \u{1b}7.", "save ."),
            ("lone esc at end \u{1b}", "lone esc at end "),
            ("esc before cjk \u{1b}日本", "esc before cjk 日本"),
            ("c1 csi \u{9b}31mred", "c1 csi red"),
            ("c1 osc \u{9d}0;t\u{9c}x", "c1 osc x"),
            ("c1 others \u{85}\u{8d}\u{9a}x", "c1 others x"),
            (
                "nul\u{0}bel\u{7}bs\u{8}del\u{7f}ff\u{c}vt\u{b}",
                "nulbelbsdelffvt",
            ),
            ("bidi \u{202e}fdp.exe\u{202c}", "bidi fdp.exe"),
            (
                "isolates \u{2066}a\u{2067}b\u{2068}c\u{2069}",
                "isolates abc",
            ),
            (
                "keep 日本語 テスト 📧 e\u{301} \u{200f}",
                "keep 日本語 テスト 📧 e\u{301} \u{200f}",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(&for_display(input), want, "input {input:?}");
        }
    }

    #[test]
    fn single_line_collapses_whitespace_and_keeps_ideographic_space() {
        let cases: &[(&str, &str)] = &[
            ("  Re:\tHello\r\n  world  ", "Re: Hello world"),
            ("a\n\n\nb", "a b"),
            ("【重要】\u{3000}お知らせ", "【重要】\u{3000}お知らせ"),
            ("ends in nul\u{0}", "ends in nul"),
            ("\u{1b}[1mbold\u{1b}[0m subject", "bold subject"),
            ("", ""),
            (" \t\n", ""),
        ];
        for (input, want) in cases {
            assert_eq!(&single_line(input), want, "input {input:?}");
        }
    }

    #[test]
    fn single_line_shortcut_agrees_with_the_general_code() {
        let pieces = [
            "",
            " ",
            "  ",
            "a",
            "Re:",
            "日本語",
            "\u{3000}",
            "\t",
            "\n",
            "\r",
            "\u{1b}[1m",
            "\u{7f}",
            "\u{80}",
            "\u{9b}",
            "\u{9f}",
            "\u{a0}",
            "é",
            "\u{2014}",
            "\u{2026}",
            "\u{2027}",
            "\u{2028}",
            "\u{2029}",
            "\u{202a}",
            "\u{202e}",
            "\u{202f}",
            "\u{2065}",
            "\u{2066}",
            "\u{2069}",
            "\u{206a}",
            "\u{200f}",
            "📧",
            "\u{0}",
        ];
        let mut inputs = Vec::new();
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    inputs.push(format!("{a}{b}x{c}"));
                    inputs.push(format!("{a}{b}{c}"));
                }
            }
        }
        for input in &inputs {
            let general = crate::fast_path::without(|| single_line(input));
            assert_eq!(single_line(input), general, "{input:?}");
        }
    }

    #[test]
    fn file_name_is_safe_to_create() {
        let long_ext = format!("{}.pdf", "あ".repeat(100));
        let cases: &[(&str, &str)] = &[
            ("report.pdf", "report.pdf"),
            ("../../etc/passwd", "passwd"),
            ("..\\..\\windows\\system32\\evil.dll", "evil.dll"),
            ("C:\\Users\\a\\doc.txt", "doc.txt"),
            ("C:doc.txt", "doc.txt"),
            ("/abs/path/", "attachment"),
            ("..", "attachment"),
            (".bashrc", "bashrc"),
            ("...hidden.txt", "hidden.txt"),
            ("", "attachment"),
            ("   ", "attachment"),
            ("CON", "_CON"),
            ("nul.txt", "_nul.txt"),
            ("com1.log", "_com1.log"),
            ("LPT9", "_LPT9"),
            ("console.txt", "console.txt"),
            ("new\nline\t.txt", "new line .txt"),
            ("esc\u{1b}[31m.txt", "esc.txt"),
            ("gpj.\u{202e}exe", "gpj.exe"),
            ("a<b>c:d\"e|f?g*h.txt", "a_b_c_d_e_f_g_h.txt"),
            ("trailing dots...", "trailing dots"),
            ("見積書.xlsx", "見積書.xlsx"),
        ];
        for (input, want) in cases {
            assert_eq!(&file_name(input), want, "input {input:?}");
        }
        let shortened = file_name(&long_ext);
        assert!(shortened.len() <= 255, "{} bytes", shortened.len());
        assert!(shortened.ends_with(".pdf"));
        assert!(shortened.starts_with("あああ"));
        let no_ext = file_name(&"é".repeat(300));
        assert!(no_ext.len() <= 255 && no_ext.chars().all(|c| c == 'é'));
    }

    #[test]
    fn a_numbered_name_keeps_its_extension() {
        let cases: &[(&str, u32, &str)] = &[
            ("report.txt", 1, "report.txt"),
            ("report.txt", 2, "report (2).txt"),
            ("report", 3, "report (3)"),
            ("archive.tar.gz", 2, "archive.tar (2).gz"),
            (
                "v1.2 release notes for Acme",
                2,
                "v1.2 release notes for Acme (2)",
            ),
            ("見積書.pdf", 10, "見積書 (10).pdf"),
        ];
        for (name, n, want) in cases {
            assert_eq!(&numbered_file_name(name, *n), want, "{name:?} {n}");
        }
    }

    #[test]
    fn a_numbered_255_byte_name_is_cut_on_a_character_to_still_fit() {
        // 2 + 83 × 3 + 4 = 255 bytes: any suffix must cut into the 3-byte characters.
        let name = format!("ab{}.pdf", "書".repeat(83));
        assert_eq!(name.len(), 255);
        assert_eq!(file_name(&name), name, "a name that fits is left whole");
        let mut seen = std::collections::HashSet::new();
        for n in [1, 2, 3, 10, 1000, u32::MAX] {
            let numbered = numbered_file_name(&name, n);
            assert!(numbered.len() <= 255, "{n}: {} bytes", numbered.len());
            assert!(numbered.starts_with("ab書書"), "{numbered}");
            if n > 1 {
                assert!(numbered.ends_with(&format!("書 ({n}).pdf")), "{numbered}");
            }
            assert!(seen.insert(numbered), "{n}: not distinct");
        }
        let no_ext = numbered_file_name(&"書".repeat(85), 2);
        assert!(
            no_ext.len() <= 255 && no_ext.ends_with("書 (2)"),
            "{no_ext}"
        );
    }
}
