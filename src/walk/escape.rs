//! Leaving a question of the walk for a moment: `!CMD` runs one command, recorded as `run`
//! records it; `!` alone opens `incident shell` (every command typed there recorded), and `exit`
//! comes back to the same question.

use crate::context::Context;
use crate::error::Result;
use crate::ops::{self, Echo, RunOptions};
use crate::process;
use crate::shell::{ShellOptions, open_shell};
use crate::store::IncidentDir;

/// What the walk says once, so the escape is known.
pub const HINT: &str = "At any question: !CMD runs a command (recorded), ! alone opens a recording shell.";

/// Runs what followed the `!`; problems are shown, never end the walk.
pub fn run(ctx: &Context, dir: &IncidentDir, line: &str) {
    if let Err(e) = escape(ctx, dir, line.trim()) {
        let hint = e.hint.as_deref().map(|h| format!(" ({h})")).unwrap_or_default();
        ctx.out.warn(&format!("{e}{hint}"));
    }
}

fn escape(ctx: &Context, dir: &IncidentDir, line: &str) -> Result<()> {
    if line.is_empty() {
        let loaded = ctx.load_dir(dir.clone())?;
        open_shell(ctx, &loaded, ShellOptions::default())?;
        return Ok(());
    }
    let argv = process::split_command_line(line).map_err(|e| crate::error::Error::usage(format!("!{line}: {e}")))?;
    // Prompts and a command's output share the terminal through stderr; stdout stays for data.
    let phase = ctx.load_dir(dir.clone())?.incident.phase_entered();
    let options = RunOptions { echo: Echo::Stderr, phase, ..RunOptions::default() };
    let run = ops::run_command(ctx, dir, &argv, &options)?;
    ctx.out.info(&run.event.body.describe());
    Ok(())
}
