//! One Act step of a runbook (`incident runbook act`, and the walk), done safely and recorded whole:
//! preview, confirm, run, verify (re-running named checks until they pass or time runs out),
//! and roll back when verification fails.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use super::prepare_check;
use crate::context::{Context, Loaded};
use crate::error::{Error, ErrorKind, Result};
use crate::model::{Body, CheckRecord, CheckStatus};
use crate::output::{Output, Style};
use crate::probe::{Engine, RunOptions};
use crate::process;
use crate::runbook::schema::{ActionSpec, CommandSpec};
use crate::runbook::{Catalog, Runbook, Vars, did_you_mean, render_command};
use crate::secrets::Masker;
use crate::time::parse_duration;

/// What to run: the non-interactive command and the walk both ask through this.
#[derive(Debug, Clone, Default)]
pub struct ActionRequest {
    /// The action's id.
    pub action: String,
    /// The runbook; `None` for the incident's own.
    pub runbook: Option<String>,
    /// `KEY=VALUE` variable settings.
    pub vars: Vec<String>,
    /// Run only the declared read-only preview.
    pub dry_run: bool,
    /// Confirmed in advance (required off a terminal).
    pub yes: bool,
    /// A folder of runbooks searched first.
    pub runbooks_dir: Option<std::path::PathBuf>,
    /// Where the steps' output is shown.
    pub echo: super::Echo,
    /// Enter runs a low-risk action (`[Y/n]`): the walk, where picking it was the choice.
    pub low_risk_on_enter: bool,
}

const DEFAULT_ACTION_TIMEOUT: Duration = Duration::from_secs(300);
const DEFAULT_VERIFY_WITHIN: Duration = Duration::from_secs(120);
const DEFAULT_VERIFY_INTERVAL: Duration = Duration::from_secs(10);
/// How much of a step's output its event carries.
const TAIL_CHARS: usize = 1000;

/// Everything needed to record a step.
struct Recorder<'a> {
    ctx: &'a Context,
    incident: Option<&'a Loaded>,
    runbook: String,
    action: String,
    masker: Masker,
}

impl Recorder<'_> {
    fn step(
        &self,
        step: &str,
        ok: bool,
        detail: &str,
        command: Option<&[String]>,
        exit_code: Option<i32>,
        duration: Option<Duration>,
    ) -> Result<()> {
        let Some(loaded) = self.incident else { return Ok(()) };
        let body = Body::RunbookStep {
            runbook: self.runbook.clone(),
            action: self.action.clone(),
            step: step.to_string(),
            ok,
            detail: self.masker.mask(detail),
            command: command.map(|argv| process::shell_join(&self.masker.mask_argv(argv))),
            exit_code,
            duration_ms: duration.map(crate::probe::millis),
        };
        let event = self.ctx.new_event(body, None);
        self.ctx.append(&loaded.dir, std::slice::from_ref(&event))
    }

    fn checks(&self, records: &[CheckRecord]) -> Result<()> {
        let Some(loaded) = self.incident else { return Ok(()) };
        let events: Vec<_> = records.iter().map(|r| self.ctx.new_event(Body::CheckResult(r.clone()), None)).collect();
        self.ctx.append(&loaded.dir, &events)
    }
}

/// Runs the action: preview, confirm, run, verify, roll back on a failed verification. Returns
/// the exit code (0 done and verified; 1 declined).
pub fn run_action(ctx: &Context, args: &ActionRequest) -> Result<u8> {
    let incident = match ctx.load() {
        Ok(loaded) => Some(loaded),
        Err(err) if args.dry_run && err.kind == ErrorKind::NoCurrentIncident => None,
        Err(err) => {
            return Err(if err.kind == ErrorKind::NoCurrentIncident {
                Error::new(
                    ErrorKind::NoCurrentIncident,
                    "no current incident: every step of an action is recorded in one",
                )
                .with_hint(
                    "open one with `incident open TITLE -s sev2`, pick one with -i ID, or look first with --dry-run",
                )
            } else {
                err
            });
        }
    };
    let name = match (&args.runbook, incident.as_ref().and_then(|l| l.incident.runbook.clone())) {
        (Some(name), _) => name.clone(),
        (None, Some(name)) => name,
        (None, None) => {
            return Err(Error::usage("which runbook? say it with --runbook NAME")
                .with_hint("or open the incident with `incident open --runbook NAME`"));
        }
    };
    let runbook = Catalog::new(args.runbooks_dir.as_deref())?.load(&name)?;
    let Some(action) = runbook.action(&args.action) else {
        let ids: Vec<&str> = runbook.file.act.iter().map(|a| a.id.value.as_str()).collect();
        let hint = did_you_mean(&args.action, ids.iter().copied())
            .map_or_else(|| format!("its actions are: {}", ids.join(", ")), |c| format!("did you mean {c}?"));
        return Err(Error::usage(format!("runbook {} has no action {:?}", runbook.name, args.action)).with_hint(hint));
    };
    let overrides = super::runbook_overrides(incident.as_ref().map(|l| &l.incident), &runbook, &args.vars)?;
    let vars = Vars::resolve(&runbook, &overrides, &|n| std::env::var(n).ok())?;
    let mut masker = Masker::from_env(std::env::vars(), []);
    vars.add_secrets(&mut masker);
    let render = |spec: &CommandSpec, what: &str| {
        render_command(spec, &vars)
            .map_err(|e| Error::runtime(format!("{what} of action {}: {}", action.id.value, e.explained(&vars))))
    };
    let command = render(&action.command, "the command")?;
    let preview = action.preview.as_ref().map(|p| render(p, "the preview")).transpose()?;
    let rollback = action.rollback.as_ref().map(|r| render(r, "the rollback")).transpose()?;
    let timeout = action
        .timeout
        .as_ref()
        .and_then(|t| parse_duration(&t.value).ok())
        .map_or(DEFAULT_ACTION_TIMEOUT, crate::probe::capped);
    let risk = action.risk.as_ref().map_or("low", |r| r.value.as_str());
    let recorder = Recorder {
        ctx,
        incident: incident.as_ref(),
        runbook: runbook.name.clone(),
        action: action.id.value.clone(),
        masker: masker.clone(),
    };

    show_plan(&ctx.out, &masker, action, risk, &command, preview.as_deref(), rollback.as_deref());
    if let Some(preview) = &preview {
        ctx.out.info(&ctx.out.paint_err(Style::Bold, "Preview:"));
        let (ok, code, detail, took) = run_step(preview, timeout, &masker, args.echo);
        recorder.step("preview", ok, &detail, Some(preview), code, Some(took))?;
    }
    if args.dry_run {
        let detail =
            format!("dry run: would run `{}`; nothing was changed", process::shell_join(&masker.mask_argv(&command)));
        recorder.step("dry_run", true, &detail, None, None, None)?;
        ctx.out.info(&format!("Dry run: `{}` was not run.", process::shell_join(&masker.mask_argv(&command))));
        return Ok(0);
    }
    if !confirm(ctx, args, &action.id.value, risk)? {
        recorder.step("declined", false, "the responder did not confirm; nothing was run", None, None, None)?;
        ctx.out.info("Not run.");
        return Ok(crate::error::exit::RUNTIME);
    }
    recorder.step("confirmed", true, &format!("confirmed by {} (risk {risk})", ctx.author()), None, None, None)?;

    ctx.out.info(&ctx.out.paint_err(Style::Bold, "Running:"));
    let (ok, code, detail, took) = run_step(&command, timeout, &masker, args.echo);
    recorder.step("run", ok, &detail, Some(&command), code, Some(took))?;
    if !ok {
        let hint = match &rollback {
            Some(r) => format!(
                "its rollback is `{}`; run it with `incident run -- ...` if the command changed anything",
                process::shell_join(&masker.mask_argv(r))
            ),
            None => "look at the output above before trying again".to_string(),
        };
        return Err(Error::runtime(format!("action {} failed: {detail}", action.id.value)).with_hint(hint));
    }

    let Some(verify) = &action.verify else {
        ctx.out.info(&format!(
            "Done: {}. (The action declares no verification: check the outcome yourself.)",
            action.title
        ));
        return Ok(0);
    };
    let within = verify
        .within
        .as_ref()
        .and_then(|t| parse_duration(&t.value).ok())
        .map_or(DEFAULT_VERIFY_WITHIN, crate::probe::capped);
    let interval = verify
        .interval
        .as_ref()
        .and_then(|t| parse_duration(&t.value).ok())
        .map_or(DEFAULT_VERIFY_INTERVAL, crate::probe::capped);
    let names: Vec<String> = verify.checks.iter().map(|c| c.value.clone()).collect();
    let (passed, records) = verify_checks(ctx, &runbook, &vars, &names, within, interval, masker.clone())?;
    recorder.checks(&records)?;
    let summary = records.iter().map(|r| format!("{} {}", r.check, r.status)).collect::<Vec<_>>().join(", ");
    recorder.step("verify", passed, &summary, None, None, None)?;
    if passed {
        ctx.out.info(&format!("Verified: {summary}."));
        return Ok(0);
    }
    ctx.out.warn(&format!("Verification failed within {}: {summary}", crate::expr::show_duration(within)));
    match &rollback {
        Some(rollback) => {
            ctx.out.info(&ctx.out.paint_err(Style::Bold, "Rolling back:"));
            let (ok, code, detail, took) = run_step(rollback, timeout, &masker, args.echo);
            recorder.step("rollback", ok, &detail, Some(rollback), code, Some(took))?;
            Err(Error::runtime(format!(
                "action {} did not verify; rollback {}",
                action.id.value,
                if ok { "done" } else { "FAILED" }
            )))
        }
        None => Err(Error::runtime(format!("action {} did not verify, and it declares no rollback", action.id.value))
            .with_hint("decide the next step; `incident check` shows where things stand")),
    }
}

fn show_plan(
    out: &Output,
    masker: &Masker,
    action: &ActionSpec,
    risk: &str,
    command: &[String],
    preview: Option<&[String]>,
    rollback: Option<&[String]>,
) {
    let show = |argv: &[String]| process::shell_join(&masker.mask_argv(argv));
    out.info(&format!("Action {} (risk {risk}): {}", out.paint_err(Style::Bold, &action.id.value), action.title));
    out.info(&format!("  will run:  {}", show(command)));
    if let Some(p) = preview {
        out.info(&format!("  preview:   {}", show(p)));
    }
    if let Some(v) = &action.verify {
        let checks: Vec<&str> = v.checks.iter().map(|c| c.value.as_str()).collect();
        out.info(&format!("  verify:    {}", checks.join(", ")));
    }
    if let Some(r) = rollback {
        out.info(&format!("  rollback:  {}", show(r)));
    }
}

/// Confirmation: `--yes`; on a terminal, `y` (or the action id typed out, for risk high).
fn confirm(ctx: &Context, args: &ActionRequest, id: &str, risk: &str) -> Result<bool> {
    if args.yes {
        return Ok(true);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(format!("action {id} needs confirmation, and standard input is not a terminal"))
            .with_hint("confirm with --yes (or look first with --dry-run)"));
    }
    if risk == "high" {
        let answer = ctx.out.ask(&format!("This action is high risk. Type its id ({id}) to run it:"))?;
        Ok(answer.as_deref() == Some(id))
    } else if risk == "low" && args.low_risk_on_enter {
        let answer = ctx.out.ask("Run it? [Y/n]")?;
        Ok(matches!(answer.as_deref().map(str::to_ascii_lowercase).as_deref(), Some("" | "y" | "yes")))
    } else {
        let answer = ctx.out.ask("Run it? [y/N]")?;
        Ok(matches!(answer.as_deref().map(str::to_ascii_lowercase).as_deref(), Some("y" | "yes")))
    }
}

/// Runs one command, streaming its output; (ok, exit code, detail, duration).
fn run_step(
    argv: &[String],
    timeout: Duration,
    masker: &Masker,
    echo: super::Echo,
) -> (bool, Option<i32>, String, Duration) {
    let mut tail = String::new();
    let options = process::Options {
        timeout: Some(timeout),
        foreground: true,
        idle: Some(super::live::IDLE),
        ..Default::default()
    };
    let started = Instant::now();
    // Shown masked: a secret variable echoed by the command must not reach the screen (or a
    // screen share) either.
    let mut shown = super::live::LiveEcho::new(echo, masker, super::live::WhenPiped::Safe);
    let result = process::run(argv, &options, &mut |stream, bytes| {
        shown.feed(stream, bytes);
        tail.push_str(&String::from_utf8_lossy(bytes));
        if tail.len() > 4 * TAIL_CHARS {
            let cut = tail.len() - TAIL_CHARS;
            let cut = (cut..tail.len()).find(|i| tail.is_char_boundary(*i)).unwrap_or(tail.len());
            tail.drain(..cut);
        }
    });
    shown.finish();
    let tail = masker.mask(tail.trim());
    let tail: String = {
        let chars: Vec<char> = tail.chars().collect();
        chars[chars.len().saturating_sub(TAIL_CHARS)..].iter().collect()
    };
    match result {
        Ok(outcome) => {
            let ok = outcome.exit_code == Some(0) && !outcome.timed_out;
            let what = if outcome.timed_out {
                format!("timed out after {}, killed", crate::expr::show_duration(timeout))
            } else if let Some(code) = outcome.exit_code {
                format!("exit {code}")
            } else {
                format!("killed by signal {}", outcome.signal.unwrap_or(0))
            };
            let detail = if tail.is_empty() { what } else { format!("{what}; output: {tail}") };
            (ok, outcome.exit_code, detail, outcome.duration)
        }
        Err(e) => (false, None, format!("could not start: {}", e.message), started.elapsed()),
    }
}

/// Re-runs the named checks until none is critical or unknown, or `within` runs out.
fn verify_checks(
    ctx: &Context,
    runbook: &Runbook,
    vars: &Vars,
    names: &[String],
    within: Duration,
    interval: Duration,
    masker: Masker,
) -> Result<(bool, Vec<CheckRecord>)> {
    let engine = Engine::new(masker)?;
    let started = Instant::now();
    let mut round = 0;
    loop {
        round += 1;
        let checks =
            names.iter().filter_map(|n| runbook.check(n)).map(|spec| prepare_check(runbook, spec, vars)).collect();
        let left = within.saturating_sub(started.elapsed()).max(Duration::from_secs(1));
        let records = engine.run(checks, RunOptions { concurrency: 8, deadline: left }, &mut |_, _, _| {});
        let passed = records.iter().all(|r| matches!(r.status, CheckStatus::Ok | CheckStatus::Warning));
        let states = records.iter().map(|r| format!("{} {}", r.check, r.status)).collect::<Vec<_>>().join(", ");
        ctx.out.info(&format!("  verify round {round}: {states}"));
        if passed || started.elapsed() + interval >= within {
            return Ok((passed, records));
        }
        std::thread::sleep(interval);
    }
}
