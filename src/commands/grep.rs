//! `incident grep`: log search by time. The search itself is `logsearch`; this turns flags into
//! its options, renders what it finds, and records a `log.search` event on `--record`.
//!
//! Exit codes follow grep: 0 matches, 1 none, 2 an error (including a file that could not be read,
//! even when others matched).

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::cli::GrepArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::logsearch::container::layout::Roots;
use crate::logsearch::fields::{self, FieldFilter};
use crate::logsearch::follow::Tail;
use crate::logsearch::journal::Journal;
use crate::logsearch::sources::Sources;
use crate::logsearch::{self, Flow, Format, Matcher, Options, Pattern, Summary, Window, Zone};
use crate::output::grep::{RecordPrinter, format_micros, histogram};
use crate::secrets::Masker;

const EXIT_MATCH: u8 = 0;
const EXIT_NO_MATCH: u8 = 1;
const EXIT_ERROR: u8 = 2;
/// `--follow` ended by Ctrl-C, as a shell reports SIGINT.
const EXIT_INTERRUPTED: u8 = 130;
/// The `--by` bucket of records without the field.
const NO_FIELD: &str = "(none)";

/// A search, validated: nothing past this point sees clap's types.
struct Config {
    pattern: Pattern,
    matcher: Matcher,
    options: Options,
    inputs: Vec<String>,
    count: bool,
    /// `-l`: file names only.
    files_with_matches: bool,
    /// `-o`: the matching parts only.
    only_matching: bool,
    histogram: bool,
    /// `--by FIELD`: counts by the field's value instead of records.
    by: Option<String>,
    /// `--raw`: structured records as written.
    raw: bool,
    /// `--journal`: the journal instead of files.
    journal: Option<Journal>,
    record: bool,
    /// `--follow`: keep watching the files.
    follow: bool,
}

pub fn run(ctx: &Context, args: &GrepArgs) -> Result<u8> {
    match search(ctx, args) {
        // grep's convention: any error is 2, where other commands say 1 for a runtime error.
        Err(err) if err.exit_code() == crate::error::exit::RUNTIME => {
            ctx.out.error(&err);
            Ok(EXIT_ERROR)
        }
        other => other,
    }
}

fn config(ctx: &Context, args: &GrepArgs) -> Result<Config> {
    let pattern = Pattern { text: args.pattern.clone(), fixed: args.fixed_strings, ignore_case: args.ignore_case };
    let compiled = if args.word_regexp { Matcher::whole_words(&pattern) } else { Matcher::new(&pattern) };
    let matcher = compiled.map_err(|e| {
        Error::usage(format!("the pattern is not a valid regex: {e}"))
            .with_hint("to search for the text as it is, add -F")
    })?;
    let now = ctx.clock.now();
    let edge = |flag: &str, text: &Option<String>| -> Result<Option<i64>> {
        text.as_deref()
            .map(|t| {
                let edge = crate::time::parse_window_edge(t, now).map_err(|e| Error::usage(format!("{flag}: {e}")))?;
                if let Some(note) = crate::time::zone_note(flag, t, &edge) {
                    ctx.out.info(&note);
                }
                Ok(edge.timestamp_micros())
            })
            .transpose()
    };
    let window = Window { since: edge("--since", &args.since)?, until: edge("--until", &args.until)? };
    if let (Some(s), Some(u)) = (window.since, window.until)
        && u <= s
    {
        return Err(Error::usage("--until is not after --since: the window is empty")
            .with_hint("the window is --since (included) to --until (excluded)"));
    }
    let format = args
        .time_format
        .as_deref()
        .map(Format::strftime)
        .transpose()
        .map_err(|e| Error::usage(format!("--time-format: {e}")))?;
    let zone = match &args.tz {
        Some(tz) => Zone::parse(tz).map_err(|e| {
            Error::usage(format!("--tz: {e}")).with_hint("named zones are not read; give the offset, e.g. --tz -07:00")
        })?,
        None => Zone::Local,
    };
    let options = Options {
        window,
        format,
        zone,
        max: args.max,
        before: args.before_context.unwrap_or(args.context),
        after: args.after_context.unwrap_or(args.context),
        invert: args.invert_match,
        filters: args.filters.iter().map(|f| FieldFilter::parse(f)).collect::<std::result::Result<_, _>>().map_err(
            |e| Error::usage(format!("--where: {e}")).with_hint("e.g. --where level=error --where status>=500"),
        )?,
        seek_threshold: logsearch::DEFAULT_SEEK_THRESHOLD,
        // Only printed records show line numbers; counting them would cost a pass over the file.
        line_numbers: !args.count && !args.histogram && !args.files_with_matches && args.by.is_none(),
        whole_records: !(args.count || args.histogram || args.files_with_matches) || args.record || args.by.is_some(),
        per_minute: args.histogram,
    };
    if args.max == Some(0) {
        return Err(Error::usage("--max 0 would show nothing").with_hint("leave --max out to see every match"));
    }
    Ok(Config {
        pattern,
        matcher,
        options,
        inputs: args.paths.clone(),
        count: args.count,
        files_with_matches: args.files_with_matches,
        only_matching: args.only_matching,
        by: args.by.clone(),
        raw: args.raw,
        journal: args
            .journal
            .as_ref()
            .map(|units| Journal { units: units.clone(), directory: args.journal_directory.clone() }),
        histogram: args.histogram,
        record: args.record,
        follow: args.follow,
    })
}

fn search(ctx: &Context, args: &GrepArgs) -> Result<u8> {
    let config = config(ctx, args)?;
    let out = &ctx.out;
    // Counting, listing files and drawing leave the records themselves off stdout.
    let print_records = !config.count && !config.histogram && !config.files_with_matches && config.by.is_none();
    let mut by_value: BTreeMap<String, u64> = BTreeMap::new();
    let mut samples: Vec<String> = Vec::new();
    let masker = Masker::from_env(std::env::vars(), []);

    let mut sources = Sources::resolve(&config.inputs, &Roots::from_env(), config.options.window);
    if let Some(journal) = &config.journal {
        sources.commands.push(journal.source(config.options.window));
    }
    for (arg, why) in &sources.missing {
        out.warn(&format!("{arg}: {why}"));
    }
    if config.follow && (sources.files.is_empty() || !sources.commands.is_empty()) {
        return Err(Error::usage("--follow watches files: name log files (or containers and pods kept in files)")
            .with_hint("standard input, the journal and `docker logs` cannot be followed here"));
    }
    // Watched from where the search below starts to read, so no line falls between the two.
    let tails: Vec<Tail> =
        if config.follow { sources.files.iter().map(|p| Tail::at_end(p)).collect() } else { Vec::new() };
    let show_path = sources.len() > 1;
    let with_context = config.options.before > 0 || config.options.after > 0;
    let mut printer = RecordPrinter::new(out, &config.matcher, show_path, with_context);
    printer.only_matching = config.only_matching;
    printer.readable = !config.raw;
    let mut write_error: Option<Error> = None;
    let mut last_listed: Option<PathBuf> = None;
    let mut sink = |hit: &logsearch::Hit| {
        if let Some(field) = &config.by
            && !hit.context
        {
            let value = fields::parse(hit.text).and_then(|f| fields::get(&f, field).map(str::to_string));
            *by_value.entry(value.unwrap_or_else(|| NO_FIELD.to_string())).or_default() += 1;
        }
        if config.files_with_matches && !hit.context && last_listed.as_deref() != Some(hit.path) {
            last_listed = Some(hit.path.to_path_buf());
            if let Err(e) = printer.file_name(hit.path) {
                write_error = Some(e);
                return Flow::Stop;
            }
        }
        if config.record && !hit.context && samples.len() < crate::ops::SAMPLES {
            let text: String = String::from_utf8_lossy(hit.text).chars().take(crate::ops::SAMPLE_CHARS).collect();
            samples.push(masker.mask(&text));
        }
        if print_records && let Err(e) = printer.record(hit) {
            write_error = Some(e);
            return Flow::Stop;
        }
        Flow::Continue
    };
    let summary = if config.inputs.is_empty() && sources.is_empty() {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            return Err(Error::usage("no files to search, and standard input is a terminal")
                .with_hint("name log files, directories or globs after the pattern, or pipe logs in"));
        }
        logsearch::search_stream(
            Path::new("(standard input)"),
            &mut stdin.lock(),
            &config.matcher,
            &config.options,
            &mut sink,
        )
    } else {
        sources.search(&config.matcher, &config.options, &mut sink)
    };
    if let Some(err) = write_error {
        return Err(err);
    }
    printer.flush()?;

    for file in &summary.files {
        for warning in &file.warnings {
            out.warn(&format!("{}: {warning}", file.path.display()));
        }
        if let Some(err) = &file.error {
            out.error(&Error::runtime(format!("{}: {err}", file.path.display())));
        }
    }
    let recorded = if config.record { Some(record(ctx, &config, &summary, samples)?) } else { None };
    report(ctx, &config, &summary, &by_value, recorded.as_deref())?;

    if config.follow {
        return follow(ctx, &config, tails, printer);
    }
    let failed = !sources.missing.is_empty() || summary.has_errors();
    Ok(if failed {
        EXIT_ERROR
    } else if summary.matched > 0 {
        EXIT_MATCH
    } else {
        EXIT_NO_MATCH
    })
}

/// At most one `log.search` event per this long while following; each counts the matches since
/// the one before, so none is lost, only grouped.
const FOLLOW_RECORD_EVERY: Duration = Duration::from_secs(10);

/// `--follow`: watches the files after the search, printing (and recording, throttled) what
/// matches, until Ctrl-C (status 130, the last matches recorded first) or the reader goes away.
fn follow(ctx: &Context, config: &Config, mut tails: Vec<Tail>, printer: RecordPrinter) -> Result<u8> {
    let out = &ctx.out;
    let stop = crate::signals::StopOnInterrupt::begin();
    let masker = Masker::from_env(std::env::vars(), []);
    let printer = RefCell::new(printer);
    // The matches not yet recorded, and when the last event was.
    let batch = RefCell::new((Summary::default(), Vec::<String>::new()));
    let mut last_recorded: Option<Instant> = None;
    let mut failure: Option<Error> = None;
    let mut sink = |hit: &logsearch::Hit| {
        if config.record && !hit.context {
            let samples = &mut batch.borrow_mut().1;
            if samples.len() < crate::ops::SAMPLES {
                let text: String = String::from_utf8_lossy(hit.text).chars().take(crate::ops::SAMPLE_CHARS).collect();
                samples.push(masker.mask(&text));
            }
        }
        match printer.borrow_mut().record(hit) {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Stop,
        }
    };
    let mut record_batch = |force: bool, failure: &mut Option<Error>| {
        let due = force || last_recorded.is_none_or(|t| t.elapsed() >= FOLLOW_RECORD_EVERY);
        if !config.record || !due || batch.borrow().0.matched == 0 {
            return;
        }
        let (mut summary, samples) = batch.replace((Summary::default(), Vec::new()));
        let mut seen = std::collections::HashSet::new();
        summary.files.retain(|f| seen.insert(f.path.clone()));
        last_recorded = Some(Instant::now());
        if let Err(e) = record(ctx, config, &summary, samples) {
            failure.get_or_insert(e);
        }
    };
    let mut after_poll = |polled: Summary| {
        if let Err(e) = printer.borrow_mut().flush() {
            failure.get_or_insert(e);
            return Flow::Stop;
        }
        batch.borrow_mut().0.absorb(polled);
        record_batch(false, &mut failure);
        if failure.is_some() { Flow::Stop } else { Flow::Continue }
    };
    let mut warn = |path: &Path, warning: &str| out.warn(&format!("{}: {warning}", path.display()));
    logsearch::follow::follow(
        &mut tails,
        &config.matcher,
        &config.options,
        &|| stop.asked(),
        &mut sink,
        &mut after_poll,
        &mut warn,
    );
    let mut failure = failure;
    // What matched since the last event is recorded before we go.
    record_batch(true, &mut failure);
    printer.borrow_mut().flush()?;
    if let Some(err) = failure {
        return Err(err);
    }
    Ok(if stop.asked() { EXIT_INTERRUPTED } else { EXIT_MATCH })
}

/// Appends the `log.search` event; returns its id.
fn record(ctx: &Context, config: &Config, summary: &Summary, samples: Vec<String>) -> Result<String> {
    let loaded = ctx.load()?;
    let body = crate::ops::log_search_body(&config.pattern, config.options.window, summary, samples);
    let event = ctx.new_event(body, None);
    ctx.append(&loaded.dir, std::slice::from_ref(&event))?;
    if !ctx.out.json {
        ctx.report_recorded(&event, loaded.incident.clocks.opened)?;
    }
    Ok(event.id)
}

/// The count, the histogram and the summary: data on stdout, the summary line on stderr (or
/// everything as the last JSON line).
fn report(
    ctx: &Context,
    config: &Config,
    summary: &Summary,
    by_value: &BTreeMap<String, u64>,
    recorded: Option<&str>,
) -> Result<()> {
    // Most frequent first: "502s by upstream" reads top down.
    let mut by_count: Vec<(&String, &u64)> = by_value.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let out = &ctx.out;
    if out.json {
        let per_minute: Vec<serde_json::Value> = summary
            .per_minute
            .iter()
            .map(|(minute, count)| serde_json::json!({ "minute": format_micros(minute * 60_000_000), "count": count }))
            .collect();
        let mut value = serde_json::json!({
            "type": "summary",
            "pattern": config.pattern.text,
            "since": config.options.window.since.map(format_micros),
            "until": config.options.window.until.map(format_micros),
            "matched": summary.matched,
            "first": summary.first.map(format_micros),
            "last": summary.last.map(format_micros),
            "hit_max": summary.hit_max,
            "files": summary.files,
        });
        if config.histogram {
            value["per_minute"] = serde_json::Value::Array(per_minute);
        }
        if let Some(field) = &config.by {
            let counts: Vec<serde_json::Value> =
                by_count.iter().map(|(v, n)| serde_json::json!({ "value": v, "count": n })).collect();
            value["by"] = serde_json::json!({ "field": field, "counts": counts });
        }
        if let Some(id) = recorded {
            value["recorded"] = serde_json::Value::String(id.to_string());
        }
        return out.json_line(&value);
    }
    if config.count {
        out.data(&summary.matched.to_string())?;
    }
    if config.by.is_some() {
        let width = by_count.iter().map(|(_, n)| n.to_string().len()).max().unwrap_or(1);
        for (value, count) in &by_count {
            out.data(&format!("{count:>width$}  {value}"))?;
        }
    }
    if config.histogram && !summary.per_minute.is_empty() {
        out.data(&histogram(out, &summary.per_minute))?;
    }
    let files = summary.files.len();
    let failed = summary.files.iter().filter(|f| f.error.is_some()).count();
    // A source that failed (a journal journalctl could not open) was not searched: never count it.
    let searched = if failed == 0 {
        format!("{files} file{} searched", if files == 1 { "" } else { "s" })
    } else {
        format!("{} of {files} sources searched, {failed} failed", files - failed)
    };
    let mut line =
        format!("{} matching record{} ({searched})", summary.matched, if summary.matched == 1 { "" } else { "s" });
    if let (Some(first), Some(last)) = (summary.first, summary.last) {
        line.push_str(&format!("; first {}, last {}", format_micros(first), format_micros(last)));
    }
    if summary.hit_max {
        line.push_str(" (stopped at --max)");
    }
    out.info(&line);
    for file in &summary.files {
        out.detail(&format!(
            "{}: {:?}, format {}, {} bytes read, {} matching",
            file.path.display(),
            file.strategy,
            file.format.as_deref().unwrap_or("none"),
            file.bytes_read,
            file.matched
        ));
    }
    Ok(())
}
