//! `incident shell --capture`: the shell runs on a pseudo-terminal of ours, whose output we pass
//! to the real terminal as it comes and keep, masked, as an asciicast v2 recording (a header
//! line, then `[seconds, "o", text]` lines; `asciinema play` plays it).
//!
//! Masking works on whole lines (the stream masker), so the recording gets each line when it is
//! complete: a token typed or printed is never kept in two halves that each pass unmasked. The
//! terminal shows everything at once; only the recording waits for the end of a line.
//!
//! A resize of our terminal is passed on to the shell's (which tells the shell with SIGWINCH)
//! and kept as an `"r"` event. SIGTERM, SIGHUP or SIGINT sent to us hang up the shell instead
//! of ending us at once, so the recording is finished, the session recorded and our terminal
//! put back in its own mode on that way out too.

use std::fs::File;
use std::io::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{OptionalActions, Termios, tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize};

use crate::error::{Error, Result};
use crate::model::ArtifactRef;
use crate::secrets::{Masker, StreamMasker};
use crate::store::ArtifactWriter;

/// A line longer than this is recorded in pieces, cut where no secret lies.
const MAX_LINE_BYTES: usize = 64 * 1024;
/// How long output may keep coming after the shell exited (a job it left writing).
const DRAIN: Duration = Duration::from_millis(200);
/// How long a hung-up shell has to exit before it is killed.
const HANGUP_GRACE: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(100);

/// Runs `command` (the shell, its rc already arranged) on a new pseudo-terminal, relaying our
/// terminal to it, and writes the session to `artifact`. Returns how the shell ended and the
/// recording.
pub fn run_captured(
    mut command: Command,
    artifact: ArtifactWriter,
    masker: Masker,
    shell: &str,
) -> Result<(std::process::ExitStatus, ArtifactRef)> {
    let pty_error = |e: rustix::io::Errno| Error::runtime(format!("cannot open a pseudo-terminal: {e}"));
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).map_err(pty_error)?;
    grantpt(&master).map_err(pty_error)?;
    unlockpt(&master).map_err(pty_error)?;
    let slave_path = ptsname(&master, Vec::new()).map_err(pty_error)?;
    let slave_path = std::path::PathBuf::from(slave_path.to_string_lossy().into_owned());
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&slave_path)
        .map_err(|e| Error::io("cannot open", &slave_path, &e))?;
    let stdin = std::io::stdin();
    let size = tcgetwinsize(&stdin).ok().filter(|s| s.ws_col > 0 && s.ws_row > 0);
    if let Some(size) = size {
        let _ = tcsetwinsize(&slave, size);
    }
    let (width, height) = size.map_or((80, 24), |s| (s.ws_col, s.ws_row));
    let mut recording = Asciicast::start(artifact, masker, width, height, shell)?;
    recording.size = size.map(|s| (s.ws_col, s.ws_row));

    // The shell leads a session of its own whose controlling terminal is the new one (setsid -c).
    command.stdin(Stdio::from(slave.try_clone().map_err(|e| Error::io("cannot open", &slave_path, &e))?));
    command.stdout(Stdio::from(slave.try_clone().map_err(|e| Error::io("cannot open", &slave_path, &e))?));
    command.stderr(Stdio::from(slave));
    let mut child = command.spawn().map_err(|e| Error::runtime(format!("cannot start the shell: {e}")))?;
    drop(command); // our copies of the terminal's slave side: the end of output is when theirs close

    // From here an interrupt sent to us hangs up the shell (below) instead of ending us.
    let stop = crate::signals::StopOnInterrupt::begin();
    let raw = RawMode::enter(&stdin);
    let done = Arc::new(AtomicBool::new(false));
    let master = File::from(master);
    let keys =
        relay_keys(master.try_clone().map_err(|e| Error::runtime(format!("pseudo-terminal: {e}")))?, done.clone());
    let status = relay_output(&master, &mut child, &mut recording, &stop);
    done.store(true, Ordering::SeqCst);
    let _ = keys.join();
    drop(raw);
    let status = status?;
    Ok((status, recording.finish()?))
}

/// What the person types goes to the shell's terminal, until `done`.
fn relay_keys(mut master: File, done: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut buf = [0u8; 4096];
        while !done.load(Ordering::SeqCst) {
            // Polled, not blocked on, so that no key meant for what comes after is taken.
            let timeout = rustix::event::Timespec { tv_sec: 0, tv_nsec: POLL.as_nanos() as i64 };
            let mut fds = [PollFd::new(&stdin, PollFlags::IN)];
            if !matches!(poll(&mut fds, Some(&timeout)), Ok(n) if n > 0) {
                continue;
            }
            match rustix::io::read(&stdin, &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if master.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
    })
}

/// The shell's output to our terminal and the recording, until it exited and its terminal
/// fell silent.
fn relay_output(
    master: &File,
    child: &mut Child,
    recording: &mut Asciicast,
    stop: &crate::signals::StopOnInterrupt,
) -> Result<std::process::ExitStatus> {
    let mut stdout = std::io::stdout();
    let mut buf = [0u8; 16 * 1024];
    let mut exited: Option<(std::process::ExitStatus, Instant)> = None;
    let mut hung_up: Option<Instant> = None;
    loop {
        if exited.is_none() {
            exited = child.try_wait().ok().flatten().map(|s| (s, Instant::now()));
        }
        if exited.is_none() {
            hang_up_when_asked(child, stop, &mut hung_up);
            follow_resize(master, recording)?;
        }
        if let Some((status, at)) = exited
            && at.elapsed() >= DRAIN
        {
            return Ok(status);
        }
        let timeout = rustix::event::Timespec { tv_sec: 0, tv_nsec: POLL.as_nanos() as i64 };
        let mut fds = [PollFd::new(master, PollFlags::IN)];
        if !matches!(poll(&mut fds, Some(&timeout)), Ok(n) if n > 0) {
            continue;
        }
        match rustix::io::read(master, &mut buf) {
            Ok(n) if n > 0 => {
                // The shell's own output, as the shell meant it: this is its terminal.
                let _ = stdout.write_all(&buf[..n]).and_then(|()| stdout.flush());
                recording.output(&buf[..n])?;
            }
            // EIO: every process on its terminal has gone.
            _ => {
                if exited.is_none() {
                    let status = child.wait().map_err(|e| Error::runtime(format!("lost track of the shell: {e}")))?;
                    return Ok(status);
                }
                return Ok(exited.map(|(s, _)| s).unwrap_or_default());
            }
        }
    }
}

/// Asked to stop (an interrupt sent to us): the shell's session gets SIGHUP, as when a terminal
/// closes, and SIGKILL if it is still there after [`HANGUP_GRACE`].
fn hang_up_when_asked(child: &Child, stop: &crate::signals::StopOnInterrupt, hung_up: &mut Option<Instant>) {
    // The shell leads its own session and process group: its id is the group's.
    let Ok(group) = i32::try_from(child.id()) else { return };
    match hung_up {
        None if stop.asked() => {
            // SAFETY: kill(2) on the shell's own process group; no memory is involved.
            unsafe {
                libc::kill(-group, libc::SIGHUP);
            }
            *hung_up = Some(Instant::now());
        }
        Some(at) if at.elapsed() >= HANGUP_GRACE => {
            // SAFETY: as above.
            unsafe {
                libc::kill(-group, libc::SIGKILL);
            }
        }
        _ => {}
    }
}

/// Our terminal's size, passed on to the shell's when it changed (the kernel sends the shell
/// SIGWINCH) and kept in the recording as asciicast's `"r"` event.
fn follow_resize(master: &File, recording: &mut Asciicast) -> Result<()> {
    let Some(size) = tcgetwinsize(std::io::stdin()).ok().filter(|s| s.ws_col > 0 && s.ws_row > 0) else {
        return Ok(());
    };
    if recording.size == Some((size.ws_col, size.ws_row)) {
        return Ok(());
    }
    let _ = tcsetwinsize(master, size);
    recording.size = Some((size.ws_col, size.ws_row));
    recording.resize(size.ws_col, size.ws_row)
}

/// Our terminal in raw mode while the shell's terminal does the line editing; restored on drop.
struct RawMode {
    saved: Option<(OwnedFd, Termios)>,
}

impl RawMode {
    fn enter(stdin: &std::io::Stdin) -> RawMode {
        let saved = tcgetattr(stdin).ok().and_then(|saved| {
            let mut raw = saved.clone();
            raw.make_raw();
            tcsetattr(stdin, OptionalActions::Now, &raw).ok()?;
            Some((stdin.as_fd().try_clone_to_owned().ok()?, saved))
        });
        RawMode { saved }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some((fd, saved)) = &self.saved {
            let _ = tcsetattr(fd, OptionalActions::Now, saved);
        }
    }
}

/// The asciicast v2 recording, masked line by line.
struct Asciicast {
    artifact: ArtifactWriter,
    masker: StreamMasker,
    started: Instant,
    partial: Vec<u8>,
    /// The terminal's size as last recorded (columns, rows).
    size: Option<(u16, u16)>,
}

impl Asciicast {
    fn start(mut artifact: ArtifactWriter, masker: Masker, width: u16, height: u16, shell: &str) -> Result<Self> {
        let header = serde_json::json!({
            "version": 2,
            "width": width,
            "height": height,
            "timestamp": chrono::Utc::now().timestamp(),
            "env": {"SHELL": shell, "TERM": std::env::var("TERM").unwrap_or_default()},
            "title": "incident shell",
        });
        artifact.write(format!("{header}\n").as_bytes())?;
        Ok(Asciicast {
            artifact,
            masker: StreamMasker::new(masker),
            started: Instant::now(),
            partial: Vec::new(),
            size: None,
        })
    }

    fn output(&mut self, bytes: &[u8]) -> Result<()> {
        self.partial.extend_from_slice(bytes);
        while let Some(end) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            self.event(&line)?;
        }
        while self.partial.len() > MAX_LINE_BYTES {
            let cut = self.masker.cut_point(&self.partial, MAX_LINE_BYTES);
            let piece: Vec<u8> = self.partial.drain(..cut).collect();
            self.event(&piece)?;
        }
        Ok(())
    }

    fn event(&mut self, raw: &[u8]) -> Result<()> {
        let masked = self.masker.line(&String::from_utf8_lossy(raw));
        let at = self.started.elapsed().as_secs_f64();
        let line = serde_json::json!([(at * 1e6).round() / 1e6, "o", masked]);
        self.artifact.write(format!("{line}\n").as_bytes())
    }

    /// A resize, as `[seconds, "r", "COLSxROWS"]`.
    fn resize(&mut self, cols: u16, rows: u16) -> Result<()> {
        let at = self.started.elapsed().as_secs_f64();
        let line = serde_json::json!([(at * 1e6).round() / 1e6, "r", format!("{cols}x{rows}")]);
        self.artifact.write(format!("{line}\n").as_bytes())
    }

    fn finish(mut self) -> Result<ArtifactRef> {
        let rest = std::mem::take(&mut self.partial);
        if !rest.is_empty() {
            self.event(&rest)?;
        }
        self.artifact.finish(&format!("{}-shell.cast", crate::model::new_event_id()))
    }
}
