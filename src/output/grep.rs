//! Rendering `incident grep`: records (plain, coloured or JSON Lines) and the per-minute
//! histogram. Records are gathered in a buffer and written in large pieces, not one write each.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::sanitize::{json_safe as terminal_safe_json, terminal_safe_bytes};
use super::{Output, Style};
use crate::error::Result;
use crate::logsearch::{Hit, Matcher, Micros};

const FLUSH_AT: usize = 64 << 10;

/// Writes records to stdout as the search finds them.
pub struct RecordPrinter<'a> {
    out: &'a Output,
    matcher: &'a Matcher,
    /// Prefix each line with its file (more than one file searched).
    show_path: bool,
    /// Print `--` between groups that do not follow each other (with context).
    separate: bool,
    /// `-o`: print only the matching parts of matching records, one per line.
    pub only_matching: bool,
    /// JSON and logfmt records as time, level, message, then the other fields.
    pub readable: bool,
    buf: Vec<u8>,
    /// Where the last printed record ended, to tell adjacent records from gaps.
    last_end: Option<(PathBuf, u64)>,
}

impl<'a> RecordPrinter<'a> {
    pub fn new(out: &'a Output, matcher: &'a Matcher, show_path: bool, separate: bool) -> Self {
        RecordPrinter {
            out,
            matcher,
            show_path,
            separate,
            only_matching: false,
            readable: false,
            buf: Vec::with_capacity(FLUSH_AT * 2),
            last_end: None,
        }
    }

    /// One file name (`-l`), or a JSON line `{"type":"file","path":…}`.
    pub fn file_name(&mut self, path: &std::path::Path) -> Result<()> {
        if self.out.json {
            let value = serde_json::json!({ "type": "file", "path": path.display().to_string() });
            serde_json::to_writer(&mut self.buf, &value)
                .map_err(|e| crate::error::Error::runtime(format!("cannot encode JSON: {e}")))?;
        } else {
            self.buf.extend_from_slice(terminal_safe_bytes(path.as_os_str().as_encoded_bytes()).as_bytes());
        }
        self.buf.push(b'\n');
        if self.buf.len() >= FLUSH_AT { self.flush() } else { Ok(()) }
    }

    /// Adds one record (a match or context); writes out when enough has gathered.
    pub fn record(&mut self, hit: &Hit) -> Result<()> {
        if self.out.json {
            self.json(hit)?;
        } else {
            self.text(hit);
        }
        if self.buf.len() >= FLUSH_AT { self.flush() } else { Ok(()) }
    }

    fn json(&mut self, hit: &Hit) -> Result<()> {
        let value = serde_json::json!({
            "type": if hit.context { "context" } else { "match" },
            "path": hit.path.display().to_string(),
            "line": hit.line,
            "offset": hit.offset,
            "time": hit.time.map(format_micros),
            "text": String::from_utf8_lossy(hit.text),
        });
        let json = serde_json::to_string(&value)
            .map_err(|e| crate::error::Error::runtime(format!("cannot encode JSON: {e}")))?;
        self.buf.extend_from_slice(terminal_safe_json(json).as_bytes());
        self.buf.push(b'\n');
        Ok(())
    }

    fn text(&mut self, hit: &Hit) {
        if self.only_matching {
            self.parts(hit);
            return;
        }
        let adjacent = self.last_end.as_ref().is_some_and(|(p, end)| p == hit.path && *end == hit.offset);
        if self.separate && self.last_end.is_some() && !adjacent {
            self.buf.extend_from_slice(self.out.paint(Style::Dim, "--").as_bytes());
            self.buf.push(b'\n');
        }
        let length = hit.unwrapped.unwrap_or(hit.text.len() as u64 + 1);
        self.last_end = Some((hit.path.to_path_buf(), hit.offset + length));
        let mut rendered = if self.readable { readable(hit) } else { None };
        if rendered.is_none()
            && hit.unwrapped.is_some()
            && let Some(time) = hit.time
        {
            rendered = Some(format!("{} {}", format_micros(time), String::from_utf8_lossy(hit.text)));
        }
        let text = rendered.as_deref().map_or(hit.text, str::as_bytes);
        // Log lines are external text: made safe on a terminal and off it (a pipe to `less -R`
        // or a file someone will `cat` is a terminal later).
        let styled = self.out.colors_stdout();
        for line in text.split(|b| *b == b'\n') {
            if self.show_path {
                let prefix = format!("{}{}", hit.path.display(), if hit.context { '-' } else { ':' });
                self.buf.extend_from_slice(self.out.paint(Style::Cyan, &prefix).as_bytes());
            }
            if !styled {
                self.buf.extend_from_slice(terminal_safe_bytes(line).as_bytes());
            } else if hit.context {
                self.buf.extend_from_slice(self.out.paint(Style::Dim, &terminal_safe_bytes(line)).as_bytes());
            } else {
                self.highlighted(line);
            }
            self.buf.push(b'\n');
        }
    }

    /// `-o`: each match of a matching record on a line of its own; context records print nothing.
    fn parts(&mut self, hit: &Hit) {
        if hit.context {
            return;
        }
        let styled = self.out.colors_stdout();
        for line in hit.text.split(|b| *b == b'\n') {
            let mut pos = 0;
            while let Some((start, end)) = self.matcher.find_at(line, pos).filter(|(s, e)| e > s) {
                if self.show_path {
                    let prefix = format!("{}:", hit.path.display());
                    self.buf.extend_from_slice(self.out.paint(Style::Cyan, &prefix).as_bytes());
                }
                if styled {
                    self.buf.extend_from_slice(
                        self.out.paint(Style::Red, &terminal_safe_bytes(&line[start..end])).as_bytes(),
                    );
                } else {
                    self.buf.extend_from_slice(terminal_safe_bytes(&line[start..end]).as_bytes());
                }
                self.buf.push(b'\n');
                pos = end;
            }
        }
    }

    fn highlighted(&mut self, line: &[u8]) {
        let mut pos = 0;
        while pos <= line.len() {
            let Some((start, end)) = self.matcher.find_at(line, pos) else { break };
            if end == start {
                break;
            }
            self.buf.extend_from_slice(terminal_safe_bytes(&line[pos..start]).as_bytes());
            self.buf.extend_from_slice(self.out.paint(Style::Red, &terminal_safe_bytes(&line[start..end])).as_bytes());
            pos = end;
        }
        self.buf.extend_from_slice(terminal_safe_bytes(line.get(pos..).unwrap_or_default()).as_bytes());
    }

    /// Writes out what has gathered.
    pub fn flush(&mut self) -> Result<()> {
        if !self.buf.is_empty() {
            Output::raw(&self.buf)?;
            self.buf.clear();
        }
        Ok(())
    }
}

/// Field names that say a structured record's level and message, in order of preference.
const LEVEL_KEYS: [&str; 5] = ["level", "lvl", "severity", "levelname", "s"];
const MESSAGE_KEYS: [&str; 6] = ["msg", "message", "MESSAGE", "log", "short_message", "event"];

/// A JSON or logfmt record as `time LEVEL message key=value ...`; None for other records.
fn readable(hit: &Hit) -> Option<String> {
    let fields = crate::logsearch::fields::parse(hit.text)?;
    let find = |keys: &[&str]| keys.iter().find_map(|k| fields.iter().position(|(name, _)| name == k));
    let level = find(&LEVEL_KEYS);
    let message = find(&MESSAGE_KEYS);
    let is_time = |name: &str| {
        let last = name.rsplit('.').next().unwrap_or(name);
        crate::logsearch::keyed::TIME_KEYS.contains(&last) || crate::logsearch::keyed::TIME_KEYS.contains(&name)
    };
    let mut parts: Vec<String> = Vec::new();
    if let Some(t) = hit.time {
        parts.push(format_micros(t));
    }
    if let Some(i) = level {
        parts.push(fields[i].1.to_uppercase());
    }
    if let Some(i) = message {
        parts.push(fields[i].1.trim_end().to_string());
    }
    for (index, (name, value)) in fields.iter().enumerate() {
        // Fields starting with `_` are the journal's own (`_BOOT_ID`, `__CURSOR`): noise here.
        let journal_own = name.starts_with('_');
        if Some(index) == level || Some(index) == message || journal_own || (hit.time.is_some() && is_time(name)) {
            continue;
        }
        let quoted = value.is_empty() || value.contains([' ', '"', '=']);
        parts.push(if quoted { format!("{name}={value:?}") } else { format!("{name}={value}") });
    }
    // The rest of a multi-line record (a stack trace under a JSON line) as written.
    let rest = hit.text.iter().position(|b| *b == b'\n').map(|i| String::from_utf8_lossy(&hit.text[i..]));
    Some(parts.join(" ") + rest.as_deref().unwrap_or(""))
}

/// RFC 3339, UTC, with as many fraction digits as needed.
pub fn format_micros(micros: Micros) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

/// Bucket widths, in minutes, a histogram may use to stay a screenful.
const WIDTHS: [i64; 12] = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
const MAX_ROWS: i64 = 60;
const BAR: usize = 50;

/// Matching records per minute drawn as bars, one row per bucket from the first match to the
/// last (wider buckets when that would be more than a screenful), empty buckets included.
pub fn histogram(out: &Output, per_minute: &BTreeMap<i64, u64>) -> String {
    let (Some((&first, _)), Some((&last, _))) = (per_minute.first_key_value(), per_minute.last_key_value()) else {
        return String::new();
    };
    let span = last - first + 1;
    let width = WIDTHS.iter().copied().find(|w| (span + w - 1) / w <= MAX_ROWS).unwrap_or(1440);
    let start = first.div_euclid(width) * width;
    let mut rows: Vec<(i64, u64)> = Vec::new();
    let mut bucket = start;
    while bucket <= last {
        let count = per_minute.range(bucket..bucket + width).map(|(_, c)| c).sum();
        rows.push((bucket, count));
        bucket += width;
    }
    let most = rows.iter().map(|(_, c)| *c).max().unwrap_or(1).max(1);
    let label_day = first.div_euclid(1440) != last.div_euclid(1440);
    let mut text = String::new();
    if width > 1 {
        text.push_str(&out.paint(Style::Dim, &format!("(one row per {width} minutes, UTC)\n")));
    }
    for (minute, count) in rows {
        let t = DateTime::<Utc>::from_timestamp(minute * 60, 0).unwrap_or_default();
        let label = if label_day { t.format("%Y-%m-%d %H:%M").to_string() } else { t.format("%H:%M").to_string() };
        let len = (count as f64 / most as f64 * BAR as f64).ceil() as usize;
        let bar = "█".repeat(len);
        text.push_str(&format!("{label} {} {count}\n", out.paint(Style::Red, &format!("{bar:<BAR$}"))));
    }
    text
}
