//! `incident followup export`: follow-ups out to GitHub and GitLab through their CLIs, to Jira
//! as a CSV file, and as JSON.
//!
//! The real `gh` and `glab` need an account and the network, so stand-ins on PATH play them:
//! each keeps its argv (one file per run, NUL-separated words) and prints an issue URL the way
//! the real one does; given a title starting `Flaky`, it fails in the tool's own words; given
//! one starting `Slow`, it hangs.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use crate::harness::snapshot::snapshot;
use crate::harness::{Env, text};

/// Writes the stand-in `program` (`gh` or `glab`) into `bin/`; returns that folder.
fn stand_in(env: &Env, program: &str) -> PathBuf {
    let print_url = match program {
        "gh" => r#"echo "https://github.com/acme/shop/issues/$n""#,
        _ => {
            r#"printf 'Creating issue in acme/shop\n#%s Title (just now)\n https://gitlab.example/acme/shop/-/issues/%s\n' "$n" "$n""#
        }
    };
    let script = format!(
        r#"#!/bin/sh
calls={calls}
mkdir -p "$calls"
n=$(( $(ls "$calls" | wc -l) + 1 ))
for word in "${{0##*/}}" "$@"; do printf '%s\0' "$word"; done > "$calls/$n"
case "$3" in
  --title=Flaky*) echo "GraphQL: Could not resolve to a Repository with the name 'acme/nope'. (repository)" >&2; exit 1 ;;
  --title=Slow*) sleep 30 ;;
esac
{print_url}
"#,
        calls = env.path().join("calls").display(),
    );
    let path = env.write(&format!("bin/{program}"), script);
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
    env.path().join("bin")
}

/// Every run of a stand-in so far, in order: its argv (the program's name first).
fn calls(env: &Env) -> Vec<Vec<String>> {
    let dir = env.path().join("calls");
    let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
    let mut numbered: Vec<(u32, PathBuf)> =
        entries.flatten().map(|e| (e.file_name().to_string_lossy().parse().expect("a run number"), e.path())).collect();
    numbered.sort();
    numbered
        .into_iter()
        .map(|(_, path)| {
            let bytes = std::fs::read(&path).expect("read a run's argv");
            bytes
                .split(|b| *b == 0)
                .filter(|w| !w.is_empty())
                .map(|w| String::from_utf8_lossy(w).into_owned())
                .collect()
        })
        .collect()
}

/// `incident ARGS...` with `bin` first on PATH (and `extra` environment).
fn run_with(env: &Env, bin: &Path, args: &[&str], extra: &[(&str, &str)]) -> Output {
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut cmd = env.cmd();
    cmd.env("PATH", path).args(args);
    for (name, value) in extra {
        cmd.env(name, value);
    }
    cmd.output().expect("ran")
}

fn add(env: &Env, text: &str, extra: &[&str]) {
    let mut args = vec!["followup", "add", "--owner", "ana"];
    args.extend_from_slice(extra);
    args.extend(["--", text]);
    env.ok(&args);
}

fn linked(env: &Env) -> Vec<Value> {
    env.events().into_iter().filter(|e| e["kind"] == "followup.linked").collect()
}

#[test]
fn a_followup_titled_like_an_option_is_the_title_and_never_an_option_of_gh_or_glab() {
    let env = Env::new();
    env.open_incident();
    add(&env, "--repo=evil/x", &[]);
    add(&env, "-R x", &[]);
    let bin = stand_in(&env, "gh");
    stand_in(&env, "glab");
    for to in ["github", "gitlab"] {
        let out = run_with(&env, &bin, &["followup", "export", "--to", to, "--repo", "acme/shop"], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let calls = calls(&env);
    assert_eq!(calls.len(), 4, "{calls:?}");
    for argv in &calls {
        // A program reads `--title=VALUE` as one option with its value, whatever VALUE holds.
        let repos: Vec<&String> = argv.iter().filter(|w| w.starts_with("--repo") || w.starts_with("-R")).collect();
        assert_eq!(repos, ["--repo=acme/shop"], "{argv:?}");
        assert!(argv[3] == "--title=--repo=evil/x" || argv[3] == "--title=-R x", "{argv:?}");
        assert!(argv[4..].iter().all(|w| w.starts_with("--")), "a word that is not an option: {argv:?}");
    }
    snapshot!(&env, calls[0].join("\n|"), @r"
    gh
    |issue
    |create
    |--title=--repo=evil/x
    |--body=--repo=evil/x

    - Owner: ana
    - Incident: 2026-11-22-checkout-returns-502s: Checkout returns 502s
    - Follow-up: F1 ~[HANDLE]

    |--repo=acme/shop
    ");
    assert_eq!(calls[2][..3], ["glab", "issue", "create"]);
    assert!(calls[2].contains(&"--yes".to_string()), "glab must not ask: {:?}", calls[2]);
}

#[test]
fn exporting_twice_creates_one_issue_per_followup_and_records_its_link() {
    let env = Env::new();
    env.open_incident();
    add(&env, "Alert on the 502 rate", &["--priority", "p1"]);
    add(&env, "Runbook for the pool", &[]);
    let bin = stand_in(&env, "gh");
    stand_in(&env, "glab");
    let first = run_with(&env, &bin, &["followup", "export", "--to", "github", "--repo", "acme/shop"], &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let second = run_with(&env, &bin, &["followup", "export", "--to", "github", "--repo", "acme/shop"], &[]);
    assert!(second.status.success(), "{}", text(&second.stderr));

    assert_eq!(calls(&env).len(), 2, "the second export created issues again");
    snapshot!(&env, text(&second.stdout), @r"
    F1 ~[HANDLE] already linked https://github.com/acme/shop/issues/1 (skipped)
    F2 ~[HANDLE] already linked https://github.com/acme/shop/issues/2 (skipped)
    ");
    let links = linked(&env);
    assert_eq!(links.len(), 2);
    let followups: Vec<Value> = serde_json::from_str(&env.ok(&["followup", "list", "--json"])).expect("JSON");
    for (link, followup) in links.iter().zip(&followups) {
        assert_eq!(link["about"], followup["event"], "the link names its follow-up by event id");
        assert_eq!(link["url"], followup["tracker"]);
    }
    assert_eq!(followups[0]["tracker"], "https://github.com/acme/shop/issues/1");

    // A GitHub link is not a GitLab issue: exporting there creates one each, once.
    for _ in 0..2 {
        let out = run_with(&env, &bin, &["followup", "export", "--to", "gitlab"], &[]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    assert_eq!(calls(&env).len(), 4);
    assert_eq!(linked(&env)[2]["url"], "https://gitlab.example/acme/shop/-/issues/3");
    // ...and GitHub still sees its own link behind the newer GitLab one.
    run_with(&env, &bin, &["followup", "export", "--to", "github"], &[]);
    assert_eq!(calls(&env).len(), 4);
}

#[test]
fn a_failing_gh_is_reported_in_its_own_words_and_the_rest_are_still_exported() {
    let env = Env::new();
    env.open_incident();
    add(&env, "Alert on the 502 rate", &[]);
    add(&env, "Flaky test of the pool", &[]);
    add(&env, "Runbook for the pool", &[]);
    let bin = stand_in(&env, "gh");
    let out = run_with(&env, &bin, &["followup", "export", "--to", "github"], &[]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stderr), @r"
    error: F2 ~[HANDLE] was not exported: `gh issue create` exited with 1: GraphQL: Could not resolve to a Repository with the name 'acme/nope'. (repository)
    2 GitHub issue(s) created and linked; 0 follow-up(s) already linked, skipped.
    error: 1 of 3 follow-ups were not exported to GitHub: F2 ~[HANDLE]
    hint: the others are linked and will be skipped: fix the cause and run the same command again
    ");
    let urls: Vec<Value> = linked(&env).iter().map(|e| e["followup"].clone()).collect();
    assert_eq!(urls, ["F1", "F3"]);

    // Run again: only the one that failed is tried.
    let again = run_with(&env, &bin, &["followup", "export", "--to", "github"], &[]);
    assert_eq!(again.status.code(), Some(1));
    let titles: Vec<String> = calls(&env).iter().map(|argv| argv[3].clone()).collect();
    assert_eq!(titles[3..], ["--title=Flaky test of the pool"]);
}

#[test]
fn a_hanging_gh_is_ended_at_the_timeout_and_named() {
    let env = Env::new();
    env.open_incident();
    add(&env, "Slow tracker", &[]);
    let bin = stand_in(&env, "gh");
    let started = std::time::Instant::now();
    let out = run_with(&env, &bin, &["followup", "export", "--to", "github", "--timeout", "1s"], &[]);
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "took {:?}", started.elapsed());
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("F1") && err.contains("`gh issue create` did not finish within 1s"), "{err}");
    assert!(linked(&env).is_empty());
}

#[test]
fn a_missing_gh_is_an_error_that_says_how_to_install_it() {
    let env = Env::new();
    env.open_incident();
    add(&env, "Alert on the 502 rate", &[]);
    let empty = env.path().join("empty-bin");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let out = env.cmd().env("PATH", &empty).args(["followup", "export", "--to", "github"]).output().expect("ran");
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stderr), @r"
    error: gh is not on PATH: cannot export follow-ups to GitHub
    hint: install GitHub's CLI (Debian: `apt-get install gh`; others: https://cli.github.com) and log in with `gh auth login`
    ");
}

#[test]
fn dry_run_shows_the_command_and_creates_and_records_nothing() {
    let env = Env::new();
    env.open_incident();
    add(&env, "Alert on the 502 rate", &["--due", "2026-12-01"]);
    let bin = stand_in(&env, "glab");
    let before = env.events().len();
    let out = run_with(&env, &bin, &["followup", "export", "--to", "gitlab", "--label", "incident", "--dry-run"], &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(calls(&env).is_empty());
    assert_eq!(env.events().len(), before);
    snapshot!(&env, text(&out.stdout), @r"
    F1 ~[HANDLE] would run: glab issue create '--title=Alert on the 502 rate' '--description=Alert on the 502 rate

    - Owner: ana
    - Due: 2026-12-01
    - Incident: 2026-11-22-checkout-returns-502s: Checkout returns 502s
    - Follow-up: F1 ~[HANDLE]
    ' --yes --due-date=2026-12-01 --label=incident
    ");
}

#[test]
fn a_secret_in_the_environment_never_reaches_the_tracker() {
    let env = Env::new();
    env.open_incident();
    add(&env, "Rotate hunter2-pool-password after the leak", &[]);
    let bin = stand_in(&env, "gh");
    let out =
        run_with(&env, &bin, &["followup", "export", "--to", "github"], &[("DB_PASSWORD", "hunter2-pool-password")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let argv = calls(&env).concat().join(" ");
    assert!(!argv.contains("hunter2-pool-password"), "{argv}");
    assert!(argv.contains("--title=Rotate **** after the leak"), "{argv}");
}

#[test]
fn the_jira_csv_parses_back_whole_with_commas_quotes_and_line_breaks() {
    let env = Env::new();
    env.open_incident();
    let tricky = "Alert on \"502s\", not 5xx\nsecond line, with a comma";
    add(&env, tricky, &["--due", "2026-12-01", "--priority", "p0", "--type", "detect"]);
    add(&env, "Runbook, for the pool", &[]);
    env.ok(&["followup", "export", "--to", "jira-csv", "-o", "jira.csv", "--label", "on call"]);

    let mut reader = csv::Reader::from_path(env.path().join("jira.csv")).expect("open the CSV");
    let header: Vec<String> = reader.headers().expect("a header").iter().map(String::from).collect();
    assert_eq!(header, ["Summary", "Description", "Assignee", "Due date", "Priority", "Labels", "Labels", "Labels"]);
    let rows: Vec<Vec<String>> =
        reader.records().map(|r| r.expect("a well-formed row").iter().map(String::from).collect()).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0], "Alert on \"502s\", not 5xx");
    assert!(rows[0][1].starts_with(&format!("{tricky}\n\n- Owner: ana\n")), "{:?}", rows[0][1]);
    assert_eq!(rows[0][2..], ["ana", "2026-12-01", "Highest", "detect", "2026-11-22-checkout-returns-502s", "on-call"]);
    assert_eq!(rows[1][0], "Runbook, for the pool");
    assert_eq!(rows[1][3..], ["", "", "2026-11-22-checkout-returns-502s", "on-call", ""]);
}

#[test]
fn json_lists_the_chosen_followups_with_their_links() {
    let env = Env::new();
    env.open_incident();
    add(&env, "Alert on the 502 rate", &["--tracker", "https://github.com/acme/shop/issues/9"]);
    add(&env, "Runbook for the pool", &[]);
    env.ok(&["followup", "done", "F2"]);
    let all: Value = serde_json::from_str(&env.ok(&["followup", "export", "--to", "json", "--all"])).expect("JSON");
    assert_eq!(all["incident"]["id"], "2026-11-22-checkout-returns-502s");
    assert_eq!(all["followups"].as_array().map(Vec::len), Some(2));
    let open: Value = serde_json::from_str(&env.ok(&["followup", "export", "--to", "json"])).expect("JSON");
    assert_eq!(open["followups"][0]["links"][0], "https://github.com/acme/shop/issues/9");
    assert_eq!(open["followups"].as_array().map(Vec::len), Some(1), "a done follow-up is left out without --all");
}

#[test]
fn flags_for_another_kind_of_export_are_refused_by_name() {
    let env = Env::new();
    env.open_incident();
    let err = env.fails(&["followup", "export", "--to", "json", "--repo", "acme/shop"]);
    assert!(err.contains("--repo is for --to github or gitlab, not --to json"), "{err}");
    let err = env.fails(&["followup", "export", "--to", "github", "-o", "x.csv"]);
    assert!(err.contains("-o/--output is for --to jira-csv"), "{err}");
    let err = env.fails(&["followup", "export", "--to", "github", "--repo=--evil"]);
    assert!(err.contains("--repo: \"--evil\" is not a repository"), "{err}");
    let err = env.fails(&["followup", "export", "--to", "github", "--label", "a,b"]);
    assert!(err.contains("--label: \"a,b\" is not a label"), "{err}");
}

#[test]
fn json_lines_say_what_became_of_each_followup() {
    let env = Env::new();
    env.open_incident();
    add(&env, "Alert on the 502 rate", &[]);
    let bin = stand_in(&env, "gh");
    run_with(&env, &bin, &["followup", "export", "--to", "github"], &[]);
    let out = run_with(&env, &bin, &["--json", "followup", "export", "--to", "github"], &[]);
    let line: Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    assert_eq!(line["result"], "already-linked");
    assert_eq!(line["url"], "https://github.com/acme/shop/issues/1");
    assert_eq!(line["followup"], "F1");
}

#[test]
fn assign_gives_the_issue_to_an_owner_that_is_a_login_and_refuses_one_that_is_not() {
    let env = Env::new();
    env.open_incident();
    add(&env, "Alert on the 502 rate", &[]);
    env.ok(&["followup", "add", "Runbook for the pool", "--owner", "Ana Lopez"]);
    let bin = stand_in(&env, "gh");
    let out = run_with(&env, &bin, &["followup", "export", "--to", "github", "--assign"], &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("F2 ~") && err.contains("its owner \"Ana Lopez\" is not a GitHub login"), "{err}");
    let calls = calls(&env);
    assert_eq!(calls.len(), 1);
    assert!(calls[0].contains(&"--assignee=ana".to_string()), "{:?}", calls[0]);
}
