//! Many replays of one trace: Falco's drop-test ladder across buffer
//! settings (`--sweep`), and the highest offered rate without drops
//! (`--ramp`).

use sysreplay_format::{TraceError, TraceReader};
use sysreplay_ruleeval::{load_rules_str, Ruleset};
use sysreplay_syscalls::sets::{self as syscall_sets, Selection, SelectionRequest};

use crate::sim::{scan, simulate, Pacing, SimConfig, BUF_SIZE_PRESETS};

/// Falco's selection for `ruleset` with `base_syscalls`-style options.
pub fn selection(ruleset: &Ruleset, custom: &[String], repair: bool, all: bool) -> Selection {
    syscall_sets::compute(&SelectionRequest {
        rules: ruleset.rule_syscalls(),
        custom: custom.to_vec(),
        repair,
        all,
    })
}

/// One step of the ladder in Falco's guide "Falco Is Dropping Syscalls
/// Events": a minimal rule over some syscalls, with a custom set.
pub struct LadderStep {
    pub label: String,
    pub ruleset: Ruleset,
    pub selected: Vec<u16>,
}

/// The guide's tests 1-5, then the user's rules (with their selection).
pub fn ladder(user: &Ruleset, user_selected: &[u16]) -> Vec<LadderStep> {
    let procs = [
        "clone", "clone3", "fork", "vfork", "execve", "execveat", "close",
    ];
    let steps: [(&str, &[&str], bool); 5] = [
        ("1 spawned_process, custom set, no repair", &[], false),
        ("2 + repair", &[], true),
        ("3 + accept", &["accept", "accept4"], true),
        ("4 + connect", &["accept", "accept4", "connect"], true),
        (
            "5 + open",
            &["accept", "accept4", "connect", "open", "openat", "openat2"],
            true,
        ),
    ];
    let mut out = Vec::new();
    for (label, extra, repair) in steps {
        let mut types: Vec<&str> = vec!["execve", "execveat"];
        types.extend_from_slice(extra);
        let text = format!(
            "- rule: ladder\n  desc: the guide's test rule\n  condition: evt.type in ({}) and evt.dir=<\n  output: \"%evt.type %proc.name\"\n  priority: NOTICE\n",
            types.join(", ")
        );
        let rs = load_rules_str(&[("ladder.yaml", &text)]);
        let mut custom: Vec<String> = procs.iter().map(|s| s.to_string()).collect();
        custom.extend(extra.iter().map(|s| s.to_string()));
        let sel = selection(&rs, &custom, repair, false);
        out.push(LadderStep {
            label: label.to_string(),
            ruleset: rs,
            selected: sel.numbers,
        });
    }
    out.push(LadderStep {
        label: "6 your rules".to_string(),
        ruleset: user.clone(),
        selected: user_selected.to_vec(),
    });
    out
}

/// One cell of the sweep table.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SweepCell {
    pub step: String,
    pub buf_size_preset: usize,
    pub cpus_for_each_buffer: u32,
    pub n_evts: u64,
    pub n_drops: u64,
    pub n_drops_perc: f64,
}

/// Run every ladder step under every preset and `cpus_for_each_buffer`.
pub fn sweep(
    reader: &TraceReader,
    base: &SimConfig,
    steps: &[LadderStep],
    presets: &[usize],
    cfebs: &[u32],
    mut progress: impl FnMut(usize, usize),
) -> Result<Vec<SweepCell>, TraceError> {
    let mut out = Vec::new();
    let total = steps.len() * presets.len() * cfebs.len();
    // One workload for every step: a --rate is the rate of the base
    // selection's events, turned into one time scale for all steps.
    let mut base = base.clone();
    if let Pacing::Rate(r) = base.pacing {
        let sc = scan(reader, &base)?;
        let recorded = sc.selected_rate().max(1e-9);
        base.pacing = Pacing::Speed(r / recorded);
    }
    for st in steps {
        let mut cfg = base.clone();
        cfg.selected = st.selected.clone();
        cfg.metrics_interval_ns = None;
        let sc = scan(reader, &cfg)?;
        for &p in presets {
            for &k in cfebs {
                cfg.buf_bytes = BUF_SIZE_PRESETS[p];
                cfg.cpus_for_each_buffer = k;
                let r = simulate(reader, &st.ruleset, &cfg, &sc, |_| {})?;
                out.push(SweepCell {
                    step: st.label.clone(),
                    buf_size_preset: p,
                    cpus_for_each_buffer: k,
                    n_evts: r.drops.n_evts,
                    n_drops: r.drops.n_drops,
                    n_drops_perc: r.drops.n_drops_perc,
                });
                progress(out.len(), total);
            }
        }
    }
    Ok(out)
}

/// The result of a rate ramp.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Ramp {
    /// Highest mean offered rate (selected events/s) with no drop found.
    pub max_rate: f64,
    pub per_cpu: f64,
    /// Every probe: (rate, drops). A probe whose consumer was busy longer
    /// than the offered time fails even without drops.
    pub probes: Vec<(f64, u64)>,
}

/// Search the highest `--rate` sustained: zero drops and a consumer that
/// keeps up on average. Double from the recorded rate until it fails, then
/// bisect to 2%.
pub fn ramp(
    reader: &TraceReader,
    ruleset: &Ruleset,
    base: &SimConfig,
    mut progress: impl FnMut(usize),
) -> Result<Ramp, TraceError> {
    let mut cfg = base.clone();
    cfg.metrics_interval_ns = None;
    // Any rate: makes the scan count the selected events.
    cfg.pacing = Pacing::Rate(1.0);
    let sc = scan(reader, &cfg)?;
    let recorded = sc.selected_rate().max(1.0);
    let mut probes = Vec::new();
    // A rate is sustained when nothing drops and the consumer's busy time
    // fits in the offered time: a short trace can hide in the rings at any
    // rate, but not forever.
    let mut drops_at = |rate: f64, probes: &mut Vec<(f64, u64)>| -> Result<u64, TraceError> {
        cfg.pacing = Pacing::Rate(rate);
        let r = simulate(reader, ruleset, &cfg, &sc, |_| {})?;
        probes.push((rate, r.drops.n_drops));
        progress(probes.len());
        let offered_s = sc.selected_events as f64 / rate;
        let overloaded = r.consumer.busy_s > offered_s;
        Ok(r.drops.n_drops + overloaded as u64)
    };
    let (mut lo, mut hi) = (0.0f64, recorded);
    // Grow until drops (or stop at 2^20 x: the rings never fill).
    for _ in 0..20 {
        if drops_at(hi, &mut probes)? > 0 {
            break;
        }
        lo = hi;
        hi *= 2.0;
    }
    if lo == 0.0 {
        // Drops already at the recorded rate: shrink until none.
        for _ in 0..20 {
            hi /= 2.0;
            if drops_at(hi, &mut probes)? == 0 {
                lo = hi;
                hi *= 2.0;
                break;
            }
        }
    }
    while lo > 0.0 && hi / lo > 1.02 {
        let mid = (lo * hi).sqrt();
        if drops_at(mid, &mut probes)? == 0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let cpus = cfg.cpus.unwrap_or(reader.header().num_cpus.max(1)).max(1);
    Ok(Ramp {
        max_rate: lo,
        per_cpu: lo / cpus as f64,
        probes,
    })
}
