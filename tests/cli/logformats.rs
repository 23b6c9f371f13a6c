//! Log formats beyond Loghub: real daemons' logs recorded from Debian's packages and the
//! structured formats of common libraries (`tests/fixtures/logformats`), each searched by time
//! windows whose answers `make_expected.py` computed without incident's detection.

use std::fs::{self, File};
use std::path::Path;

use serde_json::Value;

use crate::harness::{Env, text};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/logformats");

fn set_mtime(path: &Path, rfc3339: &str) {
    let secs = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("an RFC 3339 time").timestamp();
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
    File::options().write(true).open(path).and_then(|f| f.set_modified(time)).expect("set mtime");
}

/// The first lines of the records `incident --json grep` matched, and its exit code.
fn matched_lines(env: &Env, args: &[&str]) -> (i32, Vec<u64>, String) {
    let output = env.cmd().arg("--json").arg("grep").args(args).output().expect("run incident");
    let lines = text(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|record| record["type"] == "match")
        .filter_map(|record| record["line"].as_u64())
        .collect();
    (output.status.code().unwrap_or(-1), lines, text(&output.stderr))
}

#[test]
fn windows_over_daemon_and_structured_logs_return_exactly_the_records_whose_true_time_is_inside() {
    let text =
        fs::read_to_string(format!("{FIXTURES}/expected.json")).expect("tests/fixtures/logformats/expected.json");
    let files: Vec<Value> = serde_json::from_str(&text).expect("expected.json is JSON");
    let env = Env::new();
    let mut wrong = Vec::new();
    for entry in &files {
        let file = entry["file"].as_str().unwrap_or_default();
        let path = env.path().join(file);
        fs::copy(format!("{FIXTURES}/{file}"), &path).expect("copy a fixture");
        if let Some(mtime) = entry["mtime"].as_str() {
            set_mtime(&path, mtime);
        }
        for window in entry["windows"].as_array().into_iter().flatten() {
            let since = window["since"].as_str().unwrap_or_default();
            let until = window["until"].as_str().unwrap_or_default();
            let (code, got, stderr) = matched_lines(&env, &["", file, "--since", since, "--until", until]);
            let want: Vec<u64> = window["lines"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
            let want_code = if want.is_empty() { 1 } else { 0 };
            if got != want || code != want_code {
                wrong.push(format!(
                    "{file} ({}) [{since}, {until}): want {want:?} (exit {want_code}), got {got:?} (exit {code}) {stderr}",
                    entry["writer"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    // With the 16 Loghub systems (grep.rs) this makes the corpus the issue asks for: 25 or more.
    assert!(16 + files.len() >= 25, "only {} formats beside Loghub's 16", files.len());
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Four nginx-like JSON records, out of key order, with the time last.
const ACCESS: &str = r#"{"level":"error","msg":"upstream failed","status":502,"upstream":"10.0.0.1","time":"2026-11-24T06:00:00Z"}
{"level":"info","msg":"served","status":200,"upstream":"10.0.0.1","time":"2026-11-24T06:00:01Z"}
{"level":"error","msg":"upstream failed","status":502,"upstream":"10.0.0.2","time":"2026-11-24T06:00:02Z"}
{"level":"error","msg":"upstream failed","status":502,"upstream":"10.0.0.2","time":"2026-11-24T06:00:03Z"}
"#;

fn grep_access(args: &[&str]) -> (String, String, i32) {
    let env = Env::new();
    env.write("access.json", ACCESS);
    let output = env.cmd().arg("grep").args(args).output().expect("run incident");
    (text(&output.stdout), text(&output.stderr), output.status.code().unwrap_or(-1))
}

#[test]
fn structured_records_print_time_level_and_message_first_and_json_stays_raw() {
    let (out, _, _) = grep_access(&["served", "access.json"]);
    assert_eq!(out, "2026-11-24T06:00:01Z INFO served status=200 upstream=10.0.0.1\n");
    let (raw, _, _) = grep_access(&["served", "access.json", "--raw"]);
    assert_eq!(raw, ACCESS.lines().nth(1).map(|l| format!("{l}\n")).unwrap_or_default());
    let (json, _, _) = grep_access(&["--json", "served", "access.json"]);
    let first: Value = serde_json::from_str(json.lines().next().unwrap_or_default()).expect("a JSON line");
    assert_eq!(first["text"], ACCESS.lines().nth(1).unwrap_or_default());
}

#[test]
fn where_filters_compare_fields_and_by_counts_502s_per_upstream() {
    let (count, _, code) = grep_access(&["", "access.json", "--where", "status>=500", "--where", "level=ERROR", "-c"]);
    assert_eq!((count.as_str(), code), ("3\n", 0));
    let (by, _, _) = grep_access(&["", "access.json", "--where", "status=502", "--by", "upstream"]);
    assert_eq!(by, "2  10.0.0.2\n1  10.0.0.1\n");
    let (none, _, code) = grep_access(&["", "access.json", "--where", "status<200"]);
    assert_eq!((none.as_str(), code), ("", 1));
}

#[test]
fn a_where_filter_without_a_comparison_is_a_usage_error_naming_the_flag() {
    let (_, stderr, code) = grep_access(&["", "access.json", "--where", "status500"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--where: \"status500\" has no comparison"), "{stderr}");
}
