//! Charsets: what a label means (with the aliases mail-parser lacks), decoding by it, and
//! the guesses for text with no usable label or a wrong one (ISO-2022-JP by its escape
//! sequences, Shift_JIS and EUC-JP by their kana).

use mail_parser::decoders::charsets::map::charset_decoder;
use mail_parser::decoders::charsets::DecoderFnc;

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
pub(super) fn charset_key(label: &str) -> String {
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
pub(super) fn decode_bytes(bytes: &[u8], charset: Option<&str>, hint: Option<&str>) -> String {
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
pub(super) fn decode_header_raw(bytes: &[u8], hint: Option<&str>) -> String {
    // What `guess` returns first for UTF-8 with no JIS escape, without reading the hint.
    if crate::fast_path::enabled() && !bytes.contains(&0x1b) {
        if let Ok(text) = std::str::from_utf8(bytes) {
            return text.to_owned();
        }
    }
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
pub(super) fn has_jis_escape(bytes: &[u8]) -> bool {
    // Most text has no ESC at all: one fast scan says so.
    bytes.contains(&0x1b)
        && bytes.windows(3).any(|w| {
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

#[cfg(test)]
mod tests {
    use crate::mime::test_support::corpus;
    use crate::mime::{decode_text, parse_headers, render};

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
}
