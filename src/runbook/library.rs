//! Where runbooks come from: a folder given with `--runbooks DIR`, `./runbooks`, and the library
//! shipped inside the binary. A file on disk overrides a shipped runbook of the same name.

use std::path::{Path, PathBuf};

use super::{Problem, Runbook, Source, load};
use crate::config::ConfigFile;
use crate::error::{Error, Result};

/// The shipped library: (name, YAML), embedded at build time.
pub const SHIPPED: &[(&str, &str)] = &[
    ("http-5xx", include_str!("../../runbooks/http-5xx.yaml")),
    ("db-primary-down", include_str!("../../runbooks/db-primary-down.yaml")),
    ("disk-full", include_str!("../../runbooks/disk-full.yaml")),
    ("oom", include_str!("../../runbooks/oom.yaml")),
    ("bad-deploy", include_str!("../../runbooks/bad-deploy.yaml")),
    ("expired-credentials", include_str!("../../runbooks/expired-credentials.yaml")),
    ("config-not-reloaded", include_str!("../../runbooks/config-not-reloaded.yaml")),
    ("tls-cert-expired", include_str!("../../runbooks/tls-cert-expired.yaml")),
    ("proxy-upstream-errors", include_str!("../../runbooks/proxy-upstream-errors.yaml")),
    ("postgres-replication", include_str!("../../runbooks/postgres-replication.yaml")),
    ("redis-memory", include_str!("../../runbooks/redis-memory.yaml")),
    ("etcd-no-leader", include_str!("../../runbooks/etcd-no-leader.yaml")),
    ("kube-pod-crashlooping", include_str!("../../runbooks/kube-pod-crashlooping.yaml")),
    ("kube-deployment-replicas", include_str!("../../runbooks/kube-deployment-replicas.yaml")),
    ("kube-node-not-ready", include_str!("../../runbooks/kube-node-not-ready.yaml")),
    ("kube-pv-filling", include_str!("../../runbooks/kube-pv-filling.yaml")),
    ("retry-storm", include_str!("../../runbooks/retry-storm.yaml")),
    ("restore-from-backup", include_str!("../../runbooks/restore-from-backup.yaml")),
    ("drill-bad-deploy", include_str!("../../runbooks/drill-bad-deploy.yaml")),
    ("drill-config-not-reloaded", include_str!("../../runbooks/drill-config-not-reloaded.yaml")),
    ("drill-retry-storm", include_str!("../../runbooks/drill-retry-storm.yaml")),
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    File(PathBuf),
}

/// One runbook found, not yet loaded.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub origin: Origin,
}

/// The runbooks visible from here, in order of precedence.
#[derive(Debug, Clone)]
pub struct Catalog {
    dirs: Vec<PathBuf>,
}

impl Catalog {
    /// Searches `explicit` (`--runbooks DIR`), then the `runbooks` folder named by the nearest
    /// `incident.toml`, then `./runbooks`, then the shipped library. The first two must exist.
    pub fn new(explicit: Option<&Path>) -> Result<Catalog> {
        let mut dirs = Vec::new();
        if let Some(dir) = explicit {
            if !dir.is_dir() {
                return Err(Error::usage(format!("--runbooks {}: not a directory", dir.display())));
            }
            dirs.push(dir.to_path_buf());
        }
        if let Some((config, dir)) = configured_dir()? {
            if !dir.is_dir() {
                return Err(Error::runtime(format!(
                    "{}: runbooks = {:?} is not a directory",
                    config.display(),
                    dir.display()
                )));
            }
            dirs.push(dir);
        }
        let local = PathBuf::from("runbooks");
        if local.is_dir() && !dirs.iter().any(|d| same_dir(d, &local)) {
            dirs.push(local);
        }
        Ok(Catalog { dirs })
    }

    /// Every runbook by name, the first found winning; sorted by name.
    pub fn entries(&self) -> Vec<Entry> {
        let mut entries: Vec<Entry> = Vec::new();
        for dir in &self.dirs {
            for path in yaml_files(dir) {
                let name = stem(&path);
                if !entries.iter().any(|e| e.name == name) {
                    entries.push(Entry { name, origin: Origin::File(path) });
                }
            }
        }
        for (name, _) in SHIPPED {
            if !entries.iter().any(|e| e.name == *name) {
                entries.push(Entry { name: (*name).to_string(), origin: Origin::Builtin });
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        entries
    }

    /// Reads a runbook by name, or by path when `name_or_path` names a file.
    pub fn source(&self, name_or_path: &str) -> Result<(String, Source)> {
        let path = Path::new(name_or_path);
        if name_or_path.contains('/') || name_or_path.ends_with(".yaml") || name_or_path.ends_with(".yml") {
            return read_source(path).map(|s| (stem(path), s));
        }
        match self.entries().into_iter().find(|e| e.name == name_or_path) {
            Some(Entry { name, origin: Origin::File(path) }) => read_source(&path).map(|s| (name, s)),
            Some(Entry { name, origin: Origin::Builtin }) => Ok((
                name.clone(),
                builtin_source(&name).unwrap_or_else(|| Source { path: name.clone(), text: String::new() }),
            )),
            None => {
                let names: Vec<String> = self.entries().into_iter().map(|e| e.name).collect();
                let hint = match super::did_you_mean(name_or_path, names.iter().map(String::as_str)) {
                    Some(close) => format!("did you mean {close}? (`incident runbook list` shows them all)"),
                    None => "`incident runbook list` shows the runbooks there are".to_string(),
                };
                Err(Error::not_found(format!("no runbook named {name_or_path:?}")).with_hint(hint))
            }
        }
    }

    /// Reads and loads a runbook; problems become one runtime error listing them.
    pub fn load(&self, name_or_path: &str) -> Result<Runbook> {
        let (name, source) = self.source(name_or_path)?;
        load(&source, &name).map_err(|problems| problems_error(&problems))
    }
}

/// The `runbooks` entry of the nearest `incident.toml` (the file that also names the store),
/// relative to that file's folder, with the file's path.
fn configured_dir() -> Result<Option<(PathBuf, PathBuf)>> {
    Ok(ConfigFile::nearest()?.and_then(|file| Some((file.path.clone(), file.runbooks_dir()?))))
}

/// One error carrying every problem, each with its place and snippet.
pub fn problems_error(problems: &[Problem]) -> Error {
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    Error::runtime(text.join("\n")).with_hint("`incident runbook lint PATH` checks a runbook without running it")
}

pub(crate) fn builtin_source(name: &str) -> Option<Source> {
    SHIPPED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(n, text)| Source { path: format!("builtin:{n}.yaml"), text: (*text).to_string() })
}

pub(crate) fn read_source(path: &Path) -> Result<Source> {
    let text = crate::text_file::read_whole(path).map_err(|e| Error::io("cannot read runbook", path, &e))?;
    Ok(Source { path: path.display().to_string(), text })
}

/// `*.yaml` and `*.yml` in a folder, sorted.
pub(crate) fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every prefix and many one-character corruptions of real runbooks: the loader reports
    /// problems, it never panics.
    #[test]
    fn damaged_runbooks_never_panic_the_loader() {
        for (name, text) in SHIPPED {
            let cuts = text.char_indices().map(|(i, _)| i).step_by(17);
            for cut in cuts {
                let _ = load(&Source { path: "cut.yaml".into(), text: text[..cut].to_string() }, name);
            }
            for (i, (at, _)) in text.char_indices().enumerate().filter(|(i, _)| i % 31 == 0) {
                let replacement = ["{", "]", ":", "\"", "'", "\t", "\n  - ", "{{", "%", "&a", "*a", "!!"][i % 12];
                let mut damaged = text.to_string();
                let end = damaged[at..].chars().next().map_or(at, |c| at + c.len_utf8());
                damaged.replace_range(at..end, replacement);
                let _ = load(&Source { path: "damaged.yaml".into(), text: damaged }, name);
            }
        }
    }

    #[test]
    fn every_shipped_runbook_passes_lint() {
        assert!(SHIPPED.len() >= 10);
        for (name, _) in SHIPPED {
            let source = builtin_source(name).unwrap_or_else(|| panic!("{name} missing"));
            if let Err(problems) = load(&source, name) {
                let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
                panic!("{name}:\n{}", text.join("\n"));
            }
        }
    }
}
