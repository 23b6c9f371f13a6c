//! `incident check --watch`: checks run again until they hold; only changes are recorded.

use crate::harness::{Env, Reply, Server, Terminal, text};

/// A service that answers 503 to its first `failures` requests, then 200.
fn recovering_service(failures: usize) -> Server {
    Server::start(move |_, n| if n < failures { Reply::new(503, "down") } else { Reply::new(200, "up") })
}

fn runbook(env: &Env, server: &Server) {
    env.write(
        "runbooks/web.yaml",
        format!(
            "title: web\nobserve:\n  - id: health\n    http: {{url: \"{}/healthz\"}}\n    expect: {{status: 200}}\n  - id: steady\n    command: {{run: [\"true\"]}}\n",
            server.url()
        ),
    );
}

/// An incident whose runbook checks `server` (and a check that always passes).
fn incident_on(server: Server) -> (Env, Server) {
    let env = Env::new();
    runbook(&env, &server);
    env.ok(&["open", "Web down", "-s", "sev2", "--runbook", "web"]);
    (env, server)
}

fn check_results(env: &Env) -> Vec<(String, String)> {
    env.events()
        .iter()
        .filter(|e| e["kind"] == "check.result")
        .map(|e| {
            (e["check"].as_str().unwrap_or_default().to_string(), e["status"].as_str().unwrap_or_default().to_string())
        })
        .collect()
}

#[test]
fn watching_records_only_changes_of_state_and_stops_once_recovery_holds() {
    let (env, server) = incident_on(recovering_service(3));
    let out = env.run(&["check", "--watch", "100ms", "--until-ok", "300ms"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(server.hits() >= 6, "it ran again after recovering, until the hold: {} runs", server.hits());
    // Every run is not recorded: the first states, then health's one change.
    assert_eq!(
        check_results(&env),
        [("health".into(), "critical".into()), ("steady".into(), "ok".into()), ("health".into(), "ok".into())]
    );
    // Off a terminal, one line per change and no redrawing.
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(stdout.lines().next().unwrap_or_default().contains("CRITICAL health"), "{stdout}");
    assert!(stdout.lines().last().unwrap_or_default().contains("OK health"), "{stdout}");
    assert!(!stdout.contains('\x1b'), "NO_COLOR and no terminal: no escapes at all\n{stdout:?}");
    assert!(text(&out.stderr).contains("holding"), "{}", text(&out.stderr));
}

#[test]
fn a_watch_on_a_terminal_redraws_one_row_per_check_with_its_history_and_shows_the_cursor_after() {
    let (env, _server) = incident_on(recovering_service(2));
    let mut cmd = env.std_cmd();
    cmd.args(["check", "--watch", "100ms", "--until-ok", "300ms"]);
    let mut term = Terminal::spawn(cmd);
    term.expect("✗✗✓").expect("holding");
    assert_eq!(term.finish(), Some(0), "{}", term.screen);
    assert!(term.screen.contains("\x1b[?25l"), "the cursor is hidden while the table is live");
    let shown_again = term.screen.rfind("\x1b[?25h").expect("the cursor is shown again");
    assert!(shown_again > term.screen.rfind("\x1b[?25l").unwrap_or_default(), "shown after the last hide");
    assert!(term.screen.contains("\x1b[J"), "the table is redrawn in place");
    assert_eq!(check_results(&env).len(), 3, "only changes are recorded on a terminal too");
}

#[test]
fn ctrl_c_during_a_watch_shows_the_cursor_again() {
    let (env, _server) = incident_on(recovering_service(usize::MAX));
    let mut cmd = env.std_cmd();
    cmd.args(["check", "--watch", "100ms"]);
    let mut term = Terminal::spawn(cmd);
    term.expect("✗✗").send("\x03");
    term.finish();
    let hidden = term.screen.rfind("\x1b[?25l").expect("hidden while live");
    assert!(term.screen.rfind("\x1b[?25h").is_some_and(|shown| shown > hidden), "{:?}", term.screen);
}

#[test]
fn since_action_without_an_incident_says_why() {
    let env = Env::new();
    let server = recovering_service(0);
    runbook(&env, &server);
    let err = env.fails(&["check", "web", "--watch", "--since-action"]);
    assert!(err.contains("--since-action: no incident"), "{err}");
}

#[test]
fn a_watch_that_never_holds_gives_up_when_told_with_the_worst_state_as_exit_code() {
    let (env, server) = incident_on(recovering_service(usize::MAX));
    let started = std::time::Instant::now();
    let out = env.run(&["check", "--watch", "100ms", "--give-up-after", "500ms"]);
    assert_eq!(out.status.code(), Some(2), "critical: {}", text(&out.stderr));
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "it gave up in time");
    assert!(server.hits() >= 3, "it kept watching until then: {} runs", server.hits());
    assert_eq!(check_results(&env).len(), 2, "nothing changed after the first run, so nothing more was recorded");
    assert!(text(&out.stderr).contains("Gave up watching"), "{}", text(&out.stderr));
}

#[test]
fn the_walks_watch_longer_watches_until_recovery_holds_records_no_state_twice_and_comes_back_to_the_question() {
    // Mitigated, and the checks still fail: the walk resumes at "is it holding?" with "watch
    // longer" at hand. The service recovers during the watch.
    let (env, server) = incident_on(recovering_service(4));
    env.ok(&["status", "mitigated"]);
    let mut t = env.terminal(&["walk"]);
    t.expect("It is mitigated. Is it holding?").send("watch longer\r");
    t.answer("Watch until every check has passed for how long?", "2s");
    t.expect("HISTORY").expect("holding.");
    // Back at the question, the watch's result in hand: resolving is now the default.
    t.expect("It is mitigated. Is it holding?").send("\r");
    t.expect("Resolve the incident?").send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    assert!(server.hits() >= 6, "the checks ran until recovery held: {} runs", server.hits());
    // The walk's first look, then the watch: only health's recovery, not the states the
    // question was asked with recorded a second time by the watch's first run.
    let results = check_results(&env);
    assert_eq!(
        results,
        [("health".into(), "critical".into()), ("steady".into(), "ok".into()), ("health".into(), "ok".into())],
        "{results:?}"
    );
    assert_eq!(env.show()["status"], "mitigated", "nothing was resolved without its confirmation");
}

#[test]
fn ctrl_c_during_the_walks_watch_goes_back_to_the_question_not_out_of_the_walk() {
    let (env, _server) = incident_on(recovering_service(usize::MAX));
    env.ok(&["status", "mitigated"]);
    let mut t = env.terminal(&["walk"]);
    t.expect("It is mitigated. Is it holding?").send("watch longer\r");
    t.answer("Watch until every check has passed for how long?", "1m");
    t.expect("✗").send("\x03");
    t.expect("Stopped watching").expect("It is mitigated. Is it holding?").send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    let hidden = t.screen.rfind("\x1b[?25l").expect("the table hid the cursor while live");
    assert!(t.screen.rfind("\x1b[?25h").is_some_and(|shown| shown > hidden), "the cursor is shown again");
}
