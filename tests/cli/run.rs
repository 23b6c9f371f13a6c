//! `incident run`: streamed, recorded, masked, time-limited commands.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::harness::{Env, read, read_until, spawn_on_pty, text};

fn last_command(env: &Env) -> Value {
    env.events().into_iter().rev().find(|e| e["kind"] == "command.finished").expect("a command.finished event")
}

#[test]
fn run_streams_output_records_the_tail_and_keeps_the_whole_output() {
    let env = Env::new();
    let id = env.open("Run");
    env.ok(&["hypothesis", "add", "a deploy"]);
    // stderr first and a pause: the two pipes' relative order is otherwise up to the scheduler.
    let script = "echo oops >&2; sleep 0.3; for i in $(seq 1 50); do echo line $i; done; exit 3";
    let out = env.run(&["run", "--hypothesis", "H1", "--", "sh", "-c", script]);
    assert_eq!(out.status.code(), Some(3), "exits with the command's own status");
    assert!(text(&out.stdout).contains("line 1\n") && text(&out.stdout).contains("line 50\n"));
    assert!(text(&out.stderr).contains("oops"));

    let event = last_command(&env);
    assert_eq!(event["exit_code"], 3);
    assert_eq!(event["hypothesis"], "H1");
    assert_eq!(event["phase"], "act");
    assert_eq!(event["argv"][0], "sh");
    assert!(event["command"].as_str().unwrap_or_default().starts_with("sh -c 'echo oops"));
    let tail = event["tail"].as_str().unwrap_or_default();
    let expected: Vec<String> = (31..=50).map(|n| format!("line {n}")).collect();
    assert_eq!(tail, expected.join("\n"), "the event keeps the last 20 lines");
    assert!(event["duration_ms"].is_u64());

    let artifact = &event["artifact"];
    let path = env.store().join(&id).join(artifact["path"].as_str().unwrap_or_default());
    let whole = std::fs::read(&path).expect("artifact");
    assert!(text(&whole).starts_with("oops\nline 1\n") && text(&whole).ends_with("line 50\n"));
    assert_eq!(artifact["bytes"], whole.len());
    let digest: String = Sha256::digest(&whole).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(artifact["sha256"], digest);
}

#[test]
fn a_command_that_cannot_start_is_recorded_with_a_shell_status() {
    let env = Env::new();
    env.open("Missing command");
    let out = env.run(&["run", "--", "no-such-command-anywhere"]);
    assert_eq!(out.status.code(), Some(127));
    let event = last_command(&env);
    assert!(event["error"].as_str().unwrap_or_default().contains("command not found"));
}

#[test]
fn dry_run_runs_and_records_nothing() {
    let env = Env::new();
    env.open("Dry run");
    let marker = env.dir.path().join("touched");
    let out = env.run(&["run", "--dry-run", "--", "touch", marker.to_str().unwrap_or_default()]);
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("Dry run: would run `touch"));
    assert!(!marker.exists());
    assert_eq!(env.events().len(), 1);
}

#[test]
fn timeout_kills_the_whole_process_group_and_is_recorded() {
    let env = Env::new();
    env.open("Timeout");
    let pidfile = env.dir.path().join("grandchild.pid");
    // The command starts a grandchild that would outlive a kill of the command alone.
    let script = format!("sleep 60 & echo $! > {}; wait", pidfile.display());
    let started = Instant::now();
    let out = env.run(&["run", "--timeout", "1s", "--", "sh", "-c", &script]);
    assert_eq!(out.status.code(), Some(124));
    assert!(started.elapsed() < Duration::from_secs(30), "the timeout did not stop it");
    let event = last_command(&env);
    assert_eq!(event["timed_out"], true);
    let pid: i32 = read(&pidfile).trim().parse().expect("pid");
    assert!(!running(pid), "the grandchild {pid} survived the timeout");
}

#[test]
fn an_interrupt_reaches_the_command_and_the_event_is_still_recorded() {
    let env = Env::new();
    env.open("Interrupt");
    let mut child = env
        .std_cmd()
        .args(["run", "--", "sh", "-c", "trap 'echo got-int; exit 130' INT; echo started; while :; do sleep 0.1; done"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read");
    assert_eq!(line, "started\n");
    // What Ctrl-C does off a terminal: SIGINT to `incident` itself.
    // SAFETY: sends a signal to a child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("read");
    let status = child.wait().expect("finished");
    assert!(rest.contains("got-int"), "the command did not get the interrupt: {rest:?}");
    assert_eq!(status.code(), Some(130));
    let event = last_command(&env);
    assert_eq!(event["interrupted"], true);
    assert_eq!(event["exit_code"], 130);
}

#[test]
fn secrets_are_masked_in_everything_run_records() {
    let env = Env::new();
    let id = env.open("Secrets");
    let out = env
        .cmd()
        .env("DEPLOY_TOKEN", "tok-abc-123")
        .env("DB_PASSWORD", "hunter2-xyz")
        .env("SIGNING", "sign-key-999")
        .args([
            "run",
            "--secret",
            "SIGNING",
            "--",
            "sh",
            "-c",
            "echo token=$DEPLOY_TOKEN pw=$DB_PASSWORD key=$SIGNING",
            "tok-abc-123",
            "--password",
            "literal-pw",
        ])
        .output()
        .expect("ran");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let dir = env.store().join(&id);
    let mut recorded = read(&dir.join("timeline.jsonl"));
    for entry in std::fs::read_dir(dir.join("artifacts")).expect("artifacts").flatten() {
        recorded.push_str(&read(&entry.path()));
    }
    for secret in ["tok-abc-123", "hunter2-xyz", "sign-key-999", "literal-pw"] {
        assert!(!recorded.contains(secret), "{secret} reached the record:\n{recorded}");
    }
    let event = last_command(&env);
    assert!(event["tail"].as_str().unwrap_or_default().contains("token=**** pw=**** key=****"), "{event}");
    assert!(
        event["command"].as_str().unwrap_or_default().contains("--password '****'")
            || event["command"].as_str().unwrap_or_default().contains("--password ****"),
        "{event}"
    );
}

/// Whether a process exists and is not a zombie waiting to be reaped.
fn running(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name.
        Ok(stat) => stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().next()) != Some("Z"),
        Err(_) => false,
    }
}

#[test]
fn ctrl_c_typed_at_a_terminal_reaches_the_command_and_the_event_is_recorded() {
    use std::io::Write;
    let env = Env::new();
    env.open("Ctrl-C on a terminal");
    let mut cmd = env.std_cmd();
    cmd.args(["run", "--", "sh", "-c", "trap 'echo got-int; exit 130' INT; echo ready; while :; do sleep 0.1; done"]);
    let (mut child, mut master) = spawn_on_pty(cmd);
    let seen = read_until(&mut master, "ready\r\n");
    assert!(seen.contains("ready\r\n"), "{seen}");
    master.write_all(b"\x03").expect("type Ctrl-C");
    let seen = read_until(&mut master, "Recorded");
    let status = child.wait().expect("finished");
    assert!(seen.contains("got-int"), "the command did not get Ctrl-C: {seen}");
    assert_eq!(status.code(), Some(130), "incident itself must survive Ctrl-C and pass on the status");
    let event = last_command(&env);
    assert_eq!(event["interrupted"], true);
    assert_eq!(event["exit_code"], 130);
}
