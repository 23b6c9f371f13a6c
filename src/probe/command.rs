//! The `command` probe: an argv run in its own process group, killed whole on timeout.

use std::time::Duration;

use serde_json::{Map, Value};

use super::evaluate::{Expectations, Verdicts, excerpt, field, text};
use super::{Failure, Observation, millis};
use crate::process;
use crate::ssh::{self, Remote};

/// How much of each stream is kept: the tail is what tells.
const KEEP: usize = 64 * 1024;
const IN_RECORD: usize = 2048;

pub async fn probe(argv: Vec<String>, timeout: Duration) -> Observation {
    let joined = tokio::task::spawn_blocking(move || {
        // The engine's own timeout would only drop the future: the command's timeout must kill it.
        process::capture(&mut process::command(&argv)?, timeout, KEEP)
    })
    .await;
    let captured = match joined {
        Ok(Ok(captured)) => captured,
        Ok(Err(e)) => return Observation::failed(Failure::unknown("spawn_error", e.message)),
        Err(e) => return Observation::failed(Failure::unknown("spawn_error", format!("lost the command: {e}"))),
    };
    let process::Captured { outcome, stdout, stderr } = captured;
    let mut observed = Map::new();
    observed.insert("exit_code".into(), outcome.exit_code.map_or(Value::Null, Value::from));
    if let Some(signal) = outcome.signal {
        observed.insert("signal".into(), Value::from(signal));
    }
    observed.insert("timed_out".into(), Value::from(outcome.timed_out));
    observed.insert("stdout".into(), Value::from(String::from_utf8_lossy(&stdout).into_owned()));
    observed.insert("stderr".into(), Value::from(String::from_utf8_lossy(&stderr).into_owned()));
    observed.insert("duration_ms".into(), Value::from(millis(outcome.duration)));
    if outcome.timed_out {
        return Observation {
            observed,
            failure: Some(Failure::critical(
                "timeout",
                format!("still running after {}; its process group was killed", super::show_duration(timeout)),
            )),
        };
    }
    Observation { observed, failure: None }
}

/// Runs `argv` on `remote` through `ssh`, word for word (see [`super::ssh`]). The timeout kills
/// the local `ssh` process group, which ends the session; ssh's own failure to connect or log in
/// (exit 255) is `unknown` with reason `ssh_error`: it says nothing about the checked service.
pub async fn remote_probe(remote: &Remote, argv: &[String], timeout: Duration) -> Observation {
    let mut observation = probe(remote.argv(argv, timeout), timeout).await;
    observation.observed.insert("host".into(), Value::from(remote.host.clone()));
    let exit_code = observation.observed.get("exit_code").and_then(Value::as_i64);
    if observation.failure.is_none() && exit_code == Some(i64::from(ssh::SSH_FAILED)) {
        let stderr = observation.observed.get("stderr").and_then(Value::as_str).unwrap_or("");
        let message = format!("ssh to {} failed: {}", remote.label(), ssh::last_line(stderr));
        observation.failure = Some(Failure::unknown("ssh_error", message));
    }
    observation
}

/// Both streams whole, when the record will keep only their tails.
pub fn whole_output(observed: &Map<String, Value>) -> Option<String> {
    let text = |key: &str| observed.get(key).and_then(Value::as_str).unwrap_or("");
    let (out, err) = (text("stdout"), text("stderr"));
    (out.len() > IN_RECORD || err.len() > IN_RECORD).then(|| format!("--- stdout\n{out}\n--- stderr\n{err}\n"))
}

/// Keeps the tails of stdout and stderr in a record.
pub fn trim_output(observed: &mut Map<String, Value>) {
    for key in ["stdout", "stderr"] {
        if let Some(Value::String(text)) = observed.get_mut(key)
            && text.len() > IN_RECORD
        {
            let mut start = text.len() - IN_RECORD;
            while !text.is_char_boundary(start) {
                start += 1;
            }
            *text = format!("…{}", &text[start..]);
        }
    }
}

/// The exit code (0 unless another is wanted), then what the output must hold.
pub(super) fn judge(e: &Expectations, seen: &Map<String, Value>, out: &mut Verdicts) {
    let code = seen.get("exit_code").and_then(Value::as_i64);
    let want = e.exit_code.unwrap_or(0);
    let shown = code.map_or_else(|| "none (killed by a signal)".to_string(), |c| c.to_string());
    out.push(format!("exit_code == {want}"), shown, code == Some(i64::from(want)), "exit_code");
    if let Some(needle) = &e.stdout_contains {
        let stdout = text(seen, "stdout");
        out.push(
            format!("stdout contains {needle:?}"),
            excerpt(&stdout),
            stdout.contains(needle.as_str()),
            "assertion",
        );
    }
    if let Some(re) = &e.stdout_matches {
        let stdout = text(seen, "stdout");
        out.push(format!("stdout matches /{}/", re.as_str()), excerpt(&stdout), re.is_match(&stdout), "assertion");
    }
    if let Some(needle) = &e.stderr_contains {
        let err = text(seen, "stderr");
        out.push(format!("stderr contains {needle:?}"), excerpt(&err), err.contains(needle.as_str()), "assertion");
    }
}

/// What an `ok` says: the exit code and the last line printed, which is where a figure is
/// (`du -sm` prints `812\t/var/log`).
pub(super) fn ok_summary(seen: &Map<String, Value>) -> String {
    let stdout = text(seen, "stdout");
    match stdout.lines().rev().find(|l| !l.trim().is_empty()) {
        Some(last) => format!("exit {}: {}", field(seen, "exit_code"), excerpt(last)),
        None => format!("exit {}", field(seen, "exit_code")),
    }
}
