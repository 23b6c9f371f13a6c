//! Property tests for the surfaces the fuzz targets under `fuzz/` cover, with a bounded number
//! of cases so that every `cargo test` keeps exercising them: the runbook loader, timeline
//! parsing and the fold, the merge, timestamp detection, time and duration parsing, templates,
//! the post-mortem lint and the masker; and the alert payload, `instance` labels and
//! Alertmanager matchers that `incident receive` reads from the network. The fuzz targets search far longer; these keep what
//! they found from coming back.

use proptest::prelude::*;

use crate::model::Incident;
use crate::store::{merge_timelines, parse_timeline};

const FIXTURE: &str = include_str!("../tests/fixtures/postmortem/2026-11-22-checkout-returns-502s/timeline.jsonl");

fn config() -> ProptestConfig {
    ProptestConfig { cases: 64, failure_persistence: None, ..ProptestConfig::default() }
}

/// Text that is mostly the syntax of what is being parsed, with arbitrary characters between.
fn text_of(alphabet: &'static str) -> impl Strategy<Value = String> {
    let pieces: Vec<&'static str> = alphabet.split(' ').collect();
    prop::collection::vec(
        prop_oneof![prop::sample::select(pieces).prop_map(str::to_string), any::<char>().prop_map(String::from)],
        0..64,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_is_a_runbook_or_located_problems(text in text_of("title: observe: - id: a command: {run: [x]} vars: type: {{ }} \n   \" ' [ ] { } : #")) {
        let source = crate::runbook::Source { path: "p.yaml".into(), text };
        if let Err(problems) = crate::runbook::load(&source, "p") {
            prop_assert!(!problems.is_empty());
        }
    }

    #[test]
    fn any_bytes_parse_and_fold_without_panicking(bytes in prop::collection::vec(any::<u8>(), 0..512), keep in 0usize..40) {
        let mut data: Vec<u8> = FIXTURE.lines().take(keep).flat_map(|l| format!("{l}\n").into_bytes()).collect();
        data.extend(bytes);
        let read = parse_timeline(&data);
        prop_assert!(read.events.len() <= data.iter().filter(|b| **b == b'\n').count() + 1);
        let _ = Incident::from_events("2026-11-22-p", &read.events);
    }

    #[test]
    fn a_merge_keeps_every_event_of_both_sides_and_is_idempotent(ours in prop::collection::vec(any::<bool>(), 40), theirs in prop::collection::vec(any::<bool>(), 40)) {
        let lines: Vec<&str> = FIXTURE.lines().collect();
        let pick = |mask: &[bool]| -> Vec<u8> {
            lines.iter().zip(mask.iter().chain(std::iter::repeat(&false))).enumerate()
                .filter(|(i, (_, keep))| *i == 0 || **keep)
                .flat_map(|(_, (l, _))| format!("{l}\n").into_bytes()).collect()
        };
        let (a, b) = (pick(&ours), pick(&theirs));
        let (merged, _) = merge_timelines(&a, &b);
        let ids = |bytes: &[u8]| -> std::collections::BTreeSet<String> { parse_timeline(bytes).events.into_iter().map(|e| e.id).collect() };
        let all = ids(&merged);
        prop_assert!(ids(&a).is_subset(&all) && ids(&b).is_subset(&all));
        prop_assert_eq!(merge_timelines(&merged, &b).0, merged);
    }

    #[test]
    fn timestamp_detection_never_panics(text in text_of("2026-11-22 10:00:00 Nov 22 10:00:00 [22/Nov/2026:10:00:00 +0000] 1795305600 T Z , . \n")) {
        let reference = Some(1_795_305_600_000_000);
        if let Some(reader) = crate::logsearch::stamp::StampReader::detect(text.as_bytes(), None, crate::logsearch::Zone::Utc, reference) {
            for line in text.lines() {
                let _ = reader.read(line.as_bytes());
            }
        }
    }

    #[test]
    fn durations_read_back_what_they_say(n in 0u64..10_000_000, text in text_of("1 9 0 ms s m h d - + . 18446744073709551615")) {
        prop_assert_eq!(crate::time::parse_duration(&format!("{n}s")), Ok(std::time::Duration::from_secs(n)));
        prop_assert_eq!(crate::time::parse_duration(&format!("{n}ms")), Ok(std::time::Duration::from_millis(n)));
        let now = chrono::DateTime::from_timestamp(1_795_305_600, 0).unwrap_or_default();
        let _ = crate::time::parse_duration(&text);
        let _ = crate::time::parse_time(&text, now);
        let _ = crate::time::parse_window_edge(&text, now);
    }

    #[test]
    fn any_template_renders_or_errors_under_its_limits(text in text_of("{{ }} {% %} for in range( ) endfor if endif not - * 'x' 1000 | format( \"%.1s\" é , vars.x")) {
        let env = crate::runbook::template::environment();
        let ctx = minijinja::context! { vars => minijinja::context! { x => "é" } };
        let _ = crate::runbook::template::render(&env, &text, &ctx);
        let _ = crate::runbook::template::eval_bool(&env, &text, &ctx);
    }

    #[test]
    fn any_markdown_lints_without_panicking(text in text_of("## Contributing factors \n alice forgot broke ``` - * | caused the")) {
        let _ = crate::postmortem::lint::lint_markdown(&text, &["alice".to_string()]);
    }

    #[test]
    fn a_known_secret_never_survives_masking(before in text_of("= : \" ' password token \n ghp_ AKIA"), after in any::<String>()) {
        let secret = "s3cr3t-Value-9f8e7d";
        let mut masker = crate::secrets::Masker::default();
        masker.add(secret);
        let masked = masker.mask(&format!("{before}{secret}{after}"));
        prop_assert!(!masked.contains(secret), "{}", masked);
    }

    #[test]
    fn any_alert_payload_parses_or_is_refused_without_panicking(text in text_of("{ } [ ] \" : , alerts status firing resolved labels annotations alertname startsAt 2026-11-24T06:00:00Z groupKey version 4 instance [::1]:80 0001-01-01T00:00:00Z")) {
        if let Ok(notification) = crate::alert::Notification::parse(text.as_bytes()) {
            let facts = notification.facts();
            prop_assert!(!facts.title.is_empty());
            prop_assert!(!notification.alerts.is_empty());
        }
    }

    #[test]
    fn a_real_payload_with_any_labels_gives_facts(name in any::<String>(), instance in any::<String>(), severity in any::<String>()) {
        let mut value: serde_json::Value =
            serde_json::from_str(include_str!("../tests/fixtures/alertmanager/firing.json")).unwrap_or_default();
        value["commonLabels"]["alertname"] = serde_json::json!(name);
        value["commonLabels"]["instance"] = serde_json::json!(instance);
        value["commonLabels"]["severity"] = serde_json::json!(severity);
        if let Ok(notification) = crate::alert::Notification::parse(value.to_string().as_bytes()) {
            let facts = notification.facts();
            // Every label is offered; host and port only when `instance` reads as an address.
            if let Some(host) = facts.vars.get("host") {
                prop_assert!(!host.is_empty() && !host.chars().any(char::is_whitespace));
            }
        }
    }

    #[test]
    fn any_matcher_parses_or_is_refused_and_never_panics_on_labels(text in text_of("job = != =~ !~ \" .* ( ) | api"), value in any::<String>()) {
        if let Ok(matcher) = crate::runbook::Matcher::parse(&text) {
            let labels = std::collections::BTreeMap::from([("job".to_string(), value)]);
            let _ = matcher.matches(&labels);
        }
    }
}
