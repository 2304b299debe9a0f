//! The domain core stays free of I/O: no network, database, terminal or file access.

use std::path::Path;

#[test]
fn core_uses_no_io_crates_or_modules() {
    let forbidden = [
        "imap",
        "imap_proto",
        "rusqlite",
        "lettre",
        "ratatui",
        "crossterm",
        "native_tls",
        "std::fs",
        "std::net",
        "std::process",
        "crate::cache",
        "crate::imap",
        "crate::cli",
        "crate::config",
        "crate::mime",
    ];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("src/core exists") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        for (n, line) in text.lines().enumerate() {
            let l = line.trim_start();
            if !(l.starts_with("use ") || l.starts_with("pub use ")) {
                continue;
            }
            for f in forbidden {
                let hit = l.contains(&format!("use {f}::"))
                    || l.contains(&format!("use {f};"))
                    || l.contains(&format!(" {f}::{{"));
                assert!(
                    !hit,
                    "{}:{}: core must not use {f}: {line}",
                    path.display(),
                    n + 1
                );
            }
        }
        checked += 1;
    }
    assert!(
        checked >= 5,
        "expected the core modules in {}",
        dir.display()
    );
}
