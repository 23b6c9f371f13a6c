//! Item numbers (`H3`, `F2`) as amended.
//!
//! Numbers are taken under the timeline's lock, so one machine never hands out one twice; but
//! two clones of a synced store that each raise a hypothesis offline both take the next free
//! number. The timeline is append-only, so the fix is an `event.amended` event whose `changes`
//! carry the new number (`{"hypothesis": "H4"}`), targeting the `hypothesis.added` event and the
//! events that referred to it under its old number. The fold reads numbers through here.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::event::{Body, Event};
use super::ids::ItemKind;

/// The field of `changes` that renumbers an item of this kind.
pub fn change_field(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Hypothesis => "hypothesis",
        ItemKind::FollowUp => "followup",
    }
}

/// The item an event is about, as written: its kind and number.
pub fn item_ref(body: &Body) -> Option<(ItemKind, &str)> {
    match body {
        Body::HypothesisAdded { hypothesis, .. }
        | Body::HypothesisConfirmed { hypothesis, .. }
        | Body::HypothesisRefuted { hypothesis, .. } => Some((ItemKind::Hypothesis, hypothesis)),
        Body::Decision { hypothesis: Some(hypothesis), .. }
        | Body::Action { hypothesis: Some(hypothesis), .. }
        | Body::CommandFinished { hypothesis: Some(hypothesis), .. } => Some((ItemKind::Hypothesis, hypothesis)),
        Body::FollowUpAdded { followup, .. }
        | Body::FollowUpDone { followup }
        | Body::FollowUpLinked { followup, .. } => Some((ItemKind::FollowUp, followup)),
        _ => None,
    }
}

/// Event id -> the number it carries now, from every renumbering amendment. When one event
/// was renumbered twice (two clones fixed the same clash at once), the latest amendment by
/// time, then id, stands, so every clone reads the same.
pub fn renumberings(events: &[Event]) -> HashMap<String, String> {
    let mut latest: HashMap<&str, ((DateTime<Utc>, &str), &str)> = HashMap::new();
    if !events.iter().any(|e| matches!(e.body, Body::Amended { .. })) {
        return HashMap::new();
    }
    for event in events {
        let Body::Amended { target, changes, .. } = &event.body else { continue };
        let Some(target_event) = events.iter().find(|e| &e.id == target) else { continue };
        let Some((kind, _)) = item_ref(&target_event.body) else { continue };
        let Some(number) = changes.get(change_field(kind)).and_then(|v| v.as_str()) else { continue };
        let key = (event.ts, event.id.as_str());
        let slot = latest.entry(target.as_str()).or_insert((key, number));
        if key >= slot.0 {
            *slot = (key, number);
        }
    }
    latest.into_iter().map(|(target, (_, number))| (target.to_string(), number.to_string())).collect()
}

/// The item an event is about, after renumbering.
pub fn effective_item<'a>(event: &'a Event, renumbered: &'a HashMap<String, String>) -> Option<(ItemKind, &'a str)> {
    let (kind, number) = item_ref(&event.body)?;
    Some((kind, renumbered.get(&event.id).map_or(number, String::as_str)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: &str, ts: &str, body: Body) -> Event {
        let ts = DateTime::parse_from_rfc3339(ts).map(|t| t.with_timezone(&Utc)).unwrap_or_default();
        Event { id: id.into(), ts, recorded: None, author: "a".into(), phase: None, body }
    }

    fn renumber(id: &str, ts: &str, target: &str, to: &str) -> Event {
        let mut changes = serde_json::Map::new();
        changes.insert("hypothesis".into(), to.into());
        event(id, ts, Body::Amended { target: target.into(), changes, reason: None })
    }

    #[test]
    fn the_latest_renumbering_of_an_event_stands_whatever_the_line_order() {
        let added = event(
            "E1",
            "2026-11-22T14:00:00Z",
            Body::HypothesisAdded { hypothesis: "H3".into(), text: "x".into(), from_check: None, on_event: None },
        );
        let later = renumber("E3", "2026-11-22T14:10:00Z", "E1", "H5");
        let earlier = renumber("E2", "2026-11-22T14:05:00Z", "E1", "H4");
        // An amendment of a field that is no number changes no number.
        let note = event("E4", "2026-11-22T14:00:00Z", Body::Note { text: "n".into() });
        let other = renumber("E5", "2026-11-22T14:20:00Z", "E4", "H9");
        for events in [
            vec![added.clone(), earlier.clone(), later.clone(), note.clone(), other.clone()],
            vec![added.clone(), later.clone(), earlier.clone(), note.clone(), other.clone()],
        ] {
            let renumbered = renumberings(&events);
            assert_eq!(effective_item(&events[0], &renumbered), Some((ItemKind::Hypothesis, "H5")));
            assert!(!renumbered.contains_key("E4"));
        }
    }
}
