//! The walk's offer of a stakeholder update, at a step boundary when one is owed: the draft of
//! `incident update` (the same `ops`), sent as it is, edited first, or skipped until the next
//! interval (remembered for the rest of this walk, so it is not asked again on every step).

use chrono::{DateTime, Utc};

use crate::context::Context;
use crate::error::Result;
use crate::ops;
use crate::output::sanitize::terminal_safe;
use crate::store::IncidentDir;

use super::Prompter;

/// Whether an update is owed, and what the responder said the last time it was offered.
#[derive(Default)]
pub struct UpdateOffer {
    /// A skip holds until this time: the next interval after the skip.
    skipped_until: Option<DateTime<Utc>>,
}

impl UpdateOffer {
    /// Offers the update when one is owed and was not skipped lately; nothing is asked otherwise.
    /// A failure to edit or post is said and the walk goes on: the update is offered again.
    pub fn offer(&mut self, ctx: &Context, p: &Prompter, dir: &IncidentDir) -> Result<()> {
        let now = ctx.clock.now();
        if self.skipped_until.is_some_and(|until| now < until) {
            return Ok(());
        }
        let loaded = ctx.load_dir(dir.clone())?;
        let Some(owed) = ops::update_owed(&loaded.incident, now) else { return Ok(()) };
        let next = now + ops::DEFAULT_UPDATE_INTERVAL;
        let draft = ops::draft_update(&loaded.incident, &loaded.read.events, now, next);
        ctx.out.info(&format!("A stakeholder update is {}. The draft:", owed.brief()));
        for line in draft.lines() {
            ctx.out.info(&format!("  │ {line}"));
        }
        let choices = [
            "Send it as it is".to_string(),
            "Edit it first".to_string(),
            format!("Skip it until {} UTC", next.format("%H:%M")),
        ];
        let text = match p.choose(&format!("Post a stakeholder update ({})", owed.brief()), &choices, 0)? {
            0 => draft,
            1 => match ops::edit_update(&terminal_safe(&draft, false)) {
                Ok(edited) if !edited.trim().is_empty() => edited,
                Ok(_) => {
                    ctx.out.warn("update not sent: the file was left empty");
                    return Ok(());
                }
                Err(e) => {
                    ctx.out.warn(&e.to_string());
                    return Ok(());
                }
            },
            _ => {
                self.skipped_until = Some(next);
                return Ok(());
            }
        };
        match ops::post_update(ctx, dir, &text, next) {
            Ok(_) => ctx.out.info(&format!("Update posted; the next is due {} UTC.", next.format("%H:%M"))),
            Err(e) => ctx.out.warn(&e.to_string()),
        }
        Ok(())
    }
}
