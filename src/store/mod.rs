//! The store: a folder of incidents, each a folder with its timeline and artifacts.
//!
//! This module is the only code that opens files in the store. Paths inside it are built only
//! from validated [`IncidentId`]s, so nothing a user types can reach outside it.

mod artifacts;
mod atomic;
mod delivery_log;
mod merge;
mod outbox;
mod repo;
mod timeline;

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

pub use artifacts::ArtifactWriter;
pub(crate) use atomic::sync_dir;
pub use atomic::{write_atomically, write_named_output};
pub use delivery_log::{DELIVERY_LOG_FILE, DeliveryLog};
pub use merge::{MergeReport, merge_timeline_files, merge_timelines, write_union};
pub use outbox::{DamagedEntry, INBOX_DIR, OUTBOX_DIR, Outbox, OutboxLock};
pub use repo::{MERGE_DRIVER, clear_stale_index_lock, remove_merge_leftovers, write_git_files};
pub use timeline::{
    Appended, DamagedLine, Repair, Timeline, TimelineLock, TimelineRead, TornTail, parse as parse_timeline,
};

use crate::error::{Error, Result};
use crate::model::{Event, IncidentId};

pub const TIMELINE_FILE: &str = "timeline.jsonl";
const CURRENT_FILE: &str = "current";

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// One incident's folder.
#[derive(Debug, Clone)]
pub struct IncidentDir {
    pub id: IncidentId,
    path: PathBuf,
}

impl IncidentDir {
    pub fn timeline(&self) -> Timeline {
        Timeline::new(self.path.join(TIMELINE_FILE))
    }

    /// What the team's clones did about notifying this incident's events (see `notify`).
    pub fn delivery_log(&self) -> DeliveryLog {
        DeliveryLog::new(&self.path)
    }

    /// Starts a new artifact file under `artifacts/`; see [`ArtifactWriter::finish`].
    pub fn new_artifact(&self) -> Result<ArtifactWriter> {
        ArtifactWriter::create(&self.path)
    }
}

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Store { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Notifications waiting to be delivered (see `notify`).
    pub fn outbox(&self) -> Outbox {
        Outbox::new(&self.root, OUTBOX_DIR)
    }

    /// Whether the store is shared through git (`incident sync`): then what is notified is
    /// settled with the teammates' clones (see `notify`).
    pub fn is_shared(&self) -> bool {
        self.root.join(".git").exists()
    }

    /// Alerts the receiver acknowledged and has not recorded yet: the same kind of queue.
    pub fn inbox(&self) -> Outbox {
        Outbox::new(&self.root, INBOX_DIR)
    }

    /// Creates the store's folder if it does not exist yet.
    pub fn create_root(&self) -> Result<()> {
        fs::create_dir_all(&self.root).map_err(|e| Error::io("cannot create the store", &self.root, &e))
    }

    /// Creates the folder and timeline of a new incident, claiming a free id derived from the
    /// title (`-2`, `-3`, ... on collision). `first` must start with `incident.opened`.
    pub fn create_incident(&self, opened: DateTime<Utc>, title: &str, first: &[Event]) -> Result<IncidentDir> {
        fs::create_dir_all(&self.root).map_err(|e| Error::io("cannot create the store", &self.root, &e))?;
        for attempt in 1..=1000 {
            let id = IncidentId::for_title(opened, title, attempt);
            let path = self.root.join(id.as_str());
            match fs::create_dir(&path) {
                Ok(()) => {
                    let dir = IncidentDir { id, path };
                    let created = sync_dir(&self.root).and_then(|()| dir.timeline().create(first));
                    if let Err(e) = created {
                        // A disk that filled up must not leave an empty folder behind, or the
                        // retry would be given the next id (`-2`).
                        let _ = fs::remove_dir(&dir.path).and_then(|()| std::fs::File::open(&self.root)?.sync_all());
                        return Err(e);
                    }
                    return Ok(dir);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io("cannot create incident folder", &path, &e)),
            }
        }
        Err(Error::runtime(format!("no free incident id for {title:?} in {}", self.root.display())))
    }

    /// The ids of every incident in the store, sorted (which is by date, then title).
    pub fn ids(&self) -> Result<Vec<IncidentId>> {
        let entries = match fs::read_dir(&self.root) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io("cannot read the store", &self.root, &e)),
        };
        let mut ids = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io("cannot read the store", &self.root, &e))?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else { continue };
            if let Ok(id) = IncidentId::parse(&name)
                && entry.path().join(TIMELINE_FILE).is_file()
            {
                ids.push(id);
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Finds the incident a user named: an exact id or an unambiguous prefix of one.
    ///
    /// Fails with a usage error when the text cannot be an id, and with the known ids when it
    /// names none or several.
    pub fn find(&self, text: &str) -> Result<IncidentDir> {
        let wanted = IncidentId::parse(text).map_err(|e| Error::usage(e.to_string()))?;
        let ids = self.ids()?;
        if ids.contains(&wanted) {
            return Ok(self.dir(wanted));
        }
        let matches: Vec<&IncidentId> = ids.iter().filter(|id| id.as_str().starts_with(wanted.as_str())).collect();
        match matches.as_slice() {
            [one] => Ok(self.dir((*one).clone())),
            [] => Err(Error::not_found(format!("no incident {wanted} in {}", self.root.display()))
                .with_hint(known_ids_hint(&ids))),
            many => Err(Error::usage(format!("{wanted} matches {} incidents", many.len()))
                .with_hint(format!("say which: {}", join_ids(many.iter().copied())))),
        }
    }

    /// The folder of an incident known to exist (an id from [`Store::ids`]).
    pub fn dir(&self, id: IncidentId) -> IncidentDir {
        let path = self.root.join(id.as_str());
        IncidentDir { id, path }
    }

    /// The incident set by `open` or `use`, if any (and if it still exists).
    pub fn current(&self) -> Result<Option<IncidentDir>> {
        let path = self.root.join(CURRENT_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io("cannot read", &path, &e)),
        };
        let id = IncidentId::parse(text.trim()).map_err(|e| {
            Error::runtime(format!("{} is damaged: {e}", path.display()))
                .with_hint("choose an incident with `incident use ID`")
        })?;
        let dir = self.dir(id);
        if !dir.path.join(TIMELINE_FILE).is_file() {
            return Err(Error::runtime(format!(
                "the current incident {} no longer exists in {}",
                dir.id,
                self.root.display()
            ))
            .with_hint("choose another with `incident use ID` (see `incident list --all`)"));
        }
        Ok(Some(dir))
    }

    /// Makes `id` the current incident (atomically: readers see the old or the new one).
    pub fn set_current(&self, id: &IncidentId) -> Result<()> {
        let path = self.root.join(CURRENT_FILE);
        write_atomically(&path, format!("{id}\n").as_bytes())
    }
}

pub(crate) fn known_ids_hint(ids: &[IncidentId]) -> String {
    if ids.is_empty() {
        "the store has no incidents yet: open one with `incident open TITLE -s sev2`".to_string()
    } else {
        format!("known incidents: {}", join_ids(ids.iter()))
    }
}

fn join_ids<'a>(ids: impl DoubleEndedIterator<Item = &'a IncidentId> + ExactSizeIterator) -> String {
    const SHOWN: usize = 10;
    let total = ids.len();
    // The most recent are the likeliest meant.
    let mut shown: Vec<String> = ids.rev().take(SHOWN).map(ToString::to_string).collect();
    shown.reverse();
    if total > SHOWN {
        format!("{} (and {} older; see `incident list --all`)", shown.join(", "), total - SHOWN)
    } else {
        shown.join(", ")
    }
}
