//! The `http` probe.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::evaluate::{Expectations, StatusWant, Verdicts, excerpt, field, number, text};
use super::{Failure, HttpProbe, Observation, millis};
use crate::secrets::Masker;

/// How much of the body the record keeps.
const BODY_IN_RECORD: usize = 2048;
/// The largest JSON document (compact) a record keeps whole for `when:`.
pub const JSON_IN_RECORD: usize = 16 * 1024;

pub async fn probe(client: &reqwest::Client, spec: &HttpProbe, timeout: Duration, masker: &Masker) -> Observation {
    let method = match reqwest::Method::from_bytes(spec.method.as_bytes()) {
        Ok(m) => m,
        Err(_) => return Observation::failed(Failure::unknown("bad_request", format!("method {:?}", spec.method))),
    };
    let url = match reqwest::Url::parse(&spec.url) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => url,
        Ok(url) => {
            return Observation::failed(Failure::unknown("bad_url", format!("{}: not http or https", url.scheme())));
        }
        Err(e) => {
            return Observation::failed(Failure::unknown("bad_url", format!("{:?}: {e}", masker.mask(&spec.url))));
        }
    };
    let mut request = client.request(method, url).timeout(timeout);
    for (name, value) in &spec.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    if let Some(body) = &spec.body {
        request = request.body(body.clone());
    }
    let started = Instant::now();
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Observation::failed(classify(&e)),
    };
    let latency = started.elapsed();
    let status = response.status().as_u16();
    let mut headers = Map::new();
    for (name, value) in response.headers() {
        let value = String::from_utf8_lossy(value.as_bytes());
        headers.insert(
            name.as_str().to_string(),
            Value::from(
                masker.mask(&format!("{name}: {value}")).split_once(": ").map_or(String::new(), |(_, v)| v.to_string()),
            ),
        );
    }
    let final_url = response.url().to_string();
    let mut body = Vec::new();
    let mut cut = false;
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                body.extend_from_slice(&chunk);
                if body.len() > spec.max_body {
                    body.truncate(spec.max_body);
                    cut = true;
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => return Observation::failed(classify(&e)),
        }
    }
    if cut && spec.body_judged {
        // Judging the start of a body as if it were all of it could pass what the rest fails.
        let limit = crate::expr::show_size(spec.max_body as u64);
        return Observation::failed(Failure::unknown(
            "body_too_large",
            format!("HTTP {status}: body over {limit}; not judged (raise `max_body` to read more)"),
        ));
    }
    let mut text = String::from_utf8_lossy(&body).into_owned();
    let mut observed = Map::new();
    observed.insert("status".into(), Value::from(status));
    observed.insert("latency_ms".into(), Value::from(millis(latency)));
    observed.insert("headers".into(), Value::Object(headers));
    if final_url != spec.url {
        observed.insert("url".into(), Value::from(masker.mask(&final_url)));
    }
    if cut {
        // Only a status probe gets here: its body is not judged, and the record says it is cut.
        text.push('…');
    } else if let Ok(json) = serde_json::from_str::<Value>(&text) {
        observed.insert("json".into(), json);
    }
    // The whole body is judged; the record keeps its start.
    observed.insert("body".into(), Value::from(text));
    Observation { observed, failure: None }
}

/// The whole body, when the record will keep only its start.
pub fn whole_body(observed: &Map<String, Value>) -> Option<String> {
    observed.get("body").and_then(Value::as_str).filter(|b| b.len() > BODY_IN_RECORD).map(str::to_string)
}

/// Trims a recorded body to its first part.
pub fn trim_body(observed: &mut Map<String, Value>) {
    if let Some(Value::String(body)) = observed.get_mut("body")
        && body.len() > BODY_IN_RECORD
    {
        let mut end = BODY_IN_RECORD;
        while !body.is_char_boundary(end) {
            end -= 1;
        }
        body.truncate(end);
        body.push('…');
    }
    // A JSON body stays readable by `when:` (`checks.ID.observed.json.status`) when it is small,
    // as health documents are; a larger one is in the evidence, read through `extract:`.
    let small =
        observed.get("json").and_then(|j| serde_json::to_string(j).ok()).is_some_and(|t| t.len() <= JSON_IN_RECORD);
    if !small {
        observed.remove("json");
    }
}

/// A reason code for a failed request, from the error and its causes.
fn classify(err: &reqwest::Error) -> Failure {
    let mut chain = String::new();
    let mut refused = false;
    let mut source: Option<&dyn std::error::Error> = Some(err);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            refused = true;
        }
        let text = e.to_string();
        if !chain.contains(&text) {
            if !chain.is_empty() {
                chain.push_str(": ");
            }
            chain.push_str(&text);
        }
        source = e.source();
    }
    let lower = chain.to_ascii_lowercase();
    if err.is_builder() {
        // A header or URL that cannot be sent says nothing about the target.
        Failure::unknown("bad_request", chain)
    } else if err.is_timeout() {
        Failure::critical("timeout", "no answer in time")
    } else if refused || lower.contains("connection refused") {
        Failure::critical("connect_refused", "connection refused")
    } else if lower.contains("dns error") || lower.contains("failed to lookup") {
        Failure::unknown("dns_error", format!("cannot resolve the host: {chain}"))
    } else if lower.contains("expired") && lower.contains("certificate") {
        Failure::critical("cert_expired", format!("certificate expired: {chain}"))
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        Failure::critical("tls_handshake", chain)
    } else if err.is_redirect() {
        Failure::critical("redirects", chain)
    } else if err.is_connect() {
        Failure::critical("connect_error", chain)
    } else {
        Failure::critical("http_error", chain)
    }
}

/// The status (2xx unless another is wanted), then the body, JSON paths and headers wanted.
pub(super) fn judge(e: &Expectations, seen: &Map<String, Value>, out: &mut Verdicts) {
    let status = number(seen, "status").unwrap_or(0.0) as u16;
    // Without a stated expectation, a 2xx (after redirects) is what "up" means.
    let want = e.status.clone().unwrap_or(StatusWant::Class(2));
    out.push(format!("status {}", want.describe()), status.to_string(), want.holds(status), "http_status");
    if let Some(needle) = &e.body_contains {
        let body = text(seen, "body");
        out.push(format!("body contains {needle:?}"), excerpt(&body), body.contains(needle.as_str()), "assertion");
    }
    if let Some(re) = &e.body_matches {
        let body = text(seen, "body");
        out.push(format!("body matches /{}/", re.as_str()), excerpt(&body), re.is_match(&body), "assertion");
    }
    for (path, wanted) in &e.json {
        let got = seen.get("json").and_then(|j| json_path(j, path));
        let shown = got.map_or_else(|| "missing".to_string(), Value::to_string);
        let ok = got.is_some_and(|g| json_equal(g, wanted));
        out.push(format!("json.{path} == {wanted}"), shown, ok, "assertion");
    }
    for (name, needle) in &e.headers {
        let got = seen
            .get("headers")
            .and_then(Value::as_object)
            .and_then(|h| h.get(&name.to_ascii_lowercase()))
            .and_then(Value::as_str);
        let ok = got.is_some_and(|g| g.contains(needle.as_str()));
        out.push(format!("header.{name} contains {needle:?}"), got.unwrap_or("missing").to_string(), ok, "assertion");
    }
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

/// What an `ok` says: the most telling figure.
pub(super) fn ok_summary(seen: &Map<String, Value>) -> String {
    let status = field(seen, "status");
    format!("status {status} in {}ms", field(seen, "latency_ms"))
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
}
