//! Checks the test harness itself: a real Dovecot starts, takes messages and keywords, offers
//! CONDSTORE/QRESYNC, survives a restart and can have a folder's UIDVALIDITY changed.

mod harness;

use std::time::{Duration, Instant};

use harness::{sample_message, Dovecot, Relay};

#[test]
fn dovecot_starts_and_accepts_append_and_flags() {
    let t = Instant::now();
    let mut dc = Dovecot::start();
    eprintln!(
        "dovecot started on 127.0.0.1:{} in {:?}",
        dc.port,
        t.elapsed()
    );

    // Three messages: a thread of two (0 and its reply 2) and a separate one (1).
    let m0 = sample_message(0, None);
    let m1 = sample_message(1, None);
    let m2 = sample_message(2, Some(0));
    assert_eq!(
        sample_message(2, Some(0)),
        m2,
        "sample messages are deterministic"
    );
    let text2 = String::from_utf8_lossy(&m2).into_owned();
    assert!(text2.contains("\r\nSubject: Re: Question 0\r\n"), "{text2}");
    assert!(
        text2.contains("\r\nIn-Reply-To: <msg0@customer.example>\r\n"),
        "{text2}"
    );
    assert!(
        text2.contains("\r\nFrom: Customer 0 <customer0@customer.example>\r\n"),
        "{text2}"
    );
    let u0 = dc.append("support", "INBOX", &m0, &[]);
    let u1 = dc.append("support", "INBOX", &m1, &["\\Seen"]);
    let u2 = dc.append("support", "INBOX", &m2, &[]);
    assert!(u0 < u1 && u1 < u2, "increasing UIDs: {u0} {u1} {u2}");
    assert_eq!(dc.uids("support", "INBOX"), vec![u0, u1, u2]);

    // Each user has a mailbox of their own.
    let mut s = dc.session("alice");
    assert_eq!(s.select("INBOX").expect("SELECT INBOX as alice").exists, 0);
    s.logout().expect("LOGOUT");

    // Custom keywords are allowed (PERMANENTFLAGS has \*); CONDSTORE and QRESYNC are offered.
    let mut s = dc.session("support");
    let mbox = s.select("INBOX").expect("SELECT INBOX");
    assert_eq!(mbox.exists, 3);
    assert!(
        mbox.permanent_flags.contains(&imap::types::Flag::MayCreate),
        "PERMANENTFLAGS lacks \\*: {:?}",
        mbox.permanent_flags
    );
    let caps = s.capabilities().expect("CAPABILITY");
    for cap in [
        "CONDSTORE",
        "QRESYNC",
        "UIDPLUS",
        "MOVE",
        "IDLE",
        "SPECIAL-USE",
        "MULTIAPPEND",
    ] {
        assert!(caps.has_str(cap), "capability {cap} missing");
    }
    s.logout().expect("LOGOUT");

    // Keywords set by another client stick.
    dc.store(
        "support",
        "INBOX",
        &u1.to_string(),
        "+FLAGS (tanto-wip tanto-by-alice)",
    );
    let flags = dc.flags("support", "INBOX", u1);
    for f in ["tanto-wip", "tanto-by-alice", "\\Seen"] {
        assert!(flags.iter().any(|x| x == f), "{f} missing: {flags:?}");
    }

    // APPEND with a keyword into a folder that does not exist yet.
    let note = dc.append(
        "support",
        "Tanto/Activity",
        b"Subject: note\r\n\r\nhi\r\n",
        &["tanto-done"],
    );
    assert_eq!(
        dc.flags("support", "Tanto/Activity", note),
        vec!["tanto-done".to_string()]
    );

    // Many messages on one connection.
    let t = Instant::now();
    let many: Vec<Vec<u8>> = (10..1010)
        .map(|i| sample_message(i, (i % 3 == 0).then_some(10)))
        .collect();
    let uids = dc.append_many("support", "Bulk", &many);
    eprintln!("append_many of 1000 messages took {:?}", t.elapsed());
    assert_eq!(uids.len(), 1000);
    assert_eq!(dc.uids("support", "Bulk"), uids);

    // Expunge by UID from another client.
    dc.expunge("support", "Bulk", &format!("{}:{}", uids[0], uids[9]));
    assert_eq!(dc.uids("support", "Bulk"), uids[10..].to_vec());

    // Restart: same port, same data; a session open across it is cut.
    let port = dc.port;
    let uidvalidity = dc.uidvalidity("support", "INBOX");
    let mut open = dc.session("support");
    open.select("INBOX").expect("SELECT INBOX");
    let t = Instant::now();
    dc.restart();
    eprintln!("restart took {:?}", t.elapsed());
    assert_eq!(dc.port, port);
    assert!(
        open.noop().is_err(),
        "a session open across the restart is disconnected"
    );
    assert_eq!(dc.uids("support", "INBOX"), vec![u0, u1, u2]);
    assert_eq!(dc.uidvalidity("support", "INBOX"), uidvalidity);
    assert!(dc
        .flags("support", "INBOX", u1)
        .iter()
        .any(|f| f == "tanto-wip"));

    // A UIDVALIDITY reset keeps the messages and their flags, under new UIDs.
    let new = dc.reset_uidvalidity("support", "INBOX");
    assert_ne!(new, uidvalidity);
    assert_eq!(dc.uidvalidity("support", "INBOX"), new);
    let after = dc.uids("support", "INBOX");
    assert_eq!(after.len(), 3);
    assert!(after.iter().all(|u| *u > u2), "new UIDs {after:?}");
    assert!(dc
        .flags("support", "INBOX", after[1])
        .iter()
        .any(|f| f == "tanto-wip"));
    let mut s = dc.session("support");
    s.examine("INBOX").expect("EXAMINE INBOX");
    let fetched = s
        .uid_fetch(after[2].to_string(), "BODY.PEEK[]")
        .expect("UID FETCH BODY[]");
    assert_eq!(fetched.iter().next().and_then(|f| f.body()), Some(&m2[..]));
    s.logout().expect("LOGOUT");
    // ... and for other folders too.
    let before = dc.uidvalidity("support", "Tanto/Activity");
    assert_ne!(dc.reset_uidvalidity("support", "Tanto/Activity"), before);
    assert_eq!(dc.uids("support", "Tanto/Activity").len(), 1);

    // The log shows logins and the fetch counters of imap_logout_format.
    let log = dc.wait_for_log("body_count=1 ", Duration::from_secs(30));
    assert!(log.contains("Login: user=<support>"), "log:\n{log}");
    if let Some(line) = log.lines().rfind(|l| l.contains("body_count=1 ")) {
        eprintln!("sample logout line: {line}");
    }

    let toml = dc.config_toml("alice", std::path::Path::new("/tmp/t/cache.db"), "alice");
    assert!(toml.contains(&format!("\nport = {port}\n")), "{toml}");
    assert!(toml.contains("\nuser = \"alice\"\n"), "{toml}");
    assert!(toml.contains("\npath = \"/tmp/t/cache.db\"\n"), "{toml}");

    let dir = dc.dir.path().to_path_buf();
    let t = Instant::now();
    drop(dc);
    eprintln!("stop took {:?}", t.elapsed());
    assert!(!dir.exists(), "temp dir removed");
}

#[test]
fn tanto_syncs_and_claims_through_the_relay() {
    let dc = Dovecot::start();
    for i in 0..3 {
        dc.append("support", "INBOX", &sample_message(i, None), &[]);
    }
    let relay = Relay::start(dc.port);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("alice.toml");
    let text = dc.config_toml_via(
        relay.port(),
        "support",
        &dir.path().join("c.sqlite"),
        "alice",
    );
    std::fs::write(&config, text).expect("write config");
    let tanto = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tanto"))
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("TANTO_TEST_PASSWORD", harness::PASSWORD)
            .env_remove("TANTO_CONFIG")
            .output()
            .expect("run tanto");
        assert!(
            out.status.success(),
            "tanto {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    tanto(&["sync", "--once"]);
    assert!(relay.count(" LOGIN ") >= 1, "{:?}", relay.commands());
    assert!(relay.count(" FETCH ") >= 1, "{:?}", relay.commands());
    assert_eq!(relay.count(" STORE "), 0, "{:?}", relay.commands());
    let list = tanto(&["list", "--json"]);
    let list: serde_json::Value = serde_json::from_str(&list).expect("JSON");
    let id = list[0]["id"]
        .as_str()
        .expect("a conversation id")
        .to_string();
    tanto(&["claim", &id]);
    assert!(relay.count(" STORE ") >= 1, "{:?}", relay.commands());
}
