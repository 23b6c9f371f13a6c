//! `incident drill`: practise the loop on a simulated failure.

use std::io::IsTerminal;

use crate::cli::DrillArgs;
use crate::context::Context;
use crate::drill::{self, SCENARIOS, Scenario, Service};
use crate::error::{Error, Result};
use crate::ops::{self, OpenSpec};
use crate::output::table;
use crate::postmortem::{self, Templates};
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

    let service = Service::start(scenario.kind)?;
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
