//! `incident shell`: the responder's own shell, every command typed recorded as it finishes.

use crate::harness::{Env, Terminal};

const TOKEN: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";

/// Types three commands (the second fails, the third in another directory) and `exit`, in
/// `shell` on a real terminal; returns the terminal.
fn type_three_commands(env: &Env, shell: &str) -> Terminal {
    std::fs::create_dir_all(env.path().join("sub")).expect("a sub folder");
    env.open_incident();
    let mut cmd = env.std_cmd();
    cmd.env("SHELL", shell).arg("shell");
    let mut term = Terminal::spawn(cmd);
    term.expect("observe] ").send(&format!("echo {TOKEN}\r"));
    term.expect("observe] ").send("false\r");
    term.expect("observe] ").send("cd sub && sleep 0.3\r");
    term.expect("observe] ").send("exit\r");
    assert_eq!(term.finish(), Some(0), "{}", term.screen);
    term
}

fn commands(env: &Env) -> Vec<serde_json::Value> {
    env.events().into_iter().filter(|e| e["kind"] == "command.finished").collect()
}

fn records_each_command_with_its_status_duration_and_directory(shell: &str) {
    let env = Env::new();
    let term = type_three_commands(&env, shell);
    let commands = commands(&env);
    let lines: Vec<&str> = commands.iter().map(|c| c["command"].as_str().unwrap_or_default()).collect();
    assert_eq!(lines, ["echo [masked:github-token]", "false", "cd sub && sleep 0.3"], "{}", term.screen);
    let statuses: Vec<i64> = commands.iter().map(|c| c["exit_code"].as_i64().unwrap_or(-1)).collect();
    assert_eq!(statuses, [0, 1, 0]);
    assert_eq!(commands[2]["argv"], serde_json::json!(["cd", "sub", "&&", "sleep", "0.3"]));
    let home = env.path().canonicalize().expect("the temp folder").display().to_string();
    assert_eq!(commands[0]["cwd"], home.as_str(), "where it ran");
    assert_eq!(commands[2]["cwd"], home.as_str(), "where it started, not where `cd` left it");
    let slept = commands[2]["duration_ms"].as_u64().unwrap_or_default();
    assert!((300..10_000).contains(&slept), "the sleep took {slept} ms");
    assert!(!env.timeline().contains(TOKEN), "the token never reaches the timeline");
}

#[test]
fn bash_records_each_command_typed_with_its_status_duration_and_directory() {
    records_each_command_with_its_status_duration_and_directory("/bin/bash");
}

#[test]
fn zsh_records_each_command_typed_with_its_status_duration_and_directory() {
    records_each_command_with_its_status_duration_and_directory("/usr/bin/zsh");
}

#[test]
fn an_unknown_shell_is_replaced_by_bash_with_a_word_why() {
    let env = Env::new();
    env.open_incident();
    let mut cmd = env.std_cmd();
    cmd.env("SHELL", "/usr/bin/fish").arg("shell");
    let mut term = Terminal::spawn(cmd);
    term.expect("records bash and zsh only").expect("observe] ").send("exit\r");
    assert_eq!(term.finish(), Some(0), "{}", term.screen);
}

#[test]
fn a_shell_needs_a_terminal() {
    let env = Env::new();
    env.open_incident();
    let err = env.fails(&["shell"]);
    assert!(err.contains("needs a terminal"), "{err}");
}
