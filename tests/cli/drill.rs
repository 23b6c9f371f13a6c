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
    assert!(markdown.contains("- First observation at 2026-11-22 13:21:00: Check health CRITICAL"), "{markdown}");
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
    t.answer("When did the impact start?", "").answer("What do you see?", "health check fails");
    // The answer is on disk before the next prompt; interrupt at that prompt.
    env.wait_for_event(|e| e["text"] == "health check fails");
    t.expect("What do you see?").send("\x03");
    assert_eq!(t.finish(), Some(130));
    let show = env.show();
    assert_eq!(show["drill"], true);
    let texts: Vec<String> = env.events().iter().filter_map(|e| e["text"].as_str().map(String::from)).collect();
    assert_eq!(texts, ["health check fails"]);
    // The interrupted drill keeps its folder for a resume; end it so nothing is left behind.
    env.ok(&["drill", "--abandon"]);
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
    // The first failing check is when the impact started, unless the responder knows better.
    t.expect("When did the impact start?").expect("2026-11-22T14:05:00.000Z").send("\r");
    t.answer("What do you see?", &format!("grep NullPointer {log}"));
    t.expect("matching").answer("What do you see?", "");
    // Orient: the suggestions, with their evidence; raise both at once.
    t.expect("ORIENT").expect("The checks suggest").expect("because health CRITICAL");
    t.expect("Raise all 2 of them").send("\r");
    t.expect("When did the errors begin").answer("What do the answers tell you?", "");
    // Decide on the tempting one; the checks run again at once and refute it.
    t.expect("DECIDE").expect("H1  The database is down").send("\r");
    t.expect("Testing H1").expect("What does it show about H1?").send(&format!("{DOWN}\r"));
    // H2 is the one left; its rule still fires, so Enter confirms it.
    t.expect("Testing H2, the one open hypothesis").expect("What does it show about H2?").send("\r");
    // Act through the runbook: preview, confirmation, run, verification.
    t.expect("Roll back to release v1 (runbook action rollback, risk medium)").send("\r");
    t.answer("Run it? [y/N]", "y");
    t.expect("Verified: health ok");
    // Recovery seen by the checks again, then resolved (picked by typing a filter) with a `y`
    // and the summary on screen.
    t.expect("Has the service recovered?").send("for good\r");
    t.answer("Resolve the incident?", "y");
    t.answer("When did the impact end?", "");
    t.expect("what happened and what fixed it").send("\r");
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

/// Starts a drill on a terminal and interrupts it at its first question; returns its folder.
fn interrupted_drill(env: &Env) -> std::path::PathBuf {
    let mut t = env.terminal(&["drill", "bad-deploy"]);
    t.expect("When did the impact start?").send("\x03");
    assert_eq!(t.finish(), Some(130));
    assert!(t.screen.contains("`incident walk` resumes it"), "says how to go on: {}", t.screen);
    let opened = env.events().into_iter().next().expect("the practice incident");
    let folder = std::path::PathBuf::from(opened["vars"]["drill_dir"].as_str().expect("its folder"));
    assert!(folder.join("releases/current").is_file(), "the folder is kept for a resume");
    folder
}

#[test]
fn an_interrupted_drill_resumes_with_its_service_brought_back_not_connection_refused() {
    let env = Env::new();
    let folder = interrupted_drill(&env);
    let mut t = env.terminal(&["walk"]);
    t.expect("Drill resumed: its simulated service is back at").expect("OBSERVE").expect("When did the impact start?");
    t.send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    // The resumed checks saw the broken release, not a service that is not there.
    let health: Vec<serde_json::Value> =
        env.events().into_iter().filter(|e| e["kind"] == "check.result" && e["check"] == "health").collect();
    let last = health.last().expect("health was checked on resuming");
    assert_eq!(last["reason"], "http_status", "{last}");
    env.ok(&["drill", "--abandon"]);
    assert!(!folder.exists(), "abandoning removes the folder");
}

#[test]
fn an_abandoned_drill_is_closed_and_its_folder_removed_and_a_gone_one_ends_on_walk() {
    let env = Env::new();
    let folder = interrupted_drill(&env);
    let out = env.run(&["drill", "--abandon"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("closed as abandoned, its folder removed"), "{}", text(&out.stderr));
    assert!(!folder.exists());
    let show = env.show();
    assert_eq!(show["status"], "resolved");

    // A drill whose folder went (a reboot cleared /tmp) cannot resume: it ends, and says so.
    let env = Env::new();
    let folder = interrupted_drill(&env);
    std::fs::remove_dir_all(&folder).expect("remove");
    let mut t = env.terminal(&["walk"]);
    t.expect("Drill ended");
    assert_eq!(t.finish(), Some(0), "{}", t.screen);
    assert!(t.screen.contains("closed as abandoned"), "{}", t.screen);
    assert_eq!(env.show()["status"], "resolved");
}

#[test]
fn an_auto_drill_takes_simulated_minutes_and_its_history_is_told_from_its_start() {
    let (env, markdown) = auto("bad-deploy");
    let events = env.events();
    let at = |kind: &str| events.iter().find(|e| e["kind"] == kind).map(|e| e["ts"].to_string()).unwrap_or_default();
    // It ends at the (pinned) now and began 47 simulated minutes before, not within a second.
    assert_eq!(at("incident.opened"), "\"2026-11-22T13:18:00.000Z\"");
    assert_eq!(at("incident.resolved"), "\"2026-11-22T14:05:00.000Z\"");
    assert_ne!(at("hypothesis.refuted"), at("hypothesis.confirmed"), "minutes between the steps");
    // The release history is told relative to the drill: v2 went out 7 minutes before it.
    let history = events
        .iter()
        .filter(|e| e["kind"] == "command.finished")
        .find_map(|e| e["tail"].as_str().filter(|t| t.contains("v2 deployed")))
        .expect("the history was read");
    assert!(history.contains("13:11 UTC v2 deployed"), "{history}");
    assert!(!markdown.contains("13:58"), "{markdown}");
    // Its clocks are filled: impact from the change (7 minutes before the alarm) to the rollback.
    assert!(markdown.contains("| Time to detect | 7m 0s |"), "{markdown}");
    assert!(markdown.contains("| Time to mitigate | 37m 0s |"), "{markdown}");
}

#[test]
fn an_auto_drill_calms_a_retry_storm_by_backing_off_until_the_circuit_closes() {
    let (env, markdown) = auto("retry-storm");
    assert!(markdown.contains("### H2: Clients retry without backoff"), "{markdown}");
    let show = env.show();
    assert_eq!(show["status"], "resolved");
    assert_eq!(show["hypotheses"][0]["state"], "refuted", "inventory is up, only slow");
    assert_eq!(show["hypotheses"][1]["state"], "confirmed");
    let events = env.events();
    let health: Vec<&str> = events
        .iter()
        .filter(|e| e["kind"] == "check.result" && e["check"] == "health")
        .filter_map(|e| e["summary"].as_str())
        .collect();
    assert!(health.first().is_some_and(|s| s.contains("503") || s.contains("502")), "{health:?}");
    let run = events.iter().find(|e| e["kind"] == "runbook.step" && e["step"] == "run").expect("the backoff ran");
    assert!(run["command"].as_str().unwrap_or_default().contains("echo exponential >"), "{run}");
    let list = env.ok(&["drill", "--list"]);
    assert!(list.contains("retry-storm"), "{list}");
}
