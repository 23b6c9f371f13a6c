//! Pure types: events, the incident folded from them, and the vocabulary both use.
//!
//! Nothing here does I/O or knows about clap, tokio or the terminal.

mod check;
mod event;
mod ids;
mod incident;
mod items;
mod probe_kind;
mod vocab;

pub use check::{Assertion, Attempt, CheckBrief, CheckRecord, CheckStatus};
pub use event::{ArtifactRef, Body, Event, FORMAT_VERSION};
pub use ids::{IdError, IncidentId, IncidentIdProblem, ItemId, ItemKind, new_event_id, slugify};
pub use incident::{
    AlertGroup, Clocks, Conflict, Evidence, FollowUp, Hypothesis, HypothesisState, Impact, Incident, OtherOpening,
    RoleAssignment, Update, UpdateDue,
};
pub use items::{
    HANDLE_LEN, ItemRef, about, change_field, effective_item, handle, item_ref, reference_mut, renumberings,
};
pub use probe_kind::{HTTP_DEFAULT_MAX_BODY, HTTP_MAX_MAX_BODY, ProbeKind, kind_names};
pub use vocab::{Phase, Priority, Severity, Status};
