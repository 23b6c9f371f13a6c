//! The shipped library against the real thing: each runbook run by `incident check` against a
//! daemon from Debian's packages started on loopback (harness/daemons.rs), healthy first, then
//! broken the way its alerts describe. What each asserts is what a responder reads: the check
//! that went bad, the value seen, and the hypothesis suggested.
#![allow(clippy::unwrap_used)]

mod certs;
mod kube;
mod local_targets;
mod postgres;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::harness::daemons::{Etcd, Nginx, Redis, free_port};
use crate::harness::{Env, Reply, Server};

/// `incident check RUNBOOK --json --no-record --var ...` at the real current time (the daemons
/// log at the real time, so a log check's window must end now), and its parsed report.
fn check(env: &Env, runbook: &str, vars: &[(&str, String)]) -> (i32, Value) {
    check_with(env, runbook, vars, &[])
}

/// The same with extra environment variables for the commands the checks run.
fn check_with(env: &Env, runbook: &str, vars: &[(&str, String)], envs: &[(&str, String)]) -> (i32, Value) {
    let now = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap();
    let mut cmd = env.cmd_at(&now);
    cmd.envs(envs.iter().map(|(k, v)| (k, v)));
    cmd.args(["check", runbook, "--json", "--no-record"]);
    for (name, value) in vars {
        cmd.args(["--var", &format!("{name}={value}")]);
    }
    let out = cmd.output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
    });
    (out.status.code().unwrap(), report)
}

fn check_of<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == id)
        .unwrap_or_else(|| panic!("no check {id}: {report:#}"))
}

fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    check_of(report, id)["status"].as_str().unwrap()
}

fn hypotheses(report: &Value) -> Vec<String> {
    report["hypotheses"].as_array().unwrap().iter().map(|h| h["id"].as_str().unwrap().to_string()).collect()
}

/// One request through the proxy, so that its error log has the line a real client caused.
fn get(url: &str) {
    let _ = Command::new("curl").args(["-s", "-o", "/dev/null", "-m", "5", url]).status();
}

#[test]
fn proxy_runbook_tells_a_502_from_a_refusing_upstream() {
    let upstream = free_port(); // nothing listens: nginx's connect() is refused
    let Some(nginx) = Nginx::start(upstream, "proxy_runbook_tells_a_502_from_a_refusing_upstream") else { return };
    get(&nginx.url());
    let env = Env::new();
    let (code, report) = check(
        &env,
        "proxy-upstream-errors",
        &[
            ("proxy_url", nginx.url()),
            ("upstream_url", format!("http://127.0.0.1:{upstream}")),
            ("error_log", nginx.error_log.display().to_string()),
        ],
    );
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(check_of(&report, "through_proxy")["observed"]["status"], 502, "{report:#}");
    assert_eq!(check_of(&report, "upstream")["reason"], "connect_refused");
    assert_eq!(status(&report, "refused_in_log"), "warning", "nginx logged the refusal: {report:#}");
    assert_eq!(status(&report, "timeouts_in_log"), "ok");
    assert_eq!(hypotheses(&report), ["upstream_down"]);
}

#[test]
fn proxy_runbook_tells_a_504_from_a_slow_upstream() {
    // The upstream answers, but after nginx's one-second proxy_read_timeout.
    let slow = Server::start(|_, _| Reply::new(200, "ok").after(Duration::from_millis(2500)));
    let Some(nginx) = Nginx::start(slow.port, "proxy_runbook_tells_a_504_from_a_slow_upstream") else { return };
    get(&nginx.url());
    let env = Env::new();
    let (code, report) = check(
        &env,
        "proxy-upstream-errors",
        &[
            ("proxy_url", nginx.url()),
            ("upstream_url", slow.url()),
            ("error_log", nginx.error_log.display().to_string()),
        ],
    );
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(check_of(&report, "through_proxy")["observed"]["status"], 504, "{report:#}");
    assert_eq!(check_of(&report, "upstream")["reason"], "latency", "{report:#}");
    assert_eq!(status(&report, "timeouts_in_log"), "warning", "nginx logged the timeout: {report:#}");
    assert_eq!(hypotheses(&report), ["upstream_slow"]);
}

#[test]
fn proxy_runbook_is_quiet_when_proxy_and_upstream_answer() {
    let upstream = Server::start(|_, _| Reply::new(200, "ok"));
    let Some(nginx) = Nginx::start(upstream.port, "proxy_runbook_is_quiet_when_proxy_and_upstream_answer") else {
        return;
    };
    get(&nginx.url());
    let env = Env::new();
    let vars = [
        ("proxy_url", nginx.url()),
        ("upstream_url", upstream.url()),
        ("error_log", nginx.error_log.display().to_string()),
    ];
    let (code, report) = check(&env, "proxy-upstream-errors", &vars);
    assert_eq!(code, 0, "{report:#}");
    assert!(hypotheses(&report).is_empty());
}

#[test]
fn redis_runbook_sees_a_full_evicting_server_and_not_a_fresh_one() {
    let Some(redis) = Redis::start("4mb", "redis_runbook_sees_a_full_evicting_server_and_not_a_fresh_one") else {
        return;
    };
    let env = Env::new();
    let vars = [("host", "127.0.0.1".to_string()), ("port", redis.port.to_string())];
    let (code, report) = check(&env, "redis-memory", &vars);
    assert_eq!(code, 0, "a fresh server is far from its limit: {report:#}");

    redis.fill(8000, 1000); // 8 MB into 4 MB: allkeys-lru evicts
    let (code, report) = check(&env, "redis-memory", &vars);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(status(&report, "memory"), "critical");
    let said = check_of(&report, "memory")["summary"].as_str().unwrap();
    assert!(said.starts_with("memory used ") && said.ends_with("% of maxmemory") && said.contains("% >= "), "{said}");
    assert_eq!(status(&report, "evictions"), "warning");
    assert_eq!(status(&report, "ping"), "ok");
    assert_eq!(hypotheses(&report), ["memory_full", "evicting"]);
}

#[test]
fn redis_runbook_reads_a_dead_server_as_down_not_as_full() {
    let port = free_port();
    let env = Env::new();
    let (_, report) = check(&env, "redis-memory", &[("port", port.to_string())]);
    if check_of(&report, "ping")["reason"] == "spawn_error" {
        eprintln!(
            "SKIPPED redis_runbook_reads_a_dead_server_as_down_not_as_full: no redis-cli (apt-get install redis-tools)"
        );
        return;
    }
    assert_eq!(status(&report, "ping"), "critical", "{report:#}");
    assert!(hypotheses(&report).contains(&"redis_down".to_string()), "{report:#}");
}

#[test]
fn etcd_runbook_sees_no_leader_once_two_of_three_members_die() {
    let Some(mut etcd) = Etcd::start("etcd_runbook_sees_no_leader_once_two_of_three_members_die") else { return };
    let env = Env::new();
    let (code, report) = check(&env, "etcd-no-leader", &[("endpoint", etcd.endpoint(0))]);
    assert_eq!(code, 0, "three members, one leader: {report:#}");

    etcd.members[1].kill();
    etcd.members[2].kill();
    crate::harness::daemons::wait_until("member 0 to lose its leader", || !etcd.healthy(0));
    let (code, report) = check(&env, "etcd-no-leader", &[("endpoint", etcd.endpoint(0))]);
    assert_eq!(code, 2, "{report:#}");
    assert_ne!(status(&report, "health"), "ok", "{report:#}");
    assert_eq!(status(&report, "reachable"), "ok", "the survivor still answers");
    assert_eq!(hypotheses(&report), ["no_leader"]);
}

/// What broke: `deleted_open` counted the deleted-but-open files of the whole machine, so on any
/// busy host it warned forever and kept suggesting a hypothesis the responder had refuted.
#[test]
fn disk_full_counts_deleted_open_files_only_under_the_path_given() {
    let (held, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let file = held.path().join("big.log");
    std::fs::write(&file, "x".repeat(4096)).unwrap();
    // A process that opens the file, deletes it and keeps it open, as a logger that was not told.
    let mut holder = crate::harness::daemons::Daemon::spawn(
        Command::new("sh").args(["-c", r#"exec 3< "$0"; rm "$0"; exec sleep 30"#]).arg(&file),
    );
    crate::harness::daemons::wait_until("the file deleted", || !file.exists());
    let env = Env::new();
    let at = |dir: &std::path::Path| {
        let vars = [("path", dir.display().to_string()), ("log_dir", dir.display().to_string())];
        check(&env, "disk-full", &vars).1
    };

    let report = at(held.path());
    assert_eq!(status(&report, "deleted_open"), "warning", "{report:#}");
    assert_eq!(hypotheses(&report), ["held_open"]);
    let report = at(other.path());
    assert_eq!(status(&report, "deleted_open"), "ok", "a file held open elsewhere is not this path's: {report:#}");
    assert!(hypotheses(&report).is_empty(), "{report:#}");
    holder.kill();
}

#[test]
fn disk_full_grades_the_filesystem_of_the_path_and_uses_its_log_dir() {
    let dir = tempfile::tempdir().unwrap();
    let env = Env::new();
    let vars = [
        ("path", dir.path().display().to_string()),
        ("log_dir", dir.path().display().to_string()),
        ("critical_percent", "0".to_string()),
        ("warn_percent", "0".to_string()),
    ];
    let (code, report) = check(&env, "disk-full", &vars);
    assert_eq!(code, 2, "any use is over 0%: {report:#}");
    assert_eq!(status(&report, "space"), "critical");
    assert_eq!(check_of(&report, "log_dir_size")["target"], format!("du -sxm {}", dir.path().display()), "{report:#}");
    assert!(hypotheses(&report).contains(&"disk_full".to_string()));
}

/// What broke: http-5xx asked for base_url and, separately, host and port, so the port check
/// probed 127.0.0.1:8080 while the health check probed the service; and it promised logs it
/// never read.
#[test]
fn http_5xx_probes_the_port_of_its_base_url_and_reads_the_service_log() {
    let service = Server::start(|_, _| Reply::new(200, "ok"));
    let env = Env::new();
    let now = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let log = env.write("app.log", (0..60).map(|n| format!("{now} ERROR payment failed {n}\n")).collect::<String>());
    let vars = [("base_url", format!("{}/", service.url())), ("log_path", log.display().to_string())];
    let (code, report) = check(&env, "http-5xx", &vars);
    assert_eq!(check_of(&report, "port")["target"], format!("127.0.0.1:{}", service.port), "{report:#}");
    assert_eq!(status(&report, "port"), "ok");
    assert_eq!(status(&report, "log_errors"), "critical", "{report:#}");
    assert_eq!(code, 2);
    assert_eq!(hypotheses(&report), ["app_errors"]);
}
