//! The post-mortem as data: every section the templates render, each traced to its events.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::clocks::{self, Reading};
use crate::model::{Body, CheckStatus, Event, HypothesisState, Incident, Phase};
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
    /// Who wrote the post-mortem, as recorded (`postmortem --author`); empty until then.
    pub authors: Vec<String>,
    /// Everyone who recorded an event.
    pub responders: Vec<String>,
    pub trigger: Option<String>,
    pub root_cause: Option<String>,
    pub links: Vec<LinkLine>,
    pub roles: Vec<RoleLine>,
    pub summary: Option<String>,
    pub impact: ImpactSection,
    pub clocks: Vec<Reading>,
    /// The data-loss block, beside the clocks, when data loss was recorded.
    pub recovery: Option<clocks::Recovery>,
    /// Key moments up to resolution: the clocks' ends at their own times, a check's repeated
    /// identical results folded into its first row, lessons left to their own sections.
    pub timeline: Vec<Row>,
    /// Events recorded at a time after the incident was resolved (follow-ups, lessons).
    pub after_resolution: Vec<Row>,
    pub gantt: Gantt,
    pub hypotheses: Vec<HypothesisLine>,
    pub detection: Detection,
    pub decisions: Vec<Row>,
    pub actions: Vec<Row>,
    pub commands: Vec<CommandLine>,
    /// Stakeholder updates posted (`incident update`), in time order.
    pub updates: Vec<UpdateLine>,
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
pub struct LinkLine {
    pub url: String,
    pub title: Option<String>,
    pub time: String,
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
    /// What it was raised on, when stated: the check that suggested it (`--from`, `--on CHECK`)
    /// or an event (`--on EVENT`). Never guessed from what happened to come before.
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

/// One stakeholder update, with how it kept the promise of the one before.
#[derive(Debug, Serialize)]
pub struct UpdateLine {
    pub time: String,
    pub offset: String,
    pub author: String,
    /// Its lines, as posted.
    pub lines: Vec<String>,
    /// When it promised the next, `14:35`.
    pub next: String,
    /// Time since the update before (none for the first).
    pub since_previous: Option<String>,
    /// How long after the time the update before promised it came, when it was late.
    pub late: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ActionItem {
    pub id: String,
    pub text: String,
    pub owner: String,
    pub priority: String,
    pub due: String,
    pub status: String,
    /// `mitigate`, `prevent`, `detect`, `process`, or empty.
    pub item_type: String,
    /// The URL, safe inside an autolink; empty when not tracked yet.
    pub tracker: String,
}

#[derive(Debug, Serialize)]
pub struct Appendix {
    pub checks: Vec<Row>,
    pub log_searches: Vec<Row>,
    pub commands: Vec<CommandLine>,
    pub artifacts: Vec<ArtifactLine>,
    /// Every event, and the clocks' ends, in time order.
    pub timeline: Vec<Row>,
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
    let row = |e: &Event| to_row(e, opened, incident, &ordered);

    let timelines = timelines(incident, &ordered, opened);
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
    // The walk's phase marker is not an observation ("First observation: Entered observe").
    let first_observation = ordered
        .iter()
        .find(|e| e.phase == Some(Phase::Observe) && !matches!(e.body, Body::PhaseEntered { .. }))
        .map(|e| row(e));
    let opened_by = events.first().map(|e| e.author.clone()).unwrap_or_default();

    Document {
        id: incident.id.clone(),
        title: incident.title.clone(),
        severity: incident.severity.to_string(),
        status: format!(
            "{} (incident {})",
            match incident.review.status.as_deref() {
                Some("in-review") => "In review",
                Some("final") => "Final",
                _ => "Draft",
            },
            incident.status
        ),
        drill: incident.drill,
        date: opened.format("%Y-%m-%d").to_string(),
        services: incident.services.clone(),
        runbook: incident.runbook.clone(),
        authors: incident.review.authors.clone(),
        responders: incident.responders.clone(),
        trigger: incident.review.trigger.clone(),
        root_cause: incident.review.root_cause.clone(),
        links: incident
            .links
            .iter()
            .map(|l| LinkLine {
                url: autolink_safe(&l.url),
                title: l.title.clone(),
                time: time::format_table_ts(&l.ts),
            })
            .collect(),
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
        recovery: clocks::recovery(incident),
        gantt: gantt(incident, &ordered),
        hypotheses: hypotheses(incident, &ordered, opened),
        detection: Detection {
            detected: incident.clocks.detected.map(|t| time::format_table_ts(&t)),
            opened: time::format_table_ts(&opened),
            opened_by,
            first_observation,
            time_to_detect,
        },
        updates: updates(incident, opened),
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
                item_type: f.item_type.clone().unwrap_or_default(),
                tracker: f.tracker.as_deref().map(autolink_safe).unwrap_or_default(),
            })
            .collect(),
        appendix: Appendix {
            checks: of_kind(&["check.result"]),
            log_searches: of_kind(&["log.search"]),
            commands: commands.clone(),
            artifacts,
            timeline: timelines.full,
        },
        commands,
        timeline: timelines.key,
        after_resolution: timelines.after_resolution,
        generated: time::format_table_ts(&now),
    }
}

const LESSON_TAGS: [&str; 3] = ["went well", "went poorly", "lucky"];

struct Timelines {
    key: Vec<Row>,
    after_resolution: Vec<Row>,
    full: Vec<Row>,
}

/// One entry of the timeline: an event's row, or a clock's end at its own time.
struct Entry<'a> {
    ts: DateTime<Utc>,
    event: Option<&'a Event>,
    row: Row,
}

fn timelines(incident: &Incident, ordered: &[&Event], opened: DateTime<Utc>) -> Timelines {
    let mut entries: Vec<Entry> = clock_rows(incident, ordered, opened);
    // Phase markers draw the Gantt chart; in the table they would only repeat the Phase column.
    entries.extend(ordered.iter().filter(|e| !matches!(e.body, Body::PhaseEntered { .. })).map(|e| Entry {
        ts: e.ts,
        event: Some(*e),
        row: to_row(e, opened, incident, ordered),
    }));
    // Stable: a clock's end comes before the events at the same second.
    entries.sort_by_key(|e| e.ts);
    let full = entries.iter().map(|e| e.row.clone()).collect();

    let resolved = incident.clocks.resolved;
    let (during, after): (Vec<Entry>, Vec<Entry>) =
        entries.into_iter().partition(|e| resolved.is_none_or(|r| e.ts <= r));
    let mut key: Vec<Row> = Vec::new();
    // Per check: the index of the row holding its current result, its status, and the repeats.
    let mut last_result: BTreeMap<&str, (usize, CheckStatus)> = BTreeMap::new();
    let mut repeats: BTreeMap<usize, (usize, DateTime<Utc>)> = BTreeMap::new();
    for entry in during {
        match entry.event.map(|e| &e.body) {
            Some(Body::Note { text }) if LESSON_TAGS.iter().any(|tag| strip_tag(text, tag).is_some()) => continue,
            Some(Body::CheckResult(record)) => {
                if let Some(&(index, status)) = last_result.get(record.check.as_str())
                    && status == record.status
                {
                    let repeat = repeats.entry(index).or_insert((0, entry.ts));
                    *repeat = (repeat.0 + 1, entry.ts);
                    continue;
                }
                last_result.insert(&record.check, (key.len(), record.status));
            }
            _ => {}
        }
        key.push(entry.row);
    }
    for (index, (count, last)) in repeats {
        key[index].what.push_str(&format!(
            " (the same result {count} more time{}, the last at {})",
            if count == 1 { "" } else { "s" },
            last.format("%H:%M:%S")
        ));
    }
    Timelines { key, after_resolution: after.into_iter().map(|e| e.row).collect(), full }
}

/// Where an event records one end of a clock.
type RecordedEnd = fn(&Body) -> Option<DateTime<Utc>>;

/// The impact's start and end, and a detection recorded apart from the opening, as rows at their
/// own times: they are usually recorded later, and the reader needs them in place.
fn clock_rows<'a>(incident: &Incident, ordered: &[&'a Event], opened: DateTime<Utc>) -> Vec<Entry<'a>> {
    let c = &incident.clocks;
    let recorded_by = |at: DateTime<Utc>, field: RecordedEnd| {
        ordered.iter().rev().find(|e| field(&e.body) == Some(at)).map(|e| e.author.clone()).unwrap_or_default()
    };
    let ends: [(Option<DateTime<Utc>>, &str, &str, RecordedEnd); 3] = [
        (c.impact_start, "impact.start", "Impact starts", |b| match b {
            Body::Opened { impact_start, .. } => *impact_start,
            Body::ImpactRecorded { start, .. } => *start,
            _ => None,
        }),
        (c.detected.filter(|&d| Some(d) != c.opened), "detected", "Detected", |b| match b {
            Body::Opened { detected_at, .. } | Body::ImpactRecorded { detected_at, .. } => *detected_at,
            _ => None,
        }),
        (c.impact_end, "impact.end", "Impact ends", |b| match b {
            Body::ImpactRecorded { end, .. } => *end,
            _ => None,
        }),
    ];
    ends.into_iter()
        .filter_map(|(at, kind, what, field)| {
            let at = at?;
            let row = Row {
                time: time::format_table_ts(&at),
                offset: time::format_offset(at - opened),
                phase: String::new(),
                author: recorded_by(at, field),
                kind: kind.to_string(),
                what: what.to_string(),
                evidence: String::new(),
                milestone: true,
            };
            Some(Entry { ts: at, event: None, row })
        })
        .collect()
}

/// A URL as it can stand inside a Markdown autolink (`<...>`, printed unescaped): every byte that
/// could end the link, break a table or start markup is percent-encoded.
fn autolink_safe(url: &str) -> String {
    let mut safe = String::with_capacity(url.len());
    for c in url.chars() {
        if c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '`' | '|' | '\\' | '\'') {
            safe.push(c);
        } else {
            let mut bytes = [0; 4];
            for b in c.encode_utf8(&mut bytes).bytes() {
                safe.push_str(&format!("%{b:02X}"));
            }
        }
    }
    safe
}

/// A note written `went well: ...` (or `went poorly:`, `lucky:`) feeds that section.
fn strip_tag<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    let head = text.get(..tag.len())?;
    let rest = text[tag.len()..].trim_start();
    (head.eq_ignore_ascii_case(tag) && rest.starts_with(':')).then(|| rest[1..].trim())
}

/// A hypothesis's stated basis, as the Evidence column and "raised on" show it.
fn basis_of(
    from_check: Option<&str>,
    on_event: Option<&str>,
    ordered: &[&Event],
    opened: DateTime<Utc>,
) -> Option<String> {
    if let Some(check) = from_check {
        return Some(format!("check {check}"));
    }
    let id = on_event?;
    Some(match ordered.iter().find(|e| e.id == id) {
        Some(e) => format!("{} (T{})", e.body.describe(), time::format_offset(e.ts - opened)),
        None => format!("event {id} (not in this timeline)"),
    })
}

fn to_row(e: &Event, opened: DateTime<Utc>, incident: &Incident, ordered: &[&Event]) -> Row {
    let evidence = match &e.body {
        Body::CommandFinished { artifact: Some(a), .. } => a.path.clone(),
        Body::HypothesisAdded { from_check, on_event, .. } => {
            basis_of(from_check.as_deref(), on_event.as_deref(), ordered, opened).unwrap_or_default()
        }
        _ => String::new(),
    };
    let milestone = matches!(
        e.body,
        Body::Opened { .. } | Body::StatusChanged { .. } | Body::Acknowledged { .. } | Body::Resolved { .. }
    ) || Some(e.ts) == incident.clocks.mitigated && matches!(e.body, Body::StatusChanged { .. });
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

fn updates(incident: &Incident, opened: DateTime<Utc>) -> Vec<UpdateLine> {
    let mut previous: Option<&crate::model::Update> = None;
    let mut lines = Vec::new();
    for u in &incident.updates {
        lines.push(UpdateLine {
            time: time::format_table_ts(&u.ts),
            offset: time::format_offset(u.ts - opened),
            author: u.author.clone(),
            lines: u.text.lines().map(str::trim_end).filter(|l| !l.is_empty()).map(str::to_string).collect(),
            next: u.next_update.format("%H:%M").to_string(),
            since_previous: previous.map(|p| time::format_minutes(u.ts - p.ts)),
            late: previous
                .filter(|p| u.ts - p.next_update >= chrono::Duration::minutes(1))
                .map(|p| time::format_minutes(u.ts - p.next_update)),
        });
        previous = Some(u);
    }
    lines
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
            let basis = basis_of(h.from_check.as_deref(), h.on_event.as_deref(), ordered, opened);
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

/// Impact as one bar; the response as runs of events in the same OODA phase, clipped to the
/// incident (from the impact's start or the opening to the resolution: notes written the next day
/// draw no bar) with runs too short to see merged into the bar before them; the clocks' ends as
/// milestones.
fn gantt(incident: &Incident, ordered: &[&Event]) -> Gantt {
    let c = &incident.clocks;
    let last = ordered.last().map(|e| e.ts);
    let begin = match (c.impact_start, c.opened) {
        (Some(start), Some(opened)) => Some(start.min(opened)),
        (start, opened) => start.or(opened),
    };
    let finish = c.resolved.or(last);
    let impact =
        c.impact_start.map(|start| span("Impact", start, c.impact_end.or(c.resolved).or(last).unwrap_or(start)));
    let within = |t: DateTime<Utc>| begin.is_none_or(|b| t >= b) && finish.is_none_or(|f| t <= f);

    // Runs of one phase, each ending where the next begins.
    let mut runs: Vec<(Vec<Phase>, DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for e in ordered.iter().filter(|e| within(e.ts)) {
        let Some(phase) = e.phase else { continue };
        match runs.last_mut() {
            Some((phases, _, _)) if phases[0] == phase => {}
            Some((_, _, end)) => {
                *end = e.ts;
                runs.push((vec![phase], e.ts, e.ts));
            }
            None => runs.push((vec![phase], e.ts, e.ts)),
        }
    }
    if let (Some((_, _, end)), Some(finish)) = (runs.last_mut(), finish) {
        *end = finish;
    }
    // A bar under a twentieth of the response (at least a minute) is merged into the one before.
    let whole = match (runs.first(), runs.last()) {
        (Some(first), Some(last)) => last.2 - first.1,
        _ => chrono::Duration::zero(),
    };
    let shortest = (whole / 20).max(chrono::Duration::minutes(1));
    let mut merged: Vec<(Vec<Phase>, DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    for (phases, start, end) in runs {
        match merged.last_mut() {
            Some((before, _, before_end)) if end - start < shortest || before[0] == phases[0] => {
                *before_end = end;
                for p in phases {
                    if !before.contains(&p) {
                        before.push(p);
                    }
                }
            }
            _ => merged.push((phases, start, end)),
        }
    }
    let phases = merged
        .into_iter()
        .map(|(phases, start, end)| {
            let name: Vec<String> = phases.into_iter().map(capitalised).collect();
            span(&name.join(" + "), start, end)
        })
        .collect();
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
