//! The one error type of the crate, its kinds, and the exit-code contract.
//!
//! An [`Error`] has a kind (what went wrong, for code that must react to it), a message (what a
//! responder reads), an optional source (the error underneath, as a chain) and an optional hint
//! (how to do it right). Code decides on the kind, never on the message text. Library modules
//! below the commands return their own small error enums; commands turn them into an `Error`
//! with the kind that fits and the file, flag or host that places it.
//!
//! The exit code follows from the kind alone (README, "Exit codes"): usage errors exit 2, every
//! other failure exits 1, and a closed stdout ends the command quietly with 0.

use std::fmt;
use std::path::Path;

/// Exit codes shared by every command except `check`, `probe` and `grep` (see README).
pub mod exit {
    pub const SUCCESS: u8 = 0;
    pub const RUNTIME: u8 = 1;
    pub const USAGE: u8 = 2;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The command line or a value on it is wrong. Exit 2.
    Usage,
    /// Something named does not exist: an incident, an item, a runbook, a webhook. Exit 1.
    NotFound,
    /// The command needs an incident and none is current (and none was named). Exit 1.
    NoCurrentIncident,
    /// A configuration file (`incident.toml`) is unreadable or wrong. Exit 1.
    Config,
    /// Reading or writing a file failed; the message names the path. Exit 1.
    Io,
    /// Something failed while doing the work (a child process, the network, a bad file). Exit 1.
    Runtime,
    /// A bug: something this program should have made impossible. Exit 1.
    Internal,
    /// Whoever read stdout went away (`incident timeline | head`): stop quietly. Exit 0.
    BrokenPipe,
}

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    message: String,
    source: Option<Source>,
    pub hint: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), source: None, hint: None }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Usage, message)
    }

    pub fn runtime(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Runtime, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotFound, message)
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    /// No incident is current in the store at `store_root`, and none was named.
    pub fn no_current_incident(store_root: &Path) -> Self {
        Error::new(ErrorKind::NoCurrentIncident, format!("no current incident in {}", store_root.display())).with_hint(
            "open one with `incident open TITLE -s sev2`, or pick one with `incident use ID` or `-i ID` (see `incident list`)",
        )
    }

    /// An I/O error on a file or directory, naming it: "`action` `path`: reason".
    pub fn io(action: &str, path: &Path, err: &std::io::Error) -> Self {
        let reason = IoReason { described: describe_io(err) };
        Error::new(ErrorKind::Io, format!("{action} {}", path.display())).with_source(reason)
    }

    /// Keeps `source` as the cause: it is shown after the message ("message: source").
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The message alone, without its causes (see `Display` for the whole chain).
    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Usage => exit::USAGE,
            ErrorKind::NotFound
            | ErrorKind::NoCurrentIncident
            | ErrorKind::Config
            | ErrorKind::Io
            | ErrorKind::Runtime
            | ErrorKind::Internal => exit::RUNTIME,
            ErrorKind::BrokenPipe => exit::SUCCESS,
        }
    }
}

/// Why an I/O call failed, in the words of [`describe_io`].
#[derive(Debug)]
struct IoReason {
    described: String,
}

impl fmt::Display for IoReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.described)
    }
}

impl std::error::Error for IoReason {}

/// Words a responder understands for the errors that matter at 3 a.m.
fn describe_io(err: &std::io::Error) -> String {
    match err.raw_os_error() {
        Some(libc::ENOSPC) => "no space left on device".to_string(),
        Some(libc::EFBIG) => "file too large (file-size limit reached)".to_string(),
        Some(libc::EDQUOT) => "disk quota exceeded".to_string(),
        Some(libc::EROFS) => "read-only file system".to_string(),
        _ => err.to_string(),
    }
}

/// The message, then each cause in turn: "cannot write x: no space left on device".
impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        let mut cause = self.source.as_deref().map(|s| s as &(dyn std::error::Error + 'static));
        while let Some(err) = cause {
            write!(f, ": {err}")?;
            cause = err.source();
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_io_error_names_the_path_and_the_reason_and_keeps_the_cause() {
        let err = Error::io("cannot write", Path::new("/s/current"), &std::io::Error::from_raw_os_error(libc::ENOSPC));
        assert_eq!(err.to_string(), "cannot write /s/current: no space left on device");
        assert_eq!(err.kind, ErrorKind::Io);
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn only_usage_errors_exit_2_and_a_closed_stdout_exits_0() {
        let kinds = [
            (ErrorKind::Usage, 2),
            (ErrorKind::NotFound, 1),
            (ErrorKind::NoCurrentIncident, 1),
            (ErrorKind::Config, 1),
            (ErrorKind::Io, 1),
            (ErrorKind::Runtime, 1),
            (ErrorKind::Internal, 1),
            (ErrorKind::BrokenPipe, 0),
        ];
        for (kind, code) in kinds {
            assert_eq!(Error::new(kind, "x").exit_code(), code, "{kind:?}");
        }
    }
}
