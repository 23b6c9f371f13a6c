//! The dependency rule between layers (ARCHITECTURE.md, "Layers"), checked on the sources: a
//! lower layer that starts importing a higher one fails here, before it grows into a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::harness::rust_files;

/// The top-level modules of `src/` and the crate modules each one names (`crate::x`).
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).expect("under src");
        let module = relative.components().next().expect("a path").as_os_str().to_string_lossy();
        let module = module.trim_end_matches(".rs").to_string();
        let text = std::fs::read_to_string(&file).expect("read a source file");
        let names = graph.entry(module.clone()).or_default();
        for used in crate_paths(&text) {
            if used != module {
                names.insert(used);
            }
        }
    }
    graph
}

/// Every `x` in `crate::x` and in `crate::{x, y::z}`.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            found.extend(group.split(',').map(|part| ident(part.trim())).filter(|s| !s.is_empty()));
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

#[test]
fn model_and_store_never_import_context_or_the_layers_above() {
    let graph = imports();
    let forbidden = ["context", "commands", "ops", "walk", "cli", "notify", "sync"];
    for lower in ["model", "store"] {
        let bad: Vec<_> = graph[lower].iter().filter(|used| forbidden.contains(&used.as_str())).collect();
        assert!(bad.is_empty(), "src/{lower} imports {bad:?}: it must not know the layers above it");
    }
    let model_io: Vec<_> =
        graph["model"].iter().filter(|u| ["store", "output", "exec"].contains(&u.as_str())).collect();
    assert!(model_io.is_empty(), "src/model does no I/O but imports {model_io:?}");
}

#[test]
fn store_context_and_notify_import_each_other_without_a_cycle() {
    let graph = imports();
    let watched = ["store", "context", "notify"];
    // Depth-first search from each watched module, through watched modules only.
    for start in watched {
        let mut stack: Vec<Vec<&str>> = vec![vec![start]];
        while let Some(path) = stack.pop() {
            let last = *path.last().expect("non-empty");
            for next in graph.get(last).into_iter().flatten().filter(|n| watched.contains(&n.as_str())) {
                assert_ne!(next, start, "import cycle: {} -> {start}", path.join(" -> "));
                if !path.contains(&next.as_str()) {
                    let mut longer = path.clone();
                    longer.push(next);
                    stack.push(longer);
                }
            }
        }
    }
}

#[test]
fn the_import_scanner_sees_grouped_and_nested_paths() {
    // Without this the two tests above could pass by reading nothing.
    let found = crate_paths("use crate::{context::Context, store};\nlet x = crate::notify::send();");
    assert_eq!(found, BTreeSet::from(["context".to_string(), "notify".to_string(), "store".to_string()]));
    assert!(imports().get("context").is_some_and(|used| used.contains("store")));
}
