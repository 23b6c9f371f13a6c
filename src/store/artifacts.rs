//! Large evidence kept beside the timeline, named by path and SHA-256 from its event.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::sync_dir;
use crate::error::{Error, Result};
use crate::model::ArtifactRef;

const ARTIFACTS_DIR: &str = "artifacts";

/// An artifact being written. It becomes visible under its final name only on
/// [`finish`](ArtifactWriter::finish); an abandoned one stays a `.partial` file.
pub struct ArtifactWriter {
    incident_dir: PathBuf,
    partial: PathBuf,
    file: fs::File,
    hasher: Sha256,
    bytes: u64,
}

impl ArtifactWriter {
    pub(super) fn create(incident_dir: &Path) -> Result<Self> {
        let dir = incident_dir.join(ARTIFACTS_DIR);
        fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, &e))?;
        let partial = dir.join(format!(".partial-{}", ulid::Ulid::generate()));
        let file = fs::File::create_new(&partial).map_err(|e| Error::io("cannot create", &partial, &e))?;
        Ok(ArtifactWriter { incident_dir: incident_dir.to_path_buf(), partial, file, hasher: Sha256::new(), bytes: 0 })
    }

    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        self.file.write_all(data).map_err(|e| Error::io("cannot write", &self.partial, &e))?;
        self.hasher.update(data);
        self.bytes += data.len() as u64;
        Ok(())
    }

    /// Abandons an artifact that turned out empty.
    pub fn discard(self) {
        let _ = fs::remove_file(&self.partial);
    }

    /// Makes the artifact durable under `artifacts/<name>` and returns its reference.
    /// `name` must be a plain file name chosen by the program, never by a user.
    pub fn finish(self, name: &str) -> Result<ArtifactRef> {
        debug_assert!(!name.contains('/') && !name.starts_with('.'));
        self.file.sync_all().map_err(|e| Error::io("cannot sync", &self.partial, &e))?;
        let dir = self.incident_dir.join(ARTIFACTS_DIR);
        let target = dir.join(name);
        fs::rename(&self.partial, &target).map_err(|e| Error::io("cannot rename", &self.partial, &e))?;
        sync_dir(&dir)?;
        let sha256 = self.hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(ArtifactRef { path: format!("{ARTIFACTS_DIR}/{name}"), sha256, bytes: self.bytes })
    }
}
