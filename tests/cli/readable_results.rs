//! A check's summary says the value seen beside the value wanted (`used 97% >= 90%`), never the
//! text of its `assert:` expression, and an ok says its figure too, not "exit 0".
#![allow(clippy::unwrap_used)]

use std::process::Command;

use serde_json::Value;

use crate::extract::check_json;
use crate::harness::{Env, Reply, Server};

fn summary<'a>(report: &'a Value, check: &str) -> &'a str {
    let record = report["checks"].as_array().unwrap().iter().find(|c| c["check"] == check);
    record.and_then(|c| c["summary"].as_str()).unwrap_or_else(|| panic!("no summary of {check}: {report:#}"))
}

/// What `df` itself says of the directory's filesystem, to hold the summary to.
fn df_percent(dir: &std::path::Path) -> String {
    let out = Command::new("df").args(["--output=pcent"]).arg(dir).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().last().unwrap().trim().to_string()
}

/// What broke: disk-full's result read `stdout (false) | last_line | number <
/// vars.critical_percent | int`, and its ok read "exit 0" without the figure.
#[test]
fn disk_full_says_the_usage_beside_the_level_not_the_expression() {
    let dir = tempfile::tempdir().unwrap();
    let used = df_percent(dir.path());
    let env = Env::new();
    let path = format!("path={}", dir.path().display());
    let report =
        check_json(&env, "disk-full", &["--var", &path, "--var", "critical_percent=0", "--var", "warn_percent=0"]);
    assert_eq!(summary(&report, "space"), format!("used {used} >= 0%"), "{report:#}");
    assert_eq!(summary(&report, "space_early"), format!("used {used} >= 0%"));

    let log_dir = format!("log_dir={}", dir.path().display());
    let report = check_json(&env, "disk-full", &["--var", &path, "--var", &log_dir, "--var", "critical_percent=100"]);
    assert_eq!(summary(&report, "space"), format!("used {used} < 100%"), "an ok says its figure: {report:#}");
    assert!(!summary(&report, "deleted_open").contains("stdout"), "{report:#}");
    assert_eq!(summary(&report, "deleted_open"), "deleted files held open: 0 == 0");
    let log_dir = summary(&report, "log_dir_size");
    assert!(log_dir.starts_with("exit 0: ") && log_dir.contains(&dir.path().display().to_string()), "{log_dir}");
}

/// A query's value against its bar, from a real Prometheus, both when it passes and when not.
#[test]
fn a_prometheus_comparison_reads_as_the_value_beside_the_bar() {
    let Some(prometheus) =
        crate::harness::daemons::Prometheus::start(None, "a_prometheus_comparison_reads_as_the_value_beside_the_bar")
    else {
        return;
    };
    let env = Env::new();
    env.write(
        "runbooks/errors.yaml",
        format!(
            r#"title: errors
vars:
  url: {{default: "{}"}}
  max_percent: {{default: 5, type: int}}
observe:
  - id: ratio
    prometheus: {{url: "{{{{ vars.url }}}}", query: "vector(7.5)"}}
    assert: ["value < vars.max_percent | int"]
    unit: "%"
  - id: graded
    prometheus: {{url: "{{{{ vars.url }}}}", query: "vector(0.002)"}}
    thresholds: {{warning: "> 0.01", critical: "> 0.05"}}
  - id: expected
    prometheus: {{url: "{{{{ vars.url }}}}", query: "vector(7.5)"}}
    expect: {{value: "< 0.05"}}
"#,
            prometheus.url
        ),
    );
    let report = check_json(&env, "errors", &[]);
    assert_eq!(summary(&report, "ratio"), "value 7.5% >= 5%", "{report:#}");
    assert_eq!(summary(&report, "graded"), "value 0.002 <= 0.01", "an ok names the bar it is under");
    // What broke: a missed `expect: {value: ...}` was filed as a threshold grade and read ok.
    let expected = report["checks"].as_array().unwrap().iter().find(|c| c["check"] == "expected").unwrap();
    assert_eq!((expected["status"].as_str(), expected["reason"].as_str()), (Some("critical"), Some("value")));
    assert_eq!(summary(&report, "expected"), "value 7.5 >= 0.05");
    let report = check_json(&env, "errors", &["--var", "max_percent=10"]);
    assert_eq!(summary(&report, "ratio"), "value 7.5% < 10%", "{report:#}");
}

/// A string compared reads quoted, so that an empty or odd value shows; a bare value shows
/// what it was; neither shows the expression.
#[test]
fn a_non_numeric_assert_shows_the_text_it_judged() {
    let service = Server::start(|_, _| Reply::new(200, r#"{"status": "degraded", "healthy": false}"#));
    let env = Env::new();
    env.write(
        "runbooks/health.yaml",
        format!(
            r#"title: health
observe:
  - id: status
    http: {{url: "{0}/health"}}
    assert: ["json.status == 'ok'"]
  - id: healthy
    http: {{url: "{0}/health"}}
    assert: ["json.healthy"]
  - id: said
    http: {{url: "{0}/health"}}
    assert: ["json.status in ['ok', 'degraded']"]
    summary: "health says {{{{ result }}}}"
"#,
            service.url()
        ),
    );
    let report = check_json(&env, "health", &[]);
    assert_eq!(summary(&report, "status"), r#"status "degraded" != "ok""#, "{report:#}");
    assert_eq!(summary(&report, "healthy"), "json.healthy = false");
    assert_eq!(summary(&report, "said"), r#"health says status "degraded" in ["ok","degraded"]"#);
}

/// A `summary:` that reads a name nothing gives is a lint error at its place, not a runtime surprise.
#[test]
fn a_summary_reading_an_unknown_name_is_refused_where_it_is_written() {
    let env = Env::new();
    env.write(
        "bad.yaml",
        "title: t\nobserve:\n  - id: c\n    command: {run: [echo, '1']}\n    assert: [\"stdout | number == 1\"]\n    summary: \"used {{ reslt }}\"\n",
    );
    let out = env.run(&["runbook", "lint", "bad.yaml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("bad.yaml:6:14: unknown name `reslt`; did you mean `result`?"), "{text}");
}
