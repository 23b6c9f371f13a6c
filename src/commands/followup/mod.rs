//! `incident followup add|list|done|export`: action items for after the incident.

mod export;

use chrono::NaiveDate;

use crate::cli::{FollowupAddArgs, FollowupCommand, FollowupDoneArgs};
use crate::context::{Context, required_text};
use crate::error::{Error, Result};
use crate::model::{Body, HANDLE_LEN, handle};
use crate::ops;
use crate::output::table;

pub fn run(ctx: &Context, command: &FollowupCommand) -> Result<u8> {
    match command {
        FollowupCommand::Add(args) => add(ctx, args),
        FollowupCommand::List => list(ctx),
        FollowupCommand::Done(args) => done(ctx, args),
        FollowupCommand::Export(args) => export::run(ctx, args),
    }
}

fn add(ctx: &Context, args: &FollowupAddArgs) -> Result<u8> {
    let text = required_text("the follow-up", &args.text)?;
    let owner = required_text("--owner", &args.owner)?;
    let due = args
        .due
        .as_deref()
        .map(|d| {
            NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
                Error::usage(format!("--due: {d:?} is not a date")).with_hint("use YYYY-MM-DD, e.g. --due 2026-12-01")
            })
        })
        .transpose()?;
    let tracker =
        args.tracker.as_deref().map(|t| crate::commands::postmortem::checked_url("--tracker", t)).transpose()?;
    let (dir, opened) = ctx.load_for_recording()?;
    let item =
        ops::NewFollowUp { text, owner, due, priority: args.priority, item_type: args.item_type.clone(), tracker };
    let (id, event) = ops::add_followup_item(ctx, &dir, item)?;
    if ctx.out.json {
        ctx.out.json_line(&event)?;
    } else {
        ctx.out.data(&format!("{id} {}", handle(&event.id, HANDLE_LEN)))?;
        ctx.report_recorded(&event, Some(opened))?;
    }
    Ok(0)
}

fn done(ctx: &Context, args: &FollowupDoneArgs) -> Result<u8> {
    let loaded = ctx.load()?;
    let followup = ops::existing_followup(&loaded.incident, &args.id)?;
    if followup.done {
        ctx.out.info(&format!("{} is already done; nothing recorded.", followup.id));
        return Ok(0);
    }
    let about = Some(followup.event.clone());
    let event = ops::record(ctx, &loaded.dir, Body::FollowUpDone { followup: followup.id.clone(), about }, None)?;
    ctx.report_recorded(&event, loaded.incident.clocks.opened)?;
    Ok(0)
}

fn list(ctx: &Context) -> Result<u8> {
    let loaded = ctx.load()?;
    let followups = &loaded.incident.followups;
    if ctx.out.json {
        ctx.out.json_value(followups)?;
        return Ok(0);
    }
    if followups.is_empty() {
        ctx.out.info(
            "No follow-ups yet. Add one with `incident followup add TEXT --owner NAME [--due DATE] [--priority P1]`.",
        );
        return Ok(0);
    }
    let mut t = table(&["ID", "Done", "Priority", "Owner", "Due", "Item"], ctx.out.stdout_is_terminal);
    for f in followups {
        let priority = f.priority.map(|p| p.as_str().to_ascii_uppercase()).unwrap_or_default();
        let due = f.due.map(|d| d.to_string()).unwrap_or_default();
        let id = format!("{} {}", f.id, f.handle);
        t.add_row(vec![id.as_str(), if f.done { "yes" } else { "no" }, &priority, &f.owner, &due, &f.text]);
    }
    ctx.out.data(&crate::output::render_table(&t))?;
    Ok(0)
}
