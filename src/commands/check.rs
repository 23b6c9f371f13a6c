//! `incident check [RUNBOOK]` and `incident probe ...`: run checks with the probe engine, show
//! them (failures first), record each as a `check.result`, exit with the Nagios convention.

use std::time::Duration;

use crate::cli::{CheckArgs, ProbeCommand, ProbeOptions};
use crate::context::{Context, Loaded};
use crate::error::{Error, ErrorKind, Result};
use crate::expr::{Comparison, Unit};
use crate::model::{CheckRecord, CheckStatus};
use crate::ops;
use crate::output::{Style, render_table, table};
use crate::probe::{self, Check, Expectations, HttpProbe, Probe, RunOptions, StatusWant};
use crate::runbook::{Catalog, Suggestion, Vars, did_you_mean, parse_status_class};
use crate::secrets::Masker;
use crate::time::parse_duration;

const DEFAULT_CONCURRENCY: usize = 8;

pub fn check(ctx: &Context, args: &CheckArgs) -> Result<u8> {
    let deadline = duration_arg("--deadline", &args.deadline)?;
    if args.concurrency == Some(0) {
        return Err(Error::usage("--concurrency must be at least 1"));
    }
    let incident = if args.no_record { None } else { incident_if_any(ctx)? };
    let name = match (&args.runbook, incident.as_ref().and_then(|l| l.incident.runbook.clone())) {
        (Some(name), _) => name.clone(),
        (None, Some(name)) => name,
        (None, None) => {
            return Err(Error::usage("which runbook? name one: incident check RUNBOOK")
                .with_hint("`incident runbook list` shows them; `incident open --runbook NAME` sets an incident's"));
        }
    };
    let catalog = Catalog::new(args.dirs.dir.as_deref())?;
    let runbook = catalog.load(&name)?;
    for id in &args.only {
        if runbook.check(id).is_none() {
            let ids: Vec<&str> = runbook.file.observe.iter().map(|c| c.id.value.as_str()).collect();
            let hint = did_you_mean(id, ids.iter().copied())
                .map_or_else(|| format!("its checks are: {}", ids.join(", ")), |c| format!("did you mean --only {c}?"));
            return Err(
                Error::usage(format!("--only {id}: runbook {} has no such check", runbook.name)).with_hint(hint)
            );
        }
    }
    let overrides = ops::runbook_overrides(incident.as_ref().map(|l| &l.incident), &runbook, &args.vars)?;
    let vars = Vars::resolve(&runbook, &overrides, &|name| std::env::var(name).ok())?;
    let concurrency = args.concurrency.or(runbook.file.defaults.concurrency).unwrap_or(DEFAULT_CONCURRENCY);
    let incident = if args.no_record { None } else { incident.as_ref() };
    if let Some(interval) = &args.watch {
        let watch = super::watch::WatchArgs {
            interval,
            until_ok: &args.until_ok,
            give_up_after: args.give_up_after.as_deref(),
            since_action: args.since_action,
            only: &args.only,
            run: RunOptions { concurrency, deadline },
        };
        return super::watch::watch(ctx, incident, &runbook, &vars, &watch);
    }
    let run = ops::run_checks(ctx, incident, &runbook, &vars, &args.only, RunOptions { concurrency, deadline })?;
    let (records, suggestions) = (run.records, run.suggestions);
    let worst = probe::worst(&records);
    if ctx.out.json {
        ctx.out.json_value(&serde_json::json!({
            "runbook": runbook.name, "status": worst, "checks": records, "hypotheses": suggestions,
            "undecided": run.undecided,
        }))?;
    } else {
        render(ctx, &records)?;
        render_suggestions(ctx, &suggestions)?;
        for undecided in &run.undecided {
            ctx.out.info(&format!("Hypothesis {} not judged: {}", undecided.id, undecided.reason));
        }
    }
    Ok(worst.exit_code())
}

/// The current (or `-i`) incident; `None` with a note when there is none, since a check is
/// also useful outside an incident (a Nagios-style probe, a rehearsal).
fn incident_if_any(ctx: &Context) -> Result<Option<Loaded>> {
    match ctx.load() {
        Ok(loaded) => Ok(Some(loaded)),
        Err(err) if err.kind == ErrorKind::NoCurrentIncident => {
            ctx.out.info(&ctx.out.paint_err(Style::Dim, "No current incident: results are shown, not recorded."));
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

fn duration_arg(flag: &str, text: &str) -> Result<Duration> {
    let d = parse_duration(text).map_err(|e| Error::usage(format!("{flag}: {e}")))?;
    if d.is_zero() {
        return Err(Error::usage(format!("{flag} must be longer than zero")));
    }
    Ok(probe::capped(d))
}

/// The results, failures first, then each failure's attempts when there were retries.
fn render(ctx: &Context, records: &[CheckRecord]) -> Result<()> {
    if records.is_empty() {
        ctx.out.info("No checks to run: the runbook has no `observe` checks (or --only matched none).");
        return Ok(());
    }
    let mut sorted: Vec<&CheckRecord> = records.iter().collect();
    sorted.sort_by_key(|r| r.status.urgency());
    let mut t = table(&["STATUS", "CHECK", "PROBE", "RESULT", "TRIES", "TIME"], ctx.out.stdout_is_terminal);
    for r in &sorted {
        // Plain text: escape codes inside cells would throw comfy-table's column widths off.
        t.add_row([
            r.status.as_str().to_ascii_uppercase(),
            r.check.clone(),
            r.probe.clone(),
            if r.summary.is_empty() { r.reason.clone() } else { format!("{} [{}]", r.summary, r.reason) },
            r.attempts.len().to_string(),
            crate::expr::show_duration(Duration::from_millis(r.duration_ms)),
        ]);
    }
    ctx.out.data(&render_table(&t))?;
    let counts: Vec<String> = [CheckStatus::Critical, CheckStatus::Unknown, CheckStatus::Warning, CheckStatus::Ok]
        .iter()
        .filter_map(|s| {
            let n = records.iter().filter(|r| r.status == *s).count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    ctx.out.info(&format!(
        "{} check{}: {}",
        records.len(),
        if records.len() == 1 { "" } else { "s" },
        counts.join(", ")
    ));
    Ok(())
}

fn render_suggestions(ctx: &Context, suggestions: &[Suggestion]) -> Result<()> {
    if suggestions.is_empty() {
        return Ok(());
    }
    let mut text = String::from("\nHypotheses suggested by these results (yours to confirm or refute):\n");
    for s in suggestions {
        text.push_str(&format!("  {}  {}\n", ctx.out.paint(Style::Bold, &s.id), s.title));
        if !s.suggest.is_empty() {
            text.push_str(&format!("      consider: {}\n", s.suggest.join(", ")));
        }
    }
    ctx.out.data(&text)
}

/// `incident probe KIND ...`: one ad-hoc check.
pub fn probe(ctx: &Context, command: &ProbeCommand) -> Result<u8> {
    let (probe, expect, options) = match command {
        ProbeCommand::Http(a) => {
            let mut headers = Vec::new();
            for h in &a.headers {
                let (name, value) = h.split_once(':').ok_or_else(|| {
                    Error::usage(format!("--header {h:?}: expected `Name: value`"))
                        .with_hint("for example -H 'Accept: application/json'")
                })?;
                headers.push((name.trim().to_string(), value.trim().to_string()));
            }
            let status = a
                .status
                .as_deref()
                .map(|s| match s.parse::<u16>() {
                    Ok(code) if (100..=599).contains(&code) => Ok(StatusWant::Codes(vec![code])),
                    _ => parse_status_class(s)
                        .map(StatusWant::Class)
                        .ok_or_else(|| Error::usage(format!("--status {s:?}: use a code (200) or a class (2xx)"))),
                })
                .transpose()?;
            let expect = Expectations {
                status,
                latency: a.latency.as_deref().map(|l| comparison("--latency", l, Unit::Duration)).transpose()?,
                body_contains: a.contains.clone(),
                ..Default::default()
            };
            let probe = Probe::Http(HttpProbe {
                url: a.url.clone(),
                method: a.method.to_ascii_uppercase(),
                headers,
                body: None,
                follow_redirects: !a.no_follow,
                insecure: a.insecure,
                max_body: crate::model::HTTP_DEFAULT_MAX_BODY,
                // Only `--contains` reads the body; a status probe of a large page is not unknown.
                body_judged: a.contains.is_some(),
            });
            (probe, expect, &a.options)
        }
        ProbeCommand::Tcp(a) => {
            let (host, port) = host_port(&a.target, None)?;
            (Probe::Tcp { host, port }, Expectations::default(), &a.options)
        }
        ProbeCommand::Dns(a) => {
            let record_type = a.record_type.to_ascii_uppercase();
            if !["A", "AAAA", "CNAME", "MX", "TXT"].contains(&record_type.as_str()) {
                return Err(Error::usage(format!("--type {}: use A, AAAA, CNAME, MX or TXT", a.record_type)));
            }
            let expect = Expectations { answers_contain: a.answers.clone(), ..Default::default() };
            (Probe::Dns { name: a.name.clone(), record_type, server: a.server.clone() }, expect, &a.options)
        }
        ProbeCommand::Tls(a) => {
            let (host, port) = host_port(&a.target, Some(443))?;
            duration_arg("--min-valid", &a.min_valid)?;
            let expect = Expectations {
                leaf_expires_in: Some(comparison("--min-valid", &format!("> {}", a.min_valid), Unit::Duration)?),
                verified: Some(!a.insecure),
                expiry_severity: Some(CheckStatus::Warning),
                ..Default::default()
            };
            (Probe::Tls { host, port, server_name: None }, expect, &a.options)
        }
        ProbeCommand::Prometheus(a) => {
            let expect = Expectations {
                warning: a.warning.as_deref().map(|w| comparison("--warning", w, Unit::Number)).transpose()?,
                critical: a.critical.as_deref().map(|c| comparison("--critical", c, Unit::Number)).transpose()?,
                ..Default::default()
            };
            (Probe::Prometheus { url: a.url.clone(), query: a.query.clone() }, expect, &a.options)
        }
        ProbeCommand::Cmd(a) => {
            let expect = Expectations { exit_code: Some(a.exit_code), ..Default::default() };
            (Probe::Command { argv: a.argv.clone(), remote: None }, expect, &a.options)
        }
    };
    // An ad-hoc check is named after its subcommand: `cmd`, not `command`.
    let id = probe.kind().map_or("probe", |kind| kind.subcommand().unwrap_or(kind.name()));
    let (check, no_record) = adhoc_check(id, probe, expect, options)?;
    let incident = if no_record { None } else { incident_if_any(ctx)? };
    let masker = Masker::from_env(std::env::vars(), []);
    let options = RunOptions { concurrency: 1, deadline: Duration::from_secs(24 * 3600) };
    let records = ops::run_prepared_checks(ctx, incident.as_ref(), vec![check], masker, options)?;
    let worst = probe::worst(&records);
    if ctx.out.json {
        if let Some(record) = records.first() {
            ctx.out.json_value(record)?;
        }
    } else {
        for r in &records {
            let summary = if r.summary.is_empty() { r.reason.clone() } else { r.summary.clone() };
            ctx.out.data(&format!(
                "{} {} {}: {summary} [{}]",
                ctx.out.status_mark(r.status, false),
                r.probe,
                r.target,
                r.reason
            ))?;
            if r.attempts.len() > 1 {
                for a in &r.attempts {
                    ctx.out.info(&format!("  attempt {}: {} ({}) in {}ms", a.n, a.status, a.reason, a.duration_ms));
                }
            }
        }
    }
    Ok(worst.exit_code())
}

fn adhoc_check(id: &str, probe: Probe, expect: Expectations, options: &ProbeOptions) -> Result<(Check, bool)> {
    let timeout = duration_arg("--timeout", &options.timeout)?;
    Ok((
        Check {
            id: id.to_string(),
            runbook: None,
            probe,
            expect,
            asserts: Vec::new(),
            vars: minijinja::Value::UNDEFINED,
            timeout,
            retries: options.retries,
            backoff: ops::DEFAULT_BACKOFF,
            severity: CheckStatus::Critical,
            extract: Vec::new(),
            unknown_on: crate::probe::UnknownOn::default(),
            on_empty: None,
            wording: crate::probe::Wording::default(),
        },
        options.no_record,
    ))
}

fn comparison(flag: &str, text: &str, unit: Unit) -> Result<Comparison> {
    Comparison::parse(text, unit).map_err(|e| Error::usage(format!("{flag}: {e}")))
}

/// `HOST:PORT`, `[v6]:PORT`, or `HOST` when there is a default port.
fn host_port(text: &str, default_port: Option<u16>) -> Result<(String, u16)> {
    let bad =
        || Error::usage(format!("{text:?}: expected HOST:PORT")).with_hint("for example 127.0.0.1:5432 or [::1]:443");
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or_else(bad)?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)?,
            None => default_port.ok_or_else(bad)?,
        };
        return Ok((host.to_string(), port));
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && !host.contains(':') => {
            Ok((host.to_string(), port.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)?))
        }
        None if !text.is_empty() => Ok((text.to_string(), default_port.ok_or_else(bad)?)),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use crate::model::ProbeKind;

    #[test]
    fn every_probe_subcommand_is_in_the_kind_table_and_back() {
        let cli = crate::cli::Cli::command();
        let probe = cli.find_subcommand("probe").expect("incident probe");
        let mut clap_names: Vec<&str> = probe.get_subcommands().map(clap::Command::get_name).collect();
        let mut table_names: Vec<&str> = ProbeKind::ALL.into_iter().filter_map(ProbeKind::subcommand).collect();
        clap_names.sort_unstable();
        table_names.sort_unstable();
        assert_eq!(clap_names, table_names);
    }
}
