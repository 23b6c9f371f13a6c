//! The integration tests: the real `incident` binary, run in a hermetic temp store with time and
//! author pinned. One test binary, one module per capability.

mod alerts;
mod common;
mod drill;
mod grep;
mod guarantees;
mod hostile_vars;
mod lifecycle;
mod notify;
mod postmortem;
mod probe;
mod remote;
mod run;
mod runbook;
mod support;
mod sync;
mod walk;
