//! The errors a user meets most (config, server, cache, conversation ids), worded through
//! the catalogue for both front ends. Each link of an error chain is worded on its own: the
//! ones tanto knows in the language in use, the rest (and every cause from below: OS or
//! server text, a config key) verbatim. In English the result reads exactly as the errors'
//! own `Display` (a test holds the two together).

use std::error::Error as StdError;
use std::fmt::Display;

use super::tf;
use tanto_app::config::{ConfigError, PasswordError};
use tanto_core::claims::Refused;
#[cfg(feature = "demo")]
use tanto_demo::DemoError;
use tanto_mail::cache::{CacheError, Lookup};
use tanto_mail::imap::sync::SyncError;
use tanto_mail::imap::ImapError;
use tanto_mail::oauth::OAuthError;
use tanto_mail::send::SendError;

/// The whole chain in one line, as `{e:#}` would print it, in the language in use.
pub fn error_text(e: &anyhow::Error) -> String {
    let links: Vec<String> = e.chain().map(link_text).collect();
    tanto_mail::sanitize::single_line(&links.join(": "))
}

/// A cause the application layer kept whole, as one line in the language in use.
pub fn cause_text(c: &tanto_app::Cause) -> String {
    error_text(c.error())
}

/// One link of a chain: worded by the catalogue when tanto knows it, else its own text.
fn link_text(e: &(dyn StdError + 'static)) -> String {
    if let Some(s) = e.downcast_ref::<super::Said>() {
        return s.text_in(super::lang());
    }
    // A kept cause reads as the error it keeps (its sources follow in the chain).
    if let Some(c) = e.downcast_ref::<tanto_app::Cause>() {
        let inner: &(dyn StdError + 'static) = c.error().as_ref();
        return link_text(inner);
    }
    #[cfg(feature = "demo")]
    if let Some(d) = e.downcast_ref::<DemoError>() {
        return demo(d);
    }
    if let Some(s) = e.downcast_ref::<SendError>() {
        return send(s);
    }
    if let Some(c) = e.downcast_ref::<ConfigError>() {
        return config(c);
    }
    if let Some(i) = e.downcast_ref::<ImapError>() {
        return imap(i);
    }
    if let Some(o) = e.downcast_ref::<OAuthError>() {
        return oauth(o);
    }
    if let Some(c) = e.downcast_ref::<CacheError>() {
        return cache(c);
    }
    if let Some(r) = e.downcast_ref::<Refused>() {
        return super::refused_reason(r);
    }
    // Transparent wrappers: their text is the inner error's.
    match e.downcast_ref::<SyncError>() {
        Some(SyncError::Imap(i)) => return imap(i),
        Some(SyncError::Cache(c)) => return cache(c),
        None => {}
    }
    match e.downcast_ref::<Lookup>() {
        Some(Lookup::NotFound(id)) => tf("error.lookup.not_found", &[("id", id)]),
        Some(Lookup::Ambiguous(id)) => tf("error.lookup.ambiguous", &[("id", id)]),
        None => e.to_string(),
    }
}

fn send(e: &SendError) -> String {
    match e {
        SendError::NotSent { addr, reason } => {
            tf("error.send.not_sent", &[("addr", addr), ("cause", reason)])
        }
        SendError::Uncertain { addr, reason } => {
            tf("error.send.uncertain", &[("addr", addr), ("cause", reason)])
        }
        SendError::Refused { addr, reason } => {
            tf("error.send.refused", &[("addr", addr), ("cause", reason)])
        }
        SendError::Config(why) => tf("error.send.config", &[("cause", why)]),
    }
}

#[cfg(feature = "demo")]
fn demo(e: &DemoError) -> String {
    match e {
        DemoError::AgentsOutOfRange { agents, max } => {
            tf("error.demo.agents", &[("agents", agents), ("max", max)])
        }
        DemoError::Server { cause } => tf("error.demo.server", &[("cause", cause)]),
        DemoError::Loading { cause } => tf("error.demo.loading", &[("cause", cause)]),
        DemoError::SmtpMissing => super::t("error.demo.smtp_missing").to_string(),
        DemoError::Smtp { cause } => tf("error.demo.smtp", &[("cause", cause)]),
        DemoError::TmuxMissing { cause } => tf("error.demo.tmux_missing", &[("cause", cause)]),
        DemoError::Tmux { command, cause } => {
            tf("error.demo.tmux", &[("command", command), ("cause", cause)])
        }
    }
}

fn path(p: &std::path::Path) -> std::path::Display<'_> {
    p.display()
}

fn config(e: &ConfigError) -> String {
    match e {
        ConfigError::Missing { path: p } => tf("error.config.missing", &[("path", &path(p))]),
        ConfigError::Read { path: p, source } => tf(
            "error.config.read",
            &[("path", &path(p)), ("cause", source as &dyn Display)],
        ),
        ConfigError::Syntax { path: p, message } => tf(
            "error.config.syntax",
            &[("path", &path(p)), ("message", message)],
        ),
        ConfigError::Invalid {
            path: p,
            key,
            problem,
            fix,
        } => tf(
            "error.config.invalid",
            &[
                ("path", &path(p)),
                ("key", key),
                ("problem", problem),
                ("fix", fix),
            ],
        ),
        ConfigError::NoPath => super::t("error.config.no_path").to_string(),
        ConfigError::Password { path: p, error } => {
            let text = password(error);
            tf(
                "error.config.password",
                &[("path", &path(p)), ("error", &text)],
            )
        }
    }
}

fn password(e: &PasswordError) -> String {
    match e {
        PasswordError::CouldNotRun { key, cause } => tf(
            "error.password.could_not_run",
            &[("key", key), ("cause", cause)],
        ),
        PasswordError::Failed { key, status } => {
            tf("error.password.failed", &[("key", key), ("status", status)])
        }
        PasswordError::FailedSaying { key, status, said } => tf(
            "error.password.failed_saying",
            &[("key", key), ("status", status), ("said", said)],
        ),
        PasswordError::TooLong { key, kib } => {
            tf("error.password.too_long", &[("key", key), ("kib", kib)])
        }
        PasswordError::Empty { setting } => tf("error.password.empty", &[("setting", setting)]),
        PasswordError::Unsendable { setting } => {
            tf("error.password.unsendable", &[("setting", setting)])
        }
        PasswordError::EnvUnset { key, var } => {
            tf("error.password.env_unset", &[("key", key), ("var", var)])
        }
        PasswordError::NoSource { key } => tf("error.password.no_source", &[("key", key)]),
    }
}

fn imap(e: &ImapError) -> String {
    match e {
        ImapError::Connect { addr, reason } => {
            tf("error.imap.connect", &[("addr", addr), ("cause", reason)])
        }
        ImapError::Tls { addr, reason } => {
            tf("error.imap.tls", &[("addr", addr), ("cause", reason)])
        }
        ImapError::Login { addr, user, reason } => {
            let user = format!("{user:?}");
            tf(
                "error.imap.login",
                &[("addr", addr), ("user", &user), ("cause", reason)],
            )
        }
        ImapError::TokenRefused { addr, user, reason } => {
            let user = format!("{user:?}");
            tf(
                "error.imap.token_refused",
                &[("addr", addr), ("user", &user), ("cause", reason)],
            )
        }
        ImapError::Folder {
            addr,
            folder,
            reason,
        } => {
            let folder = format!("{folder:?}");
            tf(
                "error.imap.folder",
                &[("addr", addr), ("folder", &folder), ("cause", reason)],
            )
        }
        ImapError::Refused {
            addr,
            command,
            reason,
        } => tf(
            "error.imap.refused",
            &[("addr", addr), ("command", command), ("cause", reason)],
        ),
        ImapError::Lost { addr, reason } => {
            tf("error.imap.lost", &[("addr", addr), ("cause", reason)])
        }
        ImapError::TooMuch { addr, what, mib } => {
            let key = match what {
                tanto_mail::imap::Over::Line => "error.imap.too_much.line",
                tanto_mail::imap::Over::Response => "error.imap.too_much.response",
                tanto_mail::imap::Over::Message => "error.imap.too_much.message",
            };
            let mib = mib.to_string();
            tf(key, &[("addr", addr), ("mib", &mib), ("key", &what.key())])
        }
        ImapError::Protocol { addr, reason } => {
            tf("error.imap.protocol", &[("addr", addr), ("cause", reason)])
        }
    }
}

fn oauth(e: &OAuthError) -> String {
    let suffix = |d: &str| {
        if d.is_empty() {
            String::new()
        } else {
            format!(" ({d})")
        }
    };
    match e {
        OAuthError::Http { url, reason } => {
            tf("error.oauth.http", &[("url", url), ("cause", reason)])
        }
        OAuthError::Refused {
            url,
            error,
            description,
        } => tf(
            "error.oauth.refused",
            &[
                ("url", url),
                ("error", error),
                ("description", &suffix(description)),
            ],
        ),
        OAuthError::BadAnswer { url, reason } => {
            tf("error.oauth.bad_answer", &[("url", url), ("cause", reason)])
        }
        OAuthError::NotLoggedIn { mailbox } => {
            tf("error.oauth.not_logged_in", &[("mailbox", mailbox)])
        }
        OAuthError::Expired { mailbox } => tf("error.oauth.expired", &[("mailbox", mailbox)]),
        OAuthError::CodeExpired { mailbox } => {
            tf("error.oauth.code_expired", &[("mailbox", mailbox)])
        }
        OAuthError::Denied {
            mailbox,
            description,
        } => tf(
            "error.oauth.denied",
            &[("mailbox", mailbox), ("description", &suffix(description))],
        ),
        OAuthError::Store { path, reason } => {
            tf("error.oauth.store", &[("path", path), ("cause", reason)])
        }
    }
}

fn cache(e: &CacheError) -> String {
    match e {
        CacheError::Sqlite { path: p, source } => tf(
            "error.cache.sqlite",
            &[("path", &path(p)), ("cause", source as &dyn Display)],
        ),
        CacheError::Dir { path: p, source } => tf(
            "error.cache.dir",
            &[("path", &path(p)), ("cause", source as &dyn Display)],
        ),
        CacheError::TooNew {
            path: p,
            found,
            known,
        } => tf(
            "error.cache.too_new",
            &[("path", &path(p)), ("found", found), ("known", known)],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{with_lang, Lang, Said};
    use std::path::PathBuf;

    fn io() -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::PermissionDenied, "Permission denied")
    }

    /// One error of each kind tanto words (the variants are listed by hand: a new variant
    /// fails to compile in the matches above, and belongs here too).
    fn every_error() -> Vec<anyhow::Error> {
        let p = || PathBuf::from("/home/a/.config/tanto/config.toml");
        let (addr, reason) = (
            || "imap.example.com:993".to_string(),
            || "Connection refused (os error 111)".to_string(),
        );
        vec![
            ConfigError::Missing { path: p() }.into(),
            ConfigError::Read {
                path: p(),
                source: io(),
            }
            .into(),
            ConfigError::Syntax {
                path: p(),
                message: "TOML parse error at line 3".into(),
            }
            .into(),
            ConfigError::Invalid {
                path: p(),
                key: "agent.id".into(),
                problem: "is \"Alice\"".into(),
                fix: "use lower-case".into(),
            }
            .into(),
            ConfigError::NoPath.into(),
            ConfigError::Password {
                path: p(),
                error: PasswordError::EnvUnset {
                    key: "mailbox[0].imap".into(),
                    var: "X".into(),
                },
            }
            .into(),
            ConfigError::Password {
                path: p(),
                error: PasswordError::Failed {
                    key: "mailbox[0].imap".into(),
                    status: "exit status: 1".into(),
                },
            }
            .into(),
            ConfigError::Password {
                path: p(),
                error: PasswordError::CouldNotRun {
                    key: "mailbox[0].imap".into(),
                    cause: "Permission denied".into(),
                },
            }
            .into(),
            ConfigError::Password {
                path: p(),
                error: PasswordError::NoSource {
                    key: "mailbox[0].imap".into(),
                },
            }
            .into(),
            ConfigError::Password {
                path: p(),
                error: PasswordError::FailedSaying {
                    key: "mailbox[0].imap".into(),
                    status: "exit status: 2".into(),
                    said: "gpg: decryption failed: No secret key".into(),
                },
            }
            .into(),
            ConfigError::Password {
                path: p(),
                error: PasswordError::TooLong {
                    key: "mailbox[0].imap".into(),
                    kib: 64,
                },
            }
            .into(),
            ConfigError::Password {
                path: p(),
                error: PasswordError::Empty {
                    setting: "mailbox[0].imap.password_command".into(),
                },
            }
            .into(),
            ConfigError::Password {
                path: p(),
                error: PasswordError::Unsendable {
                    setting: "mailbox[0].imap.password_env".into(),
                },
            }
            .into(),
            ImapError::Connect {
                addr: addr(),
                reason: reason(),
            }
            .into(),
            ImapError::Tls {
                addr: addr(),
                reason: reason(),
            }
            .into(),
            ImapError::Login {
                addr: addr(),
                user: "support".into(),
                reason: reason(),
            }
            .into(),
            ImapError::TokenRefused {
                addr: addr(),
                user: "support".into(),
                reason: reason(),
            }
            .into(),
            ImapError::Folder {
                addr: addr(),
                folder: "INBOX".into(),
                reason: reason(),
            }
            .into(),
            OAuthError::Http {
                url: "https://login.example.com/token".into(),
                reason: reason(),
            }
            .into(),
            OAuthError::Refused {
                url: "https://login.example.com/token".into(),
                error: "invalid_client".into(),
                description: "AADSTS7000218".into(),
            }
            .into(),
            OAuthError::Refused {
                url: "https://login.example.com/token".into(),
                error: "HTTP 500".into(),
                description: String::new(),
            }
            .into(),
            OAuthError::BadAnswer {
                url: "https://login.example.com/token".into(),
                reason: reason(),
            }
            .into(),
            OAuthError::NotLoggedIn {
                mailbox: "support".into(),
            }
            .into(),
            OAuthError::Expired {
                mailbox: "support".into(),
            }
            .into(),
            OAuthError::CodeExpired {
                mailbox: "support".into(),
            }
            .into(),
            OAuthError::Denied {
                mailbox: "support".into(),
                description: "the user declined".into(),
            }
            .into(),
            OAuthError::Denied {
                mailbox: "support".into(),
                description: String::new(),
            }
            .into(),
            OAuthError::Store {
                path: "/home/a/.local/state/tanto/oauth2/alice/support.json".into(),
                reason: reason(),
            }
            .into(),
            ImapError::Refused {
                addr: addr(),
                command: "STORE".into(),
                reason: reason(),
            }
            .into(),
            ImapError::Lost {
                addr: addr(),
                reason: reason(),
            }
            .into(),
            ImapError::Protocol {
                addr: addr(),
                reason: "its answer to the login is not IMAP".into(),
            }
            .into(),
            CacheError::Dir {
                path: p(),
                source: io(),
            }
            .into(),
            CacheError::TooNew {
                path: p(),
                found: 9,
                known: 7,
            }
            .into(),
            CacheError::Sqlite {
                path: p(),
                source: rusqlite::Error::InvalidQuery,
            }
            .into(),
            SyncError::Imap(ImapError::Lost {
                addr: addr(),
                reason: reason(),
            })
            .into(),
            Lookup::NotFound("c0ffee".into()).into(),
            Lookup::Ambiguous("c0ff".into()).into(),
            SendError::NotSent {
                addr: addr(),
                reason: reason(),
            }
            .into(),
            SendError::Uncertain {
                addr: addr(),
                reason: reason(),
            }
            .into(),
            SendError::Config(reason()).into(),
            SendError::Refused {
                addr: addr(),
                reason: reason(),
            }
            .into(),
            DemoError::AgentsOutOfRange { agents: 9, max: 4 }.into(),
            DemoError::Server { cause: reason() }.into(),
            DemoError::Loading { cause: reason() }.into(),
            DemoError::SmtpMissing.into(),
            DemoError::Smtp { cause: reason() }.into(),
            DemoError::TmuxMissing { cause: reason() }.into(),
            DemoError::Tmux {
                command: "new-session".into(),
                cause: reason(),
            }
            .into(),
        ]
        .into_iter()
        .chain(every_said())
        .collect()
    }

    /// Every catalogued error of the application layer (`said!`), each placeholder filled
    /// with a value of its own name, those with a cause around an OS error.
    fn every_said() -> Vec<anyhow::Error> {
        let typed = [
            "error.config.",
            "error.password.",
            "error.imap.",
            "error.cache.",
            "error.lookup.",
            "error.demo.",
            "error.send.",
            "error.oauth.",
        ];
        let mut keys: Vec<&'static str> = crate::i18n::catalogue(Lang::En)
            .keys()
            .map(|k| k.as_str())
            .filter(|k| k.starts_with("error.") && !typed.iter().any(|t| k.starts_with(t)))
            .collect();
        keys.sort();
        assert!(keys.len() > 30, "{keys:?}");
        keys.into_iter()
            .map(|key| {
                let names: Vec<String> = crate::i18n::text_in(Lang::En, key)
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_string()))
                    .collect();
                let values: Vec<String> = names.iter().map(|n| format!("<{n}>")).collect();
                let args: Vec<(&'static str, &dyn Display)> = names
                    .iter()
                    .zip(&values)
                    .map(|(n, v)| -> (&'static str, &dyn Display) {
                        (Box::leak(n.clone().into_boxed_str()), v)
                    })
                    .collect();
                let said = Said::new(key, &args);
                if key.starts_with("error.context.") {
                    said.because(io()).into()
                } else {
                    said.into()
                }
            })
            .collect()
    }

    #[test]
    fn in_english_the_errors_made_data_read_as_they_did_before() {
        // The old `bail!`/`context` texts, character for character.
        let cases: Vec<(anyhow::Error, &str)> = vec![
            (
                tanto_core::said!("error.note.empty").into(),
                "the note is empty; pass the text with -m",
            ),
            (
                tanto_core::said!("error.act.kept_changing", id = "c0ffee", action = "claim")
                    .into(),
                "conversation c0ffee kept changing while tanto tried to claim it; try again",
            ),
            (
                tanto_core::said!(
                    "error.act.no_keywords",
                    keyword = "tanto-wip",
                    folder = "INBOX"
                )
                .into(),
                "the server does not let clients create the keyword tanto-wip in INBOX (no \\* \
                 in PERMANENTFLAGS); tanto cannot store claims there: see `tanto doctor`",
            ),
            (
                tanto_core::said!("error.context.syncing", folder = "INBOX")
                    .because(io())
                    .into(),
                "syncing INBOX: Permission denied",
            ),
            (
                tanto_core::said!("error.tui.no_terminal").into(),
                "the terminal UI needs a terminal; in scripts use `tanto list` and the other \
                 subcommands",
            ),
            (
                tanto_core::said!("error.template.exists", quoted = "\"hi\"", name = "hi").into(),
                "a template named \"hi\" exists; `tanto template edit hi` changes it",
            ),
            (
                DemoError::AgentsOutOfRange { agents: 9, max: 4 }.into(),
                "--agents 9 is out of range; the demo has 1 to 4 agents",
            ),
            (
                DemoError::TmuxMissing {
                    cause: "No such file or directory (os error 2)".into(),
                }
                .into(),
                "running tmux (install it with scripts/ensure-deps.sh): No such file or \
                 directory (os error 2)",
            ),
        ];
        for (e, old) in cases {
            assert_eq!(with_lang(Lang::En, || error_text(&e)), old);
            assert_eq!(format!("{e:#}"), old);
        }
    }

    /// The context lines of files, the editor and `--at`: English as before, Japanese with
    /// the path and the system's cause verbatim.
    #[test]
    fn file_editor_and_at_errors_are_worded_in_both_languages() {
        let draft = || {
            anyhow::Error::from(
                tanto_core::said!("error.file.read_draft", path = "/tmp/d.txt").because(io()),
            )
        };
        assert_eq!(
            with_lang(Lang::En, || error_text(&draft())),
            "reading the draft /tmp/d.txt: Permission denied"
        );
        let ja = with_lang(Lang::Ja, || error_text(&draft()));
        assert!(
            ja.contains("下書き /tmp/d.txt") && ja.contains("Permission denied"),
            "{ja}"
        );
        let at = crate::cli::reply::parse_at("+3w", 0).expect_err("a bad unit");
        assert_eq!(
            with_lang(Lang::En, || error_text(&at)),
            "--at +3w: the unit is s, m, h or d"
        );
        assert!(with_lang(Lang::Ja, || error_text(&at)).contains("単位"));
        for key in [
            "error.editor.start",
            "error.tui.setup",
            "error.signal_handler",
            "error.man.render",
        ] {
            let en = crate::i18n::text_in(Lang::En, key);
            let ja = crate::i18n::text_in(Lang::Ja, key);
            assert!(
                !en.is_empty() && ja != en && ja.chars().any(|c| c > '\u{3000}'),
                "{key}"
            );
        }
    }

    #[test]
    fn the_cause_of_a_catalogued_context_is_still_seen_by_the_retry_rules() {
        let e: anyhow::Error = tanto_core::said!("error.context.syncing", folder = "INBOX")
            .because(ImapError::Lost {
                addr: "a:1".into(),
                reason: "reset".into(),
            })
            .into();
        assert!(tanto_app::retry::is_transient(&e));
        let ja = with_lang(Lang::Ja, || error_text(&e));
        assert!(ja.starts_with("INBOX の同期: "), "{ja}");
    }

    #[test]
    fn in_english_the_common_errors_read_as_their_own_text() {
        for e in every_error() {
            let e = e.context("syncing INBOX");
            let en = with_lang(Lang::En, || error_text(&e));
            assert_eq!(en, format!("{e:#}"));
        }
    }

    #[test]
    fn in_japanese_the_common_errors_are_worded_and_keep_their_cause() {
        for e in every_error() {
            let ja = with_lang(Lang::Ja, || error_text(&e));
            assert_ne!(ja, format!("{e:#}"), "not worded in Japanese");
            assert!(!ja.is_ascii(), "{ja}");
            for cause in [
                "Connection refused (os error 111)",
                "Permission denied",
                "agent.id",
                "c0ff",
            ] {
                if format!("{e:#}").contains(cause) {
                    assert!(ja.contains(cause), "{ja} lost {cause}");
                }
            }
        }
    }
}
