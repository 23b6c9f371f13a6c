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

// Every hypothesis used to be linked to whatever observation came last before it.
#[test]
fn a_hypothesis_is_linked_to_the_basis_stated_for_it_and_to_nothing_else() {
    let env = Env::new();
    env.open("Checkout 502s");
    env.ok(&["observe", "errors began at 13:58"]);
    let observed = env.events().last().and_then(|e| e["id"].as_str().map(String::from)).expect("an id");
    env.ok(&["observe", "the pool is at 100%"]);
    env.ok(&["probe", "cmd", "--", "true"]);
    env.ok(&["hypothesis", "add", "The 13:58 deploy broke payments", "--on", &observed[..12].to_lowercase()]);
    env.ok(&["hypothesis", "add", "The probe host is fine", "--on", "cmd"]);
    env.ok(&["hypothesis", "add", "Nobody said why"]);

    let markdown = env.ok(&["postmortem"]);
    let row = |what: &str| markdown.lines().find(|l| l.contains(what)).unwrap_or_else(|| panic!("no {what:?}"));
    assert!(row("H1 raised").ends_with("| Observed: errors began at 13:58 (T+00:00:00) |"), "{}", row("H1 raised"));
    assert!(row("H2 raised").ends_with("| check cmd |"), "{}", row("H2 raised"));
    assert!(row("H3 raised").ends_with("|  |"), "{}", row("H3 raised"));
    assert!(markdown.contains("by ana, on: Observed: errors began at 13:58 (T+00:00:00)."), "{markdown}");
    assert!(!markdown.contains("on: Observed: the pool is at 100%"), "{markdown}");

    let error = env.fails(&["hypothesis", "add", "x", "--on", "nothing-like-it"]);
    assert!(
        error.contains("--on nothing-like-it: no check or event by that name")
            && error.contains("checks recorded: cmd"),
        "{error}"
    );
}
