//! Durable queues of JSON entries, one file per entry named by its ULID: the outbox
//! (`<store>/outbox/`, notifications waiting to be delivered) and the inbox (`<store>/inbox/`,
//! alerts acknowledged to Alertmanager and not yet recorded).
//!
//! The store does not know what an entry holds (that is `notify`'s or the receiver's); it keeps each
//! as a whole file, written atomically (temp file, fsync, rename, fsync of the folder), so a
//! crash leaves the old version or the new one, never half of either.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{sync_dir, write_atomically};
use crate::error::{Error, Result};

/// The outbox's folder under the store's root (ignored by git: deliveries are this machine's).
pub const OUTBOX_DIR: &str = "outbox";
/// The inbox's folder under the store's root (ignored by git: alerts this machine received).
pub const INBOX_DIR: &str = "inbox";
const LOCK_FILE: &str = ".lock";

/// The outbox of one store.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

/// An entry that could not be read back (reported, left in place for a person to look at).
#[derive(Debug, Clone)]
pub struct DamagedEntry {
    pub path: PathBuf,
    pub reason: String,
}

/// Held while deliveries are being sent, so that two commands never send the same one.
#[derive(Debug)]
pub struct OutboxLock {
    _file: fs::File,
}

impl Outbox {
    pub(super) fn new(root: &Path, folder: &str) -> Self {
        Outbox { dir: root.join(folder) }
    }

    /// Writes (or replaces) the entry `id`, atomically and durably.
    ///
    /// Fails if `id` is not a ULID (ids name files, so nothing else may), or on any I/O error.
    pub fn put(&self, id: &str, entry: &impl Serialize) -> Result<()> {
        let path = self.entry_path(id)?;
        fs::create_dir_all(&self.dir).map_err(|e| Error::io("cannot create", &self.dir, &e))?;
        let mut bytes = serde_json::to_vec_pretty(entry)
            .map_err(|e| Error::runtime(format!("cannot encode outbox entry {id}: {e}")))?;
        bytes.push(b'\n');
        write_atomically(&path, &bytes)
    }

    /// Removes the entry `id` (delivered); an entry already gone is not an error.
    pub fn remove(&self, id: &str) -> Result<()> {
        let path = self.entry_path(id)?;
        match fs::remove_file(&path) {
            Ok(()) => sync_dir(&self.dir),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io("cannot remove", &path, &e)),
        }
    }

    /// Every entry, oldest first (ULIDs sort by time), and those that could not be read.
    pub fn list<T: DeserializeOwned>(&self) -> Result<(Vec<T>, Vec<DamagedEntry>)> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
            Err(e) => return Err(Error::io("cannot read", &self.dir, &e)),
        };
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("cannot read", &self.dir, &e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            if let Some(id) = name.strip_suffix(".json")
                && ulid::Ulid::from_string(id).is_ok()
            {
                paths.push(entry.path());
            }
        }
        paths.sort();
        let (mut good, mut damaged) = (Vec::new(), Vec::new());
        for path in paths {
            let parsed = fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|bytes| serde_json::from_slice::<T>(&bytes).map_err(|e| e.to_string()));
            match parsed {
                Ok(entry) => good.push(entry),
                // Another command delivered it between the listing and the read.
                Err(_) if !path.exists() => {}
                Err(reason) => damaged.push(DamagedEntry { path, reason }),
            }
        }
        Ok((good, damaged))
    }

    /// Takes the outbox's send lock, waiting for another command to finish with it until
    /// `deadline`; `None` if it is still held then (that command is sending the queue).
    pub fn lock_until(&self, deadline: Instant) -> Result<Option<OutboxLock>> {
        fs::create_dir_all(&self.dir).map_err(|e| Error::io("cannot create", &self.dir, &e))?;
        let path = self.dir.join(LOCK_FILE);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| Error::io("cannot open", &path, &e))?;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(OutboxLock { _file: file })),
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(fs::TryLockError::WouldBlock) => return Ok(None),
                Err(fs::TryLockError::Error(e)) => return Err(Error::io("cannot lock", &path, &e)),
            }
        }
    }

    fn entry_path(&self, id: &str) -> Result<PathBuf> {
        if ulid::Ulid::from_string(id).is_err() {
            return Err(Error::internal(format!("{id:?} is not a queue entry id")));
        }
        Ok(self.dir.join(format!("{id}.json")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn put_list_remove_round_trip_and_ids_that_are_not_ulids_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let outbox = Outbox::new(dir.path(), OUTBOX_DIR);
        let id = crate::model::new_event_id();
        outbox.put(&id, &serde_json::json!({"n": 1})).expect("put");
        outbox.put(&id, &serde_json::json!({"n": 2})).expect("replace");
        let (entries, damaged) = outbox.list::<serde_json::Value>().expect("list");
        assert_eq!(entries, vec![serde_json::json!({"n": 2})]);
        assert!(damaged.is_empty());
        assert!(outbox.put("../escape", &1).is_err());
        outbox.remove(&id).expect("remove");
        outbox.remove(&id).expect("removing twice is fine");
        assert!(outbox.list::<serde_json::Value>().expect("list").0.is_empty());
    }
}
