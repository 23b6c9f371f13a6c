//! `incident grep --follow`: a writer appends, rotates and truncates while grep watches; the
//! matches come out as they are written, `--record` groups them into throttled events, and
//! Ctrl-C or a closed pipe end it cleanly. Every wait is bounded.

use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::harness::Env;

const WAIT: Duration = Duration::from_secs(10);

fn append(path: &std::path::Path, text: &str) {
    let mut file = OpenOptions::new().append(true).create(true).open(path).expect("open the log");
    file.write_all(text.as_bytes()).expect("append");
}

/// Starts `incident grep ARGS` with its stdout read line by line on a thread.
fn start(env: &Env, args: &[&str]) -> (Child, Receiver<String>) {
    let mut child =
        env.std_cmd().arg("grep").args(args).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().expect("start grep");
    let stdout = child.stdout.take().expect("stdout");
    let (send, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    (child, lines)
}

fn next_line(lines: &Receiver<String>) -> String {
    lines.recv_timeout(WAIT).expect("a line within 10 s")
}

/// Waits for the process to end (killing it after the bound); its exit status.
fn wait_bounded(child: &mut Child) -> std::process::ExitStatus {
    let until = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            panic!("grep --follow did not end within 10 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn interrupt(child: &Child) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
}

#[test]
fn follow_sees_appended_rotated_and_truncated_lines_and_ends_on_ctrl_c() {
    let env = Env::new();
    let log = env.write("app.log", "2026-11-24T06:00:00Z ERROR before\n2026-11-24T06:00:01Z INFO fine\n");
    let (mut child, lines) = start(&env, &["--follow", "ERROR", "app.log"]);
    assert_eq!(next_line(&lines), "2026-11-24T06:00:00Z ERROR before");
    append(&log, "2026-11-24T06:00:02Z INFO fine\n2026-11-24T06:00:03Z ERROR appended\n");
    assert_eq!(next_line(&lines), "2026-11-24T06:00:03Z ERROR appended");
    // Rotation: what was written to the old file just before is not lost.
    append(&log, "2026-11-24T06:00:04Z ERROR last in the old file\n");
    fs::rename(&log, env.path().join("app.log.1")).expect("rotate");
    append(&log, "2026-11-24T06:00:05Z ERROR first in the new file\n");
    assert_eq!(next_line(&lines), "2026-11-24T06:00:04Z ERROR last in the old file");
    assert_eq!(next_line(&lines), "2026-11-24T06:00:05Z ERROR first in the new file");
    // Truncation in place (copytruncate): read again from the start.
    fs::write(&log, "").expect("truncate");
    std::thread::sleep(Duration::from_millis(500));
    append(&log, "2026-11-24T06:00:06Z ERROR after truncation\n");
    assert_eq!(next_line(&lines), "2026-11-24T06:00:06Z ERROR after truncation");
    interrupt(&child);
    assert_eq!(wait_bounded(&mut child).code(), Some(130));
    assert!(lines.recv_timeout(Duration::from_millis(200)).is_err(), "nothing else printed");
}

#[test]
fn follow_record_groups_matches_into_throttled_events_and_records_the_rest_on_ctrl_c() {
    let env = Env::new();
    env.open_incident();
    let log = env.write("app.log", "2026-11-24T06:00:00Z INFO start\n");
    let (mut child, lines) = start(&env, &["--follow", "--record", "ERROR", "app.log"]);
    std::thread::sleep(Duration::from_millis(500));
    append(&log, "2026-11-24T06:00:01Z ERROR one\n");
    next_line(&lines);
    // The first match is recorded at once.
    env.wait_for_event(|e| e["kind"] == "log.search" && e["matched"] == 1);
    // More within the next 10 s wait, grouped, and are recorded when grep is stopped.
    append(&log, "2026-11-24T06:00:02Z ERROR two\n2026-11-24T06:00:03Z ERROR three\n");
    next_line(&lines);
    next_line(&lines);
    interrupt(&child);
    assert_eq!(wait_bounded(&mut child).code(), Some(130));
    let searches: Vec<_> = env.events().into_iter().filter(|e| e["kind"] == "log.search").collect();
    let matched: Vec<_> = searches.iter().map(|e| e["matched"].as_u64().unwrap_or(0)).collect();
    // The search before following (no match), then the first match, then the two grouped.
    assert_eq!(matched, [0, 1, 2], "{searches:?}");
}

#[test]
fn follow_ends_quietly_when_its_reader_goes_away() {
    let env = Env::new();
    let log = env.write("app.log", "2026-11-24T06:00:00Z ERROR before\n");
    let (mut child, lines) = start(&env, &["--follow", "ERROR", "app.log"]);
    next_line(&lines);
    drop(lines);
    // The reader thread ends on its next line; the write after that meets a closed pipe.
    for i in 0..3 {
        append(&log, &format!("2026-11-24T06:00:0{i}Z ERROR again\n"));
        std::thread::sleep(Duration::from_millis(400));
    }
    let status = wait_bounded(&mut child);
    assert_eq!(status.code(), Some(0), "a closed pipe is no error");
}
