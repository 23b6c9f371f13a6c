//! Running `git` in the store: argv only, never a prompt, never forever.

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

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
    /// not run or did not finish within `timeout` (then its whole process group is killed, ssh
    /// and helpers included).
    pub fn output(&self, args: &[&str], timeout: Duration) -> Result<GitOutput> {
        let mut command = Command::new("git");
        command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        for (name, value) in &self.env {
            command.env(name, value);
        }
        let mut child = command.spawn().map_err(|e| {
            let error = Error::runtime(format!("cannot run git: {e}"));
            if e.kind() == std::io::ErrorKind::NotFound {
                error.with_hint("install git (sync keeps the store in a git repository)")
            } else {
                error
            }
        })?;
        let read = |pipe: Option<Box<dyn Read + Send>>| {
            thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                String::from_utf8_lossy(&bytes).into_owned()
            })
        };
        let stdout = read(child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
        let stderr = read(child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>));
        let deadline = Instant::now() + timeout;
        let pgid = i32::try_from(child.id()).unwrap_or(0);
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if Instant::now() >= deadline => {
                    crate::exec::kill_group(pgid, libc::SIGKILL);
                    let _ = child.wait();
                    break Err(Error::runtime(format!(
                        "git {} did not finish within {}s and was stopped",
                        args.first().copied().unwrap_or(""),
                        timeout.as_secs()
                    )));
                }
                Ok(None) => thread::sleep(Duration::from_millis(10)),
                Err(e) => break Err(Error::runtime(format!("lost track of git: {e}"))),
            }
        };
        let status = status?;
        Ok(GitOutput {
            success: status.success(),
            stdout: stdout.join().unwrap_or_default(),
            stderr: stderr.join().unwrap_or_default(),
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
