//! Stakeholder updates (`incident update`): drafted from the incident's state, edited in the
//! responder's editor, piped in or given with --message, recorded, sent to the webhooks on
//! loopback, and owed again at the time promised.

use crate::harness::{Env, Reply, Server, Terminal, text};

/// An `Env` whose store and one webhook of `kind` (URL in `UPDATES_HOOK`) come from `incident.toml`.
fn with_webhook(kind: &str) -> Env {
    let env = Env::new();
    env.write(
        "incident.toml",
        format!(
            "store = \"store\"\n\n[[notify]]\nname = \"status-page\"\nkind = \"{kind}\"\nurl_env = \"UPDATES_HOOK\"\n"
        ),
    );
    env
}

/// The commands of a fresh incident with a confirmed cause and a decision: something for the
/// draft to say.
const UNDER_WAY: [&[&str]; 5] = [
    &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk", "--service", "checkout"],
    &["impact", "--start", "2026-11-22T13:55:00Z", "--users", "1200"],
    &["hypothesis", "add", "The 13:58 deploy broke the payment client"],
    &["hypothesis", "confirm", "H1", "--evidence", "errors began at the deploy"],
    &["decide", "Roll back the 13:58 deploy", "--why", "errors began at it"],
];

fn incident_under_way(env: &Env) {
    for args in UNDER_WAY {
        env.ok(args);
    }
}

/// `incident ARGS` finding its store and webhook through `incident.toml`, the hook at `server`.
fn run_with_hook(env: &Env, server: &Server, args: &[&str]) -> std::process::Output {
    let out =
        env.cmd().env_remove("INCIDENT_STORE").env("UPDATES_HOOK", server.url()).args(args).output().expect("ran");
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    out
}

fn updates(env: &Env) -> Vec<serde_json::Value> {
    env.events().into_iter().filter(|e| e["kind"] == "update.posted").collect()
}

#[test]
fn the_drafted_update_reaches_a_slack_webhook_whole_with_the_next_update_time() {
    let receiver = Server::start(|_, _| Reply::new(200, "ok"));
    let env = with_webhook("slack");
    for args in UNDER_WAY {
        run_with_hook(&env, &receiver, args);
    }
    let before = receiver.requests().len();

    let out = run_with_hook(&env, &receiver, &["update", "--yes", "--next", "45m"]);
    assert!(text(&out.stderr).contains("next update due 14:50 UTC (in 45m)"), "{}", text(&out.stderr));

    let received = receiver.requests();
    assert_eq!(received.len(), before + 1, "one delivery for the update");
    let slack = received[before].json();
    let message = slack["text"].as_str().expect("a Slack payload has text");
    assert!(message.starts_with("[sev2] Checkout returns 502s: update (investigating, "), "{message}");
    for line in [
        "- Confirmed cause: The 13:58 deploy broke the payment client.",
        "- Began 13:55 UTC, 10m ago; ongoing.",
        "- About 1200 users affected.",
        "- Latest decision (14:05 UTC): Roll back the 13:58 deploy, because errors began at it.",
        "Next update by 14:50 UTC.",
    ] {
        assert!(message.contains(line), "{line:?} missing from:\n{message}");
    }
}

#[test]
fn a_json_webhook_gets_the_recorded_event_with_its_text_and_next_update() {
    let receiver = Server::start(|_, _| Reply::new(200, ""));
    let env = with_webhook("json");
    for args in UNDER_WAY {
        run_with_hook(&env, &receiver, args);
    }
    let before = receiver.requests().len();

    let message = "Rolling back the 13:58 deploy; checkout should recover by 14:30.";
    let out = run_with_hook(&env, &receiver, &["--json", "update", "--message", message]);
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("--json prints the event");
    assert_eq!(printed["kind"], "update.posted");
    assert_eq!(printed["next_update"], "2026-11-22T14:35:00.000Z", "30 minutes by default");

    let body = receiver.requests()[before].json();
    assert_eq!(body["event"]["kind"], "update.posted");
    assert_eq!(body["event"]["text"], message);
    assert_eq!(body["event"]["next_update"], "2026-11-22T14:35:00.000Z");
    assert_eq!(body["event"]["id"], printed["id"], "what was sent is what was recorded");
}

#[test]
fn a_piped_update_is_recorded_as_piped_and_secrets_in_it_are_masked() {
    let env = Env::new();
    incident_under_way(&env);
    let out = env
        .cmd()
        .env("GH_TOKEN", "ghp_notarealtoken0123456789abcdefABCDEF")
        .args(["update", "--next", "15m"])
        .write_stdin("Checkout is back for most users.\nToken ghp_notarealtoken0123456789abcdefABCDEF was rotated.\n")
        .output()
        .expect("ran");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let posted = updates(&env);
    assert_eq!(posted.len(), 1);
    let recorded = posted[0]["text"].as_str().unwrap_or_default();
    assert!(recorded.starts_with("Checkout is back for most users.\nToken "), "{recorded}");
    assert!(!recorded.contains("ghp_notarealtoken"), "a token reached the timeline: {recorded}");
    assert_eq!(posted[0]["next_update"], "2026-11-22T14:20:00.000Z");
}

#[test]
fn text_piped_with_yes_is_what_is_posted_and_an_empty_stdin_sends_the_draft() {
    let env = Env::new();
    incident_under_way(&env);
    // `--yes` used to send the draft and drop the text piped in.
    let out = env.cmd().args(["update", "--yes"]).write_stdin("Rolled back; errors are gone.\n").output().expect("ran");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = env.cmd().args(["update", "--yes"]).write_stdin("").output().expect("ran");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let posted = updates(&env);
    assert_eq!(posted.len(), 2);
    assert_eq!(posted[0]["text"], "Rolled back; errors are gone.");
    assert!(posted[1]["text"].as_str().unwrap_or_default().contains("Next update by"), "the draft: {}", posted[1]);
}

#[test]
fn an_empty_pipe_or_message_sends_nothing() {
    let env = Env::new();
    incident_under_way(&env);
    let out = env.cmd().args(["update"]).write_stdin("  \n").output().expect("ran");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("update not sent: standard input was empty"), "{}", text(&out.stderr));
    let refused = env.fails(&["update", "--message", " "]);
    assert!(refused.contains("update not sent: the text is empty"), "{refused}");
    let refused = env.fails(&["update", "--yes", "--next", "soon"]);
    assert!(refused.contains("--next: \"soon\" is not a duration"), "{refused}");
    assert!(updates(&env).is_empty());
}

#[test]
fn print_shows_the_draft_and_records_nothing() {
    let env = Env::new();
    incident_under_way(&env);
    let draft = env.ok(&["update", "--print"]);
    assert!(draft.starts_with("Checkout returns 502s (sev2, investigating): update at 14:05 UTC\n"), "{draft}");
    assert!(draft.contains("\nWhat we know:\n") && draft.contains("\nImpact:\n"), "{draft}");
    assert!(draft.contains("\nWhat we are doing:\n") && draft.contains("\nNext update by 14:35 UTC."), "{draft}");
    assert!(!draft.contains('\\') && !draft.contains("**"), "plain text, no Markdown: {draft}");
    assert!(updates(&env).is_empty());
}

/// The editor: a script given as `EDITOR` with an option of its own (split into words as git
/// does), which appends a line and records the arguments it was given.
fn editor_script(env: &Env, body: &str) -> String {
    let script =
        env.write("edit-update.sh", format!("#!/bin/sh\necho \"$@\" > \"$(dirname \"$0\")/editor-args\"\n{body}\n"));
    format!("sh {} --wait", script.display())
}

#[test]
fn the_editor_gets_the_draft_on_the_terminal_and_what_it_saves_is_posted() {
    let env = Env::new();
    incident_under_way(&env);
    let editor = editor_script(&env, "file=\"$2\"\necho 'Customers may retry payments now.' >> \"$file\"");
    let mut cmd = env.std_cmd();
    cmd.env("EDITOR", &editor).args(["update"]);
    let mut t = Terminal::spawn(cmd);
    t.expect("Update posted at 14:05:00 UTC");
    assert_eq!(t.finish(), Some(0), "{}", t.screen);

    let args = std::fs::read_to_string(env.path().join("editor-args")).expect("the editor ran");
    assert!(args.starts_with("--wait /"), "the editor's own option comes before the file: {args}");
    let posted = updates(&env);
    let recorded = posted[0]["text"].as_str().unwrap_or_default();
    assert!(recorded.starts_with("Checkout returns 502s (sev2, investigating)"), "{recorded}");
    assert!(recorded.ends_with("Next update by 14:35 UTC.\nCustomers may retry payments now."), "{recorded}");
    let draft_file = args.trim().trim_start_matches("--wait ");
    assert!(!std::path::Path::new(draft_file).exists(), "the draft file is left behind: {draft_file}");
}

#[test]
fn an_editor_that_leaves_the_file_empty_sends_nothing() {
    let env = Env::new();
    incident_under_way(&env);
    let editor = editor_script(&env, ": > \"$2\"");
    let mut cmd = env.std_cmd();
    cmd.env("VISUAL", &editor).env("EDITOR", "false").args(["update"]);
    let mut t = Terminal::spawn(cmd);
    t.expect("update not sent: the file was left empty");
    assert_eq!(t.finish(), Some(1), "{}", t.screen);
    assert!(updates(&env).is_empty());
}

#[test]
fn an_editor_that_fails_or_cannot_start_sends_nothing_and_says_why() {
    let env = Env::new();
    incident_under_way(&env);
    for (editor, said) in [
        ("false", "update not sent: the editor false exited with status 1"),
        ("/nonexistent/editor --wait", "cannot start the editor (EDITOR): /nonexistent/editor"),
        ("vim 'unclosed", "EDITOR \"vim 'unclosed\": a quote is not closed"),
    ] {
        let mut cmd = env.std_cmd();
        cmd.env("EDITOR", editor).args(["update"]);
        let mut t = Terminal::spawn(cmd);
        let code = t.finish();
        assert!(t.screen.contains(said), "{editor}: {}", t.screen);
        assert_ne!(code, Some(0), "{editor}");
    }
    assert!(updates(&env).is_empty());
}

#[test]
fn show_list_and_the_walk_say_when_the_next_update_is_due_or_how_late_it_is() {
    let env = Env::new();
    incident_under_way(&env);
    env.ok(&["update", "--message", "Rolling back.", "--next", "30m"]);

    let show_at = |now: &str| text(&env.cmd_at(now).args(["show"]).output().expect("ran").stdout);
    assert!(show_at("2026-11-22T14:23:00Z").contains("\n  updates    next update 14:35 UTC, in 12m\n"));
    assert!(show_at("2026-11-22T14:40:00Z").contains("\n  updates    update overdue by 5m (due 14:35 UTC)\n"));
    let list = text(&env.cmd_at("2026-11-22T14:40:00Z").args(["list"]).output().expect("ran").stdout);
    assert!(list.contains("Next update (UTC)") && list.contains("overdue by 5m"), "{list}");
    let listed: serde_json::Value = serde_json::from_str(&env.ok(&["list", "--json"])).expect("JSON");
    assert_eq!(listed[0]["next_update"], "2026-11-22T14:35:00.000Z");

    let mut cmd = env.std_cmd();
    cmd.env("INCIDENT_NOW", "2026-11-22T14:40:00Z").arg("walk");
    let mut t = Terminal::spawn(cmd);
    t.expect("open hypotheses: none · update overdue by 5m (due 14:35 UTC) ──");
    t.send("\x03");
    t.finish();

    // Resolved: no update is owed any more.
    env.ok(&["resolve", "--summary", "Rolled back"]);
    assert!(!show_at("2026-11-22T15:40:00Z").contains("updates"), "{}", show_at("2026-11-22T15:40:00Z"));
}

#[test]
fn the_postmortem_lists_the_updates_with_the_time_between_them_and_any_lateness() {
    let env = Env::new();
    incident_under_way(&env);
    env.ok(&["update", "--message", "Investigating 502s on checkout.\nNext update in 30 minutes.", "--next", "30m"]);
    let late = env
        .cmd_at("2026-11-22T14:45:00Z")
        .args(["update", "--message", "Rolled back; checkout is recovering.", "--next", "1h"])
        .output()
        .expect("ran");
    assert!(late.status.success(), "{}", text(&late.stderr));
    let markdown = env.ok(&["postmortem"]);
    let start = markdown.find("## Communications").unwrap_or_else(|| panic!("no Communications in:\n{markdown}"));
    let end = markdown[start..].find("\n## Contributing").map_or(markdown.len(), |e| start + e);
    crate::harness::snapshot::snapshot!(&env, &markdown[start..end], @r"
    ## Communications

    - 2026-11-22 14:05:00 (T+00:00:00), ana; next promised by 14:35:
      > Investigating 502s on checkout.
      > Next update in 30 minutes.
    - 2026-11-22 14:45:00 (T+00:40:00), ana, 40m after the one before, 10m later than promised; next promised by 15:45:
      > Rolled back; checkout is recovering.
    ");
}

#[test]
fn an_escape_sequence_in_recorded_text_reaches_the_editor_made_visible() {
    let env = Env::new();
    incident_under_way(&env);
    env.ok(&["impact", "--summary", "checkout down\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07"]);
    let editor = editor_script(&env, "cp \"$2\" \"$(dirname \"$0\")/editor-saw\"");
    let mut cmd = env.std_cmd();
    cmd.env("EDITOR", &editor).args(["update"]);
    let mut t = Terminal::spawn(cmd);
    assert_eq!(t.finish(), Some(0), "{}", t.screen);
    let saw = std::fs::read_to_string(env.path().join("editor-saw")).expect("the editor ran");
    assert!(!saw.contains('\x1b') && !saw.contains('\x07'), "a raw escape reached the editor: {saw:?}");
    assert!(saw.contains("- checkout down\\e[2J"), "{saw}");
}

#[test]
fn a_pasted_log_too_long_for_an_update_is_refused_whole() {
    let env = Env::new();
    incident_under_way(&env);
    // Past the limit by a multi-byte character cut in two: the length is what is wrong.
    let pasted = "é".repeat(9000);
    let out = env.cmd().args(["update"]).write_stdin(pasted).output().expect("ran");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("update not sent: standard input holds more; an update may be at most 16384 bytes"),
        "{}",
        text(&out.stderr)
    );
    assert!(updates(&env).is_empty());
}

/// `incident walk` at `now`, finding its store and webhook through `incident.toml`.
fn walk_at(env: &Env, server: &Server, now: &str) -> Terminal {
    let mut cmd = env.std_cmd();
    cmd.env_remove("INCIDENT_STORE").env("UPDATES_HOOK", server.url()).env("INCIDENT_NOW", now).arg("walk");
    Terminal::spawn(cmd)
}

#[test]
fn the_walk_offers_an_overdue_update_and_sending_it_reaches_the_webhook_and_the_timeline() {
    let receiver = Server::start(|_, _| Reply::new(200, ""));
    let env = with_webhook("json");
    for args in UNDER_WAY {
        run_with_hook(&env, &receiver, args);
    }
    let before = receiver.requests().len();

    // Opened 14:05, never updated: the first update was owed at 14:35.
    let mut t = walk_at(&env, &receiver, "2026-11-22T14:40:00Z");
    t.expect("A stakeholder update is overdue by 5m. The draft:");
    t.expect("│ - Confirmed cause: The 13:58 deploy broke the payment client.");
    t.expect("Post a stakeholder update (overdue by 5m)").expect("> Send it as it is").send("\r");
    t.expect("Update posted; the next is due 15:10 UTC.");
    t.send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);

    let posted = updates(&env);
    assert_eq!(posted.len(), 1, "{}", t.screen);
    assert!(posted[0]["text"].as_str().unwrap_or_default().ends_with("Next update by 15:10 UTC."), "{}", posted[0]);
    assert_eq!(posted[0]["next_update"], "2026-11-22T15:10:00.000Z");
    let sent = receiver.requests()[before..].iter().map(|r| r.json()).find(|b| b["event"]["kind"] == "update.posted");
    let sent = sent.unwrap_or_else(|| panic!("no update reached the webhook"));
    assert_eq!(sent["event"]["id"], posted[0]["id"], "what was sent is what was recorded");
}

#[test]
fn an_update_skipped_in_the_walk_is_not_asked_again_at_the_next_step() {
    let receiver = Server::start(|_, _| Reply::new(200, ""));
    let env = with_webhook("json");
    run_with_hook(&env, &receiver, &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    run_with_hook(&env, &receiver, &["impact", "--start", "2026-11-22T14:00:00Z"]);

    let mut t = walk_at(&env, &receiver, "2026-11-22T14:40:00Z");
    t.expect("Post a stakeholder update (overdue by 5m)").send("\x1b[B\x1b[B\r");
    t.expect("Skip it until 15:10 UTC");
    t.answer("What do you see?", "");
    t.expect("ORIENT").expect("What do the answers tell you?");
    t.send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    let orient = t.screen.rfind("ORIENT").unwrap_or_default();
    assert!(!t.screen[orient..].contains("stakeholder update"), "asked again:\n{}", t.screen);
    assert!(updates(&env).is_empty());
}

#[test]
fn the_walk_asks_nothing_about_updates_while_none_is_owed() {
    let receiver = Server::start(|_, _| Reply::new(200, ""));
    let env = with_webhook("json");
    run_with_hook(&env, &receiver, &["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    run_with_hook(&env, &receiver, &["update", "--message", "Looking into it.", "--next", "30m"]);

    // Opened and updated at 14:05: the next is owed at 14:35, not yet at 14:30.
    let mut t = walk_at(&env, &receiver, "2026-11-22T14:30:00Z");
    t.expect("next update 14:35 UTC, in 5m");
    t.expect("When did the impact start?");
    t.send("\x03");
    t.finish();
    assert!(!t.screen.contains("Post a stakeholder update"), "{}", t.screen);
}
