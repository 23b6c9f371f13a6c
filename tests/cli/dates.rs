//! Dates that cannot mislead: a time typed without a date is refused when it would land far
//! back, every confirmation shows the date unless it is today, and a time typed without a zone
//! says which zone it was read in. Time is pinned (INCIDENT_NOW 2026-11-22T14:05:00Z) and so is
//! the zone: CET-1 (UTC+01:00, no tzdata needed), so it is 15:05 local.

use std::process::Output;

use crate::harness::{Env, text};

const ZONE: &str = "CET-1";

fn run_in_zone(env: &Env, args: &[&str]) -> Output {
    env.cmd().env("TZ", ZONE).args(args).output().expect("ran")
}

/// What could mislead: `--at 20:00` typed at 15:05 was silently read as yesterday evening.
#[test]
fn a_bare_time_that_would_land_more_than_twelve_hours_back_is_refused_with_both_readings() {
    let env = Env::new();
    env.open("Checkout 502s");
    let log = env.write("app.log", "2026-11-22T14:00:00Z ERROR x\n");
    for args in
        [&["--at", "20:00", "note", "x"][..], &["grep", "--since", "20:00", "ERROR", log.to_str().unwrap_or_default()]]
    {
        let out = run_in_zone(&env, args);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("\"20:00\" would be yesterday, 2026-11-21 20:00 (19h 5m ago)"), "{stderr}");
        assert!(
            stderr.contains("today's 20:00 is 4h 55m from now") && stderr.contains("`yesterday 20:00`"),
            "{stderr}"
        );
    }
    assert!(!text(&env.run(&["timeline"]).stdout).contains("note"), "nothing was recorded");
}

#[test]
fn yesterday_is_read_in_the_local_zone_said_so_and_confirmed_with_its_date() {
    let env = Env::new();
    env.open("Checkout 502s");
    let out = run_in_zone(&env, &["--at", "yesterday 20:00", "note", "deploy started"]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--at yesterday 20:00: read in the local time zone (CET-1, UTC+01:00) as 2026-11-21 20:00, which is 2026-11-21 19:00:00 UTC"),
        "{stderr}"
    );
    assert!(stderr.contains("Recorded at 2026-11-21 19:00:00 UTC"), "the date is shown: {stderr}");
    assert!(text(&env.run(&["timeline"]).stdout).contains("2026-11-21 19:00:00"), "and in the timeline");
}

#[test]
fn today_and_zoned_or_relative_times_are_confirmed_without_a_date_or_a_zone_note() {
    let env = Env::new();
    env.open("Checkout 502s");
    let out = run_in_zone(&env, &["--at", "14:00", "note", "a"]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("read in the local time zone (CET-1, UTC+01:00) as 2026-11-22 14:00"), "{stderr}");
    assert!(stderr.contains("Recorded at 13:00:00 UTC"), "today's time without its date: {stderr}");
    for at in ["2h ago", "2026-11-22T12:00:00Z", "2026-11-22 13:05"] {
        let out = run_in_zone(&env, &["--at", at, "note", "b"]);
        let stderr = text(&out.stderr);
        assert!(out.status.success() && stderr.contains("Recorded at 12:0"), "{at}: {stderr}");
        assert_eq!(stderr.contains("read in the local time zone"), at == "2026-11-22 13:05", "{at}: {stderr}");
    }
}
