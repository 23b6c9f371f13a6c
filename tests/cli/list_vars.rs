//! List variables (issue 15): `type: list` items become separate argv words of a `run:`
//! command, never split or joined by a shell, and each item is checked like a value.

use predicates::prelude::*;

use crate::harness::Env;

const PRINTF_RUNBOOK: &str = r#"title: list
vars:
  names: {type: list, default: [a, "b c"]}
  ports: {type: list, items: {type: port}, default: [80]}
observe:
  - id: words
    title: prints each word
    command: {run: [printf, "<%s>", "{{ vars.names }}"]}
    expect: {stdout_contains: "<a><b c><x>"}
"#;

/// A list rendered into one word would reach printf as a single argument; a shell would
/// split "b c" in two.
#[test]
fn a_list_default_becomes_one_argv_word_per_item_without_word_splitting() {
    let env = Env::new();
    env.write("runbooks/lst.yaml", PRINTF_RUNBOOK.replace("<x>", ""));
    env.cmd()
        .args(["check", "lst", "--no-record"])
        .assert()
        .success()
        .stdout(predicate::str::contains("exit 0: <a><b c> [ok]"));
}

#[test]
fn repeated_and_comma_separated_var_flags_give_the_items_in_order() {
    let env = Env::new();
    env.write("runbooks/lst.yaml", PRINTF_RUNBOOK.replace("<a><b c><x>", "<x><y><z>"));
    env.cmd()
        .args(["check", "lst", "--no-record", "--var", "names=x", "--var", "names=y,z"])
        .assert()
        .success()
        .stdout(predicate::str::contains("exit 0: <x><y><z> [ok]"));
}

#[test]
fn an_item_that_begins_with_a_dash_or_is_not_of_the_item_type_is_refused() {
    let env = Env::new();
    env.write("runbooks/lst.yaml", PRINTF_RUNBOOK);
    env.cmd()
        .args(["check", "lst", "--no-record", "--var", "names=x,-rf"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--var names: \"-rf\" begins with `-`"));
    env.cmd()
        .args(["check", "lst", "--no-record", "--var", "ports=80,http"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--var ports: \"http\" is not a port"));
}

/// In a `shell:` script the items are positional parameters, one word each, like "$@".
#[test]
fn a_list_in_a_shell_script_gives_one_parameter_per_item_and_runs_no_item_as_code() {
    let env = Env::new();
    env.write(
        "runbooks/lst.yaml",
        r#"title: list
vars:
  names: {type: list, default: [a, "b c", "$(touch pwned)"]}
observe:
  - id: words
    title: prints each word
    command: {shell: "printf '<%s>' {{ vars.names }}"}
    expect: {stdout_contains: "<a><b c><$(touch pwned)>"}
"#,
    );
    env.cmd()
        .args(["check", "lst", "--no-record"])
        .assert()
        .success()
        .stdout(predicate::str::contains("exit 0: <a><b c><$(touch pwned)> [ok]"));
    assert!(!env.path().join("pwned").exists(), "an item ran as shell code");
}
