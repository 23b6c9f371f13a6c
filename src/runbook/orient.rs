//! Orient: which of a runbook's hypotheses its check results suggest.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Runbook, Vars};
use crate::expr::template;
use crate::model::CheckRecord;

/// A hypothesis whose `when` held.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub id: String,
    pub title: String,
    /// Actions worth considering.
    pub suggest: Vec<String>,
}

/// The hypotheses whose `when` holds over `records`. One that reads a check that did not run
/// (`--only`) cannot be judged and is left out.
pub fn suggested_hypotheses(runbook: &Runbook, records: &[CheckRecord], vars: &Vars) -> Vec<Suggestion> {
    let checks: BTreeMap<&str, serde_json::Value> = records
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
            (r.check.as_str(), value)
        })
        .collect();
    let ctx = minijinja::context! {
        checks => minijinja::Value::from(minijinja::value::Serde(checks)),
        vars => vars.context().get_attr("vars").unwrap_or_default(),
    };
    let env = template::environment();
    runbook
        .file
        .orient
        .hypotheses
        .iter()
        .filter(|h| h.when.as_ref().is_some_and(|when| template::eval_bool(&env, &when.value, &ctx).unwrap_or(false)))
        .map(|h| Suggestion {
            id: h.id.value.clone(),
            title: h.title.clone(),
            suggest: h.suggest.iter().map(|s| s.value.clone()).collect(),
        })
        .collect()
}
