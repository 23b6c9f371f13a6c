//! Commands we start leave nothing behind: a timeout or the end of a check ends the whole
//! process group, grandchildren included.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::{Env, text};

/// Whether `pid` is a live process: `kill(pid, 0)` reaches it and it is not a zombie waiting
/// for init to reap it.
fn alive(pid: i32) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    let exists = unsafe { libc::kill(pid, 0) } == 0;
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().next()) == Some("Z"))
        .unwrap_or(false);
    exists && !zombie
}

/// The pids a script wrote, one per line.
fn pids(file: &Path) -> Vec<i32> {
    std::fs::read_to_string(file).unwrap_or_default().lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// Asserts every pid is gone, allowing a moment for a SIGKILL to land.
fn assert_all_gone(pids: &[i32], what: &str) {
    let until = Instant::now() + Duration::from_secs(2);
    while pids.iter().any(|&p| alive(p)) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let survivors: Vec<i32> = pids.iter().copied().filter(|&p| alive(p)).collect();
    for &pid in &survivors {
        // SAFETY: cleaning up a process this test had started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    assert!(survivors.is_empty(), "{what}: {survivors:?} survived");
}

/// A project whose sync remote is reached through an "ssh" that never answers and starts a
/// child of its own (as a real one's proxy would); both write their pids to the returned file.
/// Returns the command to run `incident` there, and the pid file.
fn project_with_a_hanging_ssh(env: &Env) -> (impl Fn(&[&str]) -> std::process::Command + '_, std::path::PathBuf) {
    let project = env.write(
        "project/incident.toml",
        "store = \"incidents\"\n[sync]\nremote = \"ssh://git.example.invalid/incidents.git\"\ntimeout = \"1s\"\n",
    );
    let project = project.parent().expect("the project folder").to_path_buf();
    let pidfile = env.path().join("ssh.pids");
    let fake_ssh = env
        .write("fake-ssh", format!("#!/bin/sh\necho $$ >> {0}\nsleep 30 &\necho $! >> {0}\nwait\n", pidfile.display()));
    std::fs::set_permissions(&fake_ssh, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    let incident = move |args: &[&str]| {
        let mut cmd = env.std_cmd();
        cmd.env_remove("INCIDENT_STORE")
            .env("GIT_SSH_COMMAND", &fake_ssh)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_COMMITTER_NAME", "Test Committer")
            .env("GIT_COMMITTER_EMAIL", "committer@example.invalid")
            .current_dir(&project)
            .args(args);
        cmd
    };
    assert!(incident(&["open", "Checkout 502s", "-s", "sev2", "--no-walk"]).output().expect("ran").status.success());
    (incident, pidfile)
}

/// Regression: a sync timeout killed git alone, and the `ssh` it had started (with whatever
/// that started) ran on.
#[test]
fn a_sync_timeout_ends_git_and_everything_git_started() {
    let env = Env::new();
    let (incident, pidfile) = project_with_a_hanging_ssh(&env);
    let out = incident(&["sync"]).output().expect("ran");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("did not finish within 1s"), "{}", text(&out.stderr));
    let started = pids(&pidfile);
    assert_eq!(started.len(), 2, "the fake ssh and its child wrote their pids");
    assert_all_gone(&started, "ssh and its child after the sync timed out");
}

/// Regression: SIGTERM to a sync ended `incident` and left git, its ssh and that one's child
/// running.
#[test]
fn a_terminated_sync_takes_git_and_everything_git_started_with_it() {
    let env = Env::new();
    let (incident, pidfile) = project_with_a_hanging_ssh(&env);
    let mut cmd = incident(&["sync"]);
    cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().expect("spawn");
    let until = Instant::now() + Duration::from_secs(10);
    while pids(&pidfile).len() < 2 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    let started = pids(&pidfile);
    assert_eq!(started.len(), 2, "the fake ssh and its child wrote their pids");
    // SAFETY: sends a signal to a child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().expect("finished");
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&status), Some(libc::SIGTERM), "{status:?}");
    assert_all_gone(&started, "ssh and its child after the sync was terminated");
}

/// Regression: a check's command that left a child running (`sleep 100 &`) held the check's
/// pipes for two seconds, and the child ran on after the check was over.
#[test]
fn a_checks_background_child_does_not_outlive_the_check() {
    let env = Env::new();
    let pidfile = env.path().join("child.pid");
    env.write(
        "runbooks/stray.yaml",
        format!(
            "title: stray\nobserve:\n  - id: stray\n    command: {{shell: \"sleep 100 & echo $! > {}; echo started\"}}\n    timeout: 20s\n",
            pidfile.display()
        ),
    );
    let started = Instant::now();
    let out = env.run(&["check", "stray", "--no-record"]);
    assert!(started.elapsed() < Duration::from_secs(15), "the check waited for its child: {:?}", started.elapsed());
    assert!(out.status.success(), "the command itself answered: {}{}", text(&out.stdout), text(&out.stderr));
    let child = pids(&pidfile);
    assert_eq!(child.len(), 1, "the check wrote its child's pid");
    assert_all_gone(&child, "the check's background child after the check");
}
