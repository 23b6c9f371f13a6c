//! The one error type of the crate, and the exit-code contract.
//!
//! Every failure is either a *usage* error (the user said something that does not parse or does
//! not fit: exit 2) or a *runtime* error (I/O, a bad file, something not found: exit 1). Each
//! carries an optional hint that says how to do it right.

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
    /// Something failed while doing the work. Exit 1.
    Runtime,
    /// Whoever read stdout went away (`incident timeline | head`): stop quietly.
    BrokenPipe,
}

#[derive(Debug)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub hint: Option<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Usage, message: message.into(), hint: None }
    }

    pub fn runtime(message: impl Into<String>) -> Self {
        Error { kind: ErrorKind::Runtime, message: message.into(), hint: None }
    }

    /// An I/O error on a file or directory, naming it.
    pub fn io(action: &str, path: &Path, err: &std::io::Error) -> Self {
        Error::runtime(format!("{action} {}: {}", path.display(), describe_io(err)))
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn exit_code(&self) -> u8 {
        match self.kind {
            ErrorKind::Usage => exit::USAGE,
            ErrorKind::Runtime => exit::RUNTIME,
            ErrorKind::BrokenPipe => exit::SUCCESS,
        }
    }
}

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

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
