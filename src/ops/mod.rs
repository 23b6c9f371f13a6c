//! Operations: each thing a responder can do to an incident, in one place. The non-interactive
//! commands and the interactive walk both call these, so no logic lives in prompts.

mod action;
mod alert;
mod checks;
mod command;
mod live;
mod logs;
mod prepare;
mod procedure;
mod service;
mod update;
mod watch;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

pub use action::{ActionRequest, run_action};
pub use alert::{AlertOverrides, handle_alert};
pub use checks::{run_checks, run_checks_within, run_prepared_checks};
pub use command::{
    Echo, RunOptions, TypedCommand, record_typed_command, record_typed_command_with_artifact, run_command,
};
pub use logs::{SAMPLE_CHARS, SAMPLES, log_search_body, search_logs};
pub use prepare::{DEFAULT_BACKOFF, prepare_check, prepare_if_applies};
pub(crate) use procedure::describe_action;
pub use service::{catalog_service, record_service_vars};
pub use update::{MAX_UPDATE_BYTES, draft_update, post_update, update_too_long};
pub use watch::{WatchDisplay, WatchEnd, WatchOptions, last_action_at, watch_checks};

use crate::context::{Context, Loaded};
use crate::error::{Error, Result};
use crate::model::{
    Body, Event, FORMAT_VERSION, FollowUp, Hypothesis, HypothesisState, Incident, ItemId, ItemKind, ItemRef, Phase,
    Priority, Severity, Status,
};
use crate::runbook::{Catalog, did_you_mean, parse_var_args};
use crate::store::{IncidentDir, TimelineRead};

/// What `open` needs; everything but the title and severity is optional.
#[derive(Debug, Default, Clone)]
pub struct OpenSpec {
    pub title: String,
    pub severity: Option<Severity>,
    pub services: Vec<String>,
    pub commander: Option<String>,
    pub runbook: Option<String>,
    pub impact_start: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub drill: bool,
    /// The runbook's variables (checked against the runbook by the caller; no secrets).
    pub vars: std::collections::BTreeMap<String, String>,
}

/// Declares an incident and makes it current.
pub fn open(ctx: &Context, spec: OpenSpec) -> Result<(IncidentDir, Event)> {
    let severity = spec.severity.ok_or_else(|| Error::usage("missing --severity (-s sev1..sev4)"))?;
    let event = ctx.new_event(
        Body::Opened {
            format: FORMAT_VERSION,
            title: spec.title.clone(),
            severity,
            services: spec.services,
            commander: spec.commander,
            runbook: spec.runbook,
            impact_start: spec.impact_start,
            detected_at: spec.detected_at,
            drill: spec.drill,
            vars: spec.vars,
        },
        None,
    );
    // The id is made from the title as recorded (masked), or a pasted secret would name the folder.
    let Body::Opened { title, .. } = &event.body else { return Err(Error::runtime("open built no opening")) };
    let dir = ctx.store.create_incident(event.ts, title, std::slice::from_ref(&event))?;
    ctx.store.set_current(&dir.id)?;
    ctx.after_recorded(&dir, std::slice::from_ref(&event));
    Ok((dir, event))
}

/// Records one event. An event about an item (a verdict, a decision or action on a hypothesis,
/// a follow-up done) names it as typed (`H3`, `~a1b2`, `H3 ~a1b2`): under the timeline's lock
/// that is resolved to the item's event id (`about`) and its number as it stands now.
pub fn record(ctx: &Context, dir: &IncidentDir, mut body: Body, phase: Option<Phase>) -> Result<Event> {
    let unresolved = crate::model::reference_mut(&mut body).is_some_and(|(_, _, about)| about.is_none());
    if !unresolved {
        let event = ctx.new_event(body, phase);
        ctx.append(dir, std::slice::from_ref(&event))?;
        return Ok(event);
    }
    let mut recorded = None;
    ctx.append_with(dir, |current| {
        let mut body = body;
        let incident = Incident::from_events(dir.id.as_str(), &current.events)
            .ok_or_else(|| Error::not_found(format!("{} has no events", dir.id)))?;
        if let Some((kind, typed, about)) = crate::model::reference_mut(&mut body) {
            let (number, event) = match kind {
                ItemKind::Hypothesis => {
                    existing_hypothesis(&incident, typed).map(|h| (h.id.clone(), h.event.clone()))?
                }
                ItemKind::FollowUp => existing_followup(&incident, typed).map(|f| (f.id.clone(), f.event.clone()))?,
            };
            *typed = number;
            *about = Some(event);
        }
        let event = ctx.new_event(body, phase);
        recorded = Some(event.clone());
        Ok(vec![event])
    })?;
    recorded.ok_or_else(|| Error::internal("internal: no event built"))
}

/// Raises a hypothesis; its number is taken under the timeline's lock.
pub fn add_hypothesis(
    ctx: &Context,
    dir: &IncidentDir,
    text: String,
    from_check: Option<String>,
) -> Result<(ItemId, Event)> {
    add_hypothesis_on(ctx, dir, text, from_check, None)
}

/// Raises a hypothesis on a stated basis: the check whose result suggested it, or the event
/// (by id) it was raised on.
pub fn add_hypothesis_on(
    ctx: &Context,
    dir: &IncidentDir,
    text: String,
    from_check: Option<String>,
    on_event: Option<String>,
) -> Result<(ItemId, Event)> {
    numbered(ctx, dir, ItemKind::Hypothesis, |id| Body::HypothesisAdded {
        hypothesis: id.to_string(),
        text,
        from_check,
        on_event,
    })
}

/// Adds a follow-up; its number is taken under the timeline's lock.
pub fn add_followup(
    ctx: &Context,
    dir: &IncidentDir,
    text: String,
    owner: String,
    due: Option<NaiveDate>,
    priority: Option<Priority>,
) -> Result<(ItemId, Event)> {
    let item = NewFollowUp { text, owner, due, priority, item_type: None, tracker: None };
    add_followup_item(ctx, dir, item)
}

/// A follow-up to add, with everything it can carry.
pub struct NewFollowUp {
    pub text: String,
    pub owner: String,
    pub due: Option<NaiveDate>,
    pub priority: Option<Priority>,
    /// `mitigate`, `prevent`, `detect` or `process`.
    pub item_type: Option<String>,
    pub tracker: Option<String>,
}

/// Adds a follow-up; its number is taken under the timeline's lock.
pub fn add_followup_item(ctx: &Context, dir: &IncidentDir, item: NewFollowUp) -> Result<(ItemId, Event)> {
    let NewFollowUp { text, owner, due, priority, item_type, tracker } = item;
    numbered(ctx, dir, ItemKind::FollowUp, |id| Body::FollowUpAdded {
        followup: id.to_string(),
        text,
        owner,
        due,
        priority,
        item_type,
        tracker,
    })
}

fn numbered(
    ctx: &Context,
    dir: &IncidentDir,
    kind: ItemKind,
    body: impl FnOnce(ItemId) -> Body,
) -> Result<(ItemId, Event)> {
    let mut recorded = None;
    ctx.append_with(dir, |current| {
        // The event's time and id come first: the number follows from where they put it.
        let mut event = ctx.new_event(body(ItemId { kind, number: 0 }), None);
        let id = next_item_id(current, kind, &event);
        if let Body::HypothesisAdded { hypothesis: number, .. } | Body::FollowUpAdded { followup: number, .. } =
            &mut event.body
        {
            *number = id.to_string();
        }
        recorded = Some((id, event.clone()));
        Ok(vec![event])
    })?;
    recorded.ok_or_else(|| Error::internal("internal: no event built"))
}

/// The number a new item of this kind takes: its place in (time, id) order, as the fold
/// numbers it, from the timeline as it stands under the lock.
pub fn next_item_id(current: &TimelineRead, kind: ItemKind, new: &Event) -> ItemId {
    let before = current
        .events
        .iter()
        .filter(|e| match kind {
            ItemKind::Hypothesis => matches!(e.body, Body::HypothesisAdded { .. }),
            ItemKind::FollowUp => matches!(e.body, Body::FollowUpAdded { .. }),
        })
        .filter(|e| (e.ts, &e.id) < (new.ts, &new.id))
        .count();
    ItemId { kind, number: u32::try_from(before + 1).unwrap_or(u32::MAX) }
}

/// `H3 ~<event id>`: a reference to an item that stays right if its number moves before it
/// is recorded (a command that runs for minutes while a sync lands).
pub fn item_reference(number: &str, event: &str) -> String {
    format!("{number} ~{event}")
}

/// The item a user named (`H3`, `3`, `~a1b2`, `H3 ~a1b2`) among an incident's items, given
/// each one's display number, handle and event id; unknown or ambiguous fails with the known ones.
fn find_item<'a, T>(
    incident: &Incident,
    kind: ItemKind,
    text: &str,
    items: &'a [T],
    key: impl Fn(&T) -> (&str, &str, &str),
) -> Result<&'a T> {
    let reference = ItemRef::parse(kind, text).map_err(|e| Error::usage(e.to_string()))?;
    let matching: Vec<&T> = items
        .iter()
        .filter(|item| {
            let (number, _, event) = key(item);
            reference.names(number, event)
        })
        .collect();
    let known = || items.iter().map(|i| format!("{} {}", key(i).0, key(i).1)).collect::<Vec<_>>().join(", ");
    let shown = text.trim();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => {
            let hint = if items.is_empty() {
                match kind {
                    ItemKind::Hypothesis => {
                        "this incident has no hypotheses yet: raise one with `incident hypothesis add TEXT`".to_string()
                    }
                    ItemKind::FollowUp => {
                        "this incident has no follow-ups yet: add one with `incident followup add TEXT --owner NAME`"
                            .to_string()
                    }
                }
            } else {
                format!("known {}: {}", plural_noun(kind), known())
            };
            Err(Error::not_found(format!("no {} {shown} in {}", kind.noun(), incident.id)).with_hint(hint))
        }
        _ => Err(Error::usage(format!("{shown} names more than one {} in {}", kind.noun(), incident.id))
            .with_hint(format!("give more of the handle; known {}: {}", plural_noun(kind), known()))),
    }
}

fn plural_noun(kind: ItemKind) -> &'static str {
    match kind {
        ItemKind::Hypothesis => "hypotheses",
        ItemKind::FollowUp => "follow-ups",
    }
}

/// The hypothesis a user named; an unknown id fails with the known ones.
pub fn existing_hypothesis<'a>(incident: &'a Incident, text: &str) -> Result<&'a Hypothesis> {
    find_item(incident, ItemKind::Hypothesis, text, &incident.hypotheses, |h| (&h.id, &h.handle, &h.event))
}

/// The follow-up a user named; an unknown id fails with the known ones.
pub fn existing_followup<'a>(incident: &'a Incident, text: &str) -> Result<&'a FollowUp> {
    find_item(incident, ItemKind::FollowUp, text, &incident.followups, |f| (&f.id, &f.handle, &f.event))
}

/// Records that a hypothesis was confirmed or refuted, and by what.
pub fn verdict(ctx: &Context, loaded: &Loaded, id: &str, verdict: HypothesisState, evidence: String) -> Result<Event> {
    let hypothesis = existing_hypothesis(&loaded.incident, id)?;
    if hypothesis.state != HypothesisState::Open {
        ctx.out.warn(&format!(
            "{} was already {}; recording the new verdict beside the old one",
            hypothesis.id,
            hypothesis.state.as_str()
        ));
    }
    let id = hypothesis.id.clone();
    let about = Some(hypothesis.event.clone());
    let body = match verdict {
        HypothesisState::Confirmed => Body::HypothesisConfirmed { hypothesis: id, evidence, about },
        HypothesisState::Refuted | HypothesisState::Open => Body::HypothesisRefuted { hypothesis: id, evidence, about },
    };
    record(ctx, &loaded.dir, body, None)
}

/// Moves the status; `None` when it already is that.
pub fn set_status(ctx: &Context, loaded: &Loaded, to: Status, note: Option<String>) -> Result<Option<Event>> {
    let from = loaded.incident.status;
    if from == to {
        return Ok(None);
    }
    record(ctx, &loaded.dir, Body::StatusChanged { from, to, note }, None).map(Some)
}

/// What the walk's Decide records as decided: which hypothesis to test first.
pub fn test_first(hypothesis: &Hypothesis) -> String {
    format!("test {} first: {}", hypothesis.id, hypothesis.text)
}

/// Records that a responder has taken the incident on: the end of "time to acknowledge".
/// `None` when it was already acknowledged explicitly, so the walk can call this on every first
/// answer and `incident ack` twice records once.
pub fn acknowledge(ctx: &Context, loaded: &Loaded, note: Option<String>) -> Result<Option<Event>> {
    if loaded.incident.clocks.acknowledged_explicitly {
        return Ok(None);
    }
    record(ctx, &loaded.dir, Body::Acknowledged { note }, None).map(Some)
}

/// Resolves the incident, warning about hypotheses left open.
pub fn resolve(ctx: &Context, loaded: &Loaded, summary: Option<String>) -> Result<Event> {
    let open: Vec<&str> = loaded.incident.open_hypotheses().map(|h| h.id.as_str()).collect();
    if !open.is_empty() {
        ctx.out.warn(&format!(
            "hypotheses still open: {} (confirm or refute them so the post-mortem tells how understanding evolved)",
            open.join(", ")
        ));
    }
    record(ctx, &loaded.dir, Body::Resolved { summary }, None)
}

/// Marks the walk's move into a phase, so that it resumes there.
pub fn enter_phase(ctx: &Context, dir: &IncidentDir, phase: Phase) -> Result<Event> {
    record(ctx, dir, Body::PhaseEntered { to: phase }, None)
}

/// `--var KEY=VALUE` settings, checked against the runbook: declared, and never secret (a secret
/// would be recorded in the timeline; it comes from its environment variable instead).
pub fn checked_vars(runbook: Option<&str>, settings: &[String]) -> Result<BTreeMap<String, String>> {
    let pairs = parse_var_args(settings)?;
    let Some(name) = runbook else {
        if pairs.is_empty() {
            return Ok(BTreeMap::new());
        }
        return Err(Error::usage("--var sets a runbook's variables: name the runbook with --runbook NAME"));
    };
    let runbook = Catalog::new(None)?.load(name)?;
    let mut vars = BTreeMap::new();
    for (key, value) in pairs {
        let Some(spec) = runbook.file.vars.get(&key) else {
            let known: Vec<&str> = runbook.file.vars.keys().map(String::as_str).collect();
            let hint = did_you_mean(&key, known.iter().copied()).map_or_else(
                || format!("runbook {name} declares: {}", known.join(", ")),
                |c| format!("did you mean --var {c}=...?"),
            );
            return Err(Error::usage(format!("--var {key}: runbook {name} has no such variable")).with_hint(hint));
        };
        if spec.value.secret {
            let env = spec.value.from_env.clone().unwrap_or_else(|| "its environment variable".into());
            return Err(Error::usage(format!("--var {key}: {key} is secret and would be recorded in the timeline"))
                .with_hint(format!("give it through {env} instead")));
        }
        crate::runbook::check_setting(&runbook, &key, &value)?;
        vars.insert(key, value);
    }
    Ok(vars)
}

/// Records values of the runbook's variables (already checked with [`checked_vars`]) for every
/// later check, action and walk step.
pub fn set_vars(ctx: &Context, dir: &IncidentDir, vars: BTreeMap<String, String>, source: &str) -> Result<Event> {
    record(ctx, dir, Body::VarsSet { vars, source: source.to_string() }, None)
}

/// A runbook's variable settings for an incident: those recorded when it was opened (the ones
/// the runbook still declares), then `settings` (`KEY=VALUE`), which win.
pub fn runbook_overrides(
    incident: Option<&Incident>,
    runbook: &crate::runbook::Runbook,
    settings: &[String],
) -> Result<Vec<crate::runbook::VarSetting>> {
    use crate::runbook::{SettingOrigin, VarSetting};
    let mut overrides: Vec<VarSetting> = incident
        .map(|i| {
            i.runbook_vars
                .iter()
                .filter(|(k, _)| runbook.file.vars.contains_key(*k))
                .map(|(k, v)| VarSetting { name: k.clone(), value: v.clone(), origin: SettingOrigin::Incident })
                .collect()
        })
        .unwrap_or_default();
    overrides.extend(crate::runbook::parse_var_args(settings)?.into_iter().map(|(k, v)| VarSetting::flag(k, v)));
    Ok(overrides)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn added(id: &str, ts: &str) -> Event {
        let ts = DateTime::parse_from_rfc3339(ts).map(|t| t.with_timezone(&Utc)).unwrap_or_default();
        Event {
            id: id.into(),
            ts,
            recorded: None,
            author: "a".into(),
            phase: None,
            body: Body::HypothesisAdded { hypothesis: "H1".into(), text: "x".into(), from_check: None, on_event: None },
        }
    }

    #[test]
    fn a_new_item_is_numbered_by_its_place_in_time_not_by_the_highest_number_written() {
        // Two clones both wrote H1; a back-dated third goes between them.
        let read = TimelineRead {
            events: vec![added("01A", "2026-11-22T14:00:00Z"), added("01C", "2026-11-22T14:10:00Z")],
            ..TimelineRead::default()
        };
        assert_eq!(next_item_id(&read, ItemKind::Hypothesis, &added("01D", "2026-11-22T14:20:00Z")).to_string(), "H3");
        assert_eq!(next_item_id(&read, ItemKind::Hypothesis, &added("01B", "2026-11-22T14:05:00Z")).to_string(), "H2");
        assert_eq!(next_item_id(&read, ItemKind::FollowUp, &added("01D", "2026-11-22T14:20:00Z")).to_string(), "F1");
    }
}
