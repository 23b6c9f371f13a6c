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

#[test]
fn review_status_authors_trigger_root_cause_and_links_are_recorded_and_shown() {
    let env = Env::new();
    env.open("Checkout 502s");
    env.cmd().env("INCIDENT_AUTHOR", "bo").args(["observe", "5xx at 40%"]).assert().success();
    env.ok(&["link", "https://dash.example/checkout?from=13:50|x", "--title", "Checkout dashboard"]);
    let draft = env.ok(&["postmortem"]);
    assert!(draft.contains("| Status | Draft (incident investigating) |"), "{draft}");
    assert!(draft.contains("| Authors | _not named yet"), "{draft}");

    env.ok(&[
        "postmortem",
        "--status",
        "in-review",
        "--author",
        "cy",
        "--trigger",
        "the 13:58 deploy",
        "--root-cause",
        "payment client 4.0 fails on every card",
    ]);
    // Recorded: the next draft keeps them without the flags.
    let markdown = env.ok(&["postmortem"]);
    for line in [
        "| Status | In review (incident investigating) |",
        "| Authors | cy |",
        "| Responders | ana, bo |",
        "- Trigger: the 13:58 deploy",
        "- Root cause: payment client 4.0 fails on every card",
        // The pipe could break a table; inside the autolink it is percent-encoded.
        "- Checkout dashboard: <https://dash.example/checkout?from=13:50%7Cx> (added 2026-11-22 14:05:00)",
    ] {
        assert!(markdown.lines().any(|l| l == line), "missing {line:?} in:\n{markdown}");
    }
    assert_eq!(env.events().iter().filter(|e| e["kind"] == "postmortem.recorded").count(), 1);

    let error = env.fails(&["link", "javascript:alert(1)"]);
    assert!(error.contains("is not an http or https URL"), "{error}");
    let error = env.fails(&["postmortem", "--status", "approved"]);
    assert!(error.contains("draft, in-review, final"), "{error}");
}

#[test]
fn action_items_carry_their_type_and_tracker() {
    let env = Env::new();
    env.open("Checkout 502s");
    env.ok(&[
        "followup",
        "add",
        "Canary deploys for checkout",
        "--owner",
        "bo",
        "--due",
        "2026-12-01",
        "--type",
        "prevent",
        "--tracker",
        "https://tracker.example/CHK-12",
    ]);
    let markdown = env.ok(&["postmortem"]);
    let row = markdown.lines().find(|l| l.starts_with("| F1 |")).unwrap_or_default();
    assert_eq!(
        row,
        "| F1 | Canary deploys for checkout | prevent | bo |  | 2026-12-01 | open | <https://tracker.example/CHK-12> |"
    );
    let error = env.fails(&["followup", "add", "x", "--owner", "bo", "--type", "blame"]);
    assert!(error.contains("mitigate, prevent, detect, process"), "{error}");
}

// Plain-text views showed `\[` and `&gt;`: Markdown escapes belong to Markdown only.
#[test]
fn a_plain_text_template_shows_text_as_written() {
    let env = Env::new();
    env.open("Checkout 502s");
    env.ok(&["observe", "p99 > 2s [eu-west] on *all* pods"]);
    let plain = env.write("brief.txt.j2", "{% for r in timeline %}{{ r.what }}\n{% endfor %}");
    let text = env.ok(&["postmortem", "--template", plain.to_str().unwrap_or_default()]);
    assert!(text.contains("Observed: p99 > 2s [eu-west] on *all* pods\n"), "{text}");
    let markdown = env.write("brief.md.j2", "{% for r in timeline %}{{ r.what }}\n{% endfor %}");
    let escaped = env.ok(&["postmortem", "--template", markdown.to_str().unwrap_or_default()]);
    assert!(escaped.contains("p99 &gt; 2s \\[eu-west\\]"), "{escaped}");
}

#[test]
fn the_data_loss_block_holds_the_recovery_point_and_time_to_their_targets() {
    let env = Env::new();
    env.ok(&["--at", "12:00", "open", "Primary database deleted", "-s", "sev1", "--impact-start", "12:00"]);
    let out = env.ok(&[
        "impact",
        "--data-loss",
        "writes since the last snapshot",
        "--recovery-point",
        "06:00",
        "--rpo",
        "1h",
        "--rto",
        "4h",
    ]);
    assert!(out.is_empty(), "data goes to stderr: {out}");
    env.ok(&["--at", "14:00", "status", "mitigated"]);
    let markdown = env.ok(&["postmortem"]);
    insta::assert_snapshot!("data_loss_block", section(&markdown, "### Data loss and recovery"));

    let error = env.fails(&["impact", "--rpo", "soon"]);
    assert!(error.contains("--rpo:"), "{error}");
}
