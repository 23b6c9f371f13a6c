//! Runbook actions as procedures: ordered `steps:` (commands, manual instructions, waits),
//! `if:` on steps and checks, `guard:` checks, and `runbook act --resume`, run as the real
//! binary with real commands and a real pseudo-terminal.
#![allow(clippy::unwrap_used)]

use crate::harness::{Env, Reply, Server, Terminal};
use predicates::prelude::*;

/// A procedure whose steps leave traces in `log` (one line per run), so a test can see what ran
/// and how often; step `check` passes only once the file `ready` exists.
const PROCEDURE: &str = r#"title: rebuild a standby
vars:
  env: {type: enum, values: [staging, production], default: staging}
act:
  - id: rebuild
    title: Rebuild the standby
    steps:
      - id: stop
        command: {shell: "echo stop >> log"}
      - id: check
        title: the base backup is ready
        command: {run: [test, -e, ready]}
      - id: settle
        wait: 200ms
      - id: announce
        if: "vars.env == 'production'"
        command: {shell: "echo announce >> log"}
      - id: start
        command: {shell: "echo start >> log"}
"#;

fn step_events(env: &Env) -> Vec<(String, bool)> {
    env.events()
        .iter()
        .filter(|e| e["kind"] == "runbook.step")
        .map(|e| (e["step"].as_str().unwrap().to_string(), e["ok"].as_bool().unwrap()))
        .collect()
}

#[test]
fn a_procedure_runs_its_steps_in_order_skipping_those_whose_if_is_false_and_records_each() {
    let env = Env::new();
    env.write("runbooks/standby.yaml", PROCEDURE);
    env.write("ready", "");
    env.open_incident();
    env.cmd().args(["runbook", "act", "rebuild", "--runbook", "standby", "--yes"]).assert().success();
    assert_eq!(std::fs::read_to_string(env.path().join("log")).unwrap(), "stop\nstart\n");
    let steps = step_events(&env);
    let names: Vec<&str> = steps.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(names, ["confirmed", "step:stop", "step:check", "step:settle", "step:announce", "step:start"]);
    assert!(steps.iter().all(|(_, ok)| *ok), "{steps:?}");
    let timeline = env.timeline();
    assert!(timeline.contains(r#"skipped: if \"vars.env == 'production'\" is false"#), "{timeline}");
    assert!(timeline.contains("waited 200ms"), "{timeline}");
}

#[test]
fn a_failed_step_stops_the_procedure_and_resume_continues_from_that_step_not_the_first() {
    let env = Env::new();
    env.write("runbooks/standby.yaml", PROCEDURE);
    env.open_incident();
    env.cmd()
        .args(["runbook", "act", "rebuild", "--runbook", "standby", "--yes", "--var", "env=production"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("action rebuild stopped at step check (the base backup is ready): exit 1"))
        .stderr(predicate::str::contains(
            "incident runbook act rebuild --runbook standby --resume --yes --var env=production",
        ));
    assert_eq!(std::fs::read_to_string(env.path().join("log")).unwrap(), "stop\n");

    env.write("ready", "");
    env.cmd()
        .args(["runbook", "act", "rebuild", "--runbook", "standby", "--resume", "--yes", "--var", "env=production"])
        .assert()
        .success()
        .stderr(predicate::str::contains("resuming at step 2/5: check"));
    // `stop` ran once: the resume began at the failed step.
    assert_eq!(std::fs::read_to_string(env.path().join("log")).unwrap(), "stop\nannounce\nstart\n");
    let steps = step_events(&env);
    assert!(steps.contains(&("step:check".into(), false)) && steps.contains(&("resumed".into(), true)), "{steps:?}");

    env.cmd()
        .args(["runbook", "act", "rebuild", "--runbook", "standby", "--resume", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("every step of action rebuild is done"));
}

#[test]
fn resume_refuses_an_action_never_started_on_the_incident() {
    let env = Env::new();
    env.write("runbooks/standby.yaml", PROCEDURE);
    env.open_incident();
    env.cmd()
        .args(["runbook", "act", "rebuild", "--runbook", "standby", "--resume", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("never started on this incident"));
    assert!(!env.path().join("log").exists());
}

const MANUAL: &str = r#"title: certificate
vars:
  domain: {default: shop.example}
act:
  - id: renew
    title: Renew the certificate
    steps:
      - id: buy
        manual: "Buy a certificate for {{ vars.domain }} from the CA"
        record: "Order number?"
      - id: install
        command: {shell: "echo installed >> log"}
"#;

#[test]
fn a_manual_step_off_a_terminal_stops_saying_how_to_continue_and_an_answer_resumes_it() {
    let env = Env::new();
    env.write("runbooks/cert.yaml", MANUAL);
    env.open_incident();
    env.cmd()
        .args(["runbook", "act", "renew", "--runbook", "cert", "--yes"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("step buy of action renew is manual, and standard input is not a terminal"))
        .stderr(predicate::str::contains("Buy a certificate for shop.example from the CA"))
        .stderr(predicate::str::contains("--resume --yes --answer"));
    assert!(!env.path().join("log").exists(), "the procedure went past a manual step nobody did");

    env.cmd()
        .args(["runbook", "act", "renew", "--runbook", "cert", "--resume", "--yes", "--answer", "PO-4411"])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(env.path().join("log")).unwrap(), "installed\n");
    let timeline = env.timeline();
    assert!(timeline.contains(r#""step":"step:buy","ok":true,"detail":"Order number? PO-4411""#), "{timeline}");
}

#[test]
fn a_manual_step_on_a_terminal_shows_the_instruction_and_records_the_answer() {
    let env = Env::new();
    env.write("runbooks/cert.yaml", MANUAL);
    env.open_incident();
    let mut cmd = env.std_cmd();
    cmd.args(["runbook", "act", "renew", "--runbook", "cert", "--yes"]);
    let mut terminal = Terminal::spawn(cmd);
    terminal.expect("Buy a certificate for shop.example");
    terminal.answer("Order number?", "PO-77");
    assert_eq!(terminal.finish(), Some(0), "{}", terminal.screen);
    assert!(env.timeline().contains("Order number? PO-77"));
    assert_eq!(std::fs::read_to_string(env.path().join("log")).unwrap(), "installed\n");
}

fn guarded(env: &Env, server: &Server) {
    env.write(
        "runbooks/db.yaml",
        format!(
            r#"title: database
observe:
  - id: is_replica
    http: {{url: "{}/role"}}
    expect: {{body_contains: replica}}
act:
  - id: wipe
    title: Wipe the data directory and re-sync
    risk: high
    guard: [is_replica]
    command: {{shell: "echo wiped >> log"}}
"#,
            server.url()
        ),
    );
}

#[test]
fn a_failing_guard_refuses_the_action_with_the_reason_and_runs_nothing() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "primary"));
    guarded(&env, &server);
    env.open_incident();
    env.cmd()
        .args(["runbook", "act", "wipe", "--runbook", "db", "--dry-run"])
        .assert()
        .success()
        .stderr(predicate::str::contains("guards:    is_replica"))
        .stderr(predicate::str::contains("the action would be refused: guard is_replica is critical"));
    env.cmd()
        .args(["runbook", "act", "wipe", "--runbook", "db", "--yes"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("action wipe refused: guard is_replica is critical"));
    assert!(!env.path().join("log").exists(), "the action ran on the primary");
    assert!(env.timeline().contains(r#""step":"guard","ok":false"#));
}

#[test]
fn a_passing_guard_lets_the_action_run() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "replica"));
    guarded(&env, &server);
    env.open_incident();
    env.cmd().args(["runbook", "act", "wipe", "--runbook", "db", "--yes"]).assert().success();
    assert_eq!(std::fs::read_to_string(env.path().join("log")).unwrap(), "wiped\n");
}

#[test]
fn a_check_whose_if_is_false_is_not_run_and_one_whose_if_fails_is_unknown() {
    let env = Env::new();
    env.write(
        "runbooks/opt.yaml",
        r#"title: optional checks
vars:
  kube: {default: "no"}
observe:
  - id: always
    command: {run: ["true"]}
  - id: cluster
    if: "vars.kube == 'yes'"
    command: {shell: "echo ran >> log"}
  - id: broken
    if: "vars.kube | int + 'x'"
    command: {run: ["true"]}
"#,
    );
    let out = env.run(&["check", "opt", "--no-record", "--json"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!env.path().join("log").exists(), "a check whose if: is false ran");
    assert!(!stdout.contains(r#""check": "cluster""#), "{stdout}");
    assert!(stdout.contains(r#""reason": "condition""#) && stdout.contains("could not be evaluated"), "{stdout}");
    env.cmd().args(["check", "opt", "--no-record", "--var", "kube=yes", "--only", "cluster"]).assert().success();
    assert!(env.path().join("log").exists());
}

#[test]
fn an_action_declares_variables_of_its_own_that_the_rest_of_the_runbook_cannot_read() {
    let env = Env::new();
    env.write(
        "runbooks/scale.yaml",
        r#"title: scale
act:
  - id: scale
    title: Scale the deployment
    vars:
      replicas: {type: int, default: 3}
    command: {shell: "echo {{ vars.replicas }} >> log"}
"#,
    );
    env.open_incident();
    env.cmd()
        .args(["runbook", "act", "scale", "--runbook", "scale", "--yes", "--var", "replicas=5"])
        .assert()
        .success();
    assert_eq!(std::fs::read_to_string(env.path().join("log")).unwrap(), "5\n");
    env.cmd()
        .args(["runbook", "act", "scale", "--runbook", "scale", "--yes", "--var", "replicas=many"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("replicas"));
    env.write(
        "leak.yaml",
        "title: t\nobserve:\n  - id: a\n    command: {run: [echo, \"{{ vars.replicas }}\"]}\nact:\n  - id: s\n    title: t\n    vars: {replicas: {default: 1}}\n    command: {run: [echo]}\n",
    );
    env.cmd()
        .args(["runbook", "lint", "leak.yaml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("leak.yaml:4:27: unknown variable `vars.replicas`"));
}

#[test]
fn runbook_show_prints_every_command_an_action_will_run_with_the_incidents_values() {
    let env = Env::new();
    env.write(
        "runbooks/show.yaml",
        r#"title: show
vars:
  unit: {default: web}
observe:
  - id: up
    command: {run: ["true"]}
act:
  - id: restart
    title: Restart it
    risk: medium
    guard: [up]
    preview: {run: [systemctl, status, "{{ vars.unit }}"]}
    steps:
      - id: stop
        command: {run: [systemctl, stop, "{{ vars.unit }}"]}
      - id: ask
        manual: "Confirm {{ vars.unit }} is drained"
        record: "Who confirmed?"
    verify: {checks: [up]}
    rollback: {run: [systemctl, start, "{{ vars.unit }}"]}
"#,
    );
    env.cmd().args(["open", "api down", "-s", "sev2", "--runbook", "show", "--var", "unit=api"]).assert().success();
    let shown = env.ok(&["runbook", "show", "show"]);
    for line in [
        "risk:      medium",
        "guards:    up (each must be ok)",
        "preview:   systemctl status api",
        "step 1:    stop: run systemctl stop api",
        "step 2:    ask: by hand: Confirm api is drained (records: Who confirmed?)",
        "verify:    up",
        "rollback:  systemctl start api",
    ] {
        assert!(shown.contains(line), "{line:?} missing from:\n{shown}");
    }
}
