//! Several responders on one incident: references that survive other clones' numbers, over
//! real git (a bare repository on disk as the remote) and the real binary.

use serde_json::Value;

use crate::harness::{Env, read, text};
use crate::sync::{INCIDENT, Responder, two_responders};

/// `(number, handle, text, state)` of each hypothesis, as `hypothesis list --json` gives them.
fn hypotheses(who: &Responder<'_>) -> Vec<(String, String, String, String)> {
    let list: Value = serde_json::from_str(&who.ok(&["hypothesis", "list", "--json"])).expect("JSON");
    let field = |h: &Value, k: &str| h[k].as_str().unwrap_or("").to_string();
    list.as_array()
        .expect("a list")
        .iter()
        .map(|h| (field(h, "id"), field(h, "handle"), field(h, "text"), field(h, "state")))
        .collect()
}

// What broke: B raised a hypothesis offline, A raised one and synced, C confirmed "H1" meaning
// A's; when B synced, A's was renumbered H2 and C's verdict counted for B's hypothesis.
#[test]
fn a_verdict_stays_on_the_hypothesis_its_responder_saw_when_numbers_move() {
    let env = Env::new();
    let (ana, bo, remote) = two_responders(&env);
    let cy = Responder { env: &env, name: "cy" };
    cy.ok(&["sync", "--init", remote.to_str().expect("UTF-8")]);
    cy.ok(&["use", INCIDENT]);

    // Bo first, offline: his is the earlier one, so it will be H1 once everyone has both.
    let bo_says = bo.ok(&["hypothesis", "add", "bo: the database"]);
    let ana_says = ana.ok(&["hypothesis", "add", "ana: the 13:58 deploy"]);
    assert!(bo_says.starts_with("H1 ~") && ana_says.starts_with("H1 ~"), "{bo_says} {ana_says}");
    ana.ok(&["sync"]);
    cy.ok(&["sync"]);
    // Cy sees only Ana's, as H1, and confirms it by that number.
    assert_eq!(hypotheses(&cy).len(), 1);
    cy.ok(&["hypothesis", "confirm", "H1", "--evidence", "errors began at the deploy"]);
    cy.ok(&["sync"]);
    bo.ok(&["sync"]);
    ana.ok(&["sync"]);
    cy.ok(&["sync"]);

    let ana_handle = ana_says.split_whitespace().nth(1).expect("a handle").to_string();
    for who in [&ana, &bo, &cy] {
        let rows = hypotheses(who);
        let states: Vec<(&str, &str)> = rows.iter().map(|(_, _, t, s)| (t.as_str(), s.as_str())).collect();
        assert_eq!(states, [("bo: the database", "open"), ("ana: the 13:58 deploy", "confirmed")], "{}", who.name);
        // The number moved; the handle Ana was given did not.
        assert_eq!((rows[1].0.as_str(), rows[1].1.as_str()), ("H2", ana_handle.as_str()), "{}", who.name);
    }
    // The handle is accepted wherever a number is, and means the same everywhere.
    bo.ok(&["hypothesis", "refute", &ana_handle, "--evidence", "the deploy was config only"]);
    assert_eq!(hypotheses(&bo)[1].3, "refuted");
    assert_eq!(hypotheses(&bo)[0].3, "open");
    // No amendment was needed: nothing was renumbered in the file.
    assert!(!ana.timeline().contains("event.amended"));
}

#[test]
fn an_item_named_as_printed_by_number_and_handle_is_found_by_its_handle() {
    let env = Env::new();
    env.open("Checkout 502s");
    let first = env.ok(&["hypothesis", "add", "the deploy"]);
    let second = env.ok(&["hypothesis", "add", "the database"]);
    // `H1 ~xxxx` as printed, even with a number that no longer matches: the handle decides.
    let handle = second.split_whitespace().nth(1).expect("a handle");
    env.ok(&["hypothesis", "confirm", &format!("H1 {handle}"), "--evidence", "slow queries"]);
    let show = env.show();
    assert_eq!(show["hypotheses"][1]["state"], "confirmed", "{first} {second}");
    assert_eq!(show["hypotheses"][0]["state"], "open");

    let followup = env.ok(&["followup", "add", "add an alert", "--owner", "ana"]);
    let handle = followup.split_whitespace().nth(1).expect("a handle");
    env.ok(&["followup", "done", handle]);
    assert_eq!(env.show()["followups"][0]["done"], true);

    let unknown = env.run(&["hypothesis", "confirm", "~zzzzzz", "--evidence", "x"]);
    assert_eq!(unknown.status.code(), Some(1), "{}", text(&unknown.stderr));
    assert!(text(&unknown.stderr).contains("no hypothesis ~zzzzzz in"), "{}", text(&unknown.stderr));
}

// Timelines written before `about` refer by number, and clashes were fixed by amendments: they
// fold as they did (a migration rule in the fold, not a rewrite).
#[test]
fn old_timelines_referring_by_number_keep_their_verdicts() {
    let env = Env::new();
    let id = env.open("Checkout 502s");
    let path = env.timeline_path(&id);
    let opened = read(&path);
    let line = |id: &str, body: &str| {
        format!(r#"{{"id":"{id}","ts":"2026-11-22T14:0{}:00.000Z","author":"ana",{body}}}"#, &id[25..]) + "\n"
    };
    let old = [
        line("01JD00000000000000000000A1", r#""kind":"hypothesis.added","hypothesis":"H1","text":"ana's""#),
        line("01JD00000000000000000000B2", r#""kind":"hypothesis.added","hypothesis":"H1","text":"bo's""#),
        line(
            "01JD00000000000000000000C3",
            r#""kind":"event.amended","target":"01JD00000000000000000000B2","changes":{"hypothesis":"H2"}"#,
        ),
        line("01JD00000000000000000000D4", r#""kind":"hypothesis.refuted","hypothesis":"H2","evidence":"x""#),
        line("01JD00000000000000000000E5", r#""kind":"hypothesis.confirmed","hypothesis":"H1","evidence":"y""#),
    ];
    std::fs::write(&path, opened + &old.concat()).expect("write");
    let show = env.show();
    assert_eq!(show["hypotheses"][0]["text"], "ana's");
    assert_eq!(show["hypotheses"][0]["state"], "confirmed");
    assert_eq!(show["hypotheses"][1]["text"], "bo's");
    assert_eq!(show["hypotheses"][1]["state"], "refuted");
    assert_eq!(show["hypotheses"][1]["handle"], "~00b2");
}

// What broke: two responders opened "Database failover" offline (sev3 and sev1, different
// commanders and services); after sync it was one incident, one side's facts silently lost.
#[test]
fn an_incident_opened_on_two_machines_keeps_both_sides_and_says_so_until_merged_on_purpose() {
    let env = Env::new();
    let remote = crate::sync::bare_remote(&env, "remote.git");
    let remote = remote.to_str().expect("UTF-8");
    let ana = Responder { env: &env, name: "ana" };
    let bo = Responder { env: &env, name: "bo" };
    let open = ["open", "Database failover", "--no-walk", "-s"];
    let id = ana.ok(&[&open[..], &["sev3", "--commander", "ana", "--service", "db"]].concat()).trim().to_string();
    assert_eq!(bo.ok(&[&open[..], &["sev1", "--commander", "bo", "--service", "api"]].concat()).trim(), id);
    ana.ok(&["sync", "--init", remote]);
    let out = bo.cmd().args(["sync", "--init", remote]).output().expect("ran");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("opened twice: also by"), "{}", text(&out.stderr));

    let show: Value = serde_json::from_str(&bo.ok(&["show", "--json"])).expect("JSON");
    assert_eq!(show["severity"], "sev1", "the worse of the two stands until someone changes it");
    assert_eq!(show["services"], serde_json::json!(["db", "api"]));
    assert_eq!(show["opened_twice"].as_array().map(Vec::len), Some(1));
    assert!(bo.ok(&["show"]).contains("opened twice"));
    let verify = bo.run(&["timeline", "--verify"]);
    assert_eq!(verify.status.code(), Some(1));
    assert!(text(&verify.stdout).contains("opened twice"), "{}", text(&verify.stdout));

    bo.ok(&["unify"]);
    bo.ok(&["timeline", "--verify"]);
    assert!(!bo.ok(&["show"]).contains("opened twice"));
    assert_eq!(
        serde_json::from_str::<Value>(&bo.ok(&["show", "--json"])).expect("JSON")["services"].as_array().map(Vec::len),
        Some(2)
    );
}

// What broke: a responder whose clock was 10 minutes fast set "mitigated" and outvoted the
// team's later "investigating -> identified" everywhere, and nobody was told.
#[test]
fn a_fast_clock_and_concurrent_status_changes_are_reported_not_silently_outvoted() {
    let env = Env::new();
    let (ana, bo, _) = two_responders(&env);
    let fast =
        bo.cmd().env("INCIDENT_NOW", "2026-11-22T14:15:00Z").args(["status", "mitigated"]).output().expect("ran");
    assert!(fast.status.success(), "{}", text(&fast.stderr));
    bo.ok(&["sync"]);
    ana.ok(&["status", "identified"]);
    let out = ana.cmd().args(["sync"]).output().expect("ran");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stderr);
    assert!(said.contains("events by bo are dated up to 10m"), "{said}");
    assert!(said.contains("status changed at once from investigating: "), "{said}");
    let show: Value = serde_json::from_str(&ana.ok(&["show", "--json"])).expect("JSON");
    assert_eq!(show["conflicts"][0]["field"], "status");
    assert!(ana.ok(&["show"]).contains("status changed at once"));
}

#[test]
fn following_the_timeline_shows_teammates_events_as_they_land_and_who_is_on_what() {
    let env = Env::new();
    let (ana, bo, _) = two_responders(&env);
    bo.ok(&["hypothesis", "add", "the database"]);
    bo.ok(&["sync"]);
    let watching = ana
        .cmd()
        .args(["timeline", "--follow", "--sync-every", "1", "--for", "6s"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    bo.ok(&["hypothesis", "claim", "H1"]);
    bo.ok(&["observe", "bo: p99 is 4s on the primary"]);
    bo.ok(&["sync"]);
    let out = watching.wait_with_output().expect("finished");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (shown, said) = (text(&out.stdout), text(&out.stderr));
    assert!(shown.contains("Incident opened") && shown.contains("H1 raised"), "{shown}");
    assert!(shown.contains("bo: p99 is 4s on the primary"), "bo's event arrived through the background sync:\n{shown}");
    assert!(shown.contains("Verifying H1 ~"), "{shown}");
    assert!(said.contains("last: bo at") && said.contains("verifying: bo H1 ~"), "{said}");
    let show: Value = serde_json::from_str(&ana.ok(&["show", "--json"])).expect("JSON");
    assert_eq!(show["hypotheses"][0]["claimed_by"], "bo");
    bo.ok(&["hypothesis", "claim", "H1", "--release"]);
    let show: Value = serde_json::from_str(&bo.ok(&["show", "--json"])).expect("JSON");
    assert!(show["hypotheses"][0].get("claimed_by").is_none(), "{show}");
}

// What broke: a clock 10 minutes behind the store's newest event recorded without a word, and its
// status change was silently outvoted by the older one. The tolerance is sync's (2 minutes).
#[test]
fn recording_behind_the_stores_newest_event_warns_with_the_offset() {
    let env = Env::new();
    let ok = |now: &str, author: &str, args: &[&str]| {
        let out = env.cmd_at(now).env("INCIDENT_AUTHOR", author).args(args).output().expect("ran");
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stderr)
    };
    ok("2026-11-22T14:00:00Z", "ana", &["open", "Checkout 502s", "-s", "sev2", "--no-walk"]);
    ok("2026-11-22T14:15:00Z", "bo", &["status", "mitigated"]);
    let behind = ok("2026-11-22T14:05:00Z", "ana", &["note", "still failing here"]);
    assert!(
        behind.contains(
            "its newest event (by bo) is dated 10m 0s ahead of this clock: this clock is slow or theirs is fast"
        ),
        "{behind}"
    );
    // Within the tolerance, nothing is said.
    ok("2026-11-22T14:16:00Z", "bo", &["note", "holding"]);
    let close = ok("2026-11-22T14:15:00Z", "ana", &["note", "a minute behind"]);
    assert!(!close.contains("ahead of this clock"), "{close}");
}
