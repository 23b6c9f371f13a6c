//! Searching logs on an incident: the `log.search` event (shared by `grep --record` and the
//! walk), and a time-windowed search that records one.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::logsearch::{self, Flow, Matcher, Options, Pattern, Summary, Window, files};
use crate::model::{Body, Event};
use crate::secrets::Masker;
use crate::store::IncidentDir;

/// How many matching records a `log.search` event carries, and how much of each.
pub const SAMPLES: usize = 5;
pub const SAMPLE_CHARS: usize = 500;

/// The `log.search` event body for a finished search; `samples` are already masked.
pub fn log_search_body(pattern: &Pattern, window: Window, summary: &Summary, samples: Vec<String>) -> Body {
    let utc = |micros: Option<i64>| micros.and_then(DateTime::<Utc>::from_timestamp_micros);
    Body::LogSearch {
        pattern: pattern.text.clone(),
        fixed: pattern.fixed,
        ignore_case: pattern.ignore_case,
        files: summary.files.iter().map(|f| f.path.display().to_string()).collect(),
        since: utc(window.since),
        until: utc(window.until),
        matched: summary.matched,
        first: utc(summary.first),
        last: utc(summary.last),
        samples,
    }
}

/// Searches `paths` for `pattern` over the last `since` and records the search on `dir`.
pub fn search_logs(
    ctx: &Context,
    dir: &IncidentDir,
    pattern: &str,
    paths: &[String],
    since: Duration,
) -> Result<(Summary, Event)> {
    let pattern = Pattern { text: pattern.to_string(), fixed: false, ignore_case: false };
    let matcher = Matcher::new(&pattern).map_err(|e| Error::usage(format!("the pattern is not a valid regex: {e}")))?;
    let inputs = files::expand(paths);
    if inputs.files.is_empty() {
        let why: Vec<String> = inputs.missing.iter().map(|(p, e)| format!("{p}: {e}")).collect();
        return Err(Error::runtime(format!("no log files to search: {}", why.join("; "))));
    }
    let since = chrono::Duration::from_std(since).ok().and_then(|d| ctx.clock.now().checked_sub_signed(d));
    let window = Window { since: since.map(|t| t.timestamp_micros()), until: None };
    let options = Options { window, line_numbers: false, ..Options::default() };
    let masker = Masker::from_env(std::env::vars(), []);
    let mut samples = Vec::new();
    let summary = logsearch::search(&inputs.files, &matcher, &options, &mut |hit| {
        if !hit.context && samples.len() < SAMPLES {
            let text: String = String::from_utf8_lossy(hit.text).chars().take(SAMPLE_CHARS).collect();
            samples.push(masker.mask(&text));
        }
        Flow::Continue
    });
    let event = super::record(ctx, dir, log_search_body(&pattern, window, &summary, samples), None)?;
    Ok((summary, event))
}
