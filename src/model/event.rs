//! One line of the timeline.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::check::CheckRecord;
use super::vocab::{Phase, Priority, Severity, Status};
use crate::time::serde_ts;

/// The timeline format written by this version, carried by `incident.opened`.
pub const FORMAT_VERSION: u32 = 1;

/// One event. Fields a reader does not know are ignored, so newer writers never break it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique and sortable by creation (a ULID).
    pub id: String,
    /// When it happened (`--at` may put it before it was recorded).
    #[serde(with = "serde_ts")]
    pub ts: DateTime<Utc>,
    /// When it was written, present only when it differs from `ts`.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
    pub recorded: Option<DateTime<Utc>>,
    pub author: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<Phase>,
    #[serde(flatten)]
    pub body: Body,
}

impl Event {
    /// The latest moment its author's clock put on it (when it happened or was written): how far
    /// ahead of another clock that is says how far apart the two clocks are, at least.
    pub fn latest_time(&self) -> DateTime<Utc> {
        self.recorded.unwrap_or(self.ts).max(self.ts)
    }
}

/// A file kept beside the timeline (a command's whole output, a response body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArtifactRef {
    /// Relative to the incident's folder, e.g. `artifacts/01J...-output.log`.
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What happened, by kind. The JSON `kind` field selects the variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind")]
pub enum Body {
    #[serde(rename = "incident.opened")]
    Opened {
        format: u32,
        title: String,
        severity: Severity,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        services: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        commander: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        impact_start: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        detected_at: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "is_false")]
        drill: bool,
        /// The runbook's variables as set at opening (never secret ones).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        vars: BTreeMap<String, String>,
    },
    #[serde(rename = "status.changed")]
    StatusChanged {
        from: Status,
        to: Status,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    #[serde(rename = "severity.changed")]
    SeverityChanged {
        from: Severity,
        to: Severity,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    #[serde(rename = "role.assigned")]
    RoleAssigned { role: String, name: String },
    #[serde(rename = "impact.recorded")]
    ImpactRecorded {
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        start: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        end: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        detected_at: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        users: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        details: BTreeMap<String, String>,
    },
    /// Data lost or restored, in disaster-recovery terms (`incident impact --data-loss
    /// --recovery-point --rpo --rto`); each field only when given, the latest standing.
    #[serde(rename = "data_loss.recorded")]
    DataLossRecorded {
        /// What was lost, in a sentence.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lost: Option<String>,
        /// The recovery point actually reached: the last good backup or replica position.
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        recovery_point: Option<DateTime<Utc>>,
        /// The recovery point objective, in seconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rpo_seconds: Option<u64>,
        /// The recovery time objective, in seconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rto_seconds: Option<u64>,
    },
    #[serde(rename = "observation")]
    Observation { text: String },
    #[serde(rename = "note")]
    Note { text: String },
    #[serde(rename = "hypothesis.added")]
    HypothesisAdded {
        hypothesis: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from_check: Option<String>,
        /// The id of the event it was raised on (`hypothesis add --on EVENT`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_event: Option<String>,
    },
    #[serde(rename = "hypothesis.confirmed")]
    HypothesisConfirmed {
        hypothesis: String,
        evidence: String,
        /// The event id of the item it is about (its `hypothesis.added` or `followup.added`):
        /// the reference that survives renumbering. Absent in timelines written before it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<String>,
    },
    #[serde(rename = "hypothesis.refuted")]
    HypothesisRefuted {
        hypothesis: String,
        evidence: String,
        /// The event id of the item it is about (its `hypothesis.added` or `followup.added`):
        /// the reference that survives renumbering. Absent in timelines written before it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<String>,
    },
    #[serde(rename = "decision")]
    Decision {
        /// What was decided.
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hypothesis: Option<String>,
        /// Why: what pointed to it. (Walks before this field wrote the reason as `text`.)
        #[serde(default, skip_serializing_if = "Option::is_none")]
        why: Option<String>,
        /// The event id of the item it is about (its `hypothesis.added` or `followup.added`):
        /// the reference that survives renumbering. Absent in timelines written before it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<String>,
    },
    #[serde(rename = "action")]
    Action {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hypothesis: Option<String>,
        /// The event id of the item it is about (its `hypothesis.added` or `followup.added`):
        /// the reference that survives renumbering. Absent in timelines written before it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<String>,
    },
    #[serde(rename = "command.finished")]
    CommandFinished {
        /// The command line as a shell would show it, secrets masked.
        command: String,
        argv: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<i32>,
        #[serde(default, skip_serializing_if = "is_false")]
        timed_out: bool,
        #[serde(default, skip_serializing_if = "is_false")]
        interrupted: bool,
        /// Why it could not start, if it could not.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        error: Option<String>,
        duration_ms: u64,
        /// The last lines of its output, secrets masked.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        tail: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        artifact: Option<ArtifactRef>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hypothesis: Option<String>,
        /// The event id of the item it is about (its `hypothesis.added` or `followup.added`):
        /// the reference that survives renumbering. Absent in timelines written before it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<String>,
        /// The directory it ran in, when known (commands typed in `incident shell`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<String>,
    },
    #[serde(rename = "log.search")]
    LogSearch {
        /// The pattern as typed (a regex unless `fixed`).
        pattern: String,
        #[serde(default, skip_serializing_if = "is_false")]
        fixed: bool,
        #[serde(default, skip_serializing_if = "is_false")]
        ignore_case: bool,
        /// The files searched, in the order read.
        files: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        since: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        until: Option<DateTime<Utc>>,
        /// Matching records (a record is a timestamped line and the lines below it).
        matched: u64,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        first: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        last: Option<DateTime<Utc>>,
        /// The first few matching records, secrets masked.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        samples: Vec<String>,
    },
    /// One check of a runbook or an ad-hoc probe, with what was seen and what it means.
    #[serde(rename = "check.result")]
    CheckResult(CheckRecord),
    /// One step of a runbook action: preview, confirmed, run, verify, rollback, ...
    #[serde(rename = "runbook.step")]
    RunbookStep {
        runbook: String,
        action: String,
        /// `preview`, `dry_run`, `confirmed`, `run`, `verify`, `rollback`.
        step: String,
        ok: bool,
        /// What happened, in a line; secrets masked.
        detail: String,
        /// The command line, when the step ran one; secrets masked.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        command: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        exit_code: Option<i32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<u64>,
    },
    #[serde(rename = "followup.added")]
    FollowUpAdded {
        followup: String,
        text: String,
        owner: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        due: Option<chrono::NaiveDate>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        priority: Option<Priority>,
        /// `mitigate`, `prevent`, `detect` or `process`.
        #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
        item_type: Option<String>,
        /// Where it is tracked: an issue's URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tracker: Option<String>,
    },
    /// A follow-up now tracked elsewhere (`followup export`): the issue's URL.
    #[serde(rename = "followup.linked")]
    FollowUpLinked {
        followup: String,
        url: String,
        /// The event id of the follow-up (its `followup.added`): the reference that survives
        /// renumbering. Absent in timelines written before it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<String>,
    },
    #[serde(rename = "followup.done")]
    FollowUpDone {
        followup: String,
        /// The event id of the item it is about (its `hypothesis.added` or `followup.added`):
        /// the reference that survives renumbering. Absent in timelines written before it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<String>,
    },
    #[serde(rename = "phase.entered")]
    PhaseEntered { to: Phase },
    /// A responder took the incident on: the end of "time to acknowledge" (`incident ack`, or
    /// the walk's first answer). Without one, the clock runs to the first responder event.
    #[serde(rename = "incident.acknowledged")]
    Acknowledged {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The post-mortem's own facts, each given only when it changes (`postmortem --status
    /// --author --trigger --root-cause`): the latest value of each stands.
    #[serde(rename = "postmortem.recorded")]
    PostmortemRecorded {
        /// `draft`, `in-review` or `final`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        review_status: Option<String>,
        /// Who wrote the post-mortem (responders are everyone who recorded an event).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        authors: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trigger: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root_cause: Option<String>,
    },
    /// A link to something outside the timeline: a dashboard, a chat thread, a ticket.
    #[serde(rename = "link.added")]
    LinkAdded {
        url: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    #[serde(rename = "incident.resolved")]
    Resolved {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
    },
    /// A notification from the alerting (Alertmanager's webhook, or `open --from-alert`) about
    /// one alert group: recorded when the group first fires and whenever its set of firing
    /// alerts or its status changes, never for a repeat.
    #[serde(rename = "alert.received")]
    AlertReceived {
        /// Alertmanager's `groupKey`: the identity of the group across notifications.
        group_key: String,
        /// `firing` or `resolved`.
        status: String,
        alert_name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        /// Fingerprints of the alerts firing now.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        firing: Vec<String>,
        /// Fingerprints of the alerts resolved in this notification.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        resolved: Vec<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        labels: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        starts_at: Option<DateTime<Utc>>,
        /// When the last of the alerts resolved in this notification ended, as the alerting saw it.
        #[serde(default, skip_serializing_if = "Option::is_none", with = "serde_ts::option")]
        ends_at: Option<DateTime<Utc>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook_url: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        generator_url: Option<String>,
    },
    /// The runbook's checks run at once on an incident opened from an alert, summed up for the
    /// people the `[[notify]]` webhooks tell: how many ran, the worst status, the worst few.
    #[serde(rename = "alert.checked")]
    AlertChecked {
        alert_name: String,
        runbook: String,
        worst: super::CheckStatus,
        ran: usize,
        /// At most five, worst first.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        worst_checks: Vec<super::check::CheckBrief>,
    },
    /// The alert resolved and the runbook's checks, run again, all pass: mitigation is offered
    /// to the responder, never set (`incident status mitigated` sets it).
    #[serde(rename = "mitigation.offered")]
    MitigationOffered {
        alert_name: String,
        runbook: String,
        /// How many checks passed (those that could not run for want of a value are not counted).
        checks: usize,
    },
    /// What the opening did not say yet, given after it (the opening is recorded as soon as
    /// the title and severity are known): the affected services, the runbook to follow.
    #[serde(rename = "incident.changed")]
    IncidentChanged {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        services: Option<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runbook: Option<String>,
    },
    /// Values of the runbook's variables set after opening: typed (`incident vars set`), taken
    /// from an alert's labels, or from the service catalog. The latest value of each wins.
    #[serde(rename = "vars.set")]
    VarsSet {
        vars: BTreeMap<String, String>,
        /// `typed`, `alert` or `service`.
        source: String,
    },
    /// A responder says they are verifying a hypothesis ("bo is verifying H3"), or lets it go.
    #[serde(rename = "hypothesis.claimed")]
    Claimed {
        hypothesis: String,
        /// The event id of the hypothesis (see `Body::HypothesisConfirmed::about`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        about: Option<String>,
        #[serde(default, skip_serializing_if = "is_false")]
        released: bool,
    },
    /// Openings of the same incident id made on two clones are one incident, on purpose
    /// (`incident unify`): the clash is settled and no longer reported.
    #[serde(rename = "openings.merged")]
    OpeningsMerged {
        /// The event ids of the other `incident.opened` events.
        openings: Vec<String>,
    },
    /// A stakeholder update as posted (`incident update`): the text people were told, and when
    /// they were promised the next one.
    #[serde(rename = "update.posted")]
    UpdatePosted {
        text: String,
        #[serde(with = "serde_ts")]
        next_update: DateTime<Utc>,
    },
    #[serde(rename = "event.amended")]
    Amended {
        target: String,
        #[serde(default)]
        changes: Map<String, Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A kind this version does not know (written by a newer version or another tool), kept
    /// whole so it can still be shown and passed on.
    #[serde(untagged)]
    Other {
        kind: String,
        #[serde(flatten)]
        fields: Map<String, Value>,
    },
}

impl Body {
    /// Every kind this version writes and understands.
    pub const KNOWN_KINDS: &[&str] = &[
        "incident.opened",
        "alert.received",
        "alert.checked",
        "mitigation.offered",
        "vars.set",
        "incident.changed",
        "status.changed",
        "severity.changed",
        "role.assigned",
        "impact.recorded",
        "observation",
        "note",
        "hypothesis.added",
        "hypothesis.confirmed",
        "hypothesis.refuted",
        "decision",
        "action",
        "command.finished",
        "log.search",
        "check.result",
        "runbook.step",
        "followup.added",
        "followup.done",
        "phase.entered",
        "incident.resolved",
        "event.amended",
        "incident.acknowledged",
        "postmortem.recorded",
        "link.added",
        "followup.linked",
        "data_loss.recorded",
        "openings.merged",
        "hypothesis.claimed",
        "update.posted",
    ];

    /// A line whose kind this version knows but whose fields do not fit it.
    pub fn is_malformed(&self) -> bool {
        matches!(self, Body::Other { kind, .. } if Body::KNOWN_KINDS.contains(&kind.as_str()))
    }

    pub fn kind(&self) -> &str {
        match self {
            Body::Opened { .. } => "incident.opened",
            Body::StatusChanged { .. } => "status.changed",
            Body::SeverityChanged { .. } => "severity.changed",
            Body::RoleAssigned { .. } => "role.assigned",
            Body::ImpactRecorded { .. } => "impact.recorded",
            Body::Observation { .. } => "observation",
            Body::Note { .. } => "note",
            Body::HypothesisAdded { .. } => "hypothesis.added",
            Body::HypothesisConfirmed { .. } => "hypothesis.confirmed",
            Body::HypothesisRefuted { .. } => "hypothesis.refuted",
            Body::Decision { .. } => "decision",
            Body::Action { .. } => "action",
            Body::CommandFinished { .. } => "command.finished",
            Body::LogSearch { .. } => "log.search",
            Body::CheckResult(_) => "check.result",
            Body::RunbookStep { .. } => "runbook.step",
            Body::FollowUpAdded { .. } => "followup.added",
            Body::FollowUpDone { .. } => "followup.done",
            Body::PhaseEntered { .. } => "phase.entered",
            Body::Resolved { .. } => "incident.resolved",
            Body::Acknowledged { .. } => "incident.acknowledged",
            Body::PostmortemRecorded { .. } => "postmortem.recorded",
            Body::LinkAdded { .. } => "link.added",
            Body::FollowUpLinked { .. } => "followup.linked",
            Body::DataLossRecorded { .. } => "data_loss.recorded",
            Body::Amended { .. } => "event.amended",
            Body::OpeningsMerged { .. } => "openings.merged",
            Body::Claimed { .. } => "hypothesis.claimed",
            Body::UpdatePosted { .. } => "update.posted",
            Body::AlertReceived { .. } => "alert.received",
            Body::AlertChecked { .. } => "alert.checked",
            Body::MitigationOffered { .. } => "mitigation.offered",
            Body::VarsSet { .. } => "vars.set",
            Body::IncidentChanged { .. } => "incident.changed",
            Body::Other { kind, .. } => kind,
        }
    }

    /// The OODA phase an event of this kind belongs to, when it belongs to one.
    pub fn default_phase(&self) -> Option<Phase> {
        match self {
            Body::Observation { .. } | Body::LogSearch { .. } | Body::CheckResult(_) => Some(Phase::Observe),
            Body::HypothesisAdded { .. } => Some(Phase::Orient),
            Body::Decision { .. } => Some(Phase::Decide),
            Body::HypothesisConfirmed { .. }
            | Body::HypothesisRefuted { .. }
            | Body::Action { .. }
            | Body::CommandFinished { .. }
            | Body::RunbookStep { .. } => Some(Phase::Act),
            Body::PhaseEntered { to } => Some(*to),
            _ => None,
        }
    }

    /// One line saying what happened, for tables and summaries.
    pub fn describe(&self) -> String {
        match self {
            Body::Opened { title, severity, services, drill, .. } => {
                let mut text = format!("Incident opened ({severity}): {title}");
                if !services.is_empty() {
                    text.push_str(&format!(" [services: {}]", services.join(", ")));
                }
                if *drill {
                    text.push_str(" [drill]");
                }
                text
            }
            Body::StatusChanged { from, to, note } => with_note(format!("Status {from} -> {to}"), note),
            Body::SeverityChanged { from, to, note } => with_note(format!("Severity {from} -> {to}"), note),
            Body::RoleAssigned { role, name } => format!("{name} is {role}"),
            Body::ImpactRecorded { start, end, detected_at, users, summary, details } => {
                let mut parts = Vec::new();
                if let Some(t) = start {
                    parts.push(format!("start {}", crate::time::format_table_ts(t)));
                }
                if let Some(t) = end {
                    parts.push(format!("end {}", crate::time::format_table_ts(t)));
                }
                if let Some(t) = detected_at {
                    parts.push(format!("detected {}", crate::time::format_table_ts(t)));
                }
                if let Some(n) = users {
                    parts.push(format!("{n} users"));
                }
                parts.extend(details.iter().map(|(k, v)| format!("{k}={v}")));
                if let Some(s) = summary {
                    parts.push(s.clone());
                }
                format!("Impact: {}", parts.join("; "))
            }
            Body::DataLossRecorded { lost, recovery_point, rpo_seconds, rto_seconds } => {
                let mut parts = Vec::new();
                if let Some(lost) = lost {
                    parts.push(lost.clone());
                }
                if let Some(t) = recovery_point {
                    parts.push(format!("recovery point {}", crate::time::format_table_ts(t)));
                }
                let secs = |s: &u64| crate::time::format_duration(chrono::Duration::seconds(*s as i64));
                if let Some(s) = rpo_seconds {
                    parts.push(format!("RPO {}", secs(s)));
                }
                if let Some(s) = rto_seconds {
                    parts.push(format!("RTO {}", secs(s)));
                }
                format!("Data loss: {}", parts.join("; "))
            }
            Body::Observation { text } => format!("Observed: {text}"),
            Body::Note { text } => text.clone(),
            Body::HypothesisAdded { hypothesis, text, from_check, .. } => match from_check {
                Some(check) => format!("{hypothesis} raised: {text} (from check {check})"),
                None => format!("{hypothesis} raised: {text}"),
            },
            Body::HypothesisConfirmed { hypothesis, evidence, about } => {
                format!("{} confirmed: {evidence}", labelled(hypothesis, about))
            }
            Body::HypothesisRefuted { hypothesis, evidence, about } => {
                format!("{} refuted: {evidence}", labelled(hypothesis, about))
            }
            Body::Decision { text, hypothesis, why, about } => {
                let decided = concerning(format!("Decided: {text}"), hypothesis, about);
                match why {
                    Some(why) => format!("{decided}, because {why}"),
                    None => decided,
                }
            }
            Body::Action { text, hypothesis, about } => concerning(format!("Did: {text}"), hypothesis, about),
            Body::CommandFinished {
                command, exit_code, signal, timed_out, interrupted, error, duration_ms, ..
            } => {
                let outcome = if let Some(err) = error {
                    format!("could not start: {err}")
                } else if *timed_out {
                    "timed out, killed".to_string()
                } else if *interrupted {
                    "interrupted".to_string()
                } else if let Some(code) = exit_code {
                    format!("exit {code}")
                } else if let Some(sig) = signal {
                    format!("killed by signal {sig}")
                } else {
                    "finished".to_string()
                };
                let secs = *duration_ms as f64 / 1000.0;
                format!("Ran `{command}`: {outcome} in {secs:.1}s")
            }
            Body::LogSearch { pattern, files, since, until, matched, first, last, .. } => {
                let files = match files.as_slice() {
                    [one] => one.clone(),
                    many => format!("{} files", many.len()),
                };
                let mut text = format!("Searched {files} for {pattern:?}");
                match (since, until) {
                    (Some(s), Some(u)) => text.push_str(&format!(
                        " from {} to {}",
                        crate::time::format_table_ts(s),
                        crate::time::format_table_ts(u)
                    )),
                    (Some(s), None) => text.push_str(&format!(" since {}", crate::time::format_table_ts(s))),
                    (None, Some(u)) => text.push_str(&format!(" until {}", crate::time::format_table_ts(u))),
                    (None, None) => {}
                }
                text.push_str(&format!(": {matched} matching"));
                if let (Some(f), Some(l)) = (first, last) {
                    text.push_str(&format!(
                        ", first {}, last {}",
                        crate::time::format_table_ts(f),
                        crate::time::format_table_ts(l)
                    ));
                }
                text
            }
            Body::CheckResult(record) => {
                format!("Check {} {}: {}", record.check, record.status.as_str().to_ascii_uppercase(), record.summary)
            }
            Body::RunbookStep { runbook, action, step, ok, detail, .. } => {
                let outcome = if *ok { "" } else { " FAILED" };
                format!("Runbook {runbook} action {action} {step}{outcome}: {detail}")
            }
            Body::FollowUpAdded { followup, text, owner, due, priority, item_type, .. } => {
                let mut text = format!("{followup} follow-up: {text} (owner {owner}");
                if let Some(t) = item_type {
                    text.push_str(&format!(", {t}"));
                }
                if let Some(p) = priority {
                    text.push_str(&format!(", {}", p.as_str().to_ascii_uppercase()));
                }
                if let Some(d) = due {
                    text.push_str(&format!(", due {d}"));
                }
                text.push(')');
                text
            }
            Body::FollowUpDone { followup, about } => format!("{} done", labelled(followup, about)),
            Body::FollowUpLinked { followup, url, .. } => format!("{followup} tracked at {url}"),
            Body::PhaseEntered { to } => format!("Entered {to}"),
            Body::Acknowledged { note } => with_note("Acknowledged".to_string(), note),
            Body::PostmortemRecorded { review_status, authors, trigger, root_cause } => {
                let mut parts = Vec::new();
                if let Some(status) = review_status {
                    parts.push(format!("status {status}"));
                }
                if !authors.is_empty() {
                    parts.push(format!("authors {}", authors.join(", ")));
                }
                if let Some(trigger) = trigger {
                    parts.push(format!("trigger: {trigger}"));
                }
                if let Some(cause) = root_cause {
                    parts.push(format!("root cause: {cause}"));
                }
                format!("Post-mortem: {}", parts.join("; "))
            }
            Body::LinkAdded { url, title } => match title {
                Some(title) => format!("Link: {title} <{url}>"),
                None => format!("Link: <{url}>"),
            },
            Body::Resolved { summary } => match summary {
                Some(s) => format!("Resolved: {s}"),
                None => "Resolved".to_string(),
            },
            Body::Amended { target, reason, .. } => with_note(format!("Amended event {target}"), reason),
            Body::IncidentChanged { services, runbook } => {
                let mut parts = Vec::new();
                if let Some(services) = services {
                    parts.push(format!("services: {}", services.join(", ")));
                }
                if let Some(runbook) = runbook {
                    parts.push(format!("runbook: {runbook}"));
                }
                format!("Incident changed ({})", parts.join("; "))
            }
            Body::VarsSet { vars, source } => {
                let pairs: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("Variables set ({source}): {}", pairs.join(", "))
            }
            Body::AlertReceived { status, alert_name, summary, firing, resolved, .. } => {
                let what = match status.as_str() {
                    "resolved" => format!("Alert {alert_name} resolved"),
                    _ if !resolved.is_empty() => {
                        format!("Alert {alert_name}: {} firing, {} resolved", firing.len(), resolved.len())
                    }
                    _ if firing.len() > 1 => format!("Alert {alert_name} firing ({} alerts)", firing.len()),
                    _ => format!("Alert {alert_name} firing"),
                };
                match summary {
                    Some(summary) => format!("{what}: {summary}"),
                    None => what,
                }
            }
            Body::AlertChecked { alert_name, runbook, worst, ran, worst_checks } => {
                let mut text = format!(
                    "Opened from alert {alert_name}: {ran} checks of runbook {runbook} ran, worst {}",
                    worst.as_str().to_ascii_uppercase()
                );
                let failing: Vec<String> = worst_checks
                    .iter()
                    .filter(|c| c.status != super::CheckStatus::Ok)
                    .map(|c| format!("{} {}: {}", c.check, c.status.as_str(), c.summary))
                    .collect();
                if !failing.is_empty() {
                    text.push_str(&format!(" ({})", failing.join("; ")));
                }
                text
            }
            Body::MitigationOffered { alert_name, checks, .. } => format!(
                "Alert {alert_name} resolved and the runbook's checks pass ({checks} ok): mark mitigated? `incident status mitigated`"
            ),
            Body::Claimed { hypothesis, about, released: false } => {
                format!("Verifying {}", labelled(hypothesis, about))
            }
            Body::Claimed { hypothesis, about, released: true } => format!("Let go of {}", labelled(hypothesis, about)),
            Body::UpdatePosted { text, next_update } => {
                format!(
                    "Update posted: {} (next by {} UTC)",
                    one_line(text, UPDATE_GIST_CHARS),
                    next_update.format("%H:%M")
                )
            }
            Body::OpeningsMerged { openings } => {
                format!("Openings on two machines kept as one incident ({} more)", openings.len())
            }
            Body::Other { kind, fields } => {
                let text = ["text", "summary", "title"].iter().find_map(|k| fields.get(*k).and_then(Value::as_str));
                match text {
                    Some(text) => format!("[{kind}] {text}"),
                    None => format!("[{kind}]"),
                }
            }
        }
    }
}

/// How much of an update's text its one-line description keeps (tables, the Slack line).
const UPDATE_GIST_CHARS: usize = 120;

/// `text` on one line (its lines joined, spaces collapsed), cut to `max` characters with `…`.
fn one_line(text: &str, max: usize) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.chars().count() <= max {
        return joined;
    }
    let cut: String = joined.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", cut.trim_end())
}

fn with_note(text: String, note: &Option<String>) -> String {
    match note {
        Some(note) => format!("{text}: {note}"),
        None => text,
    }
}

fn concerning(text: String, hypothesis: &Option<String>, about: &Option<String>) -> String {
    match hypothesis {
        Some(h) => format!("{text} ({})", labelled(h, about)),
        None => text,
    }
}

/// `H3 ~a1b2`: the number as written, and the handle of what it meant when it was written.
fn labelled(number: &str, about: &Option<String>) -> String {
    match about {
        Some(id) => format!("{number} {}", super::items::handle(id, super::items::HANDLE_LEN)),
        None => number.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Event {
        serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    #[test]
    fn unknown_kinds_and_fields_are_kept_not_rejected() {
        let event = parse(
            r#"{"id":"1","ts":"2026-11-22T14:05:00.000Z","author":"a","kind":"pager.sent","to":"ops","future":1}"#,
        );
        assert_eq!(event.body.kind(), "pager.sent");
        let again = serde_json::to_string(&event).unwrap_or_default();
        assert!(again.contains(r#""to":"ops""#), "{again}");

        let event = parse(
            r#"{"id":"2","ts":"2026-11-22T14:05:00Z","author":"a","kind":"note","text":"hi","added_later":true}"#,
        );
        assert_eq!(event.body, Body::Note { text: "hi".into() });
    }

    #[test]
    fn events_serialise_with_millisecond_utc_times_and_kind_inline() {
        let ts =
            DateTime::parse_from_rfc3339("2026-11-22T14:05:00Z").map(|t| t.with_timezone(&Utc)).unwrap_or_default();
        let event = Event {
            id: "01".into(),
            ts,
            recorded: None,
            author: "ana".into(),
            phase: Some(Phase::Observe),
            body: Body::Observation { text: "502s on /checkout".into() },
        };
        let line = serde_json::to_string(&event).unwrap_or_default();
        assert_eq!(
            line,
            r#"{"id":"01","ts":"2026-11-22T14:05:00.000Z","author":"ana","phase":"observe","kind":"observation","text":"502s on /checkout"}"#
        );
        assert_eq!(parse(&line), event);
    }

    #[test]
    fn a_known_kind_missing_its_fields_is_malformed_not_unknown() {
        let event = parse(r#"{"id":"1","ts":"2026-11-22T14:05:00Z","author":"a","kind":"hypothesis.added"}"#);
        assert!(event.body.is_malformed());
        let event = parse(r#"{"id":"1","ts":"2026-11-22T14:05:00Z","author":"a","kind":"pager.sent"}"#);
        assert!(!event.body.is_malformed());
    }
}
