//! A source read from a command's output rather than a file: `journalctl -o json`,
//! `docker logs --timestamps`, `kubectl logs --timestamps`. The command runs as argv, its output
//! is searched as a stream, and it is ended when the search stops early or runs past its limit.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::container::{self, wrapper::Wrapper};
use super::scan::Run;
use super::{FileReport, Flow, Hit, Matcher, Options, Strategy, Summary};

/// How long a source command may run before it is ended (a daemon that does not answer).
pub const TIME_LIMIT: Duration = Duration::from_secs(300);

/// A command whose output is the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSource {
    /// What reports and records call it: `journal:api.service`, `container:web`.
    pub name: String,
    pub program: String,
    pub args: Vec<String>,
    /// How its lines are wrapped; `None`: detected like a file's.
    pub wrapper: Option<Wrapper>,
    /// Said when the program is not installed: what it is needed for.
    pub needed_for: String,
}

impl CommandSource {
    /// The command line, for messages and docs.
    pub fn argv(&self) -> Vec<String> {
        std::iter::once(self.program.clone()).chain(self.args.iter().cloned()).collect()
    }
}

/// Runs the command and searches what it prints. A command that cannot start, fails or runs past
/// `limit` is the report's error, with what it said.
pub fn search(
    source: &CommandSource,
    limit: Duration,
    matcher: &Matcher,
    options: &Options,
    sink: &mut dyn FnMut(&Hit) -> Flow,
) -> Summary {
    let name = PathBuf::from(&source.name);
    let failed = |why: String| {
        let mut report = FileReport::new(&name);
        report.strategy = Strategy::Failed;
        report.error = Some(why);
        Summary { files: vec![report], ..Summary::default() }
    };
    let mut command = Command::new(&source.program);
    command.args(&source.args).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // The container CLIs print the container's stderr on theirs: one pipe keeps the two in order.
    let merged = match source.wrapper {
        Some(_) => match std::io::pipe() {
            Ok((reader, writer)) => {
                let Ok(copy) = writer.try_clone() else { return failed("cannot create a pipe".into()) };
                command.stdout(writer).stderr(copy);
                Some(reader)
            }
            Err(e) => return failed(format!("cannot create a pipe: {e}")),
        },
        None => None,
    };
    let child = command.spawn();
    // The parent's copies of the pipe's writing end must close, or the stream never ends.
    drop(command);
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return failed(format!("{} not found: {}", source.program, source.needed_for));
        }
        Err(e) => return failed(format!("cannot run {}: {e}", source.program)),
    };
    let mut stdout: Box<dyn Read + Send> = match (merged, child.stdout.take()) {
        (Some(reader), _) => Box::new(reader),
        (None, Some(stdout)) => Box::new(stdout),
        (None, None) => return failed(format!("{} gave no output stream", source.program)),
    };
    // stderr is read beside stdout so that a chatty command cannot block on a full pipe.
    let mut stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(stderr) = stderr.as_mut() {
            let _ = stderr.take(64 << 10).read_to_string(&mut text);
        }
        text
    });
    let (done, finished) = mpsc::channel::<()>();
    let pid = child.id();
    let watchdog = std::thread::spawn(move || {
        let expired = finished.recv_timeout(limit) == Err(mpsc::RecvTimeoutError::Timeout);
        if expired && let Some(pid) = rustix::process::Pid::from_raw(pid.cast_signed()) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
        expired
    });

    let mut said = String::new();
    let mut summary = match source.wrapper {
        Some(wrapper) => {
            let mut run = Run::new(matcher, options, sink);
            let mut report = FileReport::new(&name);
            report.format = Some(wrapper.name().to_string());
            container::search(Path::new(&name), &mut stdout, wrapper, &mut run, &mut report, Some(&mut said));
            run.summary.files.push(report);
            run.summary
        }
        None => super::search_stream(Path::new(&name), &mut stdout, matcher, options, sink),
    };
    // Stopped early (--max, a closed pipe): the command need not write the rest.
    drop(stdout);
    let _ = child.kill();
    let status = child.wait();
    let _ = done.send(());
    let timed_out = watchdog.join().unwrap_or(false);
    said.push_str(&errors.join().unwrap_or_default());
    let Some(report) = summary.files.first_mut() else { return summary };
    if timed_out {
        report.error = Some(format!("{} ended after {} s without finishing", source.program, limit.as_secs()));
        report.strategy = Strategy::Failed;
    } else if let Ok(status) = status
        && !status.success()
        && status.code().is_some()
    {
        report.error = Some(format!("{} failed ({status}): {}", source.program, said.trim()));
        report.strategy = Strategy::Failed;
    }
    summary
}
