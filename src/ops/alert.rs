//! Alerts into incidents: a firing group opens an incident, or adds to the open incident the same
//! group already notified; a repeat of what the incident knows records nothing.

use crate::alert::{AlertFacts, AlertStatus, Notification};
use crate::context::{Context, Loaded};
use crate::error::Result;
use crate::model::{AlertGroup, Body, Status};
use crate::store::IncidentDir;

use super::OpenSpec;

/// What a notification did.
#[derive(Debug)]
pub enum AlertOutcome {
    /// A new incident was opened for the group.
    Opened(IncidentDir),
    /// The group's open incident recorded a change: alerts firing or resolved, the group resolved.
    Updated(IncidentDir),
    /// The group's open incident knew all this already: nothing recorded.
    Repeat(IncidentDir),
    /// A resolved notification for a group with no open incident: nothing to do.
    NoIncident,
}

/// Records `notification` on the open incident of its group, or opens one with the spec that
/// `open_spec` makes from the alert's facts (the caller picks the runbook and its variables).
pub fn receive_alert(
    ctx: &Context,
    notification: &Notification,
    open_spec: impl FnOnce(&AlertFacts) -> Result<OpenSpec>,
) -> Result<AlertOutcome> {
    let body = alert_body(notification);
    if let Some(loaded) = open_incident_of_group(ctx, &notification.group_key)? {
        let known = &loaded.incident.alerts[&notification.group_key];
        if repeats(known, &body) {
            return Ok(AlertOutcome::Repeat(loaded.dir));
        }
        ctx.append(&loaded.dir, &[ctx.new_event(body, None)])?;
        return Ok(AlertOutcome::Updated(loaded.dir));
    }
    if notification.status == AlertStatus::Resolved || notification.firing().next().is_none() {
        return Ok(AlertOutcome::NoIncident);
    }
    let spec = open_spec(&notification.facts())?;
    let (dir, _) = super::open(ctx, spec)?;
    ctx.append(&dir, &[ctx.new_event(body, None)])?;
    Ok(AlertOutcome::Opened(dir))
}

/// The newest unresolved incident that this alert group has notified.
fn open_incident_of_group(ctx: &Context, group_key: &str) -> Result<Option<Loaded>> {
    let mut found: Option<Loaded> = None;
    for id in ctx.store.ids()? {
        // An incident that cannot be read is not this group's to add to; `list` reports it.
        let Ok(loaded) = ctx.load_dir(ctx.store.dir(id)) else { continue };
        if loaded.incident.status == Status::Resolved || !loaded.incident.alerts.contains_key(group_key) {
            continue;
        }
        let newer = found.as_ref().is_none_or(|f| f.incident.clocks.opened < loaded.incident.clocks.opened);
        if newer {
            found = Some(loaded);
        }
    }
    Ok(found)
}

fn alert_body(notification: &Notification) -> Body {
    let status = match notification.status {
        AlertStatus::Firing => "firing",
        AlertStatus::Resolved => "resolved",
    };
    let mut firing: Vec<String> = notification.firing().map(|a| a.fingerprint.clone()).collect();
    firing.sort();
    firing.dedup();
    let mut resolved: Vec<String> = notification
        .alerts
        .iter()
        .filter(|a| a.status == AlertStatus::Resolved)
        .map(|a| a.fingerprint.clone())
        .collect();
    resolved.sort();
    resolved.dedup();
    let facts = notification.facts();
    let representative = notification.firing().next().unwrap_or(&notification.alerts[0]);
    Body::AlertReceived {
        group_key: notification.group_key.clone(),
        status: status.to_string(),
        alert_name: facts.alert_name,
        summary: notification.annotation("summary").map(str::to_string),
        firing,
        resolved,
        labels: notification.common_labels.clone(),
        starts_at: Some(facts.starts_at),
        runbook_url: facts.runbook_url,
        generator_url: representative.generator_url.clone(),
    }
}

/// Whether a notification says nothing the incident does not know: same status, same alerts
/// firing, none newly resolved. Alertmanager repeats a group every `repeat_interval`.
fn repeats(known: &AlertGroup, body: &Body) -> bool {
    let Body::AlertReceived { status, firing, resolved, .. } = body else { return false };
    known.status == *status && known.firing == *firing && (resolved.is_empty() || known.status == "resolved")
}
