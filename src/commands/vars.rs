//! `incident vars` and `incident vars set`: the incident's runbook variables, where each value
//! came from, and new values recorded for every later check, action and walk step.

use serde::Serialize;

use crate::cli::{VarsArgs, VarsCommand};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::ops;
use crate::output::{render_table, table};
use crate::runbook::{Catalog, Vars};

#[derive(Serialize)]
struct Row {
    name: String,
    /// `None`: no value (or a secret, never shown).
    value: Option<String>,
    /// `opened`, `typed`, `alert`, `service`, `env NAME`, `default` or `missing`.
    source: String,
    secret: bool,
    description: Option<String>,
}

pub fn run(ctx: &Context, args: &VarsArgs) -> Result<u8> {
    match &args.command {
        Some(VarsCommand::Set(set)) => self::set(ctx, &set.settings),
        None => show(ctx),
    }
}

fn set(ctx: &Context, settings: &[String]) -> Result<u8> {
    let loaded = ctx.load()?;
    let Some(runbook) = loaded.incident.runbook.clone() else {
        return Err(Error::usage(format!("{} follows no runbook, so it has no variables", loaded.dir.id))
            .with_hint("`incident check RUNBOOK --var KEY=VALUE` runs a runbook's checks with values once"));
    };
    if settings.is_empty() {
        return Err(
            Error::usage("vars set takes KEY=VALUE settings").with_hint("for example: incident vars set port=8081")
        );
    }
    let vars = ops::checked_vars(Some(&runbook), settings)?;
    let said: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
    ops::set_vars(ctx, &loaded.dir, vars, "typed")?;
    ctx.out.info(&format!(
        "Set {} on {}: later checks, actions and the walk use them.",
        said.join(", "),
        loaded.dir.id
    ));
    Ok(0)
}

fn show(ctx: &Context) -> Result<u8> {
    let loaded = ctx.load()?;
    let incident = &loaded.incident;
    let Some(name) = &incident.runbook else {
        ctx.out.info(&format!("{} follows no runbook, so it has no variables.", loaded.dir.id));
        return Ok(0);
    };
    let runbook = Catalog::new(None)?.load(name)?;
    let settings = ops::runbook_overrides(Some(incident), &runbook, &[])?;
    // Resolved without the `required` check: showing what is missing is the point here.
    let resolved = Vars::resolve_lenient(&runbook, &settings, &|n| std::env::var(n).ok());
    let mut rows = Vec::new();
    for (var, spec) in &runbook.file.vars {
        let spec = &spec.value;
        let value = resolved.values.get(var).cloned().flatten();
        let env_set = spec.from_env.as_deref().is_some_and(|e| std::env::var(e).is_ok_and(|v| !v.is_empty()));
        let source = match (incident.var_sources.get(var), &spec.from_env) {
            (Some(source), _) if incident.runbook_vars.contains_key(var) => source.clone(),
            (_, Some(env)) if env_set => format!("env {env}"),
            _ if value.is_some() => "default".to_string(),
            _ => "missing".to_string(),
        };
        rows.push(Row {
            name: var.clone(),
            value: if spec.secret { None } else { value },
            source,
            secret: spec.secret,
            description: spec.description.clone(),
        });
    }
    if ctx.out.json {
        return ctx.out.json_value(&serde_json::json!({ "runbook": runbook.name, "vars": rows })).map(|()| 0);
    }
    let mut t = table(&["Variable", "Value", "From", "What it is"], ctx.out.stdout_is_terminal);
    for row in &rows {
        let value = match (&row.value, row.secret) {
            (_, true) if row.source == "missing" => "(secret, not set)".to_string(),
            (_, true) => "(secret)".to_string(),
            (Some(v), false) => v.clone(),
            (None, false) => "(no value)".to_string(),
        };
        t.add_row(vec![row.name.clone(), value, row.source.clone(), row.description.clone().unwrap_or_default()]);
    }
    ctx.out.data(&render_table(&t))?;
    ctx.out.info(&format!("Runbook {}. Change one with: incident vars set KEY=VALUE", runbook.name));
    Ok(0)
}
