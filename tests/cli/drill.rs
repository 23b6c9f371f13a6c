//! Drills: a simulated failure on loopback, walked by a scripted responder or by a person.

use crate::common::{Env, Terminal, text};

fn auto(scenario: &str) -> (Env, String) {
    let env = Env::new();
    let out = env.run(&["drill", scenario, "--auto"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    (env, text(&out.stdout))
}

#[test]
fn an_auto_drill_walks_a_bad_deploy_to_a_rollback_and_writes_the_post_mortem() {
    let (env, markdown) = auto("bad-deploy");
    assert!(markdown.starts_with("# Post-mortem: Checkout returns 502s"), "{markdown}");
    assert!(markdown.contains("| Drill | yes: a practice incident |"));
    assert!(markdown.contains("| Runbook | drill-bad-deploy |"));
    assert!(markdown.contains("### H1: The database is down (refuted)"), "{markdown}");
    assert!(markdown.contains("### H2: The latest release broke checkout (confirmed)"), "{markdown}");

    let show = env.show();
    assert_eq!(show["drill"], true);
    assert_eq!(show["status"], "resolved");
    let events = env.events();
    // The runbook's checks saw the service fail, and pass again after the rollback.
    let health: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "check.result" && e["check"] == "health")
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!(health.first(), Some(&"critical"), "{health:?}");
    assert_eq!(health.last(), Some(&"ok"), "{health:?}");
    let errors = events.iter().find(|e| e["check"] == "recent_errors").expect("the log check");
    assert!(errors["observed"]["matches"].as_u64().unwrap_or(0) >= 1, "the log filled with errors: {errors}");
    // The fix went through the runbook action: preview, run, verify.
    let steps: Vec<&str> =
        events.iter().filter(|e| e["kind"] == "runbook.step").filter_map(|e| e["step"].as_str()).collect();
    assert_eq!(steps, ["preview", "confirmed", "run", "verify"], "{events:?}");
    let run = events.iter().find(|e| e["kind"] == "runbook.step" && e["step"] == "run").expect("run step");
    assert!(run["command"].as_str().unwrap_or_default().contains("echo v1 >"), "{run}");
    // The log the service wrote carried its failures, stack traces and all.
    let tail =
        events.iter().find(|e| e["kind"] == "command.finished").map(|c| c["tail"].to_string()).unwrap_or_default();
    assert!(tail.contains("ERROR checkout") || tail.contains("at com.shop"), "{tail}");
}

#[test]
fn an_auto_drill_finds_a_config_that_was_never_reloaded() {
    let (env, markdown) = auto("config-not-reloaded");
    assert!(markdown.contains("never loaded"), "{markdown}");
    let show = env.show();
    assert_eq!(show["status"], "resolved");
    assert_eq!(show["hypotheses"][0]["state"], "refuted");
    assert_eq!(show["hypotheses"][1]["state"], "confirmed");
}

#[test]
fn drills_are_listed_and_a_missing_scenario_off_a_terminal_is_a_usage_error() {
    let env = Env::new();
    let list = env.ok(&["drill", "--list"]);
    assert!(list.contains("bad-deploy") && list.contains("config-not-reloaded"));
    let out = env.run(&["drill"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("bad-deploy --auto"), "{}", text(&out.stderr));
    let out = env.run(&["drill", "bad-deploy"]);
    assert_eq!(out.status.code(), Some(2), "without --auto a drill needs a terminal");
    let out = env.run(&["drill", "meteor-strike", "--auto"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_drill_on_a_terminal_briefs_the_responder_and_starts_the_walk() {
    let env = Env::new();
    let mut t = Terminal::spawn({
        let mut cmd = env.std_cmd();
        cmd.args(["drill", "bad-deploy"]);
        cmd
    });
    t.expect("Drill (bad-deploy)").expect("deploy history:").expect("OBSERVE");
    t.answer("What do you see?", "health check fails");
    // The answer is on disk before the next prompt; interrupt at that prompt.
    env.wait_for_event(|e| e["text"] == "health check fails");
    t.expect("What do you see?").send("\x03");
    assert_eq!(t.finish(), Some(130));
    let show = env.show();
    assert_eq!(show["drill"], true);
    let texts: Vec<String> = env.events().iter().filter_map(|e| e["text"].as_str().map(String::from)).collect();
    assert_eq!(texts, ["health check fails"]);
}
