//! Running a command the way an incident needs: as argv (never through a shell), in its own
//! process group, with its output streamed as it comes, a timeout that ends the whole group,
//! and Ctrl-C reaching it without losing the record of what happened.

use std::io::{self, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rustix::process::{Pid, WaitId, WaitIdOptions};
use signal_hook::consts::{SIGHUP, SIGINT, SIGKILL, SIGQUIT, SIGTERM};

use super::groups::{self, BackgroundGroup, TerminalForeground};
use crate::signals::ForegroundCommand;

/// How long a timed-out group gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(2);
/// How long to wait for the pipes to close once the command exited (a daemon it started may
/// hold them open forever).
const DRAIN_LIMIT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub timeout: Option<Duration>,
    /// Give the command the terminal's foreground (so it reads the terminal and gets Ctrl-C
    /// directly) when stdin is the terminal and we hold its foreground.
    pub foreground: bool,
    /// Runs beside other work (a check among many, git): stdin is /dev/null, interrupts are
    /// not forwarded to it (its group is ended when we are), and whatever it left running in
    /// its group is killed as soon as it exited.
    pub background: bool,
    /// Once output has been quiet this long, `sink` is called with an empty chunk (for stdout),
    /// so whoever holds back partial lines can show a prompt or a progress bar promptly.
    pub idle: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// The command was stopped by an interrupt (Ctrl-C, SIGTERM, SIGHUP) meant for it.
    pub interrupted: bool,
    pub duration: Duration,
}

impl Outcome {
    /// The status to exit with, as a shell reports it: the code, `128 + signal`, or 124 after a
    /// timeout (as `timeout(1)` does).
    pub fn shell_status(&self) -> u8 {
        if self.timed_out {
            return 124;
        }
        match (self.exit_code, self.signal) {
            (Some(code), _) => u8::try_from(code & 0xff).unwrap_or(1),
            (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(1),
            (None, None) => 1,
        }
    }

    pub fn success(&self) -> bool {
        !self.timed_out && self.exit_code == Some(0)
    }
}

/// Why a command could not start, with the status a shell would give.
#[derive(Debug)]
pub struct SpawnError {
    pub message: String,
    pub shell_status: u8,
    pub not_found: bool,
}

enum Message {
    Output(Stream, Vec<u8>),
    Closed,
    Exited,
}

/// `argv` as a command to run; fails when it is empty.
pub fn command(argv: &[String]) -> Result<Command, SpawnError> {
    let (program, args) = argv.split_first().ok_or(SpawnError {
        message: "no command given".into(),
        shell_status: 2,
        not_found: false,
    })?;
    let mut command = Command::new(program);
    command.args(args);
    Ok(command)
}

/// Whether `program` is an executable file in a folder of PATH: for a clear "install it"
/// before anything starts, where not finding it is not a failure (or is a different one).
pub fn on_path(program: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            std::fs::metadata(dir.join(program)).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Runs `argv`, calling `sink` with each chunk of output as it arrives.
pub fn run(argv: &[String], options: &Options, sink: &mut dyn FnMut(Stream, &[u8])) -> Result<Outcome, SpawnError> {
    run_prepared(&mut command(argv)?, options, sink)
}

/// Runs a prepared `command` (its program, arguments, environment and directory: its stdio and
/// process group are set here), calling `sink` with each chunk of output as it arrives.
fn run_prepared(
    command: &mut Command,
    options: &Options,
    sink: &mut dyn FnMut(Stream, &[u8]),
) -> Result<Outcome, SpawnError> {
    let program = command.get_program().to_string_lossy().into_owned();
    // A background command (one check among many) leaves interrupts to its caller.
    let foreground_command = (!options.background).then(ForegroundCommand::begin);
    let started = Instant::now();
    let spawned = command
        .stdin(if options.background { Stdio::null() } else { Stdio::inherit() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            let not_found = e.kind() == io::ErrorKind::NotFound;
            return Err(SpawnError {
                shell_status: if not_found { 127 } else { 126 },
                message: format!(
                    "{program}: {}",
                    if not_found { "command not found".to_string() } else { e.to_string() }
                ),
                not_found,
            });
        }
    };
    let group = i32::try_from(child.id()).unwrap_or(0);
    let _registered = options.background.then(|| BackgroundGroup::register(group));
    if let Some(foreground_command) = &foreground_command {
        foreground_command.started(group);
    }
    let terminal = (options.foreground && !options.background).then(|| TerminalForeground::hand_to(group)).flatten();

    let (tx, rx) = mpsc::channel();
    let mut open_pipes = 0;
    if let Some(out) = child.stdout.take() {
        spawn_reader(out, Stream::Stdout, tx.clone());
        open_pipes += 1;
    }
    if let Some(err) = child.stderr.take() {
        spawn_reader(err, Stream::Stderr, tx.clone());
        open_pipes += 1;
    }
    spawn_exit_watch(group, tx);

    let mut deadline = options.timeout.map(|t| started + t);
    let mut timed_out = false;
    let mut killed = false;
    let mut exited = false;
    let mut drain_until = None;
    // When output arrived and the idle tick for it is still owed.
    let mut idle_due: Option<Instant> = None;
    loop {
        if exited && open_pipes == 0 {
            break;
        }
        let wait_until = [deadline, drain_until, idle_due].into_iter().flatten().min();
        let message = match wait_until {
            Some(until) => match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
                Ok(m) => Some(m),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            },
            None => match rx.recv() {
                Ok(m) => Some(m),
                Err(_) => break,
            },
        };
        match message {
            Some(Message::Output(stream, bytes)) => {
                sink(stream, &bytes);
                idle_due = options.idle.map(|idle| Instant::now() + idle);
            }
            Some(Message::Closed) => open_pipes -= 1,
            Some(Message::Exited) => {
                exited = true;
                deadline = None;
                drain_until = Some(Instant::now() + DRAIN_LIMIT);
                if options.background {
                    // Its answer is given: what it left running (`sleep 100 &`) would hold the
                    // pipes and outlive the check. Not reaped yet, the group id is still ours.
                    groups::signal_group(group, SIGKILL);
                }
            }
            None if idle_due.is_some_and(|d| Instant::now() >= d) => {
                idle_due = None;
                sink(Stream::Stdout, &[]);
            }
            None if drain_until.is_some_and(|d| Instant::now() >= d) => break,
            None => {
                // The deadline passed: TERM the whole group, then KILL it after a grace period.
                if !timed_out {
                    timed_out = true;
                    groups::signal_group(group, SIGTERM);
                    deadline = Some(Instant::now() + KILL_GRACE);
                } else if !killed {
                    killed = true;
                    groups::signal_group(group, SIGKILL);
                    deadline = None;
                }
            }
        }
    }
    if timed_out {
        // Whatever of the group survived SIGTERM goes now. The command itself is not reaped
        // yet, so its group id cannot have been taken by another.
        groups::signal_group(group, SIGKILL);
    }
    drop(terminal);
    let forwarded = foreground_command.is_some_and(ForegroundCommand::finish);
    let duration = started.elapsed();
    let status = child.wait().map_err(|e| SpawnError {
        message: format!("lost track of {program}: {e}"),
        shell_status: 1,
        not_found: false,
    })?;
    let signal = status.signal();
    // 130 is how a program that handles Ctrl-C itself reports it (128 + SIGINT).
    let interrupted = !timed_out
        && (forwarded || status.code() == Some(130) || matches!(signal, Some(SIGINT | SIGTERM | SIGHUP | SIGQUIT)));
    Ok(Outcome { exit_code: status.code(), signal, timed_out, interrupted, duration })
}

/// Runs an interactive program (a shell) on our terminal: its own process group, the terminal's
/// foreground handed to it (and taken back when it ends), interrupts its own. Waits as long as
/// it lives: the person at the terminal decides when it ends.
pub fn run_interactive(command: &mut Command) -> Result<Outcome, SpawnError> {
    let program = command.get_program().to_string_lossy().into_owned();
    let foreground_command = ForegroundCommand::begin();
    let started = Instant::now();
    let mut child = command.process_group(0).spawn().map_err(|e| {
        let not_found = e.kind() == io::ErrorKind::NotFound;
        SpawnError { shell_status: if not_found { 127 } else { 126 }, message: format!("{program}: {e}"), not_found }
    })?;
    let group = i32::try_from(child.id()).unwrap_or(0);
    foreground_command.started(group);
    let terminal = TerminalForeground::hand_to(group);
    // A job-control shell that found itself in the background before the hand-over stopped
    // itself (SIGTTIN); it checks again once continued.
    groups::signal_group(group, rustix::process::Signal::CONT.as_raw());
    let status = child.wait();
    drop(terminal);
    foreground_command.finish();
    let status = status.map_err(|e| SpawnError {
        message: format!("lost track of {program}: {e}"),
        shell_status: 1,
        not_found: false,
    })?;
    Ok(Outcome {
        exit_code: status.code(),
        signal: status.signal(),
        timed_out: false,
        interrupted: false,
        duration: started.elapsed(),
    })
}

/// Tells the loop when the command exited, without reaping it: until `run_prepared` reaps it,
/// its pid (the group's id) stays ours and no other process can be signalled by mistake.
fn spawn_exit_watch(pid: i32, tx: mpsc::Sender<Message>) {
    thread::spawn(move || {
        if let Some(pid) = Pid::from_raw(pid) {
            let exited = || rustix::process::waitid(WaitId::Pid(pid), WaitIdOptions::EXITED | WaitIdOptions::NOWAIT);
            while let Err(rustix::io::Errno::INTR) = exited() {}
        }
        let _ = tx.send(Message::Exited);
    });
}

fn spawn_reader(mut pipe: impl Read + Send + 'static, stream: Stream, tx: mpsc::Sender<Message>) {
    thread::spawn(move || {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    if tx.send(Message::Output(stream, buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = tx.send(Message::Closed);
    });
}

/// What a command said, each stream cut to its last bytes.
#[derive(Debug)]
pub struct Captured {
    pub outcome: Outcome,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Runs `command` in the background (stdin /dev/null, its own process group, ended with us),
/// keeping the last `keep` bytes of each stream; after `timeout` the whole group is ended
/// (SIGTERM, then SIGKILL), and whatever it left running is killed as soon as it exited.
pub fn capture(command: &mut Command, timeout: Duration, keep: usize) -> Result<Captured, SpawnError> {
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let options = Options { timeout: Some(timeout), background: true, ..Options::default() };
    let outcome = run_prepared(command, &options, &mut |stream, bytes| {
        let buf = if stream == Stream::Stdout { &mut stdout } else { &mut stderr };
        buf.extend_from_slice(bytes);
        // Trimmed in batches, so that a chatty command costs linear time.
        if buf.len() > 2 * keep {
            buf.drain(..buf.len() - keep);
        }
    })?;
    for buf in [&mut stdout, &mut stderr] {
        if buf.len() > keep {
            buf.drain(..buf.len() - keep);
        }
    }
    Ok(Captured { outcome, stdout, stderr })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `pid` is a live process (not a zombie left for init to reap).
    fn alive(pid: i32) -> bool {
        let exists = Pid::from_raw(pid).is_some_and(|p| rustix::process::test_kill_process(p).is_ok());
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| stat.rsplit(')').next().and_then(|rest| rest.split_whitespace().next()) == Some("Z"))
            .unwrap_or(false);
        exists && !zombie
    }

    fn gone_soon(pid: i32) -> bool {
        let until = Instant::now() + Duration::from_secs(2);
        while alive(pid) && Instant::now() < until {
            thread::sleep(Duration::from_millis(10));
        }
        !alive(pid)
    }

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn a_timeout_ends_the_grandchildren_too() {
        let captured = capture(&mut sh("sleep 30 & echo $!; wait"), Duration::from_millis(300), 1024).expect("sh runs");
        assert!(captured.outcome.timed_out);
        let grandchild: i32 = String::from_utf8_lossy(&captured.stdout).trim().parse().expect("a pid");
        assert!(gone_soon(grandchild), "the grandchild {grandchild} outlived the timeout");
    }

    #[test]
    fn a_background_command_leaves_nothing_running_once_it_exited() {
        let started = Instant::now();
        let captured = capture(&mut sh("sleep 30 & echo $!"), Duration::from_secs(20), 1024).expect("sh runs");
        assert!(captured.outcome.success(), "{:?}", captured.outcome);
        assert!(started.elapsed() < Duration::from_secs(10), "the stray child held the pipes");
        let stray: i32 = String::from_utf8_lossy(&captured.stdout).trim().parse().expect("a pid");
        assert!(gone_soon(stray), "the stray child {stray} outlived the command");
    }

    #[test]
    fn captured_output_keeps_the_last_bytes() {
        let captured = capture(&mut sh("seq 1 20000; echo tail >&2"), Duration::from_secs(5), 10).expect("sh runs");
        assert_eq!(captured.stdout, b"19999\n20000\n"[2..]);
        assert_eq!(captured.stderr, b"tail\n");
    }

    #[test]
    fn a_missing_program_is_a_spawn_error_with_the_shell_status() {
        let error = capture(&mut Command::new("no-such-program-anywhere"), Duration::from_secs(1), 10)
            .expect_err("nothing to run");
        assert!(error.not_found);
        assert_eq!(error.shell_status, 127);
    }
}
