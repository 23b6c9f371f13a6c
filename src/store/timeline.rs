//! The timeline file: append-only JSON Lines with the guarantees of `design/timeline.md`.
//!
//! - Appends hold an exclusive advisory lock, write every new line in one `write`, and fsync
//!   before returning: an acknowledged event is on disk, and concurrent writers never interleave.
//! - Reads hold a shared lock, so they never see half of a line being written.
//! - A torn last line (a crash mid-write) is reported by reads and, before the next append,
//!   moved aside to `timeline.jsonl.torn-N` with its bytes intact; the timeline is valid again.
//! - A damaged line elsewhere is reported with its number and skipped; the rest still reads.
//! - A failed write (disk full, file-size limit) is rolled back: no partial line is left.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::sync_dir;
use crate::error::{Error, Result};
use crate::model::Event;

#[derive(Debug, Clone)]
pub struct Timeline {
    path: PathBuf,
}

/// What a read found.
#[derive(Debug, Default)]
pub struct TimelineRead {
    /// Every event that parsed, in file order.
    pub events: Vec<Event>,
    /// Complete lines that did not parse.
    pub damaged: Vec<DamagedLine>,
    /// An unterminated last line.
    pub torn: Option<TornTail>,
    /// Torn tails moved aside by earlier appends.
    pub set_aside: Vec<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct DamagedLine {
    /// 1-based.
    pub line: usize,
    pub reason: String,
    /// The start of the line, lossily decoded, at most 80 characters.
    pub snippet: String,
}

#[derive(Debug, Clone)]
pub struct TornTail {
    pub line: usize,
    pub bytes: usize,
}

/// A repair made before an append, for the command to report.
#[derive(Debug, Clone)]
pub enum Repair {
    /// The last line was complete JSON missing only its newline; the newline was added.
    Terminated,
    /// The torn bytes were moved to this file and cut from the timeline.
    SetAside { path: PathBuf, bytes: usize },
}

#[derive(Debug)]
pub struct Appended {
    pub repair: Option<Repair>,
}

const SIDECAR_PREFIX: &str = "timeline.jsonl.torn-";

impl Timeline {
    pub(super) fn new(path: PathBuf) -> Self {
        Timeline { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the first events of a new incident into a file that must not exist yet.
    pub(super) fn create(&self, events: &[Event]) -> Result<()> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&self.path)
            .map_err(|e| Error::io("cannot create", &self.path, &e))?;
        let bytes = encode(events)?;
        if let Err(e) = file.write_all(&bytes).and_then(|()| file.sync_all()) {
            let _ = fs::remove_file(&self.path);
            return Err(Error::io("cannot write", &self.path, &e));
        }
        sync_dir(self.path.parent().unwrap_or(Path::new(".")))
    }

    /// Appends events; returns once they are on disk.
    pub fn append(&self, events: &[Event]) -> Result<Appended> {
        self.locked_append(|_| Ok(events.to_vec()))
    }

    /// Appends the events `build` makes from the timeline as it stands under the lock. Use it
    /// when the new events depend on the old ones (the next `H` number, say), so that two
    /// concurrent writers can never both take the same one.
    pub fn append_with(&self, build: impl FnOnce(&TimelineRead) -> Result<Vec<Event>>) -> Result<Appended> {
        self.locked_append(|mut file| {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes).map_err(|e| Error::io("cannot read", &self.path, &e))?;
            let mut current = parse(&bytes);
            current.set_aside = self.sidecars();
            build(&current)
        })
    }

    fn locked_append(&self, build: impl FnOnce(&File) -> Result<Vec<Event>>) -> Result<Appended> {
        // An interrupt (the walk's Ctrl-C) waits until the event is on disk or rolled back.
        crate::signals::critical(|| self.locked_append_now(build))
    }

    fn locked_append_now(&self, build: impl FnOnce(&File) -> Result<Vec<Event>>) -> Result<Appended> {
        let mut file = self.open_locked()?;
        // The lock is released when `file` is closed, on every path out of here.
        let repair = self.repair_torn_tail(&file)?;
        let events = build(&file)?;
        let bytes = encode(&events)?;
        let before = file.metadata().map_err(|e| Error::io("cannot stat", &self.path, &e))?.len();
        let written = file.write_all(&bytes).and_then(|()| file.sync_data());
        if let Err(e) = written {
            // Leave no partial line: cut back to where this append began.
            let _ = file.set_len(before).and_then(|()| file.sync_data());
            return Err(Error::io("could not record the event in", &self.path, &e)
                .with_hint("nothing was recorded; free space or raise the limit, then run the command again"));
        }
        Ok(Appended { repair })
    }

    /// Opens the file for appending under its exclusive lock.
    fn open_locked(&self) -> Result<File> {
        // `incident sync` lets git replace the file (a merge writes a new one) while it holds the
        // lock; a writer that opened the old file and waited would append to an unlinked file
        // and lose the event. So after the lock is ours, check the path still names this file.
        for _ in 0..100 {
            let file = self.open(OpenOptions::new().read(true).append(true))?;
            file.lock().map_err(|e| Error::io("cannot lock", &self.path, &e))?;
            if is_same_file(&file, &self.path) {
                return Ok(file);
            }
        }
        Err(Error::runtime(format!("{} keeps being replaced; nothing was recorded", self.path.display()))
            .with_hint("is something rewriting the store in a loop? run the command again"))
    }

    /// Opens the file itself, never through a symbolic link: a link planted in a shared store
    /// (or pulled in by sync) must not make appends write, or reads show, another file.
    fn open(&self, options: &mut OpenOptions) -> Result<File> {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW).open(&self.path).map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                Error::runtime(format!("{} is a symbolic link; refused, not followed", self.path.display()))
                    .with_hint("a timeline is always a plain file: replace the link with the file it points to")
            } else {
                Error::io("cannot open", &self.path, &e)
            }
        })
    }

    /// Holds the write lock until the guard is dropped, so that no append runs meanwhile
    /// (`incident sync` holds it while git reads or replaces the file).
    pub fn lock(&self) -> Result<TimelineLock> {
        Ok(TimelineLock { file: self.open_locked()? })
    }

    /// Reads every event, reporting damaged lines and a torn tail rather than failing on them.
    pub fn read(&self) -> Result<TimelineRead> {
        let mut file = self.open(OpenOptions::new().read(true))?;
        file.lock_shared().map_err(|e| Error::io("cannot lock", &self.path, &e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| Error::io("cannot read", &self.path, &e))?;
        drop(file);
        let mut read = parse(&bytes);
        read.set_aside = self.sidecars();
        Ok(read)
    }

    /// The first event alone (the `incident.opened` one), without reading the rest: recording
    /// an event must not cost more as the incident grows.
    pub fn first_event(&self) -> Result<Option<Event>> {
        use std::io::BufRead;
        let file = self.open(OpenOptions::new().read(true))?;
        file.lock_shared().map_err(|e| Error::io("cannot lock", &self.path, &e))?;
        let mut line = Vec::new();
        std::io::BufReader::new(file)
            .read_until(b'\n', &mut line)
            .map_err(|e| Error::io("cannot read", &self.path, &e))?;
        if !line.ends_with(b"\n") {
            return Ok(None);
        }
        line.pop();
        Ok(parse_line(&line).ok())
    }

    /// The last whole event in the file alone (after a sync's merge, the newest), without
    /// reading the rest; `None` for an empty file or a last line that does not parse.
    pub fn last_event(&self) -> Result<Option<Event>> {
        let file = self.open(OpenOptions::new().read(true))?;
        file.lock_shared().map_err(|e| Error::io("cannot lock", &self.path, &e))?;
        let io = |e: std::io::Error| Error::io("cannot read", &self.path, &e);
        let len = file.metadata().map_err(io)?.len();
        if len == 0 {
            return Ok(None);
        }
        let end = if read_byte_at(&file, len - 1).map_err(io)? == b'\n' { len - 1 } else { len };
        let start = last_line_start(&file, end).map_err(io)?;
        let mut line = vec![0; (end - start) as usize];
        file.read_exact_at(&mut line, start).map_err(io)?;
        Ok(parse_line(&line).ok())
    }

    fn sidecars(&self) -> Vec<PathBuf> {
        let Some(dir) = self.path.parent() else { return Vec::new() };
        let mut found: Vec<PathBuf> = fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(SIDECAR_PREFIX)))
            .map(|e| e.path())
            .collect();
        found.sort();
        found
    }

    /// Under the exclusive lock: makes the file end with a newline again, keeping torn bytes.
    fn repair_torn_tail(&self, file: &File) -> Result<Option<Repair>> {
        let len = file.metadata().map_err(|e| Error::io("cannot stat", &self.path, &e))?.len();
        if len == 0 || read_byte_at(file, len - 1).map_err(|e| Error::io("cannot read", &self.path, &e))? == b'\n' {
            return Ok(None);
        }
        let start = last_line_start(file, len).map_err(|e| Error::io("cannot read", &self.path, &e))?;
        let mut torn = vec![0; (len - start) as usize];
        file.read_exact_at(&mut torn, start).map_err(|e| Error::io("cannot read", &self.path, &e))?;

        if parse_line(&torn).is_ok() {
            // Only the newline was lost: the event is whole, keep it in place.
            let mut f = file;
            f.write_all(b"\n").and_then(|()| f.sync_data()).map_err(|e| Error::io("cannot repair", &self.path, &e))?;
            return Ok(Some(Repair::Terminated));
        }

        let dir = self.path.parent().unwrap_or(Path::new("."));
        let sidecar = (1..)
            .map(|n| dir.join(format!("{SIDECAR_PREFIX}{n}")))
            .find(|p| !p.exists())
            .unwrap_or_else(|| dir.join(format!("{SIDECAR_PREFIX}{}", ulid::Ulid::generate())));
        let mut out = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&sidecar)
            .map_err(|e| Error::io("cannot create", &sidecar, &e))?;
        out.write_all(&torn).and_then(|()| out.sync_all()).map_err(|e| Error::io("cannot write", &sidecar, &e))?;
        sync_dir(dir)?;
        // Only now that the bytes are safe elsewhere is the tail cut.
        file.set_len(start).and_then(|()| file.sync_data()).map_err(|e| Error::io("cannot repair", &self.path, &e))?;
        Ok(Some(Repair::SetAside { path: sidecar, bytes: torn.len() }))
    }
}

/// Holds a timeline's write lock while it lives; see [`Timeline::lock`].
#[derive(Debug)]
pub struct TimelineLock {
    file: File,
}

impl TimelineLock {
    /// Reads the locked file (through the lock: a [`Timeline::read`] from the same process
    /// would wait on it forever).
    pub fn read(&self) -> Result<TimelineRead> {
        let mut bytes = Vec::new();
        (&self.file).read_to_end(&mut bytes).map_err(|e| Error::runtime(format!("cannot read a timeline: {e}")))?;
        Ok(parse(&bytes))
    }
}

fn is_same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

fn read_byte_at(file: &File, offset: u64) -> std::io::Result<u8> {
    let mut byte = [0u8];
    file.read_exact_at(&mut byte, offset)?;
    Ok(byte[0])
}

/// The offset just after the last newline before `len` (0 if there is none).
fn last_line_start(file: &File, len: u64) -> std::io::Result<u64> {
    const CHUNK: u64 = 64 * 1024;
    let mut end = len;
    let mut buf = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let chunk = &mut buf[..(end - start) as usize];
        file.read_exact_at(chunk, start)?;
        if let Some(pos) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + pos as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

pub(crate) fn encode(events: &[Event]) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(256 * events.len());
    for event in events {
        serde_json::to_writer(&mut bytes, event).map_err(|e| Error::runtime(format!("cannot encode event: {e}")))?;
        bytes.push(b'\n');
    }
    Ok(bytes)
}

/// Parses one line (without its newline) into an event; the error says why it is not one.
pub(crate) fn parse_line(line: &[u8]) -> std::result::Result<Event, LineError> {
    let event: Event = serde_json::from_slice(line).map_err(LineError::NotAnEvent)?;
    if event.body.is_malformed() {
        return Err(LineError::MissingFields { kind: event.body.kind().to_string() });
    }
    Ok(event)
}

/// Why a line of a timeline is not an event.
#[derive(Debug)]
pub(crate) enum LineError {
    /// Not JSON, or JSON that is not an event (serde's message says where).
    NotAnEvent(serde_json::Error),
    /// An event of a known kind without the fields that kind needs.
    MissingFields { kind: String },
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LineError::NotAnEvent(e) => write!(f, "{e}"),
            LineError::MissingFields { kind } => write!(f, "a {kind:?} event without the fields that kind needs"),
        }
    }
}

/// One line of a timeline file as it is on disk.
pub(crate) struct RawLine<'a> {
    /// 1-based.
    pub number: usize,
    /// Without its newline.
    pub bytes: &'a [u8],
    /// False for an unterminated last line (a torn tail).
    pub terminated: bool,
}

/// The lines of a timeline file, in order, the last one possibly unterminated.
pub(crate) fn raw_lines(bytes: &[u8]) -> impl Iterator<Item = RawLine<'_>> {
    let mut rest = bytes;
    let mut number = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        number += 1;
        let (line, terminated) = match rest.iter().position(|&b| b == b'\n') {
            Some(end) => {
                let line = &rest[..end];
                rest = &rest[end + 1..];
                (line, true)
            }
            None => (std::mem::take(&mut rest), false),
        };
        Some(RawLine { number, bytes: line, terminated })
    })
}

/// Why a line is not an event, as reported to people.
pub(crate) fn damage_reason(line: &[u8], reason: String) -> String {
    if line.is_empty() { "empty line".to_string() } else { reason }
}

/// Every event of a timeline's bytes, with its damaged lines and torn tail (no I/O).
pub fn parse(bytes: &[u8]) -> TimelineRead {
    let mut read = TimelineRead { events: Vec::with_capacity(bytes.len() / 200), ..TimelineRead::default() };
    for line in raw_lines(bytes) {
        if !line.terminated {
            read.torn = Some(TornTail { line: line.number, bytes: line.bytes.len() });
            break;
        }
        match parse_line(line.bytes) {
            Ok(event) => read.events.push(event),
            Err(reason) => {
                let reason = damage_reason(line.bytes, reason.to_string());
                let snippet: String = String::from_utf8_lossy(line.bytes).chars().take(80).collect();
                read.damaged.push(DamagedLine { line: line.number, reason, snippet });
            }
        }
    }
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What broke without the check in `open_locked`: git (in `incident sync`) replaced the
    /// file while an append waited on the lock, and the event went into the unlinked old file.
    #[test]
    fn an_append_that_waited_while_the_file_was_replaced_lands_in_the_new_file() {
        let dir = std::env::temp_dir().join(format!("incident-replace-{}", ulid::Ulid::generate()));
        fs::create_dir_all(&dir).expect("mkdir");
        let timeline = Timeline::new(dir.join("timeline.jsonl"));
        let line =
            |id: &str| format!(r#"{{"id":"{id}","ts":"2026-11-22T14:05:00Z","author":"a","kind":"note","text":"x"}}"#);
        fs::write(timeline.path(), format!("{}\n", line("OLD"))).expect("write");
        let event = parse_line(line("WAITED").as_bytes()).expect("an event");

        let lock = timeline.lock().expect("lock");
        let writer = {
            let timeline = timeline.clone();
            std::thread::spawn(move || timeline.append(&[event]).map(|_| ()))
        };
        std::thread::sleep(std::time::Duration::from_millis(100));
        // As git does: write a new file and rename it over the old one.
        let replacement = dir.join("timeline.jsonl.new");
        fs::write(&replacement, format!("{}\n{}\n", line("OLD"), line("MERGED"))).expect("write");
        fs::rename(&replacement, timeline.path()).expect("rename");
        drop(lock);
        writer.join().expect("joined").expect("appended");

        let ids: Vec<String> = timeline.read().expect("read").events.into_iter().map(|e| e.id).collect();
        assert_eq!(ids, ["OLD", "MERGED", "WAITED"]);
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn lines_are_split_into_events_damage_and_a_torn_tail() {
        let good = r#"{"id":"1","ts":"2026-11-22T14:05:00Z","author":"a","kind":"note","text":"x"}"#;
        let bytes = format!("{good}\nnot json\n\n{good}\n{{\"id\":\"2\",\"ts");
        let read = parse(bytes.as_bytes());
        assert_eq!(read.events.len(), 2);
        let lines: Vec<usize> = read.damaged.iter().map(|d| d.line).collect();
        assert_eq!(lines, vec![2, 3]);
        assert_eq!(read.torn.as_ref().map(|t| (t.line, t.bytes)), Some((5, 13)));
    }

    fn note(n: usize) -> Event {
        Event {
            id: format!("01EVENT{n:04}"),
            ts: chrono::Utc::now(),
            recorded: None,
            author: "ana".into(),
            phase: None,
            body: crate::model::Body::Note { text: format!("note {n} ünïcode") },
        }
    }

    #[test]
    fn a_crash_at_any_byte_keeps_every_whole_line_and_the_torn_rest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("timeline.jsonl");
        let timeline = Timeline::new(path.clone());
        timeline.create(&[note(0), note(1), note(2)]).expect("create");
        let whole = fs::read(&path).expect("read");
        let line_ends: Vec<usize> =
            whole.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1).collect();

        for cut in 0..=whole.len() {
            fs::write(&path, &whole[..cut]).expect("cut");
            for stale in fs::read_dir(dir.path()).expect("dir").flatten() {
                if stale.file_name().to_string_lossy().starts_with(SIDECAR_PREFIX) {
                    fs::remove_file(stale.path()).expect("clean");
                }
            }
            let complete = line_ends.iter().filter(|&&end| end <= cut).count();
            let read = timeline.read().expect("read");
            assert_eq!(read.events.len(), complete, "cut at {cut}");
            assert!(read.damaged.is_empty(), "cut at {cut}: {:?}", read.damaged);
            let torn_start = line_ends.iter().copied().filter(|&end| end <= cut).max().unwrap_or(0);
            assert_eq!(read.torn.is_some(), cut > torn_start, "cut at {cut}");

            // The next append repairs, keeps the torn bytes (or completes the line), and adds.
            let appended = timeline.append(&[note(9)]).expect("append");
            let after = timeline.read().expect("read");
            assert!(after.torn.is_none() && after.damaged.is_empty(), "cut at {cut}");
            let kept_aside: Vec<u8> = fs::read(dir.path().join(format!("{SIDECAR_PREFIX}1"))).unwrap_or_default();
            match appended.repair {
                None => assert_eq!(cut, torn_start),
                Some(Repair::Terminated) => assert_eq!(after.events.len(), complete + 2, "cut at {cut}"),
                Some(Repair::SetAside { bytes, .. }) => {
                    assert_eq!(kept_aside, whole[torn_start..cut].to_vec(), "cut at {cut}");
                    assert_eq!(bytes, cut - torn_start);
                    assert_eq!(after.events.len(), complete + 1, "cut at {cut}");
                }
            }
        }
    }
}
