//! `incident hypothesis add|confirm|refute|list`: the Orient half of the loop.

use crate::cli::{HypothesisAddArgs, HypothesisCommand, VerdictArgs};
use crate::context::{Context, required_text};
use std::collections::BTreeSet;

use crate::error::{Error, Result};
use crate::model::{Body, Event, HypothesisState};
use crate::ops;
use crate::output::{Style, table};
use crate::time;

pub fn run(ctx: &Context, command: &HypothesisCommand) -> Result<u8> {
    match command {
        HypothesisCommand::Add(args) => add(ctx, args),
        HypothesisCommand::Confirm(args) => verdict(ctx, args, HypothesisState::Confirmed),
        HypothesisCommand::Refute(args) => verdict(ctx, args, HypothesisState::Refuted),
        HypothesisCommand::List => list(ctx),
    }
}

fn add(ctx: &Context, args: &HypothesisAddArgs) -> Result<u8> {
    let text = required_text("the hypothesis", &args.text)?;
    let mut from_check = args.from_check.as_deref().map(|c| required_text("--from", c)).transpose()?;
    let mut on_event = None;
    let (dir, opened) = match args.on.as_deref() {
        Some(on) => {
            let loaded = ctx.load()?;
            match basis(&loaded.incident.id, &loaded.read.events, required_text("--on", on)?.as_str())? {
                Basis::Check(check) => from_check = Some(check),
                Basis::Event(id) => on_event = Some(id),
            }
            (loaded.dir, loaded.incident.clocks.opened.unwrap_or_default())
        }
        None => ctx.load_for_recording()?,
    };
    let (id, event) = ops::add_hypothesis_on(ctx, &dir, text, from_check, on_event)?;
    if ctx.out.json {
        ctx.out.json_line(&event)?;
    } else {
        ctx.out.data(&id.to_string())?;
        ctx.report_recorded(&event, Some(opened))?;
    }
    Ok(0)
}

enum Basis {
    Check(String),
    Event(String),
}

/// What `--on` names: a check recorded on this incident, else an event by its id or a prefix of
/// it that only one event has.
fn basis(incident: &str, events: &[Event], on: &str) -> Result<Basis> {
    let checks: BTreeSet<&str> = events
        .iter()
        .filter_map(|e| match &e.body {
            Body::CheckResult(record) => Some(record.check.as_str()),
            _ => None,
        })
        .collect();
    if checks.contains(on) {
        return Ok(Basis::Check(on.to_string()));
    }
    let wanted = on.to_ascii_uppercase();
    let matching: Vec<&Event> = events.iter().filter(|e| e.id.starts_with(&wanted)).collect();
    match matching.as_slice() {
        [one] => Ok(Basis::Event(one.id.clone())),
        [] => {
            let known = if checks.is_empty() {
                "no check has been recorded yet".to_string()
            } else {
                format!("checks recorded: {}", checks.into_iter().collect::<Vec<_>>().join(", "))
            };
            Err(Error::not_found(format!("--on {on}: no check or event by that name in {incident}"))
                .with_hint(format!("give an event id from `incident timeline --json`, or a check's name; {known}")))
        }
        many => {
            Err(Error::usage(format!("--on {on}: {} events have ids starting so; give more of the id", many.len())))
        }
    }
}

fn verdict(ctx: &Context, args: &VerdictArgs, verdict: HypothesisState) -> Result<u8> {
    let evidence = required_text("--evidence", &args.evidence)?;
    let loaded = ctx.load()?;
    let event = ops::verdict(ctx, &loaded, &args.id, verdict, evidence)?;
    ctx.report_recorded(&event, loaded.incident.clocks.opened)?;
    if verdict == HypothesisState::Refuted && !ctx.out.json {
        ctx.out.info(
            "Back to Observe: look one step further away (the dependencies, the network, what changed upstream).",
        );
    }
    Ok(0)
}

fn list(ctx: &Context) -> Result<u8> {
    let loaded = ctx.load()?;
    let hypotheses = &loaded.incident.hypotheses;
    if ctx.out.json {
        ctx.out.json_value(hypotheses)?;
        return Ok(0);
    }
    if hypotheses.is_empty() {
        ctx.out.info("No hypotheses yet. Raise one with `incident hypothesis add TEXT`.");
        return Ok(0);
    }
    let mut t =
        table(&["ID", "State", "Raised (UTC)", "By", "Hypothesis", "Latest evidence"], ctx.out.stdout_is_terminal);
    for h in hypotheses {
        let state = h.state.as_str();
        let evidence = h.evidence.last().map(|e| e.text.as_str()).unwrap_or("");
        t.add_row(vec![h.id.as_str(), state, &time::format_table_ts(&h.raised_at), &h.raised_by, &h.text, evidence]);
    }
    ctx.out.data(&crate::output::render_table(&t))?;
    for id in loaded.incident.clashing_hypotheses() {
        ctx.out.warn(&format!(
            "{id} was raised on two machines at once; `incident sync` gives the later one a new number"
        ));
    }
    let open = loaded.incident.open_hypotheses().count();
    if open > 0 {
        ctx.out.info(&ctx.out.paint_err(
            Style::Dim,
            &format!("{open} open: verify each, then `incident hypothesis confirm|refute ID --evidence TEXT`"),
        ));
    }
    Ok(0)
}
