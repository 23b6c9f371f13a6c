//! Shared timelines over git: a bare repository on disk as the remote, clones as responders,
//! real `git` and the real binary. Git's identity and config are hermetic: `HOME` is the temp
//! dir, `GIT_CONFIG_NOSYSTEM` is set, and committer identity is pinned.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::harness::snapshot::snapshot;
use crate::harness::{Env, read, text};

pub(crate) const INCIDENT: &str = "2026-11-22-checkout-502s";

/// One responder's machine: a store of its own, synced through the shared remote.
pub(crate) struct Responder<'a> {
    pub env: &'a Env,
    pub name: &'static str,
}

impl Responder<'_> {
    pub(crate) fn store(&self) -> PathBuf {
        self.env.dir.path().join(format!("store-{}", self.name))
    }

    pub(crate) fn cmd(&self) -> std::process::Command {
        let mut cmd = self.env.std_cmd();
        cmd.env("INCIDENT_STORE", self.store()).env("INCIDENT_AUTHOR", self.name);
        hermetic_git(&mut cmd);
        cmd
    }

    pub(crate) fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("ran")
    }

    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "{}: incident {args:?} failed:\n{}", self.name, text(&out.stderr));
        text(&out.stdout)
    }

    pub(crate) fn sync_json(&self) -> Value {
        serde_json::from_str(&self.ok(&["sync", "--json"])).expect("sync --json is JSON")
    }

    pub(crate) fn event_ids(&self) -> BTreeSet<String> {
        self.ok(&["timeline", "--json", "-i", INCIDENT])
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line")["id"].as_str().unwrap_or("").to_string())
            .collect()
    }

    pub(crate) fn timeline(&self) -> String {
        read(&self.store().join(INCIDENT).join("timeline.jsonl"))
    }

    pub(crate) fn git(&self, args: &[&str]) -> Output {
        git_in(&self.store(), args)
    }
}

/// Git's environment in every test: no system config, a pinned committer.
pub(crate) const HERMETIC_GIT: &[(&str, &str)] = &[
    ("GIT_CONFIG_NOSYSTEM", "1"),
    ("GIT_COMMITTER_NAME", "Test Committer"),
    ("GIT_COMMITTER_EMAIL", "committer@example.invalid"),
];

fn hermetic_git(cmd: &mut std::process::Command) {
    cmd.envs(HERMETIC_GIT.iter().copied());
}

fn git_in(dir: &Path, args: &[&str]) -> Output {
    let mut cmd = std::process::Command::new("git");
    cmd.args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_AUTHOR_NAME", "Test Author")
        .env("GIT_AUTHOR_EMAIL", "author@example.invalid")
        .env("LC_ALL", "C");
    hermetic_git(&mut cmd);
    cmd.output().expect("git ran")
}

pub(crate) fn git_ok(dir: &Path, args: &[&str]) -> String {
    let out = git_in(dir, args);
    assert!(out.status.success(), "git {args:?} in {} failed:\n{}", dir.display(), text(&out.stderr));
    text(&out.stdout)
}

/// A bare repository to sync through.
pub(crate) fn bare_remote(env: &Env, name: &str) -> PathBuf {
    let path = env.dir.path().join(name);
    std::fs::create_dir_all(&path).expect("mkdir");
    git_ok(&path, &["init", "--quiet", "--bare"]);
    path
}

/// Ana opens the incident and shares the store; Bo joins with a store of his own.
pub(crate) fn two_responders(env: &Env) -> (Responder<'_>, Responder<'_>, PathBuf) {
    let remote = bare_remote(env, "remote.git");
    let remote_arg = remote.to_str().expect("a UTF-8 path");
    let ana = Responder { env, name: "ana" };
    let bo = Responder { env, name: "bo" };
    assert_eq!(ana.ok(&["open", "Checkout 502s", "-s", "sev2", "--no-walk"]).trim(), INCIDENT);
    ana.ok(&["sync", "--init", remote_arg]);
    bo.ok(&["sync", "--init", remote_arg]);
    bo.ok(&["use", INCIDENT]);
    (ana, bo, remote)
}

#[test]
fn two_clones_recording_at_the_same_time_both_end_with_the_union() {
    let env = Env::new();
    let (ana, bo, _) = two_responders(&env);

    // Both record at once, then both sync at once: one push loses the race, merges and retries.
    // (What broke: two pushes landing together on a local remote fail with "cannot lock ref",
    // which was not taken for a lost race, so the sync gave up instead of retrying.)
    let record = |who: &Responder<'_>| {
        for n in 0..5 {
            who.ok(&["observe", &format!("{} saw {n}", who.name)]);
        }
    };
    std::thread::scope(|s| {
        s.spawn(|| record(&ana));
        s.spawn(|| record(&bo));
    });
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| ana.run(&["sync"]));
        let b = s.spawn(|| bo.run(&["sync"]));
        (a.join().expect("ana's sync"), b.join().expect("bo's sync"))
    });
    assert!(a.status.success(), "ana's sync failed:\n{}", text(&a.stderr));
    assert!(b.status.success(), "bo's sync failed:\n{}", text(&b.stderr));
    // Whoever pushed first has not seen the other's events yet.
    let ana_again = ana.sync_json();
    bo.ok(&["sync"]);

    let union = ana.event_ids();
    assert_eq!(union, bo.event_ids());
    assert_eq!(union.len(), 11, "the opening and five observations from each");
    // The same bytes on both machines: the merge's order does not depend on who merged.
    assert_eq!(ana.timeline(), bo.timeline());
    let first: Value = serde_json::from_str(ana.timeline().lines().next().unwrap_or("")).expect("JSON");
    assert_eq!(first["kind"], "incident.opened");
    assert!(!ana.timeline().contains("<<<<<<<"), "no conflict markers");
    for who in [&ana, &bo] {
        assert_eq!(text(&who.git(&["status", "--porcelain"]).stdout), "", "{}: everything committed", who.name);
        who.ok(&["timeline", "--verify"]);
    }
    assert_eq!(ana_again["pushed"], true);
    // Commits are authored by the responder who recorded.
    let authors = git_ok(&bo.store(), &["log", "--format=%an"]);
    assert!(authors.lines().any(|a| a == "ana") && authors.lines().any(|a| a == "bo"), "{authors}");
}

#[test]
fn a_plain_git_pull_merges_timelines_through_the_driver() {
    let env = Env::new();
    let (ana, bo, _) = two_responders(&env);
    bo.ok(&["observe", "bo: 5xx on /pay"]);
    bo.ok(&["sync"]);
    ana.ok(&["observe", "ana: latency up"]);

    // Ana uses git herself: commit, then pull. Both sides appended to the same file.
    git_ok(&ana.store(), &["commit", "--quiet", "--all", "-m", "ana's observation"]);
    let pulled = ana.git(&["pull", "--no-rebase", "--no-edit"]);
    assert!(pulled.status.success(), "git pull failed:\n{}{}", text(&pulled.stdout), text(&pulled.stderr));

    let timeline = ana.timeline();
    assert!(timeline.contains("bo: 5xx on /pay") && timeline.contains("ana: latency up"), "{timeline}");
    assert!(!timeline.contains("<<<<<<<"), "{timeline}");
    assert_eq!(ana.event_ids().len(), 3);
    ana.ok(&["timeline", "--verify"]);
}

#[test]
fn a_missing_remote_leaves_local_work_committed_and_the_next_sync_delivers_it() {
    let env = Env::new();
    let ana = Responder { env: &env, name: "ana" };
    let remote = env.dir.path().join("later.git");
    let remote_arg = remote.to_str().expect("a UTF-8 path");
    ana.ok(&["open", "Checkout 502s", "-s", "sev2", "--no-walk"]);
    ana.ok(&["observe", "recorded while the remote is away"]);

    // Typed relative to where the responder is (the test's cwd), not to the store.
    let failed = ana.run(&["sync", "--init", "later.git", "--json"]);
    assert_eq!(failed.status.code(), Some(1));
    let stderr = text(&failed.stderr);
    assert!(stderr.contains("could not fetch") && stderr.contains("run `incident sync` again"), "{stderr}");
    let report: Value = serde_json::from_slice(&failed.stdout).expect("a JSON report even on failure");
    assert_eq!(report["pushed"], false);
    assert_eq!(report["committed_events"], 2);
    assert!(report["error"].as_str().is_some_and(|e| e.contains("could not fetch")), "{report}");
    // The work is in the store's history, and the timeline is as it was.
    assert!(
        git_ok(&ana.store(), &["show", "HEAD:2026-11-22-checkout-502s/timeline.jsonl"])
            .contains("recorded while the remote is away")
    );
    assert_eq!(ana.event_ids().len(), 2);

    // Still missing: the same clear failure, nothing lost.
    assert_eq!(ana.run(&["sync"]).status.code(), Some(1));

    // The remote appears; the next sync delivers, and a new clone receives it.
    git_ok(env.dir.path(), &["init", "--quiet", "--bare", remote_arg]);
    assert_eq!(ana.sync_json()["pushed"], true);
    let bo = Responder { env: &env, name: "bo" };
    let joined = serde_json::from_str::<Value>(&bo.ok(&["sync", "--init", remote_arg, "--json"])).expect("JSON");
    assert_eq!(joined["pulled_events"][INCIDENT], 2);
    assert_eq!(bo.event_ids(), ana.event_ids());
}

#[test]
fn merge_timeline_keeps_lines_it_cannot_parse_and_says_where() {
    let env = Env::new();
    let id = env.open("Checkout 502s");
    env.ok(&["observe", "shared"]);
    let path = env.timeline_path(&id);
    let base = read(&path);
    let dir = env.dir.path();
    let (o, a, b) = (dir.join("base"), dir.join("ours"), dir.join("theirs"));
    std::fs::write(&o, &base).expect("write");
    std::fs::write(&a, format!("{base}not json at all\n")).expect("write");
    env.ok(&["note", "theirs only"]);
    std::fs::write(&b, read(&path)).expect("write");

    let out = env.run(&[
        "merge-timeline",
        o.to_str().unwrap_or(""),
        a.to_str().unwrap_or(""),
        b.to_str().unwrap_or(""),
        "--path",
        "x/timeline.jsonl",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let merged = read(&a);
    let lines: Vec<&str> = merged.lines().collect();
    assert_eq!(lines.len(), 4, "{merged}");
    assert!(lines[2].contains("theirs only"), "{merged}");
    assert_eq!(lines[3], "not json at all");
    assert!(text(&out.stderr).contains("x/timeline.jsonl:4:"), "{}", text(&out.stderr));
}

#[test]
fn sync_without_a_repository_or_remote_says_how_to_start() {
    let env = Env::new();
    env.open("Checkout 502s");
    let out = env.run(&["sync"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stderr), @r#"
        error: the store [TMP]/store is not a git repository yet
        hint: make it one with `incident sync --init REMOTE` (a git URL or path), or set `remote` under [sync] in incident.toml
        "#);
    // A sync that could not start changed nothing in the store.
    assert!(!env.store().join(".git").exists() && !env.store().join(".gitattributes").exists());
}

#[test]
fn incident_toml_naming_a_remote_makes_the_store_a_repository_on_first_sync() {
    let env = Env::new();
    bare_remote(&env, "remote.git");
    let project = env.dir.path().join("project");
    std::fs::create_dir_all(&project).expect("mkdir");
    std::fs::write(project.join("incident.toml"), "store = \"incidents\"\n[sync]\nremote = \"../remote.git\"\n")
        .expect("write");
    let run = |args: &[&str]| {
        let mut cmd = env.std_cmd();
        cmd.env_remove("INCIDENT_STORE").current_dir(&project).args(args);
        hermetic_git(&mut cmd);
        let out = cmd.output().expect("ran");
        assert!(out.status.success(), "incident {args:?} failed:\n{}", text(&out.stderr));
        text(&out.stdout)
    };
    run(&["open", "Checkout 502s", "-s", "sev2", "--no-walk"]);
    let report: Value = serde_json::from_str(&run(&["sync", "--json"])).expect("JSON");
    assert_eq!(report["initialized"], true);
    assert_eq!(report["pushed"], true);
    // The remote now holds the incident.
    let files = git_ok(&env.dir.path().join("remote.git"), &["ls-tree", "-r", "--name-only", "main"]);
    assert!(files.lines().any(|f| f == "2026-11-22-checkout-502s/timeline.jsonl"), "{files}");
    assert!(files.lines().any(|f| f == ".gitattributes") && !files.lines().any(|f| f == "current"), "{files}");
}

#[test]
fn a_remote_that_never_answers_is_given_up_on_after_the_timeout() {
    let env = Env::new();
    let project = env.dir.path().join("project");
    std::fs::create_dir_all(&project).expect("mkdir");
    // An ssh remote whose "ssh" never answers: the transport hangs, as a dead network does.
    std::fs::write(
        project.join("incident.toml"),
        "store = \"incidents\"\n[sync]\nremote = \"ssh://git.example.invalid/incidents.git\"\ntimeout = \"1s\"\n",
    )
    .expect("write");
    let run = |args: &[&str]| {
        let mut cmd = env.std_cmd();
        cmd.env_remove("INCIDENT_STORE").env("GIT_SSH_COMMAND", "sleep 30 #").current_dir(&project).args(args);
        hermetic_git(&mut cmd);
        cmd.output().expect("ran")
    };
    assert!(run(&["open", "Checkout 502s", "-s", "sev2", "--no-walk"]).status.success());
    let started = std::time::Instant::now();
    let out = run(&["sync"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(15), "took {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stderr), @r#"
        The store [TMP]/project/incidents is now a git repository (remote ssh://git.example.invalid/incidents.git).
        Committed 1 new event.
        Not pushed: the commits above are kept in the store and go with the next sync.
        error: git fetch did not finish within 1s and was stopped
        hint: your events are safe: they are committed in the store's repository; run `incident sync` again once the remote is reachable
        "#);
    assert!(
        git_ok(&project.join("incidents"), &["log", "--format=%s"]).contains("recorded 1 event"),
        "the opening was committed before the network was tried"
    );
}

/// What broke: notes from other clones arrive through sync, and printed raw they could clear
/// a teammate's screen or write their clipboard (issue 11).
#[test]
fn escapes_in_a_teammates_synced_note_never_reach_the_other_terminal_raw() {
    let env = Env::new();
    let (ana, bo, _) = two_responders(&env);
    let hostile = "pwn\x1b[2J\x1b]52;c;aGVsbG8=\x07\u{9b}31m\u{202e}gnp.exe";
    bo.ok(&["note", hostile]);
    bo.ok(&["hypothesis", "add", hostile]);
    bo.ok(&["sync"]);
    let acts = |c: char| matches!(c, '\x1b' | '\x07' | '\u{80}'..='\u{9f}' | '\u{202a}'..='\u{202e}');
    for args in [&["sync"][..], &["timeline"], &["show"], &["hypothesis", "list"], &["postmortem"], &["sync", "--json"]]
    {
        let out = ana.run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        for shown in [text(&out.stdout), text(&out.stderr)] {
            assert!(!shown.chars().any(acts), "ana's {args:?} carries escapes: {shown:?}");
        }
    }
    assert!(ana.timeline().contains("pwn\\u001b[2J"), "the note arrived, bytes kept in the record");
}

/// What broke: an unreachable remote was reported with a generic hint blaming the remote, and
/// ssh's own words (here "Connection refused") were dropped, so nobody could tell a closed port
/// from a wrong key.
#[test]
fn a_refused_ssh_remote_is_reported_in_sshs_own_words() {
    if std::process::Command::new("ssh").arg("-V").output().is_err() {
        eprintln!("SKIPPED: no ssh client (openssh-client)");
        return;
    }
    let env = Env::new();
    let project = env.dir.path().join("project");
    std::fs::create_dir_all(&project).expect("mkdir");
    // A loopback port nothing listens on: taken free, then released, so ssh is refused at once.
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    std::fs::write(
        project.join("incident.toml"),
        format!(
            "store = \"incidents\"\n[sync]\nremote = \"ssh://127.0.0.1:{port}/incidents.git\"\ntimeout = \"10s\"\n"
        ),
    )
    .expect("write");
    let run = |args: &[&str]| {
        let mut cmd = env.std_cmd();
        cmd.env_remove("INCIDENT_STORE")
            .env("GIT_SSH_COMMAND", "ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null")
            .current_dir(&project)
            .args(args);
        hermetic_git(&mut cmd);
        cmd.output().expect("ran")
    };
    assert!(run(&["open", "Checkout 502s", "-s", "sev2", "--no-walk"]).status.success());
    let out = run(&["sync"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains(&format!("ssh: connect to host 127.0.0.1 port {port}: Connection refused")), "{stderr}");
    assert!(stderr.contains("your events are safe"), "{stderr}");
}
