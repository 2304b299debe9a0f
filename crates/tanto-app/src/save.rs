//! Saving a received attachment to a directory: under its sanitized name (no separators, no
//! leading dots, no control characters, at most 255 bytes), never over an existing file
//! ("name (2).ext" then, still within 255 bytes), readable by the user alone (0600: customer
//! attachments are private).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use tanto_core::said;

use anyhow::bail;

use super::Ctx;

/// One attachment of a conversation, numbered from 1 in timeline order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub part: usize,
    pub name: String,
    pub path: PathBuf,
}

/// How many numbered names are tried before giving up (a directory full of copies).
const MAX_TRIES: u32 = 1000;

/// Writes `bytes` into `dir` as `name` (already a safe file name), or as "name (2)" and so
/// on when taken; never follows or replaces what exists (the file is created new, 0600).
pub fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
    use std::os::unix::fs::OpenOptionsExt as _;
    // Defence in depth: whatever the caller passed, only a plain name is joined to `dir`.
    let name = tanto_mail::sanitize::file_name(name);
    for n in 1..=MAX_TRIES {
        let path = dir.join(tanto_mail::sanitize::numbered_file_name(&name, n));
        // create_new is O_EXCL: a symlink planted at the path counts as taken, never followed.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| {
                    said!("error.context.writing", path = path.display()).because(e)
                })?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(said!("error.context.creating", path = path.display())
                    .because(e)
                    .into())
            }
        }
    }
    bail!(said!(
        "error.save.too_many",
        dir = dir.display(),
        count = MAX_TRIES,
        name = format!("{name:?}")
    ))
}

/// Saves attachment `part` (numbered from 1 over the conversation's messages, in order),
/// or every attachment when `None`, into `dir`.
pub fn save(ctx: &Ctx, id: &str, dir: &Path, part: Option<usize>) -> anyhow::Result<Vec<Saved>> {
    if !dir.is_dir() {
        bail!(said!("error.save.not_dir", dir = dir.display()));
    }
    // The view fetches the bodies the cache lacks.
    let view = super::conversations::messages_view(ctx, id)?;
    let conv = view.conversation;
    let cache = ctx.cache()?;
    let mut all = Vec::new();
    for m in cache.messages(&conv.mailbox, &conv.id)? {
        if let Some(raw) = cache.body(m.folder_id, m.uid)? {
            all.extend(tanto_mail::mime::attachment_files(&raw));
        }
    }
    if all.is_empty() {
        bail!(said!("error.save.none", id = conv.id));
    }
    let chosen: Vec<usize> = match part {
        Some(n) if (1..=all.len()).contains(&n) => vec![n],
        Some(n) => {
            return Err(said!(
                "error.save.no_part",
                id = conv.id,
                count = all.len(),
                part = n
            )
            .into())
        }
        None => (1..=all.len()).collect(),
    };
    let mut out = Vec::new();
    for n in chosen {
        let (a, bytes) = &all[n - 1];
        let path = write_new(dir, &a.name, bytes)?;
        out.push(Saved {
            part: n,
            name: a.name.clone(),
            path,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_name_gets_a_number_and_nothing_is_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("report.txt"), "old").expect("write");
        let p2 = write_new(dir.path(), "report.txt", b"new").expect("save");
        let p3 = write_new(dir.path(), "report.txt", b"newer").expect("save");
        assert_eq!(p2, dir.path().join("report (2).txt"));
        assert_eq!(p3, dir.path().join("report (3).txt"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("report.txt")).expect("read"),
            "old"
        );
        let p = write_new(dir.path(), "../../x/.bashrc", b"x").expect("save");
        assert_eq!(p, dir.path().join("bashrc"));
    }

    #[test]
    fn two_attachments_with_the_same_255_byte_name_are_both_saved_within_the_limit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let name = format!("ab{}.pdf", "書".repeat(83));
        assert_eq!(name.len(), 255);
        let first = write_new(dir.path(), &name, b"first").expect("save the first");
        let second = write_new(dir.path(), &name, b"second").expect("save the second");
        assert_ne!(first, second);
        for (path, body) in [(&first, "first"), (&second, "second")] {
            let file = path.file_name().expect("a file name").to_string_lossy();
            assert!(file.len() <= 255 && file.ends_with(".pdf"), "{file}");
            assert_eq!(std::fs::read_to_string(path).expect("read"), body);
        }
    }

    #[test]
    fn a_saved_file_is_private_and_a_planted_symlink_is_left_alone() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("tempdir");
        let target = outside.path().join("victim");
        std::os::unix::fs::symlink(&target, dir.path().join("report.txt")).expect("symlink");
        let path = write_new(dir.path(), "report.txt", b"customer data").expect("save");
        assert_eq!(path, dir.path().join("report (2).txt"));
        assert!(!target.exists(), "the symlink was followed");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
