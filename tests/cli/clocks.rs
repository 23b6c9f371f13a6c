//! The clocks: an explicit acknowledgement, the first responder event after detection, and ends
//! recorded out of order shown as such, the same in the post-mortem and in `stats`.

use serde_json::Value;

use crate::harness::Env;

fn clock_row<'a>(markdown: &'a str, name: &str) -> &'a str {
    markdown
        .lines()
        .find(|l| l.starts_with(&format!("| {name} |")))
        .unwrap_or_else(|| panic!("no {name} row in:\n{markdown}"))
}

fn stats_clock(env: &Env, key: &str) -> Value {
    let stats: Value = serde_json::from_str(&env.ok(&["stats", "--json"])).expect("JSON");
    stats["clocks"].as_array().and_then(|c| c.iter().find(|c| c["key"] == key)).cloned().expect("the clock")
}

#[test]
fn ack_ends_time_to_acknowledge_and_a_second_ack_records_nothing() {
    let env = Env::new();
    env.ok(&["--at", "14:00", "open", "Checkout 502s", "-s", "sev2"]);
    // A note at 14:01 would have been taken for the acknowledgement without `ack`.
    env.ok(&["--at", "14:01", "note", "pager went off"]);
    env.ok(&["--at", "14:03", "ack", "--note", "on it"]);
    let out = env.run(&["ack"]);
    assert!(crate::harness::text(&out.stderr).contains("already acknowledged at 2026-11-22 14:03:00"));
    assert_eq!(env.events().iter().filter(|e| e["kind"] == "incident.acknowledged").count(), 1);

    let markdown = env.ok(&["postmortem"]);
    assert!(
        clock_row(&markdown, "Time to acknowledge")
            .starts_with("| Time to acknowledge | 3m 0s | acknowledged − detected |")
    );
    assert_eq!(stats_clock(&env, "time_to_acknowledge")["median"], 180);
}

// The SRE-book replay printed "4m 0s (negative…)" for an acknowledgement before detection, and
// `stats` counted the same clock as 0s.
#[test]
fn a_clock_whose_ends_are_out_of_order_is_never_shown_as_a_duration() {
    let env = Env::new();
    env.ok(&["--at", "14:00", "open", "Checkout 502s", "-s", "sev2", "--detected-at", "14:04"]);
    env.ok(&["--at", "14:00", "ack"]);
    let markdown = env.ok(&["postmortem"]);
    let row = clock_row(&markdown, "Time to acknowledge");
    assert!(row.contains("| n/a (acknowledged before detection; check the recorded times) |"), "{row}");

    let clock = stats_clock(&env, "time_to_acknowledge");
    assert_eq!(
        (clock["n"].as_u64(), clock["out_of_order"].as_u64(), clock["missing"].as_u64()),
        (None, Some(1), Some(0))
    );
    let text = env.ok(&["stats"]);
    assert!(
        text.contains(
            "Time to acknowledge: 1 incident(s) left out, acknowledged before detection; check their recorded times"
        ),
        "{text}"
    );
}

#[test]
fn without_an_ack_the_first_responder_event_after_detection_counts() {
    let env = Env::new();
    env.ok(&["--at", "14:00", "open", "Checkout 502s", "-s", "sev2", "--detected-at", "13:58"]);
    // Written up afterwards: context from before detection answers nothing.
    env.ok(&["--at", "13:30", "note", "deploy of checkout 4.2"]);
    env.ok(&["--at", "14:02", "observe", "5xx at 40%"]);
    let markdown = env.ok(&["postmortem"]);
    assert!(clock_row(&markdown, "Time to acknowledge").starts_with("| Time to acknowledge | 4m 0s |"));
}
