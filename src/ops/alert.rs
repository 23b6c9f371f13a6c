//! Alerts into incidents: a firing group opens an incident, or adds to the open incident the same
//! group already notified; a repeat of what the incident knows records nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::alert::{AlertFacts, AlertStatus, Notification};
use crate::context::{Context, Loaded};
use crate::error::Result;
use crate::model::{AlertGroup, Body, CheckBrief, CheckRecord, CheckStatus, Severity, Status};
use crate::probe::RunOptions;
use crate::runbook::{Catalog, Runbook, Vars, best_fit, runbook_for_alert};
use crate::service::Service;
use crate::store::IncidentDir;

use super::OpenSpec;

/// Checks run on an alert must not hold up whoever sent it for long.
pub const ALERT_CHECKS_DEADLINE: Duration = Duration::from_secs(60);

/// What a responder's flags add to an alert's facts: each one given wins.
#[derive(Debug, Clone, Default)]
pub struct AlertOverrides {
    pub title: Option<String>,
    pub severity: Option<Severity>,
    pub services: Vec<String>,
    pub commander: Option<String>,
    /// Else the runbook whose `match:` rules fit the alert best.
    pub runbook: Option<String>,
    /// The runbook's variables, already checked against it; they win over the alert's labels.
    pub vars: BTreeMap<String, String>,
    pub impact_start: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
}

/// What a notification did, and the checks run when it opened an incident with a runbook.
#[derive(Debug)]
pub struct AlertHandled {
    pub outcome: AlertOutcome,
    pub checks: Vec<CheckRecord>,
}

/// Records a notification (see [`receive_alert`]) and, when it opened an incident with a
/// runbook, runs the runbook's checks at once and records them: the evidence is on the
/// timeline before anyone has logged in.
pub fn handle_alert(ctx: &Context, notification: &Notification, overrides: &AlertOverrides) -> Result<AlertHandled> {
    let mut runbook: Option<Runbook> = None;
    let mut from_labels = BTreeMap::new();
    let mut service: Option<Service> = None;
    let outcome = receive_alert(ctx, notification, |facts| {
        let labels = notification.labels();
        service = crate::service::service_for_alert(&labels)?;
        let name = match &overrides.runbook {
            Some(name) => Some(name.clone()),
            None => runbook_for_service_alert(service.as_ref(), &labels)?,
        };
        if let Some(name) = &name {
            let loaded = Catalog::new(None)?.load(name)?;
            // The alert offers every label; the runbook takes those it declares (never secrets),
            // unless a flag set them.
            for (key, value) in &facts.vars {
                let declared = loaded.file.vars.get(key).is_some_and(|spec| !spec.value.secret);
                if declared && !overrides.vars.contains_key(key) {
                    from_labels.insert(key.clone(), value.clone());
                }
            }
            runbook = Some(loaded);
        }
        let mut services =
            if overrides.services.is_empty() { facts.services.clone() } else { overrides.services.clone() };
        if let Some(service) = &service
            && !services.contains(&service.name)
        {
            services.insert(0, service.name.clone());
        }
        Ok(OpenSpec {
            title: overrides.title.clone().unwrap_or_else(|| facts.title.clone()),
            severity: Some(overrides.severity.unwrap_or(facts.severity)),
            services,
            commander: overrides.commander.clone(),
            runbook: name,
            impact_start: overrides.impact_start.or(Some(facts.starts_at)),
            detected_at: overrides.detected_at.or(Some(facts.starts_at)),
            drill: false,
            vars: overrides.vars.clone(),
        })
    })?;
    if let (AlertOutcome::Opened(dir), Some(service), Some(runbook)) = (&outcome, &service, &runbook) {
        // The alert's own labels (the instance that fired) win over the catalog's values.
        let mut given = overrides.vars.clone();
        given.extend(from_labels.clone());
        super::record_service_vars(ctx, dir, service, &runbook.name, &given)?;
    }
    if let AlertOutcome::Opened(dir) = &outcome
        && !from_labels.is_empty()
    {
        super::set_vars(ctx, dir, from_labels, "alert")?;
    }
    let alert_name = notification.alert_name().unwrap_or("alert").to_string();
    let checks = match (&outcome, runbook) {
        (AlertOutcome::Opened(dir), Some(runbook)) => {
            let records = run_runbook_checks(ctx, dir, &runbook)?;
            // Recorded (and so notified) once the evidence is in: the opening already went out.
            let summary = Body::AlertChecked {
                alert_name,
                runbook: runbook.name.clone(),
                worst: crate::probe::worst(&records),
                ran: records.len(),
                worst_checks: CheckBrief::worst_of(&records, 5),
            };
            super::record(ctx, dir, summary, None)?;
            records
        }
        (AlertOutcome::Updated(dir), _) if notification.status == AlertStatus::Resolved => {
            recheck_after_resolved(ctx, dir, &alert_name)?
        }
        _ => Vec::new(),
    };
    Ok(AlertHandled { outcome, checks })
}

/// Runs `runbook`'s checks on the incident in `dir` with its variables, within the alert's
/// deadline, and records each result.
fn run_runbook_checks(ctx: &Context, dir: &IncidentDir, runbook: &Runbook) -> Result<Vec<CheckRecord>> {
    let loaded = ctx.load_dir(dir.clone())?;
    let settings = super::runbook_overrides(Some(&loaded.incident), runbook, &[])?;
    let vars = Vars::resolve(runbook, &settings, &|name| std::env::var(name).ok())?;
    let concurrency = runbook.file.defaults.concurrency.unwrap_or(8);
    let options = RunOptions { concurrency, deadline: ALERT_CHECKS_DEADLINE };
    Ok(super::run_checks(ctx, Some(&loaded), runbook, &vars, &[], options)?.records)
}

/// After the group's resolved notification: the incident's runbook's checks run again, and when
/// every one passes, mitigation is offered (`mitigation.offered`). The status never changes by
/// itself: a resolved alert is not a verified fix.
fn recheck_after_resolved(ctx: &Context, dir: &IncidentDir, alert_name: &str) -> Result<Vec<CheckRecord>> {
    let incident = ctx.load_dir(dir.clone())?.incident;
    let Some(name) = &incident.runbook else { return Ok(Vec::new()) };
    if matches!(incident.status, Status::Mitigated | Status::Monitoring | Status::Resolved) {
        return Ok(Vec::new());
    }
    let runbook = match Catalog::new(None).and_then(|c| c.load(name)) {
        Ok(runbook) => runbook,
        // Nothing to re-run; the resolved notification is recorded all the same.
        Err(e) => {
            ctx.out.warn(&format!("runbook {name}: {e}; its checks were not run again"));
            return Ok(Vec::new());
        }
    };
    let records = run_runbook_checks(ctx, dir, &runbook)?;
    if pass_again(&records) {
        let passed = records.iter().filter(|r| r.status == CheckStatus::Ok).count();
        let offer =
            Body::MitigationOffered { alert_name: alert_name.to_string(), runbook: runbook.name, checks: passed };
        super::record(ctx, dir, offer, None)?;
    }
    Ok(records)
}

/// Whether re-run checks say the service is back: none warning or critical, at least one ok,
/// and no unknown but those that could not run for want of a variable's value (a `prom_url`
/// never given): those say nothing of the service, before or after.
fn pass_again(records: &[CheckRecord]) -> bool {
    let unrunnable = |r: &CheckRecord| r.status == CheckStatus::Unknown && r.reason == "template";
    records.iter().any(|r| r.status == CheckStatus::Ok)
        && records.iter().all(|r| r.status == CheckStatus::Ok || unrunnable(r))
}

/// The runbook for an alert: among its service's runbooks (when the catalog names the service)
/// the one whose `match:` rules fit best, else the best fit of all, else the service's first.
fn runbook_for_service_alert(service: Option<&Service>, labels: &BTreeMap<String, String>) -> Result<Option<String>> {
    let catalog = Catalog::new(None)?;
    let offered = service.map(Service::runbook_names).unwrap_or_default();
    let mut best: Option<(usize, &String)> = None;
    for name in &offered {
        let Ok(runbook) = catalog.load(name) else { continue };
        if let Some(fit) = best_fit(&runbook.file.matches, labels)
            && best.is_none_or(|(b, _)| fit > b)
        {
            best = Some((fit, name));
        }
    }
    if let Some((_, name)) = best {
        return Ok(Some(name.clone()));
    }
    Ok(runbook_for_alert(&catalog, labels).or_else(|| offered.first().cloned()))
}

impl AlertOutcome {
    /// `opened`, `updated`, `repeat` or `none`: for `--json`.
    pub fn as_str(&self) -> &'static str {
        match self {
            AlertOutcome::Opened(_) => "opened",
            AlertOutcome::Updated(_) => "updated",
            AlertOutcome::Repeat(_) => "repeat",
            AlertOutcome::NoIncident => "none",
        }
    }

    pub fn incident(&self) -> Option<&IncidentDir> {
        match self {
            AlertOutcome::Opened(dir) | AlertOutcome::Updated(dir) | AlertOutcome::Repeat(dir) => Some(dir),
            AlertOutcome::NoIncident => None,
        }
    }

    /// One sentence for the responder, on stderr.
    pub fn describe(&self, alert: &str) -> String {
        match self {
            AlertOutcome::Opened(dir) => format!("Opened {} from alert {alert}.", dir.id),
            AlertOutcome::Updated(dir) => {
                format!("Alert {alert} recorded on {}, the open incident of its group.", dir.id)
            }
            AlertOutcome::Repeat(dir) => format!("{} already knows this of alert {alert}: nothing recorded.", dir.id),
            AlertOutcome::NoIncident => {
                format!("Alert {alert} is resolved and no incident is open for its group: nothing to do.")
            }
        }
    }
}

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
        ends_at: notification
            .alerts
            .iter()
            .filter(|a| a.status == AlertStatus::Resolved)
            .filter_map(|a| a.ends_at)
            .max(),
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
