//! Incidents opened from alerts (`open --from-alert`): Alertmanager's payload as a real
//! Alertmanager 0.25 sent it (tests/fixtures/alertmanager), pointed at services on loopback.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::harness::{Env, Reply, Server, text};

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
    env.write(name, value.to_string())
}

/// An HTTP service on loopback that answers 200 to every request.
fn healthy_service() -> Server {
    Server::start(|_, _| Reply::new(200, "ok"))
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
    let service = healthy_service();
    let file = write(&env, "firing.json", &payload(FIRING, &format!("127.0.0.1:{}", service.port)));
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
    let service = healthy_service();
    let firing = payload(FIRING, &format!("127.0.0.1:{}", service.port));
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
    let resolved = env.events().into_iter().rfind(|e| e["kind"] == "alert.received").unwrap();
    assert_eq!(resolved["ends_at"], "2026-11-22T14:04:00.000Z", "the end as the alerting saw it");
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
    assert_eq!(recorded, 4, "every check of the runbook is on the timeline");
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

/// A daemon started for a test, killed when the test ends.
struct Daemon(std::process::Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn daemon(binary: &str, args: &[String]) -> Daemon {
    let child = std::process::Command::new(binary)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{binary}: {e}"));
    Daemon(child)
}

/// A scrape target on `port` that Prometheus sees up while `up` is set.
fn scrape_target(port: u16, up: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    std::thread::spawn(move || {
        loop {
            if !up.load(std::sync::atomic::Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(50));
                continue;
            }
            // Listening only while up: when down, connections are refused, as for a dead process.
            let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
            listener.set_nonblocking(true).unwrap();
            while up.load(std::sync::atomic::Ordering::SeqCst) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        let mut buf = [0u8; 4096];
                        let _ = stream.read(&mut buf);
                        let body = "# HELP demo_up A demo metric.\n# TYPE demo_up gauge\ndemo_up 1\n";
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        );
                        let _ = stream.write_all(head.as_bytes());
                        let _ = stream.write_all(body.as_bytes());
                    }
                    Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
                }
            }
        }
    });
}

fn wait_until(what: &str, limit: std::time::Duration, mut done: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while started.elapsed() < limit {
        if done() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    panic!("{what} did not happen within {limit:?}");
}

fn kinds(env: &Env) -> Vec<String> {
    let Ok(ids) = std::fs::read_dir(env.store()) else { return Vec::new() };
    let mut kinds = Vec::new();
    for dir in ids.flatten().filter(|e| e.path().join("timeline.jsonl").exists()) {
        let text = std::fs::read_to_string(dir.path().join("timeline.jsonl")).unwrap_or_default();
        for line in text.lines() {
            if let Ok(event) = serde_json::from_str::<Value>(line) {
                kinds.push(format!("{}:{}", dir.file_name().to_string_lossy(), event["kind"].as_str().unwrap_or("")));
            }
        }
    }
    kinds
}

/// The whole path a real outage takes: Prometheus sees a target go down, its rule fires,
/// Alertmanager posts to `incident receive`, the incident opens with the matching runbook and
/// its checks probe the stopped target; the target comes back and the resolution is recorded.
#[test]
fn prometheus_and_alertmanager_open_an_incident_with_evidence_and_record_its_resolution() {
    let (prometheus, alertmanager) = ("/usr/bin/prometheus", "/usr/bin/prometheus-alertmanager");
    if !std::path::Path::new(prometheus).exists() || !std::path::Path::new(alertmanager).exists() {
        eprintln!("SKIPPED: needs Debian's prometheus and prometheus-alertmanager (see .ci/run)");
        return;
    }
    let env = Env::new();
    let dir = env.dir.path();
    let (target, prom_port, am_port, receiver_port) = (free_port(), free_port(), free_port(), free_port());
    let up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    scrape_target(target, up.clone());

    let mut receiver = env.std_cmd();
    receiver.args(["receive", "--listen", &format!("127.0.0.1:{receiver_port}")]);
    receiver.env("INCIDENT_RECEIVE_TOKEN", "test-token-123").stdout(std::process::Stdio::null());
    let _receiver = Daemon(receiver.stderr(std::process::Stdio::null()).spawn().unwrap());

    std::fs::write(
        dir.join("am.yml"),
        format!(
            "route:\n  receiver: incident\n  group_by: [alertname, job]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: incident\n    webhook_configs:\n      - url: http://127.0.0.1:{receiver_port}/alertmanager\n        send_resolved: true\n        http_config:\n          authorization: {{credentials: test-token-123}}\n"
        ),
    )
    .unwrap();
    let _am = daemon(
        alertmanager,
        &[
            format!("--config.file={}", dir.join("am.yml").display()),
            format!("--storage.path={}", dir.join("am-data").display()),
            format!("--web.listen-address=127.0.0.1:{am_port}"),
            "--cluster.listen-address=".into(),
        ],
    );
    std::fs::write(
        dir.join("rules.yml"),
        "groups:\n  - name: t\n    rules:\n      - alert: InstanceDown\n        expr: up == 0\n        labels: {severity: critical}\n        annotations: {summary: \"{{ $labels.instance }} is down\"}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 500ms}}\nrule_files: [{}]\nalerting:\n  alertmanagers:\n    - static_configs: [{{targets: ['127.0.0.1:{am_port}']}}]\nscrape_configs:\n  - job_name: checkout\n    static_configs: [{{targets: ['127.0.0.1:{target}']}}]\n",
            dir.join("rules.yml").display()
        ),
    )
    .unwrap();
    let _prometheus = daemon(
        prometheus,
        &[
            format!("--config.file={}", dir.join("prometheus.yml").display()),
            format!("--storage.tsdb.path={}", dir.join("prom-data").display()),
            format!("--web.listen-address=127.0.0.1:{prom_port}"),
        ],
    );
    // Let Prometheus see the target up first, then stop it.
    std::thread::sleep(std::time::Duration::from_secs(3));
    up.store(false, std::sync::atomic::Ordering::SeqCst);

    let limit = std::time::Duration::from_secs(60);
    wait_until("the incident with its checks", limit, || {
        kinds(&env).iter().filter(|k| k.ends_with(":check.result")).count() >= 3
    });
    let incidents: Vec<String> = std::fs::read_dir(env.store())
        .unwrap()
        .flatten()
        .filter(|e| e.path().join("timeline.jsonl").exists())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(incidents.len(), 1, "one incident: {incidents:?}");
    let show: Value = serde_json::from_str(&env.ok(&["show", "--json", "-i", &incidents[0]])).unwrap();
    assert_eq!(show["runbook"], "http-5xx", "InstanceDown picks http-5xx by its match: rule");
    assert_eq!(show["severity"], "sev2");
    let events: Vec<Value> = env
        .ok(&["timeline", "--json", "-i", &incidents[0]])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let port_check = events.iter().find(|e| e["kind"] == "check.result" && e["check"] == "port").unwrap();
    assert_eq!(port_check["status"], "critical", "the stopped target, not a default address: {port_check}");
    assert!(port_check["target"].as_str().unwrap_or_default().contains(&target.to_string()), "{port_check}");
    let vars: Value = serde_json::from_str(&env.ok(&["vars", "--json", "-i", &incidents[0]])).unwrap();
    // http-5xx's one address: base_url, from the alert's instance; the port check reads its port.
    let base_url = vars["vars"].as_array().unwrap().iter().find(|v| v["name"] == "base_url").unwrap();
    assert_eq!(base_url["source"], "alert", "{base_url}");
    assert!(base_url["value"].as_str().unwrap_or_default().ends_with(&format!(":{target}")), "{base_url}");
    let checked = events.iter().find(|e| e["kind"] == "alert.checked").unwrap();
    assert_eq!(checked["worst"], "critical", "the summary the webhooks hear: {checked}");

    up.store(true, std::sync::atomic::Ordering::SeqCst);
    wait_until("the resolved notification", limit, || {
        let out = env.ok(&["show", "--json", "-i", &incidents[0]]);
        out.contains(r#""status": "resolved""#) || out.contains(r#""status":"resolved""#)
    });
    let show: Value = serde_json::from_str(&env.ok(&["show", "--json", "-i", &incidents[0]])).unwrap();
    assert_eq!(show["status"], "investigating", "a resolved alert does not resolve the incident");
    let alert_events = kinds(&env).iter().filter(|k| k.ends_with(":alert.received")).count();
    assert_eq!(alert_events, 2, "firing once, resolved once: repeats are not recorded");
    // The target is back: the checks run again and pass, so mitigation is offered, not set.
    wait_until("the offer of mitigation", limit, || kinds(&env).iter().any(|k| k.ends_with(":mitigation.offered")));
    let show: Value = serde_json::from_str(&env.ok(&["show", "--json", "-i", &incidents[0]])).unwrap();
    assert_eq!(show["status"], "investigating");
    assert_eq!(kinds(&env).iter().filter(|k| k.ends_with(":incident.opened")).count(), 1, "one incident in all");
}

#[test]
fn the_receiver_refuses_bad_tokens_bad_bodies_and_huge_bodies_and_records_nothing() {
    let env = Env::new();
    let port = free_port();
    let mut receiver = env.std_cmd();
    receiver.args(["receive", "--listen", &format!("127.0.0.1:{port}")]).env("INCIDENT_RECEIVE_TOKEN", "right-token");
    let _receiver =
        Daemon(receiver.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap());
    let url = format!("http://127.0.0.1:{port}/alertmanager");
    wait_until("the receiver", std::time::Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    let post = |token: &str, body: &str| -> String {
        let out = std::process::Command::new("curl")
            .args([
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code}",
                "-X",
                "POST",
                "-H",
                &format!("Authorization: Bearer {token}"),
            ])
            .args(["--data-binary", body, &url])
            .output()
            .unwrap();
        text(&out.stdout)
    };
    let firing = payload(FIRING, "127.0.0.1:1").to_string();
    assert_eq!(post("wrong-token", &firing), "401");
    assert_eq!(post("", &firing), "401");
    assert_eq!(post("right-token", "{not json"), "400");
    assert_eq!(post("right-token", r#"{"version":"4","groupKey":"g","status":"firing","alerts":[]}"#), "400");
    let huge = format!("{{\"pad\": \"{}\"}}", "x".repeat(2 << 20));
    let huge_file = env.dir.path().join("huge.json");
    std::fs::write(&huge_file, huge).unwrap();
    assert_eq!(post("right-token", &format!("@{}", huge_file.display())), "413");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(kinds(&env).is_empty(), "nothing recorded: {:?}", kinds(&env));
    assert_eq!(post("right-token", &firing), "200");
    wait_until("the incident", std::time::Duration::from_secs(30), || {
        kinds(&env).iter().any(|k| k.ends_with(":alert.received"))
    });
}

#[test]
fn an_alert_acknowledged_before_a_restart_is_recorded_by_the_next_receiver() {
    let env = Env::new();
    // What a receiver killed between its 200 and the record leaves: an entry in the inbox.
    let inbox = env.store().join("inbox");
    std::fs::create_dir_all(&inbox).unwrap();
    let id = "01JDQ0000000000000000000AA";
    let entry = json!({"id": id, "received_at": "2026-11-22T14:04:00Z", "payload": payload(FIRING, "127.0.0.1:1")});
    std::fs::write(inbox.join(format!("{id}.json")), entry.to_string()).unwrap();
    let port = free_port();
    let mut receiver = env.std_cmd();
    receiver.args(["receive", "--listen", &format!("127.0.0.1:{port}")]);
    let _receiver =
        Daemon(receiver.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap());
    wait_until("the queued alert's incident", std::time::Duration::from_secs(30), || {
        kinds(&env).iter().any(|k| k.ends_with(":alert.received")) && !inbox.join(format!("{id}.json")).exists()
    });
}
