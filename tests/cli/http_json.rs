//! An HTTP check's JSON body, from a real server on loopback, read by `when:`, `assert:` and
//! `extract:`; read whole up to a bound, and `unknown` past it, never judged cut.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

use crate::extract::check_json;
use crate::harness::{Env, Reply, Server};

fn record<'a>(report: &'a Value, check: &str) -> &'a Value {
    report["checks"].as_array().unwrap().iter().find(|c| c["check"] == check).unwrap()
}

fn runbook(url: &str, http_extra: &str) -> String {
    format!(
        r#"title: health
observe:
  - id: health
    http: {{url: "{url}/health"{http_extra}}}
    assert: ["json.status == 'ok'"]
    extract:
      db: {{json: /checks/db}}
orient:
  hypotheses:
    - id: degraded
      title: The service says it is degraded
      when: "checks.health.observed.json.status == 'degraded'"
    - id: db_down
      title: Its database is down
      when: "checks.health.extract.db == 'down'"
"#
    )
}

/// What broke: the record dropped the JSON, so `checks.ID.observed.json` was undefined for
/// `when:` and a hypothesis on a health document could never be suggested.
#[test]
fn a_when_reads_the_json_body_of_an_http_check() {
    let service = Server::start(|_, _| Reply::new(200, r#"{"status": "degraded", "checks": {"db": "down"}}"#));
    let env = Env::new();
    env.write("runbooks/health.yaml", runbook(&service.url(), ""));
    let report = check_json(&env, "health", &[]);
    let health = record(&report, "health");
    assert_eq!(health["summary"], r#"status "degraded" != "ok""#, "{report:#}");
    assert_eq!(health["observed"]["json"]["status"], "degraded", "the record keeps a small document");
    let suggested: Vec<&str> =
        report["hypotheses"].as_array().unwrap().iter().filter_map(|h| h["id"].as_str()).collect();
    assert_eq!(suggested, ["degraded", "db_down"], "{report:#}");
    assert!(report["undecided"].as_array().unwrap().is_empty(), "{report:#}");
}

/// What broke: a body past 1 MiB was cut there and the start judged as if it were the whole.
#[test]
fn a_body_over_the_bound_is_unknown_naming_the_bound_not_judged_cut() {
    let padding = "x".repeat(1024 * 1024);
    let big = format!(r#"{{"status": "ok", "checks": {{"db": "up"}}, "padding": "{padding}"}}"#);
    let service = Server::start(move |_, _| Reply::new(200, &big));
    let env = Env::new();
    env.write("runbooks/health.yaml", runbook(&service.url(), ""));
    let report = check_json(&env, "health", &[]);
    let health = record(&report, "health");
    assert_eq!((health["status"].as_str(), health["reason"].as_str()), (Some("unknown"), Some("body_too_large")));
    assert_eq!(health["summary"], "HTTP 200: body over 1 MiB; not judged (raise `max_body` to read more)");
    assert!(report["hypotheses"].as_array().unwrap().is_empty(), "{report:#}");

    env.write("runbooks/health.yaml", runbook(&service.url(), ", max_body: 2MiB"));
    let report = check_json(&env, "health", &[]);
    assert_eq!(record(&report, "health")["status"], "ok", "a check may read more: {report:#}");
}

#[test]
fn a_bound_smaller_than_the_body_is_per_check() {
    let service =
        Server::start(|_, _| Reply::new(200, &format!(r#"{{"status": "ok", "pad": "{}"}}"#, "x".repeat(2000))));
    let env = Env::new();
    env.write("runbooks/health.yaml", runbook(&service.url(), ", max_body: 1KiB"));
    let report = check_json(&env, "health", &[]);
    assert_eq!(
        record(&report, "health")["summary"],
        "HTTP 200: body over 1 KiB; not judged (raise `max_body` to read more)"
    );
}

#[test]
fn a_max_body_that_is_not_a_size_is_refused_where_it_is_written() {
    let env = Env::new();
    env.write("bad.yaml", "title: t\nobserve:\n  - id: h\n    http: {url: http://x, max_body: lots}\n");
    let out = env.run(&["runbook", "lint", "bad.yaml"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains(r#"bad.yaml:4:37: max_body: "lots" is not a size: write e.g. 512KiB or 4MiB"#), "{text}");
}

/// `incident probe http` without `--contains` judges the status alone: a large page is not
/// unknown for a body nobody reads.
#[test]
fn a_status_probe_of_a_large_page_is_not_unknown() {
    let page = "x".repeat(2 * 1024 * 1024);
    let service = Server::start(move |_, _| Reply::new(200, &page));
    let env = Env::new();
    env.cmd().args(["probe", "http", &service.url(), "--no-record"]).assert().success();
    env.cmd().args(["probe", "http", &service.url(), "--contains", "y", "--no-record"]).assert().code(3);
}
