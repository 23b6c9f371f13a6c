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
    /// the last line it wrote. When that line only says the remote could not be read, the
    /// transport's own words come first (ssh's "Connection refused", "Permission denied
    /// (publickey)", "Could not resolve hostname"...): they are the cause.
    pub fn reason(&self) -> String {
        let lines = || self.stderr.lines().map(str::trim).filter(|l| !l.is_empty());
        let is_git =
            |l: &str| ["fatal: ", "error: ", "hint: ", "remote: ", "warning: "].iter().any(|p| l.starts_with(p));
        let line = lines()
            .find(|l| l.starts_with("fatal: ") || l.starts_with("error: "))
            .or_else(|| lines().next_back())
            .unwrap_or("no reason given");
        let git_says = line.trim_start_matches("fatal: ").trim_start_matches("error: ").to_string();
        let transport: Vec<&str> = lines().take_while(|l| *l != line).filter(|l| !is_git(l)).collect();
        if transport.is_empty() { git_says } else { format!("{} ({git_says})", transport.join("; ")) }
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

    /// Every config value git sees here, read by one process (keys as git prints them:
    /// sections and names lowercased). The last value of a key wins, as for `--get`.
    pub fn config_all(&self) -> Result<Config> {
        let output = self.output(&["config", "--list", "-z"], LOCAL_TIMEOUT)?;
        let mut values = std::collections::HashMap::new();
        for entry in output.stdout.split('\0').filter(|e| !e.is_empty()) {
            let (key, value) = entry.split_once('\n').unwrap_or((entry, ""));
            values.insert(key.to_string(), value.to_string());
        }
        Ok(Config(values))
    }
}

/// Git's config as read once by `Git::config_all`.
pub struct Config(std::collections::HashMap<String, String>);

impl Config {
    /// A value, if set and not empty. `key` as git prints it (`remote.origin.url`).
    pub fn get(&self, key: &str) -> Option<String> {
        let lower = match key.split_once('.') {
            // Section and variable names are case-insensitive, a subsection is not.
            Some((section, rest)) => match rest.rsplit_once('.') {
                Some((sub, name)) => format!("{}.{sub}.{}", section.to_ascii_lowercase(), name.to_ascii_lowercase()),
                None => key.to_ascii_lowercase(),
            },
            None => key.to_ascii_lowercase(),
        };
        self.0.get(&lower).filter(|v| !v.is_empty()).cloned()
    }
}

/// Git's output kept per stream: far more than sync's commands print (names, counts, ids).
const OUTPUT_LIMIT: usize = 16 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(stderr: &str) -> GitOutput {
        GitOutput { success: false, stdout: String::new(), stderr: stderr.to_string() }
    }

    #[test]
    fn an_unreachable_remote_is_explained_in_the_transports_own_words() {
        let refused = failed(
            "ssh: connect to host git.example.org port 22: Connection refused\r\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\nand the repository exists.\n",
        );
        assert_eq!(
            refused.reason(),
            "ssh: connect to host git.example.org port 22: Connection refused (Could not read from remote repository.)"
        );
        let key =
            failed("git@example.org: Permission denied (publickey).\nfatal: Could not read from remote repository.\n");
        assert!(key.reason().starts_with("git@example.org: Permission denied (publickey)."), "{}", key.reason());
        // Git's own reason alone when nothing came before it.
        assert_eq!(
            failed("fatal: 'nowhere' does not appear to be a git repository\n").reason(),
            "'nowhere' does not appear to be a git repository"
        );
    }
}
