//! The probe kinds, as a type. One table gives each kind everything the rest of the program
//! asks of it by name: the key a runbook writes it under, what its results observe, which
//! expectations apply to it, and its `incident probe` subcommand. The loader lints against the
//! table, the engine names its records from it, the CLI test holds clap to it.

use std::fmt;

/// What a check probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProbeKind {
    Http,
    Tcp,
    Dns,
    Tls,
    Command,
    Prometheus,
    Log,
}

/// What the program knows of one kind: its row of the table in [`ProbeKind::row`].
#[derive(Debug)]
struct Row {
    /// The runbook key (`http:`), and the kind as records and `runbook show` name it.
    name: &'static str,
    /// The fields a result records under `observed`: what `assert:` expressions and
    /// `checks.ID.observed.FIELD` in `when:` may read.
    observed: &'static [&'static str],
    /// The `expect:` keys that apply.
    expectations: &'static [&'static str],
    /// Whether `thresholds:` grade its `value`.
    thresholds: bool,
    /// Whether it may run on another host through ssh (`host:`).
    remote: bool,
    /// Its `incident probe` subcommand, if it has one.
    subcommand: Option<&'static str>,
}

impl ProbeKind {
    /// Every kind, in the order the format lists them.
    pub const ALL: [ProbeKind; 7] = [
        ProbeKind::Http,
        ProbeKind::Tcp,
        ProbeKind::Dns,
        ProbeKind::Tls,
        ProbeKind::Command,
        ProbeKind::Prometheus,
        ProbeKind::Log,
    ];

    /// The table: a `match`, so that a kind without its row does not compile.
    fn row(self) -> &'static Row {
        match self {
            ProbeKind::Http => &Row {
                name: "http",
                observed: &["status", "latency_ms", "headers", "url", "json", "body"],
                expectations: &["status", "latency", "body_contains", "body_matches", "json", "headers"],
                thresholds: false,
                remote: false,
                subcommand: Some("http"),
            },
            ProbeKind::Tcp => &Row {
                name: "tcp",
                observed: &["connected", "address", "latency_ms"],
                expectations: &["latency"],
                thresholds: false,
                remote: false,
                subcommand: Some("tcp"),
            },
            ProbeKind::Dns => &Row {
                name: "dns",
                observed: &["rcode", "answers", "latency_ms"],
                expectations: &["latency", "rcode", "answers_contain"],
                thresholds: false,
                remote: false,
                subcommand: Some("dns"),
            },
            ProbeKind::Tls => &Row {
                name: "tls",
                observed: &[
                    "subject",
                    "issuer",
                    "not_after",
                    "sans",
                    "leaf_expires_in_secs",
                    "leaf_expires_in_days",
                    "chain_expires_in_secs",
                    "chain_expires_in_days",
                    "chain_length",
                    "verified",
                    "verify_error",
                    "latency_ms",
                ],
                expectations: &[
                    "leaf_expires_in",
                    "chain_expires_in",
                    "subject_contains",
                    "issuer_contains",
                    "san_contains",
                    "verified",
                ],
                thresholds: false,
                remote: false,
                subcommand: Some("tls"),
            },
            ProbeKind::Command => &Row {
                name: "command",
                observed: &["exit_code", "signal", "timed_out", "stdout", "stderr", "duration_ms", "host"],
                expectations: &["exit_code", "stdout_contains", "stdout_matches", "stderr_contains"],
                thresholds: false,
                remote: true,
                subcommand: Some("cmd"),
            },
            ProbeKind::Prometheus => &Row {
                name: "prometheus",
                observed: &["value", "series", "result_type", "latency_ms"],
                expectations: &["value"],
                thresholds: true,
                remote: false,
                subcommand: Some("prometheus"),
            },
            ProbeKind::Log => &Row {
                name: "log",
                observed: &["matches", "value", "first", "last", "per_minute", "files", "host", "via"],
                expectations: &[],
                thresholds: true,
                remote: true,
                subcommand: None,
            },
        }
    }

    /// The runbook key, and the kind as records name it: `http`.
    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// The kind a runbook key or record names.
    pub fn from_name(name: &str) -> Option<ProbeKind> {
        ProbeKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The fields its results observe.
    pub fn observed(self) -> &'static [&'static str] {
        self.row().observed
    }

    /// The `expect:` keys that apply to it.
    pub fn expectations(self) -> &'static [&'static str] {
        self.row().expectations
    }

    /// Whether `thresholds:` apply (it observes a `value` worth grading).
    pub fn takes_thresholds(self) -> bool {
        self.row().thresholds
    }

    /// Whether it can run on another host (`host:`).
    pub fn runs_remotely(self) -> bool {
        self.row().remote
    }

    /// Its `incident probe` subcommand, if it has one.
    pub fn subcommand(self) -> Option<&'static str> {
        self.row().subcommand
    }
}

impl fmt::Display for ProbeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The names of the kinds `pick` keeps, as a message lists them: `http, tcp, dns`.
pub fn kind_names(pick: impl Fn(ProbeKind) -> bool) -> String {
    ProbeKind::ALL.into_iter().filter(|k| pick(*k)).map(ProbeKind::name).collect::<Vec<_>>().join(", ")
}

/// The most of an HTTP body read unless a check says otherwise (`http: {max_body: 4MiB}`).
pub const HTTP_DEFAULT_MAX_BODY: usize = 1024 * 1024;
/// The largest `max_body` an HTTP check may ask for.
pub const HTTP_MAX_MAX_BODY: usize = 64 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_is_found_by_its_own_name() {
        for kind in ProbeKind::ALL {
            assert_eq!(ProbeKind::from_name(kind.name()), Some(kind));
        }
        assert_eq!(ProbeKind::from_name("cmd"), None);
    }

    #[test]
    fn a_kind_with_thresholds_observes_the_value_they_grade() {
        for kind in ProbeKind::ALL.into_iter().filter(|k| k.takes_thresholds()) {
            assert!(kind.observed().contains(&"value"), "{kind}");
        }
    }

    #[test]
    fn a_remote_kind_observes_the_host_it_ran_on() {
        for kind in ProbeKind::ALL.into_iter().filter(|k| k.runs_remotely()) {
            assert!(kind.observed().contains(&"host"), "{kind}");
        }
    }
}
