//! One search: files opened and placed (format, rotated neighbours, sortedness), then each read
//! whole, from a binary-searched start, or not at all, by a [`Scanner`].
//!
//! A plain file large enough is binary searched to the window's start when probes across it say
//! it runs forward in time (`probe`). "Nearly sorted" is allowed for with a tolerance twice the
//! largest backward step seen: the search starts `tolerance` before the window and stops
//! `tolerance` after it. If the records read show more disorder than that, the skipped start of
//! the file is read too, so the answer stays exact.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use super::container::{self, wrapper::Wrapper};
use super::files::{self, is_gzip, read_prefix};
use super::mapped::Mapped;
use super::probe::{heads, read_at_most, seek_start, sorted_tolerance, tolerance_of};
use super::records::Scanner;
use super::stamp::{Micros, StampReader};
use super::{FileReport, Flow, Hit, Matcher, Options, Strategy, Summary};

/// The read size; a chunk grows only for a record longer than this.
pub(super) const CHUNK: usize = 256 << 10;
/// What format detection looks at.
const SAMPLE: usize = 64 << 10;
/// A second, in microseconds (the unit of every time here).
pub(super) const SECOND: i64 = 1_000_000;
/// The least allowance for records out of order.
pub(super) const MIN_TOLERANCE: i64 = SECOND;

/// State shared by all files of one search.
pub(super) struct Run<'a> {
    sink: &'a mut dyn FnMut(&Hit) -> Flow,
    pub(super) options: &'a Options,
    pub(super) matcher: &'a Matcher,
    pub(super) summary: Summary,
    pub(super) stopped: bool,
}

impl<'a> Run<'a> {
    pub(super) fn new(matcher: &'a Matcher, options: &'a Options, sink: &'a mut dyn FnMut(&Hit) -> Flow) -> Self {
        Run { sink, options, matcher, summary: Summary::default(), stopped: false }
    }

    pub(super) fn emit(&mut self, hit: &Hit) {
        if self.stopped {
            return;
        }
        if (self.sink)(hit) == Flow::Stop {
            self.stopped = true;
        }
        if !hit.context {
            self.summary.count(hit.time, self.options.per_minute);
            if self.options.max.is_some_and(|max| self.summary.matched >= max) {
                self.summary.hit_max = true;
                // Let the after-context of the last match through: stop only at the next match.
                if self.options.after == 0 {
                    self.stopped = true;
                }
            }
        }
    }
}

pub fn search(paths: &[PathBuf], matcher: &Matcher, options: &Options, sink: &mut dyn FnMut(&Hit) -> Flow) -> Summary {
    let mut run = Run::new(matcher, options, sink);
    for (index, path) in paths.iter().enumerate() {
        if run.stopped {
            break;
        }
        // The next newer file of the same rotated set starts where this one ends.
        let next_start = paths
            .get(index + 1)
            .filter(|next| options.window.is_bounded() && files::rotation_base(next) == files::rotation_base(path))
            .and_then(|next| first_time(next, options));
        let report = search_file(path, next_start, &mut run);
        run.summary.files.push(report);
    }
    run.summary
}

pub fn search_stream(
    name: &Path,
    reader: &mut dyn Read,
    matcher: &Matcher,
    options: &Options,
    sink: &mut dyn FnMut(&Hit) -> Flow,
) -> Summary {
    let mut run = Run::new(matcher, options, sink);
    let mut report = FileReport::new(name);
    let now = chrono::Utc::now().timestamp_micros();
    let sample = match read_prefix(reader, SAMPLE) {
        Ok(sample) => sample,
        Err(e) => {
            report.error = Some(e.to_string());
            report.strategy = Strategy::Failed;
            run.summary.files.push(report);
            return run.summary;
        }
    };
    if let Some(wrapper) = Wrapper::detect(&sample) {
        report.format = Some(wrapper.name().to_string());
        let mut chained = io::Cursor::new(sample).chain(reader);
        container::search(name, &mut chained, wrapper, &mut run, &mut report, None);
        run.summary.files.push(report);
        return run.summary;
    }
    let stamps = StampReader::detect(&sample, options.format.as_ref(), options.zone, Some(now));
    report.format = stamps.as_ref().map(|s| s.format.name());
    let tolerance = tolerance_of(&sample, stamps.as_ref());
    let mut chained = io::Cursor::new(sample).chain(reader);
    let mut scanner = Scanner::new(name, stamps.as_ref(), tolerance, options.line_numbers.then_some(1), false);
    scanner.run(&mut chained, 0, &mut run, &mut report);
    run.summary.files.push(report);
    run.summary
}

/// The time of the first record of a file, for placing rotated neighbours.
fn first_time(path: &Path, options: &Options) -> Option<Micros> {
    let opened = open(path).ok()?;
    let stamps = StampReader::detect(&opened.sample, options.format.as_ref(), options.zone, opened.mtime)?;
    heads(&opened.sample, &stamps).next().map(|(_, t)| t)
}

pub(super) struct Opened {
    pub(super) file: File,
    pub(super) gzip: bool,
    /// The first bytes (decompressed for gzip).
    pub(super) sample: Vec<u8>,
    pub(super) size: u64,
    pub(super) mtime: Option<Micros>,
    pub(super) identity: (u64, u64),
}

fn open(path: &Path) -> io::Result<Opened> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::other("is a directory"));
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .and_then(|d| i64::try_from(d.as_micros()).ok());
    let mut head = vec![0u8; SAMPLE];
    let n = read_at_most(&file, &mut head, 0)?;
    head.truncate(n);
    let gzip = is_gzip(&head);
    let sample = if gzip {
        let mut decoder = flate2::read::MultiGzDecoder::new(File::open(path)?);
        // A damaged stream still yields what decompressed before the damage.
        let mut sample = Vec::new();
        let _ = (&mut decoder).take(SAMPLE as u64).read_to_end(&mut sample);
        sample
    } else {
        head
    };
    Ok(Opened { file, gzip, sample, size: meta.len(), mtime, identity: (meta.dev(), meta.ino()) })
}

fn search_file(path: &Path, next_start: Option<Micros>, run: &mut Run) -> FileReport {
    let mut report = FileReport::new(path);
    let options = run.options;
    let opened = match open(path) {
        Ok(opened) => opened,
        Err(e) => {
            report.strategy = Strategy::Failed;
            report.error = Some(e.to_string());
            return report;
        }
    };
    if let Some(wrapper) = Wrapper::detect(&opened.sample)
        && options.format.is_none()
    {
        report.format = Some(wrapper.name().to_string());
        if opened.gzip {
            let mut decoder = flate2::read::MultiGzDecoder::new(&opened.file);
            container::search(path, &mut decoder, wrapper, run, &mut report, None);
        } else {
            container::search(path, &mut &opened.file, wrapper, run, &mut report, None);
        }
        return report;
    }
    let stamps = StampReader::detect(&opened.sample, options.format.as_ref(), options.zone, opened.mtime);
    report.format = stamps.as_ref().map(|s| s.format.name());
    let window = options.window;
    let first_line = options.line_numbers.then_some(1);
    // Plain files are mapped (no copy); what cannot be mapped is read.
    let map = if opened.gzip { None } else { Mapped::new(&opened.file, opened.size).ok() };
    let Some(stamps) = stamps else {
        if window.is_bounded() {
            report.strategy = Strategy::Skipped;
            report.warnings.push(
                "no timestamps recognised, so nothing in it can be placed in the time window (say how they look with --time-format)"
                    .into(),
            );
            return report;
        }
        let mut scanner = Scanner::new(path, None, MIN_TOLERANCE, first_line, false);
        scan_whole(&opened, map.as_ref(), &mut scanner, run, &mut report);
        check_replaced(path, &opened, &mut report);
        return report;
    };
    let tolerance = tolerance_of(&opened.sample, Some(&stamps));

    if window.is_bounded() {
        let first = heads(&opened.sample, &stamps).next().map(|(_, t)| t);
        let starts_after = matches!((first, window.until), (Some(f), Some(u)) if f >= u + tolerance);
        let ends_before = matches!((next_start, window.since), (Some(n), Some(s)) if n < s - tolerance);
        if starts_after || ends_before {
            report.strategy = Strategy::Skipped;
            return report;
        }
    }

    let seekable = !opened.gzip && opened.size >= options.seek_threshold;
    // A sorted file is read from the window's start (found by binary search) to its end; with
    // only --until, from the beginning to the end of the window.
    let seek = if seekable && window.is_bounded() {
        sorted_tolerance(&opened, &stamps, &mut report).map(|tol| tol.max(tolerance))
    } else {
        None
    };
    match seek {
        Some(tolerance) => {
            let start = match window.since {
                Some(since) => seek_start(&opened, &stamps, since - tolerance, &mut report),
                None => 0,
            };
            report.strategy = if start > 0 { Strategy::Seek } else { Strategy::Scan };
            let line = (start == 0 && options.line_numbers).then_some(1);
            let mut scanner = Scanner::new(path, Some(&stamps), tolerance, line, true);
            scanner.skip_to_head = start > 0;
            read_range(&opened, map.as_ref(), &mut scanner, start, opened.size, run, &mut report);
            if scanner.disordered() && start > 0 && !run.stopped && !scanner.cut_short {
                // More out of order than the probes showed: what was skipped may hold matches.
                report.warnings.push("less time-ordered than sampled; read its start too".into());
                let head_at = scanner.first_head.unwrap_or(start);
                let mut prefix = Scanner::new(path, Some(&stamps), tolerance, first_line, false);
                read_range(&opened, map.as_ref(), &mut prefix, 0, head_at, run, &mut report);
            }
        }
        None => {
            // Gzip can only be read forwards; stopping after the window is what saves time there.
            let mut scanner = Scanner::new(path, Some(&stamps), tolerance, first_line, opened.gzip);
            scan_whole(&opened, map.as_ref(), &mut scanner, run, &mut report);
        }
    }
    check_replaced(path, &opened, &mut report);
    report
}

fn scan_whole(opened: &Opened, map: Option<&Mapped>, scanner: &mut Scanner, run: &mut Run, report: &mut FileReport) {
    if opened.gzip {
        let mut decoder = flate2::read::MultiGzDecoder::new(io::BufReader::with_capacity(CHUNK, &opened.file));
        scanner.run(&mut decoder, 0, run, report);
    } else {
        read_range(opened, map, scanner, 0, opened.size, run, report);
    }
}

/// Searches `start..end` of a plain file, from its map or by reading; warns when the file
/// turned out shorter than that.
fn read_range(
    opened: &Opened,
    map: Option<&Mapped>,
    scanner: &mut Scanner,
    start: u64,
    end: u64,
    run: &mut Run,
    report: &mut FileReport,
) {
    let reached = match map {
        Some(map) => {
            scanner.fault = Some(map.fault_flag());
            scanner.run_mapped(map, start as usize, end as usize, run, report)
        }
        None => {
            let mut file = &opened.file;
            if let Err(e) = file.seek(SeekFrom::Start(start)) {
                report.warnings.push(format!("cannot seek to byte {start}: {e}"));
                return;
            }
            scanner.run(&mut file.take(end - start), start, run, report)
        }
    };
    // A fault may have come after the last match: ask the flag itself, not just the scanner.
    let faulted = scanner.faulted();
    if (faulted || reached < end) && !scanner.finished && !run.stopped {
        let now = opened.file.metadata().map_or(0, |m| m.len());
        report.warnings.push(shrank(opened.size, now));
    }
}

fn shrank(size: u64, now: u64) -> String {
    format!(
        "shrank while being searched (truncated or rotated?) from {size} to {now} bytes; searched what was there before"
    )
}

/// Warns when the path now names another file than the one searched (moved away by rotation).
fn check_replaced(path: &Path, opened: &Opened, report: &mut FileReport) {
    if let Ok(now) = std::fs::metadata(path)
        && (now.dev(), now.ino()) != opened.identity
    {
        report.warnings.push("was replaced while being searched (rotated?); searched the file as opened".into());
    }
}
