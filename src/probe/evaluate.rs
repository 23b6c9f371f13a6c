//! Turning what a probe saw into a status: the probe's own judgement (each probe module judges
//! its observations), then latency, `assert:` expressions and thresholds, each kept as an [`Assertion`] with the value seen beside the value wanted.

use regex::Regex;
use serde_json::{Map, Value};

use super::{Check, Observation, Probe, command, dns, http, log, prometheus, tcp, tls};
use crate::expr::{Comparison, explain, show_number, template};
use crate::model::{Assertion, CheckStatus};

/// Status codes wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusWant {
    Codes(Vec<u16>),
    /// `2xx` is `Class(2)`.
    Class(u16),
}

impl StatusWant {
    pub(super) fn holds(&self, status: u16) -> bool {
        match self {
            StatusWant::Codes(codes) => codes.contains(&status),
            StatusWant::Class(class) => status / 100 == *class,
        }
    }

    pub(super) fn describe(&self) -> String {
        match self {
            StatusWant::Codes(codes) if codes.len() == 1 => format!("== {}", codes[0]),
            StatusWant::Codes(codes) => {
                format!("in [{}]", codes.iter().map(u16::to_string).collect::<Vec<_>>().join(", "))
            }
            StatusWant::Class(class) => format!("== {class}xx"),
        }
    }
}

/// Expectations, already parsed. Those that do not apply to a probe are left empty by the loader.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    pub status: Option<StatusWant>,
    pub latency: Option<Comparison>,
    pub body_contains: Option<String>,
    pub body_matches: Option<Regex>,
    pub json: Vec<(String, Value)>,
    pub headers: Vec<(String, String)>,
    pub exit_code: Option<i32>,
    pub stdout_contains: Option<String>,
    pub stdout_matches: Option<Regex>,
    pub stderr_contains: Option<String>,
    pub answers_contain: Vec<String>,
    pub rcode: Option<String>,
    pub leaf_expires_in: Option<Comparison>,
    pub chain_expires_in: Option<Comparison>,
    pub subject_contains: Option<String>,
    pub issuer_contains: Option<String>,
    pub san_contains: Option<String>,
    pub verified: Option<bool>,
    pub value: Option<Comparison>,
    /// What a certificate valid but too close to expiry counts as, when not the check's
    /// severity (`incident probe tls` warns about it, yet fails an untrusted chain).
    pub expiry_severity: Option<CheckStatus>,
    pub warning: Option<Comparison>,
    pub critical: Option<Comparison>,
    /// The extracted value `warning` and `critical` grade, instead of the probe's `value`.
    pub graded: Option<String>,
}

/// Status, reason code, one-line summary and the assertions of one attempt.
pub fn judge(check: &Check, observation: &Observation) -> (CheckStatus, &'static str, String, Vec<Assertion>) {
    if let Some(failure) = &observation.failure {
        let status = if failure.status == CheckStatus::Critical { check.severity } else { failure.status };
        return (status, failure.reason, failure.message.clone(), Vec::new());
    }
    let seen = &observation.observed;
    let e = &check.expect;
    // Each probe judges what it observed first: its own failure comes before the generic ones.
    let mut out = Verdicts::default();
    match &check.probe {
        Probe::Http(_) => http::judge(e, seen, &mut out),
        Probe::Command { .. } => command::judge(e, seen, &mut out),
        Probe::Dns { .. } => dns::judge(e, seen, &mut out),
        Probe::Tls { .. } => tls::judge(e, seen, &mut out),
        Probe::Prometheus { .. } => prometheus::judge(e, seen, &mut out),
        Probe::Tcp { .. } | Probe::Log { .. } | Probe::Invalid { .. } => {}
    }
    if let Some(want) = &e.latency
        && let Some(ms) = number(seen, "latency_ms")
    {
        out.push(format!("latency {want}"), format!("{}ms", show_number(ms)), want.holds(ms), "latency");
    }
    if !check.asserts.is_empty() {
        let ctx = assertion_context(check, observation);
        let unit = check.wording.unit.as_deref();
        for expr in &check.asserts {
            match explain::explain(&template::environment(), expr, &ctx, unit) {
                Ok(explained) => out.push_explained(expr.clone(), explained),
                Err(err) => {
                    // An expression that cannot be evaluated says nothing about the target.
                    return (
                        CheckStatus::Unknown,
                        "assertion_error",
                        format!("`{expr}`: {err}"),
                        out.into_assertions(),
                    );
                }
            }
        }
    }

    // Thresholds grade a number (prometheus value) into warning or critical.
    let mut threshold_status = CheckStatus::Ok;
    let mut threshold_summary = None;
    let graded = match &e.graded {
        Some(name) => seen.get("extract").and_then(|x| x.get(name)).and_then(Value::as_f64).map(|v| (name.as_str(), v)),
        None => number(seen, "value").map(|v| ("value", v)),
    };
    let unit = check.wording.unit.as_deref();
    let mut threshold_ok = None;
    if let Some((subject, value)) = graded {
        let seen = explain::show_quantity(value, unit);
        for (want, status) in [(&e.critical, CheckStatus::Critical), (&e.warning, CheckStatus::Warning)] {
            if let Some(want) = want {
                let hit = want.holds(value);
                out.push(format!("{subject} not {want} ({})", status.as_str()), show_number(value), !hit, "threshold");
                let bar = explain::show_quantity(want.value, unit);
                if hit && threshold_status == CheckStatus::Ok {
                    threshold_status = status;
                    threshold_summary =
                        Some(format!("{subject} {seen} {} {bar} ({})", want.op.as_str(), status.as_str()));
                }
                // The last bar is the lowest (warning when there is one): an ok is below it.
                threshold_ok = Some(format!("{subject} {seen} {} {bar}", want.op.negated().as_str()));
            }
        }
    }

    let out = out.0;
    let failing = |v: &&Verdict| !v.assertion.ok && v.reason != "threshold";
    let first_failed = out.iter().find(failing);
    if let Some(verdict) = first_failed {
        let failed = out.iter().filter(failing).count();
        let more = if failed > 1 { format!(" (+{} more)", failed - 1) } else { String::new() };
        let mut status = check.severity;
        if verdict.reason == "cert_expired" {
            status = CheckStatus::Critical;
        } else if verdict.reason == "cert_expiry"
            && let Some(severity) = e.expiry_severity
            && out.iter().all(|v| v.assertion.ok || v.reason == "cert_expiry")
        {
            status = severity;
        }
        let said = match &verdict.words {
            Some(words) => worded(check, observation, words),
            None => verdict.assertion.describe(),
        };
        return (status, verdict.reason, format!("{said}{more}"), take(out));
    }
    if let Some(summary) = threshold_summary {
        return (threshold_status, "threshold", worded(check, observation, &summary), take(out));
    }
    let explained: Vec<&str> = out.iter().filter_map(|v| v.words.as_deref()).collect();
    let summary = if !explained.is_empty() {
        worded(check, observation, &explained.join(", "))
    } else if let Some(below) = threshold_ok {
        worded(check, observation, &below)
    } else {
        ok_summary(check, observation)
    };
    (CheckStatus::Ok, "ok", summary, take(out))
}

/// A result in the runbook's words: its `summary:` template with `result` set to `result`,
/// or `result` itself (also when the template fails: the figures matter more than the words).
fn worded(check: &Check, observation: &Observation, result: &str) -> String {
    let Some(summary) = &check.wording.summary else { return result.to_string() };
    let ctx = assertion_context(check, observation);
    let ctx = minijinja::context! { result => result, ..ctx };
    template::render(&template::environment(), summary, &ctx).unwrap_or_else(|_| result.to_string())
}

fn take(out: Vec<Verdict>) -> Vec<Assertion> {
    out.into_iter().map(|v| v.assertion).collect()
}

/// What an `ok` says: the most telling figure, as each probe words it.
fn ok_summary(check: &Check, observation: &Observation) -> String {
    let seen = &observation.observed;
    match &check.probe {
        Probe::Http(_) => http::ok_summary(seen),
        Probe::Tcp { .. } => tcp::ok_summary(seen),
        Probe::Dns { .. } => dns::ok_summary(seen),
        Probe::Tls { .. } => tls::ok_summary(seen),
        Probe::Command { .. } => command::ok_summary(seen),
        Probe::Prometheus { .. } => prometheus::ok_summary(seen),
        Probe::Log { .. } => log::ok_summary(seen),
        Probe::Invalid { .. } => String::new(),
    }
}

/// One assertion of an attempt, with the reason code it fails with and, for an `assert:`,
/// its result in words (`97% >= 90%`).
#[derive(Debug)]
pub(super) struct Verdict {
    assertion: Assertion,
    reason: &'static str,
    words: Option<String>,
}

/// The assertions of one attempt so far.
#[derive(Debug, Default)]
pub(super) struct Verdicts(Vec<Verdict>);

impl Verdicts {
    pub(super) fn push(&mut self, expect: String, seen: String, ok: bool, reason: &'static str) {
        self.0.push(Verdict { assertion: Assertion { expect, seen, ok }, reason, words: None });
    }

    /// An expectation with its result already in words (`value 7.5 >= 0.05`).
    pub(super) fn push_worded(&mut self, expect: String, seen: String, ok: bool, reason: &'static str, words: String) {
        self.0.push(Verdict { assertion: Assertion { expect, seen, ok }, reason, words: Some(words) });
    }

    fn push_explained(&mut self, expr: String, explained: explain::Explained) {
        let assertion = Assertion { expect: expr, seen: explained.text.clone(), ok: explained.ok };
        self.0.push(Verdict { assertion, reason: "assertion", words: Some(explained.text) });
    }

    fn into_assertions(self) -> Vec<Assertion> {
        take(self.0)
    }
}

/// An observed text; empty when it is missing.
pub(super) fn text(seen: &Map<String, Value>, key: &str) -> String {
    seen.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

/// An observed number.
pub(super) fn number(seen: &Map<String, Value>, key: &str) -> Option<f64> {
    seen.get(key).and_then(Value::as_f64)
}

/// An observed value as a summary shows it: a string bare, anything else as JSON; empty when missing.
pub(super) fn field(seen: &Map<String, Value>, key: &str) -> String {
    seen.get(key).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string)).unwrap_or_default()
}

fn assertion_context(check: &Check, observation: &Observation) -> minijinja::Value {
    let mut map: std::collections::BTreeMap<String, minijinja::Value> = observation
        .observed
        .iter()
        .map(|(k, v)| (k.clone(), minijinja::Value::from(minijinja::value::Serde(v.clone()))))
        .collect();
    map.insert("vars".to_string(), check.vars.get_attr("vars").unwrap_or_default());
    minijinja::Value::from(map)
}

/// A text cut to one line of at most 80 characters, for an assertion's `seen`.
pub(super) fn excerpt(text: &str) -> String {
    let one_line = text.trim().replace('\n', "\\n");
    if one_line.chars().count() > 80 {
        format!("{}…", one_line.chars().take(80).collect::<String>())
    } else {
        one_line
    }
}

/// Seconds as a duration (`13d 4h`, `-2.0s`), or `unknown`.
pub(super) fn show_secs(secs: f64) -> String {
    if !secs.is_finite() {
        return "unknown".to_string();
    }
    let sign = if secs < 0.0 { "-" } else { "" };
    let d = std::time::Duration::from_secs_f64(secs.abs());
    format!("{sign}{}", crate::expr::show_duration(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertions_read_as_seen_beside_wanted() {
        let a = Assertion { expect: "status == 200".into(), seen: "503".into(), ok: false };
        assert_eq!(a.describe(), "status (503) == 200");
    }
}
