//! The recorder: an eBPF probe on raw syscall tracepoints (`bpf/probe.bpf.c`),
//! loaded with aya, drained into a sysreplay trace file.
//!
//! - [`probe`]: load/attach the probe, ring buffers, kernel counters;
//! - [`selection`]: which syscalls to record (Falco's `base_syscalls` logic);
//! - [`procfs`]: the /proc snapshot written at the start of every trace file;
//! - [`recorder`]: the drain loop, drop markers, stats, rotation;
//! - [`cli`]: the `record` command-line options (shared by `sysreplay record`
//!   and the standalone `sysreplay-record`).

// Diagnostics never panic: a closed stderr (`2>&-`, a dead pipe reader)
// must not kill a recording or a replay, so `eprintln!` in this crate is
// `sysreplay_format::diag!`, which drops the line on a write error.
macro_rules! eprintln {
    ($($arg:tt)*) => { sysreplay_format::diag!($($arg)*) };
}

pub mod bench;
pub mod cli;
pub mod privileges;
pub mod probe;
pub mod procfs;
pub mod recorder;
pub mod selection;

use std::fmt;

/// A recorder error: one clear line for the user.
#[derive(Debug)]
pub struct RecordError {
    pub what: String,
}

impl RecordError {
    pub fn msg(s: impl Into<String>) -> Self {
        RecordError { what: s.into() }
    }
    pub(crate) fn bpf(ctx: &str, e: impl std::error::Error) -> Self {
        let mut s = format!("{ctx}: {e}");
        let mut src = e.source();
        while let Some(x) = src {
            s.push_str(&format!(": {x}"));
            src = x.source();
        }
        RecordError { what: s }
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}
impl std::error::Error for RecordError {}

impl From<sysreplay_format::TraceError> for RecordError {
    fn from(e: sysreplay_format::TraceError) -> Self {
        RecordError::msg(e.to_string())
    }
}

/// CLOCK_BOOTTIME now, in ns (the clock of record timestamps).
pub fn boottime_ns() -> u64 {
    clock_ns(libc::CLOCK_BOOTTIME)
}

pub(crate) fn clock_ns(clk: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into `ts`.
    unsafe { libc::clock_gettime(clk, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}
