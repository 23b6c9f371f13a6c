//! Practice drills: a small simulated failure on loopback, a practice incident marked as a
//! drill, and either the real walk or (`--auto`) a scripted responder playing the loop through
//! the same operations, ending with the post-mortem.

mod auto;
mod service;

pub use auto::play;
pub use service::{Service, remove_dir, v2_deployed_at};

use crate::model::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A deploy broke the service; the fix is a rollback.
    BadDeploy,
    /// A config change was made but the service was never told to reload it.
    ConfigNotReloaded,
    /// A dependency slowed down; clients retry at once, with no backoff, until the circuit opens.
    RetryStorm,
}

#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub name: &'static str,
    pub kind: Kind,
    pub title: &'static str,
    pub summary: &'static str,
    pub severity: Severity,
    pub service: &'static str,
    /// The shipped runbook the drill's incident follows.
    pub runbook: &'static str,
    /// Its action that fixes the failure.
    pub fix: &'static str,
}

pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "bad-deploy",
        kind: Kind::BadDeploy,
        title: "Checkout returns 502s",
        summary: "the checkout service began returning 502 after a deploy; its log is filling with errors",
        severity: Severity::Sev2,
        service: "checkout",
        runbook: "drill-bad-deploy",
        fix: "rollback",
    },
    Scenario {
        name: "config-not-reloaded",
        kind: Kind::ConfigNotReloaded,
        title: "Checkout cannot reach its database",
        summary: "a database move was configured, but checkout still connects to the old, decommissioned one",
        severity: Severity::Sev2,
        service: "checkout",
        runbook: "drill-config-not-reloaded",
        fix: "reload",
    },
    Scenario {
        name: "retry-storm",
        kind: Kind::RetryStorm,
        title: "Checkout times out on inventory; its circuit breaker is open",
        summary: "inventory slowed down, and checkout's clients retry at once, with no backoff, until its circuit opens",
        severity: Severity::Sev2,
        service: "checkout",
        runbook: "drill-retry-storm",
        fix: "backoff",
    },
];

/// How long the scripted responder of `--auto` takes, in simulated minutes (the sum of its
/// pauses in `auto::play`).
pub const AUTO_LENGTH: chrono::Duration = chrono::Duration::minutes(47);

/// The drill runbook's variables, pointing at this drill's service.
pub fn runbook_vars(service: &Service) -> std::collections::BTreeMap<String, String> {
    [
        ("base_url", format!("http://127.0.0.1:{}", service.port)),
        ("log_path", service.log().display().to_string()),
        ("drill_dir", service.dir.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

pub fn find(name: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.name == name)
}

/// The scenario a practice incident was opened for, by the runbook it follows.
pub fn for_runbook(runbook: &str) -> Option<&'static Scenario> {
    SCENARIOS.iter().find(|s| s.runbook == runbook)
}

/// What a responder is told at the start: where things are, and which levers exist.
pub fn briefing(scenario: &Scenario, service: &Service) -> String {
    let dir = service.dir.display();
    format!(
        "Drill ({}): {}.\n  service:         {}  (its health check: {})\n  database check:  {}\n  log:             {}\n  \
         deploy history:  {dir}/releases/history  (live release: {dir}/releases/current; write a release name there to deploy it)\n  \
         config:          {dir}/config/upstream  (the service reads it at start; touch {dir}/reload to reload it)\n  \
         retry policy:    {dir}/config/retry_policy  (how checkout's clients retry a failed call: immediate or exponential)\n\
         This is practice: nothing outside {dir} is touched. The incident follows runbook {}; the drill ends when the walk does.",
        scenario.name,
        scenario.summary,
        service.url("/"),
        service.url("/health"),
        service.url("/db"),
        service.log().display(),
        scenario.runbook,
    )
}
