//! `incident shell`: the responder's own shell (bash or zsh) with hooks that record every
//! command typed (`hooks`), the incident and its phase in the prompt; `exit` comes back. The
//! walk calls [`open_shell`] to drop into one and return to the same step.

mod capture;
mod hooks;

use std::io::IsTerminal;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::context::{Context, Loaded};
use crate::error::{Error, Result};
use crate::ops::{self, TypedCommand};
use crate::process;
use crate::secrets::Masker;
use std::os::unix::process::ExitStatusExt;

use hooks::Hooks;

/// Set in the shell's environment (to the incident's id), so that a shell inside it is refused.
pub const INSIDE_VAR: &str = "INCIDENT_SHELL";

/// The shells whose hooks we know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellKind {
    Bash,
    Zsh,
}

impl ShellKind {
    /// The kind of the shell at `path` (`$SHELL`), by its name.
    pub fn of(path: &str) -> Option<ShellKind> {
        match Path::new(path).file_name()?.to_str()? {
            "bash" => Some(ShellKind::Bash),
            "zsh" => Some(ShellKind::Zsh),
            _ => None,
        }
    }
}

/// How to open the shell.
#[derive(Debug, Clone, Copy, Default)]
pub struct ShellOptions {
    /// Keep the whole terminal session, masked, as an asciicast v2 artifact.
    pub capture: bool,
}

/// How the shell ended.
pub struct ShellEnd {
    /// Its exit status, as a shell reports one (128 + a signal).
    pub status: u8,
}

/// Starts the responder's shell (`$SHELL` when it is bash or zsh, else bash) on the terminal,
/// recording each command typed on `loaded`'s incident, and waits until it exits. Fails
/// without a terminal, inside another incident shell, or when no shell can start.
pub fn open_shell(ctx: &Context, loaded: &Loaded, options: ShellOptions) -> Result<ShellEnd> {
    if let Ok(inside) = std::env::var(INSIDE_VAR) {
        return Err(Error::usage(format!("already in the incident shell of {inside}"))
            .with_hint("type `exit` to go back to it; commands typed here are recorded already"));
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage("incident shell needs a terminal to type in")
            .with_hint("to record one command, run it with `incident run -- CMD...`"));
    }
    let (shell, kind) = choose_shell(ctx, std::env::var("SHELL").ok());
    let id = loaded.dir.id.as_str().to_string();
    let phase = loaded.incident.phase_entered().or(loaded.incident.phase);
    let phase_name = phase.map_or("observe", |p| p.as_str());
    let program = std::env::current_exe()
        .map_err(|e| Error::runtime(format!("cannot find this program to call back: {e}")))?
        .to_string_lossy()
        .into_owned();
    let home = std::env::current_dir()
        .map_err(|e| Error::runtime(format!("cannot tell the current directory: {e}")))?
        .to_string_lossy()
        .into_owned();
    let prompt = format!("[{id} {phase_name}] ");
    let hooks = Hooks { program: &program, home: &home, incident: &id, prompt: &prompt };
    let rc = RcDir::create()?;
    // Captured, the shell leads a session of its own on our pseudo-terminal (setsid -c makes it
    // the controlling terminal); else it runs on ours.
    let mut command = if options.capture { Command::new("setsid") } else { Command::new(&shell) };
    if options.capture {
        command.arg("--ctty").arg("--wait").arg(&shell);
    }
    match kind {
        ShellKind::Bash => {
            let file = rc.write("bashrc", &hooks.bash())?;
            command.arg("--rcfile").arg(file).arg("-i");
        }
        ShellKind::Zsh => {
            let dir = rc.path.to_string_lossy().into_owned();
            rc.write(".zshenv", &hooks.zshenv(&dir))?;
            rc.write(".zshrc", &hooks.zshrc())?;
            command.arg("-i").env("ZDOTDIR", &rc.path);
            command.env("INCIDENT_USER_ZDOTDIR", std::env::var_os("ZDOTDIR").unwrap_or_default());
        }
    }
    command.env("INCIDENT_ID", &id).env(INSIDE_VAR, &id);
    ctx.out.info(&format!("Recording every command typed in {id}; `exit` comes back."));
    let status = if options.capture {
        let started = std::time::Instant::now();
        let masker = Masker::from_env(std::env::vars(), []);
        let (status, artifact) = capture::run_captured(command, loaded.dir.new_artifact()?, masker, &shell)?;
        let session = TypedCommand {
            line: format!("{shell} (incident shell --capture)"),
            exit_code: status.code().unwrap_or(128 + status.signal().unwrap_or(0)),
            duration: started.elapsed(),
            cwd: home.clone(),
            phase,
        };
        let event = ops::record_typed_command_with_artifact(ctx, &loaded.dir, &session, artifact)?;
        if let crate::model::Body::CommandFinished { artifact: Some(a), .. } = &event.body {
            ctx.out.info(&format!("The session is kept in {} (asciicast v2: asciinema play FILE).", a.path));
        }
        u8::try_from(session.exit_code & 0xff).unwrap_or(1)
    } else {
        process::run_interactive(&mut command).map_err(|e| Error::runtime(e.message))?.shell_status()
    };
    ctx.out.info(&format!("Back from the shell of {id}."));
    Ok(ShellEnd { status })
}

/// `$SHELL` when we know its hooks; otherwise bash, saying so.
fn choose_shell(ctx: &Context, shell: Option<String>) -> (String, ShellKind) {
    match shell.as_deref().map(|s| (s, ShellKind::of(s))) {
        Some((path, Some(kind))) => (path.to_string(), kind),
        Some((path, None)) => {
            ctx.out.warn(&format!("$SHELL is {path}: incident shell records bash and zsh only, so it starts bash"));
            ("bash".to_string(), ShellKind::Bash)
        }
        None => ("bash".to_string(), ShellKind::Bash),
    }
}

/// The rc folders' names: this prefix, the pid of the `incident` that made one, and an id.
const RC_PREFIX: &str = "incident-shell-";

/// Removes the rc folders of `incident` processes that are gone (killed before they could).
fn remove_abandoned(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name.to_str().and_then(|n| n.strip_prefix(RC_PREFIX)).and_then(|rest| rest.split('-').next());
        let Some(pid) = pid.and_then(|p| p.parse::<i32>().ok()).and_then(rustix::process::Pid::from_raw) else {
            continue;
        };
        if rustix::process::test_kill_process(pid) == Err(rustix::io::Errno::SRCH) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A private folder for the generated rc files, removed when the shell is done with them (or,
/// if we were killed first, by the next `incident shell`).
struct RcDir {
    path: PathBuf,
}

impl RcDir {
    fn create() -> Result<RcDir> {
        let temp = std::env::temp_dir();
        remove_abandoned(&temp);
        let name = format!("{RC_PREFIX}{}-{}", std::process::id(), crate::model::new_event_id());
        let path = temp.join(name);
        std::fs::DirBuilder::new().mode(0o700).create(&path).map_err(|e| Error::io("create", &path, &e))?;
        Ok(RcDir { path })
    }

    fn write(&self, name: &str, text: &str) -> Result<PathBuf> {
        let file = self.path.join(name);
        std::fs::write(&file, text).map_err(|e| Error::io("write", &file, &e))?;
        Ok(file)
    }
}

impl Drop for RcDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shells_are_known_by_name_wherever_they_live() {
        assert_eq!(ShellKind::of("/usr/bin/zsh"), Some(ShellKind::Zsh));
        assert_eq!(ShellKind::of("/bin/bash"), Some(ShellKind::Bash));
        assert_eq!(ShellKind::of("/usr/bin/fish"), None);
    }
}
