//! Process groups: every command we start leads its own group, so that a timeout or an
//! interrupt reaches all it started (a shell's children, git's `ssh`), not just the command.
//! The registry of groups running in the background (checks, git), which go when we go, and
//! the terminal's foreground handed to a command and taken back.

use std::io::IsTerminal;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};
use signal_hook::consts::{SIGKILL, SIGQUIT, SIGTERM};

/// How long background groups get to end on the signal we got before they are killed: git
/// removes its lock files on SIGINT and SIGTERM, but not on SIGKILL.
const END_GRACE: Duration = Duration::from_millis(500);

/// Sends `signal` to every process in `group`. A group already gone is not an error.
pub fn signal_group(group: i32, signal: i32) {
    if let (Some(group), Some(signal)) = (Pid::from_raw(group), Signal::from_named_raw(signal)) {
        let _ = rustix::process::kill_process_group(group, signal);
    }
}

/// Whether any process of `group` is still there (zombies included).
fn group_exists(group: i32) -> bool {
    Pid::from_raw(group).is_some_and(|group| rustix::process::test_kill_process_group(group).is_ok())
}

/// Groups of commands running beside other work (checks, git), which nobody forwards an
/// interrupt to: they are ended by [`end_background`] when we are.
static BACKGROUND: Mutex<Vec<i32>> = Mutex::new(Vec::new());

fn background() -> MutexGuard<'static, Vec<i32>> {
    BACKGROUND.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A group in the background registry, for as long as this lives.
pub struct BackgroundGroup(i32);

impl BackgroundGroup {
    pub fn register(group: i32) -> Self {
        background().push(group);
        BackgroundGroup(group)
    }
}

impl Drop for BackgroundGroup {
    fn drop(&mut self) {
        let mut groups = background();
        if let Some(at) = groups.iter().position(|&g| g == self.0) {
            groups.swap_remove(at);
        }
    }
}

/// Ends every background group as we end: passes on `signal` (SIGTERM for a SIGQUIT, whose
/// core dumps help nobody), waits a moment for them to go, and kills what is left.
pub fn end_background(signal: i32) {
    let groups = background().clone();
    if groups.is_empty() {
        return;
    }
    let polite = if signal == SIGQUIT { SIGTERM } else { signal };
    for &group in &groups {
        signal_group(group, polite);
    }
    let until = Instant::now() + END_GRACE;
    while Instant::now() < until && groups.iter().any(|&g| group_exists(g)) {
        std::thread::sleep(Duration::from_millis(10));
    }
    for &group in &groups {
        signal_group(group, SIGKILL);
    }
}

/// While a command runs in the terminal's foreground, Ctrl-C goes to it and not to us; when it
/// ends the foreground comes back to us.
pub struct TerminalForeground {
    ours: Pid,
}

impl TerminalForeground {
    /// Hands the terminal to `group` when stdin is a terminal whose foreground we hold; `None`
    /// otherwise (off a terminal, or run as a background job).
    pub fn hand_to(group: i32) -> Option<Self> {
        let group = Pid::from_raw(group)?;
        let stdin = std::io::stdin();
        if !stdin.is_terminal() {
            return None;
        }
        let ours = rustix::process::getpgrp();
        if rustix::termios::tcgetpgrp(&stdin).ok()? != ours {
            return None;
        }
        rustix::termios::tcsetpgrp(&stdin, group).ok()?;
        Some(TerminalForeground { ours })
    }
}

impl Drop for TerminalForeground {
    fn drop(&mut self) {
        // We are a background group now: taking the terminal back would stop us with SIGTTOU.
        crate::signals::with_terminal_output_allowed(|| {
            let _ = rustix::termios::tcsetpgrp(std::io::stdin(), self.ours);
        });
    }
}
