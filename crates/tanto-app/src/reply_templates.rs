//! Templates as messages in the templates folder (subject = name, body = text), so any
//! mail client can edit them: list, find, add, replace, remove.

use anyhow::{anyhow, bail};
use tanto_core::said;

use super::Ctx;
use crate::config::Mailbox;
use tanto_core::templates::Template;
use tanto_mail::imap::Conn;

/// A template with where it is stored.
struct Stored {
    uid: u32,
    template: Template,
}

fn read_all(conn: &mut Conn, folder: &str) -> anyhow::Result<Vec<Stored>> {
    if !conn.folder_exists(folder)? {
        return Ok(Vec::new());
    }
    conn.select(folder, None)?;
    let uids = conn.all_uids()?;
    let mut out: Vec<Stored> = conn
        .fetch_bodies(&uids)?
        .into_iter()
        .map(|(uid, raw)| {
            let name = tanto_mail::mime::parse_headers(&raw)
                .subject
                .trim()
                .to_string();
            let body = tanto_mail::mime::render(&raw).text;
            Stored {
                uid,
                template: Template { name, body },
            }
        })
        .collect();
    out.sort_by(|a, b| a.template.name.cmp(&b.template.name));
    Ok(out)
}

/// The mailbox named `mailbox`, else the first one.
fn named_or_first<'a>(ctx: &'a Ctx, mailbox: &str) -> anyhow::Result<(usize, &'a Mailbox)> {
    match ctx.mailbox_named(mailbox) {
        Ok(x) => Ok(x),
        Err(_) => ctx
            .mailboxes()
            .next()
            .ok_or_else(|| anyhow!("no mailbox in the config")),
    }
}

fn open(ctx: &Ctx, mailbox: &str) -> anyhow::Result<(Conn, String)> {
    let (index, m) = named_or_first(ctx, mailbox)?;
    Ok((ctx.connect(index, m)?, m.imap.templates_folder.clone()))
}

/// Every template of `mailbox` (the first mailbox when not found), by name.
pub fn list(ctx: &Ctx, mailbox: &str) -> anyhow::Result<Vec<Template>> {
    let (mut conn, folder) = open(ctx, mailbox)?;
    let all = read_all(&mut conn, &folder)?;
    conn.logout();
    Ok(all.into_iter().map(|s| s.template).collect())
}

/// The template named `name`.
pub fn find(ctx: &Ctx, mailbox: &str, name: &str) -> anyhow::Result<Template> {
    list(ctx, mailbox)?
        .into_iter()
        .find(|t| t.name == name)
        .ok_or_else(|| anyhow!(said!("error.template.unknown", name = format!("{name:?}"))))
}

/// Adds (or, with `replace`, replaces) the template `name`.
pub fn save(ctx: &Ctx, mailbox: &str, name: &str, body: &str, replace: bool) -> anyhow::Result<()> {
    if name.trim().is_empty() || name.contains(['\r', '\n']) {
        bail!(said!("error.template.bad_name"));
    }
    let (mut conn, folder) = open(ctx, mailbox)?;
    let (_, m) = ctx
        .mailboxes()
        .next()
        .ok_or_else(|| anyhow!("no mailbox"))?;
    let old: Vec<u32> = read_all(&mut conn, &folder)?
        .into_iter()
        .filter(|s| s.template.name == name)
        .map(|s| s.uid)
        .collect();
    if !old.is_empty() && !replace {
        bail!(said!(
            "error.template.exists",
            quoted = format!("{name:?}"),
            name = name
        ));
    }
    let address: lettre::Address = m
        .address
        .parse()
        .map_err(|e| anyhow!("the shared address {:?} is not valid: {e}", m.address))?;
    let msg = lettre::Message::builder()
        .from(lettre::message::Mailbox::new(None, address.clone()))
        .to(lettre::message::Mailbox::new(None, address))
        .subject(name)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(body.to_string())
        .map_err(|e| anyhow!("cannot build the template message: {e}"))?;
    conn.ensure_folder(&folder)?;
    conn.append(&folder, &msg.formatted(), &["\\Seen"])?;
    if !old.is_empty() {
        conn.select(&folder, None)?;
        for uid in old {
            conn.expunge_uid(uid)?;
        }
    }
    conn.logout();
    Ok(())
}

/// Removes the template `name`.
pub fn remove(ctx: &Ctx, mailbox: &str, name: &str) -> anyhow::Result<()> {
    let (mut conn, folder) = open(ctx, mailbox)?;
    let old: Vec<u32> = read_all(&mut conn, &folder)?
        .into_iter()
        .filter(|s| s.template.name == name)
        .map(|s| s.uid)
        .collect();
    if old.is_empty() {
        bail!(said!("error.template.none", name = format!("{name:?}")));
    }
    conn.select(&folder, None)?;
    for uid in old {
        conn.expunge_uid(uid)?;
    }
    conn.logout();
    Ok(())
}

/// Past replies kept for ranking: the newest this many (enough to learn from, few enough
/// to fetch as a draft opens).
const HISTORY_LIMIT: usize = 2000;

/// The header a reply started from a template carries (on the outbox, SMTP and Sent copy).
pub const TEMPLATE_HEADER: &str = "X-Tanto-Template";

/// The past replies in Sent that started from a template: (template name, reply text).
fn history(ctx: &Ctx, conn: &mut Conn, mailbox: &Mailbox) -> anyhow::Result<Vec<(String, String)>> {
    let sent = ctx.find_sent(conn, mailbox)?.folder();
    if !conn.folder_exists(&sent)? {
        return Ok(Vec::new());
    }
    conn.select(&sent, None)?;
    let uids = conn.search_header(TEMPLATE_HEADER, "")?;
    let from = uids.len().saturating_sub(HISTORY_LIMIT);
    let mut out = Vec::new();
    for chunk in uids[from..].chunks(200) {
        for (_, raw) in conn.fetch_bodies(chunk)? {
            let Some(name) = tanto_mail::mime::header_field(&raw, TEMPLATE_HEADER) else {
                continue;
            };
            out.push((name, tanto_mail::mime::render(&raw).text));
        }
    }
    Ok(out)
}

/// A mailbox's templates and past replies, indexed once: a front end that ranks as the
/// reader opens each mail keeps one (loading costs the IMAP fetch and the index build;
/// each ranking then takes well under a millisecond).
pub struct Suggester {
    index: tanto_core::templates::Index,
}

impl Suggester {
    /// Reads the templates of `mailbox` (the first mailbox when not found) and the replies
    /// in Sent that used them.
    pub fn load(ctx: &Ctx, mailbox: &str) -> anyhow::Result<Suggester> {
        let (index, m) = named_or_first(ctx, mailbox)?;
        let mut conn = ctx.connect(index, m)?;
        let templates: Vec<Template> = read_all(&mut conn, &m.imap.templates_folder)?
            .into_iter()
            .map(|s| s.template)
            .collect();
        let past = if templates.is_empty() {
            Vec::new()
        } else {
            history(ctx, &mut conn, m)?
        };
        conn.logout();
        Ok(Suggester {
            index: tanto_core::templates::Index::build(&templates, &past),
        })
    }

    /// The names of the three templates that fit `mail_text` best, best first.
    pub fn suggest(&self, mail_text: &str) -> Vec<String> {
        self.index.rank(mail_text, 3)
    }
}

/// The best three templates for the text of a mail in `mailbox`, ranked over each
/// template's text and the past replies in Sent that used it.
pub fn suggest(ctx: &Ctx, mailbox: &str, mail_text: &str) -> anyhow::Result<Vec<String>> {
    Ok(Suggester::load(ctx, mailbox)?.suggest(mail_text))
}

/// The best three templates for conversation `id`: ranked against its newest customer
/// message (subject and text). For the composer of any front end.
pub fn suggest_for(ctx: &Ctx, id: &str) -> anyhow::Result<Vec<String>> {
    let view = super::conversations::messages_view(ctx, id)?;
    let text = mail_text(&view);
    suggest(ctx, &view.conversation.mailbox, &text)
}

/// What a conversation's suggestions are ranked against: its newest customer message
/// (subject and text), else its newest entry.
pub fn mail_text(view: &super::conversations::ConversationView) -> String {
    view.timeline
        .iter()
        .rev()
        .find(|e| e.kind == super::conversations::EntryKind::Inbound)
        .or_else(|| view.timeline.last())
        .map(|e| format!("{}\n{}", e.subject, e.text))
        .unwrap_or_default()
}
