//! `include:`: shared checks and variables from another file in the runbook's folder, merged
//! before the runbook is checked; every way an include can be wrong is a lint error at its
//! file, line and column.
#![allow(clippy::unwrap_used)]

use crate::extract::check_json;
use crate::harness::{Env, Reply, Server};

const SHARED: &str = r#"description: a shared health check
vars:
  base_url: {default: "http://127.0.0.1:1"}
  health_path: {default: /healthz}
observe:
  - id: health
    title: the health endpoint answers
    http: {url: "{{ vars.base_url }}{{ vars.health_path }}"}
"#;

/// `runbook lint FILE`: its exit code and what it printed.
fn lint(env: &Env, file: &str) -> (i32, String) {
    let out = env.run(&["runbook", "lint", file]);
    (out.status.code().unwrap(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn an_included_check_runs_with_the_runbooks_own_default_and_show_names_its_file() {
    let service = Server::start(|request, _| Reply::new(if request.path == "/ready" { 200 } else { 404 }, "ok"));
    let env = Env::new();
    env.write("runbooks/common/health.yaml", SHARED);
    env.write(
        "runbooks/svc.yaml",
        format!(
            "title: svc\ninclude: [common/health.yaml]\nvars:\n  health_path: {{default: /ready}}\n  base_url: {{default: \"{}\"}}\norient:\n  hypotheses:\n    - id: down\n      title: down\n      when: \"checks.health.status != 'ok'\"\n",
            service.url()
        ),
    );
    let report = check_json(&env, "svc", &[]);
    assert_eq!(report["checks"][0]["check"], "health", "{report:#}");
    assert_eq!(report["checks"][0]["status"], "ok", "the runbook's health_path (/ready) wins: {report:#}");
    assert_eq!(service.requests()[0].path, "/ready");

    let shown = env.ok(&["runbook", "show", "svc"]);
    assert!(shown.contains("the health endpoint answers (from common/health.yaml)"), "{shown}");
    let shown: serde_json::Value = serde_json::from_str(&env.ok(&["runbook", "show", "svc", "--json"])).unwrap();
    assert_eq!(shown["checks"][0]["included_from"], "common/health.yaml", "{shown:#}");
    let listed = env.ok(&["runbook", "list"]);
    assert!(!listed.contains("health "), "a shared block is not a runbook: {listed}");
}

#[test]
fn an_absolute_include_or_one_leading_out_of_the_folder_is_refused_where_it_is_written() {
    let env = Env::new();
    env.write("rb/a.yaml", "title: a\ninclude: [/etc/passwd]\n");
    let (code, text) = lint(&env, "rb/a.yaml");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("rb/a.yaml:2:11: include \"/etc/passwd\": an absolute path"), "{text}");

    env.write("rb/b.yaml", "title: b\ninclude:\n  - ../outside.yaml\n");
    env.write("outside.yaml", SHARED);
    let (code, text) = lint(&env, "rb/b.yaml");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("rb/b.yaml:3:5: include \"../outside.yaml\": `..` leads out of the runbook's folder"),
        "{text}"
    );
}

#[test]
fn a_symbolic_link_out_of_the_folder_is_refused_and_its_target_never_shown() {
    let env = Env::new();
    env.write("outside.yaml", "secret-looking: first line of a file elsewhere\n");
    env.write("rb/a.yaml", "title: a\ninclude: [link.yaml, up/outside.yaml]\n");
    std::os::unix::fs::symlink(env.path().join("outside.yaml"), env.path().join("rb/link.yaml")).expect("link");
    std::os::unix::fs::symlink(env.path(), env.path().join("rb/up")).expect("link");
    let (code, text) = lint(&env, "rb/a.yaml");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("rb/a.yaml:2:11: include \"link.yaml\": a symbolic link leads out"), "{text}");
    assert!(text.contains("rb/a.yaml:2:22: include \"up/outside.yaml\": a symbolic link leads out"), "{text}");
    assert!(!text.contains("first line of a file elsewhere"), "the outside file was read: {text}");
}

#[test]
fn an_include_cycle_is_refused_at_the_include_that_closes_it() {
    let env = Env::new();
    env.write("rb/a.yaml", "title: a\ninclude: [common/b.yaml]\n");
    env.write("rb/common/b.yaml", "include: [c.yaml]\n");
    env.write("rb/common/c.yaml", "include: [../a.yaml]\n");
    let (code, text) = lint(&env, "rb/a.yaml");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("rb/common/c.yaml:1:11: include cycle: a.yaml → common/b.yaml → common/c.yaml → a.yaml"),
        "{text}"
    );
}

#[test]
fn a_check_id_defined_in_two_files_is_refused_naming_both_places() {
    let env = Env::new();
    env.write("rb/common/health.yaml", SHARED);
    env.write(
        "rb/a.yaml",
        "title: a\ninclude: [common/health.yaml]\nobserve:\n  - id: health\n    tcp: {host: 127.0.0.1, port: 1}\n",
    );
    let (code, text) = lint(&env, "rb/a.yaml");
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("rb/common/health.yaml:6:9: check `health` is defined twice: here and at rb/a.yaml:4:9"),
        "{text}"
    );
}

#[test]
fn a_problem_inside_an_included_file_is_reported_at_that_files_line() {
    let env = Env::new();
    env.write(
        "rb/common/bad.yaml",
        "observe:\n  - id: h\n    http: {url: \"{{ vars.base_ulr }}\"}\n  - id: bad id\n    tcp: {host: h, port: 1}\n",
    );
    env.write("rb/a.yaml", "title: a\ninclude: [common/bad.yaml, common/missing.yaml]\nvars:\n  base_url: {}\n");
    let (code, text) = lint(&env, "rb/a.yaml");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("rb/a.yaml:2:28: include \"common/missing.yaml\": no such file"), "{text}");
    assert!(
        text.contains("rb/common/bad.yaml:3:17: unknown variable `vars.base_ulr`; did you mean `vars.base_url`?"),
        "{text}"
    );
    assert!(text.contains(r#"rb/common/bad.yaml:4:9: check id "bad id": use letters"#), "{text}");
}

/// The shipped http-5xx takes its health check from the shipped block, read from inside the
/// binary, not from any folder on the machine.
#[test]
fn the_shipped_http_5xx_takes_health_from_the_shipped_block() {
    let env = Env::new();
    let shown = env.ok(&["runbook", "show", "http-5xx"]);
    assert!(shown.contains("(from common/http-health.yaml)"), "{shown}");
    assert!(shown.contains("health_path"), "the block's variables come with it: {shown}");
}
