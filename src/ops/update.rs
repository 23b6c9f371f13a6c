//! Stakeholder updates: the draft drawn from the incident's state, and posting one (recorded as
//! `update.posted`; the `[[notify]]` webhooks send it, as they send every notified kind).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{Body, CheckRecord, CheckStatus, Event, HypothesisState, Incident, Phase, Status};
use crate::store::IncidentDir;
use crate::time;

/// How long an update may be: a chat message people read, not a report. (Slack cuts a message
/// at 40,000 characters; a text past this is almost surely a pasted log.)
pub const MAX_UPDATE_BYTES: usize = 16 * 1024;

/// At most this many checks are listed as failing, and as many as recovered.
const MAX_CHECKS_LISTED: usize = 5;

/// The update the incident's state suggests, in plain text for people outside the response:
/// what is known (confirmed hypotheses, checks failing now and recovered), the impact, what is
/// being done (status, phase, the latest decision and action) and when the next update comes.
/// `events` are the ones `incident` was folded from; their text is masked already.
pub fn draft_update(incident: &Incident, events: &[Event], now: DateTime<Utc>, next: DateTime<Utc>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} ({}, {}): update at {} UTC",
        incident.title,
        incident.severity,
        incident.status,
        now.format("%H:%M")
    );

    let _ = writeln!(s, "\nWhat we know:");
    let mut known = Vec::new();
    for h in incident.hypotheses.iter().filter(|h| h.state == HypothesisState::Confirmed) {
        known.push(format!("Confirmed cause: {}", sentence(&h.text)));
    }
    let (failing, recovered) = latest_checks(events);
    for check in failing.iter().take(MAX_CHECKS_LISTED) {
        known.push(format!("Still failing: {} ({}): {}", check.check, check.status, check.summary));
    }
    for check in recovered.iter().take(MAX_CHECKS_LISTED) {
        known.push(format!("Recovered: {}: {}", check.check, check.summary));
    }
    if known.is_empty() || incident.hypotheses.iter().all(|h| h.state != HypothesisState::Confirmed) {
        let open = incident.open_hypotheses().count();
        known.push(match open {
            _ if incident.status == Status::Resolved => "The cause is being written up.".to_string(),
            0 => "We are still working out the cause.".to_string(),
            1 => "We are working out the cause, and checking one lead.".to_string(),
            n => format!("We are working out the cause, and checking {n} leads."),
        });
    }
    bullets(&mut s, &known);

    let _ = writeln!(s, "\nImpact:");
    bullets(&mut s, &impact_lines(incident, now));

    let _ = writeln!(s, "\nWhat we are doing:");
    bullets(&mut s, &doing_lines(incident, events));

    if incident.status == Status::Resolved {
        let _ = write!(s, "\nThis incident is resolved; no further updates are planned.");
    } else {
        let _ = write!(s, "\nNext update by {} UTC.", next.format("%H:%M"));
    }
    s
}

/// Records `text` as the update posted now (or at `--at`), promising the next at `next`; the
/// webhooks are told once it is on disk.
pub fn post_update(ctx: &Context, dir: &IncidentDir, text: &str, next: DateTime<Utc>) -> Result<Event> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::usage("update not sent: the text is empty")
            .with_hint("write what people need to know, or take the draft as it is with --yes"));
    }
    if text.len() > MAX_UPDATE_BYTES {
        return Err(update_too_long(&format!("the text is {} bytes", text.len())));
    }
    super::record(ctx, dir, Body::UpdatePosted { text: text.to_string(), next_update: next }, None)
}

/// The refusal of an update past [`MAX_UPDATE_BYTES`]; `what` says how long it was.
pub fn update_too_long(what: &str) -> Error {
    Error::usage(format!("update not sent: {what}; an update may be at most {MAX_UPDATE_BYTES} bytes"))
        .with_hint("keep it to what people outside the response need; link the details with `incident link`")
}

fn bullets(s: &mut String, lines: &[String]) {
    for line in lines {
        let _ = writeln!(s, "- {line}");
    }
}

/// Text ending in a full stop, for a sentence in a list.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) { text.to_string() } else { format!("{text}.") }
}

/// Each check's latest result, split into those failing now and those that failed before and
/// pass now (in the order they were last run).
fn latest_checks(events: &[Event]) -> (Vec<&CheckRecord>, Vec<&CheckRecord>) {
    let mut ordered: Vec<&Event> = events.iter().collect();
    ordered.sort_by_key(|e| e.ts);
    let mut latest: BTreeMap<&str, (DateTime<Utc>, &CheckRecord, bool)> = BTreeMap::new();
    for event in ordered {
        let Body::CheckResult(record) = &event.body else { continue };
        let failed_before = latest.get(record.check.as_str()).is_some_and(|(_, last, before)| *before || failing(last));
        latest.insert(&record.check, (event.ts, record, failed_before));
    }
    let mut by_time: Vec<(DateTime<Utc>, &CheckRecord, bool)> = latest.into_values().collect();
    by_time.sort_by_key(|(ts, ..)| *ts);
    let failing_now = by_time.iter().filter(|(_, r, _)| failing(r)).map(|(_, r, _)| *r).collect();
    let recovered =
        by_time.iter().filter(|(_, r, before)| *before && r.status == CheckStatus::Ok).map(|(_, r, _)| *r).collect();
    (failing_now, recovered)
}

/// A result that says something is wrong (one that could not run says nothing either way).
fn failing(record: &CheckRecord) -> bool {
    matches!(record.status, CheckStatus::Warning | CheckStatus::Critical)
}

fn impact_lines(incident: &Incident, now: DateTime<Utc>) -> Vec<String> {
    let c = &incident.clocks;
    let mut lines = Vec::new();
    match (c.impact_start, c.impact_end) {
        (Some(start), Some(end)) if end >= start => lines.push(format!(
            "Began {} UTC and ended {} UTC ({}).",
            start.format("%H:%M"),
            end.format("%H:%M"),
            time::format_minutes(end - start)
        )),
        (Some(start), _) => lines.push(format!(
            "Began {} UTC, {} ago; ongoing.",
            start.format("%H:%M"),
            time::format_minutes(now - start)
        )),
        (None, Some(end)) => lines.push(format!("Ended {} UTC.", end.format("%H:%M"))),
        (None, None) => {}
    }
    if let Some(users) = incident.impact.users {
        lines.push(format!("About {users} users affected."));
    }
    if let Some(summary) = &incident.impact.summary {
        lines.push(sentence(summary));
    }
    for (key, value) in &incident.impact.details {
        lines.push(format!("{key}: {value}"));
    }
    if !incident.services.is_empty() {
        lines.push(format!("Services: {}.", incident.services.join(", ")));
    }
    if lines.is_empty() {
        lines.push("Not measured yet.".to_string());
    }
    lines
}

fn doing_lines(incident: &Incident, events: &[Event]) -> Vec<String> {
    let mut lines = Vec::new();
    let stage = match (incident.status, incident.phase) {
        (Status::Resolved, _) => match &incident.summary {
            Some(summary) => format!("Resolved: {}", sentence(summary)),
            None => "Resolved.".to_string(),
        },
        (status, _) if status.is_mitigated() => {
            format!("The impact is mitigated ({status}); we are watching that it holds.")
        }
        (_, Some(Phase::Observe) | None) => "Gathering the facts: what is up, what is down.".to_string(),
        (_, Some(Phase::Orient)) => "Working out the cause.".to_string(),
        (_, Some(Phase::Decide)) => "Choosing a fix.".to_string(),
        (_, Some(Phase::Act)) => "Applying a fix.".to_string(),
    };
    lines.push(stage);
    let latest = |wanted: fn(&Body) -> Option<String>| {
        events.iter().filter_map(|e| wanted(&e.body).map(|text| (e.ts, text))).max_by_key(|(ts, _)| *ts)
    };
    let decision = latest(|body| match body {
        Body::Decision { text, why: Some(why), .. } => Some(format!("{}, because {}", text.trim_end_matches('.'), why)),
        Body::Decision { text, .. } => Some(text.clone()),
        _ => None,
    });
    if let Some((ts, text)) = decision {
        lines.push(format!("Latest decision ({} UTC): {}", ts.format("%H:%M"), sentence(&text)));
    }
    let action = latest(|body| match body {
        Body::Action { text, .. } => Some(text.clone()),
        Body::RunbookStep { action, step, ok, .. } if step == "run" => {
            Some(if *ok { format!("ran {action}") } else { format!("tried {action}, which failed") })
        }
        _ => None,
    });
    if let Some((ts, text)) = action {
        lines.push(format!("Latest action ({} UTC): {}", ts.format("%H:%M"), sentence(&text)));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FORMAT_VERSION, Severity};

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
    }

    fn event(ts: &str, body: Body) -> Event {
        Event { id: ts.into(), ts: at(ts), recorded: None, author: "ana".into(), phase: body.default_phase(), body }
    }

    fn check(name: &str, status: CheckStatus, summary: &str) -> Body {
        Body::CheckResult(CheckRecord {
            check: name.into(),
            runbook: None,
            probe: "http".into(),
            status,
            reason: "x".into(),
            summary: summary.into(),
            target: "http://checkout".into(),
            observed: Default::default(),
            assertions: Vec::new(),
            attempts: Vec::new(),
            duration_ms: 1,
            artifact: None,
        })
    }

    fn opened() -> Event {
        event(
            "2026-11-22T14:00:00Z",
            Body::Opened {
                format: FORMAT_VERSION,
                title: "Checkout returns 502s".into(),
                severity: Severity::Sev2,
                services: vec!["checkout".into()],
                commander: None,
                runbook: None,
                impact_start: Some(at("2026-11-22T13:55:00Z")),
                detected_at: None,
                drill: false,
                vars: BTreeMap::new(),
            },
        )
    }

    #[test]
    fn the_draft_says_what_is_known_the_impact_what_is_done_and_when_next() {
        let events = vec![
            opened(),
            event("2026-11-22T14:01:00Z", check("checkout", CheckStatus::Critical, "status (502) == 200")),
            event("2026-11-22T14:01:00Z", check("db", CheckStatus::Critical, "connect refused")),
            event(
                "2026-11-22T14:02:00Z",
                Body::HypothesisAdded {
                    hypothesis: "H1".into(),
                    text: "The 13:58 deploy broke the payment client".into(),
                    from_check: None,
                    on_event: None,
                },
            ),
            event(
                "2026-11-22T14:03:00Z",
                Body::HypothesisConfirmed {
                    hypothesis: "H1".into(),
                    evidence: "errors began at the deploy".into(),
                    about: Some("2026-11-22T14:02:00Z".into()),
                },
            ),
            event(
                "2026-11-22T14:04:00Z",
                Body::Decision {
                    text: "Roll back".into(),
                    hypothesis: None,
                    why: Some("errors began at the deploy".into()),
                    about: None,
                },
            ),
            event(
                "2026-11-22T14:06:00Z",
                Body::Action { text: "rolled back deploy/checkout".into(), hypothesis: None, about: None },
            ),
            event("2026-11-22T14:05:00Z", check("db", CheckStatus::Ok, "connected in 3ms")),
        ];
        let incident = Incident::from_events("x", &events).unwrap_or_else(|| panic!("folds"));
        let draft = draft_update(&incident, &events, at("2026-11-22T14:10:00Z"), at("2026-11-22T14:40:00Z"));
        assert_eq!(
            draft,
            "Checkout returns 502s (sev2, investigating): update at 14:10 UTC\n\
             \n\
             What we know:\n\
             - Confirmed cause: The 13:58 deploy broke the payment client.\n\
             - Still failing: checkout (critical): status (502) == 200\n\
             - Recovered: db: connected in 3ms\n\
             \n\
             Impact:\n\
             - Began 13:55 UTC, 15m ago; ongoing.\n\
             - Services: checkout.\n\
             \n\
             What we are doing:\n\
             - Applying a fix.\n\
             - Latest decision (14:04 UTC): Roll back, because errors began at the deploy.\n\
             - Latest action (14:06 UTC): rolled back deploy/checkout.\n\
             \n\
             Next update by 14:40 UTC."
        );
    }

    #[test]
    fn a_fresh_incident_is_drafted_without_inventing_facts() {
        let events = vec![opened()];
        let incident = Incident::from_events("x", &events).unwrap_or_else(|| panic!("folds"));
        let draft = draft_update(&incident, &events, at("2026-11-22T14:00:00Z"), at("2026-11-22T14:30:00Z"));
        assert!(draft.contains("- We are still working out the cause.\n"), "{draft}");
        assert!(draft.contains("- Gathering the facts: what is up, what is down.\n"), "{draft}");
        assert!(!draft.contains("Latest"), "{draft}");
    }
}
