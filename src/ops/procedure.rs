//! An action's ordered `steps:`: commands, manual instructions and waits, run one at a time and
//! each recorded as `step:ID`, stopping at the first that fails; `--resume` picks up at the
//! first step the latest attempt did not finish.

use std::io::IsTerminal;
use std::time::Duration;

use super::action::{Recorder, run_step, verify_checks, verify_window};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{Body, Event};
use crate::output::Style;
use crate::process;
use crate::runbook::schema::{ActionSpec, StepSpec};
use crate::runbook::{MAX_WAIT, Runbook, Vars, condition_holds, render_command, render_host, render_text};
use crate::secrets::Masker;
use crate::time::parse_duration;

/// The prefix of a procedure step's name in its `runbook.step` event.
const STEP_PREFIX: &str = "step:";

/// How a procedure is run: what the caller knows beyond the action.
pub(super) struct ProcedureRun<'a> {
    pub ctx: &'a Context,
    pub runbook: &'a Runbook,
    pub action: &'a ActionSpec,
    pub vars: &'a Vars,
    pub masker: &'a Masker,
    pub recorder: &'a Recorder<'a>,
    pub timeout: Duration,
    pub echo: super::Echo,
    /// The answer to the first manual step reached (`--answer`, for a run off a terminal).
    pub answer: Option<String>,
    /// How to run this action again from where it stopped, for the hints.
    pub resume_command: String,
}

/// The event name of a step.
pub(super) fn step_name(step: &StepSpec) -> String {
    format!("{STEP_PREFIX}{}", step.id.value)
}

/// Where `--resume` starts: the index of the first step the latest attempt (since its last
/// `confirmed`) did not record as done. Fails when the action was never started here, or
/// when every step is done.
pub(super) fn resume_point(events: &[Event], runbook: &str, action: &ActionSpec) -> Result<usize> {
    let mut started = false;
    let mut done: Vec<&str> = Vec::new();
    for event in events {
        let Body::RunbookStep { runbook: r, action: a, step, ok, .. } = &event.body else { continue };
        if r != runbook || *a != action.id.value {
            continue;
        }
        if step == "confirmed" {
            started = true;
            done.clear();
        } else if let Some(id) = step.strip_prefix(STEP_PREFIX)
            && *ok
        {
            done.push(id);
        }
    }
    if !started {
        return Err(Error::usage(format!(
            "action {} was never started on this incident: nothing to resume",
            action.id.value
        ))
        .with_hint("run it without --resume"));
    }
    action.steps.iter().position(|s| !done.contains(&s.id.value.as_str())).ok_or_else(|| {
        Error::usage(format!("every step of action {} is done: nothing to resume", action.id.value))
            .with_hint("run it without --resume to start it again")
    })
}

/// Runs the steps from `from` on; the first that fails stops the procedure with an error
/// saying how to resume.
pub(super) fn run_procedure(run: &mut ProcedureRun<'_>, from: usize) -> Result<()> {
    let total = run.action.steps.len();
    for (index, step) in run.action.steps.iter().enumerate().skip(from) {
        let name = step_name(step);
        let label = format!("Step {}/{total} {}", index + 1, step.id.value);
        if let Some(condition) = &step.condition {
            match condition_holds(condition, run.vars) {
                Ok(true) => {}
                Ok(false) => {
                    let detail = format!("skipped: if {:?} is false", condition.value);
                    run.ctx.out.info(&format!("{label}: {detail}"));
                    run.recorder.step(&name, true, &detail, None, None, None)?;
                    continue;
                }
                Err(reason) => {
                    run.recorder.step(&name, false, &reason, None, None, None)?;
                    return Err(stopped(run, step, &reason));
                }
            }
        }
        run.ctx.out.info(&run.ctx.out.paint_err(Style::Bold, &format!("{label}:")));
        if let Some(command) = &step.command {
            let argv = step_argv(run.action, step, command, run.vars, run.timeout).map_err(|e| {
                Error::runtime(format!(
                    "step {} of action {}: {}",
                    step.id.value,
                    run.action.id.value,
                    e.explained(run.vars)
                ))
            })?;
            let timeout = step
                .timeout
                .as_ref()
                .and_then(|t| parse_duration(&t.value).ok())
                .map_or(run.timeout, crate::probe::capped);
            let (ok, code, detail, took) = run_step(&argv, timeout, run.masker, run.echo);
            run.recorder.step(&name, ok, &detail, Some(&argv), code, Some(took))?;
            if !ok {
                return Err(stopped(run, step, &detail));
            }
        } else if let Some(instruction) = &step.manual {
            manual_step(run, step, &name, instruction)?;
        } else if let Some(wait) = &step.wait {
            let pause = parse_duration(&wait.value).unwrap_or_default().min(MAX_WAIT);
            let shown = crate::expr::show_duration(pause);
            run.ctx.out.info(&format!("  waiting {shown} (Ctrl-C stops here; --resume starts again at this step)"));
            std::thread::sleep(pause);
            run.recorder.step(&name, true, &format!("waited {shown}"), None, None, Some(pause))?;
        }
        if let Some(verify) = &step.verify {
            let (within, interval) = verify_window(verify);
            let names: Vec<String> = verify.checks.iter().map(|c| c.value.clone()).collect();
            let (passed, records) =
                verify_checks(run.ctx, run.runbook, run.vars, &names, within, interval, run.masker.clone())?;
            run.recorder.checks(&records)?;
            let summary = records.iter().map(|r| format!("{} {}", r.check, r.status)).collect::<Vec<_>>().join(", ");
            run.recorder.step(&format!("{name}:verify"), passed, &summary, None, None, None)?;
            if !passed {
                return Err(stopped(run, step, &format!("did not verify: {summary}")));
            }
        }
    }
    Ok(())
}

/// A manual step: the instruction shown, the answer asked for and recorded. Off a terminal
/// (and without `--answer`) the procedure stops here, saying how to continue.
fn manual_step(
    run: &mut ProcedureRun<'_>,
    step: &StepSpec,
    name: &str,
    instruction: &crate::runbook::schema::Text,
) -> Result<()> {
    let instruction = render_text(instruction, run.vars).map_err(|e| {
        Error::runtime(format!("step {} of action {}: {}", step.id.value, run.action.id.value, e.explained(run.vars)))
    })?;
    let instruction = run.masker.mask(&instruction);
    run.ctx.out.info(&format!("  Do by hand: {instruction}"));
    let question = step.record.as_deref().unwrap_or("What did you find?");
    let answer = match run.answer.take() {
        Some(answer) => Some(answer),
        None if std::io::stdin().is_terminal() => run.ctx.out.ask(&format!("  {question}"))?,
        None => {
            let detail = format!("waiting for a responder: {instruction}");
            run.recorder.step(name, false, &detail, None, None, None)?;
            return Err(Error::usage(format!(
                "step {} of action {} is manual, and standard input is not a terminal: {instruction}",
                step.id.value, run.action.id.value
            ))
            .with_hint(format!("do it, then continue with `{} --answer \"...\"` ({question})", run.resume_command)));
        }
    };
    let Some(answer) = answer.filter(|a| !a.trim().is_empty()) else {
        run.recorder.step(name, false, "no answer given; the step is not done", None, None, None)?;
        return Err(stopped(run, step, "no answer given"));
    };
    run.recorder.step(name, true, &format!("{question} {}", answer.trim()), None, None, None)
}

/// The error that stops a procedure at `step`, with how to resume.
fn stopped(run: &ProcedureRun<'_>, step: &StepSpec, why: &str) -> Error {
    let mut hint = format!("fix what stopped it, then continue from this step with `{}`", run.resume_command);
    if let Some(rollback) = &run.action.rollback
        && let Ok(argv) = render_command(rollback, run.vars)
    {
        hint.push_str(&format!("; or undo with `{}`", process::shell_join(&run.masker.mask_argv(&argv))));
    }
    Error::runtime(format!(
        "action {} stopped at step {} ({}): {why}",
        run.action.id.value,
        step.id.value,
        step_name_title(step)
    ))
    .with_hint(hint)
}

fn step_name_title(step: &StepSpec) -> String {
    step.title.clone().unwrap_or_else(|| step.kinds().first().copied().unwrap_or("step").to_string())
}

/// A command step's argv: on the step's `host:` (else the action's) through ssh, word for word.
fn step_argv(
    action: &ActionSpec,
    step: &StepSpec,
    command: &crate::runbook::schema::CommandSpec,
    vars: &Vars,
    timeout: Duration,
) -> std::result::Result<Vec<String>, crate::runbook::RenderError> {
    let argv = render_command(command, vars)?;
    let host = step.host.as_ref().or(action.host.as_ref());
    Ok(match render_host(host, action.port.as_ref(), action.identity.as_ref(), vars)? {
        Some(remote) => remote.argv(&argv, timeout),
        None => argv,
    })
}

/// Each step in a line, for the plan: what it runs (the rendered argv), asks or waits, and
/// its condition and verification.
pub(crate) fn describe_steps(action: &ActionSpec, vars: &Vars, masker: &Masker) -> Vec<String> {
    action
        .steps
        .iter()
        .map(|step| {
            let mut line = format!("{}: ", step.id.value);
            if let Some(command) = &step.command {
                match step_argv(action, step, command, vars, Duration::from_secs(300)) {
                    Ok(argv) => line.push_str(&format!("run {}", process::shell_join(&masker.mask_argv(&argv)))),
                    Err(e) => line.push_str(&format!("run (cannot render: {})", e.explained(vars))),
                }
            } else if let Some(instruction) = &step.manual {
                let text = render_text(instruction, vars).unwrap_or_else(|_| instruction.value.clone());
                line.push_str(&format!("by hand: {}", masker.mask(&text)));
                if let Some(record) = &step.record {
                    line.push_str(&format!(" (records: {record})"));
                }
            } else if let Some(wait) = &step.wait {
                line.push_str(&format!("wait {}", wait.value));
            }
            if let Some(condition) = &step.condition {
                line.push_str(&format!(" [if {}]", condition.value));
            }
            if let Some(verify) = &step.verify {
                let checks: Vec<&str> = verify.checks.iter().map(|c| c.value.as_str()).collect();
                line.push_str(&format!(" then verify {}", checks.join(", ")));
            }
            line
        })
        .collect()
}

/// What an action will do, a line each, as `runbook show` prints it: every command rendered
/// with the variables' current values (as written when one has no value), its risk, guards,
/// steps, verification and rollback.
pub(crate) fn describe_action(action: &ActionSpec, vars: &Vars, masker: &Masker) -> Vec<String> {
    let show = |spec: &crate::runbook::schema::CommandSpec| {
        let argv = render_command(spec, vars).and_then(|argv| {
            Ok(match render_host(action.host.as_ref(), action.port.as_ref(), action.identity.as_ref(), vars)? {
                Some(remote) => remote.argv(&argv, Duration::from_secs(300)),
                None => argv,
            })
        });
        match argv {
            Ok(argv) => process::shell_join(&masker.mask_argv(&argv)),
            Err(_) => {
                let written: Vec<String> =
                    spec.run.iter().flatten().chain(spec.shell.iter()).map(|t| t.value.clone()).collect();
                format!("{} (as written: a variable has no value)", written.join(" "))
            }
        }
    };
    let mut lines = vec![format!("risk:      {}", action.risk.as_ref().map_or("low", |r| r.value.as_str()))];
    if let Some(host) = &action.host {
        lines.push(format!("on:        {}", host.value));
    }
    if !action.guard.is_empty() {
        let guards: Vec<&str> = action.guard.iter().map(|c| c.value.as_str()).collect();
        lines.push(format!("guards:    {} (each must be ok)", guards.join(", ")));
    }
    if let Some(preview) = &action.preview {
        lines.push(format!("preview:   {}", show(preview)));
    }
    if let Some(command) = &action.command {
        lines.push(format!("runs:      {}", show(command)));
    }
    for (index, line) in describe_steps(action, vars, masker).iter().enumerate() {
        lines.push(format!("step {}:    {line}", index + 1));
    }
    if let Some(verify) = &action.verify {
        let checks: Vec<&str> = verify.checks.iter().map(|c| c.value.as_str()).collect();
        lines.push(format!("verify:    {}", checks.join(", ")));
    }
    if let Some(rollback) = &action.rollback {
        lines.push(format!("rollback:  {}", show(rollback)));
    }
    lines
}
