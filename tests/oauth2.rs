//! Signing in with OAuth2, end to end on this machine: a local provider (device flow, token
//! and introspection endpoints: `tanto_devserver::OAuthMock`), Dovecot checking XOAUTH2
//! with its `oauth2` passdb against that provider, and the SMTP sink checking the token
//! too. `tanto login`, then sync, claim and a reply over XOAUTH2; a token expiring between
//! commands, one revoked while still fresh, and a revoked sign-in.

mod harness;
mod support;

use std::time::{Duration, Instant};

use harness::{Dovecot, OAuthMock, SmtpSink};
use support::replying::*;
use support::Tanto;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Agent `alice` signing in to the shared mailbox with OAuth2 (no password anywhere).
fn oauth_agent(
    server: &Dovecot,
    sink: &SmtpSink,
    mock: &OAuthMock,
    dir: &std::path::Path,
) -> Tanto {
    let t = agent(server, sink, dir, "alice", "");
    let text = std::fs::read_to_string(&t.config).expect("read config");
    let text = text.replace(
        "password_env = \"TANTO_TEST_PASSWORD\"\n",
        "auth = \"oauth2\"\n",
    );
    std::fs::write(&t.config, format!("{text}{}", mock.config_toml())).expect("write config");
    t
}

fn token_file(t: &Tanto) -> std::path::PathBuf {
    t.dir.join("state/tanto/oauth2/alice/support.json")
}

fn stored_access_token(t: &Tanto) -> String {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(token_file(t)).expect("token file")).expect("json");
    json["access_token"]
        .as_str()
        .expect("access token")
        .to_string()
}

/// A provider, a Dovecot and an SMTP sink that both check its tokens, one customer
/// question, and `alice` configured for OAuth2 (not signed in yet).
struct Desk {
    mock: OAuthMock,
    server: Dovecot,
    sink: SmtpSink,
    root: tempfile::TempDir,
    alice: Tanto,
}

fn desk() -> Desk {
    let mock = OAuthMock::start("support");
    let server = Dovecot::start_with(&mock.dovecot_conf());
    let sink = SmtpSink::start();
    sink.check_xoauth2(&mock.introspection_url());
    server.append("support", "INBOX", &question(1, "届きません"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = oauth_agent(&server, &sink, &mock, root.path());
    Desk {
        mock,
        server,
        sink,
        root,
        alice,
    }
}

#[test]
fn an_agent_signs_in_with_the_device_flow_then_syncs_claims_and_replies_over_xoauth2() {
    let Desk {
        mock,
        server,
        sink,
        root,
        alice,
    } = desk();

    // Before signing in, every command says what to do.
    let (code, _, err) = run_code(&alice, &["sync", "--once"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("not signed in") && err.contains("tanto login --mailbox support"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    // The provider says "not yet", then "slow down", then grants; tokens live 62 s, which
    // is 2 s before tanto's minute of margin.
    mock.script(&["authorization_pending", "slow_down"]);
    mock.lifetime(62);
    let started = Instant::now();
    let out = alice.ok(&["login"]);
    let login_took = started.elapsed();
    assert!(
        out.contains("open http://127.0.0.1:")
            && out.contains("/activate and enter the code WDJB-MJHT"),
        "{out}"
    );
    assert!(out.contains("/activate?user_code=WDJB-MJHT"), "{out}");
    assert!(
        out.contains("not signed in yet; asking again every 1 s"),
        "{out}"
    );
    assert!(out.contains("asking every 6 s now"), "{out}");
    assert!(
        out.contains("signed in: the token for mailbox support is kept in"),
        "{out}"
    );
    assert!(out.contains("accepts it (user support)"), "{out}");
    let polls = mock.token_requests(DEVICE_GRANT);
    let errors: Vec<&str> = polls.iter().map(|p| p.error.as_str()).collect();
    assert_eq!(errors, ["authorization_pending", "slow_down", ""]);
    let gaps: Vec<f64> = polls.windows(2).map(|w| w[1].at - w[0].at).collect();
    assert!(gaps[0] >= 0.95, "the interval is honoured: {gaps:?}");
    assert!(gaps[1] >= 5.95, "slow_down adds 5 s: {gaps:?}");
    assert!(polls.iter().all(|p| p.client_id == "tanto-test"));

    // The token is the agent's own: a private file, not in the config or the cache.
    use std::os::unix::fs::PermissionsExt as _;
    let mode =
        |p: &std::path::Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    let file = token_file(&alice);
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().expect("dir")), 0o700);
    let token = stored_access_token(&alice);
    assert!(mock.issued().contains(&token));
    assert!(!std::fs::read_to_string(&alice.config)
        .expect("config")
        .contains(&token));

    // Sync over XOAUTH2.
    alice.sync();
    let id = only_id(&alice);
    let cache = std::fs::read(&alice.cache).expect("cache");
    assert!(
        !cache.windows(token.len()).any(|w| w == token.as_bytes()),
        "no token in the cache"
    );

    // The access token is now within its last minute: the next command refreshes it first.
    std::thread::sleep(Duration::from_secs(3));
    let refreshes = mock.token_requests("refresh_token").len();
    alice.ok(&["claim", &id]);
    let after_claim = mock.token_requests("refresh_token").len();
    assert!(after_claim > refreshes, "refreshed before the claim");
    assert_eq!(status(&alice, &id), "wip");
    let log = server.log();
    assert!(
        log.contains("mech=XOAUTH2") || log.contains("method=XOAUTH2"),
        "{log}"
    );

    // The reply goes out over SMTP with XOAUTH2 and the current token.
    mock.lifetime(3600);
    let (code, out, err) = reply_with(&alice, &id, root.path(), "お送りしました。\n");
    assert_eq!(code, 0, "{out}{err}");
    let got = sink.wait_for(1, Duration::from_secs(30));
    assert_eq!(got.len(), 1);
    let logins = sink.xoauth2_logins();
    let (user, used, accepted) = logins.last().expect("an XOAUTH2 login").clone();
    assert_eq!(user, "support");
    assert!(accepted, "the sink's introspection took the token");
    assert_eq!(used, stored_access_token(&alice));
    assert_eq!(status(&alice, &id), "done");

    // A token revoked while still fresh: the server refuses it, tanto refreshes once.
    let before = mock.token_requests("refresh_token").len();
    mock.revoke_access_tokens();
    let (code, _, err) = run_code(&alice, &["sync", "--once"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mock.token_requests("refresh_token").len(), before + 1);

    // doctor names the sign-in and its token.
    let doctor = alice.ok(&["doctor"]);
    assert!(
        doctor.contains("sign-in") && doctor.contains("OAuth2 (custom): token stored, good until"),
        "{doctor}"
    );

    // A revoked sign-in is one line naming the fix.
    mock.revoke_refresh_tokens();
    mock.revoke_access_tokens();
    let (code, _, err) = run_code(&alice, &["sync", "--once"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("has expired or was revoked: run `tanto login --mailbox support`"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    eprintln!("login took {login_took:?}");
}

#[test]
fn a_login_whose_code_expires_or_is_refused_ends_with_one_clear_line() {
    let mock = OAuthMock::start("support");
    let server = Dovecot::start_with(&mock.dovecot_conf());
    let sink = SmtpSink::start();
    let root = tempfile::tempdir().expect("tempdir");
    let alice = oauth_agent(&server, &sink, &mock, root.path());

    mock.script(&["authorization_pending", "expired_token"]);
    let (code, out, err) = run_code(&alice, &["login"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("enter the code WDJB-MJHT"), "{out}");
    assert!(
        err.contains("the code expired before the sign-in was finished")
            && err.contains("tanto login --mailbox support"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    mock.script(&["access_denied"]);
    let (code, _, err) = run_code(&alice, &["login", "--mailbox", "support"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("the sign-in was refused"), "{err}");
    assert!(!token_file(&alice).exists(), "nothing kept");

    // A code whose time runs out while the provider still says "pending".
    mock.code_lifetime(2);
    mock.script(&["authorization_pending"; 5]);
    let (code, _, err) = run_code(&alice, &["login"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("the code expired"), "{err}");

    let (code, _, err) = run_code(&alice, &["login", "--mailbox", "nope"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn an_smtp_server_refusing_the_token_gets_a_renewed_one_and_the_reply_goes_out_once() {
    // Every part bound: an unbound one would be dropped (the server stopped) at once.
    let Desk {
        mock,
        server: _server,
        sink,
        root,
        alice,
    } = desk();
    mock.script(&[]);
    alice.ok(&["login"]);
    alice.sync();
    let id = only_id(&alice);

    // IMAP takes the token; SMTP refuses it once (a token it no longer takes).
    sink.refuse_xoauth2(1);
    let refreshes = mock.token_requests("refresh_token").len();
    let (code, out, err) = reply_with(&alice, &id, root.path(), "お送りしました。\n");
    assert_eq!(code, 0, "{out}{err}");
    sink.wait_for(1, Duration::from_secs(30));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(sink.received().len(), 1, "one mail");
    // Refused, then the renewed token for the connection check and for the send itself.
    let logins = sink.xoauth2_logins();
    assert_eq!(logins.len(), 3, "{logins:?}");
    assert!(!logins[0].2 && logins[1].2 && logins[2].2, "{logins:?}");
    assert_ne!(logins[0].1, logins[1].1, "a renewed token the second time");
    assert_eq!(logins[1].1, logins[2].1);
    assert_eq!(logins[1].1, stored_access_token(&alice));
    assert_eq!(mock.token_requests("refresh_token").len(), refreshes + 1);
    assert_eq!(status(&alice, &id), "done");
}

#[test]
fn a_server_offering_only_oauthbearer_is_signed_in_with_it() {
    let mock = OAuthMock::start("support");
    let server = Dovecot::start_with(&mock.dovecot_conf_offering("oauthbearer"));
    let sink = SmtpSink::start();
    server.append("support", "INBOX", &question(1, "届きません"), &[]);
    let root = tempfile::tempdir().expect("tempdir");
    let alice = oauth_agent(&server, &sink, &mock, root.path());
    mock.script(&[]);
    let out = alice.ok(&["login"]);
    assert!(out.contains("accepts it (user support)"), "{out}");
    alice.sync();
    assert_eq!(all_ids(&alice).len(), 1);
    let log = server.log();
    assert!(log.contains("OAUTHBEARER"), "{log}");
    assert!(!log.contains("XOAUTH2"), "{log}");
}

#[test]
fn in_the_terminal_ui_a_token_in_its_last_minute_or_revoked_is_renewed_before_the_action() {
    let d = desk();
    d.mock.lifetime(62);
    d.alice.ok(&["login"]);
    d.alice.sync();
    let id = only_id(&d.alice);
    let tmux = support::tmux::Tmux::new(d.root.path());
    tmux.open("A", &d.alice);
    tmux.wait_for("A", "the list", |s| {
        s.contains("New 1") && s.contains("connected")
    });
    // Tokens live 62 s: from now on each is within tanto's minute of margin. The server
    // restarts, so the TUI's kept sessions are gone and the claim signs in anew.
    std::thread::sleep(Duration::from_secs(3));
    let mut server = d.server;
    server.restart();
    let before = d.mock.token_requests("refresh_token").len();
    tmux.keys("A", &["c"]);
    tmux.wait_for("A", "the claim", |s| s.contains("In progress 1"));
    assert!(
        d.mock.token_requests("refresh_token").len() > before,
        "the TUI refreshed the token before claiming"
    );
    assert_eq!(status(&d.alice, &id), "wip");
    // The provider revokes every access token while still fresh: the server refuses the
    // next login, and the TUI's next action gets a new token and goes through.
    d.mock.lifetime(3600);
    d.mock.revoke_access_tokens();
    server.restart();
    let before = d.mock.token_requests("refresh_token").len();
    tmux.keys("A", &["2"]);
    tmux.wait_for("A", "the In progress tab", |s| s.contains("alice"));
    tmux.keys("A", &["d"]);
    tmux.wait_for("A", "done", |s| s.contains("Done 1"));
    assert!(d.mock.token_requests("refresh_token").len() > before);
    assert_eq!(status(&d.alice, &id), "done");
}
