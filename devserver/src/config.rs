//! tanto configs pointing at a test server.

use std::fs;
use std::path::{Path, PathBuf};

use crate::{ImapServer, PASSWORD};

impl ImapServer {
    /// Writes `dir/<agent_id>.toml` for an agent used in-process (tests, benches): the
    /// config of `config_toml` with its own cache in `dir`, the password given by a command
    /// (no environment needed), the `role`, and `extra` TOML appended. Returns its path.
    pub fn agent_config(&self, dir: &Path, agent_id: &str, role: &str, extra: &str) -> PathBuf {
        self.agent_config_via(self.port, dir, agent_id, role, extra)
    }

    /// Like `agent_config`, with the agent connecting to `port` on 127.0.0.1 instead of the
    /// server's own port: a [`crate::Relay`]'s `port()`, to inject faults between the two.
    pub fn agent_config_via(
        &self,
        port: u16,
        dir: &Path,
        agent_id: &str,
        role: &str,
        extra: &str,
    ) -> PathBuf {
        fs::create_dir_all(dir).expect("create the agent's dir");
        let path = dir.join(format!("{agent_id}.toml"));
        let text = self
            .config_toml_via(port, "support", &dir.join("cache.sqlite"), agent_id)
            .replace(
                "password_env = \"TANTO_TEST_PASSWORD\"",
                &format!("password_command = \"echo {PASSWORD}\""),
            )
            // Its drafts and offline actions stay in the agent's directory too.
            .replace(
                "role = \"agent\"",
                &format!(
                    "role = \"{role}\"\nstate_dir = \"{}\"",
                    dir.join("state").display()
                ),
            )
            + extra;
        fs::write(&path, text).expect("write the agent's config");
        path
    }

    /// A tanto config (TOML) for this server: one mailbox `support` logged in as `user`,
    /// password from `$TANTO_TEST_PASSWORD` (tests set it to `secret` in the child's env).
    /// Where agents log in as themselves (Cyrus), the login is `agent_id` and the mailbox
    /// `user`'s inbox in the other users' namespace (`user.support`), with the Tanto folders
    /// under it.
    pub fn config_toml(&self, user: &str, cache_path: &Path, agent_id: &str) -> String {
        self.config_toml_via(self.port, user, cache_path, agent_id)
    }

    /// Like `config_toml`, connecting to `port` on 127.0.0.1 instead of the server's own
    /// port: a [`crate::Relay`]'s `port()`, to inject faults between tanto and the server.
    pub fn config_toml_via(
        &self,
        port: u16,
        user: &str,
        cache_path: &Path,
        agent_id: &str,
    ) -> String {
        let (login, folders) = match self.other_users {
            None => (
                user.to_string(),
                "folder = \"INBOX\"\nsent_folder = \"Sent\"\n".to_string(),
            ),
            Some(prefix) => {
                let sep = prefix.chars().last().unwrap_or('.');
                let inbox = format!("{prefix}{user}");
                let under = |name: &str| toml_str(&format!("{inbox}{sep}Tanto{sep}{name}"));
                (
                    agent_id.to_string(),
                    format!(
                        "folder = {}\nactivity_folder = {}\noutbox_folder = {}\ntemplates_folder = {}\n",
                        toml_str(&inbox),
                        under("Activity"),
                        under("Outbox"),
                        under("Templates"),
                    ),
                )
            }
        };
        format!(
            r#"[agent]
id = {id}
name = {id}
role = "agent"

[[mailbox]]
name = "support"
address = "support@example.com"
[mailbox.imap]
host = "127.0.0.1"
port = {port}
tls = "none"
user = {user}
password_env = "TANTO_TEST_PASSWORD"
{folders}
[cache]
path = {cache}
"#,
            id = toml_str(agent_id),
            port = port,
            user = toml_str(&login),
            cache = toml_str(&cache_path.to_string_lossy()),
        )
    }
}

/// TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
