//! Falco-compatible rule engine: rules files, conditions, state, alerts.

pub mod diag;
pub mod loader;
pub mod parser;
