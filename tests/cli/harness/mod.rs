//! The one test harness: the real `incident` binary run in a temporary folder with a cleared,
//! hermetic environment (one pinned time, one author, its own store, no colour, UTC), in the
//! spirit of just's `tests/test.rs`; plus the loopback servers and the pseudo-terminal the
//! tests talk to, and the snapshot filters.
//!
//! Every test builds its commands through [`Env`]; nothing else starts the binary, so a variable
//! in the developer's shell (`INCIDENT_ID`, `CI`, `COLUMNS`, a token) can never change a result.
#![allow(dead_code)]

pub mod daemons;
pub mod http;
pub mod net;
pub mod pty;
pub mod snapshot;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

pub use http::{Reply, Server};
pub use pty::{Terminal, read_until, spawn_on_pty};

/// The moment every command runs at unless a test moves the clock ([`Env::cmd_at`]).
pub const NOW: &str = "2026-11-22T14:05:00Z";
/// Who every command runs as.
pub const AUTHOR: &str = "ana";

/// How long any one run may take before the test fails instead of hanging.
const RUN_LIMIT: Duration = Duration::from_secs(60);

/// A temporary working folder holding the store; every command runs there.
pub struct Env {
    pub dir: TempDir,
}

impl Env {
    pub fn new() -> Self {
        Env { dir: tempfile::tempdir().expect("a temp dir") }
    }

    /// The working folder (commands run here; `runbooks/` and `incident.toml` go here).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    /// The binary with the hermetic environment; add args and run. Fails after a minute.
    pub fn cmd(&self) -> Command {
        self.cmd_at(NOW)
    }

    /// The same at another moment, for tests where time must pass between commands.
    pub fn cmd_at(&self, now: &str) -> Command {
        let mut cmd = Command::from_std(self.std_cmd_at(now));
        cmd.timeout(RUN_LIMIT);
        cmd
    }

    /// The same, as a plain `std::process::Command` (for spawning, signalling, a terminal).
    pub fn std_cmd(&self) -> std::process::Command {
        self.std_cmd_at(NOW)
    }

    /// `incident ARGS...` on a real pseudo-terminal, as a person would run it.
    pub fn terminal(&self, args: &[&str]) -> Terminal {
        let mut cmd = self.std_cmd();
        cmd.args(args);
        Terminal::spawn(cmd)
    }

    fn std_cmd_at(&self, now: &str) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_incident"));
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("INCIDENT_STORE", self.store())
            .env("INCIDENT_NOW", now)
            .env("INCIDENT_AUTHOR", AUTHOR)
            .env("NO_COLOR", "1")
            .env("TZ", "UTC")
            .current_dir(self.dir.path());
        cmd
    }

    /// Runs `incident ARGS...`, expecting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(out.status.success(), "incident {args:?} failed:\n{}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Runs `incident ARGS...` and returns the whole output, whatever the status.
    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("ran")
    }

    /// Runs `incident ARGS...`, expecting failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(!out.status.success(), "incident {args:?} should have failed:\n{}", text(&out.stdout));
        text(&out.stderr)
    }

    /// Opens an incident for the `checkout` service and returns its id.
    pub fn open(&self, title: &str) -> String {
        self.ok(&["open", title, "-s", "sev2", "--service", "checkout"]).trim().to_string()
    }

    /// Opens "Checkout returns 502s" with no service and no walk, and makes it current.
    pub fn open_incident(&self) {
        self.ok(&["open", "Checkout returns 502s", "-s", "sev2", "--no-walk"]);
    }

    pub fn show(&self) -> Value {
        serde_json::from_str(&self.ok(&["show", "--json"])).expect("show --json is JSON")
    }

    /// The events as `timeline --json` prints them.
    pub fn events(&self) -> Vec<Value> {
        self.ok(&["timeline", "--json"]).lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect()
    }

    /// Waits (up to 10 s) until the current incident has an event matching `wanted`.
    pub fn wait_for_event(&self, wanted: impl Fn(&Value) -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if self.events().iter().any(&wanted) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the event never appeared");
    }

    pub fn timeline_path(&self, id: &str) -> PathBuf {
        self.store().join(id).join("timeline.jsonl")
    }

    /// Every incident's timeline in the store, as raw JSONL text.
    pub fn timeline(&self) -> String {
        let mut text = String::new();
        for entry in std::fs::read_dir(self.store()).expect("the store exists").flatten() {
            let path = entry.path().join("timeline.jsonl");
            if path.is_file() {
                text.push_str(&read(&path));
            }
        }
        text
    }

    /// Writes a file under the working folder (creating its folders); returns its path.
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create a fixture folder");
        }
        std::fs::write(&path, contents).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        path
    }
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `cmd` with a file-size limit of `limit` bytes: writes past it fail with EFBIG, as a
/// full disk fails them with ENOSPC.
pub fn with_file_size_limit(mut cmd: std::process::Command, limit: u64) -> std::process::Output {
    // SAFETY: setrlimit between fork and exec only touches the child's own limits.
    unsafe {
        use std::os::unix::process::CommandExt;
        cmd.pre_exec(move || {
            let rlimit = libc::rlimit { rlim_cur: limit, rlim_max: limit };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &rlimit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd.output().expect("ran")
}

/// Every `.rs` file under `dir`, at any depth.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}
