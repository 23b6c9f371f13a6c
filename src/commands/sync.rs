//! `incident sync` (the store shared through git) and `incident merge-timeline` (git's merge
//! driver for timelines).

use crate::cli::{MergeTimelineArgs, SyncArgs};
use crate::context::Context;
use crate::error::Result;
use crate::store::merge_timeline_files;
use crate::sync::{SyncReport, SyncRequest, plural, sync};

pub fn run(ctx: &Context, args: &SyncArgs) -> Result<u8> {
    let init_remote = args
        .init
        .as_deref()
        .map(|r| crate::context::required_text("--init", r).map(|r| absolute_remote(&r)))
        .transpose()?;
    let (report, result) = sync(ctx, &SyncRequest { init_remote });
    if ctx.out.json {
        ctx.out.json_value(&report)?;
    } else {
        tell(ctx, &report);
    }
    result.map(|()| 0)
}

/// A remote typed as a local path means from here, where it was typed; git would read it from
/// the store. URLs (`https://...`) and scp-like addresses (`git@host:path`) pass as they are.
fn absolute_remote(remote: &str) -> String {
    let path = std::path::Path::new(remote);
    let scp_like = remote.find(':').is_some_and(|colon| !remote[..colon].contains('/'));
    if remote.contains("://") || scp_like || path.is_absolute() {
        return remote.to_string();
    }
    match std::env::current_dir() {
        Ok(cwd) => cwd.join(path).to_string_lossy().into_owned(),
        Err(_) => remote.to_string(),
    }
}

/// What happened, in the order it happened, for the person at the terminal.
fn tell(ctx: &Context, report: &SyncReport) {
    let remote = report.remote.as_deref().unwrap_or("the remote");
    if report.initialized {
        ctx.out.info(&format!("The store {} is now a git repository (remote {remote}).", report.store.display()));
    }
    if report.committed_events > 0 {
        ctx.out.info(&format!("Committed {}.", plural(report.committed_events, "new event")));
    }
    let pulled: usize = report.pulled_events.values().sum();
    if pulled > 0 {
        let by: Vec<String> = report.pulled_events.iter().map(|(id, n)| format!("{id} ({n})")).collect();
        ctx.out.info(&format!("Pulled {} from {remote}: {}.", plural(pulled, "event"), by.join(", ")));
    }
    for d in &report.future_dated {
        ctx.out.warn(&format!(
            "{}: events by {} are dated up to {} ahead of this clock: check their clock (a fast one outvotes later changes)",
            d.incident,
            d.author,
            crate::time::format_duration(chrono::TimeDelta::seconds(d.ahead_secs))
        ));
    }
    for id in &report.clashes {
        let Ok(dir) = ctx.store.find(id) else { continue };
        let Ok(read) = dir.timeline().read() else { continue };
        if let Some(incident) = crate::model::Incident::from_events(id, &read.events) {
            for clash in super::show::clashes(&incident) {
                ctx.out.warn(&format!("{id}: {clash}"));
            }
        }
    }
    if report.pushed {
        ctx.out.info(&format!("In sync with {remote} (branch {}).", report.branch));
    } else if report.committed_events > 0 || !report.commits.is_empty() {
        ctx.out.info("Not pushed: the commits above are kept in the store and go with the next sync.");
    }
}

pub fn merge_timeline(ctx: &Context, args: &MergeTimelineArgs) -> Result<u8> {
    let report = merge_timeline_files(&args.base, &args.ours, &args.theirs)?;
    let name = args.path.clone().unwrap_or_else(|| args.ours.display().to_string());
    for (line, reason) in &report.kept_unparsed {
        ctx.out.warn(&format!("{name}:{line}: a line that does not parse was kept as it was ({reason})"));
    }
    for id in &report.diverging_ids {
        ctx.out.warn(&format!("{name}: event {id} differs between the two sides; both versions were kept"));
    }
    ctx.out.detail(&format!("{name}: merged {} events, {} new from the other side", report.events, report.from_theirs));
    Ok(0)
}
