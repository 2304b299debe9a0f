//! The SMTP side against a scripted server on a loopback socket: where plain SMTP is
//! allowed, which refusals are a refused login, and how each way a send can end is told
//! apart (sent, refused for good, not sent, may or may not have gone out).

use base64::Engine as _;

use super::{connect, login_refused, Relay, SendError, SmtpLogin};
use crate::imap::transcript::{Player, Script};
use crate::settings::Tls;

fn relay(host: &str, port: u16, tls: Tls, allow_insecure: bool) -> Relay<'_> {
    Relay {
        host,
        port,
        tls,
        allow_insecure,
    }
}

#[test]
fn plain_smtp_leaves_the_machine_only_when_allowed() {
    let refused = connect(
        &relay("smtp.example.com", 25, Tls::None, false),
        SmtpLogin::None,
    );
    assert!(matches!(refused, Err(SendError::Config(_))));
    for host in ["127.0.0.1", "localhost", "::1", "[::1]"] {
        assert!(
            connect(&relay(host, 25, Tls::None, false), SmtpLogin::None).is_ok(),
            "{host}"
        );
    }
    assert!(connect(
        &relay("smtp.example.com", 25, Tls::None, true),
        SmtpLogin::None
    )
    .is_ok());
    assert!(connect(
        &relay("smtp.example.com", 465, Tls::Tls, false),
        SmtpLogin::None
    )
    .is_ok());
}

/// The greeting and EHLO of every connection lettre opens.
fn hello(ehlo: &str) -> Script {
    Script::new()
        .send("220 sink.test ESMTP")
        .expect("EHLO ...")
        .send(ehlo)
}

/// `test_connection`'s connection: checked with a NOOP, then left with QUIT.
fn checked() -> Script {
    hello("250 sink.test")
        .expect("NOOP")
        .send("250 2.0.0 OK")
        .expect("QUIT")
        .send("221 2.0.0 Bye")
}

/// A send up to the server's answer to the message (`then`).
fn sending(then: Script) -> Script {
    hello("250-sink.test\r\n250 8BITMIME")
        .expect("MAIL FROM:<agent@example.com>")
        .send("250 2.1.0 Ok")
        .expect("RCPT TO:<customer@example.org>")
        .send("250 2.1.5 Ok")
        .expect("DATA")
        .send("354 End data with <CR><LF>.<CR><LF>")
        .data()
        .then(then)
}

const RAW: &[u8] =
    b"From: agent@example.com\r\nTo: customer@example.org\r\nSubject: hi\r\n\r\nHello.\r\n";

fn send(player: &Player) -> Result<(), SendError> {
    let smtp = connect(
        &relay("127.0.0.1", player.port, Tls::None, false),
        SmtpLogin::None,
    )
    .expect("transport");
    smtp.send_raw("agent@example.com", &["customer@example.org".into()], RAW)
}

#[test]
fn a_mail_the_server_takes_is_sent_as_its_exact_bytes() {
    let player = Player::start(vec![
        checked(),
        sending(
            Script::new()
                .send("250 2.0.0 Ok: queued as 1A2B")
                .expect("QUIT")
                .send("221 2.0.0 Bye"),
        ),
    ]);
    send(&player).expect("sent");
    let t = player.finish();
    t.assert_followed();
    // The message as given, ended by the lone dot: the bytes that go into Sent.
    let wanted = format!("DATA\r\n{}.\r\n", String::from_utf8_lossy(RAW));
    assert!(t.text().contains(&wanted), "{}", t.text());
}

#[test]
fn a_permanent_refusal_is_refused_for_good() {
    // After the message, and of a recipient.
    let after_data = sending(
        Script::new()
            .send("550 5.7.1 Message rejected as spam")
            .expect("QUIT")
            .send("221 2.0.0 Bye"),
    );
    let of_rcpt = hello("250 sink.test")
        .expect("MAIL FROM:<agent@example.com>")
        .send("250 2.1.0 Ok")
        .expect("RCPT TO:<customer@example.org>")
        .send("550 5.1.1 User unknown")
        .expect("QUIT")
        .send("221 2.0.0 Bye");
    for script in [after_data, of_rcpt] {
        let player = Player::start(vec![checked(), script]);
        let got = send(&player);
        assert!(matches!(got, Err(SendError::Refused { .. })), "{got:?}");
        player.finish().assert_followed();
    }
}

#[test]
fn a_transient_refusal_or_no_server_is_not_sent() {
    let script = hello("250 sink.test")
        .expect("MAIL FROM:<agent@example.com>")
        .send("451 4.3.0 Try again later")
        .expect("QUIT")
        .send("221 2.0.0 Bye");
    let player = Player::start(vec![checked(), script]);
    let got = send(&player);
    assert!(matches!(got, Err(SendError::NotSent { .. })), "{got:?}");
    player.finish().assert_followed();
    // Nobody listening: certainly not sent.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let smtp =
        connect(&relay("127.0.0.1", port, Tls::None, false), SmtpLogin::None).expect("transport");
    let got = smtp.send_raw("agent@example.com", &["customer@example.org".into()], RAW);
    assert!(matches!(got, Err(SendError::NotSent { .. })), "{got:?}");
}

#[test]
fn a_connection_cut_after_the_message_is_uncertain() {
    let player = Player::start(vec![checked(), sending(Script::new().close())]);
    let started = std::time::Instant::now();
    let got = send(&player);
    assert!(matches!(got, Err(SendError::Uncertain { .. })), "{got:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    player.finish().assert_followed();
}

fn plain(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
}

#[test]
fn a_refused_login_is_told_from_other_failures() {
    for (answer, refused) in [
        ("535 5.7.8 Authentication credentials invalid", true),
        ("534 5.7.9 Please log in with your web browser", true),
        ("454 4.7.0 Temporary authentication failure", true),
        ("421 4.7.0 Too many connections", false),
    ] {
        let script = hello("250-sink.test\r\n250 AUTH PLAIN LOGIN")
            .expect(&format!("AUTH PLAIN {}", plain("agent", "secret")))
            .send(answer);
        let player = Player::start(vec![script]);
        let smtp = connect(
            &relay("127.0.0.1", player.port, Tls::None, false),
            SmtpLogin::Password {
                user: "agent".into(),
                password: "secret".into(),
            },
        )
        .expect("transport");
        let e = smtp.transport.test_connection().expect_err("refused");
        assert_eq!(login_refused(&e), refused, "{answer}");
        player.finish().assert_followed();
    }
}

#[test]
fn a_refused_token_is_renewed_once_and_the_mail_sent() {
    let xoauth2 = |token: &str| {
        base64::engine::general_purpose::STANDARD.encode(format!(
            "user=agent@example.com\x01auth=Bearer {token}\x01\x01"
        ))
    };
    let refused = hello("250-sink.test\r\n250 AUTH XOAUTH2")
        .expect(&format!("AUTH XOAUTH2 {}", xoauth2("old")))
        .send("535 5.7.3 Authentication unsuccessful");
    let accepted = |then: Script| {
        hello("250-sink.test\r\n250 AUTH XOAUTH2")
            .expect(&format!("AUTH XOAUTH2 {}", xoauth2("new")))
            .send("235 2.7.0 Authentication successful")
            .then(then)
    };
    let check = Script::new()
        .expect("NOOP")
        .send("250 OK")
        .expect("QUIT")
        .send("221 Bye");
    let mail = Script::new()
        .expect("MAIL FROM:<agent@example.com>")
        .send("250 Ok")
        .expect("RCPT TO:<customer@example.org>")
        .send("250 Ok")
        .expect("DATA")
        .send("354 go ahead")
        .data()
        .send("250 Ok: queued")
        .expect("QUIT")
        .send("221 2.0.0 Bye");
    let player = Player::start(vec![refused, accepted(check), accepted(mail)]);
    let smtp = connect(
        &relay("127.0.0.1", player.port, Tls::None, false),
        SmtpLogin::OAuth2 {
            user: "agent@example.com".into(),
            access_token: "old".into(),
            renew: Box::new(|old| {
                assert_eq!(old, "old");
                Ok("new".into())
            }),
        },
    )
    .expect("transport");
    smtp.send_raw("agent@example.com", &["customer@example.org".into()], RAW)
        .expect("sent");
    player.finish().assert_followed();
}
