//! The probe engine.
pub mod compare;
