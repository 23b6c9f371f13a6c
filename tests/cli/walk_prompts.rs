//! The walk's prompts under stress, through a real pseudo-terminal: typing at a menu never
//! picks, changes of status are confirmed, the cursor comes back on every way out, and a full
//! drill walk stays within its count of questions.

use crate::harness::{Env, Terminal};

/// What a terminal is sent to show the cursor again.
const SHOW_CURSOR: &str = "\x1b[?25h";

fn walk(env: &Env) -> Terminal {
    env.terminal(&["walk"])
}

/// The screen after `from`, as the test saw it: what came after a key was sent.
fn after<'a>(screen: &'a str, from: &str) -> &'a str {
    screen.rfind(from).map_or("", |at| &screen[at..])
}

#[test]
fn a_sentence_typed_at_the_recovery_menu_marks_nothing_and_is_not_lost_to_the_shell() {
    let env = Env::new();
    env.ok(&["open", "Checkout returns 502s", "-s", "sev2"]);
    env.ok(&["status", "mitigated"]);
    let before = env.events().len();
    let mut t = walk(&env);
    // The default is "Holding: resolve": Space and Enter used to pick it.
    t.expect("Is it holding?").expect("> Holding: resolve the incident");
    t.send("not yet, errors continue\r");
    t.expect("nothing matches the filter");
    // Keys a menu library reads as its own (vim moves, q quits, Space picks) are text here.
    t.send("\x1b").send("j k q \r");
    t.expect("nothing matches the filter").send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    let after_kinds: Vec<String> =
        env.events()[before..].iter().map(|e| e["kind"].as_str().unwrap_or_default().to_string()).collect();
    assert!(after_kinds.iter().all(|k| k == "phase.entered"), "recorded {after_kinds:?}");
    assert_eq!(env.show()["status"], "mitigated");
}

#[test]
fn resolving_from_the_walk_needs_a_y_and_any_other_key_leaves_the_incident_as_it_was() {
    let env = Env::new();
    env.ok(&["open", "Checkout returns 502s", "-s", "sev2"]);
    env.ok(&["status", "mitigated"]);
    let mut t = walk(&env);
    t.expect("Is it holding?").send("\r");
    // Letters other than y are ignored; Enter is no.
    t.expect("Resolve the incident?").send("sure\r");
    t.expect("no").expect("Is it holding?");
    assert_eq!(env.show()["status"], "mitigated", "{}", t.screen);
    t.send("\r").expect("Resolve the incident?").send("y\r");
    t.answer("When did the impact end?", "");
    t.answer("what happened and what fixed it", "Rolled back");
    assert_eq!(t.finish(), Some(0), "{}", t.screen);
    assert_eq!(env.show()["status"], "resolved");
}

#[test]
fn the_cursor_is_shown_again_after_ctrl_c_at_opens_title_and_severity_menu_and_at_a_confirmation() {
    let env = Env::new();
    // A line of text: the title.
    let mut t = env.terminal(&["open"]);
    t.expect("the incident's title").send("Checkout do\x03");
    assert_ne!(t.finish(), Some(0));
    assert!(after(&t.screen, "the incident's title").contains(SHOW_CURSOR), "{:?}", t.screen);

    // A menu: open's severity, where typed keys filter and nothing is opened.
    let mut t = env.terminal(&["open", "Checkout down"]);
    t.expect("How bad is it?").send("q j \r").expect("nothing matches").send("\x03");
    assert_ne!(t.finish(), Some(0));
    assert!(after(&t.screen, "nothing matches").contains(SHOW_CURSOR), "{:?}", t.screen);
    assert_ne!(env.run(&["show"]).status.code(), Some(0), "typing at the menu opened an incident");

    // A confirmation.
    env.ok(&["open", "Checkout returns 502s", "-s", "sev2"]);
    env.ok(&["status", "mitigated"]);
    let mut t = walk(&env);
    t.expect("Is it holding?").send("\r").expect("Resolve the incident?").send("\x03");
    assert_eq!(t.finish(), Some(130));
    assert!(after(&t.screen, "Resolve the incident?").contains(SHOW_CURSOR), "{:?}", t.screen);
}

#[test]
fn the_walk_asks_for_a_required_variable_nobody_gave_checks_it_and_records_it() {
    let env = Env::new();
    let runbook = env.write(
        "svc.yaml",
        "title: Svc\nvars:\n  port: {type: port, required: true, description: the port it listens on}\nobserve:\n  - id: \
         up\n    tcp: {host: 127.0.0.1, port: \"{{ vars.port }}\"}\n",
    );
    env.ok(&["open", "Svc down", "-s", "sev3", "--runbook", runbook.to_str().unwrap()]);
    let mut t = walk(&env);
    t.answer("port: the port it listens on", "http");
    t.expect("port").answer("port: the port it listens on", "1");
    t.expect("OBSERVE").expect("Running the svc runbook's checks").expect("When did the impact start?").send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    let set = env.events().into_iter().find(|e| e["kind"] == "vars.set").expect("the typed value was recorded");
    assert_eq!(set["vars"]["port"], "1", "{set}");
    assert_eq!(set["source"], "typed");
    let probed = env.events().into_iter().find(|e| e["kind"] == "check.result").expect("the check ran");
    assert!(probed.to_string().contains("127.0.0.1:1"), "the check used the typed port: {probed}");
}

/// The bad-deploy drill walked from the alarm to the resolution, answering each prompt with
/// the least a responder would type: it cost 26 prompts before (issue 14), the target is 13.
#[test]
fn a_full_drill_walk_takes_at_most_thirteen_prompts_and_rechecks_logs_from_the_action_on() {
    const DOWN: &str = "\x1b[B";
    let env = Env::new();
    let mut t = env.terminal(&["drill", "bad-deploy"]);
    let mut prompts = 0;
    let mut reply = |t: &mut Terminal, prompt: &str, keys: &str| {
        t.expect(prompt).send(keys);
        prompts += 1;
    };
    reply(&mut t, "When did the impact start?", "\r");
    reply(&mut t, "What do you see?", "\r");
    reply(&mut t, "Raise all 2 of them", "\r");
    reply(&mut t, "What do the answers tell you?", "\r");
    reply(&mut t, "Which hypothesis is most probable?", "\r");
    reply(&mut t, "What does it show about H1?", &format!("{DOWN}\r"));
    reply(&mut t, "What does it show about H2?", "\r");
    reply(&mut t, "What do you do about it?", "\r");
    reply(&mut t, "Run it? [y/N]", "y\r");
    // The rollback fixed it, and the errors logged before it no longer count: Enter would mark
    // it mitigated; this responder resolves it.
    t.expect("Log checks count from the action on");
    t.expect("Has the service recovered?");
    reply(&mut t, "> Recovered: mark it mitigated", &format!("{DOWN}\r"));
    reply(&mut t, "Resolve the incident?", "y\r");
    reply(&mut t, "When did the impact end?", "\r");
    reply(&mut t, "what happened and what fixed it", "\r");
    assert_eq!(t.finish(), Some(0), "{}", t.screen);
    assert!(prompts <= 13, "{prompts} prompts");
    let show = env.show();
    assert_eq!(show["status"], "resolved");
    assert_eq!(show["hypotheses"][1]["state"], "confirmed");
    let kinds: Vec<String> = env.events().iter().map(|e| e["kind"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "impact.recorded").count(), 2, "impact start and end: {kinds:?}");
    let last_errors = env.events().into_iter().rfind(|e| e["check"] == "recent_errors").expect("log check");
    assert_eq!(last_errors["status"], "ok", "{last_errors}");
}

#[test]
fn a_command_typed_with_a_bang_at_observe_runs_recorded_without_leaving_the_walk() {
    let env = Env::new();
    env.ok(&["open", "Checkout returns 502s", "-s", "sev2"]);
    let mut t = walk(&env);
    t.answer("When did the impact start?", "");
    t.answer("What do you see?", "!sh -c 'echo upstream-502; exit 3'");
    t.expect("upstream-502").answer("What do you see?", "the proxy says 502");
    // The walk went on: the next line was recorded too.
    env.wait_for_event(|e| e["text"] == "the proxy says 502");
    t.send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    let events = env.events();
    let run = events.iter().find(|e| e["kind"] == "command.finished").expect("the command was recorded");
    assert_eq!(run["exit_code"], 3, "{run}");
    assert_eq!(run["argv"][0], "sh", "{run}");
}

#[test]
fn a_confirmed_cause_is_kept_across_a_resume_and_not_yet_recovered_offers_another_action_for_it() {
    let env = Env::new();
    env.ok(&["open", "Checkout returns 502s", "-s", "sev2"]);
    let mut t = walk(&env);
    t.answer("When did the impact start?", "").answer("What do you see?", "");
    t.answer("What do the answers tell you?", "").answer("What could explain it?", "The deploy broke it");
    t.answer("What could explain it?", "");
    // The one open hypothesis, tested by hand and confirmed.
    t.expect("What does it show about H1?").send("by hand\r");
    t.expect("What did it show about H1?").send("\r");
    t.answer("What did you check", "the new version serves 502s");
    t.expect("H1 confirmed. What do you do about it?").send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);

    // Resumed: back at the confirmed cause, not at the start of the loop.
    let mut t = walk(&env);
    t.expect("H1 confirmed. What do you do about it?").send("Run a command\r");
    t.answer("Command", "true");
    // Not recovered yet: another action for the same cause is one choice away.
    t.expect("Has the service recovered?").send("another action\r");
    t.expect("H1 confirmed. What do you do about it?").send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    let kinds: Vec<String> = env.events().iter().map(|e| e["kind"].as_str().unwrap_or_default().to_string()).collect();
    assert_eq!(kinds.iter().filter(|k| *k == "hypothesis.confirmed").count(), 1, "{kinds:?}");
    assert_eq!(kinds.last().map(String::as_str), Some("command.finished"), "{kinds:?}");
    assert_eq!(env.show()["status"], "investigating", "nothing marked it recovered");
}

#[test]
fn the_cursor_is_shown_again_after_ctrl_c_at_a_multi_line_answer() {
    let env = Env::new();
    env.ok(&["open", "Disk full", "-s", "sev3"]);
    let mut t = walk(&env);
    t.answer("When did the impact start?", "").answer("What do you see?", "/var at 100%");
    // The first line is on disk: the prompt is at its second line.
    env.wait_for_event(|e| e["text"] == "/var at 100%");
    t.send("half a li\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    assert!(after(&t.screen, "half a li").contains(SHOW_CURSOR), "{:?}", t.screen);
}

/// What was recorded after the first `before` events, phase markers aside.
fn recorded_since(env: &Env, before: usize) -> Vec<String> {
    env.events()[before..]
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or_default().to_string())
        .filter(|k| k != "phase.entered")
        .collect()
}

#[test]
fn typing_at_the_decide_test_and_verdict_menus_filters_and_never_picks_or_records() {
    let env = Env::new();
    env.ok(&["open", "Checkout returns 502s", "-s", "sev2"]);
    let mut t = walk(&env);
    t.answer("When did the impact start?", "").answer("What do you see?", "");
    t.answer("What do the answers tell you?", "").answer("What could explain it?", "The deploy broke it");
    t.answer("What could explain it?", "The database is full").answer("What could explain it?", "");
    // Decide: which hypothesis first.
    t.expect("Which hypothesis is most probable?");
    let before = env.events().len();
    t.send("q j k \r").expect("nothing matches the filter").send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    assert_eq!(recorded_since(&env, before), Vec::<String>::new(), "typing at Decide recorded something");

    // Resumed at Decide; H1 picked on purpose, then its test menu typed at.
    let mut t = walk(&env);
    t.expect("Which hypothesis is most probable?").send("deploy\r");
    t.answer("Why H1?", "");
    t.expect("What does it show about H1?");
    let before = env.events().len();
    t.send("y n q \r").expect("nothing matches the filter").send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    assert_eq!(recorded_since(&env, before), Vec::<String>::new(), "typing at the test menu recorded something");

    // Resumed at H1's test: tested by hand, then the verdict menu typed at.
    let mut t = walk(&env);
    t.expect("What does it show about H1?").send("by hand\r");
    t.expect("What did it show about H1?");
    let before = env.events().len();
    t.send("confirmed it \r").expect("nothing matches the filter").send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    let verdicts = recorded_since(&env, before);
    assert!(!verdicts.iter().any(|k| k.starts_with("hypothesis.")), "typing gave a verdict: {verdicts:?}");
    assert!(after(&t.screen, "nothing matches").contains(SHOW_CURSOR), "the cursor is shown again");
}
