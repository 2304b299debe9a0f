//! The domain core stays free of I/O: no network, database, terminal or file access. Its
//! manifest keeps the I/O crates out (`tests/layers.rs`); this holds the standard library's
//! I/O modules, which the compiler cannot.

use std::path::Path;

mod harness;
mod support;

#[test]
fn core_uses_no_io_crates_or_modules() {
    let forbidden = ["std::fs", "std::net", "std::process"];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/tanto-core/src");
    let mut checked = 0;
    for path in support::rust_files(&dir) {
        let text = std::fs::read_to_string(&path).expect("read");
        for (n, line) in text.lines().enumerate() {
            let l = line.trim_start();
            if !(l.starts_with("use ") || l.starts_with("pub use ")) {
                continue;
            }
            for f in forbidden {
                let hit = l.contains(&format!("use {f}::"))
                    || l.contains(&format!("{f}::"))
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
