//! `incident check --watch`: the checks run again until they hold, shown as a live table on a
//! terminal (one row per check with its recent states) or, off one, as one line per change.

use std::time::Duration;

use crate::context::{Context, Loaded};
use crate::error::{Error, Result};
use crate::expr::show_duration;
use crate::ops::{self, WatchEnd, WatchOptions};
use crate::output::Style;
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
    let options = WatchOptions { interval, until_ok, run: args.run, give_up_after, logs_since, known: &[] };
    ctx.out.info(&ctx.out.paint_err(
        Style::Dim,
        &format!(
            "Watching {} every {}, until all pass for {} (Ctrl-C stops).",
            runbook.name,
            show_duration(interval),
            show_duration(until_ok)
        ),
    ));
    let mut display = ops::WatchDisplay::new(ctx, &options, "Ctrl-C stops");
    // Ctrl-C ends the program here (the cursor is shown again in `signals`): never asked to stop.
    let result = ops::watch_checks(
        ctx,
        incident,
        runbook,
        vars,
        args.only,
        options,
        &mut |round| display.show(ctx, round),
        &|| false,
    );
    display.end(ctx)?;
    match result? {
        WatchEnd::Held => {
            ctx.out.info(&format!("Every check has passed for {}: holding.", show_duration(until_ok)));
            Ok(0)
        }
        WatchEnd::GaveUp(worst) | WatchEnd::Stopped(worst) => {
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
