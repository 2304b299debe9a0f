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

/// The modules of the application layer (a file, or a directory with its `mod.rs`) and the
/// sibling modules each one names (`super::x` or `crate::app::x`), tests left out.
fn app_module_graph() -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app");
    let mut texts: std::collections::BTreeMap<String, String> = Default::default();
    for f in rust_files(&app) {
        let rel = f.strip_prefix(&app).expect("under app");
        let first = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default()
            .trim_end_matches(".rs")
            .to_string();
        if first == "mod" {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        texts.entry(first).or_default().push_str(code);
    }
    let names: std::collections::BTreeSet<String> = texts.keys().cloned().collect();
    texts
        .iter()
        .map(|(m, text)| {
            let mut named = std::collections::BTreeSet::new();
            for prefix in ["super::", "crate::app::"] {
                for (i, _) in text.match_indices(prefix) {
                    let rest = &text[i + prefix.len()..];
                    let word: String = rest
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    if names.contains(&word) && word != *m {
                        named.insert(word);
                    }
                }
            }
            (m.clone(), named)
        })
        .collect()
}

/// The application layer has no import circle: each module calls only down (issue 22: a
/// notice named the outbox, the outbox acted, acting retried, retrying noticed; the sync ran
/// the outbox, which synced and acted). Wording what a module produces goes through the leaf
/// `outcome`; what follows a sync runs from `after_sync`.
#[test]
fn the_application_layer_has_no_import_circle() {
    let graph = app_module_graph();
    let mut circles = Vec::new();
    for start in graph.keys() {
        // Depth-first from each module, looking for a way back to it.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = std::collections::BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in &graph[&at] {
                if next == start {
                    circles.push(format!("{} -> {start}", path.join(" -> ")));
                } else if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles in src/app:\n{}",
        circles.join("\n")
    );
    assert!(
        graph.contains_key("outcome") && graph["outcome"].is_empty(),
        "{graph:?}"
    );
}
