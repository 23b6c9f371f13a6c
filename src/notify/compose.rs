//! Messages composed from the merged timeline at the moment they are sent, not from the
//! recording laptop's view: after a sync, what a status change was "from" is what the team's
//! merged timeline had just before it.

use crate::model::{Body, Event, Incident};

use super::{WebhookKind, payload};

/// The body for the event `event_id` of the incident `id` whose events (every clone's, as
/// merged) are `events`; `None` when the event is not among them.
///
/// The incident is folded twice: up to the event (the state it announces) and up to just before
/// it (what a status or severity change moved from), in the fold's own order (by time, a tie
/// going to the line written later).
pub fn compose(kind: WebhookKind, id: &str, events: &[Event], event_id: &str) -> Option<serde_json::Value> {
    let at = events.iter().position(|e| e.id == event_id)?;
    let event = &events[at];
    let before = |i: usize, e: &Event| i == 0 || e.ts < event.ts || (e.ts == event.ts && i < at);
    let upto: Vec<Event> =
        events.iter().enumerate().filter(|(i, e)| *i == at || before(*i, e)).map(|(_, e)| e.clone()).collect();
    let incident = Incident::from_events(id, &upto)?;
    let mut told = event.clone();
    if at > 0 {
        let prior: Vec<Event> =
            events.iter().enumerate().filter(|(i, e)| *i != at && before(*i, e)).map(|(_, e)| e.clone()).collect();
        let prior = Incident::from_events(id, &prior)?;
        match &mut told.body {
            Body::StatusChanged { from, .. } => *from = prior.status,
            Body::SeverityChanged { from, .. } => *from = prior.severity,
            _ => {}
        }
    }
    Some(payload(kind, &incident, &told))
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::model::{Severity, Status};

    fn event(id: &str, minute: u32, author: &str, body: Body) -> Event {
        Event {
            id: id.to_string(),
            ts: Utc.with_ymd_and_hms(2026, 11, 22, 14, minute, 0).single().expect("a time"),
            recorded: None,
            author: author.to_string(),
            phase: None,
            body,
        }
    }

    // What broke: each laptop announced the "from" it had seen; after sync, 44-48% of status
    // messages disagreed with the merged timeline.
    #[test]
    fn a_status_change_is_announced_from_the_status_the_merged_timeline_had_before_it() {
        let opened: Event =
            serde_json::from_value(serde_json::json!({"id": "01A", "ts": "2026-11-22T14:00:00Z", "author": "ana",
                "kind": "incident.opened", "format": 1, "title": "Checkout", "severity": "sev2"}))
            .expect("an opening");
        // Bo moved it to identified at 14:02; Ana, not having synced, thought it investigating.
        let bo = event(
            "01B",
            2,
            "bo",
            Body::StatusChanged { from: Status::Investigating, to: Status::Identified, note: None },
        );
        let ana = event(
            "01C",
            3,
            "ana",
            Body::StatusChanged { from: Status::Investigating, to: Status::Mitigated, note: None },
        );
        let sev =
            event("01D", 4, "ana", Body::SeverityChanged { from: Severity::Sev2, to: Severity::Sev1, note: None });
        // Merged, Ana's line is first in the file: order in the file must not matter.
        let events = vec![opened, ana, bo, sev];
        let text = |id: &str| compose(WebhookKind::Slack, "i", &events, id).expect("composed")["text"].to_string();
        assert!(text("01C").contains("Status identified -&gt; mitigated (status mitigated"), "{}", text("01C"));
        assert!(text("01B").contains("Status investigating -&gt; identified (status identified"), "{}", text("01B"));
        assert!(text("01D").starts_with("\"[sev1]"), "{}", text("01D"));
        assert!(compose(WebhookKind::Slack, "i", &events, "01Z").is_none());
    }
}
