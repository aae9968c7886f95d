//! Replay: the one place that drives the rule engine over a trace.
//!
//! - [`drive`]: the engine loop used by `eval`, `bench rules`, the benches
//!   and the fuzz target;
//! - [`sim`]: a paced replay through Falco's selection, rings and single
//!   consumer thread, with drops per CPU, category and time window;
//! - [`buffers`]: the rings and the consumer (modern_ebpf and kmod);
//! - [`sizes`]: the bytes each record takes in the ring (from the scap
//!   exporter), exit-only or enter+exit layouts;
//! - [`cost`]: cost models and the observers that count or time the engine;
//! - [`whatif`]: side-by-side runs, Falco's drop-test ladder, the rate ramp;
//! - [`report`]: the JSON report;
//! - [`coverage`]: syscalls the rules need that a trace did not record.

pub mod buffers;
pub mod cost;
pub mod coverage;
pub mod drive;
pub mod report;
pub mod sim;
pub mod sizes;
pub mod whatif;

#[cfg(test)]
mod testing;

pub use drive::{drive_events, drive_one, drive_trace};
pub use report::Report;
pub use sim::{simulate, Pacing, SimConfig, BUF_SIZE_PRESETS};
pub use sizes::{Driver, Layout};
