//! `incident show`: the fold of the timeline, for people or (`--json`) for scripts.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::context::Context;
use crate::error::Result;
use crate::model::{HypothesisState, Incident, Status, UpdateDue};
use crate::output::{Output, Style};
use crate::time;

pub fn run(ctx: &Context) -> Result<u8> {
    let loaded = ctx.load()?;
    if ctx.out.json {
        ctx.out.json_value(&loaded.incident)?;
    } else {
        ctx.out.data(&render(&loaded.incident, &ctx.out, ctx.clock.now()))?;
    }
    Ok(0)
}

fn render(i: &Incident, out: &Output, now: DateTime<Utc>) -> String {
    let mut s = String::new();
    let status = match i.status {
        Status::Resolved => out.paint(Style::Green, i.status.as_str()),
        Status::Mitigated | Status::Monitoring => out.paint(Style::Yellow, i.status.as_str()),
        _ => out.paint(Style::Red, i.status.as_str()),
    };
    let drill = if i.drill { " [drill]" } else { "" };
    let _ = writeln!(s, "{}{drill}", out.paint(Style::Bold, &format!("{}  {}", i.id, i.title)));
    let _ = writeln!(s, "  severity   {}", i.severity);
    let _ = writeln!(s, "  status     {status}");
    if let Some(offer) = i.mitigation_offer.as_ref().filter(|_| !i.status.is_mitigated()) {
        let _ = writeln!(s, "  offer      {}", out.paint(Style::Yellow, offer));
    }
    if let Some(phase) = i.phase {
        let _ = writeln!(s, "  phase      {phase}");
    }
    if let Some(due) = i.update_due(now) {
        let style = if matches!(due, UpdateDue::Overdue { .. }) { Style::Red } else { Style::Dim };
        let _ = writeln!(s, "  updates    {}", out.paint(style, &due.to_string()));
    }
    for line in clashes(i) {
        let _ = writeln!(s, "  {}", out.paint(Style::Yellow, &format!("! {line}")));
    }
    if let Some(opened) = i.clocks.opened {
        let age = if i.is_open() { format!(" ({} ago)", time::format_duration(now - opened)) } else { String::new() };
        let _ = writeln!(s, "  opened     {} UTC{age}", time::format_table_ts(&opened));
    }
    if !i.services.is_empty() {
        let _ = writeln!(s, "  services   {}", i.services.join(", "));
    }
    if let Some(runbook) = &i.runbook {
        let _ = writeln!(s, "  runbook    {runbook}");
    }
    if !i.roles.is_empty() {
        let roles: Vec<String> = i.roles.iter().map(|(role, a)| format!("{role}: {}", a.name)).collect();
        let _ = writeln!(s, "  roles      {}", roles.join(", "));
    }
    let _ = writeln!(s, "  responders {}", i.responders.join(", "));

    let _ = writeln!(s, "\n{}", out.paint(Style::Bold, "Impact"));
    let c = &i.clocks;
    let mut any_impact = false;
    for (label, value) in [("started", c.impact_start), ("detected", c.detected), ("ended", c.impact_end)] {
        if let Some(t) = value {
            let _ = writeln!(s, "  {label:<10} {} UTC", time::format_table_ts(&t));
            any_impact |= label != "detected";
        }
    }
    if let Some(users) = i.impact.users {
        let _ = writeln!(s, "  users      {users}");
        any_impact = true;
    }
    for (key, value) in &i.impact.details {
        let _ = writeln!(s, "  {key:<10} {value}");
        any_impact = true;
    }
    if let Some(summary) = &i.impact.summary {
        let _ = writeln!(s, "  {summary}");
        any_impact = true;
    }
    if !any_impact {
        let _ = writeln!(s, "  not recorded yet: `incident impact --start TIME --users N --summary TEXT`");
    }

    let _ = writeln!(s, "\n{}", out.paint(Style::Bold, "Hypotheses"));
    if i.hypotheses.is_empty() {
        let _ = writeln!(s, "  none yet: `incident hypothesis add TEXT`");
    }
    for h in &i.hypotheses {
        let state = match h.state {
            HypothesisState::Open => out.paint(Style::Yellow, "open"),
            HypothesisState::Confirmed => out.paint(Style::Green, "confirmed"),
            HypothesisState::Refuted => out.paint(Style::Dim, "refuted"),
        };
        let _ = writeln!(s, "  {} {} [{state}] {}", h.id, out.paint(Style::Dim, &h.handle), h.text);
        for e in &h.evidence {
            let _ = writeln!(s, "      {} {} by {}: {}", e.verdict.as_str(), e.ts.format("%H:%M:%S"), e.author, e.text);
        }
    }

    if !i.followups.is_empty() {
        let _ = writeln!(s, "\n{}", out.paint(Style::Bold, "Follow-ups"));
        for f in &i.followups {
            let mark = if f.done { "x" } else { " " };
            let _ =
                writeln!(s, "  [{mark}] {} {} {} (owner {})", f.id, out.paint(Style::Dim, &f.handle), f.text, f.owner);
        }
    }
    if let Some(summary) = &i.summary {
        let _ = writeln!(s, "\n{}\n  {summary}", out.paint(Style::Bold, "Summary"));
    }
    let _ = write!(s, "\n{} events", i.events);
    s
}

/// What the team must settle, in a line each: an incident opened on two machines, status or
/// severity changed at once to different values. `show`, `timeline --verify` and `sync` say it.
pub fn clashes(i: &Incident) -> Vec<String> {
    let mut lines = Vec::new();
    for o in &i.opened_twice {
        let mut facts = vec![o.severity.to_string()];
        if let Some(commander) = &o.commander {
            facts.push(format!("commander {commander}"));
        }
        if !o.services.is_empty() {
            facts.push(format!("services {}", o.services.join(", ")));
        }
        lines.push(format!(
            "opened twice: also by {} at {} UTC as \"{}\" ({}); both kept: `incident unify` to keep them as one",
            o.author,
            time::format_table_ts(&o.ts),
            o.title,
            facts.join(", ")
        ));
    }
    for c in &i.conflicts {
        let changes: Vec<String> = c
            .changes
            .iter()
            .map(|ch| format!("{} -> {} at {} UTC", ch.author, ch.to, time::format_table_ts(&ch.ts)))
            .collect();
        lines.push(format!(
            "{} changed at once from {}: {}; the latest by time stands (check the clocks, set it again if wrong)",
            c.field,
            c.from,
            changes.join(", ")
        ));
    }
    lines
}
