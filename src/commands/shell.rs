//! `incident shell`, and `incident shell-record`, which its hooks call after each command.

use std::time::Duration;

use crate::cli::{ShellArgs, ShellRecordArgs};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::ops::{self, TypedCommand};

pub fn run(ctx: &Context, args: &ShellArgs) -> Result<u8> {
    let loaded = ctx.load()?;
    let end = crate::shell::open_shell(ctx, &loaded, crate::shell::ShellOptions { capture: args.capture })?;
    Ok(end.status)
}

/// Records one command the shell ran. Quiet: the responder is typing in that shell.
pub fn record(ctx: &Context, args: &ShellRecordArgs) -> Result<u8> {
    let started = epoch_seconds("--started", &args.started)?;
    let finished = epoch_seconds("--finished", &args.finished)?;
    let loaded = ctx.load()?;
    let typed = TypedCommand {
        line: args.line.trim_end().to_string(),
        exit_code: args.status,
        duration: Duration::try_from_secs_f64((finished - started).max(0.0)).unwrap_or_default(),
        cwd: args.cwd.clone(),
        phase: loaded.incident.phase_entered().or(loaded.incident.phase),
    };
    ops::record_typed_command(ctx, &loaded.dir, &typed)?;
    Ok(0)
}

/// A shell's `$EPOCHREALTIME`: seconds with a fraction, whose separator follows the locale.
fn epoch_seconds(flag: &str, text: &str) -> Result<f64> {
    text.replace(',', ".")
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite())
        .ok_or_else(|| Error::usage(format!("{flag} {text:?}: expected seconds since 1970, as $EPOCHREALTIME gives")))
}
