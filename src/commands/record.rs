//! Recording the loop: observations, notes, decisions and hand-made actions.

use crate::cli::{DecideArgs, DecisionArgs, NoteArgs, TextArgs};
use crate::context::{Context, required_text};
use crate::error::Result;
use crate::model::{Body, Phase};
use crate::ops::{self, existing_hypothesis};

pub fn observe(ctx: &Context, args: &TextArgs) -> Result<u8> {
    let text = required_text("the observation", &args.text)?;
    record(ctx, Body::Observation { text }, None)
}

pub fn note(ctx: &Context, args: &NoteArgs) -> Result<u8> {
    let text = required_text("the note", &args.text)?;
    record(ctx, Body::Note { text }, args.phase)
}

pub fn decide(ctx: &Context, args: &DecisionArgs) -> Result<u8> {
    let text = required_text("the decision", &args.text)?;
    let why = args.why.as_deref().map(|w| required_text("--why", w)).transpose()?;
    record_about(ctx, args.hypothesis.as_deref(), |hypothesis| Body::Decision { text, hypothesis, why })
}

pub fn act(ctx: &Context, args: &DecideArgs) -> Result<u8> {
    let text = required_text("the action", &args.text)?;
    record_about(ctx, args.hypothesis.as_deref(), |hypothesis| Body::Action { text, hypothesis })
}

fn record(ctx: &Context, body: Body, phase: Option<Phase>) -> Result<u8> {
    let (dir, opened) = ctx.load_for_recording()?;
    let event = ops::record(ctx, &dir, body, phase)?;
    ctx.report_recorded(&event, Some(opened))?;
    Ok(0)
}

/// Records an event that may name a hypothesis, which must exist.
fn record_about(ctx: &Context, hypothesis: Option<&str>, body: impl FnOnce(Option<String>) -> Body) -> Result<u8> {
    let Some(hypothesis) = hypothesis else { return record(ctx, body(None), None) };
    let loaded = ctx.load()?;
    let hypothesis = existing_hypothesis(&loaded.incident, hypothesis)?.id.clone();
    let event = ops::record(ctx, &loaded.dir, body(Some(hypothesis)), None)?;
    ctx.report_recorded(&event, loaded.incident.clocks.opened)?;
    Ok(0)
}
