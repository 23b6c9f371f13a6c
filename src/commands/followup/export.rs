//! `incident followup export --to github|gitlab|jira-csv|json`: follow-ups out to the trackers
//! where the work gets done (the trackers themselves are in `crate::tracker`).

use std::time::Duration;

use serde_json::json;

use crate::cli::{ExportTo, FollowupExportArgs};
use crate::context::{Context, Loaded};
use crate::error::{Error, Result};
use crate::model::{Body, FollowUp};
use crate::ops;
use crate::process::{on_path, shell_join};
use crate::secrets::{Masker, mask_json_strings};
use crate::time::parse_duration;
use crate::tracker::{self, CreateError, Issue, Tracker, jira};

pub fn run(ctx: &Context, args: &FollowupExportArgs) -> Result<u8> {
    let tracker = match args.to {
        ExportTo::Github => Some(Tracker::GitHub),
        ExportTo::Gitlab => Some(Tracker::GitLab),
        ExportTo::JiraCsv | ExportTo::Json => None,
    };
    check_flags(args, tracker)?;
    let loaded = ctx.load()?;
    let chosen = chosen(&loaded, args)?;
    // Recorded text was masked when it was recorded; secrets in the environment now are too.
    let masker = Masker::from_env(std::env::vars(), []);
    match (tracker, args.to) {
        (Some(tracker), _) => to_tracker(ctx, &loaded, &chosen, tracker, args, &masker),
        (None, ExportTo::JiraCsv) => to_jira_csv(ctx, &loaded, &chosen, args, &masker),
        (None, _) => to_json(ctx, &loaded, &chosen, &masker),
    }
}

/// Flags that only one kind of export takes, and values a tracker's CLI would misread.
fn check_flags(args: &FollowupExportArgs, tracker: Option<Tracker>) -> Result<()> {
    let to = match args.to {
        ExportTo::Github => "github",
        ExportTo::Gitlab => "gitlab",
        ExportTo::JiraCsv => "jira-csv",
        ExportTo::Json => "json",
    };
    if tracker.is_none() {
        for (given, flag) in [(args.repo.is_some(), "--repo"), (args.assign, "--assign")] {
            if given {
                return Err(Error::usage(format!("{flag} is for --to github or gitlab, not --to {to}")));
            }
        }
    }
    if args.output.is_some() && args.to != ExportTo::JiraCsv {
        return Err(Error::usage(format!("-o/--output is for --to jira-csv; --to {to} writes to stdout or a tracker")));
    }
    if let Some(repo) = &args.repo {
        checked_repo(repo)?;
    }
    for label in &args.labels {
        // Both CLIs split a label value at commas.
        if label.trim().is_empty() || label.contains(',') || label.chars().any(char::is_control) {
            return Err(Error::usage(format!("--label: {label:?} is not a label"))
                .with_hint("one label per --label, without commas: --label incident --label sev2"));
        }
    }
    Ok(())
}

/// `OWNER/NAME` (GitLab: `GROUP/SUBGROUP/NAME`; GitHub also `HOST/OWNER/NAME`).
fn checked_repo(repo: &str) -> Result<&str> {
    let segments: Vec<&str> = repo.split('/').collect();
    let word_ok = |s: &&str| {
        !s.is_empty() && !s.starts_with(['-', '.']) && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    };
    if segments.len() < 2 || !segments.iter().all(word_ok) {
        return Err(Error::usage(format!("--repo: {repo:?} is not a repository"))
            .with_hint("name it OWNER/NAME, e.g. --repo acme/shop (GitLab: GROUP/SUBGROUP/NAME)"));
    }
    Ok(repo)
}

/// The follow-ups named, in the order named; else every one not done (`--all`: every one).
fn chosen<'a>(loaded: &'a Loaded, args: &FollowupExportArgs) -> Result<Vec<&'a FollowUp>> {
    let incident = &loaded.incident;
    if args.ids.is_empty() {
        return Ok(incident.followups.iter().filter(|f| args.all || !f.done).collect());
    }
    let mut chosen: Vec<&FollowUp> = Vec::new();
    for id in &args.ids {
        let f = ops::existing_followup(incident, id)?;
        if !chosen.iter().any(|c| c.event == f.event) {
            chosen.push(f);
        }
    }
    Ok(chosen)
}

/// "id: title", as issues and rows name the incident.
fn incident_name(loaded: &Loaded) -> String {
    format!("{}: {}", loaded.incident.id, loaded.incident.title)
}

/// What became of one follow-up.
enum Exported {
    Created(String),
    AlreadyLinked(String),
    WouldRun(Vec<String>),
    Failed(Error),
}

fn to_tracker(
    ctx: &Context,
    loaded: &Loaded,
    chosen: &[&FollowUp],
    tracker: Tracker,
    args: &FollowupExportArgs,
    masker: &Masker,
) -> Result<u8> {
    let timeout = parse_duration(&args.timeout)
        .ok()
        .filter(|t| !t.is_zero())
        .ok_or_else(|| Error::usage(format!("--timeout: {:?} is not a duration longer than zero", args.timeout)))?;
    if chosen.is_empty() {
        ctx.out.info("No follow-ups to export.");
        return Ok(0);
    }
    let missing = || {
        Error::runtime(format!("{} is not on PATH: cannot export follow-ups to {}", tracker.program(), tracker.name()))
            .with_hint(tracker.install_hint())
    };
    let needs_creating = chosen.iter().any(|f| linked_on(f, tracker).is_none());
    if needs_creating && !on_path(tracker.program()) {
        if !args.dry_run {
            return Err(missing());
        }
        ctx.out.warn(&missing().to_string());
    }
    let incident = incident_name(loaded);
    let mut failed: Vec<String> = Vec::new();
    let (mut created, mut skipped) = (0, 0);
    for f in chosen {
        let outcome = export_one(ctx, loaded, f, tracker, args, &incident, timeout, masker);
        let outcome = match outcome {
            Ok(outcome) => outcome,
            // Nothing more can be created without the tool: stop, naming what was done.
            Err(CreateError::Missing) => return Err(missing()),
            Err(e) => Exported::Failed(failure(tracker, f, e, timeout)),
        };
        match &outcome {
            Exported::Created(_) => created += 1,
            Exported::AlreadyLinked(_) => skipped += 1,
            Exported::WouldRun(_) => {}
            Exported::Failed(_) => failed.push(format!("{} {}", f.id, f.handle)),
        }
        report(ctx, f, tracker, &outcome)?;
    }
    if args.dry_run {
        ctx.out.info(&format!("Dry run: nothing was created or recorded ({skipped} already linked)."));
    } else {
        ctx.out.info(&format!(
            "{created} {} issue(s) created and linked; {skipped} follow-up(s) already linked, skipped.",
            tracker.name()
        ));
    }
    if failed.is_empty() {
        return Ok(0);
    }
    Err(Error::runtime(format!(
        "{} of {} follow-ups were not exported to {}: {}",
        failed.len(),
        chosen.len(),
        tracker.name(),
        failed.join(", ")
    ))
    .with_hint("the others are linked and will be skipped: fix the cause and run the same command again"))
}

/// The issue `f` is already linked to on `tracker`, if any.
fn linked_on(f: &FollowUp, tracker: Tracker) -> Option<&str> {
    f.links.iter().rev().find(|url| tracker.holds(url)).map(String::as_str)
}

#[allow(clippy::too_many_arguments)]
fn export_one(
    ctx: &Context,
    loaded: &Loaded,
    f: &FollowUp,
    tracker: Tracker,
    args: &FollowupExportArgs,
    incident: &str,
    timeout: Duration,
    masker: &Masker,
) -> std::result::Result<Exported, CreateError> {
    if let Some(url) = linked_on(f, tracker) {
        return Ok(Exported::AlreadyLinked(url.to_string()));
    }
    let mut issue = Issue::from_followup(f, incident, masker);
    issue.labels = args.labels.clone();
    if args.assign {
        match login(&f.owner) {
            Some(login) => issue.assignee = Some(login.to_string()),
            None => {
                return Ok(Exported::Failed(
                    Error::runtime(format!(
                        "{} {}: its owner {:?} is not a {} login, so --assign cannot give it the issue",
                        f.id,
                        f.handle,
                        f.owner,
                        tracker.name()
                    ))
                    .with_hint("export it without --assign, or assign it on the tracker"),
                ));
            }
        }
    }
    let argv = tracker.create_argv(&issue, args.repo.as_deref());
    if args.dry_run {
        return Ok(Exported::WouldRun(argv));
    }
    let url = tracker::create(&argv, timeout, masker)?;
    let body = Body::FollowUpLinked { followup: f.id.clone(), url: url.clone(), about: Some(f.event.clone()) };
    match ops::record(ctx, &loaded.dir, body, None) {
        Ok(_) => Ok(Exported::Created(url)),
        Err(e) => Ok(Exported::Failed(
            Error::runtime(format!(
                "{} {}: the issue {url} was created, but recording its link failed: {e}",
                f.id, f.handle
            ))
            .with_hint(format!("record it by hand: incident followup add ... --tracker {url}, or it is created twice")),
        )),
    }
}

/// `owner` as a tracker login (`ana`, `@ana`): letters, digits, `-`, `_`, `.`.
fn login(owner: &str) -> Option<&str> {
    let login = owner.trim().trim_start_matches('@');
    let ok = !login.is_empty()
        && !login.starts_with('-')
        && login.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    ok.then_some(login)
}

/// The error for a follow-up the tool did not create, in the tool's own words.
fn failure(tracker: Tracker, f: &FollowUp, error: CreateError, timeout: Duration) -> Error {
    let command = format!("`{} issue create`", tracker.program());
    let what = format!("{} {} was not exported", f.id, f.handle);
    match error {
        CreateError::Failed { status, words } => {
            let words = if words.is_empty() { "(it said nothing)".to_string() } else { words };
            Error::runtime(format!("{what}: {command} exited with {status}: {words}"))
        }
        CreateError::TimedOut(_) => {
            Error::runtime(format!("{what}: {command} did not finish within {}; it was ended", humantime(timeout)))
                .with_hint(format!(
                    "check the network and `{} auth status`; --timeout 2m waits longer",
                    tracker.program()
                ))
        }
        CreateError::NoUrl { said } => Error::runtime(format!(
            "{what}: {command} succeeded but printed no issue URL (it said: {said:?}), so no link was recorded"
        ))
        .with_hint("look on the tracker before exporting it again: the issue may exist"),
        CreateError::Spawn(message) => Error::runtime(format!("{what}: cannot run {}: {message}", tracker.program())),
        CreateError::Missing => Error::runtime(format!("{what}: {} is not on PATH", tracker.program())),
    }
}

fn humantime(d: Duration) -> String {
    crate::time::format_duration(chrono::Duration::from_std(d).unwrap_or_default())
}

/// One line per follow-up on stdout (a JSON line with `--json`); a failure on stderr too.
fn report(ctx: &Context, f: &FollowUp, tracker: Tracker, outcome: &Exported) -> Result<()> {
    let (result, url, argv, error) = match outcome {
        Exported::Created(url) => ("created", Some(url.as_str()), None, None),
        Exported::AlreadyLinked(url) => ("already-linked", Some(url.as_str()), None, None),
        Exported::WouldRun(argv) => ("dry-run", None, Some(argv), None),
        Exported::Failed(e) => ("failed", None, None, Some(e)),
    };
    if let Some(e) = error {
        ctx.out.error(e);
    }
    if ctx.out.json {
        return ctx.out.json_line(&json!({
            "followup": f.id,
            "handle": f.handle,
            "tracker": tracker.name().to_ascii_lowercase(),
            "result": result,
            "url": url,
            "argv": argv,
            "error": error.map(ToString::to_string),
        }));
    }
    let line = match outcome {
        Exported::Created(url) => format!("{} {} created {url}", f.id, f.handle),
        Exported::AlreadyLinked(url) => format!("{} {} already linked {url} (skipped)", f.id, f.handle),
        Exported::WouldRun(argv) => format!("{} {} would run: {}", f.id, f.handle, shell_join(argv)),
        Exported::Failed(_) => format!("{} {} failed", f.id, f.handle),
    };
    ctx.out.data(&line)
}

fn to_jira_csv(
    ctx: &Context,
    loaded: &Loaded,
    chosen: &[&FollowUp],
    args: &FollowupExportArgs,
    masker: &Masker,
) -> Result<u8> {
    let incident = incident_name(loaded);
    let rows: Vec<jira::Row> =
        chosen.iter().map(|f| jira::Row::new(f, &loaded.incident.id, &incident, &args.labels, masker)).collect();
    let text = jira::csv(&rows).map_err(|e| Error::runtime(format!("cannot write the CSV: {e}")))?;
    match &args.output {
        Some(path) if !args.dry_run => {
            crate::store::write_named_output(path, text.as_bytes())?;
            ctx.out.info(&format!(
                "Wrote {} follow-up(s) to {} for Jira's CSV import (give the importer the date format yyyy-MM-dd).",
                rows.len(),
                path.display()
            ));
        }
        Some(path) => {
            ctx.out.info(&format!("Dry run: would write this to {}:", path.display()));
            ctx.out.data(&text)?;
        }
        None => ctx.out.data(&text)?,
    }
    Ok(0)
}

fn to_json(ctx: &Context, loaded: &Loaded, chosen: &[&FollowUp], masker: &Masker) -> Result<u8> {
    let mut value = json!({
        "incident": { "id": loaded.incident.id, "title": loaded.incident.title },
        "followups": chosen,
    });
    mask_json_strings(&mut value, masker);
    ctx.out.json_value(&value)?;
    Ok(0)
}
