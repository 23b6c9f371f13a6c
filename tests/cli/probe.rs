//! `incident probe ...`: one ad-hoc check, the same engine and record as `incident check`.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;

use crate::harness::daemons::Prometheus;
use crate::harness::snapshot::snapshot;
use crate::harness::{Env, Reply, Server, text};
use predicates::prelude::*;

#[test]
fn http_probe_reports_the_status_seen_beside_the_status_wanted() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(503, "unavailable"));
    let out = env.run(&["probe", "http", &format!("{}/healthz", server.url()), "--status", "200", "--no-record"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot!(&env, text(&out.stdout), @r#"CRITICAL http GET http://127.0.0.1:[PORT]/healthz: status (503) == 200 [http_status]"#);
}

#[test]
fn http_probe_checks_body_and_latency_expectations() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, r#"{"status":"degraded"}"#));
    let out = env.run(&["probe", "http", &server.url(), "--contains", "\"ok\"", "--latency", "< 5s", "--no-record"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot!(&env, text(&out.stdout), @r#"CRITICAL http GET http://127.0.0.1:[PORT]: body ({"status":"degraded"}) contains "\"ok\"" [assertion]"#);
}

#[test]
fn http_probe_follows_redirects_unless_told_not_to() {
    let env = Env::new();
    let server = Server::start(|request, _| {
        if request.path == "/old" { Reply::new(302, "").header("Location", "/new") } else { Reply::new(200, "here") }
    });
    let url = format!("{}/old", server.url());
    env.cmd().args(["probe", "http", &url, "--no-record"]).assert().code(0);
    env.cmd().args(["probe", "http", &url, "--no-follow", "--no-record"]).assert().code(2);
}

#[test]
fn https_is_verified_by_default_and_not_with_insecure() {
    let env = Env::new();
    let port = crate::harness::net::tls_server(30);
    // The TLS test server answers no HTTP, so with -k the request fails after the handshake,
    // not in it: the reason tells which.
    env.cmd()
        .args(["probe", "http", &format!("https://localhost:{port}/"), "--no-record", "--json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(r#""reason": "tls_handshake""#));
    env.cmd()
        .args(["probe", "http", &format!("https://localhost:{port}/"), "-k", "--no-record", "--json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("tls_handshake").not());
}

#[test]
fn tcp_probe_to_a_closed_port_is_critical_connect_refused() {
    let env = Env::new();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = env.run(&["probe", "tcp", &format!("127.0.0.1:{port}"), "--no-record"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot!(&env, text(&out.stdout), @r#"CRITICAL tcp 127.0.0.1:[PORT]: 127.0.0.1:[PORT]: Connection refused (os error 111) [connect_refused]"#);
    let out = env.run(&["probe", "tcp", "no-port-here", "--no-record"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot!(&env, text(&out.stderr), @r#"
        error (usage): "no-port-here": expected HOST:PORT
        hint: for example 127.0.0.1:5432 or [::1]:443
        "#);
}

#[test]
fn tls_probe_reads_expiry_and_subject_of_a_self_signed_certificate() {
    let env = Env::new();
    let port = crate::harness::net::tls_server(60);
    env.cmd()
        .args(["probe", "tls", &format!("localhost:{port}"), "-k", "--no-record", "--json"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(r#""subject": "CN=incident test""#))
        .stdout(predicate::str::contains(r#""verified": false"#));
    env.cmd()
        .args(["probe", "tls", &format!("localhost:{port}"), "-k", "--min-valid", "90d", "--no-record"])
        .assert()
        .code(1)
        .stdout(predicate::str::is_match(r"leaf_expires_in \((59d 23h|60d 0h)\) > 90d").unwrap());
    // Without -k the self-signed chain does not verify: critical, whatever the expiry.
    env.cmd()
        .args(["probe", "tls", &format!("localhost:{port}"), "--no-record"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("[tls_untrusted]"));
}

#[test]
fn command_probe_runs_argv_without_a_shell_and_judges_the_exit_code() {
    let env = Env::new();
    env.cmd().args(["probe", "cmd", "--no-record", "--", "echo", "$(id)"]).assert().code(0);
    let out = env.run(&["probe", "cmd", "--no-record", "--", "sh", "-c", "exit 3"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot!(&env, text(&out.stdout), @r#"CRITICAL command sh -c 'exit 3': exit_code (3) == 0 [exit_code]"#);
    let out = env.run(&["probe", "cmd", "--no-record", "--", "no-such-program-here"]);
    assert_eq!(out.status.code(), Some(3));
    snapshot!(&env, text(&out.stdout), @r#"UNKNOWN command no-such-program-here: no-such-program-here: command not found [spawn_error]"#);
}

#[test]
fn retries_are_recorded_attempt_by_attempt() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(500, "no"));
    env.cmd()
        .args(["probe", "http", &server.url(), "--retries", "2", "--no-record", "--json"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains(r#""n": 3"#));
    assert_eq!(server.hits(), 3);
}

#[test]
fn a_probe_in_an_incident_records_one_check_result() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    env.open_incident();
    env.cmd().args(["probe", "http", &server.url()]).assert().code(0);
    let timeline = env.timeline();
    assert_eq!(timeline.matches(r#""kind":"check.result""#).count(), 1, "{timeline}");
    snapshot!(&env, env.ok(&["timeline", "--kind", "check"]), @r#"
         Time (UTC)            T+          Phase     Author   What
        ───────────────────── ─────────── ───────── ──────── ─[…]
         2026-11-22 14:05:00   +00:00:00   observe   ana      Check http OK: status 200 in [DURATION]
        "#);
}

#[test]
fn dns_probe_answers_from_the_system_resolver() {
    let env = Env::new();
    env.cmd().args(["probe", "dns", "localhost", "--expect", "127.0.0.1", "--no-record"]).assert().code(0);
    env.cmd()
        .args(["probe", "dns", "localhost", "--expect", "10.9.9.9", "--no-record"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("answers ([127.0.0.1]) contain 10.9.9.9"));
}

#[test]
fn prometheus_probe_grades_a_real_query_result_with_thresholds() {
    let Some(prometheus) = Prometheus::start(None, "prometheus_probe_grades_a_real_query_result_with_thresholds")
    else {
        return;
    };
    let env = Env::new();
    env.cmd()
        .args(["probe", "prometheus", &prometheus.url, "vector(0.03)", "--warning", "> 0.01", "--critical", "> 0.05"])
        .args(["--no-record"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("value 0.03 > 0.01 (warning)"));
    env.cmd()
        .args(["probe", "prometheus", &prometheus.url, "scalar(vector(2))", "--critical", "> 1", "--no-record"])
        .assert()
        .code(2);
    env.cmd()
        .args(["probe", "prometheus", &prometheus.url, "vector(0)", "--critical", "> 1", "--no-record"])
        .assert()
        .code(0);
    env.cmd()
        .args(["probe", "prometheus", &prometheus.url, "sum(rate(", "--no-record"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("[query_error]"));
    // The shipped runbook's Prometheus check, against the same server: no such series is no data.
    env.cmd()
        .args(["check", "http-5xx", "--only", "error_ratio", "--no-record", "--json"])
        .env("PROM_URL", &prometheus.url)
        .assert()
        .code(3)
        .stdout(predicate::str::contains(r#""reason": "no_data""#));
}

#[test]
fn a_long_response_body_is_kept_whole_as_an_artifact_beside_the_record() {
    let env = Env::new();
    let body = format!("{}END", "x".repeat(10_000));
    let server = Server::start(move |_, _| Reply::new(200, &body));
    env.open_incident();
    env.cmd().args(["probe", "http", &server.url()]).assert().code(0);
    let timeline = env.timeline();
    let line = timeline.lines().find(|l| l.contains("check.result")).unwrap();
    let event: serde_json::Value = serde_json::from_str(line).unwrap();
    let path = event["artifact"]["path"].as_str().unwrap();
    assert!(event["observed"]["body"].as_str().unwrap().len() < 3000, "the record keeps only the start");
    let dir = std::fs::read_dir(env.store()).unwrap().flatten().find(|e| e.path().is_dir()).unwrap().path();
    let whole = std::fs::read_to_string(dir.join(path)).unwrap();
    assert!(whole.ends_with("END") && whole.len() == 10_003);
}

#[test]
fn dns_probe_asks_the_given_nameserver_and_reports_nxdomain() {
    let env = Env::new();
    let port = crate::harness::net::dns_server();
    let server = format!("127.0.0.1:{port}");
    env.cmd()
        .args(["probe", "dns", "app.test", "--server", &server, "--expect", "10.1.2.3", "--no-record", "--json"])
        .assert()
        .code(0)
        .stdout(predicate::str::contains(r#""10.1.2.3""#));
    env.cmd()
        .args(["probe", "dns", "missing.test", "--server", &server, "--no-record"])
        .assert()
        .code(2)
        .stdout(predicate::str::contains("rcode (NXDOMAIN) == NOERROR"));
}

#[test]
fn a_password_given_as_a_flag_is_masked_in_the_recorded_target() {
    let env = Env::new();
    env.open_incident();
    env.cmd().args(["probe", "cmd", "--", "echo", "--password", "pw-value-123"]).assert().code(0);
    let timeline = env.timeline();
    assert!(timeline.contains("check.result") && !timeline.contains("pw-value-123"), "{timeline}");
}

#[test]
fn a_mute_nameserver_is_reported_as_a_timeout_not_a_generic_dns_error() {
    let env = Env::new();
    // Bound but never read: queries go unanswered.
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = socket.local_addr().unwrap().to_string();
    let output = env
        .cmd()
        .args(["probe", "dns", "app.test", "--server", &server, "--timeout", "300ms", "--no-record", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(r#""reason": "timeout""#), "{stdout}");
    drop(socket);
}
