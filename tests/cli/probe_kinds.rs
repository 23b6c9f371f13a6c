//! Probe kinds as a type, seen from outside: the lint holds `checks.ID.observed.FIELD` to what
//! that check's probe observes, and an ad-hoc probe keeps its subcommand's name and its kind.

use std::path::Path;
use std::process::{Command, Output};

/// The real binary in `dir`, with a cleared environment and pinned time and author.
fn incident(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_incident"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("INCIDENT_STORE", dir.join("store"))
        .env("INCIDENT_NOW", "2026-11-22T14:05:00Z")
        .env("INCIDENT_AUTHOR", "ana")
        .env("NO_COLOR", "1")
        .env("TZ", "UTC")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

const RUNBOOK: &str = "\
title: Checkout down
observe:
  - id: web
    http: {url: 'http://127.0.0.1:9/healthz'}
  - id: disk
    command: {run: [df, /]}
orient:
  hypotheses:
    - id: overload
      title: The web tier is overloaded
      when: \"checks.web.observed.stauts == 503\"
    - id: full
      title: The disk is full
      when: \"checks.disk.observed.exit_code != 0 and checks.disk.observed.latency_ms > 5\"
";

#[test]
fn a_when_reading_a_field_the_probe_never_observes_is_a_located_lint_error() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::write(dir.path().join("checkout.yaml"), RUNBOOK).expect("written");
    let out = incident(dir.path(), &["runbook", "lint", "checkout.yaml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("checkout.yaml:11:13: unknown field `checks.web.observed.stauts`; did you mean `status`?"),
        "{stdout}"
    );
    assert!(
        stdout.contains("checkout.yaml:14:13: unknown field `checks.disk.observed.latency_ms` (command checks observe: exit_code, signal,"),
        "{stdout}"
    );
    assert_eq!(stdout.matches("unknown field").count(), 2, "{stdout}");
}

#[test]
fn a_when_reading_only_observed_fields_lints_clean() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let fixed = RUNBOOK.replace("stauts", "status").replace(" and checks.disk.observed.latency_ms > 5", "");
    std::fs::write(dir.path().join("checkout.yaml"), fixed).expect("written");
    let out = incident(dir.path(), &["runbook", "lint", "checkout.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn an_ad_hoc_command_probe_is_named_cmd_and_recorded_as_a_command_probe() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let out = incident(dir.path(), &["--json", "probe", "cmd", "--no-record", "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let record: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON record");
    assert_eq!((record["check"].as_str(), record["probe"].as_str()), (Some("cmd"), Some("command")), "{record}");
}
