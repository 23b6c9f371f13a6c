//! Timestamp detection on a log sample, then reading every line with the detected format.
#![no_main]

use incident::logsearch::stamp::StampReader;
use incident::logsearch::Zone;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // 2026-11-22T00:00:00Z, for stamps without a year.
    let reference = Some(1_795_305_600_000_000);
    for zone in [Zone::Utc, Zone::Fixed(-5 * 3600)] {
        if let Some(reader) = StampReader::detect(data, None, zone, reference) {
            for line in data.split(|b| *b == b'\n') {
                let _ = reader.read(line);
            }
        }
    }
});
