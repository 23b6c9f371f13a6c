//! The runbook a walk follows: its checks in Observe (and again to see recovery), the
//! hypotheses its rules suggest in Orient, its questions, and its actions in Act.

use std::time::Duration;

use super::Prompter;
use crate::context::Context;
use crate::error::Result;
use crate::model::{CheckRecord, CheckStatus, Hypothesis, Incident};
use crate::ops::{self, ActionRequest};
use crate::probe::RunOptions;
use crate::runbook::{Catalog, Runbook, Suggestion, Vars};
use crate::store::IncidentDir;

/// How long a walk waits for a runbook's checks before showing what it has.
const CHECKS_DEADLINE: Duration = Duration::from_secs(120);

/// How much longer than the hold asked for a walk watches checks that never hold, before it
/// goes back to its question with the worst state.
const WATCH_BEYOND_HOLD: Duration = Duration::from_secs(600);

pub struct Guide {
    pub runbook: Runbook,
    vars: Vars,
    /// `KEY=VALUE` answers given in this walk (recorded too), passed on to actions.
    asked: Vec<String>,
    /// When the latest action took effect: from then on log checks count only what came after.
    acted: std::cell::Cell<Option<std::time::Instant>>,
}

impl Guide {
    /// The incident's runbook with its variables resolved, asking for required ones that have
    /// no value. `None` (with a warning) when there is no runbook or it cannot be used.
    pub fn load(ctx: &Context, p: &Prompter, incident: &Incident, dir: &IncidentDir) -> Result<Option<Guide>> {
        let Some(name) = &incident.runbook else { return Ok(None) };
        let runbook = match Catalog::new(None).and_then(|c| c.load(name)) {
            Ok(r) => r,
            Err(e) => {
                ctx.out.warn(&format!("runbook {name}: {e}; walking without it"));
                return Ok(None);
            }
        };
        let env = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        // The required variables nobody gave a value: asked like `open` asks, checked, and
        // recorded (optional ones without a value only turn their checks off).
        let missing = |var: &str| {
            runbook.file.vars.get(var).is_some_and(|spec| {
                let spec = &spec.value;
                spec.required
                    && !incident.runbook_vars.contains_key(var)
                    && spec.from_env.as_deref().and_then(env).is_none()
                    && spec.default.is_none()
            })
        };
        let mut typed = std::collections::BTreeMap::new();
        super::ask_vars(ctx, p, &runbook, &mut typed, &std::collections::BTreeMap::new(), missing)?;
        if !typed.is_empty() {
            ops::set_vars(ctx, dir, typed.clone(), "typed")?;
        }
        let asked: Vec<String> = typed.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let overrides = ops::runbook_overrides(Some(incident), &runbook, &asked)?;
        match Vars::resolve(&runbook, &overrides, &|n| env(n)) {
            Ok(vars) => Ok(Some(Guide { runbook, vars, asked, acted: std::cell::Cell::new(None) })),
            Err(e) => {
                ctx.out.warn(&format!("runbook {name}: {e}; walking without it"));
                Ok(None)
            }
        }
    }

    /// Runs the checks, records them, shows them failures first; returns what they suggest.
    pub fn observe(&self, ctx: &Context, dir: &IncidentDir) -> Result<(Vec<CheckRecord>, Vec<Suggestion>)> {
        ctx.out.info(&format!("Running the {} runbook's checks...", self.runbook.name));
        let loaded = ctx.load_dir(dir.clone())?;
        let concurrency = self.runbook.file.defaults.concurrency.unwrap_or(8);
        let options = RunOptions { concurrency, deadline: CHECKS_DEADLINE };
        let window = self.acted.get().map(|at| at.elapsed());
        if let Some(window) = window {
            let seconds = window.as_secs_f64();
            ctx.out.info(&format!("Log checks count from the action on (the last {seconds:.1}s)."));
        }
        let run = ops::run_checks_within(ctx, Some(&loaded), &self.runbook, &self.vars, &[], window, options)?;
        let mut sorted: Vec<&CheckRecord> = run.records.iter().collect();
        sorted.sort_by_key(|r| r.status.urgency());
        for r in sorted {
            let what = if r.summary.is_empty() { r.reason.as_str() } else { r.summary.as_str() };
            ctx.out.info(&format!("  {} {}: {what}", ctx.out.status_mark(r.status, true), r.check));
        }
        Ok((run.records, run.suggestions))
    }

    /// "Watch longer": the checks again and again, with the same watcher and live table as
    /// `incident check --watch`, until all have passed for `hold` (only changes of state are
    /// recorded; log checks count from the latest action). Ctrl-C ends the watch, not the walk.
    pub fn watch(&self, ctx: &Context, dir: &IncidentDir, hold: Duration) -> Result<ops::WatchEnd> {
        let loaded = ctx.load_dir(dir.clone())?;
        let concurrency = self.runbook.file.defaults.concurrency.unwrap_or(8);
        let since_action =
            |at: std::time::Instant| chrono::Utc::now() - chrono::Duration::from_std(at.elapsed()).unwrap_or_default();
        // The states recorded just before the question, latest per check of this runbook.
        let mut known: Vec<CheckRecord> = Vec::new();
        for event in loaded.read.events.iter().rev() {
            if let crate::model::Body::CheckResult(r) = &event.body
                && !known.iter().any(|k| k.check == r.check)
                && self.runbook.file.observe.iter().any(|c| c.id.value == r.check)
            {
                known.push(r.clone());
            }
        }
        known.reverse();
        let options = ops::WatchOptions {
            interval: (hold / 3).clamp(Duration::from_secs(1), Duration::from_secs(10)),
            until_ok: hold,
            run: RunOptions { concurrency, deadline: CHECKS_DEADLINE },
            give_up_after: Some(hold + WATCH_BEYOND_HOLD),
            logs_since: self.acted.get().map(since_action),
            known: &known,
        };
        ctx.out.info(&format!("Watching until every check has passed for {}.", crate::expr::show_duration(hold)));
        let stop = crate::signals::StopOnInterrupt::begin();
        let mut display = ops::WatchDisplay::new(ctx, &options, "Ctrl-C goes back to the question");
        let end = ops::watch_checks(
            ctx,
            Some(&loaded),
            &self.runbook,
            &self.vars,
            &[],
            options,
            &mut |round| display.show(ctx, round),
            &|| stop.asked(),
        );
        display.end(ctx)?;
        end
    }

    /// Whether one of the runbook's rules suggests a hypothesis titled `title`.
    pub fn suggests(&self, title: &str) -> bool {
        self.runbook.file.orient.hypotheses.iter().any(|h| h.title == title)
    }

    /// The runbook's own Orient questions.
    pub fn questions(&self) -> Vec<String> {
        self.runbook.file.orient.questions.clone()
    }

    /// The checks a suggestion's rule reads, with what they found: its evidence.
    pub fn evidence(&self, suggestion: &Suggestion, records: &[CheckRecord]) -> Vec<String> {
        let when = self
            .runbook
            .file
            .orient
            .hypotheses
            .iter()
            .find(|h| h.id.value == suggestion.id)
            .and_then(|h| h.when.as_ref())
            .map(|w| w.value.clone())
            .unwrap_or_default();
        records
            .iter()
            .filter(|r| {
                when.contains(&format!("checks.{}.", r.check)) || when.contains(&format!("checks['{}']", r.check))
            })
            .map(|r| format!("{} {}: {}", r.check, r.status.as_str().to_uppercase(), r.summary))
            .collect()
    }

    /// How many of the checks behind a suggestion failed: its rank.
    pub fn failing_evidence(&self, suggestion: &Suggestion, records: &[CheckRecord]) -> usize {
        let failing: Vec<&str> =
            records.iter().filter(|r| r.status != CheckStatus::Ok).map(|r| r.check.as_str()).collect();
        self.evidence(suggestion, records)
            .iter()
            .filter(|e| e.split_whitespace().next().is_some_and(|c| failing.contains(&c)))
            .count()
    }

    /// The actions worth offering for a hypothesis: those answering the rule it came from first.
    pub fn actions_for(&self, hypothesis: &Hypothesis) -> Vec<(String, String)> {
        let rule =
            self.runbook.file.orient.hypotheses.iter().find(|h| h.title == hypothesis.text).map(|h| h.id.value.clone());
        let mut actions: Vec<(bool, String, String)> = self
            .runbook
            .file
            .act
            .iter()
            .map(|a| {
                let answers = rule.as_ref().is_some_and(|r| a.requires.iter().any(|q| &q.value == r));
                let risk = a.risk.as_ref().map_or("low", |r| r.value.as_str());
                (answers, a.id.value.clone(), format!("{} (runbook action {}, risk {risk})", a.title, a.id.value))
            })
            .collect();
        actions.sort_by_key(|(answers, _, _)| !answers);
        actions.into_iter().map(|(_, id, label)| (id, label)).collect()
    }

    /// Marks the moment an action took effect (a runbook's, once verified; one done by hand).
    pub fn acting(&self) {
        self.acted_at(std::time::Instant::now());
    }

    /// Marks when an action began (a command, once it ran).
    pub fn acted_at(&self, at: std::time::Instant) {
        self.acted.set(Some(at));
    }

    /// Runs a runbook action: preview, confirm, run, verify, roll back, each step recorded.
    /// Once it has run and verified, log checks count from then on (not from the preview: the
    /// errors logged while the responder read it are from before the fix).
    pub fn act(&self, ctx: &Context, action: &str) -> Result<u8> {
        let request = ActionRequest {
            action: action.to_string(),
            runbook: Some(self.runbook.name.clone()),
            vars: self.asked.clone(),
            echo: ops::Echo::Stderr,
            low_risk_on_enter: true,
            ..ActionRequest::default()
        };
        let outcome = ops::run_action(ctx, &request);
        if matches!(outcome, Ok(0)) {
            self.acting();
        }
        outcome
    }
}
