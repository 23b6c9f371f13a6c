//! Measures the timeline's costs beside a reference on the same disk. Not a test: it prints
//! figures and ratios and asserts nothing.
//!
//!     cargo bench --bench timeline            # or: BENCH_DIR=/some/disk cargo bench --bench timeline
//!
//! - one recorded event (lock, write, fsync) vs a bare fsync'd 200-byte append (target <= 2x)
//! - `incident note` end to end (process start to exit) beside the same
//! - `incident timeline` and `incident show --json` on an incident of 10,000 events (target < 100 ms)
//! - `incident postmortem` of the same incident (target < 200 ms)

use std::fs::OpenOptions;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use incident::model::{Body, Event, FORMAT_VERSION, Severity};
use incident::store::Store;

const APPENDS: usize = 300;
const RUNS: usize = 15;

fn main() {
    let base = std::env::var_os("BENCH_DIR").map(std::path::PathBuf::from).unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::tempdir_in(&base).expect("temp dir");
    let bin = env!("CARGO_BIN_EXE_incident");
    println!("timeline benchmark in {} ({} appends, {} runs of each command)\n", dir.path().display(), APPENDS, RUNS);

    // The reference: what any program must pay to append one line durably.
    let bare_path = dir.path().join("bare.log");
    let line = [b'x'; 199].iter().copied().chain([b'\n']).collect::<Vec<u8>>();
    let bare = median(APPENDS, || {
        let mut f = OpenOptions::new().create(true).append(true).open(&bare_path).expect("open");
        f.write_all(&line).expect("write");
        f.sync_data().expect("fsync");
    });

    let store = Store::new(dir.path().join("store"));
    let opened = event(Body::Opened {
        format: FORMAT_VERSION,
        title: "Bench".into(),
        severity: Severity::Sev3,
        services: vec![],
        commander: None,
        runbook: None,
        impact_start: None,
        detected_at: None,
        drill: false,
        vars: Default::default(),
    });
    let small = store.create_incident(opened.ts, "small", std::slice::from_ref(&opened)).expect("incident");
    let timeline = small.timeline();
    let note = || event(Body::Note { text: "x".repeat(120) });
    let sample = serde_json::to_string(&note()).expect("json").len();
    let lib = median(APPENDS, || {
        timeline.append(&[note()]).expect("append");
    });

    // A 10,000-event incident for the reading commands.
    let big = store.create_incident(opened.ts, "big", std::slice::from_ref(&opened)).expect("incident");
    let events: Vec<Event> = (0..9_999)
        .map(|n| match n % 4 {
            0 => event(Body::Observation { text: format!("observation {n}: 5xx rate at {}%", n % 100) }),
            1 => event(Body::HypothesisAdded {
                hypothesis: format!("H{n}"),
                text: format!("cause {n}"),
                from_check: None,
                on_event: None,
            }),
            2 => event(Body::Decision { text: format!("decision {n}"), hypothesis: None, why: None }),
            _ => event(Body::Note { text: format!("note {n} with a little more text to be realistic") }),
        })
        .collect();
    big.timeline().append(&events).expect("append");
    let size = std::fs::metadata(big.timeline().path()).map(|m| m.len()).unwrap_or(0);

    let env = |cmd: &mut Command| {
        cmd.env("INCIDENT_STORE", store.root())
            .env("INCIDENT_AUTHOR", "bench")
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
    };
    let run = |args: &[&str]| {
        let mut cmd = Command::new(bin);
        cmd.args(args);
        env(&mut cmd);
        assert!(cmd.status().expect("run").success(), "incident {args:?} failed");
    };
    let cli_note_small = median(RUNS * 4, || run(&["-i", small.id.as_str(), "note", "bench note"]));
    let cli_note_big = median(RUNS, || run(&["-i", big.id.as_str(), "note", "bench note"]));
    let version = median(RUNS, || run(&["--version"]));
    let timeline_table = median(RUNS, || run(&["-i", big.id.as_str(), "timeline"]));
    let timeline_json = median(RUNS, || run(&["-i", big.id.as_str(), "timeline", "--json"]));
    let show = median(RUNS, || run(&["-i", big.id.as_str(), "show", "--json"]));
    let postmortem = median(RUNS, || run(&["-i", big.id.as_str(), "postmortem"]));

    println!("Recording one event (medians)");
    row("bare fsync'd 200-byte append (open, write, fdatasync, close)", bare, None);
    row(&format!("Timeline::append of one {sample}-byte event (lock, write, fdatasync)"), lib, Some((bare, "bare")));
    row("`incident note` process, small incident", cli_note_small, Some((bare, "bare")));
    row("`incident note` process, 10,000-event incident", cli_note_big, Some((bare, "bare")));
    row("`incident --version` process (start-up floor)", version, None);
    println!("\nReading 10,000 events ({:.1} MB), medians; target < 100 ms", size as f64 / 1e6);
    row("`incident timeline` (table)", timeline_table, None);
    row("`incident timeline --json`", timeline_json, None);
    row("`incident show --json`", show, None);
    println!("\nWriting up 10,000 events, median; target < 200 ms");
    row("`incident postmortem` (render and lint)", postmortem, None);
    println!("\nTarget: Timeline::append / bare append <= 2.00x -> {:.2}x", ratio(lib, bare));
}

fn event(body: Body) -> Event {
    Event {
        id: incident::model::new_event_id(),
        ts: chrono::Utc::now(),
        recorded: None,
        author: "bench".into(),
        phase: body.default_phase(),
        body,
    }
}

fn median(n: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[n / 2]
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn row(label: &str, value: Duration, against: Option<(Duration, &str)>) {
    let ms = value.as_secs_f64() * 1e3;
    match against {
        Some((reference, name)) => println!("  {label:<72} {ms:>8.3} ms  ({:.2}x {name})", ratio(value, reference)),
        None => println!("  {label:<72} {ms:>8.3} ms"),
    }
}
