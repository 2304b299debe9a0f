//! The bytes of an outgoing message: header fields with RFC 2047 encoded-words folded under
//! 78 columns, a UTF-8 (base64) or ISO-2022-JP (7bit) text body, attachments as base64
//! parts with RFC 2231 file names. CRLF line ends throughout.

use super::model::Address;

/// The body's charset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    /// Used only when every character of the headers and body is in JIS X 0208 (not its
    /// NEC or IBM extensions); otherwise UTF-8.
    Iso2022Jp,
}

/// A file to attach.
#[derive(Debug, Clone)]
pub struct FileAttachment {
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Everything a reply's bytes are made of.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub from: Address,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    /// Without brackets.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    /// RFC 5322 date text.
    pub date: String,
    pub agent: String,
    /// The template the reply started from, recorded for ranking templates later.
    pub template: Option<String>,
    pub body: String,
    pub attachments: Vec<FileAttachment>,
    pub charset: Charset,
    /// A boundary for multipart bodies (unique per message; the caller makes one).
    pub boundary: String,
}

/// The message's bytes. ISO-2022-JP falls back to UTF-8 when some character has no
/// JIS X 0208 form (the result says which was used).
pub fn render(m: &Outgoing) -> (Vec<u8>, Charset) {
    let charset = match m.charset {
        Charset::Iso2022Jp if fits_iso2022jp(m) => Charset::Iso2022Jp,
        _ => Charset::Utf8,
    };
    let mut h = String::new();
    field(&mut h, "From", &address(&m.from, charset));
    let list = |v: &[Address]| {
        v.iter()
            .map(|a| address(a, charset))
            .collect::<Vec<_>>()
            .join(", ")
    };
    field(&mut h, "To", &list(&m.to));
    if !m.cc.is_empty() {
        field(&mut h, "Cc", &list(&m.cc));
    }
    field(&mut h, "Subject", &encode_words(&m.subject, charset, 9));
    field(&mut h, "Date", &m.date);
    field(&mut h, "Message-ID", &format!("<{}>", m.message_id));
    // Each id is folded around, never inside: a quoted local part (`<"a  b"@x>`) keeps its
    // spaces as they are.
    if let Some(r) = &m.in_reply_to {
        field_words(&mut h, "In-Reply-To", &[format!("<{r}>")]);
    }
    if !m.references.is_empty() {
        let refs: Vec<String> = m.references.iter().map(|r| format!("<{r}>")).collect();
        field_words(&mut h, "References", &refs);
    }
    field(&mut h, "X-Tanto-Agent", &m.agent);
    if let Some(t) = m.template.as_deref().filter(|t| !t.trim().is_empty()) {
        // Always UTF-8 words: the name is tanto's, not the customer's text.
        field(
            &mut h,
            "X-Tanto-Template",
            &encode_words(&t.replace(['\r', '\n'], " "), Charset::Utf8, 18),
        );
    }
    field(&mut h, "MIME-Version", "1.0");
    let mut out = h.into_bytes();
    let text = text_part(&m.body, charset);
    if m.attachments.is_empty() {
        out.extend_from_slice(&text);
        return (out, charset);
    }
    let b = &m.boundary;
    out.extend_from_slice(
        format!("Content-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n").as_bytes(),
    );
    out.extend_from_slice(format!("--{b}\r\n").as_bytes());
    out.extend_from_slice(&text);
    for a in &m.attachments {
        out.extend_from_slice(format!("\r\n--{b}\r\n").as_bytes());
        let name = filename_param(&a.name);
        out.extend_from_slice(
            format!(
                "Content-Type: {}\r\nContent-Disposition: attachment;\r\n {name}\r\nContent-Transfer-Encoding: base64\r\n\r\n",
                a.content_type
            )
            .as_bytes(),
        );
        out.extend_from_slice(base64_lines(&a.bytes).as_bytes());
    }
    out.extend_from_slice(format!("\r\n--{b}--\r\n").as_bytes());
    (out, charset)
}

fn fits_iso2022jp(m: &Outgoing) -> bool {
    let mut all = vec![m.subject.as_str(), m.body.as_str()];
    for a in std::iter::once(&m.from).chain(&m.to).chain(&m.cc) {
        all.extend(a.name.as_deref());
    }
    all.iter().all(|s| in_jis_x0208(s))
}

/// Whether `s` encodes in ISO-2022-JP within JIS X 0208 proper. encoding_rs follows the
/// WHATWG index, which also maps NEC row 13 (①, Ⅰ, ㈱, №) and the NEC-selected IBM
/// extensions in rows 89-92 (髙, 﨑) to ISO-2022-JP bytes: iconv rejects those and Python's
/// iso2022_jp codec cannot read them, so the customer would see mojibake.
fn in_jis_x0208(s: &str) -> bool {
    let (bytes, _, lossy) = encoding_rs::ISO_2022_JP.encode(s);
    if lossy {
        return false;
    }
    // The encoder's escapes are all three bytes (ESC ( B, ESC ( J, ESC $ B); after ESC $ B
    // the text is pairs of bytes whose first is 0x20 + the JIS row.
    let mut two_byte = false;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == 0x1b {
            two_byte = bytes.get(i + 1) == Some(&b'$');
            i += 3;
        } else if two_byte {
            // Rows 1-8 (symbols, kana, Greek, Cyrillic) and 16-84 (kanji levels 1 and 2).
            if !matches!(b, 0x21..=0x28 | 0x30..=0x74) {
                return false;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    true
}

/// The text part: its header fields, a blank line and the encoded body.
fn text_part(body: &str, charset: Charset) -> Vec<u8> {
    // Every line break goes out as CRLF, and a lone CR is a line break too (old Mac text, a
    // paste from some terminals): sent raw, a bare CR or LF is refused by some SMTP servers
    // and shown differently by each reader; as a break the text reads as its writer saw it.
    let crlf = body
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n");
    let crlf = if crlf.ends_with("\r\n") {
        crlf
    } else {
        crlf + "\r\n"
    };
    match charset {
        Charset::Iso2022Jp => {
            let (bytes, _, _) = encoding_rs::ISO_2022_JP.encode(&crlf);
            let long = bytes.split(|b| *b == b'\n').any(|l| l.len() > 990);
            if !long {
                let mut out = b"Content-Type: text/plain; charset=ISO-2022-JP\r\nContent-Transfer-Encoding: 7bit\r\n\r\n".to_vec();
                out.extend_from_slice(&bytes);
                return out;
            }
            text_part(body, Charset::Utf8)
        }
        Charset::Utf8 if crlf.is_ascii() && crlf.split("\r\n").all(|l| l.len() <= 990) => {
            let mut out = b"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n".to_vec();
            out.extend_from_slice(crlf.as_bytes());
            out
        }
        Charset::Utf8 => {
            let mut out = b"Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
            out.extend_from_slice(base64_lines(crlf.as_bytes()).as_bytes());
            out
        }
    }
}

/// `Name <a@b>` with the name encoded or quoted as needed.
fn address(a: &Address, charset: Charset) -> String {
    let Some(n) = a.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) else {
        return a.email.clone();
    };
    let plain = n
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " !#$%&'*+-/=?^_`{|}~".contains(c));
    let shown = if plain {
        Some(n.to_string())
    } else if n.is_ascii() {
        let q = n.replace('\\', "\\\\").replace('"', "\\\"");
        Some(format!("\"{q}\""))
    } else {
        None
    };
    // "From: " is the longest field name an address follows.
    let name = match shown {
        Some(s) if foldable(&s, 6) => s,
        _ => encoded_words(n, charset, 6),
    };
    format!("{name} <{}>", a.email)
}

/// Text as is when ASCII and foldable, else as encoded-words. `used` is how much of the
/// first line is taken.
fn encode_words(text: &str, charset: Charset, used: usize) -> String {
    // A header value is one line: a line break in it is a space, never an encoded CR.
    let text = text.replace(['\r', '\n'], " ");
    if text.is_ascii() && foldable(&text, used) {
        return text;
    }
    encoded_words(&text, charset, used)
}

/// Whether `field` can fold `text` under 78 columns: every word fits on a line of its own,
/// the first one after the `used` columns of the field name. A longer word could only go
/// out as one long line (2,000 columns for a pasted subject); encoded-words can be split.
fn foldable(text: &str, used: usize) -> bool {
    text.split(' ')
        .filter(|w| !w.is_empty())
        .enumerate()
        .all(|(i, w)| {
            let room = if i == 0 {
                78usize.saturating_sub(used)
            } else {
                77
            };
            w.len() <= room
        })
}

/// Text as encoded-words of at most 75 characters each, separated by spaces (where the
/// folding happens).
fn encoded_words(text: &str, charset: Charset, used: usize) -> String {
    let (label, overhead) = match charset {
        Charset::Utf8 => ("UTF-8", "=?UTF-8?B??=".len()),
        Charset::Iso2022Jp => ("ISO-2022-JP", "=?ISO-2022-JP?B??=".len()),
    };
    let encode = |s: &str| -> Vec<u8> {
        match charset {
            Charset::Utf8 => s.as_bytes().to_vec(),
            // Each word is complete: it starts and ends in ASCII mode.
            Charset::Iso2022Jp => encoding_rs::ISO_2022_JP.encode(s).0.into_owned(),
        }
    };
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        let mut next = chunk.clone();
        next.push(c);
        let len = base64_len(encode(&next).len()) + overhead;
        // The first word shares its line with the field name; the rest start a line of
        // their own after the folding space.
        let room = if words.is_empty() {
            75.min(78usize.saturating_sub(used))
        } else {
            75
        };
        if len > room && !chunk.is_empty() {
            words.push(chunk);
            chunk = c.to_string();
        } else {
            chunk = next;
        }
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    words
        .iter()
        .map(|w| format!("=?{label}?B?{}?=", base64(&encode(w))))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Appends `Name: value` folded at spaces so that no line passes 78 columns where it can
/// be helped (an unbreakable token may go to 998).
fn field(out: &mut String, name: &str, value: &str) {
    // A CR or LF in a value would end the field (or start a forged one): it folds instead.
    let words: Vec<&str> = value
        .split([' ', '\r', '\n'])
        .filter(|t| !t.is_empty())
        .collect();
    field_words(out, name, &words);
}

/// Appends `Name: ` and the words, folded between them only.
fn field_words(out: &mut String, name: &str, words: &[impl AsRef<str>]) {
    let mut line = format!("{name}:");
    for word in words {
        // The one line break a word may not bring is a raw one.
        let token = word.as_ref().replace(['\r', '\n'], " ");
        if line.len() + 1 + token.len() > 78 && line.len() > name.len() + 1 {
            out.push_str(&line);
            out.push_str("\r\n");
            line = String::new();
        }
        line.push(' ');
        line.push_str(&token);
    }
    out.push_str(&line);
    out.push_str("\r\n");
}

/// RFC 2231 `filename*=UTF-8''...` (with a plain `filename=` too for old readers when ASCII).
fn filename_param(name: &str) -> String {
    if name.is_ascii() && !name.contains(['"', '\\']) {
        return format!("filename=\"{name}\"");
    }
    let mut enc = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("filename*=UTF-8''{enc}")
}

fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(base64_len(data.len()));
    for c in data.chunks(3) {
        let n = (c[0] as u32) << 16
            | (c.get(1).copied().unwrap_or(0) as u32) << 8
            | c.get(2).copied().unwrap_or(0) as u32;
        out.push(B64[(n >> 18) as usize & 63] as char);
        out.push(B64[(n >> 12) as usize & 63] as char);
        out.push(if c.len() > 1 {
            B64[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            B64[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

/// Base64 in lines of 76 characters, each ending in CRLF.
fn base64_lines(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(57) {
        out.push_str(&base64(chunk));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(subject: &str, body: &str, charset: Charset) -> Outgoing {
        Outgoing {
            from: Address {
                name: Some("サポート窓口".into()),
                email: "support@example.com".into(),
            },
            to: vec![Address {
                name: Some("山田 太郎".into()),
                email: "yamada@customer.jp".into(),
            }],
            cc: vec![],
            subject: subject.into(),
            message_id: "tanto.1@example.com".into(),
            in_reply_to: Some("orig@customer.jp".into()),
            template: None,
            references: vec!["root@customer.jp".into(), "orig@customer.jp".into()],
            date: "Mon, 5 Jan 2026 10:00:00 +0900".into(),
            agent: "alice".into(),
            body: body.into(),
            attachments: vec![],
            charset,
            boundary: "b1".into(),
        }
    }

    fn decode(raw: &[u8]) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(raw)
            .expect("parses")
    }

    #[test]
    fn utf8_japanese_round_trips_and_no_header_line_is_long() {
        let subject =
            "Re: 【重要】ご注文いただいた商品の配送予定日と返品・交換のお手続きについてのご案内";
        let body = "山田様\n\nお問い合わせありがとうございます。🙇\n";
        let (raw, cs) = render(&msg(subject, body, Charset::Utf8));
        assert_eq!(cs, Charset::Utf8);
        let head = String::from_utf8(raw.clone()).expect("ascii");
        for line in head.split("\r\n").take_while(|l| !l.is_empty()) {
            assert!(line.len() <= 78, "{line}");
        }
        let m = decode(&raw);
        assert_eq!(m.subject(), Some(subject));
        assert_eq!(
            m.body_text(0).as_deref(),
            Some(body.replace('\n', "\r\n").as_str())
        );
        assert_eq!(
            m.from().and_then(|f| f.first()).and_then(|a| a.name()),
            Some("サポート窓口")
        );
        assert_eq!(m.in_reply_to().as_text(), Some("orig@customer.jp"));
    }

    #[test]
    fn iso_2022_jp_when_asked_and_utf8_when_a_character_does_not_fit() {
        let (raw, cs) = render(&msg(
            "Re: お問い合わせ",
            "ありがとうございます。\n",
            Charset::Iso2022Jp,
        ));
        assert_eq!(cs, Charset::Iso2022Jp);
        assert!(raw.is_ascii());
        let text = String::from_utf8_lossy(&raw);
        assert!(text.contains("charset=ISO-2022-JP"), "{text}");
        assert!(text.contains("=?ISO-2022-JP?B?"), "{text}");
        let m = decode(&raw);
        assert_eq!(m.subject(), Some("Re: お問い合わせ"));
        assert_eq!(
            m.body_text(0).as_deref(),
            Some("ありがとうございます。\r\n")
        );
        let (_, cs) = render(&msg("Re: x", "絵文字 😀\n", Charset::Iso2022Jp));
        assert_eq!(cs, Charset::Utf8);
    }

    #[test]
    fn nec_and_ibm_extension_characters_send_the_message_in_utf8() {
        // encoding_rs puts these in NEC row 13 (①, ㈱, Ⅰ, №, ∑) or the IBM rows 89-92
        // (髙, 﨑), which iconv rejects and Python's iso2022_jp cannot read.
        for c in ["①", "㈱", "Ⅰ", "№", "∑", "髙", "﨑"] {
            let body = format!("株式会社{c}の件\n");
            let subject = format!("Re: {c}について");
            for (what, m) in [
                ("body", msg("Re: x", &body, Charset::Iso2022Jp)),
                ("subject", msg(&subject, "本文\n", Charset::Iso2022Jp)),
            ] {
                let (raw, cs) = render(&m);
                assert_eq!(cs, Charset::Utf8, "{c} in the {what}");
                let parsed = decode(&raw);
                assert_eq!(parsed.subject(), Some(m.subject.as_str()), "{c}");
                assert_eq!(
                    parsed.body_text(0).as_deref(),
                    Some(m.body.replace('\n', "\r\n").as_str()),
                    "{c}"
                );
            }
            let mut named = msg("Re: x", "本文\n", Charset::Iso2022Jp);
            named.to[0].name = Some(format!("{c}商事 御中"));
            assert_eq!(render(&named).1, Charset::Utf8, "{c} in a name");
        }
        // JIS X 0208 proper: kanji of both levels, kana, symbols and the 1990 additions.
        for text in [
            "漢字と亜と腕と弌と熙",
            "ひらがなカタカナ",
            "―＆※→Ω",
            "凜と堯",
        ] {
            let m = msg(
                &format!("Re: {text}"),
                &format!("{text}\n"),
                Charset::Iso2022Jp,
            );
            assert_eq!(render(&m).1, Charset::Iso2022Jp, "{text}");
        }
    }

    /// Every line of the header block (the message's, not a part's).
    fn header_lines(raw: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(raw)
            .split("\r\n")
            .take_while(|l| !l.is_empty())
            .map(String::from)
            .collect()
    }

    #[test]
    fn a_two_thousand_character_subject_is_folded_into_short_lines() {
        let japanese: String = "お問い合わせの件".chars().cycle().take(2000).collect();
        let subjects = [
            format!("Re: {}", "x".repeat(2000)),
            "word ".repeat(400).trim_end().to_string(),
            format!("Re: {} and a tail", "y".repeat(100)),
            format!("Re: {japanese}"),
            format!("Re: {japanese}{}", "z".repeat(300)),
        ];
        for subject in &subjects {
            for charset in [Charset::Utf8, Charset::Iso2022Jp] {
                let (raw, _) = render(&msg(subject, "本文\n", charset));
                for line in header_lines(&raw) {
                    assert!(line.len() <= 78, "{} bytes: {line}", line.len());
                }
                assert_eq!(decode(&raw).subject(), Some(subject.as_str()));
            }
        }
        // A name is folded the same way.
        let mut m = msg("Re: x", "body\n", Charset::Utf8);
        m.to[0].name = Some("n".repeat(200));
        let (raw, _) = render(&m);
        for line in header_lines(&raw) {
            assert!(line.len() <= 78, "{} bytes: {line}", line.len());
        }
        let to = decode(&raw)
            .to()
            .and_then(|t| t.first())
            .and_then(|a| a.name())
            .map(String::from);
        assert_eq!(to, m.to[0].name);
    }

    /// True when every CR in `raw` starts a CRLF and every LF ends one.
    fn only_crlf(raw: &[u8]) -> bool {
        raw.iter().enumerate().all(|(i, &b)| match b {
            b'\r' => raw.get(i + 1) == Some(&b'\n'),
            b'\n' => i > 0 && raw[i - 1] == b'\r',
            _ => true,
        })
    }

    #[test]
    fn a_bare_cr_or_lf_in_the_body_goes_out_as_a_line_break() {
        for (body, charset) in [
            ("one\rtwo\nthree\r\nfour", Charset::Utf8),
            ("一\r二\n三\r\n四", Charset::Utf8),
            ("一\r二\n三\r\n四", Charset::Iso2022Jp),
            ("😀\r二\n三\r\n四", Charset::Iso2022Jp),
        ] {
            let mut m = msg("Re: x", body, charset);
            m.attachments.push(FileAttachment {
                name: "a.bin".into(),
                content_type: "application/octet-stream".into(),
                bytes: b"\r\n\r".to_vec(),
            });
            let (raw, _) = render(&m);
            assert!(
                only_crlf(&raw),
                "{body:?}: {}",
                String::from_utf8_lossy(&raw)
            );
            let parsed = decode(&raw);
            let text = parsed.body_text(0).map(|t| t.into_owned());
            let lines: Vec<&str> = body.split(['\r', '\n']).filter(|l| !l.is_empty()).collect();
            assert_eq!(text, Some(lines.join("\r\n") + "\r\n"), "{body:?}");
            // The attachment's own bytes are not the text's business.
            let a = parsed.attachment(0).map(|a| a.contents().to_vec());
            assert_eq!(a.as_deref(), Some(&b"\r\n\r"[..]));
        }
        // Nor in a header: a CR in a subject would end the field.
        let (raw, _) = render(&msg("Re: a\rb\nc", "x\n", Charset::Utf8));
        assert!(only_crlf(&raw), "{}", String::from_utf8_lossy(&raw));
        assert_eq!(decode(&raw).subject(), Some("Re: a b c"));
    }

    #[test]
    fn a_quoted_message_id_is_answered_as_it_was_written() {
        for id in [r#""a b"@x"#, r#""a  b"@customer.jp"#] {
            // An id before it of every length, so that References folds at every place of it.
            for pad in 1..80 {
                let mut m = msg("Re: x", "body\n", Charset::Utf8);
                m.in_reply_to = Some(id.into());
                m.references = vec![format!("{}@x", "r".repeat(pad)), id.to_string()];
                let (raw, _) = render(&m);
                let head = header_lines(&raw).join("\r\n");
                assert!(
                    head.contains(&format!("\r\nIn-Reply-To: <{id}>\r\n")),
                    "{head}"
                );
                let want = format!("References: <{}@x> <{id}>", "r".repeat(pad));
                assert!(head.replace("\r\n ", " ").contains(&want), "{head}");
                assert!(
                    head.contains(&format!("<{id}>\r\n")),
                    "folded inside: {head}"
                );
            }
        }
    }

    #[test]
    fn attachments_keep_their_bytes_and_name() {
        use mail_parser::MimeHeaders as _;
        let mut m = msg("Re: x", "see attached\n", Charset::Utf8);
        m.attachments.push(FileAttachment {
            name: "見積書.pdf".into(),
            content_type: "application/pdf".into(),
            bytes: (0..=255u8).collect(),
        });
        let (raw, _) = render(&m);
        let p = decode(&raw);
        let a = p.attachment(0).expect("one attachment");
        assert_eq!(a.attachment_name(), Some("見積書.pdf"));
        assert_eq!(a.contents(), (0..=255u8).collect::<Vec<_>>().as_slice());
    }
}
