//! The dependency rule between layers, read from the sources: the runbook format and the probe
//! engine never import each other (what both need lives in the leaf `expr`, in `model` and in
//! `ssh`; `ops::prepare` is the one place that turns a runbook's checks into probe checks).

use std::path::Path;

use crate::harness::{read, rust_files};

/// Each place a file under `src/<from>` names `crate::<to>` (directly or in a `crate::{...}`
/// group), as `path:line`, comments left out.
fn imports_of(from: &str, to: &str) -> Vec<String> {
    let direct = regex::Regex::new(&format!(r"\bcrate::{to}\b")).expect("pattern");
    let grouped = regex::Regex::new(&format!(r"\bcrate::\{{[^}}]*\b{to}\b")).expect("pattern");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(from);
    let mut found = Vec::new();
    let mut files = rust_files(&root);
    files.sort();
    for file in files {
        let text = read(&file);
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
