//! The `log` probe on another host (`host:`), in one ssh session: the remote's own
//! `incident grep` when it has one, else the file streamed back into the local engine.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::log::observed_of;
use super::{Failure, Observation};
use crate::logsearch::{self, Flow, Matcher, Pattern, Summary};
use crate::process::{self, Stream, shell_join};
use crate::ssh::{self, Remote};

/// A log search as a runbook states it, for [`remote_probe`].
#[derive(Debug, Clone)]
pub struct Search {
    pub paths: Vec<String>,
    pub pattern: String,
    pub ignore_case: bool,
    pub since: Option<Duration>,
}

/// The first line of the remote's output says which way it answers.
const VIA_INCIDENT: &str = "incident-json";
const VIA_STREAM: &str = "incident-stream";
/// How many lines of a chatty login script to read past, looking for the marker.
const MARK_SEARCH_LINES: usize = 64;
/// Enough for the remote `incident`'s summary line, whatever a broken remote prints.
const JSON_LIMIT: u64 = 1 << 20;
const STDERR_KEEP: usize = 16 * 1024;

/// Runs the search on `remote` in one ssh session: with the remote's own `incident grep` when
/// it is on the remote PATH (globs, directories and rotated sets as locally, read where they
/// are), else by streaming the files (`zcat -f`, so plain or gzip) into the local engine, where
/// `paths` are read as plain file names in the order given. Every failure to reach or read the
/// host is `unknown`: the check could not tell.
pub async fn remote_probe(remote: Remote, search: Search, timeout: Duration) -> Observation {
    let now = Utc::now();
    match tokio::task::spawn_blocking(move || remote_search(&remote, &search, timeout, now)).await {
        Ok(observation) => observation,
        Err(e) => Observation::failed(Failure::unknown("internal_error", format!("the log search failed: {e}"))),
    }
}

/// The remote script: every outside value shell-quoted, so only this script runs there.
fn remote_script(search: &Search) -> String {
    let mut grep: Vec<String> = ["incident", "--json", "grep", "--count", "--histogram"].map(String::from).to_vec();
    if search.ignore_case {
        grep.push("--ignore-case".into());
    }
    if let Some(since) = search.since {
        grep.extend(["--since".to_string(), format!("{}s", since.as_secs().max(1))]);
    }
    grep.push("--".into());
    grep.push(search.pattern.clone());
    grep.extend(search.paths.iter().cloned());
    let mut cat: Vec<String> = ["zcat", "-f", "--"].map(String::from).to_vec();
    cat.extend(search.paths.iter().cloned());
    format!(
        "if command -v incident >/dev/null 2>&1; then echo {VIA_INCIDENT}; exec {}; else echo {VIA_STREAM}; exec {}; fi",
        shell_join(&grep),
        shell_join(&cat)
    )
}

/// What came back on the remote's stdout.
enum Answer {
    /// The remote `incident`'s summary line.
    Incident(Option<Value>),
    Stream(Summary),
    /// Nothing usable (ssh failed before the script ran).
    Nothing,
}

fn remote_search(remote: &Remote, search: &Search, timeout: Duration, now: DateTime<Utc>) -> Observation {
    let matcher = match Matcher::new(&Pattern {
        text: search.pattern.clone(),
        fixed: false,
        ignore_case: search.ignore_case,
    }) {
        Ok(m) => m,
        Err(e) => {
            return Observation::failed(Failure::unknown("bad_pattern", format!("pattern {:?}: {e}", search.pattern)));
        }
    };
    let options = super::log::counting_options(search.since, now);
    let name = PathBuf::from(format!("{}:{}", remote.host, search.paths.join(" ")));
    // A bounded hand-over: the search reads the stream as ssh delivers it, never all of it in memory.
    let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(64);
    let reader = thread::spawn(move || {
        let mut stream = BufReader::new(ChannelReader { rx, chunk: Vec::new(), at: 0 });
        // A login script (`.bashrc`) may print before the script runs: look a few lines down.
        let mut via = None;
        for _ in 0..MARK_SEARCH_LINES {
            let mut line = Vec::new();
            match stream.by_ref().take(4096).read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let line = String::from_utf8_lossy(&line).trim().to_string();
            if line == VIA_INCIDENT || line == VIA_STREAM {
                via = Some(line);
                break;
            }
        }
        match via.as_deref().unwrap_or_default() {
            VIA_INCIDENT => {
                let mut text = Vec::new();
                let _ = stream.take(JSON_LIMIT).read_to_end(&mut text);
                let summary = String::from_utf8_lossy(&text)
                    .lines()
                    .filter_map(|line| serde_json::from_str::<Value>(line).ok())
                    .rfind(|v| v.get("type").and_then(Value::as_str) == Some("summary"));
                Answer::Incident(summary)
            }
            VIA_STREAM => Answer::Stream(logsearch::search_stream(&name, &mut stream, &matcher, &options, &mut |_| {
                Flow::Continue
            })),
            _ => Answer::Nothing,
        }
    });
    let mut stderr = Vec::new();
    let argv = remote.command(&remote_script(search), timeout);
    let run_options = process::Options { timeout: Some(timeout), background: true, ..Default::default() };
    let result = process::run(&argv, &run_options, &mut |stream, bytes| match stream {
        // A send fails only when the reader is done with the stream: the rest is not needed.
        Stream::Stdout => drop(tx.send(bytes.to_vec())),
        Stream::Stderr => {
            stderr.extend_from_slice(bytes);
            if stderr.len() > 2 * STDERR_KEEP {
                stderr.drain(..stderr.len() - STDERR_KEEP);
            }
        }
    });
    drop(tx);
    let answer = reader.join().unwrap_or(Answer::Nothing);
    let stderr = String::from_utf8_lossy(&stderr).into_owned();
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(e) => return Observation::failed(Failure::unknown("spawn_error", e.message)),
    };
    if outcome.timed_out {
        let message = format!(
            "the search on {} took longer than {}; ssh was killed",
            remote.label(),
            super::show_duration(timeout)
        );
        // As for a local log check timed out by the engine: the attempt ran out of time.
        return Observation::failed(Failure::critical("timeout", message));
    }
    let exit_code = outcome.exit_code.unwrap_or(-1);
    let failed = |reason, what: &str| {
        Observation::failed(Failure::unknown(
            reason,
            format!("{what} on {}: {}", remote.label(), ssh::last_line(&stderr)),
        ))
    };
    let (mut observation, via) = match answer {
        _ if exit_code == ssh::SSH_FAILED => {
            return Observation::failed(Failure::unknown(
                "ssh_error",
                format!("ssh to {} failed: {}", remote.label(), ssh::last_line(&stderr)),
            ));
        }
        Answer::Nothing => return failed("remote_error", "the search did not start"),
        Answer::Stream(_) if exit_code != 0 => return failed("unreadable", "cannot read the log"),
        Answer::Stream(summary) => {
            let observed = observed_of(&summary, search.paths.clone());
            let failure = summary.files.iter().find_map(|f| f.error.clone()).map(|e| Failure::unknown("unreadable", e));
            (Observation { observed, failure }, "stream")
        }
        Answer::Incident(None) => return failed("remote_error", "the remote incident gave no summary"),
        Answer::Incident(Some(summary)) => (from_remote_summary(&summary), "incident"),
    };
    observation.observed.insert("host".into(), Value::from(remote.host.clone()));
    // Which way the remote answered: its own `incident`, or the files streamed here.
    observation.observed.insert("via".into(), Value::from(via));
    observation
}

/// The observation from the summary line of the remote's `incident --json grep --count`.
fn from_remote_summary(summary: &Value) -> Observation {
    let matched = summary.get("matched").and_then(Value::as_u64).unwrap_or(0);
    let when = |key: &str| {
        summary
            .get(key)
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map_or(Value::Null, |t| Value::from(crate::time::format_ts(&t.with_timezone(&Utc))))
    };
    let per_minute: Map<String, Value> = summary
        .get("per_minute")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|m| {
            let minute = DateTime::parse_from_rfc3339(m.get("minute")?.as_str()?).ok()?.with_timezone(&Utc);
            Some((minute.format("%H:%M").to_string(), m.get("count")?.clone()))
        })
        .collect();
    let reports = summary.get("files").and_then(Value::as_array).cloned().unwrap_or_default();
    let files: Vec<Value> = reports.iter().filter_map(|f| f.get("path").cloned()).collect();
    let errors: Vec<String> = reports
        .iter()
        .filter_map(|f| {
            let error = f.get("error").and_then(Value::as_str)?;
            Some(format!("{}: {error}", f.get("path").and_then(Value::as_str).unwrap_or("?")))
        })
        .collect();
    let mut observed = Map::new();
    observed.insert("value".into(), Value::from(matched));
    observed.insert("matches".into(), Value::from(matched));
    observed.insert("first".into(), when("first"));
    observed.insert("last".into(), when("last"));
    observed.insert("per_minute".into(), Value::Object(per_minute));
    observed.insert("files".into(), Value::from(files));
    // As locally: nothing readable says nothing about the service.
    let failure = if reports.is_empty() {
        Some(Failure::unknown("no_files", "no log files matched on the remote"))
    } else if errors.len() == reports.len() {
        Some(Failure::unknown("unreadable", errors.join("; ")))
    } else {
        None
    };
    Observation { observed, failure }
}

/// Reads the chunks ssh's output arrives in as one stream.
struct ChannelReader {
    rx: mpsc::Receiver<Vec<u8>>,
    chunk: Vec<u8>,
    at: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at >= self.chunk.len() {
            match self.rx.recv() {
                Ok(chunk) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len() - self.at);
        buf[..n].copy_from_slice(&self.chunk[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
