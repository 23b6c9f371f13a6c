//! `incident drill`: practise the loop on a simulated failure.

use std::io::IsTerminal;

use crate::cli::DrillArgs;
use crate::context::Context;
use crate::drill::{self, SCENARIOS, Scenario, Service};
use crate::error::{Error, Result};
use crate::ops::{self, OpenSpec};
use crate::output::table;
use crate::postmortem::{self, Templates};
use crate::store::IncidentDir;
use crate::walk::{self, Prompter};

pub fn run(ctx: &Context, args: &DrillArgs) -> Result<u8> {
    if args.list {
        let mut t = table(&["Scenario", "What happens"], ctx.out.stdout_is_terminal);
        for s in SCENARIOS {
            t.add_row(vec![s.name, s.summary]);
        }
        ctx.out.data(&crate::output::render_table(&t))?;
        return Ok(0);
    }
    if args.abandon {
        return abandon(ctx);
    }
    let names = SCENARIOS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ");
    let on_terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let scenario: &Scenario = match &args.scenario {
        Some(name) => drill::find(name).ok_or_else(|| {
            Error::usage(format!("no drill scenario {name:?}")).with_hint(format!("scenarios: {names}"))
        })?,
        None if on_terminal && !args.auto => {
            let items: Vec<String> = SCENARIOS.iter().map(|s| format!("{}: {}", s.name, s.summary)).collect();
            &SCENARIOS[Prompter::new(ctx.out.colors_stderr()).choose("Which drill?", &items, 0)?]
        }
        None => {
            return Err(Error::usage("name a drill scenario")
                .with_hint(format!("scenarios: {names}; for example `incident drill bad-deploy --auto`")));
        }
    };
    if !args.auto {
        walk::require_terminal("a drill without --auto")?;
    }

    if args.auto {
        // The scripted responder's minutes are simulated; the drill starts that long ago so it
        // ends about now.
        ctx.clock.advance(-drill::AUTO_LENGTH);
    }
    let service = Service::start(scenario.kind, ctx.clock.now())?;
    // Let a few customer requests fail first, so there is something to see.
    std::thread::sleep(std::time::Duration::from_millis(600));
    let spec = OpenSpec {
        title: scenario.title.to_string(),
        severity: Some(scenario.severity),
        services: vec![scenario.service.to_string()],
        commander: Some(ctx.author().to_string()),
        drill: true,
        runbook: Some(scenario.runbook.to_string()),
        vars: drill::runbook_vars(&service),
        ..OpenSpec::default()
    };
    let (dir, _) = ops::open(ctx, spec)?;
    let briefing = drill::briefing(scenario, &service);
    ctx.out.info(&briefing);
    ctx.out.info(&format!("Practice incident {} is now current.", dir.id));

    if !args.auto {
        return walk::run(ctx, dir);
    }
    drill::play(ctx, &dir, scenario, &service)?;
    let loaded = ctx.load_dir(dir)?;
    let templates = Templates::load("default").map_err(|e| Error::runtime(e.message))?;
    let document = postmortem::build(&loaded.incident, &loaded.read.events, ctx.clock.now());
    let markdown = templates.render(&document).map_err(|e| Error::runtime(e.message))?;
    ctx.out.data(&markdown)?;
    ctx.out.info(&format!("Drill over: {} is resolved; the post-mortem above is its draft.", loaded.incident.id));
    Ok(0)
}

/// `incident walk` on a practice incident: an interrupted drill resumes with its simulated
/// service brought back on its folder (on a new port, recorded as the runbook's variables);
/// when that folder is gone, the drill cannot go on and ends, closed as abandoned. Either way
/// the responder is told which. Any other incident is walked as it is.
pub fn walk(ctx: &Context, dir: IncidentDir) -> Result<u8> {
    let loaded = ctx.load_dir(dir.clone())?;
    let incident = &loaded.incident;
    let scenario = incident.runbook.as_deref().and_then(drill::for_runbook);
    let (Some(scenario), true, false) = (scenario, incident.drill, incident.status == crate::model::Status::Resolved)
    else {
        return walk::run(ctx, dir);
    };
    walk::require_terminal("the walk")?;
    let folder = incident.runbook_vars.get("drill_dir").map(std::path::PathBuf::from);
    let service = match &folder {
        Some(folder) => Service::resume(scenario.kind, folder)?,
        None => None,
    };
    let Some(service) = service else {
        let summary = "Drill abandoned: its simulated service and folder were gone when it was resumed".to_string();
        ops::resolve(ctx, &loaded, Some(summary))?;
        ctx.out.info(&format!(
            "Drill ended: {} could not be resumed (its folder is gone), so it is closed as abandoned.",
            incident.id
        ));
        return Ok(0);
    };
    ops::set_vars(ctx, &dir, drill::runbook_vars(&service), "drill")?;
    ctx.out.info(&format!(
        "Drill resumed: its simulated service is back at {}, as it was left (folder {}).",
        service.url("/"),
        service.dir.display()
    ));
    walk::run(ctx, dir)
}

/// `incident drill --abandon`: the current practice incident closed as abandoned, its folder
/// removed.
fn abandon(ctx: &Context) -> Result<u8> {
    let loaded = ctx.load_dir(ctx.incident_dir()?)?;
    let incident = &loaded.incident;
    if !incident.drill {
        return Err(Error::usage(format!("{} is not a drill: only practice incidents are abandoned", incident.id))
            .with_hint("resolve a real incident with `incident resolve`"));
    }
    if incident.status != crate::model::Status::Resolved {
        ops::resolve(ctx, &loaded, Some("Drill abandoned".to_string()))?;
    }
    let removed = incident.runbook_vars.get("drill_dir").is_some_and(|d| drill::remove_dir(std::path::Path::new(d)));
    let folder = if removed { ", its folder removed" } else { "" };
    ctx.out.info(&format!("Drill ended: {} closed as abandoned{folder}.", incident.id));
    Ok(0)
}
