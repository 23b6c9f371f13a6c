//! The timeline's guarantees (design/timeline.md), each proven against real files and real
//! processes: concurrent writers, SIGKILL mid-append, damaged lines, failed writes, store escape.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::time::{Duration, Instant};

use incident::model::{Body, Event};
use incident::store::Store;
use serde_json::Value;

use crate::harness::snapshot::snapshot;
use crate::harness::{Env, read, text};

/// Environment variables that turn this test binary into a writer process (see `writer_process`).
const WRITER_STORE: &str = "INCIDENT_TEST_WRITER_STORE";
const WRITER_ID: &str = "INCIDENT_TEST_WRITER_ID";
const WRITER_COUNT: &str = "INCIDENT_TEST_WRITER_COUNT";
const WRITER_PAD: &str = "INCIDENT_TEST_WRITER_PAD";

/// Not a test: the body of a writer process. The tests below re-run this test binary with only
/// this function selected; it appends events through the library's one append path and prints
/// each event's id once `append` has returned (that is, once it is acknowledged).
#[test]
#[ignore = "helper process for the concurrency and crash tests; does nothing when run alone"]
fn writer_process() {
    let (Ok(store), Ok(id)) = (std::env::var(WRITER_STORE), std::env::var(WRITER_ID)) else { return };
    let count: usize = std::env::var(WRITER_COUNT).ok().and_then(|c| c.parse().ok()).unwrap_or(usize::MAX);
    let pad: usize = std::env::var(WRITER_PAD).ok().and_then(|c| c.parse().ok()).unwrap_or(0);
    let dir = Store::new(store).find(&id).expect("the incident");
    let timeline = dir.timeline();
    let mut stdout = std::io::stdout().lock();
    for n in 0..count {
        let event = Event {
            id: incident::model::new_event_id(),
            ts: chrono::Utc::now(),
            recorded: None,
            author: format!("writer-{}", std::process::id()),
            phase: None,
            body: Body::Note { text: format!("note {n} {}", "x".repeat(pad)) },
        };
        timeline.append(std::slice::from_ref(&event)).expect("append");
        use std::io::Write;
        writeln!(stdout, "{}", event.id).and_then(|()| stdout.flush()).expect("stdout");
    }
}

fn writer(env: &Env, id: &str, count: Option<usize>, pad: usize) -> std::process::Command {
    let mut cmd = std::process::Command::new(std::env::current_exe().expect("this test binary"));
    cmd.args(["--exact", "guarantees::writer_process", "--ignored", "--nocapture", "--test-threads=1", "-q"])
        .env(WRITER_STORE, env.store())
        .env(WRITER_ID, id)
        .env(WRITER_PAD, pad.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(count) = count {
        cmd.env(WRITER_COUNT, count.to_string());
    }
    cmd
}

/// Event ids are 26-character ULIDs; the test harness prints other lines too.
fn acknowledged_ids(output: &str) -> Vec<String> {
    output
        .lines()
        .map(str::trim)
        .filter(|l| l.len() == 26 && l.chars().all(|c| c.is_ascii_alphanumeric()))
        .map(String::from)
        .collect()
}

#[test]
fn eight_concurrent_writers_leave_every_line_whole_and_distinct() {
    let env = Env::new();
    let id = env.open("Concurrent writers");
    let before = env.events().len();
    let writers: Vec<_> = (0..8).map(|_| writer(&env, &id, Some(250), 0).spawn().expect("spawn writer")).collect();
    let mut acknowledged = Vec::new();
    for child in writers {
        let out = child.wait_with_output().expect("writer finished");
        assert!(out.status.success(), "a writer failed");
        acknowledged.extend(acknowledged_ids(&text(&out.stdout)));
    }
    assert_eq!(acknowledged.len(), 2000);

    let raw = read(&env.timeline_path(&id));
    let lines: Vec<&str> = raw.lines().collect();
    assert_eq!(lines.len(), before + 2000, "exactly 2,000 new lines");
    let mut ids = HashSet::new();
    for line in &lines {
        let event: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("invalid line {line:?}: {e}"));
        assert!(ids.insert(event["id"].as_str().unwrap_or_default().to_string()), "duplicate id in {line}");
    }
    for ack in &acknowledged {
        assert!(ids.contains(ack), "acknowledged event {ack} is missing");
    }
    env.cmd().args(["timeline", "--verify"]).assert().success();
}

#[test]
fn concurrent_hypotheses_never_share_a_number() {
    let env = Env::new();
    env.open("Racing hypotheses");
    let children: Vec<_> = (0..8)
        .map(|n| {
            env.std_cmd()
                .args(["hypothesis", "add", &format!("cause {n}")])
                .stdout(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let mut printed: Vec<String> = children
        .into_iter()
        .map(|c| {
            let printed = text(&c.wait_with_output().expect("finished").stdout);
            printed.split_whitespace().next().unwrap_or_default().to_string()
        })
        .collect();
    printed.sort_by_key(|h| h[1..].parse::<u32>().unwrap_or(0));
    assert_eq!(printed, (1..=8).map(|n| format!("H{n}")).collect::<Vec<_>>());
}

#[test]
fn a_writer_killed_mid_append_loses_no_acknowledged_event_and_torn_bytes_are_kept() {
    let env = Env::new();
    let id = env.open("Killed writer");
    let path = env.timeline_path(&id);
    let mut acknowledged = Vec::new();
    let mut saw_torn = false;
    // Large events span many pages, so SIGKILL can land in the middle of a write(2). Several
    // rounds make that likely; the guarantees below must hold whether or not it happens.
    for round in 0..6 {
        let mut child = writer(&env, &id, None, 128 * 1024 + round * 4093).spawn().expect("spawn writer");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let started = Instant::now();
        let mut acks_this_round = 0;
        while acks_this_round < 10 + round * 3 && started.elapsed() < Duration::from_secs(10) {
            line.clear();
            if stdout.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            let acks = acknowledged_ids(&line);
            acks_this_round += acks.len();
            acknowledged.extend(acks);
        }
        // Land the kill at a different point of the next append each round.
        std::thread::sleep(Duration::from_micros(300 * round as u64));
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
        // Acknowledgements printed before the kill are still in the pipe.
        let mut rest = String::new();
        stdout.read_to_string(&mut rest).unwrap_or(0);
        acknowledged.extend(acknowledged_ids(&rest));

        let raw = std::fs::read(&path).expect("timeline");
        let torn = !raw.ends_with(b"\n");
        if torn {
            saw_torn = true;
            let tail_start = raw.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
            let torn_bytes = raw[tail_start..].to_vec();
            // Reading reports it and still reads everything else.
            let verify = env.run(&["timeline", "--verify"]);
            assert_eq!(verify.status.code(), Some(1));
            assert!(text(&verify.stdout).contains("torn last line"), "{}", text(&verify.stdout));
            // The next append moves it aside, bytes intact, and the timeline is valid again.
            let note = env.run(&["note", &format!("after kill {round}")]);
            assert!(note.status.success());
            assert!(text(&note.stderr).contains("moved aside"), "{}", text(&note.stderr));
            let sidecars: Vec<Vec<u8>> = std::fs::read_dir(path.parent().expect("dir"))
                .expect("dir")
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("timeline.jsonl.torn-"))
                .map(|e| std::fs::read(e.path()).expect("sidecar"))
                .collect();
            assert!(sidecars.contains(&torn_bytes), "the torn bytes were not kept aside");
        }
        env.cmd().args(["timeline", "--verify"]).assert().success();
    }
    let ids: HashSet<String> = env.events().iter().map(|e| e["id"].as_str().unwrap_or_default().to_string()).collect();
    assert!(!acknowledged.is_empty());
    for ack in &acknowledged {
        assert!(ids.contains(ack), "acknowledged event {ack} is missing after SIGKILL");
    }
    eprintln!("killed writers: {} acknowledged events kept; torn tail seen: {saw_torn}", acknowledged.len());
}

#[test]
fn a_torn_last_line_is_reported_then_moved_aside_not_dropped() {
    // What a power cut leaves: the last line cut short.
    let env = Env::new();
    let id = env.open("Power cut");
    env.ok(&["observe", "disk at 100%"]);
    let path = env.timeline_path(&id);
    let mut raw = std::fs::read(&path).expect("timeline");
    raw.truncate(raw.len() - 20);
    let torn_start = raw.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let torn = raw[torn_start..].to_vec();
    std::fs::write(&path, &raw).expect("write");

    let timeline = env.run(&["timeline"]);
    assert!(timeline.status.success(), "the rest still reads");
    assert!(text(&timeline.stderr).contains(":2: the last line is incomplete"), "{}", text(&timeline.stderr));
    assert!(text(&timeline.stdout).contains("Incident opened"));

    let note = env.run(&["note", "next"]);
    assert!(note.status.success());
    assert!(text(&note.stderr).contains("moved aside"));
    let sidecar = path.with_file_name("timeline.jsonl.torn-1");
    assert_eq!(std::fs::read(&sidecar).expect("sidecar"), torn);
    let kinds: Vec<String> = env.events().iter().map(|e| e["kind"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(kinds, ["incident.opened", "note"]);
    let verify = env.run(&["timeline", "--verify"]);
    assert!(verify.status.success());
    assert!(text(&verify.stdout).contains("kept aside earlier"), "{}", text(&verify.stdout));
}

#[test]
fn a_last_line_missing_only_its_newline_is_kept_in_place() {
    let env = Env::new();
    let id = env.open("Lost newline");
    env.ok(&["observe", "x"]);
    let path = env.timeline_path(&id);
    let mut raw = std::fs::read(&path).expect("timeline");
    raw.pop();
    std::fs::write(&path, &raw).expect("write");
    env.ok(&["observe", "y"]);
    let texts: Vec<String> = env.events().iter().filter_map(|e| e["text"].as_str().map(String::from)).collect();
    assert_eq!(texts, ["x", "y"]);
}

#[test]
fn a_damaged_line_in_the_middle_is_reported_and_the_rest_still_reads() {
    let env = Env::new();
    let id = env.open("Damaged");
    for n in 0..4 {
        env.ok(&["observe", &format!("observation {n}")]);
    }
    let path = env.timeline_path(&id);
    let mut lines: Vec<String> = read(&path).lines().map(String::from).collect();
    lines[2] = "{\"id\": \"oops\", garbage".to_string();
    std::fs::write(&path, lines.join("\n") + "\n").expect("write");

    let out = env.run(&["timeline"]);
    assert!(out.status.success());
    snapshot!(&env, text(&out.stderr), @r#"warning: [TMP]/store/2026-11-22-damaged/timeline.jsonl:3: damaged line skipped: key must be a string at line 1 column 16"#);
    assert_eq!(env.show()["events"], 4);

    let verify = env.run(&["timeline", "--verify"]);
    assert_eq!(verify.status.code(), Some(1));
    snapshot!(&env, text(&verify.stdout), @r#"
        [TMP]/store/2026-11-22-damaged/timeline.jsonl: 4 events, 1 problems
          line 3: damaged: key must be a string at line 1 column 16: {"id": "oops", garbage
        "#);

    let json = env.run(&["timeline", "--verify", "--json"]);
    let report: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(report["ok"], false);
    assert_eq!(report["problems"][0]["line"], 3);
    // Appending still works, and never rewrites the damaged line.
    env.ok(&["observe", "after"]);
    assert_eq!(read(&path).lines().nth(2), Some("{\"id\": \"oops\", garbage"));
}

#[test]
fn a_write_that_fails_leaves_no_partial_line_and_exits_1() {
    let env = Env::new();
    let id = env.open("Full disk");
    let path = env.timeline_path(&id);
    let before = std::fs::read(&path).expect("timeline");
    let limit = before.len() as u64 + 10;

    let mut cmd = env.std_cmd();
    cmd.args(["observe", "this event does not fit under the file-size limit"]);
    let out = crate::harness::with_file_size_limit(cmd, limit);
    assert_eq!(out.status.code(), Some(1), "stderr: {}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("could not record the event") && stderr.contains("file too large"), "{stderr}");
    assert_eq!(std::fs::read(&path).expect("timeline"), before, "no partial line left");
    env.cmd().args(["timeline", "--verify"]).assert().success();
}

#[test]
fn ids_from_users_cannot_escape_the_store() {
    let env = Env::new();
    env.open("Escape attempts");
    for bad in ["../x", "/etc", "..", "a/../../b", "x\ny", "x\u{1b}[31m", "."] {
        let out = env.run(&["-i", bad, "show"]);
        assert_eq!(out.status.code(), Some(2), "-i {bad:?}: {}", text(&out.stderr));
        let out = env.run(&["use", bad]);
        assert_eq!(out.status.code(), Some(2), "use {bad:?}");
        let out = env.cmd().env("INCIDENT_ID", bad).args(["observe", "x"]).output().expect("ran");
        assert_eq!(out.status.code(), Some(2), "INCIDENT_ID={bad:?}");
    }
    // A title full of path tricks still makes an id inside the store.
    let id = env.open("../../etc/passwd");
    assert_eq!(id, "2026-11-22-etc-passwd");
    assert!(env.store().join(&id).join("timeline.jsonl").is_file());
    // A tampered current pointer is refused, not followed.
    std::fs::write(env.store().join("current"), "../../etc\n").expect("write");
    let out = env.run(&["show"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("damaged"), "{}", text(&out.stderr));
    // Nothing was created outside the store.
    let outside: Vec<_> = std::fs::read_dir(env.dir.path()).expect("dir").flatten().map(|e| e.file_name()).collect();
    assert_eq!(outside, vec![std::ffi::OsString::from("store")]);
}
