//! `tanto reply ID`: the draft in the editor (or `--body-file`), then queued and sent; exit 0
//! when sent and bookkept or queued (for approval or later: it says so), 3 when someone else
//! holds the conversation, 1 when something stops the send (it says what).

use std::path::PathBuf;

use anyhow::{anyhow, bail};

use super::{Ctx, EXIT_LOST_RACE};
use crate::i18n::tf;
use tanto_app::reply::{self, Options, Replied};
use tanto_app::reply_outbox::Sent;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The conversation id (or a unique prefix of at least 4 characters)
    pub id: String,
    /// Reply to everyone addressed (never to the shared address itself)
    #[arg(long)]
    pub all: bool,
    /// Start from this template (see `tanto template list`)
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// A value for the template's prompted field {{ask:NAME}} (repeat for each field)
    #[arg(long = "field", value_name = "NAME=VALUE", value_parser = parse_field)]
    pub fields: Vec<(String, String)>,
    /// What you write, from a file (no editor); the signature and the quote are added
    #[arg(long, value_name = "F")]
    pub body_file: Option<PathBuf>,
    /// Attach a file (repeat for more)
    #[arg(long, value_name = "F")]
    pub attach: Vec<PathBuf>,
    /// Keep the conversation in progress instead of marking it done
    #[arg(long)]
    pub keep_open: bool,
    /// Send later: RFC 3339 time, seconds since the epoch, or +N[s|m|h|d]
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// Send even though mail arrived meanwhile or a warning was raised
    #[arg(long)]
    pub force: bool,
}

/// Seconds since the epoch for `--at`.
pub fn parse_at(s: &str, now: i64) -> anyhow::Result<i64> {
    use tanto_core::when::AtError;
    tanto_core::when::parse_at(s, now).map_err(|e| {
        anyhow!(match e {
            AtError::Number(v) => tanto_core::said!("error.at.number", value = v),
            AtError::Unit(v) => tanto_core::said!("error.at.unit", value = v),
            AtError::Form(v) => tanto_core::said!("error.at.form", value = v),
        })
    })
}

/// The editor command: config `agent.editor`, then $VISUAL, $EDITOR, vi.
fn editor(ctx: &Ctx) -> String {
    ctx.config
        .agent
        .editor
        .clone()
        .or_else(|| std::env::var("VISUAL").ok().filter(|v| !v.is_empty()))
        .or_else(|| std::env::var("EDITOR").ok().filter(|v| !v.is_empty()))
        .unwrap_or_else(|| "vi".into())
}

/// Opens `text` in the editor and returns what was saved (the file removed then; kept where
/// the error names it when the editor fails). The file is new and private (0600, created
/// where nothing stood; `path` names its directory and prefix): its name ends in random
/// characters, so nobody can plant a file or link where it will be.
pub fn edit(ctx: &Ctx, text: &str, path: &std::path::Path) -> anyhow::Result<String> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let prefix = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    // tempfile creates it exclusively (O_EXCL), 0600, with a random name.
    let file = tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .suffix(".txt")
        .rand_bytes(12)
        .tempfile_in(dir)
        .and_then(|mut f| f.write_all(text.as_bytes()).map(|_| f))
        .and_then(|f| f.keep().map_err(|e| e.error))
        .map_err(|e| {
            tanto_core::said!("error.file.write_draft", path = path.display()).because(e)
        })?;
    let path = file.1.as_path();
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{} \"$1\"", editor(ctx)))
        .arg("sh")
        .arg(path)
        .status()
        .map_err(|e| tanto_core::said!("error.editor.start").because(e))?;
    if !status.success() {
        bail!(tanto_core::said!(
            "error.reply.editor_failed",
            status = status,
            path = path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        anyhow::Error::from(
            tanto_core::said!("error.file.read_draft", path = path.display()).because(e),
        )
    })?;
    let _ = std::fs::remove_file(path);
    Ok(text)
}

/// Where the editor's file goes (its directory and name prefix): the agent's private drafts
/// directory, never /tmp.
fn draft_path(ctx: &Ctx, id: &str) -> anyhow::Result<PathBuf> {
    Ok(tanto_app::drafts::dir(ctx)?.join(format!("edit-{}", tanto_mail::sanitize::file_name(id))))
}

/// `NAME=VALUE` of `--field`.
fn parse_field(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(crate::i18n::tf(
            "cli.parse.not_a_field",
            &[("value", &format!("{s:?}"))],
        )),
    }
}

pub fn run(ctx: &Ctx, a: Args) -> anyhow::Result<u8> {
    let opts = Options {
        all: a.all,
        keep_open: a.keep_open,
        at: a
            .at
            .as_deref()
            .map(|s| parse_at(s, tanto_core::clock::now()))
            .transpose()?,
        force: a.force,
        attachments: a.attach.clone(),
        template: a.template.clone(),
        fields: a.fields.clone(),
        fresh: a.body_file.is_some(),
    };
    reply::check_attachments(&opts.attachments)?;
    let prepared = match reply::prepare(ctx, &a.id, &opts)? {
        Ok(p) => p,
        Err(held) => {
            return Ok(report(&Replied::Held {
                conversation: held.conversation,
                holder: held.holder,
                kept: None,
            }))
        }
    };
    let path = draft_path(ctx, &prepared.conversation.id)?;
    let draft = match &a.body_file {
        Some(f) => {
            let written = std::fs::read_to_string(f).map_err(|e| {
                tanto_core::said!("error.file.read_body", path = f.display()).because(e)
            })?;
            let written = if a.template.is_some() {
                format!(
                    "{}\n{written}",
                    prepared
                        .draft
                        .split_once("\n\n")
                        .map(|(_, b)| b)
                        .unwrap_or("")
                )
            } else {
                written
            };
            prepared.draft_with(&written)
        }
        None => {
            let draft = if a.template.is_none() {
                reply::draft_with_suggestions(ctx, &prepared)
            } else {
                prepared.draft.clone()
            };
            // A failed editor leaves the file where the error names it.
            edit(ctx, &draft, &path)?
        }
    };
    let r = reply::submit(ctx, &prepared, &draft, &opts)?;
    if matches!(
        r,
        Replied::Stale { .. } | Replied::Warned { .. } | Replied::Unfilled { .. }
    ) {
        let kept = tanto_app::drafts::Kept {
            why: tanto_app::drafts::Why::Stopped,
            text: draft,
            at: tanto_core::clock::now(),
        };
        let c = &prepared.conversation;
        if let Ok(path) = tanto_app::drafts::keep(ctx, &c.mailbox, &c.id, &kept) {
            eprintln!("tanto: {}", tf("reply.kept", &[("path", &path.display())]));
        }
    }
    Ok(report(&r))
}

/// One line for an outcome; returns the exit code.
pub fn report(r: &Replied) -> u8 {
    match r {
        Replied::Held {
            conversation,
            holder,
            kept,
        } => {
            eprintln!(
                "tanto: {}",
                tf("reply.held", &[("id", conversation), ("holder", holder)])
            );
            if kept.is_some() {
                eprintln!(
                    "tanto: {}",
                    tf("reply.kept_private", &[("id", conversation)])
                );
            }
            EXIT_LOST_RACE
        }
        Replied::Stale {
            conversation,
            arrived,
        } => {
            let what = arrived
                .iter()
                .map(|s| tanto_mail::sanitize::single_line(s))
                .collect::<Vec<_>>()
                .join("; ");
            eprintln!(
                "tanto: {}",
                tf("reply.stale", &[("id", conversation), ("what", &what)])
            );
            1
        }
        Replied::Warned {
            conversation,
            warnings,
        } => {
            eprintln!(
                "tanto: {}",
                tf(
                    "reply.warned",
                    &[
                        ("id", conversation),
                        (
                            "warnings",
                            &warnings
                                .iter()
                                .map(crate::i18n::send_warning)
                                .collect::<Vec<_>>()
                                .join("; ")
                        )
                    ]
                )
            );
            1
        }
        Replied::Unfilled {
            conversation,
            fields,
        } => {
            let fields: Vec<String> = fields.iter().map(|f| format!("{{{{ask:{f}}}}}")).collect();
            let first = fields
                .first()
                .map(|f| f.trim_start_matches("{{ask:").trim_end_matches("}}"));
            eprintln!(
                "tanto: {}",
                tf(
                    "reply.unfilled",
                    &[
                        ("id", conversation),
                        ("fields", &fields.join(", ")),
                        ("name", &first.unwrap_or_default())
                    ]
                )
            );
            1
        }
        Replied::NoRecipient { conversation } => {
            eprintln!(
                "tanto: {}",
                tf("reply.no_recipient", &[("id", conversation)])
            );
            1
        }
        Replied::AwaitingApproval { conversation } => {
            outln!("{}", tf("reply.for_approval", &[("id", conversation)]));
            0
        }
        Replied::Scheduled {
            conversation, at, ..
        } => {
            let when = chrono::DateTime::from_timestamp(*at, 0)
                .map(|d| d.with_timezone(&chrono::Local).to_rfc3339())
                .unwrap_or_default();
            outln!(
                "{}",
                tf("reply.scheduled", &[("id", conversation), ("at", &when)])
            );
            0
        }
        Replied::Sent(s) => sent_report(s),
    }
}

/// One line for what a send did; returns the exit code.
pub fn sent_report(s: &Sent) -> u8 {
    let (line, needs_a_person) = sent_line(s);
    if needs_a_person {
        eprintln!("tanto: {line}");
        1
    } else {
        outln!("{line}");
        0
    }
}

/// What a send did, in one line, and whether a person must look at it: for `reply`,
/// `approve` and `outbox resend`, and for a sync's outbox pass (`Notice::Outbox`).
pub fn sent_line(s: &Sent) -> (String, bool) {
    use crate::i18n::tf;
    use tanto_core::outbox::Standing;
    let one = |x: &str| tanto_mail::sanitize::single_line(x);
    match s {
        Sent::Delivered { conversation } => {
            (tf("reply.sent", &[("id", &one(conversation))]), false)
        }
        Sent::Completed { conversation } => {
            (tf("reply.completed", &[("id", &one(conversation))]), false)
        }
        Sent::Queued {
            conversation,
            reason,
        } => (
            tf(
                "reply.queued",
                &[
                    ("id", &one(conversation)),
                    ("why", &crate::i18n::cause_text(reason)),
                ],
            ),
            false,
        ),
        Sent::Uncertain {
            conversation,
            reason,
        } => (
            tf(
                "reply.uncertain",
                &[
                    ("id", &one(conversation)),
                    ("why", &crate::i18n::cause_text(reason)),
                ],
            ),
            true,
        ),
        Sent::Held {
            conversation,
            message_id,
            author,
            hold,
        } => (
            tf(
                "reply.held_for_author",
                &[
                    ("id", &one(conversation)),
                    ("author", &one(author)),
                    ("why", &crate::i18n::hold_text(hold)),
                    ("message_id", &one(message_id)),
                ],
            ),
            true,
        ),
        Sent::Taken { conversation, by } => (
            tf(
                "reply.taken",
                &[("id", &one(conversation)), ("agent", &one(by))],
            ),
            false,
        ),
        Sent::Waiting {
            conversation,
            standing: Standing::Rejected,
            ..
        } => (
            tf("notice.outbox.rejected", &[("id", &one(conversation))]),
            false,
        ),
        Sent::Waiting {
            conversation,
            standing: Standing::Uncertain,
            ..
        } => (
            tf("notice.outbox.uncertain", &[("id", &one(conversation))]),
            true,
        ),
        Sent::Waiting {
            conversation,
            standing,
            ..
        } => (
            tf(
                "reply.waiting",
                &[
                    ("id", &one(conversation)),
                    ("standing", &tanto_core::outbox::standing_name(standing)),
                ],
            ),
            false,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A context whose cache would be created at `cache` (no server is ever reached).
    fn ctx(dir: &std::path::Path, cache: &std::path::Path) -> Ctx {
        let text = format!(
            "[agent]\nid = \"alice\"\n\n[cache]\npath = {cache:?}\n\n[[mailbox]]\nname = \"support\"\naddress = \"support@example.com\"\n[mailbox.imap]\nhost = \"127.0.0.1\"\ntls = \"none\"\nuser = \"support\"\npassword_env = \"X\"\n"
        );
        Ctx::from_config(tanto_app::config::parse(&text, &dir.join("config.toml")).expect("config"))
    }

    fn args(attach: Vec<PathBuf>) -> Args {
        Args {
            id: "abcd1234".into(),
            all: false,
            template: None,
            fields: Vec::new(),
            body_file: None,
            attach,
            keep_open: false,
            at: None,
            force: false,
        }
    }

    #[test]
    fn a_missing_attachment_is_refused_before_the_conversation_is_claimed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cache = dir.path().join("cache.db");
        let ctx = ctx(dir.path(), &cache);
        let there = dir.path().join("there.pdf");
        std::fs::write(&there, b"%PDF").expect("write");
        let missing = dir.path().join("missing.pdf");
        for bad in [missing.clone(), dir.path().to_path_buf()] {
            let e = run(&ctx, args(vec![there.clone(), bad.clone()])).expect_err("refused");
            let said = e.downcast_ref::<crate::i18n::Said>();
            assert_eq!(
                said.map(|s| s.key()),
                Some("error.context.attachment"),
                "{e:#}"
            );
            assert!(
                format!("{e:#}").contains(&bad.display().to_string()),
                "{e:#}"
            );
            // Not even the cache was opened: nothing was claimed.
            assert!(!cache.exists(), "{e:#}");
        }
    }
}
