//! The incident's lifecycle: status, severity, roles, impact, resolution.

use std::collections::BTreeMap;

use crate::cli::{AckArgs, ImpactArgs, ResolveArgs, RoleArgs, SeverityArgs, StatusArgs};
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

pub fn ack(ctx: &Context, args: &AckArgs) -> Result<u8> {
    let note = args.note.as_deref().map(|n| required_text("--note", n)).transpose()?;
    let loaded = ctx.load()?;
    match ops::acknowledge(ctx, &loaded, note)? {
        Some(event) => ctx.report_recorded(&event, loaded.incident.clocks.opened)?,
        None => {
            let at = loaded.incident.clocks.acknowledged.map(|t| crate::time::format_table_ts(&t)).unwrap_or_default();
            ctx.out.info(&format!("{} was already acknowledged at {at} UTC; nothing recorded.", loaded.dir.id));
        }
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
    let lost = args.data_loss.as_deref().map(|s| required_text("--data-loss", s)).transpose()?;
    let recovery_point =
        args.recovery_point.as_deref().map(|t| ctx.parse_time_arg("--recovery-point", t)).transpose()?;
    let seconds = |flag: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|d| {
                crate::time::parse_duration(d).map(|d| d.as_secs()).map_err(|e| Error::usage(format!("{flag}: {e}")))
            })
            .transpose()
    };
    let (rpo_seconds, rto_seconds) = (seconds("--rpo", &args.rpo)?, seconds("--rto", &args.rto)?);
    let impact_given = start.is_some()
        || end.is_some()
        || detected_at.is_some()
        || args.users.is_some()
        || summary.is_some()
        || !details.is_empty();
    let data_loss_given = lost.is_some() || recovery_point.is_some() || rpo_seconds.is_some() || rto_seconds.is_some();
    if !impact_given && !data_loss_given {
        return Err(Error::usage("nothing to record").with_hint(
            "give at least one of --start, --end, --detected-at, --users, --summary, KEY=VALUE, --data-loss, --recovery-point, --rpo or --rto",
        ));
    }
    if let (Some(s), Some(e)) = (start, end)
        && e < s
    {
        return Err(Error::usage("--end is before --start"));
    }
    let (dir, opened) = ctx.load_for_recording()?;
    let mut events = Vec::new();
    if impact_given {
        events.push(
            ctx.new_event(Body::ImpactRecorded { start, end, detected_at, users: args.users, summary, details }, None),
        );
    }
    if data_loss_given {
        events.push(ctx.new_event(Body::DataLossRecorded { lost, recovery_point, rpo_seconds, rto_seconds }, None));
    }
    ctx.append(&dir, &events)?;
    for event in &events {
        ctx.report_recorded(event, Some(opened))?;
    }
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
