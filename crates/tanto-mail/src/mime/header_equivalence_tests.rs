//! The fast header decoding (`header::header_info`, fields cut by `header_split`) against the
//! reference (`header_reference`, mail-parser's own parse): the same `Headers` and raw Date on
//! every corpus message, the damaged fixtures and a few thousand generated header blocks. The
//! reference runs with the `fast_path` shortcuts off, so they are checked too.

use super::damaged_tests::fixtures as damaged_fixtures;
use super::header::header_info;
use super::header_reference;
use super::test_support::{corpus_dir, eml_files};

/// Both decodings of `raw`, which must agree.
fn assert_same(what: &str, raw: &[u8]) {
    let new = header_info(raw);
    // The reference with every shortcut off is the decoding as it was.
    let old = crate::fast_path::without(|| header_reference::header_info(raw));
    assert_eq!(
        new.headers,
        old.headers,
        "{what}: {:?}",
        String::from_utf8_lossy(raw)
    );
    assert_eq!(
        new.date_raw,
        old.date_raw,
        "{what}: {:?}",
        String::from_utf8_lossy(raw)
    );
}

/// The header block of a message (up to and with its empty line), as FETCH returns it.
fn header_block(raw: &[u8]) -> &[u8] {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 4)
        .or_else(|| raw.windows(2).position(|w| w == b"\n\n").map(|p| p + 2))
        .unwrap_or(raw.len());
    &raw[..end]
}

#[test]
fn corpus_headers_match_the_reference() {
    let mut files = Vec::new();
    eml_files(&corpus_dir(), &mut files);
    assert!(files.len() >= 281, "only {} corpus files", files.len());
    for path in files {
        let file = path.display().to_string();
        let raw = std::fs::read(&path).expect("read corpus file");
        assert_same(&file, &raw);
        let block = header_block(&raw);
        assert_same(&file, block);
        // Every cut at a line end, and a few inside lines.
        for (i, &b) in block.iter().enumerate() {
            if b == b'\n' || i % 97 == 0 {
                assert_same(&file, &block[..i]);
            }
        }
    }
}

#[test]
fn damaged_fixtures_match_the_reference() {
    for raw in damaged_fixtures() {
        for end in 0..=raw.len() {
            assert_same("damaged", &raw[..end]);
        }
    }
}

#[test]
fn generated_header_blocks_match_the_reference() {
    let mut gen = Gen(0x9e37_79b9);
    for n in 0..4000 {
        let block = gen.block();
        assert_same(&format!("block {n}"), &block);
        if n % 10 == 0 {
            let mut mutated = block.clone();
            gen.mutate(&mut mutated);
            assert_same(&format!("mutated block {n}"), &mutated);
            let cut = gen.below(block.len() + 1);
            assert_same(&format!("cut block {n}"), &block[..cut]);
        }
    }
}

/// Mail from a maildir (e.g. the bench generator's), when `TANTO_HEADER_MAILDIR` names one.
#[test]
fn maildir_headers_match_the_reference_when_given() {
    let Some(dir) = std::env::var_os("TANTO_HEADER_MAILDIR") else {
        return;
    };
    let dir = std::path::Path::new(&dir);
    let mut count = 0;
    for sub in ["cur", "new"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let raw = std::fs::read(entry.path()).expect("read maildir file");
            let file = entry.path().display().to_string();
            assert_same(&file, header_block(&raw));
            count += 1;
        }
    }
    assert!(count > 0, "no mail in {}", dir.display());
}

/// A deterministic generator of header blocks as real and hostile mail writes them.
struct Gen(u32);

const NAMES: &[&str] = &[
    "Subject",
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "List-Id",
    "Auto-Submitted",
    "Precedence",
    "X-Autoreply",
    "Content-Type",
    "Return-Path",
    "X-Failed-Recipients",
    "X-Tanto-Agent",
    "Received",
    "Resent-Date",
    "Content-Disposition",
    "X-Mailer",
    "MIME-Version",
    "Keywords",
    "Comments",
];

const ODD_NAMES: &[&str] = &[
    "sUbJeCt",
    "SUBJECT",
    "Sub ject",
    "Subject ",
    "X-Auto reply",
    "x-tanto-agent",
    "X-Failed - Recipients",
    "Message - Id",
    "Content-type",
    "content - TYPE",
    "Date ",
    "Resent - Date",
    ":Subject",
    "From\u{1b}",
    "Fröm",
    "X-A-Very-Long-Field-Name-Of-Forty-Characters",
];

const WORDS: &[&str] = &[
    "Re:",
    "Fwd:",
    "order",
    "refund",
    "Hello",
    "world",
    "a",
    "注文の確認",
    "返品",
    "Café",
    "naïve",
    "【重要】\u{3000}お知らせ",
    "—",
    "\u{a0}nbsp",
    "tab\there",
    "two  spaces",
    "\u{1b}[31mred\u{1b}[0m",
    "\u{1b}]52;c;ZXZpbA==\u{7}",
    "\u{9b}31m",
    "\u{202e}gpj.exe",
    "bell\u{7}",
    "nul\u{0}",
    "del\u{7f}",
    "\u{2028}sep",
    "=?",
    "?=",
    "=?utf-8?",
    "=??B?YQ==?=",
    "\"quoted\"",
    "(comment)",
    "a\\b",
    "x;y",
    "<id@x>",
];

/// Encoded-words and raw 8-bit text in the charsets Japanese mail uses.
const ENCODED: &[&[u8]] = &[
    b"=?UTF-8?B?6L+U5ZOB44O75Lqk5o+b?=",
    b"=?utf-8?q?=E8=BF=94=E5=93=81?=",
    b"=?UTF-8?B?44GU?= =?UTF-8?B?5rOo5paH?=",
    b"=?utf-8?B?8J+T?= =?utf-8?B?pw==?=",
    b"=?ISO-2022-JP?B?GyRCJDRDbUo4JE4zTkcnGyhC?=",
    b"=?iso-2022-jp?B?GyRCJWolPRsoQg==?=\r\n =?iso-2022-jp?B?GyRCJUgbKEI=?=",
    b"=?Shift_JIS?B?glCCUYJT?=",
    b"=?shift_jis?Q?=82=A0=82=A2?=",
    b"=?cp932?B?lXSLQA==?=",
    b"=?ISO-8859-1?Q?Caf=E9_ouvert?=",
    b"=?windows-1252?Q?=93quoted=94?=",
    b"=?utf-8?B?G10yO2V2aWwHIQ==?=",
    b"=?unknown-8bit?Q?=E9t=E9?=",
    b"=?utf-8?Q?broken",
    b"=?UTF-8?B?6L+U5ZOB",
    b"\xe8\xbf\x94\xe5\x93\x81",
    b"\x82\xa0\x82\xa2\x82\xa4",
    b"\x93\xfa\x96\x7b\x8c\xea",
    b"\xa4\xa2\xa4\xa4",
    b"\x1b$B$3$s$K$A$O\x1b(B",
    b"caf\xe9",
    b"\xff\xfe",
];

const DATES: &[&str] = &[
    "Mon, 01 Jan 2024 11:39:22 +0900",
    "Tue, 1 Apr 2025 10:00:00 +0900 (JST)",
    "1 Jan 2024 10:00:00 GMT",
    "Thu, 13 Feb 1969 23:32:54 -0330",
    "Fri, 21 Nov 97 09:55:06 GMT",
    "Mon, 01 Jan 2024 10:00:00 UT",
    "Mon, 01 Jan 2024 10:00:00 Z",
    "Mon, 01 Jan 2024 10:00:00 EST",
    "Mon, 01 Jan 2024 10:00:00 A",
    "2024-01-01T10:00:00Z",
    "2024-01-01 x",
    "Mon, 99 Foo 99999 99:99:99 +9999",
    "yesterday",
    "",
    "Wed, 17 Jul 2024 (comment) 08:15:00 +0200",
    "Sat, 29 Feb 2020 23:59:60 -1200",
];

const CONTENT_TYPES: &[&str] = &[
    "text/plain; charset=utf-8",
    "text/plain; charset=\"ISO-2022-JP\"",
    "text/plain; charset=shift_jis",
    "text/plain; charset=cp932",
    "text/plain; charset=iso-8859-1",
    "text/plain; charset=euc-jp",
    "TEXT/HTML; CHARSET=UTF-8",
    "multipart/alternative;\r\n\tboundary=\"----=_Part_0_4c4e\"",
    "multipart/mixed; boundary=b; charset=\"",
    "text",
    "",
    "; charset=utf-8",
    "text/plain; charset*=utf-8''%E8",
    "text/plain; charset==?utf-8?Q?x?=",
    "text/\u{1b}[31mplain",
    "message/rfc822",
];

const ADDRESSES: &[&str] = &[
    "a@example.com",
    "John Smith <john@Example.COM>",
    "\"Smith, John\" <j.smith@example.org>",
    "<bare@example.net>",
    "(comment) c@example.com",
    "d@example.com (Dee Example)",
    "Group: a@example.com, b@example.com;",
    "undisclosed-recipients:;",
    "postmaster",
    "Name Surname name@example.com",
    "a@example.com b@example.com",
    "\"quoted \\\" escaped\" <q@example.com>",
    "\"=?utf-8?B?6auY5qmL?=\" <t@example.jp>",
    "@relay.example:user@Example.com",
    "<>",
    "\"\"",
    "Bob <bob@example.com",
    "a@",
    "Ünïcode Näme <u@example.de>",
    "\"\u{1b}]0;title\u{7}\" <h@example.com>",
    "x@example.com,",
    ",,",
    "John Q. Public <jqp@example.com>",
    "O'Brien <ob@Example.IE>",
    "\"a:b; c\" <c@example.com>",
    "\" padded \" <p@example.com>",
    "\"\" <empty@example.com>",
    "Acme Support <support@acme.example>, Second <second@acme.example>",
    "a@b@c",
    "Tab\tName <t@example.com>",
    "=?UTF-8?B?44GC?= =?UTF-8?B?44GE?= <two@example.jp>",
    "=?utf-8?Q?=3D=3Fx?= <eq@example.jp>",
    "=?utf-8?B?IA==?= <space@example.jp>",
    "=?utf-8?B?Ig==?= <quote@example.jp>",
    "=?bogus?B?44GC?= <bogus@example.jp>",
    "=?utf-8?B?44GC?=x <glued@example.jp>",
];

const IDS: &[&str] = &[
    "<659225da.0.353bbaad@fujiyama.co.example>",
    "<a@b>",
    "a@b",
    "<a@b> (Joe's message of \"Mon\" <x@y>)",
    "<1234   @   local(blah)  .machine .example>",
    "<<a@b>>",
    "<>",
    "12345",
    "<a@b",
    "junk <a@b> more <c@d> trailing",
    "<a@b>,<c@d>",
    "<\u{1b}[2Jx@y>",
];

const RAW_VALUES: &[&str] = &[
    "bulk",
    "auto-replied",
    "yes",
    "Support <support.example.com>",
    "agent-7",
    "gone@example.com",
    "<>",
    "<bounce@Example.com>",
    "bare@example.com",
    "  spaced   out  ",
    "\u{1b}[2Jclear",
    "",
];

impl Gen {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        self.next() as usize % n.max(1)
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }

    fn name(&mut self) -> String {
        let name = if self.chance(10) {
            self.pick(ODD_NAMES)
        } else {
            self.pick(NAMES)
        };
        match self.below(20) {
            0 => name.to_ascii_lowercase(),
            1 => name.to_ascii_uppercase(),
            _ => name.to_owned(),
        }
    }

    /// A value for a field called `name` (any case), sometimes with junk mixed in.
    fn value(&mut self, name: &str) -> Vec<u8> {
        let lower = name.to_ascii_lowercase();
        let mut v: Vec<u8> = Vec::new();
        match lower.trim() {
            "from" | "to" | "cc" | "reply-to" => {
                for i in 0..1 + self.below(3) {
                    if i > 0 {
                        v.extend_from_slice(if self.chance(50) { b", " } else { b"," });
                    }
                    if self.chance(25) {
                        v.extend_from_slice(self.pick(ENCODED));
                        v.extend_from_slice(b" <enc@example.jp>");
                    } else {
                        v.extend_from_slice(self.pick(ADDRESSES).as_bytes());
                    }
                }
            }
            "date" | "resent-date" => v.extend_from_slice(self.pick(DATES).as_bytes()),
            "content-type" | "content-disposition" => {
                v.extend_from_slice(self.pick(CONTENT_TYPES).as_bytes())
            }
            "message-id" | "in-reply-to" | "references" => {
                for i in 0..1 + self.below(4) {
                    if i > 0 {
                        v.push(b' ');
                    }
                    v.extend_from_slice(self.pick(IDS).as_bytes());
                }
            }
            "received" => v.extend_from_slice(
                b"from mx.example (mx.example [192.0.2.1]) by imap.example with LMTP id 9b7a; Mon, 01 Jan 2024 02:39:25 +0000",
            ),
            "subject" | "comments" | "keywords" => {
                for i in 0..1 + self.below(6) {
                    if i > 0 {
                        v.push(b' ');
                    }
                    if self.chance(30) {
                        v.extend_from_slice(self.pick(ENCODED));
                    } else {
                        v.extend_from_slice(self.pick(WORDS).as_bytes());
                    }
                }
            }
            _ => v.extend_from_slice(self.pick(RAW_VALUES).as_bytes()),
        }
        if self.chance(8) {
            v.extend_from_slice(self.pick(WORDS).as_bytes());
        }
        if self.chance(5) {
            v.extend_from_slice(self.pick(ENCODED));
        }
        v
    }

    /// One header block: fields (folded, duplicated, damaged) and the line ends of one mailer.
    fn block(&mut self) -> Vec<u8> {
        let eol: &[u8] = match self.below(20) {
            0..=11 => b"\r\n",
            12..=16 => b"\n",
            _ => b"\r",
        };
        let mut out = Vec::new();
        match self.below(30) {
            0 => out.extend_from_slice(b"   "),
            1 => out.extend_from_slice(b"From sender@example.com Mon Jan  1 00:00:00 2024"),
            2 => out.extend_from_slice(b"\t"),
            _ => {}
        }
        if !out.is_empty() {
            out.extend_from_slice(eol);
        }
        for _ in 0..3 + self.below(14) {
            let name = self.name();
            let value = self.value(&name);
            out.extend_from_slice(name.as_bytes());
            if self.chance(3) {
                out.extend_from_slice(b" ");
            } else if !self.chance(2) {
                out.push(b':');
            }
            if !self.chance(5) {
                out.push(b' ');
            }
            for &b in &value {
                // Fold at some of the spaces, the way long fields are folded.
                if b == b' ' && self.chance(25) {
                    out.extend_from_slice(eol);
                    out.push(if self.chance(50) { b' ' } else { b'\t' });
                } else {
                    out.push(b);
                }
            }
            out.extend_from_slice(eol);
            match self.below(60) {
                0 => out.extend_from_slice(b"no colon on this line"),
                1 => out.extend_from_slice(b"   "),
                2 => out.extend_from_slice(b" continuation of nothing"),
                3 => out.extend_from_slice(b"\x0c"),
                _ => continue,
            }
            out.extend_from_slice(eol);
        }
        match self.below(10) {
            0 => out.extend_from_slice(b"Dear team, help\r\ncall me at: 555\r\n"),
            1 => {}
            _ => {
                out.extend_from_slice(eol);
                if self.chance(30) {
                    out.extend_from_slice(b"Body: not a header");
                    out.extend_from_slice(eol);
                }
            }
        }
        out
    }

    /// A few bytes of `block` replaced by bytes that matter to header syntax.
    fn mutate(&mut self, block: &mut [u8]) {
        const BYTES: &[u8] = b":\n\r \t=?<>\"(\\,;@\x1b\x00\x80\x9b\xe3\xff";
        for _ in 0..1 + self.below(4) {
            if block.is_empty() {
                return;
            }
            let at = self.below(block.len());
            block[at] = BYTES[self.below(BYTES.len())];
        }
    }
}
