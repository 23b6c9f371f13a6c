//! The `prometheus` probe: an instant query, its scalar or vector result as a value.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::evaluate::{Expectations, Verdicts, field, number};
use super::{Failure, Observation, millis};
use crate::expr::show_number;

pub async fn probe(client: &reqwest::Client, base: &str, query: &str, timeout: Duration) -> Observation {
    let base = base.trim_end_matches('/');
    let url = match reqwest::Url::parse_with_params(&format!("{base}/api/v1/query"), [("query", query)]) {
        Ok(url) if !base.is_empty() => url,
        _ => return Observation::failed(Failure::unknown("bad_url", format!("{base:?} is not a Prometheus URL"))),
    };
    let started = Instant::now();
    let response = match client.get(url).timeout(timeout).send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => {
            return Observation::failed(Failure::unknown("timeout", "Prometheus did not answer in time"));
        }
        // Prometheus being unreachable says nothing about the service it watches.
        Err(e) => {
            return Observation::failed(Failure::unknown(
                "prometheus_unreachable",
                format!("cannot reach Prometheus: {e}"),
            ));
        }
    };
    let status = response.status();
    let doc: Value = match response.json().await {
        Ok(doc) => doc,
        Err(e) => {
            return Observation::failed(Failure::unknown(
                "bad_response",
                format!("HTTP {status}, not a Prometheus answer: {e}"),
            ));
        }
    };
    if doc.get("status").and_then(Value::as_str) != Some("success") {
        let error = doc.get("error").and_then(Value::as_str).unwrap_or("no error given");
        return Observation::failed(Failure::unknown("query_error", format!("query failed: {error}")));
    }
    let data = doc.get("data").cloned().unwrap_or(Value::Null);
    let result_type = data.get("resultType").and_then(Value::as_str).unwrap_or("");
    let mut observed = Map::new();
    observed.insert("latency_ms".into(), Value::from(millis(started.elapsed())));
    observed.insert("result_type".into(), Value::from(result_type));
    let sample_value = |sample: &Value| sample.get(1).and_then(Value::as_str).and_then(|s| s.parse::<f64>().ok());
    let value = match result_type {
        "scalar" => data.get("result").and_then(sample_value),
        "vector" => {
            let series: Vec<Value> = data.get("result").and_then(Value::as_array).cloned().unwrap_or_default();
            let values: Vec<(Value, f64)> = series
                .iter()
                .filter_map(|s| {
                    Some((s.get("metric").cloned().unwrap_or(Value::Null), s.get("value").and_then(sample_value)?))
                })
                .collect();
            observed.insert(
                "series".into(),
                Value::Array(
                    values.iter().take(20).map(|(m, v)| serde_json::json!({"metric": m, "value": v})).collect(),
                ),
            );
            // Several series: judge the worst (highest) one.
            values.iter().map(|(_, v)| *v).filter(|v| !v.is_nan()).reduce(f64::max)
        }
        other => {
            return Observation::failed(Failure::unknown(
                "bad_response",
                format!("result type {other:?} is not scalar or vector"),
            ));
        }
    };
    match value {
        Some(v) if !v.is_finite() => {
            Observation { observed, failure: Some(Failure::unknown("not_finite", format!("the query returned {v}"))) }
        }
        Some(v) => {
            observed.insert("value".into(), serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number));
            Observation { observed, failure: None }
        }
        None => Observation { observed, failure: Some(Failure::unknown("no_data", "the query returned no data")) },
    }
}

/// The value against `expect.value` (thresholds are graded for every kind that has a value).
pub(super) fn judge(e: &Expectations, seen: &Map<String, Value>, out: &mut Verdicts) {
    if let (Some(value), Some(want)) = (number(seen, "value"), &e.value) {
        // Its own reason: under `threshold` (which grades, not fails) a miss once passed as ok.
        let ok = want.holds(value);
        let op = if ok { want.op } else { want.op.negated() };
        let words = format!("value {} {} {}", show_number(value), op.as_str(), show_number(want.value));
        out.push_worded(format!("value {want}"), show_number(value), ok, "value", words);
    }
}

/// What an `ok` says: the most telling figure.
pub(super) fn ok_summary(seen: &Map<String, Value>) -> String {
    format!("value {}", field(seen, "value"))
}
