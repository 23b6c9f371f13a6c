//! `incident timeline`: the events in time order, and `--verify` of the file itself.

use std::collections::HashSet;

use serde::Serialize;

use crate::cli::TimelineArgs;
use crate::context::Context;
use crate::error::Result;
use crate::model::{Body, Event};
use crate::output::table;
use crate::store::{IncidentDir, TimelineRead};
use crate::time;

pub fn run(ctx: &Context, args: &TimelineArgs) -> Result<u8> {
    let dir = ctx.incident_dir()?;
    let read = dir.timeline().read()?;
    if args.verify {
        return verify(ctx, &dir, &read);
    }
    if args.follow {
        return follow(ctx, &dir, args);
    }
    ctx.warn_about_damage(&dir, &read);
    let opened = read.events.iter().find(|e| matches!(e.body, Body::Opened { .. })).map(|e| e.ts);
    let kind = args.kind.as_deref().map(str::trim).filter(|k| !k.is_empty());
    let mut events: Vec<&Event> = read
        .events
        .iter()
        .filter(|e| args.phase.is_none_or(|p| e.phase == Some(p)))
        .filter(|e| kind.is_none_or(|k| kind_matches(e.body.kind(), k)))
        .collect();
    // Back-dated events (`--at`) take their place in time; ties keep the order they were written.
    events.sort_by_key(|e| e.ts);

    if ctx.out.json {
        let mut lines = String::with_capacity(events.len() * 200);
        for event in &events {
            let line = serde_json::to_string(event).map_err(|e| crate::error::Error::runtime(e.to_string()))?;
            lines.push_str(&line);
            lines.push('\n');
        }
        if !lines.is_empty() {
            ctx.out.data(&lines)?;
        }
        return Ok(0);
    }
    if events.is_empty() {
        ctx.out.info("No events match.");
        return Ok(0);
    }
    let mut t = table(&["Time (UTC)", "T+", "Phase", "Author", "What"], ctx.out.stdout_is_terminal);
    for event in events {
        let offset = opened.map(|o| time::format_offset(event.ts - o)).unwrap_or_default();
        let phase = event.phase.map(|p| p.as_str()).unwrap_or("");
        t.add_row(vec![&time::format_table_ts(&event.ts), &offset, phase, &event.author, &event.body.describe()]);
    }
    ctx.out.data(&crate::output::render_table(&t))?;
    Ok(0)
}

/// `hypothesis` matches `hypothesis.added`, `hypothesis.refuted`, ...; `note` matches only `note`.
fn kind_matches(kind: &str, wanted: &str) -> bool {
    kind == wanted || kind.strip_prefix(wanted).is_some_and(|rest| rest.starts_with('.'))
}

#[derive(Serialize)]
struct Problem {
    line: usize,
    problem: String,
    snippet: String,
}

#[derive(Serialize)]
struct Verification {
    path: String,
    ok: bool,
    events: usize,
    problems: Vec<Problem>,
    set_aside: Vec<String>,
}

/// Lists everything wrong with the file; exit 1 when anything is.
fn verify(ctx: &Context, dir: &IncidentDir, read: &TimelineRead) -> Result<u8> {
    let mut problems: Vec<Problem> = read
        .damaged
        .iter()
        .map(|d| Problem { line: d.line, problem: format!("damaged: {}", d.reason), snippet: d.snippet.clone() })
        .collect();
    if let Some(torn) = &read.torn {
        problems.push(Problem {
            line: torn.line,
            problem: format!("torn last line ({} bytes, a write cut short); the next write moves it aside", torn.bytes),
            snippet: String::new(),
        });
    }
    match read.events.first() {
        Some(Event { body: Body::Opened { .. }, .. }) => {}
        _ => problems.push(Problem {
            line: 1,
            problem: "the first event is not incident.opened".into(),
            snippet: String::new(),
        }),
    }
    let mut seen = HashSet::new();
    for event in &read.events {
        if !seen.insert(event.id.as_str()) {
            problems.push(Problem {
                line: 0,
                problem: format!("event id {} appears more than once", event.id),
                snippet: String::new(),
            });
        }
    }
    if let Some(incident) = crate::model::Incident::from_events(dir.id.as_str(), &read.events) {
        for clash in super::show::clashes(&incident).into_iter().filter(|c| c.starts_with("opened twice")) {
            problems.push(Problem { line: 0, problem: clash, snippet: String::new() });
        }
    }
    problems.sort_by_key(|p| p.line);
    let report = Verification {
        path: dir.timeline().path().display().to_string(),
        ok: problems.is_empty(),
        events: read.events.len(),
        problems,
        set_aside: read.set_aside.iter().map(|p| p.display().to_string()).collect(),
    };
    if ctx.out.json {
        ctx.out.json_value(&report)?;
    } else {
        let mut text = format!("{}: {} events, {} problems\n", report.path, report.events, report.problems.len());
        for p in &report.problems {
            let at = if p.line > 0 { format!("line {}", p.line) } else { "file".to_string() };
            text.push_str(&format!("  {at}: {}", p.problem));
            if !p.snippet.is_empty() {
                text.push_str(&format!(": {}", p.snippet));
            }
            text.push('\n');
        }
        for path in &report.set_aside {
            text.push_str(&format!("  kept aside earlier (torn bytes, not events): {path}\n"));
        }
        ctx.out.data(&text)?;
    }
    Ok(if report.ok { 0 } else { 1 })
}

/// `timeline --follow`: the events as they land, in time order, teammates' included (a sync
/// every `--sync-every` seconds when the store is a repository), and a line of presence when it
/// changes: who recorded last and when, and who is verifying which hypothesis.
fn follow(ctx: &Context, dir: &IncidentDir, args: &TimelineArgs) -> Result<u8> {
    let stop_after = args
        .follow_for
        .as_deref()
        .map(|d| time::parse_duration(d).map_err(|e| crate::error::Error::usage(format!("--for: {e}"))))
        .transpose()?;
    let started = std::time::Instant::now();
    let every = std::time::Duration::from_secs(args.sync_every.max(1));
    let shared = ctx.store.root().join(".git").exists();
    let mut last_sync: Option<std::time::Instant> = None;
    let mut last_sync_error: Option<String> = None;
    let mut shown: HashSet<String> = HashSet::new();
    let mut last_presence = String::new();
    loop {
        if shared && last_sync.is_none_or(|at| at.elapsed() >= every) {
            last_sync = Some(std::time::Instant::now());
            let (report, result) = crate::sync::sync(ctx, &crate::sync::SyncRequest::default());
            // Say a failure once, not every few seconds; say when it works again.
            match (result, &last_sync_error) {
                (Err(e), _) if report.error != last_sync_error => {
                    ctx.out.warn(&format!("sync: {e}"));
                    last_sync_error = report.error;
                }
                (Ok(()), Some(_)) => {
                    ctx.out.info("sync works again");
                    last_sync_error = None;
                }
                _ => {}
            }
        }
        let read = dir.timeline().read()?;
        let mut new: Vec<&Event> = read.events.iter().filter(|e| !shown.contains(&e.id)).collect();
        new.sort_by(|a, b| (a.ts, &a.id).cmp(&(b.ts, &b.id)));
        for event in new {
            shown.insert(event.id.clone());
            ctx.out.data(&format!(
                "{}  {:<10} {}",
                time::format_table_ts(&event.ts),
                event.author,
                event.body.describe()
            ))?;
        }
        let presence = presence(dir, &read.events);
        if presence != last_presence {
            ctx.out.info(&presence);
            last_presence = presence;
        }
        if stop_after.is_some_and(|d| started.elapsed() >= d) {
            return Ok(0);
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// `last: bo at 14:05:03 UTC; verifying: bo H3 ~a1b2`.
fn presence(dir: &IncidentDir, events: &[Event]) -> String {
    let last = events.iter().max_by_key(|e| (e.recorded.unwrap_or(e.ts), e.id.clone()));
    let mut text = match last {
        Some(e) => format!("last: {} at {} UTC", e.author, time::format_table_ts(&e.recorded.unwrap_or(e.ts))),
        None => "no events yet".to_string(),
    };
    if let Some(incident) = crate::model::Incident::from_events(dir.id.as_str(), events) {
        let claims: Vec<String> = incident
            .hypotheses
            .iter()
            .filter_map(|h| h.claimed_by.as_ref().map(|who| format!("{who} {} {}", h.id, h.handle)))
            .collect();
        if !claims.is_empty() {
            text.push_str(&format!("; verifying: {}", claims.join(", ")));
        }
    }
    text
}
