//! `incident runbook ...` and `incident check`, run as the real binary against real local targets.
#![allow(clippy::unwrap_used)]

use crate::harness::snapshot::snapshot;
use crate::harness::{Env, Reply, Server, Terminal, text};
use predicates::prelude::*;

#[test]
fn lint_names_file_line_column_and_suggests_the_key_meant() {
    let env = Env::new();
    env.write("typo.yaml", "title: typo\nobserve:\n  - id: health\n    http: {url: \"http://x\"}\n    timout: 5s\n");
    let out = env.run(&["runbook", "lint", "typo.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stdout), @r#"
        typo.yaml:5:5: unknown key `timout`; did you mean `timeout`?
           |
         5 |     timout: 5s
           |     ^
        "#);
}

#[test]
fn lint_reports_every_bad_duration_expression_and_reference_with_its_place() {
    let env = Env::new();
    env.write(
        "bad.yaml",
        r#"title: bad
vars:
  base_url: {default: "http://x"}
observe:
  - id: health
    http: {url: "{{ vars.base_ulr }}/healthz"}
    expect: {latency: "300ms"}
    timeout: 5 s
orient:
  hypotheses:
    - id: down
      title: down
      when: "checks.helth.status == 'critical' and"
      suggest: [rollbak]
act:
  - id: rollback
    title: roll back
    command: {run: [echo, hi]}
    verify: {checks: [healt]}
"#,
    );
    let out = env.cmd().args(["runbook", "lint", "bad.yaml"]).assert().code(1).get_output().stdout.clone();
    let out = String::from_utf8(out).unwrap();
    for expected in [
        "bad.yaml:6:17: unknown variable `vars.base_ulr`; did you mean `vars.base_url`?",
        "bad.yaml:7:23: latency: \"300ms\" needs a comparison",
        "bad.yaml:8:14: timeout:",
        "bad.yaml:13:13: bad expression:",
        "bad.yaml:14:17: unknown action `rollbak`; did you mean `rollback`?",
        "bad.yaml:19:23: unknown check `healt`; did you mean `health`?",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn every_shipped_runbook_but_the_drills_names_the_alerts_it_is_for() {
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let mut without: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(&shipped).expect("runbooks/").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".yaml") || name.starts_with("drill-") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).expect("a runbook");
        if !text.lines().any(|line| line == "match:") {
            without.push(name);
        }
    }
    assert!(without.is_empty(), "without `match:` rules, an alert never picks them: {without:?}");
}

#[test]
fn lint_with_no_paths_checks_every_shipped_runbook_and_they_all_pass() {
    let env = Env::new();
    env.cmd().args(["runbook", "lint"]).assert().success().stderr(predicate::str::contains("21 runbooks OK"));
}

/// What broke: `config-not-reloaded` and `tls-cert-expired` passed a variable to `sh -c`, so
/// the shipped runbooks carried the very pattern the lint warns about.
#[test]
fn the_shipped_runbooks_carry_no_risky_pattern() {
    let env = Env::new();
    let shipped = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks");
    let out = env.run(&["runbook", "lint", shipped.to_str().unwrap_or_default()]);
    let stderr = text(&out.stderr);
    assert!(out.status.success() && !stderr.contains("warning") && !stderr.contains("risky"), "{stderr}");
}

#[test]
fn a_command_variable_chooses_the_program_and_arguments_but_never_becomes_shell_code() {
    let env = Env::new();
    let planted = env.path().join("planted");
    let command = format!("true; touch {} $(touch {})", planted.display(), planted.display());
    let out = env.run(&["check", "config-not-reloaded", "--no-record", "--var", &format!("test_command={command}")]);
    assert!(!planted.exists(), "the value ran as shell code: {}", text(&out.stdout));
    assert!(text(&out.stdout).contains("config_valid"), "{}", text(&out.stdout));
    let out = env.run(&["check", "config-not-reloaded", "--no-record", "--var", "test_command=test -d /"]);
    assert!(regex::Regex::new(r"OK\s+config_valid").unwrap().is_match(&text(&out.stdout)), "split into words");
}

#[test]
fn a_runbook_on_disk_overrides_the_shipped_one_of_the_same_name() {
    let env = Env::new();
    env.write("runbooks/disk-full.yaml", "title: Our own disk runbook\n");
    env.cmd()
        .args(["runbook", "list"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"disk-full\s+Our own disk runbook\s+runbooks/disk-full.yaml").unwrap())
        .stdout(predicate::str::is_match(r"http-5xx\s+HTTP service returns errors or is down\s+shipped").unwrap());
    env.cmd().args(["runbook", "show", "disk-full"]).assert().success().stdout(predicate::str::contains("Our own"));
}

#[test]
fn runbook_new_writes_a_skeleton_that_passes_lint_and_refuses_to_overwrite() {
    let env = Env::new();
    env.cmd().args(["runbook", "new", "checkout"]).assert().success().stdout("runbooks/checkout.yaml\n");
    env.cmd().args(["runbook", "lint", "runbooks/checkout.yaml"]).assert().success();
    env.cmd().args(["runbook", "new", "checkout"]).assert().code(1).stderr(predicate::str::contains("already exists"));
    env.cmd().args(["runbook", "new", "../escape"]).assert().code(2);
}

#[test]
fn show_lists_variables_checks_hypotheses_and_actions() {
    let env = Env::new();
    snapshot!(&env, env.ok(&["runbook", "show", "db-primary-down"]), @r#"
        db-primary-down — Database primary down
        builtin:db-primary-down.yaml

        The primary does not accept connections. Confirm it is down, check that the replica is up, really a standby and not far behind, promote it (guarded: only a server in recovery is promoted), and fence the old primary so it cannot come back as a second writer.

        5 checks, 3 hypotheses, 2 actions, 6 variables

        Variables
          max_lag_seconds (int, default "30") — replication lag that is still acceptable to promote
          port (port, default "5432") — the primary's port
          primary_host (required) — primary database host
          replica_host (required) — replica database host
          replica_port (port, default "5432")
          user (default "postgres") — a role that may connect (password from ~/.pgpass or PGPASSWORD)

        Observe
          primary_port         tcp        primary accepts TCP connections
          primary_ready        command    primary answers pg_isready
          replica_ready        command    replica answers pg_isready
          replica_is_standby   command    the replica is a standby (pg_is_in_recovery() is t), so promoting it is a failover
          replica_lag          command    replica replay lag in seconds (0 when it has replayed all it received)

        Orient
          ? Is the primary host itself up (ssh, console), or only the database?
          ? Are writes failing for users right now, and since when?
          primary_lost         The primary is down and the replica, a standby, can take over  [when checks.primary_ready.status != 'ok' and checks.replica_ready.status == 'ok' and checks.replica_is_standby.status == 'ok']
          replica_lagging      The replica is behind; promoting it now would lose the writes it has not replayed  [when checks.replica_lag.status != 'ok']
          both_down            Primary and replica are both unreachable (network or shared dependency)  [when checks.primary_ready.status != 'ok' and checks.replica_ready.status != 'ok']

        Act
          promote_replica      high   Promote the replica to primary
              risk:      high
              guards:    replica_is_standby (each must be ok)
              preview:   psql -X -w -A -t -d host={{ vars.replica_host }} port={{ vars.replica_port }} user={{ vars.user }} dbname=postgres connect_timeout=3 -c select inet_server_addr(), inet_server_port(), pg_is_in_recovery() (as written: a variable has no value)
              runs:      psql -X -w -A -t -d host={{ vars.replica_host }} port={{ vars.replica_port }} user={{ vars.user }} dbname=postgres connect_timeout=3 -c select pg_promote(true, 60) (as written: a variable has no value)
              verify:    replica_ready
          fence_old_primary    high   Stop the old primary so it cannot accept writes
              risk:      high
              on:        {{ vars.primary_host }}
              runs:      sudo systemctl stop postgresql (as written: a variable has no value)
        "#);
}

#[test]
fn check_of_a_healthy_service_exits_0_and_records_each_result() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    env.open_incident();
    env.cmd()
        .args(["check", "http-5xx", "--only", "port", "--only", "health"])
        .args(["--var", &format!("base_url={}", server.url())])
        .assert()
        .code(0)
        .stdout(predicate::str::is_match(r"OK\s+health\s+http\s+status 200").unwrap());
    let timeline = env.timeline();
    assert_eq!(timeline.matches(r#""kind":"check.result""#).count(), 2, "{timeline}");
    assert!(timeline.contains(r#""check":"health""#) && timeline.contains(r#""runbook":"http-5xx""#));
}

#[test]
fn check_of_a_service_answering_503_is_critical_shows_seen_beside_wanted_and_suggests_a_hypothesis() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(503, "down"));
    env.cmd()
        .args(["check", "http-5xx", "--only", "port", "--only", "health", "--no-record"])
        .args(["--var", &format!("base_url={}", server.url())])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("status (503) == 2xx"))
        .stdout(predicate::str::contains("app_errors"));
}

#[test]
fn a_pass_that_needed_a_retry_is_a_warning_not_ok() {
    let env = Env::new();
    let server = Server::start(|_, n| if n == 0 { Reply::new(500, "boom") } else { Reply::new(200, "ok") });
    env.cmd()
        .args(["check", "http-5xx", "--only", "health", "--no-record", "--json"])
        .args(["--var", &format!("base_url={}", server.url())])
        .assert()
        .code(1)
        .stdout(predicate::str::contains(r#""reason": "flaky""#));
}

#[test]
fn a_required_variable_without_a_value_is_a_usage_error_naming_the_flag() {
    let env = Env::new();
    let missing = env.run(&["check", "db-primary-down", "--no-record"]);
    assert_eq!(missing.status.code(), Some(2));
    snapshot!(&env, text(&missing.stderr), @r#"
        error (usage): runbook db-primary-down needs a value for: --var primary_host=..., --var replica_host=...
        hint: give each with --var NAME=VALUE
        "#);
    let misspelt = env.run(&["check", "http-5xx", "--no-record", "--var", "base_ur=http://x"]);
    assert_eq!(misspelt.status.code(), Some(2));
    snapshot!(&env, text(&misspelt.stderr), @r#"
        error (usage): --var base_ur: runbook http-5xx has no such variable
        hint: did you mean --var base_url=...?
        "#);
}

#[test]
fn secret_variables_are_masked_in_the_record_and_the_output() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(404, "no"));
    env.write(
        "runbooks/secret.yaml",
        r#"title: secret
vars:
  base_url: {}
  token: {secret: true, from_env: MY_SECRET_VALUE}
observe:
  - id: api
    http: {url: "{{ vars.base_url }}/{{ vars.token }}/status"}
"#,
    );
    env.open_incident();
    env.cmd()
        .args(["check", "secret", "--json", "--var", &format!("base_url={}", server.url())])
        .env("MY_SECRET_VALUE", "hunter2-s3cret")
        .assert()
        .code(2)
        .stdout(predicate::str::contains("hunter2-s3cret").not())
        .stdout(predicate::str::contains("****"));
    let timeline = env.timeline();
    assert!(timeline.contains("check.result") && !timeline.contains("hunter2-s3cret"), "{timeline}");
}

#[test]
fn disk_full_runbook_reads_real_df_output() {
    let env = Env::new();
    let dir = env.path().display().to_string();
    env.cmd()
        .args(["check", "disk-full", "--only", "space", "--no-record", "--var", &format!("path={dir}")])
        .args(["--var", "critical_percent=101"])
        .assert()
        .code(0);
    env.cmd()
        .args(["check", "disk-full", "--only", "space", "--no-record", "--var", &format!("path={dir}")])
        .args(["--var", "critical_percent=0", "--json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(r#""hypotheses": ["#))
        .stdout(predicate::str::contains(r#""id": "disk_full""#));
}

#[test]
fn config_not_reloaded_runbook_sees_a_config_newer_than_the_process() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "old config"));
    let pid = env.write("app.pid", "1\n");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options().write(true).open(&pid).unwrap().set_modified(old).unwrap();
    let config = env.write("app.conf", "new = true\n");
    let vars = [
        format!("config_file={}", config.display()),
        format!("pid_file={}", pid.display()),
        format!("url={}/", server.url()),
        "expected_text=new config".to_string(),
        "test_command=true".to_string(),
    ];
    let mut cmd = env.cmd();
    cmd.args(["check", "config-not-reloaded", "--no-record"]);
    for v in &vars {
        cmd.args(["--var", v]);
    }
    cmd.assert()
        .code(2)
        .stdout(predicate::str::is_match(r"CRITICAL\s+config_newer").unwrap())
        .stdout(predicate::str::is_match(r"CRITICAL\s+serves_new").unwrap())
        .stdout(predicate::str::is_match(r"OK\s+config_valid").unwrap())
        .stdout(predicate::str::contains("not_reloaded"));
}

#[test]
fn tls_runbook_inspects_a_self_signed_certificate_and_flags_it_untrusted() {
    let env = Env::new();
    let port = crate::harness::net::tls_server(90);
    env.cmd()
        .args(["check", "tls-cert-expired", "--no-record", "--var", "host=localhost"])
        .args(["--var", &format!("port={port}")])
        .assert()
        .code(2)
        .stdout(predicate::str::is_match(r"OK\s+served_cert\s").unwrap())
        .stdout(predicate::str::is_match(r"OK\s+served_cert_soon").unwrap())
        .stdout(predicate::str::is_match(r"CRITICAL\s+trusted").unwrap())
        .stdout(predicate::str::contains("untrusted"));
}

#[test]
fn an_expired_certificate_is_critical_with_reason_cert_expired() {
    let env = Env::new();
    let port = crate::harness::net::tls_server(-2);
    env.cmd()
        .args(["check", "tls-cert-expired", "--only", "served_cert", "--no-record", "--json"])
        .args(["--var", "host=localhost", "--var", &format!("port={port}")])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(r#""reason": "cert_expired""#))
        .stdout(predicate::str::contains(r#""id": "expired""#));
}

#[test]
fn shell_commands_quote_substituted_variables_so_they_cannot_inject() {
    let env = Env::new();
    env.write(
        "runbooks/quote.yaml",
        r#"title: quoting
vars:
  x: {}
observe:
  - id: echo
    command: {shell: "echo {{ vars.x }}"}
    expect: {stdout_contains: "$(touch pwned)"}
"#,
    );
    env.cmd().args(["check", "quote", "--no-record", "--var", "x=$(touch pwned); touch pwned2"]).assert().code(0);
    assert!(!env.path().join("pwned").exists() && !env.path().join("pwned2").exists());
}

#[test]
fn a_command_check_that_times_out_is_killed_with_its_whole_group() {
    let env = Env::new();
    env.write(
        "runbooks/slow.yaml",
        r#"title: slow
observe:
  - id: slow
    command: {shell: "(sleep 30; touch survived) & sleep 30"}
    timeout: 500ms
"#,
    );
    env.cmd()
        .args(["check", "slow", "--no-record", "--json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(r#""reason": "timeout""#));
    // The background child was in the group: it must be gone, not left to finish later.
    let out = std::process::Command::new("pgrep").args(["-f", "sleep 30; touch survived"]).output();
    if let Ok(out) = out {
        assert!(out.stdout.is_empty(), "a child survived: {}", String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn checks_unfinished_at_the_run_deadline_are_unknown() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "late").after(std::time::Duration::from_secs(5)));
    env.cmd()
        .args(["check", "http-5xx", "--only", "health", "--no-record", "--deadline", "500ms", "--json"])
        .args(["--var", &format!("base_url={}", server.url())])
        .assert()
        .code(3)
        .stdout(predicate::str::contains(r#""reason": "deadline""#));
}

#[test]
fn a_variable_without_a_value_makes_only_its_check_unknown_and_says_how_to_set_it() {
    let env = Env::new();
    env.cmd().args(["check", "http-5xx", "--only", "error_ratio", "--no-record"]).assert().code(3).stdout(
        predicate::str::contains("variable prom_url has no value (give it with --var prom_url=... or set PROM_URL)"),
    );
}

/// A runbook whose action touches files, so a test can see what ran.
fn action_runbook(env: &Env, server: &Server, verify_path: &str) {
    env.write(
        "runbooks/fix.yaml",
        format!(
            r#"title: fix things
vars:
  base_url: {{default: "{}"}}
observe:
  - id: health
    http: {{url: "{{{{ vars.base_url }}}}{verify_path}"}}
act:
  - id: restart
    title: Restart it
    risk: high
    preview: {{run: [touch, previewed]}}
    command: {{run: [touch, acted]}}
    rollback: {{run: [touch, rolled-back]}}
    verify: {{checks: [health], within: 1s, interval: 200ms}}
"#,
            server.url()
        ),
    );
}

#[test]
fn act_dry_run_runs_only_the_preview_and_records_it() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    action_runbook(&env, &server, "/ok");
    env.open_incident();
    env.cmd().args(["runbook", "act", "restart", "--runbook", "fix", "--dry-run"]).assert().success();
    assert!(env.path().join("previewed").exists());
    assert!(!env.path().join("acted").exists());
    let timeline = env.timeline();
    assert!(timeline.contains(r#""step":"preview""#) && timeline.contains(r#""step":"dry_run""#), "{timeline}");
}

#[test]
fn act_off_a_terminal_without_yes_refuses_naming_the_flag_and_runs_nothing() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    action_runbook(&env, &server, "/ok");
    env.open_incident();
    env.cmd()
        .args(["runbook", "act", "restart", "--runbook", "fix"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--yes"));
    assert!(!env.path().join("acted").exists());
}

#[test]
fn act_with_yes_runs_verifies_and_records_every_step() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    action_runbook(&env, &server, "/ok");
    env.open_incident();
    env.cmd().args(["runbook", "act", "restart", "--runbook", "fix", "--yes"]).assert().success();
    assert!(env.path().join("acted").exists() && !env.path().join("rolled-back").exists());
    let timeline = env.timeline();
    for step in ["preview", "confirmed", "run", "verify"] {
        assert!(timeline.contains(&format!(r#""step":"{step}","ok":true"#)), "{step} missing:\n{timeline}");
    }
    assert!(timeline.contains(r#""kind":"check.result""#));
}

#[test]
fn act_rolls_back_when_verification_fails() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(503, "still down"));
    action_runbook(&env, &server, "/down");
    env.open_incident();
    env.cmd()
        .args(["runbook", "act", "restart", "--runbook", "fix", "--yes"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("did not verify; rollback done"));
    assert!(env.path().join("acted").exists() && env.path().join("rolled-back").exists());
    let timeline = env.timeline();
    assert!(timeline.contains(r#""step":"verify","ok":false"#), "{timeline}");
    assert!(timeline.contains(r#""step":"rollback","ok":true"#), "{timeline}");
}

#[test]
fn act_outside_an_incident_is_refused_except_as_a_dry_run() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    action_runbook(&env, &server, "/ok");
    env.cmd()
        .args(["runbook", "act", "restart", "--runbook", "fix", "--yes"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no current incident"));
    env.cmd().args(["runbook", "act", "restart", "--runbook", "fix", "--dry-run"]).assert().success();
    assert!(!env.path().join("acted").exists());
}

#[test]
fn act_masks_secret_variables_in_what_it_shows_and_records() {
    let env = Env::new();
    env.write(
        "runbooks/leak.yaml",
        r#"title: leak
vars:
  password: {secret: true, from_env: LEAK_PASSWORD}
act:
  - id: echo
    title: Echo the password
    command: {run: [echo, "pw={{ vars.password }}"]}
"#,
    );
    env.open_incident();
    env.cmd()
        .args(["runbook", "act", "echo", "--runbook", "leak", "--yes"])
        .env("LEAK_PASSWORD", "correct-horse-battery")
        .assert()
        .success()
        .stdout(predicate::str::contains("pw=****"))
        .stdout(predicate::str::contains("correct-horse-battery").not())
        .stderr(predicate::str::contains("correct-horse-battery").not());
    assert!(!env.timeline().contains("correct-horse-battery"));
}

#[test]
fn incident_toml_names_a_folder_of_runbooks() {
    let env = Env::new();
    env.write("incident.toml", "runbooks = \"ops/runbooks\"\n");
    env.write("ops/runbooks/ours.yaml", "title: Our runbook\n");
    std::fs::create_dir_all(env.path().join("sub")).unwrap();
    env.cmd()
        .current_dir(env.path().join("sub"))
        .args(["runbook", "list"])
        .assert()
        .success()
        .stdout(predicate::str::is_match(r"ours\s+Our runbook").unwrap());
}

/// Runs `incident runbook act restart --runbook fix` on a real pseudo-terminal and types
/// `answer` at its confirmation prompt; returns the screen.
fn act_on_terminal(env: &Env, answer: &str) -> String {
    let mut cmd = env.std_cmd();
    cmd.args(["runbook", "act", "restart", "--runbook", "fix"]);
    let mut terminal = Terminal::spawn(cmd);
    terminal.answer("Type its id (restart)", answer);
    terminal.finish();
    terminal.screen
}

#[test]
fn a_high_risk_action_runs_only_when_its_id_is_typed_on_the_terminal() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    action_runbook(&env, &server, "/ok");
    env.open_incident();
    act_on_terminal(&env, "y");
    assert!(!env.path().join("acted").exists(), "a plain y must not confirm a high-risk action");
    assert!(env.timeline().contains(r#""step":"declined""#));
    act_on_terminal(&env, "restart");
    assert!(env.path().join("acted").exists());
}

#[test]
fn interrupting_a_check_ends_the_commands_it_started() {
    let env = Env::new();
    env.write(
        "runbooks/hang.yaml",
        "title: hang\nobserve:\n  - id: hang\n    command: {shell: \"sleep 31; echo hang-marker\"}\n    timeout: 1m\n",
    );
    let mut child = env
        .std_cmd()
        .args(["check", "hang", "--no-record"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let running = || {
        std::process::Command::new("pgrep")
            .args(["-f", "sleep 31; echo hang-marker"])
            .output()
            .map(|o| !o.stdout.is_empty())
    };
    // Wait (bounded) for the command to start.
    for _ in 0..100 {
        if running().unwrap_or(true) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    if running().is_err() {
        eprintln!("SKIPPED: no pgrep");
        let _ = child.kill();
        let _ = child.wait();
        return;
    }
    assert!(running().unwrap(), "the command never started");
    // SAFETY: sending SIGINT to a child we spawned.
    unsafe {
        libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGINT);
    }
    let _ = child.wait();
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!running().unwrap(), "the check's command outlived the interrupted check");
}

#[test]
fn check_without_a_runbook_uses_the_one_the_incident_was_opened_with() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    env.cmd().args(["open", "Checkout down", "-s", "sev2", "--runbook", "http-5xx", "--no-walk"]).assert().success();
    env.cmd().args(["check", "--only", "health", "--var", &format!("base_url={}", server.url())]).assert().code(0);
    assert!(env.timeline().contains(r#""runbook":"http-5xx""#));
}

#[test]
fn a_misspelt_runbook_name_gets_a_suggestion_and_a_broken_one_its_problems() {
    let env = Env::new();
    let misspelt = env.run(&["check", "http-5x", "--no-record"]);
    assert_eq!(misspelt.status.code(), Some(1));
    snapshot!(&env, text(&misspelt.stderr), @r#"
        error: no runbook named "http-5x"
        hint: did you mean http-5xx? (`incident runbook list` shows them all)
        "#);
    env.write("runbooks/broken.yaml", "title: broken\nobserve:\n  - id: a\n    tcp: {host: h, port: 0}\n");
    let broken = env.run(&["check", "broken", "--no-record"]);
    assert_eq!(broken.status.code(), Some(1));
    snapshot!(&env, text(&broken.stderr), @r#"
        error: runbooks/broken.yaml:4:26: port "0": use a number from 1 to 65535
           |
         4 |     tcp: {host: h, port: 0}
           |                          ^
        hint: `incident runbook lint PATH` checks a runbook without running it
        "#);
    snapshot!(&env, env.ok(&["runbook", "list"]), @r#"
         NAME                        TITLE                                        SOURCE
        ─────────────────────────── ──────────────────────────────────────────── ─[…]
         bad-deploy                  Bad deploy                                   shipped
         broken                      does not load: run `incident runbook lint`   runbooks/broken.yaml
         config-not-reloaded         Configuration changed but not picked up      shipped
         db-primary-down             Database primary down                        shipped
         disk-full                   Disk full                                    shipped
         drill-bad-deploy            Drill: checkout fails after a deploy         shipped
         drill-config-not-reloaded   Drill: checkout cannot reach its database    shipped
         drill-retry-storm           Drill: retries storm a slow dependency       shipped
         etcd-no-leader              etcd has no leader                           shipped
         expired-credentials         Expired or missing credentials               shipped
         http-5xx                    HTTP service returns errors or is down       shipped
         kube-deployment-replicas    Kubernetes deployment short of replicas      shipped
         kube-node-not-ready         Kubernetes node not ready                    shipped
         kube-pod-crashlooping       Kubernetes pod crash-looping                 shipped
         kube-pv-filling             Kubernetes persistent volume filling up      shipped
         oom                         Memory exhaustion and OOM kills              shipped
         postgres-replication        PostgreSQL replica lagging or primary down   shipped
         proxy-upstream-errors       Reverse proxy answers 502 or 504             shipped
         redis-memory                Redis out of memory or evicting keys         shipped
         restore-from-backup         Restore from backup                          shipped
         retry-storm                 Dependency timeouts and retry storms         shipped
         tls-cert-expired            TLS certificate expired or about to          shipped
        "#);
}

/// Log lines stamped `minutes_ago` before the real now (logs live in real time, whatever
/// `INCIDENT_NOW` says).
fn log_lines(minutes_ago: i64, count: usize, message: &str) -> String {
    let at = chrono::Utc::now() - chrono::Duration::minutes(minutes_ago);
    (0..count)
        .map(|n| {
            format!(
                "{} {message} {n}\n",
                (at + chrono::Duration::milliseconds(n as i64)).format("%Y-%m-%dT%H:%M:%S%.3fZ")
            )
        })
        .collect()
}

#[test]
fn a_log_check_counts_matches_in_its_window_and_thresholds_grade_them() {
    let env = Env::new();
    // Old errors (outside 15 minutes), then recent ones with a stack trace under one of them.
    let mut log = log_lines(120, 200, "ERROR checkout: old failure");
    log.push_str(&log_lines(5, 3, "ERROR checkout: payment failed"));
    log.push_str("java.lang.NullPointerException\n\tat Checkout.pay(Checkout.java:41)\n");
    log.push_str(&log_lines(4, 10, "INFO checkout: ok"));
    let path = env.write("app.log", &log);
    let check = |extra: &[&str]| {
        let mut args = vec!["--json", "check", "bad-deploy", "--no-record", "--only", "recent_errors"];
        args.extend(["--var", "deployment=checkout"]);
        let var = format!("log_path={}", path.display());
        args.extend(["--var", &var]);
        args.extend(extra);
        let out = env.cmd().args(&args).output().unwrap();
        (out.status.code(), serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap_or_default())
    };
    let (code, json) = check(&[]);
    let record = &json["checks"][0];
    assert_eq!(code, Some(1), "3 recent errors are a warning: {json}");
    assert_eq!(record["status"], "warning");
    assert_eq!(record["observed"]["matches"], 3, "old errors are outside the window: {record}");
    assert!(record["observed"]["first"].as_str().is_some());

    // Past the critical threshold.
    std::fs::write(&path, log_lines(2, 60, "ERROR checkout: payment failed")).unwrap();
    let (code, json) = check(&[]);
    assert_eq!(code, Some(2), "{json}");
    assert_eq!(json["checks"][0]["observed"]["matches"], 60);

    // No such file: the check could not tell.
    let missing = format!("log_path={}", env.path().join("nope/*.log").display());
    let out = env
        .cmd()
        .args([
            "--json",
            "check",
            "bad-deploy",
            "--no-record",
            "--only",
            "recent_errors",
            "--var",
            "deployment=x",
            "--var",
            &missing,
        ])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(json["checks"][0]["status"], "unknown", "{json}");
    assert_eq!(json["checks"][0]["reason"], "no_files");
}

#[test]
fn runbook_show_prints_the_runbooks_links() {
    let env = Env::new();
    let path = env.write(
        "links.yaml",
        "title: With links\nlinks: {dashboard: \"https://grafana.example/d/checkout\"}\nobserve:\n  - id: t\n    tcp: {host: 127.0.0.1, port: 1}\n",
    );
    let out = env.ok(&["runbook", "show", path.to_str().unwrap()]);
    assert!(out.contains("dashboard: https://grafana.example/d/checkout"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["runbook", "show", path.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(json["links"]["dashboard"], "https://grafana.example/d/checkout");
}
