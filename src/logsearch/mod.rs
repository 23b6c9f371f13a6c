//! Log search by time: the engine behind `incident grep` and runbook `log` checks.
//!
//! It finds records (a timestamped line and the untimestamped lines below it), keeps those in a
//! time window that match a pattern, and hands each to a sink; it renders nothing. Plain files are
//! memory-mapped behind a SIGBUS guard (`mapped`), so a file truncated under the search only ends
//! it early, with a warning; gzip files and streams are read in chunks.
//!
//! - [`stamp`]: timestamp formats, detection, zones, year-less stamps
//! - [`fields`]: a structured record's fields and the `--where` filters
//! - [`container`]: Docker and CRI container logs, by file or by container and pod name
//! - [`command`]: sources read from a command's output (journalctl, docker logs, kubectl logs)
//! - [`journal`]: the systemd journal through `journalctl -o json`
//! - [`keyed`]: the time of JSON-lines and logfmt records, found by key
//! - [`sources`]: what the names given come to: files, journal units, containers, pods
//! - [`follow`]: files watched for new lines, rotation and truncation (`--follow`)
//! - [`files`]: globs, directories and rotated sets in time order
//! - [`matcher`]: the pattern
//! - `scan`: reading, record splitting, binary search to the window, early stop
//! - `mapped`: the memory map and its SIGBUS guard

pub mod command;
pub mod container;
pub mod fields;
pub mod files;
pub mod follow;
pub mod journal;
pub mod keyed;
mod mapped;
pub mod matcher;
mod probe;
mod records;
mod scan;
pub mod sources;
pub mod stamp;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use matcher::{Matcher, Pattern, PatternError};
pub use stamp::{Format, Micros, TimeFormatError, Zone, ZoneError};

/// Half-open: a record at `since` is in, one at `until` is out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Window {
    pub since: Option<Micros>,
    pub until: Option<Micros>,
}

impl Window {
    /// Whether a time window is set at all.
    pub fn is_bounded(&self) -> bool {
        self.since.is_some() || self.until.is_some()
    }

    /// Whether a record at `time` is inside (a record without a time is inside only an
    /// unbounded window).
    pub fn contains(&self, time: Option<Micros>) -> bool {
        match time {
            None => !self.is_bounded(),
            Some(t) => self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u),
        }
    }
}

/// How to search.
#[derive(Debug, Clone)]
pub struct Options {
    pub window: Window,
    /// A strftime layout that overrides detection.
    pub format: Option<Format>,
    /// The zone of stamps that carry none.
    pub zone: Zone,
    /// Stop after this many matching records.
    pub max: Option<u64>,
    /// Records of context before each match (`-B`).
    pub before: usize,
    /// Records of context after each match (`-A`).
    pub after: usize,
    /// Hand on the records that do not match instead (`-v`).
    pub invert: bool,
    /// Structured records must pass all of these (`--where`); other records never do.
    pub filters: Vec<fields::FieldFilter>,
    /// Files at least this large are binary searched to the window's start when sorted.
    pub seek_threshold: u64,
    /// Number the lines of hits (costs a pass counting newlines; off when only counting).
    pub line_numbers: bool,
    /// Hand the sink whole records. When only counting, a hit may carry just its record up to
    /// the matching line, which spares reading ahead for the record's end.
    pub whole_records: bool,
    /// Count matches per minute (for a histogram).
    pub per_minute: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            window: Window::default(),
            format: None,
            zone: Zone::Local,
            max: None,
            before: 0,
            after: 0,
            invert: false,
            filters: Vec::new(),
            seek_threshold: DEFAULT_SEEK_THRESHOLD,
            line_numbers: true,
            whole_records: true,
            per_minute: true,
        }
    }
}

/// Below this size a file is simply read whole: seeking would not save anything measurable.
pub const DEFAULT_SEEK_THRESHOLD: u64 = 4 << 20;

/// One record handed to the sink.
#[derive(Debug)]
pub struct Hit<'a> {
    pub path: &'a Path,
    /// 1-based line number of the record's first line, when the file was read from its start.
    pub line: Option<u64>,
    /// Byte offset of the record in the (decompressed) file.
    pub offset: u64,
    pub time: Option<Micros>,
    /// The whole record, without its final newline; may hold several lines and invalid UTF-8.
    pub text: &'a [u8],
    /// A context record (`-A`, `-B`, `-C`), not a match.
    pub context: bool,
    /// Taken out of a container runtime's wrapper: the record's length in the file (wrappers
    /// and newlines included). Its time is not in `text`, so whoever shows it shows the time too.
    pub unwrapped: Option<u64>,
}

/// How a file was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Read from start to end (or to the window's end).
    Scan,
    /// Binary searched to the window's start, read to its end.
    Seek,
    /// Its time span misses the window: not read.
    Skipped,
    /// Could not be read at all.
    Failed,
}

/// What happened to one file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    /// The detected (or given) timestamp format, if any.
    pub format: Option<String>,
    pub strategy: Strategy,
    /// Bytes read from the file (compressed bytes are counted decompressed).
    pub bytes_read: u64,
    pub matched: u64,
    /// Problems that did not stop the search (truncated while read, no timestamps, ...).
    pub warnings: Vec<String>,
    /// Why the file could not be searched.
    pub error: Option<String>,
}

impl FileReport {
    fn new(path: &Path) -> FileReport {
        FileReport {
            path: path.to_path_buf(),
            format: None,
            strategy: Strategy::Scan,
            bytes_read: 0,
            matched: 0,
            warnings: Vec::new(),
            error: None,
        }
    }
}

/// The outcome of a search.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub files: Vec<FileReport>,
    /// Matching records (not lines).
    pub matched: u64,
    /// Earliest and latest match time.
    pub first: Option<Micros>,
    pub last: Option<Micros>,
    /// Matching records per minute (key: minutes since the epoch).
    pub per_minute: BTreeMap<i64, u64>,
    /// The search stopped at `--max`.
    pub hit_max: bool,
}

impl Summary {
    /// Whether any file could not be searched.
    pub fn has_errors(&self) -> bool {
        self.files.iter().any(|f| f.error.is_some())
    }

    /// Adds the outcome of searching further sources.
    pub fn absorb(&mut self, other: Summary) {
        self.files.extend(other.files);
        self.matched += other.matched;
        self.first = self.first.into_iter().chain(other.first).min();
        self.last = self.last.into_iter().chain(other.last).max();
        for (minute, count) in other.per_minute {
            *self.per_minute.entry(minute).or_default() += count;
        }
        self.hit_max |= other.hit_max;
    }

    fn count(&mut self, time: Option<Micros>, per_minute: bool) {
        self.matched += 1;
        if let Some(t) = time {
            self.first = Some(self.first.map_or(t, |f| f.min(t)));
            self.last = Some(self.last.map_or(t, |l| l.max(t)));
            if per_minute {
                *self.per_minute.entry(t.div_euclid(60_000_000)).or_default() += 1;
            }
        }
    }
}

/// What the sink says after each record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Stop the whole search (the reader went away).
    Stop,
}

/// Searches `paths` in order (see [`files::expand`] for globs and rotation order), handing
/// matching records to `sink`. Unreadable files are reported in the summary, not fatal.
pub fn search(paths: &[PathBuf], matcher: &Matcher, options: &Options, sink: &mut dyn FnMut(&Hit) -> Flow) -> Summary {
    scan::search(paths, matcher, options, sink)
}

/// Searches standard input (or any stream) from start to end.
pub fn search_stream(
    name: &Path,
    reader: &mut dyn std::io::Read,
    matcher: &Matcher,
    options: &Options,
    sink: &mut dyn FnMut(&Hit) -> Flow,
) -> Summary {
    scan::search_stream(name, reader, matcher, options, sink)
}
