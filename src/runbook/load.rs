//! Loading a runbook: YAML to [`RunbookFile`], then every check the format promises, each
//! problem reported with file, line, column and the offending line.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_saphyr::{Location, Spanned};

use super::schema::{CheckSpec, CommandSpec, Expect, LogSpec, RunbookFile, StatusSet, StepSpec, Text};
use crate::expr::{Comparison, Unit, template};
use crate::model::{ProbeKind, kind_names};
use crate::time::parse_duration;

/// The longest `wait:` step: a pause past it is better asked for by hand.
pub const MAX_WAIT: std::time::Duration = std::time::Duration::from_secs(3600);

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
    /// With its includes merged in.
    pub file: RunbookFile,
    /// Each included check's file (`common/http-health.yaml`), by check id.
    pub included_from: BTreeMap<String, String>,
}

impl Runbook {
    pub fn check(&self, id: &str) -> Option<&CheckSpec> {
        self.file.observe.iter().find(|c| c.id.value == id)
    }

    pub fn action(&self, id: &str) -> Option<&super::schema::ActionSpec> {
        self.file.act.iter().find(|a| a.id.value == id)
    }

    /// The runbook as one of its actions sees it: its own `vars:` declared beside the runbook's.
    pub fn for_action(&self, action: &super::schema::ActionSpec) -> Runbook {
        let mut runbook = self.clone();
        runbook.file.vars.extend(action.vars.iter().map(|(name, spec)| (name.clone(), spec.clone())));
        runbook
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
    let mut file: RunbookFile = match serde_saphyr::from_str(&source.text) {
        Ok(file) => file,
        Err(err) => return Err(vec![yaml_problem(source, &err)]),
    };
    let (included, mut include_problems) = super::include::resolve(source, &file);
    let (check_from, var_from, merge_problems) = super::include::merge(source, &mut file, &included);
    include_problems.extend(merge_problems);
    let check_kinds = file.observe.iter().filter_map(|c| Some((c.id.value.clone(), c.kind()?))).collect();
    let extracted = file.observe.iter().map(|c| (c.id.value.clone(), c.extract.keys().cloned().collect())).collect();
    let mut checker = Checker {
        source,
        problems: Vec::new(),
        env: template::environment(),
        check_kinds,
        extracted,
        own_extracts: BTreeSet::new(),
        in_for_each: false,
        check_origins: check_from.iter().map(|(id, i)| (id.clone(), &included[*i].source)).collect(),
        var_origins: var_from.iter().map(|(name, i)| (name.clone(), &included[*i].source)).collect(),
    };
    checker.problems = include_problems;
    checker.check_file(&file);
    if !checker.problems.is_empty() {
        let mut problems = checker.problems;
        // The runbook's own problems first, each file's in the order of its lines.
        problems.sort_by_key(|p| (p.path != source.path, p.path.clone(), p.line, p.column));
        problems.dedup();
        return Err(problems);
    }
    let name = file.name.as_ref().map_or_else(|| default_name.to_string(), |n| n.value.clone());
    let included_from = check_from.into_iter().map(|(id, i)| (id, included[i].key.clone())).collect();
    Ok(Runbook { name, path: source.path.clone(), file, included_from })
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
    /// Each check's `extract:` names, read as `checks.ID.extract.NAME`.
    extracted: BTreeMap<String, BTreeSet<String>>,
    /// The names the check being looked at extracts, read by its `assert:` as `extract.NAME`.
    own_extracts: BTreeSet<String>,
    /// Whether the check being looked at has `for_each:` (its templates may read `item`).
    in_for_each: bool,
    /// The included file of each check and variable that came from one: its problems are
    /// reported at that file's lines.
    check_origins: BTreeMap<String, &'a Source>,
    var_origins: BTreeMap<String, &'a Source>,
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
        let own = self.source;
        for (name, spec) in &file.vars {
            self.source = self.var_origins.get(name).copied().unwrap_or(own);
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                self.report(spec.referenced, format!("variable name {name:?}: use letters, digits and `_`"));
            }
            for (at, message) in super::var_types::check_declaration(&spec.value) {
                self.report(at, format!("variable {name}: {message}"));
            }
        }
        self.source = own;
        self.duration(file.defaults.timeout.as_ref(), "timeout");
        self.duration(file.defaults.backoff.as_ref(), "backoff");

        let check_ids = self.unique_ids(file.observe.iter().map(|c| &c.id), "check");
        let hypothesis_ids = self.unique_ids(file.orient.hypotheses.iter().map(|h| &h.id), "hypothesis");
        let action_ids = self.unique_ids(file.act.iter().map(|a| &a.id), "action");

        for check in &file.observe {
            self.source = self.check_origins.get(&check.id.value).copied().unwrap_or(own);
            self.check_check(check, &vars);
        }
        self.source = own;
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
            let mut vars = vars.clone();
            for (name, spec) in &action.vars {
                if file.vars.contains_key(name) {
                    self.report(spec.referenced, format!("variable {name} is already declared for the whole runbook"));
                }
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    self.report(spec.referenced, format!("variable name {name:?}: use letters, digits and `_`"));
                }
                for (at, message) in super::var_types::check_declaration(&spec.value) {
                    self.report(at, format!("variable {name}: {message}"));
                }
                vars.insert(name.as_str());
            }
            for hypothesis in &action.requires {
                self.reference(hypothesis, &hypothesis_ids, "hypothesis");
            }
            if let Some(risk) = &action.risk
                && !["low", "medium", "high"].contains(&risk.value.as_str())
            {
                self.report(risk.referenced, format!("risk {:?}: use low, medium or high", risk.value));
            }
            match (&action.command, action.steps.is_empty()) {
                (Some(command), true) => self.command(command, &vars, action.id.referenced),
                (Some(_), false) => self.report(
                    action.id.referenced,
                    format!("action `{}` has both `command` and `steps`: put the command in a step", action.id.value),
                ),
                (None, true) => self.report(
                    action.id.referenced,
                    format!("action `{}` needs `command: {{run: [...]}}` or `steps: [...]`", action.id.value),
                ),
                (None, false) => {}
            }
            self.action_host(action.host.as_ref(), &vars);
            for text in action.identity.iter() {
                self.template(text, &vars);
            }
            if let Some(port) = &action.port {
                self.port(port);
            }
            for (key, present) in [("port", action.port.is_some()), ("identity", action.identity.is_some())] {
                if present && action.host.is_none() && action.steps.iter().all(|s| s.host.is_none()) {
                    self.report(
                        action.id.referenced,
                        format!("action `{}`: `{key}` goes with `host`", action.id.value),
                    );
                }
            }
            for step in &action.steps {
                self.action_host(step.host.as_ref(), &vars);
                if let Some(host) = &step.host
                    && step.command.is_none()
                {
                    self.report(host.referenced, "`host` applies to a step with a `command`");
                }
            }
            self.unique_ids(action.steps.iter().map(|s| &s.id), "step");
            for step in &action.steps {
                self.check_step(step, &vars, &check_ids);
            }
            for check in &action.guard {
                self.reference(check, &check_ids, "check");
            }
            for spec in [&action.preview, &action.rollback].into_iter().flatten() {
                self.command(spec, &vars, action.id.referenced);
            }
            self.duration(action.timeout.as_ref(), "timeout");
            if let Some(verify) = &action.verify {
                self.verify(verify, &check_ids);
            }
        }
    }

    /// An action's or a step's `host:`: a template of known names, or a host ssh takes.
    fn action_host(&mut self, host: Option<&Text>, vars: &BTreeSet<&str>) {
        let Some(host) = host else { return };
        if template::is_template(&host.value) {
            self.template(host, vars);
        } else if let Err(e) = crate::ssh::Remote::new(host.value.clone(), None, None) {
            self.report(host.referenced, e.to_string());
        }
    }

    fn verify(&mut self, verify: &super::schema::Verify, check_ids: &BTreeSet<String>) {
        for check in &verify.checks {
            self.reference(check, check_ids, "check");
        }
        self.duration(verify.within.as_ref(), "within");
        self.duration(verify.interval.as_ref(), "interval");
    }

    /// One step of a procedure: exactly one of `command`, `manual`, `wait`, and what fits it.
    fn check_step(&mut self, step: &StepSpec, vars: &BTreeSet<&str>, check_ids: &BTreeSet<String>) {
        match step.kinds().as_slice() {
            [_] => {}
            [] => {
                self.report(step.id.referenced, format!("step `{}` needs `command`, `manual` or `wait`", step.id.value))
            }
            many => self.report(
                step.id.referenced,
                format!("step `{}` has {}: one step does one thing", step.id.value, many.join(" and ")),
            ),
        }
        if let Some(command) = &step.command {
            self.command(command, vars, step.id.referenced);
        }
        if let Some(manual) = &step.manual {
            self.template(manual, vars);
        }
        if step.record.is_some() && step.manual.is_none() {
            self.report(step.id.referenced, format!("step `{}`: `record` goes with `manual`", step.id.value));
        }
        if let Some(wait) = &step.wait {
            self.duration(Some(wait), "wait");
            if parse_duration(&wait.value).is_ok_and(|d| d > MAX_WAIT) {
                self.report(wait.referenced, "wait: at most 1h (a longer pause is a manual step)");
            }
        }
        if let Some(condition) = &step.condition {
            self.expression(condition, &["vars"], vars, None);
        }
        self.duration(step.timeout.as_ref(), "timeout");
        if let Some(verify) = &step.verify {
            self.verify(verify, check_ids);
        }
    }

    fn unique_ids<'b>(&mut self, ids: impl Iterator<Item = &'b Text>, what: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let own = self.source;
        for id in ids {
            if what == "check" {
                self.source = self.check_origins.get(&id.value).copied().unwrap_or(own);
            }
            if id.value.is_empty() || !id.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                // Ids are read in expressions as `checks.ID`: they must be names.
                self.report(id.referenced, format!("{what} id {:?}: use letters, digits, `_` and `-`", id.value));
            }
            if !seen.insert(id.value.clone()) {
                self.report(id.referenced, format!("duplicate {what} id `{}`", id.value));
            }
        }
        self.source = own;
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

    /// A log check's named source must be well formed, and its `where` filters must parse
    /// (templates are checked once rendered) and be searched here, not over ssh.
    fn log_sources(&mut self, log: &LogSpec, remote: bool) {
        if !template::is_template(&log.path.value)
            && let Some(Err(why)) = crate::logsearch::container::layout::Named::parse(&log.path.value)
        {
            self.report(log.path.referenced, format!("path: {why}"));
        }
        for filter in &log.filters {
            if remote {
                self.report(filter.referenced, "`where` filters apply to logs searched here, not with `host:`");
            } else if !template::is_template(&filter.value)
                && let Err(e) = crate::logsearch::fields::FieldFilter::parse(&filter.value)
            {
                self.report(filter.referenced, format!("where: {e} (e.g. status>=500, level=error)"));
            }
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
        self.filters_and_tests(text, true);
        match template::template_names(&self.env, &text.value) {
            Err(e) => self.report(text.referenced, format!("bad template: {e}")),
            Ok(names) => {
                for name in names {
                    match name.strip_prefix("checks.").map(|rest| rest.split('.').collect::<Vec<_>>()) {
                        Some(parts) => self.extracted_in_template(text.referenced, &parts),
                        None if name == "item" || name.starts_with("item.") => {
                            if !self.in_for_each {
                                self.report(text.referenced, "`item` is read only in a check with `for_each:`");
                            }
                        }
                        None => self.name_in_scope(text.referenced, &name, &["vars", "checks", "item"], vars, None),
                    }
                }
            }
        }
    }

    /// A template reads of other checks only what they extracted: `checks.ID.extract.NAME`.
    fn extracted_in_template(&mut self, at: Location, parts: &[&str]) {
        match parts {
            [check, "extract", name, ..] if self.extracted.contains_key(*check) => {
                self.extracted_name(at, check, name);
            }
            [check, ..] if !self.extracted.contains_key(*check) => {
                let known: Vec<&str> = self.extracted.keys().map(String::as_str).collect();
                let mut message = format!("unknown check `checks.{check}`");
                if let Some(close) = did_you_mean(check, known) {
                    message.push_str(&format!("; did you mean `checks.{close}`?"));
                }
                self.report(at, message);
            }
            _ => self.report(
                at,
                format!(
                    "a template reads of other checks only `checks.ID.extract.NAME`, not `checks.{}`",
                    parts.join(".")
                ),
            ),
        }
    }

    /// MiniJinja finds an unknown filter or test only when the template runs: find it now.
    fn filters_and_tests(&mut self, text: &Text, is_template: bool) {
        for unknown in template::unknown_filters_and_tests(&self.env, &text.value, is_template) {
            self.report(text.referenced, format!("unknown {unknown}"));
        }
    }

    fn expression(&mut self, text: &Text, roots: &[&str], vars: &BTreeSet<&str>, checks: Option<&BTreeSet<String>>) {
        self.filters_and_tests(text, false);
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
            // Only a check's own status: `checks.ID.observed.json.status` is the target's word.
            regex::Regex::new(
                r#"\bchecks\.[A-Za-z0-9_-]+\.status\s*(?:==|!=|in|not\s+in)\s*(\[[^\]]*\]|'[^']*'|"[^"]*")"#,
            )
            .ok()
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
                    return;
                }
                match (parts.next(), parts.next()) {
                    (Some("extract"), Some(value)) => self.extracted_name(at, check, value),
                    (Some("observed"), Some("extract")) if self.extracted.get(check).is_some_and(|e| !e.is_empty()) => {
                        if let Some(value) = parts.next() {
                            self.extracted_name(at, check, value);
                        }
                    }
                    (Some("observed"), Some(field)) => self.observed_field(at, check, field),
                    _ => {}
                }
            }
            ("extract", Some(value)) if roots.contains(&"extract") && !self.own_extracts.contains(value) => {
                let mut message = format!("unknown extracted value `extract.{value}`");
                match did_you_mean(value, self.own_extracts.iter().map(String::as_str)) {
                    Some(close) => message.push_str(&format!("; did you mean `{close}`?")),
                    None => message.push_str(&format!(
                        " (this check extracts: {})",
                        self.own_extracts.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
                    )),
                }
                self.report(at, message);
            }
            _ => {}
        }
    }

    /// `checks.ID.extract.NAME` reads only a value that check extracts.
    fn extracted_name(&mut self, at: Location, check: &str, name: &str) {
        let Some(known) = self.extracted.get(check) else { return };
        if known.contains(name) {
            return;
        }
        let mut message = format!("unknown extracted value `checks.{check}.extract.{name}`");
        match did_you_mean(name, known.iter().map(String::as_str)) {
            Some(close) => message.push_str(&format!("; did you mean `{close}`?")),
            None if known.is_empty() => message.push_str(&format!(" (check {check} has no `extract:`)")),
            None => message.push_str(&format!(
                " (check {check} extracts: {})",
                known.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
            )),
        }
        self.report(at, message);
    }

    /// Each `extract:` entry: a name, exactly one source that fits the probe, a valid pattern.
    fn check_extracts(&mut self, check: &CheckSpec, probe: ProbeKind) {
        for (name, spec) in &check.extract {
            let at = spec.referenced;
            let e = &spec.value;
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                self.report(at, format!("extract name {name:?}: use letters, digits and `_`"));
            }
            let sources: Vec<(&str, &Text)> = [("json", &e.json), ("regex", &e.regex), ("label", &e.label)]
                .into_iter()
                .filter_map(|(key, t)| t.as_ref().map(|t| (key, t)))
                .collect();
            let [(key, text)] = sources.as_slice() else {
                self.report(at, format!("extract {name}: give exactly one of `json`, `regex` or `label`"));
                continue;
            };
            let fits = match *key {
                "json" => matches!(probe, ProbeKind::Command | ProbeKind::Http | ProbeKind::Prometheus),
                "regex" => matches!(probe, ProbeKind::Command | ProbeKind::Http),
                _ => probe == ProbeKind::Prometheus,
            };
            if !fits {
                self.report(text.referenced, format!("extract {name}: `{key}` does not apply to {probe} checks"));
            }
            match *key {
                "json" if !text.value.is_empty() && !text.value.starts_with('/') => self.report(
                    text.referenced,
                    format!("extract {name}: a JSON pointer starts with `/` (`/members/0/name`)"),
                ),
                "json" => {
                    let selects = |s: &str| s.starts_with('[') && s.ends_with(']');
                    if let Some(bad) = text.value.split('/').find(|s| selects(s) && !s.contains('=')) {
                        self.report(
                            text.referenced,
                            format!("extract {name}: `{bad}` selects nothing: write `[KEY=VALUE]` (`[type=Ready]`)"),
                        );
                    }
                }
                "regex" => self.regex(Some(text), "regex"),
                _ => {}
            }
            if e.all && *key != "regex" {
                self.report(at, format!("extract {name}: `all` goes with `regex`"));
            }
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
        self.in_for_each = check.for_each.is_some();
        self.check_probe(check, vars);
        self.in_for_each = false;
    }

    fn check_probe(&mut self, check: &CheckSpec, vars: &BTreeSet<&str>) {
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
        if let Some(condition) = &check.condition {
            self.expression(condition, &["vars"], vars, None);
        }
        if let Some(severity) = &check.severity
            && !["warning", "critical"].contains(&severity.value.as_str())
        {
            self.report(severity.referenced, format!("severity {:?}: use warning or critical", severity.value));
        }
        let mut texts: Vec<&Text> = Vec::new();
        if let Some(http) = &check.http {
            texts.push(&http.url);
            texts.extend(http.method.iter().chain(http.body.iter()).chain(http.headers.values()));
            if let Some(max_body) = &http.max_body {
                match crate::expr::parse_size(&max_body.value) {
                    Err(e) => self.report(max_body.referenced, format!("max_body: {e}")),
                    Ok(n) if n == 0 || n > crate::model::HTTP_MAX_MAX_BODY as u64 => self.report(
                        max_body.referenced,
                        format!(
                            "max_body: from 1 byte to {}",
                            crate::expr::show_size(crate::model::HTTP_MAX_MAX_BODY as u64)
                        ),
                    ),
                    Ok(_) => {}
                }
            }
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
            self.log_sources(log, check.host.is_some());
            texts.extend(log.filters.iter());
        }
        texts.extend(self.remote(check, probe));
        for text in texts {
            self.template(text, vars);
        }
        if let Some(expect) = &check.expect {
            self.check_expect(expect, probe);
        }
        self.check_extracts(check, probe);
        if let Some(unknown_on) = &check.unknown_on {
            self.regex(unknown_on.output_matches.as_ref(), "output_matches");
            if !unknown_on.exit_codes.is_empty() && probe != ProbeKind::Command {
                self.report(check.id.referenced, format!("unknown_on.exit_codes: {probe} checks have no exit code"));
            }
        }
        if let Some(on_empty) = &check.on_empty {
            let fits = match &on_empty.value {
                super::schema::Scalar::Str(word) => word == "ok",
                super::schema::Scalar::Int(_) | super::schema::Scalar::Float(_) => true,
                super::schema::Scalar::Bool(_) | super::schema::Scalar::List(_) => false,
            };
            if !fits {
                self.report(on_empty.referenced, "on_empty: `ok` or a number (the value an empty result stands for)");
            } else if probe != ProbeKind::Prometheus {
                self.report(on_empty.referenced, format!("on_empty applies to prometheus checks, not {probe}"));
            }
        }
        if let Some(for_each) = &check.for_each {
            let parts: Vec<&str> =
                for_each.items.value.trim().strip_prefix("checks.").map(|r| r.split('.').collect()).unwrap_or_default();
            if parts.len() == 3 && parts[1] == "extract" {
                self.extracted_in_template(for_each.items.referenced, &parts);
            } else {
                self.report(for_each.items.referenced, "for_each.items: name a list as `checks.ID.extract.NAME`");
            }
            if let Some(max) = &for_each.max
                && !(1..=100).contains(&max.value)
            {
                self.report(max.referenced, "for_each.max: from 1 to 100");
            }
        }
        if let Some(thresholds) = &check.thresholds {
            if let Some(of) = &thresholds.of
                && !check.extract.contains_key(&of.value)
            {
                self.report(of.referenced, format!("thresholds.of: `{}` is not a value this check extracts", of.value));
            }
            if !probe.takes_thresholds() && thresholds.of.is_none() {
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
        if !check.extract.is_empty() {
            roots.push("extract");
        }
        self.own_extracts = check.extract.keys().cloned().collect();
        for assertion in &check.assert {
            self.expression(assertion, &roots, vars, None);
        }
        if let Some(summary) = &check.summary {
            roots.push("result");
            self.summary(summary, &roots, vars);
        }
    }

    /// A check's `summary:` template reads what its `assert:` reads, and `result`.
    fn summary(&mut self, text: &Text, roots: &[&str], vars: &BTreeSet<&str>) {
        self.filters_and_tests(text, true);
        match template::template_names(&self.env, &text.value) {
            Err(e) => self.report(text.referenced, format!("bad template: {e}")),
            Ok(names) => {
                for name in names {
                    self.name_in_scope(text.referenced, &name, roots, vars, None);
                }
            }
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
    fn a_procedure_is_held_to_one_thing_per_step_known_checks_and_a_bounded_wait() {
        let found = problems(
            "title: t\nobserve:\n  - id: a\n    tcp: {host: h, port: 1}\nact:\n  - id: x\n    title: t\n    guard: [b]\n    steps:\n      - id: one\n        wait: 2h\n      - id: two\n        manual: m\n        command: {run: [ls]}\n      - id: three\n        if: \"vars.nope\"\n        record: r\n  - id: y\n    title: t\n",
        );
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        assert!(all.contains("r.yaml:8:13: unknown check `b`"), "{all}");
        assert!(all.contains("r.yaml:11:15: wait: at most 1h"), "{all}");
        assert!(all.contains("r.yaml:12:13: step `two` has command and manual"), "{all}");
        assert!(all.contains("r.yaml:15:13: step `three` needs `command`, `manual` or `wait`"), "{all}");
        assert!(all.contains("`record` goes with `manual`"), "{all}");
        assert!(all.contains("r.yaml:16:13: unknown variable `vars.nope`"), "{all}");
        assert!(all.contains("r.yaml:18:9: action `y` needs `command: {run: [...]}` or `steps: [...]`"), "{all}");
        assert_eq!(text.len(), 7, "{all}");
    }

    #[test]
    fn for_each_names_an_extracted_list_and_only_its_check_reads_item() {
        let found = problems(
            "title: t\nobserve:\n  - id: a\n    command: {run: [ls]}\n    extract: {names: {regex: x, all: true}}\n  - id: b\n    for_each: {items: checks.a.extract.nams, max: 500}\n    command: {run: [echo, \"{{ item }}\"]}\n  - id: c\n    command: {run: [echo, \"{{ item }}\"]}\n",
        );
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        let all = text.join("\n");
        assert!(
            all.contains("r.yaml:7:23: unknown extracted value `checks.a.extract.nams`; did you mean `names`?"),
            "{all}"
        );
        assert!(all.contains("r.yaml:7:51: for_each.max: from 1 to 100"), "{all}");
        assert!(all.contains("r.yaml:10:27: `item` is read only in a check with `for_each:`"), "{all}");
        assert_eq!(text.len(), 3, "{all}");
    }

    #[test]
    fn unknown_filters_and_tests_are_reported_at_load_not_at_run() {
        let found = problems(
            "title: t\nvars:\n  a: {default: x}\nobserve:\n  - id: c\n    command: {run: [echo, \"{{ vars.a | uper }} | nope\"]}\n    assert: [\"stdout | last_line | numbr > 1\", \"stdout is strng\", \"'a|b' is string and stdout | trim is defined\"]\n",
        );
        let text: Vec<String> = found.iter().map(|p| p.message.clone()).collect();
        assert_eq!(text, ["unknown filter uper", "unknown filter numbr", "unknown test strng"], "{found:?}");
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
