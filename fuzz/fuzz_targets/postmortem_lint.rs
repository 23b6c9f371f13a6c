//! The blameless lint over any Markdown.
#![no_main]

use incident::postmortem::lint::lint_markdown;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = lint_markdown(text, &["alice".to_string(), "Bob Jones".to_string()]);
});
