//! Recovery, not refusal: damage is reported and worked around; failed writes leave nothing
//! behind; a timeline is never reached through a symbolic link.

use crate::harness::{Env, read, text, with_file_size_limit};

#[test]
fn a_damaged_first_line_does_not_take_the_incident_down() {
    let env = Env::new();
    let id = env.open("Checkout 502s");
    env.ok(&["note", "before the damage"]);
    let path = env.timeline_path(&id);
    let damaged = read(&path).replacen('{', "#{", 1);
    std::fs::write(&path, damaged).expect("damage line 1");

    let show = env.run(&["show"]);
    assert!(show.status.success(), "{}", text(&show.stderr));
    assert!(text(&show.stderr).contains(":1: damaged line skipped"), "{}", text(&show.stderr));
    assert!(text(&show.stdout).contains("incident.opened line is damaged"), "{}", text(&show.stdout));
    env.ok(&["note", "after the damage"]);
    let postmortem = env.ok(&["postmortem"]);
    assert!(postmortem.contains("before the damage") && postmortem.contains("after the damage"), "{postmortem}");
    assert_eq!(env.show()["opening_damaged"], true);

    let verify = env.run(&["timeline", "--verify"]);
    assert_eq!(verify.status.code(), Some(1));
    assert!(text(&verify.stdout).contains("line 1: damaged"), "{}", text(&verify.stdout));
}

#[test]
fn a_failed_open_leaves_no_empty_folder_so_the_retry_keeps_its_id() {
    let env = Env::new();
    let mut cmd = env.std_cmd();
    cmd.args(["open", "Disk full at open", "-s", "sev2", "--no-walk"]);
    let out = with_file_size_limit(cmd, 64);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let left: Vec<_> = std::fs::read_dir(env.store()).expect("store").flatten().map(|e| e.file_name()).collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert_eq!(env.open("Disk full at open"), "2026-11-22-disk-full-at-open");
}

#[test]
fn a_symlinked_timeline_is_refused_not_followed() {
    let env = Env::new();
    let id = env.open("Checkout 502s");
    let path = env.timeline_path(&id);
    let elsewhere = env.path().join("elsewhere.jsonl");
    std::fs::rename(&path, &elsewhere).expect("move");
    std::os::unix::fs::symlink(&elsewhere, &path).expect("symlink");
    let before = read(&elsewhere);

    for args in [&["note", "through the link"][..], &["show"], &["timeline"]] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(text(&out.stderr).contains("is a symbolic link; refused"), "{args:?}: {}", text(&out.stderr));
    }
    assert_eq!(read(&elsewhere), before, "the link's target was written");
}

#[test]
fn partial_artifacts_left_by_a_killed_run_are_cleaned_by_the_next() {
    let env = Env::new();
    let id = env.open("Checkout 502s");
    let artifacts = env.store().join(&id).join("artifacts");
    std::fs::create_dir_all(&artifacts).expect("mkdir");
    let abandoned = artifacts.join(".partial-01KILLED0000000000000000000");
    std::fs::write(&abandoned, "half an output").expect("write");

    env.ok(&["run", "--", "echo", "hello"]);
    let left: Vec<String> = std::fs::read_dir(&artifacts)
        .expect("artifacts")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with(".partial"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
