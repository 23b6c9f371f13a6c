//! What follows an alert's incident: the `[[notify]]` webhooks told of it with the worst results
//! of the checks run at once, and mitigation offered (never set) when the alert resolves and
//! the runbook's checks pass again.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;
use std::path::PathBuf;

use serde_json::{Value, json};

use crate::harness::{Env, Reply, Server, text};

const FIRING: &str = include_str!("../fixtures/alertmanager/firing.json");
const RESOLVED: &str = include_str!("../fixtures/alertmanager/resolved.json");

/// One tcp check against the alerting instance: it passes exactly when the instance listens.
const TCP_UP: &str = "title: the instance listens\nvars:\n  host: {default: \"127.0.0.1\"}\n  port: {default: \"1\"}\n\
observe:\n  - id: port\n    tcp: {host: \"{{ vars.host }}\", port: \"{{ vars.port }}\"}\n    timeout: 2s\n";

/// The recorded payload (a real Alertmanager 0.25's), moved to `port` on loopback.
fn payload(env: &Env, name: &str, template: &str, port: u16) -> PathBuf {
    let mut value: Value = serde_json::from_str(template).unwrap();
    let instance = format!("127.0.0.1:{port}");
    value["alerts"][0]["labels"]["instance"] = json!(instance);
    value["commonLabels"]["instance"] = json!(instance);
    value["alerts"][0]["startsAt"] = json!("2026-11-22T14:00:00Z");
    env.write(name, value.to_string())
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn kinds(env: &Env) -> Vec<String> {
    env.events().iter().map(|e| e["kind"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_webhooks_hear_of_an_incident_opened_from_an_alert_with_its_worst_check_results() {
    let env = Env::new();
    env.write("runbooks/tcp-up.yaml", TCP_UP);
    let receiver = Server::start(|_, _| Reply::new(200, ""));
    env.write(
        "incident.toml",
        "store = \"store\"\n[[notify]]\nname = \"pager\"\nkind = \"json\"\nurl_env = \"PAGER_HOOK\"\n",
    );
    let firing = payload(&env, "firing.json", FIRING, closed_port());
    let out = env
        .cmd()
        .env_remove("INCIDENT_STORE")
        .env("PAGER_HOOK", receiver.url())
        .args(["open", "--from-alert", firing.to_str().unwrap(), "--runbook", "tcp-up"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let events: Vec<Value> = receiver.requests().iter().map(|r| r.json()["event"].clone()).collect();
    let sent: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(sent, ["incident.opened", "alert.checked"], "the opening, then the evidence");
    let checked = &events[1];
    assert_eq!(checked["alert_name"], "InstanceDown");
    assert_eq!(checked["worst"], "critical");
    assert_eq!(checked["ran"], 1);
    assert_eq!(checked["worst_checks"][0]["check"], "port");
    assert_eq!(checked["worst_checks"][0]["status"], "critical");
}

#[test]
fn a_resolved_alert_whose_checks_pass_again_offers_mitigation_and_never_sets_it() {
    let env = Env::new();
    env.write("runbooks/tcp-up.yaml", TCP_UP);
    let service = Server::start(|_, _| Reply::new(200, "ok"));
    let firing = payload(&env, "firing.json", FIRING, service.port);
    env.ok(&["open", "--from-alert", firing.to_str().unwrap(), "--runbook", "tcp-up"]);
    let resolved = payload(&env, "resolved.json", RESOLVED, service.port);
    env.ok(&["open", "--from-alert", resolved.to_str().unwrap()]);
    let kinds = kinds(&env);
    let tail: Vec<&str> = kinds.iter().rev().take(3).rev().map(String::as_str).collect();
    assert_eq!(tail, ["alert.received", "check.result", "mitigation.offered"], "{kinds:?}");
    let show = env.show();
    assert_eq!(show["status"], "investigating", "an offer, never a change of status");
    let shown = env.ok(&["show"]);
    assert!(
        shown.contains("offer      Alert InstanceDown resolved and the runbook's checks pass (1 ok): mark mitigated? `incident status mitigated`"),
        "{shown}"
    );
    env.ok(&["status", "mitigated"]);
    assert!(!env.ok(&["show"]).contains("offer "), "taken up: no longer offered");
}

#[test]
fn a_resolved_alert_whose_checks_still_fail_offers_nothing() {
    let env = Env::new();
    env.write("runbooks/tcp-up.yaml", TCP_UP);
    let port = closed_port();
    env.ok(&[
        "open",
        "--from-alert",
        payload(&env, "firing.json", FIRING, port).to_str().unwrap(),
        "--runbook",
        "tcp-up",
    ]);
    env.ok(&["open", "--from-alert", payload(&env, "resolved.json", RESOLVED, port).to_str().unwrap()]);
    let kinds = kinds(&env);
    assert_eq!(kinds.iter().filter(|k| *k == "check.result").count(), 2, "checked at opening and again: {kinds:?}");
    assert!(!kinds.contains(&"mitigation.offered".to_string()), "{kinds:?}");
    assert_eq!(env.show()["mitigation_offer"], Value::Null);
}
