//! The one loop that drives an [`Engine`] over events: `eval`, `bench
//! rules`, the benches, the fuzz target and the replay simulator all feed
//! events through here.
//!
//! Invariant: no other crate calls `Engine::process*` in a loop over a trace.

use std::ops::ControlFlow;

use sysreplay_format::{Event, TraceError, TraceReader};
use sysreplay_ruleeval::compile::Scratch;
use sysreplay_ruleeval::fields::Ctx;
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
    if O::READS_ARGS {
        return reader.for_each_event(|ev| drive_one(engine, ev, obs, &mut on_hit));
    }
    let light = engine.light_set();
    reader.for_each_event_light(&light, |ev, is_light| {
        if is_light {
            engine.process_light(ev, obs);
            ControlFlow::Continue(())
        } else {
            drive_one(engine, ev, obs, &mut on_hit)
        }
    })
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

/// Feed the events of `reader` through the state engine alone (no rules),
/// calling `f` with each event's context: `cat`'s filters and `-p`
/// formats. `f` may stop the run with `ControlFlow::Break`.
pub fn drive_inspect(
    reader: &TraceReader,
    engine: &mut Engine,
    mut f: impl FnMut(&Ctx, &mut Scratch) -> ControlFlow<()>,
) -> Result<(), TraceError> {
    engine.start_trace(reader.header(), reader.snapshot());
    reader.for_each_event(|ev| engine.inspect(ev, &mut f))
}

/// Records kept by a filter, one bit per record index of the trace.
#[derive(Clone, Debug, Default)]
pub struct KeepSet {
    bits: Vec<u64>,
    pub kept: u64,
    pub total: u64,
}

impl KeepSet {
    pub fn contains(&self, idx: u64) -> bool {
        self.bits
            .get((idx / 64) as usize)
            .is_some_and(|w| w >> (idx % 64) & 1 == 1)
    }
}

/// One pass over the trace through the state engine of `engine` (its rules
/// are not evaluated): which records pass `filter`. Replay uses it so a
/// filter decides which records are replayed while fields like `proc.name`
/// still see the whole trace's state.
pub fn filter_keep(
    reader: &TraceReader,
    engine: &mut Engine,
    filter: &sysreplay_ruleeval::EventFilter,
) -> Result<KeepSet, TraceError> {
    let mut k = KeepSet::default();
    drive_inspect(reader, engine, |cx, sc| {
        let i = k.total;
        k.total += 1;
        if (i / 64) as usize >= k.bits.len() {
            k.bits.push(0);
        }
        if filter.matches(cx, sc) {
            k.bits[(i / 64) as usize] |= 1 << (i % 64);
            k.kept += 1;
        }
        ControlFlow::Continue(())
    })?;
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sysreplay_ruleeval::{load_rules_str, RuleMatching};

    /// An observer whose hooks (may) read any event's args: `drive_trace`
    /// then decodes and evaluates every event in full.
    struct Full;
    impl Observer for Full {}

    /// Rules on opens, closes and a few others, with process and fd
    /// fields in their output: events of the syscalls no rule selects
    /// (newfstatat, getdents64, mmap, ...) are light; everything seen
    /// through the rules must be as without light events.
    const PROBE: &str = r#"
- rule: probe open
  desc: opens
  condition: evt.type in (openat, open) and fd.num >= 0
  output: "%evt.num %proc.name %proc.pname %fd.name %fd.num %user.uid %proc.cmdline %thread.tid"
  priority: WARNING
- rule: probe close
  desc: closes
  condition: evt.type = close and fd.num >= 0
  output: "%evt.num %proc.name %fd.name %fd.type %proc.exepath"
  priority: WARNING
- rule: probe exec
  desc: execs and clones
  condition: evt.type in (execve, clone, clone3)
  output: "%evt.num %proc.name %proc.args %proc.aname[2]"
  priority: WARNING
"#;

    fn run<O: Observer>(obs: &mut O) -> (Vec<String>, String) {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../corpora/real/mixed-all/trace.srt");
        let reader = TraceReader::open(&path).unwrap();
        let rs = load_rules_str(&[("probe.yaml", PROBE)]);
        let mut engine = Engine::new(rs, RuleMatching::All);
        let mut out = Vec::new();
        drive_trace(&reader, &mut engine, obs, |h| {
            out.push(h.message());
            ControlFlow::Continue(())
        })
        .unwrap();
        let stats = format!("{:?} {:?}", engine.stats, engine.state.stats);
        (out, stats)
    }

    #[test]
    fn light_events_change_no_alert_and_no_counter() {
        let (want, want_stats) = run(&mut Full);
        let mut no = sysreplay_ruleeval::NoObserver;
        const { assert!(!<sysreplay_ruleeval::NoObserver as Observer>::READS_ARGS) };
        let (got, got_stats) = run(&mut no);
        assert!(want.len() > 10_000, "{} alerts", want.len());
        assert_eq!(got_stats, want_stats);
        if let Some(i) = got.iter().zip(&want).position(|(g, w)| g != w) {
            panic!("alert {i}: {} != {}", got[i], want[i]);
        }
        assert_eq!(got.len(), want.len());
    }
}
