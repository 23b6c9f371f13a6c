//! Merging two versions of one timeline, as git's merge driver for `*/timeline.jsonl`.
//!
//! A timeline is append-only, so two versions of it are two sets of events that grew from a
//! common start: the merge is their union, by event id. The base is not needed (nothing is ever
//! removed from a timeline, so there is nothing to take away). The result keeps `incident.opened`
//! first and orders the rest by time, then id, so every clone that merges the same two sets
//! writes the same bytes. Lines are kept byte for byte (a newer writer's fields survive), and a
//! line that does not parse is never dropped: such lines go after the events, and the report says
//! where.

use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::timeline::{damage_reason, parse_line, raw_lines};
use crate::error::{Error, Result};
use crate::model::{Body, Event};

/// What a merge did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MergeReport {
    /// Events in the result.
    pub events: usize,
    /// Events that only the other side had.
    pub from_theirs: usize,
    /// Lines that do not parse, kept as they were: (line number in the result, why).
    pub kept_unparsed: Vec<(usize, String)>,
    /// Ids that the two sides hold with different content; both versions are kept.
    pub diverging_ids: Vec<String>,
}

struct Line<'a> {
    bytes: &'a [u8],
    event: Event,
}

/// Merges `ours` and `theirs` (the contents of two versions of a timeline) into one.
pub fn merge_timelines(ours: &[u8], theirs: &[u8]) -> (Vec<u8>, MergeReport) {
    let mut report = MergeReport::default();
    let (mut events, mut unparsed) = split(ours);
    let (their_events, their_unparsed) = split(theirs);

    // Event id -> indexes in `events` of the versions kept.
    let mut by_id: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, line) in events.iter().enumerate() {
        by_id.entry(line.event.id.clone()).or_default().push(i);
    }
    for line in their_events {
        let known = by_id.get(&line.event.id).cloned().unwrap_or_default();
        // The same event written with other bytes (another serialiser) is still the same event.
        if known.iter().any(|&i| events[i].bytes == line.bytes || events[i].event == line.event) {
            continue;
        }
        if known.is_empty() {
            report.from_theirs += 1;
        } else {
            report.diverging_ids.push(line.event.id.clone());
        }
        by_id.entry(line.event.id.clone()).or_default().push(events.len());
        events.push(line);
    }
    // Damaged lines: ours all, theirs those ours do not already hold (counting repeats).
    let mut ours_left: HashMap<&[u8], usize> = HashMap::new();
    for (bytes, _) in &unparsed {
        *ours_left.entry(bytes).or_default() += 1;
    }
    let mut extra = Vec::new();
    for (bytes, reason) in their_unparsed {
        match ours_left.get_mut(bytes) {
            Some(n) if *n > 0 => *n -= 1,
            _ => extra.push((bytes, reason)),
        }
    }
    unparsed.extend(extra);

    // The opening event first (the earliest, should both sides have opened the same id), then
    // time order; the id breaks ties so that the order is the same on every clone.
    let key = |line: &Line| -> (DateTime<Utc>, String) { (line.event.ts, line.event.id.clone()) };
    events.sort_by(|a, b| key(a).cmp(&key(b)).then_with(|| a.bytes.cmp(b.bytes)));
    if let Some(first) = events.iter().position(|l| matches!(l.event.body, Body::Opened { .. })) {
        let opened = events.remove(first);
        events.insert(0, opened);
    }

    let mut out = Vec::with_capacity(ours.len() + theirs.len());
    for line in &events {
        out.extend_from_slice(line.bytes);
        out.push(b'\n');
    }
    report.events = events.len();
    for (n, (bytes, reason)) in unparsed.into_iter().enumerate() {
        out.extend_from_slice(bytes);
        out.push(b'\n');
        report.kept_unparsed.push((events.len() + n + 1, reason));
    }
    (out, report)
}

/// A file's events and its lines that are not events (a torn tail counts as one: its bytes are
/// kept, now terminated).
fn split(bytes: &[u8]) -> (Vec<Line<'_>>, Vec<(&[u8], String)>) {
    let mut events = Vec::new();
    let mut unparsed = Vec::new();
    for line in raw_lines(bytes) {
        match parse_line(line.bytes) {
            Ok(event) => events.push(Line { bytes: line.bytes, event }),
            Err(reason) => {
                let reason =
                    if line.terminated { reason.to_string() } else { format!("an unterminated last line: {reason}") };
                unparsed.push((line.bytes, damage_reason(line.bytes, reason)));
            }
        }
    }
    (events, unparsed)
}

/// The merge driver's work on files: merges `ours` and `theirs` and writes the result over `ours`
/// (as git expects). `base` is read by git's contract but not needed for a union.
pub fn merge_timeline_files(_base: &Path, ours: &Path, theirs: &Path) -> Result<MergeReport> {
    let read = |path: &Path| std::fs::read(path).map_err(|e| Error::io("cannot read", path, &e));
    let (ours_bytes, theirs_bytes) = (read(ours)?, read(theirs)?);
    let (merged, report) = merge_timelines(&ours_bytes, &theirs_bytes);
    std::fs::write(ours, merged).map_err(|e| Error::io("cannot write", ours, &e))?;
    Ok(report)
}

/// Replaces a timeline git left conflicted with the union of its two sides (stages 2 and 3 of
/// the index), atomically: the conflict markers git wrote are never kept as lines.
pub fn write_union(path: &Path, ours: &[u8], theirs: &[u8]) -> Result<MergeReport> {
    let (merged, report) = merge_timelines(ours, theirs);
    super::atomic::write_atomically(path, &merged)?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(id: &str, ts: &str, kind: &str) -> String {
        match kind {
            "open" => format!(
                r#"{{"id":"{id}","ts":"{ts}","author":"a","kind":"incident.opened","format":1,"title":"t","severity":"sev2"}}"#
            ),
            _ => format!(r#"{{"id":"{id}","ts":"{ts}","author":"a","kind":"note","text":"{id}"}}"#),
        }
    }

    fn file(lines: &[String]) -> Vec<u8> {
        lines.iter().flat_map(|l| format!("{l}\n").into_bytes()).collect()
    }

    fn ids(bytes: &[u8]) -> Vec<String> {
        raw_lines(bytes).filter_map(|l| parse_line(l.bytes).ok()).map(|e| e.id).collect()
    }

    #[test]
    fn the_union_keeps_opened_first_then_time_then_id() {
        let open = line("0OPEN", "2026-11-22T14:10:00.000Z", "open");
        // A back-dated note that is earlier than the opening still comes after it.
        let early = line("9EARLY", "2026-11-22T14:00:00.000Z", "note");
        let a = line("1A", "2026-11-22T14:20:00.000Z", "note");
        let b = line("2B", "2026-11-22T14:20:00.000Z", "note");
        let c = line("3C", "2026-11-22T14:15:00.000Z", "note");
        let ours = file(&[open.clone(), b.clone(), early.clone()]);
        let theirs = file(&[open, a, c]);
        let (merged, report) = merge_timelines(&ours, &theirs);
        assert_eq!(ids(&merged), ["0OPEN", "9EARLY", "3C", "1A", "2B"]);
        assert_eq!(report.from_theirs, 2);
        // The same inputs the other way round give the same bytes: every clone agrees.
        let (swapped, _) = merge_timelines(&theirs, &ours);
        assert_eq!(merged, swapped);
    }

    #[test]
    fn unparsable_lines_and_torn_tails_are_kept_once_after_the_events() {
        let open = line("0OPEN", "2026-11-22T14:10:00.000Z", "open");
        let mut ours = file(&[open.clone(), "not json".into()]);
        ours.extend_from_slice(b"{\"id\":\"torn");
        let theirs = file(&[open, "not json".into(), line("1A", "2026-11-22T14:20:00.000Z", "note")]);
        let (merged, report) = merge_timelines(&ours, &theirs);
        let text = String::from_utf8_lossy(&merged);
        assert_eq!(text.matches("not json").count(), 1, "{text}");
        assert!(text.ends_with("not json\n{\"id\":\"torn\n"), "{text}");
        assert_eq!(report.kept_unparsed.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [3, 4]);
    }

    #[test]
    fn an_id_with_two_contents_keeps_both() {
        let open = line("0OPEN", "2026-11-22T14:10:00.000Z", "open");
        let ours = file(&[open.clone(), line("1A", "2026-11-22T14:20:00.000Z", "note")]);
        let edited = line("1A", "2026-11-22T14:20:00.000Z", "note").replace("\"text\":\"1A\"", "\"text\":\"x\"");
        let theirs = file(&[open, edited]);
        let (merged, report) = merge_timelines(&ours, &theirs);
        assert_eq!(ids(&merged), ["0OPEN", "1A", "1A"]);
        assert_eq!(report.diverging_ids, ["1A"]);
    }
}
