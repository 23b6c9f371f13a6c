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
//! - `sending`: the claimant sent it and lost the answer (no answer in time, or its sender died
//!   waiting): it may have been posted.
//!
//! A claim is a lease ([`lease`]): a clone that claims and then dies, loses the URL or never
//! syncs again would otherwise hold its events forever. Once every claim on an event has lapsed
//! with nothing delivered, another clone with the webhook may claim it again, sending the first
//! claim's delivery id as its `Idempotency-Key`; unless a claimant marked it `sending` and the
//! webhook is Slack, which cannot tell a repeat: that one is left unposted (see [`Holder`]).

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
    Sending,
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

/// How long past its recorded time a claim holds its event against other clones: the
/// webhook's timeout, a margin for the claimant's next sync, and the clock tolerance (the
/// claimant's clock may be ahead of ours).
pub fn lease(send_timeout: std::time::Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(send_timeout).unwrap_or(chrono::TimeDelta::MAX / 2)
        + LEASE_MARGIN
        + time::CLOCK_TOLERANCE
}

/// What a claimant gets, beyond the webhook's timeout, to post and sync its `delivered`.
const LEASE_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(1);

/// Who holds an event's posting to a webhook, as of a moment.
#[derive(Debug, PartialEq, Eq)]
pub enum Holder<'a> {
    /// Nobody claimed it.
    Free,
    /// A claim within its lease.
    Claimed,
    Delivered,
    /// Every claim lapsed with nothing delivered: another clone may take it on with `key`,
    /// the first claim's delivery id. `maybe_sent`: a claimant marked it `sending`.
    Lapsed {
        key: &'a str,
        maybe_sent: bool,
    },
}

/// An incident's markers, as merged from every clone.
#[derive(Debug, Default)]
pub struct Markers(pub Vec<Marker>);

impl Markers {
    fn about<'a>(&'a self, event: &'a str, webhook: &'a str) -> impl Iterator<Item = &'a Marker> + 'a {
        self.0.iter().filter(move |m| m.event == event && m.webhook.as_deref() == Some(webhook))
    }

    /// Who holds `event` for `webhook` at `now`, claims lasting `lease`.
    pub fn holder<'a>(
        &'a self,
        event: &'a str,
        webhook: &'a str,
        now: DateTime<Utc>,
        lease: chrono::TimeDelta,
    ) -> Holder<'a> {
        if self.delivered(event, webhook) {
            return Holder::Delivered;
        }
        let claims = || self.about(event, webhook).filter(|m| m.state == MarkState::Claimed);
        if claims().any(|m| m.at + lease > now) {
            return Holder::Claimed;
        }
        // The first claim's key, so every taker's request is the same one to a JSON receiver.
        let first = claims().filter_map(|m| Some((m.at, m.delivery.as_deref()?))).min();
        match first {
            None => Holder::Free,
            Some((_, key)) => {
                Holder::Lapsed { key, maybe_sent: self.about(event, webhook).any(|m| m.state == MarkState::Sending) }
            }
        }
    }

    pub fn delivered(&self, event: &str, webhook: &str) -> bool {
        self.about(event, webhook).any(|m| m.state == MarkState::Delivered)
    }

    /// Whether `delivery` is the one live claim on its event and webhook (lapsed ones, older
    /// than `lease` at `now`, do not count): true for exactly one clone once its push was
    /// accepted (see the module's comment).
    pub fn sole_claim(&self, delivery: &super::Delivery, now: DateTime<Utc>, lease: chrono::TimeDelta) -> bool {
        let claims: BTreeSet<&str> = self
            .about(&delivery.event, &delivery.webhook)
            .filter(|m| m.state == MarkState::Claimed)
            .filter(|m| m.at + lease > now || m.delivery.as_deref() == Some(delivery.id.as_str()))
            .filter_map(|m| m.delivery.as_deref())
            .collect();
        claims.len() == 1 && claims.contains(delivery.id.as_str())
    }

    /// Another clone claimed `delivery`'s event after this clone's claim had lapsed: it is
    /// theirs now.
    pub fn taken_over(&self, delivery: &super::Delivery, lease: chrono::TimeDelta) -> bool {
        self.about(&delivery.event, &delivery.webhook).any(|m| {
            m.state == MarkState::Claimed
                && m.delivery.as_deref() != Some(delivery.id.as_str())
                && m.at >= delivery.created + lease
        })
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
            idempotency_key: None,
        }
    }

    #[test]
    fn a_claim_posts_only_while_no_other_clone_claimed_the_same_event_and_webhook() {
        let (ours, theirs) = (delivery("A"), delivery("B"));
        let now = Utc::now();
        let mut markers = Markers(vec![Marker::for_delivery(MarkState::Claimed, &ours, "ana", now)]);
        let lease = lease(std::time::Duration::from_secs(30));
        assert!(markers.sole_claim(&ours, now, lease));
        // The same line twice (a union merge can repeat one) is still one claim.
        markers.0.push(Marker::for_delivery(MarkState::Claimed, &ours, "ana", now));
        assert!(markers.sole_claim(&ours, now, lease));
        markers.0.push(Marker::for_delivery(MarkState::Claimed, &theirs, "bo", now));
        assert!(!markers.sole_claim(&ours, now, lease) && !markers.sole_claim(&theirs, now, lease));
        assert_eq!(markers.holder("E", "team", now, lease), Holder::Claimed);
        assert_eq!(markers.holder("E", "other", now, lease), Holder::Free);
    }

    // What broke: a clone that claimed an event and then died held it forever.
    #[test]
    fn a_lapsed_claim_frees_its_event_with_the_first_claims_key_unless_it_may_have_been_sent() {
        let claimed: DateTime<Utc> = "2026-11-22T14:00:00Z".parse().expect("a time");
        let (ours, theirs) = (super::super::Delivery { created: claimed, ..delivery("A") }, delivery("B"));
        let lease = lease(std::time::Duration::from_secs(30));
        let mut markers = Markers(vec![Marker::for_delivery(MarkState::Claimed, &ours, "ana", claimed)]);
        assert_eq!(
            markers.holder("E", "team", claimed + lease - chrono::TimeDelta::seconds(1), lease),
            Holder::Claimed
        );
        let later = claimed + lease;
        assert_eq!(markers.holder("E", "team", later, lease), Holder::Lapsed { key: "A", maybe_sent: false });
        // Bo's takeover is the sole live claim; Ana's lapsed one no longer counts.
        let theirs = super::super::Delivery { created: later, ..theirs };
        markers.0.push(Marker::for_delivery(MarkState::Claimed, &theirs, "bo", later));
        assert!(markers.sole_claim(&theirs, later, lease) && markers.taken_over(&ours, lease));
        assert!(!markers.taken_over(&theirs, lease));
        markers.0.push(Marker::for_delivery(MarkState::Sending, &ours, "ana", later));
        let much_later = later + lease;
        assert_eq!(markers.holder("E", "team", much_later, lease), Holder::Lapsed { key: "A", maybe_sent: true });
    }

    #[test]
    fn a_marker_of_a_newer_kind_is_read_and_ignored() {
        let line = r#"{"state":"attempted","event":"E","by":"cy","at":"2026-11-22T14:05:00Z"}"#;
        let marker: Marker = serde_json::from_str(line).expect("parses");
        assert_eq!(marker.state, MarkState::Other);
        assert!(Markers(vec![marker]).due().is_empty());
    }
}
