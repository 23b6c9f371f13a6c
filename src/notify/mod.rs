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

mod background;
mod compose;
mod markers;
mod send;

pub use markers::{Holder, MarkState, Marker, Markers};

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::{Body, Event, Incident, IncidentId};
use crate::output::Output;
use crate::secrets::Masker;
use crate::store::{DamagedEntry, IncidentDir, Store, TimelineLock};
use crate::time::{self, Clock};

/// How long a command that records waits for its notifications to be sent; the background
/// sender it started goes on after that, up to each webhook's own timeout.
pub const BUDGET: Duration = Duration::from_secs(2);

/// How long the sender waits for a webhook's answer, unless its `timeout` says otherwise.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(30);

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
    /// How long to wait for an answer once a notification is sent (`"30s"`, the default).
    pub timeout: Option<String>,
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
    /// How long to wait for this webhook's answer.
    fn send_timeout(&self) -> Duration {
        self.timeout.as_deref().and_then(|t| crate::time::parse_duration(t).ok()).unwrap_or(SEND_TIMEOUT)
    }

    /// How long a clone's claim to post to this webhook holds against other clones.
    fn lease(&self) -> chrono::TimeDelta {
        markers::lease(self.send_timeout())
    }

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
        if let Some(text) = &webhook.timeout {
            crate::time::parse_duration(text)
                .map_err(|e| WebhookError::BadTimeout { webhook: name(), reason: e.to_string() })?;
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
    BadTimeout {
        webhook: String,
        reason: String,
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
            WebhookError::BadTimeout { webhook, reason } => write!(f, "notify {webhook:?}: timeout: {reason}"),
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
    /// Sent, and no answer within the webhook's timeout (seconds): it may have been posted.
    NoAnswer(u64),
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
            DeliveryError::NoAnswer(secs) => write!(f, "no answer within {secs}s"),
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
    /// Claimed after a sync pulled the event (a teammate's clone could not post it): sent only
    /// once a push proves this clone's claim was the first (see `markers`).
    #[serde(default)]
    pub awaiting_sync: bool,
    /// Set, durably, just before the request goes out and cleared with its outcome: found set
    /// by a later sender, the one that sent it died waiting for the answer.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "time::serde_ts::option")]
    pub sending_since: Option<DateTime<Utc>>,
    /// The `Idempotency-Key` when it is not `id`: a claim taken over from a lapsed one sends
    /// the first claim's key, so a JSON receiver sees one request, however many clones tried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency_key: Option<String>,
}

/// What a flush did (the background sender hands it to the command that started it as JSON).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FlushReport {
    pub delivered: Vec<Delivery>,
    /// Attempted and still queued, with the new error and next try.
    pub failed: Vec<Delivery>,
    /// Queued but not yet due (or beyond this command's share), left for later.
    pub waiting: usize,
    /// Another command held the outbox for the whole budget (it is sending the queue).
    pub busy: bool,
    /// Dropped unsent: the shared markers say another clone delivered them already.
    pub delivered_elsewhere: usize,
    /// Sent with no answer in time (or the sender died waiting) to a webhook that cannot tell a
    /// repeat (Slack): maybe posted, so not posted again.
    pub unconfirmed: Vec<Delivery>,
    #[serde(skip)]
    pub damaged: Vec<DamagedEntry>,
}

/// What sending needs from the command that records: the store (its outbox), the clock, the
/// configured webhooks and where to warn. `Context::notifier` builds it; taking these rather
/// than the `Context` keeps `notify` below `context` (no import cycle).
pub struct Notifier<'a> {
    pub store: &'a Store,
    pub clock: &'a Clock,
    /// Who is recording (named in the delivery markers).
    pub author: &'a str,
    pub webhooks: &'a [Webhook],
    pub out: &'a Output,
}

/// Queues notifications for the events just recorded on `dir`, then sends what is due.
///
/// Called by `Context` after the events are durably in the timeline, never before, so nothing
/// is announced that was not recorded. It never fails the command: problems are warnings,
/// and a delivery that could not be sent stays queued.
pub fn after_recorded(notifier: &Notifier<'_>, dir: &IncidentDir, events: &[Event]) {
    let notifying: Vec<&Event> = events.iter().filter(|e| NOTIFIED_KINDS.contains(&e.body.kind())).collect();
    // A shared store marks what is due even without webhooks here: a teammate's clone posts it.
    if !notifying.is_empty()
        && (notifier.store.is_shared() || !notifier.webhooks.is_empty())
        && let Err(err) = enqueue(notifier, dir, &notifying)
    {
        notifier.out.warn(&format!("notifications not queued: {err}"));
    }
    if notifier.webhooks.is_empty() {
        return;
    }
    send_due(notifier);
}

fn enqueue(notifier: &Notifier<'_>, dir: &IncidentDir, events: &[&Event]) -> Result<()> {
    // The payload carries the incident's state, so this reads the whole timeline; it happens
    // only for the few events that notify, never for plain records.
    let read = dir.timeline().read()?;
    let Some(incident) = Incident::from_events(dir.id.as_str(), &read.events) else { return Ok(()) };
    // A drill is practice: telling the team's channel would be a false alarm.
    if incident.drill {
        return Ok(());
    }
    let shared = notifier.store.is_shared();
    let now = notifier.clock.now();
    let mut markers = Vec::new();
    for event in events {
        let kind = event.body.kind();
        if shared {
            markers.push(Marker::due(&event.id, kind, notifier.author, now));
        }
        for webhook in notifier.webhooks.iter().filter(|w| w.wants(kind)) {
            // In a shared store, a clone that cannot post leaves the event to one that can.
            if shared && let Err(why) = url_for(notifier, &webhook.name) {
                notifier.out.detail(&format!(
                    "{kind} not posted to {} from here ({why}): a teammate's clone that has it posts it after sync",
                    webhook.name
                ));
                continue;
            }
            let delivery = Delivery {
                id: crate::model::new_event_id(),
                webhook: webhook.name.clone(),
                incident: dir.id.to_string(),
                event: event.id.clone(),
                kind: kind.to_string(),
                payload: payload(webhook.kind, &incident, event),
                attempts: 0,
                created: now,
                next_try: now,
                last_error: None,
                awaiting_sync: false,
                sending_since: None,
                idempotency_key: None,
            };
            notifier.store.outbox().put(&delivery.id, &delivery)?;
            if shared {
                markers.push(Marker::for_delivery(MarkState::Claimed, &delivery, notifier.author, now));
            }
        }
    }
    if !markers.is_empty() {
        let lock = dir.timeline().lock()?;
        dir.delivery_log().append(&lock, &markers)?;
    }
    Ok(())
}

/// During `incident sync`, under every timeline's lock (`locks`): claims, for each webhook this
/// clone can post to, the events marked due that no clone has claimed (recorded by teammates
/// without the webhook, or pulled before a sync was killed). The claims are queued awaiting
/// the push; [`after_sync`] decides which to send. Returns how many were claimed.
pub fn claim_due(notifier: &Notifier<'_>, locks: &[(IncidentId, TimelineLock)]) -> Result<usize> {
    let able: Vec<&Webhook> = notifier.webhooks.iter().filter(|w| url_for(notifier, &w.name).is_ok()).collect();
    if able.is_empty() {
        return Ok(0);
    }
    let now = notifier.clock.now();
    let mut claimed = 0;
    for (id, lock) in locks {
        let dir = notifier.store.dir(id.clone());
        let log = dir.delivery_log();
        let markers = Markers(log.read()?);
        let mut new = Vec::new();
        for (event, kind) in markers.due() {
            for webhook in able.iter().filter(|w| w.wants(kind)) {
                let idempotency_key = match markers.holder(event, &webhook.name, now, webhook.lease()) {
                    Holder::Free => None,
                    Holder::Claimed | Holder::Delivered => continue,
                    // Maybe posted already, and Slack cannot tell a repeat: `notify status` says so.
                    Holder::Lapsed { maybe_sent: true, .. } if webhook.kind == WebhookKind::Slack => continue,
                    Holder::Lapsed { key, .. } => Some(key.to_string()),
                };
                let delivery = Delivery {
                    id: crate::model::new_event_id(),
                    webhook: webhook.name.clone(),
                    incident: id.to_string(),
                    event: event.to_string(),
                    kind: kind.to_string(),
                    // Composed from the merged timeline when it is sent.
                    payload: serde_json::Value::Null,
                    attempts: 0,
                    created: now,
                    next_try: now,
                    last_error: None,
                    awaiting_sync: true,
                    sending_since: None,
                    idempotency_key,
                };
                // Queued before the claim is written: a crash between leaves a queued delivery
                // without a claim, which `after_sync` drops, never a claim nobody will send.
                notifier.store.outbox().put(&delivery.id, &delivery)?;
                new.push(Marker::for_delivery(MarkState::Claimed, &delivery, notifier.author, now));
            }
        }
        claimed += new.len();
        log.append(lock, &new)?;
    }
    Ok(claimed)
}

/// After a sync whose push the remote accepted (or that had nothing to push): the claims this
/// clone made are settled (each kept only if it is its event's sole claim: this clone pushed
/// it first), then what is due is sent. Never fails the sync: problems are warnings.
pub fn after_sync(notifier: &Notifier<'_>) {
    if let Err(err) = settle_claims(notifier) {
        notifier.out.warn(&format!("notifications not settled: {err}"));
    }
    if notifier.webhooks.is_empty() {
        return;
    }
    send_due(notifier);
}

fn settle_claims(notifier: &Notifier<'_>) -> Result<()> {
    let outbox = notifier.store.outbox();
    if !outbox.list::<Delivery>()?.0.iter().any(|d| d.awaiting_sync) {
        return Ok(());
    }
    let Some(_lock) = outbox.lock_until(Instant::now() + BUDGET)? else { return Ok(()) };
    let mut markers: Vec<(String, Markers)> = Vec::new();
    for mut delivery in outbox.list::<Delivery>()?.0.into_iter().filter(|d| d.awaiting_sync) {
        if !markers.iter().any(|(id, _)| *id == delivery.incident) {
            markers.push((delivery.incident.clone(), read_markers(notifier.store, &delivery.incident)?));
        }
        let Some((_, known)) = markers.iter().find(|(id, _)| *id == delivery.incident) else { continue };
        let lease = webhook(notifier, &delivery.webhook).map_or_else(|| markers::lease(SEND_TIMEOUT), Webhook::lease);
        if known.sole_claim(&delivery, notifier.clock.now(), lease)
            && !known.delivered(&delivery.event, &delivery.webhook)
        {
            delivery.awaiting_sync = false;
            outbox.put(&delivery.id, &delivery)?;
        } else {
            outbox.remove(&delivery.id)?;
        }
    }
    Ok(())
}

/// An event left unposted on purpose: every claim on it lapsed after a claimant sent it and
/// lost the answer, and its webhook (Slack) cannot tell a repeat, so no clone posts it again.
#[derive(Debug)]
pub struct MaybePosted {
    pub incident: String,
    pub kind: String,
    pub webhook: String,
}

/// The events of a shared store that no clone will post because they may have been posted
/// (see [`MaybePosted`]), for `notify status` to name.
pub fn maybe_posted(notifier: &Notifier<'_>) -> Result<Vec<MaybePosted>> {
    let slack: Vec<&Webhook> = notifier.webhooks.iter().filter(|w| w.kind == WebhookKind::Slack).collect();
    if !notifier.store.is_shared() || slack.is_empty() {
        return Ok(Vec::new());
    }
    let now = notifier.clock.now();
    let mut found = Vec::new();
    for id in notifier.store.ids()? {
        let markers = read_markers(notifier.store, id.as_str())?;
        for (event, kind) in markers.due() {
            for webhook in slack.iter().filter(|w| w.wants(kind)) {
                if let Holder::Lapsed { maybe_sent: true, .. } =
                    markers.holder(event, &webhook.name, now, webhook.lease())
                {
                    found.push(MaybePosted {
                        incident: id.to_string(),
                        kind: kind.to_string(),
                        webhook: webhook.name.clone(),
                    });
                }
            }
        }
    }
    Ok(found)
}

/// Sends what is due through the background sender, telling the responder what did not go
/// out if it finished within [`BUDGET`]; never fails the command.
fn send_due(notifier: &Notifier<'_>) {
    match background::send_due(notifier) {
        Ok(background::Sent::Finished(report)) => warn_about(notifier, &report),
        Ok(background::Sent::StillSending) => notifier.out.detail(&format!(
            "notifications are still being sent in the background (each webhook is given {}s by default)",
            SEND_TIMEOUT.as_secs()
        )),
        Ok(background::Sent::NothingDue) => {}
        Err(why) => notifier
            .out
            .warn(&format!("notifications not sent: {why}; they stay queued (`incident notify flush` sends them)")),
    }
}

/// The markers of the incident `id` (none for an incident that is gone), read under its
/// timeline's lock so that a sync's git is not replacing the file meanwhile.
fn read_markers(store: &Store, id: &str) -> Result<Markers> {
    let Ok(id) = IncidentId::parse(id) else { return Ok(Markers::default()) };
    let dir = store.dir(id);
    if !dir.timeline().path().is_file() {
        return Ok(Markers::default());
    }
    let _lock = dir.timeline().lock()?;
    Ok(Markers(dir.delivery_log().read()?))
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

/// Sends the queued deliveries that are due (all of them with `all`), waiting for each answer
/// up to its webhook's timeout ([`SEND_TIMEOUT`] by default).
///
/// A 2xx removes the delivery; anything else (an error status, the URL's variable unset, the
/// webhook gone from `incident.toml`) counts an attempt and sets the next try. A request sent
/// and not answered in time may have been posted: to a Slack webhook (which cannot tell a
/// repeat) it is not sent again but reported as unconfirmed; a JSON one gets it again with the
/// same `Idempotency-Key`. Fails only when the outbox itself cannot be read.
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
    let masker = masker(notifier);
    // Marked as being sent, yet no sender holds the lock: one died waiting for the answer.
    let mut alive = Vec::with_capacity(queued.len());
    for mut delivery in queued {
        if delivery.sending_since.take().is_none() {
            alive.push(delivery);
            continue;
        }
        delivery.last_error = Some("the sender stopped before the answer came".to_string());
        mark_maybe_sent(notifier, &delivery);
        if webhook(notifier, &delivery.webhook).is_some_and(|w| w.kind == WebhookKind::Slack) {
            outbox.remove(&delivery.id)?;
            report.unconfirmed.push(delivery);
        } else {
            outbox.put(&delivery.id, &delivery)?;
            alive.push(delivery);
        }
    }
    // In the events' (time, id) order, not the order this clone queued them: an older event
    // pulled from a teammate and claimed here goes before a newer one of this clone's own.
    let queued = in_event_order(notifier.store, alive);
    // One not yet due, or claimed and awaiting the sync that settles it, holds back the later
    // ones of its incident and webhook: they go in order.
    let mut held: Vec<(String, String)> = Vec::new();
    let (mut due, waiting): (Vec<Delivery>, Vec<Delivery>) = queued.into_iter().partition(|d| {
        let key = (d.incident.clone(), d.webhook.clone());
        let ready = !d.awaiting_sync && !held.contains(&key) && (all || d.next_try <= now);
        if !ready {
            held.push(key);
        }
        ready
    });
    report.waiting = waiting.len() + due.len().saturating_sub(MAX_PER_FLUSH);
    due.truncate(MAX_PER_FLUSH);

    // The merged state, once per incident: what teammates' clones delivered, and the timeline
    // each message is composed from.
    let shared = notifier.store.is_shared();
    let mut incidents: Vec<(String, Markers, Vec<Event>)> = Vec::new();
    for delivery in &due {
        if !incidents.iter().any(|(id, ..)| *id == delivery.incident) {
            let markers = if shared { read_markers(notifier.store, &delivery.incident)? } else { Markers::default() };
            incidents.push((delivery.incident.clone(), markers, timeline_events(notifier.store, &delivery.incident)));
        }
    }
    let merged = |d: &Delivery| incidents.iter().find(|(id, ..)| *id == d.incident);
    // Delivered by a teammate, or taken over by one after this clone's claim lapsed.
    let lease =
        |d: &Delivery| webhook(notifier, &d.webhook).map_or_else(|| markers::lease(SEND_TIMEOUT), Webhook::lease);
    let (elsewhere, mut due): (Vec<Delivery>, Vec<Delivery>) = due.into_iter().partition(|d| {
        merged(d).is_some_and(|(_, m, _)| m.delivered(&d.event, &d.webhook) || m.taken_over(d, lease(d)))
    });
    for delivery in &elsewhere {
        outbox.remove(&delivery.id)?;
    }
    report.delivered_elsewhere = elsewhere.len();
    for delivery in &mut due {
        let webhook_kind = notifier.webhooks.iter().find(|w| w.name == delivery.webhook).map(|w| w.kind);
        if let (Some(kind), Some((id, _, events))) = (webhook_kind, merged(delivery))
            && let Some(body) = compose::compose(kind, id, events, &delivery.event)
        {
            delivery.payload = body;
        }
    }

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
                    idempotency_key: delivery.idempotency_key.clone().unwrap_or_else(|| delivery.id.clone()),
                    timeout: webhook(notifier, &delivery.webhook).map_or(SEND_TIMEOUT, Webhook::send_timeout),
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
    // Each request waits its own timeout; a chain's later ones not sent by this deadline wait
    // for the next sender.
    let longest = chains.iter().flat_map(|(_, c)| c.iter().map(|r| r.timeout)).max().unwrap_or(SEND_TIMEOUT);
    let send_deadline = Instant::now() + longest + Duration::from_secs(10);
    let started: send::Started = {
        let (outbox, marked, at) = (outbox.clone(), due.clone(), now);
        std::sync::Arc::new(move |index: usize| {
            if let Some(delivery) = marked.get(index) {
                let mut delivery = delivery.clone();
                delivery.sending_since = Some(at);
                // Should this fail, a sender that dies now lets the next one post it again.
                let _ = outbox.put(&delivery.id, &delivery);
            }
        })
    };
    let chains = chains.into_iter().map(|(_, chain)| chain).collect();
    for (index, result) in send::post_all(chains, send_deadline, &started) {
        outcomes[index] = Some(result);
    }

    for (mut delivery, outcome) in due.into_iter().zip(outcomes) {
        match outcome.unwrap_or(Err(DeliveryError::NotSent)) {
            Ok(()) => {
                if shared && let Err(err) = mark_delivered(notifier, &delivery) {
                    notifier.out.warn(&format!("delivered, but not marked so for teammates' clones: {err}"));
                }
                outbox.remove(&delivery.id)?;
                report.delivered.push(delivery);
            }
            // Not tried: it keeps its place and its count, and goes right after the one before it.
            Err(DeliveryError::Waiting) => report.waiting += 1,
            Err(why @ DeliveryError::NoAnswer(_))
                if webhook(notifier, &delivery.webhook).is_some_and(|w| w.kind == WebhookKind::Slack) =>
            {
                mark_maybe_sent(notifier, &delivery);
                delivery.attempts += 1;
                delivery.last_error = Some(why.to_string());
                outbox.remove(&delivery.id)?;
                report.unconfirmed.push(delivery);
            }
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

/// `queued` sorted by its events' (time, id) as each incident's timeline has them now (a
/// delivery whose event is not there keeps its place after those that are, by queueing time).
fn in_event_order(store: &Store, mut queued: Vec<Delivery>) -> Vec<Delivery> {
    let mut times: std::collections::HashMap<String, DateTime<Utc>> = std::collections::HashMap::new();
    let mut read: BTreeSet<String> = BTreeSet::new();
    for delivery in &queued {
        if read.insert(delivery.incident.clone()) {
            times.extend(timeline_events(store, &delivery.incident).into_iter().map(|e| (e.id, e.ts)));
        }
    }
    queued.sort_by_cached_key(|d| (times.get(&d.event).copied().unwrap_or(d.created), d.event.clone()));
    queued
}

/// Writes the `delivered` marker that tells every clone, once synced, not to post it again.
fn mark_delivered(notifier: &Notifier<'_>, delivery: &Delivery) -> Result<()> {
    append_marker(notifier, delivery, MarkState::Delivered)
}

/// In a shared store, writes the `sending` marker that tells every clone, once synced, that
/// `delivery` may have been posted: a clone taking over the lapsed claim does not post it to
/// Slack again.
fn mark_maybe_sent(notifier: &Notifier<'_>, delivery: &Delivery) {
    if notifier.store.is_shared()
        && let Err(err) = append_marker(notifier, delivery, MarkState::Sending)
    {
        notifier.out.warn(&format!("a notification's answer was lost, and teammates' clones not told: {err}"));
    }
}

fn append_marker(notifier: &Notifier<'_>, delivery: &Delivery, state: MarkState) -> Result<()> {
    let Ok(id) = IncidentId::parse(&delivery.incident) else { return Ok(()) };
    let dir = notifier.store.dir(id);
    let lock = dir.timeline().lock()?;
    let marker = Marker::for_delivery(state, delivery, notifier.author, notifier.clock.now());
    dir.delivery_log().append(&lock, &[marker])
}

/// The incident's events as this clone has them now (none if they cannot be read: the message
/// then is the one composed when the event was recorded).
fn timeline_events(store: &Store, id: &str) -> Vec<Event> {
    let Ok(id) = IncidentId::parse(id) else { return Vec::new() };
    store.dir(id).timeline().read().map(|read| read.events).unwrap_or_default()
}

fn webhook<'a>(notifier: &Notifier<'a>, name: &str) -> Option<&'a Webhook> {
    notifier.webhooks.iter().find(|w| w.name == name)
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
    for delivery in &report.unconfirmed {
        notifier.out.warn(&format!(
            "notification of {} to {}: {}; it may have been posted, so it is not sent again (check the channel)",
            delivery.kind,
            delivery.webhook,
            delivery.last_error.as_deref().unwrap_or("no answer"),
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
            timeout: None,
        };
        assert!(validate(&[hook("a", None), hook("b", Some(vec!["incident.resolved".into()]))]).is_ok());
        assert!(validate(&[hook("a", None), hook("a", None)]).is_err());
        assert!(validate(&[hook("a", Some(vec!["note.added".into()]))]).is_err());
        let slow = Webhook { timeout: Some("forever".into()), ..hook("a", None) };
        assert!(validate(&[slow]).unwrap_err().to_string().starts_with("notify \"a\": timeout: "));
    }
}
