//! Snapshots of what a person reads (tables, `--help`, error messages with their hints), with
//! what changes from run to run replaced by a placeholder so the rest can be asserted whole.
//!
//! Snapshots are inline (`@"..."`) and compared by a plain `cargo test`; `.cargo/config.toml`
//! sets `INSTA_UPDATE=no` so a mismatch fails instead of writing a file (set
//! `INSTA_UPDATE=always` yourself, or use `cargo insta`, to record new ones).

use super::Env;

/// The insta settings for output from `env`: its temp folder, ULIDs, measured durations and
/// loopback ports are masked.
pub fn settings(env: &Env) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    let folder = env.path().to_str().expect("a UTF-8 temp path");
    settings.add_filter(&regex::escape(folder), "[TMP]");
    // A ULID (event ids, artifact names): 26 characters of Crockford's base32.
    settings.add_filter(r"\b[0-9A-HJKMNP-TV-Z]{26}\b", "[ULID]");
    // An item's handle (`H3 ~a1b2`): the end of its event's ULID, lowercased.
    settings.add_filter(r"~[0-9a-hjkmnp-tv-z]{4,26}\b", "~[HANDLE]");
    // A measured duration: "0.0s" (a command's run), "in 12ms" and "(12ms)" (a probe's); fixed
    // ones in the text, like "7m 0s" or "e.g. 500ms", are kept.
    settings.add_filter(r"\b\d+\.\d+s\b", "[DURATION]");
    settings.add_filter(r"(in |\()\d+ms\b", "${1}[DURATION]");
    // Trailing blanks (clap indents empty help lines) that editors strip from the sources.
    settings.add_filter(r"(?m)[ \t]+$", "");
    // A table's last rule follows the width of its last column, which a masked value changes.
    settings.add_filter(r"(?m)─+$", "─[…]");
    // The port a loopback test server was given: Linux hands out 32768-60999; fixed ports in
    // the text ("127.0.0.1:5432" in a hint) are kept.
    settings.add_filter(r"\b(127\.0\.0\.1|localhost):(3[2-9]|[4-6]\d)\d{3}\b", "$1:[PORT]");
    settings
}

/// `snapshot!(env, text, @"expected")`: asserts `text` equals the inline snapshot once the
/// volatile parts of output from `env` are masked.
macro_rules! snapshot {
    ($env:expr, $value:expr, @$expected:literal) => {
        $crate::harness::snapshot::settings($env).bind(|| insta::assert_snapshot!($value, @$expected))
    };
}
pub(crate) use snapshot;

/// Prevents filters that hide too much (a fixed "250ms" in a message, a port in a hint) or too
/// little (a temp path, a ULID, a measured time), either of which makes snapshots lie or flake.
#[test]
fn the_filters_mask_what_changes_between_runs_and_keep_what_does_not() {
    let env = Env::new();
    let output = format!(
        "{}/store/x artifacts/01M844VHT0ZKAYBRCEM2X16ZN6-output.log in 0.0s, status 200 in 12ms (3ms)\n\
         http://127.0.0.1:41234/healthz; e.g. 250ms, 7m 0s, 127.0.0.1:5432   \n───── ─────",
        env.path().display()
    );
    snapshot!(&env, output, @r"
    [TMP]/store/x artifacts/[ULID]-output.log in [DURATION], status 200 in [DURATION] ([DURATION])
    http://127.0.0.1:[PORT]/healthz; e.g. 250ms, 7m 0s, 127.0.0.1:5432
    ───── ─[…]
    ");
}
