//! `incident open`: declare an incident. On a terminal it asks for what is missing and starts
//! the walk; off a terminal it never asks, and a missing title or severity is a usage error.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::Path;

use crate::alert::Notification;
use crate::ops::AlertOverrides;

use crate::cli::OpenArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::Severity;

use crate::ops::{self, OpenSpec};
use crate::runbook::Catalog;
use crate::walk::{self, Prompter};

pub fn run(ctx: &Context, args: &OpenArgs) -> Result<u8> {
    if let Some(source) = &args.from_alert {
        return from_alert(ctx, args, source);
    }
    let interactive = !args.no_walk && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let prompter = interactive.then(|| Prompter::new(ctx.out.colors_stderr()));
    let title = args.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    let title = match (title, &prompter) {
        (Some(title), _) => title,
        (None, Some(p)) => p.required("What is wrong, as users see it? (the incident's title)", None)?,
        (None, None) => return Err(missing("the incident's TITLE", "incident open \"Checkout returns 502s\" -s sev2")),
    };
    let severity = match (args.severity, &prompter) {
        (Some(severity), _) => severity,
        (None, Some(p)) => {
            let items: Vec<String> = [
                "sev1: critical, customers broadly affected",
                "sev2: major, a key feature down or degraded",
                "sev3: minor, limited impact",
                "sev4: low, no customer impact yet",
            ]
            .map(String::from)
            .to_vec();
            Severity::ALL[p.choose("How bad is it?", &items, 1)?]
        }
        (None, None) => return Err(missing("--severity (-s sev1..sev4)", &format!("incident open {title:?} -s sev2"))),
    };
    let services: Vec<String> = args.services.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let commander = args.commander.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    // A service of the catalog picks its runbook (unless one is named) and fills its variables.
    let service = ops::catalog_service(&services)?;
    let runbook = args.runbook.clone().or_else(|| service.as_ref().and_then(|s| s.runbook_names().into_iter().next()));
    let vars = ops::checked_vars(runbook.as_deref(), &args.vars)?;
    let impact_start = args.impact_start.as_deref().map(|t| ctx.parse_time_arg("--impact-start", t)).transpose()?;
    let detected_at = args.detected_at.as_deref().map(|t| ctx.parse_time_arg("--detected-at", t)).transpose()?;
    // Declared as soon as the title and severity are known: an interrupt at a later question
    // loses nothing typed. Later answers are recorded as they are given.
    let spec = OpenSpec {
        title: title.clone(),
        severity: Some(severity),
        services: services.clone(),
        commander: commander.clone(),
        runbook: runbook.clone(),
        impact_start,
        detected_at,
        drill: false,
        vars: vars.clone(),
    };
    let (dir, opened) = ops::open(ctx, spec)?;
    // The title as recorded: a secret typed into it is masked there, and so here.
    let title = match &opened.body {
        crate::model::Body::Opened { title, .. } => title.clone(),
        _ => title,
    };

    if ctx.out.json {
        ctx.out.json_line(&serde_json::json!({ "id": dir.id.as_str() }))?;
    } else {
        ctx.out.data(dir.id.as_str())?;
    }
    ctx.out.info(&format!("Opened {} ({severity}): {title}. It is now the current incident.", dir.id));
    if let (Some(service), Some(name)) = (&service, &runbook) {
        let filled = ops::record_service_vars(ctx, &dir, service, name, &vars)?;
        let said = if filled.is_empty() {
            String::new()
        } else {
            format!(" and its values of {}", filled.keys().cloned().collect::<Vec<_>>().join(", "))
        };
        ctx.out.info(&format!("Service {} (catalog): runbook {name}{said}.", service.name));
    }
    if let Some(p) = &prompter {
        ask_the_rest(ctx, p, &dir, args, services, commander, runbook)?;
    }
    if interactive {
        return walk::run(ctx, dir);
    }
    Ok(0)
}

/// On a terminal, after the incident is declared: the services, the commander, the runbook and
/// its variables, each recorded as soon as it is answered.
fn ask_the_rest(
    ctx: &Context,
    p: &Prompter,
    dir: &crate::store::IncidentDir,
    args: &OpenArgs,
    mut services: Vec<String>,
    commander: Option<String>,
    runbook: Option<String>,
) -> Result<()> {
    use crate::model::Body;
    if services.is_empty()
        && let Some(answer) = p.text("Which services are affected? (comma-separated; Enter to skip)")?
    {
        services = answer.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        ops::record(ctx, dir, Body::IncidentChanged { services: Some(services.clone()), runbook: None }, None)?;
    }
    if commander.is_none() {
        let name = p
            .text(&format!("Who is the incident commander? (Enter for {})", ctx.author()))?
            .unwrap_or_else(|| ctx.author().to_string());
        ops::record(ctx, dir, Body::RoleAssigned { role: "commander".into(), name }, None)?;
    }
    let service = ops::catalog_service(&services)?;
    let runbook = match runbook {
        Some(name) => Some(name),
        None => {
            let offered = service.as_ref().map(crate::service::Service::runbook_names).unwrap_or_default();
            let chosen = choose_runbook(p, &services, &offered)?;
            if let Some(name) = &chosen {
                ops::record(ctx, dir, Body::IncidentChanged { services: None, runbook: Some(name.clone()) }, None)?;
                if let Some(service) = &service {
                    ops::record_service_vars(ctx, dir, service, name, &BTreeMap::new())?;
                }
            }
            chosen
        }
    };
    if let Some(name) = &runbook {
        let mut typed = ops::checked_vars(Some(name), &args.vars)?;
        let given: Vec<String> = typed.keys().cloned().collect();
        let runbook = Catalog::new(None)?.load(name)?;
        let from_service = service.as_ref().map(|s| s.vars_for(&runbook)).unwrap_or_default();
        walk::ask_vars(ctx, p, &runbook, &mut typed, &from_service, |_| true)?;
        // Kept as given: a flag's value, or the catalog's value accepted with Enter.
        typed.retain(|k, v| !given.contains(k) && from_service.get(k) != Some(v));
        if !typed.is_empty() {
            ops::set_vars(ctx, dir, typed, "typed")?;
        }
    }
    Ok(())
}

/// Offers the runbooks, those the catalog gives the service (in its order) and those naming an
/// affected service first; `None` for "no runbook".
fn choose_runbook(p: &Prompter, services: &[String], offered: &[String]) -> Result<Option<String>> {
    let catalog = Catalog::new(None)?;
    let mut choices: Vec<(bool, String, String)> = Vec::new();
    for entry in catalog.entries() {
        let Ok(runbook) = catalog.load(&entry.name) else { continue };
        let matched =
            offered.contains(&entry.name) || runbook.file.service.as_ref().is_some_and(|s| services.contains(s));
        choices.push((matched, entry.name.clone(), runbook.file.title.value.clone()));
    }
    let rank = |name: &String| offered.iter().position(|o| o == name).unwrap_or(offered.len());
    choices.sort_by_key(|(matched, name, _)| (!matched, rank(name), name.clone()));
    // The likeliest answers first: runbooks for this service, then none, then the others.
    let matched = choices.iter().take_while(|(m, _, _)| *m).count();
    let mut items: Vec<String> = Vec::new();
    let mut names: Vec<Option<String>> = Vec::new();
    for (i, (is_match, name, title)) in choices.iter().enumerate() {
        if i == matched {
            items.push("none: no runbook".to_string());
            names.push(None);
        }
        items.push(format!("{name}: {title}{}", if *is_match { " (this service)" } else { "" }));
        names.push(Some(name.clone()));
    }
    if matched == choices.len() {
        items.push("none: no runbook".to_string());
        names.push(None);
    }
    let picked = p.choose("Which runbook fits? Its checks run in Observe", &items, 0)?;
    Ok(names.get(picked).cloned().flatten())
}

/// `open --from-alert`: the alert's facts, with the flags given winning.
fn from_alert(ctx: &Context, args: &OpenArgs, source: &Path) -> Result<u8> {
    let bytes = read_alert(source)?;
    let name = if source == Path::new("-") { "stdin".to_string() } else { source.display().to_string() };
    let notification = Notification::parse(&bytes).map_err(|e| Error::usage(format!("--from-alert {name}: {e}")))?;
    let time = |flag: &str, value: &Option<String>| value.as_deref().map(|t| ctx.parse_time_arg(flag, t)).transpose();
    let overrides = AlertOverrides {
        title: args.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string),
        severity: args.severity,
        services: args.services.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        commander: args.commander.clone(),
        runbook: args.runbook.clone(),
        vars: ops::checked_vars(args.runbook.as_deref(), &args.vars)?,
        impact_start: time("--impact-start", &args.impact_start)?,
        detected_at: time("--detected-at", &args.detected_at)?,
    };
    let handled = ops::handle_alert(ctx, &notification, &overrides)?;
    let dir = handled.outcome.incident();
    if ctx.out.json {
        let id = dir.map(|d| d.id.as_str());
        let outcome = handled.outcome.as_str();
        ctx.out.json_line(&serde_json::json!({ "id": id, "outcome": outcome, "checks": handled.checks }))?;
    } else if let Some(dir) = dir {
        ctx.out.data(dir.id.as_str())?;
    }
    ctx.out.info(&handled.outcome.describe(notification.alert_name().unwrap_or("alert")));
    if !handled.checks.is_empty() {
        let worst = crate::probe::worst(&handled.checks);
        ctx.out.info(&format!("Ran {} checks of the runbook: worst {worst}.", handled.checks.len()));
    }
    Ok(0)
}

fn read_alert(source: &Path) -> Result<Vec<u8>> {
    let limit = crate::alert::MAX_PAYLOAD as u64 + 1;
    let mut bytes = Vec::new();
    let read = if source == Path::new("-") {
        std::io::stdin().lock().take(limit).read_to_end(&mut bytes)
    } else {
        crate::text_file::open_regular(source).and_then(|f| f.take(limit).read_to_end(&mut bytes))
    };
    read.map_err(|e| Error::io("cannot read", source, &e))?;
    Ok(bytes)
}

fn missing(what: &str, example: &str) -> Error {
    Error::usage(format!("missing {what}")).with_hint(format!("for example: {example}"))
}
