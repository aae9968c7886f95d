//! What the consumer spends on each event: the cost models, and the engine
//! observers that measure or count it.
//!
//! Our engine is several times faster than Falco's, so its raw time would
//! hide drops Falco has. Every model is stated in the report:
//!
//! - `counted` (default): deterministic counted work in reference
//!   nanoseconds: a base per event (libscap `next`, sinsp parsing, Falco's
//!   loop), a state-update weight per syscall family, and per rule its
//!   evaluation plus the checks and string bytes it compared
//!   (`sysreplay_ruleeval::compile::work`), plus an alert's formatting. The
//!   result does not depend on the machine: the model for CI.
//! - `measured`: this engine's own time per event, times `--cost-scale`.
//! - `flat`: the same cost for every event (`--event-cost-ns`).
//! - calibrated (`--calibrate-falco METRICS.json`): the counted model scaled
//!   so its mean per event equals what the production Falco spent.

use std::time::{Duration, Instant};

use sysreplay_format::record::Kind;
use sysreplay_format::Event;
use sysreplay_ruleeval::Observer;
use sysreplay_syscalls as syscalls;

/// Reference weights of the counted model, in nanoseconds of libsinsp on
/// one core. Calibrated against sysdig 0.29.3 (libsinsp) on this project's
/// VM with `replay/validate/` on `corpora/real/` (2026-12-07): its
/// no-filter cost is ~460 ns per record (reading, gunzip, parsing and the
/// state engine: the base and state weights below average about that), and
/// its per-rule cost on the stable rules, summed, was 6.6x our counted work
/// at 1 ns per unit (`RULE_WORK_NS`). The ranking of rules by these weights
/// agrees with libsinsp's at Spearman rho 0.88 (replay/validate/README.md).
pub mod weights {
    /// Every event: libscap next, sinsp parse, Falco's loop.
    pub const EVENT_BASE: u64 = 400;
    /// Every rule evaluated: the filter call itself.
    pub const RULE_EVAL: u64 = 60;
    /// Nanoseconds per unit of the evaluator's counted work
    /// (`sysreplay_ruleeval::compile::work`: a check is 16 units).
    pub const RULE_WORK_NS: f64 = 6.6;
    /// Each alert: output formatting on the event thread.
    pub const ALERT: u64 = 4000;
    /// State updates per family.
    pub const STATE_EXEC: u64 = 4000;
    pub const STATE_CLONE: u64 = 2500;
    pub const STATE_PROCEXIT: u64 = 800;
    pub const STATE_FD_CREATE: u64 = 600;
    pub const STATE_CLOSE: u64 = 200;
    pub const STATE_OTHER: u64 = 150;
}

/// State-update weight by record kind and syscall number.
pub struct StateWeights {
    by_nr: Vec<u32>,
}

impl Default for StateWeights {
    fn default() -> Self {
        use weights::*;
        let mut by_nr = vec![STATE_OTHER as u32; syscalls::MAX_SYSCALLS];
        for &(nr, name) in syscalls::X86_64_SYSCALLS {
            let w = match name {
                "execve" | "execveat" => STATE_EXEC,
                "clone" | "clone3" | "fork" | "vfork" => STATE_CLONE,
                "open" | "openat" | "openat2" | "creat" | "open_by_handle_at" | "socket"
                | "socketpair" | "accept" | "accept4" | "connect" | "bind" | "pipe" | "pipe2"
                | "dup" | "dup2" | "dup3" | "eventfd" | "eventfd2" | "memfd_create"
                | "signalfd" | "signalfd4" | "timerfd_create" | "inotify_init"
                | "inotify_init1" | "epoll_create" | "epoll_create1" | "userfaultfd" => {
                    STATE_FD_CREATE
                }
                "close" => STATE_CLOSE,
                _ => STATE_OTHER,
            };
            by_nr[nr as usize] = w as u32;
        }
        StateWeights { by_nr }
    }
}

impl StateWeights {
    #[inline]
    pub fn of(&self, ev: &Event) -> u64 {
        if ev.kind == Kind::Syscall as u16 {
            self.by_nr
                .get(ev.nr as usize)
                .copied()
                .unwrap_or(weights::STATE_OTHER as u32) as u64
        } else if ev.kind == Kind::ProcExit as u16 {
            weights::STATE_PROCEXIT
        } else {
            // PROC_FORK/PROC_EXEC are parts of the clone/execve event.
            0
        }
    }
}

/// The cost model, as given on the command line.
#[derive(Clone, Debug, PartialEq)]
pub enum CostModel {
    /// Counted work; `scale` multiplies the reference nanoseconds.
    Counted { scale: f64 },
    /// This engine's measured time times `scale`.
    Measured { scale: f64 },
    /// A flat cost per event.
    Flat { ns: f64 },
}

impl CostModel {
    pub fn name(&self) -> &'static str {
        match self {
            CostModel::Counted { .. } => "counted",
            CostModel::Measured { .. } => "measured",
            CostModel::Flat { .. } => "flat",
        }
    }
    pub fn describe(&self) -> String {
        match self {
            CostModel::Counted { scale } if *scale == 1.0 => {
                "counted work in reference ns (deterministic: independent of this machine)".into()
            }
            CostModel::Counted { scale } => format!(
                "counted work in reference ns x {scale:.4} (deterministic: independent of this machine)"
            ),
            CostModel::Measured { scale } => format!(
                "this engine's measured time x {scale} (varies with the machine and its load)"
            ),
            CostModel::Flat { ns } => format!("a flat {ns} ns per event"),
        }
    }
}

/// Per-rule and per-event accumulators, shared by both observers.
#[derive(Clone, Debug, Default)]
pub struct Profile {
    /// Per rule index: evaluations, matches, cost (model ns), counted work.
    pub rule_evals: Vec<u64>,
    pub rule_matches: Vec<u64>,
    pub rule_cost: Vec<f64>,
    pub rule_work: Vec<u64>,
    /// Per syscall number (`MAX_SYSCALLS` = process exit, +1 = other
    /// records): events and cost.
    pub type_events: Vec<u64>,
    pub type_cost: Vec<f64>,
    /// Per rule, counted work of each operand of its root `and`/`or`
    /// (`CompiledRule::parts`; counted models).
    pub part_work: Vec<Vec<u64>>,
    /// Cost outside rules: base, state updates (and under the measured
    /// model, the state engine's time before and after the rules).
    pub fixed_cost: f64,
    pub total_cost: f64,
    /// Measured model: the part of the total neither the rules' nor the
    /// state engine's timers saw (alert output, the loop, the timers
    /// themselves). Zero for counted models, whose parts add up exactly.
    pub unattributed_cost: f64,
}

pub const TYPE_PROCEXIT: usize = syscalls::MAX_SYSCALLS;
pub const TYPE_OTHER: usize = syscalls::MAX_SYSCALLS + 1;

impl Profile {
    pub fn new(nrules: usize) -> Profile {
        Profile {
            part_work: vec![Vec::new(); nrules],
            rule_evals: vec![0; nrules],
            rule_matches: vec![0; nrules],
            rule_cost: vec![0.0; nrules],
            rule_work: vec![0; nrules],
            type_events: vec![0; TYPE_OTHER + 1],
            type_cost: vec![0.0; TYPE_OTHER + 1],
            ..Default::default()
        }
    }
    fn type_of(ev: &Event) -> usize {
        if ev.kind == Kind::Syscall as u16 {
            (ev.nr as usize).min(TYPE_OTHER)
        } else if ev.kind == Kind::ProcExit as u16 {
            TYPE_PROCEXIT
        } else {
            TYPE_OTHER
        }
    }
}

/// Counts work (the counted, flat and calibrated models). `ns_per_unit`
/// scales the reference nanoseconds; the per-rule profile is always kept
/// (counting is what evaluation does anyway). With `PARTS` (`--profile`)
/// each rule is also evaluated operand by operand of its root and/or, to
/// profile inside it; that costs the evaluator a call and a counter read
/// per operand, so it is off unless asked for.
pub struct Counting<const PARTS: bool> {
    state: StateWeights,
    pub ns_per_unit: f64,
    /// Flat model: every event costs this instead.
    pub flat_ns: Option<f64>,
    pub profile: Profile,
    /// Integer sums per rule and per event type: the model is linear in
    /// them, so costs follow in `finish` (and no float work per rule).
    rules: Vec<RuleCounts>,
    types: Vec<EventCounts>,
    /// The event so far.
    ev: EventCounts,
    event_type: usize,
    /// The last event's cost in model ns.
    pub last_cost: f64,
}

#[derive(Clone, Copy, Default)]
struct RuleCounts {
    evals: u64,
    work: u64,
    matches: u64,
}

/// One event's (or a sum of events') counted parts.
#[derive(Clone, Copy, Default)]
struct EventCounts {
    events: u64,
    /// Base and state-update weight, reference ns.
    base: u64,
    evals: u64,
    work: u64,
    alerts: u64,
}

/// `weights::RULE_WORK_NS` in tenths of a ns, so an event's cost is one
/// integer sum (checked equal in the tests).
const RULE_WORK_TENTHS: u64 = (weights::RULE_WORK_NS * 10.0) as u64;

impl EventCounts {
    /// Reference cost in tenths of a ns.
    #[inline]
    fn tenths(&self) -> u64 {
        self.base * 10
            + self.evals * weights::RULE_EVAL * 10
            + self.work * RULE_WORK_TENTHS
            // Formatting is the matching rule's cost too: Falco does it inline.
            + self.alerts * weights::ALERT * 10
    }
}

impl<const PARTS: bool> Counting<PARTS> {
    /// `parts[r]`: how many root operands rule `r` profiles (0 for none).
    pub fn new(parts: &[usize], ns_per_unit: f64, flat_ns: Option<f64>) -> Self {
        let mut profile = Profile::new(parts.len());
        if PARTS {
            profile.part_work = parts.iter().map(|&n| vec![0; n]).collect();
        }
        Counting {
            state: StateWeights::default(),
            ns_per_unit,
            flat_ns,
            profile,
            rules: vec![RuleCounts::default(); parts.len()],
            types: vec![EventCounts::default(); TYPE_OTHER + 1],
            ev: EventCounts::default(),
            event_type: 0,
            last_cost: 0.0,
        }
    }
}

impl<const PARTS: bool> Observer for Counting<PARTS> {
    const COUNT_WORK: bool = true;
    const PROFILE_PARTS: bool = PARTS;
    #[inline]
    fn part_done(&mut self, rule: u32, part: u32, work: u64) {
        if let Some(w) = self
            .profile
            .part_work
            .get_mut(rule as usize)
            .and_then(|p| p.get_mut(part as usize))
        {
            *w += work;
        }
    }
    #[inline]
    fn event_begin(&mut self, ev: &Event) {
        let base = if ev.kind == Kind::Syscall as u16 || ev.kind == Kind::ProcExit as u16 {
            weights::EVENT_BASE + self.state.of(ev)
        } else {
            0
        };
        self.ev = EventCounts {
            events: 1,
            base,
            ..EventCounts::default()
        };
        self.event_type = Profile::type_of(ev);
    }
    #[inline]
    fn rule_done(&mut self, rule: u32, matched: bool, work: u64) {
        if let Some(r) = self.rules.get_mut(rule as usize) {
            r.evals += 1;
            r.work += work;
            r.matches += matched as u64;
        }
        self.ev.evals += 1;
        self.ev.work += work;
        self.ev.alerts += matched as u64;
    }
    #[inline]
    fn event_done(&mut self) {
        let e = self.ev;
        if let Some(t) = self.types.get_mut(self.event_type) {
            t.events += e.events;
            t.base += e.base;
            t.evals += e.evals;
            t.work += e.work;
            t.alerts += e.alerts;
        }
        self.last_cost = self
            .flat_ns
            .unwrap_or(e.tenths() as f64 * 0.1 * self.ns_per_unit);
    }
}

impl<const PARTS: bool> Counting<PARTS> {
    /// Each rule's and event type's cost from its counts (the model is
    /// linear in them), and the fixed cost as the total minus the rules'.
    pub fn finish(&mut self) {
        let scale = 0.1 * self.ns_per_unit;
        let p = &mut self.profile;
        for (i, r) in self.rules.iter().enumerate() {
            let c = EventCounts {
                evals: r.evals,
                work: r.work,
                alerts: r.matches,
                ..EventCounts::default()
            };
            p.rule_evals[i] = r.evals;
            p.rule_work[i] = r.work;
            p.rule_matches[i] = r.matches;
            p.rule_cost[i] = c.tenths() as f64 * scale;
        }
        p.total_cost = 0.0;
        for (i, t) in self.types.iter().enumerate() {
            p.type_events[i] = t.events;
            p.type_cost[i] = t.tenths() as f64 * scale;
            p.total_cost += p.type_cost[i];
        }
        let rules: f64 = p.rule_cost.iter().sum();
        p.fixed_cost = p.total_cost - rules;
    }
}

/// A cheap cycle clock: the TSC on x86_64 (a few ns to read, where a
/// vDSO clock_gettime costs ~20 ns and showed as 10% of a replay), scaled
/// to ns by a 20 ms calibration against the monotonic clock.
#[derive(Clone, Copy)]
pub struct Clock {
    ns_per_tick: f64,
}

impl Clock {
    /// The process's clock, calibrated once (a sweep or a ramp runs many
    /// replays; each would otherwise spin for 20 ms).
    pub fn new() -> Clock {
        static CLOCK: std::sync::OnceLock<Clock> = std::sync::OnceLock::new();
        *CLOCK.get_or_init(|| {
            let (t0, c0) = (Instant::now(), Clock::ticks());
            while t0.elapsed() < Duration::from_millis(20) {
                std::hint::spin_loop();
            }
            let (dt, dc) = (t0.elapsed().as_nanos() as f64, Clock::ticks() - c0);
            Clock {
                ns_per_tick: if dc > 0 { dt / dc as f64 } else { 1.0 },
            }
        })
    }
    #[inline(always)]
    pub fn ticks() -> u64 {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: RDTSC reads a counter; it touches no memory, and every
            // x86_64 CPU has it.
            unsafe { std::arch::x86_64::_rdtsc() }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
            START.get_or_init(Instant::now).elapsed().as_nanos() as u64
        }
    }
    #[inline(always)]
    pub fn ns(&self, ticks: u64) -> f64 {
        ticks as f64 * self.ns_per_tick
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

/// Times the engine (the measured model). With `RULES`, every rule
/// evaluation is timed too (two clock reads per rule: the profile's
/// overhead, stated in the report).
pub struct Timing<const RULES: bool> {
    pub scale: f64,
    pub profile: Profile,
    clock: Clock,
    event_start: u64,
    rule_start: u64,
    rules_end: u64,
    state_ns: f64,
    event_type: usize,
    pub last_cost: f64,
}

impl<const RULES: bool> Timing<RULES> {
    pub fn new(nrules: usize, scale: f64) -> Self {
        Timing {
            scale,
            profile: Profile::new(nrules),
            clock: Clock::new(),
            event_start: 0,
            rule_start: 0,
            rules_end: 0,
            state_ns: 0.0,
            event_type: 0,
            last_cost: 0.0,
        }
    }
    pub fn finish(&mut self) {
        let p = &mut self.profile;
        p.fixed_cost = self.state_ns;
        if RULES {
            let rules: f64 = p.rule_cost.iter().sum();
            p.unattributed_cost = p.total_cost - rules - p.fixed_cost;
        } else {
            // Without rule timers nothing says which rule took what.
            p.fixed_cost = p.total_cost;
        }
    }
}

impl<const RULES: bool> Timing<RULES> {
    #[inline(always)]
    fn since(&self, start: u64, now: u64) -> f64 {
        self.clock.ns(now.wrapping_sub(start)) * self.scale
    }
}

impl<const RULES: bool> Observer for Timing<RULES> {
    #[inline]
    fn event_begin(&mut self, ev: &Event) {
        self.event_type = Profile::type_of(ev);
        self.event_start = Clock::ticks();
    }
    #[inline]
    fn state_done(&mut self) {
        if RULES {
            self.state_ns += self.since(self.event_start, Clock::ticks());
        }
    }
    #[inline]
    fn rules_done(&mut self) {
        if RULES {
            self.rules_end = Clock::ticks();
        }
    }
    #[inline]
    fn rule_begin(&mut self, _rule: u32) {
        if RULES {
            self.rule_start = Clock::ticks();
        }
    }
    #[inline]
    fn rule_done(&mut self, rule: u32, matched: bool, _work: u64) {
        let now = if RULES { Clock::ticks() } else { 0 };
        let cost = if RULES {
            self.since(self.rule_start, now)
        } else {
            0.0
        };
        let p = &mut self.profile;
        let r = rule as usize;
        p.rule_evals[r] += 1;
        if matched {
            p.rule_matches[r] += 1;
        }
        p.rule_cost[r] += cost;
    }
    #[inline]
    fn event_done(&mut self) {
        let end = Clock::ticks();
        let ns = self.since(self.event_start, end);
        if RULES {
            self.state_ns += self.since(self.rules_end, end);
        }
        let p = &mut self.profile;
        p.type_events[self.event_type] += 1;
        p.type_cost[self.event_type] += ns;
        p.total_cost += ns;
        self.last_cost = ns;
    }
}

/// A Falco metrics snapshot's cost per event: CPU time per processed event,
/// in ns. `falco.cpu_usage_perc` is a lifetime average of the whole process
/// (all threads) in percent of one CPU; `falco.evts_rate_sec` the events per
/// second the event loop processed over the last interval.
#[derive(Clone, Debug, PartialEq)]
pub struct FalcoCalibration {
    pub cpu_usage_perc: f64,
    pub evts_rate_sec: f64,
    pub host_num_cpus: Option<f64>,
    pub ns_per_event: f64,
}

/// Read a Falco metrics snapshot: the JSON of the "Falco internal: metrics
/// snapshot" rule (fields under `output_fields`) or a flat object of metric
/// names. Errors say which field is missing.
pub fn read_falco_metrics(text: &str) -> Result<FalcoCalibration, String> {
    // A file may hold several snapshots (one JSON per line): use the last.
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or("the file is empty")?;
    let v: serde_json::Value = serde_json::from_str(last.trim())
        .or_else(|_| serde_json::from_str(text.trim()))
        .map_err(|e| format!("not a JSON metrics snapshot: {e}"))?;
    let fields = v.get("output_fields").unwrap_or(&v);
    let num = |k: &str| -> Option<f64> {
        let x = fields.get(k)?;
        x.as_f64().or_else(|| x.as_str()?.parse().ok())
    };
    let cpu = num("falco.cpu_usage_perc").ok_or("no falco.cpu_usage_perc field")?;
    let rate = num("falco.evts_rate_sec").ok_or(
        "no falco.evts_rate_sec field (Falco omits it on its first snapshot: take a later one)",
    )?;
    if cpu.is_nan() || rate.is_nan() || cpu <= 0.0 || rate <= 0.0 {
        return Err(format!(
            "falco.cpu_usage_perc ({cpu}) and falco.evts_rate_sec ({rate}) must both be positive"
        ));
    }
    Ok(FalcoCalibration {
        cpu_usage_perc: cpu,
        evts_rate_sec: rate,
        host_num_cpus: num("falco.host_num_cpus"),
        ns_per_event: cpu / 100.0 * 1e9 / rate,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falco_metrics_give_cpu_time_per_event() {
        let j = r#"{"hostname":"h","output":"Falco metrics snapshot","output_fields":{"falco.cpu_usage_perc":12.5,"falco.evts_rate_sec":50000.0,"falco.host_num_cpus":8},"rule":"Falco internal: metrics snapshot"}"#;
        let c = read_falco_metrics(j).unwrap();
        assert_eq!(c.ns_per_event, 2500.0);
        assert_eq!(c.host_num_cpus, Some(8.0));
        let e = read_falco_metrics(r#"{"falco.cpu_usage_perc": 3}"#).unwrap_err();
        assert!(e.contains("falco.evts_rate_sec"), "{e}");
        assert!(read_falco_metrics("nope").is_err());
    }

    #[test]
    fn the_integer_cost_is_the_weights_sum() {
        // The tenths-of-ns integer loses nothing of the weights.
        assert_eq!(RULE_WORK_TENTHS as f64 / 10.0, weights::RULE_WORK_NS);
        let e = EventCounts {
            events: 1,
            base: 550,
            evals: 3,
            work: 100,
            alerts: 1,
        };
        let ns = 550.0
            + 3.0 * weights::RULE_EVAL as f64
            + 100.0 * weights::RULE_WORK_NS
            + weights::ALERT as f64;
        assert!((e.tenths() as f64 / 10.0 - ns).abs() < 1e-9, "{ns}");
    }

    #[test]
    fn state_weights_dispatch_on_numbers() {
        let w = StateWeights::default();
        let ev = |nr: &str| Event {
            ts_ns: 0,
            cpu: 0,
            tid: 1,
            pid: 1,
            kind: Kind::Syscall as u16,
            nr: syscalls::number(nr).unwrap(),
            ret: 0,
            args: [0; 6],
            data: &[],
        };
        assert_eq!(w.of(&ev("execve")), weights::STATE_EXEC);
        assert_eq!(w.of(&ev("openat")), weights::STATE_FD_CREATE);
        assert_eq!(w.of(&ev("read")), weights::STATE_OTHER);
    }
}
