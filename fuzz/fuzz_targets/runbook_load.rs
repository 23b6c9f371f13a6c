//! The runbook loader and its lint: any text is a runbook or a list of located problems.
#![no_main]

use incident::runbook::{Source, load};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let source = Source { path: "fuzz.yaml".into(), text: text.into() };
    let _ = load(&source, "fuzz");
});
