//! The runbook file format, as serde reads it.
//!
//! Every value the loader checks after parsing (durations, templates, expressions, references)
//! is a [`Text`], which keeps the line and column it came from so that `runbook lint` can point
//! at it. Checks are not a tagged enum on purpose: serde buffers tagged enums and the positions
//! inside them are lost, so each probe is an optional field and the loader insists on exactly one.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::model::ProbeKind;

/// A string with the place in the file it came from.
pub type Text = Spanned<String>;

/// A whole runbook file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbookFile {
    /// Defaults to the file's stem.
    pub name: Option<Text>,
    pub title: Text,
    /// Files of shared checks and variables (`common/http-health.yaml`), relative to this one.
    #[serde(default)]
    pub include: Vec<Text>,
    pub description: Option<String>,
    /// Used to offer this runbook when an incident names the service.
    pub service: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Where else to look (`dashboard: https://...`), shown by `runbook show`.
    #[serde(default)]
    pub links: BTreeMap<String, String>,
    #[serde(default)]
    pub vars: BTreeMap<String, Spanned<VarSpec>>,
    #[serde(default)]
    pub defaults: Defaults,
    #[serde(default)]
    pub observe: Vec<CheckSpec>,
    #[serde(default)]
    pub orient: Orient,
    #[serde(default)]
    pub act: Vec<ActionSpec>,
    /// The alerts this runbook is for (`open --from-alert` and `incident receive` pick by them).
    #[serde(default, rename = "match")]
    pub matches: Vec<MatchRule>,
}

/// A file a runbook includes: shared variables (with their defaults) and checks, and what it
/// includes in turn.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncludeFile {
    /// What the block is for, for people reading it.
    pub description: Option<String>,
    #[serde(default)]
    pub include: Vec<Text>,
    #[serde(default)]
    pub vars: BTreeMap<String, Spanned<VarSpec>>,
    #[serde(default)]
    pub observe: Vec<CheckSpec>,
}

/// One `match:` rule: an alert whose name is among `alertname` (any, when empty) and whose
/// labels satisfy every matcher (`job="api"`, `env!="dev"`, `instance=~"db.*"`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchRule {
    #[serde(default, deserialize_with = "one_or_many")]
    pub alertname: Vec<String>,
    #[serde(default)]
    pub matchers: Vec<Text>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}

/// A value YAML may write bare (`8080`, `true`) where a string is meant.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A `type: list` variable's default, written as a YAML list.
    List(Vec<Scalar>),
}

impl Scalar {
    /// The value as text; a list's items joined by `,` (as `--var names=a,b` gives them).
    pub fn to_text(&self) -> String {
        match self {
            Scalar::List(items) => items.iter().map(Scalar::to_text).collect::<Vec<_>>().join(","),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Int(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
            Scalar::Str(s) => s.clone(),
        }
    }
}

/// A variable the runbook's templates can use as `{{ vars.NAME }}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VarSpec {
    pub default: Option<Spanned<Scalar>>,
    /// What a value must be: `string` (the default), `int`, `port`, `duration`, `host`, `url`,
    /// `path`, or `enum` (one of `values`). Checked before anything runs.
    #[serde(rename = "type")]
    pub kind: Option<Text>,
    /// The values an `enum` variable may take.
    pub values: Option<Spanned<Vec<String>>>,
    /// A regular expression the whole value must match (with any type).
    pub pattern: Option<Text>,
    /// Lets a value begin with `-`. Without it such a value is refused: a command it is passed
    /// to would read it as an option (`find {{ vars.dir }}` with `-delete`).
    #[serde(default)]
    pub allow_dash: bool,
    /// What each item of a `type: list` variable must be (`items: {type: port}`).
    pub items: Option<Box<VarSpec>>,
    pub description: Option<String>,
    /// Take the value from this environment variable when `--var` does not give one.
    pub from_env: Option<String>,
    /// Without a value the runbook does not run (rather than its checks failing one by one).
    #[serde(default)]
    pub required: bool,
    /// Masked in every record and every output.
    #[serde(default)]
    pub secret: bool,
    /// The question the interactive walk asks for it.
    pub prompt: Option<String>,
}

/// Defaults for every check of the runbook.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Defaults {
    pub timeout: Option<Text>,
    pub retries: Option<u32>,
    pub backoff: Option<Text>,
    pub concurrency: Option<usize>,
}

/// One Observe check: exactly one probe, and what to expect of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    pub id: Text,
    pub title: Option<String>,
    pub http: Option<HttpSpec>,
    pub tcp: Option<TcpSpec>,
    pub dns: Option<DnsSpec>,
    pub tls: Option<TlsSpec>,
    pub command: Option<CommandSpec>,
    pub prometheus: Option<PrometheusSpec>,
    pub log: Option<LogSpec>,
    pub expect: Option<Expect>,
    pub thresholds: Option<Thresholds>,
    /// Expressions over the result that must all be true.
    #[serde(default)]
    pub assert: Vec<Text>,
    pub timeout: Option<Text>,
    /// Extra attempts after a failure (0: none).
    pub retries: Option<u32>,
    /// The first wait between attempts; it doubles each time, with jitter.
    pub backoff: Option<Text>,
    /// What a failed expectation counts as: `critical` (default) or `warning`.
    pub severity: Option<Text>,
    /// Run a `command` or `log` check on this host through `ssh`: `user@host` (templated).
    pub host: Option<Text>,
    /// The ssh port of `host`, when not 22.
    pub port: Option<Spanned<Scalar>>,
    /// A private key file for `host` (`ssh -i`; templated).
    pub identity: Option<Text>,
    /// An expression over `vars`: when false the check is not run (an optional check).
    #[serde(rename = "if")]
    pub condition: Option<Text>,
    /// Named values taken from the probe's output, read as `extract.NAME` by `assert:` and as
    /// `checks.ID.extract.NAME` by `when:`.
    #[serde(default)]
    pub extract: BTreeMap<String, Spanned<ExtractSpec>>,
    /// Run the check once per item of a list another check extracted, each read as `{{ item }}`.
    pub for_each: Option<ForEach>,
    /// Results that mean "cannot tell" (the API unreachable), read as `unknown`, not critical.
    pub unknown_on: Option<UnknownOn>,
    /// What a Prometheus query with no series means: `ok`, or a number to grade (`0`).
    pub on_empty: Option<Spanned<Scalar>>,
    /// The unit of the figures an `assert:` or threshold compares: `%`, `bytes`, `seconds` or
    /// a word (`members`); the summary reads `97% >= 90%`, `lag 12.0 MB > 1.0 MB`.
    pub unit: Option<Text>,
    /// The result in a sentence, a template where `{{ result }}` is the figures compared
    /// (`used {{ result }}`); it may read what `assert:` reads.
    pub summary: Option<Text>,
}

/// `unknown_on: {exit_codes: [1], output_matches: "connection refused"}`: either makes it unknown.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnknownOn {
    #[serde(default)]
    pub exit_codes: Vec<i32>,
    /// A regular expression over stdout and stderr (a command) or the body (http).
    pub output_matches: Option<Text>,
}

/// `for_each: {items: checks.ID.extract.NAME, max: 20}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForEach {
    /// The list: `checks.ID.extract.NAME`.
    pub items: Text,
    /// At most this many items are checked (default 20, at most 100); the rest are reported.
    pub max: Option<Spanned<u32>>,
}

/// Where one extracted value comes from: exactly one of `json`, `regex`, `label`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtractSpec {
    /// A JSON pointer (`/members/0/name`) into a command's stdout, an HTTP body or a
    /// Prometheus vector's series; `[KEY=VALUE]` selects an array's element by a field.
    pub json: Option<Text>,
    /// A regular expression over a command's stdout or an HTTP body: the group named like the
    /// value, else the first group, else the whole match.
    pub regex: Option<Text>,
    /// With `regex`: every match, as a list.
    #[serde(default)]
    pub all: bool,
    /// One label of every series of a Prometheus vector, as a list.
    pub label: Option<Text>,
}

impl CheckSpec {
    /// The probes this check names, in the format's order (a valid check names exactly one).
    pub fn kinds(&self) -> Vec<ProbeKind> {
        let present = [
            (ProbeKind::Http, self.http.is_some()),
            (ProbeKind::Tcp, self.tcp.is_some()),
            (ProbeKind::Dns, self.dns.is_some()),
            (ProbeKind::Tls, self.tls.is_some()),
            (ProbeKind::Command, self.command.is_some()),
            (ProbeKind::Prometheus, self.prometheus.is_some()),
            (ProbeKind::Log, self.log.is_some()),
        ];
        present.into_iter().filter(|(_, on)| *on).map(|(kind, _)| kind).collect()
    }

    /// Every string of the check its variables are rendered into.
    pub fn template_texts(&self) -> Vec<&Text> {
        let mut texts: Vec<&Text> = Vec::new();
        if let Some(http) = &self.http {
            texts.push(&http.url);
            texts.extend(http.method.iter().chain(http.body.iter()).chain(http.headers.values()));
        }
        if let Some(tcp) = &self.tcp {
            texts.push(&tcp.host);
        }
        if let Some(dns) = &self.dns {
            texts.push(&dns.name);
            texts.extend(dns.server.iter());
        }
        if let Some(tls) = &self.tls {
            texts.push(&tls.host);
            texts.extend(tls.server_name.iter());
        }
        if let Some(command) = &self.command {
            texts.extend(command.run.iter().flatten().chain(command.shell.iter()));
        }
        if let Some(prom) = &self.prometheus {
            texts.extend([&prom.url, &prom.query]);
        }
        if let Some(log) = &self.log {
            texts.push(&log.path);
        }
        texts.extend(self.host.iter().chain(self.identity.iter()));
        texts
    }

    /// The probe of a check that names one (the first, if it wrongly names several).
    pub fn kind(&self) -> Option<ProbeKind> {
        self.kinds().first().copied()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSpec {
    pub url: Text,
    pub method: Option<Text>,
    #[serde(default)]
    pub headers: BTreeMap<String, Text>,
    pub body: Option<Text>,
    /// Follow redirects (default true, up to 10).
    pub follow_redirects: Option<bool>,
    /// Skip TLS certificate verification for this check only.
    #[serde(default)]
    pub insecure: bool,
    /// The most of the body read (default `1MiB`, at most `64MiB`); a longer body makes the
    /// check `unknown` (reason `body_too_large`) rather than judged cut.
    pub max_body: Option<Text>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcpSpec {
    pub host: Text,
    pub port: Spanned<Scalar>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsSpec {
    pub name: Text,
    /// A, AAAA, CNAME, MX or TXT (default A).
    #[serde(rename = "type")]
    pub record_type: Option<Text>,
    /// A nameserver `IP[:PORT]` to ask instead of the system's.
    pub server: Option<Text>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSpec {
    pub host: Text,
    pub port: Option<Spanned<Scalar>>,
    /// The name to ask for (SNI) and verify, when it is not `host`.
    pub server_name: Option<Text>,
}

/// A command, as an argv (`run`) or, only when written so, through `sh -c` (`shell`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    pub run: Option<Vec<Text>>,
    pub shell: Option<Text>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusSpec {
    pub url: Text,
    pub query: Text,
}

/// A time-windowed log search (the `incident grep` engine): `path` is a file, glob or directory
/// (rotated sets are read in time order) or a named source (`journal:UNIT`, `container:NAME`,
/// `pod:NS/POD[/CONTAINER]`), `pattern` a regex, `since` how far back from now, `where` field
/// filters on structured records (`status>=500`), so that thresholds grade only those.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSpec {
    pub path: Text,
    pub pattern: Text,
    pub since: Option<Text>,
    #[serde(default)]
    pub ignore_case: bool,
    #[serde(default, rename = "where")]
    pub filters: Vec<Text>,
}

/// Status codes wanted: `200`, `[200, 204]` or `2xx`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StatusSet {
    One(u16),
    Many(Vec<u16>),
    Class(String),
}

/// Expectations; which apply depends on the probe (the loader says which do not).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    // http
    pub status: Option<Spanned<StatusSet>>,
    /// `< 300ms`
    pub latency: Option<Text>,
    pub body_contains: Option<Text>,
    pub body_matches: Option<Text>,
    /// Dotted paths into a JSON body and the values wanted there: `{"checks.db": "up"}`.
    pub json: Option<Spanned<BTreeMap<String, serde_json::Value>>>,
    /// Header name to a text its value must contain.
    #[serde(default)]
    pub headers: BTreeMap<String, Text>,
    // command
    pub exit_code: Option<Spanned<i32>>,
    pub stdout_contains: Option<Text>,
    pub stdout_matches: Option<Text>,
    pub stderr_contains: Option<Text>,
    // dns
    #[serde(default)]
    pub answers_contain: Vec<Text>,
    pub rcode: Option<Text>,
    // tls
    /// `> 14d`
    pub leaf_expires_in: Option<Text>,
    pub chain_expires_in: Option<Text>,
    pub subject_contains: Option<Text>,
    pub issuer_contains: Option<Text>,
    pub san_contains: Option<Text>,
    /// Whether the certificate must verify against the system's roots (default true).
    pub verified: Option<Spanned<bool>>,
    // prometheus
    /// `< 0.05`
    pub value: Option<Text>,
}

/// Numeric thresholds for a value (prometheus) or a count (log): `> 0.01`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub warning: Option<Text>,
    pub critical: Option<Text>,
    /// The extracted value to grade (any probe), instead of the probe's own `value`.
    pub of: Option<Text>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Orient {
    /// Asked in the walk; answers become observations.
    #[serde(default)]
    pub questions: Vec<String>,
    #[serde(default)]
    pub hypotheses: Vec<HypothesisSpec>,
}

/// A hypothesis the runbook suggests when its `when` expression holds over the check results.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HypothesisSpec {
    pub id: Text,
    pub title: String,
    pub when: Option<Text>,
    /// Actions worth considering if it holds.
    #[serde(default)]
    pub suggest: Vec<Text>,
}

/// One Act step.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionSpec {
    pub id: Text,
    pub title: String,
    /// Hypotheses this action answers.
    #[serde(default)]
    pub requires: Vec<Text>,
    /// `low` (default), `medium` or `high` (the responder types the action id to confirm).
    pub risk: Option<Text>,
    /// What the action runs; an action has this or `steps`, not both.
    pub command: Option<CommandSpec>,
    /// An ordered procedure, run one step at a time, stopping at the first that fails.
    #[serde(default)]
    pub steps: Vec<StepSpec>,
    /// Checks (of `observe`) that must be `ok` before the action runs; one that is not refuses it.
    #[serde(default)]
    pub guard: Vec<Text>,
    /// Variables only this action reads (declared as under the runbook's `vars:`).
    #[serde(default)]
    pub vars: BTreeMap<String, Spanned<VarSpec>>,
    /// Run the command, preview, rollback and steps on this host through `ssh` (`user@host`,
    /// templated), as remote checks do.
    pub host: Option<Text>,
    /// The ssh port of `host`, when not 22.
    pub port: Option<Spanned<Scalar>>,
    /// A private key file for `host` (`ssh -i`; templated).
    pub identity: Option<Text>,
    /// A read-only command showing what the action would change; the only thing `--dry-run` runs.
    pub preview: Option<CommandSpec>,
    /// Undoes the action; run when verification fails.
    pub rollback: Option<CommandSpec>,
    pub timeout: Option<Text>,
    pub verify: Option<Verify>,
}

/// One step of an action's procedure: exactly one of `command`, `manual` or `wait`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Unique within the action; recorded as `step:ID`, and where `--resume` picks up.
    pub id: Text,
    pub title: Option<String>,
    pub command: Option<CommandSpec>,
    /// An instruction for the responder, who does it by hand and says what they found.
    pub manual: Option<Text>,
    /// With `manual`: the question whose answer is recorded (default: "What did you find?").
    pub record: Option<String>,
    /// A pause (`30s`, at most 1h), for a change to settle before the next step.
    pub wait: Option<Text>,
    /// An expression over `vars`: when false the step is skipped (and recorded as skipped).
    #[serde(rename = "if")]
    pub condition: Option<Text>,
    /// With `command`: how long it may run (default: the action's timeout).
    pub timeout: Option<Text>,
    /// Checks that must pass after this step before the next one starts.
    pub verify: Option<Verify>,
    /// With `command`: run it on this host through `ssh` instead of the action's (with the
    /// action's `port` and `identity`).
    pub host: Option<Text>,
}

impl StepSpec {
    /// What the step does, in a word: `command`, `manual` or `wait` (the first, if it names several).
    pub fn kinds(&self) -> Vec<&'static str> {
        [("command", self.command.is_some()), ("manual", self.manual.is_some()), ("wait", self.wait.is_some())]
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(kind, _)| kind)
            .collect()
    }
}

/// Re-run these checks after the action until they pass or `within` runs out.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verify {
    pub checks: Vec<Text>,
    pub within: Option<Text>,
    pub interval: Option<Text>,
}
