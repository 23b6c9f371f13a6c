//! `incident open`: declare an incident. On a terminal it asks for what is missing and starts
//! the walk; off a terminal it never asks, and a missing title or severity is a usage error.

use std::io::IsTerminal;

use crate::cli::OpenArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::Severity;
use crate::ops::{self, OpenSpec};
use crate::walk::{self, Prompter};

pub fn run(ctx: &Context, args: &OpenArgs) -> Result<u8> {
    let interactive = !args.no_walk && std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let prompter = interactive.then(|| Prompter::new(std::env::var_os("NO_COLOR").is_none()));
    let title = args.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_string);
    let title = match (title, &prompter) {
        (Some(title), _) => title,
        (None, Some(p)) => p.required("What is wrong, as users see it? (the incident's title)")?,
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
    let mut services: Vec<String> =
        args.services.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let mut commander = args.commander.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    if let Some(p) = &prompter {
        if services.is_empty()
            && let Some(answer) = p.text("Which services are affected? (comma-separated; Enter to skip)")?
        {
            services = answer.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        }
        if commander.is_none() {
            commander = p
                .text(&format!("Who is the incident commander? (Enter for {})", ctx.author()))?
                .or_else(|| Some(ctx.author().to_string()));
        }
    }
    let impact_start = args.impact_start.as_deref().map(|t| ctx.parse_time_arg("--impact-start", t)).transpose()?;
    let detected_at = args.detected_at.as_deref().map(|t| ctx.parse_time_arg("--detected-at", t)).transpose()?;
    let spec = OpenSpec {
        title: title.clone(),
        severity: Some(severity),
        services,
        commander,
        runbook: args.runbook.clone(),
        impact_start,
        detected_at,
        drill: false,
    };
    let (dir, _) = ops::open(ctx, spec)?;

    if ctx.out.json {
        ctx.out.json_line(&serde_json::json!({ "id": dir.id.as_str() }))?;
    } else {
        ctx.out.data(dir.id.as_str())?;
    }
    ctx.out.info(&format!("Opened {} ({severity}): {title}. It is now the current incident.", dir.id));
    if interactive {
        return walk::run(ctx, dir);
    }
    Ok(0)
}

fn missing(what: &str, example: &str) -> Error {
    Error::usage(format!("missing {what}")).with_hint(format!("for example: {example}"))
}
