//! Hostile runbook variables and templates (issue 11): a value cannot become an option or shell
//! code, and a template cannot hang, exhaust memory or overflow the stack.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use predicates::prelude::*;

use crate::harness::Env;

const FIND_RUNBOOK: &str = r#"title: find files
vars:
  dir: {type: path, default: "."}
observe:
  - id: listing
    title: lists the folder (read-only)
    command: {run: [find, "{{ vars.dir }}", -name, "*.keep"]}
"#;

fn keep_files(env: &Env) -> [std::path::PathBuf; 2] {
    [env.write("data/a.keep", "a"), env.write("b.keep", "b")]
}

/// `find {{ vars.dir }}` with `-delete` once deleted every file it listed.
#[test]
fn a_dash_value_given_with_var_cannot_turn_a_read_only_find_into_a_delete() {
    let env = Env::new();
    env.write("runbooks/find.yaml", FIND_RUNBOOK);
    let files = keep_files(&env);
    env.cmd()
        .args(["check", "find", "--no-record", "--var", "dir=-delete"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--var dir: \"-delete\" begins with `-`"))
        .stderr(predicate::str::contains("allow_dash: true"));
    assert!(files.iter().all(|f| f.exists()), "a file was deleted");
}

/// A value recorded by `open --var` is replayed by every later check on every synced clone.
#[test]
fn a_dash_value_is_neither_recorded_by_open_nor_replayed_from_the_record() {
    let env = Env::new();
    env.write("runbooks/find.yaml", FIND_RUNBOOK);
    let files = keep_files(&env);
    env.cmd()
        .args(["open", "Disk filling", "-s", "sev3", "--no-walk", "--runbook", "find", "--var", "dir=-delete"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("begins with `-`"));

    // A clone of an older version recorded one anyway: it arrives through sync.
    env.cmd()
        .args(["open", "Disk filling", "-s", "sev3", "--no-walk", "--runbook", "find", "--var", "dir=data"])
        .assert()
        .success();
    let timeline = std::fs::read_dir(env.store())
        .unwrap()
        .map(|e| e.unwrap().path().join("timeline.jsonl"))
        .find(|p| p.exists())
        .unwrap();
    let text = std::fs::read_to_string(&timeline).unwrap();
    assert!(text.contains(r#""dir":"data""#), "{text}");
    std::fs::write(&timeline, text.replace(r#""dir":"data""#, r#""dir":"-delete""#)).unwrap();
    env.cmd()
        .args(["check", "find"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("variable dir, recorded on this incident by `open --var`"));
    assert!(files.iter().all(|f| f.exists()), "a file was deleted");
}

#[test]
fn a_default_that_is_not_of_its_type_is_reported_at_its_place() {
    let env = Env::new();
    env.write(
        "bad.yaml",
        "title: t\nvars:\n  port: {type: port, default: 70000}\n  mode: {type: enm}\n  dir: {default: -rf}\n",
    );
    env.cmd()
        .args(["runbook", "lint", "bad.yaml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("bad.yaml:3:31: variable port: default \"70000\" is not a port"))
        .stdout(predicate::str::contains(
            "bad.yaml:4:16: variable mode: unknown variable type `enm`; did you mean `enum`?",
        ))
        .stdout(predicate::str::contains("bad.yaml:5:18: variable dir: default \"-rf\" begins with `-`"));
}

#[test]
fn typed_variables_refuse_values_before_anything_runs() {
    let env = Env::new();
    env.write(
        "runbooks/typed.yaml",
        r#"title: typed
vars:
  port: {type: port, default: 8080}
  env: {type: enum, values: [staging, production], default: staging}
observe:
  - id: marker
    command: {shell: "touch ran"}
"#,
    );
    for (flag, complaint) in [
        ("port=http", "--var port: \"http\" is not a port"),
        ("env=prod", "--var env: \"prod\" is not one of: staging, production"),
    ] {
        env.cmd()
            .args(["check", "typed", "--no-record", "--var", flag])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(complaint));
    }
    assert!(!env.path().join("ran").exists(), "a check ran with a refused value");
}

/// Eight payloads that broke out of the old shell quoting (5 of 8 ran when the author also
/// quoted the variable), each behind three ways of writing the variable.
#[test]
fn shell_quoting_payloads_stay_data_whatever_quotes_the_author_wrote() {
    let env = Env::new();
    env.write(
        "runbooks/quoting.yaml",
        r#"title: quoting
vars:
  x: {}
observe:
  - id: bare
    command: {shell: "printf '%s' {{ vars.x }}"}
  - id: single
    command: {shell: "printf '%s' '{{ vars.x }}'"}
  - id: double
    command: {shell: "printf '%s' \"{{ vars.x }}\""}
  - id: substituted
    command: {shell: "printf '%s' \"$(printf '%s' {{ vars.x }})\""}
"#,
    );
    let canary = env.path().join("canary");
    let touch = format!("touch {}", canary.display());
    let payloads = [
        format!("$({touch})"),
        format!("`{touch}`"),
        format!("x; {touch}"),
        format!("x | {touch}"),
        format!("x\n{touch}"),
        format!("x' ; {touch} ; '"),
        format!("x\" ; {touch} ; \""),
        format!("x'\"$({touch})\"'"),
    ];
    for payload in &payloads {
        let out = env
            .cmd()
            .args(["check", "quoting", "--no-record", "--json", "--var"])
            .arg(format!("x={payload}"))
            .output()
            .unwrap();
        assert!(!canary.exists(), "payload {payload:?} ran");
        let results: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let stdouts: Vec<String> = results["checks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["observed"]["stdout"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(stdouts.len(), 4, "{results}");
        for stdout in stdouts {
            assert_eq!(stdout.trim_end(), payload.trim_end(), "the value did not arrive verbatim");
        }
    }
}

#[test]
fn twenty_thousand_nested_nots_are_a_lint_error_not_a_stack_overflow() {
    let env = Env::new();
    let deep = format!(
        "title: t\nobserve:\n  - id: a\n    command: {{run: [true]}}\n    assert: [\"{}1\"]\n",
        "not ".repeat(20_000)
    );
    env.write("deep.yaml", &deep);
    env.cmd()
        .args(["runbook", "lint", "deep.yaml"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("deep.yaml:5:14:").and(predicate::str::contains("nest deeper than 64")));
}

#[test]
fn postmortem_templates_that_nest_or_explode_fail_cleanly_and_quickly() {
    let env = Env::new();
    env.open_incident();
    let deep = env.write("deep.md.j2", format!("{{{{ {}1 }}}}\n", "-".repeat(20_000)));
    env.cmd()
        .args(["postmortem", "--template", deep.to_str().unwrap()])
        .assert()
        .code(predicate::ne(134))
        .failure()
        .stderr(predicate::str::contains("nest deeper than 64"));

    let bomb = env.write("bomb.md.j2", "{% for i in range(100000) %}{{ 'x' * 100000 }}{% endfor %}\n");
    let started = Instant::now();
    env.cmd()
        .args(["postmortem", "--template", bomb.to_str().unwrap()])
        .assert()
        .failure()
        .stderr(predicate::str::contains("fuel").or(predicate::str::contains("output larger than")));
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}

/// Nested loops in an argv template used to hang `check` past its `--deadline`.
#[test]
fn nested_loops_in_a_command_template_end_within_the_deadline() {
    let env = Env::new();
    env.write(
        "runbooks/loops.yaml",
        r#"title: loops
observe:
  - id: spin
    command: {run: [echo, "{% for a in 'abcdefghij' * 10000 %}{% for b in 'abcdefghij' * 10000 %}x{% endfor %}{% endfor %}"]}
"#,
    );
    let started = Instant::now();
    env.cmd()
        .args(["check", "loops", "--no-record", "--deadline", "5s"])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("fuel"));
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[test]
fn format_on_a_multibyte_character_does_not_panic() {
    let env = Env::new();
    env.write(
        "runbooks/fmt.yaml",
        r#"title: fmt
observe:
  - id: f
    command: {run: [echo, "{{ '%.1s|%-3s' | format('é', 'ü') }}"]}
    expect: {stdout_contains: "é|ü  "}
"#,
    );
    env.cmd().args(["check", "fmt", "--no-record"]).assert().code(0);
}
