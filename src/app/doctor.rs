//! The server check behind `tanto doctor`: can we log in, what does the server offer that
//! tanto relies on, where tanto's folders live. Returns the findings as data.

use super::Ctx;
use crate::sanitize::single_line;

/// How one check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    /// A capability the server lacks (tanto copes; `detail` says how).
    No,
    /// A capability the server has.
    Yes,
    /// Informational.
    Info,
    Warning,
    /// Something tanto needs does not work.
    Fail,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: String,
    pub verdict: Verdict,
    pub detail: String,
}

/// The checks of one mailbox.
#[derive(Debug, Clone)]
pub struct MailboxChecks {
    pub mailbox: String,
    pub address: String,
    pub server: String,
    pub checks: Vec<Check>,
}

impl MailboxChecks {
    fn add(&mut self, name: &str, verdict: Verdict, detail: impl Into<String>) {
        self.checks.push(Check {
            name: name.to_string(),
            verdict,
            detail: single_line(&detail.into()),
        });
    }

    /// True when a check failed.
    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.verdict == Verdict::Fail)
    }
}

/// Checks every mailbox's server.
pub fn doctor(ctx: &Ctx) -> anyhow::Result<Vec<MailboxChecks>> {
    let mut out = Vec::new();
    for (i, m) in ctx.mailboxes() {
        let server = ctx.server(i, m)?;
        let mut r = MailboxChecks {
            mailbox: m.name.clone(),
            address: m.address.clone(),
            server: server.addr(),
            checks: Vec::new(),
        };
        let mut conn = match crate::imap::Conn::open(&server) {
            Ok(c) => c,
            Err(e) => {
                r.add("login", Verdict::Fail, e.to_string());
                out.push(r);
                continue;
            }
        };
        r.add("login", Verdict::Ok, format!("as {}", m.imap.user));
        let caps = conn.caps.clone();
        let mut line = |name: &str, ok: bool, without: &str| {
            if ok {
                r.add(name, Verdict::Yes, "");
            } else {
                r.add(name, Verdict::No, without);
            }
        };
        line("CONDSTORE", caps.condstore, "claims are serialized by a lock in the shared cache, which does not cover agents on other hosts; resyncs re-read all flags");
        line("QRESYNC", caps.qresync, "expunges are found by comparing UID lists (costs O(mailbox) when something was deleted)");
        line(
            "IDLE",
            caps.idle,
            "changes are picked up by a resync every 2 minutes instead of pushed",
        );
        line(
            "MOVE",
            caps.mv,
            "not needed yet (tanto does not move mail in this release)",
        );
        line(
            "UIDPLUS",
            caps.uidplus,
            "not needed yet (appended events are found by the next sync)",
        );
        line(
            "SPECIAL-USE",
            caps.special_use,
            "the Sent folder is taken from sent_folder in the config, else a folder named \"Sent\"",
        );
        line(
            "NOTIFY",
            caps.notify,
            "IDLE watches one folder per connection",
        );
        match conn.select(&m.imap.folder, None) {
            Ok(info) => {
                r.add(
                    "folder",
                    Verdict::Ok,
                    format!(
                        "{} ({} messages, UIDVALIDITY {})",
                        m.imap.folder, info.exists, info.uidvalidity
                    ),
                );
                let keywords: Vec<&String> =
                    info.flags.iter().filter(|f| !f.starts_with('\\')).collect();
                let tanto_kw = keywords
                    .iter()
                    .filter(|k| {
                        // Keywords are case-insensitive; the server may keep any spelling.
                        k.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("tanto-"))
                    })
                    .count();
                if info.custom_keywords() {
                    r.add("keywords", Verdict::Yes, "");
                } else {
                    r.add("keywords", Verdict::Fail, "the server does not let clients create keywords (no \\* in PERMANENTFLAGS): claims and statuses cannot be stored");
                }
                r.add(
                    "keyword use",
                    Verdict::Info,
                    format!(
                        "{} defined in the folder, {} of them tanto's; cap: {}",
                        keywords.len(),
                        tanto_kw,
                        keyword_cap(&caps.all)
                    ),
                );
                if keywords.len() > 26 {
                    r.add("keyword cap", Verdict::Warning, format!(
                        "{} keywords is more than 26: a Dovecot maildir keeps only 26 per folder in its file names (the rest live in its index only); sdbox/mdbox have no cap",
                        keywords.len()
                    ));
                }
            }
            Err(e) => r.add("folder", Verdict::Fail, e.to_string()),
        }
        tanto_folders(&mut conn, m, &mut r);
        match ctx.folders(&mut conn, m) {
            Ok(folders) => {
                let sent = folders
                    .iter()
                    .find(|(_, role)| *role == crate::cache::FolderRole::Sent)
                    .map(|(n, _)| n.clone());
                match sent {
                    Some(s) => {
                        let place = match conn.server_folder(&s) {
                            Ok(wire) if wire != s => format!("{s} is {wire} on the server"),
                            _ => s,
                        };
                        r.add("sent folder", Verdict::Ok, place)
                    }
                    None => r.add("sent folder", Verdict::Info, "none: replies sent by the team will not show until a Sent folder exists (set sent_folder)"),
                }
            }
            Err(e) => r.add("sent folder", Verdict::Fail, format!("{e:#}")),
        }
        conn.logout();
        out.push(r);
    }
    Ok(out)
}

/// Where tanto's own folders live on this server, and that they can be created: the
/// activity folder is created now if missing (the first claim or note would create it).
fn tanto_folders(conn: &mut crate::imap::Conn, m: &crate::config::Mailbox, r: &mut MailboxChecks) {
    match conn.namespace() {
        Ok(ns) => r.add(
            "namespace",
            Verdict::Ok,
            format!(
                "personal folders under {:?}, separator {}",
                ns.prefix,
                ns.separator
                    .map(|c| format!("{:?}", c.to_string()))
                    .unwrap_or_else(|| "none (flat)".into())
            ),
        ),
        Err(e) => {
            r.add("namespace", Verdict::Fail, e.to_string());
            return;
        }
    }
    let folders = [
        ("activity", &m.imap.activity_folder, true),
        ("outbox", &m.imap.outbox_folder, false),
        ("templates", &m.imap.templates_folder, false),
    ];
    for (what, name, create_now) in folders {
        let wire = match conn.server_folder(name) {
            Ok(w) => w,
            Err(e) => {
                r.add(what, Verdict::Fail, e.to_string());
                continue;
            }
        };
        let place = if wire == *name {
            name.to_string()
        } else {
            format!("{name} is {wire} on the server")
        };
        let result = match conn.folder_exists(name) {
            Ok(true) => Ok("exists"),
            Ok(false) if create_now => conn.ensure_folder(name).map(|()| "created now"),
            Ok(false) => Ok("created on first use"),
            Err(e) => Err(e),
        };
        match result {
            Ok(state) => r.add(what, Verdict::Ok, format!("{place} ({state})")),
            Err(e) => r.add(what, Verdict::Fail, e.to_string()),
        }
    }
}

/// What is known of the server's cap on keywords per folder.
fn keyword_cap(caps: &[String]) -> &'static str {
    // Servers do not announce the cap; the implementation name is the best hint we have.
    // Only Gmail offers X-GM-EXT-1; XLIST alone is no sign of Gmail (Cyrus offers it too).
    if caps.iter().any(|c| c.eq_ignore_ascii_case("X-GM-EXT-1")) {
        "unknown (Gmail-like server: labels, no keyword cap known)"
    } else {
        "not announced by the server (Dovecot: none for sdbox/mdbox, 26 for maildir; Cyrus: 128)"
    }
}

#[cfg(test)]
mod tests {
    use super::keyword_cap;

    #[test]
    fn only_gmail_s_own_extension_means_gmail() {
        let caps = |list: &[&str]| list.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let cyrus = caps(&["IMAP4rev1", "XLIST", "CONDSTORE"]);
        assert!(!keyword_cap(&cyrus).contains("Gmail"));
        let gmail = caps(&["IMAP4rev1", "XLIST", "X-GM-EXT-1"]);
        assert!(keyword_cap(&gmail).contains("Gmail"));
    }
}
