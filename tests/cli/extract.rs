//! Values taken from a check's output (`extract:`): JSON pointers into a real command's stdout
//! and a real HTTP body, regex groups, a real Prometheus vector's labels; read by `assert:`,
//! graded by thresholds, and seen by Orient's `when:`.
#![allow(clippy::unwrap_used)]

use crate::harness::{Env, Reply, Server};
use predicates::prelude::*;
use serde_json::Value;

/// `incident check RUNBOOK --no-record --json`, parsed (also used by `honest_states`).
pub(crate) fn check_json(env: &Env, runbook: &str, extra: &[&str]) -> Value {
    let out = env.run(&[&["check", runbook, "--no-record", "--json"], extra].concat());
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn record<'a>(report: &'a Value, check: &str) -> &'a Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["check"] == check).unwrap()
}

#[test]
fn a_json_pointer_into_a_commands_stdout_feeds_assert_and_the_hypotheses() {
    let env = Env::new();
    env.write(
        "runbooks/etcd.yaml",
        r#"title: etcd
observe:
  - id: members
    command: {shell: "printf '{\"leader\": 0, \"members\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}'"}
    extract:
      leader: {json: /leader}
      second: {json: /members/1/name}
    assert: ["extract.second == 'b'"]
orient:
  hypotheses:
    - id: no_leader
      title: The cluster has no leader
      when: "checks.members.extract.leader == 0"
"#,
    );
    let report = check_json(&env, "etcd", &[]);
    let members = record(&report, "members");
    assert_eq!(members["status"], "ok", "{members}");
    assert_eq!(members["observed"]["extract"], serde_json::json!({"leader": 0, "second": "b"}));
    assert_eq!(report["hypotheses"][0]["id"], "no_leader", "{report}");
}

/// Kubernetes does not promise the order of a node's conditions: read by index, the Ready
/// check saw MemoryPressure's "False" on a node that lists it first, and called a healthy node
/// not ready. `[type=Ready]` selects the element by its field; a selection without `=` is a
/// lint error at its place.
#[test]
fn a_kubernetes_condition_is_read_by_its_type_not_its_place_in_the_list() {
    let env = Env::new();
    env.write(
        "runbooks/node.yaml",
        r#"title: node
observe:
  - id: node
    command: {shell: "printf '{\"status\": {\"conditions\": [{\"type\": \"MemoryPressure\", \"status\": \"False\"}, {\"type\": \"Ready\", \"status\": \"True\"}]}}'"}
    extract:
      ready: {json: "/status/conditions/[type=Ready]/status"}
    assert: ["extract.ready == 'True'"]
"#,
    );
    let report = check_json(&env, "node", &[]);
    let node = record(&report, "node");
    assert_eq!(node["status"], "ok", "{node}");
    assert_eq!(node["observed"]["extract"]["ready"], "True");

    env.write("bad.yaml", "title: t\nobserve:\n  - id: c\n    command: {run: [echo]}\n    extract:\n      x: {json: \"/items/[type]/status\"}\n");
    let out = env.run(&["runbook", "lint", "bad.yaml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("bad.yaml:6:17: extract x: `[type]` selects nothing: write `[KEY=VALUE]`"), "{text}");
}

#[test]
fn a_regex_group_is_graded_by_thresholds_and_the_summary_shows_the_value_beside_the_threshold() {
    let env = Env::new();
    env.write(
        "runbooks/disk.yaml",
        r#"title: disk
observe:
  - id: usage
    command: {shell: "printf 'Use%%\n 97%%\n'"}
    extract:
      used: {regex: "(?P<used>\\d+)%"}
    thresholds: {of: used, warning: ">= 80", critical: ">= 90"}
"#,
    );
    env.cmd()
        .args(["check", "disk", "--no-record"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("used 97 >= 90 (critical)"));
}

#[test]
fn a_value_the_output_does_not_hold_makes_the_check_unknown_naming_it() {
    let env = Env::new();
    env.write(
        "runbooks/nojson.yaml",
        "title: t\nobserve:\n  - id: c\n    command: {run: [echo, not json]}\n    extract:\n      x: {json: /a}\n",
    );
    let report = check_json(&env, "nojson", &[]);
    let c = record(&report, "c");
    assert_eq!((c["status"].as_str(), c["reason"].as_str()), (Some("unknown"), Some("extract")), "{c}");
    assert!(c["summary"].as_str().unwrap().starts_with("extract x: the output is not JSON"), "{c}");
}

#[test]
fn a_json_pointer_reads_an_http_body() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, r#"{"replicas": {"ready": 1, "wanted": 3}}"#));
    env.write(
        "runbooks/deploy.yaml",
        format!(
            r#"title: deploy
observe:
  - id: replicas
    http: {{url: "{}/status"}}
    extract:
      ready: {{json: /replicas/ready}}
      wanted: {{json: /replicas/wanted}}
    assert: ["extract.ready == extract.wanted"]
"#,
            server.url()
        ),
    );
    let report = check_json(&env, "deploy", &[]);
    let c = record(&report, "replicas");
    assert_eq!(c["status"], "critical", "{c}");
    assert_eq!(c["observed"]["extract"]["wanted"], 3);
}

#[test]
fn a_label_of_every_series_of_a_real_prometheus_vector_is_a_list() {
    let Some(prometheus) = crate::harness::daemons::Prometheus::start(
        None,
        "a_label_of_every_series_of_a_real_prometheus_vector_is_a_list",
    ) else {
        return;
    };
    let env = Env::new();
    env.write(
        "runbooks/pods.yaml",
        format!(
            r#"title: pods
observe:
  - id: restarting
    prometheus:
      url: "{}"
      query: 'label_replace(vector(3), "pod", "web-1", "", "") or label_replace(vector(5), "pod", "web-2", "", "")'
    extract:
      pods: {{label: pod}}
    assert: ["extract.pods | length == 2"]
"#,
            prometheus.url
        ),
    );
    let report = check_json(&env, "pods", &[]);
    let c = record(&report, "restarting");
    assert_eq!(c["status"], "ok", "{c}");
    let mut pods: Vec<String> =
        c["observed"]["extract"]["pods"].as_array().unwrap().iter().map(|p| p.as_str().unwrap().to_string()).collect();
    pods.sort();
    assert_eq!(pods, ["web-1", "web-2"]);
}

#[test]
fn lint_reports_unknown_extracted_names_and_sources_that_do_not_fit_the_probe() {
    let env = Env::new();
    env.write(
        "bad.yaml",
        r#"title: bad
observe:
  - id: a
    command: {run: [echo]}
    extract:
      used: {regex: "(\\d+)"}
      pods: {label: pod}
    assert: ["extract.usde > 1"]
    thresholds: {of: free, warning: "> 1"}
orient:
  hypotheses:
    - id: h
      title: t
      when: "checks.a.extract.usd > 1"
"#,
    );
    let out = env.run(&["runbook", "lint", "bad.yaml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("bad.yaml:7:21: extract pods: `label` does not apply to command checks"), "{text}");
    assert!(
        text.contains("bad.yaml:8:14: unknown extracted value `extract.usde` (this check extracts: pods, used)"),
        "{text}"
    );
    assert!(text.contains("bad.yaml:9:22: thresholds.of: `free` is not a value this check extracts"), "{text}");
    assert!(
        text.contains("bad.yaml:14:13: unknown extracted value `checks.a.extract.usd`; did you mean `used`?"),
        "{text}"
    );
}

/// A runbook whose second check and whose action read the leader the first check extracted;
/// the leader's name is what `leader` prints.
fn leader_runbook(env: &Env, leader: &str) {
    env.write(
        "runbooks/leader.yaml",
        format!(
            r#"title: leader
observe:
  - id: leader
    command: {{run: [echo, '{{"leader": "{leader}"}}']}}
    extract:
      name: {{json: /leader}}
  - id: leader_health
    command: {{run: [echo, "checking {{{{ checks.leader.extract.name }}}}"]}}
    expect: {{stdout_contains: "checking node-2"}}
act:
  - id: restart
    title: Restart the leader
    command: {{run: [touch, "restarted-{{{{ checks.leader.extract.name }}}}"]}}
"#
        ),
    );
}

#[test]
fn a_later_check_and_an_action_read_a_value_an_earlier_check_extracted() {
    let env = Env::new();
    leader_runbook(&env, "node-2");
    env.open_incident();
    env.cmd().args(["check", "leader"]).assert().success();
    env.cmd().args(["runbook", "act", "restart", "--runbook", "leader", "--yes"]).assert().success();
    assert!(env.path().join("restarted-node-2").exists());
}

#[test]
fn an_extracted_value_beginning_with_a_dash_never_reaches_a_command() {
    let env = Env::new();
    leader_runbook(&env, "--force");
    env.open_incident();
    env.cmd().args(["check", "leader"]).assert().code(3);
    env.cmd()
        .args(["runbook", "act", "restart", "--runbook", "leader", "--yes"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("checks.leader.extract.name"));
    let made: Vec<_> = std::fs::read_dir(env.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("restarted"))
        .collect();
    assert!(made.is_empty(), "{made:?}");
}

#[test]
fn for_each_runs_a_check_once_per_extracted_item_up_to_its_bound() {
    let env = Env::new();
    env.write(
        "runbooks/members.yaml",
        r#"title: members
observe:
  - id: members
    command: {run: [printf, "member etcd-1\nmember etcd-2\nmember etcd-3\n"]}
    extract:
      names: {regex: "member (\\S+)", all: true}
  - id: member_health
    for_each: {items: checks.members.extract.names, max: 2}
    command: {run: [echo, "{{ item }} is healthy"]}
    expect: {stdout_contains: "etcd-1"}
"#,
    );
    let out = env.run(&["check", "members", "--no-record", "--json"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 items, only the first 2 checked"));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results: Vec<(String, String)> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["check"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        results,
        [
            ("members".to_string(), "ok".to_string()),
            ("member_health[etcd-1]".to_string(), "ok".to_string()),
            ("member_health[etcd-2]".to_string(), "critical".to_string()),
        ]
    );
}
