//! Remote checks (`host:`) against a real `sshd` (Debian's `openssh-server`) that each test
//! starts on 127.0.0.1 with generated keys, and the system `ssh` client. Skipped, saying so,
//! where `/usr/sbin/sshd` is absent.
#![allow(clippy::unwrap_used)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::harness::snapshot::snapshot;
use crate::harness::{Env, text};

const SSHD: &str = "/usr/sbin/sshd";

/// An `sshd` of the test's own on loopback, with its keys, config and client setup in `dir`.
struct Sshd {
    child: Child,
    port: u16,
    user: String,
    /// The client key the daemon accepts.
    key: PathBuf,
    /// A folder with an `ssh` that uses this test's client config, to put first on PATH: the
    /// real client, kept away from the user's own known_hosts and config.
    bin: PathBuf,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "incident-test", "-f"])
        .arg(path)
        .stdin(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "ssh-keygen failed");
}

impl Sshd {
    /// Starts the daemon; `remote_path` is the PATH its sessions get (which decides whether
    /// `incident` is found there). `None` where sshd is not installed.
    fn start(dir: &Path, remote_path: &str) -> Option<Sshd> {
        if !Path::new(SSHD).exists() {
            eprintln!("SKIPPED: {SSHD} is not installed (apt-get install openssh-server openssh-client)");
            return None;
        }
        let dir = dir.join("ssh");
        std::fs::create_dir_all(&dir).unwrap();
        let (host_key, key) = (dir.join("host_key"), dir.join("client_key"));
        keygen(&host_key);
        keygen(&key);
        let user =
            String::from_utf8(Command::new("id").arg("-un").output().unwrap().stdout).unwrap().trim().to_string();
        if user == "root" {
            // sshd run by root insists on its privilege-separation directory.
            std::fs::create_dir_all("/run/sshd").unwrap();
        }
        let port = free_port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\nPort {port}\nHostKey {host}\nAuthorizedKeysFile {key}.pub\n\
                 PidFile {pid}\nStrictModes no\nUsePAM no\nPubkeyAuthentication yes\nPasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nSetEnv PATH={remote_path}\n\
                 LogLevel ERROR\n",
                host = host_key.display(),
                key = key.display(),
                pid = dir.join("sshd.pid").display(),
            ),
        )
        .unwrap();
        let child = Command::new(SSHD)
            .args(["-D", "-e", "-f"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let client_config = dir.join("ssh_config");
        std::fs::write(
            &client_config,
            format!(
                "UserKnownHostsFile {}\nGlobalKnownHostsFile /dev/null\nIdentitiesOnly yes\nLogLevel ERROR\n",
                dir.join("known_hosts").display()
            ),
        )
        .unwrap();
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let wrapper = bin.join("ssh");
        std::fs::write(&wrapper, format!("#!/bin/sh\nexec /usr/bin/ssh -F {} \"$@\"\n", client_config.display()))
            .unwrap();
        std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let sshd = Sshd { child, port, user, key, bin };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(10), "sshd did not start listening on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(sshd)
    }

    /// `incident` with this test's `ssh` first on PATH.
    fn incident(&self, env: &Env) -> assert_cmd::Command {
        let mut cmd = env.cmd();
        cmd.env("PATH", format!("{}:{}", self.bin.display(), std::env::var("PATH").unwrap_or_default()));
        cmd
    }

    /// The `--var`s the test runbooks use to reach this daemon.
    fn vars(&self) -> Vec<String> {
        vec![
            "--var".into(),
            format!("host={}@127.0.0.1", self.user),
            "--var".into(),
            format!("port={}", self.port),
            "--var".into(),
            format!("key={}", self.key.display()),
        ]
    }
}

const REMOTE_RUNBOOK: &str = r#"title: remote
vars:
  host: {}
  port: {}
  key: {}
  word: {default: hello}
observe:
  - id: uname
    host: "{{ vars.host }}"
    port: "{{ vars.port }}"
    identity: "{{ vars.key }}"
    command: {run: [uname, -s]}
    expect: {stdout_contains: Linux}
  - id: echo
    host: "{{ vars.host }}"
    port: "{{ vars.port }}"
    identity: "{{ vars.key }}"
    command: {run: [echo, "{{ vars.word }}"]}
  - id: script
    host: "{{ vars.host }}"
    port: "{{ vars.port }}"
    identity: "{{ vars.key }}"
    command: {shell: "echo {{ vars.word }} | tr a-z A-Z"}
"#;

fn check_json(cmd: &mut assert_cmd::Command, args: &[String]) -> (Option<i32>, serde_json::Value) {
    let out = cmd.args(args).output().unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (out.status.code(), json)
}

fn record<'a>(json: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    json["checks"].as_array().and_then(|c| c.iter().find(|r| r["check"] == id)).unwrap_or(&serde_json::Value::Null)
}

fn args(sshd: &Sshd, words: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = words.iter().map(ToString::to_string).collect();
    args.extend(sshd.vars());
    args
}

#[test]
fn a_remote_command_check_runs_over_ssh_passes_and_is_recorded() {
    let env = Env::new();
    let Some(sshd) = Sshd::start(env.path(), "/usr/bin:/bin") else { return };
    env.write("runbooks/remote.yaml", REMOTE_RUNBOOK);
    env.open_incident();
    let (code, json) = check_json(&mut sshd.incident(&env), &args(&sshd, &["--json", "check", "remote"]));
    assert_eq!(code, Some(0), "{json}");
    let uname = record(&json, "uname");
    assert_eq!(uname["status"], "ok", "{uname}");
    assert_eq!(uname["observed"]["host"], format!("{}@127.0.0.1", sshd.user));
    assert_eq!(record(&json, "echo")["observed"]["stdout"], "hello\n");
    assert_eq!(record(&json, "script")["observed"]["stdout"], "HELLO\n", "shell: runs its script remotely");
    let timeline = env.timeline();
    assert!(timeline.contains(&format!("{}@127.0.0.1:{}: uname -s", sshd.user, sshd.port)), "{timeline}");
    // `runbook show` says where each check runs before anyone trusts it.
    env.cmd()
        .args(["runbook", "show", "remote"])
        .assert()
        .success()
        .stdout(predicates::str::contains("[on {{ vars.host }}]"));
}

#[test]
fn a_variable_cannot_inject_a_command_into_a_remote_check() {
    let env = Env::new();
    let Some(sshd) = Sshd::start(env.path(), "/usr/bin:/bin") else { return };
    env.write("runbooks/remote.yaml", REMOTE_RUNBOOK);
    let pwned = env.path().join("pwned");
    let word = format!("x; touch {0}; $(touch {0}) `touch {0}`", pwned.display());
    let mut words = args(&sshd, &["--json", "check", "remote", "--no-record", "--only", "echo", "--only", "script"]);
    words.extend(["--var".to_string(), format!("word={word}")]);
    let (code, json) = check_json(&mut sshd.incident(&env), &words);
    assert_eq!(code, Some(0), "{json}");
    // The remote got the value as one word: echoed back as it is, run nowhere.
    assert_eq!(record(&json, "echo")["observed"]["stdout"], format!("{word}\n"));
    assert_eq!(record(&json, "script")["observed"]["stdout"], format!("{}\n", word.to_uppercase()));
    assert!(!pwned.exists(), "a variable ran a command on the remote");
}

#[test]
fn a_host_that_refuses_connections_is_unknown_with_ssh_error_within_the_timeout() {
    let env = Env::new();
    let Some(sshd) = Sshd::start(env.path(), "/usr/bin:/bin") else { return };
    env.write(
        "runbooks/closed.yaml",
        r#"title: closed
vars:
  host: {}
  port: {}
  key: {}
observe:
  - id: uptime
    host: "{{ vars.host }}"
    port: "{{ vars.port }}"
    identity: "{{ vars.key }}"
    command: {run: [uptime]}
    timeout: 5s
"#,
    );
    let closed = free_port();
    let mut words = args(&sshd, &["--json", "check", "closed", "--no-record"]);
    words.extend(["--var".to_string(), format!("port={closed}")]);
    let started = Instant::now();
    let (code, json) = check_json(&mut sshd.incident(&env), &words);
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    let uptime = record(&json, "uptime");
    assert_eq!(code, Some(3), "{json}");
    assert_eq!(uptime["status"], "unknown");
    assert_eq!(uptime["reason"], "ssh_error");
    assert!(uptime["summary"].as_str().unwrap_or("").contains("127.0.0.1"), "{uptime}");
}

/// Log lines stamped `minutes_ago` before the real now.
fn log_lines(minutes_ago: i64, count: usize, message: &str) -> String {
    let at = chrono::Utc::now() - chrono::Duration::minutes(minutes_ago);
    (0..count)
        .map(|n| {
            let at = at + chrono::Duration::milliseconds(i64::try_from(n).unwrap());
            format!("{} {message} {n}\n", at.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
        })
        .collect()
}

const REMOTE_LOG_RUNBOOK: &str = r#"title: remote log
vars:
  host: {}
  port: {}
  key: {}
  log: {}
observe:
  - id: errors
    host: "{{ vars.host }}"
    port: "{{ vars.port }}"
    identity: "{{ vars.key }}"
    log: {path: "{{ vars.log }}", pattern: "ERROR", since: 15m}
    thresholds: {warning: ">= 1", critical: ">= 50"}
"#;

/// A log check with `host:` against the daemon whose sessions get `remote_path`.
fn remote_log_check(remote_path: &str) -> Option<serde_json::Value> {
    let env = Env::new();
    let sshd = Sshd::start(env.path(), remote_path)?;
    env.write("runbooks/remote-log.yaml", REMOTE_LOG_RUNBOOK);
    let mut log = log_lines(120, 20, "ERROR old failure");
    log.push_str(&log_lines(5, 3, "ERROR payment failed"));
    log.push_str(&log_lines(4, 10, "INFO ok"));
    let path = env.write("remote/app.log", &log);
    let mut words = args(&sshd, &["--json", "check", "remote-log", "--no-record"]);
    words.extend(["--var".to_string(), format!("log={}", path.display())]);
    let (code, json) = check_json(&mut sshd.incident(&env), &words);
    assert_eq!(code, Some(1), "3 recent errors are a warning: {json}");
    Some(record(&json, "errors").clone())
}

#[test]
fn a_remote_log_check_streams_the_file_when_the_remote_has_no_incident() {
    let Some(errors) = remote_log_check("/usr/bin:/bin") else { return };
    assert_eq!(errors["status"], "warning", "{errors}");
    assert_eq!(errors["observed"]["matches"], 3, "old errors are outside the window: {errors}");
    assert_eq!(errors["observed"]["via"], "stream");
}

#[test]
fn a_remote_log_file_that_cannot_be_read_is_unknown_either_way() {
    let bin = Path::new(env!("CARGO_BIN_EXE_incident")).parent().unwrap().display().to_string();
    for remote_path in ["/usr/bin:/bin".to_string(), format!("{bin}:/usr/bin:/bin")] {
        let env = Env::new();
        let Some(sshd) = Sshd::start(env.path(), &remote_path) else { return };
        env.write("runbooks/remote-log.yaml", REMOTE_LOG_RUNBOOK);
        let mut words = args(&sshd, &["--json", "check", "remote-log", "--no-record"]);
        words.extend(["--var".to_string(), format!("log={}", env.path().join("missing.log").display())]);
        let (code, json) = check_json(&mut sshd.incident(&env), &words);
        let errors = record(&json, "errors");
        assert_eq!(code, Some(3), "{json}");
        assert_eq!(errors["reason"], "unreadable", "{errors}");
        assert!(errors["summary"].as_str().unwrap_or("").contains("missing.log"), "{errors}");
    }
}

#[test]
fn a_remote_log_check_uses_the_remote_incident_when_it_is_on_the_path() {
    let bin = Path::new(env!("CARGO_BIN_EXE_incident")).parent().unwrap().display().to_string();
    let Some(errors) = remote_log_check(&format!("{bin}:/usr/bin:/bin")) else { return };
    assert_eq!(errors["status"], "warning", "{errors}");
    assert_eq!(errors["observed"]["matches"], 3, "old errors are outside the window: {errors}");
    assert_eq!(errors["observed"]["via"], "incident");
}

#[test]
fn a_remote_command_that_outlasts_its_timeout_is_stopped_at_the_timeout() {
    let env = Env::new();
    let Some(sshd) = Sshd::start(env.path(), "/usr/bin:/bin") else { return };
    env.write(
        "runbooks/slow.yaml",
        r#"title: slow
vars:
  host: {}
  port: {}
  key: {}
observe:
  - id: slow
    host: "{{ vars.host }}"
    port: "{{ vars.port }}"
    identity: "{{ vars.key }}"
    command: {run: [sleep, "30"]}
    timeout: 2s
"#,
    );
    let started = Instant::now();
    let (code, json) = check_json(&mut sshd.incident(&env), &args(&sshd, &["--json", "check", "slow", "--no-record"]));
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    assert_eq!(code, Some(2), "{json}");
    assert_eq!(record(&json, "slow")["reason"], "timeout");
}

#[test]
fn lint_allows_host_only_on_command_and_log_checks_and_names_the_place() {
    let env = Env::new();
    let path = env.write(
        "bad.yaml",
        "title: t\nobserve:\n  - id: web\n    http: {url: \"http://x\"}\n    host: ops@db1\n  - id: up\n    command: {run: [uptime]}\n    host: \"-oProxyCommand=x\"\n",
    );
    let out = env.cmd().args(["runbook", "lint"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stdout), @r#"
        [TMP]/bad.yaml:5:11: `host` applies to command and log checks, not http
           |
         5 |     host: ops@db1
           |           ^
        [TMP]/bad.yaml:8:11: host "-oProxyCommand=x" is not a [user@]host
           |
         8 |     host: "-oProxyCommand=x"
           |           ^
        "#);
}

#[test]
fn a_host_that_never_answers_is_ssh_error_before_the_attempt_times_out() {
    let env = Env::new();
    let Some(sshd) = Sshd::start(env.path(), "/usr/bin:/bin") else { return };
    // Accepts connections (the kernel does) and never says a word: ssh's banner wait.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    env.write(
        "runbooks/silent.yaml",
        r#"title: silent
vars:
  host: {}
  port: {}
  key: {}
observe:
  - id: uptime
    host: "{{ vars.host }}"
    port: "{{ vars.port }}"
    identity: "{{ vars.key }}"
    command: {run: [uptime]}
    timeout: 4s
"#,
    );
    let mut words = args(&sshd, &["--json", "check", "silent", "--no-record"]);
    words.extend(["--var".to_string(), format!("port={port}")]);
    let started = Instant::now();
    let (code, json) = check_json(&mut sshd.incident(&env), &words);
    assert!(started.elapsed() < Duration::from_secs(15), "took {:?}", started.elapsed());
    assert_eq!(code, Some(3), "{json}");
    assert_eq!(record(&json, "uptime")["reason"], "ssh_error", "{json}");
    drop(silent);
}

#[test]
fn an_action_and_a_step_with_host_run_their_commands_over_ssh_word_for_word() {
    let env = Env::new();
    let Some(sshd) = Sshd::start(env.path(), "/usr/bin:/bin") else { return };
    let marker = env.path().join("remote-marker");
    env.write(
        "runbooks/remote_act.yaml",
        format!(
            r#"title: remote actions
vars:
  host: {{}}
  port: {{}}
  key: {{}}
act:
  - id: touch
    title: Touch a file on the host
    host: "{{{{ vars.host }}}}"
    port: "{{{{ vars.port }}}}"
    identity: "{{{{ vars.key }}}}"
    command: {{run: [touch, "{marker}; echo injected"]}}
  - id: steps
    title: A step on the host
    port: "{{{{ vars.port }}}}"
    identity: "{{{{ vars.key }}}}"
    steps:
      - id: local
        command: {{run: ["true"]}}
      - id: there
        host: "{{{{ vars.host }}}}"
        command: {{run: [touch, "{marker}-step"]}}
"#,
            marker = marker.display()
        ),
    );
    env.open_incident();
    sshd.incident(&env)
        .args(args(&sshd, &["runbook", "act", "touch", "--runbook", "remote_act", "--yes"]))
        .assert()
        .success();
    // One word, as written: the `;` did not reach a shell.
    assert!(env.path().join("remote-marker; echo injected").exists());
    sshd.incident(&env)
        .args(args(&sshd, &["runbook", "act", "steps", "--runbook", "remote_act", "--yes"]))
        .assert()
        .success();
    assert!(env.path().join("remote-marker-step").exists());
    let timeline = env.timeline();
    assert!(timeline.contains("BatchMode=yes"), "the recorded command shows it went through ssh: {timeline}");
}
