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
    vec![
        format!("*/timeline.jsonl merge={MERGE_DRIVER}"),
        // Append-only lines whose order means nothing: git's own union merge keeps both sides.
        format!("*/{} merge=union", super::DELIVERY_LOG_FILE),
    ]
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
    // The temporary files of a merge that was killed: never anyone's data.
    ".merge_file_*",
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

/// Removes the temporary files a killed merge left in the work tree (`.merge_file_XXXXXX`, git's
/// copies of a file's three versions for a merge driver). Returns their names.
pub fn remove_merge_leftovers(root: &Path) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    let entries = match fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(removed),
        Err(e) => return Err(Error::io("cannot list", root, &e)),
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".merge_file_") && entry.file_type().is_ok_and(|t| t.is_file()) {
            fs::remove_file(entry.path()).map_err(|e| Error::io("cannot remove", &entry.path(), &e))?;
            removed.push(name);
        }
    }
    removed.sort();
    Ok(removed)
}

/// Removes `.git/index.lock` when no process holds it: a git killed mid-command leaves it, and
/// every later git command that writes the index refuses to run while it is there. Held means
/// a process has it open, or a `git` process works in this repository (it may be about to
/// write it). Returns whether a lock was removed.
pub fn clear_stale_index_lock(root: &Path) -> Result<bool> {
    let lock = root.join(".git").join("index.lock");
    if !lock.exists() || index_lock_in_use(root, &lock) {
        return Ok(false);
    }
    match fs::remove_file(&lock) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io("cannot remove a stale lock", &lock, &e)),
    }
}

/// Whether any process we can see has `lock` open or is a `git` working in `root` (Linux's
/// `/proc`; where there is none, a lock younger than a minute counts as held).
fn index_lock_in_use(root: &Path, lock: &Path) -> bool {
    let Ok(processes) = fs::read_dir("/proc") else {
        let age = fs::metadata(lock).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
        return age.is_none_or(|age| age < std::time::Duration::from_secs(60));
    };
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let lock = lock.canonicalize().unwrap_or_else(|_| lock.to_path_buf());
    let own = std::process::id().to_string();
    processes.flatten().any(|process| {
        let pid = process.file_name();
        if !pid.to_string_lossy().bytes().all(|b| b.is_ascii_digit()) || pid.to_string_lossy() == own {
            return false;
        }
        let dir = process.path();
        let is_git = fs::read_to_string(dir.join("comm")).is_ok_and(|c| c.trim().starts_with("git"));
        if is_git && fs::read_link(dir.join("cwd")).is_ok_and(|cwd| cwd.starts_with(&root)) {
            return true;
        }
        fs::read_dir(dir.join("fd"))
            .is_ok_and(|fds| fds.flatten().any(|fd| fs::read_link(fd.path()).is_ok_and(|t| t == lock)))
    })
}
