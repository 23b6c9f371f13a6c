//! The files that make a store a git repository that merges well: which files the merge
//! driver handles, and which files stay on each responder's machine.

use std::fs;
use std::path::Path;

use crate::error::{Error, Result};

/// The merge driver's name in `.gitattributes` and in git's config (`merge.<name>.driver`).
pub const MERGE_DRIVER: &str = "incident-timeline";

const GITATTRIBUTES: &str = ".gitattributes";
const GITIGNORE: &str = ".gitignore";

/// Lines the store's `.gitattributes` must hold.
fn attribute_lines() -> Vec<String> {
    vec![format!("*/timeline.jsonl merge={MERGE_DRIVER}")]
}

/// Lines the store's `.gitignore` must hold, each with why.
const IGNORED: &[&str] = &[
    // Which incident is current is each responder's own choice.
    "/current",
    // Temporary files: an artifact being written, the current pointer being replaced.
    ".partial-*",
    "*.tmp",
    // Torn tails set aside after a crash on this machine: kept here, not shared, since every
    // clone numbers its own from 1 and two would collide.
    "*.torn-*",
    // Notifications queued on this machine: another clone sending them too would notify twice.
    "/outbox/",
    // Alerts this machine's receiver acknowledged and has not recorded yet.
    "/inbox/",
];

/// Makes sure `.gitattributes` and `.gitignore` at the store's root hold our lines, adding any
/// that are missing and keeping whatever else is there. Returns the files it changed.
pub fn write_git_files(root: &Path) -> Result<Vec<&'static str>> {
    fs::create_dir_all(root).map_err(|e| Error::io("cannot create the store", root, &e))?;
    let mut changed = Vec::new();
    let ignored: Vec<String> = IGNORED.iter().map(ToString::to_string).collect();
    for (name, lines) in [(GITATTRIBUTES, attribute_lines()), (GITIGNORE, ignored)] {
        let path = root.join(name);
        let mut text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::io("cannot read", &path, &e)),
        };
        let missing: Vec<&String> = lines.iter().filter(|l| !text.lines().any(|have| have.trim() == *l)).collect();
        if missing.is_empty() {
            continue;
        }
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        for line in missing {
            text.push_str(line);
            text.push('\n');
        }
        fs::write(&path, text).map_err(|e| Error::io("cannot write", &path, &e))?;
        changed.push(name);
    }
    Ok(changed)
}
