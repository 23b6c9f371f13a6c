//! The post-mortem's newer sections, each from what a responder records: decisions with their
//! reasons, a hypothesis's stated basis, authors apart from responders, the review status,
//! trigger and root cause, links, typed action items, the data-loss block.

use crate::harness::Env;

fn section<'a>(markdown: &'a str, heading: &str) -> &'a str {
    let start = markdown.find(heading).unwrap_or_else(|| panic!("no {heading:?} in:\n{markdown}"));
    let rest = &markdown[start + heading.len()..];
    let end = rest.find("\n## ").or_else(|| rest.find("\n### ")).unwrap_or(rest.len());
    &rest[..end]
}

#[test]
fn a_decision_shows_what_was_decided_and_why() {
    let env = Env::new();
    env.open("Checkout 502s");
    env.ok(&["hypothesis", "add", "The 13:58 deploy broke payments"]);
    env.ok(&["decide", "Roll back the 13:58 deploy", "--hypothesis", "H1", "--why", "errors began at 13:58"]);
    let markdown = env.ok(&["postmortem"]);
    let decisions = section(&markdown, "### Decisions");
    assert!(
        decisions.contains("Decided: Roll back the 13:58 deploy (H1), because errors began at 13:58"),
        "{decisions}"
    );
}
