//! The service catalog: each service described once, in a `services/` folder of YAML files next
//! to the runbooks (one file per service, `services/checkout.yaml`), with its owners, the
//! runbooks that fit it and the values of their variables. `open --service`, alerts and the
//! runbook choice read it; `incident service lint` checks it at file:line:col, against the
//! runbooks it names.
//!
//! A folder of YAML rather than `[[service]]` tables in `incident.toml`: a team owns its file
//! (CODEOWNERS, one review per service), and it is read and linted with the same spans and
//! problems as the runbooks it points at.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::config::ConfigFile;
use crate::error::{Error, Result};
use crate::runbook::schema::{MatchRule, Scalar, Text};
use crate::runbook::{Catalog, Matcher, Problem, Runbook, Source, did_you_mean};

/// A catalog file, as serde reads it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    /// Defaults to the file's stem.
    pub name: Option<Text>,
    pub description: Option<String>,
    /// Teams or people who own it (`payments`, `@alice`).
    #[serde(default)]
    pub owners: Vec<String>,
    /// The runbooks that fit it, likeliest first: the first is `open --service`'s choice.
    #[serde(default)]
    pub runbooks: Vec<Text>,
    /// Values of the runbooks' variables (`base_url`, `health_path`, `log_path`, `namespace`,
    /// `deployment`...): each runbook takes those it declares.
    #[serde(default)]
    pub vars: BTreeMap<String, Spanned<Scalar>>,
    /// Its Prometheus: the value of a runbook's `prom_url` unless `vars` gives one.
    pub prometheus: Option<Text>,
    /// Where its logs are (files, globs, `journal:UNIT`): the first file is a runbook's
    /// `log_path` unless `vars` gives one.
    #[serde(default)]
    pub logs: Vec<Text>,
    /// Alerts for this service, besides those whose `service` or `job` label is its name.
    #[serde(default, rename = "match")]
    pub matches: Vec<MatchRule>,
}

/// A service that loaded and passed lint.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub path: String,
    pub file: ServiceFile,
}

/// The services folder: `services = "DIR"` in the nearest `incident.toml` (relative to it), else
/// `./services`. `None` when there is none: the catalog is optional.
pub fn services_dir() -> Result<Option<PathBuf>> {
    if let Some(file) = ConfigFile::nearest()?
        && let Some(dir) = file.services_dir()
    {
        if !dir.is_dir() {
            return Err(Error::config(format!(
                "{}: services = {:?} is not a directory",
                file.path.display(),
                dir.display()
            )));
        }
        return Ok(Some(dir));
    }
    let local = PathBuf::from("services");
    Ok(local.is_dir().then_some(local))
}

/// The catalog's files, sorted by path.
pub fn catalog_files(dir: Option<&Path>) -> Result<Vec<PathBuf>> {
    let dir = match dir {
        Some(dir) if !dir.is_dir() => {
            return Err(Error::usage(format!("--services {}: not a directory", dir.display())));
        }
        Some(dir) => Some(dir.to_path_buf()),
        None => services_dir()?,
    };
    Ok(dir.map(|d| crate::runbook::yaml_files_in(&d)).unwrap_or_default())
}

/// Every service that loads, with the problems of those that do not.
pub fn load_all(dir: Option<&Path>, runbooks: &Catalog) -> Result<(Vec<Service>, Vec<Problem>)> {
    let mut services = Vec::new();
    let mut problems = Vec::new();
    for path in catalog_files(dir)? {
        match load(&read_source(&path)?, &stem(&path), runbooks) {
            Ok(service) => services.push(service),
            Err(found) => problems.extend(found),
        }
    }
    Ok((services, problems))
}

/// The catalog's service named `name`; `None` when there is no catalog or no such service.
/// A service that does not load is an error naming its problems.
pub fn find(dir: Option<&Path>, name: &str) -> Result<Option<Service>> {
    let runbooks = Catalog::new(None)?;
    for path in catalog_files(dir)? {
        let source = read_source(&path)?;
        let text_name = peek_name(&source).unwrap_or_else(|| stem(&path));
        if text_name == name {
            return load(&source, &stem(&path), &runbooks).map(Some).map_err(|p| problems_error(&p));
        }
    }
    Ok(None)
}

/// The service an alert with these labels is for: the first whose `match:` rules fit best, else
/// the one named by its `service` or `job` label. Services that do not load are passed over.
pub fn service_for_alert(labels: &BTreeMap<String, String>) -> Result<Option<Service>> {
    let runbooks = Catalog::new(None)?;
    let (services, _) = load_all(None, &runbooks)?;
    let mut best: Option<(usize, &Service)> = None;
    for service in &services {
        if let Some(fit) = crate::runbook::best_fit(&service.file.matches, labels)
            && best.is_none_or(|(b, _)| fit > b)
        {
            best = Some((fit, service));
        }
    }
    if let Some((_, service)) = best {
        return Ok(Some(service.clone()));
    }
    let named = ["service", "job"]
        .iter()
        .filter_map(|key| labels.get(*key))
        .find_map(|value| services.iter().find(|s| &s.name == value));
    Ok(named.cloned())
}

impl Service {
    /// The runbooks it names, likeliest first.
    pub fn runbook_names(&self) -> Vec<String> {
        self.file.runbooks.iter().map(|r| r.value.clone()).collect()
    }

    /// The values it gives `runbook`'s variables: those the runbook declares (never secret
    /// ones), with `prometheus` as `prom_url` and the first log file as `log_path` when its
    /// `vars` do not say.
    pub fn vars_for(&self, runbook: &Runbook) -> BTreeMap<String, String> {
        let mut offered: BTreeMap<String, String> =
            self.file.vars.iter().map(|(k, v)| (k.clone(), v.value.to_text())).collect();
        if let Some(url) = &self.file.prometheus {
            offered.entry("prom_url".to_string()).or_insert_with(|| url.value.clone());
        }
        if let Some(file) = self.file.logs.iter().find(|l| !l.value.starts_with("journal:")) {
            offered.entry("log_path".to_string()).or_insert_with(|| file.value.clone());
        }
        offered.retain(|key, _| runbook.file.vars.get(key).is_some_and(|spec| !spec.value.secret));
        offered
    }
}

/// Parses and checks a catalog file against the runbooks there are: every runbook it names must
/// exist and load, every variable must be declared by one of them (and not secret), and every
/// value must be of the type each runbook declaring it asks for.
pub fn load(source: &Source, default_name: &str, runbooks: &Catalog) -> std::result::Result<Service, Vec<Problem>> {
    let file: ServiceFile = match serde_saphyr::from_str(&source.text) {
        Ok(file) => file,
        Err(err) => return Err(vec![crate::runbook::yaml_problem(source, &err)]),
    };
    let mut problems = Vec::new();
    let mut report = |at: Location, message: String| problems.push(problem_at(source, at, message));
    if let Some(name) = &file.name
        && (name.value.is_empty() || !name.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        report(name.referenced, format!("service name {:?}: use letters, digits, `-` and `_`", name.value));
    }
    let known: Vec<String> = runbooks.entries().into_iter().map(|e| e.name).collect();
    let mut loaded: Vec<Runbook> = Vec::new();
    for name in &file.runbooks {
        if !known.contains(&name.value) {
            let hint = match did_you_mean(&name.value, known.iter().map(String::as_str)) {
                Some(close) => format!("; did you mean `{close}`?"),
                None => " (`incident runbook list` shows them)".to_string(),
            };
            report(name.referenced, format!("unknown runbook `{}`{hint}", name.value));
            continue;
        }
        match runbooks.load(&name.value) {
            Ok(runbook) => loaded.push(runbook),
            Err(_) => {
                report(name.referenced, format!("runbook `{}` does not load: run `incident runbook lint`", name.value))
            }
        }
    }
    let all_named = loaded.len() == file.runbooks.len();
    for (var, value) in &file.vars {
        let declaring: Vec<&Runbook> = loaded.iter().filter(|r| r.file.vars.contains_key(var)).collect();
        if declaring.is_empty() {
            // A runbook that did not load cannot say what it declares: its own problem is enough.
            if all_named {
                let names: Vec<&str> = loaded.iter().flat_map(|r| r.file.vars.keys().map(String::as_str)).collect();
                let hint = match did_you_mean(var, names.iter().copied()) {
                    Some(close) => format!("; did you mean `{close}`?"),
                    None if loaded.is_empty() => " (name the runbooks that use it under `runbooks:`)".to_string(),
                    None => " (its runbooks declare none by that name)".to_string(),
                };
                report(value.referenced, format!("unknown variable `{var}`{hint}"));
            }
            continue;
        }
        for runbook in declaring {
            let spec = &runbook.file.vars[var].value;
            if spec.secret {
                report(
                    value.referenced,
                    format!(
                        "variable `{var}` is secret in runbook {}: it comes from its environment variable, never from the catalog",
                        runbook.name
                    ),
                );
            } else if let Err(why) = crate::runbook::check_value(spec, &value.value.to_text()) {
                report(value.referenced, format!("variable `{var}` (runbook {}): {why}", runbook.name));
            }
        }
    }
    for rule in &file.matches {
        for text in &rule.matchers {
            if let Err(e) = Matcher::parse(&text.value) {
                report(text.referenced, format!("match: {e}"));
            }
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| (p.line, p.column));
        return Err(problems);
    }
    let name = file.name.as_ref().map_or_else(|| default_name.to_string(), |n| n.value.clone());
    Ok(Service { name, path: source.path.clone(), file })
}

/// The name a file gives itself, read without checking the rest (to find a service by name
/// without linting the whole catalog).
fn peek_name(source: &Source) -> Option<String> {
    #[derive(Deserialize)]
    struct NameOnly {
        name: Option<String>,
    }
    serde_saphyr::from_str::<NameOnly>(&source.text).ok().and_then(|n| n.name)
}

fn problem_at(source: &Source, at: Location, message: String) -> Problem {
    let snippet = source.text.lines().nth(usize::try_from(at.line().saturating_sub(1)).unwrap_or(usize::MAX));
    Problem {
        path: source.path.clone(),
        line: at.line(),
        column: at.column(),
        message,
        snippet: snippet.map(|l| l.trim_end().to_string()),
    }
}

/// One error carrying every problem of a catalog file.
pub fn problems_error(problems: &[Problem]) -> Error {
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    Error::config(text.join("\n")).with_hint("`incident service lint` checks the catalog")
}

pub fn read_source(path: &Path) -> Result<Source> {
    let text = crate::text_file::read_whole(path).map_err(|e| Error::io("cannot read service", path, &e))?;
    Ok(Source { path: path.display().to_string(), text })
}

pub fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(text: &str) -> std::result::Result<Service, Vec<Problem>> {
        let runbooks = Catalog::new(None).expect("shipped runbooks");
        load(&Source { path: "services/checkout.yaml".into(), text: text.into() }, "checkout", &runbooks)
    }

    #[test]
    fn a_service_fills_the_variables_its_runbooks_declare() {
        let text = "owners: [payments]\nruntbooks: []\n";
        assert!(service(text).is_err(), "unknown keys are refused");
        let text = "owners: [payments]\nrunbooks: [http-5xx]\nvars:\n  base_url: http://checkout:8080\nprometheus: http://prom:9090\n";
        let checkout = service(text).unwrap_or_else(|p| panic!("{p:?}"));
        let runbook = Catalog::new(None).and_then(|c| c.load("http-5xx")).expect("shipped");
        let vars = checkout.vars_for(&runbook);
        assert_eq!(vars.get("base_url").map(String::as_str), Some("http://checkout:8080"));
    }

    #[test]
    fn unknown_runbooks_and_variables_are_placed_at_their_line_and_column() {
        let text = "runbooks: [http-5xx, htp-5xx]\nvars:\n  base_url: http://checkout:8080\n  bse_path: /x\n";
        let problems = service(text).expect_err("two problems");
        let said: Vec<String> = problems.iter().map(|p| format!("{}:{}: {}", p.line, p.column, p.message)).collect();
        assert_eq!(
            said,
            ["1:22: unknown runbook `htp-5xx`; did you mean `http-5xx`?"],
            "a missing runbook hides variable checks"
        );
        let text = "runbooks: [http-5xx]\nvars:\n  base_urll: http://checkout:8080\n";
        let problems = service(text).expect_err("one problem");
        assert_eq!(problems[0].line, 3);
        assert!(
            problems[0].message.starts_with("unknown variable `base_urll`; did you mean `base_url`?"),
            "{problems:?}"
        );
    }
}
