//! The older runbooks against local targets: real files and folders, a loopback HTTP server, a
//! real nginx whose config is changed under it, a real Prometheus scraping a loopback exporter,
//! and, for what cannot be made here, documented stand-ins (a meminfo file written by the test
//! instead of the machine's /proc/meminfo, a kernel log file instead of the journal, the kubectl
//! stand-in). Each runbook is run healthy and broken the ways its hypotheses name, and the test
//! asserts the checks' states and the hypotheses suggested.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::{check, check_of, check_with, hypotheses, status};
use crate::harness::daemons::{Nginx, Prometheus, free_port};
use crate::harness::{Env, Reply, Server};

/// Sets a file's modification time to `when` (as `touch -d` reads it: "3 days ago", "@1700000000").
fn touch(path: &Path, when: &str) {
    crate::harness::daemons::run(Command::new("touch").args(["-d", when]).arg(path));
}

/// A line as rsyslog writes it now (RFC 3339 with microseconds), so a log check's window holds it.
fn syslog_line(text: &str) -> String {
    format!("{} worker-1 {text}\n", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6f+00:00"))
}

fn meminfo(env: &Env, available_kb: u64, swap_free_kb: u64) -> PathBuf {
    env.write(
        "meminfo",
        format!(
            "MemTotal:       16384000 kB\nMemFree:          {available_kb} kB\nMemAvailable:   {available_kb} kB\n\
             Buffers:          102400 kB\nCached:          1024000 kB\nSwapTotal:       4096000 kB\nSwapFree:        {swap_free_kb} kB\n"
        ),
    )
}

#[test]
fn oom_runbook_tells_oom_kills_from_memory_pressure_and_is_quiet_with_room() {
    let env = Env::new();
    let kernel_log = env.write("kern.log", syslog_line("kernel: [812345.678] eth0: link up, 1000Mbps"));
    let vars =
        |meminfo: &Path| [("meminfo", meminfo.display().to_string()), ("kernel_log", kernel_log.display().to_string())];
    let (code, report) = check(&env, "oom", &vars(&meminfo(&env, 8_192_000, 4_096_000)));
    assert_eq!(code, 0, "half the memory available, no swap used: {report:#}");
    assert!(hypotheses(&report).is_empty());

    let short = meminfo(&env, 819_200, 819_200); // 5% available, 80% of swap used
    let (code, report) = check(&env, "oom", &vars(&short));
    assert_eq!(code, 2, "{report:#}");
    assert_eq!((status(&report, "available"), status(&report, "swap")), ("critical", "warning"));
    assert_eq!(status(&report, "oom_kills"), "ok");
    assert_eq!(hypotheses(&report), ["memory_pressure"]);

    std::fs::write(
        &kernel_log,
        syslog_line("kernel: [812399.001] Out of memory: Killed process 4242 (java) total-vm:9123456kB, anon-rss:7340032kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:15000kB oom_score_adj:0"),
    )
    .unwrap();
    let (_, report) = check(&env, "oom", &vars(&short));
    assert_eq!(status(&report, "oom_kills"), "critical", "{report:#}");
    assert_eq!(check_of(&report, "oom_kills")["observed"]["matches"], 1);
    assert_eq!(hypotheses(&report), ["oom_killing"]);
}

#[test]
fn bad_deploy_runbook_sees_the_errors_and_the_stuck_rollout_and_is_quiet_after_a_good_one() {
    let env = Env::new();
    let kubectl = |cluster: Option<&str>| crate::library::kube::kubectl_env(cluster);
    let healthy = Server::start(|_, _| Reply::new(200, "ok"));
    let log = env.write("app.log", syslog_line("INFO checkout: order 1 paid"));
    let vars = |server: &Server| {
        [
            ("base_url", server.url()),
            ("namespace", "shop".to_string()),
            ("deployment", "checkout".to_string()),
            ("log_path", log.display().to_string()),
        ]
    };
    let (code, report) = check_with(&env, "bad-deploy", &vars(&healthy), &kubectl(Some("healthy")));
    assert_eq!(code, 0, "{report:#}");
    assert!(hypotheses(&report).is_empty());

    let failing = Server::start(|_, _| Reply::new(500, "boom"));
    std::fs::write(
        &log,
        (0..60).map(|n| syslog_line(&format!("ERROR checkout: payment failed {n}"))).collect::<String>(),
    )
    .unwrap();
    let (code, report) = check_with(&env, "bad-deploy", &vars(&failing), &kubectl(Some("crashloop")));
    assert_eq!(code, 2, "{report:#}");
    assert_eq!((status(&report, "health"), status(&report, "recent_errors")), ("critical", "critical"));
    assert_eq!(status(&report, "rollout"), "critical", "ProgressDeadlineExceeded, 1 of 3 updated: {report:#}");
    assert_eq!(hypotheses(&report), ["bad_release", "rollout_stuck"]);

    // No cluster: the rollout cannot be told, the service's own evidence still can.
    let (_, report) = check_with(&env, "bad-deploy", &vars(&failing), &kubectl(None));
    assert_eq!(
        (status(&report, "rollout"), check_of(&report, "rollout")["reason"].as_str()),
        ("unknown", Some("cannot_tell"))
    );
    assert_eq!(hypotheses(&report), ["bad_release"]);
}

#[test]
fn restore_runbook_reads_the_backup_folder_for_recency_emptiness_and_room() {
    let env = Env::new();
    let (backups, scratch) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let dump = backups.path().join("orders-2026-11-24.dump");
    std::fs::write(&dump, "PGDMP").unwrap();
    let vars = |backup_dir: &Path, max_used: u32| {
        [
            ("backup_dir", backup_dir.display().to_string()),
            ("restore_dir", scratch.path().display().to_string()),
            ("max_restore_used_percent", max_used.to_string()),
        ]
    };
    let (code, report) = check(&env, "restore-from-backup", &vars(backups.path(), 100));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(check_of(&report, "backup_listing")["observed"]["extract"]["times"].as_array().unwrap().len(), 1);
    assert_eq!(hypotheses(&report), ["restorable"]);

    touch(&dump, "3 days ago");
    let (code, report) = check(&env, "restore-from-backup", &vars(backups.path(), 100));
    assert_eq!(code, 2, "{report:#}");
    assert_eq!((status(&report, "latest_backup"), status(&report, "backup_listing")), ("critical", "ok"));
    assert_eq!(hypotheses(&report), ["no_recent_backup"]);

    let empty = tempfile::tempdir().unwrap();
    let (_, report) = check(&env, "restore-from-backup", &vars(empty.path(), 100));
    assert_eq!(hypotheses(&report), ["no_backup_at_all"], "{report:#}");

    // A folder that is not there says nothing about backups: unknown, not "no backup".
    let (_, report) = check(&env, "restore-from-backup", &vars(&backups.path().join("gone"), 100));
    assert_eq!(check_of(&report, "latest_backup")["reason"], "cannot_tell", "{report:#}");
    assert!(hypotheses(&report).is_empty(), "{report:#}");

    touch(&dump, "now");
    let (_, report) = check(&env, "restore-from-backup", &vars(backups.path(), 0));
    assert_eq!(status(&report, "restore_space"), "critical");
    assert_eq!(hypotheses(&report), ["no_room"]);
}

#[test]
fn config_runbook_catches_a_real_nginx_serving_its_old_config_and_an_invalid_new_one() {
    let Some(nginx) = Nginx::serving("v1", "config_runbook_catches_a_real_nginx_serving_its_old_config") else {
        return;
    };
    crate::harness::daemons::wait_until("nginx's pid file", || nginx.pid_file().exists());
    let env = Env::new();
    let vars = |expected: &str| {
        [
            ("config_file", nginx.config_file().display().to_string()),
            ("pid_file", nginx.pid_file().display().to_string()),
            ("url", format!("{}/", nginx.url())),
            ("expected_text", expected.to_string()),
            ("test_command", nginx.test_command()),
        ]
    };
    // As started: the config is older than the process, and it serves what the config says.
    touch(&nginx.config_file(), "1 minute ago");
    let (code, report) = check(&env, "config-not-reloaded", &vars("v1"));
    assert_eq!(code, 0, "{report:#}");

    // Someone changes the config to answer v2 and does not reload.
    nginx.write_config(&nginx.config_serving("v2"));
    touch(&nginx.config_file(), "1 minute");
    let (code, report) = check(&env, "config-not-reloaded", &vars("v2"));
    assert_eq!(code, 2, "{report:#}");
    assert_eq!((status(&report, "config_newer"), status(&report, "serves_new")), ("critical", "critical"));
    assert_eq!(status(&report, "config_valid"), "ok", "nginx -t passes: {report:#}");
    assert_eq!(hypotheses(&report), ["not_reloaded"]);

    nginx.write_config("http { server { listen 127.0.0.1:1;");
    let (_, report) = check(&env, "config-not-reloaded", &vars("v2"));
    assert_eq!(status(&report, "config_valid"), "critical", "{report:#}");
    assert_eq!(hypotheses(&report), ["invalid_config"]);
}

#[test]
fn credentials_runbook_tells_a_credential_not_read_again_from_a_rotation_that_missed_the_host() {
    let api = Server::start(|request, _| {
        if request.header("authorization") == Some("Bearer s3cret-new") {
            Reply::new(200, "{}")
        } else {
            Reply::new(401, "{\"error\": \"invalid_token\"}")
        }
    });
    let env = Env::new();
    let secret_file = env.write("credentials", "token=s3cret-new\n");
    let run = |token: &str, file: &Path| {
        let vars = [("api_url", api.url()), ("secret_file", file.display().to_string())];
        check_with(&env, "expired-credentials", &vars, &[("API_TOKEN", token.to_string())])
    };
    let (code, report) = run("s3cret-new", &secret_file);
    assert_eq!(code, 0, "{report:#}");

    // The file was renewed, the service still sends the old token.
    let (code, report) = run("s3cret-old", &secret_file);
    assert_eq!(code, 2, "{report:#}");
    assert_eq!(check_of(&report, "auth_call")["observed"]["status"], 401);
    assert_eq!(hypotheses(&report), ["credential_rejected"]);
    assert!(!report.to_string().contains("s3cret-old"), "the token is masked: {report:#}");

    touch(&secret_file, "100 days ago");
    let (_, report) = run("s3cret-old", &secret_file);
    assert_eq!(status(&report, "secret_file_age"), "warning", "{report:#}");
    assert_eq!(hypotheses(&report), ["rotation_missed"]);

    let (_, report) = run("s3cret-old", &env.path().join("no-such-file"));
    assert_eq!(check_of(&report, "secret_file_age")["reason"], "cannot_tell", "{report:#}");
    assert!(hypotheses(&report).is_empty(), "which of the two cannot be told: {report:#}");
}

/// Callers' retry counters as a client library exposes them: `calm` flat, `storm` climbing by
/// 1000 a scrape, a second apart. (`rate(...[1m])` over the test's few seconds of samples divides
/// by the whole minute, so it reads tens a second, well past the runbook's critical 10.)
fn client_metrics(scrape: usize) -> String {
    format!(
        "# TYPE client_retries_total counter\nclient_retries_total{{client=\"calm\"}} 3\nclient_retries_total{{client=\"storm\"}} {}\n",
        scrape * 1000
    )
}

#[test]
fn retry_storm_runbook_sees_a_slow_dependency_and_the_retries_it_causes() {
    let clients = Server::start(|_, scrape| Reply::new(200, &client_metrics(scrape)));
    let Some(prometheus) = Prometheus::start(Some(clients.port), "retry_storm_runbook_sees_a_slow_dependency") else {
        return;
    };
    prometheus.wait_for(r#"count_over_time(client_retries_total{client="storm"}[1m]) >= 3"#);
    let env = Env::new();
    let vars = |url: String, client: &str| {
        [
            ("dependency_url", url),
            ("prom_url", prometheus.url.clone()),
            ("retry_metric", format!("sum(rate(client_retries_total{{client=\"{client}\"}}[1m]))")),
        ]
    };
    let fast = Server::start(|_, _| Reply::new(200, "ok"));
    let (code, report) = check(&env, "retry-storm", &vars(fast.url(), "calm"));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(check_of(&report, "dependency_port")["target"], format!("127.0.0.1:{}", fast.port), "one address");

    let slow = Server::start(|_, _| Reply::new(200, "ok").after(Duration::from_millis(700)));
    let (code, report) = check(&env, "retry-storm", &vars(slow.url(), "storm"));
    assert_eq!(code, 2, "{report:#}");
    assert_eq!((status(&report, "dependency_latency"), status(&report, "dependency_port")), ("critical", "ok"));
    assert_eq!(status(&report, "retry_rate"), "critical", "tens of retries a second: {report:#}");
    assert_eq!(hypotheses(&report), ["slow_dependency", "retry_storm"]);

    let (_, report) = check(&env, "retry-storm", &vars(format!("http://127.0.0.1:{}/", free_port()), "calm"));
    assert_eq!(status(&report, "dependency_port"), "critical", "{report:#}");
    assert_eq!(hypotheses(&report), ["dependency_down"]);
}
