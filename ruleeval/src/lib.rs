//! Falco-compatible rule engine: rules files, conditions, state, alerts.
//!
//! - [`loader`]: YAML rules files (lists, macros, rules, append/override,
//!   exceptions, version requirements) with positioned diagnostics;
//! - [`parser`]: the libsinsp condition grammar;
//! - [`compile`]: the fast evaluable form and event-type sets;
//! - [`fields`]: field names, types and extraction;
//! - [`state`]: the thread and fd tables fed by raw events;
//! - [`engine`]: compilation of whole rulesets, selection and the runtime;
//! - [`output`]: Falco output formats and JSON alerts;
//! - [`sc`]: syscall tables and Falco's syscall selection (dry run).

pub mod compile;
pub mod diag;
pub mod engine;
pub mod fields;
pub mod loader;
pub mod output;
pub mod parser;
pub mod sc;
pub mod state;

pub use diag::{Diag, Diags, Loc, Severity};
pub use engine::{
    load_rules, load_rules_str, CompiledRule, Engine, Hit, RuleMatching, Ruleset, RunStats,
};
pub use loader::Priority;
pub use output::Alert;
pub use sc::SyscallSelection;
pub use state::State;
pub mod workload;
