//! Probing a file without reading it: its first record heads, how far out of time order it
//! runs, and where a window starts (binary search).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;

use memchr::memchr;

use super::FileReport;
use super::scan::{MIN_TOLERANCE, Opened, SECOND};
use super::stamp::{Micros, StampReader};

/// What one probe of the binary search reads.
const PROBE: usize = 16 << 10;
/// How many probes test whether a file runs forward in time.
const PROBES: u64 = 16;
/// Past this much disorder a file is treated as unsorted.
const MAX_TOLERANCE: i64 = 3600 * SECOND;

/// Record heads in a buffer of lines: (offset of the line, time).
pub(super) fn heads<'a>(buf: &'a [u8], stamps: &'a StampReader) -> impl Iterator<Item = (usize, Micros)> + 'a {
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

pub(super) fn tolerance_of(sample: &[u8], stamps: Option<&StampReader>) -> i64 {
    stamps.map_or(MIN_TOLERANCE, |s| backstep(sample, s).saturating_mul(2).max(MIN_TOLERANCE))
}

/// Probes a plain file at even intervals: Some(tolerance) when its records run forward in time
/// within that tolerance, None when it is not sorted enough to binary search.
pub(super) fn sorted_tolerance(opened: &Opened, stamps: &StampReader, report: &mut FileReport) -> Option<i64> {
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
pub(super) fn seek_start(opened: &Opened, stamps: &StampReader, target: Micros, report: &mut FileReport) -> u64 {
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

/// Reads up to `buf.len()` bytes at `offset` (short only at the end of the file).
pub(super) fn read_at_most(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
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
