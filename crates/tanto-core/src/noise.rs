//! Telling noise (auto-replies, bounces, list and bulk mail) from customer mail, by headers.

use super::model::Headers;

/// Why a message is kept out of New.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoiseReason {
    AutoReply,
    Bounce,
    MailingList,
    Bulk,
}

impl NoiseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            NoiseReason::AutoReply => "auto-reply",
            NoiseReason::Bounce => "bounce",
            NoiseReason::MailingList => "mailing-list",
            NoiseReason::Bulk => "bulk",
        }
    }

    pub fn parse(s: &str) -> Option<NoiseReason> {
        [
            NoiseReason::AutoReply,
            NoiseReason::Bounce,
            NoiseReason::MailingList,
            NoiseReason::Bulk,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

const BOUNCE_SENDERS: &[&str] = &["mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"];

const BOUNCE_SUBJECTS: &[&str] = &[
    "undelivered mail returned to sender",
    "undeliverable:",
    "undeliverable mail",
    "delivery status notification (failure)",
    "delivery status notification (delay)",
    "mail delivery failed",
    "mail delivery failure",
    "returned mail:",
    "failure notice",
    "delivery failure",
    "message delivery failure",
    "non-delivery",
    "nondeliverable",
    "delivery has failed",
    "メール配送エラー",
    "配信エラー",
    "配送エラー",
    "返送されたメール",
];

const AUTO_REPLY_SUBJECTS: &[&str] = &[
    "auto:",
    "autoreply",
    "auto-reply",
    "auto reply",
    "automatic reply",
    "auto response",
    "autoresponse",
    "out of office",
    "out of the office",
    "abwesenheitsnotiz",
    "réponse automatique",
    "自動返信",
    "自動応答",
    "不在通知",
    "不在のお知らせ",
];

/// Classifies a message by the headers the sync fetches; `None` means customer mail.
pub fn classify(h: &Headers) -> Option<NoiseReason> {
    let subject = h.subject.to_lowercase();
    let sender_local = h
        .from
        .first()
        .map(|a| a.email.split('@').next().unwrap_or("").to_ascii_lowercase())
        .unwrap_or_default();
    if h.content_type.as_deref() == Some("multipart/report")
        || h.x_failed_recipients.is_some()
        || BOUNCE_SENDERS.contains(&sender_local.as_str())
        || BOUNCE_SUBJECTS.iter().any(|s| subject.starts_with(s))
    {
        return Some(NoiseReason::Bounce);
    }
    if h.auto_submitted
        .as_deref()
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"))
        || h.x_autoreply.is_some()
        || AUTO_REPLY_SUBJECTS.iter().any(|s| subject.starts_with(s))
    {
        return Some(NoiseReason::AutoReply);
    }
    if h.list_id.is_some() {
        return Some(NoiseReason::MailingList);
    }
    match h
        .precedence
        .as_deref()
        .map(|p| p.trim().to_ascii_lowercase())
    {
        Some(p) if p == "bulk" || p == "junk" => Some(NoiseReason::Bulk),
        Some(p) if p == "list" => Some(NoiseReason::MailingList),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Address;

    fn from(email: &str, subject: &str) -> Headers {
        Headers {
            subject: subject.into(),
            from: vec![Address {
                name: None,
                email: email.into(),
            }],
            ..Headers::default()
        }
    }

    #[test]
    fn customer_mail_is_not_noise() {
        assert_eq!(classify(&from("taro@example.jp", "Re: 注文について")), None);
        assert_eq!(classify(&from("a@b.c", "Returned goods: refund?")), None);
        let mut h = from("a@b.c", "Hello");
        h.auto_submitted = Some("no".into());
        assert_eq!(classify(&h), None);
    }

    #[test]
    fn bounces_auto_replies_and_lists_are_noise() {
        let mut dsn = from("x@y.z", "Hi");
        dsn.content_type = Some("multipart/report".into());
        assert_eq!(classify(&dsn), Some(NoiseReason::Bounce));
        assert_eq!(
            classify(&from("MAILER-DAEMON@mx.example", "failure")),
            Some(NoiseReason::Bounce)
        );
        let mut auto = from("x@y.z", "Hello");
        auto.auto_submitted = Some("auto-replied".into());
        assert_eq!(classify(&auto), Some(NoiseReason::AutoReply));
        assert_eq!(
            classify(&from("x@y.z", "Out of Office: back Monday")),
            Some(NoiseReason::AutoReply)
        );
        let mut list = from("x@y.z", "News");
        list.list_id = Some("<news.example.com>".into());
        assert_eq!(classify(&list), Some(NoiseReason::MailingList));
        let mut bulk = from("x@y.z", "Sale");
        bulk.precedence = Some("Bulk".into());
        assert_eq!(classify(&bulk), Some(NoiseReason::Bulk));
    }
}
