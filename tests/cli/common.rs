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

    /// Waits (up to 10 s) until the current incident has an event matching `wanted`.
    pub fn wait_for_event(&self, wanted: impl Fn(&Value) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            if self.events().iter().any(&wanted) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("the event never appeared");
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

/// A real pseudo-terminal whose slave side becomes the controlling terminal of `cmd`.
pub fn spawn_on_pty(mut cmd: std::process::Command) -> (std::process::Child, std::fs::File) {
    use std::os::fd::FromRawFd;
    use std::os::unix::process::CommandExt;
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the given integers.
    let rc =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(rc, 0, "openpty failed");
    // SAFETY: each descriptor is owned by exactly one File/Stdio from here on.
    let (master, stdin, stdout, stderr) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::process::Stdio::from_raw_fd(slave),
            std::process::Stdio::from_raw_fd(libc::dup(slave)),
            std::process::Stdio::from_raw_fd(libc::dup(slave)),
        )
    };
    cmd.stdin(stdin).stdout(stdout).stderr(stderr);
    // SAFETY: setsid and TIOCSCTTY between fork and exec make the pty the controlling terminal.
    unsafe {
        cmd.pre_exec(|| {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    (cmd.spawn().expect("spawn on a pty"), master)
}

/// Reads from the pty until `wanted` shows up (or 15 s pass); returns all that was read.
pub fn read_until(master: &mut std::fs::File, wanted: &str) -> String {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let mut buf = [0u8; 4096];
    while !text(&seen).contains(wanted) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            break;
        }
        let mut fds = libc::pollfd { fd: master.as_raw_fd(), events: libc::POLLIN, revents: 0 };
        // SAFETY: one valid pollfd for the duration of the call.
        let ready = unsafe { libc::poll(&mut fds, 1, left.as_millis().min(1000) as i32) };
        if ready <= 0 {
            continue;
        }
        match master.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
    text(&seen)
}

/// A person at a terminal: waits for each prompt before typing, as a person would.
pub struct Terminal {
    pub child: std::process::Child,
    master: std::fs::File,
    /// Everything shown so far.
    pub screen: String,
    /// How much of `screen` earlier expectations have read past.
    cursor: usize,
}

impl Terminal {
    pub fn spawn(cmd: std::process::Command) -> Self {
        let (child, master) = spawn_on_pty(cmd);
        Terminal { child, master, screen: String::new(), cursor: 0 }
    }

    /// Waits until `prompt` is shown (after what was already expected); panics with the screen
    /// so far if it never is.
    pub fn expect(&mut self, prompt: &str) -> &mut Self {
        loop {
            if let Some(at) = self.screen[self.cursor..].find(prompt) {
                self.cursor += at + prompt.len();
                return self;
            }
            let more = read_until(&mut self.master, prompt);
            if more.is_empty() {
                panic!("never saw {prompt:?}; the screen showed:\n{}", self.screen);
            }
            self.screen.push_str(&more);
        }
    }

    /// Types keys (`\r` is Enter, `\x1b[B` the down arrow, `\x03` Ctrl-C).
    pub fn send(&mut self, keys: &str) -> &mut Self {
        use std::io::Write;
        self.master.write_all(keys.as_bytes()).and_then(|()| self.master.flush()).expect("type");
        self
    }

    /// Waits for `prompt`, then types `line` and Enter.
    pub fn answer(&mut self, prompt: &str, line: &str) -> &mut Self {
        self.expect(prompt).send(&format!("{line}\r"))
    }

    /// Waits for the program to end, reading what is left; returns its exit code.
    pub fn finish(&mut self) -> Option<i32> {
        let rest = read_until(&mut self.master, "\u{0}never\u{0}");
        self.screen.push_str(&rest);
        self.child.wait().expect("exited").code()
    }
}
