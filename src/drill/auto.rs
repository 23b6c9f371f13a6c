//! The scripted responder of `incident drill --auto`: it walks the loop as a careful responder
//! would, through the same operations as a person: the runbook's checks, the hypotheses they
//! suggest (testing the tempting wrong one first), the runbook's action with its verification.

use std::time::Duration;

use super::{Kind, Scenario, Service};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{Body, CheckStatus, HypothesisState, Phase, Priority, Status};
use crate::ops::{self, ActionRequest, Echo, RunOptions};
use crate::probe;
use crate::runbook::{Catalog, Runbook, Vars};
use crate::store::IncidentDir;

/// What differs between scenarios; the loop itself is the same.
struct Script {
    tempting_why: &'static str,
    right_why: String,
    look_further: &'static str,
    orient_command: Vec<String>,
    verify_command: Vec<String>,
    verify_evidence: &'static str,
    summary: &'static str,
    followup: &'static str,
}

fn script(kind: Kind, service: &Service, started: chrono::DateTime<chrono::Utc>) -> Script {
    let dir = service.dir.display().to_string();
    match kind {
        Kind::BadDeploy => Script {
            tempting_why: "checkout fails on the payment path, which writes to the database",
            right_why: format!(
                "the stack traces are in CardTokenizer, part of payment client 4.0, shipped at {}",
                super::v2_deployed_at(started)
            ),
            look_further: "One step further away: every stack trace in the log is in CardTokenizer (payment client)",
            orient_command: vec!["cat".into(), format!("{dir}/releases/history")],
            verify_command: vec!["cat".into(), format!("{dir}/releases/current")],
            verify_evidence: "v2 is live, and every error is in the payment client it brought",
            summary: "The v2 deploy shipped payment client 4.0, which failed on every card payment; rolling back to v1 ended the errors.",
            followup: "Add a canary stage to checkout deploys that fails on payment errors",
        },
        Kind::ConfigNotReloaded => Script {
            tempting_why: "the errors are connection refusals from the database pool",
            right_why: "the config on disk names db-new, but the errors name db-old".into(),
            look_further: "One step further away: the errors name db-old:5432, the config names db-new:5432",
            orient_command: vec!["cat".into(), format!("{dir}/config/upstream")],
            verify_command: vec!["grep".into(), "-c".into(), "db-old".into(), service.log().display().to_string()],
            verify_evidence: "the config names db-new, yet every failure in the log is a connection to db-old",
            summary: "A move to a new database was configured but checkout was never reloaded, so it kept using the decommissioned one; a reload ended the errors.",
            followup: "Reload services automatically when their configuration changes, and alert when the loaded config differs from disk",
        },
        Kind::RetryStorm => Script {
            tempting_why: "every failure is a timeout calling inventory",
            right_why: "inventory answers on its own; the log shows each request retried at once, three times".into(),
            look_further: "One step further away: inventory is up but slow, and each checkout request calls it three times at once",
            orient_command: vec!["cat".into(), format!("{dir}/config/retry_policy")],
            verify_command: vec!["grep".into(), "-c".into(), "no backoff".into(), service.log().display().to_string()],
            verify_evidence: "the policy is immediate, and every timeout in the log was retried at once",
            summary: "Inventory slowed down, and checkout's clients retried every failed call at once with no backoff, multiplying its load until checkout's circuit breaker opened; retrying with exponential backoff and jitter let inventory recover.",
            followup: "Give every client of inventory exponential backoff with jitter and a retry budget",
        },
    }
}

/// Plays the loop on `dir` against `service`.
pub fn play(ctx: &Context, dir: &IncidentDir, scenario: &Scenario, service: &Service) -> Result<()> {
    let opened = ctx.load_dir(dir.clone())?.incident.clocks.opened.unwrap_or_else(|| ctx.clock.now());
    let s = script(scenario.kind, service, opened);
    // The responder's pace, simulated: minutes between steps, as in a real incident.
    let pause = |minutes: i64| ctx.clock.advance(chrono::Duration::minutes(minutes));
    let runbook = Catalog::new(None)?.load(scenario.runbook)?;
    let incident = ctx.load_dir(dir.clone())?.incident;
    let overrides = ops::runbook_overrides(Some(&incident), &runbook, &[])?;
    let vars = Vars::resolve(&runbook, &overrides, &|n| std::env::var(n).ok())?;
    let checks = |only: &[&str]| {
        let loaded = ctx.load_dir(dir.clone())?;
        let only: Vec<String> = only.iter().map(|o| o.to_string()).collect();
        let options = probe::RunOptions { concurrency: 4, deadline: Duration::from_secs(30) };
        ops::run_checks(ctx, Some(&loaded), &runbook, &vars, &only, options)
    };
    let run = |argv: &[String], hypothesis: Option<&str>, phase: Phase| {
        let options = RunOptions {
            timeout: Some(Duration::from_secs(10)),
            hypothesis: hypothesis.map(String::from),
            phase: Some(phase),
            echo: Echo::Stderr,
            ..RunOptions::default()
        };
        ops::run_command(ctx, dir, argv, &options)
    };

    // What the walk's Decide records: the hypothesis to test first, and why.
    let decide = |id: &crate::model::ItemId, why: &str| {
        let loaded = ctx.load_dir(dir.clone())?;
        let hypothesis = ops::existing_hypothesis(&loaded.incident, &id.to_string())?;
        let body = Body::Decision {
            text: ops::test_first(hypothesis),
            hypothesis: Some(hypothesis.id.clone()),
            why: Some(why.into()),
        };
        ops::record(ctx, dir, body, None)
    };

    // Observe: the runbook's checks, and the log itself.
    pause(3);
    // Customers felt it from the change on, a few minutes before the alarm that opened it.
    let impact = |start, end, detected_at| Body::ImpactRecorded {
        start,
        end,
        detected_at,
        users: None,
        summary: None,
        details: Default::default(),
    };
    let began = opened - chrono::Duration::minutes(7);
    ops::record(ctx, dir, impact(Some(began), None, Some(opened)), None)?;
    ops::enter_phase(ctx, dir, Phase::Observe)?;
    let observed = checks(&[])?;
    run(&["tail".into(), "-n".into(), "4".into(), service.log().display().to_string()], None, Phase::Observe)?;

    pause(4);
    // Orient: what changed, and what the checks suggest, the tempting explanation first.
    ops::enter_phase(ctx, dir, Phase::Orient)?;
    let changes = run(&s.orient_command, None, Phase::Orient)?;
    let answer = format!("What changed most recently? {}", tail_of(&changes.event.body));
    ops::record(ctx, dir, Body::Observation { text: answer }, Some(Phase::Orient))?;
    let [tempting, right] = suggested(&runbook, &observed.suggestions)?;
    let (wrong, _) = ops::add_hypothesis(ctx, dir, tempting, Some("health".into()))?;
    let (right, _) = ops::add_hypothesis(ctx, dir, right, Some("database".into()))?;

    pause(2);
    ops::enter_phase(ctx, dir, Phase::Decide)?;
    decide(&wrong, s.tempting_why)?;
    pause(3);
    ops::enter_phase(ctx, dir, Phase::Act)?;
    let database = checks(&["database"])?;
    let evidence = match database.records.first() {
        Some(r) if r.status == CheckStatus::Ok => format!("the database check passes: {}", r.summary),
        Some(r) => return Err(Error::runtime(format!("the drill's database check failed: {}", r.summary))),
        None => return Err(Error::runtime("the drill's database check did not run")),
    };
    let loaded = ctx.load_dir(dir.clone())?;
    ops::verdict(ctx, &loaded, &wrong.to_string(), HypothesisState::Refuted, evidence)?;

    pause(5);
    ops::enter_phase(ctx, dir, Phase::Observe)?;
    ops::record(ctx, dir, Body::Observation { text: s.look_further.into() }, None)?;
    pause(3);
    ops::enter_phase(ctx, dir, Phase::Orient)?;
    ops::enter_phase(ctx, dir, Phase::Decide)?;
    decide(&right, &s.right_why)?;
    pause(4);
    ops::enter_phase(ctx, dir, Phase::Act)?;
    let verify = run(&s.verify_command, Some(&right.to_string()), Phase::Act)?;
    let loaded = ctx.load_dir(dir.clone())?;
    let evidence = format!("{} ({})", s.verify_evidence, tail_of(&verify.event.body));
    ops::verdict(ctx, &loaded, &right.to_string(), HypothesisState::Confirmed, evidence)?;

    // The runbook's action: preview, run, verify (rollback if it does not verify).
    let request = ActionRequest {
        action: scenario.fix.to_string(),
        runbook: Some(scenario.runbook.to_string()),
        yes: true,
        echo: Echo::Stderr,
        ..ActionRequest::default()
    };
    pause(6);
    let fixed = ops::run_action(ctx, &request);

    ops::enter_phase(ctx, dir, Phase::Observe)?;
    let after = checks(&["health"])?;
    let healthy = after.records.first().is_some_and(|r| r.status == CheckStatus::Ok);
    if fixed.is_err() || !healthy {
        let text = "The service has not recovered; the drill stops here.".to_string();
        ops::record(ctx, dir, Body::Note { text }, None)?;
        return fixed.map(drop);
    }
    ops::record(ctx, dir, impact(None, Some(ctx.clock.now()), None), None)?;
    let loaded = ctx.load_dir(dir.clone())?;
    ops::set_status(ctx, &loaded, Status::Mitigated, Some("the health check passes again".into()))?;
    pause(5);
    let note = "went well: testing the tempting hypothesis first took one check".to_string();
    ops::record(ctx, dir, Body::Note { text: note }, None)?;
    let due = (ctx.clock.now() + chrono::Duration::days(14)).date_naive();
    ops::add_followup(ctx, dir, s.followup.into(), ctx.author().to_string(), Some(due), Some(Priority::P1))?;
    pause(12);
    let loaded = ctx.load_dir(dir.clone())?;
    ops::resolve(ctx, &loaded, Some(s.summary.into()))?;
    Ok(())
}

/// The two hypotheses the drill's runbook suggests when the service fails: the tempting one
/// (its rule is listed first) and the right one.
fn suggested(runbook: &Runbook, suggestions: &[crate::runbook::Suggestion]) -> Result<[String; 2]> {
    let titles: Vec<String> = runbook
        .file
        .orient
        .hypotheses
        .iter()
        .filter(|h| suggestions.iter().any(|s| s.id == h.id.value))
        .map(|h| h.title.clone())
        .collect();
    match titles.as_slice() {
        [tempting, right, ..] => Ok([tempting.clone(), right.clone()]),
        _ => Err(Error::runtime(format!(
            "the drill's checks did not suggest its hypotheses (got {}); is the drill service up?",
            titles.len()
        ))),
    }
}

fn tail_of(body: &Body) -> String {
    match body {
        Body::CommandFinished { tail, .. } => tail.replace('\n', "; "),
        _ => String::new(),
    }
}
