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
//! - [`unparse`]: an expanded condition back to filter text (for sysdig);
//! - [`sc`]: syscall and event-type tables (Falco's syscall selection for
//!   the dry run is `sysreplay_syscalls::sets`);
//!
//! Typical use:
//!
//! ```no_run
//! # use sysreplay_ruleeval::{load_rules, Engine, RuleMatching};
//! # fn f(reader: &sysreplay_format::TraceReader) -> Result<(), sysreplay_format::TraceError> {
//! let rules = load_rules(&["falco_rules.yaml"]);
//! assert!(!rules.diags.has_errors()); // each Diag has file:line:col and the item
//! let mut engine = Engine::new(rules, RuleMatching::First);
//! engine.start_trace(reader.header(), reader.snapshot());
//! reader.for_each_event(|ev| {
//!     engine.process(ev, |hit| println!("{}", hit.alert().to_json()));
//!     std::ops::ControlFlow::Continue(())
//! })?;
//! # Ok(()) }
//! ```
//!
//! Semantics follow Falco/libsinsp: a field without a value makes every
//! check false (`fd.name != x` differs from `not fd.name = x`); lists are
//! substituted textually before parsing and macros expanded on the AST
//! (a macro sees only earlier macros); `and`/`or` short-circuit left to
//! right. Offline limits: container image/k8s fields have no value
//! (`container.id` is derived from the cgroup path, `host` otherwise); user
//! and group names come from the trace's tables (root only without them);
//! `connect` and `accept` records carry the socket's own address, so their
//! tuples have both ends, while sendto/recvfrom/recvmsg know only the
//! address the syscall names (an fd whose own end was never seen reads it
//! as the family's any-address, `0.0.0.0:0`); orphans are reparented to init; times print in UTC.

pub mod compile;
pub mod containers;
pub mod diag;
pub mod engine;
pub mod fdmap;
pub mod fields;
pub mod loader;
pub mod output;
pub mod parser;
pub mod sc;
pub mod state;
pub mod suggest;
pub mod unparse;
mod yaml;

/// The maps of names the loader and compiler look up (lists, macros,
/// rules, fields): foldhash's seeded hasher, several times cheaper than
/// SipHash on short names.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

pub use diag::{Diag, Diags, Loc, Severity};
pub use engine::{
    load_rules, load_rules_str, load_rules_with_filter, rules_files_of, CompiledRule, Engine,
    EventFilter, Hit, NoObserver, Observer, RuleMatching, Ruleset, RunStats, FILTER_FILE,
};
pub use loader::Priority;
pub use output::Alert;
pub use state::State;
pub use sysreplay_syscalls::sets::Selection as SyscallSelection;
