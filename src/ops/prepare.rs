//! Turning a runbook's checks into probe checks, the one place that knows both: templates
//! rendered with the variables, expectations parsed. A template that fails makes its check `unknown`, not the whole run.

use std::time::Duration;

use crate::expr::{Comparison, Unit};
use crate::model::CheckStatus;
use crate::probe::{
    Check, Expectations, ExtractSource, Extraction, HttpProbe, OnEmpty, Probe, StatusWant, UnknownOn, Wording,
};
use crate::runbook::schema::{CheckSpec, Expect, Scalar, StatusSet, Text};
use crate::runbook::{
    RenderError, Runbook, Vars, condition_holds, parse_status_class, render_command, render_port, render_remote,
    render_text,
};
use crate::time::parse_duration;

/// Used when neither the check nor the runbook's `defaults` say.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_BACKOFF: Duration = Duration::from_millis(200);

/// The check ready for the engine, unless its `if:` is false (then it is not run at all). An
/// `if:` that cannot be evaluated makes the check `unknown` with the reason, never skipped.
pub fn prepare_if_applies(runbook: &Runbook, spec: &CheckSpec, vars: &Vars) -> Option<Check> {
    let Some(condition) = &spec.condition else { return Some(prepare_check(runbook, spec, vars)) };
    match condition_holds(condition, vars) {
        Ok(true) => Some(prepare_check(runbook, spec, vars)),
        Ok(false) => None,
        Err(message) => {
            let mut check = prepare_check(runbook, spec, vars);
            check.probe = Probe::Invalid { kind: spec.kind(), reason: "condition", message };
            Some(check)
        }
    }
}

/// One check, ready for the engine.
pub fn prepare_check(runbook: &Runbook, spec: &CheckSpec, vars: &Vars) -> Check {
    let defaults = &runbook.file.defaults;
    let duration = |own: &Option<Text>, default: &Option<Text>, fallback: Duration| {
        own.as_ref().or(default.as_ref()).and_then(|t| parse_duration(&t.value).ok()).unwrap_or(fallback)
    };
    // Rendering is part of the check: its time comes out of the check's timeout (fuel keeps it
    // short; this keeps the promise that a check ends within its timeout).
    let timeout = duration(&spec.timeout, &defaults.timeout, DEFAULT_TIMEOUT);
    let started = std::time::Instant::now();
    let rendered = render_probe(spec, vars);
    let render_time = started.elapsed();
    let probe = match rendered {
        Ok(_) if render_time >= timeout => Probe::Invalid {
            kind: spec.kind(),
            reason: "timeout",
            message: format!("rendering its templates took {render_time:?}, past its timeout of {timeout:?}"),
        },
        Ok(probe) => probe,
        Err(error) => Probe::Invalid { kind: spec.kind(), reason: "template", message: error.explained(vars) },
    };
    let mut expect = spec.expect.as_ref().map(convert_expect).unwrap_or_default();
    if let Some(thresholds) = &spec.thresholds {
        expect.warning = thresholds.warning.as_ref().and_then(|t| Comparison::parse(&t.value, Unit::Number).ok());
        expect.critical = thresholds.critical.as_ref().and_then(|t| Comparison::parse(&t.value, Unit::Number).ok());
        expect.graded = thresholds.of.as_ref().map(|t| t.value.clone());
    }
    let extract = spec
        .extract
        .iter()
        .filter_map(|(name, e)| {
            let source = match (&e.value.json, &e.value.regex, &e.value.label) {
                (Some(pointer), _, _) => ExtractSource::Json(pointer.value.clone()),
                (_, Some(pattern), _) => {
                    ExtractSource::Regex { pattern: regex::Regex::new(&pattern.value).ok()?, all: e.value.all }
                }
                (_, _, Some(label)) => ExtractSource::Label(label.value.clone()),
                _ => return None,
            };
            Some(Extraction { name: name.clone(), source })
        })
        .collect();
    Check {
        id: spec.id.value.clone(),
        runbook: Some(runbook.name.clone()),
        probe,
        expect,
        asserts: spec.assert.iter().map(|a| a.value.clone()).collect(),
        vars: vars.context(),
        timeout: timeout.saturating_sub(render_time),
        retries: spec.retries.or(defaults.retries).unwrap_or(0),
        backoff: duration(&spec.backoff, &defaults.backoff, DEFAULT_BACKOFF),
        severity: match spec.severity.as_ref().map(|s| s.value.as_str()) {
            Some("warning") => CheckStatus::Warning,
            _ => CheckStatus::Critical,
        },
        extract,
        unknown_on: UnknownOn {
            exit_codes: spec.unknown_on.as_ref().map(|u| u.exit_codes.clone()).unwrap_or_default(),
            output_matches: spec
                .unknown_on
                .as_ref()
                .and_then(|u| u.output_matches.as_ref())
                .and_then(|t| regex::Regex::new(&t.value).ok()),
        },
        on_empty: spec.on_empty.as_ref().and_then(|e| match &e.value {
            Scalar::Str(word) if word == "ok" => Some(OnEmpty::Ok),
            Scalar::Int(n) => Some(OnEmpty::Value(*n as f64)),
            Scalar::Float(f) => Some(OnEmpty::Value(*f)),
            _ => None,
        }),
        wording: Wording {
            unit: spec.unit.as_ref().map(|u| u.value.clone()),
            summary: spec.summary.as_ref().map(|s| s.value.clone()),
        },
    }
}

fn render_probe(spec: &CheckSpec, vars: &Vars) -> Result<Probe, RenderError> {
    if let Some(http) = &spec.http {
        return Ok(Probe::Http(HttpProbe {
            url: render_text(&http.url, vars)?,
            method: http
                .method
                .as_ref()
                .map(|m| render_text(m, vars))
                .transpose()?
                .unwrap_or_else(|| "GET".to_string()),
            headers: http
                .headers
                .iter()
                .map(|(k, v)| Ok((k.clone(), render_text(v, vars)?)))
                .collect::<Result<_, RenderError>>()?,
            body: http.body.as_ref().map(|b| render_text(b, vars)).transpose()?,
            follow_redirects: http.follow_redirects.unwrap_or(true),
            insecure: http.insecure,
            max_body: http
                .max_body
                .as_ref()
                .and_then(|m| crate::expr::parse_size(&m.value).ok())
                .map_or(crate::model::HTTP_DEFAULT_MAX_BODY, |n| usize::try_from(n).unwrap_or(usize::MAX)),
            body_judged: true,
        }));
    }
    if let Some(tcp) = &spec.tcp {
        return Ok(Probe::Tcp { host: render_text(&tcp.host, vars)?, port: render_port(&tcp.port, vars)? });
    }
    if let Some(dns) = &spec.dns {
        return Ok(Probe::Dns {
            name: render_text(&dns.name, vars)?,
            record_type: dns.record_type.as_ref().map_or_else(|| "A".to_string(), |t| t.value.to_ascii_uppercase()),
            server: dns.server.as_ref().map(|s| render_text(s, vars)).transpose()?,
        });
    }
    if let Some(tls) = &spec.tls {
        return Ok(Probe::Tls {
            host: render_text(&tls.host, vars)?,
            port: tls.port.as_ref().map(|p| render_port(p, vars)).transpose()?.unwrap_or(443),
            server_name: tls.server_name.as_ref().map(|s| render_text(s, vars)).transpose()?,
        });
    }
    if let Some(command) = &spec.command {
        return Ok(Probe::Command { argv: render_command(command, vars)?, remote: render_remote(spec, vars)? });
    }
    if let Some(prom) = &spec.prometheus {
        return Ok(Probe::Prometheus { url: render_text(&prom.url, vars)?, query: render_text(&prom.query, vars)? });
    }
    if let Some(log) = &spec.log {
        let since = log
            .since
            .as_ref()
            .map(|t| {
                parse_duration(&t.value).map_err(|e| RenderError::Duration { key: "since", reason: e.to_string() })
            })
            .transpose()?;
        return Ok(Probe::Log {
            paths: vec![render_text(&log.path, vars)?],
            pattern: log.pattern.value.clone(),
            ignore_case: log.ignore_case,
            filters: log.filters.iter().map(|f| render_text(f, vars)).collect::<Result<_, _>>()?,
            since,
            remote: render_remote(spec, vars)?,
        });
    }
    Err(RenderError::NoProbe)
}

fn convert_expect(e: &Expect) -> Expectations {
    let cmp = |t: &Option<Text>, unit| t.as_ref().and_then(|t| Comparison::parse(&t.value, unit).ok());
    let text = |t: &Option<Text>| t.as_ref().map(|t| t.value.clone());
    let regex = |t: &Option<Text>| t.as_ref().and_then(|t| regex::Regex::new(&t.value).ok());
    Expectations {
        status: e.status.as_ref().and_then(|s| match &s.value {
            StatusSet::One(code) => Some(StatusWant::Codes(vec![*code])),
            StatusSet::Many(codes) => Some(StatusWant::Codes(codes.clone())),
            StatusSet::Class(class) => parse_status_class(class).map(StatusWant::Class),
        }),
        latency: cmp(&e.latency, Unit::Duration),
        body_contains: text(&e.body_contains),
        body_matches: regex(&e.body_matches),
        json: e.json.iter().flat_map(|j| j.value.iter()).map(|(k, v)| (k.clone(), v.clone())).collect(),
        headers: e.headers.iter().map(|(k, v)| (k.clone(), v.value.clone())).collect(),
        exit_code: e.exit_code.as_ref().map(|c| c.value),
        stdout_contains: text(&e.stdout_contains),
        stdout_matches: regex(&e.stdout_matches),
        stderr_contains: text(&e.stderr_contains),
        answers_contain: e.answers_contain.iter().map(|a| a.value.clone()).collect(),
        rcode: text(&e.rcode).map(|r| r.to_ascii_uppercase()),
        leaf_expires_in: cmp(&e.leaf_expires_in, Unit::Duration),
        chain_expires_in: cmp(&e.chain_expires_in, Unit::Duration),
        subject_contains: text(&e.subject_contains),
        issuer_contains: text(&e.issuer_contains),
        san_contains: text(&e.san_contains),
        verified: e.verified.as_ref().map(|v| v.value),
        value: cmp(&e.value, Unit::Number),
        expiry_severity: None,
        warning: None,
        critical: None,
        graded: None,
    }
}
