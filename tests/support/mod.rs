//! Running the real `tanto` binary against a test server (Dovecot or Cyrus), as a user would.
#![allow(dead_code)]

pub mod acl;
pub mod lifecycle;
pub mod race;
pub mod teammate;
pub mod tmux;

pub mod replying;

use std::path::PathBuf;
use std::process::{Command, Output};

use crate::harness::ImapServer;

/// Writes `dir/editor.sh`, an executable `sh` script of `body` that a test names as
/// `EDITOR`: `"$1"` is the file to edit.
pub fn editor_script(dir: &std::path::Path, body: &str) -> PathBuf {
    let path = dir.join("editor.sh");
    std::fs::write(&path, format!("#!/bin/sh\n{body}")).expect("write the editor");
    let mut perms = std::fs::metadata(&path).expect("stat").permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&path, perms).expect("chmod");
    path
}

/// One agent's tanto: its own config file, a cache path (shared or not), the test password.
pub struct Tanto {
    pub config: PathBuf,
    pub cache: PathBuf,
    pub dir: PathBuf,
}

impl Tanto {
    /// An agent whose cache lives in `dir` (give two agents the same `dir` to share it).
    pub fn new(server: &ImapServer, dir: &std::path::Path, agent: &str) -> Tanto {
        std::fs::create_dir_all(dir).expect("create agent dir");
        let cache = dir.join("cache.sqlite");
        let config = dir.join(format!("{agent}.toml"));
        std::fs::write(&config, server.config_toml("support", &cache, agent))
            .expect("write config");
        Tanto {
            config,
            cache,
            dir: dir.to_path_buf(),
        }
    }

    /// An agent connecting through a relay on `port` (see `tanto_devserver::Relay`).
    pub fn via(server: &ImapServer, port: u16, dir: &std::path::Path, agent: &str) -> Tanto {
        let t = Tanto::new(server, dir, agent);
        std::fs::write(
            &t.config,
            server.config_toml_via(port, "support", &t.cache, agent),
        )
        .expect("write config");
        t
    }

    /// Gives this agent the team's rules `rules`, in a rules file beside its config.
    pub fn with_rules(self, rules: &str) -> Tanto {
        std::fs::write(self.dir.join("rules.toml"), rules).expect("rules file");
        let text = std::fs::read_to_string(&self.config).expect("config");
        std::fs::write(
            &self.config,
            format!("{text}\n[team]\nrules = \"rules.toml\"\n"),
        )
        .expect("config");
        self
    }

    /// Makes this agent a supervisor.
    pub fn supervisor(self) -> Tanto {
        let text = std::fs::read_to_string(&self.config).expect("read config");
        std::fs::write(
            &self.config,
            text.replace("role = \"agent\"", "role = \"supervisor\""),
        )
        .expect("write config");
        self
    }

    /// Adds a second mailbox `info` (info@example.com, the IMAP user `alice`).
    pub fn add_info_mailbox(&self) {
        let text = std::fs::read_to_string(&self.config).expect("read config");
        let (head, cache) = text.split_at(text.find("[cache]").expect("cache table"));
        let info = head
            .split_once("[[mailbox]]")
            .map(|(_, m)| m)
            .expect("mailbox table")
            .replace("name = \"support\"", "name = \"info\"")
            .replace(
                "address = \"support@example.com\"",
                "address = \"info@example.com\"",
            )
            .replace("user = \"support\"", "user = \"alice\"");
        std::fs::write(&self.config, format!("{head}[[mailbox]]{info}{cache}"))
            .expect("write config");
    }

    /// The id of the one conversation in this agent's cache (fails unless there is one).
    pub fn only_id(&self) -> String {
        let list = self.json(&["list", "--json"]);
        let convs = list.as_array().expect("array");
        assert_eq!(convs.len(), 1, "{list}");
        convs[0]["id"].as_str().expect("id").to_string()
    }

    /// The id of the conversation with this subject in this agent's cache.
    pub fn id_of(&self, subject: &str) -> String {
        let list = self.json(&["list", "--json"]);
        list.as_array()
            .expect("array")
            .iter()
            .find(|c| c["subject"] == subject)
            .and_then(|c| c["id"].as_str())
            .unwrap_or_else(|| panic!("no conversation {subject:?} in {list}"))
            .to_string()
    }

    /// Both agents sync and see the one conversation there is; this one (agent `me`) claims
    /// it and `other` loses it to them. Returns its id.
    pub fn claims_before(&self, me: &str, other: &Tanto) -> String {
        self.sync();
        other.sync();
        let id = self.only_id();
        assert_eq!(other.only_id(), id);
        self.ok(&["claim", &id]);
        other.loses_claim_to(&id, me);
        id
    }

    /// Claims `id` and loses it to `winner`: exit 3, the winner named.
    pub fn loses_claim_to(&self, id: &str, winner: &str) {
        let lost = self.run(&["claim", id]);
        assert_eq!(lost.status.code(), Some(3), "{lost:?}");
        assert!(
            String::from_utf8_lossy(&lost.stderr).contains(winner),
            "{lost:?}"
        );
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_tanto"));
        c.arg("--config")
            .arg(&self.config)
            .args(args)
            .env("TANTO_TEST_PASSWORD", "secret")
            // Kept drafts and offline actions stay inside the test's directory.
            .env("XDG_STATE_HOME", self.dir.join("state"))
            // The tests read English messages, whatever the machine's locale.
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env_remove("TANTO_CONFIG");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run tanto")
    }

    /// Runs and insists on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "tanto {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let out = self.ok(args);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("tanto {args:?}: bad JSON {e}: {out}"))
    }

    /// `sync --once --json`, the report of the first mailbox's inbox.
    pub fn sync(&self) -> serde_json::Value {
        let v = self.json(&["sync", "--once", "--json"]);
        v[0]["folders"][0].clone()
    }
}

/// Fails when the inbox or the outbox holds a keyword of tanto's (a server that keeps none:
/// the log alone holds the state).
pub fn no_tanto_keyword_on_the_server(server: &ImapServer) {
    let exist = server.list("support");
    for folder in ["INBOX", "Tanto/Outbox"] {
        if !exist.iter().any(|f| f == folder) {
            continue;
        }
        for uid in server.uids("support", folder) {
            let flags = server.flags("support", folder, uid);
            assert!(
                !flags.iter().any(|f| f.starts_with("tanto-")),
                "{folder} uid {uid}: {flags:?}"
            );
        }
    }
}

/// The team's rules the rules tests use: a big customer's mail is tagged vip and goes to bob
/// (nothing after it is looked at); a refund is tagged refund.
pub const TEAM_RULES: &str = r#"
[[rule]]
name = "big customer"
from = { glob = "*@big.example" }
tag = "vip"
assign = "bob"
stop = true

[[rule]]
name = "refunds"
subject = { regex = "refund|返金" }
tag = "refund"
"#;

/// How many events of conversation `id`'s timeline in `t` (`show --json`) start with `text`.
pub fn timeline_events(t: &Tanto, id: &str, text: &str) -> usize {
    t.json(&["show", id, "--json"])["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter(|e| e["kind"] == "event")
        .filter(|e| e["text"].as_str().is_some_and(|x| x.starts_with(text)))
        .count()
}

/// True when `s` holds a character that could drive a terminal.
pub fn has_control(s: &str) -> bool {
    s.chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c))
}

/// The flags of every message in a folder, as another client sees them.
pub fn fetch_flags(server: &ImapServer, user: &str, folder: &str) -> Vec<String> {
    let mut s = server.session(user);
    s.examine(folder).expect("examine");
    let fetches = s.uid_fetch("1:*", "FLAGS").expect("fetch flags");
    fetches
        .iter()
        .map(|f| {
            f.flags()
                .iter()
                .map(|fl| fl.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// An RFC 2822 date for a Date header.
pub fn rfc2822(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .expect("time")
        .to_rfc2822()
}

/// Every `.rs` file under `dir`, for tests that read the sources.
pub fn rust_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Waits (polling every 20 ms, up to 30 s) until `ok()`, and returns how long that took.
pub fn wait_for(what: &str, ok: &dyn Fn() -> bool) -> std::time::Duration {
    let started = std::time::Instant::now();
    while !ok() {
        if started.elapsed() > std::time::Duration::from_secs(30) {
            panic!("never saw {what}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let took = started.elapsed();
    eprintln!("saw {what} after {took:?}");
    took
}

/// Whether a conversation's `show --json` has a note saying exactly `text` in its timeline.
pub fn has_note(show: &serde_json::Value, text: &str) -> bool {
    show["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .any(|e| e["kind"] == "note" && e["text"] == text)
}

/// What must agree between agents about a conversation: id, status, assignee, message count.
pub type Conv = (String, String, Option<String>, u64);

/// Every conversation in `t`'s `tanto list --json` as a `Conv`, sorted by id.
pub fn summary(t: &Tanto) -> Vec<Conv> {
    let list = t.json(&["list", "--json"]);
    let mut out: Vec<Conv> = list
        .as_array()
        .expect("list is an array")
        .iter()
        .map(|c| {
            (
                c["id"].as_str().expect("id").to_string(),
                c["status"].as_str().expect("status").to_string(),
                c["assignee"].as_str().map(str::to_string),
                c["messages"].as_u64().expect("messages"),
            )
        })
        .collect();
    out.sort();
    out
}

/// How many messages of the cache at `cache` have no MODSEQ (a claim's compare-and-set
/// starts from it: a first sync must store every one).
pub fn rows_without_modseq(cache: &std::path::Path) -> i64 {
    let db = rusqlite::Connection::open(cache).expect("cache");
    db.query_row("SELECT COUNT(*) FROM messages WHERE modseq = 0", [], |r| {
        r.get(0)
    })
    .expect("count")
}

/// Asserts that the first sync traced in `trace` (`TANTO_TRACE=commands`) sent its first
/// FETCH behind the login, before any answer came back.
pub fn assert_fetched_behind_the_login(trace: &str) {
    let at = |what: &str| trace.find(what).unwrap_or(usize::MAX);
    assert!(
        at("UID FETCH 1:500 ") < at("round trip 1 answered"),
        "the first FETCH rides behind the login: {trace}"
    );
}
