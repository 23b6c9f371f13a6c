//! Runbook `log` checks on logs where they live: container and pod names as sources, field
//! filters (`where:`) deciding what the thresholds count, and the lint of both.

use serde_json::Value;

use crate::harness::{Env, text};

const RUNBOOK: &str = r#"title: upstream errors
observe:
  - id: web_5xx
    title: 5xx answered by the web container
    log: {path: "container:web", pattern: "", where: ["status>=500"]}
    thresholds: {warning: ">= 1", critical: ">= 3"}
  - id: api_panics
    title: panics in the api pod
    log: {path: "pod:prod/api", pattern: "panic"}
    thresholds: {critical: ">= 1"}
"#;

/// A Docker container `web` logging JSON (three requests, two of them 5xx) and a pod `prod/api`
/// whose one panic was cut in two by the runtime.
fn containers(env: &Env) {
    let id = "0123456789abcdef";
    env.write(
        &format!("docker/{id}/config.v2.json"),
        serde_json::json!({ "ID": id, "Name": "/web", "LogPath": "" }).to_string(),
    );
    let mut log = String::new();
    for (second, status) in [(0, 200), (1, 502), (2, 503)] {
        let message = format!("{{\"msg\":\"request\",\"status\":{status}}}\n");
        log.push_str(
            &(serde_json::json!({"log": message, "stream": "stdout", "time": format!("2026-11-24T06:00:0{second}Z")})
                .to_string()
                + "\n"),
        );
    }
    env.write(&format!("docker/{id}/{id}-json.log"), log);
    env.write(
        "pods/prod_api_9f8e7d6c/app/0.log",
        "2026-11-24T06:00:00Z stderr P pa\n2026-11-24T06:00:00Z stderr F nic: nil map\n",
    );
}

fn results(env: &Env) -> Vec<Value> {
    let output = env
        .cmd()
        .env("INCIDENT_DOCKER_ROOT", env.path().join("docker"))
        .env("INCIDENT_PODS_ROOT", env.path().join("pods"))
        .args(["--json", "check", "upstream", "--runbooks", &env.path().join("runbooks").display().to_string()])
        .arg("--no-record")
        .output()
        .expect("run incident");
    let out = text(&output.stdout);
    let value: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {}", text(&output.stderr)));
    value["checks"].as_array().cloned().unwrap_or_else(|| panic!("no checks in {value}"))
}

#[test]
fn log_checks_count_container_records_that_pass_their_field_filters() {
    let env = Env::new();
    containers(&env);
    env.write("runbooks/upstream.yaml", RUNBOOK);
    let results = results(&env);
    let by_id = |id: &str| results.iter().find(|r| r["check"] == id).cloned().unwrap_or_default();
    let web = by_id("web_5xx");
    assert_eq!((web["status"].as_str(), web["observed"]["matches"].as_u64()), (Some("warning"), Some(2)), "{web}");
    // The runtime split the line: joined, it matches; apart, neither half would.
    let api = by_id("api_panics");
    assert_eq!((api["status"].as_str(), api["observed"]["matches"].as_u64()), (Some("critical"), Some(1)), "{api}");
}

#[test]
fn lint_reports_bad_field_filters_and_malformed_pod_names_at_their_place() {
    let env = Env::new();
    env.write(
        "bad.yaml",
        r#"title: bad
observe:
  - id: errors
    log: {path: "pod:api", pattern: ERROR, where: ["status>>500"]}
"#,
    );
    let output = env.run(&["runbook", "lint", "bad.yaml"]);
    assert_eq!(output.status.code(), Some(1));
    let out = text(&output.stdout);
    assert!(out.contains("bad.yaml:4:17: path: pod:api: a pod is pod:NAMESPACE/POD"), "{out}");
    assert!(out.contains("bad.yaml:4:52: where:"), "{out}");
}
