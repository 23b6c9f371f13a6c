//! Incidents opened from alerts (`open --from-alert`): Alertmanager's payload as a real
//! Alertmanager 0.25 sent it (tests/fixtures/alertmanager), pointed at services on loopback.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::common::{Env, text};

const FIRING: &str = include_str!("../fixtures/alertmanager/firing.json");
const RESOLVED: &str = include_str!("../fixtures/alertmanager/resolved.json");

/// The recorded payload, moved to `instance` and to a start before the pinned clock.
fn payload(template: &str, instance: &str) -> Value {
    let mut value: Value = serde_json::from_str(template).unwrap();
    let alert = &mut value["alerts"][0];
    alert["labels"]["instance"] = json!(instance);
    alert["startsAt"] = json!("2026-11-22T14:00:00Z");
    if alert["status"] == "resolved" {
        alert["endsAt"] = json!("2026-11-22T14:04:00Z");
    }
    value["commonLabels"]["instance"] = json!(instance);
    value
}

fn write(env: &Env, name: &str, value: &Value) -> PathBuf {
    let path = env.dir.path().join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path
}

/// An HTTP service on loopback that answers 200 to every request.
fn healthy_service() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        }
    });
    port
}

fn from_alert(env: &Env, file: &std::path::Path) -> Value {
    let out = env.ok(&["open", "--from-alert", file.to_str().unwrap(), "--runbook", "http-5xx", "--json"]);
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{out}: {e}"))
}

fn status_of<'a>(result: &'a Value, check: &str) -> &'a str {
    let record = result["checks"].as_array().unwrap().iter().find(|c| c["check"] == check).unwrap();
    record["status"].as_str().unwrap()
}

#[test]
fn an_alert_opens_one_incident_whose_checks_probe_the_alerting_instance() {
    let env = Env::new();
    let port = healthy_service();
    let file = write(&env, "firing.json", &payload(FIRING, &format!("127.0.0.1:{port}")));
    // No --runbook: http-5xx's `match:` rules name InstanceDown.
    let out = env.ok(&["open", "--from-alert", file.to_str().unwrap(), "--json"]);
    let opened: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(opened["outcome"], "opened");
    assert_eq!(env.show()["runbook"], "http-5xx");
    // The runbook's default address is 127.0.0.1:8080; these pass only against the instance.
    assert_eq!(status_of(&opened, "port"), "ok", "{opened}");
    assert_eq!(status_of(&opened, "health"), "ok", "{opened}");

    let show = env.show();
    assert_eq!(show["title"], "InstanceDown: Instance 127.0.0.1:8080 down");
    assert_eq!(show["severity"], "sev2", "severity=critical is sev2");
    assert_eq!(show["services"], json!(["checkout"]));
    assert_eq!(show["clocks"]["impact_start"], "2026-11-22T14:00:00.000Z");
    let events = env.events();
    let alert = events.iter().find(|e| e["kind"] == "alert.received").expect("the alert is recorded");
    assert_eq!(alert["runbook_url"], "https://runbooks.example/InstanceDown");
    assert_eq!(alert["firing"], json!(["f10905496858ac77"]));
}

#[test]
fn repeated_notifications_record_nothing_and_changes_add_to_the_same_incident() {
    let env = Env::new();
    let port = healthy_service();
    let firing = payload(FIRING, &format!("127.0.0.1:{port}"));
    let file = write(&env, "firing.json", &firing);
    let id = from_alert(&env, &file)["id"].clone();
    let before = env.events().len();

    let again = from_alert(&env, &file);
    assert_eq!((again["outcome"].as_str(), &again["id"]), (Some("repeat"), &id));
    assert_eq!(env.events().len(), before, "a repeat must not flood the timeline");

    // A second alert of the group starts firing: the same incident records it.
    let mut more = firing.clone();
    let mut second = more["alerts"][0].clone();
    second["fingerprint"] = json!("0123456789abcdef");
    second["labels"]["instance"] = json!("127.0.0.1:1");
    more["alerts"].as_array_mut().unwrap().push(second);
    let updated = from_alert(&env, &write(&env, "more.json", &more));
    assert_eq!((updated["outcome"].as_str(), &updated["id"]), (Some("updated"), &id));

    let resolved = from_alert(&env, &write(&env, "resolved.json", &payload(RESOLVED, "127.0.0.1:1")));
    assert_eq!((resolved["outcome"].as_str(), &resolved["id"]), (Some("updated"), &id));
    let show = env.show();
    assert_eq!(show["alerts"].as_object().unwrap().values().next().unwrap()["status"], "resolved");
    assert_eq!(show["status"], "investigating", "a resolved alert never resolves the incident by itself");
    let incidents = std::fs::read_dir(env.store()).unwrap().filter(|e| e.as_ref().unwrap().path().is_dir()).count();
    assert_eq!(incidents, 1, "one incident for the group");
}

#[test]
fn a_stopped_instance_is_recorded_critical_before_anyone_logs_in() {
    let env = Env::new();
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let opened = from_alert(&env, &write(&env, "firing.json", &payload(FIRING, &format!("127.0.0.1:{closed}"))));
    assert_eq!(status_of(&opened, "port"), "critical");
    assert_eq!(status_of(&opened, "health"), "critical");
    let recorded = env.events().iter().filter(|e| e["kind"] == "check.result").count();
    assert_eq!(recorded, 3, "every check of the runbook is on the timeline");
}

#[test]
fn a_resolved_alert_with_no_open_incident_opens_nothing() {
    let env = Env::new();
    let file = write(&env, "resolved.json", &payload(RESOLVED, "127.0.0.1:1"));
    let out = env.run(&["open", "--from-alert", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("nothing to do"), "{}", text(&out.stderr));
    assert!(!env.store().exists() || std::fs::read_dir(env.store()).unwrap().all(|e| !e.unwrap().path().is_dir()));
}

#[test]
fn a_payload_that_is_not_an_alert_is_a_usage_error_naming_where() {
    let env = Env::new();
    let bad = env.dir.path().join("bad.json");
    std::fs::write(&bad, "{\n  \"alerts\": [\n    {\"status\": \"on fire\"}\n  ]\n}\n").unwrap();
    let out = env.run(&["open", "--from-alert", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("bad.json") && stderr.contains("line 3"), "{stderr}");
    let out = env.cmd().args(["open", "--from-alert", "-"]).write_stdin("not json").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("stdin"), "{}", text(&out.stderr));
}

#[test]
fn a_match_rule_that_is_not_an_alertmanager_matcher_is_located_by_lint() {
    let env = Env::new();
    let file = env.dir.path().join("mine.yaml");
    std::fs::write(&file, "title: Mine\nmatch:\n  - alertname: X\n    matchers: ['job=~\"(\"']\n").unwrap();
    let out = env.run(&["runbook", "lint", file.to_str().unwrap()]);
    assert_ne!(out.status.code(), Some(0));
    let stderr = text(&out.stderr) + &text(&out.stdout);
    assert!(stderr.contains("mine.yaml:4:") && stderr.contains("not a regular expression"), "{stderr}");
}
