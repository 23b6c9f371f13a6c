//! Which files to search, in which order: globs and directories expanded, rotated sets
//! (`app.log.3.gz app.log.2.gz app.log.1 app.log`, `app.log-20261121.gz app.log`) oldest first.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The inputs named on the command line, expanded. Names that matched nothing are kept with why.
#[derive(Debug, Default)]
pub struct Inputs {
    pub files: Vec<PathBuf>,
    pub missing: Vec<(String, String)>,
}

/// Expands each argument: a directory to the files in it, a glob to what it matches (when no
/// file has that literal name), anything else as given. Rotated sets come out oldest first;
/// unrelated files keep the order they were named in.
pub fn expand(args: &[String]) -> Inputs {
    let mut inputs = Inputs::default();
    let mut found = Vec::new();
    for arg in args {
        let path = Path::new(arg);
        if path.is_dir() {
            match std::fs::read_dir(path) {
                Ok(entries) => {
                    let mut files: Vec<PathBuf> =
                        entries.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_file()).collect();
                    files.sort();
                    found.extend(files);
                }
                Err(e) => inputs.missing.push((arg.clone(), e.to_string())),
            }
        } else if !path.exists() && arg.contains(['*', '?', '[']) {
            let matches: Vec<PathBuf> = match glob::glob(arg) {
                Ok(paths) => paths.filter_map(|p| p.ok()).filter(|p| p.is_file()).collect(),
                Err(e) => {
                    inputs.missing.push((arg.clone(), format!("bad glob: {e}")));
                    continue;
                }
            };
            if matches.is_empty() {
                inputs.missing.push((arg.clone(), "no file matches this pattern".into()));
            }
            found.extend(matches);
        } else {
            found.push(path.to_path_buf());
        }
    }
    let mut seen = std::collections::HashSet::new();
    found.retain(|p| seen.insert(p.clone()));
    inputs.files = order_rotated(found);
    inputs
}

/// Where a file sits in its rotated set.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Age {
    /// `app.log-20261121`: older dates first.
    Dated(u64),
    /// `app.log.3`: higher numbers are older.
    Numbered(std::cmp::Reverse<u64>),
    /// `app.log`: the live file, newest.
    Live,
}

/// The base name of a rotated file and its age: `app.log.2.gz` is (`app.log`, Numbered(2)).
fn rotation(path: &Path) -> (PathBuf, Age) {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    if let Some((base, suffix)) = name.rsplit_once(['.', '-'])
        && !base.is_empty()
        && !suffix.is_empty()
        && suffix.bytes().all(|b| b.is_ascii_digit())
    {
        // A date suffix (dateext) has 8 or more digits; a rotation number has few.
        let age = match suffix.parse::<u64>() {
            Ok(n) if suffix.len() >= 8 => Age::Dated(n),
            Ok(n) => Age::Numbered(std::cmp::Reverse(n)),
            Err(_) => Age::Live,
        };
        return (dir.join(base), age);
    }
    (dir.join(name), Age::Live)
}

/// Groups rotated files with their live file (in the order the groups were first named) and
/// orders each group oldest first.
fn order_rotated(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    let mut groups: Vec<(PathBuf, Vec<(Age, PathBuf)>)> = Vec::new();
    for path in paths {
        let (base, age) = rotation(&path);
        match groups.iter_mut().find(|(b, _)| *b == base) {
            Some((_, members)) => members.push((age, path)),
            None => groups.push((base, vec![(age, path)])),
        }
    }
    groups
        .into_iter()
        .flat_map(|(_, mut members)| {
            members.sort();
            members.into_iter().map(|(_, p)| p)
        })
        .collect()
}

/// The base of the rotated set a file belongs to, so that callers can tell neighbours apart.
pub fn rotation_base(path: &Path) -> PathBuf {
    rotation(path).0
}

/// Whether a stream starts with the gzip magic number.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// Reads up to `limit` bytes from the start of a reader (short only at its end).
pub fn read_prefix(reader: &mut dyn Read, limit: usize) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(limit.min(1 << 20));
    reader.take(limit as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_sets_come_oldest_first_and_groups_keep_their_order() {
        let names = ["b.log", "app.log", "app.log.1", "app.log.3.gz", "app.log.2.gz", "app.log-20261120.gz"];
        let ordered = order_rotated(names.iter().map(PathBuf::from).collect());
        let ordered: Vec<String> = ordered.iter().map(|p| p.display().to_string()).collect();
        assert_eq!(ordered, ["b.log", "app.log-20261120.gz", "app.log.3.gz", "app.log.2.gz", "app.log.1", "app.log"]);
    }
}
