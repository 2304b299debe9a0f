//! Logins and where their passwords come from: one credentials type for IMAP and SMTP.

/// Where a password is read from, in the order tanto tries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// A shell command whose first line of output is the password (`pass show ...`); it may
    /// print at most 64 KiB.
    Command(String),
    /// An environment variable.
    Env(String),
    /// Written in the config file (warned about when others can read the file).
    Plain(String),
    None,
}

impl Secret {
    /// The source the config's `password_command`, `password_env` and `password` name.
    pub fn from_fields(command: Option<&str>, env: Option<&str>, plain: Option<&str>) -> Secret {
        match (command, env, plain) {
            (Some(c), _, _) => Secret::Command(c.to_string()),
            (None, Some(v), _) => Secret::Env(v.to_string()),
            (None, None, Some(p)) => Secret::Plain(p.to_string()),
            (None, None, None) => Secret::None,
        }
    }

    /// The config field this source is (`password_command`), for messages.
    fn field(&self) -> &'static str {
        match self {
            Secret::Command(_) => "password_command",
            Secret::Env(_) => "password_env",
            Secret::Plain(_) | Secret::None => "password",
        }
    }
}

/// A login for a server: the user and where the password comes from.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub secret: Secret,
    /// The config table it comes from (`mailbox[0].imap`), for messages.
    pub key: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a password.
        write!(f, "Credentials({} from {})", self.user, self.key)
    }
}

impl Credentials {
    /// Reads the password now (runs the command, reads the variable) and refuses one that a
    /// login cannot carry; the error names the key and the fix.
    pub fn password(&self) -> Result<String, PasswordError> {
        let password = self.read()?;
        sendable(&self.key, &self.secret, password)
    }

    fn read(&self) -> Result<String, PasswordError> {
        let key = self.key.clone();
        match &self.secret {
            Secret::Command(cmd) => {
                let out = super::password_command::run(&key, cmd)?;
                // The first line: `pass` keeps notes on the lines after the password.
                let text = String::from_utf8_lossy(&out);
                Ok(text.lines().next().unwrap_or("").to_string())
            }
            Secret::Env(var) => std::env::var(var).map_err(|_| PasswordError::EnvUnset {
                key,
                var: var.clone(),
            }),
            Secret::Plain(p) => Ok(p.clone()),
            Secret::None => Err(PasswordError::NoSource { key }),
        }
    }
}

/// The password, unless a login cannot carry it: IMAP's quoted string (and SMTP's AUTH
/// PLAIN, NUL-separated) has no room for CR, LF or NUL, and an empty one is a source that
/// gave nothing. Refused here, before any connection, rather than sent and rejected.
fn sendable(key: &str, secret: &Secret, password: String) -> Result<String, PasswordError> {
    let setting = || format!("{key}.{}", secret.field());
    if password.is_empty() {
        return Err(PasswordError::Empty { setting: setting() });
    }
    if password.contains(['\r', '\n', '\0']) {
        return Err(PasswordError::Unsendable { setting: setting() });
    }
    Ok(password)
}

/// Why a password could not be read; `key` is the config table (`mailbox[0].imap`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("{key}.password_command could not run: {cause}")]
    CouldNotRun { key: String, cause: String },
    #[error("{key}.password_command failed ({status}); run it by hand to see why")]
    Failed { key: String, status: String },
    /// The command failed and said why on stderr (`said`: one line, sanitized and cut).
    #[error("{key}.password_command failed ({status}): {said}")]
    FailedSaying {
        key: String,
        status: String,
        said: String,
    },
    #[error(
        "{key}.password_command printed more than {kib} KiB; it must print the password alone"
    )]
    TooLong { key: String, kib: usize },
    /// `setting` is the whole key (`mailbox[0].imap.password_env`).
    #[error("{setting} gave an empty password; check that it gives the password")]
    Empty { setting: String },
    #[error("{setting} gave a password with a line break or NUL in it, which a login cannot carry; check that it gives the password alone")]
    Unsendable { setting: String },
    #[error("{key}.password_env names {var}, which is not set; export {var}=... first")]
    EnvUnset { key: String, var: String },
    #[error("{key} has no password source; set password_command or password_env")]
    NoSource { key: String },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn c(s: Secret) -> Credentials {
        Credentials {
            user: "u".into(),
            secret: s,
            key: "mailbox[0].imap".into(),
        }
    }

    fn from_command(cmd: &str) -> Result<String, PasswordError> {
        c(Secret::Command(cmd.into())).password()
    }

    /// What a command printing `n` bytes (`a`, no line break) gives.
    fn printing(n: u64) -> Result<String, PasswordError> {
        from_command(&format!("head -c {n} /dev/zero | tr '\\0' a"))
    }

    #[test]
    fn the_password_comes_from_the_command_then_the_environment_then_the_file() {
        assert_eq!(
            c(Secret::Command("echo s3cret; echo x".into()))
                .password()
                .as_deref(),
            Ok("s3cret")
        );
        assert_eq!(c(Secret::Plain("p".into())).password().as_deref(), Ok("p"));
        let e = c(Secret::Env("TANTO_TEST_NO_SUCH_VAR".into())).password();
        assert!(e.is_err_and(|e| e.to_string().contains("mailbox[0].imap.password_env")));
        assert!(c(Secret::None).password().is_err());
        assert_eq!(
            Secret::from_fields(Some("c"), Some("e"), None),
            Secret::Command("c".into())
        );
        let shown = format!("{:?}", c(Secret::Plain("hunter2".into())));
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn a_command_printing_300_mb_is_stopped_at_64_kib_and_named() {
        let started = Instant::now();
        let e = printing(300_000_000);
        assert!(started.elapsed() < Duration::from_secs(5), "not stopped");
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("mailbox[0].imap.password_command printed more than 64 KiB; it must print the password alone".into())
        );
    }

    #[test]
    fn the_cap_is_64_kib_exactly() {
        assert_eq!(printing(65536).map(|p| p.len()), Ok(65536));
        let too_long = PasswordError::TooLong {
            key: "mailbox[0].imap".into(),
            kib: 64,
        };
        assert_eq!(printing(65537), Err(too_long));
    }

    #[test]
    fn a_failing_command_s_stderr_is_in_its_error_as_one_line() {
        let e =
            from_command("echo 'gpg: decryption failed:' >&2; echo ' No secret key' >&2; exit 2");
        assert_eq!(
            e.map_err(|e| e.to_string()),
            Err("mailbox[0].imap.password_command failed (exit status: 2): gpg: decryption failed: No secret key".into())
        );
        let silent = PasswordError::Failed {
            key: "mailbox[0].imap".into(),
            status: "exit status: 1".into(),
        };
        assert_eq!(from_command("exit 1"), Err(silent));
    }

    #[test]
    fn a_command_that_says_much_on_stderr_and_then_succeeds_gives_its_password() {
        let p = from_command("head -c 1000000 /dev/zero >&2; echo s3cret");
        assert_eq!(p.as_deref(), Ok("s3cret"));
    }

    #[test]
    fn a_password_a_login_cannot_carry_is_refused_naming_its_key() {
        let unsendable = |setting: &str| {
            Err(PasswordError::Unsendable {
                setting: setting.into(),
            })
        };
        let empty = |setting: &str| {
            Err(PasswordError::Empty {
                setting: setting.into(),
            })
        };
        let (command, plain) = (
            "mailbox[0].imap.password_command",
            "mailbox[0].imap.password",
        );
        assert_eq!(from_command("printf 'sec\\rret\\n'"), unsendable(command));
        assert_eq!(from_command("printf 'sec\\000ret'"), unsendable(command));
        let line_break = c(Secret::Plain("sec\nret".into())).password();
        assert_eq!(line_break, unsendable(plain));
        assert_eq!(from_command("echo"), empty(command));
        assert_eq!(from_command("true"), empty(command));
        assert_eq!(c(Secret::Plain(String::new())).password(), empty(plain));
    }
}
