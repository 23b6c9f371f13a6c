//! Reading files into records and finding the matching ones.
//!
//! A file is read in large chunks; each chunk is cut at the start of its last record head, so the
//! part handed on always holds whole records and the rest is carried into the next read. Without
//! a window the pattern runs over the whole chunk at once (as ripgrep does) and only matches are
//! mapped back to their records; with a window every record's time is read, which also measures
//! how far the file is out of order.
//!
//! A plain file large enough is binary searched to the window's start when probes across it say
//! it runs forward in time. "Nearly sorted" is allowed for with a tolerance twice the largest
//! backward step seen: the search starts `tolerance` before the window and stops `tolerance` after
//! it. If the records read show more disorder than that, the stop is called off and the skipped
//! start of the file is read too, so the answer stays exact.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};

use std::sync::atomic::{AtomicBool, Ordering};

use memchr::{memchr, memchr_iter, memrchr};

use super::files::{self, is_gzip, read_prefix};
use super::mapped::Mapped;
use super::stamp::{Micros, StampReader};
use super::{FileReport, Flow, Hit, Matcher, Options, Strategy, Summary};

/// The read size; a chunk grows only for a record longer than this.
const CHUNK: usize = 256 << 10;
/// How much of a mapped file is searched at a time (and then dropped from memory).
const MAP_WINDOW: usize = 8 << 20;
/// A record longer than this is cut at a line end (or anywhere) rather than held whole.
const MAX_RECORD: usize = 64 << 20;
/// What format detection looks at.
const SAMPLE: usize = 64 << 10;
/// What one probe of the binary search reads.
const PROBE: usize = 16 << 10;
/// How many probes test whether a file runs forward in time.
const PROBES: u64 = 16;
const SECOND: i64 = 1_000_000;
/// The least allowance for records out of order.
const MIN_TOLERANCE: i64 = SECOND;
/// Past this much disorder a file is treated as unsorted.
const MAX_TOLERANCE: i64 = 3600 * SECOND;

/// State shared by all files of one search.
struct Run<'a> {
    sink: &'a mut dyn FnMut(&Hit) -> Flow,
    options: &'a Options,
    matcher: &'a Matcher,
    summary: Summary,
    stopped: bool,
}

impl Run<'_> {
    fn emit(&mut self, hit: &Hit) {
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
                if self.options.context == 0 {
                    self.stopped = true;
                }
            }
        }
    }
}

pub fn search(paths: &[PathBuf], matcher: &Matcher, options: &Options, sink: &mut dyn FnMut(&Hit) -> Flow) -> Summary {
    let mut run = Run { sink, options, matcher, summary: Summary::default(), stopped: false };
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
    let mut run = Run { sink, options, matcher, summary: Summary::default(), stopped: false };
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

struct Opened {
    file: File,
    gzip: bool,
    /// The first bytes (decompressed for gzip).
    sample: Vec<u8>,
    size: u64,
    mtime: Option<Micros>,
    identity: (u64, u64),
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

fn read_at_most(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
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
    let seek = match (seekable, window.since) {
        (true, Some(since)) => sorted_tolerance(&opened, &stamps, &mut report).map(|tol| (since, tol.max(tolerance))),
        _ => None,
    };
    match seek {
        Some((since, tolerance)) => {
            report.strategy = Strategy::Seek;
            let start = seek_start(&opened, &stamps, since - tolerance, &mut report);
            let mut scanner = Scanner::new(path, Some(&stamps), tolerance, None, true);
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

/// Record heads in a buffer of lines: (offset of the line, time).
fn heads<'a>(buf: &'a [u8], stamps: &'a StampReader) -> impl Iterator<Item = (usize, Micros)> + 'a {
    let mut start = 0;
    std::iter::from_fn(move || {
        while start < buf.len() {
            let end = memchr(b'\n', &buf[start..]).map_or(buf.len(), |i| start + i);
            let line_start = start;
            start = end + 1;
            if let Some(t) = stamps.read(&buf[line_start..end]) {
                return Some((line_start, t));
            }
        }
        None
    })
}

/// The largest step back in time among the heads of a buffer (0 when in order).
fn backstep(buf: &[u8], stamps: &StampReader) -> i64 {
    let mut latest = i64::MIN;
    let mut worst = 0;
    for (_, t) in heads(buf, stamps) {
        worst = worst.max(latest.saturating_sub(t));
        latest = latest.max(t);
    }
    worst
}

fn tolerance_of(sample: &[u8], stamps: Option<&StampReader>) -> i64 {
    stamps.map_or(MIN_TOLERANCE, |s| backstep(sample, s).saturating_mul(2).max(MIN_TOLERANCE))
}

/// Probes a plain file at even intervals: Some(tolerance) when its records run forward in time
/// within that tolerance, None when it is not sorted enough to binary search.
fn sorted_tolerance(opened: &Opened, stamps: &StampReader, report: &mut FileReport) -> Option<i64> {
    let mut firsts = Vec::new();
    let mut local = 0;
    let mut block = vec![0u8; PROBE];
    for k in 0..=PROBES {
        let offset = (opened.size.saturating_sub(PROBE as u64)) * k / PROBES;
        let n = read_at_most(&opened.file, &mut block, offset).ok()?;
        report.bytes_read += n as u64;
        let lines = aligned(&block[..n], offset);
        local = local.max(backstep(lines, stamps));
        if let Some((_, t)) = heads(lines, stamps).next() {
            firsts.push(t);
        }
    }
    let tolerance = local.saturating_mul(2).max(MIN_TOLERANCE);
    let forward = firsts.windows(2).all(|w| w[1] >= w[0] - tolerance);
    (forward && tolerance <= MAX_TOLERANCE).then_some(tolerance)
}

/// The whole lines of a block read at `offset` (the first, partial, line dropped unless at 0).
fn aligned(block: &[u8], offset: u64) -> &[u8] {
    if offset == 0 {
        return block;
    }
    match memchr(b'\n', block) {
        Some(i) => &block[i + 1..],
        None => &[],
    }
}

/// The offset to read from so that no record before it is at or after `target` (given the
/// tolerance already subtracted): a binary search on the first head after each probe.
fn seek_start(opened: &Opened, stamps: &StampReader, target: Micros, report: &mut FileReport) -> u64 {
    let (mut lo, mut hi) = (0u64, opened.size);
    let mut block = vec![0u8; PROBE];
    while hi - lo > PROBE as u64 {
        let mid = lo + (hi - lo) / 2;
        let Ok(n) = read_at_most(&opened.file, &mut block, mid) else { break };
        report.bytes_read += n as u64;
        match heads(aligned(&block[..n], mid), stamps).next() {
            Some((_, t)) if t < target => lo = mid,
            _ => hi = mid,
        }
    }
    lo
}

/// A record held back as possible before-context: line, offset, time, text.
type Held = (Option<u64>, u64, Option<Micros>, Vec<u8>);

/// Reads one stream of records and hands the matching ones on.
struct Scanner<'a> {
    path: &'a Path,
    stamps: Option<&'a StampReader>,
    tolerance: i64,
    /// Stop once a record is past the window's end by more than the tolerance (only while the
    /// records read so far kept within it).
    stop_allowed: bool,
    /// Drop lines up to the first record head (reading from the middle of a file).
    skip_to_head: bool,
    /// The number of the next line, when read from the start of the file.
    line: Option<u64>,
    latest: Option<Micros>,
    worst_backstep: i64,
    /// Reached the window's end.
    finished: bool,
    first_head: Option<u64>,
    before: VecDeque<Held>,
    after_left: usize,
    /// Raised by the SIGBUS guard when the mapped file shrank: nothing read after it is trusted.
    fault: Option<&'static AtomicBool>,
    /// Stopped because the file shrank under the map.
    cut_short: bool,
}

impl<'a> Scanner<'a> {
    fn new(
        path: &'a Path,
        stamps: Option<&'a StampReader>,
        tolerance: i64,
        line: Option<u64>,
        stop_allowed: bool,
    ) -> Self {
        Scanner {
            path,
            stamps,
            tolerance,
            stop_allowed,
            skip_to_head: false,
            line,
            latest: None,
            worst_backstep: 0,
            finished: false,
            first_head: None,
            before: VecDeque::new(),
            after_left: 0,
            fault: None,
            cut_short: false,
        }
    }

    /// Whether the mapped file shrank: checked before anything read is handed on.
    fn faulted(&mut self) -> bool {
        if self.fault.is_some_and(|f| f.load(Ordering::SeqCst)) {
            self.cut_short = true;
        }
        self.cut_short
    }

    /// Searches `start..end` of a mapped file in windows, dropping each from memory once
    /// searched; returns the offset reached.
    fn run_mapped(&mut self, map: &Mapped, start: usize, end: usize, run: &mut Run, report: &mut FileReport) -> u64 {
        let bytes = &map.bytes()[..end.min(map.bytes().len())];
        let end = bytes.len();
        let mut pos = start;
        if self.skip_to_head && pos < end {
            let from = pos.saturating_sub(1);
            pos = self.first_head_in(&bytes[from..]).map_or(end, |i| from + i);
            self.skip_to_head = false;
        }
        while pos < end && !self.finished && !run.stopped && !self.faulted() {
            // With a window, small steps: the check for its end is made at each step.
            let step = if run.options.window.is_bounded() { CHUNK } else { MAP_WINDOW };
            let limit = end.min(pos + step);
            let mut cut = if limit == end { end } else { pos + self.boundary(&bytes[pos..limit]) };
            if cut == pos {
                // One record longer than a window: take it whole, up to the longest we allow.
                let limit = end.min(pos + MAX_RECORD);
                cut = if limit == end { end } else { pos + self.boundary(&bytes[pos..limit]) };
                if cut == pos {
                    cut = memrchr(b'\n', &bytes[pos..limit]).map_or(limit, |i| pos + i + 1);
                }
            }
            self.first_head.get_or_insert(pos as u64);
            let used = self.process(&bytes[pos..cut], pos as u64, run, report);
            report.bytes_read += used as u64;
            map.release(pos, cut);
            pos = cut;
        }
        pos as u64
    }

    fn disordered(&self) -> bool {
        self.worst_backstep > self.tolerance
    }

    fn is_head(&self, line: &[u8]) -> bool {
        self.stamps.is_none_or(|s| s.read(line).is_some())
    }

    /// Reads `reader` (positioned at `base`) to its end or the window's; returns the offset
    /// reached. Read errors end the file with a warning.
    fn run(&mut self, reader: &mut dyn Read, base: u64, run: &mut Run, report: &mut FileReport) -> u64 {
        let mut buf = vec![0u8; CHUNK];
        let mut filled = 0;
        let mut offset = base;
        let mut eof = false;
        while !eof && !self.finished && !run.stopped {
            if filled == buf.len() {
                buf.resize((buf.len() * 2).min(MAX_RECORD), 0);
            }
            while filled < buf.len() {
                match reader.read(&mut buf[filled..]) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => {
                        filled += n;
                        report.bytes_read += n as u64;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        report.warnings.push(format!(
                            "read failed after {} bytes: {e}; searched what came before",
                            offset + filled as u64
                        ));
                        eof = true;
                        break;
                    }
                }
            }
            let mut end = if eof { filled } else { self.boundary(&buf[..filled]) };
            if end == 0 && !eof {
                if buf.len() < MAX_RECORD {
                    continue;
                }
                // One record larger than any buffer we allow: cut it at a line end, or anywhere.
                end = memrchr(b'\n', &buf[..filled]).map_or(filled, |i| i + 1);
            }
            let mut start = 0;
            if self.skip_to_head {
                start = self.first_head_in(&buf[..end]).unwrap_or(end);
                self.skip_to_head = start == end && !eof;
            }
            if start < end {
                self.first_head.get_or_insert(offset + start as u64);
                self.process(&buf[start..end], offset + start as u64, run, report);
            }
            buf.copy_within(end..filled, 0);
            filled -= end;
            offset += end as u64;
        }
        offset + filled as u64
    }

    fn first_head_in(&self, buf: &[u8]) -> Option<usize> {
        // The first line is partial (the read began mid-line): never a head.
        let mut start = memchr(b'\n', buf)? + 1;
        while start < buf.len() {
            let end = memchr(b'\n', &buf[start..]).map_or(buf.len(), |i| start + i);
            if self.is_head(&buf[start..end]) {
                return Some(start);
            }
            start = end + 1;
        }
        None
    }

    /// Where the last record that may continue past the buffer starts: everything before it is
    /// whole records. 0 when there is no such point yet.
    fn boundary(&self, buf: &[u8]) -> usize {
        let Some(last_newline) = memrchr(b'\n', buf) else { return 0 };
        if self.stamps.is_none() {
            return last_newline + 1;
        }
        // Walk back over complete lines to the last head.
        let mut end = last_newline;
        loop {
            let start = memrchr(b'\n', &buf[..end]).map_or(0, |i| i + 1);
            if self.is_head(&buf[start..end]) {
                return start;
            }
            if start == 0 {
                return 0;
            }
            end = start - 1;
        }
    }

    /// The start of the record holding the line at `line_start`, and the record's time.
    fn head_of(&self, region: &[u8], line_start: usize) -> (usize, Option<Micros>) {
        let Some(stamps) = self.stamps else { return (line_start, None) };
        let mut start = line_start;
        loop {
            let end = memchr(b'\n', &region[start..]).map_or(region.len(), |i| start + i);
            if let Some(t) = stamps.read(&region[start..end]) {
                return (start, Some(t));
            }
            if start == 0 {
                // Lines before any head (the start of a file): a record without a time.
                return (line_start, None);
            }
            start = memrchr(b'\n', &region[..start - 1]).map_or(0, |i| i + 1);
        }
    }

    /// The end of the record starting at `start` (without its newline) and where the next begins.
    fn record_end(&self, region: &[u8], start: usize) -> (usize, usize) {
        let mut end = memchr(b'\n', &region[start..]).map_or(region.len(), |i| start + i);
        while end < region.len() {
            let next = end + 1;
            let next_end = memchr(b'\n', &region[next..]).map_or(region.len(), |i| next + i);
            if next >= region.len() || self.is_head(&region[next..next_end]) {
                return (end, next);
            }
            end = next_end;
        }
        (end, region.len())
    }

    /// Searches a region of whole records; returns how much of it was read (less when the
    /// window ended inside it).
    fn process(&mut self, region: &[u8], base: u64, run: &mut Run, report: &mut FileReport) -> usize {
        if run.options.context > 0 {
            self.by_record(region, base, run, report)
        } else {
            self.by_match(region, base, run, report)
        }
    }

    /// Notes a record's time: how far the file runs backwards, and whether the window is over.
    fn observe(&mut self, time: Micros, until: Option<Micros>) -> bool {
        if let Some(latest) = self.latest {
            self.worst_backstep = self.worst_backstep.max(latest - time);
        }
        self.latest = Some(self.latest.map_or(time, |l| l.max(time)));
        let past_end = until.is_some_and(|u| time >= u.saturating_add(self.tolerance));
        if past_end && self.stop_allowed && !self.disordered() {
            self.finished = true;
        }
        self.finished
    }

    /// Whole-region matching: the pattern runs over the buffer (as ripgrep does) and only its
    /// matches are mapped to records and their times; non-matching records cost nothing. With a
    /// window, each match is kept only if its record's time is inside, and the region's first
    /// record says whether the window is over.
    fn by_match(&mut self, region: &[u8], base: u64, run: &mut Run, report: &mut FileReport) -> usize {
        let window = run.options.window;
        if window.is_bounded()
            && let Some(t) = self.stamps.and_then(|s| s.read(first_line(region)))
            && self.observe(t, window.until)
        {
            return 0;
        }
        let mut pos = 0;
        let mut counted = 0;
        let mut last_record = None;
        while pos < region.len() && !run.stopped {
            let Some(end) = run.matcher.end_at(region, pos) else { break };
            // A byte of the match (its last), or where an empty match sits.
            let probe = if end > pos { end - 1 } else { end };
            if probe >= region.len() {
                break;
            }
            let line_start = memrchr(b'\n', &region[..probe]).map_or(0, |i| i + 1);
            let line_end = memchr(b'\n', &region[probe..]).map_or(region.len(), |i| probe + i);
            if !run.matcher.within_lines() && !run.matcher.is_match(&region[line_start..line_end]) {
                // The match ran across a line end: no match within this line.
                pos = line_end + 1;
                continue;
            }
            // A match on a continuation line belongs to the record of the head above it.
            let (record_start, time) = self.head_of(region, line_start);
            if last_record == Some(record_start) {
                // Another match in a record already handed on.
                pos = line_end + 1;
                continue;
            }
            last_record = Some(record_start);
            let text = if run.options.whole_records {
                let (record_end, next) = self.record_end(region, record_start);
                pos = next;
                &region[record_start..record_end]
            } else {
                pos = line_end + 1;
                &region[record_start..line_end]
            };
            if window.is_bounded() {
                if let Some(t) = time {
                    self.observe(t, None);
                }
                if !window.contains(time) {
                    continue;
                }
            }
            let line = self.line.map(|l| {
                let n = l + memchr_iter(b'\n', &region[counted..record_start]).count() as u64;
                counted = record_start;
                self.line = Some(n);
                n
            });
            if self.faulted() {
                return pos;
            }
            report.matched += 1;
            run.emit(&Hit { path: self.path, line, offset: base + record_start as u64, time, text, context: false });
        }
        if let Some(l) = self.line {
            self.line = Some(l + memchr_iter(b'\n', &region[counted..]).count() as u64);
        }
        region.len()
    }

    /// Record by record: times read for each, for the window and for context.
    fn by_record(&mut self, region: &[u8], base: u64, run: &mut Run, report: &mut FileReport) -> usize {
        let window = run.options.window;
        let context = run.options.context;
        let mut pos = 0;
        while pos < region.len() && !run.stopped {
            let (record_end, next) = self.record_end(region, pos);
            let text = &region[pos..record_end];
            let time = self.stamps.and_then(|s| s.read(first_line(text)));
            if let Some(t) = time
                && self.observe(t, window.until)
            {
                break;
            }
            let line = self.line;
            let offset = base + pos as u64;
            if self.faulted() {
                return pos;
            }
            if window.contains(time) && run.matcher.matches_record(text) {
                if run.summary.hit_max {
                    run.stopped = true;
                    break;
                }
                for (line, offset, time, text) in std::mem::take(&mut self.before) {
                    run.emit(&Hit { path: self.path, line, offset, time, text: &text, context: true });
                }
                report.matched += 1;
                run.emit(&Hit { path: self.path, line, offset, time, text, context: false });
                self.after_left = context;
            } else if self.after_left > 0 {
                self.after_left -= 1;
                run.emit(&Hit { path: self.path, line, offset, time, text, context: true });
                if self.after_left == 0 && run.summary.hit_max {
                    run.stopped = true;
                }
            } else if context > 0 {
                if self.before.len() == context {
                    self.before.pop_front();
                }
                self.before.push_back((line, offset, time, text.to_vec()));
            }
            if let Some(l) = self.line {
                self.line = Some(l + memchr_iter(b'\n', &region[pos..next]).count() as u64);
            }
            pos = next;
        }
        pos
    }
}

fn first_line(text: &[u8]) -> &[u8] {
    memchr(b'\n', text).map_or(text, |i| &text[..i])
}
