//! Reading a stream of records and finding the matching ones.
//!
//! A file is read in large chunks (or taken from its map in windows); each is cut at the start
//! of its last record head, so the part searched always holds whole records and the rest is
//! carried on. Without context the pattern runs over the whole part at once (as ripgrep does)
//! and only its matches are mapped to records; with context, or inverted, every record is visited.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use memchr::{memchr, memchr_iter, memrchr};

use super::fields;
use super::mapped::Mapped;
use super::scan::{CHUNK, Run};
use super::stamp::{Micros, StampReader};
use super::{FileReport, Hit};

/// How much of a mapped file is searched at a time (and then dropped from memory).
const MAP_WINDOW: usize = 8 << 20;
/// A record longer than this is cut at a line end (or anywhere) rather than held whole.
const MAX_RECORD: usize = 64 << 20;

/// A record held back as possible before-context: line, offset, time, text.
type Held = (Option<u64>, u64, Option<Micros>, Vec<u8>);

/// Reads one stream of records and hands the matching ones on.
pub(super) struct Scanner<'a> {
    path: &'a Path,
    stamps: Option<&'a StampReader>,
    tolerance: i64,
    /// Stop once a record is past the window's end by more than the tolerance (only while the
    /// records read so far kept within it).
    pub(super) stop_allowed: bool,
    /// Drop lines up to the first record head (reading from the middle of a file).
    pub(super) skip_to_head: bool,
    /// The number of the next line, when read from the start of the file.
    line: Option<u64>,
    latest: Option<Micros>,
    worst_backstep: i64,
    /// Reached the window's end.
    pub(super) finished: bool,
    pub(super) first_head: Option<u64>,
    before: VecDeque<Held>,
    after_left: usize,
    /// Raised by the SIGBUS guard when the mapped file shrank: nothing read after it is trusted.
    pub(super) fault: Option<&'static AtomicBool>,
    /// Stopped because the file shrank under the map.
    pub(super) cut_short: bool,
}

impl<'a> Scanner<'a> {
    pub(super) fn new(
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
    pub(super) fn faulted(&mut self) -> bool {
        if self.fault.is_some_and(|f| f.load(Ordering::SeqCst)) {
            self.cut_short = true;
        }
        self.cut_short
    }

    /// Searches `start..end` of a mapped file in windows, dropping each from memory once
    /// searched; returns the offset reached.
    pub(super) fn run_mapped(
        &mut self,
        map: &Mapped,
        start: usize,
        end: usize,
        run: &mut Run,
        report: &mut FileReport,
    ) -> u64 {
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

    pub(super) fn disordered(&self) -> bool {
        self.worst_backstep > self.tolerance
    }

    fn is_head(&self, line: &[u8]) -> bool {
        self.stamps.is_none_or(|s| s.read(line).is_some())
    }

    /// Reads `reader` (positioned at `base`) to its end or the window's; returns the offset
    /// reached. Read errors end the file with a warning.
    pub(super) fn run(&mut self, reader: &mut dyn Read, base: u64, run: &mut Run, report: &mut FileReport) -> u64 {
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
        let options = run.options;
        if options.before > 0 || options.after > 0 || options.invert {
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
            if !fields::accepts_all(&run.options.filters, text) {
                continue;
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
            run.emit(&Hit {
                path: self.path,
                line,
                offset: base + record_start as u64,
                time,
                text,
                context: false,
                unwrapped: None,
            });
        }
        if let Some(l) = self.line {
            self.line = Some(l + memchr_iter(b'\n', &region[counted..]).count() as u64);
        }
        region.len()
    }

    /// Record by record: times read for each, for the window and for context.
    fn by_record(&mut self, region: &[u8], base: u64, run: &mut Run, report: &mut FileReport) -> usize {
        let window = run.options.window;
        let (before, after, invert) = (run.options.before, run.options.after, run.options.invert);
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
            let matched = window.contains(time)
                && run.matcher.matches_record(text) != invert
                && fields::accepts_all(&run.options.filters, text);
            if matched {
                if run.summary.hit_max {
                    run.stopped = true;
                    break;
                }
                for (line, offset, time, text) in std::mem::take(&mut self.before) {
                    run.emit(&Hit { path: self.path, line, offset, time, text: &text, context: true, unwrapped: None });
                }
                report.matched += 1;
                run.emit(&Hit { path: self.path, line, offset, time, text, context: false, unwrapped: None });
                self.after_left = after;
            } else if self.after_left > 0 {
                self.after_left -= 1;
                run.emit(&Hit { path: self.path, line, offset, time, text, context: true, unwrapped: None });
                if self.after_left == 0 && run.summary.hit_max {
                    run.stopped = true;
                }
            } else if before > 0 {
                if self.before.len() == before {
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
