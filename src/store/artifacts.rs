//! Large evidence kept beside the timeline, named by path and SHA-256 from its event.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::sync_dir;
use crate::error::{Error, Result};
use crate::model::ArtifactRef;

const ARTIFACTS_DIR: &str = "artifacts";

const PARTIAL_PREFIX: &str = ".partial-";

/// An artifact being written. It becomes visible under its final name only on
/// [`finish`](ArtifactWriter::finish). An abandoned one (an error, a panic) is removed when
/// the writer is dropped; one left by a killed process is removed by the next writer, which
/// knows it is abandoned because nobody holds its lock any more.
pub struct ArtifactWriter {
    incident_dir: PathBuf,
    partial: PathBuf,
    file: fs::File,
    hasher: Sha256,
    bytes: u64,
    finished: bool,
}

impl ArtifactWriter {
    pub(super) fn create(incident_dir: &Path) -> Result<Self> {
        let dir = incident_dir.join(ARTIFACTS_DIR);
        fs::create_dir_all(&dir).map_err(|e| Error::io("cannot create", &dir, &e))?;
        remove_abandoned_partials(&dir);
        let partial = dir.join(format!("{PARTIAL_PREFIX}{}", ulid::Ulid::generate()));
        let file = fs::File::create_new(&partial).map_err(|e| Error::io("cannot create", &partial, &e))?;
        // Held while this writer lives: how the next one tells an abandoned file from a live one.
        file.lock().map_err(|e| Error::io("cannot lock", &partial, &e))?;
        Ok(ArtifactWriter {
            incident_dir: incident_dir.to_path_buf(),
            partial,
            file,
            hasher: Sha256::new(),
            bytes: 0,
            finished: false,
        })
    }

    pub fn write(&mut self, data: &[u8]) -> Result<()> {
        self.file.write_all(data).map_err(|e| Error::io("cannot write", &self.partial, &e))?;
        self.hasher.update(data);
        self.bytes += data.len() as u64;
        Ok(())
    }

    /// Abandons an artifact that turned out empty.
    pub fn discard(self) {
        // Dropping removes it.
    }

    /// Makes the artifact durable under `artifacts/<name>` and returns its reference.
    /// `name` must be a plain file name chosen by the program, never by a user.
    pub fn finish(mut self, name: &str) -> Result<ArtifactRef> {
        debug_assert!(!name.contains('/') && !name.starts_with('.'));
        self.file.sync_all().map_err(|e| Error::io("cannot sync", &self.partial, &e))?;
        let dir = self.incident_dir.join(ARTIFACTS_DIR);
        let target = dir.join(name);
        fs::rename(&self.partial, &target).map_err(|e| Error::io("cannot rename", &self.partial, &e))?;
        self.finished = true;
        sync_dir(&dir)?;
        let sha256 = std::mem::take(&mut self.hasher).finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok(ArtifactRef { path: format!("{ARTIFACTS_DIR}/{name}"), sha256, bytes: self.bytes })
    }
}

impl Drop for ArtifactWriter {
    fn drop(&mut self) {
        if !self.finished {
            let _ = fs::remove_file(&self.partial);
        }
    }
}

/// Removes `.partial-*` files nobody is writing: their writer was killed before it finished.
fn remove_abandoned_partials(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        if !entry.file_name().to_str().is_some_and(|n| n.starts_with(PARTIAL_PREFIX)) {
            continue;
        }
        let path = entry.path();
        // A writer that is alive holds the lock; the lock is free only if it is gone.
        if let Ok(file) = fs::File::open(&path)
            && file.try_lock().is_ok()
        {
            let _ = fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_artifact_abandoned_on_an_error_leaves_no_partial_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut writer = ArtifactWriter::create(dir.path()).expect("create");
        writer.write(b"half").expect("write");
        drop(writer);
        let kept = ArtifactWriter::create(dir.path()).expect("create").finish("kept.log").expect("finish");
        let names: Vec<_> =
            fs::read_dir(dir.path().join(ARTIFACTS_DIR)).expect("dir").flatten().map(|e| e.file_name()).collect();
        assert_eq!(names, ["kept.log"]);
        assert_eq!(kept.path, "artifacts/kept.log");
    }

    #[test]
    fn a_partial_file_still_being_written_is_not_swept_by_another_writer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let live = ArtifactWriter::create(dir.path()).expect("create");
        let _other = ArtifactWriter::create(dir.path()).expect("create");
        assert!(live.partial.exists());
    }
}
