//! Drills: a simulated failure on loopback, walked by a scripted responder or by a person.

use crate::harness::{Env, Terminal, text};

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

    // The drill's post-mortem said "No actions by hand were recorded" while its rollback ran
    // through `runbook act`: Response lists the runbook's steps and the commands they ran.
    let response = markdown
        .split("## Response and recovery")
        .nth(1)
        .and_then(|rest| rest.split("## Contributing factors").next())
        .unwrap_or_default();
    assert!(response.contains("Runbook drill-bad-deploy action rollback run:"), "{response}");
    assert!(response.contains("(runbook drill-bad-deploy, action rollback, run)"), "{response}");
    assert!(!response.contains("action rollback preview"), "a preview changes nothing: {response}");
    // The walk's phase marker was taken for the first observation.
    assert!(markdown.contains("- First observation at 2026-11-22 14:05:00: Check health CRITICAL"), "{markdown}");
    // Decisions said only the reason; they say what was decided, then why.
    assert!(
        response.contains("Decided: test H2 first: The latest release broke checkout (H2), because the stack traces"),
        "{response}"
    );

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
    t.answer("Search the logs", "").answer("What do you see?", "health check fails");
    // The answer is on disk before the next prompt; interrupt at that prompt.
    env.wait_for_event(|e| e["text"] == "health check fails");
    t.expect("What do you see?").send("\x03");
    assert_eq!(t.finish(), Some(130));
    let show = env.show();
    assert_eq!(show["drill"], true);
    let texts: Vec<String> = env.events().iter().filter_map(|e| e["text"].as_str().map(String::from)).collect();
    assert_eq!(texts, ["health check fails"]);
}

#[test]
fn a_person_walks_a_drill_through_checks_suggestions_and_the_runbooks_rollback() {
    const DOWN: &str = "\x1b[B";
    let env = Env::new();
    let mut t = Terminal::spawn({
        let mut cmd = env.std_cmd();
        cmd.args(["drill", "bad-deploy"]);
        cmd
    });
    // Observe: the runbook's checks run first; then a search of the log the briefing names.
    t.expect("log:").expect("app.log");
    let log = t
        .screen
        .lines()
        .find(|l| l.trim_start().starts_with("log:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .map(String::from)
        .expect("the log's path");
    t.expect("OBSERVE").expect("CRITICAL").expect("health");
    t.answer("Search the logs", &format!("NullPointer {log}"));
    t.expect("matching").answer("Search the logs", "").answer("What do you see?", "");
    // Orient: the suggestions, with their evidence; raise both.
    t.expect("ORIENT").expect("The checks suggest").expect("because health CRITICAL");
    t.expect("Raise: The database is down").send("\r");
    t.expect("Raise: The latest release broke checkout").send("\r");
    t.answer("When did the errors begin", "");
    for _ in 0..5 {
        t.answer("?", "");
    }
    t.answer("What could explain it?", "");
    // Decide on the tempting one; the checks refute it.
    t.expect("DECIDE").expect("H1  The database is down").send("\r");
    t.answer("Why H1?", "the errors are on the payment path");
    t.expect("How will you verify H1?").expect("Run the runbook's checks again").send("\r");
    t.expect("What did it show about H1?").send(&format!("{DOWN}\r"));
    t.answer("What showed it?", "the database check passes");
    // One step further away; then the release.
    t.expect("OBSERVE").answer("Search the logs", "").answer("What do you see?", "");
    t.expect("ORIENT").answer("one step further away", "").answer("What could explain it?", "");
    t.expect("DECIDE").send("\r");
    t.answer("Why H2?", "the errors began with v2");
    t.expect("How will you verify H2?").send("\r");
    t.expect("What did it show about H2?").send("\r");
    t.answer("What showed it?", "v2 is live and every trace is in its payment client");
    // Act through the runbook: preview, confirmation, run, verification.
    t.expect("Roll back to release v1 (runbook action rollback, risk medium)").send("\r");
    t.answer("Run it? [y/N]", "y");
    t.expect("Verified: health ok");
    // Recovery observed by the checks again, then resolved.
    t.answer("Look again", "");
    t.expect("Has the service recovered?").send(&format!("{DOWN}\r"));
    t.answer("what happened and what fixed it", "Rolled back v2");
    assert_eq!(t.finish(), Some(0), "{}", t.screen);

    let events = env.events();
    let story: Vec<String> = events
        .iter()
        .filter_map(|e| match e["kind"].as_str().unwrap_or_default() {
            "hypothesis.added" | "hypothesis.refuted" | "hypothesis.confirmed" | "decision" | "incident.resolved" => {
                Some(e["kind"].as_str().unwrap_or_default().to_string())
            }
            "runbook.step" => Some(format!("step:{}", e["step"].as_str().unwrap_or_default())),
            _ => None,
        })
        .collect();
    assert_eq!(
        story,
        [
            "hypothesis.added",
            "hypothesis.added",
            "decision",
            "hypothesis.refuted",
            "decision",
            "hypothesis.confirmed",
            "step:preview",
            "step:confirmed",
            "step:run",
            "step:verify",
            "incident.resolved"
        ]
    );
    let health: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "check.result" && e["check"] == "health")
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert_eq!((health.first(), health.last()), (Some(&"critical"), Some(&"ok")), "{health:?}");
    let show = env.show();
    assert_eq!(show["hypotheses"][0]["state"], "refuted");
    assert_eq!(show["hypotheses"][1]["state"], "confirmed");
    assert_eq!(show["hypotheses"][0]["from_check"], "health", "raised on the check's evidence");
    let search = events.iter().find(|e| e["kind"] == "log.search").expect("the log search was recorded");
    assert!(search["matched"].as_u64().unwrap_or(0) >= 1, "{search}");
    assert_eq!(search["pattern"], "NullPointer");
}
