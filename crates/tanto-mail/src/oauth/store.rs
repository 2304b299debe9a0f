//! The agent's tokens on disk: one JSON file per mailbox in the private state directory
//! (directory 0700, file 0600, replaced by rename so that a reader never sees half of one),
//! and a lock beside it (flock: released when the process ends, however it ends).

use std::path::Path;

use super::{OAuthError, Result};

/// What is kept for one mailbox: the refresh token and the current access token, for the
/// client and token endpoint that issued them.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stored {
    pub client_id: String,
    pub token_url: String,
    pub refresh_token: Option<String>,
    pub access_token: String,
    /// Seconds since the epoch.
    pub expires_at: i64,
    /// When `tanto login` got the first of these tokens (seconds since the epoch).
    pub signed_in_at: i64,
}

impl std::fmt::Debug for Stored {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the tokens.
        write!(
            f,
            "Stored(client {}, expires at {}, refresh token: {})",
            self.client_id,
            self.expires_at,
            self.refresh_token.is_some()
        )
    }
}

fn store_error(path: &Path, e: impl std::fmt::Display) -> OAuthError {
    OAuthError::Store {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// The tokens at `path`; `None` when there are none (or the file is not a token file: the
/// next `tanto login` replaces it).
pub(super) fn read(path: &Path) -> Result<Option<Stored>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(serde_json::from_slice(&bytes).ok()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(store_error(path, e)),
    }
}

/// Creates the directory of `path` 0700 (and makes it so if it was made otherwise).
fn private_dir(path: &Path) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    crate::private_file::private_dir(dir).map_err(|e| store_error(dir, e))
}

/// Replaces the tokens at `path` (its directory is created 0700, the file is 0600).
pub(super) fn write(path: &Path, stored: &Stored) -> Result<()> {
    let json = serde_json::to_vec_pretty(stored).map_err(|e| store_error(path, e))?;
    crate::private_file::write_private(path, &json).map_err(|e| store_error(path, e))
}

/// Removes the tokens at `path` (nothing to do when there are none).
pub(super) fn remove(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(store_error(path, e)),
    }
}

/// An exclusive lock on a mailbox's tokens, held while they are refreshed, so that two
/// processes of one agent (the terminal UI and a command) refresh once, not twice: a
/// provider that rotates refresh tokens would void the loser's.
pub(super) struct Lock {
    _file: std::fs::File,
}

pub(super) fn lock(path: &Path) -> Result<Lock> {
    use std::os::fd::AsRawFd as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    private_dir(path)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let lock_path = path.with_file_name(name);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&lock_path)
        .map_err(|e| store_error(&lock_path, e))?;
    loop {
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) };
        if r == 0 {
            return Ok(Lock { _file: file });
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(store_error(&lock_path, e));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_kept_private_and_replaced_whole() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("oauth2/alice/support.json");
        assert_eq!(read(&path).expect("read"), None);
        let s = Stored {
            client_id: "c".into(),
            token_url: "https://id.example.com/token".into(),
            refresh_token: Some("r-secret".into()),
            access_token: "a-secret".into(),
            expires_at: 10,
            signed_in_at: 1,
        };
        write(&path, &s).expect("write");
        write(&path, &s).expect("write again");
        assert_eq!(read(&path).expect("read"), Some(s.clone()));
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().expect("dir")), 0o700);
        let names: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 1, "no temp file left: {names:?}");
        let shown = format!("{s:?}");
        assert!(!shown.contains("secret"), "{shown}");
        let _held = lock(&path).expect("lock");
        remove(&path).expect("remove");
        assert_eq!(read(&path).expect("read"), None);
    }
}
