//! `incident open`: declare an incident.

use std::io::IsTerminal;

use crate::cli::OpenArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::ops::{self, OpenSpec};

pub fn run(ctx: &Context, args: &OpenArgs) -> Result<u8> {
    let title = args.title.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let Some(title) = title else {
        return Err(missing("the incident's TITLE", "incident open \"Checkout returns 502s\" -s sev2"));
    };
    let Some(severity) = args.severity else {
        return Err(missing("--severity (-s sev1..sev4)", &format!("incident open {title:?} -s sev2")));
    };
    let services: Vec<String> = args.services.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let impact_start = args.impact_start.as_deref().map(|t| ctx.parse_time_arg("--impact-start", t)).transpose()?;
    let detected_at = args.detected_at.as_deref().map(|t| ctx.parse_time_arg("--detected-at", t)).transpose()?;
    let commander = args.commander.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);

    let spec = OpenSpec {
        title: title.to_string(),
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
    if std::io::stdin().is_terminal() && !args.no_walk {
        ctx.out.info("Next: observe before you act. `incident observe TEXT` records what you see; `incident hypothesis add TEXT` what you suspect.");
    }
    Ok(0)
}

fn missing(what: &str, example: &str) -> Error {
    Error::usage(format!("missing {what}")).with_hint(format!("for example: {example}"))
}
