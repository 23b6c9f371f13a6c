//! Running other programs: as argv (never through a shell), each in its own process group.
//!
//! - `spawn`: running a command with a timeout, streamed ([`run`]) or captured and bounded
//!   ([`capture`], for checks, git and anything else run beside the work);
//! - `groups`: signalling process groups, the registry of groups running in the background,
//!   and handing the terminal's foreground to a command;
//! - `words`: quoting an argv for a shell and splitting a typed line into argv.
//!
//! What an interrupt does to a running command is decided in `crate::signals`.

pub mod groups;
pub mod spawn;
pub mod words;

pub use spawn::{Captured, Options, Stream, capture, command, on_path, run, run_interactive};
pub use words::{shell_join, shell_quote, split_command_line};
