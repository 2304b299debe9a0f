//! Replying: claim the conversation (refuse, naming the holder, when someone else has it),
//! build the draft, and on submit check that nothing arrived meanwhile, warn, queue the
//! reply in the outbox and send it (or leave it for approval or for later).

use std::path::{Path, PathBuf};
use tanto_core::said;

use anyhow::anyhow;

use super::act::{perform, Outcome};
use super::drafts::Why;
use super::reply_outbox::{crash_point, send_one, Sent};
use super::Ctx;
use super::Warning;
use crate::config::{ReplyCharset, Role};
use tanto_core::claims::Action;
use tanto_core::clock::now;
use tanto_core::compose::{self, Charset, FileAttachment, Original, Outgoing};
use tanto_core::model::Address;
use tanto_core::outbox::{self, Envelope};
use tanto_mail::cache::ConversationRow;

/// What the reply is to be; the body comes from the editor or a file (the front end's job).
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub all: bool,
    pub keep_open: bool,
    /// Send at (seconds since the epoch); now when `None`.
    pub at: Option<i64>,
    /// Send even though something arrived meanwhile or a warning was raised.
    pub force: bool,
    pub attachments: Vec<PathBuf>,
    /// Start from this template (filled in).
    pub template: Option<String>,
    /// Values for the template's prompted fields (`{{ask:NAME}}`): name, value.
    pub fields: Vec<(String, String)>,
    /// Start afresh: the text comes from elsewhere (a file), so a draft kept from an
    /// earlier try is not taken up.
    pub fresh: bool,
}

/// A draft ready for the editor, with what was seen when it was started.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub conversation: ConversationRow,
    /// Header lines, a blank line, the body (template or empty, signature, quote).
    pub draft: String,
    /// What the agent writes into, for `--body-file`: the draft around `written`.
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    pub signature: String,
    pub quote: String,
    about: String,
    in_reply_to: Option<String>,
    references: Vec<String>,
    /// What the draft is written against (checked on submit and again when it goes out).
    base: outbox::Base,
    /// The agent's held, rejected or taken-back reply this draft was restored from: removed
    /// from the outbox once the new one is queued.
    replaces: Option<String>,
}

/// How `prepare` or `submit` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replied {
    /// Someone else holds the conversation: nothing was sent. `kept`: where the text that
    /// was written is kept (the next reply on the conversation opens it again).
    Held {
        conversation: String,
        holder: String,
        kept: Option<PathBuf>,
    },
    /// Something arrived after the draft was started: nothing was sent.
    Stale {
        conversation: String,
        arrived: Vec<String>,
    },
    /// Warnings (missing attachment, team words): nothing was sent.
    Warned {
        conversation: String,
        warnings: Vec<compose::SendWarning>,
    },
    /// The draft has no recipient left.
    NoRecipient { conversation: String },
    /// The template's prompted fields (`{{ask:NAME}}`) named here were not filled in:
    /// nothing was sent (never, not even forced).
    Unfilled {
        conversation: String,
        fields: Vec<String>,
    },
    /// Waits in the outbox for a supervisor.
    AwaitingApproval { conversation: String },
    /// Waits in the outbox until `at`.
    Scheduled {
        conversation: String,
        at: i64,
        /// The queued reply's Message-ID (to take it back before it is due).
        message_id: String,
    },
    /// What the send did.
    Sent(Sent),
}

/// Claims the conversation if free and builds the draft.
/// The answered message `m` of `conv` as the server holds it (under the UIDVALIDITY the cache
/// knows: a UID means nothing under another).
fn server_copy(
    ctx: &Ctx,
    conv: &ConversationRow,
    m: &tanto_mail::cache::MessageRow,
) -> anyhow::Result<Vec<u8>> {
    let (index, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
    let mut conn = ctx.session(index, mailbox)?;
    let fetched = (|| -> anyhow::Result<Vec<u8>> {
        let info = conn.select(&m.folder, None)?;
        if ctx.cache()?.folder_uidvalidity(m.folder_id)? != Some(info.uidvalidity) {
            return Err(said!("error.app.uidvalidity", folder = m.folder).into());
        }
        conn.fetch_bodies(&[m.uid])?
            .into_iter()
            .find(|(uid, _)| *uid == m.uid)
            .map(|(_, raw)| raw)
            .ok_or_else(|| anyhow!(said!("error.reply.not_fetched", id = conv.id)))
    })();
    ctx.session_done(index, conn, fetched.is_ok());
    fetched
}

/// Someone else holds the conversation: no draft was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBy {
    pub conversation: String,
    pub holder: String,
}

/// Claims the conversation and starts a draft, or says who holds it.
pub fn prepare(ctx: &Ctx, id: &str, opts: &Options) -> anyhow::Result<Result<Prepared, HeldBy>> {
    match perform(ctx, id, &Action::Claim)? {
        Outcome::Won(_) | Outcome::Already { .. } => {}
        Outcome::Lost {
            conversation,
            winner,
            ..
        } => {
            return Ok(Err(HeldBy {
                conversation,
                holder: winner,
            }))
        }
        Outcome::Refused { conversation, why } => {
            return Err(said!("error.reply.refused", id = conversation)
                .because(why)
                .into())
        }
        // `perform` never journals; a reply needs the server (the claim, the check).
        Outcome::Queued { conversation } => {
            return Err(said!("error.reply.offline", id = conversation).into())
        }
    }
    // Bodies the cache lacks are fetched here.
    let view = super::conversations::messages_view(ctx, id)?;
    let conv = view.conversation;
    let (_, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
    let mut cache = ctx.cache()?;
    if let Err(e) = cache.set_presence(
        &conv.mailbox,
        &conv.id,
        &ctx.config.agent.id,
        tanto_core::presence::Doing::Replying,
    ) {
        let error = e.into();
        ctx.notify.warn(Warning::PresenceReplying { error });
    }
    let msgs = cache.messages(&conv.mailbox, &conv.id)?;
    let state = cache.state_message(&conv.mailbox, &conv.id)?;
    let answered = state
        .as_ref()
        .and_then(|s| {
            msgs.iter()
                .find(|m| m.folder_id == s.folder_id && m.uid == s.uid)
        })
        .or_else(|| msgs.iter().rev().find(|m| m.inbound))
        .ok_or_else(|| anyhow!(said!("error.reply.no_message", id = conv.id)))?;
    // Recipients, subject and references come from the server's copy, never from the shared
    // cache, which any agent on the host can write; the cache gets the server's copy back.
    let raw = server_copy(ctx, &conv, answered)?;
    if let Err(e) = cache.store_body(answered.folder_id, answered.uid, &raw) {
        let error = e.into();
        ctx.notify.warn(Warning::CacheBehind { error });
    }
    let headers = tanto_mail::mime::parse_headers(&raw);
    let rendered = tanto_mail::mime::render(&raw);
    let date_text =
        chrono::DateTime::from_timestamp(answered.date.unwrap_or(answered.internal_date), 0)
            .map(|d| {
                d.with_timezone(&chrono::Local)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
    let orig = Original {
        from: headers.from.first().cloned(),
        reply_to: headers.reply_to.clone(),
        to: headers.to.clone(),
        cc: headers.cc.clone(),
        subject: headers.subject.clone(),
        message_id: headers.message_id.clone(),
        references: headers.references.clone(),
        date_text,
        text: rendered.text,
    };
    let team = ctx.team(mailbox).addresses;
    let answer = match (opts.all, ctx.config.team.keep_cc) {
        (true, _) => compose::Answer::All,
        (false, true) => compose::Answer::KeepCc,
        (false, false) => compose::Answer::Customer,
    };
    let (to, cc) = compose::recipients(&orig, &team, answer);
    let subject = compose::reply_subject(&orig.subject);
    let (in_reply_to, references) = compose::threading(&orig);
    let quote = compose::quote(&orig);
    let values = tanto_core::templates::Values {
        customer_name: to
            .first()
            .map(|a| a.name.clone().unwrap_or_else(|| a.email.clone()))
            .unwrap_or_default(),
        agent_name: agent_name(ctx),
        mailbox_address: mailbox.address.clone(),
        subject: orig.subject.clone(),
        fields: opts.fields.clone(),
    };
    let written = match &opts.template {
        Some(name) => {
            let t = super::reply_templates::find(ctx, &conv.mailbox, name)?;
            tanto_core::templates::fill(&t.body, &values)
        }
        None => String::new(),
    };
    let signature = signature(ctx, mailbox, &values);
    let draft = compose::draft_text(
        &to,
        &cc,
        &subject,
        &compose::body(&written, &signature, &quote),
    );
    let (draft, replaces) = match opts.fresh {
        true => (draft, None),
        false => restore(ctx, &conv, draft)?,
    };
    // A kept draft taken up again gets the fields given now.
    let draft = tanto_core::templates::fill_fields(&draft, &opts.fields);
    Ok(Ok(Prepared {
        conversation: conv,
        draft,
        to,
        cc,
        subject,
        signature,
        quote,
        about: orig
            .message_id
            .clone()
            .unwrap_or_else(|| answered.message_id.clone().unwrap_or_default()),
        in_reply_to,
        references,
        base: outbox::Base {
            started: now(),
            seen: msgs.iter().map(super::send_check::message_key).collect(),
        },
        replaces,
    }))
}

/// The draft to open: the agent's kept text of this conversation when there is one to go on
/// with (with a comment saying where it comes from), else `fresh`; and the queued reply the
/// kept text replaces, if any.
fn restore(
    ctx: &Ctx,
    conv: &ConversationRow,
    fresh: String,
) -> anyhow::Result<(String, Option<String>)> {
    use tanto_core::event::EventKind;
    use tanto_core::wording::tf;
    let Some(kept) = super::drafts::load(ctx, &conv.mailbox, &conv.id)? else {
        return Ok((fresh, None));
    };
    let at = chrono::DateTime::from_timestamp(kept.at, 0)
        .map(|d| {
            d.with_timezone(&chrono::Local)
                .format("%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default();
    let comment = match &kept.why {
        Why::TakenOver { by } => tf("draft.restored.taken_over", &[("by", by), ("at", &at)]),
        Why::Stopped => tf("draft.restored.stopped", &[("at", &at)]),
        Why::TakenBack => tf("draft.restored.taken_back", &[("at", &at)]),
        Why::Queued { message_id } => {
            let (index, mailbox) = ctx.mailbox_named(&conv.mailbox)?;
            let mut conn = ctx.connect(index, mailbox)?;
            let standing = super::reply_outbox::standing_of(&mut conn, mailbox, message_id)?;
            conn.logout();
            let (kind, standing) = match standing {
                None => {
                    // Sent, or dropped by a person: nothing to go on with.
                    super::drafts::forget(ctx, &conv.mailbox, &conv.id);
                    return Ok((fresh, None));
                }
                Some(st @ outbox::Standing::Held) => (EventKind::Hold, st),
                Some(st @ outbox::Standing::Rejected) => (EventKind::Reject, st),
                Some(st @ outbox::Standing::TakenBack) => (EventKind::Drop, st),
                Some(other) => {
                    // Still on its way: the new draft says so (a second reply is the
                    // agent's choice; the queued one is held at its send if this one goes).
                    let note = tf(
                        "draft.still_queued",
                        &[("at", &at), ("standing", &outbox::standing_name(&other))],
                    );
                    return Ok((compose::with_comments(&fresh, &[note]), None));
                }
            };
            let reason = ctx
                .cache()?
                .latest_event(&conv.mailbox, message_id, kind)?
                .map(|(_, text)| {
                    tanto_mail::sanitize::single_line(text.split("\n\n").next().unwrap_or_default())
                })
                .unwrap_or_default();
            let comment = tf(
                "draft.restored.queued",
                &[
                    ("at", &at),
                    ("standing", &outbox::standing_name(&standing)),
                    ("why", &reason),
                ],
            );
            let text = without_comments(&kept.text);
            return Ok((
                compose::with_comments(&text, &[comment]),
                Some(message_id.clone()),
            ));
        }
    };
    Ok((
        compose::with_comments(&without_comments(&kept.text), &[comment]),
        None,
    ))
}

/// The draft without the comment lines of its header (they are written anew).
fn without_comments(draft: &str) -> String {
    let (head, body) = draft.split_once("\n\n").unwrap_or((draft, ""));
    let head: Vec<&str> = head.lines().filter(|l| !l.starts_with('#')).collect();
    format!("{}\n\n{body}", head.join("\n"))
}

/// The agent's own signature above the mailbox's (each optional), placeholders filled: a
/// mailbox signature may name the agent (`{{agent.name}}`).
fn signature(
    ctx: &Ctx,
    mailbox: &crate::config::Mailbox,
    values: &tanto_core::templates::Values,
) -> String {
    [&ctx.config.agent.signature, &mailbox.signature]
        .into_iter()
        .map(|s| s.trim_end())
        .filter(|s| !s.trim().is_empty())
        .map(|s| tanto_core::templates::fill(s, values))
        .collect::<Vec<_>>()
        .join("\n")
}

fn agent_name(ctx: &Ctx) -> String {
    if ctx.config.agent.name.is_empty() {
        ctx.config.agent.id.clone()
    } else {
        ctx.config.agent.name.clone()
    }
}

impl Prepared {
    /// The draft with `written` (a `--body-file`) as what the agent wrote.
    pub fn draft_with(&self, written: &str) -> String {
        compose::draft_text(
            &self.to,
            &self.cc,
            &self.subject,
            &compose::body(written, &self.signature, &self.quote),
        )
    }
}

/// A warning for each recipient domain the team never wrote to (the shared address's own
/// domain aside): a mistyped address is caught before the customer's data goes to a stranger.
fn new_domains(
    ctx: &Ctx,
    mailbox: &crate::config::Mailbox,
    recipients: &[Address],
) -> anyhow::Result<Vec<compose::SendWarning>> {
    let ours = compose::domains(&[Address {
        name: None,
        email: mailbox.address.clone(),
    }]);
    let cache = ctx.cache()?;
    let mut out = Vec::new();
    for domain in compose::domains(recipients) {
        if !ours.contains(&domain) && !cache.wrote_to_domain(&mailbox.name, &domain)? {
            out.push(compose::SendWarning::NewDomain(domain));
        }
    }
    Ok(out)
}

/// What the agent wrote: the body without the quoted lines (a customer's quoted text is
/// not checked for the team's warnings or for unfilled fields).
fn written_part(body: &str) -> String {
    body.lines()
        .filter(|l| !l.starts_with('>'))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks, queues and sends the edited `draft`.
pub fn submit(ctx: &Ctx, p: &Prepared, draft: &str, opts: &Options) -> anyhow::Result<Replied> {
    let (index, mailbox) = ctx.mailbox_named(&p.conversation.mailbox)?;
    // One session for the check, the claim, the queueing, the send and its bookkeeping.
    let mut conn = ctx.connect(index, mailbox)?;
    let r = submit_on(ctx, &mut conn, p, draft, opts);
    conn.logout();
    r
}

fn submit_on(
    ctx: &Ctx,
    conn: &mut tanto_mail::imap::Conn,
    p: &Prepared,
    draft: &str,
    opts: &Options,
) -> anyhow::Result<Replied> {
    let conversation = p.conversation.id.clone();
    let Some(d) = compose::parse_draft(draft) else {
        return Ok(Replied::NoRecipient { conversation });
    };
    // A prompted field left as it was cannot go to a customer, whatever `force` says.
    let fields = tanto_core::templates::unfilled(&written_part(&d.body));
    if !fields.is_empty() {
        return Ok(Replied::Unfilled {
            conversation,
            fields,
        });
    }
    let (index, mailbox) = ctx.mailbox_named(&p.conversation.mailbox)?;
    let mut attachments = Vec::new();
    // Files named on the command line, and by `Attach:` lines in the draft (the TUI's way).
    let from_draft = d.attach.iter().map(|p| expand_home(p));
    for path in opts.attachments.iter().cloned().chain(from_draft) {
        let path = &path;
        let bytes = std::fs::read(path).map_err(|e| attachment_error(path, e))?;
        let name = path
            .file_name()
            .map(|n| tanto_mail::sanitize::file_name(&n.to_string_lossy()))
            .unwrap_or_else(|| "attachment".into());
        attachments.push(FileAttachment {
            content_type: content_type(&name).into(),
            name,
            bytes,
        });
    }
    if !opts.force {
        let written = written_part(&d.body);
        let mut warnings =
            compose::warnings(&written, attachments.len(), &ctx.config.team.warn_words);
        if ctx.config.team.confirm_new_domains {
            warnings.extend(new_domains(ctx, mailbox, &[&d.to[..], &d.cc[..]].concat())?);
        }
        if !warnings.is_empty() {
            return Ok(Replied::Warned {
                conversation,
                warnings,
            });
        }
        // Nothing stale goes out: what arrived since the draft was started stops it.
        let mut cache = ctx.cache()?;
        super::sync::sync_mailbox_with(ctx, &mut cache, conn, mailbox)?;
        let arrived = super::send_check::arrived_since(
            &cache,
            &p.conversation.mailbox,
            &conversation,
            &ctx.config.agent.id,
            "",
            &p.base,
        )?;
        if !arrived.is_empty() {
            return Ok(Replied::Stale {
                conversation,
                arrived,
            });
        }
    }
    // Still ours? Claim again: a no-op when held, a refusal naming the holder otherwise.
    if let Outcome::Lost { winner, .. } =
        super::act::perform_on(ctx, conn, &conversation, &Action::Claim)?
    {
        // Taken over while it was written: the text is kept for when it is ours again.
        let kept = keep(ctx, p, draft, Why::TakenOver { by: winner.clone() });
        return Ok(Replied::Held {
            conversation,
            holder: winner,
            kept,
        });
    }
    let domain = mailbox
        .address
        .rsplit('@')
        .next()
        .unwrap_or("tanto.invalid");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // The draft's own id: the same reply (same answered message, recipients, subject, text
    // and files) gets the same Message-ID, so that a retry after a lost answer, in this
    // process or a new one, finds the copy already queued (or sent) instead of adding one.
    let key = draft_key(&[
        conversation.as_bytes(),
        ctx.config.agent.id.as_bytes(),
        p.about.as_bytes(),
        d.to.iter()
            .chain(&d.cc)
            .map(|a| a.email.as_str())
            .collect::<Vec<_>>()
            .join(",")
            .as_bytes(),
        d.subject.as_bytes(),
        d.body.as_bytes(),
        &attachments
            .iter()
            .flat_map(|a| [a.name.as_bytes(), &a.bytes[..]].concat())
            .collect::<Vec<u8>>(),
    ]);
    let message_id = format!(
        "tanto.{conversation}.{}.{key}@{domain}",
        ctx.config.agent.id
    );
    let out = Outgoing {
        from: Address {
            name: Some(
                mailbox
                    .display_name
                    .clone()
                    .unwrap_or_else(|| mailbox.name.clone()),
            ),
            email: mailbox.address.clone(),
        },
        to: d.to.clone(),
        cc: d.cc.clone(),
        subject: d.subject.clone(),
        message_id: message_id.clone(),
        in_reply_to: p.in_reply_to.clone(),
        references: p.references.clone(),
        date: chrono::Local::now().to_rfc2822(),
        agent: ctx.config.agent.id.clone(),
        template: opts.template.clone(),
        body: d.body.clone(),
        attachments,
        charset: match mailbox.reply_charset {
            ReplyCharset::Utf8 => Charset::Utf8,
            ReplyCharset::Iso2022Jp => Charset::Iso2022Jp,
        },
        boundary: format!("tanto-{nanos:x}"),
    };
    let (payload, _) = compose::render(&out);
    let env = Envelope {
        conversation: conversation.clone(),
        about: p.about.clone(),
        message_id: message_id.clone(),
        author: ctx.config.agent.id.clone(),
        mail_from: mailbox.address.clone(),
        rcpt: d.to.iter().chain(&d.cc).map(|a| a.email.clone()).collect(),
        keep_open: opts.keep_open || d.keep_open,
        send_at: opts.at.unwrap_or(0),
        subject: d.subject.clone(),
        // `--force` sends over what arrived: the check at send time then asks only that
        // the author still holds the conversation.
        base: (!opts.force).then(|| p.base.clone()),
    };
    let approval = ctx.config.team.approval.needed_for(
        &ctx.config.agent.id,
        ctx.config.agent.role == Role::Supervisor,
    );
    let mut flags = vec!["\\Seen"];
    if approval {
        flags.push(outbox::KW_APPROVAL);
    }
    // Kept before it is queued: whatever happens from here, the text is not lost (a copy
    // already queued has the same Message-ID, so going on with it cannot send it twice).
    keep(ctx, p, draft, Why::Stopped);
    let raw = outbox::wrap(&env, &payload);
    if let super::reply_outbox::Queueing::AlreadySent =
        super::reply_outbox::queue(ctx, index, mailbox, conn, &message_id, &raw, &flags)?
    {
        super::drafts::forget(ctx, &p.conversation.mailbox, &conversation);
        return Ok(Replied::Sent(Sent::Completed { conversation }));
    }
    keep(
        ctx,
        p,
        draft,
        Why::Queued {
            message_id: message_id.clone(),
        },
    );
    let standing = if approval {
        outbox::Standing::WaitingApproval
    } else if env.send_at > now() {
        outbox::Standing::Scheduled { at: env.send_at }
    } else {
        outbox::Standing::Due
    };
    if let Ok(mut cache) = ctx.cache() {
        let _ = cache.put_outbox_seen(&super::reply_outbox::seen_as(mailbox, &env, &standing));
    }
    if let Some(old) = p.replaces.as_deref().filter(|old| *old != message_id) {
        super::reply_outbox::remove_replaced(conn, mailbox, old)?;
    }
    crash_point("after-outbox");
    let result = if approval {
        Replied::AwaitingApproval { conversation }
    } else if env.send_at > now() {
        Replied::Scheduled {
            conversation,
            at: env.send_at,
            message_id: message_id.clone(),
        }
    } else {
        let mut cache = ctx.cache()?;
        let sent = send_one(ctx, index, mailbox, conn, &mut cache, &message_id)?;
        super::reply_outbox::note_seen(&mut cache, mailbox, &env, &sent);
        Replied::Sent(sent)
    };
    // SMTP just worked (or was not needed): finish what else is due or half done, so that a
    // reply queued earlier does not wait for the next sync.
    if !matches!(
        result,
        Replied::Sent(Sent::Queued { .. } | Sent::Uncertain { .. })
    ) {
        let mut cache = ctx.cache()?;
        let others = super::reply_outbox::process_on(ctx, &mut cache, conn, index, mailbox);
        let _ = super::after_sync::report_outbox(ctx, others);
    }
    if let Replied::Sent(Sent::Delivered { .. } | Sent::Completed { .. }) = result {
        super::drafts::forget(ctx, &p.conversation.mailbox, &p.conversation.id);
    }
    Ok(result)
}

/// Keeps the agent's text of `p`'s conversation (a failure to write it is told, and costs
/// only the copy); where it is kept.
fn keep(ctx: &Ctx, p: &Prepared, draft: &str, why: super::drafts::Why) -> Option<PathBuf> {
    let kept = super::drafts::Kept {
        why,
        text: draft.to_string(),
        at: now(),
    };
    match super::drafts::keep(ctx, &p.conversation.mailbox, &p.conversation.id, &kept) {
        Ok(path) => Some(path),
        Err(e) => {
            ctx.notify.warn(Warning::DraftNotKept { error: e.into() });
            None
        }
    }
}

/// 32 hex digits of the SHA-256 of `parts` (each length-prefixed, so that no two lists of
/// parts read alike).
fn draft_key(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in parts {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Fails as `submit` would when a file to attach cannot be read. The command line asks
/// before `prepare`: a mistyped path must not leave the conversation claimed.
pub fn check_attachments(paths: &[PathBuf]) -> anyhow::Result<()> {
    for path in paths {
        readable(path).map_err(|e| attachment_error(path, e))?;
    }
    Ok(())
}

/// A file that opens for reading, or something that is neither a file nor a directory (a
/// pipe such as `--attach <(...)`), which is not opened: its bytes are for `submit`.
fn readable(path: &Path) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_dir() {
        return Err(std::io::ErrorKind::IsADirectory.into());
    }
    if meta.is_file() {
        std::fs::File::open(path)?;
    }
    Ok(())
}

fn attachment_error(path: &Path, e: std::io::Error) -> tanto_core::wording::Said {
    said!("error.context.attachment", path = path.display()).because(e)
}

/// A content type from the file name's extension (what mail clients need to open it).
fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "pdf" => "application/pdf",
        "txt" => "text/plain; charset=UTF-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "csv" => "text/csv; charset=UTF-8",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

#[cfg(any(test, feature = "test-support"))]
impl Prepared {
    /// A draft for the front ends' tests (no server behind it).
    pub fn for_tests(conversation: ConversationRow, draft: &str) -> Prepared {
        Prepared {
            conversation,
            draft: draft.to_string(),
            to: Vec::new(),
            cc: Vec::new(),
            subject: String::new(),
            signature: String::new(),
            quote: String::new(),
            about: String::new(),
            in_reply_to: None,
            references: Vec::new(),
            base: outbox::Base::default(),
            replaces: None,
        }
    }
}

/// The draft with the three best-fitting templates named in its header comment (lines
/// starting with `#` are never sent); a failure to rank only costs the suggestion.
pub fn draft_with_suggestions(ctx: &Ctx, p: &Prepared) -> String {
    let mut comments = vec![
        "Attach a file: a line `Attach: PATH` above (one per file); `Keep-Open: yes` keeps the conversation in progress".to_string(),
    ];
    match super::reply_templates::suggest_for(ctx, &p.conversation.id) {
        Ok(names) if !names.is_empty() => {
            let names: Vec<String> = names
                .iter()
                .map(|n| tanto_mail::sanitize::single_line(n))
                .collect();
            comments.insert(0, format!("Templates that fit: {}", names.join(", ")));
            comments.insert(
                1,
                format!(
                    "Start from one: tanto reply {} --template NAME (lines starting with # are not sent)",
                    p.conversation.id
                ),
            );
        }
        Ok(_) => {}
        Err(e) => ctx
            .notify
            .warn(Warning::TemplatesUnranked { error: e.into() }),
    }
    tanto_core::compose::with_comments(&p.draft, &comments)
}

/// `~/x` as a path under the home directory; anything else as it is.
fn expand_home(p: &str) -> std::path::PathBuf {
    match (p.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => std::path::Path::new(&home).join(rest),
        _ => std::path::PathBuf::from(p),
    }
}
