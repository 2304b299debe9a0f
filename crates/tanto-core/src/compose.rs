//! Composing a reply: recipients (reply-all never to the shared address), one "Re:",
//! threading headers, the quote and signature, the editable draft, and the bytes of the
//! message (RFC 2047 headers folded under 78 columns, UTF-8 or ISO-2022-JP bodies).

use super::model::Address;

/// What the reply answers, decoded.
#[derive(Debug, Clone, Default)]
pub struct Original {
    pub from: Option<Address>,
    pub reply_to: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    /// Without brackets.
    pub message_id: Option<String>,
    /// Without brackets, oldest first.
    pub references: Vec<String>,
    /// As the attribution line shows it ("2026-01-05 10:00").
    pub date_text: String,
    pub text: String,
}

/// Whom a reply answers besides the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// The customer only.
    Customer,
    /// The customer, and in Cc whoever the mail answered had in Cc (a team's `keep_cc`).
    KeepCc,
    /// Everyone the mail was addressed to (reply-all).
    All,
}

/// Who the reply is to: the customer, and by `answer` the mail's Cc or everyone else
/// addressed; never the team's own addresses, nobody twice.
pub fn recipients(
    orig: &Original,
    team: &[String],
    answer: Answer,
) -> (Vec<Address>, Vec<Address>) {
    let ours = |a: &Address| team.iter().any(|t| t.eq_ignore_ascii_case(&a.email));
    // A contact form writes From = the shared address and Reply-To = the customer.
    let customer: Vec<Address> = if !orig.reply_to.is_empty() {
        orig.reply_to.clone()
    } else {
        orig.from.iter().cloned().collect()
    };
    let mut to: Vec<Address> = Vec::new();
    let push = |list: &mut Vec<Address>, seen: &[Address], a: &Address| {
        if !ours(a)
            && !seen.iter().any(|s| s.email.eq_ignore_ascii_case(&a.email))
            && !list.iter().any(|s| s.email.eq_ignore_ascii_case(&a.email))
        {
            list.push(a.clone());
        }
    };
    for a in &customer {
        push(&mut to, &[], a);
    }
    let mut cc = Vec::new();
    let others: Vec<&Address> = match answer {
        Answer::Customer => Vec::new(),
        Answer::KeepCc => orig.cc.iter().collect(),
        Answer::All => orig.to.iter().chain(&orig.cc).collect(),
    };
    for a in others {
        push(&mut cc, &to, a);
    }
    (to, cc)
}

/// The subject with exactly one "Re: " in front ("Re: Re: x", "RE:x", "Re[2]: x" → "Re: x").
pub fn reply_subject(subject: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        let rest = if lower.starts_with("re:") || lower.starts_with("aw:") {
            Some(&s[3..])
        } else if lower.starts_with("re[") || lower.starts_with("re(") {
            s.find([']', ')'])
                .and_then(|i| s.get(i + 1..))
                .and_then(|r| r.strip_prefix(':'))
        } else if s.starts_with("Re：") || s.starts_with("RE：") || s.starts_with("re：") {
            s.get("Re：".len()..)
        } else {
            None
        };
        match rest {
            Some(r) => s = r.trim_start(),
            None => break,
        }
    }
    format!("Re: {s}")
}

/// `In-Reply-To` and `References` of the reply (without brackets).
pub fn threading(orig: &Original) -> (Option<String>, Vec<String>) {
    let mut refs = orig.references.clone();
    if let Some(id) = &orig.message_id {
        if !refs.contains(id) {
            refs.push(id.clone());
        }
    }
    // Keep the root and the most recent ones: long chains must not grow without bound.
    if refs.len() > 20 {
        let mut kept = vec![refs[0].clone()];
        kept.extend(refs[refs.len() - 19..].iter().cloned());
        refs = kept;
    }
    (orig.message_id.clone(), refs)
}

/// True when the text is (mostly) Japanese: kana or CJK ideographs.
pub fn is_japanese(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c as u32, 0x3040..=0x30ff | 0x4e00..=0x9fff | 0xff66..=0xff9f))
}

/// The attribution line and the quoted original, in the customer's language.
pub fn quote(orig: &Original) -> String {
    let who = orig
        .from
        .as_ref()
        .map(|a| a.name.clone().unwrap_or_else(|| a.email.clone()))
        .unwrap_or_default();
    let head = if is_japanese(&orig.text) || is_japanese(&who) {
        format!("{} {} 様からのメール:", orig.date_text, who)
    } else {
        format!("On {}, {} wrote:", orig.date_text, who)
    };
    let mut out = head.trim().to_string();
    out.push('\n');
    for line in orig.text.trim_end().lines() {
        if line.starts_with('>') {
            out.push('>');
        } else {
            out.push_str("> ");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The body as sent: what the agent wrote, the signature, then the quote.
pub fn body(written: &str, signature: &str, quoted: &str) -> String {
    let mut out = written.trim_end().to_string();
    out.push('\n');
    if !signature.trim().is_empty() {
        out.push_str("\n-- \n");
        out.push_str(signature.trim_end());
        out.push('\n');
    }
    if !quoted.is_empty() {
        out.push('\n');
        out.push_str(quoted);
    }
    out
}

/// The editable draft a person's editor opens: header lines, a blank line, the body.
pub fn draft_text(to: &[Address], cc: &[Address], subject: &str, body: &str) -> String {
    let list = |v: &[Address]| v.iter().map(display).collect::<Vec<_>>().join(", ");
    format!(
        "To: {}\nCc: {}\nSubject: {}\n\n{}",
        list(to),
        list(cc),
        subject,
        body
    )
}

/// The draft with `comments` as `# ` lines at the top of its header block (dropped again
/// when it is read back).
pub fn with_comments(draft: &str, comments: &[String]) -> String {
    let mut out: String = comments
        .iter()
        .map(|c| format!("# {}\n", c.replace(['\r', '\n'], " ")))
        .collect();
    out.push_str(draft);
    out
}

/// A draft read back from the editor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    pub body: String,
    /// Files to attach, from `Attach: PATH` header lines (one per file).
    pub attach: Vec<String>,
    /// `Keep-Open: yes`: the conversation stays in progress after the send.
    pub keep_open: bool,
}

/// Reads a draft back; `None` when the header block is missing or names no recipient.
pub fn parse_draft(text: &str) -> Option<Draft> {
    let text = text.replace("\r\n", "\n");
    let (head, body) = text.split_once("\n\n")?;
    let mut d = Draft {
        to: Vec::new(),
        cc: Vec::new(),
        subject: String::new(),
        body: body.to_string(),
        attach: Vec::new(),
        keep_open: false,
    };
    for line in head.lines() {
        // Comment lines (suggestions tanto put there) are for the writer, not the mail.
        if line.starts_with('#') {
            continue;
        }
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "to" => d.to = parse_addresses(value),
            "cc" => d.cc = parse_addresses(value),
            "subject" => d.subject = value.trim().to_string(),
            "attach" if !value.trim().is_empty() => d.attach.push(value.trim().to_string()),
            "keep-open" => {
                d.keep_open = matches!(value.trim().to_ascii_lowercase().as_str(), "yes" | "true")
            }
            _ => {}
        }
    }
    (!d.to.is_empty()).then_some(d)
}

/// `Name <a@b>, c@d` → addresses (names may not hold commas: the draft writes none).
pub fn parse_addresses(s: &str) -> Vec<Address> {
    s.split(',')
        .filter_map(|part| {
            let part = part.trim();
            if part.is_empty() {
                return None;
            }
            match (part.rfind('<'), part.rfind('>')) {
                (Some(l), Some(r)) if l < r => {
                    let name = part[..l].trim().trim_matches('"').trim();
                    Some(Address {
                        name: (!name.is_empty()).then(|| name.to_string()),
                        email: part[l + 1..r].trim().to_string(),
                    })
                }
                _ => part.contains('@').then(|| Address {
                    name: None,
                    email: part.to_string(),
                }),
            }
        })
        .collect()
}

fn display(a: &Address) -> String {
    match &a.name {
        Some(n) if !n.is_empty() => format!("{} <{}>", n.replace(',', " "), a.email),
        _ => a.email.clone(),
    }
}

/// Words from the team's list found in the text, and whether an attachment is mentioned
/// ("attached", "添付") but none is attached.
pub fn warnings(body_written: &str, attachments: usize, warn_words: &[String]) -> Vec<SendWarning> {
    let lower = body_written.to_lowercase();
    let mut out = Vec::new();
    let mentions = ["attached", "attachment", "添付"]
        .iter()
        .any(|w| lower.contains(w));
    if mentions && attachments == 0 {
        out.push(SendWarning::NoAttachment);
    }
    for w in warn_words {
        if !w.trim().is_empty() && lower.contains(&w.to_lowercase()) {
            out.push(SendWarning::WarnWord(w.clone()));
        }
    }
    out
}

/// Why a written reply should be looked at again before it goes out; a person may send it
/// anyway (`--force`, the TUI's "send anyway"). The front ends word it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendWarning {
    /// The text mentions an attachment, but nothing is attached.
    NoAttachment,
    /// The text holds a word the team warns about.
    WarnWord(String),
    /// The team has never written to this domain (a mistyped address?).
    NewDomain(String),
}

/// The domains of `recipients` (lower-cased, each once, in order).
pub fn domains(recipients: &[Address]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in recipients {
        if let Some((_, domain)) = a.email.rsplit_once('@') {
            let d = domain.to_ascii_lowercase();
            if !d.is_empty() && !out.contains(&d) {
                out.push(d);
            }
        }
    }
    out
}

pub use super::compose_render::{render, Charset, FileAttachment, Outgoing};

#[cfg(test)]
mod tests {
    use super::*;

    fn a(name: Option<&str>, email: &str) -> Address {
        Address {
            name: name.map(String::from),
            email: email.into(),
        }
    }

    #[test]
    fn reply_all_never_goes_to_the_shared_address_and_has_no_duplicates() {
        let orig = Original {
            from: Some(a(Some("Yamada"), "yamada@customer.jp")),
            to: vec![a(None, "Support@Example.com"), a(None, "boss@customer.jp")],
            cc: vec![a(None, "yamada@customer.jp"), a(None, "info@example.com")],
            ..Default::default()
        };
        let team = vec!["support@example.com".to_string(), "info@example.com".into()];
        let (to, cc) = recipients(&orig, &team, Answer::All);
        assert_eq!(to, vec![a(Some("Yamada"), "yamada@customer.jp")]);
        assert_eq!(cc, vec![a(None, "boss@customer.jp")]);
        let (_, cc) = recipients(&orig, &team, Answer::Customer);
        assert!(cc.is_empty());
    }

    #[test]
    fn keeping_the_cc_answers_whoever_the_customer_copied_but_not_the_team() {
        let orig = Original {
            from: Some(a(Some("Yamada"), "yamada@customer.jp")),
            to: vec![a(None, "support@example.com"), a(None, "sales@partner.jp")],
            cc: vec![
                a(None, "boss@customer.jp"),
                a(None, "info@example.com"),
                a(None, "Yamada@customer.jp"),
            ],
            ..Default::default()
        };
        let team = vec!["support@example.com".to_string(), "info@example.com".into()];
        let (to, cc) = recipients(&orig, &team, Answer::KeepCc);
        assert_eq!(to, vec![a(Some("Yamada"), "yamada@customer.jp")]);
        assert_eq!(
            cc,
            vec![a(None, "boss@customer.jp")],
            "not the To, not the team"
        );
    }

    #[test]
    fn a_contact_form_is_answered_at_its_reply_to() {
        let orig = Original {
            from: Some(a(None, "support@example.com")),
            reply_to: vec![a(None, "k@customer.jp")],
            ..Default::default()
        };
        let (to, _) = recipients(&orig, &["support@example.com".into()], Answer::Customer);
        assert_eq!(to, vec![a(None, "k@customer.jp")]);
    }

    #[test]
    fn one_re_whatever_came_before() {
        for (s, want) in [
            ("Hello", "Re: Hello"),
            ("Re: Hello", "Re: Hello"),
            ("RE: re:Hello", "Re: Hello"),
            ("Re[2]: Hello", "Re: Hello"),
            ("Re：お問い合わせ", "Re: お問い合わせ"),
            ("Aw: Hallo", "Re: Hallo"),
        ] {
            assert_eq!(reply_subject(s), want, "{s}");
        }
    }

    #[test]
    fn references_end_with_the_message_answered() {
        let orig = Original {
            message_id: Some("c@x".into()),
            references: vec!["a@x".into(), "b@x".into()],
            ..Default::default()
        };
        assert_eq!(
            threading(&orig),
            (
                Some("c@x".into()),
                vec!["a@x".into(), "b@x".into(), "c@x".into()]
            )
        );
    }

    #[test]
    fn japanese_mail_is_quoted_with_a_japanese_attribution() {
        let orig = Original {
            from: Some(a(Some("山田太郎"), "y@c.jp")),
            date_text: "2026-01-05 10:00".into(),
            text: "お世話になっております。\n> 前の話\n".into(),
            ..Default::default()
        };
        let q = quote(&orig);
        assert!(
            q.starts_with("2026-01-05 10:00 山田太郎 様からのメール:\n"),
            "{q}"
        );
        assert!(q.contains("> お世話になっております。\n>> 前の話\n"), "{q}");
    }

    #[test]
    fn a_draft_round_trips_through_the_editor_text() {
        let text = draft_text(
            &[a(Some("Yamada"), "y@c.jp")],
            &[],
            "Re: x",
            "本文\n\n> q\n",
        );
        let d = parse_draft(&text).expect("parses");
        assert_eq!(d.to, vec![a(Some("Yamada"), "y@c.jp")]);
        assert!(d.cc.is_empty());
        assert_eq!(d.subject, "Re: x");
        assert_eq!(d.body, "本文\n\n> q\n");
        assert!(parse_draft("no header").is_none());
    }

    #[test]
    fn missing_attachments_and_team_words_are_warned_about() {
        assert_eq!(warnings("資料を添付します", 0, &[]).len(), 1);
        assert!(warnings("資料を添付します", 1, &[]).is_empty());
        let w = warnings("We guarantee it", 0, &["guarantee".into()]);
        assert_eq!(w, vec![SendWarning::WarnWord("guarantee".into())]);
        let to = [
            a(None, "x@Example.COM"),
            a(None, "y@example.com"),
            a(None, "z@c.jp"),
        ];
        assert_eq!(domains(&to), vec!["example.com", "c.jp"]);
    }

    #[test]
    fn comment_lines_in_the_header_block_are_not_part_of_the_mail() {
        let to = vec![Address {
            name: None,
            email: "y@c.jp".into(),
        }];
        let draft = draft_text(&to, &[], "Re: x", "body\n");
        let commented = with_comments(&draft, &["Templates: 返品, refund".into()]);
        assert!(commented.starts_with("# Templates: 返品, refund\nTo: "));
        assert_eq!(parse_draft(&commented), parse_draft(&draft));
    }

    #[test]
    fn a_draft_names_its_attachments_and_whether_it_stays_open() {
        let d = parse_draft(
            "To: a@example.com\nCc: \nSubject: Re: x\nAttach: ~/invoice.pdf\nAttach: /tmp/見積書.pdf\nKeep-Open: yes\n# a comment\n\nbody",
        )
        .expect("draft");
        assert_eq!(d.attach, ["~/invoice.pdf", "/tmp/見積書.pdf"]);
        assert!(d.keep_open);
        let plain = parse_draft("To: a@example.com\nSubject: s\n\nb").expect("draft");
        assert!(plain.attach.is_empty() && !plain.keep_open);
    }
}
