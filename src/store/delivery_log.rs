//! `<incident>/deliveries.jsonl`: what the team's clones did about notifying an incident's
//! events, shared through sync so that each event is posted once whoever has the webhook.
//!
//! It is append-only, one JSON object per line, and git merges it with its built-in `union`
//! driver (see `repo.rs`): two clones' lines never conflict, and a line seen twice means the
//! same thing as once. The store does not know what a line says (that is `notify`'s); it keeps
//! lines whole and skips, on reading, any that do not parse (a torn tail, a newer kind).

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::TimelineLock;
use crate::error::{Error, Result};

pub const DELIVERY_LOG_FILE: &str = "deliveries.jsonl";

/// One incident's delivery log.
#[derive(Debug, Clone)]
pub struct DeliveryLog {
    path: PathBuf,
}

impl DeliveryLog {
    pub(super) fn new(incident_dir: &Path) -> Self {
        DeliveryLog { path: incident_dir.join(DELIVERY_LOG_FILE) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `entries`, one line each, durably. `_held` is the incident's timeline lock: sync
    /// lets git replace this file only under it, so an append made under it cannot land in a
    /// file git is about to replace (and be lost).
    pub fn append(&self, _held: &TimelineLock, entries: &[impl Serialize]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut bytes = Vec::new();
        for entry in entries {
            serde_json::to_writer(&mut bytes, entry)
                .map_err(|e| Error::runtime(format!("cannot encode a line of {}: {e}", self.path.display())))?;
            bytes.push(b'\n');
        }
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| Error::io("cannot open", &self.path, &e))?;
        // A line cut short by a crash must not glue itself to the next one.
        if file.metadata().is_ok_and(|m| m.len() > 0) && !ends_with_newline(&self.path) {
            bytes.insert(0, b'\n');
        }
        file.write_all(&bytes).and_then(|()| file.sync_data()).map_err(|e| Error::io("cannot write", &self.path, &e))
    }

    /// Every line that parses as a `T`, in file order; none when the file does not exist.
    pub fn read<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("cannot read", &self.path, &e)),
        };
        Ok(bytes.split(|b| *b == b'\n').filter_map(|line| serde_json::from_slice(line).ok()).collect())
    }
}

fn ends_with_newline(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = fs::File::open(path) else { return true };
    let mut last = [0u8; 1];
    file.seek(SeekFrom::End(-1)).and_then(|_| file.read_exact(&mut last)).map_or(true, |()| last[0] == b'\n')
}

#[cfg(test)]
mod tests {
    use crate::store::Store;

    #[test]
    fn a_torn_line_is_skipped_and_does_not_swallow_the_next_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::new(dir.path());
        let opened = crate::model::Event {
            id: crate::model::new_event_id(),
            ts: chrono::Utc::now(),
            recorded: None,
            author: "ana".into(),
            phase: None,
            body: crate::model::Body::Note { text: "x".into() },
        };
        let incident = store.create_incident(opened.ts, "Checkout", &[opened]).expect("incident");
        let log = incident.delivery_log();
        std::fs::write(log.path(), b"{\"n\":1}\n{\"n\":").expect("a torn tail");
        let lock = incident.timeline().lock().expect("lock");
        log.append(&lock, &[serde_json::json!({"n": 3})]).expect("append");
        let read: Vec<serde_json::Value> = log.read().expect("read");
        assert_eq!(read, vec![serde_json::json!({"n": 1}), serde_json::json!({"n": 3})]);
    }
}
