//! Turning what a probe saw into a status: expectations, thresholds and `assert:` expressions,
//! each kept as an [`Assertion`] with the value seen beside the value wanted.

use regex::Regex;
use serde_json::Value;

use super::{Check, Observation, Probe};
use crate::expr::{Comparison, show_number, template};
use crate::model::{Assertion, CheckStatus};

/// Status codes wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatusWant {
    Codes(Vec<u16>),
    /// `2xx` is `Class(2)`.
    Class(u16),
}

impl StatusWant {
    fn holds(&self, status: u16) -> bool {
        match self {
            StatusWant::Codes(codes) => codes.contains(&status),
            StatusWant::Class(class) => status / 100 == *class,
        }
    }

    fn describe(&self) -> String {
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
}

/// Status, reason code, one-line summary and the assertions of one attempt.
pub fn judge(check: &Check, observation: &Observation) -> (CheckStatus, &'static str, String, Vec<Assertion>) {
    if let Some(failure) = &observation.failure {
        let status = if failure.status == CheckStatus::Critical { check.severity } else { failure.status };
        return (status, failure.reason, failure.message.clone(), Vec::new());
    }
    let seen = &observation.observed;
    let e = &check.expect;
    let mut out: Vec<(Assertion, &'static str)> = Vec::new();
    let mut push = |expect: String, seen: String, ok: bool, reason: &'static str| {
        out.push((Assertion { expect, seen, ok }, reason));
    };
    let num = |key: &str| seen.get(key).and_then(Value::as_f64);
    let text = |key: &str| seen.get(key).and_then(Value::as_str).unwrap_or("").to_string();

    match &check.probe {
        Probe::Http(_) => {
            let status = num("status").unwrap_or(0.0) as u16;
            // Without a stated expectation, a 2xx (after redirects) is what "up" means.
            let want = e.status.clone().unwrap_or(StatusWant::Class(2));
            push(format!("status {}", want.describe()), status.to_string(), want.holds(status), "http_status");
            if let Some(needle) = &e.body_contains {
                let body = text("body");
                push(format!("body contains {needle:?}"), excerpt(&body), body.contains(needle.as_str()), "assertion");
            }
            if let Some(re) = &e.body_matches {
                let body = text("body");
                push(format!("body matches /{}/", re.as_str()), excerpt(&body), re.is_match(&body), "assertion");
            }
            for (path, wanted) in &e.json {
                let got = seen.get("json").and_then(|j| json_path(j, path));
                let shown = got.map_or_else(|| "missing".to_string(), Value::to_string);
                let ok = got.is_some_and(|g| json_equal(g, wanted));
                push(format!("json.{path} == {wanted}"), shown, ok, "assertion");
            }
            for (name, needle) in &e.headers {
                let got = seen
                    .get("headers")
                    .and_then(Value::as_object)
                    .and_then(|h| h.get(&name.to_ascii_lowercase()))
                    .and_then(Value::as_str);
                let ok = got.is_some_and(|g| g.contains(needle.as_str()));
                push(
                    format!("header.{name} contains {needle:?}"),
                    got.unwrap_or("missing").to_string(),
                    ok,
                    "assertion",
                );
            }
        }
        Probe::Command { .. } => {
            let code = seen.get("exit_code").and_then(Value::as_i64);
            let want = e.exit_code.unwrap_or(0);
            let shown = code.map_or_else(|| "none (killed by a signal)".to_string(), |c| c.to_string());
            push(format!("exit_code == {want}"), shown, code == Some(i64::from(want)), "exit_code");
            if let Some(needle) = &e.stdout_contains {
                let out = text("stdout");
                push(format!("stdout contains {needle:?}"), excerpt(&out), out.contains(needle.as_str()), "assertion");
            }
            if let Some(re) = &e.stdout_matches {
                let out = text("stdout");
                push(format!("stdout matches /{}/", re.as_str()), excerpt(&out), re.is_match(&out), "assertion");
            }
            if let Some(needle) = &e.stderr_contains {
                let err = text("stderr");
                push(format!("stderr contains {needle:?}"), excerpt(&err), err.contains(needle.as_str()), "assertion");
            }
        }
        Probe::Dns { .. } => {
            let rcode = text("rcode");
            let want = e.rcode.clone().unwrap_or_else(|| "NOERROR".to_string());
            push(format!("rcode == {want}"), rcode.clone(), rcode.eq_ignore_ascii_case(&want), "dns_rcode");
            let answers: Vec<String> = seen
                .get("answers")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                .unwrap_or_default();
            for wanted in &e.answers_contain {
                let ok = answers.iter().any(|a| a.trim_end_matches('.') == wanted.trim_end_matches('.'));
                push(format!("answers contain {wanted}"), format!("[{}]", answers.join(", ")), ok, "dns_answer");
            }
        }
        Probe::Tls { .. } => {
            let verified = seen.get("verified").and_then(Value::as_bool).unwrap_or(false);
            let want_verified = e.verified.unwrap_or(true);
            if want_verified {
                let why = text("verify_error");
                let shown = if verified { "true".to_string() } else { format!("false: {why}") };
                push("verified == true".to_string(), shown, verified, "tls_untrusted");
            }
            let leaf_secs = num("leaf_expires_in_secs").unwrap_or(f64::NEG_INFINITY);
            // An expired leaf is critical whatever else was asked: nothing can use it.
            let expired_reason = if leaf_secs <= 0.0 { "cert_expired" } else { "cert_expiry" };
            if let Some(want) = &e.leaf_expires_in {
                push(
                    format!("leaf_expires_in {want}"),
                    show_secs(leaf_secs),
                    want.holds(leaf_secs * 1000.0),
                    expired_reason,
                );
            } else if leaf_secs <= 0.0 {
                push("leaf_expires_in > 0s".to_string(), show_secs(leaf_secs), false, "cert_expired");
            }
            if let Some(want) = &e.chain_expires_in {
                let chain = num("chain_expires_in_secs").unwrap_or(f64::NEG_INFINITY);
                push(format!("chain_expires_in {want}"), show_secs(chain), want.holds(chain * 1000.0), "cert_expiry");
            }
            for (key, needle) in [("subject", &e.subject_contains), ("issuer", &e.issuer_contains)] {
                if let Some(needle) = needle {
                    let got = text(key);
                    push(format!("{key} contains {needle:?}"), got.clone(), got.contains(needle.as_str()), "assertion");
                }
            }
            if let Some(needle) = &e.san_contains {
                let sans: Vec<&str> = seen
                    .get("sans")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                push(
                    format!("sans contain {needle:?}"),
                    format!("[{}]", sans.join(", ")),
                    sans.contains(&needle.as_str()),
                    "assertion",
                );
            }
        }
        Probe::Prometheus { .. } => {
            if let (Some(value), Some(want)) = (num("value"), &e.value) {
                push(format!("value {want}"), show_number(value), want.holds(value), "threshold");
            }
        }
        Probe::Tcp { .. } | Probe::Log { .. } | Probe::Invalid { .. } => {}
    }
    if let Some(want) = &e.latency
        && let Some(ms) = num("latency_ms")
    {
        push(format!("latency {want}"), format!("{}ms", show_number(ms)), want.holds(ms), "latency");
    }
    if !check.asserts.is_empty() {
        let ctx = assertion_context(check, observation);
        for expr in &check.asserts {
            match template::eval_bool(&template::environment(), expr, &ctx) {
                Ok(ok) => push(expr.clone(), if ok { "true".into() } else { "false".into() }, ok, "assertion"),
                Err(err) => {
                    // An expression that cannot be evaluated says nothing about the target.
                    return (CheckStatus::Unknown, "assertion_error", format!("`{expr}`: {err}"), take(out));
                }
            }
        }
    }

    // Thresholds grade a number (prometheus value) into warning or critical.
    let mut threshold_status = CheckStatus::Ok;
    let mut threshold_summary = None;
    if let Some(value) = num("value") {
        for (want, status) in [(&e.critical, CheckStatus::Critical), (&e.warning, CheckStatus::Warning)] {
            if let Some(want) = want {
                let hit = want.holds(value);
                out.push((
                    Assertion {
                        expect: format!("value not {want} ({})", status.as_str()),
                        seen: show_number(value),
                        ok: !hit,
                    },
                    "threshold",
                ));
                if hit && threshold_status == CheckStatus::Ok {
                    threshold_status = status;
                    threshold_summary = Some(format!("value ({}) {want}: {}", show_number(value), status.as_str()));
                }
            }
        }
    }

    let first_failed = out.iter().find(|(a, _)| !a.ok && !a.expect.starts_with("value not "));
    if let Some((assertion, reason)) = first_failed {
        let failed = out.iter().filter(|(a, _)| !a.ok && !a.expect.starts_with("value not ")).count();
        let more = if failed > 1 { format!(" (+{} more)", failed - 1) } else { String::new() };
        let mut status = check.severity;
        if *reason == "cert_expired" {
            status = CheckStatus::Critical;
        } else if *reason == "cert_expiry"
            && let Some(severity) = e.expiry_severity
            && out.iter().all(|(a, r)| a.ok || *r == "cert_expiry")
        {
            status = severity;
        }
        return (status, reason, format!("{}{more}", assertion.describe()), take(out));
    }
    if let Some(summary) = threshold_summary {
        return (threshold_status, "threshold", summary, take(out));
    }
    (CheckStatus::Ok, "ok", ok_summary(check, observation), take(out))
}

fn take(out: Vec<(Assertion, &'static str)>) -> Vec<Assertion> {
    out.into_iter().map(|(a, _)| a).collect()
}

/// What an `ok` says: the most telling figure.
fn ok_summary(check: &Check, observation: &Observation) -> String {
    let seen = &observation.observed;
    let get = |k: &str| seen.get(k).map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string));
    match &check.probe {
        Probe::Http(_) => {
            format!("status {} in {}ms", get("status").unwrap_or_default(), get("latency_ms").unwrap_or_default())
        }
        Probe::Tcp { .. } => format!("connected in {}ms", get("latency_ms").unwrap_or_default()),
        Probe::Dns { .. } => {
            let answers = seen.get("answers").and_then(Value::as_array).map_or(0, Vec::len);
            format!("{answers} answer{}", if answers == 1 { "" } else { "s" })
        }
        Probe::Tls { .. } => format!(
            "leaf expires in {}",
            show_secs(seen.get("leaf_expires_in_secs").and_then(Value::as_f64).unwrap_or(0.0))
        ),
        Probe::Command { .. } => format!("exit {}", get("exit_code").unwrap_or_default()),
        Probe::Prometheus { .. } => format!("value {}", get("value").unwrap_or_default()),
        Probe::Log { .. } => format!("{} matching", get("matches").unwrap_or_default()),
        Probe::Invalid { .. } => String::new(),
    }
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

/// `a.b.0.c` into a JSON document.
fn json_path<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').filter(|p| !p.is_empty()).try_fold(value, |v, part| match v {
        Value::Object(map) => map.get(part),
        Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// YAML `1` and JSON `1.0` are the same number; a wanted string matches a number's text.
fn json_equal(got: &Value, wanted: &Value) -> bool {
    match (got, wanted) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Number(a), Value::String(b)) | (Value::String(b), Value::Number(a)) => a.to_string() == *b,
        _ => got == wanted,
    }
}

fn excerpt(text: &str) -> String {
    let one_line = text.trim().replace('\n', "\\n");
    if one_line.chars().count() > 80 {
        format!("{}…", one_line.chars().take(80).collect::<String>())
    } else {
        one_line
    }
}

fn show_secs(secs: f64) -> String {
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
    fn json_paths_reach_into_objects_and_arrays() {
        let doc: Value = serde_json::json!({"checks": {"db": "up"}, "items": [{"n": 1}]});
        assert_eq!(json_path(&doc, "checks.db"), Some(&Value::from("up")));
        assert_eq!(json_path(&doc, "items.0.n"), Some(&Value::from(1)));
        assert_eq!(json_path(&doc, "items.3.n"), None);
        assert!(json_equal(&serde_json::json!(1.0), &serde_json::json!(1)));
    }

    #[test]
    fn assertions_read_as_seen_beside_wanted() {
        let a = Assertion { expect: "status == 200".into(), seen: "503".into(), ok: false };
        assert_eq!(a.describe(), "status (503) == 200");
    }
}
