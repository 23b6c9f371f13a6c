//! `incident grep --journal`: the systemd journal read through journalctl, on real journal files
//! that Debian's systemd-journal-remote writes from the export format (no journald needed).

use std::io::Write;
use std::path::Path;
use std::process::{Command as StdCommand, Stdio};

use crate::harness::{Env, text};

const JOURNAL_REMOTE: &str = "/lib/systemd/systemd-journal-remote";
/// 2026-11-24T06:00:00Z in microseconds.
const BASE: u64 = 1_795_500_000_000_000;

/// A journal directory holding six entries a minute apart, 06:00 to 06:05, alternating between
/// api.service (even minutes) and db.service (odd minutes).
fn journal_directory(dir: &Path) {
    let mut export = String::new();
    for i in 0..6u64 {
        let unit = if i % 2 == 0 { "api.service" } else { "db.service" };
        export.push_str(&format!(
            "__REALTIME_TIMESTAMP={}\n__MONOTONIC_TIMESTAMP={}\n_BOOT_ID=0123456789abcdef0123456789abcdef\n\
             _SYSTEMD_UNIT={unit}\n_HOSTNAME=web1\nPRIORITY=3\nMESSAGE=request {i} ERROR upstream timed out\n\n",
            BASE + i * 60_000_000,
            1 + i * 60_000_000
        ));
    }
    let mut child = StdCommand::new(JOURNAL_REMOTE)
        .arg(format!("--output={}", dir.join("remote.journal").display()))
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{JOURNAL_REMOTE} (Debian's systemd-journal-remote): {e}"));
    child.stdin.take().expect("stdin").write_all(export.as_bytes()).expect("write the export");
    assert!(child.wait().expect("wait for journal-remote").success(), "systemd-journal-remote failed");
}

fn grep(args: &[&str]) -> (String, String, i32) {
    let env = Env::new();
    journal_directory(env.path());
    let output = env
        .cmd()
        .arg("grep")
        .args(args)
        .args(["--journal-directory", &env.path().display().to_string()])
        .output()
        .expect("run incident");
    (text(&output.stdout), text(&output.stderr), output.status.code().unwrap_or(-1))
}

#[test]
fn journal_units_and_windows_select_the_same_records_as_files_would() {
    let (out, _, code) = grep(&[
        "ERROR",
        "--since",
        "2026-11-24T06:01:00Z",
        "--until",
        "2026-11-24T06:05:00Z",
        "--journal",
        "api.service",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "2026-11-24T06:02:00Z request 2 ERROR upstream timed out PRIORITY=3\n\
         2026-11-24T06:04:00Z request 4 ERROR upstream timed out PRIORITY=3\n"
    );
    let (count, _, _) = grep(&["upstream", "-c", "--journal"]);
    assert_eq!(count, "6\n");
}

#[test]
fn a_journal_that_cannot_be_read_is_an_error_with_journalctls_reason() {
    let env = Env::new();
    let missing = env.path().join("missing");
    let output = env
        .cmd()
        .args(["grep", "x", "--journal", "--journal-directory", &missing.display().to_string()])
        .output()
        .expect("run incident");
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("journalctl failed") && stderr.contains("missing"), "{stderr}");
    // The journal that failed is not counted as searched.
    assert!(stderr.contains("(0 of 1 sources searched, 1 failed)"), "{stderr}");
}
