//! `incident hypothesis add|confirm|refute|list`: the Orient half of the loop.

use crate::cli::{HypothesisAddArgs, HypothesisCommand, VerdictArgs};
use crate::context::{Context, required_text};
use crate::error::{Error, Result};
use crate::model::{Body, Hypothesis, HypothesisState, Incident, ItemId, ItemKind};
use crate::output::{Style, table};
use crate::store::TimelineRead;
use crate::time;

pub fn run(ctx: &Context, command: &HypothesisCommand) -> Result<u8> {
    match command {
        HypothesisCommand::Add(args) => add(ctx, args),
        HypothesisCommand::Confirm(args) => verdict(ctx, args, HypothesisState::Confirmed),
        HypothesisCommand::Refute(args) => verdict(ctx, args, HypothesisState::Refuted),
        HypothesisCommand::List => list(ctx),
    }
}

fn add(ctx: &Context, args: &HypothesisAddArgs) -> Result<u8> {
    let text = required_text("the hypothesis", &args.text)?;
    let from_check = args.from_check.as_deref().map(|c| required_text("--from", c)).transpose()?;
    let loaded = ctx.load()?;
    let mut recorded = None;
    // The number is taken under the timeline's lock: two responders never both get H3.
    ctx.append_with(&loaded.dir, |current| {
        let id = next_item_id(current, ItemKind::Hypothesis);
        let event = ctx.new_event(Body::HypothesisAdded { hypothesis: id.to_string(), text, from_check }, None);
        recorded = Some((id, event.clone()));
        Ok(vec![event])
    })?;
    let (id, event) = recorded.ok_or_else(|| Error::runtime("internal: no event built"))?;
    if ctx.out.json {
        ctx.out.json_line(&event)?;
    } else {
        ctx.out.data(&id.to_string())?;
        ctx.report_recorded(&event, loaded.incident.clocks.opened)?;
    }
    Ok(0)
}

/// The next free number for an item kind, from the timeline as it stands under the lock.
pub(crate) fn next_item_id(current: &TimelineRead, kind: ItemKind) -> ItemId {
    let taken = current.events.iter().filter_map(|e| match (&e.body, kind) {
        (Body::HypothesisAdded { hypothesis, .. }, ItemKind::Hypothesis) => Some(hypothesis),
        (Body::FollowUpAdded { followup, .. }, ItemKind::FollowUp) => Some(followup),
        _ => None,
    });
    let highest = taken.filter_map(|id| ItemId::parse(kind, id).ok()).map(|id| id.number).max().unwrap_or(0);
    ItemId { kind, number: highest + 1 }
}

fn verdict(ctx: &Context, args: &VerdictArgs, verdict: HypothesisState) -> Result<u8> {
    let evidence = required_text("--evidence", &args.evidence)?;
    let loaded = ctx.load()?;
    let hypothesis = existing_hypothesis(&loaded.incident, &args.id)?;
    if hypothesis.state != HypothesisState::Open {
        ctx.out.warn(&format!(
            "{} was already {}; recording the new verdict beside the old one",
            hypothesis.id,
            hypothesis.state.as_str()
        ));
    }
    let id = hypothesis.id.clone();
    let body = match verdict {
        HypothesisState::Confirmed => Body::HypothesisConfirmed { hypothesis: id, evidence },
        _ => Body::HypothesisRefuted { hypothesis: id, evidence },
    };
    let event = ctx.new_event(body, None);
    ctx.append(&loaded.dir, std::slice::from_ref(&event))?;
    ctx.report_recorded(&event, loaded.incident.clocks.opened)?;
    if verdict == HypothesisState::Refuted && !ctx.out.json {
        ctx.out.info(
            "Back to Observe: look one step further away (the dependencies, the network, what changed upstream).",
        );
    }
    Ok(0)
}

/// The hypothesis a user named; an unknown id fails with the known ones.
pub(crate) fn existing_hypothesis<'a>(incident: &'a Incident, text: &str) -> Result<&'a Hypothesis> {
    let id = ItemId::parse(ItemKind::Hypothesis, text).map_err(Error::usage)?.to_string();
    incident.hypotheses.iter().find(|h| h.id == id).ok_or_else(|| {
        let known: Vec<&str> = incident.hypotheses.iter().map(|h| h.id.as_str()).collect();
        let hint = if known.is_empty() {
            "this incident has no hypotheses yet: raise one with `incident hypothesis add TEXT`".to_string()
        } else {
            format!("known hypotheses: {}", known.join(", "))
        };
        Error::runtime(format!("no hypothesis {id} in {}", incident.id)).with_hint(hint)
    })
}

fn list(ctx: &Context) -> Result<u8> {
    let loaded = ctx.load()?;
    let hypotheses = &loaded.incident.hypotheses;
    if ctx.out.json {
        ctx.out.json_value(hypotheses)?;
        return Ok(0);
    }
    if hypotheses.is_empty() {
        ctx.out.info("No hypotheses yet. Raise one with `incident hypothesis add TEXT`.");
        return Ok(0);
    }
    let mut t =
        table(&["ID", "State", "Raised (UTC)", "By", "Hypothesis", "Latest evidence"], ctx.out.stdout_is_terminal);
    for h in hypotheses {
        let state = h.state.as_str();
        let evidence = h.evidence.last().map(|e| e.text.as_str()).unwrap_or("");
        t.add_row(vec![h.id.as_str(), state, &time::format_table_ts(&h.raised_at), &h.raised_by, &h.text, evidence]);
    }
    ctx.out.data(&crate::output::render_table(&t))?;
    let open = loaded.incident.open_hypotheses().count();
    if open > 0 {
        ctx.out.info(&ctx.out.paint_err(
            Style::Dim,
            &format!("{open} open: verify each, then `incident hypothesis confirm|refute ID --evidence TEXT`"),
        ));
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Event;

    fn added(id: &str) -> Event {
        Event {
            id: id.into(),
            ts: chrono::Utc::now(),
            recorded: None,
            author: "a".into(),
            phase: None,
            body: Body::HypothesisAdded { hypothesis: id.into(), text: "x".into(), from_check: None },
        }
    }

    #[test]
    fn next_number_follows_the_highest_even_with_gaps() {
        let read = TimelineRead { events: vec![added("H1"), added("H3")], ..TimelineRead::default() };
        assert_eq!(next_item_id(&read, ItemKind::Hypothesis).to_string(), "H4");
        assert_eq!(next_item_id(&read, ItemKind::FollowUp).to_string(), "F1");
    }
}
