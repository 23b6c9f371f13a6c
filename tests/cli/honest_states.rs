//! Honest states: results that mean "cannot tell" read as `unknown` (`unknown_on:`), an empty
//! Prometheus result declared fine or a value (`on_empty:`), and hypotheses that do not fire on
//! checks that could not tell. Real commands and a real Prometheus.
#![allow(clippy::unwrap_used)]

use crate::harness::Env;
use serde_json::Value;

fn check_json(env: &Env, runbook: &str) -> Value {
    crate::extract::check_json(env, runbook, &[])
}

fn status_of(report: &Value, check: &str) -> (String, String) {
    let c = report["checks"].as_array().unwrap().iter().find(|c| c["check"] == check).unwrap();
    (c["status"].as_str().unwrap().to_string(), c["reason"].as_str().unwrap().to_string())
}

/// `kubectl` as it answers when no cluster does.
const NO_CLUSTER: &str = "echo 'The connection to the server localhost:8080 was refused' >&2; exit 1";

#[test]
fn an_unreachable_api_is_unknown_and_does_not_fire_the_hypotheses_that_read_it() {
    let env = Env::new();
    env.write(
        "runbooks/pods.yaml",
        format!(
            r#"title: pods
observe:
  - id: by_exit
    command: {{shell: "{NO_CLUSTER}"}}
    unknown_on: {{exit_codes: [1]}}
  - id: by_output
    command: {{shell: "{NO_CLUSTER}"}}
    unknown_on: {{output_matches: "connection to the server .* was refused"}}
  - id: plain
    command: {{shell: "{NO_CLUSTER}"}}
orient:
  hypotheses:
    - id: crashlooping
      title: The pods are crash-looping
      when: "checks.by_exit.status == 'critical'"
    - id: no_cluster
      title: The cluster cannot be reached
      when: "checks.by_output.status == 'unknown'"
"#
        ),
    );
    let report = check_json(&env, "pods");
    assert_eq!(status_of(&report, "by_exit"), ("unknown".into(), "cannot_tell".into()));
    assert_eq!(status_of(&report, "by_output"), ("unknown".into(), "cannot_tell".into()));
    assert_eq!(status_of(&report, "plain"), ("critical".into(), "exit_code".into()));
    let fired: Vec<&str> = report["hypotheses"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap()).collect();
    assert_eq!(fired, ["no_cluster"], "{report}");
    assert_eq!(report["undecided"][0]["id"], "crashlooping", "{report}");
    assert_eq!(report["undecided"][0]["reason"], "depends on by_exit, which could not tell");
}

#[test]
fn a_when_that_fails_to_evaluate_is_reported_not_quietly_false() {
    let env = Env::new();
    env.write(
        "runbooks/bad_when.yaml",
        r#"title: t
observe:
  - id: a
    command: {run: ["true"]}
orient:
  hypotheses:
    - id: h
      title: t
      when: "checks.a.observed.exit_code + 'x'"
"#,
    );
    let report = check_json(&env, "bad_when");
    assert_eq!(report["undecided"][0]["id"], "h", "{report}");
    assert!(report["undecided"][0]["reason"].as_str().unwrap().starts_with("when: "), "{report}");
}

#[test]
fn an_empty_prometheus_result_is_ok_or_a_value_when_the_runbook_says_so() {
    let Some(prometheus) = crate::harness::daemons::Prometheus::start(
        None,
        "an_empty_prometheus_result_is_ok_or_a_value_when_the_runbook_says_so",
    ) else {
        return;
    };
    let env = Env::new();
    env.write(
        "runbooks/empty.yaml",
        format!(
            r#"title: empty
vars:
  prom: {{default: "{}"}}
observe:
  - id: silent
    prometheus: {{url: "{{{{ vars.prom }}}}", query: "vector(1) == 2"}}
  - id: fine
    prometheus: {{url: "{{{{ vars.prom }}}}", query: "vector(1) == 2"}}
    on_empty: ok
  - id: zero
    prometheus: {{url: "{{{{ vars.prom }}}}", query: "vector(1) == 2"}}
    on_empty: 0
    thresholds: {{critical: ">= 0"}}
"#,
            prometheus.url
        ),
    );
    let report = check_json(&env, "empty");
    assert_eq!(status_of(&report, "silent"), ("unknown".into(), "no_data".into()));
    assert_eq!(status_of(&report, "fine"), ("ok".into(), "no_data".into()));
    assert_eq!(status_of(&report, "zero"), ("critical".into(), "threshold".into()), "the value 0 was graded");
}
