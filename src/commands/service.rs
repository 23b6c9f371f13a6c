//! `incident service list | show | lint`: the service catalog (`services/*.yaml`).

use crate::cli::{ServiceDirArgs, ServiceLintArgs, ServiceShowArgs};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::{Style, render_table, table};
use crate::runbook::{Catalog, Problem};
use crate::service::{self, Service};

pub fn list(ctx: &Context, args: &ServiceDirArgs) -> Result<u8> {
    let runbooks = Catalog::new(None)?;
    let files = service::catalog_files(args.dir.as_deref())?;
    let mut rows: Vec<(String, Option<Service>, String)> = Vec::new();
    for path in &files {
        let source = service::read_source(path)?;
        let loaded = service::load(&source, &service::stem(path), &runbooks).ok();
        let name = loaded.as_ref().map_or_else(|| service::stem(path), |s| s.name.clone());
        rows.push((name, loaded, source.path));
    }
    if ctx.out.json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, loaded, path)| {
                serde_json::json!({
                    "name": name,
                    "owners": loaded.as_ref().map(|s| s.file.owners.clone()).unwrap_or_default(),
                    "runbooks": loaded.as_ref().map(Service::runbook_names).unwrap_or_default(),
                    "path": path,
                    "ok": loaded.is_some(),
                })
            })
            .collect();
        return ctx.out.json_value(&list).map(|()| 0);
    }
    if rows.is_empty() {
        ctx.out.info(
            "No service catalog here: describe each service in services/NAME.yaml (see README, \"Service catalog\").",
        );
        return Ok(0);
    }
    let mut t = table(&["NAME", "OWNERS", "RUNBOOKS", "FILE"], ctx.out.stdout_is_terminal);
    for (name, loaded, path) in rows {
        let (owners, runbooks) = match &loaded {
            Some(s) => (s.file.owners.join(", "), s.runbook_names().join(", ")),
            None => (String::new(), "does not load: run `incident service lint`".to_string()),
        };
        t.add_row([name, owners, runbooks, path]);
    }
    ctx.out.data(&render_table(&t))?;
    Ok(0)
}

pub fn show(ctx: &Context, args: &ServiceShowArgs) -> Result<u8> {
    let Some(found) = service::find(args.dirs.dir.as_deref(), &args.name)? else {
        return Err(Error::not_found(format!("no service named {:?} in the catalog", args.name))
            .with_hint("`incident service list` shows the services there are"));
    };
    let file = &found.file;
    let vars: serde_json::Map<String, serde_json::Value> =
        file.vars.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.value.to_text()))).collect();
    let logs: Vec<&str> = file.logs.iter().map(|l| l.value.as_str()).collect();
    if ctx.out.json {
        let doc = serde_json::json!({
            "name": found.name, "path": found.path, "description": file.description,
            "owners": file.owners, "runbooks": found.runbook_names(), "vars": vars,
            "prometheus": file.prometheus.as_ref().map(|p| &p.value), "logs": logs,
            "match": file.matches.iter().map(|m| serde_json::json!({
                "alertname": m.alertname,
                "matchers": m.matchers.iter().map(|t| &t.value).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        return ctx.out.json_value(&doc).map(|()| 0);
    }
    let mut text = format!("{}\n{}\n", ctx.out.paint(Style::Bold, &found.name), ctx.out.paint(Style::Dim, &found.path));
    if let Some(description) = &file.description {
        text.push_str(&format!("\n{}\n", description.trim()));
    }
    text.push('\n');
    text.push_str(&format!(
        "Owners: {}\n",
        if file.owners.is_empty() { "(none)".into() } else { file.owners.join(", ") }
    ));
    text.push_str(&format!("Runbooks: {}\n", found.runbook_names().join(", ")));
    if let Some(prometheus) = &file.prometheus {
        text.push_str(&format!("Prometheus: {}\n", prometheus.value));
    }
    if !logs.is_empty() {
        text.push_str(&format!("Logs: {}\n", logs.join(", ")));
    }
    if !file.vars.is_empty() {
        text.push_str("\nVariables\n");
        for (name, value) in &file.vars {
            text.push_str(&format!("  {name} = {}\n", value.value.to_text()));
        }
    }
    if !file.matches.is_empty() {
        text.push_str("\nAlerts (besides a `service` or `job` label naming it)\n");
        for rule in &file.matches {
            let mut parts: Vec<String> = Vec::new();
            if !rule.alertname.is_empty() {
                parts.push(format!("alertname in [{}]", rule.alertname.join(", ")));
            }
            parts.extend(rule.matchers.iter().map(|m| m.value.clone()));
            text.push_str(&format!("  {}\n", parts.join(", ")));
        }
    }
    ctx.out.data(&text)?;
    Ok(0)
}

/// Lints files and folders, or the whole catalog; prints each problem; exit 1 if any.
pub fn lint(ctx: &Context, args: &ServiceLintArgs) -> Result<u8> {
    let runbooks = Catalog::new(None)?;
    let mut files = Vec::new();
    if args.paths.is_empty() {
        files = service::catalog_files(args.dirs.dir.as_deref())?;
    }
    for path in &args.paths {
        if path.is_dir() {
            files.extend(crate::runbook::yaml_files_in(path));
        } else {
            files.push(path.clone());
        }
    }
    let mut problems: Vec<Problem> = Vec::new();
    let mut names: Vec<(String, String)> = Vec::new();
    for path in &files {
        let source = service::read_source(path)?;
        match service::load(&source, &service::stem(path), &runbooks) {
            Ok(found) => names.push((found.name, found.path)),
            Err(found) => problems.extend(found),
        }
    }
    names.sort();
    for pair in names.windows(2) {
        if pair[0].0 == pair[1].0 {
            problems.push(duplicate(&pair[1].1, &pair[0].0, &pair[0].1));
        }
    }
    if ctx.out.json {
        let list: Vec<serde_json::Value> = problems
            .iter()
            .map(|p| serde_json::json!({"path": p.path, "line": p.line, "column": p.column, "message": p.message}))
            .collect();
        ctx.out.json_value(&list)?;
    } else {
        for problem in &problems {
            ctx.out.data(&problem.to_string())?;
        }
    }
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    if problems.is_empty() {
        ctx.out.info(&format!("{} OK", plural(files.len(), "service")));
        Ok(0)
    } else {
        ctx.out.info(&format!("{} in {}", plural(problems.len(), "problem"), plural(files.len(), "service file")));
        Ok(crate::error::exit::RUNTIME)
    }
}

fn duplicate(path: &str, name: &str, first: &str) -> Problem {
    Problem {
        path: path.to_string(),
        line: 0,
        column: 0,
        message: format!("service {name:?} is already described in {first}"),
        snippet: None,
    }
}
