//! The post-mortem, the blameless lint and stats, from real timelines.

use std::path::Path;

use serde_json::Value;

use crate::harness::snapshot::snapshot;
use crate::harness::{Env, read, text};

/// A resolved incident with two hypotheses (one refuted), a command, follow-ups and notes.
const FIXTURE: &str = "tests/fixtures/postmortem/2026-11-22-checkout-returns-502s";
const FIXTURE_ID: &str = "2026-11-22-checkout-returns-502s";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("fixture").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn with_fixture() -> Env {
    let env = Env::new();
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join(FIXTURE), &env.store().join(FIXTURE_ID));
    env.ok(&["use", FIXTURE_ID]);
    env
}

#[test]
fn the_default_post_mortem_renders_every_section_from_the_timeline() {
    let env = with_fixture();
    let out = env.cmd_at("2026-11-22T15:00:00Z").args(["postmortem"]).output().expect("ran");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let markdown = text(&out.stdout);
    insta::assert_snapshot!("postmortem_default", markdown);
    // The same timeline always gives the same document.
    let again = env.cmd_at("2026-11-22T15:00:00Z").args(["postmortem"]).output().expect("ran");
    assert_eq!(text(&again.stdout), markdown);
}

#[test]
fn responders_text_cannot_break_a_table_or_inject_markup() {
    let env = Env::new();
    env.open("Escaping");
    env.ok(&["observe", "a | b | c `code` <script>alert(1)</script>\nsecond line"]);
    let markdown = env.ok(&["postmortem"]);
    let row = markdown.lines().find(|l| l.contains("Observed:")).expect("the observation's row");
    let unescaped_pipes = row.char_indices().filter(|&(i, c)| c == '|' && !row[..i].ends_with('\\')).count();
    assert_eq!(unescaped_pipes, 7, "six cells, seven borders: {row}");
    assert!(!markdown.contains("<script>"));
    assert!(row.contains("&lt;script&gt;") && row.contains("\\`code\\`") && row.contains("<br>second line"), "{row}");
}

#[test]
fn missing_data_gets_a_prompt_not_an_empty_heading() {
    let env = Env::new();
    env.open("Barely recorded");
    let markdown = env.ok(&["postmortem"]);
    for prompt in [
        "_In two or three sentences",
        "_Who and what was affected",
        "_No hypotheses were recorded.",
        "_No hypothesis was confirmed.",
        "_Specific, owned, dated changes",
        "impact start not recorded",
        "not resolved yet",
    ] {
        assert!(markdown.contains(prompt), "missing {prompt:?} in:\n{markdown}");
    }
}

#[test]
fn the_lint_runs_on_the_draft_and_strict_fails_on_findings() {
    let env = with_fixture();
    let out = env.run(&["postmortem"]);
    assert_eq!(out.status.code(), Some(0));
    // The note's "should have" is also in the appendix's full timeline: reported once.
    snapshot!(&env, text(&out.stderr), @r#"
        Blameless lint: 3 finding(s)
          <stdout>:62:49: counterfactual: "should have": say what was expected and what happened instead
          <stdout>:142:1: vague-action: "no due date": give every action item a due date
          <stdout>:142:8: vague-action: "Improve": say what will change and how we will know
        "#);

    let draft = env.dir.path().join("pm.md");
    let out = env.run(&["postmortem", "--strict", "-o", draft.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(read(&draft).starts_with("# Post-mortem: Checkout returns 502s"));
    assert!(text(&out.stderr).contains("pm.md:"), "findings point into the written file");

    let json: Value = serde_json::from_str(&env.ok(&["postmortem", "--json"])).expect("JSON");
    assert!(json["markdown"].as_str().unwrap_or_default().contains("## How our understanding evolved"));
    assert!(json["findings"].as_array().is_some_and(|f| !f.is_empty()));
}

#[test]
fn templates_come_by_name_or_path_and_errors_name_file_and_line() {
    let env = with_fixture();
    let custom = env.dir.path().join("brief.md.j2");
    std::fs::write(&custom, "{{ title }} ({{ severity }}): {{ hypotheses | length }} hypotheses\n").expect("write");
    assert_eq!(
        env.ok(&["postmortem", "--template", custom.to_str().unwrap_or_default()]),
        "Checkout returns 502s (sev2): 2 hypotheses\n"
    );

    std::fs::write(&custom, "line one\n{% if %}\n").expect("write");
    let out = env.run(&["postmortem", "--template", custom.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stderr), @r#"error: [TMP]/brief.md.j2:2: unexpected end of block (syntax error)"#);

    let out = env.run(&["postmortem", "--template", "fancy"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stderr), @r#"error: no template named "fancy": shipped templates are default; or give a path to a .j2 file"#);
}

#[test]
fn lint_checks_a_markdown_file_with_lines_and_suggestions() {
    let env = Env::new();
    let file = env.dir.path().join("review.md");
    std::fs::write(
        &file,
        "# Review\n\nThe on-call engineer failed to notice the alert.\nA blameless review; `should have` in code is fine.\n> ERROR: operator error in log\n\n## Action items\n\n- Be more careful\n",
    )
    .expect("write");
    let out = env.run(&["lint", file.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(1));
    // The blameful lines and the unowned item: code spans and quoted log lines are not prose.
    snapshot!(&env, text(&out.stdout), @r#"
        [TMP]/review.md:3:22: counterfactual: "failed to": say "did not", and what made it hard
        [TMP]/review.md:9:3: vague-action: "Be more careful": name a change to the system or process, not to people's care
        [TMP]/review.md:9:3: vague-action: "no owner": name who owns this item (an owner column, `@name` or `owner: NAME`)
        "#);

    std::fs::write(&file, "All clear, blameless.\n").expect("write");
    env.cmd().args(["lint", file.to_str().unwrap_or_default()]).assert().success();
}

#[test]
fn lint_checks_the_incidents_own_text() {
    let env = Env::new();
    env.open("Own text");
    env.ok(&["note", "Ana obviously skipped the checklist"]);
    env.ok(&["followup", "add", "Improve alerting", "--owner", "bo"]);
    let out = env.run(&["lint", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let findings: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rules: Vec<&str> =
        findings.as_array().map(|a| a.iter().filter_map(|f| f["rule"].as_str()).collect()).unwrap_or_default();
    assert_eq!(rules, ["blame", "vague-action", "vague-action"]);
    assert!(findings[0]["location"].as_str().unwrap_or_default().contains("note by ana"));
}

#[test]
fn stats_report_medians_percentiles_and_counts_never_a_bare_mean() {
    let env = Env::new();
    // Three incidents with time-to-mitigate of 10, 20 and 90 minutes; one still open.
    for (n, minutes) in [(1, 10), (2, 20), (3, 90)] {
        env.ok(&[
            "--at",
            "12:00",
            "open",
            &format!("Incident {n}"),
            "-s",
            if n == 3 { "sev1" } else { "sev3" },
            "--impact-start",
            "12:00",
        ]);
        let at = format!("2026-11-22T{:02}:{:02}:00Z", 12 + minutes / 60, minutes % 60);
        env.ok(&["--at", &at, "status", "mitigated"]);
        env.ok(&["resolve"]);
    }
    env.open("Still open");
    let stats: Value = serde_json::from_str(&env.ok(&["stats", "--json"])).expect("JSON");
    assert_eq!(stats["incidents"], 4);
    assert_eq!(stats["by_severity"]["sev3"], 2);
    assert_eq!(stats["by_status"]["resolved"], 3);
    let mitigate =
        stats["clocks"].as_array().and_then(|c| c.iter().find(|c| c["key"] == "time_to_mitigate")).expect("clock");
    assert_eq!(
        (mitigate["n"].as_u64(), mitigate["median"].as_i64(), mitigate["p90"].as_i64(), mitigate["max"].as_i64()),
        (Some(3), Some(1200), Some(5400), Some(5400))
    );
    assert_eq!(mitigate["missing"], 1);
    assert!(mitigate.get("mean").is_none());

    let recent: Value = serde_json::from_str(&env.ok(&["stats", "--since", "1h", "--json"])).expect("JSON");
    assert_eq!(recent["incidents"], 1, "only the incident opened within the hour");
    snapshot!(&env, env.ok(&["stats"]), @r#"
        4 incident(s), drills excluded
        by severity: sev1 1, sev2 1, sev3 2
        by status:   investigating 1, resolved 3

         Clock                 Formula                     n   Median   p90      Max      Missing an end
        ───────────────────── ─────────────────────────── ─── ──────── ──────── ──────── ─[…]
         Time to detect        detected − impact start     3   0s       0s       0s       1
         Time to acknowledge   acknowledged − detected     3   20m 0s   1h 30m   1h 30m   1
         Time to mitigate      mitigated − impact start    3   20m 0s   1h 30m   1h 30m   1
         Time to resolve       resolved − impact start     3   2h 5m    2h 5m    2h 5m    1
         Impact duration       impact end − impact start   0   —        —        —        4
         Incident duration     resolved − opened           3   2h 5m    2h 5m    2h 5m    1
        "#);
}
