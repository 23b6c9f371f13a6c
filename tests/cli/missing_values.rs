//! A check that reads a value another check did not produce (`checks.ID.extract.NAME`) is
//! `unknown` and says which check and why, never a template's "`checks` is undefined".
#![allow(clippy::unwrap_used)]

use crate::extract::check_json;
use crate::harness::Env;
use serde_json::Value;

fn summary<'a>(report: &'a Value, check: &str) -> (&'a str, &'a str) {
    let record = report["checks"].as_array().unwrap().iter().find(|c| c["check"] == check).unwrap();
    (record["status"].as_str().unwrap(), record["summary"].as_str().unwrap())
}

/// KubeDeploymentReplicasMismatch's `pods` check read the selector of a `replicas` check that
/// had failed, and reported "`checks` is undefined".
#[test]
fn a_value_an_earlier_check_did_not_produce_names_that_check_and_why() {
    let env = Env::new();
    env.write(
        "runbooks/deps.yaml",
        r#"title: deps
vars:
  skip: {default: "yes"}
observe:
  - id: garbled
    command: {run: [echo, "not json"]}
    extract:
      selector: {json: /spec/selector}
  - id: skipped
    if: "vars.skip != 'yes'"
    command: {run: [echo, '{"name": "a"}']}
    extract:
      name: {json: /name}
  - id: unreachable
    command: {shell: "echo 'Unable to connect to the server'; exit 1"}
    unknown_on: {output_matches: "Unable to connect"}
    extract:
      name: {json: /name}
  - id: after-garbled
    command: {run: [echo, "{{ checks.garbled.extract.selector }}"]}
  - id: after-skipped
    command: {run: [echo, "{{ checks.skipped.extract.name }}"]}
  - id: after-unreachable
    command: {run: [echo, "{{ checks.unreachable.extract.name }}"]}
"#,
    );
    let report = check_json(&env, "deps", &[]);
    let (status, text) = summary(&report, "after-garbled");
    assert_eq!(status, "unknown", "{report}");
    assert!(text.starts_with("needs checks.garbled.extract.selector, but check `garbled` "), "{text}");
    assert!(!text.contains("undefined"), "{text}");
    let (status, text) = summary(&report, "after-skipped");
    assert_eq!(status, "unknown", "{report}");
    assert!(text.contains("needs checks.skipped.extract.name, but check `skipped` was skipped by if:"), "{text}");
    let (status, text) = summary(&report, "after-unreachable");
    assert_eq!(status, "unknown", "{report}");
    assert!(text.contains("needs checks.unreachable.extract.name, but check `unreachable` was unknown: "), "{text}");
}
