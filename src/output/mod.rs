//! The one place that writes to the terminal: data to stdout, messages to stderr, colour policy.

pub mod grep;
pub mod sanitize;
mod table;

use std::io::{self, IsTerminal, Write};

use serde::Serialize;

pub use table::{render_table, table};

use crate::cli::ColorChoice;
use crate::error::{Error, ErrorKind, Result};

#[derive(Debug, Clone, Copy)]
pub enum Style {
    Bold,
    Dim,
    Red,
    Yellow,
    Green,
    Cyan,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Bold => "1",
            Style::Dim => "2",
            Style::Red => "31",
            Style::Yellow => "33",
            Style::Green => "32",
            Style::Cyan => "36",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Output {
    pub json: bool,
    color_stdout: bool,
    color_stderr: bool,
    pub stdout_is_terminal: bool,
    /// Live progress is drawn only on a terminal.
    pub stderr_is_terminal: bool,
    quiet: bool,
    verbose: bool,
}

impl Output {
    /// Decides colour, the one place that does: `--color always|never`, else colour only on a
    /// terminal and only when `NO_COLOR` is unset or empty. The prompts take the stderr
    /// decision ([`Output::colors_stderr`]).
    pub fn new(json: bool, color: ColorChoice, quiet: bool, verbose: bool) -> Self {
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let stdout_is_terminal = io::stdout().is_terminal();
        let decide = |is_terminal: bool| match color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && !no_color_env,
        };
        Output {
            json,
            color_stdout: decide(stdout_is_terminal) && !json,
            color_stderr: decide(io::stderr().is_terminal()),
            stdout_is_terminal,
            stderr_is_terminal: io::stderr().is_terminal(),
            quiet,
            verbose,
        }
    }

    /// Text for stdout, styled when stdout takes colour.
    pub fn paint(&self, style: Style, text: &str) -> String {
        paint(self.color_stdout, style, text)
    }

    /// Whether stderr takes colour: messages, and the interactive prompts drawn there.
    pub fn colors_stderr(&self) -> bool {
        self.color_stderr
    }

    /// Whether stdout takes colour.
    pub fn colors_stdout(&self) -> bool {
        self.color_stdout
    }

    /// Text for stderr, styled when stderr takes colour.
    pub fn paint_err(&self, style: Style, text: &str) -> String {
        paint(self.color_stderr, style, text)
    }

    /// A check status, coloured, for stderr (`stderr`) or stdout.
    pub fn status_mark(&self, status: crate::model::CheckStatus, stderr: bool) -> String {
        use crate::model::CheckStatus;
        let (text, style) = match status {
            CheckStatus::Ok => ("OK", Style::Green),
            CheckStatus::Warning => ("WARNING", Style::Yellow),
            CheckStatus::Critical => ("CRITICAL", Style::Red),
            CheckStatus::Unknown => ("UNKNOWN", Style::Cyan),
        };
        if stderr { self.paint_err(style, text) } else { self.paint(style, text) }
    }

    /// Writes data (one or more lines) to stdout, every escape in it made visible but our
    /// own colours.
    pub fn data(&self, text: &str) -> Result<()> {
        write_stdout(&sanitize::terminal_safe(text, self.color_stdout))
    }

    /// Writes bytes to stdout as they are: only text this program generated (scripts, man
    /// pages) or already made safe.
    pub fn raw(bytes: &[u8]) -> Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(bytes).and_then(|()| out.flush()).map_err(stdout_error)
    }

    /// Writes one JSON document to stdout.
    pub fn json_value<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let text =
            serde_json::to_string_pretty(value).map_err(|e| Error::runtime(format!("cannot encode JSON: {e}")))?;
        write_stdout(&sanitize::json_safe(text))
    }

    /// Writes one JSON Lines record to stdout.
    pub fn json_line<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string(value).map_err(|e| Error::runtime(format!("cannot encode JSON: {e}")))?;
        write_stdout(&sanitize::json_safe(text))
    }

    /// A message for the person at the terminal (stderr), unless `--quiet`.
    pub fn info(&self, text: &str) {
        if !self.quiet {
            eprintln!("{}", self.stderr_safe(text));
        }
    }

    /// Detail shown only with `--verbose`.
    pub fn detail(&self, text: &str) {
        if self.verbose {
            eprintln!("{}", self.stderr_safe(&self.paint_err(Style::Dim, text)));
        }
    }

    /// Redraws a one-line progress report on stderr; only on a terminal and without `--quiet`.
    pub fn progress(&self, text: &str) {
        if self.stderr_is_terminal && !self.quiet {
            let mut err = io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K{}", self.stderr_safe(text));
            let _ = err.flush();
        }
    }

    /// Clears the progress line.
    pub fn progress_done(&self) {
        self.progress("");
    }

    /// Asks a question on stderr and reads one line of the answer from stdin (`None` at the end
    /// of input). Callers ask only when stdin is a terminal.
    pub fn ask(&self, question: &str) -> Result<Option<String>> {
        let mut err = io::stderr().lock();
        let _ = write!(err, "{} ", self.stderr_safe(question));
        let _ = err.flush();
        let mut line = String::new();
        match io::stdin().read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(line.trim().to_string())),
            Err(e) => Err(Error::runtime(format!("cannot read the answer: {e}"))),
        }
    }

    /// A warning (stderr), shown even with `--quiet`.
    pub fn warn(&self, text: &str) {
        eprintln!("{} {}", self.paint_err(Style::Yellow, "warning:"), self.stderr_safe(text));
    }

    /// Reports an error that ends the command.
    pub fn error(&self, err: &Error) {
        let label = match err.kind {
            ErrorKind::Usage => "error (usage):",
            _ => "error:",
        };
        eprintln!("{} {}", self.paint_err(Style::Red, label), self.stderr_safe(&err.to_string()));
        if let Some(hint) = &err.hint {
            eprintln!("{} {}", self.paint_err(Style::Cyan, "hint:"), self.stderr_safe(hint));
        }
    }

    /// Text for stderr with every escape made visible but our own colours.
    fn stderr_safe<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        sanitize::terminal_safe(text, self.color_stderr)
    }
}

/// Writes text ending in a newline to stdout.
fn write_stdout(text: &str) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| if text.ends_with('\n') { Ok(()) } else { out.write_all(b"\n") })
        .and_then(|()| out.flush())
        .map_err(stdout_error)
}

fn paint(enabled: bool, style: Style, text: &str) -> String {
    if enabled { format!("\x1b[{}m{text}\x1b[0m", style.code()) } else { text.to_string() }
}

fn stdout_error(err: io::Error) -> Error {
    if err.kind() == io::ErrorKind::BrokenPipe {
        Error::new(ErrorKind::BrokenPipe, "stdout closed")
    } else {
        Error::runtime(format!("cannot write to stdout: {err}"))
    }
}
