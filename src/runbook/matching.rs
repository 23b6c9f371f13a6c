//! Which runbook an alert calls for: a runbook's `match:` rules, written as Alertmanager writes
//! its routes (alert names, and label matchers `job="api"`, `env!="dev"`, `instance=~"db.*"`,
//! `path!~"/tmp.*"`).

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;

use super::Catalog;
use super::schema::MatchRule;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal,
    NotEqual,
    Matches,
    NotMatches,
}

/// One label matcher, parsed.
#[derive(Debug, Clone)]
pub struct Matcher {
    label: String,
    op: Op,
    value: String,
    /// For `=~` and `!~`: the value, anchored at both ends as Alertmanager anchors it.
    regex: Option<Regex>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatcherError(String);

impl fmt::Display for MatcherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Matcher {
    /// `label="value"`, `label!=value`, `label=~"regex"`, `label!~"regex"`.
    pub fn parse(text: &str) -> Result<Matcher, MatcherError> {
        let text = text.trim();
        let at = text
            .find(['=', '!'])
            .ok_or_else(|| MatcherError(format!("matcher {text:?}: write label=\"value\" (or !=, =~, !~)")))?;
        let label = text[..at].trim();
        let rest = &text[at..];
        let (op, value) = [("=~", Op::Matches), ("!~", Op::NotMatches), ("!=", Op::NotEqual), ("=", Op::Equal)]
            .iter()
            .find_map(|(sign, op)| rest.strip_prefix(sign).map(|v| (*op, v)))
            .ok_or_else(|| MatcherError(format!("matcher {text:?}: the operator is one of =, !=, =~, !~")))?;
        if label.is_empty() || !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(MatcherError(format!("matcher {text:?}: a label name is letters, digits and `_`")));
        }
        let value = value.trim();
        let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value).to_string();
        let regex = match op {
            Op::Matches | Op::NotMatches => Some(
                Regex::new(&format!("^(?:{value})$"))
                    .map_err(|e| MatcherError(format!("matcher {text:?}: not a regular expression: {e}")))?,
            ),
            Op::Equal | Op::NotEqual => None,
        };
        Ok(Matcher { label: label.to_string(), op, value, regex })
    }

    /// A missing label reads as empty, as in Alertmanager.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.label).map_or("", String::as_str);
        match (self.op, &self.regex) {
            (Op::Equal, _) => value == self.value,
            (Op::NotEqual, _) => value != self.value,
            (Op::Matches, Some(re)) => re.is_match(value),
            (Op::NotMatches, Some(re)) => !re.is_match(value),
            (_, None) => false,
        }
    }
}

impl MatchRule {
    /// How well this rule fits an alert with these labels: `None` when it does not, else the
    /// number of conditions it checked (a more specific rule wins).
    pub fn fit(&self, labels: &BTreeMap<String, String>) -> Option<usize> {
        let name = labels.get("alertname").map_or("", String::as_str);
        if !self.alertname.is_empty() && !self.alertname.iter().any(|n| n == name) {
            return None;
        }
        let mut fit = usize::from(!self.alertname.is_empty());
        for text in &self.matchers {
            // Unparsable matchers are reported by lint and never match.
            let matcher = Matcher::parse(&text.value).ok()?;
            if !matcher.matches(labels) {
                return None;
            }
            fit += 1;
        }
        (fit > 0).then_some(fit)
    }
}

/// The best fit among a runbook's rules.
pub fn best_fit(rules: &[MatchRule], labels: &BTreeMap<String, String>) -> Option<usize> {
    rules.iter().filter_map(|rule| rule.fit(labels)).max()
}

/// The runbook whose `match:` rules fit an alert with these labels best; on a tie, the first in
/// the catalog's order (your own runbooks before the shipped ones). Runbooks that do not load
/// are passed over (`runbook lint` names their problems).
pub fn runbook_for_alert(catalog: &Catalog, labels: &BTreeMap<String, String>) -> Option<String> {
    let mut best: Option<(usize, String)> = None;
    for entry in catalog.entries() {
        let Ok(runbook) = catalog.load(&entry.name) else { continue };
        if let Some(fit) = best_fit(&runbook.file.matches, labels)
            && best.as_ref().is_none_or(|(b, _)| fit > *b)
        {
            best = Some((fit, entry.name.clone()));
        }
    }
    best.map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn rule(names: &[&str], matchers: &[&str]) -> MatchRule {
        let yaml = format!(
            "alertname: [{}]\nmatchers: [{}]\n",
            names.join(", "),
            matchers.iter().map(|m| format!("'{m}'")).collect::<Vec<_>>().join(", ")
        );
        serde_saphyr::from_str(&yaml).unwrap_or_else(|e| panic!("{yaml}: {e}"))
    }

    #[test]
    fn matchers_read_as_alertmanager_writes_them() {
        let l = labels(&[("job", "checkout"), ("env", "prod"), ("instance", "db-1:5432")]);
        for (text, expected) in [
            (r#"job="checkout""#, true),
            ("job=checkout", true),
            (r#"job!="checkout""#, false),
            (r#"instance=~"db-.*""#, true),
            (r#"instance=~"db""#, false),
            (r#"instance!~"web.*""#, true),
            (r#"missing="""#, true),
            (r#"missing!="""#, false),
        ] {
            assert_eq!(Matcher::parse(text).unwrap().matches(&l), expected, "{text}");
        }
        for bad in ["job", "=x", "job~x", r#"job=~"(""#, "a b=c"] {
            assert!(Matcher::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_more_specific_rule_fits_better_and_other_alerts_do_not_fit() {
        let l = labels(&[("alertname", "InstanceDown"), ("job", "checkout")]);
        assert_eq!(rule(&["InstanceDown", "TargetDown"], &[]).fit(&l), Some(1));
        assert_eq!(rule(&["InstanceDown"], &[r#"job="checkout""#]).fit(&l), Some(2));
        assert_eq!(rule(&["InstanceDown"], &[r#"job="api""#]).fit(&l), None);
        assert_eq!(rule(&["KubePodCrashLooping"], &[]).fit(&l), None);
        assert_eq!(rule(&[], &[]).fit(&l), None, "an empty rule matches nothing");
    }
}
