//! The demo's sample mailbox, generated: a few days of a web shop's support inbox in English
//! and Japanese (ISO-2022-JP and UTF-8), with threads, replies from the team, attachments and
//! the noise every shared inbox gets (newsletters, auto-replies, bounces).
//!
//! Deterministic for a given `now`: the same seed gives the same mailbox, with dates relative
//! to `now` so that the list always reads like this morning.

use chrono::{DateTime, FixedOffset};

/// One message to put on the demo server.
pub struct Sample {
    pub folder: &'static str,
    pub raw: Vec<u8>,
    pub flags: Vec<String>,
    /// Arrival time (Unix seconds), for the INTERNALDATE.
    pub date: i64,
}

/// Agents the sample mailbox already shows at work (never "you" nor the simulated teammate,
/// so that what they do stands out).
const SEEDED_AGENTS: &[&str] = &["bob", "ken"];

const EN_CUSTOMERS: &[(&str, &str)] = &[
    ("Jane Miller", "jane.miller@example.org"),
    ("Tom Becker", "tom@becker-design.example"),
    ("Priya Nair", "priya.nair@example.in"),
    ("Lucas Martin", "lucas.martin@example.fr"),
    ("Emma Wilson", "emma.w@example.co.uk"),
    ("Noah Kim", "noah.kim@example.com"),
    ("Sofia Rossi", "sofia.rossi@example.it"),
    ("Oliver Schmidt", "o.schmidt@example.de"),
    ("Grace Chen", "grace.chen@example.ca"),
    ("Daniel Park", "dpark@example.net"),
    ("Ava Johnson", "ava.johnson@example.com"),
    ("Mateo Garcia", "mateo.garcia@example.es"),
];

const JA_CUSTOMERS: &[(&str, &str)] = &[
    ("山田 太郎", "taro.yamada@example.jp"),
    ("佐藤 美咲", "misaki.sato@example.co.jp"),
    ("鈴木 一郎", "ichiro.suzuki@example.ne.jp"),
    ("高橋 恵", "megumi.takahashi@example.jp"),
    ("田中 健太", "kenta.tanaka@example.co.jp"),
    ("伊藤 由美", "yumi.ito@example.jp"),
    ("渡辺 翔", "sho.watanabe@example.ne.jp"),
    ("中村 さくら", "sakura.nakamura@example.jp"),
    ("小林 大輔", "daisuke.kobayashi@example.co.jp"),
    ("加藤 彩", "aya.kato@example.jp"),
    ("吉田 浩二", "koji.yoshida@example.ne.jp"),
    ("山本 真由美", "mayumi.yamamoto@example.jp"),
];

/// (subject, body); `{order}` is replaced by an order number.
const EN_TOPICS: &[(&str, &str)] = &[
    ("Where is my order #{order}?", "I ordered a linen throw last week (order #{order}) and the tracking page has not changed for three days. Could you check where it is?"),
    ("Wrong size delivered", "I ordered the jacket in M but received an L (order #{order}). How do I exchange it?"),
    ("Refund for order #{order}", "I returned the parcel ten days ago and have not seen the refund yet. The return label number is on the receipt."),
    ("Can I change my delivery address?", "I just placed order #{order} and noticed the old address. Can you still change it to my office?"),
    ("Invoice with our company name", "Could you issue the invoice for order #{order} with our company name and VAT number? Our accounts team needs it."),
    ("Damaged item on arrival", "The mug in order #{order} arrived broken. A photo is attached. Can you send a new one?"),
    ("Discount code not accepted", "The code WINTER20 from your newsletter says it is invalid at checkout."),
    ("Do you ship to Canada?", "I would like to order two lamps. Do you ship to Toronto, and how long does it take?"),
    ("Cancel my subscription", "Please cancel my monthly coffee subscription from next month. Thank you."),
    ("Password reset link expired", "The reset link in your mail says it expired. Can you send a new one?"),
    ("Question about the warranty", "My kettle (order #{order}) stopped working after eight months. Is it covered by the warranty?"),
    ("Bulk order for our office", "We would like 40 notebooks with our logo. Do you offer a price for a bulk order?"),
];

const EN_FOLLOW_UPS: &[&str] = &[
    "Any news on this? I still have not heard back.",
    "Sorry, one more thing: the order number is #{order}.",
    "Just checking in again: could someone look at this today?",
];

const JA_TOPICS: &[(&str, &str)] = &[
    ("注文番号{order}の配送状況について", "{order}で注文した商品がまだ届いておりません。\n配送状況を確認していただけますでしょうか。"),
    ("商品が破損していました", "本日届いた商品（注文番号{order}）の箱がつぶれており、中のお皿が割れていました。\n写真を添付いたします。交換をお願いできますでしょうか。"),
    ("返品・交換の手続きについて", "注文番号{order}の商品を返品したいのですが、手続きの方法を教えてください。"),
    ("請求書の宛名変更のお願い", "注文番号{order}の請求書の宛名を会社名に変更していただけますでしょうか。"),
    ("領収書の発行について", "経理に提出するため、注文番号{order}の領収書を発行していただけますか。"),
    ("お届け先住所の変更", "先ほど注文した{order}のお届け先を、実家の住所に変更したいです。"),
    ("クーポンコードが使えません", "メールマガジンに記載のクーポンコードを入力すると「無効です」と表示されます。"),
    ("定期便の解約について", "毎月お届けの定期便を今月で解約したいと考えております。"),
    ("ログインできません", "パスワードを再設定してもログインできません。確認をお願いいたします。"),
    ("法人での大量注文について", "社内の記念品として、同じ商品を五十個ほど注文したいと考えております。お見積りをお願いできますか。"),
    ("サイズ交換をお願いします", "注文番号{order}のシャツのサイズが合わなかったため、ひとつ大きいサイズに交換をお願いします。"),
    ("支払い方法の変更について", "注文番号{order}の支払い方法を、クレジットカードから銀行振込に変更できますか。"),
];

const JA_FOLLOW_UPS: &[&str] = &[
    "先日お問い合わせした件、その後いかがでしょうか。\nご確認のほどよろしくお願いいたします。",
    "追加で失礼いたします。注文番号は{order}です。",
    "お忙しいところ恐れ入りますが、本日中にご回答いただけますと助かります。",
];

/// A tiny deterministic generator (xorshift64*): the same mailbox on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// True with probability `percent`/100.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// How a Japanese message is encoded: both are common in Japanese mail.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Charset {
    Utf8,
    Iso2022Jp,
}

/// One person writing in: name, address, language.
#[derive(Clone, Copy)]
struct Person {
    name: &'static str,
    address: &'static str,
    japanese: Option<Charset>,
}

/// The whole sample mailbox, in no particular order (the server sorts by arrival).
pub fn samples(now: i64) -> Vec<Sample> {
    let mut rng = Rng(0x7A17_0D3E_5EED_2026);
    let mut out = Vec::new();
    for n in 0..140 {
        thread(&mut rng, now, n, &mut out);
    }
    for n in 0..30 {
        out.push(newsletter(&mut rng, now, n));
    }
    for n in 0..15 {
        out.push(auto_reply(&mut rng, now, n));
    }
    for n in 0..8 {
        out.push(bounce(&mut rng, now, n));
    }
    out.push(shift_jis(now));
    out.push(hostile(now));
    out
}

/// One customer conversation: the first mail, maybe follow-ups, maybe the team's reply, and
/// the status keywords on the newest inbound message.
fn thread(rng: &mut Rng, now: i64, n: usize, out: &mut Vec<Sample>) {
    let person = if rng.chance(50) {
        let (name, address) = *rng.pick(JA_CUSTOMERS);
        let cs = if rng.chance(50) {
            Charset::Iso2022Jp
        } else {
            Charset::Utf8
        };
        Person {
            name,
            address,
            japanese: Some(cs),
        }
    } else {
        let (name, address) = *rng.pick(EN_CUSTOMERS);
        Person {
            name,
            address,
            japanese: None,
        }
    };
    let order = format!("A-{}", 10_240 + n * 7);
    let (subject, body, follow_ups) = match person.japanese {
        Some(_) => {
            let (s, b) = rng.pick(JA_TOPICS);
            (*s, *b, JA_FOLLOW_UPS)
        }
        None => {
            let (s, b) = rng.pick(EN_TOPICS);
            (*s, *b, EN_FOLLOW_UPS)
        }
    };
    let subject = subject.replace("{order}", &order);
    let domain = person.address.split('@').nth(1).unwrap_or("example.com");
    let root_id = format!("<t{n}.0@{domain}>");
    // Older conversations are more often done; the newest are still new.
    let age_hours = 1 + rng.below(72) as i64;
    let mut at = now - age_hours * 3600 - rng.below(3600) as i64;
    let state = match rng.below(100) {
        _ if age_hours < 6 => State::New,
        0..=49 => State::New,
        50..=64 => State::Wip(SEEDED_AGENTS[rng.below(SEEDED_AGENTS.len())]),
        _ => State::Done(SEEDED_AGENTS[rng.below(SEEDED_AGENTS.len())]),
    };
    let attach = rng.chance(6) || subject.contains("破損") || subject.contains("Damaged");
    let text = compose_body(&person, &body.replace("{order}", &order));
    let mut inbound = vec![out.len()];
    out.push(inbound_message(
        &person, &subject, &text, &root_id, None, at, attach,
    ));
    let follow = match rng.below(10) {
        0..=5 => 0,
        6..=8 => 1,
        _ => 2,
    };
    for k in 1..=follow {
        at += 1800 + rng.below(6 * 3600) as i64;
        if at > now - 120 {
            break;
        }
        let body = rng.pick(follow_ups).replace("{order}", &order);
        let text = compose_body(&person, &body);
        let id = format!("<t{n}.{k}@{domain}>");
        inbound.push(out.len());
        out.push(inbound_message(
            &person,
            &format!("Re: {subject}"),
            &text,
            &id,
            Some(&root_id),
            at,
            false,
        ));
    }
    let reply_by = match state {
        State::Done(a) => Some(a),
        State::Wip(a) if rng.chance(30) => Some(a),
        _ => None,
    };
    if let Some(agent) = reply_by {
        let when = (at + 600 + rng.below(3 * 3600) as i64).min(now - 60);
        out.push(team_reply(&person, &subject, &root_id, n, agent, when));
    }
    if let Some(&last) = inbound.last() {
        let flags = &mut out[last].flags;
        match state {
            State::New => {}
            State::Wip(a) => flags.extend(["tanto-wip".to_string(), format!("tanto-by-{a}")]),
            State::Done(a) => flags.extend([
                "tanto-done".to_string(),
                format!("tanto-by-{a}"),
                "\\Answered".to_string(),
            ]),
        }
        if reply_by.is_some() && !flags.iter().any(|f| f == "\\Answered") {
            flags.push("\\Answered".to_string());
        }
    }
    // Read mail is marked read, as another client of the team would have.
    for i in inbound {
        if state != State::New {
            out[i].flags.push("\\Seen".to_string());
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    New,
    Wip(&'static str),
    Done(&'static str),
}

fn compose_body(p: &Person, text: &str) -> String {
    match p.japanese {
        Some(_) => format!(
            "ショップサポートご担当者様\n\nお世話になっております。{}です。\n\n{text}\n\nよろしくお願いいたします。\n\n{}\n",
            p.name, p.name
        ),
        None => format!("Hello,\n\n{text}\n\nThanks,\n{}\n", p.name),
    }
}

/// A customer's message, encoded as its language and charset say.
fn inbound_message(
    p: &Person,
    subject: &str,
    text: &str,
    id: &str,
    reply_to: Option<&str>,
    at: i64,
    attach: bool,
) -> Sample {
    let cs = p.japanese;
    let offset = if cs.is_some() { 9 * 3600 } else { 0 };
    let mut h = String::new();
    h.push_str(&format!(
        "From: {} <{}>\r\n",
        encode_word(p.name, cs),
        p.address
    ));
    h.push_str("To: Example Shop Support <support@example.com>\r\n");
    h.push_str(&format!("Subject: {}\r\n", encode_word(subject, cs)));
    h.push_str(&format!("Date: {}\r\n", rfc5322(at, offset)));
    h.push_str(&format!("Message-ID: {id}\r\n"));
    if let Some(r) = reply_to {
        h.push_str(&format!("In-Reply-To: {r}\r\nReferences: {r}\r\n"));
    }
    h.push_str("MIME-Version: 1.0\r\n");
    let (ctype, cte, body) = text_part(text, cs);
    let mut raw = h.into_bytes();
    if attach {
        let boundary = format!("=_tanto_demo_{}", id.len() * 7919 + at as usize % 9973);
        raw.extend(format!("Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\nThis is a multi-part message in MIME format.\r\n--{boundary}\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n").into_bytes());
        raw.extend(body);
        let (name_param, mime, data) = attachment(cs.is_some(), at);
        raw.extend(format!("\r\n--{boundary}\r\nContent-Type: {mime}\r\nContent-Disposition: attachment; {name_param}\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--{boundary}--\r\n", base64_lines(&data)).into_bytes());
    } else {
        raw.extend(
            format!("Content-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n")
                .into_bytes(),
        );
        raw.extend(body);
    }
    Sample {
        folder: "INBOX",
        raw,
        flags: Vec::new(),
        date: at,
    }
}

/// (Content-Type, Content-Transfer-Encoding, body bytes with CRLF) of a text part.
fn text_part(text: &str, cs: Option<Charset>) -> (&'static str, &'static str, Vec<u8>) {
    let crlf = text.replace('\n', "\r\n");
    match cs {
        // The traditional form: JIS bytes, 7bit.
        Some(Charset::Iso2022Jp) => (
            "text/plain; charset=ISO-2022-JP",
            "7bit",
            iso_2022_jp(&crlf),
        ),
        Some(Charset::Utf8) => (
            "text/plain; charset=UTF-8",
            "base64",
            base64_lines(crlf.as_bytes()).into_bytes(),
        ),
        None => ("text/plain; charset=UTF-8", "7bit", crlf.into_bytes()),
    }
}

/// (Content-Disposition parameter, Content-Type, bytes) of a small attachment.
fn attachment(japanese: bool, at: i64) -> (String, &'static str, Vec<u8>) {
    match at % 3 {
        0 => {
            // The smallest valid PNG: one grey pixel.
            let png: &[u8] = &[
                0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44,
                0x52, 0, 0, 0, 1, 0, 0, 0, 1, 0x08, 0x00, 0, 0, 0, 0x3A, 0x7E, 0x9B, 0x55, 0, 0, 0,
                0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x68, 0x00, 0x00, 0x00, 0x82, 0x00,
                0x81, 0x4C, 0x17, 0xD7, 0xDF, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60,
                0x82,
            ];
            ("filename=\"photo.png\"".into(), "image/png", png.to_vec())
        }
        1 if japanese => (
            // RFC 2231: a Japanese file name, as Japanese mailers send it.
            "filename*=UTF-8''%E9%A0%98%E5%8F%8E%E6%9B%B8.pdf".into(),
            "application/pdf",
            b"%PDF-1.4\n% tanto demo receipt\n%%EOF\n".to_vec(),
        ),
        _ => (
            "filename=\"order.csv\"".into(),
            "text/csv",
            b"item,qty,price\r\nlinen throw,1,49.00\r\nmug,2,12.50\r\n".to_vec(),
        ),
    }
}

/// The team's answer, in the Sent folder, signed by the agent who wrote it.
fn team_reply(p: &Person, subject: &str, root: &str, n: usize, agent: &str, at: i64) -> Sample {
    let (text, cs) = match p.japanese {
        Some(cs) => (
            format!("{}様\n\nお問い合わせいただきありがとうございます。\n確認いたしましたので、ご案内いたします。\n\nショップサポート {agent}\n", p.name),
            Some(cs),
        ),
        None => (
            format!("Dear {},\n\nThank you for writing to us. We have looked into it and sorted it out.\n\nBest regards,\n{agent}, Example Shop Support\n", p.name),
            None,
        ),
    };
    let (ctype, cte, body) = text_part(&text, cs);
    let mut raw = format!(
        "From: Example Shop Support <support@example.com>\r\nTo: {} <{}>\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <reply-{n}@example.com>\r\nIn-Reply-To: {root}\r\nReferences: {root}\r\nX-Tanto-Agent: {agent}\r\nMIME-Version: 1.0\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n",
        encode_word(p.name, cs),
        p.address,
        encode_word(&format!("Re: {subject}"), cs),
        rfc5322(at, 9 * 3600),
    )
    .into_bytes();
    raw.extend(body);
    Sample {
        folder: "Sent",
        raw,
        flags: vec!["\\Seen".to_string()],
        date: at,
    }
}

fn newsletter(rng: &mut Rng, now: i64, n: usize) -> Sample {
    let at = now - rng.below(72 * 3600) as i64;
    let raw = if n % 2 == 0 {
        format!("From: Shop News <news@lists.example.com>\r\nTo: support@example.com\r\nSubject: This week: {} new arrivals and free shipping\r\nDate: {}\r\nMessage-ID: <news-{n}@lists.example.com>\r\nList-Id: Shop News <news.lists.example.com>\r\nList-Unsubscribe: <mailto:unsubscribe@lists.example.com>\r\nPrecedence: bulk\r\nMIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><h1>New this week</h1><p>Up to <b>{}%</b> off selected items.</p></body></html>\r\n", 5 + n, rfc5322(at, 0), 10 + n % 5 * 10).into_bytes()
    } else {
        let subject = format!("【業界ニュース】第{n}号 年末商戦の準備はお済みですか");
        let (ctype, cte, body) = text_part(
            "いつもご購読ありがとうございます。\n今週の特集は年末商戦に向けた在庫管理です。\n配信停止はこちらから。\n",
            Some(Charset::Iso2022Jp),
        );
        let mut raw = format!("From: {} <magazine@mag.example.jp>\r\nTo: support@example.com\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <mag-{n}@mag.example.jp>\r\nList-Id: <weekly.mag.example.jp>\r\nPrecedence: bulk\r\nMIME-Version: 1.0\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n", encode_word("ネットショップ通信", Some(Charset::Iso2022Jp)), encode_word(&subject, Some(Charset::Iso2022Jp)), rfc5322(at, 9 * 3600)).into_bytes();
        raw.extend(body);
        raw
    };
    noise(raw, at)
}

fn auto_reply(rng: &mut Rng, now: i64, n: usize) -> Sample {
    let at = now - rng.below(48 * 3600) as i64;
    let raw = if n % 2 == 0 {
        let (name, address) = *rng.pick(EN_CUSTOMERS);
        format!("From: {name} <{address}>\r\nTo: support@example.com\r\nSubject: Automatic reply: Your order has shipped\r\nDate: {}\r\nMessage-ID: <ooo-{n}@example.com>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nI am out of the office until Monday with limited access to email.\r\n", rfc5322(at, 0)).into_bytes()
    } else {
        let (name, address) = *rng.pick(JA_CUSTOMERS);
        let (ctype, cte, body) = text_part(
            "ただいま不在にしております。\n戻り次第、順次ご返信いたします。\n",
            Some(Charset::Utf8),
        );
        let mut raw = format!("From: {} <{address}>\r\nTo: support@example.com\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <ooo-{n}@example.jp>\r\nAuto-Submitted: auto-replied\r\nX-Autoreply: yes\r\nMIME-Version: 1.0\r\nContent-Type: {ctype}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n", encode_word(name, Some(Charset::Utf8)), encode_word("自動応答: 不在のお知らせ", Some(Charset::Utf8)), rfc5322(at, 9 * 3600)).into_bytes();
        raw.extend(body);
        raw
    };
    noise(raw, at)
}

fn bounce(rng: &mut Rng, now: i64, n: usize) -> Sample {
    let at = now - rng.below(48 * 3600) as i64;
    let raw = format!("From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\nTo: support@example.com\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: {}\r\nMessage-ID: <bounce-{n}@mx.example.net>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b{n}\"\r\n\r\n--b{n}\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mx.example.net.\r\nYour message could not be delivered to one or more recipients.\r\n--b{n}\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822; old-customer{n}@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\n--b{n}--\r\n", rfc5322(at, 0)).into_bytes();
    noise(raw, at)
}

fn noise(raw: Vec<u8>, at: i64) -> Sample {
    Sample {
        folder: "INBOX",
        raw,
        flags: Vec::new(),
        date: at,
    }
}

/// Shift_JIS (CP932), still sent by older Japanese mailers.
fn shift_jis(now: i64) -> Sample {
    let at = now - 25 * 60;
    let raw = format!("From: =?Shift_JIS?B?jbKToSCJ1I5x?= <h.sato@example.co.jp>\r\nTo: support@example.com\r\nSubject: =?Shift_JIS?B?kL+LgY+RgsyNxJStjXOCyYLCgqKCxA==?=\r\nDate: {}\r\nMessage-ID: <invoice-77@example.co.jp>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\ngqiQophigsmCyILBgsSCqILogtyCt4FCDQqQ5oyOlaqCzJC/i4GPkYLwjcSUrY1zgqKCvYK+gq+C3IK3gsWCtYLlgqSCqYFCDQqItpa8gs2BdYqUjq6J747Qg1SDk4N2g4uBdoLFgqiK6IKigqKCvYK1gtyCt4FCDQoNCo2yk6EgidSOcQ0K\r\n", rfc5322(at, 9 * 3600)).into_bytes();
    Sample {
        folder: "INBOX",
        raw,
        flags: Vec::new(),
        date: at,
    }
}

/// Mail is hostile input: tanto shows this as plain text, escapes and all removed.
fn hostile(now: i64) -> Sample {
    let at = now - 50 * 60;
    let raw = format!("From: \"Evil \x1b[31mRED\x1b[0m\" <mallory@example.net>\r\nTo: support@example.com\r\nSubject: Invoice =?UTF-8?Q?=1B]0;pwned=07?= please check\r\nDate: {}\r\nMessage-ID: <hostile-1@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThis text tries to \x1b[2J clear your screen and set the title \x1b]0;owned\x07.\r\ntanto shows it as plain text.\r\n", rfc5322(at, 0)).into_bytes();
    Sample {
        folder: "INBOX",
        raw,
        flags: Vec::new(),
        date: at,
    }
}

/// An RFC 2047 encoded word when the text is not ASCII.
fn encode_word(text: &str, cs: Option<Charset>) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    match cs {
        Some(Charset::Iso2022Jp) => format!("=?ISO-2022-JP?B?{}?=", base64(&iso_2022_jp(text))),
        _ => format!("=?UTF-8?B?{}?=", base64(text.as_bytes())),
    }
}

/// The text in ISO-2022-JP (JIS); every character the samples use is in JIS X 0208.
fn iso_2022_jp(text: &str) -> Vec<u8> {
    let (bytes, _, _) = encoding_rs::ISO_2022_JP.encode(text);
    bytes.into_owned()
}

/// `Mon, 23 Nov 2026 09:02:11 +0900` for a Unix time at a fixed UTC offset.
fn rfc5322(unix: i64, offset_secs: i32) -> String {
    let zone = FixedOffset::east_opt(offset_secs).unwrap_or(FixedOffset::east_opt(0).expect("UTC"));
    DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .with_timezone(&zone)
        .format("%a, %d %b %Y %H:%M:%S %z")
        .to_string()
}

/// The IMAP INTERNALDATE form (`23-Nov-2026 09:02:11 +0000`) of a Unix time.
pub fn internal_date(unix: i64) -> String {
    DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%d-%b-%Y %H:%M:%S +0000")
        .to_string()
}

fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 in lines of 76 characters, CRLF-separated (as MIME bodies are).
fn base64_lines(data: &[u8]) -> String {
    let text = base64(data);
    let lines: Vec<&str> = text
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    lines.join("\r\n") + "\r\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }

    #[test]
    fn the_sample_mailbox_has_a_few_hundred_messages_in_both_languages_and_charsets() {
        let all = samples(1_790_000_000);
        assert!((250..=450).contains(&all.len()), "{}", all.len());
        let text = |s: &Sample| String::from_utf8_lossy(&s.raw).into_owned();
        assert!(all.iter().any(|s| text(s).contains("charset=ISO-2022-JP")));
        assert!(all.iter().any(|s| text(s).contains("=?UTF-8?B?")));
        assert!(all
            .iter()
            .any(|s| text(s).contains("Content-Disposition: attachment")));
        assert!(all.iter().any(|s| s.folder == "Sent"));
        assert!(all.iter().all(|s| s.date <= 1_790_000_000));
        // Every message parses, and every Japanese subject decodes to Japanese.
        for s in &all {
            let h = tanto_mail::mime::parse_headers(&s.raw);
            assert!(!h.subject.is_empty(), "{}", text(s));
            if text(s).contains("ISO-2022-JP?B?") && text(s).contains("Subject: =?") {
                assert!(!h.subject.is_ascii(), "{}", h.subject);
            }
        }
    }
}
