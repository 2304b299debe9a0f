//! Notes and actions made while the server cannot be reached: written to a private journal
//! (one file each, under the agent's state directory) instead of being lost, and applied by
//! the next sync that reaches the server. An action is applied only if the conversation is
//! still as the agent saw it when acting (its status and holder), and then by the usual
//! compare-and-set; otherwise it is refused with what changed, and the front end says so.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub use super::outcome::Applied;
use super::Ctx;
use tanto_core::claims::Action;
use tanto_mail::cache::ConversationRow;

/// What was done offline.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum What {
    Note {
        text: String,
    },
    /// `verb` as `Action::verb` spells it; `agent` for an assignment; `reason` for a wait or
    /// a snooze, `until` for a snooze (absent from entries written before they were kept).
    Act {
        verb: String,
        agent: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<i64>,
    },
}

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    pub mailbox: String,
    pub conversation: String,
    pub what: What,
    /// The conversation's status and holder as the agent saw them when acting.
    pub seen_status: String,
    pub seen_holder: Option<String>,
    /// Seconds since the epoch.
    pub at: i64,
}

impl What {
    /// The journal's form of `action`.
    pub fn of(action: &Action) -> What {
        let (reason, until) = match action {
            Action::Wait { reason } => (Some(reason.clone()), None),
            Action::Snooze { until, reason } => (Some(reason.clone()), Some(*until)),
            _ => (None, None),
        };
        What::Act {
            verb: action.verb().to_string(),
            agent: match action {
                Action::Assign(a) | Action::AutoAssign(a) => Some(a.clone()),
                _ => None,
            },
            reason,
            until,
        }
    }

    /// The action this entry holds; `None` for a note or an entry this version cannot read.
    pub fn action(&self) -> Option<Action> {
        let What::Act {
            verb,
            agent,
            reason,
            until,
        } = self
        else {
            return None;
        };
        Some(match verb.as_str() {
            "claim" => Action::Claim,
            "take over" => Action::TakeOver,
            "release" => Action::Release,
            "assign" => Action::Assign(agent.clone()?),
            "done" => Action::Done,
            "reopen" => Action::Reopen,
            "wait" => Action::Wait {
                reason: reason.clone().unwrap_or_default(),
            },
            "snooze" => Action::Snooze {
                until: (*until)?,
                reason: reason.clone().unwrap_or_default(),
            },
            "wake" => Action::Wake,
            _ => return None,
        })
    }
}

fn dir(ctx: &Ctx) -> anyhow::Result<PathBuf> {
    ctx.state_dir("offline")
}

/// Journals `what` on `conv` as the agent sees it now; applied by the next sync that
/// reaches the server.
pub fn queue(ctx: &Ctx, conv: &ConversationRow, what: What) -> anyhow::Result<()> {
    let p = Pending {
        mailbox: conv.mailbox.clone(),
        conversation: conv.id.clone(),
        what,
        seen_status: conv.status.as_str().to_string(),
        seen_holder: conv.assignee.clone(),
        at: tanto_core::clock::now(),
    };
    let dir = dir(ctx)?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    // Named by time: applied in the order they were made.
    let to = dir.join(format!("{nanos:032}-{}.json", std::process::id()));
    tanto_mail::private_file::write_private(&to, &serde_json::to_vec(&p)?)
        .with_context(|| format!("writing {}", to.display()))
}

/// How many entries wait in the journal.
pub fn count(ctx: &Ctx) -> usize {
    dir(ctx).map(|d| entries(&d).len()).unwrap_or(0)
}

/// The journal's entries, oldest first; an entry a process took and died applying (SIGKILL,
/// a crash) is put back first.
fn entries(dir: &Path) -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    let mut out = Vec::new();
    for p in paths {
        let ext = p
            .extension()
            .map(|x| x.to_string_lossy().into_owned())
            .unwrap_or_default();
        if ext == "json" {
            out.push(p);
        } else if let Some(pid) = ext.strip_prefix("applying-") {
            let gone = !Path::new("/proc").join(pid).exists();
            let back = p.with_extension("json");
            if gone && std::fs::rename(&p, &back).is_ok() {
                out.push(back);
            }
        }
    }
    out.sort();
    out
}

/// Applies the journal's entries for `mailbox` (the caller has just synced it) with
/// `apply`, oldest first. Each entry is taken by renaming it first, so that two processes of
/// the agent never apply one twice; an entry that fails on the network stays for the next
/// sync. (The journal does not act itself: `after_sync` gives it the action.)
pub fn flush(
    ctx: &Ctx,
    mailbox: &str,
    mut apply: impl FnMut(&Pending) -> anyhow::Result<Applied>,
) -> Vec<Applied> {
    let Ok(dir) = dir(ctx) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for path in entries(&dir) {
        let Some(p) = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Pending>(&b).ok())
        else {
            continue;
        };
        if p.mailbox != mailbox {
            continue;
        }
        let taken = path.with_extension(format!("applying-{}", std::process::id()));
        if std::fs::rename(&path, &taken).is_err() {
            continue; // another process of this agent has it
        }
        match apply(&p) {
            Ok(applied) => {
                let _ = std::fs::remove_file(&taken);
                out.push(applied);
            }
            Err(_) => {
                // Still unreachable (or a passing failure): back into the journal.
                let _ = std::fs::rename(&taken, &path);
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_reads_back_from_the_journal() {
        for a in [
            Action::Claim,
            Action::TakeOver,
            Action::Release,
            Action::Assign("bob".into()),
            Action::Done,
            Action::Reopen,
            Action::Wait {
                reason: "見積もりの返事待ち".into(),
            },
            Action::Snooze {
                until: 1_796_000_000,
                reason: String::new(),
            },
            Action::Wake,
        ] {
            let json = serde_json::to_string(&What::of(&a)).expect("json");
            let back: What = serde_json::from_str(&json).expect("read back");
            assert_eq!(back.action(), Some(a), "{json}");
        }
    }

    #[test]
    fn an_entry_written_before_reasons_were_kept_still_reads() {
        let old = r#"{"kind":"act","verb":"claim","agent":null}"#;
        let what: What = serde_json::from_str(old).expect("read");
        assert_eq!(what.action(), Some(Action::Claim));
        // A snooze without its time cannot be applied: it is not guessed.
        let snooze = r#"{"kind":"act","verb":"snooze","agent":null}"#;
        let what: What = serde_json::from_str(snooze).expect("read");
        assert_eq!(what.action(), None);
    }
}
