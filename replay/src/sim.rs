//! One replay: a trace paced onto simulated CPUs, through Falco's
//! selection, sized into Falco's rings, drained by one consumer that runs
//! the rule engine. Dropped events never reach the engine (their alerts and
//! state updates are lost, as in Falco).

use std::collections::{BTreeMap, HashMap};

use sysreplay_format::record::{Kind, DROP_CATEGORIES, DROP_CATEGORY_NAMES};
use sysreplay_format::{Event, OwnedEvent, TraceError, TraceReader};
use sysreplay_ruleeval::{Engine, RuleMatching, Ruleset};
use sysreplay_syscalls as syscalls;

use crate::buffers::Rings;
use crate::cost::{Counting, Profile, Timing, TYPE_OTHER, TYPE_PROCEXIT};
use crate::report::*;
use crate::sizes::{Driver, Layout, RingEvent, Sizer};

pub use crate::cost::CostModel;

/// Falco's `buf_size_preset` table indexed by the preset itself
/// (`BUF_SIZE_PRESETS[p]`, index 0 is rejected), from the one table in
/// `sysreplay-syscalls`.
pub const BUF_SIZE_PRESETS: [u64; 11] = {
    let mut t = [0; 11];
    let mut p = 1;
    while p <= 10 {
        t[p] = sysreplay_syscalls::BUF_SIZE_PRESETS[p - 1];
        p += 1;
    }
    t
};

/// How events are offered.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pacing {
    /// Recorded times divided by this factor (1 = as recorded).
    Speed(f64),
    /// A fixed mean offered rate of the selected events per second, the
    /// trace's inter-arrival pattern kept.
    Rate(f64),
    /// As fast as the consumer takes them: nothing can drop.
    Max,
}

/// Everything one replay needs besides the trace and the rules.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub driver: Driver,
    pub layout: Layout,
    /// Bytes per ring.
    pub buf_bytes: u64,
    /// modern_ebpf: CPUs sharing a ring (0 = one ring for all).
    pub cpus_for_each_buffer: u32,
    /// Simulated CPUs (None: the trace's).
    pub cpus: Option<u32>,
    pub pacing: Pacing,
    pub cost: CostModel,
    /// Profile inside rules: per-rule timing under the measured model,
    /// the work of each root operand under the counted ones.
    pub profile: bool,
    /// Syscall numbers Falco selects.
    pub selected: Vec<u16>,
    pub matching: RuleMatching,
    /// Falco metrics snapshots every this many simulated ns.
    pub metrics_interval_ns: Option<u64>,
    /// Granularity of the drop-window report at most (shorter for short
    /// simulated spans: a twentieth of the span, at least 1 ms).
    pub window_ns: u64,
    /// Only events with `from <= ts < to` (trace clock).
    pub from_ns: Option<u64>,
    pub to_ns: Option<u64>,
    /// Only the records (by index in the trace) a filter kept
    /// ([`crate::drive::filter_keep`]); the others are not replayed at all.
    pub keep: Option<std::sync::Arc<crate::drive::KeepSet>>,
}

impl SimConfig {
    /// Falco's defaults (modern_ebpf, libs >= 0.22 exit-only events, buffer
    /// preset 4, two CPUs per ring, first match) replayed at the consumer's
    /// own pace under the counted model, for the syscalls `selected`.
    pub fn falco_defaults(selected: Vec<u16>) -> SimConfig {
        SimConfig {
            driver: Driver::ModernEbpf,
            layout: Layout::ExitOnly,
            buf_bytes: BUF_SIZE_PRESETS[syscalls::DEFAULT_BUF_SIZE_PRESET],
            cpus_for_each_buffer: syscalls::DEFAULT_CPUS_FOR_EACH_BUFFER,
            cpus: None,
            pacing: Pacing::Max,
            cost: CostModel::Counted { scale: 1.0 },
            profile: false,
            selected,
            matching: RuleMatching::First,
            metrics_interval_ns: None,
            window_ns: 100_000_000,
            from_ns: None,
            to_ns: None,
            keep: None,
        }
    }

    pub fn n_rings(&self, cpus: u32) -> usize {
        match self.driver {
            Driver::Kmod => cpus.max(1) as usize,
            Driver::ModernEbpf => {
                let k = self.cpus_for_each_buffer.min(cpus);
                if k == 0 {
                    1
                } else {
                    cpus.div_ceil(k) as usize
                }
            }
        }
    }
    fn ring_of(&self, cpu: u32, cpus: u32) -> usize {
        match self.driver {
            Driver::Kmod => cpu as usize,
            Driver::ModernEbpf => {
                // 0: one ring for all CPUs.
                cpu.checked_div(self.cpus_for_each_buffer.min(cpus))
                    .unwrap_or(0) as usize
            }
        }
    }
}

/// What the trace holds before any replay: used to pace `--rate` and to
/// calibrate.
#[derive(Clone, Debug, Default)]
pub struct TraceScan {
    pub first_ts: u64,
    pub last_ts: u64,
    /// Counted only for `Pacing::Rate` (0 otherwise).
    pub selected_events: u64,
}

impl TraceScan {
    /// The recorded mean rate of the selected events per second (needs a
    /// scan made for `Pacing::Rate`).
    pub fn selected_rate(&self) -> f64 {
        let span_s = self.last_ts.saturating_sub(self.first_ts).max(1) as f64 / 1e9;
        self.selected_events as f64 / span_s
    }
}

/// The time span (from the block index) and, when `--rate` pacing needs
/// it, the selected events (one pass over the trace, no engine).
pub fn scan(reader: &TraceReader, cfg: &SimConfig) -> Result<TraceScan, TraceError> {
    if !matches!(cfg.pacing, Pacing::Rate(_)) {
        let blocks = reader.blocks();
        let first = blocks.iter().map(|b| b.header.first_ts).min().unwrap_or(0);
        let last = blocks.iter().map(|b| b.header.last_ts).max().unwrap_or(0);
        let first = cfg.from_ns.map_or(first, |f| first.max(f));
        let last = cfg.to_ns.map_or(last, |t| last.min(t));
        return Ok(TraceScan {
            first_ts: first,
            last_ts: last.max(first),
            selected_events: 0,
        });
    }
    let sel = selected_table(&cfg.selected);
    let mut s = TraceScan {
        first_ts: u64::MAX,
        ..Default::default()
    };
    let mut idx = 0u64;
    reader.for_each_event(|ev| {
        idx += 1;
        if !in_window(cfg, idx - 1, ev) {
            return std::ops::ControlFlow::Continue(());
        }
        s.first_ts = s.first_ts.min(ev.ts_ns);
        s.last_ts = s.last_ts.max(ev.ts_ns);
        if is_selected(&sel, ev) {
            s.selected_events += 1;
        }
        std::ops::ControlFlow::Continue(())
    })?;
    if s.first_ts == u64::MAX {
        s.first_ts = 0;
    }
    Ok(s)
}

fn in_window(cfg: &SimConfig, idx: u64, ev: &Event) -> bool {
    cfg.from_ns.is_none_or(|f| ev.ts_ns >= f)
        && cfg.to_ns.is_none_or(|t| ev.ts_ns < t)
        && cfg.keep.as_ref().is_none_or(|k| k.contains(idx))
}

/// The simulated CPU of a record: fold the recorded CPUs onto fewer, or
/// spread their threads over more.
#[inline(always)]
fn sim_cpu(ev: &Event, trace_cpus: u32, cpus: u32, spread: u32) -> usize {
    if cpus == trace_cpus && (ev.cpu as u32) < cpus {
        // The default: the recorded CPUs as they are (no division).
        return ev.cpu as usize;
    }
    let tcpu = ev.cpu as u32 % trace_cpus;
    (if cpus <= trace_cpus {
        tcpu % cpus
    } else {
        (tcpu + trace_cpus * (ev.tid % spread)) % cpus
    }) as usize
}

fn selected_table(nrs: &[u16]) -> Vec<bool> {
    let mut t = vec![false; syscalls::MAX_SYSCALLS];
    for &n in nrs {
        if let Some(x) = t.get_mut(n as usize) {
            *x = true;
        }
    }
    t
}

/// Whether Falco's driver writes this record (process exit always is).
fn is_selected(sel: &[bool], ev: &Event) -> bool {
    if ev.kind == Kind::Syscall as u16 {
        sel.get(ev.nr as usize).copied().unwrap_or(false)
    } else {
        ev.kind == Kind::ProcExit as u16
    }
}

/// Per syscall number: whether its record carries a preceding
/// PROC_FORK/PROC_EXEC (clone and exec families).
fn lifecycle_table() -> Vec<bool> {
    let mut t = vec![false; syscalls::MAX_SYSCALLS];
    for &(nr, name) in syscalls::X86_64_SYSCALLS {
        t[nr as usize] = matches!(
            name,
            "clone" | "clone3" | "fork" | "vfork" | "execve" | "execveat"
        );
    }
    t
}

/// The observer a run uses, by model.
enum Obs {
    Counting(Counting<false>),
    CountingParts(Counting<true>),
    Timing(Timing<false>),
    TimingRules(Timing<true>),
}

/// Run `$body` with `$o` bound to whichever observer `$obs` holds (each
/// arm is its own monomorphized engine loop).
macro_rules! with_observer {
    ($obs:expr, $o:ident => $body:expr) => {
        match $obs {
            Obs::Counting($o) => $body,
            Obs::CountingParts($o) => $body,
            Obs::Timing($o) => $body,
            Obs::TimingRules($o) => $body,
        }
    };
}

impl Obs {
    fn process(&mut self, engine: &mut Engine, ev: &Event, alerts: &mut u64) -> f64 {
        let mut hit = |_: &mut sysreplay_ruleeval::Hit| *alerts += 1;
        with_observer!(self, o => {
            engine.process_observed(ev, o, &mut hit);
            o.last_cost
        })
    }
    fn finish(self) -> Profile {
        with_observer!(self, o => {
            let mut o = o;
            o.finish();
            o.profile
        })
    }
}

fn observer(cfg: &SimConfig, ruleset: &Ruleset) -> Obs {
    let nrules = ruleset.rules.len();
    let parts: Vec<usize> = ruleset.rules.iter().map(|r| r.parts().len()).collect();
    match cfg.cost {
        CostModel::Counted { scale } if cfg.profile => {
            Obs::CountingParts(Counting::new(&parts, scale, None))
        }
        CostModel::Counted { scale } => Obs::Counting(Counting::new(&parts, scale, None)),
        CostModel::Flat { ns } if cfg.profile => {
            Obs::CountingParts(Counting::new(&parts, 1.0, Some(ns)))
        }
        CostModel::Flat { ns } => Obs::Counting(Counting::new(&parts, 1.0, Some(ns))),
        CostModel::Measured { scale } if cfg.profile => {
            Obs::TimingRules(Timing::new(nrules, scale))
        }
        CostModel::Measured { scale } => Obs::Timing(Timing::new(nrules, scale)),
    }
}

/// Per simulated CPU counters.
#[derive(Clone, Default)]
struct CpuCount {
    evts: u64,
    drops: u64,
}

struct Counters {
    n_evts: u64,
    n_drops: u64,
    cat_drops: [u64; DROP_CATEGORIES],
    other_drops_enter: u64,
    other_drops_exit: u64,
    cpus: Vec<CpuCount>,
    /// Drops per window of `window_ns`.
    windows: BTreeMap<u64, u64>,
    window_ns: u64,
}

/// Run one replay.
pub fn simulate(
    reader: &TraceReader,
    ruleset: &Ruleset,
    cfg: &SimConfig,
    scan: &TraceScan,
    mut progress: impl FnMut(u64),
) -> Result<Report, TraceError> {
    let header = reader.header();
    let trace_cpus = header.num_cpus.max(1);
    let cpus = cfg.cpus.unwrap_or(trace_cpus).max(1);
    let n_rings = cfg.n_rings(cpus);
    let mut rings = Rings::new(cfg.driver, n_rings, cfg.buf_bytes);
    let mut sizer = Sizer::new(header, reader.snapshot(), cfg.layout, cfg.driver)
        .map_err(|e| TraceError::at(reader.path(), 0, format!("sizing events: {e}")))?;
    let mut engine = Engine::new(ruleset.clone(), cfg.matching);
    engine.start_trace(header, reader.snapshot());
    let mut obs = observer(cfg, ruleset);
    let sel = selected_table(&cfg.selected);
    let lifecycle_nr = lifecycle_table();
    let folds_lifecycle = |nr: u16| lifecycle_nr.get(nr as usize).copied().unwrap_or(false);
    let lifecycle_selected = lifecycle_nr
        .iter()
        .enumerate()
        .all(|(nr, &l)| !l || sel.get(nr).copied().unwrap_or(false));
    let mut carried_cost = 0.0;

    // Pacing: arrival = origin + (ts - first) * factor.
    let span = scan.last_ts.saturating_sub(scan.first_ts).max(1);
    let factor = match cfg.pacing {
        Pacing::Speed(x) => 1.0 / x,
        Pacing::Rate(r) => scan.selected_rate() / r,
        Pacing::Max => 0.0,
    };
    let origin = scan.first_ts;
    let sim_span = (span as f64 * factor) as u64;
    let window_ns = cfg.window_ns.min((sim_span / 20).max(1_000_000)).max(1);
    let max_pace = cfg.pacing == Pacing::Max;

    let mut c = Counters {
        n_evts: 0,
        n_drops: 0,
        cat_drops: [0; DROP_CATEGORIES],
        other_drops_enter: 0,
        other_drops_exit: 0,
        cpus: vec![CpuCount::default(); cpus as usize],
        windows: BTreeMap::new(),
        window_ns,
    };
    let mut recorder = RecorderDrops::default();
    let mut pending: HashMap<u32, Vec<OwnedEvent>> = HashMap::new();
    let mut ring_events: Vec<RingEvent> = Vec::new();
    let mut last_arrival = 0u64;
    let mut alerts = 0u64;
    let mut engine_events = 0u64;
    let mut records = 0u64;
    let mut metrics = MetricsWriter::new(cfg.metrics_interval_ns, header.num_cpus);
    let spread = cpus.div_ceil(trace_cpus);
    let sim_cpu = |ev: &Event| sim_cpu(ev, trace_cpus, cpus, spread);

    reader.for_each_event(|ev| {
        records += 1;
        if records.is_multiple_of(65536) {
            progress(records);
        }
        if !in_window(cfg, records - 1, ev) {
            return std::ops::ControlFlow::Continue(());
        }
        if max_pace && lifecycle_selected && metrics.interval.is_none() {
            // The consumer's own pace, the common case: each event arrives
            // when the consumer is free, so no ring ever holds one, nothing
            // drops and nothing waits; Falco sees every clone/exec, so the
            // engine takes their process records in trace order (as `eval`
            // does). Only the events the driver writes and the consumer's
            // clock are kept: the general path below, minus its rings.
            match ev.kind() {
                Some(Kind::Drop) => {
                    recorder.add(ev, origin);
                    obs.process(&mut engine, ev, &mut alerts);
                }
                // container metadata comes from the runtime, not the rings
                Some(Kind::Container) => {
                    obs.process(&mut engine, ev, &mut alerts);
                }
                Some(Kind::ProcFork) | Some(Kind::ProcExec) => {
                    carried_cost += obs.process(&mut engine, ev, &mut alerts);
                    engine_events += 1;
                }
                _ if is_selected(&sel, ev) => {
                    let n = sizer.count(ev);
                    let cpu = sim_cpu(ev);
                    c.n_evts += n as u64;
                    c.cpus[cpu].evts += n as u64;
                    let cost = std::mem::take(&mut carried_cost)
                        + obs.process(&mut engine, ev, &mut alerts);
                    engine_events += 1;
                    if n > 0 {
                        rings.consume_now(cost.max(1.0) as u64);
                    }
                }
                _ => {}
            }
            return std::ops::ControlFlow::Continue(());
        }
        let arrival = match cfg.pacing {
            // The consumer's own pace: each event arrives when it is free.
            Pacing::Max => rings.clock.max(last_arrival),
            _ => {
                let a = (ev.ts_ns.saturating_sub(origin) as f64 * factor) as u64;
                a.max(last_arrival)
            }
        };
        last_arrival = arrival;
        if metrics.interval.is_some() {
            metrics.tick(arrival, &c, &rings, engine_events);
        }
        match ev.kind() {
            Some(Kind::Drop) => {
                recorder.add(ev, origin);
                // The state engine learns that state may be stale.
                obs.process(&mut engine, ev, &mut alerts);
                return std::ops::ControlFlow::Continue(());
            }
            // container metadata comes from the runtime, not the rings:
            // Falco's engine knows it whatever the rings drop
            Some(Kind::Container) => {
                obs.process(&mut engine, ev, &mut alerts);
                return std::ops::ControlFlow::Continue(());
            }
            Some(Kind::ProcFork) | Some(Kind::ProcExec) if max_pace && lifecycle_selected => {
                // Nothing drops at the consumer's own pace and Falco sees
                // every clone/exec: the engine takes it now, in trace order
                // (as `eval` does), and its cost goes with the syscall's.
                carried_cost += obs.process(&mut engine, ev, &mut alerts);
                engine_events += 1;
                return std::ops::ControlFlow::Continue(());
            }
            Some(Kind::ProcFork) | Some(Kind::ProcExec) => {
                if !max_pace {
                    sizer.size(ev, &mut ring_events);
                }
                // Decided with the clone/execve record that follows.
                pending.entry(ev.tid).or_default().push(ev.to_owned_event());
                return std::ops::ControlFlow::Continue(());
            }
            _ => {}
        }
        if !is_selected(&sel, ev) {
            if ev.is_syscall() && folds_lifecycle(ev.nr) {
                // Falco does not see this clone/exec at all.
                pending.remove(&ev.tid);
            }
            return std::ops::ControlFlow::Continue(());
        }
        let cpu = sim_cpu(ev) as u32;
        let ring = cfg.ring_of(cpu, cpus);
        ring_events.clear();
        let mut admitted_bytes = 0u32;
        let mut admitted = 0u32;
        let mut exit_admitted = false;
        if max_pace {
            // Each event arrives when the consumer is free: no ring fills,
            // so only how many events the driver writes matters.
            let n = sizer.count(ev);
            c.n_evts += n as u64;
            c.cpus[cpu as usize].evts += n as u64;
            admitted = n;
            exit_admitted = n > 0;
        } else {
            sizer.size(ev, &mut ring_events);
            rings.advance(arrival);
        }
        for re in &ring_events {
            c.n_evts += 1;
            c.cpus[cpu as usize].evts += 1;
            if rings.fits(ring, re.bytes) {
                rings.reserve(ring, re.bytes);
                admitted_bytes += re.bytes;
                admitted += 1;
                if !re.is_enter {
                    exit_admitted = true;
                }
            } else {
                c.n_drops += 1;
                c.cpus[cpu as usize].drops += 1;
                match re.category {
                    Some(k) => c.cat_drops[k as usize] += 1,
                    None if re.is_enter => c.other_drops_enter += 1,
                    None => c.other_drops_exit += 1,
                }
                *c.windows.entry(arrival / window_ns).or_default() += 1;
            }
        }
        let lifecycle = ev.is_syscall() && folds_lifecycle(ev.nr);
        let held = if lifecycle {
            pending.remove(&ev.tid)
        } else {
            None
        };
        let mut cost = std::mem::take(&mut carried_cost);
        if exit_admitted || (admitted == 0 && ring_events.is_empty()) {
            if let Some(held) = held {
                for p in &held {
                    cost += obs.process(&mut engine, &p.as_event(), &mut alerts);
                    engine_events += 1;
                }
            }
            cost += obs.process(&mut engine, ev, &mut alerts);
            engine_events += 1;
        } else if admitted > 0 {
            // Only the enter event got through: Falco parses it alone.
            cost += admitted as f64 * crate::cost::weights::EVENT_BASE as f64;
        }
        if admitted > 0 {
            let cost = cost.max(1.0) as u64;
            if max_pace {
                // Each event arrives when the consumer is free: the rings
                // never hold more than it, so only the clock moves.
                rings.consume_now(cost);
            } else {
                rings.push(ring, admitted_bytes, arrival, cost);
            }
        }
        std::ops::ControlFlow::Continue(())
    })?;
    rings.drain();
    metrics.tick(rings.clock + 1, &c, &rings, engine_events);
    let profile = obs.finish();
    let ns_per_unit = match cfg.cost {
        CostModel::Counted { scale } => scale,
        _ => 1.0,
    };
    let (evals, work) = engine.macro_work();
    let mut macros: Vec<MacroCost> = evals
        .iter()
        .zip(work)
        .enumerate()
        .filter(|(_, (&n, _))| n > 0)
        .map(|(i, (&n, &w))| MacroCost {
            name: ruleset.macro_names.get(i).cloned().unwrap_or_default(),
            evaluations: n,
            work: w,
            cost_ns: w as f64 * crate::cost::weights::RULE_WORK_NS * ns_per_unit,
        })
        .collect();
    macros.sort_by(|a, b| b.work.cmp(&a.work).then(a.name.cmp(&b.name)));
    let mut report = build_report(
        reader,
        ruleset,
        cfg,
        scan,
        cpus,
        n_rings,
        &c,
        &rings,
        recorder,
        profile,
        alerts,
        engine_events,
        last_arrival,
        metrics,
    );
    report.profile.macros = macros;
    Ok(report)
}

#[allow(clippy::too_many_arguments)]
fn build_report(
    reader: &TraceReader,
    ruleset: &Ruleset,
    cfg: &SimConfig,
    scan: &TraceScan,
    cpus: u32,
    n_rings: usize,
    c: &Counters,
    rings: &Rings,
    recorder: RecorderDrops,
    p: Profile,
    alerts: u64,
    engine_events: u64,
    last_arrival: u64,
    metrics: MetricsWriter,
) -> Report {
    let total = p.total_cost.max(1e-9);
    let mut rules: Vec<RuleCost> = ruleset
        .rules
        .iter()
        .enumerate()
        .filter(|(i, r)| r.enabled || p.rule_evals[*i] > 0)
        .map(|(i, r)| {
            let pw = p.part_work.get(i).map(Vec::as_slice).unwrap_or(&[]);
            let rule_work = p.rule_work[i].max(1) as f64;
            let mut parts: Vec<PartCost> = r
                .parts()
                .iter()
                .zip(pw)
                .filter(|(_, &w)| w > 0)
                .map(|(text, &w)| PartCost {
                    condition: text.clone(),
                    work: w,
                    share_of_rule: w as f64 / rule_work,
                })
                .collect();
            parts.sort_by_key(|p| std::cmp::Reverse(p.work));
            RuleCost {
                name: r.name.clone(),
                evaluations: p.rule_evals[i],
                matches: p.rule_matches[i],
                cost_ns: p.rule_cost[i],
                work: p.rule_work[i],
                share: p.rule_cost[i] / total,
                parts,
            }
        })
        .collect();
    rules.sort_by(|a, b| b.cost_ns.total_cmp(&a.cost_ns).then(a.name.cmp(&b.name)));
    let mut event_types: Vec<TypeCost> = p
        .type_events
        .iter()
        .enumerate()
        .filter(|(_, &n)| n > 0)
        .map(|(i, &n)| TypeCost {
            name: match i {
                TYPE_PROCEXIT => "procexit".to_string(),
                TYPE_OTHER => "other".to_string(),
                nr => syscalls::display_name(nr as u16).into_owned(),
            },
            events: n,
            cost_ns: p.type_cost[i],
            share: p.type_cost[i] / total,
        })
        .collect();
    event_types.sort_by(|a, b| b.cost_ns.total_cmp(&a.cost_ns).then(a.name.cmp(&b.name)));
    let mut categories: Vec<CategoryDrops> = DROP_CATEGORY_NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| CategoryDrops {
            metric: format!("scap.n_drops_buffer_{n}"),
            drops: c.cat_drops[i],
        })
        .collect();
    categories.push(CategoryDrops {
        metric: "other syscalls, enter (in the total only)".into(),
        drops: c.other_drops_enter,
    });
    categories.push(CategoryDrops {
        metric: "other syscalls, exit (in the total only)".into(),
        drops: c.other_drops_exit,
    });
    let windows = merge_windows(&c.windows, c.window_ns);
    let consumer_ns = rings.clock.max(last_arrival).max(1);
    let busy_s = rings.busy_ns as f64 / 1e9;
    Report {
        schema: SCHEMA_VERSION,
        trace: TraceInfoOut {
            path: reader.path().display().to_string(),
            source: reader.header().source.clone(),
            records: reader.event_count(),
            recorded_cpus: reader.header().num_cpus,
            duration_s: scan.last_ts.saturating_sub(scan.first_ts) as f64 / 1e9,
        },
        config: ConfigOut {
            driver: cfg.driver.name().into(),
            event_layout: cfg.layout.name().into(),
            buf_size_bytes: cfg.buf_bytes,
            buf_size_preset: BUF_SIZE_PRESETS
                .iter()
                .position(|&b| b == cfg.buf_bytes && b > 0),
            cpus_for_each_buffer: (cfg.driver == Driver::ModernEbpf)
                .then_some(cfg.cpus_for_each_buffer),
            simulated_cpus: cpus,
            rings: n_rings as u32,
            pacing: match cfg.pacing {
                Pacing::Speed(x) => format!("speed {x}x"),
                Pacing::Rate(r) => format!("rate {r}/s"),
                Pacing::Max => "max (the consumer's own pace)".into(),
            },
            cost_model: cfg.cost.name().into(),
            cost_model_description: cfg.cost.describe(),
            selected_syscalls: cfg.selected.len() as u32,
            rules_enabled: ruleset.rules.iter().filter(|r| r.enabled).count() as u32,
            records_filtered_out: cfg.keep.as_ref().map_or(0, |k| k.total - k.kept),
        },
        drops: DropsOut {
            n_evts: c.n_evts,
            n_drops: c.n_drops,
            n_drops_perc: if c.n_evts > 0 {
                100.0 * c.n_drops as f64 / c.n_evts as f64
            } else {
                0.0
            },
            per_category: categories,
            per_cpu: c
                .cpus
                .iter()
                .enumerate()
                .map(|(i, x)| CpuDrops {
                    cpu: i as u32,
                    n_evts: x.evts,
                    n_drops: x.drops,
                })
                .collect(),
            windows,
            window_ns: c.window_ns,
            max_ring_used_bytes: rings.max_used.iter().copied().max().unwrap_or(0),
        },
        recorder,
        consumer: ConsumerOut {
            events_consumed: rings.consumed,
            engine_events,
            busy_s,
            elapsed_s: consumer_ns.saturating_sub(0) as f64 / 1e9,
            utilisation: rings.busy_ns as f64 / consumer_ns as f64,
            mean_cost_ns: if rings.consumed > 0 {
                rings.busy_ns as f64 / rings.consumed as f64
            } else {
                0.0
            },
            sustainable_evts_per_sec: if busy_s > 0.0 {
                rings.consumed as f64 / busy_s
            } else {
                0.0
            },
            max_lag_ms: rings.max_lag_ns as f64 / 1e6,
            alerts,
        },
        profile: ProfileOut {
            total_cost_ns: p.total_cost,
            fixed_cost_ns: p.fixed_cost,
            rules_cost_ns: p.rule_cost.iter().sum(),
            unattributed_cost_ns: p.unattributed_cost,
            rules,
            event_types,
            macros: Vec::new(),
        },
        metrics: metrics.snapshots,
    }
}

fn merge_windows(b: &BTreeMap<u64, u64>, w: u64) -> Vec<DropWindow> {
    let mut out: Vec<DropWindow> = Vec::new();
    for (&k, &n) in b {
        match out.last_mut() {
            Some(last) if last.end_ns == k * w => {
                last.end_ns = (k + 1) * w;
                last.drops += n;
            }
            _ => out.push(DropWindow {
                start_ns: k * w,
                end_ns: (k + 1) * w,
                drops: n,
            }),
        }
    }
    out
}

/// Falco-shaped metrics snapshots on the simulated clock.
struct MetricsWriter {
    interval: Option<u64>,
    next: u64,
    host_num_cpus: u32,
    last: Option<(u64, u64, u64, u64)>,
    snapshots: Vec<serde_json::Value>,
}

impl MetricsWriter {
    fn new(interval: Option<u64>, host_num_cpus: u32) -> Self {
        MetricsWriter {
            interval,
            next: interval.unwrap_or(0),
            host_num_cpus,
            last: None,
            snapshots: Vec::new(),
        }
    }
    fn tick(&mut self, now: u64, c: &Counters, rings: &Rings, engine_events: u64) {
        let Some(iv) = self.interval else { return };
        while self.next <= now {
            let t = self.next;
            let (pt, pe, pd, pn) = self.last.unwrap_or((0, 0, 0, 0));
            let dt = (t - pt) as f64 / 1e9;
            let de = c.n_evts - pe;
            let dd = c.n_drops - pd;
            let round1 = |x: f64| (x * 10.0).round() / 10.0;
            let mut m = serde_json::Map::new();
            let mut put = |k: &str, v: serde_json::Value| {
                m.insert(k.to_string(), v);
            };
            put("sim.time_s", (t as f64 / 1e9).into());
            put("falco.duration_sec", (t / 1_000_000_000).into());
            put("falco.host_num_cpus", self.host_num_cpus.into());
            put(
                "falco.cpu_usage_perc",
                round1(100.0 * rings.busy_ns as f64 / t.max(1) as f64).into(),
            );
            put("falco.num_evts", rings.consumed.into());
            if self.last.is_some() {
                put(
                    "falco.evts_rate_sec",
                    round1((rings.consumed - pn) as f64 / dt).into(),
                );
            }
            put("falco.engine_events", engine_events.into());
            put("scap.n_evts", c.n_evts.into());
            put("scap.n_drops", c.n_drops.into());
            put("scap.n_drops_buffer_total", c.n_drops.into());
            for (i, n) in DROP_CATEGORY_NAMES.iter().enumerate() {
                put(&format!("scap.n_drops_buffer_{n}"), c.cat_drops[i].into());
            }
            put("scap.evts_rate_sec", round1(de as f64 / dt).into());
            put("scap.evts_drop_rate_sec", round1(dd as f64 / dt).into());
            put(
                "scap.n_drops_perc",
                (if de > 0 {
                    100.0 * dd as f64 / de as f64
                } else {
                    0.0
                })
                .into(),
            );
            self.snapshots.push(serde_json::Value::Object(m));
            self.last = Some((t, c.n_evts, c.n_drops, rings.consumed));
            self.next += iv;
        }
    }
}

impl RecorderDrops {
    fn add(&mut self, ev: &Event, origin: u64) {
        self.markers += 1;
        self.events_lost += ev.args[1];
        self.windows.push(DropWindow {
            start_ns: ev.args[0].saturating_sub(origin),
            end_ns: ev.ts_ns.saturating_sub(origin),
            drops: ev.args[1],
        });
    }
}

/// The mean counted cost per selected event of a replay at the consumer's
/// own pace (nothing dropped): what `--calibrate-falco` scales to Falco's.
pub fn mean_counted_ns(
    reader: &TraceReader,
    ruleset: &Ruleset,
    cfg: &SimConfig,
    scan: &TraceScan,
) -> Result<f64, TraceError> {
    let mut c = cfg.clone();
    c.pacing = Pacing::Max;
    c.cost = CostModel::Counted { scale: 1.0 };
    c.metrics_interval_ns = None;
    let r = simulate(reader, ruleset, &c, scan, |_| {})?;
    Ok(r.consumer.mean_cost_ns)
}

#[cfg(test)]
mod preset_tests {
    use super::BUF_SIZE_PRESETS;

    #[test]
    fn presets_are_falcos_indexed_by_preset() {
        assert_eq!(BUF_SIZE_PRESETS[0], 0, "preset 0 is rejected");
        assert_eq!(BUF_SIZE_PRESETS[1], 1 << 20);
        assert_eq!(BUF_SIZE_PRESETS[4], 8 << 20, "Falco's default");
        assert_eq!(BUF_SIZE_PRESETS[10], 512 << 20);
        assert_eq!(
            BUF_SIZE_PRESETS[sysreplay_syscalls::DEFAULT_BUF_SIZE_PRESET],
            8 << 20
        );
    }
}
