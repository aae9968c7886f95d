//! Shared helpers for the criterion benchmarks.

use std::ops::ControlFlow;
use std::path::PathBuf;

use sysreplay_format::meta::{ProcessSnapshot, TraceHeader};
use sysreplay_format::{OwnedEvent, TraceReader};

/// The real recordings the benches run on besides the synthetic trace
/// (corpora/real: a mixed workload with Falco's syscall selection, and the
/// same workload with every syscall and read/write data).
pub const REAL_TRACES: [&str; 2] = ["mixed", "mixed-all"];

/// A real recording held in memory.
pub struct RealTrace {
    pub name: &'static str,
    /// The committed file (format 1.x).
    pub path: PathBuf,
    pub header: TraceHeader,
    pub snapshot: ProcessSnapshot,
    pub events: Vec<OwnedEvent>,
}

/// Read `corpora/real/<name>/trace.srt` into memory.
pub fn real_trace(name: &'static str) -> RealTrace {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../corpora/real")
        .join(name)
        .join("trace.srt");
    let r = TraceReader::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut events = Vec::with_capacity(r.event_count() as usize);
    r.for_each_event(|e| {
        events.push(e.to_owned_event());
        ControlFlow::Continue(())
    })
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    RealTrace {
        name,
        header: r.header().clone(),
        snapshot: r.snapshot().clone(),
        path,
        events,
    }
}
