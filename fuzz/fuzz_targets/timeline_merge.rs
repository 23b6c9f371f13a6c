//! The merge (git's merge driver): two versions split at the first 0xFF byte (or the middle).
#![no_main]

use incident::store::merge_timelines;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cut = data.iter().position(|b| *b == 0xFF).unwrap_or(data.len() / 2);
    let (ours, theirs) = (&data[..cut], &data[(cut + 1).min(data.len())..]);
    let (merged, _) = merge_timelines(ours, theirs);
    // Merging is a set union: merging the result with either side again changes nothing.
    let (again, _) = merge_timelines(&merged, theirs);
    assert_eq!(again, merged, "merge is not idempotent");
});
