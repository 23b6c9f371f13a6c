//! `incident runbook list | show | lint | new`.

use std::path::Path;

use crate::cli::{RunbookDirArgs, RunbookLintArgs, RunbookNewArgs, RunbookShowArgs};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::{Style, render_table, table};
use crate::runbook::{Catalog, Origin, Problem, Source, Vars, load, risky_patterns, summary_counts};

/// The template `runbook new` writes: a working skeleton that passes lint.
const NEW_TEMPLATE: &str = include_str!("../../runbooks/new.yaml.tmpl");

pub fn list(ctx: &Context, args: &RunbookDirArgs) -> Result<u8> {
    let catalog = Catalog::new(args.dir.as_deref())?;
    let mut rows = Vec::new();
    for entry in catalog.entries() {
        let (title, problem) = match catalog.load(&entry.name) {
            Ok(runbook) => (runbook.file.title.value.clone(), None),
            Err(_) => (String::new(), Some("does not load: run `incident runbook lint`")),
        };
        let origin = match &entry.origin {
            Origin::Builtin => "shipped".to_string(),
            Origin::File(path) => path.display().to_string(),
        };
        rows.push((entry.name, title, origin, problem));
    }
    if ctx.out.json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(name, title, origin, problem)| {
                serde_json::json!({"name": name, "title": title, "source": origin, "ok": problem.is_none()})
            })
            .collect();
        return ctx.out.json_value(&list).map(|()| 0);
    }
    let mut t = table(&["NAME", "TITLE", "SOURCE"], ctx.out.stdout_is_terminal);
    for (name, title, origin, problem) in rows {
        t.add_row([name, problem.map_or(title, str::to_string), origin]);
    }
    ctx.out.data(&render_table(&t))?;
    Ok(0)
}

pub fn show(ctx: &Context, args: &RunbookShowArgs) -> Result<u8> {
    let catalog = Catalog::new(args.dirs.dir.as_deref())?;
    let runbook = catalog.load(&args.name)?;
    let file = &runbook.file;
    if ctx.out.json {
        let checks: Vec<serde_json::Value> = file
            .observe
            .iter()
            .map(|c| {
                let from = runbook.included_from.get(&c.id.value);
                serde_json::json!({"id": c.id.value, "title": c.title, "probe": probe_of(c), "included_from": from})
            })
            .collect();
        let doc = serde_json::json!({
            "name": runbook.name, "path": runbook.path, "title": file.title.value,
            "description": file.description, "tags": file.tags, "links": file.links,
            "vars": file.vars.iter().map(|(k, v)| (k.clone(), serde_json::json!({
                "default": v.value.default.as_ref().map(|d| d.value.to_text()),
                "from_env": v.value.from_env, "required": v.value.required, "secret": v.value.secret,
                "description": v.value.description}))).collect::<serde_json::Map<_, _>>(),
            "checks": checks,
            "hypotheses": file.orient.hypotheses.iter().map(|h| serde_json::json!({"id": h.id.value, "title": h.title,
                "when": h.when.as_ref().map(|w| &w.value)})).collect::<Vec<_>>(),
            "actions": file.act.iter().map(|a| serde_json::json!({"id": a.id.value, "title": a.title,
                "risk": a.risk.as_ref().map_or("low", |r| r.value.as_str())})).collect::<Vec<_>>(),
        });
        return ctx.out.json_value(&doc).map(|()| 0);
    }
    let mut text = String::new();
    text.push_str(&format!("{} — {}\n", ctx.out.paint(Style::Bold, &runbook.name), file.title.value));
    text.push_str(&format!("{}\n", ctx.out.paint(Style::Dim, &runbook.path)));
    if let Some(description) = &file.description {
        text.push_str(&format!("\n{}\n", description.trim()));
    }
    // Where to look beside the checks: dashboards, the service's own docs.
    for (name, url) in &file.links {
        text.push_str(&format!("{name}: {url}\n"));
    }
    let counts = summary_counts(file);
    text.push_str(&format!(
        "\n{} checks, {} hypotheses, {} actions, {} variables\n",
        counts["checks"], counts["hypotheses"], counts["actions"], counts["vars"]
    ));
    if !file.vars.is_empty() {
        text.push_str("\nVariables\n");
        for (name, spec) in &file.vars {
            let spec = &spec.value;
            let mut facts = Vec::new();
            if spec.required {
                facts.push("required".to_string());
            }
            if let Some(kind) = &spec.kind {
                facts.push(kind.value.clone());
            }
            if let Some(default) = &spec.default {
                facts.push(format!("default {:?}", default.value.to_text()));
            }
            if let Some(env) = &spec.from_env {
                facts.push(format!("from ${env}"));
            }
            if spec.secret {
                facts.push("secret".to_string());
            }
            let description = spec.description.as_deref().map(|d| format!(" — {d}")).unwrap_or_default();
            text.push_str(&format!("  {name} ({}){description}\n", facts.join(", ")));
        }
    }
    if !file.observe.is_empty() {
        text.push_str("\nObserve\n");
        for check in &file.observe {
            let title = check.title.as_deref().unwrap_or("");
            // Where it runs matters to whoever reads the runbook before trusting it.
            let mut title = match &check.host {
                Some(host) => format!("{title} [on {}]", host.value).trim_start().to_string(),
                None => title.to_string(),
            };
            // A shared check is changed in its own file, not here: say which.
            if let Some(from) = runbook.included_from.get(&check.id.value) {
                title = format!("{title} (from {from})").trim_start().to_string();
            }
            text.push_str(&format!("  {:<20} {:<10} {title}\n", check.id.value, probe_of(check)));
        }
    }
    if !file.orient.questions.is_empty() || !file.orient.hypotheses.is_empty() {
        text.push_str("\nOrient\n");
        for question in &file.orient.questions {
            text.push_str(&format!("  ? {question}\n"));
        }
        for h in &file.orient.hypotheses {
            let when = h.when.as_ref().map(|w| format!("  [when {}]", w.value)).unwrap_or_default();
            text.push_str(&format!("  {:<20} {}{when}\n", h.id.value, h.title));
        }
    }
    if !file.act.is_empty() {
        text.push_str("\nAct\n");
        // The commands as they would run now: with the current incident's values, if any.
        let incident = ctx.load().ok();
        let mut masker = crate::secrets::Masker::from_env(std::env::vars(), []);
        for a in &file.act {
            let risk = a.risk.as_ref().map_or("low", |r| r.value.as_str());
            text.push_str(&format!("  {:<20} {:<6} {}\n", a.id.value, risk, a.title));
            let for_action = runbook.for_action(a);
            let overrides = crate::ops::runbook_overrides(incident.as_ref().map(|l| &l.incident), &for_action, &[])
                .unwrap_or_default();
            let vars = Vars::resolve_lenient(&for_action, &overrides, &|name| std::env::var(name).ok());
            vars.add_secrets(&mut masker);
            for line in crate::ops::describe_action(a, &vars, &masker) {
                text.push_str(&format!("      {line}\n"));
            }
        }
    }
    ctx.out.data(&text)?;
    Ok(0)
}

fn probe_of(check: &crate::runbook::schema::CheckSpec) -> &'static str {
    check.kind().map_or("?", crate::model::ProbeKind::name)
}

/// Lints files and folders, or every runbook there is; prints each problem; exit 1 if any.
pub fn lint(ctx: &Context, args: &RunbookLintArgs) -> Result<u8> {
    let mut sources: Vec<(String, Source)> = Vec::new();
    if args.paths.is_empty() {
        let catalog = Catalog::new(args.dirs.dir.as_deref())?;
        for entry in catalog.entries() {
            sources.push(catalog.source(&entry.name)?);
        }
    } else {
        for path in &args.paths {
            if path.is_dir() {
                let files = crate::runbook::yaml_files_in(path);
                if files.is_empty() {
                    ctx.out.warn(&format!("{}: no *.yaml runbooks in this folder", path.display()));
                }
                for file in files {
                    sources.push(read(&file)?);
                }
            } else {
                sources.push(read(path)?);
            }
        }
    }
    let mut problems: Vec<Problem> = Vec::new();
    let mut warnings: Vec<Problem> = Vec::new();
    let mut bad_files = 0;
    for (name, source) in &sources {
        match load(source, name) {
            Ok(runbook) => warnings.extend(risky_patterns(source, &runbook.file).into_iter().map(|mut w| {
                w.message = format!("warning: {}", w.message);
                w
            })),
            Err(found) => {
                bad_files += 1;
                problems.extend(found);
            }
        }
    }
    if ctx.out.json {
        let entry = |p: &Problem, severity: &str| {
            let message = p.message.strip_prefix("warning: ").unwrap_or(&p.message);
            serde_json::json!({"path": p.path, "line": p.line, "column": p.column, "message": message, "severity": severity})
        };
        let list: Vec<serde_json::Value> =
            problems.iter().map(|p| entry(p, "error")).chain(warnings.iter().map(|w| entry(w, "warning"))).collect();
        ctx.out.json_value(&list)?;
    } else {
        for problem in problems.iter().chain(&warnings) {
            print_problem(ctx, problem);
        }
    }
    if !warnings.is_empty() {
        ctx.out.info(&format!(
            "{} risky pattern{} (warnings: a value could become code or an option)",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        ));
    }
    if problems.is_empty() {
        ctx.out.info(&format!("{} runbook{} OK", sources.len(), if sources.len() == 1 { "" } else { "s" }));
        Ok(0)
    } else {
        ctx.out.info(&format!(
            "{} problem{} in {bad_files} of {} runbook{}",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" },
            sources.len(),
            if sources.len() == 1 { "" } else { "s" }
        ));
        Ok(crate::error::exit::RUNTIME)
    }
}

/// Problems are data of `lint`: they go to stdout so they can be piped to an editor's quickfix.
fn print_problem(ctx: &Context, problem: &Problem) {
    let _ = ctx.out.data(&problem.to_string());
}

fn read(path: &Path) -> Result<(String, Source)> {
    let text = crate::text_file::read_whole(path).map_err(|e| Error::io("cannot read runbook", path, &e))?;
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    Ok((name, Source { path: path.display().to_string(), text }))
}

pub fn new(ctx: &Context, args: &RunbookNewArgs) -> Result<u8> {
    let name = args.name.trim();
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(Error::usage(format!("runbook name {name:?}: use letters, digits, `-` and `_`"))
            .with_hint("for example: incident runbook new checkout-5xx"));
    }
    std::fs::create_dir_all(&args.dir).map_err(|e| Error::io("cannot create", &args.dir, &e))?;
    let path = args.dir.join(format!("{name}.yaml"));
    let text = NEW_TEMPLATE.replace("NAME", name);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Error::runtime(format!("{} already exists", path.display()))
                .with_hint("choose another name, or edit that file")
        } else {
            Error::io("cannot create", &path, &e)
        }
    })?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| Error::io("cannot write", &path, &e))?;
    ctx.out.data(&path.display().to_string())?;
    ctx.out.info(&format!("Wrote {}: edit it, then `incident runbook lint {}`", path.display(), path.display()));
    Ok(0)
}
