//! The agent's own copies of replies that are not delivered yet, one per conversation, in a
//! private directory (0700, files 0600) under the user's state directory: a reply text is
//! never lost to a take-over while it was written, a hold, a rejection or a take-back, and
//! the next `r` on the conversation opens it again. Never in the shared cache: another
//! agent on the host must not read or plant a draft.

use std::path::PathBuf;

use anyhow::Context as _;

use super::Ctx;

/// Why a copy is kept (what the next draft says about it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum Why {
    /// Someone else took the conversation while this text was written.
    TakenOver { by: String },
    /// The send stopped (mail arrived meanwhile, a warning) and the agent did not go on.
    Stopped,
    /// Taken back out of the outbox before it went out.
    TakenBack,
    /// Queued in the outbox as `message_id`: held, rejected or taken back there, it opens
    /// again; gone from there (sent, dropped), the copy is forgotten.
    Queued { message_id: String },
}

/// One kept reply: the whole draft (header lines, blank line, body) as last written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Kept {
    #[serde(flatten)]
    pub why: Why,
    pub text: String,
    /// Seconds since the epoch.
    pub at: i64,
}

/// The private directory of this agent's kept drafts.
pub fn dir(ctx: &Ctx) -> anyhow::Result<PathBuf> {
    ctx.state_dir("drafts")
}

fn path(ctx: &Ctx, mailbox: &str, conversation: &str) -> anyhow::Result<PathBuf> {
    let name = format!(
        "{}.{}.json",
        tanto_mail::sanitize::file_name(mailbox),
        tanto_mail::sanitize::file_name(conversation)
    );
    Ok(dir(ctx)?.join(name))
}

/// Keeps `kept` as the conversation's copy (replacing an older one); returns its path.
/// Written to a new private file and renamed into place: a crash leaves the old copy or the
/// new one, never half of either, and a file planted at the path is replaced, not followed.
pub fn keep(ctx: &Ctx, mailbox: &str, conversation: &str, kept: &Kept) -> anyhow::Result<PathBuf> {
    let to = path(ctx, mailbox, conversation)?;
    tanto_mail::private_file::write_private(&to, &serde_json::to_vec(kept)?)
        .with_context(|| format!("writing {}", to.display()))?;
    Ok(to)
}

/// The conversation's kept copy, if any (a file that does not parse is left for the user
/// and not used).
pub fn load(ctx: &Ctx, mailbox: &str, conversation: &str) -> anyhow::Result<Option<Kept>> {
    let p = path(ctx, mailbox, conversation)?;
    match std::fs::read(&p) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
    }
}

/// Forgets the conversation's copy (the reply went out, or was dropped).
pub fn forget(ctx: &Ctx, mailbox: &str, conversation: &str) {
    if let Ok(p) = path(ctx, mailbox, conversation) {
        let _ = std::fs::remove_file(p);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_draft_reads_back_as_written() {
        let k = Kept {
            why: Why::Queued {
                message_id: "tanto.x@example.com".into(),
            },
            text: "To: a@b\n\nこんにちは\n".into(),
            at: 7,
        };
        let json = serde_json::to_string(&k).expect("json");
        assert!(json.contains("\"why\":\"queued\""), "{json}");
        assert_eq!(serde_json::from_str::<Kept>(&json).expect("parse"), k);
    }
}
