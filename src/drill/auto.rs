//! The scripted responder of `incident drill --auto`: it walks the loop as a careful responder
//! would, first testing the tempting wrong hypothesis, through the same operations as a person.

use std::time::Duration;

use super::{Kind, Scenario, Service, get};
use crate::context::Context;
use crate::error::Result;
use crate::exec::shell_quote;
use crate::model::{Body, HypothesisState, Phase, Priority, Status};
use crate::ops::{self, Echo, RunOptions};
use crate::store::IncidentDir;

/// What differs between scenarios; the loop itself is the same.
struct Script {
    tempting: &'static str,
    tempting_why: &'static str,
    right: &'static str,
    right_why: &'static str,
    look_further: &'static str,
    orient_command: Vec<String>,
    verify_command: Vec<String>,
    verify_evidence: &'static str,
    fix: Vec<String>,
    summary: &'static str,
    followup: &'static str,
}

fn script(kind: Kind, service: &Service) -> Script {
    let dir = service.dir.display().to_string();
    match kind {
        Kind::BadDeploy => Script {
            tempting: "The primary database is down",
            tempting_why: "checkout fails on the payment path, which writes to the database",
            right: "The 13:58 v2 deploy (payment client 4.0) broke checkout",
            right_why: "the stack traces are in CardTokenizer, part of payment client 4.0, shipped at 13:58",
            look_further: "One step further away: every stack trace in the log is in CardTokenizer (payment client)",
            orient_command: vec!["cat".into(), format!("{dir}/releases/history")],
            verify_command: vec!["cat".into(), format!("{dir}/releases/current")],
            verify_evidence: "v2 is live, and every error is in the payment client it brought",
            fix: vec![
                "sh".into(),
                "-c".into(),
                format!("echo v1 > {}", shell_quote(&format!("{dir}/releases/current"))),
            ],
            summary: "The v2 deploy shipped payment client 4.0, which failed on every card payment; rolling back to v1 ended the errors.",
            followup: "Add a canary stage to checkout deploys that fails on payment errors",
        },
        Kind::ConfigNotReloaded => Script {
            tempting: "The database is down",
            tempting_why: "the errors are connection refusals from the database pool",
            right: "The move to db-new was configured but never loaded: checkout still uses db-old",
            right_why: "the config on disk names db-new, but the errors name db-old",
            look_further: "One step further away: the errors name db-old:5432, the config names db-new:5432",
            orient_command: vec!["cat".into(), format!("{dir}/config/upstream")],
            verify_command: vec!["grep".into(), "-c".into(), "db-old".into(), service.log().display().to_string()],
            verify_evidence: "the config names db-new, yet every failure in the log is a connection to db-old",
            fix: vec!["touch".into(), format!("{dir}/reload")],
            summary: "A move to a new database was configured but checkout was never reloaded, so it kept using the decommissioned one; a reload ended the errors.",
            followup: "Reload services automatically when their configuration changes, and alert when the loaded config differs from disk",
        },
    }
}

/// Plays the loop on `dir` against `service`.
pub fn play(ctx: &Context, dir: &IncidentDir, scenario: &Scenario, service: &Service) -> Result<()> {
    let s = script(scenario.kind, service);
    let see = |path: &str| match get(&service.url(path)) {
        Ok((status, body)) => format!("GET {path} answers {status}: {body}"),
        Err(e) => format!("GET {path} fails: {e}"),
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

    ops::enter_phase(ctx, dir, Phase::Observe)?;
    ops::record(ctx, dir, Body::Observation { text: see("/health") }, None)?;
    run(&["tail".into(), "-n".into(), "4".into(), service.log().display().to_string()], None, Phase::Observe)?;

    ops::enter_phase(ctx, dir, Phase::Orient)?;
    let changes = run(&s.orient_command, None, Phase::Orient)?;
    let tail = match &changes.event.body {
        Body::CommandFinished { tail, .. } => tail.replace('\n', "; "),
        _ => String::new(),
    };
    let answer = format!("What changed most recently? {tail}");
    ops::record(ctx, dir, Body::Observation { text: answer }, Some(Phase::Orient))?;
    let (wrong, _) = ops::add_hypothesis(ctx, dir, s.tempting.into(), None)?;
    let (right, _) = ops::add_hypothesis(ctx, dir, s.right.into(), None)?;

    ops::enter_phase(ctx, dir, Phase::Decide)?;
    ops::record(ctx, dir, Body::Decision { text: s.tempting_why.into(), hypothesis: Some(wrong.to_string()) }, None)?;
    ops::enter_phase(ctx, dir, Phase::Act)?;
    let db = see("/db");
    let loaded = ctx.load_dir(dir.clone())?;
    ops::verdict(ctx, &loaded, &wrong.to_string(), HypothesisState::Refuted, db)?;

    ops::enter_phase(ctx, dir, Phase::Observe)?;
    ops::record(ctx, dir, Body::Observation { text: s.look_further.into() }, None)?;
    ops::enter_phase(ctx, dir, Phase::Orient)?;
    ops::enter_phase(ctx, dir, Phase::Decide)?;
    ops::record(ctx, dir, Body::Decision { text: s.right_why.into(), hypothesis: Some(right.to_string()) }, None)?;
    ops::enter_phase(ctx, dir, Phase::Act)?;
    let verify = run(&s.verify_command, Some(&right.to_string()), Phase::Act)?;
    let shown = match &verify.event.body {
        Body::CommandFinished { tail, .. } => tail.replace('\n', "; "),
        _ => String::new(),
    };
    let loaded = ctx.load_dir(dir.clone())?;
    ops::verdict(
        ctx,
        &loaded,
        &right.to_string(),
        HypothesisState::Confirmed,
        format!("{} ({shown})", s.verify_evidence),
    )?;
    run(&s.fix, Some(&right.to_string()), Phase::Act)?;

    // Re-observe until the service answers (the fix takes effect on the next request).
    let mut after = see("/health");
    for _ in 0..20 {
        if after.contains(" 200:") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        after = see("/health");
    }
    ops::enter_phase(ctx, dir, Phase::Observe)?;
    ops::record(ctx, dir, Body::Observation { text: after.clone() }, None)?;
    if !after.contains(" 200:") {
        ops::record(
            ctx,
            dir,
            Body::Note { text: "The service has not recovered; the drill stops here.".into() },
            None,
        )?;
        return Ok(());
    }
    let loaded = ctx.load_dir(dir.clone())?;
    ops::set_status(ctx, &loaded, Status::Mitigated, Some("health check answers 200 again".into()))?;
    ops::record(
        ctx,
        dir,
        Body::Note { text: "went well: testing the tempting hypothesis first took one request".into() },
        None,
    )?;
    let due = (ctx.clock.now() + chrono::Duration::days(14)).date_naive();
    ops::add_followup(ctx, dir, s.followup.into(), ctx.author().to_string(), Some(due), Some(Priority::P1))?;
    let loaded = ctx.load_dir(dir.clone())?;
    ops::resolve(ctx, &loaded, Some(s.summary.into()))?;
    Ok(())
}
