//! Items (`H3`, `F2`): how events refer to them, and their numbers.
//!
//! An item is its raising event (`hypothesis.added`, `followup.added`); what is about it (a
//! verdict, a decision, an action, a command, a completion) names that event's id in `about`.
//! Numbers are for people: the fold gives them in (time, id) order, so a hypothesis raised
//! offline on another clone may move the numbers after a sync, but never what a verdict is
//! about. The handle (`~a1b2`, the end of the event id) never moves, so it is what to quote.
//!
//! Timelines written before `about` refer by number. The migration rule, in the fold and never
//! a rewrite: such a reference means the first item (in file order) that held the number as
//! written, or as renumbered by an `event.amended` (`{"hypothesis": "H4"}`), which is how
//! earlier versions fixed numbers two clones had both taken.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::event::{Body, Event};
use super::ids::{IdError, ItemId, ItemKind};

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
        | Body::CommandFinished { hypothesis: Some(hypothesis), .. }
        | Body::Claimed { hypothesis, .. } => Some((ItemKind::Hypothesis, hypothesis)),
        Body::FollowUpAdded { followup, .. }
        | Body::FollowUpDone { followup, .. }
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

/// The fewest characters of an event id a handle shows.
pub const HANDLE_LEN: usize = 4;

/// `~a1b2`: the last `len` characters of an event id, lowercased. A ULID ends in random
/// characters (one process's ids in a counter), so the end tells items apart; it never changes.
pub fn handle(event_id: &str, len: usize) -> String {
    let start = event_id.char_indices().rev().nth(len.saturating_sub(1)).map_or(0, |(i, _)| i);
    format!("~{}", event_id[start..].to_ascii_lowercase())
}

/// Handles for these event ids: `HANDLE_LEN` characters, more where two would share one.
pub fn handles(event_ids: &[&str]) -> Vec<String> {
    event_ids
        .iter()
        .map(|id| {
            let mut len = HANDLE_LEN;
            while len < id.len() && event_ids.iter().any(|other| other != id && handle(other, len) == handle(id, len)) {
                len += 1;
            }
            handle(id, len)
        })
        .collect()
}

/// An item as a user names it. Both are accepted: `H3`, `h3`, `3`, `~a1b2`, a whole event id,
/// and `H3 ~a1b2` as printed (where the handle decides: it is the one that cannot move).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemRef {
    Number(u32),
    /// The end of an event id, lowercased, without the `~`.
    Handle(String),
}

impl ItemRef {
    pub fn parse(kind: ItemKind, text: &str) -> Result<ItemRef, IdError> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let handle = words.iter().find_map(|w| w.strip_prefix('~'));
        if let Some(handle) = handle {
            if handle.is_empty() || !handle.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err(IdError::Item { text: text.to_string(), kind });
            }
            return Ok(ItemRef::Handle(handle.to_ascii_lowercase()));
        }
        // A whole event id (26 characters of a ULID) is a handle at its longest.
        if let [word] = words.as_slice()
            && word.len() == 26
            && word.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Ok(ItemRef::Handle(word.to_ascii_lowercase()));
        }
        ItemId::parse(kind, text).map(|id| ItemRef::Number(id.number))
    }

    /// Whether an item with this display number and raising event id is the one named.
    pub fn names(&self, number: &str, event_id: &str) -> bool {
        match self {
            ItemRef::Number(n) => number.get(1..).and_then(|d| d.parse::<u32>().ok()) == Some(*n),
            ItemRef::Handle(h) => event_id.to_ascii_lowercase().ends_with(h.as_str()),
        }
    }
}

impl std::fmt::Display for ItemRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ItemRef::Number(n) => write!(f, "#{n}"),
            ItemRef::Handle(h) => write!(f, "~{h}"),
        }
    }
}

/// The reference an event makes to an item, to fill in when recording: the kind, the number
/// as typed (made the display number) and the `about` slot. `None` for events about no item
/// and for the raising events themselves.
pub fn reference_mut(body: &mut Body) -> Option<(ItemKind, &mut String, &mut Option<String>)> {
    match body {
        Body::HypothesisConfirmed { hypothesis, about, .. }
        | Body::HypothesisRefuted { hypothesis, about, .. }
        | Body::Decision { hypothesis: Some(hypothesis), about, .. }
        | Body::Action { hypothesis: Some(hypothesis), about, .. }
        | Body::CommandFinished { hypothesis: Some(hypothesis), about, .. }
        | Body::Claimed { hypothesis, about, .. } => Some((ItemKind::Hypothesis, hypothesis, about)),
        Body::FollowUpDone { followup, about } | Body::FollowUpLinked { followup, about, .. } => {
            Some((ItemKind::FollowUp, followup, about))
        }
        _ => None,
    }
}

/// The `about` an event carries, if it refers to an item by id.
pub fn about(body: &Body) -> Option<&str> {
    match body {
        Body::HypothesisConfirmed { about, .. }
        | Body::HypothesisRefuted { about, .. }
        | Body::Decision { about, .. }
        | Body::Action { about, .. }
        | Body::CommandFinished { about, .. }
        | Body::Claimed { about, .. }
        | Body::FollowUpDone { about, .. }
        | Body::FollowUpLinked { about, .. } => about.as_deref(),
        _ => None,
    }
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
