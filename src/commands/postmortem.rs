//! `incident postmortem`: the blameless post-mortem, drafted from the timeline.

use crate::cli::PostmortemArgs;
use crate::commands::lint::{people, report_findings};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::postmortem::{self, Templates, lint};

pub fn run(ctx: &Context, args: &PostmortemArgs) -> Result<u8> {
    let loaded = ctx.load()?;
    let templates = Templates::load(&args.template).map_err(|e| Error::runtime(e.message))?;
    let document = postmortem::build(&loaded.incident, &loaded.read.events, ctx.clock.now());
    let markdown = templates.render(&document).map_err(|e| Error::runtime(e.message))?;
    let findings = once_per_line_text(lint::lint_markdown(&markdown, &people(&loaded.incident)), &markdown);

    if ctx.out.json {
        ctx.out.json_value(&serde_json::json!({ "markdown": markdown, "findings": findings }))?;
    } else if let Some(path) = &args.output {
        crate::store::write_atomically(path, markdown.as_bytes())?;
        ctx.out.info(&format!("Wrote the post-mortem of {} to {}", loaded.incident.id, path.display()));
    } else {
        ctx.out.data(&markdown)?;
    }
    let place = args.output.as_ref().map_or_else(|| "<stdout>".to_string(), |p| p.display().to_string());
    if !ctx.out.json {
        report_findings(ctx, &findings, |f| format!("{place}:{}:{}", f.line, f.column));
    }
    Ok(if args.strict && !findings.is_empty() { 1 } else { 0 })
}

/// The appendix's full timeline repeats the key moments' rows word for word: a finding on a line
/// that repeats an earlier one is the same finding, reported once (at its first place).
fn once_per_line_text(findings: Vec<lint::Finding>, markdown: &str) -> Vec<lint::Finding> {
    let lines: Vec<&str> = markdown.lines().collect();
    let mut seen = std::collections::BTreeSet::new();
    findings
        .into_iter()
        .filter(|f| {
            let text = lines.get(f.line.saturating_sub(1)).copied().unwrap_or_default();
            seen.insert((text, f.column, f.rule.as_str(), f.phrase.clone()))
        })
        .collect()
}
