//! A sync repairs what killed gits and plain `git pull`s leave in the store, with real git: the
//! next sync succeeds without anyone repairing by hand.

use serde_json::Value;

use crate::harness::{Env, read, text};
use crate::sync::{INCIDENT, Responder, git_ok, two_responders};

// What broke: a plain `git pull` in a store cloned by hand (no merge driver registered there)
// conflicted, and the next sync's `git add --all` committed the conflict markers to every clone.
#[test]
fn a_conflicted_pull_is_resolved_as_the_union_never_committed_with_markers() {
    let env = Env::new();
    let (ana, bo, remote) = two_responders(&env);
    let cy = Responder { env: &env, name: "cy" };
    git_ok(env.dir.path(), &["clone", "--quiet", "--branch", "main", remote.to_str().expect("UTF-8"), "store-cy"]);
    cy.ok(&["-i", INCIDENT, "observe", "cy: the pool is saturated"]);
    git_ok(&cy.store(), &["commit", "--quiet", "--all", "-m", "cy by hand"]);
    bo.ok(&["observe", "bo: p99 at 4s"]);
    bo.ok(&["sync"]);
    let pulled = cy.git(&["pull", "--quiet", "--no-rebase", "--no-edit"]);
    assert!(!pulled.status.success(), "the pull was meant to conflict: {}", text(&pulled.stdout));
    assert!(cy.timeline().contains("<<<<<<<"), "git wrote its markers");

    let report = cy.sync_json();
    assert_eq!(report["pushed"], true, "{report}");
    assert!(report["repaired"].to_string().contains("union"), "{report}");
    ana.ok(&["sync"]);
    for who in [&ana, &cy] {
        let timeline = who.timeline();
        assert!(!timeline.contains("<<<<<<<") && !timeline.contains(">>>>>>>"), "{}: {timeline}", who.name);
        assert!(timeline.contains("cy: the pool") && timeline.contains("bo: p99"), "{}", who.name);
        who.ok(&["-i", INCIDENT, "timeline", "--verify"]);
    }
}

// What broke: a sync killed mid-commit left `.git/index.lock`; every later sync failed with no
// hint while recording went on, so nothing was shared. Killed merges left `.merge_file_*`
// files that the next `git add --all` pushed to everyone.
#[test]
fn a_stale_index_lock_and_merge_leftovers_are_cleared_and_never_shared() {
    let env = Env::new();
    let (ana, bo, remote) = two_responders(&env);
    std::fs::write(ana.store().join(".git/index.lock"), "").expect("write");
    std::fs::write(ana.store().join(".merge_file_a1B2c3"), "half a merge").expect("write");
    ana.ok(&["observe", "recorded while the lock was there"]);

    let report = ana.sync_json();
    assert_eq!(report["pushed"], true, "{report}");
    let repaired = report["repaired"].to_string();
    assert!(repaired.contains("index.lock") && repaired.contains(".merge_file_a1B2c3"), "{repaired}");
    assert!(!ana.store().join(".git/index.lock").exists() && !ana.store().join(".merge_file_a1B2c3").exists());
    let shared = git_ok(&remote, &["ls-tree", "-r", "--name-only", "main"]);
    assert!(!shared.contains(".merge_file"), "{shared}");
    bo.ok(&["sync"]);
    assert!(read(&bo.store().join(INCIDENT).join("timeline.jsonl")).contains("recorded while the lock"));
}

#[test]
fn a_lock_a_live_git_holds_is_left_alone() {
    let env = Env::new();
    let (ana, _bo, _) = two_responders(&env);
    let lock = ana.store().join(".git/index.lock");
    std::fs::write(&lock, "").expect("write");
    // A process that has the lock open: it is not stale.
    let mut holder = std::process::Command::new("sh")
        .args(["-c", "exec 3<\"$1\"; sleep 30", "sh", lock.to_str().expect("UTF-8")])
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(200));
    ana.ok(&["observe", "x"]);
    let out = ana.run(&["sync", "--json"]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(out.status.code(), Some(1));
    assert!(lock.exists(), "a lock someone holds is never removed");
    let report: Value = serde_json::from_str(&text(&out.stdout)).expect("JSON");
    assert!(report["error"].to_string().contains("index.lock"), "{report}");
}

// Every git process costs a fork and exec, and on a busy laptop much more: a sync with
// nothing to do used to run 18.
#[test]
fn a_sync_with_nothing_new_runs_few_git_processes() {
    let env = Env::new();
    let (ana, _bo, _) = two_responders(&env);
    ana.ok(&["sync"]);
    let bin = env.dir.path().join("shim");
    std::fs::create_dir_all(&bin).expect("mkdir");
    let log = env.dir.path().join("git-calls");
    let real =
        String::from_utf8(std::process::Command::new("sh").args(["-c", "command -v git"]).output().expect("sh").stdout)
            .expect("UTF-8");
    std::fs::write(
        bin.join("git"),
        format!("#!/bin/sh\necho \"$1\" >> '{}'\nexec '{}' \"$@\"\n", log.display(), real.trim()),
    )
    .expect("write");
    std::process::Command::new("chmod").args(["+x", bin.join("git").to_str().unwrap_or("")]).status().expect("chmod");
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let out = ana.cmd().env("PATH", path).args(["sync"]).output().expect("ran");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let calls = read(&log);
    assert!(calls.lines().count() <= 6, "{} git processes:\n{calls}", calls.lines().count());
}
