//! Notifications: webhooks told when an incident opens (from an alert: with the worst results of
//! the checks run at once), changes status or severity, confirms a hypothesis, resolves, and
//! when a responder posts a stakeholder update (`incident update`: its whole text).
//!
//! Every notification goes through the outbox in the store (`store::Outbox`): it is queued
//! once the event is durably recorded, then sent; only a 2xx answer removes it. A failed or
//! slow delivery stays queued and is retried with exponential backoff by later commands that
//! record, and by `incident notify flush`. Sending never holds a command up longer than
//! [`BUDGET`]. Webhook URLs are secrets: the outbox keeps only the webhook's *name*, and the
//! URL is read from the environment at send time.

mod send;

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Body, Event, Incident};
use crate::output::Output;
use crate::secrets::Masker;
use crate::store::{DamagedEntry, IncidentDir, Store};
use crate::time::{self, Clock};

/// How long a command may spend sending notifications, all of them together.
pub const BUDGET: Duration = Duration::from_secs(2);

/// The event kinds that notify (and the only ones a webhook's `events` may name).
pub const NOTIFIED_KINDS: &[&str] = &[
    "incident.opened",
    "alert.checked",
    "status.changed",
    "severity.changed",
    "hypothesis.confirmed",
    "incident.resolved",
    "update.posted",
];

/// The first retry waits this long; each further one twice as long as the last ...
const FIRST_BACKOFF_SECS: i64 = 30;
/// ... up to this.
const MAX_BACKOFF_SECS: i64 = 3600;

/// At most this many deliveries are sent by one command, so a long queue cannot pile up
/// connections; the rest wait for the next.
const MAX_PER_FLUSH: usize = 16;

/// `[[notify]]` in `incident.toml`: one webhook.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// What the outbox and `notify status` call it.
    pub name: String,
    /// The payload's shape.
    pub kind: WebhookKind,
    /// The environment variable holding the URL (a secret: never written anywhere).
    pub url_env: String,
    /// The event kinds to send (default: all of [`NOTIFIED_KINDS`]).
    pub events: Option<Vec<String>>,
}

/// The payload a webhook receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WebhookKind {
    /// Slack's incoming webhooks (and the many services that accept them): `{"text": ...}`.
    Slack,
    /// The incident's id, title, severity and status, and the event as the timeline has it.
    Json,
}

impl Webhook {
    /// Whether this webhook is sent events of `kind`.
    pub fn wants(&self, kind: &str) -> bool {
        NOTIFIED_KINDS.contains(&kind) && self.events.as_ref().is_none_or(|events| events.iter().any(|e| e == kind))
    }
}

/// Checks the webhooks of `incident.toml`: names present and unique, variables named, event
/// kinds known. The error says what is wrong, for the caller to place in the file.
pub fn validate(webhooks: &[Webhook]) -> std::result::Result<(), WebhookError> {
    for (i, webhook) in webhooks.iter().enumerate() {
        let name = || webhook.name.clone();
        if webhook.name.trim().is_empty() {
            return Err(WebhookError::EmptyName { number: i + 1 });
        }
        if webhooks[..i].iter().any(|w| w.name == webhook.name) {
            return Err(WebhookError::DuplicateName(name()));
        }
        if webhook.url_env.trim().is_empty() {
            return Err(WebhookError::EmptyUrlEnv(name()));
        }
        if let Some(kind) = webhook.events.iter().flatten().find(|k| !NOTIFIED_KINDS.contains(&k.as_str())) {
            return Err(WebhookError::UnknownEvent { webhook: name(), kind: kind.clone() });
        }
    }
    Ok(())
}

/// What is wrong with a `[[notify]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookError {
    /// The `number`th webhook (from 1) has no name.
    EmptyName {
        number: usize,
    },
    DuplicateName(String),
    EmptyUrlEnv(String),
    UnknownEvent {
        webhook: String,
        kind: String,
    },
}

impl std::fmt::Display for WebhookError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WebhookError::EmptyName { number } => write!(f, "notify #{number}: `name` is empty"),
            WebhookError::DuplicateName(name) => write!(f, "notify {name:?}: two webhooks have this name"),
            WebhookError::EmptyUrlEnv(name) => {
                write!(f, "notify {name:?}: `url_env` is empty (name the variable that holds the URL)")
            }
            WebhookError::UnknownEvent { webhook, kind } => {
                write!(f, "notify {webhook:?}: unknown event {kind:?} (known: {})", NOTIFIED_KINDS.join(", "))
            }
        }
    }
}

impl std::error::Error for WebhookError {}

/// Why a delivery was not delivered this time (it stays queued; the text, masked, is kept as
/// its `last_error`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// The outbox names a webhook `incident.toml` no longer has.
    UnknownWebhook(String),
    /// The variable that holds the webhook's URL is unset or empty.
    UrlUnset(String),
    /// The HTTP client could not be set up.
    Setup(String),
    /// No answer within the budget.
    NoAnswer,
    /// Never handed to the sender (a bug if it happens; the delivery stays queued).
    NotSent,
    /// An answer other than 2xx.
    Status(u16),
    /// The receiver asked us to wait (429 or 503 with `Retry-After`): the next try waits that
    /// long (up to the longest backoff), not our own backoff.
    RetryAfter { status: u16, secs: i64 },
    /// Not tried: an earlier notification of the same incident to the same webhook was not
    /// delivered, and they go out in order.
    Waiting,
    /// The connection or the request failed (the message has the causes, never the URL).
    Transport(String),
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryError::UnknownWebhook(name) => write!(f, "no webhook named {name:?} in incident.toml"),
            DeliveryError::UrlUnset(var) => write!(f, "{var} is not set (it holds the webhook's URL)"),
            DeliveryError::Setup(why) | DeliveryError::Transport(why) => f.write_str(why),
            DeliveryError::NoAnswer => write!(f, "no answer within {}s", BUDGET.as_secs()),
            DeliveryError::Status(code) => write!(f, "HTTP {code}"),
            DeliveryError::RetryAfter { status, secs } => write!(f, "HTTP {status}, asked to retry after {secs}s"),
            DeliveryError::Waiting => write!(f, "waiting for an earlier notification of this incident"),
            DeliveryError::NotSent => write!(f, "not sent"),
        }
    }
}

impl std::error::Error for DeliveryError {}

/// One notification waiting in the outbox: what to send to which webhook, and how it went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Delivery {
    /// A ULID: the outbox file's name and the `Idempotency-Key` sent with every attempt.
    pub id: String,
    /// The webhook's name (never its URL).
    pub webhook: String,
    pub incident: String,
    /// The event's id and kind.
    pub event: String,
    pub kind: String,
    /// The body, built when the event was recorded, so every attempt sends the same.
    pub payload: serde_json::Value,
    pub attempts: u32,
    #[serde(with = "time::serde_ts")]
    pub created: DateTime<Utc>,
    #[serde(with = "time::serde_ts")]
    pub next_try: DateTime<Utc>,
    /// Why the last attempt failed (masked).
    pub last_error: Option<String>,
}

/// What a flush did.
#[derive(Debug, Default, Serialize)]
pub struct FlushReport {
    pub delivered: Vec<Delivery>,
    /// Attempted and still queued, with the new error and next try.
    pub failed: Vec<Delivery>,
    /// Queued but not yet due (or beyond this command's share), left for later.
    pub waiting: usize,
    /// Another command held the outbox for the whole budget (it is sending the queue).
    pub busy: bool,
    #[serde(skip)]
    pub damaged: Vec<DamagedEntry>,
}

/// What sending needs from the command that records: the store (its outbox), the clock, the
/// configured webhooks and where to warn. `Context::notifier` builds it; taking these rather
/// than the `Context` keeps `notify` below `context` (no import cycle).
pub struct Notifier<'a> {
    pub store: &'a Store,
    pub clock: &'a Clock,
    pub webhooks: &'a [Webhook],
    pub out: &'a Output,
}

/// Queues notifications for the events just recorded on `dir`, then sends what is due.
///
/// Called by `Context` after the events are durably in the timeline, never before, so nothing
/// is announced that was not recorded. It never fails the command: problems are warnings,
/// and a delivery that could not be sent stays queued.
pub fn after_recorded(notifier: &Notifier<'_>, dir: &IncidentDir, events: &[Event]) {
    if notifier.webhooks.is_empty() {
        return;
    }
    if events.iter().any(|e| NOTIFIED_KINDS.contains(&e.body.kind()))
        && let Err(err) = enqueue(notifier, dir, events)
    {
        notifier.out.warn(&format!("notifications not queued: {err}"));
    }
    match flush(notifier, false) {
        Ok(report) => warn_about(notifier, &report),
        Err(err) => notifier.out.warn(&format!("notifications not sent: {err}")),
    }
}

fn enqueue(notifier: &Notifier<'_>, dir: &IncidentDir, events: &[Event]) -> Result<()> {
    // The payload carries the incident's state, so this reads the whole timeline; it happens
    // only for the few events that notify, never for plain records.
    let read = dir.timeline().read()?;
    let Some(incident) = Incident::from_events(dir.id.as_str(), &read.events) else { return Ok(()) };
    // A drill is practice: telling the team's channel would be a false alarm.
    if incident.drill {
        return Ok(());
    }
    let now = notifier.clock.now();
    for event in events {
        for webhook in notifier.webhooks.iter().filter(|w| w.wants(event.body.kind())) {
            let delivery = Delivery {
                id: crate::model::new_event_id(),
                webhook: webhook.name.clone(),
                incident: dir.id.to_string(),
                event: event.id.clone(),
                kind: event.body.kind().to_string(),
                payload: payload(webhook.kind, &incident, event),
                attempts: 0,
                created: now,
                next_try: now,
                last_error: None,
            };
            notifier.store.outbox().put(&delivery.id, &delivery)?;
        }
    }
    Ok(())
}

/// The body a webhook of `kind` receives for `event` of `incident`.
pub fn payload(kind: WebhookKind, incident: &Incident, event: &Event) -> serde_json::Value {
    match kind {
        WebhookKind::Slack => {
            let text = match &event.body {
                // An update is written for people to read whole: its text is the message.
                Body::UpdatePosted { text, next_update } => format!(
                    "[{}] {}: update ({}, {})\n{text}\nNext update by {} UTC.",
                    incident.severity.as_str(),
                    incident.title,
                    incident.status.as_str(),
                    incident.id,
                    next_update.format("%H:%M"),
                ),
                _ => format!(
                    "[{}] {}: {} (status {}, {})",
                    incident.severity.as_str(),
                    incident.title,
                    event.body.describe(),
                    incident.status.as_str(),
                    incident.id
                ),
            };
            serde_json::json!({ "text": slack_escape(&text) })
        }
        WebhookKind::Json => serde_json::json!({
            "incident": {
                "id": incident.id,
                "title": incident.title,
                "severity": incident.severity.as_str(),
                "status": incident.status.as_str(),
            },
            "event": event,
        }),
    }
}

/// Slack reads `<...>` as links and mentions; a title must not ping `<!channel>`.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Every delivery in the outbox, oldest first, and the entries that could not be read.
pub fn queue(notifier: &Notifier<'_>) -> Result<(Vec<Delivery>, Vec<DamagedEntry>)> {
    notifier.store.outbox().list()
}

/// Sends the queued deliveries that are due (all of them with `all`), within [`BUDGET`].
///
/// A 2xx removes the delivery; anything else (an error status, no answer in time, the URL's
/// variable unset, the webhook gone from `incident.toml`) counts an attempt and sets the next
/// try. Fails only when the outbox itself cannot be read.
pub fn flush(notifier: &Notifier<'_>, all: bool) -> Result<FlushReport> {
    let deadline = Instant::now() + BUDGET;
    let outbox = notifier.store.outbox();
    let mut report = FlushReport::default();
    let (queued, damaged) = outbox.list::<Delivery>()?;
    report.damaged = damaged;
    if queued.is_empty() {
        return Ok(report);
    }
    // Held while sending, so two commands never send the same delivery.
    let Some(_lock) = outbox.lock_until(deadline)? else {
        report.busy = true;
        return Ok(report);
    };
    // Re-read under the lock: the command that held it may have delivered some.
    let (queued, _) = outbox.list::<Delivery>()?;
    let now = notifier.clock.now();
    // One not yet due holds back the later ones of its incident and webhook: they go in order.
    let mut held: Vec<(String, String)> = Vec::new();
    let (mut due, waiting): (Vec<Delivery>, Vec<Delivery>) = queued.into_iter().partition(|d| {
        let key = (d.incident.clone(), d.webhook.clone());
        let ready = !held.contains(&key) && (all || d.next_try <= now);
        if !ready {
            held.push(key);
        }
        ready
    });
    report.waiting = waiting.len() + due.len().saturating_sub(MAX_PER_FLUSH);
    due.truncate(MAX_PER_FLUSH);

    let masker = masker(notifier);
    // Per incident and webhook, in the order recorded: "Status..." never overtakes "Incident
    // opened". Each chain is posted one after another, stopping at its first failure.
    let mut chains: Vec<((String, String), Vec<send::Request>)> = Vec::new();
    let mut outcomes: Vec<Option<std::result::Result<(), DeliveryError>>> = Vec::with_capacity(due.len());
    for delivery in &due {
        match url_for(notifier, &delivery.webhook) {
            Ok(url) => {
                outcomes.push(None);
                let request = send::Request {
                    index: outcomes.len() - 1,
                    url,
                    body: delivery.payload.to_string().into_bytes(),
                    idempotency_key: delivery.id.clone(),
                };
                let key = (delivery.incident.clone(), delivery.webhook.clone());
                match chains.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, chain)) => chain.push(request),
                    None => chains.push((key, vec![request])),
                }
            }
            Err(why) => outcomes.push(Some(Err(why))),
        }
    }
    for (index, result) in send::post_all(chains.into_iter().map(|(_, chain)| chain).collect(), deadline) {
        outcomes[index] = Some(result);
    }

    for (mut delivery, outcome) in due.into_iter().zip(outcomes) {
        match outcome.unwrap_or(Err(DeliveryError::NotSent)) {
            Ok(()) => {
                outbox.remove(&delivery.id)?;
                report.delivered.push(delivery);
            }
            // Not tried: it keeps its place and its count, and goes right after the one before it.
            Err(DeliveryError::Waiting) => report.waiting += 1,
            Err(why) => {
                delivery.attempts += 1;
                delivery.last_error = Some(masker.mask(&why.to_string()));
                let wait = match why {
                    DeliveryError::RetryAfter { secs, .. } => secs.clamp(0, MAX_BACKOFF_SECS),
                    _ => backoff_secs(delivery.attempts),
                };
                delivery.next_try = now + chrono::Duration::seconds(wait);
                outbox.put(&delivery.id, &delivery)?;
                report.failed.push(delivery);
            }
        }
    }
    Ok(report)
}

/// The URL of the webhook named `name`, from its environment variable.
fn url_for(notifier: &Notifier<'_>, name: &str) -> std::result::Result<String, DeliveryError> {
    let Some(webhook) = notifier.webhooks.iter().find(|w| w.name == name) else {
        return Err(DeliveryError::UnknownWebhook(name.to_string()));
    };
    match std::env::var(&webhook.url_env) {
        Ok(url) if !url.trim().is_empty() => Ok(url.trim().to_string()),
        _ => Err(DeliveryError::UrlUnset(webhook.url_env.clone())),
    }
}

/// Masks the webhook URLs (and secret-named variables) in error text.
fn masker(notifier: &Notifier<'_>) -> Masker {
    let mut masker = Masker::from_env(std::env::vars(), notifier.webhooks.iter().map(|w| w.url_env.as_str()));
    for webhook in notifier.webhooks {
        if let Ok(url) = std::env::var(&webhook.url_env) {
            masker.add(url.trim());
        }
    }
    masker
}

/// Seconds before the next try after `attempts` failed ones: 30 s, 1 min, 2 min, ... 1 h.
fn backoff_secs(attempts: u32) -> i64 {
    let doublings = attempts.saturating_sub(1).min(20);
    FIRST_BACKOFF_SECS.saturating_mul(1 << doublings).min(MAX_BACKOFF_SECS)
}

/// Tells the responder, in one line each, what did not go out.
pub fn warn_about(notifier: &Notifier<'_>, report: &FlushReport) {
    for damaged in &report.damaged {
        notifier.out.warn(&format!(
            "{}: unreadable outbox entry left in place: {}",
            damaged.path.display(),
            damaged.reason
        ));
    }
    for delivery in &report.failed {
        notifier.out.warn(&format!(
            "notification of {} to {} not delivered: {}; queued, next try {} UTC (see `incident notify status`)",
            delivery.kind,
            delivery.webhook,
            delivery.last_error.as_deref().unwrap_or("unknown error"),
            delivery.next_try.format("%H:%M:%S"),
        ));
    }
}

/// `incident notify flush`'s verdict: an error when deliveries remain queued.
pub fn require_all_delivered(report: &FlushReport) -> Result<()> {
    if report.busy {
        return Err(Error::runtime("another command is sending the outbox")
            .with_hint("try again in a moment, or see the queue with `incident notify status`"));
    }
    if !report.failed.is_empty() {
        return Err(Error::runtime(format!("{} notification(s) still queued", report.failed.len()))
            .with_hint("see why with `incident notify status`; later commands retry them"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
        assert_eq!(backoff_secs(1), 30);
        assert_eq!(backoff_secs(2), 60);
        assert_eq!(backoff_secs(3), 120);
        assert_eq!(backoff_secs(10), 3600);
        assert_eq!(backoff_secs(u32::MAX), 3600);
    }

    #[test]
    fn slack_text_cannot_mention_the_channel() {
        assert_eq!(slack_escape("<!channel> & co"), "&lt;!channel&gt; &amp; co");
    }

    #[test]
    fn unknown_event_kinds_and_duplicate_names_are_refused() {
        let hook = |name: &str, events: Option<Vec<String>>| Webhook {
            name: name.to_string(),
            kind: WebhookKind::Json,
            url_env: "URL".to_string(),
            events,
        };
        assert!(validate(&[hook("a", None), hook("b", Some(vec!["incident.resolved".into()]))]).is_ok());
        assert!(validate(&[hook("a", None), hook("a", None)]).is_err());
        assert!(validate(&[hook("a", Some(vec!["note.added".into()]))]).is_err());
    }
}
