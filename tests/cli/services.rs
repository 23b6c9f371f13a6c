//! The service catalog (`services/*.yaml`): `open --service` and alerts take a service's runbook
//! and the values of its variables; `incident service` lists, shows and lints it.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

use crate::harness::{Env, Reply, Server};

fn var(env: &Env, name: &str) -> (Value, String) {
    let vars: Value = serde_json::from_str(&env.ok(&["vars", "--json"])).unwrap();
    let row = vars["vars"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone();
    (row["value"].clone(), row["source"].as_str().unwrap().to_string())
}

/// A catalog entry for `checkout` pointing at a live server on loopback.
fn checkout(env: &Env, server: &Server) -> String {
    let base = server.url().trim_end_matches('/').to_string();
    env.write(
        "services/checkout.yaml",
        format!(
            "description: the shop's checkout\nowners: [payments, \"@ana\"]\nrunbooks: [http-5xx, bad-deploy]\n\
             vars:\n  base_url: {base}\n  health_path: /ready\n  namespace: shop\n\
             prometheus: http://127.0.0.1:1\nlogs: [/var/log/checkout.log, \"journal:checkout.service\"]\n"
        ),
    );
    base
}

#[test]
fn open_with_a_catalog_service_picks_its_runbook_and_its_values_reach_the_checks() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    let base = checkout(&env, &server);
    env.ok(&["open", "Checkout down", "-s", "sev2", "--service", "checkout", "--no-walk"]);
    assert_eq!(env.show()["runbook"], "http-5xx", "the service's first runbook");
    assert_eq!(var(&env, "base_url"), (Value::from(base.as_str()), "service".to_string()));
    assert_eq!(var(&env, "health_path"), (Value::from("/ready"), "service".to_string()));
    assert_eq!(var(&env, "prom_url"), (Value::from("http://127.0.0.1:1"), "service".to_string()));
    assert_eq!(var(&env, "service"), (Value::from("app"), "default".to_string()));
    let out = env.run(&["check", "--only", "port", "--only", "health"]);
    assert_eq!(out.status.code(), Some(0), "the checks probe the service's own address");
    assert!(server.requests().iter().any(|r| r.path == "/ready"), "the health path came from the catalog");
}

#[test]
fn flags_win_over_the_catalog_and_unknown_service_names_stay_free_text() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    checkout(&env, &server);
    env.ok(&[
        "open",
        "Checkout down",
        "-s",
        "sev2",
        "--service",
        "checkout",
        "--var",
        "base_url=http://127.0.0.1:1",
        "--no-walk",
    ]);
    assert_eq!(var(&env, "base_url"), (Value::from("http://127.0.0.1:1"), "opened".to_string()));
    env.ok(&["open", "Cart down", "-s", "sev2", "--service", "cart", "--no-walk"]);
    assert_eq!(env.show()["runbook"], Value::Null, "cart is not in the catalog: no runbook is guessed");
    env.ok(&["open", "Bad deploy", "-s", "sev2", "--service", "checkout", "--runbook", "bad-deploy", "--no-walk"]);
    assert_eq!(env.show()["runbook"], "bad-deploy");
    assert_eq!(var(&env, "namespace"), (Value::from("shop"), "service".to_string()));
}

#[test]
fn an_alert_whose_service_label_names_a_catalog_service_takes_its_runbook_and_values() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    let base = checkout(&env, &server);
    let alert = r#"{"status": "firing", "startsAt": "2026-11-22T14:00:00Z",
        "labels": {"alertname": "CheckoutSlow", "service": "checkout", "severity": "warning"},
        "annotations": {"summary": "p99 above 2s"}}"#;
    env.write("alert.json", alert);
    env.ok(&["open", "--from-alert", "alert.json"]);
    let show = env.show();
    assert_eq!(show["runbook"], "http-5xx", "no runbook matches CheckoutSlow: the service's first");
    assert_eq!(show["services"][0], "checkout");
    assert_eq!(var(&env, "base_url"), (Value::from(base.as_str()), "service".to_string()));
    let port_check = env.events().into_iter().find(|e| e["kind"] == "check.result" && e["check"] == "port");
    assert_eq!(port_check.map(|e| e["status"].clone()), Some(Value::from("ok")), "checked at the catalog's port");
}

#[test]
fn service_list_and_show_read_the_catalog() {
    let env = Env::new();
    let server = Server::start(|_, _| Reply::new(200, "ok"));
    checkout(&env, &server);
    let list: Value = serde_json::from_str(&env.ok(&["service", "list", "--json"])).unwrap();
    assert_eq!(list[0]["name"], "checkout");
    assert_eq!(list[0]["owners"], serde_json::json!(["payments", "@ana"]));
    assert_eq!(list[0]["runbooks"], serde_json::json!(["http-5xx", "bad-deploy"]));
    let show: Value = serde_json::from_str(&env.ok(&["service", "show", "checkout", "--json"])).unwrap();
    assert_eq!(show["vars"]["namespace"], "shop");
    assert_eq!(show["logs"][1], "journal:checkout.service");
    let text = env.ok(&["service", "show", "checkout"]);
    assert!(text.contains("Owners: payments, @ana\nRunbooks: http-5xx, bad-deploy\n"), "{text}");
    let err = env.fails(&["service", "show", "cart"]);
    assert!(err.contains("no service named \"cart\""), "{err}");
}

#[test]
fn service_lint_places_unknown_runbooks_variables_and_refused_values_at_file_line_col() {
    let env = Env::new();
    env.write("runbooks/typed.yaml", "title: typed\nvars:\n  port: {type: port}\n  key: {secret: true, from_env: K}\n");
    env.write("services/a.yaml", "runbooks: [typed]\nvars:\n  port: 99999\n  portt: 1\n  key: x\n");
    env.write("services/b.yaml", "runbooks: [htp-5xx]\nmatch:\n  - matchers: ['job~x']\n");
    let out = env.run(&["service", "lint"]);
    assert_eq!(out.status.code(), Some(1));
    let problems: Vec<String> =
        crate::harness::text(&out.stdout).lines().filter(|l| l.starts_with("services/")).map(str::to_string).collect();
    assert_eq!(
        problems,
        [
            "services/a.yaml:3:9: variable `port` (runbook typed): \"99999\" is not a port (1-65535)",
            "services/a.yaml:4:10: unknown variable `portt`; did you mean `port`?",
            "services/a.yaml:5:8: variable `key` is secret in runbook typed: it comes from its environment variable, never from the catalog",
            "services/b.yaml:1:12: unknown runbook `htp-5xx`; did you mean `http-5xx`?",
            "services/b.yaml:3:16: match: matcher \"job~x\": write label=\"value\" (or !=, =~, !~)",
        ]
    );
    env.write("services/a.yaml", "runbooks: [typed]\nvars:\n  port: 8080\n");
    std::fs::remove_file(env.path().join("services/b.yaml")).unwrap();
    let out = env.run(&["service", "lint"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::harness::text(&out.stdout));
}

#[test]
fn on_a_terminal_the_runbook_menu_offers_the_services_runbooks_first_with_its_values() {
    use crate::harness::Terminal;
    let env = Env::new();
    env.write("services/checkout.yaml", "runbooks: [bad-deploy, http-5xx]\nvars:\n  namespace: shop\n");
    let mut cmd = env.std_cmd();
    cmd.args(["open", "Checkout down", "-s", "sev2", "--commander", "ana"]);
    let mut t = Terminal::spawn(cmd);
    t.answer("Which services are affected?", "checkout");
    // Enter takes the first item: the catalog's first runbook for the service.
    t.expect("Which runbook fits?").expect("bad-deploy: ").send("\r");
    t.answer("base_url", "").answer("deployment", "checkout").answer("log_path", "");
    // The catalog's value is the one Enter keeps; the interrupt after it loses nothing given.
    t.expect("[shop]").send("\x03");
    t.finish();
    assert_eq!(env.show()["runbook"], "bad-deploy", "{}", t.screen);
    assert_eq!(var(&env, "namespace"), (Value::from("shop"), "service".to_string()));
}
