//! Every catalogue key the front ends use is in the English catalogue (and, by the unit test
//! in `tanto_core::wording`, in every other).

use std::collections::HashMap;
mod harness;
mod support;

use std::path::Path;

use support::rust_files;

/// The string literals passed first to `t(`, `tf(` or `said!(` (across a line break too).
fn keys_used(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    for call in ["t(", "tr(", "tf(", "text_in(lang, ", "said!("] {
        let mut rest = text;
        while let Some(i) = rest.find(call) {
            let before = rest[..i].chars().last();
            rest = &rest[i + call.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let arg = rest.trim_start();
            if let Some(lit) = arg.strip_prefix('"') {
                if let Some(end) = lit.find('"') {
                    let key = &lit[..end];
                    if key.contains('.') && !key.contains(' ') {
                        keys.push(key.to_string());
                    }
                }
            }
        }
    }
    keys
}

#[test]
fn every_key_the_front_ends_use_is_in_the_catalogue() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let en: HashMap<String, String> = toml::from_str(
        &std::fs::read_to_string(root.join("crates/tanto-core/src/wording/en.toml")).expect("en"),
    )
    .expect("en.toml parses");
    let mut files = rust_files(&root.join("src"));
    for krate in ["tanto-core", "tanto-mail", "tanto-app", "tanto-demo"] {
        files.extend(rust_files(&root.join("crates").join(krate).join("src")));
    }
    let mut used = 0;
    let mut missing = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for key in keys_used(&text) {
            used += 1;
            if !en.contains_key(&key) {
                missing.push(format!("{}: {key}", f.display()));
            }
        }
    }
    assert!(used > 30, "found only {used} uses");
    assert!(missing.is_empty(), "keys not in en.toml: {missing:#?}");
}
