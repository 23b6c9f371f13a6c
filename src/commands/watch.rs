//! `incident check --watch`: the checks run again until they hold, shown as a live table on a
//! terminal (one row per check with its recent states) or, off one, as one line per change.

use std::time::Duration;

use crate::context::{Context, Loaded};
use crate::error::{Error, Result};
use crate::expr::show_duration;
use crate::model::{CheckRecord, CheckStatus};
use crate::ops::{self, WatchEnd, WatchOptions, WatchRound, WatchedCheck};
use crate::output::{Style, render_table, table};
use crate::probe::RunOptions;
use crate::runbook::{Runbook, Vars};
use crate::time::parse_duration;

/// What `check --watch` was asked, validated.
pub struct WatchArgs<'a> {
    pub interval: &'a str,
    pub until_ok: &'a str,
    pub give_up_after: Option<&'a str>,
    pub since_action: bool,
    pub only: &'a [String],
    pub run: RunOptions,
}

pub fn watch(ctx: &Context, incident: Option<&Loaded>, runbook: &Runbook, vars: &Vars, args: &WatchArgs) -> Result<u8> {
    let interval = positive("--watch", args.interval)?;
    let until_ok = parse_duration(args.until_ok).map_err(|e| Error::usage(format!("--until-ok: {e}")))?;
    let give_up_after = args.give_up_after.map(|d| positive("--give-up-after", d)).transpose()?;
    let logs_since = if args.since_action {
        let loaded = incident.ok_or_else(|| {
            Error::usage("--since-action: no incident to take the last action from")
                .with_hint("name one with -i ID, or drop --since-action")
        })?;
        let at = ops::last_action_at(&loaded.read.events);
        if at.is_none() {
            ctx.out.warn("--since-action: the incident has no action yet, so log checks keep their own windows");
        }
        at
    } else {
        None
    };
    let options = WatchOptions { interval, until_ok, run: args.run, give_up_after, logs_since };
    let live = ctx.out.stdout_is_terminal && !ctx.out.json;
    ctx.out.info(&ctx.out.paint_err(
        Style::Dim,
        &format!(
            "Watching {} every {}, until all pass for {} (Ctrl-C stops).",
            runbook.name,
            show_duration(interval),
            show_duration(until_ok)
        ),
    ));
    let mut drawn = 0;
    let result = ops::watch_checks(ctx, incident, runbook, vars, args.only, options, &mut |round| {
        if live {
            let frame = live_frame(ctx, round, until_ok, interval);
            ctx.out.redraw(drawn, &frame)?;
            drawn = frame.lines().count();
            Ok(())
        } else {
            change_lines(ctx, round)
        }
    });
    if live {
        ctx.out.end_live()?;
    }
    match result? {
        WatchEnd::Held => {
            ctx.out.info(&format!("Every check has passed for {}: holding.", show_duration(until_ok)));
            Ok(0)
        }
        WatchEnd::GaveUp(worst) => {
            ctx.out.info(&format!("Gave up watching: not all checks passed for {}.", show_duration(until_ok)));
            Ok(worst.exit_code())
        }
    }
}

fn positive(flag: &str, text: &str) -> Result<Duration> {
    let d = parse_duration(text).map_err(|e| Error::usage(format!("{flag}: {e}")))?;
    if d.is_zero() {
        return Err(Error::usage(format!("{flag} must be longer than zero")));
    }
    Ok(d)
}

/// How much of an observation a live row shows (the record keeps it whole).
const OBSERVED_CHARS: usize = 60;

/// The table as it stands after a round, and a line saying how far along the hold is.
fn live_frame(ctx: &Context, round: &WatchRound, until_ok: Duration, interval: Duration) -> String {
    // Rows never wrap: a wrapped row would throw off the count of lines to redraw.
    let mut t = table(&["STATE", "CHECK", "OBSERVED", "HISTORY"], false);
    for w in round.checks {
        t.add_row([
            w.latest.status.as_str().to_ascii_uppercase(),
            w.latest.check.clone(),
            observed(&w.latest).chars().take(OBSERVED_CHARS).collect(),
            history(w),
        ]);
    }
    let progress = match round.all_ok_for {
        Some(held) => format!("All ok for {} of {}", show_duration(held), show_duration(until_ok)),
        None => "Not all ok yet".to_string(),
    };
    format!(
        "{}\n{}",
        render_table(&t).trim_end(),
        ctx.out.paint(
            Style::Dim,
            &format!("Run {}; {progress}; next run in {}; Ctrl-C stops.", round.number, show_duration(interval))
        )
    )
}

/// One mark per recent run, oldest first: `✓` ok, `!` warning, `✗` critical, `?` unknown.
fn history(w: &WatchedCheck) -> String {
    w.history
        .iter()
        .map(|s| match s {
            CheckStatus::Ok => '✓',
            CheckStatus::Warning => '!',
            CheckStatus::Critical => '✗',
            CheckStatus::Unknown => '?',
        })
        .collect()
}

fn observed(r: &CheckRecord) -> String {
    if r.summary.is_empty() { r.reason.clone() } else { format!("{} [{}]", r.summary, r.reason) }
}

/// Off a terminal: one line per change of state, stamped with the time it was seen.
fn change_lines(ctx: &Context, round: &WatchRound) -> Result<()> {
    for change in round.changes {
        if ctx.out.json {
            ctx.out.json_line(change)?;
        } else {
            ctx.out.data(&format!(
                "{} {} {} {}",
                ctx.clock.now().format("%H:%M:%S"),
                ctx.out.status_mark(change.status, false),
                change.check,
                observed(change)
            ))?;
        }
    }
    Ok(())
}
