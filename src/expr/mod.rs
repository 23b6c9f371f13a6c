//! The small languages runbooks and flags are written in, shared by the runbook loader and the
//! probe engine: comparisons (`< 300ms`, `> 0.05`) and MiniJinja templates and expressions.
//!
//! A leaf: it imports nothing of the crate but `time`, so that `runbook` (which checks these at
//! load) and `probe` (which evaluates them) need not import each other.

pub mod compare;
pub mod explain;
pub mod template;

pub use compare::{Comparison, ComparisonError, Unit, parse_size, show_duration, show_number, show_size};
pub use template::ExprError;
