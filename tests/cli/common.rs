//! A small fluent helper that runs the real binary in a temporary store with a hermetic
//! environment: pinned time, pinned author, no colour, UTC.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

pub const NOW: &str = "2026-11-22T14:05:00Z";
pub const AUTHOR: &str = "ana";

pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Self {
        Env { dir: tempfile::tempdir().expect("a temp dir") }
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The binary with the hermetic environment; add args and run.
    pub fn cmd(&self) -> Command {
        Command::from_std(self.std_cmd())
    }

    /// The same, as a plain `std::process::Command` (for spawning and signalling).
    pub fn std_cmd(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("incident"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("INCIDENT_STORE", self.store())
            .env("INCIDENT_NOW", NOW)
            .env("INCIDENT_AUTHOR", AUTHOR)
            .env("NO_COLOR", "1")
            .env("TZ", "UTC")
            .current_dir(self.dir.path());
        cmd
    }

    /// Runs `incident ARGS...`, expecting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().expect("ran");
        assert!(out.status.success(), "incident {args:?} failed:\n{}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Runs `incident ARGS...` and returns the whole output, whatever the status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("ran")
    }

    /// Opens an incident and returns its id.
    pub fn open(&self, title: &str) -> String {
        self.ok(&["open", title, "-s", "sev2", "--service", "checkout"]).trim().to_string()
    }

    pub fn show(&self) -> Value {
        serde_json::from_str(&self.ok(&["show", "--json"])).expect("show --json is JSON")
    }

    /// The events as `timeline --json` prints them.
    pub fn events(&self) -> Vec<Value> {
        self.ok(&["timeline", "--json"]).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
    }

    pub fn timeline_path(&self, id: &str) -> PathBuf {
        self.store().join(id).join("timeline.jsonl")
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
