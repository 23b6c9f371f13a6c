//! The systemd journal as a source: `journalctl -o json` run as argv, with the window pushed down
//! as `--since`/`--until`, its output searched as a stream of JSON records (their time is
//! `__REALTIME_TIMESTAMP`, found by key like any JSON log's).

use std::path::PathBuf;

use super::Window;
use super::command::CommandSource;

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

    /// journalctl as the source, for a search in `window`.
    pub fn source(&self, window: Window) -> CommandSource {
        CommandSource {
            name: self.name(),
            program: "journalctl".into(),
            args: self.args(window),
            wrapper: None,
            needed_for: "--journal reads the journal through systemd's journalctl".into(),
        }
    }
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
