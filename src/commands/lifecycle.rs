//! The incident's lifecycle: status, severity, roles, impact, resolution.

use std::collections::BTreeMap;

use crate::cli::{ImpactArgs, ResolveArgs, RoleArgs, SeverityArgs, StatusArgs};
use crate::context::{Context, required_text};
use crate::error::{Error, Result};
use crate::model::{Body, Status};
use crate::ops;

pub fn status(ctx: &Context, args: &StatusArgs) -> Result<u8> {
    let note = args.note.as_deref().map(|n| required_text("--note", n)).transpose()?;
    let loaded = ctx.load()?;
    match ops::set_status(ctx, &loaded, args.status, note)? {
        Some(event) => ctx.report_recorded(&event, loaded.incident.clocks.opened)?,
        None => ctx.out.info(&format!("{} is already {}; nothing recorded.", loaded.dir.id, args.status)),
    }
    Ok(0)
}

pub fn severity(ctx: &Context, args: &SeverityArgs) -> Result<u8> {
    let loaded = ctx.load()?;
    let from = loaded.incident.severity;
    if from == args.severity {
        ctx.out.info(&format!("{} is already {from}; nothing recorded.", loaded.dir.id));
        return Ok(0);
    }
    let note = args.note.as_deref().map(|n| required_text("--note", n)).transpose()?;
    let event = ctx.new_event(Body::SeverityChanged { from, to: args.severity, note }, None);
    ctx.append(&loaded.dir, std::slice::from_ref(&event))?;
    ctx.report_recorded(&event, loaded.incident.clocks.opened)?;
    Ok(0)
}

pub fn role(ctx: &Context, args: &RoleArgs) -> Result<u8> {
    let role = required_text("ROLE", &args.role)?.to_lowercase();
    let name = required_text("NAME", &args.name)?;
    let (dir, opened) = ctx.load_for_recording()?;
    let event = ctx.new_event(Body::RoleAssigned { role, name }, None);
    ctx.append(&dir, std::slice::from_ref(&event))?;
    ctx.report_recorded(&event, Some(opened))?;
    Ok(0)
}

pub fn impact(ctx: &Context, args: &ImpactArgs) -> Result<u8> {
    let start = args.start.as_deref().map(|t| ctx.parse_time_arg("--start", t)).transpose()?;
    let end = args.end.as_deref().map(|t| ctx.parse_time_arg("--end", t)).transpose()?;
    let detected_at = args.detected_at.as_deref().map(|t| ctx.parse_time_arg("--detected-at", t)).transpose()?;
    let summary = args.summary.as_deref().map(|s| required_text("--summary", s)).transpose()?;
    let mut details = BTreeMap::new();
    for pair in &args.details {
        let Some((key, value)) = pair.split_once('=').filter(|(k, _)| !k.trim().is_empty()) else {
            return Err(Error::usage(format!("{pair:?} is not KEY=VALUE")).with_hint("for example: failed_orders=1200"));
        };
        details.insert(key.trim().to_string(), value.trim().to_string());
    }
    if start.is_none()
        && end.is_none()
        && detected_at.is_none()
        && args.users.is_none()
        && summary.is_none()
        && details.is_empty()
    {
        return Err(Error::usage("nothing to record")
            .with_hint("give at least one of --start, --end, --detected-at, --users, --summary or KEY=VALUE"));
    }
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        return Err(Error::usage("--end is before --start"));
    }
    let (dir, opened) = ctx.load_for_recording()?;
    let event =
        ctx.new_event(Body::ImpactRecorded { start, end, detected_at, users: args.users, summary, details }, None);
    ctx.append(&dir, std::slice::from_ref(&event))?;
    ctx.report_recorded(&event, Some(opened))?;
    Ok(0)
}

pub fn resolve(ctx: &Context, args: &ResolveArgs) -> Result<u8> {
    let summary = args.summary.as_deref().map(|s| required_text("--summary", s)).transpose()?;
    let loaded = ctx.load()?;
    let incident = &loaded.incident;
    if incident.status == Status::Resolved && summary.is_none() {
        ctx.out.info(&format!("{} is already resolved; nothing recorded.", incident.id));
        return Ok(0);
    }
    let event = ops::resolve(ctx, &loaded, summary)?;
    ctx.report_recorded(&event, incident.clocks.opened)?;
    if incident.clocks.impact_start.is_none() {
        ctx.out.info("Tip: `incident impact --start TIME --end TIME` gives the post-mortem its clocks.");
    }
    Ok(0)
}

/// `incident unify`: the incident was opened on two clones under one id; keep it as
/// one. Both openings' facts stay (the fold joins them); the clash is no longer reported.
pub fn merge_openings(ctx: &Context) -> Result<u8> {
    let loaded = ctx.load()?;
    let openings: Vec<String> = loaded.incident.opened_twice.iter().map(|o| o.event.clone()).collect();
    if openings.is_empty() {
        ctx.out.info(&format!("{} was opened once; nothing to merge.", loaded.incident.id));
        return Ok(0);
    }
    let event = crate::ops::record(ctx, &loaded.dir, crate::model::Body::OpeningsMerged { openings }, None)?;
    ctx.report_recorded(&event, loaded.incident.clocks.opened)?;
    Ok(0)
}
