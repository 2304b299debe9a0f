//! The SMTP sink: a real aiosmtpd that keeps what it accepts, stops and restarts.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use tanto_devserver::SmtpSink;

/// One SMTP conversation by hand; returns the reply to the final dot.
fn send(port: u16, from: &str, to: &[&str], data: &[u8]) -> String {
    let tcp = TcpStream::connect(("127.0.0.1", port)).expect("connect to the sink");
    tcp.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut r = BufReader::new(tcp.try_clone().expect("clone"));
    let mut w = tcp;
    let mut reply = || {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).expect("read reply");
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    };
    assert!(reply().starts_with("220"));
    let mut cmd = |c: String, reply: &mut dyn FnMut() -> String| {
        w.write_all(c.as_bytes()).expect("write");
        reply()
    };
    assert!(cmd("EHLO test\r\n".into(), &mut reply).starts_with("250"));
    assert!(cmd(format!("MAIL FROM:<{from}>\r\n"), &mut reply).starts_with("250"));
    for t in to {
        assert!(cmd(format!("RCPT TO:<{t}>\r\n"), &mut reply).starts_with("250"));
    }
    assert!(cmd("DATA\r\n".into(), &mut reply).starts_with("354"));
    let mut body = data.to_vec();
    body.extend_from_slice(b".\r\n");
    let end = cmd(String::from_utf8_lossy(&body).into_owned(), &mut reply);
    let _ = cmd("QUIT\r\n".into(), &mut reply);
    end
}

#[test]
fn the_sink_keeps_the_exact_bytes_and_envelope_and_survives_a_restart() {
    let mut sink = SmtpSink::start();
    let msg = "From: a@example.com\r\nTo: b@example.com\r\nSubject: =?UTF-8?B?5pel5pys6Kqe?=\r\n\r\n日本語\r\n".as_bytes();
    assert!(send(
        sink.port,
        "a@example.com",
        &["b@example.com", "c@example.com"],
        msg
    )
    .starts_with("250"));
    let got = sink.wait_for(1, Duration::from_secs(5));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].raw, msg);
    assert_eq!(got[0].mail_from, "a@example.com");
    assert_eq!(got[0].rcpt_to, ["b@example.com", "c@example.com"]);
    assert_eq!(got[0].header("to").as_deref(), Some("b@example.com"));

    sink.stop();
    assert!(
        TcpStream::connect(("127.0.0.1", sink.port)).is_err(),
        "stopped means refused"
    );
    sink.restart();
    send(
        sink.port,
        "a@example.com",
        &["d@example.com"],
        b"Subject: 2\r\n\r\nx\r\n",
    );
    let got = sink.wait_for(2, Duration::from_secs(5));
    assert_eq!(got[1].rcpt_to, ["d@example.com"]);
}

#[test]
fn a_slow_sink_delivers_at_once_and_answers_the_end_of_data_only_after_its_delay() {
    let sink = SmtpSink::start();
    let delay = Duration::from_millis(1500);
    sink.slow_data(delay);
    let port = sink.port;
    let started = std::time::Instant::now();
    let client = std::thread::spawn(move || {
        let end = send(
            port,
            "a@example.com",
            &["b@example.com"],
            b"Subject: slow\r\n\r\nx\r\n",
        );
        (end, started.elapsed())
    });
    // The mail is there while its sender still waits for the 250.
    let got = sink.wait_for(1, Duration::from_secs(5));
    assert_eq!(got.len(), 1);
    assert!(!client.is_finished(), "the 250 came before the delay");
    let (end, took) = client.join().expect("the client");
    assert!(end.starts_with("250"), "{end}");
    assert!(took >= delay, "the 250 came after {took:?}");
    // Back to answering at once.
    sink.slow_data(Duration::ZERO);
    let started = std::time::Instant::now();
    assert!(send(
        port,
        "a@example.com",
        &["c@example.com"],
        b"Subject: 2\r\n\r\ny\r\n"
    )
    .starts_with("250"));
    assert!(started.elapsed() < delay, "{:?}", started.elapsed());
}
