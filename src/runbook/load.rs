//! Loading a runbook: YAML to [`RunbookFile`], then every check the format promises, each
//! problem reported with file, line, column and the offending line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_saphyr::{Location, Spanned};

use super::schema::{CheckSpec, CommandSpec, Expect, RunbookFile, StatusSet, Text};
use crate::expr::{Comparison, Unit, template};
use crate::model::{ProbeKind, kind_names};
use crate::time::parse_duration;

/// A runbook's text and where it came from (a path, or `builtin:NAME.yaml`).
#[derive(Debug, Clone)]
pub struct Source {
    pub path: String,
    pub text: String,
}

/// One thing wrong with a runbook file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    /// 1-based; 0 when the parser could not say.
    pub line: u64,
    pub column: u64,
    pub message: String,
    /// The offending line, when known.
    pub snippet: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            return write!(f, "{}: {}", self.path, self.message);
        }
        write!(f, "{}:{}:{}: {}", self.path, self.line, self.column, self.message)?;
        if let Some(snippet) = &self.snippet {
            let number = self.line.to_string();
            let pad = " ".repeat(number.len());
            let caret_pad: String = snippet
                .chars()
                .take(usize::try_from(self.column.saturating_sub(1)).unwrap_or(0))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(f, "\n {pad} |\n {number} | {snippet}\n {pad} | {caret_pad}^")?;
        }
        Ok(())
    }
}

/// A runbook that loaded and passed every check.
#[derive(Debug, Clone)]
pub struct Runbook {
    pub name: String,
    pub path: String,
    pub file: RunbookFile,
}

impl Runbook {
    pub fn check(&self, id: &str) -> Option<&CheckSpec> {
        self.file.observe.iter().find(|c| c.id.value == id)
    }

    pub fn action(&self, id: &str) -> Option<&super::schema::ActionSpec> {
        self.file.act.iter().find(|a| a.id.value == id)
    }
}

/// The expectations a check writes, each with where it is written. Which probes each applies
/// to is the [`ProbeKind`] table's to say.
fn expectations_of(expect: &Expect) -> Vec<(&'static str, Location)> {
    let loc = |t: &Option<Text>| t.as_ref().map(|t| t.referenced);
    let present: [(&'static str, Option<Location>); 19] = [
        ("status", expect.status.as_ref().map(|s| s.referenced)),
        ("latency", loc(&expect.latency)),
        ("body_contains", loc(&expect.body_contains)),
        ("body_matches", loc(&expect.body_matches)),
        ("json", expect.json.as_ref().map(|j| j.referenced)),
        ("headers", expect.headers.values().next().map(|t| t.referenced)),
        ("exit_code", expect.exit_code.as_ref().map(|e| e.referenced)),
        ("stdout_contains", loc(&expect.stdout_contains)),
        ("stdout_matches", loc(&expect.stdout_matches)),
        ("stderr_contains", loc(&expect.stderr_contains)),
        ("rcode", loc(&expect.rcode)),
        ("answers_contain", expect.answers_contain.first().map(|t| t.referenced)),
        ("leaf_expires_in", loc(&expect.leaf_expires_in)),
        ("chain_expires_in", loc(&expect.chain_expires_in)),
        ("subject_contains", loc(&expect.subject_contains)),
        ("issuer_contains", loc(&expect.issuer_contains)),
        ("san_contains", loc(&expect.san_contains)),
        ("verified", expect.verified.as_ref().map(|v| v.referenced)),
        ("value", loc(&expect.value)),
    ];
    present.into_iter().filter_map(|(name, at)| at.map(|at| (name, at))).collect()
}

/// Parses and checks a runbook; `default_name` is the file stem.
pub fn load(source: &Source, default_name: &str) -> Result<Runbook, Vec<Problem>> {
    let file: RunbookFile = match serde_saphyr::from_str(&source.text) {
        Ok(file) => file,
        Err(err) => return Err(vec![yaml_problem(source, &err)]),
    };
    let check_kinds = file.observe.iter().filter_map(|c| Some((c.id.value.clone(), c.kind()?))).collect();
    let mut checker = Checker { source, problems: Vec::new(), env: template::environment(), check_kinds };
    checker.check_file(&file);
    if !checker.problems.is_empty() {
        let mut problems = checker.problems;
        problems.sort_by_key(|p| (p.line, p.column));
        problems.dedup();
        return Err(problems);
    }
    let name = file.name.as_ref().map_or_else(|| default_name.to_string(), |n| n.value.clone());
    Ok(Runbook { name, path: source.path.clone(), file })
}

/// A YAML or shape error as a located problem (runbooks and the service catalog).
pub fn yaml_problem(source: &Source, err: &serde_saphyr::Error) -> Problem {
    let plain = err.without_snippet();
    let location = plain.location().or_else(|| err.location());
    let (line, column) = location.map_or((0, 0), |l| (l.line(), l.column()));
    let message = match plain {
        serde_saphyr::Error::SerdeUnknownField { field, expected, .. } => {
            let mut text = format!("unknown key `{field}`");
            match did_you_mean(field, expected.iter().copied()) {
                Some(close) => text.push_str(&format!("; did you mean `{close}`?")),
                None => text.push_str(&format!(" (expected one of: {})", expected.join(", "))),
            }
            text
        }
        serde_saphyr::Error::SerdeMissingField { field, .. } => format!("missing key `{field}`"),
        other => first_line_of(&other.to_string()),
    };
    problem_at(source, line, column, message)
}

/// The error's message without the snippet and position saphyr may have put in it.
fn first_line_of(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text).trim();
    line.split(" at line ").next().unwrap_or(line).to_string()
}

pub(super) fn problem_at(source: &Source, line: u64, column: u64, message: String) -> Problem {
    let snippet = (line > 0)
        .then(|| source.text.lines().nth(usize::try_from(line - 1).unwrap_or(usize::MAX)))
        .flatten()
        .map(|l| l.trim_end().to_string());
    Problem { path: source.path.clone(), line, column, message, snippet }
}

/// The closest of `candidates` to `word`, if it is close enough to be a typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            current.push((previous[j] + cost).min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

struct Checker<'a> {
    source: &'a Source,
    problems: Vec<Problem>,
    env: minijinja::Environment<'static>,
    /// Each check's probe, so that `checks.ID.observed.FIELD` can be held to what it observes.
    check_kinds: BTreeMap<String, ProbeKind>,
}

impl Checker<'_> {
    fn report(&mut self, at: Location, message: impl Into<String>) {
        let problem = problem_at(self.source, at.line(), at.column(), message.into());
        self.problems.push(problem);
    }

    fn check_file(&mut self, file: &RunbookFile) {
        if let Some(name) = &file.name
            && (name.value.is_empty() || !name.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        {
            self.report(name.referenced, format!("name {:?}: use letters, digits, `-` and `_`", name.value));
        }
        let vars: BTreeSet<&str> = file.vars.keys().map(String::as_str).collect();
        for (name, spec) in &file.vars {
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                self.report(spec.referenced, format!("variable name {name:?}: use letters, digits and `_`"));
            }
            for (at, message) in super::var_types::check_declaration(&spec.value) {
                self.report(at, format!("variable {name}: {message}"));
            }
        }
        self.duration(file.defaults.timeout.as_ref(), "timeout");
        self.duration(file.defaults.backoff.as_ref(), "backoff");

        let check_ids = self.unique_ids(file.observe.iter().map(|c| &c.id), "check");
        let hypothesis_ids = self.unique_ids(file.orient.hypotheses.iter().map(|h| &h.id), "hypothesis");
        let action_ids = self.unique_ids(file.act.iter().map(|a| &a.id), "action");

        for check in &file.observe {
            self.check_check(check, &vars);
        }
        for rule in &file.matches {
            for text in &rule.matchers {
                if let Err(e) = super::Matcher::parse(&text.value) {
                    self.report(text.referenced, format!("match: {e}"));
                }
            }
        }
        for hypothesis in &file.orient.hypotheses {
            if let Some(when) = &hypothesis.when {
                self.expression(when, &["checks", "vars"], &vars, Some(&check_ids));
            }
            for action in &hypothesis.suggest {
                self.reference(action, &action_ids, "action");
            }
        }
        for action in &file.act {
            for hypothesis in &action.requires {
                self.reference(hypothesis, &hypothesis_ids, "hypothesis");
            }
            if let Some(risk) = &action.risk
                && !["low", "medium", "high"].contains(&risk.value.as_str())
            {
                self.report(risk.referenced, format!("risk {:?}: use low, medium or high", risk.value));
            }
            self.command(&action.command, &vars, action.id.referenced);
            for spec in [&action.preview, &action.rollback].into_iter().flatten() {
                self.command(spec, &vars, action.id.referenced);
            }
            self.duration(action.timeout.as_ref(), "timeout");
            if let Some(verify) = &action.verify {
                for check in &verify.checks {
                    self.reference(check, &check_ids, "check");
                }
                self.duration(verify.within.as_ref(), "within");
                self.duration(verify.interval.as_ref(), "interval");
            }
        }
    }

    fn unique_ids<'b>(&mut self, ids: impl Iterator<Item = &'b Text>, what: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        for id in ids {
            if id.value.is_empty() || !id.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                // Ids are read in expressions as `checks.ID`: they must be names.
                self.report(id.referenced, format!("{what} id {:?}: use letters, digits, `_` and `-`", id.value));
            }
            if !seen.insert(id.value.clone()) {
                self.report(id.referenced, format!("duplicate {what} id `{}`", id.value));
            }
        }
        seen
    }

    fn reference(&mut self, id: &Text, known: &BTreeSet<String>, what: &str) {
        if known.contains(&id.value) {
            return;
        }
        let mut message = format!("unknown {what} `{}`", id.value);
        match did_you_mean(&id.value, known.iter().map(String::as_str)) {
            Some(close) => message.push_str(&format!("; did you mean `{close}`?")),
            None if known.is_empty() => message.push_str(&format!(" (this runbook has no {what}s)")),
            None => message
                .push_str(&format!(" (known: {})", known.iter().map(String::as_str).collect::<Vec<_>>().join(", "))),
        }
        self.report(id.referenced, message);
    }

    fn duration(&mut self, text: Option<&Text>, key: &str) {
        if let Some(text) = text {
            match parse_duration(&text.value) {
                Ok(d) if d.is_zero() && key != "backoff" => {
                    self.report(text.referenced, format!("{key}: must be longer than zero"));
                }
                Ok(_) => {}
                Err(e) => self.report(text.referenced, format!("{key}: {e}")),
            }
        }
    }

    fn comparison(&mut self, text: Option<&Text>, key: &str, unit: Unit) {
        if let Some(text) = text
            && let Err(e) = Comparison::parse(&text.value, unit)
        {
            self.report(text.referenced, format!("{key}: {e}"));
        }
    }

    fn regex(&mut self, text: Option<&Text>, key: &str) {
        if let Some(text) = text
            && let Err(e) = regex::Regex::new(&text.value)
        {
            let detail = e.to_string();
            let detail = detail.lines().last().unwrap_or(&detail).trim().to_string();
            self.report(text.referenced, format!("{key}: not a regular expression: {detail}"));
        }
    }

    /// A string that may hold `{{ }}`: it must compile and read only declared `vars`.
    fn template(&mut self, text: &Text, vars: &BTreeSet<&str>) {
        if !template::is_template(&text.value) {
            return;
        }
        match template::template_names(&self.env, &text.value) {
            Err(e) => self.report(text.referenced, format!("bad template: {e}")),
            Ok(names) => {
                for name in names {
                    self.name_in_scope(text.referenced, &name, &["vars"], vars, None);
                }
            }
        }
    }

    fn expression(&mut self, text: &Text, roots: &[&str], vars: &BTreeSet<&str>, checks: Option<&BTreeSet<String>>) {
        match template::expression_names(&self.env, &text.value) {
            Err(e) => self.report(text.referenced, format!("bad expression: {e}")),
            Ok(names) => {
                for name in names {
                    self.name_in_scope(text.referenced, &name, roots, vars, checks);
                }
                if checks.is_some() {
                    self.status_literals(text);
                }
            }
        }
    }

    /// `checks.db.status == 'critcal'` compiles and is never true: catch the typo at load.
    fn status_literals(&mut self, text: &Text) {
        const STATUSES: [&str; 4] = ["ok", "warning", "critical", "unknown"];
        static PATTERN: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
        let pattern = PATTERN.get_or_init(|| {
            regex::Regex::new(r#"\.status\s*(?:==|!=|in|not\s+in)\s*(\[[^\]]*\]|'[^']*'|"[^"]*")"#).ok()
        });
        let Some(pattern) = pattern else { return };
        for found in pattern.captures_iter(&text.value) {
            let Some(operand) = found.get(1) else { continue };
            for literal in operand.as_str().split(',') {
                let word = literal.trim().trim_matches(['[', ']']).trim().trim_matches(['\'', '"']);
                if !word.is_empty() && !STATUSES.contains(&word) {
                    let mut message = format!("`{word}` is not a status (ok, warning, critical, unknown)");
                    if let Some(close) = did_you_mean(word, STATUSES) {
                        message.push_str(&format!("; did you mean '{close}'?"));
                    }
                    self.report(text.referenced, message);
                }
            }
        }
    }

    fn name_in_scope(
        &mut self,
        at: Location,
        name: &str,
        roots: &[&str],
        vars: &BTreeSet<&str>,
        checks: Option<&BTreeSet<String>>,
    ) {
        let mut parts = name.split('.');
        let root = parts.next().unwrap_or_default();
        let member = parts.next();
        if !roots.contains(&root) {
            let mut message = format!("unknown name `{root}` (this can read: {})", roots.join(", "));
            if let Some(close) = did_you_mean(root, roots.iter().copied()) {
                message = format!("unknown name `{root}`; did you mean `{close}`?");
            }
            self.report(at, message);
            return;
        }
        match (root, member) {
            ("vars", Some(var)) if !vars.contains(var) => {
                let mut message = format!("unknown variable `vars.{var}`");
                if let Some(close) = did_you_mean(var, vars.iter().copied()) {
                    message.push_str(&format!("; did you mean `vars.{close}`?"));
                } else {
                    message.push_str(" (declare it under `vars:`)");
                }
                self.report(at, message);
            }
            ("checks", Some(check)) => {
                if let Some(known) = checks
                    && !known.contains(check)
                {
                    let mut message = format!("unknown check `checks.{check}`");
                    if let Some(close) = did_you_mean(check, known.iter().map(String::as_str)) {
                        message.push_str(&format!("; did you mean `checks.{close}`?"));
                    }
                    self.report(at, message);
                } else if parts.next() == Some("observed")
                    && let Some(field) = parts.next()
                {
                    self.observed_field(at, check, field);
                }
            }
            _ => {}
        }
    }

    /// `checks.ID.observed.FIELD` reads only what that check's probe observes.
    fn observed_field(&mut self, at: Location, check: &str, field: &str) {
        let Some(kind) = self.check_kinds.get(check).copied() else { return };
        if kind.observed().contains(&field) {
            return;
        }
        let mut message = format!("unknown field `checks.{check}.observed.{field}`");
        match did_you_mean(field, kind.observed().iter().copied()) {
            Some(close) => message.push_str(&format!("; did you mean `{close}`?")),
            None => message.push_str(&format!(" ({kind} checks observe: {})", kind.observed().join(", "))),
        }
        self.report(at, message);
    }

    fn command(&mut self, spec: &CommandSpec, vars: &BTreeSet<&str>, at: Location) {
        match (&spec.run, &spec.shell) {
            (Some(_), Some(shell)) => {
                self.report(shell.referenced, "a command has either `run` (an argv) or `shell`, not both");
            }
            (None, None) => self.report(at, "a command needs `run: [PROGRAM, ARG...]` or `shell: \"...\"`"),
            (Some(argv), None) if argv.is_empty() => self.report(at, "`run` is empty: name a program"),
            _ => {}
        }
        for text in spec.run.iter().flatten().chain(spec.shell.iter()) {
            self.template(text, vars);
        }
    }

    fn check_check(&mut self, check: &CheckSpec, vars: &BTreeSet<&str>) {
        let present = check.kinds();
        let probe = match present.as_slice() {
            [one] => *one,
            [] => {
                self.report(
                    check.id.referenced,
                    format!("check `{}` has no probe: add one of {}", check.id.value, kind_names(|_| true)),
                );
                return;
            }
            many => {
                self.report(
                    check.id.referenced,
                    format!(
                        "check `{}` has {} probes ({}): one check, one probe",
                        check.id.value,
                        many.len(),
                        many.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
                    ),
                );
                return;
            }
        };
        self.duration(check.timeout.as_ref(), "timeout");
        self.duration(check.backoff.as_ref(), "backoff");
        if let Some(severity) = &check.severity
            && !["warning", "critical"].contains(&severity.value.as_str())
        {
            self.report(severity.referenced, format!("severity {:?}: use warning or critical", severity.value));
        }
        let mut texts: Vec<&Text> = Vec::new();
        if let Some(http) = &check.http {
            texts.push(&http.url);
            texts.extend(http.method.iter().chain(http.body.iter()).chain(http.headers.values()));
            if let Some(method) = &http.method
                && !["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"].contains(&method.value.as_str())
            {
                self.report(
                    method.referenced,
                    format!("method {:?}: use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS", method.value),
                );
            }
        }
        if let Some(tcp) = &check.tcp {
            texts.push(&tcp.host);
            self.port(&tcp.port);
        }
        if let Some(dns) = &check.dns {
            texts.push(&dns.name);
            texts.extend(dns.server.iter());
            if let Some(rtype) = &dns.record_type
                && !["A", "AAAA", "CNAME", "MX", "TXT"].contains(&rtype.value.to_ascii_uppercase().as_str())
            {
                self.report(rtype.referenced, format!("type {:?}: use A, AAAA, CNAME, MX or TXT", rtype.value));
            }
        }
        if let Some(tls) = &check.tls {
            texts.push(&tls.host);
            texts.extend(tls.server_name.iter());
            if let Some(port) = &tls.port {
                self.port(port);
            }
        }
        if let Some(command) = &check.command {
            self.command(command, vars, check.id.referenced);
        }
        if let Some(prom) = &check.prometheus {
            texts.push(&prom.url);
            texts.push(&prom.query);
        }
        if let Some(log) = &check.log {
            texts.push(&log.path);
            self.regex(Some(&log.pattern), "pattern");
            self.duration(log.since.as_ref(), "since");
        }
        texts.extend(self.remote(check, probe));
        for text in texts {
            self.template(text, vars);
        }
        if let Some(expect) = &check.expect {
            self.check_expect(expect, probe);
        }
        if let Some(thresholds) = &check.thresholds {
            if !probe.takes_thresholds() {
                let at = thresholds
                    .warning
                    .as_ref()
                    .or(thresholds.critical.as_ref())
                    .map_or(check.id.referenced, |t| t.referenced);
                let which = kind_names(ProbeKind::takes_thresholds).replace(", ", " and ");
                self.report(at, format!("`thresholds` apply to {which} checks, not {probe}"));
            }
            self.comparison(thresholds.warning.as_ref(), "warning", Unit::Number);
            self.comparison(thresholds.critical.as_ref(), "critical", Unit::Number);
        }
        let mut roots: Vec<&str> = probe.observed().to_vec();
        roots.push("vars");
        for assertion in &check.assert {
            self.expression(assertion, &roots, vars, None);
        }
    }

    /// `host:` (and its `port:` and `identity:`) apply to command and log checks only, and
    /// `port:` and `identity:` only beside a `host:`. Returns the templates to check.
    fn remote<'c>(&mut self, check: &'c CheckSpec, probe: ProbeKind) -> Vec<&'c Text> {
        let remote_probe = probe.runs_remotely();
        let remote_kinds = kind_names(ProbeKind::runs_remotely).replace(", ", " and ");
        if let Some(host) = &check.host {
            if !remote_probe {
                self.report(host.referenced, format!("`host` applies to {remote_kinds} checks, not {probe}"));
            } else if !template::is_template(&host.value)
                && let Err(e) = crate::ssh::Remote::new(host.value.clone(), None, None)
            {
                self.report(host.referenced, e.to_string());
            }
        }
        let port_at = check.port.as_ref().map(|p| p.referenced);
        let identity_at = check.identity.as_ref().map(|i| i.referenced);
        for (key, at) in [("port", port_at), ("identity", identity_at)] {
            if let Some(at) = at {
                if check.host.is_none() {
                    self.report(at, format!("`{key}` is the ssh {key} of a `host`: add `host: user@HOST`"));
                } else if !remote_probe {
                    let message = format!("`{key}` applies to {remote_kinds} checks with a `host`, not {probe}");
                    self.report(at, message);
                }
            }
        }
        if let Some(port) = &check.port {
            self.port(port);
        }
        check.host.iter().chain(check.identity.iter()).collect()
    }

    fn port(&mut self, port: &Spanned<super::schema::Scalar>) {
        let text = port.value.to_text();
        if !template::is_template(&text) && text.parse::<u16>().map_or(true, |p| p == 0) {
            self.report(port.referenced, format!("port {text:?}: use a number from 1 to 65535"));
        }
    }

    fn check_expect(&mut self, expect: &Expect, probe: ProbeKind) {
        for (name, at) in expectations_of(expect) {
            if !probe.expectations().contains(&name) {
                let applies = kind_names(|kind| kind.expectations().contains(&name));
                self.report(at, format!("`expect.{name}` does not apply to {probe} checks (only to {applies})"));
            }
        }
        if let Some(status) = &expect.status {
            let bad = match &status.value {
                StatusSet::One(code) => !(100..=599).contains(code),
                StatusSet::Many(codes) => codes.is_empty() || codes.iter().any(|c| !(100..=599).contains(c)),
                StatusSet::Class(class) => parse_status_class(class).is_none(),
            };
            if bad {
                self.report(status.referenced, "status: use a code (200), a list ([200, 204]) or a class (2xx)");
            }
        }
        self.comparison(expect.latency.as_ref(), "latency", Unit::Duration);
        self.comparison(expect.leaf_expires_in.as_ref(), "leaf_expires_in", Unit::Duration);
        self.comparison(expect.chain_expires_in.as_ref(), "chain_expires_in", Unit::Duration);
        self.comparison(expect.value.as_ref(), "value", Unit::Number);
        self.regex(expect.body_matches.as_ref(), "body_matches");
        self.regex(expect.stdout_matches.as_ref(), "stdout_matches");
        if let Some(rcode) = &expect.rcode
            && !["NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED"].contains(&rcode.value.to_ascii_uppercase().as_str())
        {
            self.report(
                rcode.referenced,
                format!("rcode {:?}: use NOERROR, NXDOMAIN, SERVFAIL or REFUSED", rcode.value),
            );
        }
    }
}

/// `2xx` to 2.
pub fn parse_status_class(text: &str) -> Option<u16> {
    let lower = text.trim().to_ascii_lowercase();
    let digit = lower.strip_suffix("xx")?;
    match digit {
        "1" | "2" | "3" | "4" | "5" => digit.parse().ok(),
        _ => None,
    }
}

/// Ids and names mentioned in a file, for `runbook show`.
pub fn summary_counts(file: &RunbookFile) -> BTreeMap<&'static str, usize> {
    BTreeMap::from([
        ("checks", file.observe.len()),
        ("hypotheses", file.orient.hypotheses.len()),
        ("actions", file.act.len()),
        ("vars", file.vars.len()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Problem> {
        load(&Source { path: "r.yaml".into(), text: text.into() }, "r").err().unwrap_or_default()
    }

    #[test]
    fn a_misspelt_status_in_a_when_expression_is_caught() {
        let found = problems(
            "title: t\nobserve:\n  - id: a\n    tcp: {host: h, port: 1}\norient:\n  hypotheses:\n    - id: h\n      title: t\n      when: \"checks.a.status == 'critcal' or checks.a.status in ['ok', 'warn']\"\n",
        );
        let all: Vec<String> = found.iter().map(|p| p.message.clone()).collect();
        assert!(all.iter().any(|m| m.contains("`critcal` is not a status") && m.contains("'critical'")), "{all:?}");
        assert!(all.iter().any(|m| m.contains("`warn` is not a status")), "{all:?}");
        assert_eq!(found.len(), 2, "{all:?}");
    }

    #[test]
    fn an_expectation_for_another_probe_is_reported_where_it_is_written() {
        let found =
            problems("title: t\nobserve:\n  - id: a\n    http: {url: u}\n    expect: {exit_code: 0, verified: true}\n");
        let at: Vec<(u64, u64)> = found.iter().map(|p| (p.line, p.column)).collect();
        assert_eq!(at, vec![(5, 25), (5, 38)], "{found:?}");
    }

    #[test]
    fn a_when_reading_a_field_its_check_does_not_observe_is_reported_where_it_is_written() {
        let found = problems(
            "title: t\nobserve:\n  - id: web\n    http: {url: u}\n  - id: disk\n    command: {run: [df]}\norient:\n  hypotheses:\n    - id: h\n      title: t\n      when: \"checks.web.observed.stauts == 503 or checks.disk.observed.exit_code != 0\"\n    - id: g\n      title: t\n      when: \"checks.disk.observed.status == 1\"\n",
        );
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text[0].starts_with("r.yaml:11:13: unknown field `checks.web.observed.stauts`; did you mean `status`?"),
            "{text:?}"
        );
        assert!(
            text[1].starts_with(
                "r.yaml:14:13: unknown field `checks.disk.observed.status` (command checks observe: exit_code,"
            ),
            "{text:?}"
        );
    }

    #[test]
    fn an_assert_may_read_every_field_its_probe_observes_and_no_other() {
        let ok = problems(
            "title: t\nobserve:\n  - id: cert\n    tls: {host: h}\n    assert: [\"leaf_expires_in_secs > 0 and chain_length >= 1\"]\n",
        );
        assert!(ok.is_empty(), "{ok:?}");
        let bad = problems(
            "title: t\nobserve:\n  - id: port\n    tcp: {host: h, port: 1}\n    assert: [\"status == 200\"]\n",
        );
        assert_eq!(bad.len(), 1, "{bad:?}");
        assert!(bad[0].message.contains("unknown name `status`"), "{bad:?}");
    }

    #[test]
    fn did_you_mean_offers_only_close_words() {
        assert_eq!(did_you_mean("timout", ["timeout", "title"]), Some("timeout"));
        assert_eq!(did_you_mean("zzz", ["timeout", "title"]), None);
    }

    #[test]
    fn a_check_needs_exactly_one_probe() {
        let none = problems("title: t\nobserve:\n  - id: a\n");
        assert!(none[0].message.contains("has no probe"), "{none:?}");
        let two = problems("title: t\nobserve:\n  - id: a\n    tcp: {host: h, port: 1}\n    http: {url: u}\n");
        assert!(two[0].message.contains("2 probes"), "{two:?}");
        assert_eq!((two[0].line, two[0].column), (3, 9));
    }

    #[test]
    fn expectations_must_fit_the_probe_and_ids_must_be_unique() {
        let found = problems(
            "title: t\nobserve:\n  - id: a\n    tcp: {host: h, port: 99999}\n    expect: {status: 200}\n  - id: a\n    command: {shell: x, run: [y]}\n",
        );
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        assert!(all.contains("r.yaml:4:"), "{all}"); // the port
        assert!(all.contains("`expect.status` does not apply to tcp checks"), "{all}");
        assert!(all.contains("duplicate check id `a`"), "{all}");
        assert!(all.contains("either `run` (an argv) or `shell`"), "{all}");
    }

    #[test]
    fn host_is_only_for_command_and_log_checks() {
        let found = problems(
            "title: t\nobserve:\n  - id: a\n    tcp: {host: h, port: 1}\n    host: ops@db1\n  - id: b\n    command: {run: [uptime]}\n    host: ops@db1\n    port: 2222\n  - id: c\n    command: {run: [uptime]}\n    identity: /k\n",
        );
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text[0].starts_with("r.yaml:5:11:")
                && text[0].contains("`host` applies to command and log checks, not tcp"),
            "{text:?}"
        );
        assert!(text[1].starts_with("r.yaml:12:15:") && text[1].contains("add `host: user@HOST`"), "{text:?}");
    }

    #[test]
    fn bad_yaml_is_reported_with_its_place_not_a_panic() {
        for text in [
            "title: [unclosed",
            "title: t\nobserve: 5\n",
            "\t- nonsense",
            "",
            "title: t\nvars:\n  a: {secret: maybe}\n",
        ] {
            let found = problems(text);
            assert!(!found.is_empty(), "{text:?} loaded");
        }
    }
}
