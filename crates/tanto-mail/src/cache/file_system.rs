//! Which file system the cache lives on. SQLite's WAL needs shared memory between the
//! processes that open the file, which network file systems do not give across hosts: there
//! WAL corrupts the file. tanto looks (statfs) and uses the rollback journal there by itself.

use std::path::Path;

/// The network (or otherwise shared) file system `dir` is on, by name; None for a local one
/// or when it cannot be told.
pub fn network_file_system(dir: &Path) -> Option<&'static str> {
    kind_of(statfs_type(dir)?)
}

/// The name of a network file system by its statfs `f_type` magic number (linux/magic.h
/// and the file systems' own headers).
fn kind_of(f_type: i64) -> Option<&'static str> {
    Some(match f_type {
        0x6969 => "NFS",
        0x517B => "SMB",
        0xFE53_4D42 => "SMB2",
        0xFF53_4D42 => "CIFS",
        0x6573_5546 => "FUSE",
        0x00C3_6400 => "Ceph",
        0x0102_1997 => "9p",
        0x5346_414F | 0x6B41_4653 => "AFS",
        0x0BD0_0BD0 => "Lustre",
        0x4750_4653 => "GPFS",
        0x0116_1970 => "GFS2",
        0x7461_636F => "OCFS2",
        _ => return None,
    })
}

#[cfg(target_os = "linux")]
fn statfs_type(dir: &Path) -> Option<i64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut buf = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: `path` is a valid NUL-terminated string and `buf` is large enough for the
    // struct statfs fills; it is read only after statfs reports success.
    let ok = unsafe { libc::statfs(path.as_ptr(), buf.as_mut_ptr()) } == 0;
    if !ok {
        return None;
    }
    // SAFETY: statfs returned 0, so it initialised `buf`.
    let st = unsafe { buf.assume_init() };
    // `f_type` is a signed word on some targets: the magic numbers are 32-bit values.
    Some(i64::from(st.f_type as u32))
}

#[cfg(not(target_os = "linux"))]
fn statfs_type(_dir: &Path) -> Option<i64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_file_systems_are_told_by_their_magic_number() {
        assert_eq!(kind_of(0x6969), Some("NFS"));
        assert_eq!(kind_of(0xFF53_4D42), Some("CIFS"));
        assert_eq!(kind_of(0x6573_5546), Some("FUSE"));
        assert_eq!(kind_of(0x00C3_6400), Some("Ceph"));
        // ext4 and tmpfs are local.
        assert_eq!(kind_of(0xEF53), None);
        assert_eq!(kind_of(0x0102_1994), None);
    }

    #[test]
    fn a_temporary_directory_is_local() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert_eq!(network_file_system(dir.path()), None);
    }
}
