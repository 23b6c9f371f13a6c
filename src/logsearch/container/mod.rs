//! Container logs searched as the lines the container wrote: the wrapper (Docker's JSON, CRI's
//! prefix) is taken off, partial lines are joined, the time comes from the wrapper and the
//! pattern and `--where` filters see only the message.
//!
//! - [`wrapper`]: the three wrappers and their detection
//! - [`layout`]: container and pod names found on disk, or handed to `docker logs`/`kubectl logs`

pub mod layout;
pub mod wrapper;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::scan::{MIN_TOLERANCE, Run};
use super::{FileReport, Hit, fields};
use wrapper::Wrapper;

/// A message joined from partial lines is cut here rather than held whole.
const MAX_MESSAGE: usize = 16 << 20;

/// Searches one container log read from its start. Lines that are not in the wrapper are
/// skipped; with `diagnostics`, the first of them are kept there (what `docker logs` says about
/// itself on the same pipe).
pub(in crate::logsearch) fn search(
    path: &Path,
    reader: &mut dyn Read,
    wrapper: Wrapper,
    run: &mut Run,
    report: &mut FileReport,
    mut diagnostics: Option<&mut String>,
) {
    let options = run.options;
    let mut reader = BufReader::with_capacity(super::scan::CHUNK, reader);
    let mut records = Records { path, before: VecDeque::new(), after_left: 0 };
    let mut line = Vec::new();
    let mut message: Vec<u8> = Vec::new();
    // Where the record being joined started.
    let mut started: Option<Start> = None;
    let mut line_number: u64 = 0;
    let mut offset: u64 = 0;
    let mut skipped = 0u64;
    while !run.stopped {
        line.clear();
        let read = match reader.read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                report.warnings.push(format!("read failed after {offset} bytes: {e}; searched what came before"));
                break;
            }
        };
        report.bytes_read += read as u64;
        let here = Start { line: options.line_numbers.then_some(line_number + 1), offset, end: 0, time: 0 };
        line_number += 1;
        offset += read as u64;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let Some(entry) = wrapper.decode(text) else {
            match diagnostics.as_deref_mut() {
                Some(said) if said.len() < 4096 => {
                    said.push_str(&String::from_utf8_lossy(text));
                    said.push('\n');
                }
                _ => skipped += 1,
            }
            continue;
        };
        started.get_or_insert(Start { time: entry.time, ..here });
        if message.len() < MAX_MESSAGE {
            message.extend_from_slice(&entry.message[..entry.message.len().min(MAX_MESSAGE - message.len())]);
        }
        if !entry.partial
            && let Some(start) = started.take()
            && !records.take(Start { end: offset, ..start }, std::mem::take(&mut message), run, report)
        {
            break;
        }
    }
    // A partial line the container never finished (it was killed, or is still writing it).
    if let Some(start) = started
        && !run.stopped
    {
        records.take(Start { end: offset, ..start }, message, run, report);
    }
    if skipped > 0 {
        report.warnings.push(format!("{skipped} line(s) not in the {} format were skipped", wrapper.name()));
    }
}

#[derive(Debug, Clone, Copy)]
struct Start {
    line: Option<u64>,
    offset: u64,
    /// Where the record's last line ends in the file.
    end: u64,
    time: i64,
}

/// Whole messages, checked against the window, pattern and filters, with their context.
struct Records<'a> {
    path: &'a Path,
    before: VecDeque<(Start, Vec<u8>)>,
    after_left: usize,
}

impl Records<'_> {
    /// Hands on one message if it is wanted; false once nothing later can be (past the window).
    fn take(&mut self, start: Start, record: Vec<u8>, run: &mut Run, report: &mut FileReport) -> bool {
        let options = run.options;
        let window = options.window;
        if window.until.is_some_and(|u| start.time >= u.saturating_add(MIN_TOLERANCE)) {
            // One writer, so the file runs forward in time: nothing later is inside.
            return false;
        }
        let path = self.path;
        let matched = window.contains(Some(start.time))
            && run.matcher.matches_record(&record) != options.invert
            && fields::accepts_all(&options.filters, &record);
        if matched {
            if run.summary.hit_max {
                run.stopped = true;
                return false;
            }
            for (held, text) in std::mem::take(&mut self.before) {
                run.emit(&hit(path, held, &text, true));
            }
            report.matched += 1;
            run.emit(&hit(path, start, &record, false));
            self.after_left = options.after;
        } else if self.after_left > 0 {
            self.after_left -= 1;
            run.emit(&hit(path, start, &record, true));
            if self.after_left == 0 && run.summary.hit_max {
                run.stopped = true;
            }
        } else if options.before > 0 {
            if self.before.len() == options.before {
                self.before.pop_front();
            }
            self.before.push_back((start, record));
        }
        !run.stopped
    }
}

fn hit<'t>(path: &'t Path, start: Start, text: &'t [u8], context: bool) -> Hit<'t> {
    Hit {
        path,
        line: start.line,
        offset: start.offset,
        time: Some(start.time),
        text,
        context,
        unwrapped: Some(start.end - start.offset),
    }
}
