//! `incident notify status` (the outbox's queue) and `incident notify flush` (retry it now).

use serde::Serialize;

use crate::cli::NotifyCommand;
use crate::context::Context;
use crate::error::Result;
use crate::notify::{self, Delivery};
use crate::output::{render_table, table};
use crate::time;

pub fn run(ctx: &Context, command: &NotifyCommand) -> Result<u8> {
    match command {
        NotifyCommand::Status => status(ctx),
        NotifyCommand::Flush => flush(ctx),
        NotifyCommand::Send => send(ctx),
    }
}

/// A queued delivery as shown: everything but the payload (and never a URL, which the
/// outbox does not hold).
#[derive(Serialize)]
struct Queued<'a> {
    id: &'a str,
    webhook: &'a str,
    incident: &'a str,
    event: &'a str,
    kind: &'a str,
    attempts: u32,
    #[serde(with = "time::serde_ts")]
    next_try: chrono::DateTime<chrono::Utc>,
    last_error: Option<&'a str>,
    /// Claimed for a teammate's event: sent only after a sync shows no other clone claimed it.
    awaiting_sync: bool,
    /// Sent and not yet answered (the background sender is waiting).
    sending: bool,
}

impl<'a> From<&'a Delivery> for Queued<'a> {
    fn from(d: &'a Delivery) -> Self {
        Queued {
            id: &d.id,
            webhook: &d.webhook,
            incident: &d.incident,
            event: &d.event,
            kind: &d.kind,
            attempts: d.attempts,
            next_try: d.next_try,
            last_error: d.last_error.as_deref(),
            awaiting_sync: d.awaiting_sync,
            sending: d.sending_since.is_some(),
        }
    }
}

/// What the table says of a delivery beyond its last error: claimed and waiting for a sync to
/// show whether this clone posts it, or sent and waiting for the answer.
fn state_of(d: &Delivery) -> String {
    let error = d.last_error.clone().unwrap_or_default();
    if d.awaiting_sync {
        "claimed for a teammate; posted after a sync if no other clone claimed it first".to_string()
    } else if d.sending_since.is_some() {
        "sent, waiting for the answer".to_string()
    } else {
        error
    }
}

fn status(ctx: &Context) -> Result<u8> {
    let (queue, damaged) = notify::queue(&ctx.notifier())?;
    for entry in &damaged {
        ctx.out.warn(&format!("{}: unreadable outbox entry: {}", entry.path.display(), entry.reason));
    }
    for left in notify::maybe_posted(&ctx.notifier())? {
        ctx.out.warn(&format!(
            "{} of {} to {}: a teammate's clone sent it and lost the answer, then its claim lapsed; \
             it may have been posted, so no clone posts it again (check the channel)",
            left.kind, left.incident, left.webhook
        ));
    }
    if ctx.out.json {
        let rows: Vec<Queued> = queue.iter().map(Queued::from).collect();
        return ctx.out.json_value(&rows).map(|()| 0);
    }
    if queue.is_empty() {
        ctx.out.info("The outbox is empty: every notification was delivered.");
        return Ok(0);
    }
    let mut t = table(
        &["Webhook", "Incident", "Event", "Attempts", "Next try (UTC)", "State or last error"],
        ctx.out.stdout_is_terminal,
    );
    for d in &queue {
        t.add_row(vec![
            d.webhook.clone(),
            d.incident.clone(),
            d.kind.clone(),
            d.attempts.to_string(),
            time::format_table_ts(&d.next_try),
            state_of(d),
        ]);
    }
    ctx.out.data(&render_table(&t))?;
    Ok(0)
}

/// The background sender: sends what is due, then what commands queued meanwhile (their own
/// senders found the outbox busy and left it to this one), a few rounds at most.
fn send(ctx: &Context) -> Result<u8> {
    let mut total = notify::FlushReport::default();
    for round in 0..4 {
        let report = notify::flush(&ctx.notifier(), false)?;
        let sent = report.delivered.len() + report.failed.len() + report.unconfirmed.len();
        total.busy |= round == 0 && report.busy;
        total.waiting = report.waiting;
        total.delivered_elsewhere += report.delivered_elsewhere;
        total.delivered.extend(report.delivered);
        total.failed.extend(report.failed);
        total.unconfirmed.extend(report.unconfirmed);
        total.damaged = report.damaged;
        if sent == 0 || report.busy {
            break;
        }
    }
    ctx.out.json_value(&total).map(|()| 0)
}

fn flush(ctx: &Context) -> Result<u8> {
    let report = notify::flush(&ctx.notifier(), true)?;
    if ctx.out.json {
        ctx.out.json_value(&serde_json::json!({
            "delivered": report.delivered.iter().map(Queued::from).collect::<Vec<_>>(),
            "failed": report.failed.iter().map(Queued::from).collect::<Vec<_>>(),
            "waiting": report.waiting,
            "busy": report.busy,
        }))?;
    } else {
        for d in &report.delivered {
            ctx.out.info(&format!("Delivered {} of {} to {}", d.kind, d.incident, d.webhook));
        }
        if report.delivered.is_empty() && report.failed.is_empty() && !report.busy {
            ctx.out.info("Nothing to send: the outbox is empty.");
        }
    }
    notify::warn_about(&ctx.notifier(), &report);
    notify::require_all_delivered(&report).map(|()| 0)
}
