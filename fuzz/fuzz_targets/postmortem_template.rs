//! Post-mortem templates under their limits, rendered over the fixture incident's document.
#![no_main]

use std::sync::LazyLock;

use chrono::{TimeZone, Utc};
use incident::model::Incident;
use incident::postmortem::{Document, Templates, build};
use incident::store::parse_timeline;
use libfuzzer_sys::fuzz_target;

static DOCUMENT: LazyLock<Document> = LazyLock::new(|| {
    let bytes = include_bytes!("../../tests/fixtures/postmortem/2026-11-22-checkout-returns-502s/timeline.jsonl");
    let events = parse_timeline(bytes).events;
    let incident = Incident::from_events("2026-11-22-checkout-returns-502s", &events).expect("the fixture folds");
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).single().expect("a valid date");
    build(&incident, &events, now)
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(templates) = Templates::from_source("fuzz.md.j2", text.to_string()) {
        let _ = templates.render(&DOCUMENT);
    }
});
