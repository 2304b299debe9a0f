//! Logins and where their passwords come from: one credentials type for IMAP and SMTP.

/// Where a password is read from, in the order tanto tries them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Secret {
    /// A shell command whose first line of output is the password (`pass show ...`).
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
    /// Reads the password now (runs the command, reads the variable); the error names the
    /// key and the fix.
    pub fn password(&self) -> Result<String, PasswordError> {
        let key = self.key.clone();
        match &self.secret {
            Secret::Command(cmd) => {
                let out = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(cmd)
                    .stdin(std::process::Stdio::null())
                    .stderr(std::process::Stdio::inherit())
                    .output()
                    .map_err(|e| PasswordError::CouldNotRun {
                        key: key.clone(),
                        cause: e.to_string(),
                    })?;
                if !out.status.success() {
                    let status = out.status.to_string();
                    return Err(PasswordError::Failed { key, status });
                }
                let text = String::from_utf8_lossy(&out.stdout);
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

/// Why a password could not be read; `key` is the config table (`mailbox[0].imap`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("{key}.password_command could not run: {cause}")]
    CouldNotRun { key: String, cause: String },
    #[error("{key}.password_command failed ({status}); run it by hand to see why")]
    Failed { key: String, status: String },
    #[error("{key}.password_env names {var}, which is not set; export {var}=... first")]
    EnvUnset { key: String, var: String },
    #[error("{key} has no password source; set password_command or password_env")]
    NoSource { key: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_comes_from_the_command_then_the_environment_then_the_file() {
        let c = |s: Secret| Credentials {
            user: "u".into(),
            secret: s,
            key: "mailbox[0].imap".into(),
        };
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
}
