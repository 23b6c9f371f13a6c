//! `incident.toml` and the files the program replaces, as a user meets them.

use crate::harness::Env;

/// The runbook commands read `incident.toml` on their own and named only the file when a value
/// was wrong; it is now read in one place that says the line and column.
#[test]
fn a_wrong_value_in_incident_toml_is_placed_at_its_line_and_column() {
    let env = Env::new();
    env.write("incident.toml", "# ours\nrunbooks = 3\n");
    let out = env.run(&["runbook", "list"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("incident.toml:2:12: "), "{stderr}");
}

/// `postmortem -o` wrote through a temporary file of its own; it now goes through the one
/// atomic write, which must leave nothing behind beside the document.
#[test]
fn postmortem_to_a_file_leaves_only_the_file() {
    let env = Env::new();
    env.open_incident();
    std::fs::create_dir_all(env.path().join("out")).expect("a folder");
    env.ok(&["postmortem", "-o", "out/pm.md"]);
    let names: Vec<String> = std::fs::read_dir(env.path().join("out"))
        .expect("the folder")
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["pm.md"]);
    assert!(!std::fs::read_to_string(env.path().join("out/pm.md")).expect("written").is_empty());
}
