//! `incident grep`: the real binary in a temporary directory, with pinned time, author and store,
//! plus a few searches through the library where a test must act in the middle of one.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::snapshot::snapshot;
use crate::harness::{Env, text};

const LOGHUB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/loghub");

/// Writes `text` gzipped to `name` in the working folder; returns its path.
fn write_gz(env: &Env, name: &str, text: &str) -> PathBuf {
    let path = env.path().join(name);
    let file = File::create(&path).expect("create a fixture");
    let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).expect("compress");
    encoder.finish().expect("finish gzip");
    path
}

/// Runs `incident --json grep ARGS` and returns (exit code, match records, summary, stderr).
fn grep_json(env: &Env, args: &[&str]) -> (i32, Vec<Value>, Value, String) {
    let output = env.cmd().arg("--json").arg("grep").args(args).output().expect("run incident");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut records = Vec::new();
    let mut summary = Value::Null;
    for line in stdout.lines() {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if value["type"] == "summary" {
            summary = value;
        } else {
            records.push(value);
        }
    }
    (output.status.code().unwrap_or(-1), records, summary, String::from_utf8_lossy(&output.stderr).into_owned())
}

fn set_mtime(path: &Path, rfc3339: &str) {
    let secs = chrono::DateTime::parse_from_rfc3339(rfc3339).expect("an RFC 3339 time").timestamp();
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
    File::options().write(true).open(path).and_then(|f| f.set_modified(time)).expect("set mtime");
}

fn lines_of(records: &[Value]) -> Vec<u64> {
    records.iter().filter(|r| r["type"] == "match").map(|r| r["line"].as_u64().unwrap_or(0)).collect()
}

fn expected() -> Vec<Value> {
    let text = fs::read_to_string(format!("{LOGHUB}/expected.json")).expect("tests/fixtures/loghub/expected.json");
    serde_json::from_str(&text).expect("expected.json is JSON")
}

/// Runs every window of every Loghub system; returns the systems that gave a wrong answer.
fn loghub_mismatches(hinted: bool) -> Vec<String> {
    let env = Env::new();
    let mut wrong = Vec::new();
    for system in expected() {
        let name = system["system"].as_str().unwrap_or_default();
        let file = system["file"].as_str().unwrap_or_default();
        let path = env.path().join(file);
        fs::copy(format!("{LOGHUB}/{file}"), &path).expect("copy a Loghub log");
        if let Some(mtime) = system["mtime"].as_str() {
            set_mtime(&path, mtime);
        }
        let zoned = system["zoned"].as_bool().unwrap_or(true);
        // Hinted runs also say the stamps are in +02:00, so zoned windows move with them.
        let suffix = match (zoned, hinted) {
            (false, _) => "",
            (true, false) => "Z",
            (true, true) => "+02:00",
        };
        for window in system["windows"].as_array().into_iter().flatten() {
            let since = format!("{}{suffix}", window["since"].as_str().unwrap_or_default());
            let until = format!("{}{suffix}", window["until"].as_str().unwrap_or_default());
            let mut args = vec!["", file, "--since", &since, "--until", &until];
            let format = system["time_format"].as_str().unwrap_or_default();
            if hinted {
                args.extend(["--time-format", format, "--tz", "+02:00"]);
            }
            let (code, records, _, stderr) = grep_json(&env, &args);
            let want: Vec<u64> = window["lines"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
            let got = lines_of(&records);
            let want_code = if want.is_empty() { 1 } else { 0 };
            if got != want || code != want_code {
                wrong.push(format!(
                    "{name} [{since}, {until}): want {} lines (exit {want_code}), got {} (exit {code}) {stderr}",
                    want.len(),
                    got.len()
                ));
            }
        }
    }
    wrong
}

#[test]
fn loghub_windows_return_exactly_the_lines_whose_true_time_is_inside_without_a_hint() {
    let wrong = loghub_mismatches(false);
    // The issue asks for 13 of 16; all 16 are read today, and a regression in any is a failure.
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn loghub_windows_are_exact_for_all_sixteen_with_time_format_and_tz() {
    let wrong = loghub_mismatches(true);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `2026-11-22 HH:MM:SS,mmm LEVEL message` lines, one every `step_ms` from `start` (seconds of day).
fn log_lines(start_secs: u64, count: u64, step_ms: u64, message: impl Fn(u64) -> String) -> String {
    let mut text = String::new();
    for i in 0..count {
        let ms = start_secs * 1000 + i * step_ms;
        text.push_str(&format!("{} {}\n", stamp(ms), message(i)));
    }
    text
}

fn stamp(ms_of_day: u64) -> String {
    let secs = ms_of_day / 1000;
    format!("2026-11-22 {:02}:{:02}:{:02},{:03}", secs / 3600, secs / 60 % 60, secs % 60, ms_of_day % 1000)
}

#[test]
fn rotated_sets_are_read_oldest_first_from_a_directory_gzip_and_plain() {
    let env = Env::new();
    fs::create_dir(env.path().join("logs")).expect("mkdir");
    // Four files, an hour each, 10:00 to 14:00; each line says which file it is in.
    let names = ["logs/app.log.3.gz", "logs/app.log.2.gz", "logs/app.log.1", "logs/app.log"];
    for (hour, name) in names.iter().enumerate() {
        let text = log_lines(36_000 + hour as u64 * 3600, 60, 60_000, |i| format!("INFO part{hour} tick {i}"));
        if name.ends_with(".gz") {
            write_gz(&env, name, &text)
        } else {
            env.write(name, &text)
        };
    }
    let (code, records, summary, _) = grep_json(&env, &["tick", "logs"]);
    assert_eq!(code, 0);
    assert_eq!(records.len(), 240);
    let times: Vec<&str> = records.iter().map(|r| r["time"].as_str().unwrap_or_default()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "records come out in time order across the set");
    let files: Vec<&str> =
        summary["files"].as_array().into_iter().flatten().filter_map(|f| f["path"].as_str()).collect();
    assert_eq!(files, names, "oldest first");

    // A glob, and a window inside app.log.2.gz: the older file is skipped, the newer ones too.
    let (code, records, summary, _) =
        grep_json(&env, &["tick", "logs/app.log*", "--since", "2026-11-22T11:10Z", "--until", "2026-11-22T11:20Z"]);
    assert_eq!(code, 0);
    assert_eq!(records.len(), 10);
    assert!(records.iter().all(|r| r["text"].as_str().unwrap_or_default().contains("part1")));
    let strategies: Vec<&str> =
        summary["files"].as_array().into_iter().flatten().filter_map(|f| f["strategy"].as_str()).collect();
    assert_eq!(strategies, ["skipped", "scan", "skipped", "skipped"]);
}

#[test]
fn gzip_decompression_stops_after_the_window() {
    let env = Env::new();
    // 40,000 lines over 11 hours; the window is in the first hour.
    let text = log_lines(0, 40_000, 1_000, |i| format!("INFO request {i} served in {}ms", i % 1000));
    write_gz(&env, "big.log.1.gz", &text);
    let (code, records, summary, _) =
        grep_json(&env, &["served", "big.log.1.gz", "--since", "2026-11-22T00:10Z", "--until", "2026-11-22T00:20Z"]);
    assert_eq!(code, 0);
    assert_eq!(records.len(), 600);
    let read = summary["files"][0]["bytes_read"].as_u64().unwrap_or(u64::MAX);
    assert!(read < text.len() as u64 / 4, "read {read} of {} bytes", text.len());
}

const TRACE_LOG: &str = "\
2026-11-22 14:00:00,000 INFO starting
2026-11-22 14:00:01,000 INFO request 1 ok
2026-11-22 14:00:02,000 ERROR request 2 failed
java.lang.IllegalStateException: boom
\tat com.example.Checkout.pay(Checkout.java:42)
Caused by: java.lang.NullPointerException
\tat com.example.Client.call(Client.java:7)
2026-11-22 14:00:03,000 INFO request 3 ok
2026-11-22 14:00:04,000 INFO request 4 ok
";

#[test]
fn a_match_in_a_stack_trace_reports_the_whole_record_at_its_head_time() {
    let env = Env::new();
    env.write("app.log", TRACE_LOG);
    let (code, records, summary, _) = grep_json(&env, &["NullPointer", "app.log"]);
    assert_eq!(code, 0);
    assert_eq!(records.len(), 1);
    let text = records[0]["text"].as_str().unwrap_or_default();
    assert!(text.starts_with("2026-11-22 14:00:02,000 ERROR request 2 failed\njava.lang"), "{text}");
    assert!(text.ends_with("(Client.java:7)"), "{text}");
    assert_eq!(records[0]["time"], "2026-11-22T14:00:02Z");
    assert_eq!(records[0]["line"], 3);
    assert_eq!(summary["first"], "2026-11-22T14:00:02Z");

    // Two lines of the trace match: still one record, counted once.
    let output = env.cmd().args(["grep", "-c", "java", "app.log"]).output().expect("run");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "1\n");

    // Within a window the trace is still one record, placed by its head.
    let (_, records, _, _) =
        grep_json(&env, &["Client", "app.log", "--since", "2026-11-22T14:00:02Z", "--until", "2026-11-22T14:00:03Z"]);
    assert_eq!(records.len(), 1);
}

#[test]
fn context_counts_records_not_lines() {
    let env = Env::new();
    env.write("app.log", TRACE_LOG);
    let output = env.cmd().args(["grep", "-C1", "request 3", "app.log"]).output().expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    // One record before (the whole five-line trace record), the match, one record after.
    assert_eq!(stdout.lines().count(), 7, "{stdout}");
    assert!(stdout.starts_with("2026-11-22 14:00:02,000 ERROR"), "{stdout}");
    assert!(stdout.ends_with("2026-11-22 14:00:04,000 INFO request 4 ok\n"), "{stdout}");
}

/// A log of `count` lines one second apart from 00:00, each stamped with `time_of(i)` seconds
/// (so tests can shuffle them); returns the text and each line's (line number, time).
fn generated(count: u64, time_of: impl Fn(u64) -> u64) -> (String, Vec<(u64, u64)>) {
    let mut text = String::new();
    let mut truth = Vec::new();
    for i in 0..count {
        let t = time_of(i);
        text.push_str(&format!(
            "{} INFO worker {} handled job {i} with some padding to look like a log\n",
            stamp(t * 1000),
            i % 7
        ));
        truth.push((i + 1, t));
    }
    (text, truth)
}

fn in_window(truth: &[(u64, u64)], since: u64, until: u64) -> Vec<u64> {
    truth.iter().filter(|(_, t)| (since..until).contains(t)).map(|(line, _)| *line).collect()
}

#[test]
fn a_nearly_sorted_large_file_is_binary_searched_and_still_exact() {
    let env = Env::new();
    // 80,000 lines (> 4 MiB); threads flush up to 3 s late, so every 5th line steps back.
    let (text, truth) = generated(80_000, |i| if i % 5 == 0 { i.saturating_sub(3) } else { i });
    env.write("nearly.log", &text);
    let (code, records, summary, _) = grep_json(
        &env,
        &["handled", "nearly.log", "--since", "2026-11-22T10:00:00Z", "--until", "2026-11-22T10:10:00Z"],
    );
    assert_eq!(code, 0);
    let mut got: Vec<u64> = records.iter().filter_map(|r| r["offset"].as_u64()).collect();
    got.sort();
    let want = in_window(&truth, 36_000, 36_600);
    assert_eq!(records.len(), want.len());
    // Records found by seeking carry no line numbers; compare their byte offsets instead.
    let line_offsets: Vec<u64> = text
        .split_inclusive('\n')
        .scan(0u64, |o, l| {
            let at = *o;
            *o += l.len() as u64;
            Some(at)
        })
        .collect();
    let want_offsets: Vec<u64> = want.iter().map(|l| line_offsets[*l as usize - 1]).collect();
    assert_eq!(got, want_offsets);
    assert_eq!(summary["files"][0]["strategy"], "seek");
    let read = summary["files"][0]["bytes_read"].as_u64().unwrap_or(u64::MAX);
    assert!(read < text.len() as u64 / 10, "read {read} of {} bytes", text.len());

    // With only --until, reading stops after the window's end.
    let (_, records, summary, _) = grep_json(&env, &["handled", "nearly.log", "--until", "2026-11-22T01:00:00Z"]);
    assert_eq!(records.len(), in_window(&truth, 0, 3600).len());
    let read = summary["files"][0]["bytes_read"].as_u64().unwrap_or(u64::MAX);
    assert!(read < text.len() as u64 / 5, "read {read} of {} bytes", text.len());
}

#[test]
fn an_unsorted_large_file_falls_back_to_a_full_scan_and_is_exact() {
    let env = Env::new();
    // A scrambled order (a fixed permutation of the seconds of the day).
    let (text, truth) = generated(80_000, |i| (i * 7919) % 80_000);
    env.write("unsorted.log", &text);
    let (code, records, summary, _) = grep_json(
        &env,
        &["handled", "unsorted.log", "--since", "2026-11-22T10:00:00Z", "--until", "2026-11-22T10:10:00Z"],
    );
    assert_eq!(code, 0);
    assert_eq!(lines_of(&records), in_window(&truth, 36_000, 36_600));
    assert_eq!(summary["files"][0]["strategy"], "scan");
}

#[test]
fn a_burst_of_late_lines_just_before_the_window_is_still_found() {
    let env = Env::new();
    // In order, except that 40 lines just before the window are stamped 10 minutes late, into
    // it: the binary search must not start after them.
    let (text, truth) = generated(80_000, |i| if (35_950..35_990).contains(&i) { i + 600 } else { i });
    env.write("burst.log", &text);
    let (_, records, _, _) = grep_json(
        &env,
        &["handled", "burst.log", "--since", "2026-11-22T10:00:00Z", "--until", "2026-11-22T10:10:00Z"],
    );
    let want = in_window(&truth, 36_000, 36_600);
    assert_eq!(records.len(), want.len());
}

#[test]
fn disorder_seen_in_the_window_makes_the_search_read_the_skipped_start_too() {
    let env = Env::new();
    // In order, except: 20 lines early in the file (near 03:20) are stamped 10:05, inside the
    // window, where the binary search skips; and one line inside the window is stamped 08:00,
    // which the scan sees, so it knows the file is less sorted than the probes said.
    let (text, truth) = generated(80_000, |i| match i {
        12_000..12_020 => 36_300,
        36_100 => 28_800,
        _ => i,
    });
    env.write("late.log", &text);
    let (code, records, summary, stderr) =
        grep_json(&env, &["handled", "late.log", "--since", "2026-11-22T10:00:00Z", "--until", "2026-11-22T10:10:00Z"]);
    assert_eq!(code, 0);
    assert_eq!(records.len(), in_window(&truth, 36_000, 36_600).len());
    assert_eq!(summary["files"][0]["strategy"], "seek");
    assert!(stderr.contains("read its start too"), "{stderr}");
}

#[test]
fn a_file_truncated_while_searched_warns_and_finishes_with_what_it_read() {
    use incident::logsearch::{self, Flow, Matcher, Options, Pattern};
    let env = Env::new();
    let (text, _) = generated(40_000, |i| i);
    let path = env.write("app.log", &text);
    let matcher = Matcher::new(&Pattern { text: "handled".into(), fixed: false, ignore_case: false }).expect("pattern");
    let mut seen = 0u64;
    // copytruncate: at the first match the file is emptied and a new line written.
    let summary = logsearch::search(std::slice::from_ref(&path), &matcher, &Options::default(), &mut |_hit| {
        if seen == 0 {
            let mut file = File::options().write(true).open(&path).expect("open for truncation");
            file.set_len(0).expect("truncate");
            file.write_all(b"2026-11-22 23:00:00,000 INFO new\n").expect("write");
        }
        seen += 1;
        Flow::Continue
    });
    let report = &summary.files[0];
    assert!(report.error.is_none());
    assert!(
        report.warnings.iter().any(|w| w.contains("shrank")),
        "{:?} {} {:?}",
        report.warnings,
        summary.matched,
        report
    );
    assert!(summary.matched > 0 && summary.matched < 40_000, "{}", summary.matched);

    // Moved away and replaced (create-style rotation): the opened file is searched to its end.
    let (text, _) = generated(40_000, |i| i);
    let path = env.write("moved.log", &text);
    let mut rotated = false;
    let summary = logsearch::search(std::slice::from_ref(&path), &matcher, &Options::default(), &mut |_hit| {
        if !rotated {
            fs::rename(&path, env.path().join("moved.log.1")).expect("rotate");
            fs::write(&path, "").expect("new file");
            rotated = true;
        }
        Flow::Continue
    });
    assert_eq!(summary.matched, 40_000);
    assert!(summary.files[0].warnings.iter().any(|w| w.contains("replaced")), "{:?}", summary.files[0].warnings);
}

#[test]
fn exit_codes_follow_grep_and_a_missing_file_does_not_stop_the_others() {
    let env = Env::new();
    env.write("app.log", TRACE_LOG);
    env.cmd().args(["grep", "ERROR", "app.log"]).assert().code(0);
    env.cmd().args(["grep", "nothing-like-this", "app.log"]).assert().code(1);
    let unclosed = env.run(&["grep", "(unclosed", "app.log"]);
    assert_eq!(unclosed.status.code(), Some(2));
    snapshot!(&env, text(&unclosed.stderr), @r#"
        error (usage): the pattern is not a valid regex: regex parse error:
            (unclosed
            ^
        error: unclosed group
        hint: to search for the text as it is, add -F
        "#);
    let vague = env.run(&["grep", "ERROR", "app.log", "--since", "yesterday-ish"]);
    assert_eq!(vague.status.code(), Some(2));
    snapshot!(&env, text(&vague.stderr), @r#"error (usage): --since: "yesterday-ish" is not a time (expected 14:05, yesterday 14:05, 2026-11-22 14:05, 2026-11-22T14:05:00Z, 10m ago or -10m)"#);
    let output = env.cmd().args(["grep", "ERROR", "missing.log", "app.log"]).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stdout).contains("request 2 failed"));
    snapshot!(&env, text(&output.stderr), @r#"
        error: missing.log: No such file or directory (os error 2)
        1 matching record (1 of 2 sources searched, 1 failed); first 2026-11-22T14:00:02Z, last 2026-11-22T14:00:02Z
        "#);
    // --record needs an incident; without one it is an error, still exit 2.
    let unrecorded = env.run(&["grep", "ERROR", "app.log", "--record"]);
    assert_eq!(unrecorded.status.code(), Some(2));
    snapshot!(&env, text(&unrecorded.stderr), @r#"
        error: no current incident in [TMP]/store
        hint: open one with `incident open TITLE -s sev2`, or pick one with `incident use ID` or `-i ID` (see `incident list`)
        "#);
}

#[test]
fn binary_bytes_invalid_utf8_and_a_one_megabyte_line_do_not_break_it() {
    let env = Env::new();
    let mut bytes = b"2026-11-22 14:00:00,000 INFO \x00\x01\x02 binary\n".to_vec();
    bytes.extend_from_slice(b"2026-11-22 14:00:01,000 WARN caf\xe9 \xff\xfe needle\n");
    bytes.extend_from_slice(b"2026-11-22 14:00:02,000 INFO ");
    bytes.extend(std::iter::repeat_n(b'x', 1 << 20));
    bytes.extend_from_slice(b" needle\n2026-11-22 14:00:03,000 INFO tail\n");
    env.write("odd.log", &bytes);
    let (code, records, _, _) = grep_json(&env, &["needle", "odd.log"]);
    assert_eq!(code, 0);
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["time"], "2026-11-22T14:00:02Z");
    assert!(records[1]["text"].as_str().unwrap_or_default().len() > 1 << 20);
    let output = env.cmd().args(["grep", "-c", "binary", "odd.log"]).output().expect("run");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "1\n");
}

#[test]
fn count_max_ignore_case_fixed_and_histogram() {
    let env = Env::new();
    let text = log_lines(50_400, 180, 1_000, |i| if i % 3 == 0 { "ERROR a.b failed".into() } else { "info ok".into() });
    env.write("app.log", &text);
    let count = |args: &[&str]| {
        let output = env.cmd().arg("grep").args(args).output().expect("run");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    assert_eq!(count(&["-c", "ERROR", "app.log"]), "60");
    assert_eq!(count(&["-c", "-i", "error", "app.log"]), "60");
    assert_eq!(count(&["-ic", "Info", "app.log"]), "120");
    assert_eq!(count(&["-icm7", "Info", "app.log"]), "7");
    assert_eq!(count(&["-c", "-F", "a.b", "app.log"]), "60");
    assert_eq!(count(&["-c", "a.b|ok", "app.log"]), "180");
    assert_eq!(count(&["-c", "ERROR", "app.log", "--since", "2026-11-22T14:01:00Z"]), "40");
    let (_, records, summary, _) = grep_json(&env, &["ERROR", "app.log", "--max", "5"]);
    assert_eq!(records.len(), 5);
    assert_eq!(summary["hit_max"], true);
    // 14:00 to 14:02: three rows of 20 errors each.
    let histogram = count(&["--histogram", "ERROR", "app.log"]);
    let rows: Vec<&str> = histogram.lines().collect();
    assert_eq!(rows.len(), 3, "{histogram}");
    assert!(rows[0].starts_with("14:00 ") && rows[0].ends_with(" 20"), "{histogram}");
}

#[test]
fn record_writes_a_log_search_event_with_masked_samples() {
    let env = Env::new();
    env.cmd().args(["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]).assert().success();
    env.write(
        "app.log",
        "2026-11-22 14:10:00,000 ERROR db login failed with hunter2hunter2\n\
         2026-11-22 14:11:00,000 ERROR GET https://svc:pa55word@db.internal/x failed\n\
         2026-11-22 14:12:00,000 INFO fine\n",
    );
    // Searched 25 minutes after the incident opened: the last 30 minutes reach back to 14:00.
    env.cmd_at("2026-11-22T14:30:00Z")
        .env("DB_PASSWORD", "hunter2hunter2")
        .args(["grep", "ERROR", "app.log", "--since", "30m", "--record"])
        .assert()
        .code(0);
    let output = env.cmd().args(["timeline", "--json"]).output().expect("run");
    let timeline = String::from_utf8_lossy(&output.stdout);
    let event: Value = timeline
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["kind"] == "log.search")
        .unwrap_or_else(|| panic!("no log.search event in {timeline}"));
    assert_eq!(event["phase"], "observe");
    assert_eq!(event["pattern"], "ERROR");
    assert_eq!(event["matched"], 2);
    assert_eq!(event["since"], "2026-11-22T14:00:00.000Z");
    assert_eq!(event["first"], "2026-11-22T14:10:00.000Z");
    assert_eq!(event["last"], "2026-11-22T14:11:00.000Z");
    assert_eq!(event["files"][0], "app.log");
    let samples = event["samples"].to_string();
    assert!(!samples.contains("hunter2hunter2") && !samples.contains("pa55word"), "{samples}");
    assert!(samples.contains("db login failed"), "{samples}");
}

#[test]
fn standard_input_is_searched_when_no_file_is_named() {
    let env = Env::new();
    let output = env.cmd().args(["grep", "-c", "ok"]).write_stdin(TRACE_LOG).output().expect("run");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "3\n");
}

#[test]
fn a_damaged_gzip_file_warns_and_keeps_what_decompressed() {
    let env = Env::new();
    let text = log_lines(0, 20_000, 1_000, |i| format!("INFO request {i} served"));
    let whole = write_gz(&env, "cut.log.gz", &text);
    let bytes = fs::read(&whole).expect("read the gzip file");
    fs::write(&whole, &bytes[..bytes.len() / 2]).expect("cut it in half");
    let output = env.cmd().args(["grep", "-c", "served", "cut.log.gz"]).output().expect("run");
    let count: u64 = String::from_utf8_lossy(&output.stdout).trim().parse().unwrap_or(0);
    assert!(count > 1_000 && count < 20_000, "{count}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("searched what came before"));
    assert_eq!(output.status.code(), Some(0));
}
