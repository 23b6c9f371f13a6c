//! The recorded lifecycle: opening, moving through the loop, and what `show` folds it into.

use serde_json::Value;

use crate::harness::snapshot::snapshot;
use crate::harness::{Env, text};

#[test]
fn open_off_a_terminal_without_a_title_or_severity_fails_naming_what_is_missing() {
    let env = Env::new();
    let out = env.run(&["open"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot!(&env, text(&out.stderr), @r#"
        error (usage): missing the incident's TITLE
        hint: for example: incident open "Checkout returns 502s" -s sev2
        "#);
    let out = env.run(&["open", "Checkout 502s"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot!(&env, text(&out.stderr), @r#"
        error (usage): missing --severity (-s sev1..sev4)
        hint: for example: incident open "Checkout 502s" -s sev2
        "#);
    assert!(!env.store().exists(), "a failed open creates nothing");
}

#[test]
fn open_prints_a_readable_id_and_makes_it_current() {
    let env = Env::new();
    assert_eq!(env.open("Checkout returns 502s!"), "2026-11-22-checkout-returns-502s");
    // The same title again gets a suffix, and becomes current.
    let out = env.ok(&["open", "Checkout returns 502s!", "-s", "sev1", "--json"]);
    let json: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(json["id"], "2026-11-22-checkout-returns-502s-2");
    assert_eq!(env.show()["severity"], "sev1");
    env.ok(&["use", "2026-11-22-checkout-returns-502s"]);
    assert_eq!(env.show()["severity"], "sev2");
}

#[test]
fn the_whole_loop_folds_into_show_json() {
    let env = Env::new();
    env.ok(&[
        "--at",
        "13:40",
        "open",
        "Checkout 502s",
        "-s",
        "sev2",
        "--service",
        "checkout",
        "--commander",
        "ana",
        "--impact-start",
        "13:30",
    ]);
    env.ok(&["observe", "5xx at 40% on /pay"]);
    env.ok(&["note", "pager fired at 14:01", "--phase", "observe"]);
    assert_eq!(env.ok(&["hypothesis", "add", "The 13:58 deploy broke payments"]).trim(), "H1");
    assert_eq!(env.ok(&["hypothesis", "add", "Primary DB lost", "--from", "db_port"]).trim(), "H2");
    env.ok(&["hypothesis", "refute", "H2", "--evidence", "db_port check ok"]);
    env.ok(&["decide", "Roll back", "--hypothesis", "h1"]);
    env.ok(&["act", "kubectl rollout undo", "--hypothesis", "H1"]);
    env.ok(&["hypothesis", "confirm", "H1", "--evidence", "errors stopped after rollback"]);
    env.ok(&["severity", "sev1", "--note", "payments down"]);
    env.ok(&["role", "comms", "bo"]);
    env.ok(&["impact", "--end", "14:00", "--users", "1200", "--summary", "checkout failed", "failed_orders=300"]);
    env.ok(&["--at", "14:01", "status", "mitigated"]);
    assert_eq!(
        env.ok(&["followup", "add", "Canary deploys", "--owner", "bo", "--priority", "P1", "--due", "2026-12-01"])
            .trim(),
        "F1"
    );
    env.ok(&["followup", "done", "F1"]);
    env.ok(&["resolve", "--summary", "Rolled back the 13:58 deploy"]);

    let show = env.show();
    assert_eq!(show["id"], "2026-11-22-checkout-502s");
    assert_eq!(show["title"], "Checkout 502s");
    assert_eq!(show["severity"], "sev1");
    assert_eq!(show["status"], "resolved");
    assert_eq!(show["roles"]["commander"]["name"], "ana");
    assert_eq!(show["roles"]["comms"]["name"], "bo");
    assert_eq!(show["impact"]["users"], 1200);
    assert_eq!(show["impact"]["details"]["failed_orders"], "300");
    assert_eq!(show["hypotheses"][0]["state"], "confirmed");
    assert_eq!(show["hypotheses"][0]["evidence"][0]["text"], "errors stopped after rollback");
    assert_eq!(show["hypotheses"][1]["state"], "refuted");
    assert_eq!(show["hypotheses"][1]["from_check"], "db_port");
    assert_eq!(show["followups"][0]["done"], true);
    assert_eq!(show["clocks"]["opened"], "2026-11-22T13:40:00.000Z");
    assert_eq!(show["clocks"]["impact_start"], "2026-11-22T13:30:00.000Z");
    assert_eq!(show["clocks"]["detected"], "2026-11-22T13:40:00.000Z");
    // The earliest responder event at or after detection: the status change back-dated to 14:01.
    assert_eq!(show["clocks"]["acknowledged"], "2026-11-22T14:01:00.000Z");
    assert_eq!(show["clocks"]["impact_end"], "2026-11-22T14:00:00.000Z");
    assert_eq!(show["clocks"]["mitigated"], "2026-11-22T14:01:00.000Z");
    assert_eq!(show["clocks"]["resolved"], "2026-11-22T14:05:00.000Z");
    assert_eq!(show["summary"], "Rolled back the 13:58 deploy");

    // Every event carries its author, kind and phase.
    let events = env.events();
    let mitigated = events.iter().find(|e| e["kind"] == "status.changed").expect("status event");
    assert_eq!(mitigated["ts"], "2026-11-22T14:01:00.000Z");
    assert_eq!(mitigated["recorded"], "2026-11-22T14:05:00.000Z", "--at keeps when it was recorded");
    let phases: Vec<&str> = events.iter().filter_map(|e| e["phase"].as_str()).collect();
    assert_eq!(phases, ["observe", "observe", "orient", "orient", "act", "decide", "act", "act"]);
    assert!(events.iter().all(|e| e["author"] == "ana"));
}

#[test]
fn unknown_item_ids_fail_with_the_known_ones() {
    let env = Env::new();
    env.open("Unknown ids");
    env.ok(&["hypothesis", "add", "a"]);
    env.ok(&["hypothesis", "add", "b"]);
    let out = env.run(&["hypothesis", "confirm", "H7", "--evidence", "x"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stderr), @r#"
        error: no hypothesis H7 in 2026-11-22-unknown-ids
        hint: known hypotheses: H1, H2
        "#);
    let out = env.run(&["followup", "done", "F3"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stderr), @r#"
        error: no follow-up F3 in 2026-11-22-unknown-ids
        hint: this incident has no follow-ups yet: add one with `incident followup add TEXT --owner NAME`
        "#);
    let out = env.run(&["-i", "2025-nope", "show"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stderr), @r#"
        error: no incident 2025-nope in [TMP]/store
        hint: known incidents: 2026-11-22-unknown-ids
        "#);
}

#[test]
fn incidents_are_found_by_unambiguous_prefix_only() {
    let env = Env::new();
    env.open("Disk full on db-1");
    env.open("Disk full on db-2");
    assert_eq!(env.ok(&["use", "2026-11-22-disk-full-on-db-1"]).trim(), "2026-11-22-disk-full-on-db-1");
    assert_eq!(env.ok(&["use", "2026-11-22-disk-full-on-db-2"]).trim(), "2026-11-22-disk-full-on-db-2");
    assert_eq!(env.ok(&["use", "2026-11-22-disk-full-on-db-1"]).trim(), "2026-11-22-disk-full-on-db-1");
    let out = env.run(&["use", "2026-11-22-disk"]);
    assert_eq!(out.status.code(), Some(2));
    snapshot!(&env, text(&out.stderr), @r#"
        error (usage): 2026-11-22-disk matches 2 incidents
        hint: say which: 2026-11-22-disk-full-on-db-1, 2026-11-22-disk-full-on-db-2
        "#);
    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"])).expect("JSON");
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    assert_eq!(
        list.as_array().and_then(|l| l.iter().find(|i| i["current"] == true)).map(|i| i["id"].clone()),
        Some("2026-11-22-disk-full-on-db-1".into())
    );
    env.ok(&["resolve"]);
    let open: Value = serde_json::from_str(&env.ok(&["list", "--json"])).expect("JSON");
    assert_eq!(open.as_array().map(Vec::len), Some(1), "resolved incidents are listed only with --all");
    let all: Value = serde_json::from_str(&env.ok(&["list", "--all", "--json"])).expect("JSON");
    assert_eq!(all.as_array().map(Vec::len), Some(2));
}

#[test]
fn timeline_prints_a_table_in_time_order_and_filters() {
    let env = Env::new();
    env.open("Table");
    env.ok(&["observe", "later one"]);
    env.ok(&["--at", "-10m", "observe", "earlier one"]);
    env.ok(&["hypothesis", "add", "cause"]);
    // Back-dated events take their place in time, with a negative T+.
    snapshot!(&env, env.ok(&["timeline"]), @r#"
         Time (UTC)            T+          Phase     Author   What
        ───────────────────── ─────────── ───────── ──────── ─[…]
         2026-11-22 13:55:00   -00:10:00   observe   ana      Observed: earlier one
         2026-11-22 14:05:00   +00:00:00             ana      Incident opened (sev2): Table [services: checkout]
         2026-11-22 14:05:00   +00:00:00   observe   ana      Observed: later one
         2026-11-22 14:05:00   +00:00:00   orient    ana      H1 raised: cause
        "#);

    let only: Vec<Value> = env
        .ok(&["timeline", "--json", "--kind", "hypothesis"])
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["kind"], "hypothesis.added");
    let observe = env.ok(&["timeline", "--phase", "observe"]);
    assert!(observe.contains("later one") && !observe.contains("cause"));
}

#[test]
fn bad_times_and_values_are_usage_errors_naming_the_flag() {
    let env = Env::new();
    env.open("Bad input");
    let cases: &[(&[&str], &str)] = &[
        (&["--at", "tomorrow", "observe", "x"], "--at"),
        (&["--at", "2026-11-23T00:00:00Z", "observe", "x"], "in the future"),
        (&["impact", "--start", "whenever"], "--start"),
        (&["impact"], "nothing to record"),
        (&["followup", "add", "x", "--owner", "bo", "--due", "next week"], "--due"),
        (&["severity", "sev9"], "sev1, sev2, sev3, sev4"),
        (&["observe", "  "], "empty"),
        (&["run", "--timeout", "soon", "--", "true"], "--timeout"),
    ];
    let mut errors = String::new();
    for (args, expected) in cases {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(expected), "{args:?}: {}", text(&out.stderr));
        errors.push_str(&format!("{args:?}\n{}", text(&out.stderr)));
    }
    let out = env.cmd_at("noon").args(["show"]).output().expect("ran");
    assert_eq!(out.status.code(), Some(2));
    errors.push_str(&format!("INCIDENT_NOW=noon [\"show\"]\n{}", text(&out.stderr)));
    snapshot!(&env, errors, @r#"
        ["--at", "tomorrow", "observe", "x"]
        error (usage): --at: "tomorrow" is not a time (expected 14:05, yesterday 14:05, 2026-11-22 14:05, 2026-11-22T14:05:00Z, 10m ago or -10m)
        ["--at", "2026-11-23T00:00:00Z", "observe", "x"]
        error (usage): --at 2026-11-23T00:00:00Z is in the future (2026-11-23T00:00:00.000Z)
        hint: --at says when something already happened; use a past time such as -10m or 14:05
        ["impact", "--start", "whenever"]
        error (usage): --start: "whenever" is not a time (expected 14:05, yesterday 14:05, 2026-11-22 14:05, 2026-11-22T14:05:00Z, 10m ago or -10m)
        ["impact"]
        error (usage): nothing to record
        hint: give at least one of --start, --end, --detected-at, --users, --summary, KEY=VALUE, --data-loss, --recovery-point, --rpo or --rto
        ["followup", "add", "x", "--owner", "bo", "--due", "next week"]
        error (usage): --due: "next week" is not a date
        hint: use YYYY-MM-DD, e.g. --due 2026-12-01
        ["severity", "sev9"]
        error: invalid value 'sev9' for '<SEVERITY>': "sev9" is not a severity: use one of sev1, sev2, sev3, sev4

        For more information, try '--help'.
        ["observe", "  "]
        error (usage): the observation is empty
        hint: say it in a few words; quote it if it has spaces
        ["run", "--timeout", "soon", "--", "true"]
        error (usage): --timeout: "soon" is not a duration (expected e.g. 250ms, 5s, 2m, 1h, 14d)
        INCIDENT_NOW=noon ["show"]
        error (usage): INCIDENT_NOW="noon" is not an RFC 3339 time: premature end of input
        hint: for example INCIDENT_NOW=2026-11-22T14:05:00Z
        "#);

    assert_eq!(env.events().len(), 1, "nothing was recorded by the failures");
}

#[test]
fn no_current_incident_says_how_to_get_one() {
    let env = Env::new();
    let out = env.run(&["observe", "x"]);
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stderr), @r#"
        error: no current incident in [TMP]/store
        hint: open one with `incident open TITLE -s sev2`, or pick one with `incident use ID` or `-i ID` (see `incident list`)
        "#);
}

#[test]
fn the_store_comes_from_the_nearest_incident_toml() {
    let env = Env::new();
    let project = env.dir.path().join("project");
    std::fs::create_dir_all(project.join("deep/er")).expect("dirs");
    std::fs::write(project.join("incident.toml"), "store = \"ops/incidents\"\n").expect("toml");
    let out = env
        .cmd()
        .env_remove("INCIDENT_STORE")
        .current_dir(project.join("deep/er"))
        .args(["open", "Toml", "-s", "sev3"])
        .output()
        .expect("ran");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(project.join("ops/incidents/2026-11-22-toml/timeline.jsonl").is_file());

    std::fs::write(project.join("incident.toml"), "store = [\n").expect("toml");
    let out = env.cmd().env_remove("INCIDENT_STORE").current_dir(&project).args(["list"]).output().expect("ran");
    assert_eq!(out.status.code(), Some(1));
    snapshot!(&env, text(&out.stderr), @r#"error: [TMP]/project/incident.toml:1:10: unclosed array, expected `]`"#);
}

#[test]
fn completions_and_man_page_are_generated() {
    let env = Env::new();
    assert!(env.ok(&["completions", "bash"]).contains("hypothesis"));
    assert!(env.ok(&["completions", "zsh"]).contains("#compdef incident"));
    assert!(env.ok(&["man"]).contains(".TH incident"));
}

#[test]
fn a_closed_stdout_ends_quietly() {
    let env = Env::new();
    env.open("Pipe");
    for n in 0..200 {
        env.ok(&["note", &format!("n{n}")]);
    }
    let mut child = env
        .std_cmd()
        .args(["timeline"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("finished");
    assert!(!text(&out.stderr).contains("error"), "{}", text(&out.stderr));
    assert!(out.status.success());
}

#[test]
fn a_hypothesis_can_be_reconsidered_and_the_latest_verdict_stands() {
    let env = Env::new();
    env.open("Reconsidered");
    env.ok(&["hypothesis", "add", "cache stampede"]);
    env.ok(&["hypothesis", "refute", "H1", "--evidence", "hit rate normal"]);
    let out = env.run(&["hypothesis", "confirm", "H1", "--evidence", "hit rate was sampled wrong"]);
    assert!(out.status.success());
    assert!(text(&out.stderr).contains("H1 was already refuted"), "{}", text(&out.stderr));
    let show = env.show();
    assert_eq!(show["hypotheses"][0]["state"], "confirmed");
    assert_eq!(show["hypotheses"][0]["evidence"].as_array().map(Vec::len), Some(2));
}
