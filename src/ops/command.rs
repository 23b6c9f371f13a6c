//! Running a command on an incident: streamed, masked, recorded, its output kept.

use std::collections::VecDeque;

use super::live::{self, LiveEcho, WhenPiped};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{Body, Event, new_event_id};
use crate::process::{self, Stream};
use crate::secrets::{Masker, StreamMasker};
use crate::store::{ArtifactWriter, IncidentDir};

/// How much of the output the event itself carries; the whole output is the artifact.
const TAIL_LINES: usize = 20;
const TAIL_LINE_CHARS: usize = 300;
/// A line longer than this is recorded in pieces rather than held in memory whole.
pub(super) const MAX_LINE_BYTES: usize = 64 * 1024;

/// Where a command's output is shown while it runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Echo {
    /// Its stdout to our stdout, its stderr to our stderr: `incident run` passes output on.
    #[default]
    Passthrough,
    /// Both to our stderr, keeping stdout for data (the walk, drills).
    Stderr,
}

/// How to run a command on an incident.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub timeout: Option<std::time::Duration>,
    /// The hypothesis it tests or acts on (already checked to exist).
    pub hypothesis: Option<String>,
    /// Environment variables whose values are masked besides those named like secrets.
    pub secrets: Vec<String>,
    /// The phase it belongs to, when not Act (a command run to observe, say).
    pub phase: Option<crate::model::Phase>,
    pub echo: Echo,
}

/// What running a command left: its event and the status to exit with.
pub struct CommandRun {
    pub event: Event,
    pub status: u8,
}

/// Runs `argv` (never through a shell), streaming its output to the terminal, and records a
/// `command.finished` event with its masked command line, status, duration and output tail;
/// the whole masked output is kept as an artifact.
pub fn run_command(ctx: &Context, dir: &IncidentDir, argv: &[String], options: &RunOptions) -> Result<CommandRun> {
    let masker = Masker::from_env(std::env::vars(), options.secrets.iter().map(String::as_str));
    let shown_argv = masker.mask_argv(argv);
    let command = process::shell_join(&shown_argv);
    let mut recorder = OutputRecorder::new(dir.new_artifact()?, &masker);
    ctx.out.info(&ctx.out.paint_err(crate::output::Style::Dim, &format!("$ {command}")));

    let exec_options =
        process::Options { timeout: options.timeout, foreground: true, idle: Some(live::IDLE), ..Default::default() };
    let mut echo = LiveEcho::new(options.echo, &masker, WhenPiped::Data);
    let result = process::run(argv, &exec_options, &mut |stream, bytes| {
        // The person sees the output live, the record keeps all of it: both masked.
        echo.feed(stream, bytes);
        recorder.feed(stream, bytes);
    });
    echo.finish();
    let (tail, artifact) = recorder.finish()?;
    let hypothesis = options.hypothesis.clone();
    let (body, status) = match result {
        Ok(outcome) => (
            Body::CommandFinished {
                command,
                argv: shown_argv,
                exit_code: outcome.exit_code,
                signal: outcome.signal,
                timed_out: outcome.timed_out,
                interrupted: outcome.interrupted,
                error: None,
                duration_ms: u64::try_from(outcome.duration.as_millis()).unwrap_or(u64::MAX),
                tail,
                artifact,
                hypothesis,
            },
            outcome.shell_status(),
        ),
        Err(spawn) => {
            ctx.out.warn(&spawn.message);
            (
                Body::CommandFinished {
                    command,
                    argv: shown_argv,
                    exit_code: None,
                    signal: None,
                    timed_out: false,
                    interrupted: false,
                    error: Some(masker.mask(&spawn.message)),
                    duration_ms: 0,
                    tail,
                    artifact,
                    hypothesis,
                },
                spawn.shell_status,
            )
        }
    };
    let event = super::record(ctx, dir, body, options.phase)?;
    Ok(CommandRun { event, status })
}

/// Keeps the whole output (masked) as an artifact and its last lines for the event.
struct OutputRecorder {
    artifact: Option<ArtifactWriter>,
    /// One per stream (stdout, stderr): a private key may span lines of either.
    maskers: [StreamMasker; 2],
    partial: [Vec<u8>; 2],
    tail: VecDeque<String>,
    error: Option<Error>,
    wrote: bool,
}

impl OutputRecorder {
    fn new(artifact: ArtifactWriter, masker: &Masker) -> Self {
        OutputRecorder {
            artifact: Some(artifact),
            maskers: [StreamMasker::new(masker.clone()), StreamMasker::new(masker.clone())],
            partial: [Vec::new(), Vec::new()],
            tail: VecDeque::new(),
            error: None,
            wrote: false,
        }
    }

    fn feed(&mut self, stream: Stream, bytes: &[u8]) {
        let index = stream as usize;
        self.partial[index].extend_from_slice(bytes);
        while let Some(end) = self.partial[index].iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial[index].drain(..=end).collect();
            self.line(index, &line);
        }
        while self.partial[index].len() > MAX_LINE_BYTES {
            // Cut where no secret lies, or its two halves would each pass unmasked.
            let cut = self.maskers[index].cut_point(&self.partial[index], MAX_LINE_BYTES);
            let piece: Vec<u8> = self.partial[index].drain(..cut).collect();
            self.line(index, &piece);
        }
    }

    /// Masking works on whole lines, so a secret split across two reads is still caught.
    fn line(&mut self, index: usize, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw);
        let masked = self.maskers[index].line(&text);
        if let Some(artifact) = &mut self.artifact {
            if let Err(e) = artifact.write(masked.as_bytes()) {
                self.error.get_or_insert(e);
            }
            self.wrote = true;
        }
        // Progress bars redraw with \r: the tail keeps what was last drawn.
        let shown = masked.trim_end_matches(['\n', '\r']);
        let shown = shown.rsplit('\r').next().unwrap_or(shown);
        let shown: String = shown.chars().take(TAIL_LINE_CHARS).collect();
        self.tail.push_back(shown);
        if self.tail.len() > TAIL_LINES {
            self.tail.pop_front();
        }
    }

    fn finish(mut self) -> Result<(String, Option<crate::model::ArtifactRef>)> {
        for index in 0..2 {
            let rest = std::mem::take(&mut self.partial[index]);
            if !rest.is_empty() {
                let mut rest = rest;
                rest.push(b'\n');
                self.line(index, &rest);
            }
        }
        if let Some(e) = self.error {
            return Err(e);
        }
        let tail = self.tail.into_iter().collect::<Vec<_>>().join("\n");
        let artifact = match self.artifact {
            Some(artifact) if self.wrote => Some(artifact.finish(&format!("{}-output.log", new_event_id()))?),
            Some(artifact) => {
                artifact.discard();
                None
            }
            None => None,
        };
        Ok((tail, artifact))
    }
}
