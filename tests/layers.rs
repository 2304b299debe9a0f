//! Dependencies point one way: front ends (cli, tui) -> app -> core, imap, cache, mime.
//! Below the front ends nothing prints and nothing reaches back up.

mod harness;
mod support;

use std::path::{Path, PathBuf};

use support::rust_files;

/// Every non-comment line of the library below the front ends.
fn below_front_ends() -> Vec<(PathBuf, usize, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = rust_files(&src);
    let mut lines = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).expect("under src").to_path_buf();
        let top = rel.components().next().map(|c| c.as_os_str().to_owned());
        if matches!(
            top.as_deref().and_then(|t| t.to_str()),
            Some("cli" | "tui" | "main.rs")
        ) {
            continue;
        }
        // Unit-test files may print what they measured.
        if rel.to_string_lossy().ends_with("_tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        for (n, line) in text.lines().enumerate() {
            let l = line.trim_start();
            // A file's unit tests (at its end) may print what they measured.
            if l.starts_with("#[cfg(test)]") {
                break;
            }
            if !l.starts_with("//") {
                lines.push((rel.clone(), n + 1, line.to_string()));
            }
        }
    }
    assert!(lines.len() > 1000, "expected the library's sources");
    lines
}

#[test]
fn nothing_below_the_front_ends_imports_them() {
    for (file, n, line) in below_front_ends() {
        assert!(
            !line.contains("crate::cli") && !line.contains("crate::tui"),
            "{}:{n}: {line}",
            file.display()
        );
    }
}

#[test]
fn nothing_below_the_front_ends_prints() {
    for (file, n, line) in below_front_ends() {
        for mac in ["println!", "eprintln!", "print!(", "eprint!("] {
            assert!(!line.contains(mac), "{}:{n}: {line}", file.display());
        }
    }
}

#[test]
fn the_terminal_ui_does_not_reach_into_the_command_line() {
    let tui = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui");
    for f in rust_files(&tui) {
        let text = std::fs::read_to_string(&f).expect("read");
        for (n, line) in text.lines().enumerate() {
            assert!(
                !line.contains("crate::cli"),
                "{}:{}: {line}",
                f.display(),
                n + 1
            );
        }
    }
}
