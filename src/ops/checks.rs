//! Running a runbook's checks on an incident: concurrently through the probe engine, with
//! progress on a terminal, each result recorded (whole evidence as an artifact), and the
//! hypotheses the runbook's Orient rules suggest from them.

use std::sync::Arc;

use super::{prepare_check, prepare_if_applies};
use crate::context::{Context, Loaded};
use crate::error::Result;
use crate::model::{Body, CheckRecord};
use crate::probe::{Check, Engine, Probe, RunOptions};
use crate::runbook::schema::CheckSpec;
use crate::runbook::{Runbook, Suggestion, Undecided, Vars, suggested_hypotheses};
use crate::secrets::Masker;

/// What a run of checks found.
pub struct CheckRun {
    pub records: Vec<CheckRecord>,
    pub suggestions: Vec<Suggestion>,
    /// Hypotheses whose rule could not be judged, and why.
    pub undecided: Vec<Undecided>,
}

/// Runs `runbook`'s Observe checks (only those in `only`, when given) and records each result on
/// `incident` (shown, not recorded, without one).
pub fn run_checks(
    ctx: &Context,
    incident: Option<&Loaded>,
    runbook: &Runbook,
    vars: &Vars,
    only: &[String],
    options: RunOptions,
) -> Result<CheckRun> {
    run_checks_within(ctx, incident, runbook, vars, only, None, options)
}

/// [`run_checks`], with log checks counting only the last `log_window` when it is shorter than
/// their own: after an action, errors logged before it say nothing about whether it worked.
pub fn run_checks_within(
    ctx: &Context,
    incident: Option<&Loaded>,
    runbook: &Runbook,
    vars: &Vars,
    only: &[String],
    log_window: Option<std::time::Duration>,
    options: RunOptions,
) -> Result<CheckRun> {
    let mut masker = Masker::from_env(std::env::vars(), []);
    vars.add_secrets(&mut masker);
    let outcomes = run_in_waves(ctx, runbook, vars, only, log_window, masker, options, Progress::Shown)?;
    let records = record(ctx, incident, outcomes, Progress::Shown)?;
    let (suggestions, undecided) = suggested_hypotheses(runbook, &records, vars);
    Ok(CheckRun { records, suggestions, undecided })
}

/// Runs `runbook`'s Observe checks without recording them: first those that read no other
/// check's values, then (with the values the first extracted) those that do, `for_each` ones
/// once per item. Log checks count only the last `log_window` when it is shorter than their own.
/// Rendering the templates counts against the run's deadline. The one home of how a runbook's
/// checks run, for `check`, the walk and `check --watch`.
#[allow(clippy::too_many_arguments)]
pub(super) fn run_in_waves(
    ctx: &Context,
    runbook: &Runbook,
    vars: &Vars,
    only: &[String],
    log_window: Option<std::time::Duration>,
    masker: Masker,
    options: RunOptions,
    progress: Progress,
) -> Result<Vec<(CheckRecord, Option<String>)>> {
    let started = std::time::Instant::now();
    // Checks whose templates read other checks' extracted values run after the rest.
    let (first, later): (Vec<&CheckSpec>, Vec<&CheckSpec>) = runbook
        .file
        .observe
        .iter()
        .filter(|c| only.is_empty() || only.contains(&c.id.value))
        .partition(|c| !reads_other_checks(c));
    // After an action, log checks count only from it: errors logged before say nothing of it.
    let windowed = |mut checks: Vec<Check>| {
        if let Some(window) = log_window {
            for check in &mut checks {
                narrow_log_window(&mut check.probe, window);
            }
        }
        checks
    };
    let left =
        |options: RunOptions| RunOptions { deadline: options.deadline.saturating_sub(started.elapsed()), ..options };
    let checks = windowed(first.iter().filter_map(|c| prepare_if_applies(runbook, c, vars)).collect());
    let mut outcomes = run_engine(ctx, masker.clone(), checks, left(options), progress)?;
    if !later.is_empty() {
        let mut with_values = vars.clone();
        for (record, _) in &outcomes {
            with_values.add_extracted(&record.check, &record.observed);
        }
        let checks = windowed(
            later
                .iter()
                .flat_map(|c| match missing_value(runbook, c, &outcomes) {
                    Some(message) => vec![needs_missing_value(runbook, c, vars, message)],
                    None => prepare_later(ctx, runbook, c, &with_values),
                })
                .collect(),
        );
        outcomes.extend(run_engine(ctx, masker, checks, left(options), progress)?);
        // `for_each` results (`ID[item]`) sort with their check.
        let order =
            |id: &str| runbook.file.observe.iter().position(|c| c.id.value == id.split('[').next().unwrap_or(id));
        outcomes.sort_by_key(|(r, _)| order(&r.check));
    }
    Ok(outcomes)
}

/// Default and ceiling of `for_each.max`.
const FOR_EACH_DEFAULT: usize = 20;
const FOR_EACH_MAX: usize = 100;

/// A check of the second wave: once, or once per item of its `for_each` list (at most `max`),
/// each result named `ID[ITEM]`.
fn prepare_later(ctx: &Context, runbook: &Runbook, spec: &CheckSpec, vars: &Vars) -> Vec<Check> {
    let Some(for_each) = &spec.for_each else { return prepare_if_applies(runbook, spec, vars).into_iter().collect() };
    let Some(items) = vars.extracted_list(&for_each.items.value) else {
        let mut check = prepare_check(runbook, spec, vars);
        check.probe = Probe::Invalid {
            kind: spec.kind(),
            reason: "for_each",
            message: format!("for_each: {} has no value (its check did not extract it)", for_each.items.value),
        };
        return vec![check];
    };
    let max = for_each.max.as_ref().map_or(FOR_EACH_DEFAULT, |m| m.value as usize).min(FOR_EACH_MAX);
    if items.len() > max {
        ctx.out.warn(&format!(
            "check {}: {} items, only the first {max} checked (for_each.max)",
            spec.id.value,
            items.len()
        ));
    }
    items
        .into_iter()
        .take(max)
        .filter_map(|item| {
            let label = item.as_str().map_or_else(|| item.to_string(), str::to_string);
            let mut one = vars.clone();
            one.item = Some(item);
            let mut check = prepare_if_applies(runbook, spec, &one)?;
            check.id = format!("{}[{label}]", spec.id.value);
            Some(check)
        })
        .collect()
}

/// Whether a check's templates, `if:` or `assert:` read `checks.` (values other checks extracted).
fn reads_other_checks(check: &CheckSpec) -> bool {
    check.for_each.is_some() || texts_reading_checks(check).any(|t| t.contains("checks."))
}

fn texts_reading_checks(check: &CheckSpec) -> impl Iterator<Item = &str> {
    let for_each = check.for_each.as_ref().map(|f| &f.items);
    check
        .template_texts()
        .into_iter()
        .chain(&check.assert)
        .chain(&check.condition)
        .chain(for_each)
        .map(|t| t.value.as_str())
}

/// Why a second-wave check cannot run: the first `checks.ID.extract.NAME` it reads that the
/// first wave did not produce, said in the runbook's terms (a template's "`checks` is
/// undefined" tells nobody which check failed).
fn missing_value(runbook: &Runbook, spec: &CheckSpec, outcomes: &[(CheckRecord, Option<String>)]) -> Option<String> {
    static REFERENCE: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let pattern = REFERENCE
        .get_or_init(|| regex::Regex::new(r"checks\.([A-Za-z0-9_-]+)\.extract\.([A-Za-z0-9_]+)").ok())
        .as_ref()?;
    texts_reading_checks(spec).flat_map(|text| pattern.captures_iter(text)).find_map(|found| {
        let (check, name) = (&found[1], &found[2]);
        let needs = format!("needs checks.{check}.extract.{name}, but check `{check}`");
        let Some((record, _)) = outcomes.iter().find(|(r, _)| r.check == check) else {
            let why = match runbook.file.observe.iter().find(|c| c.id.value == check) {
                None => "does not exist".to_string(),
                Some(c) if c.condition.is_some() && !reads_other_checks(c) => "was skipped by if:".to_string(),
                Some(c) if reads_other_checks(c) => "reads other checks itself, so runs alongside it".to_string(),
                Some(_) => "was not run".to_string(),
            };
            return Some(format!("{needs} {why}"));
        };
        if record.status == crate::model::CheckStatus::Unknown {
            return Some(format!("{needs} was unknown: {}", record.summary));
        }
        let extracted = record.observed.get("extract").and_then(|e| e.get(name)).is_some_and(|v| !v.is_null());
        (!extracted).then(|| format!("{needs} extracted no `{name}`"))
    })
}

/// A check that reads a value no earlier check produced: `unknown`, saying which and why.
fn needs_missing_value(runbook: &Runbook, spec: &CheckSpec, vars: &Vars, message: String) -> Check {
    let mut check = prepare_check(runbook, spec, vars);
    check.probe = Probe::Invalid { kind: spec.kind(), reason: "missing_value", message };
    check
}

/// A log check counts at most the records of the last `window` (its own window when shorter).
pub(super) fn narrow_log_window(probe: &mut crate::probe::Probe, window: std::time::Duration) {
    if let crate::probe::Probe::Log { since, .. } = probe {
        *since = Some(since.map_or(window, |own| own.min(window)));
    }
}

/// Runs checks already prepared (an ad-hoc `incident probe`, say) and records their results.
pub fn run_prepared_checks(
    ctx: &Context,
    incident: Option<&Loaded>,
    checks: Vec<Check>,
    masker: Masker,
    options: RunOptions,
) -> Result<Vec<CheckRecord>> {
    let outcomes = run_engine(ctx, masker, checks, options, Progress::Shown)?;
    record(ctx, incident, outcomes, Progress::Shown)
}

/// Whether a run reports its progress on stderr: not under a live display of its own (a watch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Progress {
    Shown,
    Silent,
}

/// Runs checks and returns each result with its whole evidence, recording nothing.
pub(super) fn run_engine(
    ctx: &Context,
    masker: Masker,
    checks: Vec<Check>,
    options: RunOptions,
    progress: Progress,
) -> Result<Vec<(CheckRecord, Option<String>)>> {
    let engine: Arc<Engine> = Engine::new(masker)?;
    let records = engine.run_with_evidence(checks, options, &mut |record, done, total| {
        if progress == Progress::Shown {
            let mark = ctx.out.status_mark(record.status, true);
            ctx.out.progress(&format!("[{done}/{total}] {mark} {}", record.check));
        }
    });
    if progress == Progress::Shown {
        ctx.out.progress_done();
    }
    Ok(records)
}

/// Records each result, keeping whole evidence as an artifact; returns the records as recorded.
pub(super) fn record(
    ctx: &Context,
    incident: Option<&Loaded>,
    outcomes: Vec<(CheckRecord, Option<String>)>,
    progress: Progress,
) -> Result<Vec<CheckRecord>> {
    let Some(loaded) = incident.filter(|_| !outcomes.is_empty()) else {
        return Ok(outcomes.into_iter().map(|(r, _)| r).collect());
    };
    let mut records = Vec::with_capacity(outcomes.len());
    for (mut record, evidence) in outcomes {
        if let Some(evidence) = evidence {
            let mut artifact = loaded.dir.new_artifact()?;
            artifact.write(evidence.as_bytes())?;
            record.artifact =
                Some(artifact.finish(&format!("{}-check-{}.txt", crate::model::new_event_id(), record.check))?);
        }
        records.push(record);
    }
    let events: Vec<_> = records.iter().map(|r| ctx.new_event(Body::CheckResult(r.clone()), None)).collect();
    ctx.append(&loaded.dir, &events)?;
    if progress == Progress::Silent {
        return Ok(records);
    }
    ctx.out.info(&format!(
        "Recorded {} check result{} in {}",
        events.len(),
        if events.len() == 1 { "" } else { "s" },
        loaded.dir.id.as_str()
    ));
    Ok(records)
}
