//! The MIME layer: raw mail bytes in, tanto's own `Headers` and `Rendered` out.
//!
//! mail-parser (0.11, `full_encoding`) finds the MIME structure. This module adds what it gets
//! wrong on the mail tanto's users receive: charset labels it does not know (`cp932`), text with
//! no charset or a misplaced one (ISO-2022-JP is recognised by its escape sequences),
//! encoded-words split inside a character (adjacent words are joined before decoding), classic
//! Mac bare-CR line endings, and an HTML-to-text conversion that keeps line structure. No
//! mail-parser type leaves this module, and every string that does has been through
//! [`sanitize`]. Nothing here panics on any input; `render` and `parse_headers` also catch a
//! panic from below as a last resort.

use std::borrow::Cow;

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::charsets::DecoderFnc;
use mail_parser::decoders::html::add_html_token;
use mail_parser::parsers::MessageStream;
use mail_parser::{
    Encoding, HeaderValue, Message, MessageParser, MessagePart, MimeHeaders, PartType,
};

use crate::core::model::{Address, Attachment, Headers, Rendered};
use crate::sanitize;

/// Nested message/rfc822 parts shown inline, at most this deep; deeper ones are only listed.
const MAX_NESTED_DEPTH: usize = 8;

/// Longest encoded-word text accepted, in bytes.
const MAX_ENCODED_WORD: usize = 4096;

/// The rendered text stops here (a few MB of text is far past anything a person reads).
const MAX_TEXT_BYTES: usize = 8 << 20;

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/// Drafts, notes and raw IMAP parts need the same charset rules as mail: one place holds them.
pub fn decode_text(bytes: &[u8], charset: Option<&str>) -> String {
    decode_bytes(bytes, charset, None)
}

/// The list, threading and noise rules need decoded, safe header fields, whatever the input.
pub fn parse_headers(raw: &[u8]) -> Headers {
    std::panic::catch_unwind(|| header_info(raw).headers).unwrap_or_default()
}

/// `tanto show` needs a message's readable text and attachment list, safe to print.
pub fn render(raw: &[u8]) -> Rendered {
    std::panic::catch_unwind(|| render_message_bytes(raw)).unwrap_or_else(|_| Rendered {
        text: sanitize::for_display(&String::from_utf8_lossy(raw)),
        attachments: Vec::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// Charsets
// ---------------------------------------------------------------------------------------------

/// What a charset label means for decoding, once the aliases mail-parser lacks are mapped.
enum Charset {
    /// No label, or one that names no charset (`NONE`, `unknown-8bit`, an unknown name).
    Undeclared,
    /// A label promising 7-bit ASCII; 8-bit bytes under it are usually UTF-8 or windows-1252.
    Ascii,
    Utf8,
    /// A charset mail-parser can decode; `ascii_compatible` is false for UTF-16/UTF-7/ISO-2022.
    Known {
        decode: DecoderFnc,
        ascii_compatible: bool,
        japanese: bool,
    },
}

/// A label lower-cased, unquoted, without an RFC 2231 language tag, `_` read as `-`.
fn charset_key(label: &str) -> String {
    let label = label.trim().trim_matches(|c| c == '"' || c == '\'');
    let label = label.split('*').next().unwrap_or_default().trim();
    label.to_ascii_lowercase().replace('_', "-")
}

fn classify_charset(label: &str) -> Charset {
    let key = charset_key(label);
    let mapped = match key.as_str() {
        "" | "none" | "unknown" | "unknown-8bit" | "x-unknown" | "default" | "8bit" | "binary" => {
            return Charset::Undeclared
        }
        "us-ascii" | "ascii" | "ansi-x3.4-1968" | "iso646-us" | "us" | "iso-ir-6" | "cp367"
        | "ibm367" | "7bit" => return Charset::Ascii,
        "utf-8" | "utf8" | "unicode-1-1-utf-8" | "unicode-2-0-utf-8" | "x-unicode20utf8"
        | "unicode20utf8" | "unicode11utf8" => return Charset::Utf8,
        // Shift_JIS as written by Windows and everything else; encoding_rs's Shift_JIS is
        // windows-31j (CP932), the superset Japanese mail actually uses.
        "cp932" | "ms932" | "x-sjis" | "sjis" | "shift-jis" | "windows-31j" | "x-ms-cp932"
        | "ms-kanji" | "csshiftjis" | "cswindows31j" | "ibm-943" | "ibm943" | "cp943"
        | "cp943c" | "shift-jisx0213" | "shift-jis-2004" | "x-shift-jis" | "sjis-win"
        | "sjis-open" | "x-mac-japanese" => "windows-31j",
        "iso-2022-jp-1" | "iso-2022-jp-2" | "iso-2022-jp-3" | "iso-2022-jp-2004"
        | "iso-2022-jp-ms" | "cp50220" | "cp50221" | "cp50222" | "csiso2022jp2" | "jis"
        | "x-jis" => "iso-2022-jp",
        "eucjp" | "x-euc-jp" | "euc-jp-ms" | "eucjp-ms" | "eucjp-win" | "eucjp-open"
        | "cp51932" | "euc-jis-2004" | "euc-jisx0213" | "x-eucjp" | "ujis" => "euc-jp",
        "cp949" | "uhc" | "x-windows-949" | "ks-c-5601" => "windows-949",
        "euc-cn" | "x-euc-cn" | "x-gb2312" => "gbk",
        "tis620" => "tis-620",
        "big5hkscs" => "big5-hkscs",
        other => other,
    };
    let decoder = if matches!(mapped, "iso-2022-jp" | "csiso2022jp") {
        Some(decode_iso2022jp as DecoderFnc)
    } else {
        charset_decoder(mapped.as_bytes())
    };
    match decoder {
        Some(decode) => Charset::Known {
            decode,
            japanese: matches!(
                mapped,
                "windows-31j" | "iso-2022-jp" | "euc-jp" | "csiso2022jp"
            ),
            ascii_compatible: !(mapped.starts_with("utf-")
                || mapped.starts_with("iso-2022")
                || mapped.starts_with("csiso2022")
                || matches!(
                    mapped,
                    "ucs-2" | "unicode" | "unicodefffe" | "unicodefeff" | "csunicode"
                )),
        },
        None => Charset::Undeclared,
    }
}

/// Decodes `bytes` declared as `charset`; `hint` is a charset from a container, used only when
/// nothing better is known.
fn decode_bytes(bytes: &[u8], charset: Option<&str>, hint: Option<&str>) -> String {
    match charset.map(classify_charset).unwrap_or(Charset::Undeclared) {
        // Invalid UTF-8 under a UTF-8 label is often Shift_JIS: the guess finds out.
        Charset::Utf8 => guess(bytes, None, None),
        Charset::Known {
            decode,
            ascii_compatible,
            japanese,
        } => {
            if ascii_compatible && bytes.is_ascii() && has_jis_escape(bytes) {
                return decode_iso2022jp(bytes);
            }
            let text = decode(bytes);
            // A wrong label (often UTF-8 sent as ISO-2022-JP or Shift_JIS) shows as errors.
            // (7-bit bytes are always valid UTF-8: that says nothing, so they keep the label.)
            if !bytes.is_ascii() && text.contains('\u{fffd}') && !contains_replacement_char(bytes) {
                if let Ok(utf8) = std::str::from_utf8(bytes) {
                    return utf8.to_owned();
                }
                // Japanese mail relabelled or converted on the way (an ISO-2022-JP label on
                // EUC-JP bytes is common in list archives): the Japanese charset with the
                // fewest errors wins, the declared one on a tie.
                if japanese {
                    return best_japanese(bytes, text);
                }
            }
            text
        }
        Charset::Ascii => guess(bytes, None, charset_decoder(b"windows-1252")),
        Charset::Undeclared => guess(bytes, container_decoder(hint), None),
    }
}

/// Raw (unencoded) header text: like a body with no charset, but ending in windows-1252 (as
/// browsers do) rather than replacement characters: raw 8-bit header text that is not UTF-8
/// or Japanese is most often Latin-1.
fn decode_header_raw(bytes: &[u8], hint: Option<&str>) -> String {
    guess(
        bytes,
        container_decoder(hint),
        charset_decoder(b"windows-1252"),
    )
}

/// The decoder for a charset declared on a container (the message, a multipart), if usable.
fn container_decoder(hint: Option<&str>) -> Option<DecoderFnc> {
    match hint.map(classify_charset) {
        Some(Charset::Known {
            decode,
            ascii_compatible: true,
            ..
        }) => Some(decode),
        _ => None,
    }
}

/// Text with no usable label, in order: ISO-2022-JP if it has JIS escapes; UTF-8 if valid;
/// the container's charset if it decodes without error; Shift_JIS or EUC-JP if one decodes
/// without error into text with kana; `last_resort`; UTF-8 with replacement characters.
fn guess(bytes: &[u8], container: Option<DecoderFnc>, last_resort: Option<DecoderFnc>) -> String {
    let utf8 = std::str::from_utf8(bytes);
    if has_jis_escape(bytes) && (bytes.is_ascii() || utf8.is_err()) {
        return decode_iso2022jp(bytes);
    }
    if let Ok(text) = utf8 {
        return text.to_owned();
    }
    if let Some(decode) = container {
        let text = decode(bytes);
        if !text.contains('\u{fffd}') {
            return text;
        }
    }
    if let Some(text) = japanese_by_kana(bytes) {
        return text;
    }
    match last_resort {
        Some(decode) => decode(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Undeclared 8-bit Japanese (old phones, web forms): Shift_JIS or EUC-JP, whichever decodes
/// without error and yields more kana. Kana is the safeguard: Latin-1 text can decode without
/// error as a few kanji, but essentially never as hiragana or katakana.
fn japanese_by_kana(bytes: &[u8]) -> Option<String> {
    let kana = |s: &str| {
        s.chars()
            .filter(|c| matches!(c, '\u{3041}'..='\u{30ff}' | '\u{ff66}'..='\u{ff9f}'))
            .count()
    };
    let mut best: Option<(usize, String)> = None;
    for label in [&b"windows-31j"[..], b"euc-jp"] {
        let Some(decode) = charset_decoder(label) else {
            continue;
        };
        let text = decode(bytes);
        if text.contains('\u{fffd}') || text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)) {
            continue;
        }
        let count = kana(&text);
        if count > 0 && best.as_ref().is_none_or(|(n, _)| count > *n) {
            best = Some((count, text));
        }
    }
    best.map(|(_, text)| text)
}

fn best_japanese(bytes: &[u8], declared: String) -> String {
    let errors = |s: &str| s.matches('\u{fffd}').count();
    let mut best_errors = errors(&declared);
    let mut best = declared;
    for label in [&b"euc-jp"[..], b"windows-31j"] {
        if let Some(decode) = charset_decoder(label) {
            let candidate = decode(bytes);
            let e = errors(&candidate);
            if e < best_errors {
                best_errors = e;
                best = candidate;
            }
        }
    }
    best
}

/// ISO-2022-JP, tolerating redundant escape sequences: the WHATWG decoder (encoding_rs) reports
/// an error for an escape sequence followed directly by another, which is what joining two
/// encoded-words (`...ESC ( B` + `ESC $ B...`) or a careless encoder produces.
fn decode_iso2022jp(bytes: &[u8]) -> String {
    let mut cleaned = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let len = jis_escape_len(&bytes[i..]);
        if len > 0 && bytes.get(i + len) == Some(&0x1b) && jis_escape_len(&bytes[i + len..]) > 0 {
            i += len; // superseded by the escape sequence that follows
            continue;
        }
        cleaned.push(bytes[i]);
        i += 1;
    }
    match charset_decoder(b"iso-2022-jp") {
        Some(decode) => decode(&cleaned),
        None => String::from_utf8_lossy(&cleaned).into_owned(),
    }
}

/// The length of the ISO-2022-JP escape sequence at the start of `bytes`, or 0.
fn jis_escape_len(bytes: &[u8]) -> usize {
    match bytes {
        [0x1b, b'$', b'(', b'D', ..] => 4,
        [0x1b, b'$', b'B' | b'@', ..] | [0x1b, b'(', b'B' | b'J' | b'I', ..] => 3,
        _ => 0,
    }
}

/// ISO-2022-JP designations: JIS X 0208 (`ESC $ B`, `ESC $ @`), JIS X 0212 (`ESC $ ( D`),
/// JIS X 0201 Roman and katakana (`ESC ( J`, `ESC ( I`).
fn has_jis_escape(bytes: &[u8]) -> bool {
    bytes.windows(3).any(|w| {
        matches!(
            w,
            [0x1b, b'$', b'B' | b'@' | b'('] | [0x1b, b'(', b'J' | b'I']
        )
    })
}

/// U+FFFD already in the input (UTF-8 `EF BF BD`): its presence in output is then no error sign.
fn contains_replacement_char(bytes: &[u8]) -> bool {
    bytes.windows(3).any(|w| w == [0xef, 0xbf, 0xbd])
}

// ---------------------------------------------------------------------------------------------
// Header fields
// ---------------------------------------------------------------------------------------------

/// Headers plus what `render` shows of a nested message that `Headers` does not keep.
struct HeaderInfo {
    headers: Headers,
    date_raw: Option<String>,
}

fn header_info(raw: &[u8]) -> HeaderInfo {
    let data = fix_bare_cr(raw);
    let mut info = HeaderInfo {
        headers: Headers::default(),
        date_raw: None,
    };
    let parsed = std::panic::catch_unwind(|| MessageParser::default().parse_headers(data.as_ref()));
    let Some(message) = parsed.ok().flatten() else {
        return info;
    };
    let hint = message
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .map(str::to_owned);
    let hint = hint.as_deref();
    let h = &mut info.headers;
    let mut subject: Option<String> = None;
    for header in message.headers() {
        let raw_value = data
            .get(header.offset_start as usize..header.offset_end as usize)
            .unwrap_or_default();
        match header.name.as_str().to_ascii_lowercase().as_str() {
            // Two Subject fields: the first wins, as in most mail readers.
            "subject" if subject.is_none() => {
                subject = Some(sanitize::single_line(&decode_header_value(raw_value, hint)));
            }
            "from" => h.from.extend(parse_addresses(raw_value, hint)),
            "to" => h.to.extend(parse_addresses(raw_value, hint)),
            "cc" => h.cc.extend(parse_addresses(raw_value, hint)),
            "reply-to" => h.reply_to.extend(parse_addresses(raw_value, hint)),
            "date" => {
                if h.date.is_none() {
                    h.date = header
                        .value
                        .as_datetime()
                        .filter(|d| d.is_valid())
                        .map(|d| d.to_timestamp());
                }
                if info.date_raw.is_none() {
                    info.date_raw = raw_text(raw_value, hint);
                }
            }
            "message-id" if h.message_id.is_none() => {
                h.message_id = parse_ids(raw_value).into_iter().next();
            }
            "in-reply-to" => h.in_reply_to.extend(parse_ids(raw_value)),
            "references" => h.references.extend(parse_ids(raw_value)),
            "list-id" => set_once(&mut h.list_id, raw_text(raw_value, hint)),
            "auto-submitted" => set_once(&mut h.auto_submitted, raw_text(raw_value, hint)),
            "precedence" => set_once(&mut h.precedence, raw_text(raw_value, hint)),
            "x-autoreply" => set_once(&mut h.x_autoreply, raw_text(raw_value, hint)),
            "x-failed-recipients" => {
                set_once(&mut h.x_failed_recipients, raw_text(raw_value, hint))
            }
            "return-path" => set_once(&mut h.return_path, parse_return_path(raw_value)),
            _ => {}
        }
    }
    h.subject = subject.unwrap_or_default();
    dedup_keep_first(&mut h.in_reply_to);
    dedup_keep_first(&mut h.references);
    h.content_type = message.content_type().map(|ct| {
        let kind = match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_owned(),
        };
        sanitize::single_line(&kind).to_ascii_lowercase()
    });
    info
}

fn set_once(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value;
    }
}

/// A header value as sent, unfolded, trimmed and safe; `None` when empty.
fn raw_text(raw: &[u8], hint: Option<&str>) -> Option<String> {
    let text = sanitize::single_line(&decode_header_raw(raw, hint));
    (!text.is_empty()).then_some(text)
}

/// Classic Mac mail ends lines with a bare CR, which mail-parser does not see as line ends:
/// when the first line break is a bare CR, every bare CR becomes CRLF.
fn fix_bare_cr(raw: &[u8]) -> Cow<'_, [u8]> {
    let first_break = raw.iter().position(|&b| b == b'\r' || b == b'\n');
    let bare_cr_first =
        first_break.is_some_and(|i| raw[i] == b'\r' && raw.get(i + 1) != Some(&b'\n'));
    if !bare_cr_first {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32);
    for (i, &b) in raw.iter().enumerate() {
        out.push(b);
        if b == b'\r' && raw.get(i + 1) != Some(&b'\n') {
            out.push(b'\n');
        }
    }
    Cow::Owned(out)
}

/// Removes the line breaks of folding (and any other CR or LF) from a header value.
fn unfold(raw: &[u8]) -> Vec<u8> {
    raw.iter()
        .copied()
        .filter(|&b| b != b'\r' && b != b'\n')
        .collect()
}

/// Message ids without angle brackets, in order. Lenient: ids inside comments are skipped,
/// junk between ids is ignored, and ids without brackets are taken when there are no others.
fn parse_ids(raw: &[u8]) -> Vec<String> {
    let text = decode_bytes(&unfold(raw), None, None);
    let mut ids = bracketed(&text, true);
    if ids.is_empty() {
        ids = bracketed(&text, false);
    }
    if ids.is_empty() {
        let tokens: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
            .filter(|t| !t.is_empty())
            .collect();
        let with_at: Vec<&str> = tokens.iter().copied().filter(|t| t.contains('@')).collect();
        let chosen = if with_at.is_empty() && tokens.len() == 1 {
            tokens
        } else {
            with_at
        };
        ids = chosen.into_iter().filter_map(clean_id).collect();
    }
    ids
}

/// The contents of each `<...>`; with `skip_comments`, those inside `( )` are ignored.
fn bracketed(text: &str, skip_comments: bool) -> Vec<String> {
    let mut ids = Vec::new();
    let mut depth = 0usize;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '(' if skip_comments => depth += 1,
            ')' if skip_comments => depth = depth.saturating_sub(1),
            '<' if depth == 0 => {
                let Some(end) = rest.find('>') else { break };
                if let Some(id) = clean_id(&rest[..end]) {
                    ids.push(id);
                }
                rest = &rest[end + 1..];
            }
            _ => {}
        }
    }
    ids
}

fn clean_id(id: &str) -> Option<String> {
    let mut depth = 0usize;
    let id: String = id
        .trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
        .chars()
        .filter(|&c| {
            // Comments inside an id (obsolete syntax) are not part of it.
            match c {
                '(' => depth += 1,
                ')' if depth > 0 => {
                    depth -= 1;
                    return false;
                }
                _ => {}
            }
            depth == 0 && !c.is_whitespace() && !c.is_control()
        })
        .collect();
    let id = sanitize::single_line(&id);
    (!id.is_empty()).then_some(id)
}

fn dedup_keep_first(ids: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    ids.retain(|id| seen.insert(id.clone()));
}

/// The reverse path without brackets; the null path `<>` (bounces) is `Some("")`.
fn parse_return_path(raw: &[u8]) -> Option<String> {
    let text = sanitize::single_line(&decode_bytes(&unfold(raw), None, None));
    if text.is_empty() {
        return None;
    }
    let inner = match (text.find('<'), text.rfind('>')) {
        (Some(start), Some(end)) if start < end => &text[start + 1..end],
        _ => text.as_str(),
    };
    Some(inner.trim().to_owned())
}

// ---------------------------------------------------------------------------------------------
// RFC 2047 encoded-words
// ---------------------------------------------------------------------------------------------

/// A header value cut into raw text and runs of adjacent encoded-words in one charset.
enum Piece<'a> {
    Raw(&'a [u8]),
    Words { charset: String, bytes: Vec<u8> },
}

/// Cuts a header value into pieces. Adjacent encoded-words (separated by white space only) in
/// the same charset become one run, so a character split across two words (Exchange does this
/// with ISO-2022-JP; others with UTF-8) decodes whole. The space between words is dropped.
fn pieces(value: &[u8]) -> Vec<Piece<'_>> {
    let mut out: Vec<Piece<'_>> = Vec::new();
    if !value.windows(2).any(|w| w == b"=?") {
        if !value.is_empty() {
            out.push(Piece::Raw(value));
        }
        return out;
    }
    let ends = WordEnds::new(value);
    let mut raw_start = 0;
    let mut i = 0;
    while i + 1 < value.len() {
        if value[i] != b'=' || value[i + 1] != b'?' {
            i += 1;
            continue;
        }
        let Some((charset, bytes, end)) = encoded_word(value, i, &ends) else {
            i += 1;
            continue;
        };
        let between = &value[raw_start..i];
        let only_space = between
            .iter()
            .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
        let joins_previous = only_space && matches!(out.last(), Some(Piece::Words { .. }));
        if !joins_previous && !between.is_empty() {
            out.push(Piece::Raw(between));
        }
        match out.last_mut() {
            Some(Piece::Words {
                charset: prev,
                bytes: acc,
            }) if joins_previous && charset_key(prev) == charset_key(&charset) => {
                acc.extend_from_slice(&bytes);
            }
            _ => out.push(Piece::Words { charset, bytes }),
        }
        i = end;
        raw_start = end;
    }
    if raw_start < value.len() {
        out.push(Piece::Raw(&value[raw_start..]));
    }
    out
}

/// For each position of a header value, where the next `?=` and the next line break are:
/// finding an encoded-word's end is then O(1), so a value full of unterminated `=?` stays
/// linear.
struct WordEnds {
    next_end: Vec<usize>,
    next_break: Vec<usize>,
}

impl WordEnds {
    fn new(value: &[u8]) -> WordEnds {
        let mut next_end = vec![usize::MAX; value.len() + 1];
        let mut next_break = vec![usize::MAX; value.len() + 1];
        for i in (0..value.len()).rev() {
            next_end[i] = if value[i] == b'?' && value.get(i + 1) == Some(&b'=') {
                i
            } else {
                next_end[i + 1]
            };
            next_break[i] = if matches!(value[i], b'\r' | b'\n') {
                i
            } else {
                next_break[i + 1]
            };
        }
        WordEnds {
            next_end,
            next_break,
        }
    }
}

/// Parses the encoded-word starting at `start` (`=?charset?B|Q?text?=`): its charset, its
/// decoded bytes and the index just past it.
fn encoded_word(value: &[u8], start: usize, ends: &WordEnds) -> Option<(String, Vec<u8>, usize)> {
    let rest = value.get(start + 2..)?;
    let q1 = rest.iter().take(64).position(|&b| b == b'?')?;
    let charset = &rest[..q1];
    if charset.is_empty() || !charset.iter().all(|b| b.is_ascii_graphic() && *b != b'=') {
        return None;
    }
    let encoding = *rest.get(q1 + 1)?;
    if rest.get(q1 + 2) != Some(&b'?') {
        return None;
    }
    let text_start = start + 2 + q1 + 3;
    let text_end = *ends.next_end.get(text_start)?;
    let line_end = *ends.next_break.get(text_start)?;
    // Real encoded-words are short (75 characters by the RFC, a few hundred in the wild).
    if text_end == usize::MAX || line_end < text_end || text_end - text_start > MAX_ENCODED_WORD {
        return None;
    }
    let text = value.get(text_start..text_end)?;
    let bytes = match encoding {
        b'B' | b'b' => base64_lenient(text),
        b'Q' | b'q' => q_decode(text),
        _ => return None,
    };
    let charset = String::from_utf8_lossy(charset).into_owned();
    Some((charset, bytes, text_end + 2))
}

/// Base64 that skips what is not in the alphabet (line breaks, junk), needs no padding, and
/// reads on after padding (some encoders concatenate padded chunks).
fn base64_lenient(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                acc = 0;
                bits = 0;
                continue;
            }
            _ => continue,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// The "Q" encoding: `_` is a space, `=XX` a byte; a stray `=` is kept as is.
fn q_decode(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'_' => out.push(b' '),
            b'=' => {
                let hex = text.get(i + 1..i + 3).and_then(|h| {
                    std::str::from_utf8(h)
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                });
                if let Some(byte) = hex {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                out.push(b'=');
            }
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// An unstructured header value (Subject) decoded: encoded-words in any charset, raw 8-bit
/// or ISO-2022-JP text recognised, `hint` (the message's charset) for raw bytes in no charset.
fn decode_header_value(raw: &[u8], hint: Option<&str>) -> String {
    let value = unfold(raw);
    let mut out = String::new();
    for piece in pieces(&value) {
        match piece {
            Piece::Raw(bytes) => out.push_str(&decode_header_raw(bytes, hint)),
            Piece::Words { charset, bytes } => {
                out.push_str(&decode_bytes(&bytes, Some(&charset), None))
            }
        }
    }
    out
}

/// Rewrites an address field before mail-parser reads it: each run of encoded-words becomes
/// one UTF-8 word (so split characters and unknown labels decode), raw non-UTF-8 text becomes
/// UTF-8 (so a Shift_JIS byte that looks like `\` or `"` cannot confuse the address syntax).
fn prepare_address_field(raw: &[u8], hint: Option<&str>) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 16);
    for piece in pieces(raw) {
        match piece {
            Piece::Raw(bytes) if std::str::from_utf8(bytes).is_ok() && !has_jis_escape(bytes) => {
                out.extend_from_slice(bytes);
            }
            Piece::Raw(bytes) => out.extend_from_slice(decode_header_raw(bytes, hint).as_bytes()),
            Piece::Words { charset, bytes } => {
                let text = decode_bytes(&bytes, Some(&charset), None);
                out.extend_from_slice(b"=?utf-8?b?");
                out.extend_from_slice(base64_encode(text.as_bytes()).as_bytes());
                out.extend_from_slice(b"?=");
            }
        }
    }
    if out.last() != Some(&b'\n') {
        out.push(b'\n');
    }
    out
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (k, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn parse_addresses(raw: &[u8], hint: Option<&str>) -> Vec<Address> {
    let prepared = prepare_address_field(raw, hint);
    if let Some(addresses) = unbracketed_addresses(&prepared) {
        return addresses;
    }
    let value = MessageStream::new(&prepared).parse_address();
    let mut out = Vec::new();
    let mut push = |addr: &mail_parser::Addr<'_>| {
        let name = addr.name.as_deref().map(|n| {
            // mail-parser leaves encoded-words inside quoted strings alone; senders use them.
            if n.contains("=?") {
                sanitize::single_line(&decode_header_value(n.as_bytes(), None))
            } else {
                sanitize::single_line(n)
            }
        });
        let name = name.filter(|n| !n.is_empty());
        let email = addr.address.as_deref().map(clean_email).unwrap_or_default();
        // `To: postmaster` is a local address that mail-parser reads as a name.
        let (name, email) = match (name, email.is_empty()) {
            (Some(n), true) if !n.contains(char::is_whitespace) => (None, clean_email(&n)),
            (name, _) => (name, email),
        };
        if !email.is_empty() || name.is_some() {
            out.push(Address { name, email });
        }
    };
    match &value {
        HeaderValue::Address(mail_parser::Address::List(list)) => list.iter().for_each(&mut push),
        HeaderValue::Address(mail_parser::Address::Group(groups)) => {
            groups
                .iter()
                .flat_map(|g| g.addresses.iter())
                .for_each(&mut push);
        }
        _ => {}
    }
    out
}

/// `Name Surname name@example.com` or `a@example.com b@example.com`, with no brackets or
/// commas (old and broken mailers): mail-parser glues the words into one address, which would
/// then identify nobody.
fn unbracketed_addresses(prepared: &[u8]) -> Option<Vec<Address>> {
    let text = std::str::from_utf8(prepared).ok()?;
    if text.contains(['<', '"', '(', ',', ';', ':', '=']) {
        return None;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let (last, rest) = words.split_last()?;
    if rest.is_empty() || !last.contains('@') {
        return None;
    }
    if words.iter().all(|w| w.contains('@')) {
        let all = words.iter().map(|w| Address {
            name: None,
            email: clean_email(w),
        });
        return Some(all.collect());
    }
    if rest.iter().any(|w| w.contains('@')) {
        return None;
    }
    let name = sanitize::single_line(&rest.join(" "));
    Some(vec![Address {
        name: (!name.is_empty()).then_some(name),
        email: clean_email(last),
    }])
}

/// The address trimmed and safe, its domain (after the last `@`) lower-cased.
fn clean_email(email: &str) -> String {
    let email: String = sanitize::single_line(email)
        .trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace())
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    // An obsolete source route (`@relay.example:user@example.com`) is not part of the address.
    let email = match (email.starts_with('@'), email.rfind(':')) {
        (true, Some(colon)) => email[colon + 1..].to_owned(),
        _ => email,
    };
    match email.rfind('@') {
        Some(at) => format!("{}@{}", &email[..at], email[at + 1..].to_lowercase()),
        None => email,
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

fn render_message_bytes(raw: &[u8]) -> Rendered {
    let data = fix_bare_cr(raw);
    let mut out = Rendered::default();
    // mail-parser 0.11 has `debug_assert!`s that real mail trips (structure/sa__nice__mime9.eml:
    // message/rfc822 inside message/rfc822 with multiparts): in a debug build they panic, and
    // the message is then shown as plain text. Release builds never panic there.
    let parsed = std::panic::catch_unwind(|| MessageParser::default().parse(data.as_ref()));
    match parsed.ok().flatten() {
        Some(message) => {
            let mut text = String::new();
            render_message(&message, 0, &mut text, &mut out.attachments);
            out.text = finish_text(&text);
            let found_body = !message.text_body.is_empty() || !message.html_body.is_empty();
            if out.text.is_empty() && out.attachments.is_empty() && !found_body {
                // Nothing found by the MIME rules (a multipart with no boundary line at all,
                // say): show the body as sent rather than nothing.
                let body = message
                    .parts
                    .first()
                    .and_then(|root| data.get(root.offset_body as usize..))
                    .unwrap_or_default();
                let charset = message
                    .content_type()
                    .and_then(|ct| ct.attribute("charset"));
                out.text = finish_text(&decode_bytes(body, charset, None));
            }
        }
        // No header block at all (or the debug-build panic above): show the bytes as text.
        None => out.text = finish_text(&decode_bytes(&data, None, None)),
    }
    out
}

/// Sanitizes the text and trims blank lines at both ends, within the size limit.
fn finish_text(text: &str) -> String {
    let mut text = text;
    let mut truncated = false;
    if text.len() > MAX_TEXT_BYTES {
        let mut cut = MAX_TEXT_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text = &text[..cut];
        truncated = true;
    }
    let clean = sanitize::for_display(text);
    let mut clean = clean.trim_end().trim_start_matches('\n').to_owned();
    if truncated {
        clean.push_str("\n\n[… message text truncated …]");
    }
    if !clean.is_empty() {
        clean.push('\n');
    }
    clean
}

/// Appends the readable text of `message` (and of nested messages, up to a depth) to `text`,
/// and its attachments to `attachments`, in the order they appear in the message.
fn render_message(
    message: &Message<'_>,
    depth: usize,
    text: &mut String,
    attachments: &mut Vec<Attachment>,
) {
    let parents = parent_map(message);
    let mut ids: Vec<u32> = if !message.text_body.is_empty() {
        message.text_body.clone()
    } else if !message.html_body.is_empty() {
        message.html_body.clone()
    } else {
        // No body by mail-parser's rules (e.g. a damaged encoding demoted it to an attachment):
        // show the text parts nobody named or marked as an attachment.
        message
            .attachments
            .iter()
            .copied()
            .filter(|&id| {
                message
                    .parts
                    .get(id as usize)
                    .is_some_and(is_unnamed_inline_text)
            })
            .collect()
    };
    ids.extend(message.attachments.iter().copied().filter(|&id| {
        message
            .parts
            .get(id as usize)
            .is_some_and(|p| matches!(p.body, PartType::Message(_)))
    }));
    ids.sort_unstable();
    ids.dedup();

    let mut nested_attachments: Vec<(u32, Vec<Attachment>)> = Vec::new();
    for id in ids {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        match &part.body {
            PartType::Text(_) if !part.is_content_type("text", "html") => {
                push_block(text, &part_text(message, part, id, &parents));
            }
            PartType::Text(_) | PartType::Html(_) => {
                push_block(text, &html_to_text(&part_text(message, part, id, &parents)));
            }
            // Only chosen when `is_unnamed_inline_text` found a text type mail-parser did not.
            PartType::Binary(_) | PartType::InlineBinary(_) if is_unnamed_inline_text(part) => {
                push_block(text, &part_text(message, part, id, &parents));
            }
            PartType::Message(nested) if depth < MAX_NESTED_DEPTH => {
                let mut inner_text = String::new();
                let mut inner_attachments = Vec::new();
                render_message(nested, depth + 1, &mut inner_text, &mut inner_attachments);
                push_block(text, &nested_heading(nested));
                text.push('\n');
                text.push_str(inner_text.trim_start_matches('\n'));
                nested_attachments.push((id, inner_attachments));
            }
            _ => {}
        }
    }

    for &id in &message.attachments {
        let Some(part) = message.parts.get(id as usize) else {
            continue;
        };
        if is_failed_multipart(part) {
            continue;
        }
        attachments.push(describe_attachment(message, part));
        if let Some(pos) = nested_attachments.iter().position(|(nid, _)| *nid == id) {
            attachments.append(&mut nested_attachments[pos].1);
        }
    }
}

fn is_unnamed_inline_text(part: &MessagePart<'_>) -> bool {
    let text_like = match part.body {
        PartType::Text(_) | PartType::Html(_) => true,
        // A malformed type such as `text plain` makes mail-parser treat the part as binary.
        PartType::Binary(_) | PartType::InlineBinary(_) => part
            .content_type()
            .is_some_and(|ct| ct.ctype().to_ascii_lowercase().starts_with("text")),
        _ => false,
    };
    text_like
        && part.attachment_name().is_none()
        && !part
            .content_disposition()
            .is_some_and(|d| d.is_attachment())
        && part.content_type().is_none_or(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                || matches!(ct.subtype(), Some("plain" | "html") | None)
        })
}

/// A multipart whose boundary never appears: mail-parser keeps its body as text. It is
/// shown as text (when there is no other body), never listed as an attachment.
fn is_failed_multipart(part: &MessagePart<'_>) -> bool {
    matches!(part.body, PartType::Text(_))
        && part
            .content_type()
            .is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
}

/// Appends a block of text, separated from what precedes it by one blank line.
fn push_block(text: &mut String, block: &str) {
    let block = block.trim_end();
    if block.trim().is_empty() {
        return;
    }
    if !text.is_empty() {
        while text.ends_with('\n') {
            text.pop();
        }
        text.push_str("\n\n");
    }
    text.push_str(block.trim_start_matches(['\r', '\n']));
    text.push('\n');
}

/// The header lines shown above a nested (forwarded, bounced) message.
fn nested_heading(nested: &Message<'_>) -> String {
    let root = nested.parts.first();
    let header_bytes = root
        .and_then(|r| {
            nested
                .raw_message
                .get(r.offset_header as usize..r.offset_body as usize)
        })
        .unwrap_or_default();
    let info = header_info(header_bytes);
    let h = &info.headers;
    let mut lines = vec!["---------- Attached message ----------".to_owned()];
    if !h.from.is_empty() {
        lines.push(format!("From: {}", format_addresses(&h.from)));
    }
    if let Some(date) = &info.date_raw {
        lines.push(format!("Date: {date}"));
    }
    if !h.subject.is_empty() {
        lines.push(format!("Subject: {}", h.subject));
    }
    if !h.to.is_empty() {
        lines.push(format!("To: {}", format_addresses(&h.to)));
    }
    if !h.cc.is_empty() {
        lines.push(format!("Cc: {}", format_addresses(&h.cc)));
    }
    lines.join("\n")
}

fn format_addresses(addresses: &[Address]) -> String {
    let shown: Vec<String> = addresses
        .iter()
        .map(|a| match (&a.name, a.email.is_empty()) {
            (Some(name), false) => format!("{name} <{}>", a.email),
            (Some(name), true) => name.clone(),
            (None, _) => a.email.clone(),
        })
        .collect();
    shown.join(", ")
}

/// For each part id, the multipart part that contains it.
fn parent_map(message: &Message<'_>) -> Vec<Option<u32>> {
    let mut parents = vec![None; message.parts.len()];
    for (id, part) in message.parts.iter().enumerate() {
        if let PartType::Multipart(children) = &part.body {
            for &child in children {
                if let Some(slot) = parents.get_mut(child as usize) {
                    if slot.is_none() && child as usize != id {
                        *slot = Some(id as u32);
                    }
                }
            }
        }
    }
    parents
}

/// The charset declared on the nearest enclosing part (or the message), for a part with none:
/// signed Japanese mail often declares it on the multipart/signed container only.
fn inherited_charset<'m>(
    message: &'m Message<'_>,
    id: u32,
    parents: &[Option<u32>],
) -> Option<&'m str> {
    let mut current = parents.get(id as usize).copied().flatten();
    let mut steps = 0;
    while let Some(pid) = current {
        let part = message.parts.get(pid as usize)?;
        if let Some(cs) = part.content_type().and_then(|ct| ct.attribute("charset")) {
            return Some(cs);
        }
        current = parents.get(pid as usize).copied().flatten();
        steps += 1;
        if steps > message.parts.len() {
            break;
        }
    }
    None
}

/// The text of a text part, decoded from its bytes by tanto's rules rather than mail-parser's
/// (which read unknown labels and missing charsets as UTF-8).
fn part_text(
    message: &Message<'_>,
    part: &MessagePart<'_>,
    id: u32,
    parents: &[Option<u32>],
) -> String {
    let bytes = transfer_decoded(message, part);
    let declared = part.content_type().and_then(|ct| ct.attribute("charset"));
    let meta;
    let declared = match declared {
        Some(cs) => Some(cs),
        None if part.is_content_type("text", "html") => {
            meta = html_meta_charset(&bytes);
            meta.as_deref()
        }
        None => None,
    };
    decode_bytes(&bytes, declared, inherited_charset(message, id, parents))
}

/// The part's body after its Content-Transfer-Encoding, before any charset decoding.
fn transfer_decoded<'m>(message: &'m Message<'_>, part: &MessagePart<'_>) -> Cow<'m, [u8]> {
    let raw: &'m [u8] = message
        .raw_message
        .get(part.offset_body as usize..part.offset_end as usize)
        .unwrap_or_default();
    match part.encoding {
        // mail-parser drops the last bytes of unpadded base64 (common in Japanese test mail).
        Encoding::Base64 => Cow::Owned(base64_lenient(raw)),
        // mail-parser gives up on base64 with text after it (a list footer): decode the
        // base64 lines and keep the text.
        Encoding::None
            if part.is_encoding_problem
                && part
                    .content_transfer_encoding()
                    .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64")) =>
        {
            Cow::Owned(base64_then_text(raw))
        }
        Encoding::None => Cow::Borrowed(raw),
        Encoding::QuotedPrintable => {
            match MessageStream::new(raw).decode_quoted_printable_mime(b"") {
                (usize::MAX, _) => Cow::Borrowed(raw),
                (_, decoded) => decoded,
            }
        }
    }
}

/// Base64 lines up to the first line that is not base64, then the rest as it is.
fn base64_then_text(raw: &[u8]) -> Vec<u8> {
    let is_b64 = |line: &[u8]| {
        line.iter().all(|&b| {
            b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\r' | b' ' | b'\t')
        })
    };
    let mut end = 0;
    for line in raw.split_inclusive(|&b| b == b'\n') {
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        if !is_b64(content) {
            break;
        }
        end += line.len();
    }
    let mut out = base64_lenient(&raw[..end]);
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.extend_from_slice(&raw[end..]);
    out
}

/// `<meta charset=...>` or `<meta http-equiv ... content="...; charset=...">` near the start.
fn html_meta_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = lower.find("charset=")? + "charset=".len();
    let value: String = lower[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        .collect();
    (!value.is_empty()).then_some(value)
}

fn describe_attachment(message: &Message<'_>, part: &MessagePart<'_>) -> Attachment {
    let mime_type = match part.content_type() {
        Some(ct) => match ct.subtype() {
            Some(sub) => format!("{}/{}", ct.ctype(), sub),
            None => ct.ctype().to_owned(),
        },
        None if matches!(part.body, PartType::Message(_)) => "message/rfc822".to_owned(),
        None if part.is_text() => "text/plain".to_owned(),
        None => "application/octet-stream".to_owned(),
    };
    let mime_type = sanitize::single_line(&mime_type).to_ascii_lowercase();
    let name = part.attachment_name().map(|n| {
        if n.contains("=?") {
            decode_header_value(n.as_bytes(), None)
        } else {
            n.to_owned()
        }
    });
    let name = match (name, &part.body) {
        (Some(name), _) if !name.trim().is_empty() => sanitize::file_name(&name),
        (_, PartType::Message(nested)) => {
            let subject = nested_subject(nested);
            let stem = if subject.is_empty() {
                "message".to_owned()
            } else {
                subject
            };
            sanitize::file_name(&format!("{stem}.eml"))
        }
        _ => sanitize::file_name(&format!("attachment{}", extension_for(&mime_type))),
    };
    let size = match &part.body {
        PartType::Binary(b) | PartType::InlineBinary(b) => b.len(),
        PartType::Message(nested) => nested.raw_message().len(),
        PartType::Text(_) | PartType::Html(_) => transfer_decoded(message, part).len(),
        PartType::Multipart(_) => 0,
    };
    Attachment {
        name,
        mime_type,
        size,
    }
}

/// A file extension for an unnamed attachment of a common type, so it opens with the right tool.
fn extension_for(mime_type: &str) -> &'static str {
    match mime_type {
        "text/plain"
        | "text/enriched"
        | "text/rfc822-headers"
        | "message/delivery-status"
        | "message/disposition-notification"
        | "message/feedback-report" => ".txt",
        "text/html" => ".html",
        "text/calendar" => ".ics",
        "message/rfc822" | "message/global" => ".eml",
        "application/pdf" => ".pdf",
        "application/json" => ".json",
        "application/zip" => ".zip",
        "application/pgp-signature" => ".asc",
        "application/pkcs7-signature" | "application/x-pkcs7-signature" => ".p7s",
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        _ => "",
    }
}

fn nested_subject(nested: &Message<'_>) -> String {
    let root = nested.parts.first();
    let header_bytes = root
        .and_then(|r| {
            nested
                .raw_message
                .get(r.offset_header as usize..r.offset_body as usize)
        })
        .unwrap_or_default();
    header_info(header_bytes).headers.subject
}

// ---------------------------------------------------------------------------------------------
// HTML to text
// ---------------------------------------------------------------------------------------------

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
fn html_to_text(html: &str) -> String {
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
    use std::path::{Path, PathBuf};

    fn corpus_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
    }

    fn corpus(rel: &str) -> Vec<u8> {
        let path = corpus_dir().join(rel);
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn eml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("read corpus dir entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                eml_files(&path, out);
            } else if path.extension().is_some_and(|x| x == "eml") {
                out.push(path);
            }
        }
    }

    /// Anything a terminal could act on: controls other than newline and tab, bidi overrides.
    fn hostile_char(s: &str) -> Option<char> {
        s.chars().find(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
    }

    fn assert_safe(what: &str, file: &str, s: &str) {
        if let Some(c) = hostile_char(s) {
            panic!("{file}: {what} contains {c:?}: {s:?}");
        }
    }

    fn assert_single_line(what: &str, file: &str, s: &str) {
        assert_safe(what, file, s);
        assert!(
            !s.contains(['\n', '\t']),
            "{file}: {what} is not one line: {s:?}"
        );
    }

    fn assert_headers_safe(file: &str, h: &Headers) {
        assert_single_line("subject", file, &h.subject);
        for a in h.from.iter().chain(&h.to).chain(&h.cc).chain(&h.reply_to) {
            assert_single_line("address", file, &a.email);
            if let Some(name) = &a.name {
                assert_single_line("name", file, name);
            }
        }
        let ids = h
            .message_id
            .iter()
            .chain(&h.in_reply_to)
            .chain(&h.references);
        let raw = [
            &h.list_id,
            &h.auto_submitted,
            &h.precedence,
            &h.x_autoreply,
            &h.content_type,
            &h.return_path,
            &h.x_failed_recipients,
        ];
        for value in ids.chain(raw.into_iter().flatten()) {
            assert_single_line("field", file, value);
        }
    }

    fn assert_rendered_safe(file: &str, r: &Rendered) {
        assert_safe("text", file, &r.text);
        assert!(!r.text.contains('\r'), "{file}: CR left in the text");
        for a in &r.attachments {
            assert_single_line("attachment name", file, &a.name);
            assert_single_line("mime type", file, &a.mime_type);
            assert_eq!(a.name, sanitize::file_name(&a.name), "{file}: unsafe name");
        }
    }

    #[test]
    fn every_corpus_message_parses_and_renders_safely() {
        let mut files = Vec::new();
        eml_files(&corpus_dir(), &mut files);
        assert!(
            files.len() >= 281,
            "only {} corpus files found",
            files.len()
        );
        for path in files {
            let file = path.display().to_string();
            let raw = std::fs::read(&path).expect("read corpus file");
            // The inner functions, without the catch_unwind net: a panic fails the test.
            assert_headers_safe(&file, &header_info(&raw).headers);
            assert_rendered_safe(&file, &render_message_bytes(&raw));
        }
    }

    /// The manifest's `subject_cpython` column with its escapes undone.
    fn manifest_subjects() -> Vec<(String, String)> {
        let manifest = String::from_utf8(corpus("MANIFEST.tsv")).expect("UTF-8 manifest");
        let mut lines = manifest.lines();
        let header: Vec<&str> = lines.next().expect("manifest header").split('\t').collect();
        let col = |name: &str| {
            header
                .iter()
                .position(|h| *h == name)
                .expect("manifest column")
        };
        let (file_col, subject_col) = (col("file"), col("subject_cpython"));
        let mut out = Vec::new();
        for line in lines {
            let cols: Vec<&str> = line.split('\t').collect();
            let (file, escaped) = (cols[file_col], cols[subject_col]);
            if !file.ends_with(".eml") {
                continue;
            }
            let mut subject = String::new();
            let mut chars = escaped.chars();
            while let Some(c) = chars.next() {
                if c != '\\' {
                    subject.push(c);
                    continue;
                }
                match chars.next() {
                    Some('t') => subject.push('\t'),
                    Some('n') => subject.push('\n'),
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        let code = u32::from_str_radix(&hex, 16).expect("\\u escape");
                        subject.push(char::from_u32(code).expect("a scalar value"));
                    }
                    Some(other) => subject.push(other),
                    None => subject.push('\\'),
                }
            }
            out.push((file.to_owned(), subject));
        }
        out
    }

    /// Where tanto and CPython disagree on purpose (corpus README, "Known behaviour").
    const SUBJECTS_CPYTHON_GETS_WRONG: &[(&str, &str)] = &[
        // One ISO-2022-JP character split across two encoded-words: CPython gives up.
        (
            "bounces/sisimai__bsd__lhost-exchange2007-04.eml",
            "Undeliverable: キジトラ・フラッシュ/ニャーン",
        ),
        // windows-874 encoded-word: CPython decodes it as something else.
        (
            "charsets/letters__test_thai_plaintext_windows-874_over_base64.eml",
            "📧 Test แพนแกรมภาษาไทย",
        ),
        // Raw 8-bit Big5 / GB2312 Subjects, decoded with the message's declared charset.
        (
            "charsets/sa__nice__cjk__big5-base64.1.eml",
            "[SLAT-talk] 鉅靡6月17日新片又到.如有重複寄發.敬請原諒!．．．．．．鉅靡6月17日新片又到.如有重複寄發.敬請原諒!．．．",
        ),
        (
            "charsets/sa__nice__cjk__gb2312.1.eml",
            "全新原装进口，送货上门，货到付款－台湾鑫龙商贸集团公司向您拜年!",
        ),
        // `Subject :` (obsolete syntax, space before the colon): CPython does not see it.
        (
            "malformed/mime4j__testmsgs__obsolete.eml",
            "The obsolete syntax allow spaces before the colon and also empty lines in folding.",
        ),
        ("plain/mikel__plain_emails__raw_email_incorrect_header.eml", "Stop adware/spyware once and for all."),
        // Raw 8-bit Latin-1 with no charset anywhere: windows-1252, not replacement characters.
        (
            "malformed/mikel__error_emails__invalid_subject_characters.eml",
            "Formação FrenetikPolis: Mega Campanha Final Verão | Cursos de Setembro",
        ),
        ("rfc-examples/mikel__rfc2822__example13.eml", "Saying Hello"),
    ];

    #[test]
    fn subjects_agree_with_cpython_except_where_it_is_wrong() {
        for (file, cpython) in manifest_subjects() {
            let got = parse_headers(&corpus(&file)).subject;
            let want = match SUBJECTS_CPYTHON_GETS_WRONG.iter().find(|(f, _)| *f == file) {
                Some((_, ours)) => ours.to_string(),
                // tanto shows subjects on one line, without controls (one ends in NUL).
                None => sanitize::single_line(&cpython),
            };
            assert_eq!(got, want, "{file}");
        }
    }

    #[test]
    fn japanese_subjects_decode_in_every_encoding() {
        let cases: &[(&str, &str)] = &[
            // UTF-8 and EUC-JP encoded-words mixed in one Subject, B encoding.
            ("japanese/letters__test_japanese_plaintext_euc-jp_over_base64.eml", "📧 Test いろは歌"),
            // UTF-8 and ISO-2022-JP (Q encoding of the escapes) mixed.
            ("japanese/letters__test_japanese_plaintext_iso-2022-jp_over_7bit.eml", "📧 Test いろは歌"),
            (
                "japanese/letters__test_japanese_multipart_signed_iso-2022-jp_over_quoted-printable.eml",
                "📧 Signed Test いろは歌",
            ),
            ("japanese/letters__test_japanese_plaintext_utf-8_over_base64.eml", "📧 Test いろは歌"),
            ("japanese/mikel__multi_charset__japanese_iso_2022.eml", "まみむめも"),
            ("japanese/mikel__multi_charset__japanese.eml", "まみむめも"),
            (
                "japanese/mikel__multi_charset__japanese_attachment_long_name.eml",
                "まみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめもまみむめも",
            ),
            // Raw UTF-8 in the header (RFC 6532).
            ("bounces/sisimai__bsd__lhost-kddi-01.eml", "メールエラー通知"),
            (
                "bounces/sisimai__bsd__lhost-domino-02.eml",
                "DELIVERY FAILURE: ユーザー Neko (kijitora@example.co.jp) は Domino ディレクトリには見つかりません。",
            ),
            ("bounces/sisimai__bsd__lhost-office365-04.eml", "Undeliverable: ニャーン"),
            ("bounces/sisimai__not__is-not-bounce-01.eml", "にゃんこ"),
            // Two ISO-2022-JP words, each ending in `ESC ( B`, joined.
            ("rfc-examples/mikel__rfc2822__example14.eml", "Re: TEST テストテスト"),
            // The decoded Subject ends in NUL: dropped.
            ("terminal-hostile/sisimai__err__make-test-31.eml", "メール送信エラー (Error message)"),
            ("plain/mikel__plain_emails__raw_email_with_partially_quoted_subject.eml", "Re: Test: \"漢字\" mid \"漢字\" tail"),
            // Bare CR line endings (classic Mac).
            ("line-endings/sisimai__mac__lhost-ezweb-01.eml", "Mail System Error - Returned Mail"),
            ("line-endings/sisimai__mac__rhost-cox-01.eml", "Undelivered Mail Returned to Sender"),
        ];
        for (file, want) in cases {
            assert_eq!(parse_headers(&corpus(file)).subject, *want, "{file}");
        }
    }

    #[test]
    fn a_utf8_character_split_across_two_encoded_words_decodes_whole() {
        let h = parse_headers(&corpus("charsets/sa__nice__unicode1.eml"));
        assert_eq!(h.subject, "Domače omrežje");
    }

    #[test]
    fn japanese_names_are_decoded_in_address_fields() {
        let h = parse_headers(&corpus(
            "japanese/letters__test_japanese_plaintext_iso-2022-jp_over_7bit.eml",
        ));
        let from: Vec<(Option<&str>, &str)> = h
            .from
            .iter()
            .map(|a| (a.name.as_deref(), a.email.as_str()))
            .collect();
        assert_eq!(
            from,
            [
                (Some("郵便アリス"), "alice.yuubin@example.com"),
                (Some("郵便アリス"), "alice.yuubin@example.net")
            ]
        );
        let to: Vec<Option<&str>> = h.to.iter().map(|a| a.name.as_deref()).collect();
        assert_eq!(to, [Some("郵便ボブ"), Some("郵便キャロル")]);
        let cc: Vec<Option<&str>> = h.cc.iter().map(|a| a.name.as_deref()).collect();
        assert_eq!(cc, [Some("郵便ダン"), Some("郵便イーブ")]);
        assert_eq!(h.reply_to[0].email, "alice.yuubin@example.net");
    }

    /// Phrases checked independently (iconv / Python's codecs on the raw body).
    const IROHA: &[&str] = &["色は匂えど", "酔いもせず。", "舟繋けぬ。"];

    #[test]
    fn japanese_bodies_decode_in_every_charset_and_transfer_encoding() {
        let files = [
            "japanese/letters__test_japanese_plaintext_iso-2022-jp_over_7bit.eml",
            "japanese/letters__test_japanese_plaintext_iso-2022-jp_over_base64.eml",
            "japanese/letters__test_japanese_plaintext_iso-2022-jp_over_quoted-printable.eml",
            "japanese/letters__test_japanese_plaintext_euc-jp_over_base64.eml",
            "japanese/letters__test_japanese_plaintext_euc-jp_over_quoted-printable.eml",
            "japanese/letters__test_japanese_plaintext_utf-8_over_7bit.eml",
            "japanese/letters__test_japanese_plaintext_utf-8_over_base64.eml",
            "japanese/letters__test_japanese_plaintext_utf-8_over_quoted-printable.eml",
            "japanese/letters__test_japanese_multipart_mixed_iso-2022-jp_over_base64.eml",
            "japanese/letters__test_japanese_multipart_mixed_euc-jp_over_quoted-printable.eml",
            "japanese/letters__test_japanese_multipart_related_iso-2022-jp_over_7bit.eml",
            // The charset is declared on the multipart/signed container only.
            "japanese/letters__test_japanese_multipart_signed_iso-2022-jp_over_quoted-printable.eml",
        ];
        for file in files {
            let text = render(&corpus(file)).text;
            for phrase in IROHA {
                assert!(text.contains(phrase), "{file}: no {phrase:?} in {text:?}");
            }
            assert!(
                !text.contains('\u{fffd}'),
                "{file}: replacement character in {text:?}"
            );
        }
    }

    #[test]
    fn shift_jis_body_decodes() {
        let text = render(&corpus(
            "japanese/mikel__multi_charset__japanese_shift_jis.eml",
        ))
        .text;
        assert_eq!(
            text,
            "あいうえお\n\nこのメールはテスト用のメールです。\n\n今後ともよろしくお願い申し上げます！\n"
        );
    }

    #[test]
    fn iso_2022_jp_label_on_euc_jp_bytes_still_reads() {
        // A list archive converted the body to EUC-JP and kept the ISO-2022-JP label.
        let text = render(&corpus("japanese/sa__nice__cjk__iso-2022-jp.2.eml")).text;
        assert!(
            text.starts_with(">ああ、心当たりがあります。たぶん、この前のsshと同じ問題です。\n"),
            "{text:?}"
        );
        assert!(!text.contains('\u{fffd}'));
    }

    #[test]
    fn cp932_label_is_read_as_shift_jis() {
        // "お問い合わせありがとうございます。①" in CP932 (① is an NEC extension).
        let body: &[u8] = b"\x82\xa8\x96\xe2\x82\xa2\x8d\x87\x82\xed\x82\xb9\x82\xa0\x82\xe8\
\x82\xaa\x82\xc6\x82\xa4\x82\xb2\x82\xb4\x82\xa2\x82\xdc\x82\xb7\x81\x42\x87\x40";
        let want = "お問い合わせありがとうございます。①";
        for label in [
            "cp932",
            "CP932",
            "x-sjis",
            "windows-31j",
            "Shift-JIS",
            "\"cp932\"",
            "MS932",
        ] {
            let mut raw = format!(
                "From: =?cp932?B?ipSOronvjtCDZYNYg2c=?= <info@EXAMPLE.co.jp>\r\n\
                 Subject: =?{label}?B?jKmQz4+RLnBkZg==?=\r\n\
                 Content-Type: text/plain; charset={label}\r\n\
                 Content-Transfer-Encoding: 8bit\r\n\r\n"
            )
            .into_bytes();
            raw.extend_from_slice(body);
            let h = parse_headers(&raw);
            assert_eq!(h.subject, "見積書.pdf", "label {label}");
            assert_eq!(h.from[0].name.as_deref(), Some("株式会社テスト"));
            assert_eq!(h.from[0].email, "info@example.co.jp");
            assert_eq!(render(&raw).text, format!("{want}\n"), "label {label}");
            assert_eq!(decode_text(body, Some(label)), want);
        }
    }

    #[test]
    fn decode_text_handles_labels_and_missing_charsets() {
        let jis = b"\x1b$B$3$s$K$A$O\x1b(B";
        let cases: &[(&[u8], Option<&str>, &str)] = &[
            (b"plain", None, "plain"),
            ("日本語".as_bytes(), None, "日本語"),
            ("日本語".as_bytes(), Some("utf8"), "日本語"),
            // No charset, or one that says nothing: ISO-2022-JP recognised by its escapes.
            (jis, None, "こんにちは"),
            (jis, Some("us-ascii"), "こんにちは"),
            (jis, Some("NONE"), "こんにちは"),
            (jis, Some("x-unknown-charset"), "こんにちは"),
            // A wrong single-byte label on ISO-2022-JP.
            (jis, Some("iso-8859-1"), "こんにちは"),
            (jis, Some("ISO-2022-JP-2"), "こんにちは"),
            (b"\xa4\xb3\xa4\xf3", Some("euc-jp"), "こん"),
            (b"\xa4\xb3\xa4\xf3", Some("eucJP-ms"), "こん"),
            (b"caf\xe9", Some("iso-8859-1"), "café"),
            // us-ascii with 8-bit bytes: UTF-8 if it is, else windows-1252.
            ("café".as_bytes(), Some("us-ascii"), "café"),
            (b"caf\xe9", Some("us-ascii"), "café"),
            // UTF-8 sent with a Japanese label.
            ("テスト".as_bytes(), Some("iso-2022-jp"), "テスト"),
            ("テスト".as_bytes(), Some("shift_jis"), "テスト"),
            // Undeclared and not UTF-8: replacement characters, not a guess.
            (b"caf\xe9", None, "caf\u{fffd}"),
        ];
        for (bytes, charset, want) in cases {
            assert_eq!(
                decode_text(bytes, *charset),
                *want,
                "{bytes:?} as {charset:?}"
            );
        }
    }

    #[test]
    fn raw_japanese_in_headers_and_bodies_without_a_charset() {
        // "テスト" in ISO-2022-JP, "山田" in ISO-2022-JP, "お問い合わせ" in Shift_JIS,
        // "こんにちは" in EUC-JP: raw in header fields and bodies, no charset anywhere.
        let mut raw = b"Subject: \x1b$B%F%9%H\x1b(B 1\r\n".to_vec();
        raw.extend_from_slice(b"From: \x1b$B;3ED\x1b(B <yamada@example.jp>\r\n");
        raw.extend_from_slice(
            b"To: \x82\xa8\x96\xe2\x82\xa2\x8d\x87\x82\xed\x82\xb9 <a@example.jp>\r\n",
        );
        raw.extend_from_slice(b"\r\n\xa4\xb3\xa4\xf3\xa4\xcb\xa4\xc1\xa4\xcf\r\n");
        let h = parse_headers(&raw);
        assert_eq!(h.subject, "テスト 1");
        assert_eq!(h.from[0].name.as_deref(), Some("山田"));
        assert_eq!(h.to[0].name.as_deref(), Some("お問い合わせ"));
        assert_eq!(render(&raw).text, "こんにちは\n");
        // Shift_JIS raw Subject, with the charset declared for the body only.
        let raw = b"Subject: \x8c\xa9\x90\xcf\x8f\x91\r\nContent-Type: text/plain; charset=Shift_JIS\r\n\r\n";
        assert_eq!(parse_headers(raw).subject, "見積書");
    }

    #[test]
    fn redundant_iso_2022_jp_escapes_are_not_errors() {
        let joined = b"\x1b$B%F%9%H\x1b(B\x1b$B%F%9%H\x1b(B";
        assert_eq!(decode_text(joined, Some("iso-2022-jp")), "テストテスト");
    }

    #[test]
    fn header_block_alone_gives_every_field() {
        let raw = b"Subject: =?ISO-2022-JP?B?GyRCJDRDbUo4JE4zTkcnGyhC?=\r\n\
From: \"Yamada, Taro\" <Taro@Example.CO.JP>\r\n\
To: support@example.com, Group: a@example.com, b@example.com;\r\n\
Cc: undisclosed-recipients:;\r\n\
Reply-To: reply@example.com\r\n\
Date: Tue, 1 Apr 2025 10:00:00 +0900\r\n\
Message-ID: <abc@example.jp>\r\n\
In-Reply-To: <prev@example.jp> (Taro's message of \"Mon, 31 Mar\" <not-an-id@x>)\r\n\
References: <one@x> junk <two@x>\r\n\
\t<three@x>,<four@x>\r\n\
List-Id: Support <support.example.com>\r\n\
Auto-Submitted: auto-replied\r\n\
Precedence: bulk\r\n\
X-Autoreply: yes\r\n\
Content-Type: Multipart/Report; report-type=delivery-status; boundary=x\r\n\
Return-Path: <>\r\n\
X-Failed-Recipients: gone@example.com\r\n\
\r\n";
        let h = parse_headers(raw);
        assert_eq!(h.subject, "ご注文の確認");
        assert_eq!(
            h.from,
            [Address {
                name: Some("Yamada, Taro".into()),
                email: "Taro@example.co.jp".into()
            }]
        );
        let to: Vec<&str> = h.to.iter().map(|a| a.email.as_str()).collect();
        assert_eq!(
            to,
            ["support@example.com", "a@example.com", "b@example.com"]
        );
        assert!(h.cc.is_empty());
        assert_eq!(h.reply_to[0].email, "reply@example.com");
        assert_eq!(h.date, Some(1_743_469_200));
        assert_eq!(h.message_id.as_deref(), Some("abc@example.jp"));
        assert_eq!(h.in_reply_to, ["prev@example.jp"]);
        assert_eq!(h.references, ["one@x", "two@x", "three@x", "four@x"]);
        assert_eq!(h.list_id.as_deref(), Some("Support <support.example.com>"));
        assert_eq!(h.auto_submitted.as_deref(), Some("auto-replied"));
        assert_eq!(h.precedence.as_deref(), Some("bulk"));
        assert_eq!(h.x_autoreply.as_deref(), Some("yes"));
        assert_eq!(h.content_type.as_deref(), Some("multipart/report"));
        assert_eq!(h.return_path.as_deref(), Some(""));
        assert_eq!(h.x_failed_recipients.as_deref(), Some("gone@example.com"));
    }

    #[test]
    fn message_ids_are_read_leniently() {
        let cases: &[(&str, &[&str])] = &[
            ("<a@b>", &["a@b"]),
            ("  <a@b>  <c@d>", &["a@b", "c@d"]),
            ("a@b", &["a@b"]),
            ("a@b c@d", &["a@b", "c@d"]),
            ("<a@b>,<c@d>", &["a@b", "c@d"]),
            ("junk <a@b> more junk <c@d> trailing", &["a@b", "c@d"]),
            ("<a@b> (Joe's message of \"Mon\" <x@y>)", &["a@b"]),
            (
                "<1234   @   local(blah)  .machine .example>",
                &["1234@local.machine.example"],
            ),
            ("<<a@b>>", &["a@b"]),
            ("<>", &[]),
            ("", &[]),
            ("12345", &["12345"]),
            ("<a@b", &["a@b"]),
        ];
        for (raw, want) in cases {
            assert_eq!(parse_ids(raw.as_bytes()), *want, "{raw:?}");
        }
    }

    #[test]
    fn first_of_two_subjects_wins() {
        let h = parse_headers(&corpus(
            "structure/mikel__mime_emails__raw_email_with_binary_encoded.eml",
        ));
        assert_eq!(h.subject, "Testing outlook");
    }

    #[test]
    fn unbracketed_addresses_are_split_from_names() {
        let h = parse_headers(&corpus("charsets/sa__mime-subject.eml"));
        assert_eq!(
            h.from,
            [Address {
                name: Some("Stefanie Schwabe".into()),
                email: "stefanie.schwabe@wanadoo.fr".into()
            }]
        );
        let h = parse_headers(&corpus(
            "plain/mikel__plain_emails__raw_email_multiple_from.eml",
        ));
        let from: Vec<&str> = h.from.iter().map(|a| a.email.as_str()).collect();
        assert_eq!(from, ["tim@powerupdev.com", "concierge@powerupdev.com"]);
    }

    #[test]
    fn parse_headers_never_panics_on_junk() {
        let mut inputs: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"\n".to_vec(),
            b"\r\n\r\n".to_vec(),
            b":".to_vec(),
            b"Subject".to_vec(),
            b"Subject:".to_vec(),
            b"Subject: =?".to_vec(),
            b"Subject: =?utf-8?".to_vec(),
            b"Subject: =?utf-8?B?".to_vec(),
            b"Subject: =?utf-8?X?abc?=".to_vec(),
            b"Subject: =??B?YQ==?=".to_vec(),
            b"From: <\r\nTo: \"\r\nCc: (((\r\nReferences: <<<>\r\n".to_vec(),
            b"Date: Mon, 99 Foo 99999 99:99:99 +9999\r\n".to_vec(),
            vec![0xff; 1000],
            (0u8..=255).collect(),
        ];
        // A deterministic pseudo-random byte soup, with header-like bits mixed in.
        let mut seed = 0x2545_f491_u32;
        for _ in 0..200 {
            let mut v = Vec::new();
            for _ in 0..300 {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                match seed % 11 {
                    0 => v.extend_from_slice(b"\r\nSubject: =?iso-2022-jp?B?GyRC"),
                    1 => v.extend_from_slice(b"?= =?utf-8?q?=E3=81"),
                    2 => v.extend_from_slice(b"\r\nFrom: \"<a@b>"),
                    3 => v.extend_from_slice(b"\x1b$B"),
                    _ => v.push(seed as u8),
                }
            }
            inputs.push(v);
        }
        for input in &inputs {
            assert_headers_safe("junk", &header_info(input).headers);
            assert_rendered_safe("junk", &render_message_bytes(input));
        }
    }

    #[test]
    fn return_path_keeps_the_null_sender() {
        let cases: &[(&str, Option<&str>)] = &[
            ("Return-Path: <>\r\n\r\n", Some("")),
            (
                "Return-Path: <bounce@Example.com>\r\n\r\n",
                Some("bounce@Example.com"),
            ),
            (
                "Return-Path: bare@example.com\r\n\r\n",
                Some("bare@example.com"),
            ),
            ("Subject: x\r\n\r\n", None),
        ];
        for (raw, want) in cases {
            assert_eq!(
                parse_headers(raw.as_bytes()).return_path.as_deref(),
                *want,
                "{raw:?}"
            );
        }
    }

    #[test]
    fn forwarded_message_shows_its_headers_and_text() {
        let r = render(&corpus(
            "structure/mikel__attachment_emails__attachment_message_rfc822.eml",
        ));
        assert!(r.text.contains("This is the first part."), "{}", r.text);
        assert!(
            r.text
                .contains("---------- Attached message ----------\nFrom: "),
            "{}",
            r.text
        );
        let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["ForwardedMessage.eml", "broken.pdf"]);
        assert_eq!(r.attachments[0].mime_type, "message/rfc822");
    }

    #[test]
    fn bounce_shows_the_returned_message() {
        let r = render(&corpus("bounces/sisimai__bsd__lhost-postfix-53.eml"));
        assert!(r
            .text
            .starts_with("This is the mail system at host mail.example.com."));
        assert!(r.text.contains("Subject: Nyaan\n"), "{}", r.text);
        let kinds: Vec<&str> = r.attachments.iter().map(|a| a.mime_type.as_str()).collect();
        assert_eq!(kinds, ["message/delivery-status", "message/rfc822"]);
    }

    #[test]
    fn attachment_names_are_decoded_and_safe() {
        let cases: &[(&str, &[&str])] = &[
            (
                "japanese/mikel__multi_charset__japanese_attachment.eml",
                &["てすと.txt"],
            ),
            (
                "japanese/mikel__multi_charset__japanese_attachment_long_name.eml",
                &["かきくけこかきくけこかきくけこかきくけこかきくけこ.txt"],
            ),
            (
                "japanese/sa__nice__cjk__iso-2022-jp.1.eml",
                &["test-sjis.txt"],
            ),
            (
                "structure/mikel__attachment_emails__attachment_nonascii_filename.eml",
                &["ciële.txt"],
            ),
            (
                "structure/mikel__attachment_emails__attachment_with_quoted_filename.eml",
                &["Eelanalüüsi päring.jpg"],
            ),
            (
                "structure/mikel__attachment_emails__attachment_with_base64_encoded_name.eml",
                &["This is a test.pdf"],
            ),
            ("bounces/sisimai__bsd__lhost-kddi-01.eml", &["猫ちゃん.eml"]),
        ];
        for (file, want) in cases {
            let r = render(&corpus(file));
            let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
            assert_eq!(names, *want, "{file}");
        }
        let r = render(&corpus("structure/mime4j__testmsgs__simple-attachment.eml"));
        assert_eq!(r.attachments[0].size, 1024, "decoded size");
    }

    #[test]
    fn terminal_hostile_files_put_no_escape_on_screen() {
        for file in [
            "terminal-hostile/mimekit__yenc__00000020.eml",
            "terminal-hostile/mimekit__yenc__00000021.eml",
            "terminal-hostile/mimekit__yenc__simple.eml",
            "terminal-hostile/sisimai__err__make-test-31.eml",
        ] {
            let raw = corpus(file);
            let r = render(&raw);
            let h = parse_headers(&raw);
            for s in [&r.text, &h.subject] {
                assert!(!s.contains(['\u{1b}', '\u{9b}', '\u{0}']), "{file}");
            }
            assert!(!r.text.is_empty(), "{file}: nothing shown");
        }
    }

    /// Header-level injection in every encoding (no real sample exists: corpus README, "Gaps").
    #[test]
    fn injection_in_headers_is_stripped_in_every_encoding() {
        // ESC ] 52 (clipboard write), ESC [ 2 J (clear), C1 CSI, RLO.
        let payload = "\u{1b}]52;c;ZXZpbA==\u{7}\u{1b}[2J\u{9b}31mX\u{202e}gpj.exe";
        let b64 = base64_encode(payload.as_bytes());
        let q: String = payload.bytes().map(|b| format!("={b:02X}")).collect();
        let rfc2231: String = payload.bytes().map(|b| format!("%{b:02X}")).collect();
        let mut raw = Vec::new();
        raw.extend_from_slice(b"Subject: raw ");
        raw.extend_from_slice(payload.as_bytes());
        raw.extend_from_slice(format!(" b =?utf-8?B?{b64}?= q =?utf-8?Q?{q}?=\r\n").as_bytes());
        raw.extend_from_slice(format!("From: =?utf-8?B?{b64}?= <a@example.com>\r\n").as_bytes());
        raw.extend_from_slice(b"To: \"");
        raw.extend_from_slice(payload.as_bytes());
        raw.extend_from_slice(b"\" <b@example.com>\r\n");
        raw.extend_from_slice(b"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n");
        raw.extend_from_slice(b"Content-Type: text/plain; charset=utf-8\r\n\r\nbody ");
        raw.extend_from_slice(payload.as_bytes());
        raw.extend_from_slice(b"\r\n--b\r\nContent-Type: application/octet-stream\r\n");
        raw.extend_from_slice(
            format!("Content-Disposition: attachment; filename*=utf-8''{rfc2231}\r\n\r\nx\r\n")
                .as_bytes(),
        );
        raw.extend_from_slice(b"--b\r\nContent-Type: application/octet-stream\r\n");
        raw.extend_from_slice(format!("Content-Disposition: attachment; filename=\"=?utf-8?B?{b64}?=\"\r\n\r\nx\r\n--b--\r\n").as_bytes());

        let h = parse_headers(&raw);
        let r = render(&raw);
        assert_headers_safe("injection", &h);
        assert_rendered_safe("injection", &r);
        assert!(
            h.subject.starts_with("raw Xgpj.exe b Xgpj.exe q Xgpj.exe"),
            "{:?}",
            h.subject
        );
        assert_eq!(h.from[0].name.as_deref(), Some("Xgpj.exe"));
        assert_eq!(h.to[0].name.as_deref(), Some("Xgpj.exe"));
        assert!(r.text.contains("body Xgpj.exe"), "{:?}", r.text);
        let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["Xgpj.exe", "Xgpj.exe"]);
    }

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

    #[test]
    fn hundred_levels_of_nested_messages_render() {
        let mut msg = b"Subject: level 100\r\n\r\ninnermost\r\n".to_vec();
        for level in (0..100).rev() {
            let mut outer =
                format!("Subject: level {level}\r\nContent-Type: message/rfc822\r\n\r\n")
                    .into_bytes();
            outer.extend_from_slice(&msg);
            msg = outer;
        }
        let r = render(&msg);
        assert_rendered_safe("nested", &r);
        assert!(r.text.contains("Subject: level 1\n"));
        assert!(!r.attachments.is_empty());
    }

    #[test]
    fn ten_thousand_parts_render() {
        let mut msg =
            b"Subject: many\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n".to_vec();
        for i in 0..10_000 {
            msg.extend_from_slice(
                format!("--zz\r\nContent-Type: application/octet-stream; name=\"f{i}.bin\"\r\n\r\nAAAA\r\n").as_bytes(),
            );
        }
        msg.extend_from_slice(b"--zz--\r\n");
        let r = render(&msg);
        assert_eq!(r.attachments.len(), 10_000);
        assert_eq!(r.attachments[9_999].name, "f9999.bin");
    }

    #[test]
    fn broken_messages_still_show_something() {
        let cases = [
            "malformed/mime4j__testmsgs__malformedHeader-noheader.eml",
            "malformed/letters__test_english_empty.eml",
            "charsets/sa__nice__cjk__big5-base64.1.eml",
            "malformed/mime4j__testmsgs__missing-boundary.eml",
        ];
        for file in cases {
            let r = render(&corpus(file));
            assert!(!r.text.trim().is_empty(), "{file}: nothing shown");
        }
        // base64 body with a mailing-list footer after it: both decoded.
        let r = render(&corpus("charsets/sa__nice__cjk__big5-base64.1.eml"));
        assert!(r.text.contains("更新日期"), "{}", r.text);
        assert!(r.text.contains("SLAT-talk mailing list"), "{}", r.text);
    }

    #[test]
    fn line_endings_become_newlines() {
        for file in [
            "line-endings/sisimai__mac__lhost-ezweb-01.eml",
            "line-endings/sa__nice__crlf-endings.eml",
        ] {
            let text = render(&corpus(file)).text;
            assert!(!text.contains('\r') && text.contains('\n'), "{file}");
        }
    }
}
