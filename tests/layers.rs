//! Dependencies point one way: the front ends (the `tanto` crate: cli, tui, i18n) -> the
//! application layer (`tanto-app`) -> the mail layer (`tanto-mail`) -> the pure domain
//! (`tanto-core`). The crates' manifests make the compiler hold that; these tests hold what
//! it cannot: nothing below the front ends prints, the TUI does not reach into the CLI, the
//! lower crates name no crate above them, and no crate has an import circle between its
//! modules.

mod harness;
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use support::rust_files;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The crates of the workspace below the front ends, lowest first.
const LOWER: [&str; 4] = ["tanto-core", "tanto-mail", "tanto-app", "tanto-demo"];

/// Every non-comment line of the crates below the front ends, unit tests left out.
fn below_front_ends() -> Vec<(PathBuf, usize, String)> {
    let mut lines = Vec::new();
    for krate in LOWER {
        for f in rust_files(&root().join("crates").join(krate).join("src")) {
            // Unit-test files may print what they measured.
            if f.to_string_lossy().ends_with("_tests.rs") {
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
                    lines.push((f.clone(), n + 1, line.to_string()));
                }
            }
        }
    }
    assert!(lines.len() > 1000, "expected the library's sources");
    lines
}

#[test]
fn nothing_below_the_front_ends_prints() {
    for (file, n, line) in below_front_ends() {
        for mac in ["println!", "eprintln!", "print!(", "eprint!("] {
            assert!(!line.contains(mac), "{}:{n}: {line}", file.display());
        }
    }
}

/// The `[dependencies]` a crate's manifest names.
fn dependencies(krate: &str) -> BTreeSet<String> {
    let path = root().join("crates").join(krate).join("Cargo.toml");
    let text = std::fs::read_to_string(&path).expect("read the manifest");
    let manifest: toml::Table = toml::from_str(&text).expect("the manifest parses");
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default()
}

/// A crate names only crates below it; the domain no I/O crate at all.
#[test]
fn each_crate_depends_only_on_the_layers_below_it() {
    for (i, krate) in LOWER.iter().enumerate() {
        let deps = dependencies(krate);
        for above in LOWER[i + 1..].iter().chain(["tanto"].iter()) {
            assert!(
                !deps.contains(*above),
                "{krate} depends on {above}: {deps:?}"
            );
        }
    }
    let core = dependencies("tanto-core");
    for io in [
        "imap",
        "imap-proto",
        "rusqlite",
        "lettre",
        "ratatui",
        "crossterm",
        "native-tls",
        "ureq",
    ] {
        assert!(!core.contains(io), "tanto-core depends on {io}");
    }
    // The demo (and the test server under it) stays out of the application layer.
    assert!(!dependencies("tanto-app").contains("tanto-devserver"));
}

#[test]
fn the_terminal_ui_does_not_reach_into_the_command_line() {
    for f in rust_files(&root().join("src/tui")) {
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

/// The top modules of the crate at `src` (a file, or a directory with its `mod.rs`) and the
/// sibling modules each one names (`crate::x`, or `super::x` in a file at the top), tests
/// left out.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut texts: BTreeMap<String, (String, String)> = Default::default();
    for f in rust_files(src) {
        let rel = f.strip_prefix(src).expect("under src");
        let first = rel
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default()
            .trim_end_matches(".rs")
            .to_string();
        if first == "lib" || first == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&f).expect("read");
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let entry = texts.entry(first).or_default();
        entry.0.push_str(code);
        if rel.components().count() == 1 {
            entry.1.push_str(code);
        }
    }
    let names: BTreeSet<String> = texts.keys().cloned().collect();
    let named_in = |text: &str, prefix: &str, m: &str, into: &mut BTreeSet<String>| {
        for (i, _) in text.match_indices(prefix) {
            if text[..i]
                .chars()
                .last()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
            {
                continue;
            }
            let word: String = text[i + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if names.contains(&word) && word != m {
                into.insert(word);
            }
        }
    };
    texts
        .iter()
        .map(|(m, (all, top))| {
            let mut named = BTreeSet::new();
            named_in(all, "crate::", m, &mut named);
            named_in(top, "super::", m, &mut named);
            (m.clone(), named)
        })
        .collect()
}

/// Every way back to where it started in `graph`, as "a -> b -> a".
fn circles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<String> {
    let mut found = Vec::new();
    for start in graph.keys() {
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut seen = BTreeSet::new();
        while let Some((at, path)) = stack.pop() {
            for next in &graph[&at] {
                if next == start {
                    found.push(format!("{} -> {start}", path.join(" -> ")));
                } else if seen.insert(next.clone()) {
                    let mut p = path.clone();
                    p.push(next.clone());
                    stack.push((next.clone(), p));
                }
            }
        }
    }
    found
}

/// No crate has an import circle between its top modules: each calls only down (issue 22:
/// in the application layer a notice named the outbox, the outbox acted, acting retried,
/// retrying noticed; the sync ran the outbox, which synced and acted). Wording what the
/// application layer produces goes through the leaf `outcome`; what follows a sync runs from
/// `after_sync`.
#[test]
fn no_crate_has_an_import_circle() {
    let mut all = Vec::new();
    let mut srcs: Vec<PathBuf> = LOWER
        .iter()
        .map(|k| root().join("crates").join(k).join("src"))
        .collect();
    srcs.push(root().join("src"));
    for src in &srcs {
        let graph = module_graph(src);
        assert!(graph.len() >= 3, "modules of {}: {graph:?}", src.display());
        all.extend(
            circles(&graph)
                .into_iter()
                .map(|c| format!("{}: {c}", src.display())),
        );
    }
    assert!(all.is_empty(), "import circles:\n{}", all.join("\n"));
    let app = module_graph(&root().join("crates/tanto-app/src"));
    assert!(
        app.contains_key("outcome") && app["outcome"].is_empty(),
        "{app:?}"
    );
}

/// The graph sees a circle where there is one (the test above cannot pass by seeing nothing).
#[test]
fn the_circle_check_finds_a_planted_circle() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("a.rs"), "use crate::b::X;\n").expect("write");
    std::fs::create_dir(dir.path().join("b")).expect("mkdir");
    std::fs::write(dir.path().join("b/mod.rs"), "mod inner;\n").expect("write");
    std::fs::write(dir.path().join("b/inner.rs"), "fn f() { crate::c::g() }\n").expect("write");
    std::fs::write(dir.path().join("c.rs"), "use super::a;\n").expect("write");
    let graph = module_graph(dir.path());
    assert_eq!(circles(&graph).len(), 3, "{graph:?}");
}
