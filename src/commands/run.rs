//! `incident run -- CMD...`: run a command, stream its output, record what it did.

use std::collections::VecDeque;
use std::io::Write;

use crate::cli::RunArgs;
use crate::commands::hypothesis::existing_hypothesis;
use crate::context::{Context, new_event_id};
use crate::error::{Error, Result};
use crate::exec::{self, Stream};
use crate::model::Body;
use crate::secrets::Masker;
use crate::store::ArtifactWriter;
use crate::time::parse_duration;

/// How much of the output the event itself carries; the whole output is the artifact.
const TAIL_LINES: usize = 20;
const TAIL_LINE_CHARS: usize = 300;
/// A line longer than this is recorded in pieces rather than held in memory whole.
const MAX_LINE_BYTES: usize = 64 * 1024;

pub fn run(ctx: &Context, args: &RunArgs) -> Result<u8> {
    let timeout = args
        .timeout
        .as_deref()
        .map(|t| parse_duration(t).map_err(|e| Error::usage(format!("--timeout: {e}"))))
        .transpose()?;
    if timeout.is_some_and(|t| t.is_zero()) {
        return Err(Error::usage("--timeout must be longer than zero"));
    }
    for name in &args.secrets {
        if std::env::var_os(name).is_none() {
            ctx.out.warn(&format!("--secret {name}: no such environment variable, so nothing to mask for it"));
        }
    }
    let masker = Masker::from_env(std::env::vars(), args.secrets.iter().map(String::as_str));
    let argv = masker.mask_argv(&args.argv);
    let command = exec::shell_join(&argv);
    if args.dry_run {
        ctx.out.info(&format!("Dry run: would run `{command}`. Nothing was run or recorded."));
        return Ok(0);
    }

    let loaded = ctx.load()?;
    let hypothesis = args
        .hypothesis
        .as_deref()
        .map(|h| existing_hypothesis(&loaded.incident, h).map(|h| h.id.clone()))
        .transpose()?;
    let mut recorder = OutputRecorder::new(loaded.dir.new_artifact()?, &masker);
    ctx.out.info(&ctx.out.paint_err(crate::output::Style::Dim, &format!("$ {command}")));

    let options = exec::Options { timeout, foreground: true, ..Default::default() };
    let result = exec::run(&args.argv, &options, &mut |stream, bytes| {
        // The person sees the output live; the record gets it masked.
        let _ = match stream {
            Stream::Stdout => std::io::stdout().lock().write_all(bytes).and_then(|()| std::io::stdout().flush()),
            Stream::Stderr => std::io::stderr().lock().write_all(bytes),
        };
        recorder.feed(stream, bytes);
    });
    let (tail, artifact) = recorder.finish()?;

    let (body, status) = match result {
        Ok(outcome) => (
            Body::CommandFinished {
                command,
                argv,
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
                    argv,
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
    let event = ctx.new_event(body, None);
    ctx.append(&loaded.dir, std::slice::from_ref(&event))?;
    ctx.report_recorded(&event, loaded.incident.clocks.opened)?;
    Ok(status)
}

/// Keeps the whole output (masked) as an artifact and its last lines for the event.
struct OutputRecorder<'a> {
    artifact: Option<ArtifactWriter>,
    masker: &'a Masker,
    partial: [Vec<u8>; 2],
    tail: VecDeque<String>,
    error: Option<Error>,
    wrote: bool,
}

impl<'a> OutputRecorder<'a> {
    fn new(artifact: ArtifactWriter, masker: &'a Masker) -> Self {
        OutputRecorder {
            artifact: Some(artifact),
            masker,
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
            self.line(&line);
        }
        if self.partial[index].len() > MAX_LINE_BYTES {
            let line = std::mem::take(&mut self.partial[index]);
            self.line(&line);
        }
    }

    /// Masking works on whole lines, so a secret split across two reads is still caught.
    fn line(&mut self, raw: &[u8]) {
        let text = String::from_utf8_lossy(raw);
        let masked = self.masker.mask(&text);
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
                self.line(&rest);
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
