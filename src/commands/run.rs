//! `incident run -- CMD...`: run a command, stream its output, record what it did.

use crate::cli::RunArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::ops::{self, RunOptions};
use crate::process;
use crate::secrets::Masker;
use crate::time::parse_duration;

pub fn run(ctx: &Context, args: &RunArgs) -> Result<u8> {
    let timeout = args
        .timeout
        .as_deref()
        .map(|t| parse_duration(t).map_err(|e| Error::usage(format!("--timeout: {e}"))))
        .transpose()?;
    if timeout.is_some_and(|t| t.is_zero()) {
        return Err(Error::usage("--timeout must be longer than zero"));
    }
    for name in &args.secrets {
        if std::env::var_os(name).is_none() {
            ctx.out.warn(&format!("--secret {name}: no such environment variable, so nothing to mask for it"));
        }
    }
    if args.dry_run {
        let masker = Masker::from_env(std::env::vars(), args.secrets.iter().map(String::as_str));
        let command = process::shell_join(&masker.mask_argv(&args.argv));
        ctx.out.info(&format!("Dry run: would run `{command}`. Nothing was run or recorded."));
        return Ok(0);
    }
    let loaded = ctx.load()?;
    let hypothesis = args
        .hypothesis
        .as_deref()
        .map(|h| ops::existing_hypothesis(&loaded.incident, h).map(|h| ops::item_reference(&h.id, &h.event)))
        .transpose()?;
    let options =
        RunOptions { timeout, hypothesis, secrets: args.secrets.clone(), phase: None, echo: ops::Echo::Passthrough };
    let run = ops::run_command(ctx, &loaded.dir, &args.argv, &options)?;
    ctx.report_recorded(&run.event, loaded.incident.clocks.opened)?;
    Ok(run.status)
}
