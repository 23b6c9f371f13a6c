//! Named values taken from what a probe saw (`extract:`): a JSON pointer into a command's
//! stdout, an HTTP body or a Prometheus vector, a regular expression's group, or one label of
//! every series of a vector. They land in the observation as `extract`, where `assert:`,
//! thresholds and Orient's `when:` read them.

use regex::Regex;
use serde_json::{Map, Value};

use super::Failure;

/// Where a value comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// An RFC 6901 pointer (`/members/0/name`) into the JSON the probe saw.
    Json(String),
    /// The group named like the value (else the first group, else the whole match); every
    /// match as a list with `all`.
    Regex { pattern: Regex, all: bool },
    /// One label of every series of a Prometheus vector, as a list.
    Label(String),
}

/// One `extract:` entry, ready to apply.
#[derive(Debug, Clone)]
pub struct Extraction {
    pub name: String,
    pub source: Source,
}

/// How many items a list taken by a regex or label may hold: enough for members and pods,
/// bounded so that a runaway match cannot fill the record.
const MAX_ITEMS: usize = 1000;

/// Adds `extract: {NAME: VALUE}` to `observed`; a value that is not there is a failure (the
/// check cannot tell), named with the extraction that failed.
pub fn apply(extractions: &[Extraction], observed: &mut Map<String, Value>) -> Result<(), Failure> {
    if extractions.is_empty() {
        return Ok(());
    }
    let mut values = Map::new();
    for extraction in extractions {
        let value = take(&extraction.name, &extraction.source, observed)
            .map_err(|why| Failure::unknown("extract", format!("extract {}: {why}", extraction.name)))?;
        values.insert(extraction.name.clone(), value);
    }
    observed.insert("extract".into(), Value::Object(values));
    Ok(())
}

fn take(name: &str, source: &Source, observed: &Map<String, Value>) -> Result<Value, String> {
    match source {
        Source::Json(pointer) => {
            let document = json_document(observed)?;
            follow(&document, pointer).cloned().ok_or_else(|| format!("nothing at {pointer:?} in the JSON"))
        }
        Source::Regex { pattern, all } => {
            let text = observed
                .get("stdout")
                .or_else(|| observed.get("body"))
                .and_then(Value::as_str)
                .ok_or("no output to match")?;
            let group = |captures: &regex::Captures<'_>| {
                captures.name(name).or_else(|| captures.get(1)).or_else(|| captures.get(0)).map(|m| typed(m.as_str()))
            };
            if *all {
                Ok(Value::Array(pattern.captures_iter(text).take(MAX_ITEMS).filter_map(|c| group(&c)).collect()))
            } else {
                pattern
                    .captures(text)
                    .and_then(|c| group(&c))
                    .ok_or_else(|| format!("{:?} does not match the output", pattern.as_str()))
            }
        }
        Source::Label(label) => {
            let series = observed.get("series").and_then(Value::as_array).ok_or("no vector to read labels from")?;
            Ok(Value::Array(
                series.iter().take(MAX_ITEMS).filter_map(|s| s.pointer(&format!("/metric/{label}")).cloned()).collect(),
            ))
        }
    }
}

/// Follows an RFC 6901 pointer, with one addition for lists whose order means nothing (a
/// Kubernetes object's conditions, a cluster's members): on an array, a segment `[KEY=VALUE]`
/// selects the first element whose field KEY reads VALUE, as in
/// `/status/conditions/[type=Ready]/status`. On anything but an array it is a plain key.
fn follow<'a>(document: &'a Value, pointer: &str) -> Option<&'a Value> {
    let mut at = document;
    let mut plain = String::new();
    for segment in pointer.split('/').skip(1) {
        if let Some((key, wanted)) = selection(segment)
            && let Value::Array(items) = at.pointer(&plain)?
        {
            at = items.iter().find(|item| item.get(key).is_some_and(|v| reads_as(v, wanted)))?;
            plain.clear();
            continue;
        }
        plain.push('/');
        plain.push_str(segment);
    }
    at.pointer(&plain)
}

/// `[KEY=VALUE]` as its key and value.
fn selection(segment: &str) -> Option<(&str, &str)> {
    segment.strip_prefix('[')?.strip_suffix(']')?.split_once('=')
}

/// Whether a JSON value reads as `wanted`: a string as itself, a number or boolean as written.
fn reads_as(value: &Value, wanted: &str) -> bool {
    match value {
        Value::String(text) => text == wanted,
        Value::Number(_) | Value::Bool(_) => serde_json::from_str::<Value>(wanted).is_ok_and(|w| w == *value),
        _ => false,
    }
}

/// The JSON a probe saw: an HTTP body, a command's stdout, or a Prometheus vector's series.
fn json_document(observed: &Map<String, Value>) -> Result<Value, String> {
    if let Some(json) = observed.get("json") {
        return Ok(json.clone());
    }
    if let Some(series) = observed.get("series") {
        return Ok(series.clone());
    }
    let text = observed.get("stdout").or_else(|| observed.get("body")).and_then(Value::as_str).ok_or("no output")?;
    serde_json::from_str(text).map_err(|e| format!("the output is not JSON ({e})"))
}

/// A matched text as a number when it reads as one, so comparisons and thresholds work.
fn typed(text: &str) -> Value {
    text.trim()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or_else(|| Value::from(text), Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(pairs: &[(&str, Value)]) -> Map<String, Value> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect()
    }

    #[test]
    fn each_source_takes_its_value_and_a_missing_one_is_named() {
        let seen = observed(&[("stdout", Value::from("{\"members\": [{\"name\": \"a\"}]}\nused 97%\n"))]);
        let regex = |p: &str, all| Source::Regex { pattern: Regex::new(p).unwrap(), all };
        let run = |name: &str, source| {
            let mut seen = seen.clone();
            apply(&[Extraction { name: name.into(), source }], &mut seen).map(|()| seen["extract"][name].clone())
        };
        assert!(run("first", Source::Json("/members/0/name".into())).is_err(), "stdout with a tail is not JSON");
        assert_eq!(run("used", regex(r"used (?P<used>\d+)%", false)).unwrap(), serde_json::json!(97.0));
        let missing = run("free", regex(r"free (\d+)", false)).unwrap_err();
        assert_eq!(missing.reason, "extract");
        assert!(missing.message.starts_with("extract free:"), "{}", missing.message);
        let json = observed(&[("stdout", Value::from("{\"members\": [{\"name\": \"a\"}, {\"name\": \"b\"}]}"))]);
        let mut seen = json;
        apply(&[Extraction { name: "m".into(), source: Source::Json("/members/1/name".into()) }], &mut seen).unwrap();
        assert_eq!(seen["extract"]["m"], "b");
    }

    /// Kubernetes does not promise the order of an object's conditions: reading the Ready
    /// condition by its index read MemoryPressure's status on nodes that list it first.
    #[test]
    fn a_selection_segment_finds_the_element_by_its_field_not_its_place() {
        let node = serde_json::json!({"status": {"conditions": [
            {"type": "MemoryPressure", "status": "False"},
            {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"},
        ]}, "members": [{"id": 7, "name": "a"}], "odd": {"[k=v]": 1}});
        assert_eq!(follow(&node, "/status/conditions/[type=Ready]/status"), Some(&Value::from("Unknown")));
        assert_eq!(follow(&node, "/status/conditions/[type=Ready]/reason"), Some(&Value::from("NodeStatusUnknown")));
        assert_eq!(follow(&node, "/members/[id=7]/name"), Some(&Value::from("a")), "a number reads as written");
        assert_eq!(follow(&node, "/status/conditions/[type=DiskPressure]/status"), None, "no such element");
        assert_eq!(follow(&node, "/odd/[k=v]"), Some(&Value::from(1)), "on an object it is a plain key");
        assert_eq!(follow(&node, "/status/conditions/1/type"), Some(&Value::from("Ready")), "plain pointers as before");
        assert_eq!(follow(&node, ""), Some(&node));
    }
}
