//! The OODA walk, driven through a real pseudo-terminal as a person would.

use std::path::PathBuf;

use crate::harness::snapshot::snapshot;
use crate::harness::{Env, Reply, Server, Terminal, text};

const DOWN: &str = "\x1b[B";

/// A service on loopback that fails with 502 since a bad "deploy" until the rollback flag file
/// appears; `/db` (its database) is healthy throughout.
fn failing_service(rolled_back: PathBuf) -> Server {
    Server::start(move |request, _| {
        if request.path == "/db" {
            Reply::new(200, "db ok")
        } else if rolled_back.exists() {
            Reply::new(200, "ok v1")
        } else {
            Reply::new(502, "bad gateway v2")
        }
    })
}

#[test]
fn a_full_loop_refutes_one_hypothesis_confirms_another_fixes_it_and_resolves() {
    let env = Env::new();
    let rolled_back = env.path().join("rolled-back");
    let service = failing_service(rolled_back.clone());
    let mut cmd = env.std_cmd();
    cmd.args(["open", "Checkout returns 502s", "-s", "sev2", "--service", "checkout", "--commander", "ana"]);
    let mut t = Terminal::spawn(cmd);
    // No runbook for this one: the loop by hand.
    t.expect("Which runbook fits?").expect("none: no runbook").send("\r");

    // Observe
    // Impact: Enter takes the default on screen (no check failed yet: the opening)
    t.expect("OBSERVE").answer("When did the impact start?", "");
    t.answer("What do you see?", "checkout health returns 502").answer("What do you see?", "");
    // Orient: the questions on one screen, answered at one prompt; then hypotheses
    t.expect("ORIENT")
        .expect("What changed most recently")
        .answer("What do the answers tell you?", "a deploy at 13:58");
    t.answer("What do the answers tell you?", "");
    t.answer("What could explain it?", "The primary database is down")
        .answer("What could explain it?", "The 13:58 deploy broke checkout")
        .answer("What could explain it?", "");
    // Decide: H1 first
    t.expect("DECIDE").expect("Which hypothesis is most probable?").send("\r");
    t.answer("Why H1?", "checkout talks to the database on every request");
    // Act: verify H1 with a command against the database endpoint; it answers 200: refuted
    t.expect("ACT").expect("What does it show about H1?").expect("Test it with a command first").send("\r");
    t.answer("Command", &format!("curl -s {}/db", service.url()));
    t.expect("What did it show about H1?").send(&format!("{DOWN}\r"));
    t.expect("What showed it?").expect("exited 0").send("the database answers\r");
    // H2 is still open: on to it, the one left (no menu, nothing to explain)
    t.expect("On to the open hypotheses").expect("DECIDE").expect("Testing H2, the one open hypothesis");
    t.expect("What does it show about H2?").send("\r");
    t.answer("Command", &format!("curl -s {}/health", service.url()));
    t.expect("What did it show about H2?").send("\r");
    // Enter takes the default on screen: the command and how it ended
    t.expect("What showed it?").send("\r");
    // Act on it: the rollback
    t.expect("H2 confirmed. What do you do about it?").send("\r");
    t.answer("Command", &format!("touch {}", rolled_back.display()));
    // Resolving tells people: it takes a `y`
    t.expect("Has the service recovered?").send(&format!("{DOWN}\r"));
    t.answer("Resolve the incident?", "y");
    t.answer("When did the impact end?", "5m ago");
    t.answer("what happened and what fixed it", "Rolled back the 13:58 deploy");
    assert_eq!(t.finish(), Some(0), "{}", t.screen);

    let events = env.events();
    let kinds: Vec<String> = events
        .iter()
        .map(|e| match e["kind"].as_str().unwrap_or_default() {
            "phase.entered" => format!("phase:{}", e["to"].as_str().unwrap_or_default()),
            kind => kind.to_string(),
        })
        .collect();
    let expected = [
        "incident.opened",
        "phase:observe",
        "impact.recorded",
        // Answering the walk is taking the incident on: time to acknowledge ends here.
        "incident.acknowledged",
        "observation",
        "phase:orient",
        "observation",
        "hypothesis.added",
        "hypothesis.added",
        "phase:decide",
        "decision",
        "phase:act",
        "command.finished",
        "hypothesis.refuted",
        "phase:decide",
        "decision",
        "phase:act",
        "command.finished",
        "hypothesis.confirmed",
        "command.finished",
        "impact.recorded",
        "incident.resolved",
    ];
    assert_eq!(kinds, expected, "{}", t.screen);
    let show = env.show();
    assert_eq!(show["hypotheses"][0]["state"], "refuted");
    assert_eq!(show["hypotheses"][1]["state"], "confirmed");
    assert_eq!(show["status"], "resolved");
    // The clocks are filled: impact from the opening to five minutes before the (pinned) now.
    let impact: Vec<&serde_json::Value> = events.iter().filter(|e| e["kind"] == "impact.recorded").collect();
    assert_eq!(impact[0]["start"], events[0]["ts"], "{impact:?}");
    assert_eq!(impact[1]["end"], "2026-11-22T14:00:00.000Z", "{impact:?} {}", t.screen);
    let confirmed = events.iter().find(|e| e["kind"] == "hypothesis.confirmed").expect("confirmed");
    assert!(confirmed["evidence"].as_str().unwrap_or_default().contains("exited 0"), "the default taken: {confirmed}");
    assert!(rolled_back.exists(), "the action ran for real");
}

#[test]
fn an_interrupted_walk_loses_nothing_and_resumes_in_its_phase() {
    let env = Env::new();
    env.ok(&["open", "Disk full", "-s", "sev3"]);
    let mut t = Terminal::spawn({
        let mut cmd = env.std_cmd();
        cmd.arg("walk");
        cmd
    });
    t.answer("When did the impact start?", "")
        .answer("What do you see?", "/var at 100%")
        .answer("What do you see?", "");
    t.expect("ORIENT").answer("What do the answers tell you?", "log level set to debug");
    // Interrupted at the next line of the same prompt, once the answer is on disk.
    env.wait_for_event(|e| e["text"] == "log level set to debug");
    t.send("\x03");
    assert_eq!(t.finish(), Some(130));
    assert!(t.screen.contains("continue with `incident walk`"), "{}", t.screen);
    let texts: Vec<String> = env.events().iter().filter_map(|e| e["text"].as_str().map(String::from)).collect();
    assert_eq!(texts, ["/var at 100%", "log level set to debug"]);

    // Resumes in Orient, not back at the start.
    let mut t = Terminal::spawn({
        let mut cmd = env.std_cmd();
        cmd.arg("walk");
        cmd
    });
    let screen = {
        t.expect("ORIENT").expect("What do the answers tell you?");
        t.screen.clone()
    };
    assert!(!screen.contains("What do you see?"), "{screen}");
    t.send("\x03");
    assert_eq!(t.finish(), Some(130));
}

#[test]
fn off_a_terminal_the_walk_fails_at_once_naming_the_commands_to_use() {
    let env = Env::new();
    env.open("No terminal");
    let out = env.run(&["walk"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot!(&env, text(&out.stderr), @r#"
        error (usage): the walk needs a terminal to ask questions on, and this is not one
        hint: record the loop with the non-interactive commands instead: incident observe TEXT, incident hypothesis add TEXT, incident decide TEXT --hypothesis ID, incident run -- CMD, incident hypothesis confirm|refute ID --evidence TEXT, incident status mitigated, incident resolve
        "#);
}
