//! Delivery markers: the lines of an incident's `deliveries.jsonl` (`store::DeliveryLog`), which
//! travel through sync and say, for the whole team, which events are to be notified, which clone
//! took on posting each to which webhook, and which were delivered.
//!
//! - `due`: written by the clone that recorded a notifying event, whatever its configuration
//!   (a clone without the webhook's URL cannot post, but a teammate's can). Events recorded
//!   before markers existed have none, so upgrading never posts a backlog.
//! - `claimed`: a clone with the webhook's URL took the event on. The recording clone claims
//!   its own at once (nobody else can have the event yet). A clone that pulls a due event nobody
//!   claimed claims it, and posts only if, once its push is accepted, its claim is the only one:
//!   pushes are serialised by the remote, so exactly one claimant (the first to push) sees that.
//! - `delivered`: the webhook answered 2xx; a clone holding the same delivery drops it unposted.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::time;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkState {
    Due,
    Claimed,
    Delivered,
    /// A state a newer version writes: kept in the file, ignored here.
    #[serde(other)]
    Other,
}

/// One line of `deliveries.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Marker {
    pub state: MarkState,
    /// The event's id.
    pub event: String,
    /// The event's kind (on `due`: what a webhook's `events` filter is checked against).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The webhook's name (on `claimed` and `delivered`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// The claiming clone's delivery id (its outbox entry, and the `Idempotency-Key`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<String>,
    /// Who ran the clone that wrote it, and when (for people reading the file).
    pub by: String,
    #[serde(with = "time::serde_ts")]
    pub at: DateTime<Utc>,
}

impl Marker {
    pub fn due(event: &str, kind: &str, by: &str, at: DateTime<Utc>) -> Marker {
        Marker {
            state: MarkState::Due,
            event: event.to_string(),
            kind: Some(kind.to_string()),
            webhook: None,
            delivery: None,
            by: by.to_string(),
            at,
        }
    }

    pub fn for_delivery(state: MarkState, delivery: &super::Delivery, by: &str, at: DateTime<Utc>) -> Marker {
        Marker {
            state,
            event: delivery.event.clone(),
            kind: Some(delivery.kind.clone()),
            webhook: Some(delivery.webhook.clone()),
            delivery: Some(delivery.id.clone()),
            by: by.to_string(),
            at,
        }
    }
}

/// An incident's markers, as merged from every clone.
#[derive(Debug, Default)]
pub struct Markers(pub Vec<Marker>);

impl Markers {
    fn about<'a>(&'a self, event: &'a str, webhook: &'a str) -> impl Iterator<Item = &'a Marker> + 'a {
        self.0.iter().filter(move |m| m.event == event && m.webhook.as_deref() == Some(webhook))
    }

    /// Some clone claimed or delivered `event` to `webhook`: nobody else takes it on.
    pub fn taken(&self, event: &str, webhook: &str) -> bool {
        self.about(event, webhook).any(|m| matches!(m.state, MarkState::Claimed | MarkState::Delivered))
    }

    pub fn delivered(&self, event: &str, webhook: &str) -> bool {
        self.about(event, webhook).any(|m| m.state == MarkState::Delivered)
    }

    /// Whether `delivery` is the one claim on its event and webhook: true for exactly one
    /// clone once its push was accepted (see the module's comment).
    pub fn sole_claim(&self, delivery: &super::Delivery) -> bool {
        let claims: BTreeSet<&str> = self
            .about(&delivery.event, &delivery.webhook)
            .filter(|m| m.state == MarkState::Claimed)
            .filter_map(|m| m.delivery.as_deref())
            .collect();
        claims.len() == 1 && claims.contains(delivery.id.as_str())
    }

    /// The events marked due, with their kinds, each once.
    pub fn due(&self) -> Vec<(&str, &str)> {
        let mut seen = BTreeSet::new();
        self.0
            .iter()
            .filter(|m| m.state == MarkState::Due)
            .filter_map(|m| Some((m.event.as_str(), m.kind.as_deref()?)))
            .filter(|pair| seen.insert(*pair))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(id: &str) -> super::super::Delivery {
        super::super::Delivery {
            id: id.to_string(),
            webhook: "team".into(),
            incident: "i".into(),
            event: "E".into(),
            kind: "status.changed".into(),
            payload: serde_json::Value::Null,
            attempts: 0,
            created: Utc::now(),
            next_try: Utc::now(),
            last_error: None,
            awaiting_sync: true,
            sending_since: None,
        }
    }

    #[test]
    fn a_claim_posts_only_while_no_other_clone_claimed_the_same_event_and_webhook() {
        let (ours, theirs) = (delivery("A"), delivery("B"));
        let now = Utc::now();
        let mut markers = Markers(vec![Marker::for_delivery(MarkState::Claimed, &ours, "ana", now)]);
        assert!(markers.sole_claim(&ours));
        // The same line twice (a union merge can repeat one) is still one claim.
        markers.0.push(Marker::for_delivery(MarkState::Claimed, &ours, "ana", now));
        assert!(markers.sole_claim(&ours));
        markers.0.push(Marker::for_delivery(MarkState::Claimed, &theirs, "bo", now));
        assert!(!markers.sole_claim(&ours) && !markers.sole_claim(&theirs));
        assert!(markers.taken("E", "team") && !markers.taken("E", "other"));
    }

    #[test]
    fn a_marker_of_a_newer_kind_is_read_and_ignored() {
        let line = r#"{"state":"attempted","event":"E","by":"cy","at":"2026-11-22T14:05:00Z"}"#;
        let marker: Marker = serde_json::from_str(line).expect("parses");
        assert_eq!(marker.state, MarkState::Other);
        assert!(Markers(vec![marker]).due().is_empty());
    }
}
