//! `incident.toml`: the one place that finds it (from the current directory upwards), reads it,
//! and checks it, once per process. Errors name the file, line and column.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::notify::Webhook;

/// The configuration file looked for from the current directory upwards.
pub const CONFIG_FILE: &str = "incident.toml";

/// The nearest `incident.toml`, read and checked.
#[derive(Debug)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub config: Config,
}

/// What `incident.toml` may say. Unknown keys are ignored (a newer version's settings).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Config {
    /// The store, relative to the file's folder.
    pub store: Option<PathBuf>,
    /// A folder of runbooks, relative to the file's folder.
    pub runbooks: Option<PathBuf>,
    /// The service catalog's folder, relative to the file's folder.
    pub services: Option<PathBuf>,
    pub sync: Option<SyncConfig>,
    #[serde(default)]
    pub notify: Vec<Webhook>,
}

/// `[sync]` in `incident.toml`: the store is a git repository shared through `remote`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// The git remote (`incident sync` makes the store a repository with it on first use).
    pub remote: Option<String>,
    /// How long a fetch or push may take before it is stopped (`30s`, `2m`).
    pub timeout: Option<String>,
}

impl ConfigFile {
    /// The nearest `incident.toml` above the current directory, read on the first call and
    /// kept for the rest of the process; `None` when there is none.
    ///
    /// Fails (not cached: the command ends) when the file cannot be read, is not valid TOML,
    /// has a value of the wrong type, or names webhooks wrongly.
    pub fn nearest() -> Result<Option<&'static ConfigFile>> {
        static NEAREST: OnceLock<Option<ConfigFile>> = OnceLock::new();
        if let Some(found) = NEAREST.get() {
            return Ok(found.as_ref());
        }
        let found = match std::env::current_dir() {
            // Not only regular files: a FIFO or directory by that name is refused by name, not
            // passed over in silence.
            Ok(cwd) => match cwd.ancestors().map(|dir| dir.join(CONFIG_FILE)).find(|path| path.exists()) {
                Some(path) => Some(ConfigFile::read(&path)?),
                None => None,
            },
            Err(_) => None,
        };
        Ok(NEAREST.get_or_init(|| found).as_ref())
    }

    /// Reads and checks the file at `path`.
    pub fn read(path: &Path) -> Result<ConfigFile> {
        let text = crate::text_file::read_whole(path).map_err(|e| Error::io("cannot read", path, &e))?;
        let config: Config = toml::from_str(&text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |span| line_column(&text, span.start));
            Error::config(format!("{}:{line}:{column}: {}", path.display(), e.message()))
        })?;
        crate::notify::validate(&config.notify).map_err(|e| Error::config(format!("{}: {e}", path.display())))?;
        Ok(ConfigFile { path: path.to_path_buf(), config })
    }

    /// The folder the file is in: relative paths in it are relative to this.
    pub fn folder(&self) -> &Path {
        self.path.parent().unwrap_or(Path::new("."))
    }

    /// The store it names, with its `[sync]` (a relative remote made relative to this file, as
    /// the store is: git would take it relative to the store) and its webhooks.
    pub fn store(&self) -> Option<(PathBuf, SyncConfig, Vec<Webhook>)> {
        let store = self.config.store.as_ref()?;
        let mut sync = self.config.sync.clone().unwrap_or_default();
        if let Some(remote) = &sync.remote
            && (remote.starts_with("./") || remote.starts_with("../"))
        {
            sync.remote = Some(self.folder().join(remote).to_string_lossy().into_owned());
        }
        Some((self.folder().join(store), sync, self.config.notify.clone()))
    }

    /// The service catalog folder it names, relative to its folder.
    pub fn services_dir(&self) -> Option<PathBuf> {
        self.config.services.as_ref().map(|dir| self.folder().join(dir))
    }

    /// The runbooks folder it names, relative to its folder.
    pub fn runbooks_dir(&self) -> Option<PathBuf> {
        self.config.runbooks.as_ref().map(|dir| self.folder().join(dir))
    }
}

/// The 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    (before.matches('\n').count() + 1, before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrong_value_is_placed_at_its_line_and_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(CONFIG_FILE);
        std::fs::write(&path, "store = \"incidents\"\nrunbooks = 3\n").expect("write");
        let err = ConfigFile::read(&path).expect_err("runbooks must be a path");
        assert_eq!(err.kind, crate::error::ErrorKind::Config);
        assert!(err.to_string().starts_with(&format!("{}:2:12: ", path.display())), "{err}");
    }

    #[test]
    fn paths_in_the_file_are_relative_to_its_folder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(CONFIG_FILE);
        std::fs::write(&path, "store = \"s\"\nrunbooks = \"rb\"\n[sync]\nremote = \"../r.git\"\n").expect("write");
        let file = ConfigFile::read(&path).expect("valid");
        let (store, sync, _) = file.store().expect("names a store");
        assert_eq!(store, dir.path().join("s"));
        assert_eq!(sync.remote.as_deref(), Some(dir.path().join("../r.git").to_string_lossy().as_ref()));
        assert_eq!(file.runbooks_dir(), Some(dir.path().join("rb")));
    }
}
