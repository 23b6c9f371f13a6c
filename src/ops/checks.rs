//! Running a runbook's checks on an incident: concurrently through the probe engine, with
//! progress on a terminal, each result recorded (whole evidence as an artifact), and the
//! hypotheses the runbook's Orient rules suggest from them.

use std::sync::Arc;

use super::prepare_checks;
use crate::context::{Context, Loaded};
use crate::error::Result;
use crate::model::{Body, CheckRecord};
use crate::probe::{Check, Engine, RunOptions};
use crate::runbook::{Runbook, Suggestion, Vars, suggested_hypotheses};
use crate::secrets::Masker;

/// What a run of checks found.
pub struct CheckRun {
    pub records: Vec<CheckRecord>,
    pub suggestions: Vec<Suggestion>,
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
    // Rendering the templates counts against the run's deadline.
    let started = std::time::Instant::now();
    let mut checks = prepare_checks(runbook, vars, only);
    if let Some(window) = log_window {
        for check in &mut checks {
            if let crate::probe::Probe::Log { since, .. } = &mut check.probe {
                *since = Some(since.map_or(window, |own| own.min(window)));
            }
        }
    }
    let options = RunOptions { deadline: options.deadline.saturating_sub(started.elapsed()), ..options };
    let records = run_prepared_checks(ctx, incident, checks, masker, options)?;
    let suggestions = suggested_hypotheses(runbook, &records, vars);
    Ok(CheckRun { records, suggestions })
}

/// Runs checks already prepared (an ad-hoc `incident probe`, say) and records their results.
pub fn run_prepared_checks(
    ctx: &Context,
    incident: Option<&Loaded>,
    checks: Vec<Check>,
    masker: Masker,
    options: RunOptions,
) -> Result<Vec<CheckRecord>> {
    let outcomes = run_engine(ctx, masker, checks, options)?;
    record(ctx, incident, outcomes)
}

fn run_engine(
    ctx: &Context,
    masker: Masker,
    checks: Vec<Check>,
    options: RunOptions,
) -> Result<Vec<(CheckRecord, Option<String>)>> {
    let engine: Arc<Engine> = Engine::new(masker)?;
    let records = engine.run_with_evidence(checks, options, &mut |record, done, total| {
        let mark = ctx.out.status_mark(record.status, true);
        ctx.out.progress(&format!("[{done}/{total}] {mark} {}", record.check));
    });
    ctx.out.progress_done();
    Ok(records)
}

/// Records each result, keeping whole evidence as an artifact; returns the records as recorded.
fn record(
    ctx: &Context,
    incident: Option<&Loaded>,
    outcomes: Vec<(CheckRecord, Option<String>)>,
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
    ctx.out.info(&format!(
        "Recorded {} check result{} in {}",
        events.len(),
        if events.len() == 1 { "" } else { "s" },
        loaded.dir.id.as_str()
    ));
    Ok(records)
}
