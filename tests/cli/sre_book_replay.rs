//! The Google SRE book's example post-mortem ("Shakespeare Sonnet++", incident #465, Appendix D
//! of *Site Reliability Engineering*, O'Reilly 2016: https://sre.google/sre-book/example-postmortem/)
//! replayed through the CLI at the book's own times, by the book's responders, and held to the
//! book's clocks. The book's text is CC BY-NC-ND: its times and people are kept, its sentences
//! are paraphrased.

use serde_json::Value;

use crate::harness::{Env, text};

fn section<'a>(markdown: &'a str, from: &str, to: &str) -> &'a str {
    let start = markdown.find(from).unwrap_or_else(|| panic!("no {from:?} in:\n{markdown}"));
    let end = markdown[start..].find(to).map_or(markdown.len(), |n| start + n);
    &markdown[start..end]
}

/// One command as it was run: the wall-clock time (on 2015-10-21 unless a date is given, UTC),
/// who ran it, its arguments.
const REPLAY: &[(&str, &str, &[&str])] = &[
    // 15:01 the incident is declared; the outage began at 14:54, the pager storm came at 14:55.
    (
        "15:01",
        "docbrown",
        &[
            "open",
            "Shakespeare search down: cascading failure",
            "-s",
            "sev1",
            "--service",
            "shakespeare",
            "--commander",
            "jennifer",
            "--impact-start",
            "14:54",
            "--detected-at",
            "14:55",
        ],
    ),
    // Written at declaration: docbrown started investigating at 14:58.
    ("15:01", "docbrown", &["--at", "14:58", "ack", "--note", "investigating: backend crash rate very high"]),
    ("15:01", "docbrown", &["--at", "14:57", "observe", "all traffic to Shakespeare search is failing"]),
    ("15:03", "jennifer", &["note", "notified the shakespeare-incidents@ list"]),
    ("15:06", "docbrown", &["observe", "crash symptoms identical across all tasks in all clusters"]),
    (
        "15:07",
        "docbrown",
        &["hypothesis", "add", "a query of death: searches for a term missing from the corpus crash the backends"],
    ),
    ("15:10", "martym", &["act", "added the new sonnet to the corpus and started the indexing job"]),
    (
        "15:18",
        "clarac",
        &[
            "hypothesis",
            "confirm",
            "H1",
            "--evidence",
            "file descriptor exhaustion in the logs; the code leaks when a term is not in the corpus",
        ],
    ),
    ("15:21", "jennifer", &["decide", "raise the instance count until instances do useful work before dying"]),
    ("15:23", "docbrown", &["act", "load balanced all traffic to the USA-2 cluster (sacrificial)"]),
    ("15:25", "martym", &["act", "started replicating the new index to all clusters"]),
    ("15:28", "docbrown", &["act", "started a 2x instance count increase"]),
    ("15:36", "jennifer", &["status", "mitigated", "--note", "updated index replicated to all clusters"]),
    ("15:39", "docbrown", &["act", "second wave: instance count to 10x initial capacity"]),
    // 15:43 and 15:47 the 500 rate is nominal again: the same check result twice.
    ("15:43", "jennifer", &["probe", "cmd", "--", "true"]),
    ("15:47", "jennifer", &["probe", "cmd", "--", "true"]),
    (
        "16:00",
        "jennifer",
        &["impact", "--end", "16:00", "--summary", "an estimated 1.21B queries lost, no revenue impact"],
    ),
    ("16:30", "jennifer", &["resolve", "--summary", "exit criterion reached: 30 minutes of nominal performance"]),
    // The next day: an action item and a lesson, written after the incident.
    (
        "2015-10-22T10:00",
        "jennifer",
        &["followup", "add", "Update the playbook for cascading failure", "--owner", "jennifer"],
    ),
    ("2015-10-22T10:05", "martym", &["note", "went well: monitoring alerted on the 500s within a minute"]),
];

fn replay() -> Env {
    let env = Env::new();
    for (at, who, args) in REPLAY {
        let out = env
            .cmd_at(&if at.contains('T') { format!("{at}:00Z") } else { format!("2015-10-21T{at}:00Z") })
            .env("INCIDENT_AUTHOR", who)
            .args(*args)
            .output()
            .expect("ran");
        assert!(out.status.success(), "{at} {who} {args:?}: {}", text(&out.stderr));
    }
    env
}

#[test]
fn the_sre_books_example_gives_the_books_clocks() {
    let env = replay();
    let out = env.cmd_at("2015-10-22T09:00:00Z").args(["postmortem"]).output().expect("ran");
    let markdown = text(&out.stdout);
    // The book: outage 14:54-16:00 ("down for 66 minutes"), paged 14:55, investigating 14:58,
    // mitigated 15:36, incident 15:01-16:30.
    for row in [
        "| Time to detect | 1m 0s | detected − impact start | 2015-10-21 14:54:00 | 2015-10-21 14:55:00 |",
        "| Time to acknowledge | 3m 0s | acknowledged − detected | 2015-10-21 14:55:00 | 2015-10-21 14:58:00 |",
        "| Time to mitigate | 42m 0s | mitigated − impact start | 2015-10-21 14:54:00 | 2015-10-21 15:36:00 |",
        "| Time to resolve | 1h 36m | resolved − impact start | 2015-10-21 14:54:00 | 2015-10-21 16:30:00 |",
        "| Impact duration | 1h 6m | impact end − impact start | 2015-10-21 14:54:00 | 2015-10-21 16:00:00 |",
        "| Incident duration | 1h 29m | resolved − opened | 2015-10-21 15:01:00 | 2015-10-21 16:30:00 |",
    ] {
        assert!(markdown.lines().any(|l| l == row), "missing {row:?} in:\n{markdown}");
    }

    // `stats` reads the same clocks from the same place.
    let stats: Value = serde_json::from_str(&env.ok(&["stats", "--json"])).expect("JSON");
    let seconds: Vec<(String, i64)> = stats["clocks"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| (c["key"].as_str().unwrap_or_default().to_string(), c["median"].as_i64().unwrap_or(-1)))
                .collect()
        })
        .unwrap_or_default();
    let expected = [
        ("time_to_detect", 60),
        ("time_to_acknowledge", 180),
        ("time_to_mitigate", 42 * 60),
        ("time_to_resolve", 96 * 60),
        ("impact_duration", 66 * 60),
        ("incident_duration", 89 * 60),
    ];
    assert_eq!(seconds, expected.map(|(k, s)| (k.to_string(), s)));
}

// The replay's draft had the outage's start and end nowhere at their own times, the next day's
// follow-up and lessons inside the incident, and 26 short alternating bars in the gantt, the
// last one running into the next day.
#[test]
fn the_timeline_shows_key_moments_in_place_and_what_was_written_afterwards_apart() {
    let env = replay();
    let out = env.cmd_at("2015-10-22T11:00:00Z").args(["postmortem"]).output().expect("ran");
    let markdown = text(&out.stdout);
    insta::assert_snapshot!("sre_book_timeline", section(&markdown, "## Timeline", "## How our understanding evolved"));
    let full = section(&markdown, "### Full timeline", "### Artifacts");
    assert_eq!(full.matches("Check cmd OK").count(), 2, "the appendix keeps every result: {full}");
}
