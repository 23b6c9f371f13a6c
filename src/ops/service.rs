//! What the service catalog gives an incident: the runbook that fits the service and the values
//! of its variables, recorded as coming from the catalog (`incident vars` says `service`).

use std::collections::BTreeMap;

use crate::context::Context;
use crate::error::Result;
use crate::runbook::Catalog;
use crate::service::{self, Service};
use crate::store::IncidentDir;

/// The first of `services` the catalog describes (names it does not know stay free text).
pub fn catalog_service(services: &[String]) -> Result<Option<Service>> {
    for name in services {
        if let Some(found) = service::find(None, name)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Records the values `service` gives `runbook`'s variables, except those in `given` (a flag or
/// an alert said otherwise). Records nothing when there is nothing to give.
pub fn record_service_vars(
    ctx: &Context,
    dir: &IncidentDir,
    service: &Service,
    runbook: &str,
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    let runbook = Catalog::new(None)?.load(runbook)?;
    let mut vars = service.vars_for(&runbook);
    vars.retain(|key, _| !given.contains_key(key));
    if !vars.is_empty() {
        super::set_vars(ctx, dir, vars.clone(), "service")?;
    }
    Ok(vars)
}
