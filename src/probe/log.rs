//! The `log` probe: a time-windowed search through the log-search engine (the one behind
//! `incident grep`), reported as a count that thresholds can grade.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::evaluate::field;
use super::{Failure, Observation};
use crate::logsearch::container::layout::Roots;
use crate::logsearch::fields::FieldFilter;
use crate::logsearch::sources::Sources;
use crate::logsearch::{Flow, Matcher, Options, Pattern, Summary, Window};

/// Searches `paths` (files, globs, directories, rotated sets in time order; `journal:`,
/// `container:` and `pod:` sources) for `pattern` in the last `since` (the whole files when
/// `None`), counting only structured records that pass `filters`. The search is blocking I/O, so
/// it runs on tokio's blocking pool.
pub async fn probe(
    paths: Vec<String>,
    pattern: String,
    ignore_case: bool,
    filters: Vec<String>,
    since: Option<Duration>,
) -> Observation {
    let now = Utc::now();
    match tokio::task::spawn_blocking(move || search(&paths, &pattern, ignore_case, &filters, since, now)).await {
        Ok(observation) => observation,
        Err(e) => Observation::failed(Failure::unknown("internal_error", format!("the log search failed: {e}"))),
    }
}

fn search(
    paths: &[String],
    pattern: &str,
    ignore_case: bool,
    filters: &[String],
    since: Option<Duration>,
    now: DateTime<Utc>,
) -> Observation {
    let matcher = match Matcher::new(&Pattern { text: pattern.to_string(), fixed: false, ignore_case }) {
        Ok(m) => m,
        Err(e) => return Observation::failed(Failure::unknown("bad_pattern", format!("pattern {pattern:?}: {e}"))),
    };
    let mut options = counting_options(since, now);
    for filter in filters {
        match FieldFilter::parse(filter) {
            Ok(filter) => options.filters.push(filter),
            Err(e) => return Observation::failed(Failure::unknown("bad_filter", format!("where {filter:?}: {e}"))),
        }
    }
    // A filter reads the record's fields: the whole record, not just up to the match.
    options.whole_records = !options.filters.is_empty();
    let sources = Sources::resolve(paths, &Roots::from_env(), options.window);
    if sources.is_empty() {
        let why = sources.missing.iter().map(|(p, e)| format!("{p}: {e}")).collect::<Vec<_>>().join("; ");
        let why = if why.is_empty() { format!("no log files match {}", paths.join(" ")) } else { why };
        // Nothing to read says nothing about the service: the checker could not tell.
        return Observation::failed(Failure::unknown("no_files", why));
    }
    let summary = sources.search(&matcher, &options, &mut |_| Flow::Continue);
    let files = summary.files.iter().map(|f| f.path.display().to_string()).collect();
    let observed = observed_of(&summary, files);
    let unreadable: Vec<String> = summary.files.iter().filter_map(|f| f.error.clone()).collect();
    if unreadable.len() == summary.files.len() && !unreadable.is_empty() {
        return Observation { observed, failure: Some(Failure::unknown("unreadable", unreadable.join("; "))) };
    }
    Observation { observed, failure: None }
}

/// What a log check observes, from the engine's summary.
pub(super) fn observed_of(summary: &Summary, files: Vec<String>) -> Map<String, Value> {
    let mut observed = Map::new();
    observed.insert("value".into(), Value::from(summary.matched));
    observed.insert("matches".into(), Value::from(summary.matched));
    let when = |micros: Option<i64>| {
        micros
            .and_then(DateTime::from_timestamp_micros)
            .map_or(Value::Null, |t| Value::from(crate::time::format_ts(&t)))
    };
    observed.insert("first".into(), when(summary.first));
    observed.insert("last".into(), when(summary.last));
    let per_minute: Map<String, Value> = summary
        .per_minute
        .iter()
        .filter_map(|(minute, n)| {
            DateTime::from_timestamp(minute * 60, 0).map(|t| (t.format("%H:%M").to_string(), Value::from(*n)))
        })
        .collect();
    observed.insert("per_minute".into(), Value::Object(per_minute));
    observed.insert("files".into(), Value::from(files));
    observed
}

/// Search options for a log check: only counting, over the last `since` before `now`.
pub(super) fn counting_options(since: Option<Duration>, now: DateTime<Utc>) -> Options {
    let since = since
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .and_then(|d| now.checked_sub_signed(d))
        .map(|t| t.timestamp_micros());
    Options {
        window: Window { since, until: None },
        line_numbers: false,
        whole_records: false,
        per_minute: true,
        ..Options::default()
    }
}

/// What an `ok` says: the most telling figure.
pub(super) fn ok_summary(seen: &Map<String, Value>) -> String {
    format!("{} matching", field(seen, "matches"))
}
