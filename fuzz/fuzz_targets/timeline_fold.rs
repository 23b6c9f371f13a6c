//! Timeline parsing and the fold: any bytes are events plus damaged lines, and any events fold.
#![no_main]

use incident::model::Incident;
use incident::store::parse_timeline;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let read = parse_timeline(data);
    let _ = Incident::from_events("2026-01-01-fuzz", &read.events);
});
