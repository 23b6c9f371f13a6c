//! The blameless lint through the real binary: on a post-mortem with captured output, and on a
//! Markdown file with findings located and worded.

use serde_json::Value;

use crate::harness::{Env, text};

/// A runbook whose preview fails with the message systemd prints in a container.
const BUS_RUNBOOK: &str = r#"title: restart over the bus
act:
  - id: restart
    title: Restart it
    risk: low
    preview: {run: [sh, -c, "echo 'Failed to connect to bus: No such file or directory' >&2; exit 1"]}
    command: {run: ["true"]}
"#;

/// Regression: a tool's own captured output ("Failed to connect to bus") read as a
/// counterfactual made `postmortem --strict` fail on a clean incident.
#[test]
fn captured_command_output_does_not_fail_a_strict_postmortem() {
    let env = Env::new();
    env.write("runbooks/bus.yaml", BUS_RUNBOOK);
    env.open("checkout down");
    env.ok(&["runbook", "act", "restart", "--runbook", "bus", "--dry-run"]);
    let out = env.run(&["postmortem", "--strict"]);
    let markdown = text(&out.stdout);
    assert!(markdown.contains("Failed to connect to bus"), "the output is in the document:\n{markdown}");
    assert!(out.status.success(), "strict post-mortem failed:\n{}", text(&out.stderr));
}

#[test]
fn lint_locates_each_finding_with_rule_phrase_and_rewording() {
    let env = Env::new();
    let doc = "# Post-mortem\n\nA canary would have detected it.\n_Bo_ decides to remove the directory, errantly thinking it was db2.\n\n**Corrective actions:**\n- Investigate the replica lag\n";
    let path = env.write("pm.md", doc);
    let out = env.run(&["--json", "lint", path.to_str().unwrap(), "--name", "Bo"]);
    assert_eq!(out.status.code(), Some(1), "findings exit 1");
    let found: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON findings");
    let phrases: Vec<&str> = found.iter().map(|f| f["phrase"].as_str().unwrap()).collect();
    let rules: Vec<&str> = found.iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["narration", "hindsight", "vague-action", "vague-action"], "{phrases:?}");
    assert!(found.iter().all(|f| !f["suggestion"].as_str().unwrap().is_empty()));
    let first = &found[0];
    assert!(first["location"].as_str().unwrap().ends_with("pm.md:4:6"), "{first}");
    assert_eq!(
        (first["line"].as_u64(), first["column"].as_u64(), first["phrase"].as_str()),
        (Some(4), Some(6), Some("decides"))
    );
}
