//! Orient: which of a runbook's hypotheses its check results suggest.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Runbook, Vars};
use crate::expr::template;
use crate::model::{CheckRecord, CheckStatus};

/// A hypothesis whose `when` held.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub id: String,
    pub title: String,
    /// Actions worth considering.
    pub suggest: Vec<String>,
}

/// A hypothesis whose `when` could not be judged, and why: it read a check that could not
/// tell (`unknown`), or it failed to evaluate. Never quietly false.
#[derive(Debug, Clone, Serialize)]
pub struct Undecided {
    pub id: String,
    pub reason: String,
}

/// The hypotheses whose `when` holds over `records`, and those that could not be judged.
///
/// A rule that reads a check that could not tell (`unknown`) or did not run (`--only`, a false
/// `if:`) is judged both ways, as if that check were `ok` and as if it were `critical`: it is
/// suggested only when it holds either way, and not judged when the answer depends on it,
/// unless the rule speaks of `unknown` itself.
pub fn suggested_hypotheses(
    runbook: &Runbook,
    records: &[CheckRecord],
    vars: &Vars,
) -> (Vec<Suggestion>, Vec<Undecided>) {
    let checks: BTreeMap<String, serde_json::Value> = records
        .iter()
        .map(|r| {
            let mut value = serde_json::json!({"status": r.status, "reason": r.reason, "summary": r.summary});
            if let (Some(map), serde_json::Value::Object(observed)) =
                (value.as_object_mut(), serde_json::Value::Object(r.observed.clone()))
            {
                if let Some(extract) = observed.get("extract") {
                    map.insert("extract".into(), extract.clone());
                }
                map.insert("observed".into(), serde_json::Value::Object(observed));
            }
            (r.check.clone(), value)
        })
        .collect();
    let vars_value = vars.context().get_attr("vars").unwrap_or_default();
    let env = template::environment();
    let eval = |when: &str, checks: &BTreeMap<String, serde_json::Value>| {
        let ctx = minijinja::context! {
            checks => minijinja::Value::from(minijinja::value::Serde(checks)),
            vars => vars_value.clone(),
        };
        template::eval_bool(&env, when, &ctx)
    };
    let mut suggestions = Vec::new();
    let mut undecided = Vec::new();
    for hypothesis in &runbook.file.orient.hypotheses {
        let Some(when) = &hypothesis.when else { continue };
        let read: Vec<String> = template::expression_names(&env, &when.value)
            .unwrap_or_default()
            .iter()
            .filter_map(|name| name.strip_prefix("checks.")?.split('.').next().map(str::to_string))
            .collect();
        let cannot_tell: Vec<&String> = read
            .iter()
            .filter(|c| checks.get(*c).is_none_or(|v| v["status"] == CheckStatus::Unknown.as_str()))
            .collect();
        let verdict = if cannot_tell.is_empty() || when.value.contains("unknown") {
            eval(&when.value, &checks).map(Some)
        } else {
            let assuming = |status: &str| {
                let mut assumed = checks.clone();
                for check in &cannot_tell {
                    let entry = assumed.entry((*check).clone()).or_insert_with(|| serde_json::json!({}));
                    entry["status"] = serde_json::Value::from(status);
                }
                eval(&when.value, &assumed)
            };
            match (assuming("ok"), assuming("critical")) {
                (Ok(a), Ok(b)) if a == b => Ok(Some(a)),
                (Ok(_), Ok(_)) => Ok(None),
                (Err(e), _) | (_, Err(e)) => Err(e),
            }
        };
        let id = hypothesis.id.value.clone();
        match verdict {
            Ok(Some(true)) => suggestions.push(Suggestion {
                id,
                title: hypothesis.title.clone(),
                suggest: hypothesis.suggest.iter().map(|s| s.value.clone()).collect(),
            }),
            Ok(Some(false)) => {}
            Ok(None) => {
                let names: Vec<&str> = cannot_tell.iter().map(|c| c.as_str()).collect();
                undecided
                    .push(Undecided { id, reason: format!("depends on {}, which could not tell", names.join(", ")) });
            }
            Err(e) => undecided.push(Undecided { id, reason: format!("when: {e}") }),
        }
    }
    (suggestions, undecided)
}
