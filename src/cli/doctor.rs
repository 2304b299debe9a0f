//! `tanto doctor`: can we log in, and what does the server offer that tanto relies on.

use super::Ctx;
use crate::sanitize::single_line;

#[derive(Debug, clap::Args, Default)]
pub struct Args {}

pub fn run(ctx: &Ctx, _args: Args) -> anyhow::Result<u8> {
    let mut worst = 0u8;
    for (i, m) in ctx.mailboxes() {
        let server = ctx.server(i, m)?;
        println!("mailbox {} ({}) on {}", m.name, m.address, server.addr());
        let mut conn = match crate::imap::Conn::open(&server) {
            Ok(c) => c,
            Err(e) => {
                println!("  login        FAIL  {}", single_line(&e.to_string()));
                worst = 1;
                continue;
            }
        };
        println!("  login        ok    as {}", m.imap.user);
        let caps = conn.caps.clone();
        let line = |name: &str, ok: bool, without: &str| {
            if ok {
                println!("  {name:<12} yes");
            } else {
                println!("  {name:<12} no    {without}");
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
                println!(
                    "  folder       ok    {} ({} messages, UIDVALIDITY {})",
                    m.imap.folder, info.exists, info.uidvalidity
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
                line(
                    "keywords",
                    info.custom_keywords(),
                    "the server does not let clients create keywords (no \\* in PERMANENTFLAGS): claims and statuses cannot be stored",
                );
                println!(
                    "  keyword use  {} defined in the folder, {} of them tanto's; cap: {}",
                    keywords.len(),
                    tanto_kw,
                    keyword_cap(&caps.all)
                );
                if keywords.len() > 26 {
                    println!(
                        "  warning      {} keywords is more than 26: a Dovecot maildir keeps only 26 per folder in its file names (the rest live in its index only); sdbox/mdbox have no cap",
                        keywords.len()
                    );
                }
                if !info.custom_keywords() {
                    worst = 1;
                }
            }
            Err(e) => {
                println!("  folder       FAIL  {}", single_line(&e.to_string()));
                worst = 1;
            }
        }
        worst = worst.max(tanto_folders(&mut conn, m));
        match ctx.folders(&mut conn, m) {
            Ok(folders) => {
                let sent = folders
                    .iter()
                    .find(|(_, r)| *r == crate::cache::FolderRole::Sent)
                    .map(|(n, _)| n.clone());
                match sent {
                    Some(s) => {
                        let place = match conn.server_folder(&s) {
                            Ok(wire) if wire != s => format!("{s} is {wire} on the server"),
                            _ => s,
                        };
                        println!("  sent folder  ok    {}", single_line(&place))
                    }
                    None => println!("  sent folder  none  replies sent by the team will not show until a Sent folder exists (set sent_folder)"),
                }
            }
            Err(e) => println!("  sent folder  FAIL  {}", single_line(&format!("{e:#}"))),
        }
        conn.logout();
    }
    Ok(worst)
}

/// Where tanto's own folders live on this server, and that they can be created: the
/// activity folder is created now if missing (the first claim or note would create it).
fn tanto_folders(conn: &mut crate::imap::Conn, m: &crate::config::Mailbox) -> u8 {
    match conn.namespace() {
        Ok(ns) => println!(
            "  namespace    ok    personal folders under {:?}, separator {}",
            ns.prefix,
            ns.separator
                .map(|c| format!("{:?}", c.to_string()))
                .unwrap_or_else(|| "none (flat)".into())
        ),
        Err(e) => {
            println!("  namespace    FAIL  {}", single_line(&e.to_string()));
            return 1;
        }
    }
    let mut worst = 0;
    let folders = [
        ("activity", &m.imap.activity_folder, true),
        ("outbox", &m.imap.outbox_folder, false),
        ("templates", &m.imap.templates_folder, false),
    ];
    for (what, name, create_now) in folders {
        let wire = match conn.server_folder(name) {
            Ok(w) => w,
            Err(e) => {
                println!("  {what:<12} FAIL  {}", single_line(&e.to_string()));
                worst = 1;
                continue;
            }
        };
        let place = if wire == *name {
            name.to_string()
        } else {
            format!("{name} is {wire} on the server")
        };
        let existed = conn.folder_exists(name);
        let result = match existed {
            Ok(true) => Ok("exists"),
            Ok(false) if create_now => conn.ensure_folder(name).map(|()| "created now"),
            Ok(false) => Ok("created on first use"),
            Err(e) => Err(e),
        };
        match result {
            Ok(state) => println!("  {what:<12} ok    {} ({state})", single_line(&place)),
            Err(e) => {
                println!("  {what:<12} FAIL  {}", single_line(&e.to_string()));
                worst = 1;
            }
        }
    }
    worst
}

/// What is known of the server's cap on keywords per folder.
fn keyword_cap(caps: &[String]) -> &'static str {
    // Servers do not announce the cap; the implementation name is the best hint we have.
    if caps.iter().any(|c| c.eq_ignore_ascii_case("XLIST")) {
        "unknown (Gmail-like server: labels, no keyword cap known)"
    } else {
        "not announced by the server (Dovecot: none for sdbox/mdbox, 26 for maildir; Cyrus: 128)"
    }
}
