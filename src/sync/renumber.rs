//! After a merge: hypotheses and follow-ups that two clones numbered alike get a new number.
//!
//! Two responders offline both raise a hypothesis; each clone hands out `H3`. The union has two
//! `H3`s. Lines are never rewritten, so the later one (by time, then id: the same choice on every
//! clone) is renumbered by an `event.amended` with `changes: {"hypothesis": "H4"}`, and so are the
//! events that came with it from its side of the merge (its verdicts, decisions, actions). Which
//! side an event came from is known only to the sync that merged it; a clash that arrived some
//! other way (a plain `git pull`) renumbers the raising event alone and says so in its reason.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::context::Context;
use crate::error::Result;
use crate::model::{Body, Event, IncidentId, ItemId, ItemKind, change_field, effective_item, renumberings};

/// One item given a new number.
#[derive(Debug, Clone, Serialize)]
pub struct Renumbered {
    pub incident: String,
    pub from: String,
    pub to: String,
    /// The event that raised it.
    pub event: String,
    /// Other events retargeted with it (its verdicts, decisions, actions).
    pub references: usize,
}

/// Renumbers every clash in the store. `before` holds, per incident, the event ids this clone
/// had before the merge (the sync's side), to tell which references go with which item.
pub fn renumber_duplicates(ctx: &Context, before: &HashMap<IncidentId, HashSet<String>>) -> Result<Vec<Renumbered>> {
    let mut all = Vec::new();
    for id in ctx.store.ids()? {
        let dir = ctx.store.dir(id.clone());
        // A cheap look first: most syncs find no clash and take no lock.
        if plan(ctx, &id, &dir.timeline().read()?.events, before.get(&id)).is_empty() {
            continue;
        }
        ctx.append_with(&dir, |current| {
            let mut events = Vec::new();
            for (renumbered, amendments) in plan(ctx, &id, &current.events, before.get(&id)) {
                all.push(renumbered);
                events.extend(amendments);
            }
            Ok(events)
        })?;
    }
    Ok(all)
}

fn plan(
    ctx: &Context,
    incident: &IncidentId,
    events: &[Event],
    ours: Option<&HashSet<String>>,
) -> Vec<(Renumbered, Vec<Event>)> {
    let renumbered = renumberings(events);
    let mut plans = Vec::new();
    for kind in [ItemKind::Hypothesis, ItemKind::FollowUp] {
        let is_added = |e: &Event| {
            matches!(
                (&e.body, kind),
                (Body::HypothesisAdded { .. }, ItemKind::Hypothesis) | (Body::FollowUpAdded { .. }, ItemKind::FollowUp)
            )
        };
        fn number_in<'a>(e: &'a Event, renumbered: &'a HashMap<String, String>, kind: ItemKind) -> Option<&'a str> {
            effective_item(e, renumbered).filter(|(k, _)| *k == kind).map(|(_, n)| n)
        }
        let number_of = |e: &'_ Event| number_in(e, &renumbered, kind).map(str::to_string);
        let mut added: Vec<&Event> = events.iter().filter(|e| is_added(e)).collect();
        added.sort_by(|a, b| (a.ts, &a.id).cmp(&(b.ts, &b.id)));
        let mut next = added
            .iter()
            .filter_map(|e| number_of(e).and_then(|n| ItemId::parse(kind, &n).ok()))
            .map(|i| i.number)
            .max()
            .unwrap_or(0)
            + 1;
        let mut holders: HashMap<String, &Event> = HashMap::new();
        for event in added {
            let Some(number) = number_of(event) else { continue };
            let Some(first) = holders.get(&number).copied() else {
                holders.insert(number, event);
                continue;
            };
            let to = ItemId { kind, number: next }.to_string();
            next += 1;
            // The events from this one's side of the merge that use the number meant this one.
            let side = |e: &Event| ours.map(|ours| ours.contains(&e.id));
            let sides_known = side(event).is_some() && side(event) != side(first);
            let mut targets = vec![event.id.clone()];
            if sides_known {
                targets.extend(
                    events
                        .iter()
                        .filter(|e| {
                            !is_added(e) && number_of(e).as_deref() == Some(number.as_str()) && side(e) == side(event)
                        })
                        .map(|e| e.id.clone()),
                );
            }
            let mut reason = format!(
                "{number} was taken on two machines at once (by {} and {}); this one is {to} from now on",
                first.author, event.author
            );
            if !sides_known {
                reason.push_str(&format!(
                    "; events that name {number} still go to the first {number}: check them and record again under {to}"
                ));
            }
            let amendments = targets
                .iter()
                .map(|target| {
                    let mut changes = Map::new();
                    changes.insert(change_field(kind).to_string(), Value::String(to.clone()));
                    ctx.new_event(Body::Amended { target: target.clone(), changes, reason: Some(reason.clone()) }, None)
                })
                .collect();
            plans.push((
                Renumbered {
                    incident: incident.to_string(),
                    from: number.clone(),
                    to,
                    event: event.id.clone(),
                    references: targets.len() - 1,
                },
                amendments,
            ));
        }
    }
    plans
}
