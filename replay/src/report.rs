//! The replay report: what `sysreplay replay --json` prints. The schema is
//! versioned by [`SCHEMA_VERSION`] and documented in `replay/REPORT.md`.

use serde::Serialize;

/// Bumped on any incompatible change of the JSON report.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub schema: u32,
    pub trace: TraceInfoOut,
    pub config: ConfigOut,
    pub drops: DropsOut,
    pub recorder: RecorderDrops,
    pub consumer: ConsumerOut,
    pub profile: ProfileOut,
    /// Falco-shaped metrics snapshots (`--metrics-interval`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<serde_json::Value>,
}

#[derive(Clone, Debug, Serialize)]
pub struct TraceInfoOut {
    pub path: String,
    pub source: String,
    pub records: u64,
    pub recorded_cpus: u32,
    pub duration_s: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConfigOut {
    pub driver: String,
    pub event_layout: String,
    pub buf_size_bytes: u64,
    pub buf_size_preset: Option<usize>,
    pub cpus_for_each_buffer: Option<u32>,
    pub simulated_cpus: u32,
    pub rings: u32,
    pub pacing: String,
    pub cost_model: String,
    pub cost_model_description: String,
    pub selected_syscalls: u32,
    pub rules_enabled: u32,
}

/// Drops in the simulated Falco rings (never the recorder's own).
#[derive(Clone, Debug, Serialize)]
pub struct DropsOut {
    /// Events the driver tried to write (`scap.n_evts`: drops included).
    pub n_evts: u64,
    pub n_drops: u64,
    pub n_drops_perc: f64,
    pub per_category: Vec<CategoryDrops>,
    pub per_cpu: Vec<CpuDrops>,
    /// Windows of simulated time (from the trace start) with drops.
    pub windows: Vec<DropWindow>,
    /// Width of the windows (100 ms, shorter for short simulated spans).
    pub window_ns: u64,
    pub max_ring_used_bytes: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CategoryDrops {
    pub metric: String,
    pub drops: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct CpuDrops {
    pub cpu: u32,
    pub n_evts: u64,
    pub n_drops: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct DropWindow {
    pub start_ns: u64,
    pub end_ns: u64,
    pub drops: u64,
}

/// Drops of the recorder itself (drop markers in the trace): events that
/// are not in the trace, whatever the rules.
#[derive(Clone, Debug, Default, Serialize)]
pub struct RecorderDrops {
    pub markers: u64,
    pub events_lost: u64,
    /// Recorded times (from the trace start), not simulated ones.
    pub windows: Vec<DropWindow>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ConsumerOut {
    /// Ring events taken by the consumer.
    pub events_consumed: u64,
    /// Records the rule engine processed.
    pub engine_events: u64,
    pub busy_s: f64,
    pub elapsed_s: f64,
    pub utilisation: f64,
    pub mean_cost_ns: f64,
    /// Events per second the consumer sustains at this mix (1 / mean cost).
    pub sustainable_evts_per_sec: f64,
    /// Longest wait of an event between its arrival and its processing.
    pub max_lag_ms: f64,
    pub alerts: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProfileOut {
    pub total_cost_ns: f64,
    /// Base, state updates and anything outside rule evaluation.
    pub fixed_cost_ns: f64,
    pub rules_cost_ns: f64,
    /// Measured model with `--profile`: what no timer saw (see cost.rs).
    pub unattributed_cost_ns: f64,
    /// Costliest first.
    pub rules: Vec<RuleCost>,
    pub event_types: Vec<TypeCost>,
    /// Macros by counted work, nested macros included (counted models only).
    pub macros: Vec<MacroCost>,
}

#[derive(Clone, Debug, Serialize)]
pub struct RuleCost {
    pub name: String,
    pub evaluations: u64,
    pub matches: u64,
    /// In the cost model's nanoseconds.
    pub cost_ns: f64,
    /// Counted work units (0 under the measured model).
    pub work: u64,
    /// Of the total cost.
    pub share: f64,
    /// Counted models: the operands of the rule's root `and`/`or` with the
    /// work each took, costliest first (empty when the rule's root is not
    /// an `and`/`or` of its condition's operands).
    pub parts: Vec<PartCost>,
}

/// One operand (sub-condition) of a rule's root `and`/`or`.
#[derive(Clone, Debug, Serialize)]
pub struct PartCost {
    /// Its filter text, macros expanded.
    pub condition: String,
    pub work: u64,
    /// Of the rule's counted work.
    pub share_of_rule: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct TypeCost {
    pub name: String,
    pub events: u64,
    pub cost_ns: f64,
    pub share: f64,
}

#[derive(Clone, Debug, Serialize)]
pub struct MacroCost {
    pub name: String,
    pub evaluations: u64,
    pub work: u64,
    pub cost_ns: f64,
}
