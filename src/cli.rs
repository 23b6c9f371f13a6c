//! The command line, as clap sees it. Nothing past `Context::from_cli` sees these types raw.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::{Phase, Priority, Severity, Status};

const AFTER_HELP: &str = "\
See the whole loop on a simulated failure first:
  incident drill bad-deploy --auto

Quick start:
  incident open \"Checkout returns 502s\" -s sev2 --service checkout
  incident observe \"5xx rate at 40% since 14:02\"
  incident hypothesis add \"The 13:58 deploy broke the payment client\"
  incident run -- kubectl rollout history deploy/checkout
  incident hypothesis confirm H1 --evidence \"errors began at the deploy\"
  incident status mitigated
  incident resolve --summary \"Rolled back the 13:58 deploy\"
  incident timeline

Environment:
  INCIDENT_STORE   where incidents live (like --store)
  INCIDENT_ID      the incident to act on (like -i)
  INCIDENT_AUTHOR  who is recording (default: git user.name, else $USER)
  INCIDENT_NOW     pin \"now\" (RFC 3339), for reproducible runs
  NO_COLOR         no colour, whatever the terminal

Exit codes: 0 success, 1 runtime error, 2 usage error; `run` exits with its command's status.";

/// Incident response in the terminal: keep to the Observe-Orient-Decide-Act loop and leave a record.
///
/// Every command that changes anything appends an event to the incident's timeline; every command
/// that shows anything reads it back. Data goes to stdout, messages for people to stderr.
#[derive(Debug, Parser)]
#[command(name = "incident", version, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Where incidents live [default: nearest incident.toml's `store`, else $XDG_DATA_HOME/incident]
    #[arg(long, global = true, env = "INCIDENT_STORE", value_name = "DIR")]
    pub store: Option<PathBuf>,

    /// The incident to act on: an id or an unambiguous prefix [default: the current one]
    #[arg(short, long, global = true, env = "INCIDENT_ID", value_name = "ID")]
    pub incident: Option<String>,

    /// Machine-readable output on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// When to use colour
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// When the recorded event happened, if not now: 10m ago, 14:05, yesterday 14:05, 2026-11-22 14:05
    #[arg(long, global = true, value_name = "TIME", allow_hyphen_values = true)]
    pub at: Option<String>,

    /// Print less on stderr
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print more on stderr
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Declare an incident and make it current; prints its id
    Open(OpenArgs),
    /// Make another incident current
    Use(UseArgs),
    /// List incidents (open ones unless --all)
    List(ListArgs),
    /// Show the current incident: status, roles, impact, hypotheses, follow-ups, clocks
    Show,
    /// The incident's runbook variables and where each came from; `vars set` changes them
    Vars(VarsArgs),
    /// Record that you are on it: the end of "time to acknowledge" (--at to back-date)
    Ack(AckArgs),
    /// Change the status
    Status(StatusArgs),
    /// Change the severity
    Severity(SeverityArgs),
    /// Assign a role (commander, comms, scribe, or any other) to a person
    Role(RoleArgs),
    /// Record the impact: when it started and ended, when it was detected, who was affected
    Impact(ImpactArgs),
    /// Resolve the incident
    Resolve(ResolveArgs),
    /// Tell stakeholders where things stand: a drafted update, edited, recorded and sent
    #[command(after_help = UPDATE_AFTER_HELP)]
    Update(UpdateArgs),
    /// Record an observation (Observe)
    Observe(TextArgs),
    /// Record a note, optionally in a phase
    Note(NoteArgs),
    /// Raise, confirm, refute and list hypotheses (Orient)
    #[command(subcommand)]
    Hypothesis(HypothesisCommand),
    /// Record a decision and why (Decide)
    Decide(DecisionArgs),
    /// Record an action done by hand (Act)
    Act(DecideArgs),
    /// Run a command, stream its output, and record it (Act)
    Run(RunArgs),
    /// Add, list, complete and export follow-up action items
    #[command(subcommand)]
    Followup(FollowupCommand),
    /// Print the timeline
    Timeline(TimelineArgs),
    /// Walk the Observe-Orient-Decide-Act loop on the current incident, interactively
    Walk,
    /// Practise on a simulated failure: walk it yourself, or watch it played (--auto)
    Drill(DrillArgs),
    /// Write the blameless post-mortem (Markdown) from the timeline
    Postmortem(PostmortemArgs),
    /// Record a link (dashboard, chat thread, ticket) for the post-mortem
    Link(LinkArgs),
    /// Check the incident's text, or a Markdown file, for blameful language
    Lint(LintArgs),
    /// Counts and clocks across the incidents in the store
    Stats(StatsArgs),
    /// Search logs by time: matching records in a window, counts, a histogram (Observe)
    #[command(after_help = GREP_AFTER_HELP)]
    Grep(GrepArgs),
    /// Run a runbook's Observe checks and record the results (exit 0 ok, 1 warning, 2 critical, 3 unknown)
    Check(CheckArgs),
    /// Run one ad-hoc check with the same engine and record (exit 0 ok, 1 warning, 2 critical, 3 unknown)
    #[command(subcommand)]
    Probe(ProbeCommand),
    /// List, show, lint and create runbooks; run one of their actions
    #[command(subcommand)]
    Runbook(RunbookCommand),
    /// The service catalog (services/*.yaml): list, show and lint the services
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Share the store through git: commit new events, fetch, merge timelines, push
    Sync(SyncArgs),
    /// Keep an incident opened on two machines at once (same id, offline) as one, on purpose
    Unify,
    /// Receive Alertmanager's webhook: alerts open incidents and run their runbook's checks
    #[command(after_help = RECEIVE_AFTER_HELP)]
    Receive(ReceiveArgs),
    /// Show and retry the notifications waiting in the outbox
    #[command(subcommand)]
    Notify(NotifyCommand),
    /// Open your shell (bash or zsh) with every command typed recorded; `exit` comes back
    #[command(after_help = SHELL_AFTER_HELP)]
    Shell(ShellArgs),
    /// Record a command a shell ran (called by `incident shell`'s hooks)
    #[command(hide = true)]
    ShellRecord(ShellRecordArgs),
    /// Merge two versions of a timeline into OURS (git's merge driver, registered by `sync`)
    #[command(hide = true)]
    MergeTimeline(MergeTimelineArgs),
    /// Print shell completions
    Completions(CompletionsArgs),
    /// Print the man page (roff)
    Man,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// What is wrong, as users see it: "Checkout returns 502s"
    pub title: Option<String>,
    /// sev1 (worst) to sev4
    #[arg(short, long)]
    pub severity: Option<Severity>,
    /// An affected service (repeatable). A service of the catalog (services/*.yaml) also picks
    /// its first runbook, unless --runbook is given, and fills the runbook's variables
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// The runbook to follow (name or path)
    #[arg(long, value_name = "NAME|PATH")]
    pub runbook: Option<String>,
    /// Who leads the response
    #[arg(long, value_name = "NAME")]
    pub commander: Option<String>,
    /// When the impact began, if known
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub impact_start: Option<String>,
    /// When the problem was detected, if not now
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub detected_at: Option<String>,
    /// Set a variable of the runbook (repeatable); recorded with the incident, so `check`,
    /// `runbook act` and the walk use it. Secret variables come from the environment instead.
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Do not start the interactive walk
    #[arg(long)]
    pub no_walk: bool,
    /// Open from an alert: Alertmanager's webhook payload (version 4), or one alert, read from
    /// FILE or `-` (stdin). Title, severity, services, the start and the runbook's variables
    /// (`instance` gives host, port and base_url) come from its labels and annotations; flags
    /// given win. A group that already has an open incident adds to it instead, and a repeat
    /// records nothing. With a runbook, its checks run at once and are recorded. Never walks.
    #[arg(long, value_name = "FILE|-")]
    pub from_alert: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct VarsArgs {
    #[command(subcommand)]
    pub command: Option<VarsCommand>,
}

#[derive(Debug, Subcommand)]
pub enum VarsCommand {
    /// Record new values (KEY=VALUE...) for every later check, action and walk step
    Set(VarsSetArgs),
}

#[derive(Debug, Args)]
pub struct VarsSetArgs {
    /// KEY=VALUE, for variables the incident's runbook declares (never secret ones)
    #[arg(value_name = "KEY=VALUE")]
    pub settings: Vec<String>,
}

#[derive(Debug, Args)]
pub struct UseArgs {
    /// An incident id or an unambiguous prefix
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Include resolved incidents
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct AckArgs {
    /// Who was paged, or how you heard
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The update's text, instead of the draft
    #[arg(short, long, value_name = "TEXT", conflicts_with = "yes")]
    pub message: Option<String>,
    /// When the next update is due, from now: 15m, 1h
    #[arg(long, value_name = "DUR", default_value = "30m")]
    pub next: String,
    /// Send without an editor: what is piped in, else the draft as it is
    #[arg(short, long)]
    pub yes: bool,
    /// Print the draft (or --message) and send nothing
    #[arg(long, visible_alias = "print")]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    pub status: Status,
    /// Why
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct SeverityArgs {
    pub severity: Severity,
    /// Why
    #[arg(long)]
    pub note: Option<String>,
}

#[derive(Debug, Args)]
pub struct RoleArgs {
    /// commander, comms, scribe, or any other role
    pub role: String,
    pub name: String,
}

#[derive(Debug, Args)]
pub struct ImpactArgs {
    /// When the impact began
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub start: Option<String>,
    /// When the impact ended
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub end: Option<String>,
    /// When the problem was detected
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub detected_at: Option<String>,
    /// How many users were affected
    #[arg(long, value_name = "N")]
    pub users: Option<u64>,
    /// Who and what was affected, in a sentence
    #[arg(long)]
    pub summary: Option<String>,
    /// Any other figure, e.g. failed_orders=1200
    #[arg(value_name = "KEY=VALUE")]
    pub details: Vec<String>,
    /// What data was lost or had to be restored, in a sentence
    #[arg(long, value_name = "TEXT")]
    pub data_loss: Option<String>,
    /// The recovery point actually reached: the last good backup or replica position
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub recovery_point: Option<String>,
    /// The recovery point objective (how much data may be lost), e.g. 1h
    #[arg(long, value_name = "DUR")]
    pub rpo: Option<String>,
    /// The recovery time objective (how long recovery may take), e.g. 4h
    #[arg(long, value_name = "DUR")]
    pub rto: Option<String>,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// What happened and what fixed it, in a sentence or two
    #[arg(long)]
    pub summary: Option<String>,
}

#[derive(Debug, Args)]
pub struct TextArgs {
    pub text: String,
}

#[derive(Debug, Args)]
pub struct NoteArgs {
    pub text: String,
    #[arg(long)]
    pub phase: Option<Phase>,
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    pub text: String,
    /// The hypothesis this is about (H1, H2, ...)
    #[arg(long, value_name = "ID")]
    pub hypothesis: Option<String>,
}

#[derive(Debug, Args)]
pub struct DecisionArgs {
    /// What was decided
    pub text: String,
    /// The hypothesis this is about (H1, H2, ...)
    #[arg(long, value_name = "ID")]
    pub hypothesis: Option<String>,
    /// What pointed to it
    #[arg(long, value_name = "REASON")]
    pub why: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum HypothesisCommand {
    /// Raise a hypothesis; prints its id (H1, H2, ...)
    Add(HypothesisAddArgs),
    /// Record that a hypothesis was confirmed, and by what
    Confirm(VerdictArgs),
    /// Record that a hypothesis was refuted, and by what
    Refute(VerdictArgs),
    /// List hypotheses with their state
    List,
    /// Say you are verifying a hypothesis, so teammates see it (`--release` to let it go)
    Claim(ClaimArgs),
}

#[derive(Debug, Args)]
pub struct ClaimArgs {
    /// H1, ~a1b2, ...
    pub id: String,
    /// Let go of it instead
    #[arg(long)]
    pub release: bool,
}

#[derive(Debug, Args)]
pub struct HypothesisAddArgs {
    pub text: String,
    /// The check whose result suggested it
    #[arg(long = "from", value_name = "CHECK_ID", conflicts_with = "on")]
    pub from_check: Option<String>,
    /// What it was raised on: an event's id (or a unique prefix of it, from `timeline --json`)
    /// or a check's name; fills the post-mortem's Evidence column
    #[arg(long, value_name = "EVENT|CHECK")]
    pub on: Option<String>,
}

#[derive(Debug, Args)]
pub struct VerdictArgs {
    /// H1, H2, ...
    pub id: String,
    /// What showed it
    #[arg(long)]
    pub evidence: String,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The hypothesis this command tests or acts on
    #[arg(long, value_name = "ID")]
    pub hypothesis: Option<String>,
    /// Kill the command (its whole process group) after this long: 30s, 5m
    #[arg(long, value_name = "DUR")]
    pub timeout: Option<String>,
    /// Show what would run; run and record nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Also mask the value of this environment variable in the record (repeatable)
    #[arg(long = "secret", value_name = "NAME")]
    pub secrets: Vec<String>,
    /// The command and its arguments, after `--`
    #[arg(required = true, last = true, value_name = "CMD")]
    pub argv: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum FollowupCommand {
    /// Add an action item; prints its id (F1, F2, ...)
    Add(FollowupAddArgs),
    /// List action items
    List,
    /// Mark an action item done
    Done(FollowupDoneArgs),
    /// Send action items to an issue tracker, or write them for one
    #[command(after_help = FOLLOWUP_EXPORT_AFTER_HELP)]
    Export(FollowupExportArgs),
}

const FOLLOWUP_EXPORT_AFTER_HELP: &str = "\
GitHub and GitLab issues are created through their own tools, `gh` and `glab`, which must be on
PATH and logged in (`gh auth login`, `glab auth login`): the account and its token stay with them.
Each issue's URL is recorded on its follow-up (`followup.linked`); a follow-up already linked to
an issue on that tracker is skipped, so exporting twice creates one issue. Jira gets a CSV file
for its importer (Summary, Description, Assignee, Due date, Priority, Labels); `json` prints the
follow-ups for scripts. Without IDs, every follow-up not done is exported (`--all`: done too).

Examples:
  incident followup export --to github --repo acme/shop --dry-run   show the gh commands
  incident followup export --to github --repo acme/shop             create the issues
  incident followup export --to gitlab F2 F3 --label incident       two of them, labelled
  incident followup export --to jira-csv -o followups.csv           a file for Jira's import

Exit status: 0 when every follow-up was exported or already linked; 1 when any failed (the rest
are still exported and recorded; each failure is named with the tool's own words) or the tool is
missing; 2 for a usage error.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportTo {
    /// GitHub issues, through `gh`
    Github,
    /// GitLab issues, through `glab`
    Gitlab,
    /// A CSV file for Jira's importer
    JiraCsv,
    /// JSON on stdout, for scripts
    Json,
}

#[derive(Debug, Args)]
pub struct FollowupExportArgs {
    /// Where to: github, gitlab, jira-csv or json
    #[arg(long, value_name = "TRACKER")]
    pub to: ExportTo,
    /// The repository (github, gitlab): OWNER/NAME; default: the one the tool finds from the
    /// current directory
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Which follow-ups: F1, ~a1b2, ...; default: every one not done
    #[arg(value_name = "ID")]
    pub ids: Vec<String>,
    /// Done follow-ups too
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
    /// Add this label to each issue or row (repeatable; on GitHub and GitLab it must exist)
    #[arg(long = "label", value_name = "LABEL")]
    pub labels: Vec<String>,
    /// Assign each issue to its follow-up's owner (github, gitlab): owners must then be logins
    #[arg(long)]
    pub assign: bool,
    /// Write the CSV to this file instead of stdout (jira-csv)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,
    /// How long each `gh`/`glab` run may take before it is ended
    #[arg(long, value_name = "DUR", default_value = "60s")]
    pub timeout: String,
    /// Show what would be run or written; create, write and record nothing
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct FollowupAddArgs {
    pub text: String,
    /// Who will do it
    #[arg(long)]
    pub owner: String,
    /// When it is due: 2026-12-01
    #[arg(long, value_name = "DATE")]
    pub due: Option<String>,
    /// P0 (most urgent) to P3
    #[arg(long)]
    pub priority: Option<Priority>,
    /// What kind of change it is
    #[arg(long = "type", value_name = "TYPE", value_parser = ["mitigate", "prevent", "detect", "process"])]
    pub item_type: Option<String>,
    /// Where it is tracked: an issue's URL
    #[arg(long, value_name = "URL")]
    pub tracker: Option<String>,
}

#[derive(Debug, Args)]
pub struct FollowupDoneArgs {
    /// F1, F2, ...
    pub id: String,
}

#[derive(Debug, Args)]
pub struct TimelineArgs {
    /// Only events of this phase
    #[arg(long)]
    pub phase: Option<Phase>,
    /// Only events of this kind, or kinds starting with it (`hypothesis` matches hypothesis.*)
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Check the file: list damaged lines and torn tails; exit 1 if there are any
    #[arg(long)]
    pub verify: bool,
    /// Keep printing events as they land, teammates' too (syncing every few seconds when the
    /// store has a remote), with who recorded last and who is verifying what
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// With --follow: sync every this many seconds
    #[arg(long, value_name = "SECS", default_value_t = 5, requires = "follow")]
    pub sync_every: u64,
    /// With --follow: stop after this long (e.g. 30s, 10m) instead of at Ctrl-C
    #[arg(long = "for", value_name = "DURATION", requires = "follow")]
    pub follow_for: Option<String>,
}

const GREP_AFTER_HELP: &str = "\
A record is a timestamped line and the lines below it without a timestamp (a stack trace).
The window is half-open: a record at --since is in, one at --until is out.
Within `grep`, -i means --ignore-case and -v --invert-match, as in grep: name the incident with
--incident (or before `grep`), and ask for more on stderr with --verbose.

Examples:
  incident grep ERROR /var/log/app/ --since 15m
  incident grep -i 'timeout|refused' 'app.log*' --since 14:05 --until 14:20 --histogram
  incident grep OutOfMemory app.log --since 1h --context 2 --record
  incident grep panic container:web pod:prod/api-7d9f --since 30m

Exit codes: 0 matches found, 1 no match, 2 error (grep's convention).";

#[derive(Debug, Args)]
pub struct GrepArgs {
    /// A regex (Rust regex syntax), or a literal string with -F; one starting with `-` goes
    /// after `--` (`incident grep -- -v app.log`)
    pub pattern: String,
    /// Files, directories or globs (rotated sets oldest first), or journal:UNIT, container:NAME,
    /// pod:NAMESPACE/POD[/CONTAINER] [default: standard input]
    #[arg(value_name = "PATH")]
    pub paths: Vec<String>,
    /// Start of the window: 15m (ago), 14:05, 2026-11-22T14:05Z
    #[arg(long, value_name = "DUR|TIME", allow_hyphen_values = true)]
    pub since: Option<String>,
    /// End of the window (excluded): 14:20, 2026-11-22T14:20Z, 5m (ago)
    #[arg(long, value_name = "TIME", allow_hyphen_values = true)]
    pub until: Option<String>,
    /// Match case-insensitively (-i)
    #[arg(long)]
    pub ignore_case: bool,
    /// The pattern is a literal string, not a regex
    #[arg(short = 'F', long)]
    pub fixed_strings: bool,
    /// Show the records that do not match (-v)
    #[arg(long)]
    pub invert_match: bool,
    /// Match only whole words
    #[arg(short = 'w', long)]
    pub word_regexp: bool,
    /// Print only the matching parts of each record, one per line
    #[arg(short = 'o', long, conflicts_with_all = ["invert_match", "count", "files_with_matches"])]
    pub only_matching: bool,
    /// Print only the names of files with a matching record
    #[arg(short = 'l', long, conflicts_with = "count")]
    pub files_with_matches: bool,
    /// Print only the number of matching records
    #[arg(short = 'c', long)]
    pub count: bool,
    /// Stop after N matching records
    #[arg(short = 'm', long, value_name = "N")]
    pub max: Option<u64>,
    /// Show N records before and after each match
    #[arg(short = 'C', long, value_name = "N", default_value_t = 0)]
    pub context: usize,
    /// Show N records after each match (overrides -C)
    #[arg(short = 'A', long, value_name = "N")]
    pub after_context: Option<usize>,
    /// Show N records before each match (overrides -C)
    #[arg(short = 'B', long, value_name = "N")]
    pub before_context: Option<usize>,
    /// Draw matching records per minute
    #[arg(long)]
    pub histogram: bool,
    /// Keep only structured records whose field compares so: level=error, status>=500 (repeatable)
    #[arg(long = "where", value_name = "FIELD<OP>VALUE")]
    pub filters: Vec<String>,
    /// Count matching records by the value of a field (`--by upstream`) instead of printing them
    #[arg(long, value_name = "FIELD")]
    pub by: Option<String>,
    /// Print JSON and logfmt records as written, not as level, time, message and fields
    #[arg(long)]
    pub raw: bool,
    /// Search the systemd journal (of these units, or all) through journalctl, not files
    #[arg(long, value_name = "UNIT", num_args = 0.., conflicts_with = "paths")]
    pub journal: Option<Vec<String>>,
    /// The journal directory to read with --journal (journalctl --directory) [default: the system's]
    #[arg(long, value_name = "DIR", requires = "journal")]
    pub journal_directory: Option<PathBuf>,
    /// How the timestamps look, in strftime (%Y-%m-%d %H:%M:%S), when detection gets it wrong
    #[arg(long, value_name = "FMT")]
    pub time_format: Option<String>,
    /// Zone of timestamps that carry none: UTC, local, +01:00 [default: local]
    #[arg(long, value_name = "TZ", allow_hyphen_values = true)]
    pub tz: Option<String>,
    /// Record the search (counts, first and last match, samples) on the current incident
    #[arg(long)]
    pub record: bool,
    /// After searching, keep watching the files for new lines (rotation and truncation
    /// followed, as tail -F); with --record, at most one event per 10 s, each counting its matches
    #[arg(long, conflicts_with_all = ["count", "files_with_matches", "histogram", "by", "journal"])]
    pub follow: bool,
}

/// `-i` is the global `--incident` and `-v` the global `--verbose`, but grep's contract gives them
/// to case-insensitivity and inversion: within `grep`'s arguments, turn `-i` and `-v` (alone or
/// in a cluster of flags) into `--ignore-case` and `--invert-match`.
pub fn rewrite_grep_short_flags(args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    // The subcommand `grep`, not the value of an option before it (`--store grep`).
    let takes_value = |a: &std::ffi::OsString| {
        a.to_str().is_some_and(|a| matches!(a, "--store" | "--incident" | "-i" | "--color" | "--at"))
    };
    let Some(grep_at) = (1..args.len()).find(|&i| args[i] == "grep" && !takes_value(&args[i - 1])) else {
        return args;
    };
    let mut out = Vec::with_capacity(args.len() + 1);
    let mut rest_literal = false;
    for (index, arg) in args.into_iter().enumerate() {
        match arg.to_str() {
            Some("--") if index > grep_at => {
                rest_literal = true;
                out.push(arg);
            }
            Some(text) if index > grep_at && !rest_literal => match split_short_cluster(text) {
                Some(parts) => out.extend(parts.into_iter().map(std::ffi::OsString::from)),
                None => out.push(arg),
            },
            _ => out.push(arg),
        }
    }
    out
}

/// `-ic` becomes `--ignore-case -c`, `-vC2` becomes `--invert-match -C2`; None when the argument
/// is not a cluster of grep's short flags holding an `i` or a `v`.
fn split_short_cluster(text: &str) -> Option<Vec<String>> {
    let flags = text.strip_prefix('-').filter(|f| !f.starts_with('-') && f.contains(['i', 'v']))?;
    let mut parts = Vec::new();
    for (at, c) in flags.char_indices() {
        match c {
            'i' => parts.push("--ignore-case".to_string()),
            'v' => parts.push("--invert-match".to_string()),
            'F' | 'c' | 'q' | 'w' | 'o' | 'l' => parts.push(format!("-{c}")),
            // A flag with a value takes the rest of the cluster as it.
            'A' | 'B' | 'C' | 'm' => {
                parts.push(format!("-{}", &flags[at..]));
                return Some(parts);
            }
            _ => return None,
        }
    }
    Some(parts)
}

#[derive(Debug, Args)]
pub struct PostmortemArgs {
    /// Write to this file instead of stdout
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A shipped template by name, or a MiniJinja file by path
    #[arg(long, value_name = "NAME|PATH", default_value = "default")]
    pub template: String,
    /// Exit 1 when the blameless lint finds anything
    #[arg(long)]
    pub strict: bool,
    /// Record the review status before writing
    #[arg(long, value_name = "STATUS", value_parser = ["draft", "in-review", "final"])]
    pub status: Option<String>,
    /// Record who wrote the post-mortem (repeatable; replaces the recorded list)
    #[arg(long = "author", value_name = "NAME")]
    pub authors: Vec<String>,
    /// Record what set it off, in a sentence
    #[arg(long, value_name = "TEXT")]
    pub trigger: Option<String>,
    /// Record the root cause, in a sentence (the contributing factors still list every condition)
    #[arg(long, value_name = "TEXT")]
    pub root_cause: Option<String>,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// An http or https URL: a dashboard, a chat thread, a ticket
    pub url: String,
    /// What it is
    #[arg(long)]
    pub title: Option<String>,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// A Markdown file [default: the current incident's own text]
    pub file: Option<PathBuf>,
    /// A person's name to flag as the subject of a cause (repeatable; for a file)
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Only incidents opened within this long before now (e.g. 30d, 90d)
    #[arg(long, value_name = "DUR")]
    pub since: Option<String>,
    /// Include practice incidents (drills)
    #[arg(long)]
    pub drills: bool,
}

#[derive(Debug, Args)]
pub struct DrillArgs {
    /// bad-deploy, config-not-reloaded or retry-storm [default: choose on a terminal]
    pub scenario: Option<String>,
    /// Play a scripted responder through the loop and print the post-mortem
    #[arg(long)]
    pub auto: bool,
    /// List the scenarios
    #[arg(long)]
    pub list: bool,
    /// End the current (interrupted) drill: close its practice incident as abandoned and remove its folder
    #[arg(long, conflicts_with_all = ["scenario", "auto", "list"])]
    pub abandon: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

/// Where runbooks are looked for, besides `./runbooks` and the shipped library.
#[derive(Debug, Args)]
pub struct RunbookDirArgs {
    /// A folder of runbooks (*.yaml), searched first
    #[arg(long = "runbooks", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

const UPDATE_AFTER_HELP: &str = "\
The draft says what is known (confirmed causes, checks failing and recovered), the impact, what
is being done (status, phase, the latest decision and action) and when the next update comes.

Where the text comes from:
  --message TEXT   that text
  a pipe           standard input, when it is not a terminal (with --yes too)
  --yes            the draft as it is, when nothing is piped in
  otherwise        the draft, opened in $VISUAL or $EDITOR (else vi); save an empty file to
                   send nothing

The update is recorded (update.posted) and sent to the [[notify]] webhooks of incident.toml.
`incident show`, `incident list` and the walk then say when the next one is due, or by how
long it is overdue; the post-mortem lists every update under Communications.

Examples:
  incident update                  edit the draft, then send it
  incident update --print          see the draft; send nothing
  incident update --yes --next 1h  send the draft; the next in an hour";

const SHELL_AFTER_HELP: &str = "\
Each command is recorded when it finishes, as typed (secrets masked as `run` masks them), with
its exit status, duration and directory; its output goes to the terminal, not the record.
The prompt starts with the incident's id and phase. $SHELL is used when it is bash or zsh;
any other shell is replaced by bash. Your own rc file is read first.";

#[derive(Debug, Args)]
pub struct ShellArgs {
    /// Keep the whole terminal session, masked, as an asciicast v2 artifact (asciinema play)
    #[arg(long)]
    pub capture: bool,
}

#[derive(Debug, Args)]
pub struct ShellRecordArgs {
    /// The command's exit status
    #[arg(long)]
    pub status: i32,
    /// When it started and finished, as the shell's $EPOCHREALTIME
    #[arg(long)]
    pub started: String,
    #[arg(long)]
    pub finished: String,
    /// The directory it ran in
    #[arg(long)]
    pub cwd: String,
    /// The line as typed
    #[arg(allow_hyphen_values = true)]
    pub line: String,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A runbook name or path [default: the incident's runbook]
    #[arg(value_name = "RUNBOOK")]
    pub runbook: Option<String>,
    /// Set a runbook variable (repeatable)
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Run only this check (repeatable)
    #[arg(long = "only", value_name = "CHECK_ID")]
    pub only: Vec<String>,
    /// Do not record the results in the incident
    #[arg(long)]
    pub no_record: bool,
    /// How many checks run at once [default: the runbook's, else 8]
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// A deadline for the whole run: checks not finished by then are `unknown`
    #[arg(long, value_name = "DUR", default_value = "2m")]
    pub deadline: String,
    /// Run the checks again every INTERVAL, showing each one's history and recording only
    /// changes of state, until all pass for --until-ok (or Ctrl-C)
    #[arg(long, value_name = "INTERVAL", num_args = 0..=1, default_missing_value = "10s")]
    pub watch: Option<String>,
    /// With --watch: stop once every check has passed for this long
    #[arg(long, value_name = "DUR", default_value = "1m", requires = "watch")]
    pub until_ok: String,
    /// With --watch: stop after this long even if the checks never held (exit with the last
    /// run's worst state)
    #[arg(long, value_name = "DUR", requires = "watch")]
    pub give_up_after: Option<String>,
    /// With --watch: log checks count only records since the incident's last action (a fix)
    #[arg(long, requires = "watch")]
    pub since_action: bool,
    #[command(flatten)]
    pub dirs: RunbookDirArgs,
}

/// Options every ad-hoc probe takes.
#[derive(Debug, Args)]
pub struct ProbeOptions {
    /// Give up on one attempt after this long
    #[arg(long, value_name = "DUR", default_value = "10s")]
    pub timeout: String,
    /// Extra attempts after a failure (a pass after a retry is a warning)
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub retries: u32,
    /// Do not record the result in the incident
    #[arg(long)]
    pub no_record: bool,
}

#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// List queued deliveries: webhook, incident, event, attempts, next try, last error
    Status,
    /// Retry every queued delivery now (exit 1 if any is still queued)
    Flush,
    /// Send what is due, waiting up to each webhook's timeout, and print what happened as JSON
    /// (the background sender that recording commands start)
    #[command(hide = true)]
    Send,
}

#[derive(Debug, Subcommand)]
pub enum ProbeCommand {
    /// An HTTP(S) request: status, latency, body, headers
    Http(ProbeHttpArgs),
    /// A TCP connection: HOST:PORT
    Tcp(ProbeTcpArgs),
    /// A DNS lookup
    Dns(ProbeDnsArgs),
    /// A TLS handshake: certificate expiry, subject, issuer, names, trust
    Tls(ProbeTlsArgs),
    /// A Prometheus instant query
    Prometheus(ProbePrometheusArgs),
    /// A command (argv, never through a shell), after `--`
    Cmd(ProbeCmdArgs),
}

#[derive(Debug, Args)]
pub struct ProbeHttpArgs {
    pub url: String,
    /// Request method
    #[arg(long, short = 'X', default_value = "GET")]
    pub method: String,
    /// A request header, `Name: value` (repeatable)
    #[arg(long = "header", short = 'H', value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Wanted status: 200, 2xx [default: 2xx]
    #[arg(long, value_name = "CODE")]
    pub status: Option<String>,
    /// Wanted latency, e.g. "< 300ms"
    #[arg(long, value_name = "CMP", allow_hyphen_values = true)]
    pub latency: Option<String>,
    /// Text the body must contain
    #[arg(long, value_name = "TEXT")]
    pub contains: Option<String>,
    /// Do not follow redirects
    #[arg(long)]
    pub no_follow: bool,
    /// Do not verify the TLS certificate
    #[arg(long, short = 'k')]
    pub insecure: bool,
    #[command(flatten)]
    pub options: ProbeOptions,
}

#[derive(Debug, Args)]
pub struct ProbeTcpArgs {
    /// HOST:PORT
    pub target: String,
    #[command(flatten)]
    pub options: ProbeOptions,
}

#[derive(Debug, Args)]
pub struct ProbeDnsArgs {
    pub name: String,
    /// A, AAAA, CNAME, MX or TXT
    #[arg(long = "type", short = 't', default_value = "A")]
    pub record_type: String,
    /// Ask this nameserver (IP[:PORT]) instead of the system's
    #[arg(long, value_name = "IP[:PORT]")]
    pub server: Option<String>,
    /// An answer that must be among those returned (repeatable)
    #[arg(long = "expect", value_name = "ANSWER")]
    pub answers: Vec<String>,
    #[command(flatten)]
    pub options: ProbeOptions,
}

#[derive(Debug, Args)]
pub struct ProbeTlsArgs {
    /// HOST[:PORT] (port 443 by default)
    pub target: String,
    /// Warn unless the leaf certificate is valid for at least this long [default: 14d]
    #[arg(long, value_name = "DUR", default_value = "14d")]
    pub min_valid: String,
    /// Do not require the chain to verify against the system's roots
    #[arg(long, short = 'k')]
    pub insecure: bool,
    #[command(flatten)]
    pub options: ProbeOptions,
}

#[derive(Debug, Args)]
pub struct ProbePrometheusArgs {
    /// Prometheus base URL, e.g. http://127.0.0.1:9090
    pub url: String,
    /// A PromQL instant query
    pub query: String,
    /// Warning threshold, e.g. "> 0.01"
    #[arg(long, value_name = "CMP", allow_hyphen_values = true)]
    pub warning: Option<String>,
    /// Critical threshold, e.g. "> 0.05"
    #[arg(long, value_name = "CMP", allow_hyphen_values = true)]
    pub critical: Option<String>,
    #[command(flatten)]
    pub options: ProbeOptions,
}

#[derive(Debug, Args)]
pub struct ProbeCmdArgs {
    /// Wanted exit code
    #[arg(long, default_value_t = 0)]
    pub exit_code: i32,
    #[command(flatten)]
    pub options: ProbeOptions,
    /// The command and its arguments, after `--`
    #[arg(required = true, last = true, value_name = "CMD")]
    pub argv: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum RunbookCommand {
    /// List the runbooks there are (on disk and shipped)
    List(RunbookDirArgs),
    /// Show a runbook: its variables, checks, hypotheses and actions
    Show(RunbookShowArgs),
    /// Check runbooks without running them; exit 1 if any has a problem
    Lint(RunbookLintArgs),
    /// Write a new runbook from a template
    New(RunbookNewArgs),
    /// Run one action of a runbook: preview, confirm, run, verify, roll back if needed
    Act(RunbookActArgs),
}

#[derive(Debug, Args)]
pub struct RunbookShowArgs {
    /// A runbook name or path
    pub name: String,
    #[command(flatten)]
    pub dirs: RunbookDirArgs,
}

#[derive(Debug, Args)]
pub struct RunbookLintArgs {
    /// Runbook files or folders [default: every runbook there is]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub dirs: RunbookDirArgs,
}

#[derive(Debug, Args)]
pub struct RunbookNewArgs {
    /// The new runbook's name (letters, digits, `-`, `_`)
    pub name: String,
    /// The folder to write it in
    #[arg(long, value_name = "DIR", default_value = "runbooks")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct RunbookActArgs {
    /// The action's id
    pub action: String,
    /// The runbook [default: the incident's runbook]
    #[arg(long, short = 'r', value_name = "NAME|PATH")]
    pub runbook: Option<String>,
    /// Set a runbook variable (repeatable)
    #[arg(long = "var", value_name = "KEY=VALUE")]
    pub vars: Vec<String>,
    /// Show what would run and run only the declared read-only preview
    #[arg(long)]
    pub dry_run: bool,
    /// Confirm without asking (required off a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Continue a procedure from the first step its latest attempt did not finish
    #[arg(long)]
    pub resume: bool,
    /// The answer to the first manual step reached (for a run off a terminal)
    #[arg(long, value_name = "TEXT")]
    pub answer: Option<String>,
    #[command(flatten)]
    pub dirs: RunbookDirArgs,
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// List the catalog's services, their owners and runbooks
    List(ServiceDirArgs),
    /// Show a service: owners, runbooks, variables, Prometheus and logs
    Show(ServiceShowArgs),
    /// Check the catalog against the runbooks without running anything; exit 1 on a problem
    Lint(ServiceLintArgs),
}

/// Where the catalog is, besides `services` in incident.toml and `./services`.
#[derive(Debug, Args)]
pub struct ServiceDirArgs {
    /// A folder of service files (*.yaml) [default: `services` in incident.toml, else ./services]
    #[arg(long = "services", value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServiceShowArgs {
    /// The service's name
    pub name: String,
    #[command(flatten)]
    pub dirs: ServiceDirArgs,
}

#[derive(Debug, Args)]
pub struct ServiceLintArgs {
    /// Service files or folders [default: the whole catalog]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub dirs: ServiceDirArgs,
}

#[derive(Debug, Args)]
pub struct ReceiveArgs {
    /// Where to listen; an address other than loopback needs INCIDENT_RECEIVE_TOKEN
    #[arg(long, value_name = "ADDR:PORT", default_value = "127.0.0.1:9095")]
    pub listen: String,
}

const RECEIVE_AFTER_HELP: &str = "\
Alertmanager's configuration (alertmanager.yml):
  receivers:
    - name: incident
      webhook_configs:
        - url: http://127.0.0.1:9095/alertmanager
          send_resolved: true
          http_config:
            authorization: {credentials: <the value of INCIDENT_RECEIVE_TOKEN>}

A firing group opens an incident (or adds to the open one of the same group), the runbook whose
`match:` rules fit is chosen, and its checks run and are recorded at once. Repeats record
nothing; a resolved notification is recorded and never resolves the incident by itself.
Every notification is queued in the store's inbox before it is acknowledged, so a restart loses
none. GET /healthz answers 200.";

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Make the store a git repository with this remote (a URL or a path), or point it there
    #[arg(long, value_name = "REMOTE")]
    pub init: Option<String>,
}

#[derive(Debug, Args)]
pub struct MergeTimelineArgs {
    /// The common ancestor's version (%O); not needed for a union, accepted for git
    pub base: PathBuf,
    /// Our version (%A); the result is written here
    pub ours: PathBuf,
    /// Their version (%B)
    pub theirs: PathBuf,
    /// The file's path in the repository (%P), for messages
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
}
