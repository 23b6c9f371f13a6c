//! `incident vars`: an incident's runbook variables, where each came from, and values set after
//! opening that every later check uses.
#![allow(clippy::unwrap_used)]

use serde_json::Value;

use crate::harness::{Env, Reply, Server};

fn source_of(env: &Env, name: &str) -> (Value, String) {
    let vars: Value = serde_json::from_str(&env.ok(&["vars", "--json"])).unwrap();
    let row = vars["vars"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap().clone();
    (row["value"].clone(), row["source"].as_str().unwrap().to_string())
}

#[test]
fn values_set_after_opening_are_recorded_with_their_source_and_used_by_later_checks() {
    let env = Env::new();
    let service = Server::start(|_, _| Reply::new(200, "ok"));
    env.ok(&["open", "Checkout down", "-s", "sev2", "--runbook", "http-5xx", "--var", "base_url=http://127.0.0.1:1"]);
    assert_eq!(source_of(&env, "base_url"), (Value::from("http://127.0.0.1:1"), "opened".to_string()));
    assert_eq!(source_of(&env, "health_path"), (Value::from("/healthz"), "default".to_string()));
    assert_eq!(source_of(&env, "token").0, Value::Null, "a secret's value is never shown");

    let out = env.run(&["check", "--only", "port"]);
    assert_eq!(out.status.code(), Some(2), "port 1 refuses: critical");

    env.ok(&["vars", "set", &format!("base_url={}", service.url())]);
    assert_eq!(source_of(&env, "base_url"), (Value::from(service.url()), "typed".to_string()));
    let out = env.run(&["check", "--only", "port"]);
    assert_eq!(out.status.code(), Some(0), "the check probes the value set after opening");
    let set = env.events().into_iter().find(|e| e["kind"] == "vars.set").unwrap();
    assert_eq!(set["source"], "typed");
}

#[test]
fn vars_set_refuses_undeclared_and_secret_variables_and_records_nothing() {
    let env = Env::new();
    env.ok(&["open", "Checkout down", "-s", "sev2", "--runbook", "http-5xx"]);
    let before = env.events().len();
    for setting in ["prot=8080", "token=hunter22", "no-equals-sign"] {
        let out = env.run(&["vars", "set", setting]);
        assert_eq!(out.status.code(), Some(2), "{setting}");
    }
    assert_eq!(env.events().len(), before);
}

#[test]
fn open_on_a_terminal_asks_for_the_runbooks_variables_checks_them_and_records_what_was_typed() {
    use crate::harness::Terminal;
    let env = Env::new();
    let mut cmd = env.std_cmd();
    cmd.args(["open", "Checkout down", "-s", "sev2", "--service", "checkout", "--commander", "ana"]);
    cmd.args(["--runbook", "http-5xx"]);
    let mut t = Terminal::spawn(cmd);
    t.expect("base_url: service base URL").expect("[http://127.0.0.1:8080]").send("\r");
    t.answer("health_path", "");
    // A value that would be read as an option is refused, and asked again.
    t.answer("log_path: the service's log", "-delete");
    t.expect("begins with `-`").answer("log_path: the service's log", "/var/log/checkout");
    t.answer("prom_url", "").answer("restart_with", "").answer("service:", "");
    t.expect("token is secret and never recorded: set SERVICE_TOKEN");
    t.expect("OBSERVE").send("\x03");
    t.finish();
    assert_eq!(source_of(&env, "log_path"), (Value::from("/var/log/checkout"), "typed".to_string()), "{}", t.screen);
    assert_eq!(source_of(&env, "service"), (Value::from("app"), "default".to_string()), "Enter kept the default");
}

#[test]
fn an_interrupt_after_the_title_and_severity_loses_nothing_typed() {
    use crate::harness::Terminal;
    let env = Env::new();
    let mut cmd = env.std_cmd();
    cmd.args(["open"]);
    let mut t = Terminal::spawn(cmd);
    t.answer("the incident's title", "Checkout returns 502s");
    t.expect("How bad is it?").send("\r");
    t.answer("Which services are affected?", "checkout, cart");
    // Ctrl-C at the commander question: the opening and the services are on the timeline.
    t.expect("Who is the incident commander?").send("\x03");
    t.finish();
    let show: Value = serde_json::from_str(&env.ok(&["show", "--json"])).unwrap();
    assert_eq!(show["title"], "Checkout returns 502s", "{}", t.screen);
    assert_eq!(show["severity"], "sev2");
    assert_eq!(show["services"], serde_json::json!(["checkout", "cart"]));
}

#[test]
fn escape_sequences_in_a_runbook_question_are_shown_at_the_prompt_not_obeyed() {
    use crate::harness::Terminal;
    let env = Env::new();
    // OSC 52 would write the responder's clipboard; the description reaches the prompt.
    let runbook = env.write(
        "evil.yaml",
        "title: Evil\nvars:\n  x: {default: \"1\", description: \"clip\\e]52;c;aGk=\\a end\"}\nobserve:\n  - id: t\n    tcp: {host: 127.0.0.1, port: 1}\n",
    );
    let mut cmd = env.std_cmd();
    cmd.args([
        "open",
        "Evil",
        "-s",
        "sev3",
        "--service",
        "a",
        "--commander",
        "ana",
        "--runbook",
        runbook.to_str().unwrap(),
    ]);
    let mut t = Terminal::spawn(cmd);
    t.expect("x: clip").send("\r");
    t.expect("OBSERVE").send("\x03");
    t.finish();
    assert!(!t.screen.contains("\x1b]52"), "the escape reached the terminal: {:?}", t.screen);
    assert!(t.screen.contains("\\e]52"), "shown as a visible escape: {:?}", t.screen);
}
