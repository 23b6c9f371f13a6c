//! The command line, as clap sees it. Nothing past `Context::from_cli` sees these types raw.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::model::{Phase, Priority, Severity, Status};

const AFTER_HELP: &str = "\
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

    /// When the recorded event happened, if not now: 14:05, 2026-11-22T14:05:00Z, -10m
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
    /// Record an observation (Observe)
    Observe(TextArgs),
    /// Record a note, optionally in a phase
    Note(NoteArgs),
    /// Raise, confirm, refute and list hypotheses (Orient)
    #[command(subcommand)]
    Hypothesis(HypothesisCommand),
    /// Record a decision (Decide)
    Decide(DecideArgs),
    /// Record an action done by hand (Act)
    Act(DecideArgs),
    /// Run a command, stream its output, and record it (Act)
    Run(RunArgs),
    /// Add, list and complete follow-up action items
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
    /// Check the incident's text, or a Markdown file, for blameful language
    Lint(LintArgs),
    /// Counts and clocks across the incidents in the store
    Stats(StatsArgs),
    /// Share the store through git: commit new events, fetch, merge timelines, push
    Sync(SyncArgs),
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
    /// An affected service (repeatable)
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
    /// Do not start the interactive walk
    #[arg(long)]
    pub no_walk: bool,
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
}

#[derive(Debug, Args)]
pub struct HypothesisAddArgs {
    pub text: String,
    /// The check whose result suggested it
    #[arg(long = "from", value_name = "CHECK_ID")]
    pub from_check: Option<String>,
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
    /// bad-deploy or config-not-reloaded [default: choose on a terminal]
    pub scenario: Option<String>,
    /// Play a scripted responder through the loop and print the post-mortem
    #[arg(long)]
    pub auto: bool,
    /// List the scenarios
    #[arg(long)]
    pub list: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    pub shell: clap_complete::Shell,
}

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
