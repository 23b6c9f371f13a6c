//! Input that grows without end, and times and durations out of any sane range, end at once
//! with a clear message: never a panic, a hang or memory running out.

use std::time::{Duration, Instant};

use crate::harness::{Env, text};

/// What broke: `/dev/zero` given as a runbook, a Markdown file or a template was read until
/// memory ran out, and a FIFO given as any file blocked forever.
#[test]
fn a_device_or_fifo_given_as_any_file_read_whole_ends_at_once_naming_it() {
    let env = Env::new();
    env.open("Checkout 502s");
    let fifo = env.path().join("fifo.yaml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success()), "mkfifo");
    let fifo = fifo.to_str().unwrap_or_default();
    for source in ["/dev/zero", fifo] {
        for args in [
            &["runbook", "lint", source][..],
            &["check", source, "--no-record"],
            &["lint", source],
            &["postmortem", "--template", source],
            &["open", "Alerted", "--from-alert", source],
        ] {
            let started = Instant::now();
            let out = env.run(args);
            assert!(started.elapsed() < Duration::from_secs(10), "{args:?} took {:?}", started.elapsed());
            assert!(!out.status.success(), "{args:?}");
            let stderr = text(&out.stderr);
            assert!(stderr.contains(source) && stderr.contains("not a regular file"), "{args:?}: {stderr}");
        }
    }
}

#[test]
fn an_oversized_incident_toml_is_refused_by_name() {
    let env = Env::new();
    let config = env.path().join("incident.toml");
    std::fs::File::create(&config).and_then(|f| f.set_len(9 << 20)).expect("a sparse 9 MiB file");
    let out = env.cmd().env_remove("INCIDENT_STORE").args(["list"]).output().expect("ran");
    let stderr = text(&out.stderr);
    assert!(!out.status.success() && stderr.contains("incident.toml") && stderr.contains("larger than"), "{stderr}");
}

/// What broke: an `incident.toml` that is a FIFO blocked every command.
#[test]
fn an_incident_toml_that_is_a_fifo_is_refused_without_blocking() {
    let env = Env::new();
    let config = env.path().join("incident.toml");
    assert!(std::process::Command::new("mkfifo").arg(&config).status().is_ok_and(|s| s.success()), "mkfifo");
    let started = Instant::now();
    let out = env.cmd().env_remove("INCIDENT_STORE").args(["list"]).output().expect("ran");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let stderr = text(&out.stderr);
    assert!(!out.status.success() && stderr.contains("incident.toml") && stderr.contains("a FIFO"), "{stderr}");
}

/// What broke: `--at 0000-01-01T00:00:00Z` was accepted, and huge durations overflowed.
#[test]
fn times_and_durations_out_of_any_sane_range_are_usage_errors() {
    let env = Env::new();
    env.open("Checkout 502s");
    let log = env.path().join("app.log");
    std::fs::write(&log, "2026-11-22T14:00:00Z ERROR x\n").expect("log");
    let log = log.to_str().unwrap_or_default();
    for args in [
        &["--at", "0000-01-01T00:00:00Z", "note", "x"][..],
        &["--at", "-99999d", "note", "x"],
        &["grep", "--since", "1000-01-01T00:00:00Z", "ERROR", log],
        &["grep", "--since", "18446744073709551s18446744073709551s", "ERROR", log],
        &["run", "--timeout", "99999999d", "--", "true"],
    ] {
        let out = env.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(
            stderr.contains("1970") || stderr.contains("10 years") || stderr.contains("too large"),
            "{args:?}: {stderr}"
        );
    }
}
