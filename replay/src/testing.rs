//! Shared helpers of this crate's unit tests.

use sysreplay_format::meta::{ProcessSnapshot, TraceHeader};
use sysreplay_format::synth::{self, SynthConfig};
use sysreplay_format::OwnedEvent;

/// A synthetic trace held in memory.
pub fn synth_events(seed: u64, n: u64) -> (TraceHeader, ProcessSnapshot, Vec<OwnedEvent>) {
    let cfg = SynthConfig::new(seed, n);
    let mut v = Vec::new();
    synth::generate::<(), _>(&cfg, |h, d| {
        v.push(OwnedEvent {
            header: *h,
            data: d.to_vec(),
        });
        Ok(())
    })
    .unwrap();
    (synth::header(&cfg), synth::snapshot(&cfg), v)
}
