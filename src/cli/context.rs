//! What every subcommand needs: the config, the cache, the team, a connection.

use std::path::Path;

use anyhow::{anyhow, Context as _};

use crate::cache::{Cache, FolderRole, Team};
use crate::config::{self, Config, Mailbox};
use crate::imap::{Conn, Server};

#[derive(Clone)]
pub struct Ctx {
    pub config: Config,
}

impl Ctx {
    /// Loads the config and prints its warnings.
    pub fn load(flag: Option<&Path>) -> anyhow::Result<Ctx> {
        let path = config::locate(flag)?;
        let config = config::load(&path)?;
        for w in &config.warnings {
            eprintln!("tanto: {w}");
        }
        Ok(Ctx { config })
    }

    pub fn cache(&self) -> anyhow::Result<Cache> {
        Ok(Cache::open(
            &self.config.cache.path,
            self.config.cache.network_fs,
        )?)
    }

    pub fn mailboxes(&self) -> impl Iterator<Item = (usize, &Mailbox)> {
        self.config.mailboxes.iter().enumerate()
    }

    /// The team as the cache needs it for one mailbox.
    pub fn team(&self, mailbox: &Mailbox) -> Team {
        let mut addresses: Vec<String> = vec![mailbox.address.to_lowercase()];
        addresses.extend(self.config.team.addresses.iter().map(|a| a.to_lowercase()));
        Team {
            mailbox: mailbox.name.clone(),
            address: mailbox.address.to_lowercase(),
            addresses,
        }
    }

    pub fn server(&self, index: usize, mailbox: &Mailbox) -> anyhow::Result<Server> {
        let password = mailbox
            .imap
            .password(index)
            .map_err(|e| anyhow!("config {}: {e}", self.config.path.display()))?;
        Ok(Server {
            host: mailbox.imap.host.clone(),
            port: mailbox.imap.port(),
            tls: mailbox.imap.tls,
            user: mailbox.imap.user.clone(),
            password,
            accept_invalid_certs: mailbox.imap.danger_accept_invalid_certs,
        })
    }

    pub fn connect(&self, index: usize, mailbox: &Mailbox) -> anyhow::Result<Conn> {
        Ok(Conn::open(&self.server(index, mailbox)?)?)
    }

    /// The folders a sync covers: the inbox, and the Sent folder (configured, or found by
    /// SPECIAL-USE, or a folder named "Sent").
    pub fn folders(
        &self,
        conn: &mut Conn,
        mailbox: &Mailbox,
    ) -> anyhow::Result<Vec<(String, FolderRole)>> {
        let mut out = vec![(mailbox.imap.folder.clone(), FolderRole::Inbox)];
        let sent = match &mailbox.imap.sent_folder {
            Some(s) => Some(s.clone()),
            None => {
                let special = if conn.caps.special_use {
                    conn.special_use_sent()
                        .context("looking for the Sent folder")?
                } else {
                    None
                };
                match special {
                    Some(s) => Some(s),
                    None if conn.folder_exists("Sent")? => Some("Sent".to_string()),
                    None => None,
                }
            }
        };
        if let Some(s) = sent.filter(|s| *s != mailbox.imap.folder) {
            out.push((s, FolderRole::Sent));
        }
        // Created on first use by a coordination command; synced once it exists.
        out.push((mailbox.imap.activity_folder.clone(), FolderRole::Activity));
        Ok(out)
    }
}
