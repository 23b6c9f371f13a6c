//! Asking for a runbook's variables on a terminal: `open` asks for all of them, the walk for
//! those its checks need and nobody gave a value.

use std::collections::BTreeMap;

use super::Prompter;
use crate::context::Context;
use crate::error::Result;
use crate::runbook::{Runbook, check_setting};

/// Each of the runbook's variables that `wanted` names and `given` lacks: its current value
/// (from `known`, such as the service catalog's, else the environment, else the default) shown
/// (Enter keeps it), a typed one checked by the variable's type and put in `given` (the
/// caller records it with the incident). Secret variables are never asked for: their
/// environment variable is named instead.
pub fn ask_vars(
    ctx: &Context,
    p: &Prompter,
    runbook: &Runbook,
    given: &mut BTreeMap<String, String>,
    known: &BTreeMap<String, String>,
    wanted: impl Fn(&str) -> bool,
) -> Result<()> {
    let env = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
    for (var, spec) in &runbook.file.vars {
        let spec = &spec.value;
        if given.contains_key(var) || !wanted(var) {
            continue;
        }
        if spec.secret {
            if let Some(from) = &spec.from_env
                && env(from).is_none()
            {
                ctx.out.info(&format!(
                    "{var} is secret and never recorded: set {from} in the environment of later checks"
                ));
            }
            continue;
        }
        let current = known
            .get(var)
            .cloned()
            .or_else(|| spec.from_env.as_deref().and_then(env))
            .or_else(|| spec.default.as_ref().map(|d| d.value.to_text()));
        let question = spec.prompt.clone().unwrap_or_else(|| match &spec.description {
            Some(what) => format!("{var}: {what}"),
            None => var.clone(),
        });
        while let Some(value) = p.text_or(&question, current.as_deref().filter(|c| !c.is_empty()))? {
            match check_setting(runbook, var, &value) {
                Ok(()) => {
                    given.insert(var.clone(), value);
                    break;
                }
                Err(e) => ctx.out.warn(&e.to_string()),
            }
        }
    }
    Ok(())
}
