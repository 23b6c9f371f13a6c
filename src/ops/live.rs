//! What a running command shows the person while it runs. Its output is masked the way its
//! record is (a stream, not lines: a private key over many lines, a secret at the long-line
//! cut) and, on a terminal, cannot drive the screen: colours and progress redraws pass,
//! clearing the screen, moving the cursor, titles and the clipboard do not. A line still being
//! written (a prompt, a progress bar) is shown once the command has been quiet for [`IDLE`].

use std::io::{IsTerminal, Write};
use std::time::Duration;

use super::command::{Echo, MAX_LINE_BYTES};
use crate::output::sanitize::{terminal_safe, terminal_safe_live};
use crate::process::Stream;
use crate::secrets::{Masker, StreamMasker};

/// How long output must pause before a partial line is shown: short enough to feel live.
pub const IDLE: Duration = Duration::from_millis(50);

/// What reaches a stream that is not a terminal. Secrets are masked either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenPiped {
    /// Stdout is data: `incident run -- cmd | jq` gets the command's bytes, escapes and all,
    /// with only secrets masked. Stderr (messages) is made safe.
    Data,
    /// Made safe as for a terminal (an action's output, shown as a message).
    Safe,
}

/// The live echo of both of a command's streams.
pub struct LiveEcho {
    shown: [Shown; 2],
}

struct Shown {
    to_stdout: bool,
    on_terminal: bool,
    /// Escapes are made visible (a terminal, or a pipe that takes messages).
    sanitised: bool,
    masker: StreamMasker,
    pending: Vec<u8>,
    /// What was shown last did not end its line.
    mid_line: bool,
}

impl LiveEcho {
    pub fn new(echo: Echo, masker: &Masker, when_piped: WhenPiped) -> Self {
        let shown = |stream: Stream| {
            let to_stdout = stream == Stream::Stdout && echo == Echo::Passthrough;
            let on_terminal = if to_stdout { std::io::stdout().is_terminal() } else { std::io::stderr().is_terminal() };
            Shown {
                to_stdout,
                on_terminal,
                sanitised: on_terminal || when_piped == WhenPiped::Safe || !to_stdout,
                masker: StreamMasker::new(masker.clone()),
                pending: Vec::new(),
                mid_line: false,
            }
        };
        LiveEcho { shown: [shown(Stream::Stdout), shown(Stream::Stderr)] }
    }

    /// A chunk of output from `stream`; an empty chunk means the command has been quiet for
    /// a while (`process::Options::idle`), so partial lines are shown.
    pub fn feed(&mut self, stream: Stream, bytes: &[u8]) {
        if bytes.is_empty() {
            self.shown.iter_mut().for_each(Shown::partial_line);
            return;
        }
        self.shown[stream as usize].feed(bytes);
    }

    /// Shows whatever is still held, once the command is done.
    pub fn finish(mut self) {
        for shown in &mut self.shown {
            let rest = std::mem::take(&mut shown.pending);
            if !rest.is_empty() {
                shown.show(&rest);
            }
            // What follows (our own messages) starts on a line of its own; data stays as it was.
            if shown.mid_line && shown.sanitised {
                shown.write(b"\n");
            }
        }
    }
}

impl Shown {
    fn feed(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        if let Some(end) = self.pending.iter().rposition(|&b| b == b'\n') {
            let lines: Vec<u8> = self.pending.drain(..=end).collect();
            for line in lines.split_inclusive(|&b| b == b'\n') {
                self.show(line);
            }
        }
        while self.pending.len() > MAX_LINE_BYTES {
            // Cut where no secret lies, as the record does.
            let cut = self.masker.cut_point(&self.pending, MAX_LINE_BYTES);
            let piece: Vec<u8> = self.pending.drain(..cut).collect();
            self.show(&piece);
        }
    }

    fn partial_line(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut shown = self.masker.shown_before_line_ends(&self.pending);
        // Half a character waits for its other half.
        if let Err(e) = std::str::from_utf8(&self.pending[..shown])
            && e.error_len().is_none()
        {
            shown = e.valid_up_to();
        }
        if shown > 0 {
            let piece: Vec<u8> = self.pending.drain(..shown).collect();
            self.show(&piece);
        }
    }

    fn show(&mut self, raw: &[u8]) {
        if !self.sanitised && std::str::from_utf8(raw).is_err() {
            // Data to a pipe that is not all text: its text is masked, its other bytes arrive
            // intact.
            let mut out = Vec::with_capacity(raw.len());
            for chunk in raw.utf8_chunks() {
                out.extend_from_slice(self.masker.line(chunk.valid()).as_bytes());
                out.extend_from_slice(chunk.invalid());
            }
            self.write(&out);
            self.mid_line = out.last() != Some(&b'\n');
            return;
        }
        let masked = self.masker.line(&String::from_utf8_lossy(raw));
        let safe = match (self.on_terminal, self.sanitised) {
            (true, _) => terminal_safe_live(&masked),
            (false, true) => terminal_safe(&masked, false),
            (false, false) => masked.as_str().into(),
        };
        self.write(safe.as_bytes());
        self.mid_line = !safe.ends_with('\n');
    }

    /// A closed stdout or stderr must not stop the command or its record: errors are ignored.
    fn write(&self, bytes: &[u8]) {
        let _ = if self.to_stdout {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes).and_then(|()| out.flush())
        } else {
            let mut err = std::io::stderr().lock();
            err.write_all(bytes).and_then(|()| err.flush())
        };
    }
}
