//! Files only this user may read (kept drafts, the offline journal, OAuth2 tokens): their
//! directory 0700, each file written whole to a new 0600 file beside it and renamed into
//! place, so that a reader never sees half of one and a file planted at the path is
//! replaced, not followed.

use std::io::{self, Write};
use std::path::Path;

/// Creates `dir` (and its parents) 0700, and makes it so if it was made otherwise.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Writes `bytes` to `path` as a private file (its directory made private first).
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    private_dir(dir)?;
    // tempfile creates its files 0600.
    let mut file = tempfile::Builder::new().prefix(".new-").tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    file.persist(path).map(|_| ()).map_err(|e| e.error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_private_file_and_its_directory_are_the_user_s_alone() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().expect("tempdir");
        let path = root.path().join("a/b/f.json");
        write_private(&path, b"{}").expect("write");
        write_private(&path, b"[]").expect("replace");
        let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
        assert_eq!(std::fs::read(&path).expect("read"), b"[]");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().expect("dir")), 0o700);
    }
}
