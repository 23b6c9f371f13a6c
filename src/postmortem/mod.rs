//! The write-up: clocks, the post-mortem document built from the timeline, its rendering through
//! MiniJinja templates, and the blameless-language lint.
//!
//! Everything here is pure: it takes an [`Incident`](crate::model::Incident) and its events and
//! returns values and text; commands decide where they go.

pub mod clocks;
mod document;
pub mod lint;
mod render;

pub use document::{Document, build};
pub use render::{TemplateError, Templates, escape_markdown};
