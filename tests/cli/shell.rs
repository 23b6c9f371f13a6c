//! `incident shell`: the responder's own shell, every command typed recorded as it finishes.

use crate::harness::{Env, Terminal};

const TOKEN: &str = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
const PASSWORD: &str = "hunter2-correct-horse";

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
fn the_rc_files_are_removed_after_the_shell_and_those_a_killed_incident_left_by_the_next() {
    let env = Env::new();
    env.open_incident();
    let temp = env.path().join("tmp");
    let abandoned = temp.join("incident-shell-999999999-01OLD");
    std::fs::create_dir_all(&abandoned).expect("a folder left by a killed incident");
    let mut cmd = env.std_cmd();
    cmd.env("SHELL", "/bin/bash").env("TMPDIR", &temp).arg("shell");
    let mut term = Terminal::spawn(cmd);
    term.expect("observe] ").send("exit\r");
    assert_eq!(term.finish(), Some(0), "{}", term.screen);
    let left: Vec<_> = std::fs::read_dir(&temp).expect("the temp folder").flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "nothing left behind: {left:?}");
}

#[test]
fn a_shell_needs_a_terminal() {
    let env = Env::new();
    env.open_incident();
    let err = env.fails(&["shell"]);
    assert!(err.contains("needs a terminal"), "{err}");
}

fn captured_session_is_an_asciicast_v2_with_the_secret_masked(shell: &str) {
    let env = Env::new();
    env.open_incident();
    let mut cmd = env.std_cmd();
    cmd.env("SHELL", shell).env("DB_PASSWORD", PASSWORD).args(["shell", "--capture"]);
    let mut term = Terminal::spawn(cmd);
    // Secrets in the output: a variable's value, and a token's shape.
    term.expect("observe] ").send("echo $DB_PASSWORD\r");
    term.expect(PASSWORD).expect("observe] ").send("printf 'ghp_%s\\n' abcdefghijklmnopqrstuvwxyz0123456789\r");
    term.expect(TOKEN).expect("observe] ").send("exit\r");
    assert_eq!(term.finish(), Some(0), "{}", term.screen);
    assert!(term.screen.contains("asciicast v2"), "says where the session is kept\n{}", term.screen);

    let commands = commands(&env);
    let session = commands.last().expect("the session is recorded");
    let path = session["artifact"]["path"].as_str().expect("with the recording as its artifact");
    assert!(path.ends_with("-shell.cast"), "{path}");
    let incident = env.show()["id"].as_str().unwrap_or_default().to_string();
    let cast = std::fs::read_to_string(env.store().join(incident).join(path)).expect("the recording");
    let mut lines = cast.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap_or_default()).expect("a JSON header");
    assert_eq!(header["version"], 2);
    assert!(header["width"].as_u64().is_some_and(|w| w > 0) && header["height"].as_u64().is_some_and(|h| h > 0));
    let mut shown = String::new();
    let mut last = 0.0;
    for line in lines {
        let event: serde_json::Value = serde_json::from_str(line).expect("each event is JSON");
        let at = event[0].as_f64().expect("a time in seconds");
        assert!(at >= last, "times never go back: {line}");
        last = at;
        assert_eq!(event[1], "o");
        shown.push_str(event[2].as_str().expect("output text"));
    }
    assert!(shown.contains("[masked:github-token]"), "{shown}");
    assert!(shown.contains("****") && shown.contains("[masked:github-token]"), "masked where printed\n{shown}");
    assert!(!cast.contains(TOKEN) && !cast.contains(PASSWORD), "no secret in the recording\n{cast}");
    assert!(shown.contains("echo $DB_PASSWORD"), "what was typed is in it\n{shown}");
    assert!(!env.timeline().contains(TOKEN));
}

/// The recording of the last captured session, as JSON events after the header.
fn cast_events(env: &Env) -> Vec<serde_json::Value> {
    let commands = commands(env);
    let session = commands.last().expect("the session is recorded");
    let path = session["artifact"]["path"].as_str().expect("with the recording as its artifact");
    let incident = env.show()["id"].as_str().unwrap_or_default().to_string();
    let cast = std::fs::read_to_string(env.store().join(incident).join(path)).expect("the recording");
    cast.lines().skip(1).map(|line| serde_json::from_str(line).expect("each event is JSON")).collect()
}

#[test]
fn a_resized_terminal_reaches_the_captured_shell_and_the_recording() {
    let env = Env::new();
    env.open_incident();
    let mut cmd = env.std_cmd();
    cmd.env("SHELL", "/bin/bash").args(["shell", "--capture"]);
    let mut term = Terminal::spawn(cmd);
    term.resize(80, 24);
    term.expect("observe] ").send("stty size\r").expect("24 80");
    term.resize(120, 40);
    // Polled every 100 ms: asked again until the shell's terminal has the new size.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !term.screen.contains("40 120") && std::time::Instant::now() < deadline {
        term.expect("observe] ").send("stty size\r");
        std::thread::sleep(std::time::Duration::from_millis(200));
        term.expect("\n");
    }
    term.expect("observe] ").send("exit\r");
    assert_eq!(term.finish(), Some(0), "{}", term.screen);
    assert!(term.screen.contains("40 120"), "the shell saw the new size\n{}", term.screen);
    let resizes: Vec<String> =
        cast_events(&env).into_iter().filter(|e| e[1] == "r").filter_map(|e| e[2].as_str().map(String::from)).collect();
    assert!(resizes.iter().any(|r| r == "120x40"), "the resize is in the recording: {resizes:?}");
}

#[test]
fn sigterm_during_a_capture_hangs_up_the_shell_keeps_the_recording_and_restores_the_terminal() {
    let env = Env::new();
    env.open_incident();
    let mut cmd = env.std_cmd();
    cmd.env("SHELL", "/bin/bash").args(["shell", "--capture"]);
    let mut term = Terminal::spawn(cmd);
    term.expect("observe] ").send("echo before-the-signal\r").expect("before-the-signal");
    term.expect("observe] ");
    assert!(!term.is_in_cooked_mode(), "our terminal is raw while the shell's does the editing");
    // SAFETY: kill(2) on the child this test started.
    unsafe {
        libc::kill(term.child.id() as i32, libc::SIGTERM);
    }
    term.finish();
    assert!(term.is_in_cooked_mode(), "the terminal was left in raw mode\n{}", term.screen);
    let shown: String = cast_events(&env).iter().filter_map(|e| e[2].as_str()).collect();
    assert!(shown.contains("before-the-signal"), "the recording was finished and kept\n{shown}");
}

#[test]
fn bash_capture_keeps_the_session_as_a_masked_asciicast() {
    captured_session_is_an_asciicast_v2_with_the_secret_masked("/bin/bash");
}

#[test]
fn zsh_capture_keeps_the_session_as_a_masked_asciicast() {
    captured_session_is_an_asciicast_v2_with_the_secret_masked("/usr/bin/zsh");
}

#[test]
fn a_walk_question_answered_with_a_bang_runs_a_command_or_a_shell_and_asks_again() {
    let env = Env::new();
    env.ok(&["open", "Disk full", "-s", "sev3"]);
    let mut cmd = env.std_cmd();
    cmd.env("SHELL", "/bin/bash").arg("walk");
    let mut t = Terminal::spawn(cmd);
    t.expect("!CMD runs a command").answer("When did the impact start?", "");
    t.answer("What do you see?", "!echo from-the-walk").expect("from-the-walk");
    // `!` alone: a recording shell, and `exit` comes back to the same question.
    t.answer("What do you see?", "!").expect("observe] ").send("df -h /\r");
    t.expect("observe] ").send("exit\r");
    t.answer("What do you see?", "/var at 100%").answer("What do you see?", "");
    t.expect("ORIENT").send("\x03");
    assert_eq!(t.finish(), Some(130), "{}", t.screen);
    let recorded = commands(&env);
    let lines: Vec<&str> = recorded.iter().map(|c| c["command"].as_str().unwrap_or_default()).collect();
    assert_eq!(lines, ["echo from-the-walk", "df -h /"]);
    assert!(recorded.iter().all(|c| c["phase"] == "observe"), "recorded in the walk's phase");
    let events = env.events();
    let observations: Vec<&str> =
        events.iter().filter(|e| e["kind"] == "observation").map(|e| e["text"].as_str().unwrap_or_default()).collect();
    assert_eq!(observations, ["/var at 100%"], "an escape is never an answer");
}
