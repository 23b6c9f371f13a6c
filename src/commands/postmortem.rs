//! `incident postmortem`: the blameless post-mortem, drafted from the timeline.

use crate::cli::{LinkArgs, PostmortemArgs};
use crate::commands::lint::{people, report_findings};
use crate::context::{Context, required_text};
use crate::error::{Error, Result};
use crate::model::Body;
use crate::postmortem::{self, Templates, lint};

pub fn run(ctx: &Context, args: &PostmortemArgs) -> Result<u8> {
    record_review(ctx, args)?;
    let loaded = ctx.load()?;
    let templates = Templates::load(&args.template).map_err(|e| Error::runtime(e.message))?;
    let document = postmortem::build(&loaded.incident, &loaded.read.events, ctx.clock.now());
    let markdown = templates.render(&document).map_err(|e| Error::runtime(e.message))?;
    let findings = once_per_line_text(lint::lint_markdown(&markdown, &people(&loaded.incident)), &markdown);

    if ctx.out.json {
        ctx.out.json_value(&serde_json::json!({ "markdown": markdown, "findings": findings }))?;
    } else if let Some(path) = &args.output {
        crate::store::write_named_output(path, markdown.as_bytes())?;
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

/// Records the post-mortem's own facts given as flags, before the document is drawn from them.
fn record_review(ctx: &Context, args: &PostmortemArgs) -> Result<()> {
    let text = |flag: &str, value: &Option<String>| value.as_deref().map(|v| required_text(flag, v)).transpose();
    let trigger = text("--trigger", &args.trigger)?;
    let root_cause = text("--root-cause", &args.root_cause)?;
    let authors = args.authors.iter().map(|a| required_text("--author", a)).collect::<Result<Vec<_>>>()?;
    if args.status.is_none() && authors.is_empty() && trigger.is_none() && root_cause.is_none() {
        return Ok(());
    }
    let (dir, opened) = ctx.load_for_recording()?;
    let body = Body::PostmortemRecorded { review_status: args.status.clone(), authors, trigger, root_cause };
    let event = crate::ops::record(ctx, &dir, body, None)?;
    if !ctx.out.json {
        ctx.report_recorded(&event, Some(opened))?;
    }
    Ok(())
}

/// A URL a responder gives (`link`, `followup add --tracker`): http or https, one word.
pub fn checked_url(what: &str, url: &str) -> Result<String> {
    let url = required_text(what, url)?;
    let scheme_ok =
        ["http://", "https://"].iter().any(|s| url.len() > s.len() && url.to_ascii_lowercase().starts_with(s));
    if !scheme_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::usage(format!("{what}: {url:?} is not an http or https URL"))
            .with_hint("for example: https://dashboards.example/checkout"));
    }
    Ok(url)
}

/// `incident link URL [--title TEXT]`
pub fn link(ctx: &Context, args: &LinkArgs) -> Result<u8> {
    let url = checked_url("URL", &args.url)?;
    let title = args.title.as_deref().map(|t| required_text("--title", t)).transpose()?;
    let (dir, opened) = ctx.load_for_recording()?;
    let event = crate::ops::record(ctx, &dir, Body::LinkAdded { url, title }, None)?;
    ctx.report_recorded(&event, Some(opened))?;
    Ok(0)
}
