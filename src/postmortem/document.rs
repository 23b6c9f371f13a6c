//! The post-mortem as data: every section the templates render, each traced to its events.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::clocks::{self, Reading};
use crate::model::{Body, Event, HypothesisState, Incident, Phase, Status};
use crate::time;

/// What a template sees. Times are strings already formatted (UTC), so templates stay simple
/// and output is deterministic.
#[derive(Debug, Serialize)]
pub struct Document {
    pub id: String,
    pub title: String,
    pub severity: String,
    pub status: String,
    pub drill: bool,
    /// The opening date, `2026-11-22`.
    pub date: String,
    pub services: Vec<String>,
    pub runbook: Option<String>,
    pub authors: Vec<String>,
    pub roles: Vec<RoleLine>,
    pub summary: Option<String>,
    pub impact: ImpactSection,
    pub clocks: Vec<Reading>,
    pub timeline: Vec<Row>,
    pub gantt: Gantt,
    pub hypotheses: Vec<HypothesisLine>,
    pub detection: Detection,
    pub decisions: Vec<Row>,
    pub actions: Vec<Row>,
    pub commands: Vec<CommandLine>,
    pub contributing_factors: Vec<String>,
    pub went_well: Vec<Row>,
    pub went_poorly: Vec<Row>,
    pub lucky: Vec<Row>,
    pub action_items: Vec<ActionItem>,
    pub appendix: Appendix,
    /// When this draft was generated (UTC).
    pub generated: String,
}

#[derive(Debug, Serialize)]
pub struct RoleLine {
    pub role: String,
    pub name: String,
}

#[derive(Debug, Serialize)]
pub struct ImpactSection {
    pub start: Option<String>,
    pub end: Option<String>,
    pub detected: Option<String>,
    pub users: Option<u64>,
    pub summary: Option<String>,
    pub details: Vec<RoleLine>,
    pub recorded: bool,
}

/// One line of the timeline table (and of the lists drawn from it).
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `2026-11-22 14:05:03`
    pub time: String,
    /// `+00:12:03` since the incident was opened.
    pub offset: String,
    pub phase: String,
    pub author: String,
    pub kind: String,
    pub what: String,
    pub evidence: String,
    /// Status changes and the clocks' ends: shown in bold.
    pub milestone: bool,
}

#[derive(Debug, Serialize)]
pub struct Gantt {
    pub impact: Option<Span>,
    pub phases: Vec<Span>,
    pub milestones: Vec<Span>,
}

/// A bar (or, for milestones, a point) on the Mermaid chart; times as `2026-11-22T14:05:03`.
#[derive(Debug, Serialize)]
pub struct Span {
    pub name: String,
    pub start: String,
    pub end: String,
    /// Whole minutes, at least 1, for Mermaid's duration form.
    pub minutes: i64,
}

#[derive(Debug, Serialize)]
pub struct HypothesisLine {
    pub id: String,
    pub text: String,
    pub state: String,
    pub raised_at: String,
    pub raised_offset: String,
    pub raised_by: String,
    /// What it was raised on: the check that suggested it, else the observation just before it.
    pub basis: Option<String>,
    pub verdicts: Vec<VerdictLine>,
}

#[derive(Debug, Serialize)]
pub struct VerdictLine {
    pub state: String,
    pub at: String,
    pub offset: String,
    pub author: String,
    pub text: String,
}

#[derive(Debug, Serialize)]
pub struct Detection {
    pub detected: Option<String>,
    pub opened: String,
    pub opened_by: String,
    pub first_observation: Option<Row>,
    pub time_to_detect: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommandLine {
    pub time: String,
    pub offset: String,
    pub author: String,
    pub command: String,
    pub outcome: String,
    pub duration: String,
    pub artifact: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ActionItem {
    pub id: String,
    pub text: String,
    pub owner: String,
    pub priority: String,
    pub due: String,
    pub status: String,
}

#[derive(Debug, Serialize)]
pub struct Appendix {
    pub checks: Vec<Row>,
    pub log_searches: Vec<Row>,
    pub commands: Vec<CommandLine>,
    pub artifacts: Vec<ArtifactLine>,
}

#[derive(Debug, Serialize)]
pub struct ArtifactLine {
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
    pub time: String,
}

/// Builds the document from the fold and the events it was folded from.
pub fn build(incident: &Incident, events: &[Event], now: DateTime<Utc>) -> Document {
    let opened = incident.clocks.opened.unwrap_or(now);
    let mut ordered: Vec<&Event> = events.iter().collect();
    ordered.sort_by_key(|e| e.ts);
    let row = |e: &Event| to_row(e, opened, incident);

    // Phase markers draw the Gantt chart; in the table they would only repeat the Phase column.
    let timeline: Vec<Row> =
        ordered.iter().filter(|e| !matches!(e.body, Body::PhaseEntered { .. })).map(|e| row(e)).collect();
    let of_kind = |kinds: &[&str]| -> Vec<Row> {
        ordered.iter().filter(|e| kinds.contains(&e.body.kind())).map(|e| row(e)).collect()
    };
    let notes_tagged = |tag: &str| -> Vec<Row> {
        ordered
            .iter()
            .filter_map(|e| match &e.body {
                Body::Note { text } => strip_tag(text, tag).map(|rest| Row { what: rest.to_string(), ..row(e) }),
                _ => None,
            })
            .collect()
    };

    let commands: Vec<CommandLine> = ordered.iter().filter_map(|e| to_command(e, opened)).collect();
    let artifacts = ordered
        .iter()
        .filter_map(|e| match &e.body {
            Body::CommandFinished { artifact: Some(a), .. } => Some(ArtifactLine {
                path: a.path.clone(),
                sha256: a.sha256.clone(),
                bytes: a.bytes,
                time: time::format_table_ts(&e.ts),
            }),
            _ => None,
        })
        .collect();

    let readings = clocks::read_all(incident);
    let time_to_detect =
        readings.iter().find(|r| r.key == "time_to_detect").filter(|r| r.seconds.is_some()).map(|r| r.value.clone());
    let first_observation = ordered.iter().find(|e| e.phase == Some(Phase::Observe)).map(|e| row(e));
    let opened_by = events.first().map(|e| e.author.clone()).unwrap_or_default();

    Document {
        id: incident.id.clone(),
        title: incident.title.clone(),
        severity: incident.severity.to_string(),
        status: if incident.status == Status::Resolved {
            "Draft (incident resolved)".into()
        } else {
            format!("Draft (incident {})", incident.status)
        },
        drill: incident.drill,
        date: opened.format("%Y-%m-%d").to_string(),
        services: incident.services.clone(),
        runbook: incident.runbook.clone(),
        authors: incident.responders.clone(),
        roles: incident.roles.iter().map(|(role, a)| RoleLine { role: role.clone(), name: a.name.clone() }).collect(),
        summary: incident.summary.clone(),
        impact: ImpactSection {
            start: incident.clocks.impact_start.map(|t| time::format_table_ts(&t)),
            end: incident.clocks.impact_end.map(|t| time::format_table_ts(&t)),
            detected: incident.clocks.detected.map(|t| time::format_table_ts(&t)),
            users: incident.impact.users,
            summary: incident.impact.summary.clone(),
            details: incident
                .impact
                .details
                .iter()
                .map(|(k, v)| RoleLine { role: k.clone(), name: v.clone() })
                .collect(),
            recorded: incident.clocks.impact_start.is_some()
                || incident.impact.users.is_some()
                || incident.impact.summary.is_some()
                || !incident.impact.details.is_empty(),
        },
        clocks: readings,
        gantt: gantt(incident, &ordered),
        hypotheses: hypotheses(incident, &ordered, opened),
        detection: Detection {
            detected: incident.clocks.detected.map(|t| time::format_table_ts(&t)),
            opened: time::format_table_ts(&opened),
            opened_by,
            first_observation,
            time_to_detect,
        },
        decisions: of_kind(&["decision"]),
        actions: ordered.iter().filter(|e| is_response_action(e)).map(|e| row(e)).collect(),
        contributing_factors: incident
            .hypotheses
            .iter()
            .filter(|h| h.state == HypothesisState::Confirmed)
            .map(|h| h.text.clone())
            .collect(),
        went_well: notes_tagged("went well"),
        went_poorly: notes_tagged("went poorly"),
        lucky: notes_tagged("lucky"),
        action_items: incident
            .followups
            .iter()
            .map(|f| ActionItem {
                id: f.id.clone(),
                text: f.text.clone(),
                owner: f.owner.clone(),
                priority: f.priority.map(|p| p.as_str().to_ascii_uppercase()).unwrap_or_default(),
                due: f.due.map(|d| d.to_string()).unwrap_or_default(),
                status: if f.done { "done".into() } else { "open".into() },
            })
            .collect(),
        appendix: Appendix {
            checks: of_kind(&["check.result"]),
            log_searches: of_kind(&["log.search"]),
            commands: commands.clone(),
            artifacts,
        },
        commands,
        timeline,
        generated: time::format_table_ts(&now),
    }
}

/// A note written `went well: ...` (or `went poorly:`, `lucky:`) feeds that section.
fn strip_tag<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    let head = text.get(..tag.len())?;
    let rest = text[tag.len()..].trim_start();
    (head.eq_ignore_ascii_case(tag) && rest.starts_with(':')).then(|| rest[1..].trim())
}

fn to_row(e: &Event, opened: DateTime<Utc>, incident: &Incident) -> Row {
    let evidence = match &e.body {
        Body::CommandFinished { artifact: Some(a), .. } => a.path.clone(),
        Body::HypothesisAdded { from_check: Some(check), .. } => format!("check {check}"),
        _ => String::new(),
    };
    let milestone = matches!(e.body, Body::Opened { .. } | Body::StatusChanged { .. } | Body::Resolved { .. })
        || Some(e.ts) == incident.clocks.mitigated && matches!(e.body, Body::StatusChanged { .. });
    Row {
        time: time::format_table_ts(&e.ts),
        offset: time::format_offset(e.ts - opened),
        phase: e.phase.map(|p| p.to_string()).unwrap_or_default(),
        author: e.author.clone(),
        kind: e.body.kind().to_string(),
        what: e.body.describe(),
        evidence,
        milestone,
    }
}

/// What Response lists as done: actions by hand, and the steps of runbook actions that changed
/// or checked something (a preview or a confirmation changes nothing).
fn is_response_action(e: &Event) -> bool {
    match &e.body {
        Body::Action { .. } => true,
        Body::RunbookStep { step, ok, .. } => !*ok || !matches!(step.as_str(), "preview" | "dry_run" | "confirmed"),
        _ => false,
    }
}

/// A command a responder ran: through `incident run`, or as a step of a runbook action.
fn to_command(e: &Event, opened: DateTime<Utc>) -> Option<CommandLine> {
    if let Body::RunbookStep { runbook, action, step, ok, command: Some(command), exit_code, duration_ms, .. } = &e.body
    {
        let status = match exit_code {
            Some(code) => format!("exit {code}"),
            None if *ok => "ok".to_string(),
            None => "failed".to_string(),
        };
        return Some(CommandLine {
            time: time::format_table_ts(&e.ts),
            offset: time::format_offset(e.ts - opened),
            author: e.author.clone(),
            command: command.clone(),
            outcome: format!("{status} (runbook {runbook}, action {action}, {step})"),
            duration: duration_ms.map(|ms| format!("{:.1}s", ms as f64 / 1000.0)).unwrap_or_default(),
            artifact: None,
        });
    }
    let Body::CommandFinished {
        command, exit_code, signal, timed_out, interrupted, error, duration_ms, artifact, ..
    } = &e.body
    else {
        return None;
    };
    let outcome = match (error, timed_out, interrupted, exit_code, signal) {
        (Some(err), ..) => format!("could not start: {err}"),
        (_, true, ..) => "timed out".to_string(),
        (_, _, true, ..) => "interrupted".to_string(),
        (_, _, _, Some(code), _) => format!("exit {code}"),
        (_, _, _, None, Some(sig)) => format!("signal {sig}"),
        _ => "finished".to_string(),
    };
    Some(CommandLine {
        time: time::format_table_ts(&e.ts),
        offset: time::format_offset(e.ts - opened),
        author: e.author.clone(),
        command: command.clone(),
        outcome,
        duration: format!("{:.1}s", *duration_ms as f64 / 1000.0),
        artifact: artifact.as_ref().map(|a| a.path.clone()),
    })
}

fn hypotheses(incident: &Incident, ordered: &[&Event], opened: DateTime<Utc>) -> Vec<HypothesisLine> {
    incident
        .hypotheses
        .iter()
        .map(|h| {
            let basis = h.from_check.as_ref().map(|c| format!("check {c}")).or_else(|| {
                ordered
                    .iter()
                    .rfind(|e| e.ts <= h.raised_at && matches!(e.body, Body::Observation { .. }))
                    .map(|e| format!("{} ({})", e.body.describe(), time::format_offset(e.ts - opened)))
            });
            HypothesisLine {
                id: h.id.clone(),
                text: h.text.clone(),
                state: h.state.as_str().to_string(),
                raised_at: time::format_table_ts(&h.raised_at),
                raised_offset: time::format_offset(h.raised_at - opened),
                raised_by: h.raised_by.clone(),
                basis,
                verdicts: h
                    .evidence
                    .iter()
                    .map(|v| VerdictLine {
                        state: v.verdict.as_str().to_string(),
                        at: time::format_table_ts(&v.ts),
                        offset: time::format_offset(v.ts - opened),
                        author: v.author.clone(),
                        text: v.text.clone(),
                    })
                    .collect(),
            }
        })
        .collect()
}

fn mermaid_ts(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

fn span(name: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> Span {
    Span {
        name: name.to_string(),
        start: mermaid_ts(&start),
        end: mermaid_ts(&end.max(start)),
        minutes: ((end - start).num_seconds() as f64 / 60.0).ceil().max(1.0) as i64,
    }
}

/// Impact as one bar; the response as runs of events in the same OODA phase; the clocks' ends
/// as milestones.
fn gantt(incident: &Incident, ordered: &[&Event]) -> Gantt {
    let c = &incident.clocks;
    let last = ordered.last().map(|e| e.ts);
    let impact =
        c.impact_start.map(|start| span("Impact", start, c.impact_end.or(c.resolved).or(last).unwrap_or(start)));
    let mut phases: Vec<Span> = Vec::new();
    let mut current: Option<(Phase, DateTime<Utc>)> = None;
    for e in ordered {
        let Some(phase) = e.phase else { continue };
        match current {
            Some((p, _)) if p == phase => {}
            Some((p, start)) => {
                phases.push(span(&capitalised(p), start, e.ts));
                current = Some((phase, e.ts));
            }
            None => current = Some((phase, e.ts)),
        }
    }
    if let (Some((p, start)), Some(end)) = (current, last) {
        phases.push(span(&capitalised(p), start, end));
    }
    let milestones = [
        ("Impact starts", c.impact_start),
        ("Detected", c.detected),
        ("Mitigated", c.mitigated),
        ("Resolved", c.resolved),
    ]
    .into_iter()
    .filter_map(|(name, at)| at.map(|t| span(name, t, t)))
    .collect();
    Gantt { impact, phases, milestones }
}

fn capitalised(phase: Phase) -> String {
    let s = phase.as_str();
    s[..1].to_ascii_uppercase() + &s[1..]
}
