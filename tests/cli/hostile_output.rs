//! Hostile text cannot drive the terminal: escapes recorded in notes, titles, command output,
//! runbooks, log lines and Markdown reach stdout and stderr only as visible escapes.

use std::process::Output;

use crate::harness::{Env, read, text};

/// Clears the screen, writes the clipboard (OSC 52), rings, a C1 CSI, a bidi override, a
/// backspace and a carriage return.
const HOSTILE: &str = "pwn\x1b[2J\x1b]52;c;aGVsbG8=\x07\u{9b}31m\u{202e}gnp.exe\x08\rok";

/// Any character a terminal acts on: ESC, BEL, C1 controls, bidi overrides, CR and backspace.
fn acts_on_terminal(c: char) -> bool {
    matches!(c, '\x1b' | '\x07' | '\x08' | '\r' | '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn assert_inert(what: &str, out: &Output) {
    for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let shown = text(bytes);
        assert!(!shown.chars().any(acts_on_terminal), "`incident {what}` {stream} carries escapes: {shown:?}");
    }
}

fn run_inert(env: &Env, args: &[&str]) -> Output {
    let out = env.run(args);
    assert_inert(&args.join(" "), &out);
    out
}

#[test]
fn recorded_escapes_never_reach_the_terminal_from_any_printing_command() {
    let env = Env::new();
    let log = env.path().join("app.log");
    std::fs::write(&log, format!("2026-11-22T14:00:00Z ERROR {HOSTILE}\n")).expect("log");
    let markdown = env.path().join("notes.md");
    std::fs::write(&markdown, format!("# Review\n\nIt was {HOSTILE} the fault of Bob.\n")).expect("md");
    let runbook = env.path().join("hostile.yaml");
    std::fs::write(
        &runbook,
        "title: \"evil \\e[2J \\x9b \\u202e title\"\nobserve:\n  - id: echo\n    command: {run: [printf, \"out \\e]52;c;eA==\\a \\x9b\"]}\n    expect: {stdout_contains: \"never there\"}\n",
    )
    .expect("runbook");

    run_inert(&env, &["open", HOSTILE, "-s", "sev2", "--service", "checkout"]);
    run_inert(&env, &["note", HOSTILE]);
    run_inert(&env, &["hypothesis", "add", HOSTILE]);
    run_inert(&env, &["followup", "add", "--owner", HOSTILE, HOSTILE]);
    run_inert(&env, &["status", "mitigated", "--note", HOSTILE]);
    // `run`'s stderr is messages, made safe; its stdout to a pipe is data, kept as written
    // (on a terminal it is made safe: tests/cli/live_stream.rs).
    run_inert(&env, &["run", "--", "sh", "-c", "printf \"$1\" >&2", "sh", HOSTILE]);
    run_inert(&env, &["vars", "set", &format!("x={HOSTILE}")]);
    run_inert(&env, &["vars"]);
    run_inert(&env, &["check", runbook.to_str().unwrap_or_default()]);
    // An alert's labels are external text: what `open --from-alert` (and `receive`, which
    // handles each alert the same way and logs through the same messages) says about it.
    let alert = env.path().join("alert.json");
    let labels = serde_json::json!({"alertname": HOSTILE, "severity": "warning", "service": HOSTILE});
    let payload = serde_json::json!({"status": "firing", "labels": labels, "annotations": {"summary": HOSTILE},
        "startsAt": "2026-11-22T14:00:00Z"});
    std::fs::write(&alert, payload.to_string()).expect("alert");
    let opened = run_inert(&env, &["open", "--from-alert", alert.to_str().unwrap_or_default()]);
    assert!(opened.status.success(), "{}", text(&opened.stderr));

    for args in [
        &["timeline"][..],
        &["timeline", "--json"],
        &["timeline", "-v"],
        &["show"],
        &["show", "--json"],
        &["list"],
        &["list", "--json"],
        &["hypothesis", "list"],
        &["followup", "list"],
        &["postmortem"],
        &["lint"],
        &["lint", markdown.to_str().unwrap_or_default()],
        &["runbook", "show", runbook.to_str().unwrap_or_default()],
        &["runbook", "lint", runbook.to_str().unwrap_or_default()],
        &["grep", "ERROR", log.to_str().unwrap_or_default()],
        &["grep", "--json", "ERROR", log.to_str().unwrap_or_default()],
        &["use", HOSTILE],
        // Error messages that quote what was given.
        &["hypothesis", "verdict", HOSTILE, "confirmed"],
        &["followup", "done", HOSTILE],
        &["--at", HOSTILE, "note", "x"],
        &["grep", "--since", HOSTILE, "ERROR", log.to_str().unwrap_or_default()],
        &["runbook", "show", HOSTILE],
        &["check", HOSTILE],
        &["--incident", HOSTILE, "show"],
        &["vars", "set", HOSTILE],
        &["sync"],
    ] {
        run_inert(&env, args);
    }
    let written = env.path().join("pm.md");
    run_inert(&env, &["postmortem", "-o", written.to_str().unwrap_or_default()]);
    let markdown = read(&written);
    assert!(!markdown.chars().any(acts_on_terminal), "the post-mortem file carries escapes: {markdown:?}");
    assert!(markdown.contains("\\\\e\\[2J"), "the escape is shown, not dropped: {markdown}");
}

#[test]
fn the_timeline_keeps_hostile_bytes_verbatim_as_evidence() {
    let env = Env::new();
    let id = env.open("Checkout 502s");
    env.ok(&["note", HOSTILE]);
    let recorded = read(&env.timeline_path(&id));
    let note: serde_json::Value = serde_json::from_str(recorded.lines().last().unwrap_or_default()).expect("JSON");
    assert_eq!(note["text"], HOSTILE);
    // And what is printed shows it, visibly.
    assert!(env.ok(&["timeline"]).contains("pwn\\e[2J\\e]52;c;aGVsbG8=\\a\\u{9b}31m\\u{202e}gnp.exe\\b\\rok"));
}

#[test]
fn grep_piped_to_a_file_shows_escapes_from_log_lines_visibly() {
    let env = Env::new();
    let log = env.path().join("app.log");
    std::fs::write(&log, b"2026-11-22T14:00:00Z ERROR \x1b[2J \x9b bad utf8 \xff\n").expect("log");
    let out = env.ok(&["grep", "ERROR", log.to_str().unwrap_or_default()]);
    assert!(out.contains("ERROR \\e[2J \\x9b bad utf8 \\xff"), "{out:?}");
}

#[test]
fn our_own_colours_still_reach_a_coloured_terminal() {
    let env = Env::new();
    env.ok(&["open", HOSTILE, "-s", "sev2"]);
    let out = env.cmd().args(["--color", "always", "show"]).output().expect("ran");
    let shown = text(&out.stdout);
    assert!(shown.contains("\x1b[1m") && shown.contains("\x1b[0m"), "colour is gone: {shown:?}");
    assert!(!shown.contains("\x1b[2J") && !shown.contains("\x1b]52"), "{shown:?}");
}
