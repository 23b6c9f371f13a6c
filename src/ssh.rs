//! Commands on another host, through the system `ssh` client (remote `command` and `log`
//! checks): never a server of our own, and
//! always non-interactive (`BatchMode`), so a missing key fails at once instead of prompting.
//!
//! `ssh` joins the words after the host into one string that the remote login shell parses.
//! Every word of an argv is therefore shell-quoted here, so the remote runs exactly that argv
//! and a variable can never add a command; `shell:` checks arrive as `sh -c SCRIPT` and are
//! quoted the same way, so only the script that was written runs through a shell.

use std::time::Duration;

use crate::process::shell_join;

/// The exit status `ssh` gives when it could not connect or authenticate (a remote command
/// exiting 255 looks the same: a rare collision, reported as the connection failure).
pub const SSH_FAILED: i32 = 255;

/// Why a remote target is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteError {
    /// Empty, starting with `-` (ssh would read an option), or holding whitespace or control characters.
    BadHost(String),
    /// Empty or holding control characters.
    BadIdentity(String),
}

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RemoteError::BadHost(host) => write!(f, "host {host:?} is not a [user@]host"),
            RemoteError::BadIdentity(key) => write!(f, "identity {key:?} is not a file name"),
        }
    }
}

impl std::error::Error for RemoteError {}

impl From<RemoteError> for crate::error::Error {
    fn from(err: RemoteError) -> Self {
        crate::error::Error::usage(err.to_string())
    }
}

/// Where a remote check runs: `user@host`, with an optional port and key file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    pub host: String,
    pub port: Option<u16>,
    /// A private key file (`ssh -i`).
    pub identity: Option<String>,
}

impl Remote {
    /// A remote target, refusing a host `ssh` would read as an option (`-oProxyCommand=...`)
    /// or that holds whitespace or control characters: a variable must not choose ssh's options.
    pub fn new(host: String, port: Option<u16>, identity: Option<String>) -> Result<Remote, RemoteError> {
        if host.is_empty() || host.starts_with('-') || host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(RemoteError::BadHost(host));
        }
        if let Some(key) = &identity
            && (key.is_empty() || key.chars().any(char::is_control))
        {
            return Err(RemoteError::BadIdentity(key.clone()));
        }
        Ok(Remote { host, port, identity })
    }

    /// The local argv that runs `remote_argv` on the host, word for word.
    pub fn argv(&self, remote_argv: &[String], timeout: Duration) -> Vec<String> {
        self.command(&shell_join(remote_argv), timeout)
    }

    /// The local argv that hands `script` to the remote login shell as it is. Only for scripts
    /// built here, with every outside value already quoted.
    pub fn command(&self, script: &str, timeout: Duration) -> Vec<String> {
        // Connecting gets three quarters of the attempt, so that an unreachable host ends as
        // ssh's own failure (`ssh_error`, unknown) before the attempt times out; at least a second.
        let connect = (timeout.saturating_mul(3) / 4).as_secs().max(1);
        let mut argv: Vec<String> = ["ssh", "-o", "BatchMode=yes", "-o"]
            .into_iter()
            .map(String::from)
            .chain([format!("ConnectTimeout={connect}")])
            .chain(["-o", "StrictHostKeyChecking=accept-new"].map(String::from))
            .collect();
        if let Some(port) = self.port {
            argv.extend(["-p".to_string(), port.to_string()]);
        }
        if let Some(key) = &self.identity {
            argv.extend(["-i".to_string(), key.clone()]);
        }
        argv.extend([self.host.clone(), "--".to_string(), script.to_string()]);
        argv
    }

    /// `user@host:port`, for targets and messages.
    pub fn label(&self) -> String {
        match self.port {
            Some(port) => format!("{}:{port}", self.host),
            None => self.host.clone(),
        }
    }
}

/// The last non-empty line of ssh's stderr: where it says why it failed.
pub fn last_line(stderr: &str) -> &str {
    stderr.lines().rev().map(str::trim).find(|l| !l.is_empty()).unwrap_or("no message")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_remote_word_is_quoted_so_a_variable_cannot_add_a_command() {
        let remote = Remote::new("ops@db1".into(), Some(2222), Some("/k".into())).expect("valid");
        let argv = remote.argv(&["echo".into(), "x; touch /tmp/pwned".into()], Duration::from_secs(8));
        assert_eq!(
            argv,
            [
                "ssh",
                "-o",
                "BatchMode=yes",
                "-o",
                "ConnectTimeout=6",
                "-o",
                "StrictHostKeyChecking=accept-new",
                "-p",
                "2222",
                "-i",
                "/k",
                "ops@db1",
                "--",
                "echo 'x; touch /tmp/pwned'"
            ]
        );
    }

    #[test]
    fn a_host_that_ssh_would_read_as_an_option_is_refused() {
        assert!(Remote::new("-oProxyCommand=touch /tmp/x".into(), None, None).is_err());
        assert!(Remote::new("a b".into(), None, None).is_err());
        assert!(Remote::new(String::new(), None, None).is_err());
    }
}
