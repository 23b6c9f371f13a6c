//! `incident lint`: blameless-language lint of the incident's own text or of a Markdown file.

use serde::Serialize;

use crate::cli::LintArgs;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::{Body, Incident};
use crate::output::Style;
use crate::postmortem::lint::{Finding, Rule, lint_markdown};
use crate::time;

#[derive(Serialize)]
struct Located<'a> {
    /// `file:line:column`, or the event's time, kind and author.
    location: String,
    #[serde(flatten)]
    finding: &'a Finding,
}

pub fn run(ctx: &Context, args: &LintArgs) -> Result<u8> {
    let located: Vec<(String, Finding)> = match &args.file {
        Some(path) => {
            let text = crate::text_file::read_whole(path).map_err(|e| Error::io("cannot read", path, &e))?;
            lint_markdown(&text, &args.names)
                .into_iter()
                .map(|f| (format!("{}:{}:{}", path.display(), f.line, f.column), f))
                .collect()
        }
        None => {
            let loaded = ctx.load()?;
            let mut names = people(&loaded.incident);
            names.extend(args.names.iter().cloned());
            let mut found = Vec::new();
            for event in &loaded.read.events {
                let (text, owner) = match &event.body {
                    Body::FollowUpAdded { text, owner, .. } => (text.as_str(), Some(owner)),
                    body => match own_text(body) {
                        Some(text) => (text, None),
                        None => continue,
                    },
                };
                let text: std::borrow::Cow<str> = match &event.body {
                    // The reason is the responder's own words too.
                    Body::Decision { why: Some(why), .. } => format!("{text}\n{why}").into(),
                    _ => text.into(),
                };
                // A follow-up is an action item: lint it as one, with the owner it was given.
                let input = match owner {
                    Some(owner) if !owner.trim().is_empty() => format!("## Action items\n- {text} (owner: {owner})"),
                    Some(_) => format!("## Action items\n- {text}"),
                    None => text.to_string(),
                };
                let location =
                    format!("{} {} by {}", time::format_table_ts(&event.ts), event.body.kind(), event.author);
                for f in lint_markdown(&input, &names) {
                    found.push((location.clone(), f));
                }
                if let Body::FollowUpAdded { due: None, .. } = &event.body {
                    found.push((
                        location,
                        Finding {
                            line: 1,
                            column: 1,
                            rule: Rule::VagueAction,
                            phrase: "no due date".into(),
                            suggestion: "give every action item a due date (`--due YYYY-MM-DD`)".into(),
                        },
                    ));
                }
            }
            found
        }
    };
    if ctx.out.json {
        let items: Vec<Located> =
            located.iter().map(|(location, finding)| Located { location: location.clone(), finding }).collect();
        ctx.out.json_value(&items)?;
    } else if located.is_empty() {
        ctx.out.info("No blameful language found.");
    } else {
        let mut text = String::new();
        for (location, f) in &located {
            text.push_str(&format!("{location}: {}: \"{}\": {}\n", f.rule.as_str(), f.phrase, f.suggestion));
        }
        ctx.out.data(&text)?;
    }
    Ok(if located.is_empty() { 0 } else { 1 })
}

/// The text a responder wrote in an event, if it has any.
fn own_text(body: &Body) -> Option<&str> {
    match body {
        Body::Observation { text } | Body::Note { text } | Body::Decision { text, .. } | Body::Action { text, .. } => {
            Some(text)
        }
        Body::HypothesisAdded { text, .. } => Some(text),
        Body::HypothesisConfirmed { evidence, .. } | Body::HypothesisRefuted { evidence, .. } => Some(evidence),
        Body::Opened { title, .. } => Some(title),
        Body::Resolved { summary } => summary.as_deref(),
        Body::StatusChanged { note, .. } | Body::SeverityChanged { note, .. } => note.as_deref(),
        Body::ImpactRecorded { summary, .. } => summary.as_deref(),
        _ => None,
    }
}

/// The people of an incident: responders and role holders, for the person-as-cause rule.
pub(crate) fn people(incident: &Incident) -> Vec<String> {
    let mut names: Vec<String> = incident.responders.clone();
    names.extend(incident.roles.values().map(|r| r.name.clone()));
    names.sort();
    names.dedup();
    names
}

/// Findings for the person at the terminal, on stderr (the document itself is the data).
pub(crate) fn report_findings(ctx: &Context, findings: &[Finding], locate: impl Fn(&Finding) -> String) {
    if findings.is_empty() {
        return;
    }
    ctx.out.info(&ctx.out.paint_err(Style::Bold, &format!("Blameless lint: {} finding(s)", findings.len())));
    for f in findings {
        ctx.out.info(&format!("  {}: {}: \"{}\": {}", locate(f), f.rule.as_str(), f.phrase, f.suggestion));
    }
}
