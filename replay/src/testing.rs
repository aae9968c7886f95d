//! Shared helpers of this crate's unit tests.

use sysreplay_format::meta::{ProcessSnapshot, TraceHeader};
use sysreplay_format::OwnedEvent;
use sysreplay_synth::{self as synth, SynthConfig};

/// A synthetic trace held in memory.
pub fn synth_events(seed: u64, n: u64) -> (TraceHeader, ProcessSnapshot, Vec<OwnedEvent>) {
    synth::in_memory(&SynthConfig::new(seed, n))
}
