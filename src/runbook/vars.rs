//! A runbook's variables, resolved: `--var`, then the environment (`from_env`), then `default`.

use std::collections::BTreeMap;

use super::Runbook;
use super::template::RenderError;
use crate::error::{Error, Result};
use crate::secrets::Masker;

/// Variables with their values (`None`: no value; a template reading it fails, as `unknown`).
#[derive(Debug, Clone, Default)]
pub struct Vars {
    pub values: BTreeMap<String, Option<String>>,
    /// Names of variables marked `secret`.
    pub secret: Vec<String>,
    /// For variables without a value: how to give one.
    pub how_to_set: BTreeMap<String, String>,
    /// Values earlier checks extracted (`checks.ID.extract.NAME`), by check id.
    pub extracted: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// The item a `for_each` check is run for, read as `{{ item }}`.
    pub item: Option<serde_json::Value>,
    /// Names of `type: list` variables: their values are `,`-joined items, offered to
    /// templates as lists.
    pub lists: Vec<String>,
}

/// A value given for a variable by a person rather than the runbook: where it came from, so
/// that a refused value can say which flag or record to change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarSetting {
    pub name: String,
    pub value: String,
    pub origin: SettingOrigin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingOrigin {
    /// `--var` on this command line (or an answer typed in the walk).
    Flag,
    /// Recorded on the incident by `open --var`: replayed on every run and every synced clone.
    Incident,
}

impl VarSetting {
    pub fn flag(name: impl Into<String>, value: impl Into<String>) -> VarSetting {
        VarSetting { name: name.into(), value: value.into(), origin: SettingOrigin::Flag }
    }
}

/// `KEY=VALUE` pairs from `--var`.
pub fn parse_var_args(args: &[String]) -> Result<Vec<(String, String)>> {
    args.iter()
        .map(|arg| {
            arg.split_once('=')
                .filter(|(k, _)| !k.trim().is_empty())
                .map(|(k, v)| (k.trim().to_string(), v.to_string()))
                .ok_or_else(|| {
                    Error::usage(format!("--var {arg:?}: expected KEY=VALUE"))
                        .with_hint("for example --var base_url=http://127.0.0.1:8080")
                })
        })
        .collect()
}

/// The error for a value its declaration refuses, naming where the value came from.
fn refused(
    runbook: &Runbook,
    name: &str,
    spec: &super::schema::VarSpec,
    setting: Option<SettingOrigin>,
    from_env: bool,
    why: String,
) -> Error {
    match (setting, &spec.from_env, &spec.default) {
        (Some(SettingOrigin::Flag), ..) => {
            Error::usage(format!("--var {name}: {why}")).with_hint(format!("runbook {} declares it", runbook.name))
        }
        (Some(SettingOrigin::Incident), ..) => Error::usage(format!(
            "variable {name}, recorded on this incident by `open --var`: {why}"
        ))
        .with_hint(format!("give a value that is accepted with --var {name}=...; it wins over the recorded one")),
        (None, Some(var), _) if from_env => Error::usage(format!("variable {name}, from ${var}: {why}")),
        (_, _, Some(default)) => Error::usage(format!(
            "{}:{}:{}: default of variable {name}: {why}",
            runbook.path,
            default.referenced.line(),
            default.referenced.column()
        )),
        _ => Error::usage(format!("variable {name}: {why}")),
    }
}

/// Checks one `--var` value against the runbook's declaration, for commands that record it
/// (`open --var`) rather than run it.
pub fn check_setting(runbook: &Runbook, name: &str, value: &str) -> Result<()> {
    let Some(spec) = runbook.file.vars.get(name) else { return Ok(()) };
    super::var_types::check_value(&spec.value, value)
        .map_err(|why| refused(runbook, name, &spec.value, Some(SettingOrigin::Flag), false, why.to_string()))
}

impl Vars {
    /// Resolves the runbook's variables. A `--var` the runbook does not declare is a usage
    /// error (a typo would otherwise be silently ignored); so is a `required` one without a value.
    ///
    /// Every value is checked against its declaration (`type:`, `pattern:`, a leading `-`)
    /// before anything runs; a refused value is a usage error naming where it came from.
    pub fn resolve(runbook: &Runbook, overrides: &[VarSetting], env: &dyn Fn(&str) -> Option<String>) -> Result<Vars> {
        for VarSetting { name: key, .. } in overrides {
            if !runbook.file.vars.contains_key(key) {
                let known: Vec<&str> = runbook.file.vars.keys().map(String::as_str).collect();
                let hint = match super::did_you_mean(key, known.iter().copied()) {
                    Some(close) => format!("did you mean --var {close}=...?"),
                    None if known.is_empty() => format!("runbook {} declares no variables", runbook.name),
                    None => format!("runbook {} declares: {}", runbook.name, known.join(", ")),
                };
                return Err(
                    Error::usage(format!("--var {key}: runbook {} has no such variable", runbook.name)).with_hint(hint)
                );
            }
        }
        let mut vars = Vars::default();
        let mut missing = Vec::new();
        for (name, spec) in &runbook.file.vars {
            let spec = &spec.value;
            let setting = overrides.iter().rev().find(|s| &s.name == name);
            let is_list = spec.kind.as_ref().is_some_and(|k| k.value == "list");
            // A list takes every `--var names=...` given (each may hold `,`-separated items);
            // any other variable, the last one.
            let given = if is_list {
                let all: Vec<&str> = overrides
                    .iter()
                    .filter(|s| &s.name == name && s.origin == setting.map_or(SettingOrigin::Flag, |s| s.origin))
                    .map(|s| s.value.as_str())
                    .collect();
                setting.map(|_| all.join(","))
            } else {
                setting.map(|s| s.value.clone())
            };
            if is_list {
                vars.lists.push(name.clone());
            }
            let from_env = spec.from_env.as_deref().and_then(|var| env(var).filter(|v| !v.is_empty()));
            let value = given.or_else(|| from_env.clone()).or_else(|| spec.default.as_ref().map(|d| d.value.to_text()));
            if let Some(value) = &value
                && let Err(why) = super::var_types::check_value(spec, value)
            {
                let why = if spec.secret { why.to_string().replace(value.as_str(), "****") } else { why.to_string() };
                return Err(refused(runbook, name, spec, setting.map(|s| s.origin), from_env.is_some(), why));
            }
            if value.is_none() && spec.required {
                missing.push(match &spec.from_env {
                    Some(var) => format!("--var {name}=... (or {var})"),
                    None => format!("--var {name}=..."),
                });
            }
            if spec.secret {
                vars.secret.push(name.clone());
            }
            if value.is_none() {
                let how = match &spec.from_env {
                    Some(env) => format!("--var {name}=... or set {env}"),
                    None => format!("--var {name}=..."),
                };
                vars.how_to_set.insert(name.clone(), how);
            }
            vars.values.insert(name.clone(), value);
        }
        if !missing.is_empty() {
            return Err(Error::usage(format!("runbook {} needs a value for: {}", runbook.name, missing.join(", ")))
                .with_hint("give each with --var NAME=VALUE"));
        }
        Ok(vars)
    }

    /// The values as [`Vars::resolve`] finds them, without refusing missing `required` ones
    /// (for showing what is set and what is not).
    pub fn resolve_lenient(runbook: &Runbook, overrides: &[VarSetting], env: &dyn Fn(&str) -> Option<String>) -> Vars {
        let mut lenient = runbook.clone();
        for spec in lenient.file.vars.values_mut() {
            spec.value.required = false;
        }
        Vars::resolve(&lenient, overrides, env).unwrap_or_default()
    }

    /// When a template failed because it reads a variable that has no value, says how to give
    /// that variable one; `None` for any other failure.
    pub fn explain(&self, err: &RenderError) -> Option<String> {
        if err.kind != minijinja::ErrorKind::UndefinedError {
            return None;
        }
        self.how_to_set
            .iter()
            .find(|(name, _)| err.reads.contains(&format!("vars.{name}")))
            .map(|(name, how)| format!("variable {name} has no value (give it with {how})"))
    }

    /// Adds the values of secret variables to `masker`.
    pub fn add_secrets(&self, masker: &mut Masker) {
        for name in &self.secret {
            if let Some(Some(value)) = self.values.get(name) {
                masker.add(value.clone());
            }
        }
    }

    /// The template context: `{vars: {...}}` with only variables that have values, so that
    /// reading one without a value is an error naming it; and `checks.ID.extract` for the
    /// values earlier checks extracted.
    pub fn context(&self) -> minijinja::Value {
        let present: BTreeMap<String, minijinja::Value> = self
            .values
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), v)))
            .map(|(k, v)| {
                let value = match self.lists.contains(&k) {
                    true => super::var_types::list_items(v).map(minijinja::Value::from).collect(),
                    false => minijinja::Value::from(v.clone()),
                };
                (k, value)
            })
            .collect();
        let item = self.item.clone().map(|i| minijinja::Value::from(minijinja::value::Serde(i)));
        if self.extracted.is_empty() {
            return minijinja::context! { vars => present, item => item };
        }
        let checks: BTreeMap<&str, serde_json::Value> =
            self.extracted.iter().map(|(id, values)| (id.as_str(), serde_json::json!({ "extract": values }))).collect();
        minijinja::context! { vars => present, checks => minijinja::Value::from(minijinja::value::Serde(checks)), item => item }
    }

    /// The items of a list variable when `word` is exactly `{{ vars.NAME }}` naming one: such
    /// a word of a `run:` argv becomes one word per item.
    pub fn list_word(&self, word: &str) -> Option<Vec<String>> {
        let inner = word.trim().strip_prefix("{{")?.strip_suffix("}}")?.trim();
        let name = inner.strip_prefix("vars.")?;
        if !self.lists.iter().any(|l| l == name) {
            return None;
        }
        let value = self.values.get(name)?.as_deref()?;
        Some(super::var_types::list_items(value).map(str::to_string).collect())
    }

    /// The list `checks.ID.extract.NAME` names, if an earlier check extracted one.
    pub fn extracted_list(&self, reference: &str) -> Option<Vec<serde_json::Value>> {
        let rest = reference.trim().strip_prefix("checks.")?;
        let (check, name) = rest.split_once(".extract.")?;
        match self.extracted.get(check)?.get(name)? {
            serde_json::Value::Array(items) => Some(items.clone()),
            one => Some(vec![one.clone()]),
        }
    }

    /// Offers the values a check extracted (its `observed.extract`) to later templates. A text
    /// beginning with `-` is left out: read from output, it must never become an option.
    pub fn add_extracted(&mut self, check: &str, observed: &serde_json::Map<String, serde_json::Value>) {
        let Some(serde_json::Value::Object(values)) = observed.get("extract") else { return };
        let safe = values.iter().filter(|(_, v)| !starts_with_dash(v)).map(|(k, v)| (k.clone(), v.clone())).collect();
        self.extracted.insert(check.to_string(), safe);
    }
}

/// Whether a value, or any text in a list of them, begins with `-`.
fn starts_with_dash(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.starts_with('-'),
        serde_json::Value::Array(items) => items.iter().any(starts_with_dash),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::{Source, load};

    fn runbook() -> Runbook {
        let text = r#"title: t
vars:
  url: {default: "http://default", from_env: TEST_URL}
  token: {from_env: TEST_TOKEN, secret: true}
  host: {required: true}
"#;
        load(&Source { path: "t.yaml".into(), text: text.into() }, "t").unwrap_or_else(|p| panic!("{p:?}"))
    }

    #[test]
    fn var_flags_beat_the_environment_which_beats_defaults() {
        let rb = runbook();
        let env = |name: &str| (name == "TEST_URL").then(|| "http://env".to_string());
        let host = [VarSetting::flag("host", "db1")];
        let vars = Vars::resolve(&rb, &host, &env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(vars.values["url"].as_deref(), Some("http://env"));
        let both = [host[0].clone(), VarSetting::flag("url", "http://flag")];
        let vars = Vars::resolve(&rb, &both, &env).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(vars.values["url"].as_deref(), Some("http://flag"));
        assert_eq!(vars.values["token"], None);
        let env = crate::runbook::template::environment();
        let err = crate::runbook::template::render(&env, "Bearer {{ vars.token }}", &vars.context())
            .expect_err("token has no value");
        assert!(vars.explain(&err).is_some_and(|how| how.contains("set TEST_TOKEN")), "{err:?}");
    }

    #[test]
    fn secret_values_reach_the_masker() {
        let rb = runbook();
        let env = |name: &str| (name == "TEST_TOKEN").then(|| "tok-very-secret".to_string());
        let vars = Vars::resolve(&rb, &[VarSetting::flag("host", "h")], &env).unwrap_or_else(|e| panic!("{e}"));
        let mut masker = Masker::default();
        vars.add_secrets(&mut masker);
        assert_eq!(masker.mask("Bearer tok-very-secret"), "Bearer ****");
    }
}
