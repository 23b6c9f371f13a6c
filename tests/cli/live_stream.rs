//! What `incident run` shows on a terminal while the command runs: masked like its record,
//! unable to drive the screen, and still live (a prompt without a newline shows at once).

use std::time::{Duration, Instant};

use crate::harness::{Env, Terminal};

const SECRET: &str = "hunter2-very-secret";

/// What broke: the live stream was passed to the terminal raw while only the record was
/// masked and sanitised, so a printed token was on screen (and on the screen share) and a
/// command's output could clear the screen or write the clipboard.
#[test]
fn a_secret_or_a_screen_clear_in_a_commands_output_never_reaches_the_terminal_raw() {
    let env = Env::new();
    env.open("Live");
    // A known value split over two writes with a pause between; a token shape; a value cut by
    // the 64 KiB long-line split; a screen clear and OSC 52; colours, which may pass.
    let script = "printf 'key: '; echo \"$API_TOKEN\" | cut -c1-12 | tr -d '\\n'; sleep 0.3; \
         echo \"$API_TOKEN\" | cut -c13-; \
         echo 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'; \
         head -c 65530 /dev/zero | tr '\\0' a; printf '%s\\n' \"$API_TOKEN\"; \
         printf 'clear\\033[2J clip\\033]52;c;aGk=\\007 \\033[31mred\\033[0m\\n'";
    let mut cmd = env.std_cmd();
    cmd.env("API_TOKEN", SECRET).args(["run", "--", "sh", "-c", script]);
    let mut t = Terminal::spawn(cmd);
    let status = t.finish();
    let screen = t.screen.replace(&"a".repeat(1000), "");
    assert_eq!(status, Some(0), "status {status:?}");
    assert!(!screen.contains(SECRET) && !screen.contains("hunter2") && !screen.contains("ghp_abc"), "{screen}");
    assert!(
        screen.contains("key: ****") && screen.contains("[masked:github-token]"),
        "masks are shown where the secrets were: {screen}"
    );
    assert!(!screen.contains("\x1b[2J") && !screen.contains("\x1b]52"), "{screen:?}");
    assert!(screen.contains("clear\\e[2J clip\\e]52;c;aGk=\\a"), "shown as visible escapes: {screen:?}");
    assert!(screen.contains("\x1b[31mred\x1b[0m"), "a command's colours pass: {screen:?}");
}

/// What a masked stream could break: a prompt or progress bar without a newline must still
/// show while the command waits, not when it ends.
#[test]
fn a_partial_line_shows_while_the_command_is_still_running() {
    let env = Env::new();
    env.open("Live");
    let mut cmd = env.std_cmd();
    cmd.args(["run", "--", "sh", "-c", "printf 'Continue? [y/N] '; sleep 3; echo done"]);
    let started = Instant::now();
    let mut t = Terminal::spawn(cmd);
    t.expect("Continue? [y/N] ");
    assert!(started.elapsed() < Duration::from_secs(2), "the prompt waited for the command: {:?}", started.elapsed());
    t.expect("done");
    t.finish();
}
