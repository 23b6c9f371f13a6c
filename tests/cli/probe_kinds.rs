//! Probe kinds as a type, seen from outside: the lint holds `checks.ID.observed.FIELD` to what
//! that check's probe observes, and an ad-hoc probe keeps its subcommand's name and its kind.

use crate::harness::snapshot::snapshot;
use crate::harness::{Env, text};

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
    let env = Env::new();
    env.write("checkout.yaml", RUNBOOK);
    let out = env.run(&["runbook", "lint", "checkout.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stdout), @r#"
        checkout.yaml:11:13: unknown field `checks.web.observed.stauts`; did you mean `status`?
            |
         11 |       when: "checks.web.observed.stauts == 503"
            |             ^
        checkout.yaml:14:13: unknown field `checks.disk.observed.latency_ms` (command checks observe: exit_code, signal, timed_out, stdout, stderr, duration_ms, host)
            |
         14 |       when: "checks.disk.observed.exit_code != 0 and checks.disk.observed.latency_ms > 5"
            |             ^
        "#);
}

#[test]
fn a_when_reading_only_observed_fields_lints_clean() {
    let env = Env::new();
    let fixed = RUNBOOK.replace("stauts", "status").replace(" and checks.disk.observed.latency_ms > 5", "");
    env.write("checkout.yaml", fixed);
    env.ok(&["runbook", "lint", "checkout.yaml"]);
}

#[test]
fn an_ad_hoc_command_probe_is_named_cmd_and_recorded_as_a_command_probe() {
    let env = Env::new();
    let record: serde_json::Value =
        serde_json::from_str(&env.ok(&["--json", "probe", "cmd", "--no-record", "--", "true"])).expect("a record");
    assert_eq!((record["check"].as_str(), record["probe"].as_str()), (Some("cmd"), Some("command")), "{record}");
}
