//! The probe engine: the async edge of the program.
//!
//! One [`Engine`] owns a tokio runtime and exposes a blocking [`Engine::run`]: checks run
//! concurrently (bounded), each attempt under its own timeout, retried with exponential backoff
//! and jitter, and the whole run under a deadline. Each check becomes one [`CheckRecord`], the
//! same for `incident check` and `incident probe`. This module is the only user of tokio and reqwest.

mod command;
mod dns;
mod evaluate;
mod extract;
mod http;
mod log;
mod prometheus;
mod remote_log;
mod tcp;
mod tls;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

pub use evaluate::{Expectations, StatusWant};
pub use extract::{Extraction, Source as ExtractSource};

use crate::error::{Error, Result};
use crate::model::{Attempt, CheckRecord, CheckStatus, ProbeKind};
use crate::secrets::Masker;
use crate::ssh::Remote;

/// What one check probes, with its templates already rendered.
#[derive(Debug, Clone)]
pub enum Probe {
    Http(HttpProbe),
    Tcp {
        host: String,
        port: u16,
    },
    Dns {
        name: String,
        record_type: String,
        server: Option<String>,
    },
    Tls {
        host: String,
        port: u16,
        server_name: Option<String>,
    },
    /// `argv` runs without a shell; a `shell:` check arrives here as `[sh, -c, SCRIPT]`.
    /// With `remote`, it runs on that host through `ssh`, still word for word.
    Command {
        argv: Vec<String>,
        remote: Option<Remote>,
    },
    Prometheus {
        url: String,
        query: String,
    },
    /// A time-windowed search of log files, counted.
    Log {
        paths: Vec<String>,
        pattern: String,
        ignore_case: bool,
        /// Field filters (`status>=500`) a structured record must pass to count.
        filters: Vec<String>,
        /// How far back from now; `None` searches the whole files.
        since: Option<Duration>,
        /// Search on this host through `ssh` (see `remote_log`).
        remote: Option<Remote>,
    },
    /// The check could not be prepared (a template failed): it is `unknown` without probing.
    Invalid {
        /// `None` only for a check that names no probe, which the loader refuses.
        kind: Option<ProbeKind>,
        reason: &'static str,
        message: String,
    },
}

#[derive(Debug, Clone)]
pub struct HttpProbe {
    pub url: String,
    pub method: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    pub follow_redirects: bool,
    pub insecure: bool,
    /// The most of the body read, in bytes.
    pub max_body: usize,
    /// Whether the body is judged (a runbook check's always is: `assert:`, `extract:` and
    /// `when:` may read it): one longer than `max_body` is then `unknown`, never judged cut.
    pub body_judged: bool,
}

impl Probe {
    /// The probe's kind (see the table in [`ProbeKind`]).
    pub fn kind(&self) -> Option<ProbeKind> {
        match self {
            Probe::Http(_) => Some(ProbeKind::Http),
            Probe::Tcp { .. } => Some(ProbeKind::Tcp),
            Probe::Dns { .. } => Some(ProbeKind::Dns),
            Probe::Tls { .. } => Some(ProbeKind::Tls),
            Probe::Command { .. } => Some(ProbeKind::Command),
            Probe::Prometheus { .. } => Some(ProbeKind::Prometheus),
            Probe::Log { .. } => Some(ProbeKind::Log),
            Probe::Invalid { kind, .. } => *kind,
        }
    }

    /// What is probed, for people (secrets are masked by the caller).
    pub fn target(&self) -> String {
        match self {
            Probe::Http(h) => format!("{} {}", h.method, h.url),
            Probe::Tcp { host, port } => format!("{host}:{port}"),
            Probe::Dns { name, record_type, server } => match server {
                Some(s) => format!("{name} {record_type} @{s}"),
                None => format!("{name} {record_type}"),
            },
            Probe::Tls { host, port, .. } => format!("{host}:{port}"),
            Probe::Command { argv, remote } => remote_target(remote.as_ref(), crate::process::shell_join(argv)),
            Probe::Prometheus { url, query } => format!("{url} {query}"),
            Probe::Log { paths, pattern, remote, .. } => {
                remote_target(remote.as_ref(), format!("{} {pattern:?}", paths.join(" ")))
            }
            Probe::Invalid { .. } => String::new(),
        }
    }
}

/// A check ready to run.
#[derive(Debug, Clone)]
pub struct Check {
    pub id: String,
    pub runbook: Option<String>,
    pub probe: Probe,
    pub expect: Expectations,
    /// Expressions over the observed fields (and `vars`) that must hold.
    pub asserts: Vec<String>,
    /// The `vars` the assertions may read.
    pub vars: minijinja::Value,
    /// Per attempt.
    pub timeout: Duration,
    /// Extra attempts after a failure.
    pub retries: u32,
    /// The first wait between attempts; doubled each time, with jitter.
    pub backoff: Duration,
    /// What a failed expectation counts as: `Critical` or `Warning`.
    pub severity: CheckStatus,
    /// Named values taken from what the probe saw, before it is judged.
    pub extract: Vec<Extraction>,
    /// Results that mean the check cannot tell.
    pub unknown_on: UnknownOn,
    /// What a Prometheus query without series means.
    pub on_empty: Option<OnEmpty>,
    /// How the check's result is worded.
    pub wording: Wording,
}

/// The runbook's words for a check's result: `unit: "%"` dresses the figures (`97% >= 90%`),
/// `summary: "used {{ result }}"` puts them in a sentence.
#[derive(Debug, Clone, Default)]
pub struct Wording {
    pub unit: Option<String>,
    pub summary: Option<String>,
}

/// Exit codes and an output pattern that mean "cannot tell" (`unknown`, reason `cannot_tell`).
#[derive(Debug, Clone, Default)]
pub struct UnknownOn {
    pub exit_codes: Vec<i32>,
    pub output_matches: Option<regex::Regex>,
}

/// `on_empty:` of a Prometheus check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OnEmpty {
    Ok,
    Value(f64),
}

/// How a probe attempt ended before any expectation was looked at.
#[derive(Debug, Clone)]
pub struct Observation {
    pub observed: Map<String, Value>,
    /// The probe could not complete: (reason code, status, message).
    pub failure: Option<Failure>,
}

#[derive(Debug, Clone)]
pub struct Failure {
    pub reason: &'static str,
    /// `Critical` when the target is at fault (refused, timed out), `Unknown` when the checker
    /// could not tell (its DNS failed, a command could not start, a bad URL).
    pub status: CheckStatus,
    pub message: String,
}

impl Failure {
    pub fn critical(reason: &'static str, message: impl Into<String>) -> Failure {
        Failure { reason, status: CheckStatus::Critical, message: message.into() }
    }

    pub fn unknown(reason: &'static str, message: impl Into<String>) -> Failure {
        Failure { reason, status: CheckStatus::Unknown, message: message.into() }
    }
}

impl Observation {
    fn failed(failure: Failure) -> Observation {
        Observation { observed: Map::new(), failure: Some(failure) }
    }
}

/// Applies `unknown_on:` (an exit code or output meaning "cannot tell") and `on_empty:` (a
/// query without series that is fine, or a value) to an observation before it is judged.
fn honest_states(check: &Check, observation: &mut Observation) {
    if observation.failure.as_ref().is_some_and(|f| f.reason == "no_data")
        && let Some(on_empty) = check.on_empty
    {
        observation.failure = match on_empty {
            OnEmpty::Ok => {
                Some(Failure { reason: "no_data", status: CheckStatus::Ok, message: "no series (on_empty: ok)".into() })
            }
            OnEmpty::Value(value) => {
                observation
                    .observed
                    .insert("value".into(), serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number));
                None
            }
        };
        return;
    }
    if observation.failure.is_some() {
        return;
    }
    let seen = &observation.observed;
    let code = seen.get("exit_code").and_then(Value::as_i64);
    if let Some(code) = code.filter(|c| check.unknown_on.exit_codes.iter().any(|u| i64::from(*u) == *c)) {
        let said = evaluate::excerpt(&format!("{} {}", evaluate::text(seen, "stderr"), evaluate::text(seen, "stdout")));
        observation.failure =
            Some(Failure::unknown("cannot_tell", format!("exit {code} means it cannot tell (unknown_on): {said}")));
        return;
    }
    if let Some(pattern) = &check.unknown_on.output_matches {
        let found = ["stdout", "stderr", "body"].iter().find_map(|key| {
            seen.get(*key).and_then(Value::as_str).and_then(|t| pattern.find(t)).map(|m| m.as_str().to_string())
        });
        if let Some(found) = found {
            observation.failure = Some(Failure::unknown(
                "cannot_tell",
                format!("the output says it cannot tell (unknown_on): {}", evaluate::excerpt(&found)),
            ));
        }
    }
}

/// Limits of one run.
#[derive(Debug, Clone, Copy)]
pub struct RunOptions {
    pub concurrency: usize,
    /// Checks not finished by then are `unknown` with reason `deadline`.
    pub deadline: Duration,
}

/// The probe engine; create one per command.
pub struct Engine {
    runtime: tokio::runtime::Runtime,
    clients: Mutex<HashMap<(bool, bool), reqwest::Client>>,
    masker: Masker,
}

impl Engine {
    /// Starts the runtime. `masker` masks every record before it leaves the engine.
    pub fn new(masker: Masker) -> Result<Arc<Engine>> {
        crate::trust::crypto_provider();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::runtime(format!("cannot start the probe engine: {e}")))?;
        Ok(Arc::new(Engine { runtime, clients: Mutex::new(HashMap::new()), masker }))
    }

    /// Runs `checks`, calling `progress` with each record as it finishes; returns the records
    /// in the order of `checks`.
    pub fn run(
        self: &Arc<Self>,
        checks: Vec<Check>,
        options: RunOptions,
        progress: &mut dyn FnMut(&CheckRecord, usize, usize),
    ) -> Vec<CheckRecord> {
        self.run_with_evidence(checks, options, progress).into_iter().map(|(record, _)| record).collect()
    }

    /// Like [`Engine::run`], with each record's whole evidence (masked) when the record keeps
    /// only part of it: an HTTP body, a command's output. Callers keep it as an artifact.
    pub fn run_with_evidence(
        self: &Arc<Self>,
        checks: Vec<Check>,
        options: RunOptions,
        progress: &mut dyn FnMut(&CheckRecord, usize, usize),
    ) -> Vec<(CheckRecord, Option<String>)> {
        let total = checks.len();
        let engine = Arc::clone(self);
        self.runtime.block_on(async move {
            let semaphore = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
            let mut set = tokio::task::JoinSet::new();
            let mut records: Vec<Option<(CheckRecord, Option<String>)>> = vec![None; total];
            let mut task_index = HashMap::new();
            // Checks whose task failed (a bug, not the target): reported as such, not as late.
            let mut crashed: Vec<usize> = Vec::new();
            for (index, check) in checks.iter().cloned().enumerate() {
                let semaphore = Arc::clone(&semaphore);
                let engine = Arc::clone(&engine);
                let task = set.spawn(async move {
                    let _permit = semaphore.acquire_owned().await;
                    (index, engine.run_check(check).await)
                });
                task_index.insert(task.id(), index);
            }
            let deadline = tokio::time::Instant::now() + capped(options.deadline);
            let mut done = 0;
            loop {
                match tokio::time::timeout_at(deadline, set.join_next()).await {
                    Ok(Some(Ok((index, outcome)))) => {
                        done += 1;
                        progress(&outcome.0, done, total);
                        records[index] = Some(outcome);
                    }
                    Ok(Some(Err(error))) => crashed.extend(task_index.get(&error.id()).copied()),
                    Ok(None) => break,
                    Err(_) => {
                        set.abort_all();
                        break;
                    }
                }
            }
            let late = show_duration(options.deadline);
            records
                .into_iter()
                .zip(&checks)
                .enumerate()
                .map(|(index, (record, check))| {
                    record.unwrap_or_else(|| {
                        let failure = if crashed.contains(&index) {
                            Failure::unknown(
                                "internal_error",
                                "the check failed inside incident (a bug: please report it)",
                            )
                        } else {
                            Failure::unknown("deadline", format!("not finished within the run's deadline ({late})"))
                        };
                        let record =
                            engine.record(check, Some(failure), Map::new(), Vec::new(), Vec::new(), options.deadline);
                        done += 1;
                        progress(&record.0, done, total);
                        record
                    })
                })
                .collect()
        })
    }

    async fn run_check(self: Arc<Self>, check: Check) -> (CheckRecord, Option<String>) {
        let started = Instant::now();
        let mut attempts = Vec::new();
        let check = Check { timeout: capped(check.timeout), backoff: capped(check.backoff), ..check };
        let mut wait = check.backoff.min(MAX_BACKOFF);
        let max_attempts = check.retries.saturating_add(1);
        let mut n = 0;
        loop {
            n += 1;
            let attempt_started = Instant::now();
            let mut observation = match tokio::time::timeout(check.timeout, self.probe(&check)).await {
                Ok(observation) => observation,
                Err(_) => Observation::failed(Failure::critical(
                    "timeout",
                    format!("no answer within {}", show_duration(check.timeout)),
                )),
            };
            honest_states(&check, &mut observation);
            if observation.failure.is_none()
                && let Err(failure) = extract::apply(&check.extract, &mut observation.observed)
            {
                observation.failure = Some(failure);
            }
            let (status, reason, summary, assertions) = evaluate::judge(&check, &observation);
            attempts.push(Attempt {
                n,
                status,
                reason: reason.to_string(),
                duration_ms: millis(attempt_started.elapsed()),
            });
            let retryable = status != CheckStatus::Ok && !matches!(check.probe, Probe::Invalid { .. });
            let retry = retryable && n < max_attempts && keeps_retrying(started.elapsed(), wait);
            if !retry {
                let (mut record, evidence) =
                    self.record(&check, None, observation.observed, assertions, attempts, started.elapsed());
                record.status = status;
                record.reason = reason.to_string();
                record.summary = self.masker_for(&check).mask(&summary);
                if status == CheckStatus::Ok && n > 1 {
                    // A pass that needed a retry is flaky: never plain ok.
                    record.status = CheckStatus::Warning;
                    record.reason = "flaky".to_string();
                    record.summary = format!("passed on attempt {n} of {max_attempts} (flaky)");
                }
                return (record, evidence);
            }
            tokio::time::sleep(jittered(wait)).await;
            wait = wait.saturating_mul(2).min(MAX_BACKOFF);
        }
    }

    async fn probe(&self, check: &Check) -> Observation {
        match &check.probe {
            Probe::Http(spec) => match self.client(spec.insecure, spec.follow_redirects) {
                Ok(client) => http::probe(&client, spec, check.timeout, &self.masker).await,
                Err(failure) => Observation::failed(failure),
            },
            Probe::Tcp { host, port } => tcp::probe(host, *port).await,
            Probe::Dns { name, record_type, server } => {
                dns::probe(name, record_type, server.as_deref(), check.timeout).await
            }
            Probe::Tls { host, port, server_name } => tls::probe(host, *port, server_name.as_deref()).await,
            Probe::Command { argv, remote: None } => command::probe(argv.clone(), check.timeout).await,
            Probe::Command { argv, remote: Some(remote) } => command::remote_probe(remote, argv, check.timeout).await,
            Probe::Prometheus { url, query } => match self.client(false, true) {
                Ok(client) => prometheus::probe(&client, url, query, check.timeout).await,
                Err(failure) => Observation::failed(failure),
            },
            Probe::Log { paths, pattern, ignore_case, filters, since, remote: None } => {
                log::probe(paths.clone(), pattern.clone(), *ignore_case, filters.clone(), *since).await
            }
            Probe::Log { paths, pattern, ignore_case, since, remote: Some(remote), .. } => {
                let search = remote_log::Search {
                    paths: paths.clone(),
                    pattern: pattern.clone(),
                    ignore_case: *ignore_case,
                    since: *since,
                };
                remote_log::remote_probe(remote.clone(), search, check.timeout).await
            }
            Probe::Invalid { reason, message, .. } => Observation::failed(Failure::unknown(reason, message.clone())),
        }
    }

    /// One client per TLS/redirect policy, shared by every check with that policy.
    fn client(&self, insecure: bool, follow: bool) -> Result<reqwest::Client, Failure> {
        let mut clients = self.clients.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(client) = clients.get(&(insecure, follow)) {
            return Ok(client.clone());
        }
        let policy = if follow { reqwest::redirect::Policy::limited(10) } else { reqwest::redirect::Policy::none() };
        let client = crate::trust::http_client_builder()
            .redirect(policy)
            .tls_danger_accept_invalid_certs(insecure)
            .connect_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| Failure::unknown("client_error", format!("cannot set up HTTP: {e}")))?;
        clients.insert((insecure, follow), client.clone());
        Ok(client)
    }

    /// The engine's masker, plus the values a command passes after secret-named flags
    /// (`--password VALUE`): its output may echo them.
    fn masker_for(&self, check: &Check) -> Masker {
        let mut masker = self.masker.clone();
        if let Probe::Command { argv, .. } = &check.probe {
            for (original, masked) in argv.iter().zip(self.masker.mask_argv(argv)) {
                if *original != masked {
                    match original.split_once('=') {
                        Some((flag, value)) if flag.starts_with('-') => masker.add(value),
                        _ => masker.add(original.clone()),
                    }
                }
            }
        }
        masker
    }

    fn record(
        &self,
        check: &Check,
        failure: Option<Failure>,
        observed: Map<String, Value>,
        assertions: Vec<crate::model::Assertion>,
        attempts: Vec<Attempt>,
        duration: Duration,
    ) -> (CheckRecord, Option<String>) {
        let (status, reason, summary) = match failure {
            Some(f) => (f.status, f.reason.to_string(), f.message),
            None => (CheckStatus::Ok, "ok".to_string(), String::new()),
        };
        let masker = self.masker_for(check);
        let mut observed = observed;
        let evidence =
            http::whole_body(&observed).or_else(|| command::whole_output(&observed)).map(|e| masker.mask(&e));
        http::trim_body(&mut observed);
        command::trim_output(&mut observed);
        mask_values(&mut observed, &masker);
        let record = CheckRecord {
            check: check.id.clone(),
            runbook: check.runbook.clone(),
            probe: check.probe.kind().map_or("unknown", ProbeKind::name).to_string(),
            status,
            reason,
            summary: masker.mask(&summary),
            target: match &check.probe {
                // `--password VALUE` is secret by its place, whatever the value.
                Probe::Command { argv, remote } => {
                    remote_target(remote.as_ref(), crate::process::shell_join(&masker.mask_argv(argv)))
                }
                probe => masker.mask(&probe.target()),
            },
            observed,
            assertions: assertions
                .into_iter()
                .map(|a| crate::model::Assertion {
                    expect: masker.mask(&a.expect),
                    seen: masker.mask(&a.seen),
                    ok: a.ok,
                })
                .collect(),
            attempts,
            duration_ms: millis(duration),
            artifact: None,
        };
        (record, evidence)
    }
}

/// A target as people read it: `user@host: what` when it runs on another host.
fn remote_target(remote: Option<&Remote>, what: String) -> String {
    match remote {
        Some(remote) => format!("{}: {what}", remote.label()),
        None => what,
    }
}

fn mask_values(map: &mut Map<String, Value>, masker: &Masker) {
    for value in map.values_mut() {
        mask_value(value, masker);
    }
}

fn mask_value(value: &mut Value, masker: &Masker) {
    match value {
        Value::String(s) => *s = masker.mask(s),
        Value::Array(items) => items.iter_mut().for_each(|v| mask_value(v, masker)),
        Value::Object(map) => mask_values(map, masker),
        _ => {}
    }
}

/// The longest wait, timeout or deadline the engine takes: far beyond any use, and far enough
/// from overflow that `Instant + d` and `d * 1.5` cannot panic whatever a runbook says.
pub const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);

/// A duration from user input, capped at [`MAX_DURATION`].
pub fn capped(d: Duration) -> Duration {
    d.min(MAX_DURATION)
}

/// The longest wait between two attempts of a check: the doubling stops here.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// No retry starts past this much time on one check (attempts, waits and all): a result taken
/// that much later says little about the moment asked about, and `--retries 20` must not run
/// for hours.
pub const MAX_RETRYING: Duration = Duration::from_secs(5 * 60);

/// Whether a check that has spent `elapsed` may wait `wait` and try again.
fn keeps_retrying(elapsed: Duration, wait: Duration) -> bool {
    elapsed.saturating_add(wait.mul_f64(1.5)) < MAX_RETRYING
}

/// `wait` times a random factor in [0.5, 1.5): retries of many checks do not march in step.
fn jittered(wait: Duration) -> Duration {
    capped(wait).mul_f64(rand::random_range(0.5..1.5))
}

pub(crate) fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) fn show_duration(d: Duration) -> String {
    crate::expr::show_duration(d)
}

/// The worst status of a run, for the exit code; `Ok` for none. A known `critical` outranks
/// `unknown` (it is the more actionable news), and `unknown` outranks `warning`.
pub fn worst(records: &[CheckRecord]) -> CheckStatus {
    records.iter().map(|r| r.status).min_by_key(|s| s.urgency()).unwrap_or(CheckStatus::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What broke: backoff doubled up to a week, so `--retries 20` could wait for days.
    #[test]
    fn twenty_retries_with_the_slowest_jitter_stop_within_the_retry_budget() {
        let (timeout, mut wait, mut elapsed, mut attempts) =
            (Duration::from_secs(10), Duration::from_secs(1), Duration::ZERO, 1);
        while attempts < 21 && keeps_retrying(elapsed + timeout, wait) {
            elapsed += timeout + wait.mul_f64(1.5);
            wait = wait.saturating_mul(2).min(MAX_BACKOFF);
            attempts += 1;
        }
        elapsed += timeout;
        assert!(elapsed <= MAX_RETRYING + timeout, "{elapsed:?} after {attempts} attempts");
        assert!(attempts > 5, "retries still happen: {attempts}");
    }
}
