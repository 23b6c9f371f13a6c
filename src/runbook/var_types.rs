//! What a runbook variable's value may be: its `type:`, `values:`, `pattern:` and whether it
//! may begin with `-`. One check, used for `--var`, values stored on an incident by
//! `open --var`, the environment and defaults alike, before anything runs.

use std::net::IpAddr;

use super::schema::VarSpec;

/// The types a variable can declare.
pub const TYPES: &[&str] = &["string", "int", "port", "duration", "host", "url", "path", "enum", "list"];

/// Why a value is not acceptable for its variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Nul,
    LeadingDash(String),
    NotA { value: String, what: String },
    Duration { value: String, reason: String },
    UnknownType(String),
    PatternDoesNotCompile { pattern: String, reason: String },
    NoMatch { value: String, pattern: String },
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refused::Nul => f.write_str("contains a NUL byte"),
            Refused::LeadingDash(value) => write!(
                f,
                "{value:?} begins with `-`, so the command it is passed to could read it as an option \
                 (if the variable may, declare it with `allow_dash: true`)"
            ),
            Refused::NotA { value, what } => write!(f, "{value:?} is not {what}"),
            Refused::Duration { value, reason } => write!(f, "{value:?}: {reason}"),
            Refused::UnknownType(kind) => write!(f, "unknown type {kind:?} (types: {})", TYPES.join(", ")),
            Refused::PatternDoesNotCompile { pattern, reason } => {
                write!(f, "pattern {pattern:?} does not compile: {reason}")
            }
            Refused::NoMatch { value, pattern } => write!(f, "{value:?} does not match the pattern {pattern:?}"),
        }
    }
}

impl std::error::Error for Refused {}

/// Why `value` is not acceptable for a variable declared as `spec`, or `Ok`.
pub fn check_value(spec: &VarSpec, value: &str) -> Result<(), Refused> {
    if value.contains('\0') {
        return Err(Refused::Nul);
    }
    if spec.kind.as_ref().is_some_and(|k| k.value == "list") {
        return list_items(value).try_for_each(|item| check_value(&item_spec(spec), item));
    }
    if value.trim_start().starts_with('-') && !spec.allow_dash {
        return Err(Refused::LeadingDash(value.to_string()));
    }
    let kind = spec.kind.as_ref().map_or("string", |k| k.value.as_str());
    check_type(kind, spec, value)?;
    if let Some(pattern) = &spec.pattern {
        let anchored = regex::Regex::new(&format!("^(?:{})$", pattern.value))
            .map_err(|e| Refused::PatternDoesNotCompile { pattern: pattern.value.clone(), reason: e.to_string() })?;
        if !anchored.is_match(value) {
            return Err(Refused::NoMatch { value: value.to_string(), pattern: pattern.value.clone() });
        }
    }
    Ok(())
}

/// The items of a `type: list` value: `a,b` gives `a` and `b`; an empty value, none.
pub fn list_items(value: &str) -> impl Iterator<Item = &str> {
    value.split(',').filter(|item| !item.is_empty())
}

/// What each item of a list must be: its `items:` declaration (a string by default), which
/// may begin with `-` only if the list or its `items:` allows it.
fn item_spec(list: &VarSpec) -> VarSpec {
    let mut item = list.items.as_deref().cloned().unwrap_or_default();
    item.allow_dash |= list.allow_dash;
    if item.pattern.is_none() {
        item.pattern = list.pattern.clone();
    }
    item
}

fn check_type(kind: &str, spec: &VarSpec, value: &str) -> Result<(), Refused> {
    let refuse = |what: &str| Err(Refused::NotA { value: value.to_string(), what: what.to_string() });
    match kind {
        "string" => Ok(()),
        "int" => value.trim().parse::<i64>().map(|_| ()).or_else(|_| refuse("an integer")),
        "port" => match value.trim().parse::<u16>() {
            Ok(port) if port > 0 => Ok(()),
            _ => refuse("a port (1-65535)"),
        },
        "duration" => crate::time::parse_duration(value)
            .map(|_| ())
            .map_err(|e| Refused::Duration { value: value.to_string(), reason: e.to_string() }),
        "host" => {
            if is_host(value) {
                Ok(())
            } else {
                refuse("a host name or IP address")
            }
        }
        "url" => match reqwest::Url::parse(value) {
            Ok(url) if url.has_host() && !value.chars().any(char::is_whitespace) => Ok(()),
            _ => refuse("a URL with a host (such as http://127.0.0.1:8080)"),
        },
        "path" => {
            if value.is_empty() || value.contains(['\n', '\r']) {
                refuse("a path")
            } else {
                Ok(())
            }
        }
        "enum" => {
            let values = spec.values.as_ref().map(|v| v.value.as_slice()).unwrap_or_default();
            if values.iter().any(|v| v == value) { Ok(()) } else { refuse(&format!("one of: {}", values.join(", "))) }
        }
        "list" => list_items(value).try_for_each(|item| check_value(&item_spec(spec), item)),
        other => Err(Refused::UnknownType(other.to_string())),
    }
}

/// A DNS name (letters, digits, `-`, `_`, dot-separated labels that do not begin with `-`) or
/// an IP address (IPv6 with or without brackets).
fn is_host(value: &str) -> bool {
    let bare = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')).unwrap_or(value);
    if bare.parse::<IpAddr>().is_ok() {
        return true;
    }
    !value.is_empty()
        && value.len() <= 253
        && value.trim_end_matches('.').split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// What is wrong with the declaration itself (an unknown type, `values` without `enum`, a
/// pattern that does not compile, a default that is not of the type), each with the place in
/// the file it concerns.
pub fn check_declaration(spec: &VarSpec) -> Vec<(serde_saphyr::Location, String)> {
    let mut problems = Vec::new();
    let kind = spec.kind.as_ref().map(|k| (k.value.as_str(), k.referenced));
    if let Some((name, at)) = kind
        && !TYPES.contains(&name)
    {
        let hint = super::did_you_mean(name, TYPES.iter().copied())
            .map_or_else(|| format!(" (types: {})", TYPES.join(", ")), |c| format!("; did you mean `{c}`?"));
        problems.push((at, format!("unknown variable type `{name}`{hint}")));
        return problems;
    }
    match (kind.map(|k| k.0), &spec.values) {
        (Some("enum"), None) => {
            if let Some((_, at)) = kind {
                problems.push((at, "type `enum` needs `values: [...]`".to_string()));
            }
        }
        (Some("enum"), Some(values)) if values.value.is_empty() => {
            problems.push((values.referenced, "`values` of an enum cannot be empty".to_string()));
        }
        (Some("enum"), Some(_)) | (_, None) => {}
        (_, Some(values)) => problems.push((values.referenced, "`values` needs `type: enum`".to_string())),
    }
    if let Some(items) = &spec.items {
        problems.extend(check_declaration(items));
    }
    if let Some(pattern) = &spec.pattern
        && let Err(e) = regex::Regex::new(&pattern.value)
    {
        let first = e.to_string().lines().last().unwrap_or_default().trim().to_string();
        problems.push((pattern.referenced, format!("pattern does not compile: {first}")));
    }
    if problems.is_empty()
        && let Some(default) = &spec.default
        && let Err(why) = check_value(spec, &default.value.to_text())
    {
        problems.push((default.referenced, format!("default {why}")));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::{Source, load};

    fn spec(yaml: &str) -> VarSpec {
        let text = format!("title: t\nvars:\n  x: {yaml}\n");
        let runbook = load(&Source { path: "t.yaml".into(), text }, "t").unwrap_or_else(|p| panic!("{p:?}"));
        runbook.file.vars["x"].value.clone()
    }

    #[test]
    fn an_unknown_item_type_of_a_list_is_reported_by_lint() {
        let text = "title: t\nvars:\n  x: {type: list, items: {type: prot}}\n".to_string();
        let problems = format!("{:?}", load(&Source { path: "t.yaml".into(), text }, "t").err());
        assert!(problems.contains("column: 33") && problems.contains("unknown variable type `prot`"), "{problems}");
    }

    #[test]
    fn a_leading_dash_is_refused_unless_the_variable_allows_it() {
        assert!(matches!(check_value(&spec("{}"), "-delete"), Err(Refused::LeadingDash(_))));
        assert!(check_value(&spec("{}"), " -delete").is_err());
        assert!(check_value(&spec("{type: path}"), "--help").is_err());
        assert_eq!(check_value(&spec("{allow_dash: true}"), "-5"), Ok(()));
        assert_eq!(check_value(&spec("{}"), "a-b"), Ok(()));
    }

    #[test]
    fn each_type_takes_its_values_and_refuses_others() {
        let cases: &[(&str, &str, &str)] = &[
            ("{type: int}", "42", "4x"),
            ("{type: port}", "5432", "70000"),
            ("{type: duration}", "15m", "15 parsecs"),
            ("{type: host}", "db-1.example.com", "db1;rm"),
            ("{type: host}", "[::1]", "a b"),
            ("{type: url}", "https://x.example/healthz", "not a url"),
            ("{type: path}", "/var/log", ""),
            ("{type: enum, values: [a, b]}", "b", "c"),
            ("{pattern: '[a-z]+'}", "abc", "abc1"),
            ("{type: list, items: {type: port}}", "80,443", "80,http"),
            ("{type: list}", "a,b", "a,-rf"),
        ];
        for (declared, good, bad) in cases {
            let spec = spec(declared);
            assert_eq!(check_value(&spec, good), Ok(()), "{declared} {good}");
            assert!(check_value(&spec, bad).is_err(), "{declared} {bad}");
        }
    }
}
