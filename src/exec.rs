//! Running a command the way an incident needs: as argv (never through a shell), in its own
//! process group, with its output streamed as it comes, a timeout that kills the whole group,
//! and Ctrl-C reaching it without losing the record of what happened.

use std::io::{self, IsTerminal, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

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
}

/// Why a command could not start, with the status a shell would give.
#[derive(Debug)]
pub struct SpawnError {
    pub message: String,
    pub shell_status: u8,
}

enum Message {
    Output(Stream, Vec<u8>),
    Closed,
    Exited(io::Result<ExitStatus>),
}

/// Runs `argv`, calling `sink` with each chunk of output as it arrives.
pub fn run(argv: &[String], options: &Options, sink: &mut dyn FnMut(Stream, &[u8])) -> Result<Outcome, SpawnError> {
    let (program, args) =
        argv.split_first().ok_or(SpawnError { message: "no command given".into(), shell_status: 2 })?;
    // Interrupts are caught from before the spawn: one arriving between the spawn and the
    // terminal hand-off must reach the command, not end us with the command unrecorded.
    let forwarding = SignalForwarding::install();
    let started = Instant::now();
    let spawned = Command::new(program)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            forwarding.finish();
            let not_found = e.kind() == io::ErrorKind::NotFound;
            return Err(SpawnError {
                shell_status: if not_found { 127 } else { 126 },
                message: format!(
                    "{program}: {}",
                    if not_found { "command not found".to_string() } else { e.to_string() }
                ),
            });
        }
    };
    let pgid = i32::try_from(child.id()).unwrap_or(0);
    forwarding.forward_to(pgid);
    let terminal = options.foreground.then(|| ForegroundTerminal::hand_to(pgid)).flatten();

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
    {
        let tx = tx.clone();
        thread::spawn(move || {
            let _ = tx.send(Message::Exited(child.wait()));
        });
    }
    drop(tx);

    let mut deadline = options.timeout.map(|t| started + t);
    let mut timed_out = false;
    let mut killed = false;
    let mut status = None;
    let mut drain_until = None;
    loop {
        if status.is_some() && open_pipes == 0 {
            break;
        }
        let wait_until = [deadline, drain_until].into_iter().flatten().min();
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
            Some(Message::Output(stream, bytes)) => sink(stream, &bytes),
            Some(Message::Closed) => open_pipes -= 1,
            Some(Message::Exited(result)) => {
                status = Some(result);
                deadline = None;
                drain_until = Some(Instant::now() + DRAIN_LIMIT);
            }
            None if drain_until.is_some_and(|d| Instant::now() >= d) => break,
            None => {
                // The deadline passed: TERM the whole group, then KILL it after a grace period.
                if !timed_out {
                    timed_out = true;
                    kill_group(pgid, libc::SIGTERM);
                    deadline = Some(Instant::now() + KILL_GRACE);
                } else if !killed {
                    killed = true;
                    kill_group(pgid, libc::SIGKILL);
                    deadline = None;
                }
            }
        }
    }
    if timed_out {
        // Whatever of the group survived SIGTERM and is still around goes now.
        kill_group(pgid, libc::SIGKILL);
    }
    drop(terminal);
    let forwarded = forwarding.finish();
    let duration = started.elapsed();
    let status = match status {
        Some(Ok(status)) => status,
        Some(Err(e)) => return Err(SpawnError { message: format!("lost track of {program}: {e}"), shell_status: 1 }),
        None => return Err(SpawnError { message: format!("lost track of {program}"), shell_status: 1 }),
    };
    let signal = status.signal();
    // 130 is how a program that handles Ctrl-C itself reports it (128 + SIGINT).
    let interrupted = !timed_out
        && (forwarded
            || status.code() == Some(130)
            || matches!(signal, Some(libc::SIGINT | libc::SIGTERM | libc::SIGHUP | libc::SIGQUIT)));
    Ok(Outcome { exit_code: status.code(), signal, timed_out, interrupted, duration })
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

fn kill_group(pgid: i32, signal: i32) {
    if pgid > 0 {
        // SAFETY: kill(2) with a negative pid signals a process group; no memory is involved.
        unsafe {
            libc::kill(-pgid, signal);
        }
    }
}

/// While a command runs in the terminal's foreground, Ctrl-C goes to it and not to us; when it
/// ends the foreground comes back to us.
struct ForegroundTerminal {
    ours: libc::pid_t,
}

impl ForegroundTerminal {
    fn hand_to(pgid: i32) -> Option<Self> {
        if !io::stdin().is_terminal() {
            return None;
        }
        // SAFETY: plain syscalls on fd 0 and our own process group.
        unsafe {
            let ours = libc::getpgrp();
            if libc::tcgetpgrp(libc::STDIN_FILENO) != ours {
                return None; // we are a background job: leave the terminal alone
            }
            if libc::tcsetpgrp(libc::STDIN_FILENO, pgid) != 0 {
                return None;
            }
            Some(ForegroundTerminal { ours })
        }
    }
}

impl Drop for ForegroundTerminal {
    fn drop(&mut self) {
        // A background group taking the terminal back is sent SIGTTOU: ignore it meanwhile.
        // SAFETY: signal disposition changes and tcsetpgrp on fd 0; the old disposition is restored.
        unsafe {
            let old = libc::signal(libc::SIGTTOU, libc::SIG_IGN);
            libc::tcsetpgrp(libc::STDIN_FILENO, self.ours);
            libc::signal(libc::SIGTTOU, old);
        }
    }
}

static CHILD_GROUP: AtomicI32 = AtomicI32::new(0);
static FORWARDED: AtomicBool = AtomicBool::new(false);
const FORWARDED_SIGNALS: [i32; 4] = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

extern "C" fn forward_signal(signal: libc::c_int) {
    let pgid = CHILD_GROUP.load(Ordering::SeqCst);
    FORWARDED.store(true, Ordering::SeqCst);
    if pgid > 0 {
        // SAFETY: kill(2) is async-signal-safe.
        unsafe {
            libc::kill(-pgid, signal);
        }
    }
}

/// Passes interrupts meant for us on to the command's group, so that we live to record it.
struct SignalForwarding {
    previous: Vec<(i32, libc::sighandler_t)>,
}

impl SignalForwarding {
    fn install() -> Self {
        CHILD_GROUP.store(0, Ordering::SeqCst);
        FORWARDED.store(false, Ordering::SeqCst);
        let handler = forward_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        let previous = FORWARDED_SIGNALS
            .iter()
            // SAFETY: the handler only touches atomics and calls kill(2), both async-signal-safe.
            .map(|&sig| (sig, unsafe { libc::signal(sig, handler) }))
            .collect();
        SignalForwarding { previous }
    }

    /// From now on interrupts go to `pgid`; one that came while it was starting goes now.
    fn forward_to(&self, pgid: i32) {
        CHILD_GROUP.store(pgid, Ordering::SeqCst);
        if FORWARDED.load(Ordering::SeqCst) {
            kill_group(pgid, libc::SIGINT);
        }
    }

    /// Restores the previous handlers; reports whether an interrupt was forwarded.
    fn finish(self) -> bool {
        for &(sig, old) in &self.previous {
            // SAFETY: restores the disposition saved by `install`.
            unsafe {
                libc::signal(sig, old);
            }
        }
        CHILD_GROUP.store(0, Ordering::SeqCst);
        FORWARDED.load(Ordering::SeqCst)
    }
}

/// Quotes an argument so a POSIX shell reads it back as one word.
pub fn shell_quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | '=' | '@' | '%' | '+' | ',')
        });
    if plain { arg.to_string() } else { format!("'{}'", arg.replace('\'', r"'\''")) }
}

/// An argv as a shell command line.
pub fn shell_join(argv: &[String]) -> String {
    argv.iter().map(|a| shell_quote(a)).collect::<Vec<_>>().join(" ")
}

/// Splits a command line typed by a person into argv the way a POSIX shell splits words
/// (quotes and backslashes), without expanding anything: no variables, globs or `$(...)`.
pub fn split_command_line(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("a single quote is not closed".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("a double quote is not closed".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("a double quote is not closed".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(c) => word.push(c),
                    None => return Err("the line ends with a backslash".into()),
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_split_like_a_shell_without_expanding() {
        let split = |s: &str| split_command_line(s).unwrap_or_default();
        assert_eq!(split("kubectl rollout undo deploy/x"), ["kubectl", "rollout", "undo", "deploy/x"]);
        assert_eq!(split(r#"sh -c 'echo $HOME; ls' "a \"b\"" c\ d"#), ["sh", "-c", "echo $HOME; ls", "a \"b\"", "c d"]);
        assert_eq!(split("echo $(rm -rf /)"), ["echo", "$(rm", "-rf", "/)"]);
        assert_eq!(split("''"), [""]);
        assert!(split_command_line("echo 'open").is_err());
    }

    #[test]
    fn quoting_round_trips_through_a_shell_word() {
        assert_eq!(shell_quote("kubectl"), "kubectl");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("$(rm -rf /)"), "'$(rm -rf /)'");
    }
}
