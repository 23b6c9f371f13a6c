//! `include:`: shared checks (and variables with their defaults) from other files, merged into
//! a runbook before it is checked, so that one HTTP health block serves several runbooks.
//!
//! A path is relative to the file that names it and must stay inside the including runbook's
//! folder (no absolute path, no `..` above it, no symbolic link out of it): a runbook cannot read files elsewhere on the
//! machine. A shipped runbook includes from the shared blocks shipped beside it ([`SHARED`]).
//! Cycles and a check id defined twice are problems at their file, line and column.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_saphyr::Location;

use super::load::{Problem, Source, problem_at, yaml_problem};
use super::schema::{IncludeFile, RunbookFile, Text};

/// The shared blocks shipped with the library, by their path under `runbooks/`.
pub const SHARED: &[(&str, &str)] =
    &[("common/http-health.yaml", include_str!("../../runbooks/common/http-health.yaml"))];

/// One included file, read and parsed.
#[derive(Debug)]
pub(super) struct Included {
    pub source: Source,
    pub file: IncludeFile,
    /// Its path under the runbook's folder (`common/http-health.yaml`): what `runbook show` names.
    pub key: String,
}

/// Where includes are read from: the shipped blocks, or the including runbook's folder.
enum Root {
    Shipped,
    Dir(PathBuf),
}

/// Every file `file` includes, directly or not, each once, in the order first named.
pub(super) fn resolve(top: &Source, file: &RunbookFile) -> (Vec<Included>, Vec<Problem>) {
    let (root, top_key) = match top.path.strip_prefix("builtin:") {
        Some(name) => (Root::Shipped, name.to_string()),
        None => {
            let path = Path::new(&top.path);
            let dir = path.parent().map_or_else(PathBuf::new, Path::to_path_buf);
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            (Root::Dir(dir), name)
        }
    };
    let mut resolver = Resolver { root, included: Vec::new(), problems: Vec::new(), seen: BTreeSet::new() };
    resolver.seen.insert(top_key.clone());
    resolver.walk(top, &file.include, &mut vec![top_key]);
    (resolver.included, resolver.problems)
}

struct Resolver {
    root: Root,
    included: Vec<Included>,
    problems: Vec<Problem>,
    seen: BTreeSet<String>,
}

impl Resolver {
    /// Follows `includes`, named in `from`; `chain` is the keys from the runbook down to `from`.
    fn walk(&mut self, from: &Source, includes: &[Text], chain: &mut Vec<String>) {
        let from_key = chain.last().cloned().unwrap_or_default();
        for include in includes {
            let at = include.referenced;
            let key = match join(&from_key, &include.value) {
                Ok(key) => key,
                Err(why) => {
                    self.report(from, at, format!("include {:?}: {why}", include.value));
                    continue;
                }
            };
            if let Some(pos) = chain.iter().position(|k| *k == key) {
                let cycle: Vec<&str> = chain[pos..].iter().map(String::as_str).chain([key.as_str()]).collect();
                self.report(from, at, format!("include cycle: {}", cycle.join(" → ")));
                continue;
            }
            if !self.seen.insert(key.clone()) {
                continue; // included twice along two paths: its checks once
            }
            let source = match self.read(&key) {
                Ok(source) => source,
                Err(why) => {
                    self.report(from, at, format!("include {:?}: {why}", include.value));
                    continue;
                }
            };
            let file: IncludeFile = match serde_saphyr::from_str(&source.text) {
                Ok(file) => file,
                Err(err) => {
                    self.problems.push(yaml_problem(&source, &err));
                    continue;
                }
            };
            let nested = file.include.clone();
            self.included.push(Included { source: source.clone(), file, key: key.clone() });
            chain.push(key);
            self.walk(&source, &nested, chain);
            chain.pop();
        }
    }

    /// The file keyed `key`, or why it cannot be read. A symbolic link may not lead out of the
    /// runbook's folder either: its target is checked, not only the name.
    fn read(&self, key: &str) -> Result<Source, String> {
        let missing = || format!("no such file ({key} in the runbook's folder)");
        match &self.root {
            Root::Shipped => SHARED
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(k, text)| Source { path: format!("builtin:{k}"), text: (*text).to_string() })
                .ok_or_else(missing),
            Root::Dir(dir) => {
                let path = dir.join(key);
                let folder = if dir.as_os_str().is_empty() { Path::new(".") } else { dir.as_path() };
                let (Ok(real), Ok(inside)) = (std::fs::canonicalize(&path), std::fs::canonicalize(folder)) else {
                    return Err(missing());
                };
                if !real.starts_with(&inside) {
                    return Err("a symbolic link leads out of the runbook's folder".to_string());
                }
                let text = crate::text_file::read_whole(&path).map_err(|e| e.to_string())?;
                Ok(Source { path: path.display().to_string(), text })
            }
        }
    }

    fn report(&mut self, source: &Source, at: Location, message: String) {
        self.problems.push(problem_at(source, at.line(), at.column(), message));
    }
}

/// The key of `path` named in the file keyed `from`: relative to that file's folder, and
/// inside the root.
fn join(from: &str, path: &str) -> Result<String, &'static str> {
    if path.is_empty() {
        return Err("an empty path");
    }
    if path.starts_with('/') || path.starts_with('\\') || Path::new(path).is_absolute() {
        return Err("an absolute path: name a file in the runbook's folder, relative to this file");
    }
    let mut parts: Vec<&str> = from.split('/').collect();
    parts.pop(); // the file's own name
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("`..` leads out of the runbook's folder");
                }
            }
            part => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}

/// Merges the included variables and checks into `file`: a variable the runbook (or an
/// earlier include) declares keeps that declaration, so a runbook can change a shared default;
/// a check id defined twice is a problem at the second place, naming the first. Returns, for
/// each included check and variable, the file it came from.
pub(super) fn merge(
    top: &Source,
    file: &mut RunbookFile,
    included: &[Included],
) -> (BTreeMap<String, usize>, BTreeMap<String, usize>, Vec<Problem>) {
    let mut problems = Vec::new();
    let mut check_from = BTreeMap::new();
    let mut var_from = BTreeMap::new();
    let mut defined: BTreeMap<String, (String, Location)> =
        file.observe.iter().map(|c| (c.id.value.clone(), (top.path.clone(), c.id.referenced))).collect();
    let mut checks = Vec::new();
    for (index, inc) in included.iter().enumerate() {
        for (name, spec) in &inc.file.vars {
            if !file.vars.contains_key(name) {
                file.vars.insert(name.clone(), spec.clone());
                var_from.insert(name.clone(), index);
            }
        }
        for check in &inc.file.observe {
            let id = &check.id;
            if let Some((path, first)) = defined.get(&id.value) {
                let message = format!(
                    "check `{}` is defined twice: here and at {path}:{}:{}",
                    id.value,
                    first.line(),
                    first.column()
                );
                problems.push(problem_at(&inc.source, id.referenced.line(), id.referenced.column(), message));
                continue;
            }
            defined.insert(id.value.clone(), (inc.source.path.clone(), id.referenced));
            check_from.insert(id.value.clone(), index);
            checks.push(check.clone());
        }
    }
    // Shared checks first: they are the runbook's foundation, and its own may read them.
    checks.append(&mut file.observe);
    file.observe = checks;
    (check_from, var_from, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_paths_stay_inside_the_runbook_folder() {
        assert_eq!(join("http-5xx.yaml", "common/h.yaml"), Ok("common/h.yaml".to_string()));
        assert_eq!(join("common/h.yaml", "../other.yaml"), Ok("other.yaml".to_string()));
        assert_eq!(join("common/h.yaml", "./more/x.yaml"), Ok("common/more/x.yaml".to_string()));
        assert!(join("a.yaml", "../etc/passwd").is_err());
        assert!(join("a.yaml", "/etc/passwd").is_err());
        assert!(join("common/h.yaml", "../../x.yaml").is_err());
    }
}
