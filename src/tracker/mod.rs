//! Follow-ups out to issue trackers (`incident followup export`).
//!
//! - GitHub and GitLab through their own command-line tools (`gh`, `glab`), which hold the
//!   account and its token, so this program never sees either: [`Tracker::create_argv`] builds
//!   the argv (every value of ours fused to its option, `--title=VALUE`, so no follow-up text
//!   can be read as an option), [`create`] runs it bounded and finds the issue's URL in what the
//!   tool printed;
//! - `jira`: a CSV file for Jira's importer (no account needed, nothing run).
//!
//! Nothing here records anything: the command records the URL (`followup.linked`).

pub mod jira;

use std::process::Command;
use std::time::Duration;

use crate::model::{FollowUp, Priority};
use crate::process;
use crate::secrets::Masker;

/// A tracker reached through its own CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tracker {
    GitHub,
    GitLab,
}

/// The most of the follow-up's first line an issue title takes (GitHub refuses over 256).
const TITLE_CHARS: usize = 200;
/// How much of a tool's stderr an error quotes.
const STDERR_KEPT: usize = 2000;
/// What a run keeps of each stream (an issue URL is short; stderr is quoted).
const OUTPUT_KEPT: usize = 64 * 1024;

impl Tracker {
    pub fn name(self) -> &'static str {
        match self {
            Tracker::GitHub => "GitHub",
            Tracker::GitLab => "GitLab",
        }
    }

    /// The CLI that talks to it.
    pub fn program(self) -> &'static str {
        match self {
            Tracker::GitHub => "gh",
            Tracker::GitLab => "glab",
        }
    }

    /// How to get the CLI, for the error when it is missing.
    pub fn install_hint(self) -> &'static str {
        match self {
            Tracker::GitHub => {
                "install GitHub's CLI (Debian: `apt-get install gh`; others: https://cli.github.com) and log in with `gh auth login`"
            }
            Tracker::GitLab => {
                "install GitLab's CLI (https://gitlab.com/gitlab-org/cli#installation) and log in with `glab auth login`"
            }
        }
    }

    /// The argv creating `issue`. Every value is fused to its option (`--title=VALUE`): cobra,
    /// which both CLIs use, never reads the value of such a word as an option, even when it
    /// starts with `-`.
    pub fn create_argv(self, issue: &Issue, repo: Option<&str>) -> Vec<String> {
        let mut argv: Vec<String> = vec![self.program().into(), "issue".into(), "create".into()];
        argv.push(format!("--title={}", issue.title));
        match self {
            Tracker::GitHub => argv.push(format!("--body={}", issue.body)),
            Tracker::GitLab => {
                argv.push(format!("--description={}", issue.body));
                // glab asks "Submit?" on a terminal unless told not to.
                argv.push("--yes".into());
                if let Some(due) = &issue.due {
                    argv.push(format!("--due-date={due}"));
                }
            }
        }
        if let Some(repo) = repo {
            argv.push(format!("--repo={repo}"));
        }
        if let Some(assignee) = &issue.assignee {
            argv.push(format!("--assignee={assignee}"));
        }
        for label in &issue.labels {
            argv.push(format!("--label={label}"));
        }
        argv
    }

    /// Whether `url` is an issue on this kind of tracker: GitHub's `/OWNER/NAME/issues/N`,
    /// GitLab's `/GROUP/NAME/-/issues/N` (or `/-/work_items/N`), on any host, so that GitHub
    /// Enterprise and self-hosted GitLab count too.
    pub fn holds(self, url: &str) -> bool {
        let path = url_path(url);
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let numbered = |kind: &str| {
            segments.windows(2).any(|w| w[0] == kind && !w[1].is_empty() && w[1].bytes().all(|b| b.is_ascii_digit()))
        };
        let gitlab = segments.contains(&"-");
        match self {
            Tracker::GitHub => !gitlab && segments.len() == 4 && numbered("issues"),
            Tracker::GitLab => gitlab && (numbered("issues") || numbered("work_items")),
        }
    }
}

/// An `http(s)://` URL's path, without query or fragment; empty for anything else.
fn url_path(url: &str) -> &str {
    let lower = url.to_ascii_lowercase();
    let Some(rest) = ["https://", "http://"].iter().find_map(|s| lower.starts_with(s).then(|| &url[s.len()..])) else {
        return "";
    };
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or("")
}

/// An issue to create, its text masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub title: String,
    /// Markdown.
    pub body: String,
    pub assignee: Option<String>,
    pub labels: Vec<String>,
    /// `YYYY-MM-DD`.
    pub due: Option<String>,
}

impl Issue {
    /// The issue for follow-up `f` of incident `incident` ("id: title"): its first line as the
    /// title, the whole text and its facts in the body, every known secret masked (the text was
    /// masked when it was recorded; secrets in the environment now are masked too).
    pub fn from_followup(f: &FollowUp, incident: &str, masker: &Masker) -> Issue {
        let text = masker.mask(&f.text);
        let first_line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or(text.trim());
        let mut body = format!("{}\n\n", text.trim());
        body.push_str(&format!("- Owner: {}\n", masker.mask(&f.owner)));
        if let Some(due) = f.due {
            body.push_str(&format!("- Due: {due}\n"));
        }
        if let Some(p) = f.priority {
            body.push_str(&format!("- Priority: {}\n", p.as_str().to_ascii_uppercase()));
        }
        if let Some(t) = &f.item_type {
            body.push_str(&format!("- Type: {t}\n"));
        }
        body.push_str(&format!("- Incident: {}\n", masker.mask(incident)));
        body.push_str(&format!("- Follow-up: {} {}\n", f.id, f.handle));
        Issue {
            title: cut(first_line, TITLE_CHARS),
            body,
            assignee: None,
            labels: Vec::new(),
            due: f.due.map(|d| d.to_string()),
        }
    }
}

/// `text` cut to at most `max` characters, an ellipsis saying so.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut kept: String = text.chars().take(max - 1).collect();
    kept.push('…');
    kept
}

/// Jira's names for the priorities (its default scheme).
pub fn jira_priority(p: Priority) -> &'static str {
    match p {
        Priority::P0 => "Highest",
        Priority::P1 => "High",
        Priority::P2 => "Medium",
        Priority::P3 => "Low",
    }
}

/// Why an issue was not created.
#[derive(Debug, PartialEq, Eq)]
pub enum CreateError {
    /// The CLI is not on PATH.
    Missing,
    /// It could not be started for another reason.
    Spawn(String),
    /// It ran longer than allowed; its process group was ended.
    TimedOut(Duration),
    /// It failed: its status as a shell gives it and its own words (the end of its stderr).
    Failed { status: u8, words: String },
    /// It succeeded but printed no URL (its stdout's end, to show what it said instead).
    NoUrl { said: String },
}

/// Runs `argv` (from [`Tracker::create_argv`]) with no terminal and no prompt, ended after
/// `timeout`; the created issue's URL, the last `http(s)://` word it printed.
pub fn create(argv: &[String], timeout: Duration, masker: &Masker) -> Result<String, CreateError> {
    let mut command = process::command(argv).map_err(|e| CreateError::Spawn(e.message))?;
    prompt_free(&mut command);
    let captured = process::capture(&mut command, timeout, OUTPUT_KEPT)
        .map_err(|e| if e.not_found { CreateError::Missing } else { CreateError::Spawn(e.message) })?;
    let stdout = String::from_utf8_lossy(&captured.stdout);
    if captured.outcome.timed_out {
        return Err(CreateError::TimedOut(timeout));
    }
    if !captured.outcome.success() {
        let stderr = String::from_utf8_lossy(&captured.stderr);
        // Some failures are told on stdout; the words are whichever stream has them.
        let words = if stderr.trim().is_empty() { stdout.trim() } else { stderr.trim() };
        return Err(CreateError::Failed { status: captured.outcome.shell_status(), words: tail(&masker.mask(words)) });
    }
    issue_url_in(&stdout).ok_or_else(|| CreateError::NoUrl { said: tail(&masker.mask(stdout.trim())) })
}

/// Both CLIs ask questions on a terminal and colour on one; neither is wanted here (stdin is
/// already /dev/null: this is the belt to those braces).
fn prompt_free(command: &mut Command) {
    command.env("GH_PROMPT_DISABLED", "1").env("NO_PROMPT", "1").env("NO_COLOR", "1");
}

/// The last `http://` or `https://` word of a tool's output: `gh` prints the URL alone, `glab`
/// after the issue's number and title.
pub fn issue_url_in(stdout: &str) -> Option<String> {
    stdout
        .split_whitespace()
        .rev()
        .find(|w| !url_path(w).is_empty() && !w.chars().any(char::is_control))
        .map(str::to_string)
}

/// The end of `text`: at most `STDERR_KEPT` bytes, cut at a character boundary.
fn tail(text: &str) -> String {
    if text.len() <= STDERR_KEPT {
        return text.to_string();
    }
    let mut start = text.len() - STDERR_KEPT;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &text[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(title: &str) -> Issue {
        Issue { title: title.into(), body: "b".into(), assignee: None, labels: vec![], due: None }
    }

    #[test]
    fn a_title_like_an_option_stays_the_value_of_title() {
        for title in ["--repo=evil/x", "-R x", "--", "-"] {
            let argv = Tracker::GitHub.create_argv(&issue(title), Some("o/r"));
            assert_eq!(argv[3], format!("--title={title}"));
            assert!(argv.iter().filter(|a| a.starts_with("--repo")).count() == 1, "{argv:?}");
        }
    }

    #[test]
    fn gitlab_is_told_not_to_ask_and_given_the_due_date() {
        let mut i = issue("t");
        i.due = Some("2026-12-01".into());
        let argv = Tracker::GitLab.create_argv(&i, None);
        assert_eq!(argv, ["glab", "issue", "create", "--title=t", "--description=b", "--yes", "--due-date=2026-12-01"]);
    }

    #[test]
    fn issue_urls_are_told_apart_by_tracker() {
        let github = "https://github.com/acme/shop/issues/12";
        let enterprise = "https://git.example.com/acme/shop/issues/3";
        let gitlab = "https://gitlab.com/acme/team/shop/-/issues/7";
        let work_item = "https://gitlab.example/acme/shop/-/work_items/7";
        assert!(Tracker::GitHub.holds(github) && Tracker::GitHub.holds(enterprise));
        assert!(!Tracker::GitHub.holds(gitlab) && !Tracker::GitHub.holds(work_item));
        assert!(Tracker::GitLab.holds(gitlab) && Tracker::GitLab.holds(work_item));
        assert!(!Tracker::GitLab.holds(github));
        for other in ["https://github.com/acme/shop/pull/12", "https://jira.example/browse/OPS-1", "not a url"] {
            assert!(!Tracker::GitHub.holds(other) && !Tracker::GitLab.holds(other), "{other}");
        }
    }

    #[test]
    fn the_url_is_the_last_one_printed() {
        assert_eq!(
            issue_url_in("https://github.com/a/b/issues/1\n").as_deref(),
            Some("https://github.com/a/b/issues/1")
        );
        let glab =
            "Creating issue in acme/shop\n#7 Add an alert (just now)\n https://gitlab.com/acme/shop/-/issues/7\n";
        assert_eq!(issue_url_in(glab).as_deref(), Some("https://gitlab.com/acme/shop/-/issues/7"));
        assert_eq!(issue_url_in("created\n"), None);
    }

    #[test]
    fn a_long_first_line_is_cut_to_a_title_and_kept_whole_in_the_body() {
        let f = FollowUp {
            id: "F1".into(),
            handle: "~abcd".into(),
            event: "E".into(),
            added_at: chrono::Utc::now(),
            text: format!("{}\nsecond line", "x".repeat(300)),
            owner: "ana".into(),
            due: None,
            priority: Some(Priority::P1),
            item_type: None,
            tracker: None,
            links: vec![],
            done: false,
            done_at: None,
        };
        let issue = Issue::from_followup(&f, "2026-11-22-x: X", &Masker::default());
        assert_eq!(issue.title.chars().count(), TITLE_CHARS);
        assert!(issue.body.contains("second line") && issue.body.contains(&"x".repeat(300)));
        assert!(issue.body.contains("- Priority: P1\n") && issue.body.contains("- Follow-up: F1 ~abcd\n"));
    }
}
