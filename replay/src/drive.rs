//! The one loop that drives an [`Engine`] over events: `eval`, `bench
//! rules`, the benches, the fuzz target and the replay simulator all feed
//! events through here.
//!
//! Invariant: no other crate calls `Engine::process*` in a loop over a trace.

use std::ops::ControlFlow;

use sysreplay_format::{Event, TraceError, TraceReader};
use sysreplay_ruleeval::{Engine, Hit, Observer};

/// Feed every event of `reader` (after `start_trace`) through `engine`.
/// `on_hit` may stop the run early with `ControlFlow::Break`.
pub fn drive_trace<O: Observer>(
    reader: &TraceReader,
    engine: &mut Engine,
    obs: &mut O,
    mut on_hit: impl FnMut(&mut Hit) -> ControlFlow<()>,
) -> Result<(), TraceError> {
    engine.start_trace(reader.header(), reader.snapshot());
    reader.for_each_event(|ev| drive_one(engine, ev, obs, &mut on_hit))
}

/// Feed `events` through `engine` (the caller has called `start_trace`).
pub fn drive_events<'a, O: Observer>(
    engine: &mut Engine,
    events: impl IntoIterator<Item = Event<'a>>,
    obs: &mut O,
    mut on_hit: impl FnMut(&mut Hit) -> ControlFlow<()>,
) {
    for ev in events {
        if drive_one(engine, &ev, obs, &mut on_hit).is_break() {
            break;
        }
    }
}

/// One event; `Break` once `on_hit` asked to stop.
#[inline]
pub fn drive_one<O: Observer>(
    engine: &mut Engine,
    ev: &Event,
    obs: &mut O,
    on_hit: &mut impl FnMut(&mut Hit) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut flow = ControlFlow::Continue(());
    engine.process_observed(ev, obs, |h| {
        if flow.is_continue() {
            flow = on_hit(h);
        }
    });
    flow
}
