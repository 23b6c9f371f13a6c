//! Time and duration parsing (`--since`, `--at`, `timeout:`): errors, never panics.
#![no_main]

use chrono::{TimeZone, Utc};
use incident::time::{parse_duration, parse_time, parse_window_edge};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).single().expect("a valid date");
    let _ = parse_duration(text);
    let _ = parse_time(text, now);
    let _ = parse_window_edge(text, now);
});
