//! The Cyrus harness itself: Debian's layout, the agents' rights on `user.support`, mail
//! operations as another client, restart and stop.

use std::io::{Read as _, Write as _};
use std::time::Instant;

use tanto_devserver::{sample_message, Cyrus, CYRUS_AGENTS};

#[test]
fn cyrus_runs_in_debians_layout_with_the_agents_sharing_user_support() {
    let started = Instant::now();
    let mut cyrus = Cyrus::start();
    eprintln!("Cyrus started in {:?}", started.elapsed());

    // NAMESPACE read as sent (imap-proto does not parse Cyrus's answer).
    let mut tcp = cyrus.connect();
    tcp.write_all(b"a LOGIN alice secret\r\nb NAMESPACE\r\nc LOGOUT\r\n")
        .expect("write");
    let mut talk = String::new();
    tcp.read_to_string(&mut talk).expect("read");
    assert!(talk.contains("AUTH=PLAIN"), "{talk}");
    assert!(
        talk.contains(r#"* NAMESPACE (("INBOX." ".")) (("user." ".")) (("" "."))"#),
        "{talk}"
    );
    let mut s = cyrus.session("alice");
    let rights = s.my_rights("user.support").expect("MYRIGHTS");
    let rights = rights.parsed().rights().to_string();
    assert!("lrswipkxte".chars().all(|r| rights.contains(r)), "{rights}");
    s.logout().expect("LOGOUT");
    assert!(cyrus.list("bob").contains(&"user.support".to_string()));
    assert_eq!(CYRUS_AGENTS.len(), 8);

    // The owner's INBOX is the agents' user.support; keywords stay.
    let uid = cyrus.append("support", "INBOX", &sample_message(1, None), &["tanto-wip"]);
    assert_eq!(cyrus.uids("alice", "user.support"), [uid]);
    cyrus.store(
        "bob",
        "user.support",
        &uid.to_string(),
        "+FLAGS (tanto-by-bob)",
    );
    let mut flags = cyrus.flags("support", "INBOX", uid);
    flags.sort();
    assert_eq!(flags, ["tanto-by-bob", "tanto-wip"]);

    // An agent creates folders under it, which inherit its rights.
    cyrus.append(
        "alice",
        "user.support.Tanto.Activity",
        b"Subject: x\r\n\r\nx\r\n",
        &[],
    );
    assert_eq!(cyrus.uids("bob", "user.support.Tanto.Activity").len(), 1);
    // The rights were copied when the folder was made, not inherited: heidi, taken off
    // user.support now, keeps hers on it.
    cyrus.admin("DELETEACL user.support heidi");
    let mut s = cyrus.session("heidi");
    let kept = s
        .my_rights("user.support.Tanto.Activity")
        .expect("MYRIGHTS")
        .parsed()
        .rights()
        .to_string();
    assert!(s.my_rights("user.support").is_err());
    s.logout().expect("LOGOUT");
    assert!(kept.contains('i') && kept.contains('w'), "{kept}");

    cyrus.restart();
    assert_eq!(cyrus.uids("carol", "user.support"), [uid]);
    let dir = cyrus.dir.path().to_path_buf();
    drop(cyrus);
    let conf = dir.join("imapd.conf").to_string_lossy().into_owned();
    let left: Vec<String> = std::fs::read_dir("/proc")
        .expect("/proc")
        .filter_map(|e| {
            let cmdline = std::fs::read(e.ok()?.path().join("cmdline")).ok()?;
            let line = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            line.contains(&conf).then_some(line)
        })
        .collect();
    assert!(left.is_empty(), "processes left behind: {left:?}");
}
