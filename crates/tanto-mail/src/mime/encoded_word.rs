//! RFC 2047 encoded-words: a header value cut into raw text and runs of encoded-words, the
//! runs joined and decoded by tanto's charset rules.

use super::charset::{charset_key, decode_bytes, decode_header_raw, has_jis_escape};
use super::header::unfold;

/// Longest encoded-word text accepted, in bytes.
const MAX_ENCODED_WORD: usize = 4096;

/// A header value cut into raw text and runs of adjacent encoded-words in one charset.
pub(super) enum Piece<'a> {
    Raw(&'a [u8]),
    Words { charset: String, bytes: Vec<u8> },
}

/// Cuts a header value into pieces. Adjacent encoded-words (separated by white space only) in
/// the same charset become one run, so a character split across two words (Exchange does this
/// with ISO-2022-JP; others with UTF-8) decodes whole. The space between words is dropped.
pub(super) fn pieces(value: &[u8]) -> Vec<Piece<'_>> {
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
pub(super) fn base64_lenient(text: &[u8]) -> Vec<u8> {
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
pub(super) fn decode_header_value(raw: &[u8], hint: Option<&str>) -> String {
    let mut value = unfold(raw).into_owned();
    // No encoded-word, no JIS escape, UTF-8: the text as it is (what the pieces give).
    let plain = !value.windows(2).any(|w| w == b"=?") && !value.contains(&0x1b);
    if crate::fast_path::enabled() && plain {
        match String::from_utf8(value) {
            Ok(text) => return text,
            Err(not_utf8) => value = not_utf8.into_bytes(),
        }
    }
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
pub(super) fn prepare_address_field(raw: &[u8], hint: Option<&str>) -> Vec<u8> {
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

pub(super) fn base64_encode(bytes: &[u8]) -> String {
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

#[cfg(test)]
mod tests {
    use crate::mime::parse_headers;
    use crate::mime::test_support::corpus;
    use crate::sanitize;

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
}
