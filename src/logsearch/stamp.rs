//! Finding and reading the timestamp at the start of a log record.
//!
//! A file's format is detected once, from a sample of its first lines: every known format is
//! tried at each of the first few whitespace-separated fields, and the (format, field) pair that
//! reads the most lines wins (ties go to the leftmost field). Structured records (JSON lines,
//! logfmt) are tried too, by key rather than by position ([`super::keyed`]), and win when they
//! read at least as many lines. After that, a line is a record head exactly when that format
//! reads it; other lines continue the record above.
//!
//! Times are microseconds since the Unix epoch, UTC. Stamps without a zone are read in the
//! [`Zone`] given; stamps without a year take it from a reference time (the file's modification
//! time): the most recent such date at or before it, which rolls a December-to-January log back
//! across the year boundary.

use std::cell::Cell;

use chrono::format::{Item, Parsed, StrftimeItems};
use chrono::{Local, NaiveDateTime, Offset, TimeZone};

use super::keyed::{KeyFinder, Syntax, TIME_KEYS, Value};

/// Microseconds since the Unix epoch, UTC.
pub type Micros = i64;

const MICROS_PER_SEC: i64 = 1_000_000;
/// How many leading fields are searched for a timestamp.
const MAX_FIELD: usize = 8;
/// How many bytes after a field start a timestamp may take.
const MAX_STAMP_LEN: usize = 64;
/// A year-less stamp may lie this far after the reference time (clock skew, zone mix-ups)
/// before it is taken to belong to the previous year.
const YEARLESS_SLACK: i64 = 86_400 * MICROS_PER_SEC;

/// The zone of timestamps that carry none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Utc,
    /// The machine's local zone (`TZ`).
    Local,
    /// A fixed offset, seconds east of UTC.
    Fixed(i32),
}

impl Zone {
    /// Parses `UTC`, `Z`, `local`, or an offset such as `+01:00`, `-0700`, `+05`.
    pub fn parse(text: &str) -> Result<Zone, ZoneError> {
        let t = text.trim();
        match t.to_ascii_lowercase().as_str() {
            "utc" | "z" | "gmt" => return Ok(Zone::Utc),
            "local" => return Ok(Zone::Local),
            _ => {}
        }
        let err = || ZoneError(text.to_string());
        let (sign, rest) = match t.as_bytes().first() {
            Some(b'+') => (1, &t[1..]),
            Some(b'-') => (-1, &t[1..]),
            _ => return Err(err()),
        };
        let digits: String = rest.chars().filter(|c| *c != ':').collect();
        if !digits.bytes().all(|b| b.is_ascii_digit()) || !matches!(digits.len(), 2 | 4) {
            return Err(err());
        }
        let hours: i32 = digits[..2].parse().map_err(|_| err())?;
        let minutes: i32 = if digits.len() == 4 { digits[2..].parse().map_err(|_| err())? } else { 0 };
        if hours > 23 || minutes > 59 {
            return Err(err());
        }
        Ok(Zone::Fixed(sign * (hours * 3600 + minutes * 60)))
    }

    /// Seconds east of UTC in force at this local wall-clock time.
    fn offset_at(self, naive: &NaiveDateTime) -> i32 {
        match self {
            Zone::Utc => 0,
            Zone::Fixed(secs) => secs,
            // In a DST gap or overlap, the earlier reading: a log line is never missing.
            Zone::Local => Local.offset_from_local_datetime(naive).earliest().map_or(0, |o| o.fix().local_minus_utc()),
        }
    }
}

/// `--tz` named no zone this module reads (named zones such as `Europe/Paris` are not read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneError(pub String);

impl std::fmt::Display for ZoneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not a time zone (expected UTC, local, or an offset such as +01:00 or -0700)", self.0)
    }
}

impl std::error::Error for ZoneError {}

/// A `--time-format` layout that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFormatError {
    Empty,
    /// chrono cannot read the layout.
    Invalid(String),
}

impl std::fmt::Display for TimeFormatError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TimeFormatError::Empty => write!(f, "the time format is empty"),
            TimeFormatError::Invalid(layout) => {
                write!(f, "{layout:?} is not a valid strftime format (e.g. \"%Y-%m-%d %H:%M:%S\")")
            }
        }
    }
}

impl std::error::Error for TimeFormatError {}

/// A timestamp layout this module recognises by itself, or one given with `--time-format`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// `2015-10-18 18:01:47,978`, `2026-11-22T14:05:00.123Z`, `2016/09/28 04:30:30`,
    /// BGL's `2005-06-03-15.42.50.675872`; a zone (`Z`, `+01:00`, `+0100`) if present.
    Iso,
    /// syslog: `Jun 14 15:16:01`, `Jul  1 09:00:55` (no year).
    Syslog,
    /// ctime, Apache's error log: `[Sun Dec 04 04:47:44 2005]`.
    Ctime,
    /// Common Log Format: `[10/Oct/2000:13:55:36 -0700]`.
    Clf,
    /// HDFS: `081109 203615` (yyMMdd HHmmss).
    CompactYmdHms,
    /// log4j's default, Spark: `17/06/09 20:10:40` (yy/MM/dd).
    ShortYmd,
    /// HealthApp: `20171223-22:15:29:606`.
    DashedCompact,
    /// Proxifier: `[10.30 16:49:06]` (MM.dd, no year).
    MonthDotDay,
    /// Android logcat: `03-17 16:13:38.811` (no year).
    MonthDashDay,
    /// Seconds since the epoch, 9 or 10 digits, maybe with a fraction: `1117838570`.
    EpochSeconds,
    /// Milliseconds since the epoch, 13 digits.
    EpochMillis,
    /// klog (Kubernetes components): `E1124 06:00:00.000000` (level, MMdd; no year).
    Klog,
    /// Redis: `24 Nov 2026 06:00:00.123` (after `pid:role`).
    DayMonthYear,
    /// The value of a key in a structured record: RFC 3339 with any precision and offset, or
    /// epoch seconds, millis, micros or nanos, as a number or a string.
    Keyed { syntax: Syntax, key: &'static str },
    /// A strftime layout (chrono's dialect), from `--time-format`.
    Strftime(String),
}

/// The built-in formats, in the order ties are broken.
const BUILT_IN: &[Format] = &[
    Format::Iso,
    Format::Syslog,
    Format::Ctime,
    Format::Clf,
    Format::DashedCompact,
    Format::ShortYmd,
    Format::CompactYmdHms,
    Format::MonthDashDay,
    Format::MonthDotDay,
    Format::EpochSeconds,
    Format::EpochMillis,
    Format::Klog,
    Format::DayMonthYear,
];

impl Format {
    /// A short name for reports: `iso`, `syslog`, ..., or the strftime layout.
    pub fn name(&self) -> String {
        match self {
            Format::Iso => "iso".into(),
            Format::Syslog => "syslog".into(),
            Format::Ctime => "ctime".into(),
            Format::Clf => "clf".into(),
            Format::CompactYmdHms => "yyMMdd HHmmss".into(),
            Format::ShortYmd => "yy/MM/dd HH:mm:ss".into(),
            Format::DashedCompact => "yyyyMMdd-HH:mm:ss".into(),
            Format::MonthDotDay => "MM.dd HH:mm:ss".into(),
            Format::MonthDashDay => "MM-dd HH:mm:ss".into(),
            Format::EpochSeconds => "epoch".into(),
            Format::EpochMillis => "epoch-ms".into(),
            Format::Klog => "klog".into(),
            Format::DayMonthYear => "dd Mon yyyy HH:mm:ss".into(),
            Format::Keyed { syntax, key } => format!("{}:{key}", syntax.name()),
            Format::Strftime(f) => f.clone(),
        }
    }

    /// Checks a `--time-format` layout; the error says what chrono could not read.
    pub fn strftime(layout: &str) -> Result<Format, TimeFormatError> {
        if layout.trim().is_empty() {
            return Err(TimeFormatError::Empty);
        }
        if StrftimeItems::new(layout).any(|item| matches!(item, Item::Error)) {
            return Err(TimeFormatError::Invalid(layout.to_string()));
        }
        Ok(Format::Strftime(layout.to_string()))
    }
}

/// A date and time as written, before a zone and maybe a year are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stamp {
    /// Already absolute.
    Epoch(Micros),
    Civil {
        year: Option<i32>,
        month: u32,
        day: u32,
        hour: u32,
        min: u32,
        sec: u32,
        micros: u32,
        offset: Option<i32>,
    },
}

/// How to read the timestamps of one file: the format, where it sits, and what fills the gaps.
#[derive(Debug, Clone)]
pub struct StampReader {
    pub format: Format,
    /// The whitespace-separated field the stamp starts at (0 = start of line).
    pub field: usize,
    zone: Zone,
    /// Year-less stamps are placed at or before this time: local seconds since the epoch, and
    /// its year.
    reference: Option<(i64, i32)>,
    strftime: Option<Vec<Item<'static>>>,
    /// Where a structured record keeps its time.
    key: Option<KeyFinder>,
    /// The local zone's offset for the last hour asked about.
    local_offset: Cell<Option<(i64, i32)>>,
}

impl StampReader {
    /// A reader for `format` at `field`. `reference` is the file's modification time, used for
    /// stamps without a year.
    pub fn new(format: Format, field: usize, zone: Zone, reference: Option<Micros>) -> StampReader {
        let strftime = match &format {
            Format::Strftime(layout) => StrftimeItems::new(layout).parse_to_owned().ok(),
            _ => None,
        };
        let reference = reference.and_then(|micros| {
            let utc = chrono::DateTime::from_timestamp_micros(micros)?.naive_utc();
            let offset = match zone {
                Zone::Utc => 0,
                Zone::Fixed(secs) => secs,
                Zone::Local => Local.offset_from_utc_datetime(&utc).fix().local_minus_utc(),
            };
            let local = utc + chrono::Duration::seconds(i64::from(offset));
            Some((local.and_utc().timestamp(), chrono::Datelike::year(&local)))
        });
        let key = match &format {
            Format::Keyed { syntax, key } => Some(KeyFinder::new(*syntax, key)),
            _ => None,
        };
        StampReader { format, field, zone, reference, strftime, key, local_offset: Cell::new(None) }
    }

    /// Detects the format of a file from a sample of its first lines (`given` forces the format
    /// and only the field is searched). None when too few lines carry a readable stamp.
    pub fn detect(sample: &[u8], given: Option<&Format>, zone: Zone, reference: Option<Micros>) -> Option<StampReader> {
        let lines: Vec<&[u8]> = sample.split(|b| *b == b'\n').filter(|l| !l.is_empty()).take(200).collect();
        if lines.is_empty() {
            return None;
        }
        let candidates: Vec<Format> = match given {
            Some(format) => vec![format.clone()],
            None => BUILT_IN.to_vec(),
        };
        let mut best: Option<(usize, usize, usize)> = None; // (hits, field, candidate index)
        for field in 0..MAX_FIELD {
            for (index, format) in candidates.iter().enumerate() {
                let reader = StampReader::new(format.clone(), field, zone, reference);
                let hits = lines.iter().filter(|line| reader.read(line).is_some()).count();
                if hits > 0 && best.is_none_or(|(best_hits, _, _)| hits > best_hits) {
                    best = Some((hits, field, index));
                }
            }
        }
        // Structured records name their time: a key that reads as many lines wins over a
        // position (a JSON line's fields hold no stamp a position could find anyway).
        if given.is_none()
            && let Some((hits, format)) = detect_keyed(&lines, zone, reference)
            && best.is_none_or(|(best_hits, _, _)| hits >= best_hits)
            && hits * 10 >= lines.len()
        {
            return Some(StampReader::new(format, 0, zone, reference));
        }
        let (hits, field, index) = best?;
        // A stray number deep in a message is not a timestamp column: demand a real share of
        // lines (stack traces make heads rare, hence not a majority).
        if hits * 10 < lines.len() && given.is_none() {
            return None;
        }
        let format = candidates.into_iter().nth(index)?;
        Some(StampReader::new(format, field, zone, reference))
    }

    /// The time of a line, if the line starts a record.
    pub fn read(&self, line: &[u8]) -> Option<Micros> {
        if let Some(key) = &self.key {
            let stamp = match key.value(line)? {
                Value::Number(number) => epoch_number(number),
                Value::Text(text) => iso(text).or_else(|| epoch_number(text)),
            }?;
            return self.resolve(stamp);
        }
        let start = field_start(line, self.field)?;
        let end = line.len().min(start + MAX_STAMP_LEN);
        let text = &line[start..end];
        let stamp = match &self.format {
            Format::Iso => iso(text),
            Format::Syslog => syslog(text),
            Format::Ctime => ctime(text),
            Format::Clf => clf(text),
            Format::CompactYmdHms => compact_ymd_hms(text),
            Format::ShortYmd => short_ymd(text),
            Format::DashedCompact => dashed_compact(text),
            Format::MonthDotDay => month_day(text, b'.', false),
            Format::MonthDashDay => month_day(text, b'-', true),
            Format::EpochSeconds => epoch_seconds(text),
            Format::EpochMillis => epoch_millis(text),
            Format::Klog => klog(text),
            Format::DayMonthYear => day_month_year(text),
            // Read by key above.
            Format::Keyed { .. } => None,
            Format::Strftime(_) => self.strftime(text),
        }?;
        self.resolve(stamp)
    }

    fn strftime(&self, text: &[u8]) -> Option<Stamp> {
        let items = self.strftime.as_ref()?;
        let text = match std::str::from_utf8(text) {
            Ok(t) => t,
            Err(e) => std::str::from_utf8(&text[..e.valid_up_to()]).ok()?,
        };
        let mut parsed = Parsed::new();
        chrono::format::parse_and_remainder(&mut parsed, text, items.iter()).ok()?;
        if let Some(secs) = parsed.timestamp() {
            // As for detected epochs: a small number is a counter or an id, not a time.
            if secs < 315_532_800 {
                return None;
            }
            let nanos = i64::from(parsed.nanosecond().unwrap_or(0));
            return Some(Stamp::Epoch(secs.checked_mul(MICROS_PER_SEC)? + nanos / 1000));
        }
        let year = match (parsed.year(), parsed.year_div_100(), parsed.year_mod_100()) {
            (Some(y), _, _) => Some(y),
            (None, Some(c), Some(y)) => Some(c * 100 + y),
            // %y alone: 69-99 are 19xx and 00-68 are 20xx, as POSIX says.
            (None, None, Some(y)) => Some(if y >= 69 { 1900 + y } else { 2000 + y }),
            _ => None,
        };
        Some(Stamp::Civil {
            year,
            month: parsed.month()?,
            day: parsed.day()?,
            hour: parsed.hour_div_12().zip(parsed.hour_mod_12()).map(|(d, m)| d * 12 + m).unwrap_or(0),
            min: parsed.minute().unwrap_or(0),
            sec: parsed.second().unwrap_or(0),
            micros: parsed.nanosecond().unwrap_or(0) / 1000,
            offset: parsed.offset(),
        })
    }

    /// Applies the zone and, for year-less stamps, the year. Plain arithmetic: this runs for
    /// every record head.
    fn resolve(&self, stamp: Stamp) -> Option<Micros> {
        let (year, month, day, hour, min, sec, micros, offset) = match stamp {
            Stamp::Epoch(micros) => return Some(micros),
            Stamp::Civil { year, month, day, hour, min, sec, micros, offset } => {
                (year, month, day, hour, min, sec, micros, offset)
            }
        };
        let clock = i64::from(hour) * 3600 + i64::from(min) * 60 + i64::from(sec);
        let local =
            |year: i32| (day <= days_in_month(year, month)).then(|| days_from_civil(year, month, day) * 86_400 + clock);
        let (year, local_secs) = match year {
            Some(year) => (year, local(year)?),
            None => {
                let (reference, this_year) = self.reference?;
                match local(this_year) {
                    Some(secs) if (secs - reference) * MICROS_PER_SEC <= YEARLESS_SLACK => (this_year, secs),
                    // Later in the year than the file was last written: last year's (Dec -> Jan).
                    _ => (this_year - 1, local(this_year - 1)?),
                }
            }
        };
        if !(1970..=2200).contains(&year) {
            return None;
        }
        let offset = offset.unwrap_or_else(|| self.zone_offset(local_secs));
        Some((local_secs - i64::from(offset)) * MICROS_PER_SEC + i64::from(micros))
    }

    /// The zone's offset at a local wall-clock time, remembered per hour (a zone changes its
    /// offset on the hour, and asking the system each time would cost more than the parse).
    fn zone_offset(&self, local_secs: i64) -> i32 {
        match self.zone {
            Zone::Utc => 0,
            Zone::Fixed(secs) => secs,
            Zone::Local => {
                let hour = local_secs.div_euclid(3600);
                if let Some((cached_hour, offset)) = self.local_offset.get()
                    && cached_hour == hour
                {
                    return offset;
                }
                let offset =
                    chrono::DateTime::from_timestamp(local_secs, 0).map_or(0, |t| self.zone.offset_at(&t.naive_utc()));
                self.local_offset.set(Some((hour, offset)));
                offset
            }
        }
    }
}

/// The structured syntax and time key that read the most sample lines, with their count.
fn detect_keyed(lines: &[&[u8]], zone: Zone, reference: Option<Micros>) -> Option<(usize, Format)> {
    let json = lines.iter().filter(|l| l.trim_ascii_start().first() == Some(&b'{')).count();
    let syntax = if json * 2 >= lines.len() { Syntax::Json } else { Syntax::Logfmt };
    if syntax == Syntax::Logfmt && !lines.iter().any(|l| memchr::memchr(b'=', l).is_some()) {
        return None;
    }
    let mut best: Option<(usize, Format)> = None;
    for key in TIME_KEYS {
        let format = Format::Keyed { syntax, key };
        let reader = StampReader::new(format.clone(), 0, zone, reference);
        let hits = lines.iter().filter(|line| reader.read(line).is_some()).count();
        if hits > 0 && best.as_ref().is_none_or(|(best_hits, _)| hits > *best_hits) {
            best = Some((hits, format));
        }
    }
    best
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Where the `n`th whitespace-separated field of a line starts.
fn field_start(line: &[u8], n: usize) -> Option<usize> {
    let mut i = 0;
    let len = line.len();
    for _ in 0..n {
        while i < len && line[i] != b' ' && line[i] != b'\t' {
            i += 1;
        }
        while i < len && (line[i] == b' ' || line[i] == b'\t') {
            i += 1;
        }
        if i >= len {
            return None;
        }
    }
    (i < len).then_some(i)
}

/// A little cursor over the bytes of a candidate stamp.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        // An opening bracket is decoration in every format (`[2026-...]`, `[Sun Dec ...]`).
        let pos = usize::from(bytes.first() == Some(&b'['));
        Cursor { bytes, pos }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    fn eat_any(&mut self, set: &[u8]) -> Option<u8> {
        let b = self.peek()?;
        set.contains(&b).then(|| {
            self.pos += 1;
            b
        })
    }

    /// Exactly `n` digits.
    fn digits(&mut self, n: usize) -> Option<u32> {
        let slice = self.bytes.get(self.pos..self.pos + n)?;
        let mut value = 0u32;
        for &b in slice {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
        }
        self.pos += n;
        Some(value)
    }

    /// One or two digits (a day of month written `9` or `09`).
    fn digits_1_2(&mut self) -> Option<u32> {
        let first = self.digits(1)?;
        match self.digits(1) {
            Some(second) => Some(first * 10 + second),
            None => Some(first),
        }
    }

    /// A fraction of a second after `.` or `,` (or `sep`), as microseconds; none if absent.
    fn fraction(&mut self, seps: &[u8]) -> u32 {
        let save = self.pos;
        if self.eat_any(seps).is_none() {
            return 0;
        }
        let start = self.pos;
        let mut micros = 0u32;
        let mut scale = 100_000u32;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            micros += u32::from(b - b'0') * scale;
            scale /= 10;
            self.pos += 1;
        }
        if self.pos == start {
            self.pos = save;
        }
        micros
    }

    /// Nothing glued to the stamp: the end, or anything but a digit or letter.
    fn boundary(&self) -> Option<()> {
        match self.peek() {
            Some(b) if b.is_ascii_alphanumeric() => None,
            _ => Some(()),
        }
    }

    /// `Z`, `+01:00`, `+0100`, `-07`, or nothing.
    fn zone(&mut self) -> Option<i32> {
        match self.peek()? {
            b'Z' => {
                self.pos += 1;
                Some(0)
            }
            sign @ (b'+' | b'-') => {
                let save = self.pos;
                self.pos += 1;
                let Some(h) = self.digits(2) else {
                    self.pos = save;
                    return None;
                };
                let had_colon = self.eat(b':').is_some();
                let m = match self.digits(2) {
                    Some(m) => m,
                    None if had_colon => {
                        self.pos = save;
                        return None;
                    }
                    None => 0,
                };
                let secs = (h * 3600 + m * 60) as i32;
                Some(if sign == b'-' { -secs } else { secs })
            }
            _ => None,
        }
    }

    fn month_name(&mut self) -> Option<u32> {
        let name = self.bytes.get(self.pos..self.pos + 3)?;
        let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name))? as u32 + 1;
        self.pos += 3;
        Some(month)
    }

    /// `H:MM:SS` after a padding space, or `HH:MM:SS`.
    fn space_padded_hms(&mut self) -> Option<(u32, u32, u32)> {
        let h = self.digits_1_2()?;
        self.eat(b':')?;
        let m = self.digits(2)?;
        self.eat(b':')?;
        let s = self.digits(2)?;
        (h < 24 && m < 60 && s <= 60).then_some((h, m, s.min(59)))
    }

    /// ` UTC` or ` GMT` after a stamp: offset zero.
    fn utc_name(&mut self) -> Option<i32> {
        let name = self.bytes.get(self.pos..self.pos + 4)?;
        if !(name.eq_ignore_ascii_case(b" UTC") || name.eq_ignore_ascii_case(b" GMT")) {
            return None;
        }
        let save = self.pos;
        self.pos += 4;
        if self.boundary().is_none() {
            self.pos = save;
            return None;
        }
        Some(0)
    }

    /// `HH:MM:SS`.
    fn hms(&mut self, sep: u8) -> Option<(u32, u32, u32)> {
        let h = self.digits(2)?;
        self.eat(sep)?;
        let m = self.digits(2)?;
        self.eat(sep)?;
        let s = self.digits(2)?;
        (h < 24 && m < 60 && s <= 60).then_some((h, m, s.min(59)))
    }
}

const MONTHS: [&[u8]; 12] =
    [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];

fn civil(
    year: Option<i32>,
    month: u32,
    day: u32,
    hms: (u32, u32, u32),
    micros: u32,
    offset: Option<i32>,
) -> Option<Stamp> {
    ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Stamp::Civil {
        year,
        month,
        day,
        hour: hms.0,
        min: hms.1,
        sec: hms.2,
        micros,
        offset,
    })
}

fn iso(text: &[u8]) -> Option<Stamp> {
    let mut c = Cursor::new(text);
    let year = c.digits(4)? as i32;
    let date_sep = c.eat_any(b"-/")?;
    let month = c.digits(2)?;
    c.eat(date_sep)?;
    let day = c.digits(2)?;
    let dt_sep = c.eat_any(b"T -")?;
    // BGL writes 2005-06-03-15.42.50: a dash before the time goes with dots inside it.
    let time_sep = if dt_sep == b'-' { b'.' } else { b':' };
    // MariaDB pads the hour with a space: `2026-11-24  6:00:00`.
    let hms = if dt_sep == b' ' && c.eat(b' ').is_some() { c.space_padded_hms()? } else { c.hms(time_sep)? };
    let micros = c.fraction(b".,");
    // PostgreSQL names the zone: `2026-11-24 06:00:00.123 UTC`.
    let offset = c.zone().or_else(|| c.utc_name());
    c.boundary()?;
    civil(Some(year), month, day, hms, micros, offset)
}

fn syslog(text: &[u8]) -> Option<Stamp> {
    let mut c = Cursor::new(text);
    // RFC 3164 as sent on the wire starts with the priority: `<34>Oct 11 22:14:15`.
    if c.eat(b'<').is_some() {
        let digits = c.bytes[c.pos..].iter().take(4).take_while(|b| b.is_ascii_digit()).count();
        c.pos += digits;
        if digits == 0 {
            return None;
        }
        c.eat(b'>')?;
    }
    let month = c.month_name()?;
    c.eat(b' ')?;
    let _ = c.eat(b' '); // `Jul  1`
    let day = c.digits_1_2()?;
    c.eat(b' ')?;
    let hms = c.hms(b':')?;
    let micros = c.fraction(b".");
    // Some syslog daemons append the year: `Dec 10 06:55:46 2026`.
    let save = c.pos;
    let year = match c.eat(b' ').and_then(|()| c.digits(4)) {
        Some(y) if c.boundary().is_some() => Some(y as i32),
        _ => {
            c.pos = save;
            None
        }
    };
    c.boundary()?;
    civil(year, month, day, hms, micros, None)
}

fn ctime(text: &[u8]) -> Option<Stamp> {
    let mut c = Cursor::new(text);
    let weekday = c.bytes.get(c.pos..c.pos + 3)?;
    if !weekday.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    c.pos += 3;
    c.eat(b' ')?;
    let month = c.month_name()?;
    c.eat(b' ')?;
    let _ = c.eat(b' ');
    let day = c.digits_1_2()?;
    c.eat(b' ')?;
    let hms = c.hms(b':')?;
    let micros = c.fraction(b".");
    c.eat(b' ')?;
    let year = c.digits(4)? as i32;
    c.boundary()?;
    civil(Some(year), month, day, hms, micros, None)
}

fn clf(text: &[u8]) -> Option<Stamp> {
    let mut c = Cursor::new(text);
    let day = c.digits(2)?;
    c.eat(b'/')?;
    let month = c.month_name()?;
    c.eat(b'/')?;
    let year = c.digits(4)? as i32;
    c.eat(b':')?;
    let hms = c.hms(b':')?;
    let micros = c.fraction(b".");
    let offset = if c.eat(b' ').is_some() { Some(c.zone()?) } else { None };
    c.boundary()?;
    civil(Some(year), month, day, hms, micros, offset)
}

fn compact_ymd_hms(text: &[u8]) -> Option<Stamp> {
    let mut c = Cursor::new(text);
    let yy = c.digits(2)? as i32;
    let month = c.digits(2)?;
    let day = c.digits(2)?;
    c.eat(b' ')?;
    let h = c.digits(2)?;
    let m = c.digits(2)?;
    let s = c.digits(2)?;
    c.boundary()?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    civil(Some(2000 + yy), month, day, (h, m, s.min(59)), 0, None)
}

fn short_ymd(text: &[u8]) -> Option<Stamp> {
    let mut c = Cursor::new(text);
    let yy = c.digits(2)? as i32;
    c.eat(b'/')?;
    let month = c.digits(2)?;
    c.eat(b'/')?;
    let day = c.digits(2)?;
    c.eat(b' ')?;
    let hms = c.hms(b':')?;
    let micros = c.fraction(b".,");
    c.boundary()?;
    civil(Some(2000 + yy), month, day, hms, micros, None)
}

fn dashed_compact(text: &[u8]) -> Option<Stamp> {
    let mut c = Cursor::new(text);
    let year = c.digits(4)? as i32;
    let month = c.digits(2)?;
    let day = c.digits(2)?;
    c.eat_any(b"- ")?;
    // HealthApp pads nothing: `20171223-22:16:0:5` is 22:16:00 and 5 milliseconds.
    let h = c.digits_1_2()?;
    c.eat(b':')?;
    let m = c.digits_1_2()?;
    c.eat(b':')?;
    let s = c.digits_1_2()?;
    let micros = if c.eat(b':').is_some() {
        let start = c.pos;
        let mut millis = 0u32;
        while c.pos - start < 3
            && let Some(b) = c.peek().filter(u8::is_ascii_digit)
        {
            millis = millis * 10 + u32::from(b - b'0');
            c.pos += 1;
        }
        if c.pos == start {
            return None;
        }
        millis * 1000
    } else {
        c.fraction(b".,")
    };
    c.boundary()?;
    if h > 23 || m > 59 || s > 60 {
        return None;
    }
    civil(Some(year), month, day, (h, m, s.min(59)), micros, None)
}

/// `MM.dd HH:mm:ss` (Proxifier) or `MM-dd HH:mm:ss.SSS` (logcat): no year.
fn month_day(text: &[u8], sep: u8, fraction: bool) -> Option<Stamp> {
    let mut c = Cursor::new(text);
    let month = c.digits(2)?;
    c.eat(sep)?;
    let day = c.digits(2)?;
    c.eat(b' ')?;
    let hms = c.hms(b':')?;
    let micros = if fraction { c.fraction(b".") } else { 0 };
    c.boundary()?;
    civil(None, month, day, hms, micros, None)
}

fn epoch_seconds(text: &[u8]) -> Option<Stamp> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    if !(9..=10).contains(&digits) {
        return None;
    }
    let mut c = Cursor { bytes: text, pos: digits };
    let secs: i64 = std::str::from_utf8(&text[..digits]).ok()?.parse().ok()?;
    // 1980 to 2100: smaller numbers are counters and ids, not times.
    if !(315_532_800..4_102_444_800).contains(&secs) {
        return None;
    }
    let micros = c.fraction(b".");
    c.boundary()?;
    Some(Stamp::Epoch(secs * MICROS_PER_SEC + i64::from(micros)))
}

fn epoch_millis(text: &[u8]) -> Option<Stamp> {
    let digits = text.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits != 13 {
        return None;
    }
    let c = Cursor { bytes: text, pos: digits };
    c.boundary()?;
    let millis: i64 = std::str::from_utf8(&text[..digits]).ok()?.parse().ok()?;
    (315_532_800_000..4_102_444_800_000).contains(&millis).then_some(Stamp::Epoch(millis * 1000))
}

/// klog: `E1124 06:00:00.000000` (a level letter, then MMdd).
fn klog(text: &[u8]) -> Option<Stamp> {
    let mut c = Cursor::new(text);
    c.eat_any(b"IWEF")?;
    let month = c.digits(2)?;
    let day = c.digits(2)?;
    c.eat(b' ')?;
    let hms = c.hms(b':')?;
    let micros = c.fraction(b".");
    c.boundary()?;
    civil(None, month, day, hms, micros, None)
}

/// Redis: `24 Nov 2026 06:00:00.123`.
fn day_month_year(text: &[u8]) -> Option<Stamp> {
    let mut c = Cursor::new(text);
    let day = c.digits_1_2()?;
    c.eat(b' ')?;
    let month = c.month_name()?;
    c.eat(b' ')?;
    let year = c.digits(4)? as i32;
    c.eat(b' ')?;
    let hms = c.hms(b':')?;
    let micros = c.fraction(b".");
    c.boundary()?;
    civil(Some(year), month, day, hms, micros, None)
}

/// A number of seconds, millis, micros or nanos since the epoch, told apart by its digits (9-10,
/// 12-13, 15-16, 18-19), maybe with a fraction: `1732428000.123`, `1732428000123`.
fn epoch_number(text: &[u8]) -> Option<Stamp> {
    let whole = text.iter().take_while(|b| b.is_ascii_digit()).count();
    enum Unit {
        Seconds,
        Millis,
        Micros,
        Nanos,
    }
    let unit = match whole {
        9..=10 => Unit::Seconds,
        12..=13 => Unit::Millis,
        15..=16 => Unit::Micros,
        18..=19 => Unit::Nanos,
        _ => return None,
    };
    let value: i64 = std::str::from_utf8(&text[..whole]).ok()?.parse().ok()?;
    let mut c = Cursor { bytes: text, pos: whole };
    let fraction = c.fraction(b".");
    if c.pos != text.len() {
        return None;
    }
    // The fraction is read as of a second: of a millisecond it is a thousandth of that.
    let micros = match unit {
        Unit::Seconds => value.checked_mul(MICROS_PER_SEC)? + i64::from(fraction),
        Unit::Millis => value.checked_mul(1000)? + i64::from(fraction / 1000),
        Unit::Micros => value,
        Unit::Nanos => value / 1000,
    };
    // 1980 to 2100, as for epochs at a position.
    (315_532_800 * MICROS_PER_SEC..4_102_444_800 * MICROS_PER_SEC).contains(&micros).then_some(Stamp::Epoch(micros))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Micros {
        chrono::DateTime::parse_from_rfc3339(text).map(|t| t.timestamp_micros()).unwrap_or(i64::MIN)
    }

    fn detect(line: &str) -> Option<(String, usize, Micros)> {
        let reference = Some(utc("2026-11-22T14:05:00Z"));
        let reader = StampReader::detect(line.as_bytes(), None, Zone::Utc, reference)?;
        let time = reader.read(line.as_bytes())?;
        Some((reader.format.name(), reader.field, time))
    }

    #[test]
    fn the_loghub_layouts_are_recognised_without_a_hint() {
        let cases = [
            ("2015-10-18 18:01:47,978 INFO [main] x", "iso", 0, "2015-10-18T18:01:47.978Z"),
            ("[Sun Dec 04 04:47:44 2005] [notice] x", "ctime", 0, "2005-12-04T04:47:44Z"),
            ("081109 203615 148 INFO dfs.DataNode", "yyMMdd HHmmss", 0, "2008-11-09T20:36:15Z"),
            ("17/06/09 20:10:40 INFO executor", "yy/MM/dd HH:mm:ss", 0, "2017-06-09T20:10:40Z"),
            ("20171223-22:15:29:606|Step_LSC|30002312|x", "yyyyMMdd-HH:mm:ss", 0, "2017-12-23T22:15:29.606Z"),
            ("- 1117838570 2005.06.03 R02-M1-N0 2005-06-03-15.42.50.675872 R", "epoch", 1, "2005-06-03T22:42:50Z"),
            ("134681 node-246 unix.hw state_change.unavailable 1077804742 1 C", "epoch", 4, "2004-02-26T14:12:22Z"),
            ("nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746", "iso", 1, "2017-05-16T00:00:00.008Z"),
            ("2005-06-03-15.42.50.675872 x", "iso", 0, "2005-06-03T15:42:50.675872Z"),
            ("[10/Oct/2000:13:55:36 -0700] GET", "clf", 0, "2000-10-10T20:55:36Z"),
            ("20171223-22:16:0:5|Step_LSC|30002312|x", "yyyyMMdd-HH:mm:ss", 0, "2017-12-23T22:16:00.005Z"),
            ("2026-11-22T14:05:00.5+01:00 x", "iso", 0, "2026-11-22T13:05:00.5Z"),
        ];
        for (line, format, field, time) in cases {
            assert_eq!(detect(line), Some((format.to_string(), field, utc(time))), "{line}");
        }
    }

    #[test]
    fn structured_records_are_read_by_key_wherever_the_key_sits() {
        let cases = [
            // Go slog JSON: time not first, an offset and nanoseconds.
            (
                r#"{"level":"INFO","msg":"up","time":"2026-11-24T07:00:00.123456789+01:00"}"#,
                "json:time",
                "2026-11-24T06:00:00.123456Z",
            ),
            // Docker json-file.
            (
                r#"{"log":"GET /\n","stream":"stdout","time":"2026-11-24T06:00:00.5Z"}"#,
                "json:time",
                "2026-11-24T06:00:00.5Z",
            ),
            // logstash and zap (ISO ts), Caddy (float seconds), MongoDB (nested $date).
            (r#"{"@timestamp":"2026-11-24T06:00:00.000Z","message":"x"}"#, "json:@timestamp", "2026-11-24T06:00:00Z"),
            (r#"{"level":"info","ts":1795500000.25,"msg":"x"}"#, "json:ts", "2026-11-24T06:00:00.25Z"),
            (
                r#"{"t":{"$date":"2026-11-24T06:00:00.001+00:00"},"s":"I","msg":"x"}"#,
                "json:$date",
                "2026-11-24T06:00:00.001Z",
            ),
            // Epochs as strings and as millis, micros, nanos.
            (r#"{"ts":"1795500000123","msg":"x"}"#, "json:ts", "2026-11-24T06:00:00.123Z"),
            (
                r#"{"__REALTIME_TIMESTAMP":"1795500000123456","MESSAGE":"x"}"#,
                "json:__REALTIME_TIMESTAMP",
                "2026-11-24T06:00:00.123456Z",
            ),
            (r#"{"eventTime":1795500000123456789}"#, "json:eventTime", "2026-11-24T06:00:00.123456Z"),
            // logfmt: slog text, go-kit/Prometheus, logrus (quoted).
            ("level=info ts=2026-11-24T06:00:00.123Z caller=main.go:1 msg=x", "logfmt:ts", "2026-11-24T06:00:00.123Z"),
            (r#"time="2026-11-24T06:00:00Z" level=info msg="x y""#, "logfmt:time", "2026-11-24T06:00:00Z"),
        ];
        for (line, format, time) in cases {
            assert_eq!(detect(line), Some((format.to_string(), 0, utc(time))), "{line}");
        }
    }

    #[test]
    fn daemon_layouts_beyond_loghub_are_recognised() {
        let cases = [
            ("E1124 06:00:00.000123 1 file.go:42] x", "klog", 0, "2026-11-24T06:00:00.000123Z"),
            ("1:M 24 Nov 2026 06:00:00.123 # Server started", "dd Mon yyyy HH:mm:ss", 1, "2026-11-24T06:00:00.123Z"),
            ("<34>Nov 24 06:00:00 host su: x", "syslog", 0, "2026-11-24T06:00:00Z"),
            ("2026-11-24  6:00:00 0 [Note] mariadbd", "iso", 0, "2026-11-24T06:00:00Z"),
            ("2026-11-24 16:00:00 0 [Note] mariadbd", "iso", 0, "2026-11-24T16:00:00Z"),
            ("2026-11-24 06:00:00.123 UTC [12] LOG:  x", "iso", 0, "2026-11-24T06:00:00.123Z"),
            ("127.0.0.1:4 [24/Nov/2026:06:00:00.123] fe be/s 0/0/1 200", "clf", 1, "2026-11-24T06:00:00.123Z"),
        ];
        for (line, format, field, time) in cases {
            let reference = Some(utc("2026-11-25T00:00:00Z"));
            let reader = StampReader::detect(line.as_bytes(), None, Zone::Utc, reference);
            let got = reader.map(|r| (r.format.name(), r.field, r.read(line.as_bytes())));
            assert_eq!(got, Some((format.to_string(), field, Some(utc(time)))), "{line}");
        }
    }

    #[test]
    fn year_less_stamps_take_the_most_recent_year_at_or_before_the_reference() {
        // Written 2026-11-22: a December line is from 2025, a November one from 2026.
        assert_eq!(detect("Dec 10 06:55:46 LabSZ sshd").map(|d| d.2), Some(utc("2025-12-10T06:55:46Z")));
        assert_eq!(detect("Nov 21 06:55:46 LabSZ sshd").map(|d| d.2), Some(utc("2026-11-21T06:55:46Z")));
        assert_eq!(detect("Jul  1 09:00:55 host kernel[0]:").map(|d| d.2), Some(utc("2026-07-01T09:00:55Z")));
        assert_eq!(detect("[10.30 16:49:06] chrome.exe").map(|d| d.2), Some(utc("2026-10-30T16:49:06Z")));
        assert_eq!(detect("03-17 16:13:38.811  1702  2395 D").map(|d| d.2), Some(utc("2026-03-17T16:13:38.811Z")));
    }

    #[test]
    fn text_without_a_stamp_is_not_mistaken_for_one() {
        for line in ["\tat com.example.Foo.bar(Foo.java:42)", "Caused by: java.io.IOException", "12345 apples", ""] {
            assert_eq!(detect(line), None, "{line}");
        }
    }

    #[test]
    fn strftime_layouts_and_zones_apply() {
        let reader = StampReader::detect(
            b"x 2026/11/22 14:05:00 y",
            Format::strftime("%Y/%m/%d %H:%M:%S").ok().as_ref(),
            Zone::Fixed(3600),
            None,
        );
        let reader = reader.map(|r| (r.field, r.read(b"x 2026/11/22 14:05:00 y")));
        assert_eq!(reader, Some((1, Some(utc("2026-11-22T13:05:00Z")))));
        assert_eq!(Zone::parse("-07:00"), Ok(Zone::Fixed(-25_200)));
        assert_eq!(Zone::parse("Mars"), Err(ZoneError("Mars".into())));
        assert_eq!(Format::strftime(" "), Err(TimeFormatError::Empty));
        assert_eq!(Zone::parse("+0530"), Ok(Zone::Fixed(19_800)));
        assert!(Zone::parse("Europe/Paris").is_err());
        assert!(Format::strftime("%Q").is_err());
    }
}
