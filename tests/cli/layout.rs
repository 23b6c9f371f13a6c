//! The shape of this test binary itself.

use std::path::{Path, PathBuf};

use crate::harness::{read, rust_files};

const ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/cli");

/// Prevents a test file that never runs: cargo builds only `main.rs` and the modules it
/// declares, so a `.rs` file added here without a `mod` line compiles into nothing and its
/// tests pass by not existing.
#[test]
fn every_file_under_tests_cli_is_a_module_of_the_test_binary() {
    let mut orphans = Vec::new();
    for file in rust_files(Path::new(ROOT)) {
        let Some((parent, name)) = declared_by(&file) else { continue };
        let declares = parent.is_file() && declares_module(&read(&parent), &name);
        if !declares {
            orphans.push(format!("{} (no `mod {name};` in {})", file.display(), parent.display()));
        }
    }
    assert!(orphans.is_empty(), "not compiled into the test binary:\n{}", orphans.join("\n"));
}

/// The file that must declare `file` as a module, and the module's name; `None` for the root.
fn declared_by(file: &Path) -> Option<(PathBuf, String)> {
    let dir = file.parent()?;
    let stem = file.file_stem()?.to_str()?.to_string();
    if dir == Path::new(ROOT) {
        return (stem != "main").then(|| (dir.join("main.rs"), stem));
    }
    if stem == "mod" {
        // `dir/mod.rs` is declared by the folder that holds `dir`.
        let name = dir.file_name()?.to_str()?.to_string();
        let outer = dir.parent()?;
        let root = if outer == Path::new(ROOT) { outer.join("main.rs") } else { outer.join("mod.rs") };
        return Some((root, name));
    }
    let sibling = dir.with_extension("rs");
    Some((if sibling.is_file() { sibling } else { dir.join("mod.rs") }, stem))
}

fn declares_module(source: &str, name: &str) -> bool {
    source.lines().map(str::trim).any(|line| {
        let line = line.strip_prefix("pub ").or_else(|| line.strip_prefix("pub(crate) ")).unwrap_or(line);
        line.strip_prefix("mod ").and_then(|rest| rest.strip_suffix(';')).map(str::trim) == Some(name)
    })
}

#[test]
fn the_module_check_sees_a_missing_declaration() {
    assert!(declares_module("mod grep;\npub mod http;\n", "http"));
    assert!(!declares_module("mod grep;\n// mod http;\n", "http"));
    assert!(!declares_module("mod grepper;\n", "grep"));
}
