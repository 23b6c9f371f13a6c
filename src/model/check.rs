//! The result of one check (a probe run against its expectations): the `check.result` event.
//!
//! Pure data: `probe/` produces it, commands record and render it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The four states of Nagios, Consul and Sensu. Ordered from best to worst for `max()`, except
/// that `Unknown` ranks above `Critical`: a check that could not run says nothing good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckStatus {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl CheckStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Ok => "ok",
            CheckStatus::Warning => "warning",
            CheckStatus::Critical => "critical",
            CheckStatus::Unknown => "unknown",
        }
    }

    /// The Nagios plugin exit code: 0 ok, 1 warning, 2 critical, 3 unknown.
    pub fn exit_code(self) -> u8 {
        match self {
            CheckStatus::Ok => 0,
            CheckStatus::Warning => 1,
            CheckStatus::Critical => 2,
            CheckStatus::Unknown => 3,
        }
    }

    /// Where a result sorts in a table: failures first.
    pub fn urgency(self) -> u8 {
        match self {
            CheckStatus::Critical => 0,
            CheckStatus::Unknown => 1,
            CheckStatus::Warning => 2,
            CheckStatus::Ok => 3,
        }
    }
}

impl std::fmt::Display for CheckStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One expectation, with the value seen beside the value wanted: `status (503) == 200`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assertion {
    /// What was wanted, e.g. `status == 200`.
    pub expect: String,
    /// What was seen, e.g. `503`.
    pub seen: String,
    pub ok: bool,
}

impl Assertion {
    /// `status (503) == 200`: the subject, the value seen, the wanted comparison.
    pub fn describe(&self) -> String {
        match self.expect.split_once(' ') {
            Some((subject, rest)) => format!("{subject} ({}) {rest}", self.seen),
            None => format!("{} ({})", self.expect, self.seen),
        }
    }
}

/// One try of a check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub n: u32,
    pub status: CheckStatus,
    pub reason: String,
    pub duration_ms: u64,
}

/// The record of one check: what was probed, what was seen, what it means.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckRecord {
    pub check: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    pub probe: String,
    pub status: CheckStatus,
    /// A stable code saying why: `ok`, `connect_refused`, `http_status`, `assertion`, `timeout`, ...
    pub reason: String,
    /// One line for people: `status (503) == 200`.
    pub summary: String,
    /// What was probed (URL, host:port, command line), secrets masked.
    pub target: String,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub observed: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assertions: Vec<Assertion>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attempts: Vec<Attempt>,
    pub duration_ms: u64,
    /// The whole evidence (a response body, a command's output) when the record keeps only part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact: Option<super::ArtifactRef>,
}

/// One check's outcome in a line: what a summary of several checks (`alert.checked`) keeps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckBrief {
    pub check: String,
    pub status: CheckStatus,
    pub summary: String,
}

impl CheckBrief {
    /// The `limit` most urgent of `records`, worst first (in their order within a status).
    pub fn worst_of(records: &[CheckRecord], limit: usize) -> Vec<CheckBrief> {
        let mut sorted: Vec<&CheckRecord> = records.iter().collect();
        sorted.sort_by_key(|r| r.status.urgency());
        sorted
            .into_iter()
            .take(limit)
            .map(|r| CheckBrief { check: r.check.clone(), status: r.status, summary: r.summary.clone() })
            .collect()
    }
}
