//! Running `git` in the store: argv only, never a prompt, never forever.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::process;

/// Local git work (add, commit, merge) gets this long: it only stalls on a wedged disk.
pub const LOCAL_TIMEOUT: Duration = Duration::from_secs(60);

/// What a finished git command said.
#[derive(Debug)]
pub struct GitOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl GitOutput {
    /// Why git failed: its first `fatal:` or `error:` line (the rest is usually advice), else
    /// the last line it wrote.
    pub fn reason(&self) -> String {
        let lines = || self.stderr.lines().map(str::trim).filter(|l| !l.is_empty());
        let line = lines()
            .find(|l| l.starts_with("fatal: ") || l.starts_with("error: "))
            .or_else(|| lines().next_back())
            .unwrap_or("no reason given");
        line.trim_start_matches("fatal: ").trim_start_matches("error: ").to_string()
    }
}

/// `git` run in one work tree, with an environment that never waits on a person.
pub struct Git {
    dir: PathBuf,
    env: Vec<(String, String)>,
}

impl Git {
    pub fn new(dir: &Path) -> Self {
        let mut env = vec![
            // Never ask for a user name or password on the terminal: fail instead.
            ("GIT_TERMINAL_PROMPT".to_string(), "0".to_string()),
            // No editor for merge messages, no pager for output.
            ("GIT_EDITOR".to_string(), "true".to_string()),
            ("GIT_PAGER".to_string(), "cat".to_string()),
            ("LC_ALL".to_string(), "C".to_string()),
        ];
        if std::env::var_os("GIT_SSH_COMMAND").is_none() && std::env::var_os("GIT_SSH").is_none() {
            // ssh must not ask for a passphrase or host confirmation either, and must give up on
            // an unreachable host well inside our own timeout. (A `core.sshCommand` in git's
            // config wins over this, as it should: the team chose it.)
            env.push((
                "GIT_SSH_COMMAND".to_string(),
                "ssh -o BatchMode=yes -o ConnectTimeout=15 -o ServerAliveInterval=15".to_string(),
            ));
        }
        Git { dir: dir.to_path_buf(), env }
    }

    /// Adds an environment variable to every later command.
    pub fn set_env(&mut self, name: &str, value: &str) {
        self.env.push((name.to_string(), value.to_string()));
    }

    /// Runs `git ARGS` and returns what it said, whatever its status. Fails only when git could
    /// not run or did not finish within `timeout` (then its whole process group is ended: the
    /// `ssh` or `git-remote-http` it started goes with it).
    ///
    /// Git runs in a process group of its own, registered as a background group: an interrupt
    /// that ends us ends it too rather than leave a merge running on in the store after we are
    /// gone.
    pub fn output(&self, args: &[&str], timeout: Duration) -> Result<GitOutput> {
        let mut command = Command::new("git");
        command.args(args).current_dir(&self.dir);
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let captured = process::capture(&mut command, timeout, OUTPUT_LIMIT).map_err(|e| {
            let error = Error::runtime(format!("cannot run git: {}", e.message.trim_start_matches("git: ")));
            if e.not_found { error.with_hint("install git (sync keeps the store in a git repository)") } else { error }
        })?;
        if captured.outcome.timed_out {
            return Err(Error::runtime(format!(
                "git {} did not finish within {}s and was stopped",
                args.first().copied().unwrap_or(""),
                timeout.as_secs()
            )));
        }
        Ok(GitOutput {
            success: captured.outcome.success(),
            stdout: String::from_utf8_lossy(&captured.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&captured.stderr).into_owned(),
        })
    }

    /// Runs `git ARGS` with the local timeout; a failure is an error quoting git's reason.
    pub fn run(&self, args: &[&str]) -> Result<String> {
        let output = self.output(args, LOCAL_TIMEOUT)?;
        if !output.success {
            return Err(Error::runtime(format!(
                "git {} failed in {}: {}",
                args.first().copied().unwrap_or(""),
                self.dir.display(),
                output.reason()
            )));
        }
        Ok(output.stdout)
    }

    /// Runs `git ARGS` with the local timeout; true when it succeeded.
    pub fn check(&self, args: &[&str]) -> Result<bool> {
        Ok(self.output(args, LOCAL_TIMEOUT)?.success)
    }

    /// A config value, if set.
    pub fn config(&self, key: &str) -> Result<Option<String>> {
        let output = self.output(&["config", "--get", key], LOCAL_TIMEOUT)?;
        Ok(output.success.then(|| output.stdout.trim().to_string()).filter(|v| !v.is_empty()))
    }
}

/// Git's output kept per stream: far more than sync's commands print (names, counts, ids).
const OUTPUT_LIMIT: usize = 16 * 1024 * 1024;
