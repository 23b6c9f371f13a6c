//! The incident as the fold of its events: the only way state is ever derived.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::event::{Body, Event};
use super::ids::{ItemId, ItemKind};
use super::items::{about, effective_item, handles, renumberings};
use super::vocab::{Phase, Priority, Severity, Status};
use crate::time::serde_ts;

#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub drill: bool,
    pub services: Vec<String>,
    pub runbook: Option<String>,
    /// The runbook's variables as set when the incident was opened and since (`vars.set`).
    pub runbook_vars: BTreeMap<String, String>,
    /// Where each of `runbook_vars` came from: `opened`, `typed`, `alert` or `service`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub var_sources: BTreeMap<String, String>,
    /// The last phase the response entered or recorded an event in.
    pub phase: Option<Phase>,
    /// The last phase the interactive walk entered (`phase.entered`), where it resumes.
    pub walk_phase: Option<Phase>,
    /// Role (commander, comms, scribe, ...) to the person who holds it now.
    pub roles: BTreeMap<String, RoleAssignment>,
    /// Everyone who recorded an event, in order of first appearance.
    pub responders: Vec<String>,
    pub impact: Impact,
    pub hypotheses: Vec<Hypothesis>,
    pub followups: Vec<FollowUp>,
    pub clocks: Clocks,
    pub summary: Option<String>,
    /// The post-mortem's own facts: review status, authors, trigger, root cause.
    pub review: Review,
    /// Links to what lies outside the timeline, in the order they were added.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Alert groups that notified this incident, by Alertmanager's group key.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub alerts: BTreeMap<String, AlertGroup>,
    /// The latest `mitigation.offered` (an alert resolved and its checks pass), as one line for
    /// the responder; shown until the status says mitigated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mitigation_offer: Option<String>,
    /// Stakeholder updates posted (`incident update`), in time order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<Update>,
    /// When the next update is due: the promise of the latest update, while the incident is open.
    #[serde(skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
    pub next_update: Option<DateTime<Utc>>,
    pub events: usize,
    /// Other `incident.opened` events of this id: two clones opened it offline (see
    /// `other_openings`). Their facts are kept: services joined, the worse severity taken.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub opened_twice: Vec<OtherOpening>,
    /// Status or severity changes made concurrently (from the same value, by different people,
    /// to different values): the latest by time stands, but nobody's is silently outvoted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    /// The first line (`incident.opened`) could not be read: title, severity and the opening
    /// time are stand-ins (see `from_events`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub opening_damaged: bool,
}

/// Data lost or restored, and the disaster-recovery targets it is held to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DataLoss {
    pub lost: Option<String>,
    #[serde(with = "serde_ts::option")]
    pub recovery_point: Option<DateTime<Utc>>,
    pub rpo_seconds: Option<u64>,
    pub rto_seconds: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Review {
    /// `draft`, `in-review` or `final`; `None` until recorded (a draft).
    pub status: Option<String>,
    pub authors: Vec<String>,
    pub trigger: Option<String>,
    pub root_cause: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub url: String,
    pub title: Option<String>,
    #[serde(with = "serde_ts")]
    pub ts: DateTime<Utc>,
}

/// Another opening of the same incident id, from another clone.
#[derive(Debug, Clone, Serialize)]
pub struct OtherOpening {
    pub event: String,
    pub author: String,
    #[serde(with = "serde_ts")]
    pub ts: DateTime<Utc>,
    pub title: String,
    pub severity: Severity,
    pub commander: Option<String>,
    pub services: Vec<String>,
}

/// Concurrent changes of one value (`status` or `severity`) that disagree.
#[derive(Debug, Clone, Serialize)]
pub struct Conflict {
    /// `status` or `severity`.
    pub field: &'static str,
    /// The value each change started from (the same for all: none saw the others).
    pub from: String,
    pub changes: Vec<ConflictingChange>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConflictingChange {
    pub event: String,
    pub author: String,
    #[serde(with = "serde_ts")]
    pub ts: DateTime<Utc>,
    pub to: String,
}

/// What the alerting last said of one alert group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertGroup {
    pub alert_name: String,
    /// `firing` or `resolved`.
    pub status: String,
    /// Fingerprints of the alerts firing, as last notified.
    pub firing: Vec<String>,
    #[serde(with = "serde_ts")]
    pub last: DateTime<Utc>,
}

/// A stakeholder update as posted.
#[derive(Debug, Clone, Serialize)]
pub struct Update {
    #[serde(with = "serde_ts")]
    pub ts: DateTime<Utc>,
    pub author: String,
    pub text: String,
    #[serde(with = "serde_ts")]
    pub next_update: DateTime<Utc>,
}

/// Where the incident stands against its promised next update (see [`Incident::update_due`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateDue {
    /// Due at this time, still ahead.
    In { at: DateTime<Utc>, left: chrono::Duration },
    /// Promised for this time, which has passed.
    Overdue { at: DateTime<Utc>, by: chrono::Duration },
}

impl UpdateDue {
    /// The same, short, for a table cell: `14:30, in 12m`, `overdue by 5m`.
    pub fn brief(&self) -> String {
        match self {
            UpdateDue::In { at, left } => format!("{}, in {}", at.format("%H:%M"), crate::time::format_minutes(*left)),
            UpdateDue::Overdue { by, .. } => format!("overdue by {}", crate::time::format_minutes(*by)),
        }
    }
}

impl std::fmt::Display for UpdateDue {
    /// The status line's words: `next update 14:30 UTC, in 12m`, `update overdue by 5m`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpdateDue::In { at, left } => {
                write!(f, "next update {} UTC, in {}", at.format("%H:%M"), crate::time::format_minutes(*left))
            }
            UpdateDue::Overdue { at, by } => {
                write!(f, "update overdue by {} (due {} UTC)", crate::time::format_minutes(*by), at.format("%H:%M"))
            }
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RoleAssignment {
    pub name: String,
    #[serde(with = "serde_ts")]
    pub since: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Impact {
    pub users: Option<u64>,
    pub summary: Option<String>,
    pub details: BTreeMap<String, String>,
    /// Recorded only when data was lost or restored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_loss: Option<DataLoss>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HypothesisState {
    Open,
    Confirmed,
    Refuted,
}

impl HypothesisState {
    pub fn as_str(self) -> &'static str {
        match self {
            HypothesisState::Open => "open",
            HypothesisState::Confirmed => "confirmed",
            HypothesisState::Refuted => "refuted",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    #[serde(with = "serde_ts")]
    pub ts: DateTime<Utc>,
    pub author: String,
    pub verdict: HypothesisState,
    pub text: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hypothesis {
    /// The display number (`H3`), in (time, id) order: it may change when a sync brings an
    /// earlier hypothesis from another clone.
    pub id: String,
    /// `~a1b2`: never changes (see `model::items`).
    pub handle: String,
    /// The id of the `hypothesis.added` event: what references name.
    pub event: String,
    pub text: String,
    pub state: HypothesisState,
    #[serde(with = "serde_ts")]
    pub raised_at: DateTime<Utc>,
    pub raised_by: String,
    pub from_check: Option<String>,
    /// The id of the event it was raised on, when stated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_event: Option<String>,
    /// Every confirmation and refutation, in order: a hypothesis can be reconsidered.
    pub evidence: Vec<Evidence>,
    /// Who said they are verifying it (`incident hypothesis claim`), unless they let it go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    #[serde(skip)]
    claimed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FollowUp {
    /// The display number (`F2`), in (time, id) order.
    pub id: String,
    /// `~a1b2`: never changes (see `model::items`).
    pub handle: String,
    /// The id of the `followup.added` event: what references name.
    pub event: String,
    #[serde(skip)]
    pub added_at: DateTime<Utc>,
    pub text: String,
    pub owner: String,
    pub due: Option<NaiveDate>,
    pub priority: Option<Priority>,
    /// `mitigate`, `prevent`, `detect` or `process`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub item_type: Option<String>,
    /// Where it is tracked: the URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracker: Option<String>,
    /// Every issue it has been linked to, oldest first (`--tracker` at adding, then each
    /// `followup.linked`): how `followup export` knows a tracker already has it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<String>,
    pub done: bool,
    #[serde(with = "serde_ts::option")]
    pub done_at: Option<DateTime<Utc>>,
}

/// The timestamps the post-mortem's clocks run between.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Clocks {
    #[serde(with = "serde_ts::option")]
    pub opened: Option<DateTime<Utc>>,
    #[serde(with = "serde_ts::option")]
    pub impact_start: Option<DateTime<Utc>>,
    /// When the problem was detected: recorded explicitly, else when the incident was opened.
    #[serde(with = "serde_ts::option")]
    pub detected: Option<DateTime<Utc>>,
    /// When a responder took it on: the earliest `incident.acknowledged`, else the earliest
    /// responder event at or after detection (alerts and amendments are not responders, and an
    /// event back-dated before detection is not an answer to it).
    #[serde(with = "serde_ts::option")]
    pub acknowledged: Option<DateTime<Utc>>,
    /// `acknowledged` comes from an explicit `incident.acknowledged`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub acknowledged_explicitly: bool,
    #[serde(with = "serde_ts::option")]
    pub mitigated: Option<DateTime<Utc>>,
    #[serde(with = "serde_ts::option")]
    pub resolved: Option<DateTime<Utc>>,
    #[serde(with = "serde_ts::option")]
    pub impact_end: Option<DateTime<Utc>>,
}

/// Keeps the value with the latest `ts`; on a tie the one recorded later wins.
struct Latest<T> {
    value: T,
    ts: Option<DateTime<Utc>>,
}

impl<T> Latest<T> {
    fn new(value: T) -> Self {
        Latest { value, ts: None }
    }

    fn offer(&mut self, value: T, ts: DateTime<Utc>) {
        if self.ts.is_none_or(|current| ts >= current) {
            self.value = value;
            self.ts = Some(ts);
        }
    }
}

fn earliest(slot: &mut Option<DateTime<Utc>>, ts: DateTime<Utc>) {
    if slot.is_none_or(|current| ts < current) {
        *slot = Some(ts);
    }
}

/// Changes of status or severity that started from the same value, by different people, to
/// different values: made at once on clones that had not seen each other's.
fn conflicts(events: &[Event]) -> Vec<Conflict> {
    let mut groups: BTreeMap<(&'static str, String), Vec<ConflictingChange>> = BTreeMap::new();
    for event in events {
        let (field, from, to) = match &event.body {
            Body::StatusChanged { from, to, .. } => ("status", from.as_str().to_string(), to.as_str().to_string()),
            Body::SeverityChanged { from, to, .. } => ("severity", from.to_string(), to.to_string()),
            _ => continue,
        };
        groups.entry((field, from)).or_default().push(ConflictingChange {
            event: event.id.clone(),
            author: event.author.clone(),
            ts: event.ts,
            to,
        });
    }
    groups
        .into_iter()
        .filter(|(_, changes)| changes.iter().any(|a| changes.iter().any(|b| a.author != b.author && a.to != b.to)))
        .map(|((field, from), mut changes)| {
            changes.sort_by(|a, b| (a.ts, &a.event).cmp(&(b.ts, &b.event)));
            Conflict { field, from, changes }
        })
        .collect()
}

/// Display numbers in (time, id) order, and handles: the same on every clone with the same events.
fn number_items(incident: &mut Incident) {
    incident.hypotheses.sort_by(|a, b| (a.raised_at, &a.event).cmp(&(b.raised_at, &b.event)));
    let ids: Vec<&str> = incident.hypotheses.iter().map(|h| h.event.as_str()).collect();
    let shown = handles(&ids);
    for (i, (h, handle)) in incident.hypotheses.iter_mut().zip(shown).enumerate() {
        h.id = ItemId { kind: ItemKind::Hypothesis, number: u32::try_from(i + 1).unwrap_or(u32::MAX) }.to_string();
        h.handle = handle;
    }
    incident.followups.sort_by(|a, b| (a.added_at, &a.event).cmp(&(b.added_at, &b.event)));
    let ids: Vec<&str> = incident.followups.iter().map(|f| f.event.as_str()).collect();
    let shown = handles(&ids);
    for (i, (f, handle)) in incident.followups.iter_mut().zip(shown).enumerate() {
        f.id = ItemId { kind: ItemKind::FollowUp, number: u32::try_from(i + 1).unwrap_or(u32::MAX) }.to_string();
        f.handle = handle;
    }
}

impl Incident {
    /// Folds a timeline, in file order, into the incident's state. `None` only when there is
    /// no event at all.
    ///
    /// A first line that is damaged (its `incident.opened` unreadable) does not take the
    /// incident down: what remains is folded under a stand-in opening, titled with the id,
    /// severity assumed the worst until a `severity.changed` says otherwise, and
    /// `opening_damaged` set.
    ///
    /// Events may be back-dated with `--at`, so "current" values (status, severity, roles,
    /// impact ends) are the ones with the latest `ts`, not the last line.
    pub fn from_events(id: &str, events: &[Event]) -> Option<Incident> {
        let first = events.first()?;
        if matches!(first.body, Body::Opened { .. }) {
            return Incident::fold(id, first, &events[1..], events);
        }
        let stand_in = Event {
            id: String::new(),
            ts: first.ts,
            recorded: None,
            author: first.author.clone(),
            phase: None,
            body: Body::Opened {
                format: 1,
                title: format!("{id} (its incident.opened line is damaged)"),
                severity: Severity::Sev1,
                services: Vec::new(),
                commander: None,
                runbook: None,
                impact_start: None,
                detected_at: None,
                drill: false,
                vars: BTreeMap::new(),
            },
        };
        let mut incident = Incident::fold(id, &stand_in, events, events)?;
        incident.opening_damaged = true;
        Some(incident)
    }

    /// The fold proper: `first` is an `incident.opened` (else `None`), `rest` what follows it,
    /// `events` all of them.
    fn fold(id: &str, first: &Event, rest: &[Event], events: &[Event]) -> Option<Incident> {
        let Body::Opened {
            title, severity, services, commander, runbook, impact_start, detected_at, drill, vars, ..
        } = &first.body
        else {
            return None;
        };
        let opened = first.ts;
        let mut incident = Incident {
            id: id.to_string(),
            title: title.clone(),
            severity: *severity,
            status: Status::Investigating,
            drill: *drill,
            services: services.clone(),
            runbook: runbook.clone(),
            runbook_vars: vars.clone(),
            var_sources: vars.keys().map(|k| (k.clone(), "opened".to_string())).collect(),
            phase: None,
            walk_phase: None,
            roles: BTreeMap::new(),
            responders: vec![first.author.clone()],
            impact: Impact::default(),
            hypotheses: Vec::new(),
            followups: Vec::new(),
            clocks: Clocks { opened: Some(opened), ..Clocks::default() },
            summary: None,
            review: Review::default(),
            links: Vec::new(),
            alerts: BTreeMap::new(),
            mitigation_offer: None,
            updates: Vec::new(),
            next_update: None,
            events: events.len(),
            opened_twice: Vec::new(),
            conflicts: Vec::new(),
            opening_damaged: false,
        };
        let mut severity = Latest::new(*severity);
        let mut status = Latest::new(Status::Investigating);
        let mut phase: Latest<Option<Phase>> = Latest::new(None);
        let mut walk_phase: Latest<Option<Phase>> = Latest::new(None);
        let mut impact_start = Latest::new(*impact_start);
        let mut impact_end = Latest::new(None);
        let mut detected = Latest::new(*detected_at);
        let mut roles: BTreeMap<String, Latest<Option<RoleAssignment>>> = BTreeMap::new();
        if let Some(name) = commander {
            roles
                .entry("commander".into())
                .or_insert_with(|| Latest::new(None))
                .offer(Some(RoleAssignment { name: name.clone(), since: opened }), opened);
        }
        let mut services = Latest::new(incident.services.clone());
        let mut lost = Latest::new(None);
        let mut recovery_point = Latest::new(None);
        let mut rpo = Latest::new(None);
        let mut rto = Latest::new(None);
        let mut data_loss_recorded = false;
        let mut review_status = Latest::new(None);
        let mut review_authors = Latest::new(Vec::new());
        let mut trigger = Latest::new(None);
        let mut root_cause = Latest::new(None);
        let mut runbook = Latest::new(incident.runbook.clone());
        let mut var_values: BTreeMap<String, Latest<(String, String)>> = BTreeMap::new();
        let mut seen_authors: BTreeSet<String> = BTreeSet::from([first.author.clone()]);
        let mut explicit_ack = None;
        let mut responder_times = Vec::new();
        let mut merged_openings: BTreeSet<String> = BTreeSet::new();
        // Items first, so a reference finds its item whatever the line order (see `model::items`).
        let legacy_numbers = renumberings(events);
        let mut legacy_holders: HashMap<(char, String), String> = HashMap::new();
        for event in rest {
            let legacy = effective_item(event, &legacy_numbers).map(|(kind, n)| (kind.prefix(), n.to_string()));
            match &event.body {
                Body::HypothesisAdded { text, from_check, on_event, .. } => incident.hypotheses.push(Hypothesis {
                    id: String::new(),
                    handle: String::new(),
                    event: event.id.clone(),
                    text: text.clone(),
                    state: HypothesisState::Open,
                    raised_at: event.ts,
                    raised_by: event.author.clone(),
                    from_check: from_check.clone(),
                    on_event: on_event.clone(),
                    evidence: Vec::new(),
                    claimed_by: None,
                    claimed_at: None,
                }),
                Body::FollowUpAdded { text, owner, due, priority, item_type, tracker, .. } => {
                    incident.followups.push(FollowUp {
                        id: String::new(),
                        handle: String::new(),
                        event: event.id.clone(),
                        added_at: event.ts,
                        text: text.clone(),
                        owner: owner.clone(),
                        due: *due,
                        priority: *priority,
                        item_type: item_type.clone(),
                        tracker: tracker.clone(),
                        links: tracker.iter().cloned().collect(),
                        done: false,
                        done_at: None,
                    })
                }
                _ => continue,
            }
            if let Some(key) = legacy {
                legacy_holders.entry(key).or_insert_with(|| event.id.clone());
            }
        }
        // The raising event an event is about: by id, or (written before ids) by number.
        let target_of = |event: &Event| -> Option<String> {
            about(&event.body).map(str::to_string).or_else(|| {
                let (kind, number) = effective_item(event, &legacy_numbers)?;
                legacy_holders.get(&(kind.prefix(), number.to_string())).cloned()
            })
        };

        for event in rest {
            let ts = event.ts;
            if seen_authors.insert(event.author.clone()) {
                incident.responders.push(event.author.clone());
            }
            match event.body {
                Body::Acknowledged { .. } => earliest(&mut explicit_ack, ts),
                // A notification from the alerting, or git's renumbering, is not a responder.
                Body::AlertReceived { .. }
                | Body::AlertChecked { .. }
                | Body::MitigationOffered { .. }
                | Body::Amended { .. } => {}
                _ => responder_times.push(ts),
            }
            if let Some(p) = event.phase {
                phase.offer(Some(p), ts);
            }
            match &event.body {
                Body::StatusChanged { to, .. } => {
                    status.offer(*to, ts);
                    if to.is_mitigated() {
                        earliest(&mut incident.clocks.mitigated, ts);
                    }
                    if *to == Status::Resolved {
                        earliest(&mut incident.clocks.resolved, ts);
                    }
                }
                Body::Resolved { summary } => {
                    status.offer(Status::Resolved, ts);
                    earliest(&mut incident.clocks.mitigated, ts);
                    earliest(&mut incident.clocks.resolved, ts);
                    if summary.is_some() {
                        incident.summary = summary.clone();
                    }
                }
                Body::SeverityChanged { to, .. } => severity.offer(*to, ts),
                Body::PostmortemRecorded { review_status: status, authors, trigger: t, root_cause: cause } => {
                    if status.is_some() {
                        review_status.offer(status.clone(), ts);
                    }
                    if !authors.is_empty() {
                        review_authors.offer(authors.clone(), ts);
                    }
                    if t.is_some() {
                        trigger.offer(t.clone(), ts);
                    }
                    if cause.is_some() {
                        root_cause.offer(cause.clone(), ts);
                    }
                }
                Body::DataLossRecorded { lost: l, recovery_point: point, rpo_seconds, rto_seconds } => {
                    data_loss_recorded = true;
                    if l.is_some() {
                        lost.offer(l.clone(), ts);
                    }
                    if point.is_some() {
                        recovery_point.offer(*point, ts);
                    }
                    if rpo_seconds.is_some() {
                        rpo.offer(*rpo_seconds, ts);
                    }
                    if rto_seconds.is_some() {
                        rto.offer(*rto_seconds, ts);
                    }
                }
                Body::LinkAdded { url, title } => {
                    incident.links.push(Link { url: url.clone(), title: title.clone(), ts });
                }
                Body::Opened { title, severity: opened_as, commander, services: opened_with, .. } => {
                    incident.opened_twice.push(OtherOpening {
                        event: event.id.clone(),
                        author: event.author.clone(),
                        ts,
                        title: title.clone(),
                        severity: *opened_as,
                        commander: commander.clone(),
                        services: opened_with.clone(),
                    });
                    // Both sides' facts: the worse severity until someone changes it, all services.
                    if *opened_as < severity.value && severity.ts.is_none() {
                        severity.value = *opened_as;
                    }
                    for service in opened_with {
                        if !services.value.contains(service) {
                            services.value.push(service.clone());
                        }
                    }
                }
                Body::OpeningsMerged { openings } => merged_openings.extend(openings.iter().cloned()),
                Body::PhaseEntered { to } => walk_phase.offer(Some(*to), ts),
                Body::IncidentChanged { services: new_services, runbook: new_runbook } => {
                    if let Some(list) = new_services {
                        services.offer(list.clone(), ts);
                    }
                    if let Some(name) = new_runbook {
                        runbook.offer(Some(name.clone()), ts);
                    }
                }
                Body::VarsSet { vars, source } => {
                    for (key, value) in vars {
                        var_values
                            .entry(key.clone())
                            .or_insert_with(|| Latest::new((value.clone(), source.clone())))
                            .offer((value.clone(), source.clone()), ts);
                    }
                }
                Body::UpdatePosted { text, next_update } => incident.updates.push(Update {
                    ts,
                    author: event.author.clone(),
                    text: text.clone(),
                    next_update: *next_update,
                }),
                offer @ Body::MitigationOffered { .. } => incident.mitigation_offer = Some(offer.describe()),
                Body::AlertReceived { group_key, status, alert_name, firing, .. } => {
                    let newer = incident.alerts.get(group_key).is_none_or(|group| group.last <= ts);
                    if newer {
                        let group = AlertGroup {
                            alert_name: alert_name.clone(),
                            status: status.clone(),
                            firing: firing.clone(),
                            last: ts,
                        };
                        incident.alerts.insert(group_key.clone(), group);
                    }
                }
                Body::RoleAssigned { role, name } => {
                    roles
                        .entry(role.clone())
                        .or_insert_with(|| Latest::new(None))
                        .offer(Some(RoleAssignment { name: name.clone(), since: ts }), ts);
                }
                Body::ImpactRecorded { start, end, detected_at, users, summary, details } => {
                    if let Some(t) = start {
                        impact_start.offer(Some(*t), ts);
                    }
                    if let Some(t) = end {
                        impact_end.offer(Some(*t), ts);
                    }
                    if let Some(t) = detected_at {
                        detected.offer(Some(*t), ts);
                    }
                    if users.is_some() {
                        incident.impact.users = *users;
                    }
                    if summary.is_some() {
                        incident.impact.summary = summary.clone();
                    }
                    incident.impact.details.extend(details.clone());
                }
                Body::HypothesisConfirmed { evidence, .. } | Body::HypothesisRefuted { evidence, .. } => {
                    let verdict = if matches!(event.body, Body::HypothesisConfirmed { .. }) {
                        HypothesisState::Confirmed
                    } else {
                        HypothesisState::Refuted
                    };
                    let target = target_of(event);
                    if let Some(h) = incident.hypotheses.iter_mut().find(|h| Some(&h.event) == target.as_ref()) {
                        h.evidence.push(Evidence { ts, author: event.author.clone(), verdict, text: evidence.clone() });
                        // The verdict with the latest time stands.
                        let latest =
                            h.evidence.iter().enumerate().max_by_key(|(i, e)| (e.ts, *i)).map(|(_, e)| e.verdict);
                        h.state = latest.unwrap_or(HypothesisState::Open);
                    }
                }
                Body::Claimed { released, .. } => {
                    let target = target_of(event);
                    if let Some(h) = incident.hypotheses.iter_mut().find(|h| Some(&h.event) == target.as_ref())
                        && h.claimed_at.is_none_or(|at| ts >= at)
                    {
                        h.claimed_at = Some(ts);
                        h.claimed_by = (!released).then(|| event.author.clone());
                    }
                }
                Body::FollowUpLinked { url, .. } => {
                    let target = target_of(event);
                    if let Some(f) = incident.followups.iter_mut().find(|f| Some(&f.event) == target.as_ref()) {
                        f.tracker = Some(url.clone());
                        f.links.push(url.clone());
                    }
                }
                Body::FollowUpDone { .. } => {
                    let target = target_of(event);
                    if let Some(f) = incident.followups.iter_mut().find(|f| Some(&f.event) == target.as_ref()) {
                        f.done = true;
                        f.done_at = Some(ts);
                    }
                }
                _ => {}
            }
        }

        number_items(&mut incident);
        // Back-dated or synced updates arrive out of order: the latest by time holds the promise.
        incident.updates.sort_by_key(|u| u.ts);
        incident.opened_twice.retain(|o| !merged_openings.contains(&o.event));
        incident.conflicts = conflicts(rest);
        incident.severity = severity.value;
        if data_loss_recorded {
            incident.impact.data_loss = Some(DataLoss {
                lost: lost.value,
                recovery_point: recovery_point.value,
                rpo_seconds: rpo.value,
                rto_seconds: rto.value,
            });
        }
        incident.review = Review {
            status: review_status.value,
            authors: review_authors.value,
            trigger: trigger.value,
            root_cause: root_cause.value,
        };
        incident.status = status.value;
        incident.services = services.value;
        incident.runbook = runbook.value;
        for (key, latest) in var_values {
            let (value, source) = latest.value;
            incident.runbook_vars.insert(key.clone(), value);
            incident.var_sources.insert(key, source);
        }
        incident.next_update =
            incident.updates.last().filter(|_| incident.status != Status::Resolved).map(|u| u.next_update);
        incident.phase = phase.value;
        incident.walk_phase = walk_phase.value;
        incident.clocks.impact_start = impact_start.value;
        incident.clocks.impact_end = impact_end.value;
        let detected = detected.value.unwrap_or(opened);
        incident.clocks.detected = Some(detected);
        incident.clocks.acknowledged_explicitly = explicit_ack.is_some();
        incident.clocks.acknowledged =
            explicit_ack.or_else(|| responder_times.into_iter().filter(|&t| t >= detected).min());
        incident.roles = roles.into_iter().filter_map(|(role, a)| a.value.map(|a| (role, a))).collect();
        Some(incident)
    }

    /// Where the interactive walk resumes.
    pub fn phase_entered(&self) -> Option<Phase> {
        self.walk_phase
    }

    pub fn is_open(&self) -> bool {
        self.status != Status::Resolved
    }

    /// When the next stakeholder update is due, against `now`: `None` when no update was
    /// posted yet or the incident is resolved.
    pub fn update_due(&self, now: DateTime<Utc>) -> Option<UpdateDue> {
        let at = self.next_update?;
        Some(if now <= at { UpdateDue::In { at, left: at - now } } else { UpdateDue::Overdue { at, by: now - at } })
    }

    pub fn open_hypotheses(&self) -> impl Iterator<Item = &Hypothesis> {
        self.hypotheses.iter().filter(|h| h.state == HypothesisState::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FORMAT_VERSION;

    fn ts(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|t| t.with_timezone(&Utc)).unwrap_or_default()
    }

    fn event(at: &str, author: &str, body: Body) -> Event {
        Event { id: at.into(), ts: ts(at), recorded: None, author: author.into(), phase: body.default_phase(), body }
    }

    fn opened(at: &str) -> Event {
        event(
            at,
            "ana",
            Body::Opened {
                format: FORMAT_VERSION,
                title: "Checkout 502s".into(),
                severity: Severity::Sev2,
                services: vec!["checkout".into()],
                commander: Some("ana".into()),
                runbook: None,
                impact_start: None,
                detected_at: None,
                drill: false,
                vars: BTreeMap::new(),
            },
        )
    }

    #[test]
    fn the_latest_update_by_time_sets_when_the_next_is_due_until_resolution() {
        let update = |at: &str, next: &str| {
            event(at, "bo", Body::UpdatePosted { text: format!("as of {at}"), next_update: ts(next) })
        };
        // Synced out of order: the later update's promise stands, not the last line's.
        let mut events = vec![
            opened("2026-11-22T14:00:00Z"),
            update("2026-11-22T14:40:00Z", "2026-11-22T15:10:00Z"),
            update("2026-11-22T14:10:00Z", "2026-11-22T14:40:00Z"),
        ];
        let incident = Incident::from_events("x", &events).unwrap_or_else(|| panic!("folds"));
        assert_eq!(incident.next_update, Some(ts("2026-11-22T15:10:00Z")));
        let due = |now: &str| incident.update_due(ts(now)).map(|d| d.to_string()).unwrap_or_default();
        assert_eq!(due("2026-11-22T14:58:00Z"), "next update 15:10 UTC, in 12m");
        assert_eq!(due("2026-11-22T15:15:30Z"), "update overdue by 5m (due 15:10 UTC)");

        events.push(event("2026-11-22T15:20:00Z", "bo", Body::Resolved { summary: None }));
        let resolved = Incident::from_events("x", &events).unwrap_or_else(|| panic!("folds"));
        assert_eq!(resolved.update_due(ts("2026-11-22T16:00:00Z")), None, "a resolved incident owes no update");
        assert_eq!(resolved.updates.len(), 2);
    }

    #[test]
    fn a_lost_opening_still_folds_what_remains_under_a_stand_in() {
        assert!(Incident::from_events("x", &[]).is_none());
        let note = event("2026-11-22T14:00:00Z", "ana", Body::Note { text: "x".into() });
        let incident = Incident::from_events("x", &[note]).expect("folded");
        assert!(incident.opening_damaged);
        assert_eq!((incident.severity, incident.events), (Severity::Sev1, 1));
        assert!(incident.title.starts_with("x "), "{}", incident.title);
    }

    /// `followup export` tells trackers apart by every link a follow-up has had, not only the
    /// newest; a link written before `about` (by number) still lands on its follow-up.
    #[test]
    fn a_followup_keeps_every_link_including_ones_named_by_number() {
        let added = |at: &str, number: &str, tracker: Option<&str>| {
            event(
                at,
                "ana",
                Body::FollowUpAdded {
                    followup: number.into(),
                    text: "x".into(),
                    owner: "ana".into(),
                    due: None,
                    priority: None,
                    item_type: None,
                    tracker: tracker.map(str::to_string),
                },
            )
        };
        let linked = |at: &str, url: &str, about: Option<&str>| {
            event(
                at,
                "ana",
                Body::FollowUpLinked { followup: "F1".into(), url: url.into(), about: about.map(str::to_string) },
            )
        };
        let events = vec![
            opened("2026-11-22T14:00:00Z"),
            added("2026-11-22T14:01:00Z", "F1", Some("https://jira.example/browse/OPS-1")),
            added("2026-11-22T14:02:00Z", "F2", None),
            linked("2026-11-22T14:03:00Z", "https://github.com/a/b/issues/1", None),
            linked("2026-11-22T14:04:00Z", "https://gitlab.com/a/b/-/issues/2", Some("2026-11-22T14:02:00Z")),
        ];
        let incident = Incident::from_events("x", &events).expect("an incident");
        let [f1, f2] = incident.followups.as_slice() else { panic!("two follow-ups") };
        assert_eq!(f1.links, ["https://jira.example/browse/OPS-1", "https://github.com/a/b/issues/1"]);
        assert_eq!(f1.tracker.as_deref(), Some("https://github.com/a/b/issues/1"));
        assert_eq!(f2.links, ["https://gitlab.com/a/b/-/issues/2"]);
    }

    #[test]
    fn backdated_events_do_not_override_later_ones() {
        let events = vec![
            opened("2026-11-22T14:00:00Z"),
            event(
                "2026-11-22T14:30:00Z",
                "ana",
                Body::StatusChanged { from: Status::Investigating, to: Status::Mitigated, note: None },
            ),
            // recorded later, but it happened earlier
            event(
                "2026-11-22T14:10:00Z",
                "bo",
                Body::StatusChanged { from: Status::Investigating, to: Status::Identified, note: None },
            ),
            event(
                "2026-11-22T14:05:00Z",
                "bo",
                Body::SeverityChanged { from: Severity::Sev2, to: Severity::Sev1, note: None },
            ),
        ];
        let incident = Incident::from_events("x", &events).expect("an incident");
        assert_eq!(incident.status, Status::Mitigated);
        assert_eq!(incident.severity, Severity::Sev1);
        assert_eq!(incident.clocks.mitigated, Some(ts("2026-11-22T14:30:00Z")));
        assert_eq!(incident.responders, vec!["ana".to_string(), "bo".to_string()]);
    }

    #[test]
    fn hypotheses_keep_every_verdict_and_the_latest_stands() {
        let events = vec![
            opened("2026-11-22T14:00:00Z"),
            event(
                "2026-11-22T14:01:00Z",
                "ana",
                Body::HypothesisAdded {
                    hypothesis: "H1".into(),
                    text: "bad deploy".into(),
                    from_check: None,
                    on_event: None,
                },
            ),
            event(
                "2026-11-22T14:02:00Z",
                "ana",
                Body::HypothesisRefuted { hypothesis: "H1".into(), evidence: "no deploy today".into(), about: None },
            ),
            event(
                "2026-11-22T14:03:00Z",
                "bo",
                Body::HypothesisConfirmed {
                    hypothesis: "H1".into(),
                    evidence: "config deploy at 13:58".into(),
                    about: None,
                },
            ),
        ];
        let incident = Incident::from_events("x", &events).expect("an incident");
        let h1 = &incident.hypotheses[0];
        assert_eq!(h1.state, HypothesisState::Confirmed);
        assert_eq!(h1.evidence.len(), 2);
        assert_eq!(incident.clocks.acknowledged, Some(ts("2026-11-22T14:01:00Z")));
    }

    #[test]
    fn clocks_come_from_impact_status_and_resolution() {
        let events = vec![
            opened("2026-11-22T14:00:00Z"),
            event(
                "2026-11-22T14:01:00Z",
                "ana",
                Body::ImpactRecorded {
                    start: Some(ts("2026-11-22T13:50:00Z")),
                    end: None,
                    detected_at: Some(ts("2026-11-22T13:55:00Z")),
                    users: Some(1200),
                    summary: None,
                    details: BTreeMap::new(),
                },
            ),
            event("2026-11-22T15:00:00Z", "ana", Body::Resolved { summary: Some("rolled back".into()) }),
        ];
        let incident = Incident::from_events("x", &events).expect("an incident");
        assert_eq!(incident.clocks.impact_start, Some(ts("2026-11-22T13:50:00Z")));
        assert_eq!(incident.clocks.detected, Some(ts("2026-11-22T13:55:00Z")));
        assert_eq!(incident.clocks.mitigated, Some(ts("2026-11-22T15:00:00Z")));
        assert_eq!(incident.clocks.resolved, Some(ts("2026-11-22T15:00:00Z")));
        assert_eq!(incident.status, Status::Resolved);
        assert_eq!(incident.roles.get("commander").map(|r| r.name.as_str()), Some("ana"));
    }

    fn detected_at(at: &str, recorded_at: &str) -> Event {
        event(
            recorded_at,
            "ana",
            Body::ImpactRecorded {
                start: None,
                end: None,
                detected_at: Some(ts(at)),
                users: None,
                summary: None,
                details: BTreeMap::new(),
            },
        )
    }

    // The SRE book's replay measured "time to acknowledge" to a note back-dated before detection
    // and printed it as positive: an event before detection does not answer it.
    #[test]
    fn acknowledgement_is_the_first_responder_event_at_or_after_detection() {
        let events = vec![
            opened("2026-11-22T14:00:00Z"),
            event("2026-11-22T13:40:00Z", "bo", Body::Note { text: "back-dated context".into() }),
            event("2026-11-22T14:20:00Z", "bo", Body::Note { text: "looking".into() }),
            detected_at("2026-11-22T14:10:00Z", "2026-11-22T14:30:00Z"),
            event("2026-11-22T14:12:00Z", "bo", Body::Observation { text: "errors up".into() }),
        ];
        let incident = Incident::from_events("x", &events).expect("an incident");
        assert_eq!(incident.clocks.acknowledged, Some(ts("2026-11-22T14:12:00Z")), "earliest in time, not in file");
        assert!(!incident.clocks.acknowledged_explicitly);
    }

    #[test]
    fn an_explicit_acknowledgement_wins_over_the_first_responder_event() {
        let events = vec![
            opened("2026-11-22T14:00:00Z"),
            event("2026-11-22T14:01:00Z", "bo", Body::Note { text: "paged".into() }),
            event("2026-11-22T14:05:00Z", "bo", Body::Acknowledged { note: None }),
            event("2026-11-22T14:03:00Z", "cy", Body::Acknowledged { note: Some("on it".into()) }),
        ];
        let incident = Incident::from_events("x", &events).expect("an incident");
        assert_eq!(incident.clocks.acknowledged, Some(ts("2026-11-22T14:03:00Z")));
        assert!(incident.clocks.acknowledged_explicitly);
    }

    #[test]
    fn references_by_id_hold_whatever_the_numbers_and_line_order() {
        let added = |at: &str, id: &str, text: &str| Event {
            id: id.into(),
            ..event(
                at,
                "ana",
                Body::HypothesisAdded { hypothesis: "H1".into(), text: text.into(), from_check: None, on_event: None },
            )
        };
        let confirmed = Event {
            id: "01V".into(),
            ..event(
                "2026-11-22T14:01:00Z",
                "cy",
                Body::HypothesisConfirmed { hypothesis: "H1".into(), evidence: "e".into(), about: Some("01A".into()) },
            )
        };
        // The verdict comes first in the file, and both hypotheses were written as H1.
        let events = vec![
            opened("2026-11-22T14:00:00Z"),
            confirmed,
            added("2026-11-22T14:03:00Z", "01A", "ana's"),
            added("2026-11-22T14:02:00Z", "01B", "bo's"),
        ];
        let incident = Incident::from_events("x", &events).expect("an incident");
        let shown: Vec<(&str, &str, HypothesisState)> =
            incident.hypotheses.iter().map(|h| (h.id.as_str(), h.text.as_str(), h.state)).collect();
        assert_eq!(shown, [("H1", "bo's", HypothesisState::Open), ("H2", "ana's", HypothesisState::Confirmed)]);
        assert_eq!(incident.hypotheses[1].handle, "~01a");
    }
}
