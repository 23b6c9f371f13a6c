//! The systemd journal as a source: `journalctl -o json` run as argv, with the window pushed down
//! as `--since`/`--until`, its output searched as a stream of JSON records (their time is
//! `__REALTIME_TIMESTAMP`, found by key like any JSON log's).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{FileReport, Flow, Hit, Matcher, Options, Strategy, Summary, Window};

/// Which journal to read, and which units of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journal {
    /// `-u UNIT` for each; all units when empty.
    pub units: Vec<String>,
    /// A journal directory other than the system's (`journalctl --directory`).
    pub directory: Option<PathBuf>,
}

impl Journal {
    /// The name the records and reports carry: `journal:api.service`, or `journal`.
    pub fn name(&self) -> String {
        if self.units.is_empty() { "journal".to_string() } else { format!("journal:{}", self.units.join(",")) }
    }

    /// journalctl's arguments: JSON, no pager, the units, and the window to whole seconds (widened
    /// outward, so the search's own exact window decides at the edges).
    pub fn args(&self, window: Window) -> Vec<String> {
        let mut args = vec!["--output=json".to_string(), "--no-pager".to_string(), "--quiet".to_string()];
        if let Some(dir) = &self.directory {
            args.push(format!("--directory={}", dir.display()));
        }
        for unit in &self.units {
            args.push(format!("--unit={unit}"));
        }
        if let Some(since) = window.since {
            args.push(format!("--since=@{}", since.div_euclid(1_000_000)));
        }
        if let Some(until) = window.until {
            args.push(format!("--until=@{}", until.div_euclid(1_000_000) + 1));
        }
        args
    }
}

/// Searches the journal through `journalctl`; a journalctl that cannot start or that fails is the
/// report's error (with what it said on stderr).
pub fn search(journal: &Journal, matcher: &Matcher, options: &Options, sink: &mut dyn FnMut(&Hit) -> Flow) -> Summary {
    let name = PathBuf::from(journal.name());
    let failed = |why: String| {
        let mut report = FileReport::new(&name);
        report.strategy = Strategy::Failed;
        report.error = Some(why);
        Summary { files: vec![report], ..Summary::default() }
    };
    let child = Command::new("journalctl")
        .args(journal.args(options.window))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return failed("journalctl not found: --journal reads the journal through systemd's journalctl".into());
        }
        Err(e) => return failed(format!("cannot run journalctl: {e}")),
    };
    let Some(mut stdout) = child.stdout.take() else { return failed("journalctl gave no output stream".into()) };
    // stderr is read beside stdout so that a chatty journalctl cannot block on a full pipe.
    let mut stderr = child.stderr.take();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(stderr) = stderr.as_mut() {
            let _ = stderr.read_to_string(&mut text);
        }
        text
    });
    let mut summary = super::search_stream(Path::new(&name), &mut stdout, matcher, options, sink);
    // Stopped early (--max, a closed pipe): journalctl need not write the rest.
    drop(stdout);
    let _ = child.kill();
    let status = child.wait();
    let said = errors.join().unwrap_or_default();
    if let Ok(status) = status
        && !status.success()
        && status.code().is_some()
        && let Some(report) = summary.files.first_mut()
    {
        report.error = Some(format!("journalctl failed ({status}): {}", said.trim()));
        report.strategy = Strategy::Failed;
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_pushed_down_to_whole_seconds_around_it() {
        let journal = Journal { units: vec!["nginx.service".into()], directory: Some("/j".into()) };
        let window = Window { since: Some(1_795_500_000_500_000), until: Some(1_795_500_060_000_000) };
        assert_eq!(
            journal.args(window),
            [
                "--output=json",
                "--no-pager",
                "--quiet",
                "--directory=/j",
                "--unit=nginx.service",
                "--since=@1795500000",
                "--until=@1795500061"
            ]
        );
        assert_eq!(journal.name(), "journal:nginx.service");
    }
}
