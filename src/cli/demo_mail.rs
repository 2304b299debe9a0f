//! The demo's sample mailbox: a morning in a Japanese shop's support inbox.

use tanto_devserver::sample_message;

/// One message to put on the demo server: folder, raw bytes, keywords.
pub struct Sample {
    pub folder: &'static str,
    pub raw: Vec<u8>,
    pub flags: &'static [&'static str],
}

fn msg(folder: &'static str, flags: &'static [&'static str], text: &str) -> Sample {
    Sample {
        folder,
        raw: text.replace('\n', "\r\n").into_bytes(),
        flags,
    }
}

/// The sample mailbox, oldest first.
pub fn samples() -> Vec<Sample> {
    let mut out = vec![
        msg("INBOX", &["tanto-wip", "tanto-by-bob"], "From: =?ISO-2022-JP?B?GyRCOzNFRBsoQiAbJEJCQE86GyhC?= <taro.yamada@example.jp>
To: support@example.com
Subject: =?ISO-2022-JP?B?GyRCPiZJSiQsRk8kLSReJDskcxsoQg==?=
Date: Mon, 23 Nov 2026 09:02:11 +0900
Message-ID: <order-1024@example.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: base64

GyRCJTUlXSE8JUgkNEM0RXY8VE1NGyhCDQoNChskQkBoPTVDbUo4JDckPz4mSUohSkNtSjhIVjlmGyhCIEEtMTAyNBskQiFLJCwkXiRARk8kLSReJDskcyEjGyhCDQobJEJHW0F3PnU2NyRyM05HJyQ3JEYkJCQ/JEAkMSReJDkkKyEjGyhCDQoNChskQjszRUQbKEIgGyRCQkBPOhsoQg0K
"),
        msg("Sent", &["\\Seen"], "From: Example Support <support@example.com>
To: taro.yamada@example.jp
Subject: =?ISO-2022-JP?B?UmU6IBskQj4mSUokLEZPJC0kXiQ7JHMbKEI=?=
Date: Mon, 23 Nov 2026 09:40:00 +0900
Message-ID: <reply-1024@example.com>
In-Reply-To: <order-1024@example.jp>
References: <order-1024@example.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: base64

GyRCOzNFRE1NGyhCDQoNChskQiQqTGQkJDlnJG8kOyQiJGokLCRIJCYkNCQ2JCQkXiQ5ISMbKEINChskQktcRnxIL0F3JCQkPyQ3JF4kNyQ/ISNESUBXSFY5ZiRPGyhCIDEyMzQtNTY3OCAbJEIkRyQ5ISMbKEINCg0KGyRCJTUlXSE8JUhDNEV2GyhCIBskQiVcJVYbKEINCg==
"),
        msg("INBOX", &[], "From: =?Shift_JIS?B?jbKToSCJ1I5x?= <hanako.sato@example.co.jp>
To: support@example.com
Subject: =?Shift_JIS?B?kL+LgY+RgsyNxJStjXOCyYLCgqKCxA==?=
Date: Mon, 23 Nov 2026 10:15:42 +0900
Message-ID: <invoice-77@example.co.jp>
MIME-Version: 1.0
Content-Type: text/plain; charset=Shift_JIS
Content-Transfer-Encoding: base64

gqiQophigsmCyILBgsSCqILogtyCt4FCDQqQ5oyOlaqCzJC/i4GPkYLwjcSUrY1zgqKCvYK+gq+C3IK3gsWCtYLlgqSCqYFCDQqItpa8gs2BdYqUjq6J747Qg1SDk4N2g4uBdoLFgqiK6IKigqKCvYK1gtyCt4FCDQoNCo2yk6EgidSOcQ0K
"),
        msg("INBOX", &["tanto-done", "tanto-by-alice", "\\Answered"], "From: Jane Miller <jane@example.org>
To: support@example.com
Subject: Password reset link expired
Date: Sun, 22 Nov 2026 17:20:00 +0000
Message-ID: <pw-1@example.org>
Content-Type: text/plain; charset=utf-8

Hi, the reset link in your mail says it expired. Can you send a new one?
Jane
"),
        msg("INBOX", &[], "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>
To: support@example.com
Subject: Undelivered Mail Returned to Sender
Date: Mon, 23 Nov 2026 08:01:00 +0000
Message-ID: <bounce-1@mx.example.net>
Auto-Submitted: auto-replied
Content-Type: multipart/report; report-type=delivery-status; boundary=b1

--b1
Content-Type: text/plain

This is the mail system at host mx.example.net.
I'm sorry to have to inform you that your message could not be delivered.
--b1
Content-Type: message/delivery-status

Final-Recipient: rfc822; nobody@example.net
Action: failed
Status: 5.1.1
--b1--
"),
        msg("INBOX", &[], "From: Kenji Ito <kenji@example.jp>
To: support@example.com
Subject: =?UTF-8?B?6Ieq5YuV5b+c562UOiDkuI3lnKjjga7jgYrnn6XjgonjgZs=?=
Date: Mon, 23 Nov 2026 08:30:00 +0900
Message-ID: <ooo-1@example.jp>
Auto-Submitted: auto-replied
X-Autoreply: yes
Content-Type: text/plain; charset=utf-8

11月30日まで不在にしております。
"),
        msg("INBOX", &[], "From: Shop News <news@lists.example.com>
To: support@example.com
Subject: Our winter sale starts now
Date: Mon, 23 Nov 2026 07:00:00 +0000
Message-ID: <news-2026-11@lists.example.com>
List-Id: Shop News <news.lists.example.com>
Precedence: bulk
Content-Type: text/html; charset=utf-8

<html><body><h1>Winter sale</h1><p>Up to <b>50%</b> off everything.</p></body></html>
"),
        msg("INBOX", &[], "From: \"Evil \x1b[31mRED\x1b[0m\" <mallory@example.net>
To: support@example.com
Subject: Invoice =?UTF-8?Q?=1B]0;pwned=07?= please check
Date: Mon, 23 Nov 2026 11:00:00 +0000
Message-ID: <hostile-1@example.net>
Content-Type: text/plain; charset=utf-8

This text tries to \x1b[2J clear your screen and set the title \x1b]0;owned\x07.
tanto shows it as plain text.
"),
    ];
    // A few ordinary threads to fill the list.
    for i in 0..12 {
        let root = i - i % 3;
        out.push(Sample {
            folder: "INBOX",
            raw: sample_message(i, (i % 3 != 0).then_some(root)),
            flags: &[],
        });
    }
    out
}
