//! The dependency rule between layers, read from the sources: the runbook format and the probe
//! engine never import each other (what both need lives in the leaf `expr`, in `model` and in
//! `ssh`; `ops::prepare` is the one place that turns a runbook's checks into probe checks).

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Each place a file under `src/<from>` names `crate::<to>` (directly or in a `crate::{...}`
/// group), as `path:line`, comments left out.
fn imports_of(from: &str, to: &str) -> Vec<String> {
    let direct = regex::Regex::new(&format!(r"\bcrate::{to}\b")).expect("pattern");
    let grouped = regex::Regex::new(&format!(r"\bcrate::\{{[^}}]*\b{to}\b")).expect("pattern");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(from);
    let mut found = Vec::new();
    for file in rust_files(&root) {
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if direct.is_match(code) || grouped.is_match(code) {
                found.push(format!("{}:{}", file.display(), n + 1));
            }
        }
    }
    found
}

#[test]
fn the_probe_engine_never_imports_the_runbook_format() {
    let found = imports_of("probe", "runbook");
    assert!(found.is_empty(), "src/probe imports crate::runbook at {found:#?}");
}

#[test]
fn the_runbook_format_never_imports_the_probe_engine() {
    let found = imports_of("runbook", "probe");
    assert!(found.is_empty(), "src/runbook imports crate::probe at {found:#?}");
}

#[test]
fn the_expression_leaf_imports_neither() {
    for to in ["probe", "runbook", "model", "ops"] {
        let found = imports_of("expr", to);
        assert!(found.is_empty(), "src/expr imports crate::{to} at {found:#?}");
    }
}
