//! The masker: a known secret never survives masking, whatever surrounds it.
#![no_main]

use incident::secrets::Masker;
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "s3cr3t-Value-9f8e7d";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut masker = Masker::default();
    masker.add(SECRET);
    let planted = format!("{text}{SECRET}{text}");
    let masked = masker.mask(&planted);
    assert!(!masked.contains(SECRET), "a known secret survived masking");
    let argv: Vec<String> = text.split(' ').map(str::to_string).collect();
    let _ = masker.mask_argv(&argv);
});
