//! `sysreplay replay TRACE -r RULES...`: replay a trace through Falco's
//! selection, rings and single consumer thread; report drops, per-rule cost
//! and what a change would do.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use sysreplay_format::TraceReader;
use sysreplay_replay::cost::{read_falco_metrics, CostModel};
use sysreplay_replay::report::Report;
use sysreplay_replay::sim::{mean_counted_ns, scan, simulate};
use sysreplay_replay::whatif::{self, ladder, ramp, sweep};
use sysreplay_replay::{Driver, Layout, Pacing, SimConfig, BUF_SIZE_PRESETS};
use sysreplay_ruleeval::{RuleMatching, Ruleset};
use sysreplay_syscalls as syscalls;

use crate::cmd_eval::{load_with_filter, Matching, Selection};
use crate::falco_config::{apply_append_output, ConfigArgs, FalcoConfig};
use crate::progress::Progress;
use crate::Failure;
use sysreplay_replay::drive::filter_keep;
use sysreplay_ruleeval::Engine;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum DriverArg {
    /// One ring per `cpus_for_each_buffer` CPUs, event-by-event release (Falco's default engine)
    #[value(alias = "modern_ebpf")] // Falco's engine.kind spelling
    ModernEbpf,
    /// One ring per CPU, released a whole block snapshot at a time
    Kmod,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum EventsArg {
    /// libs >= 0.22 (Falco >= 0.41): exit events, plus enter events of open*, creat, connect
    ExitOnly,
    /// Older libs (Falco <= 0.40, e.g. the drop guide's 0.38): enter and exit events
    EnterExit,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum CostArg {
    /// Deterministic counted work (independent of the machine; for CI)
    Counted,
    /// This engine's measured time, times --cost-scale
    Measured,
    /// The same cost for every event (--event-cost-ns)
    Flat,
}

#[derive(clap::Args)]
pub struct Args {
    /// Trace file
    pub trace: PathBuf,
    /// Rules file(s) or directories, loaded in order (or rules_files of -c)
    #[arg(short = 'r', long = "rules", num_args = 1..)]
    pub rules: Vec<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Replay speed: 1x (as recorded), 10x, 0.5x, or max (the consumer's own pace: no drops)
    #[arg(long, default_value = "1x", value_parser = parse_speed)]
    pub speed: SpeedArg,
    /// Offer the selected events at this mean rate (events/s, e.g. 200000 or 200k), keeping the trace's inter-arrival pattern
    #[arg(long, value_parser = parse_rate, conflicts_with = "speed")]
    pub rate: Option<f64>,
    /// Simulated CPUs: fold the trace's CPUs onto fewer or spread its threads over more
    #[arg(long)]
    pub cpus: Option<u32>,
    /// Falco's kernel driver (default modern-ebpf, or engine.kind of -c)
    #[arg(long, value_enum)]
    pub driver: Option<DriverArg>,
    /// Which events the driver writes per syscall
    #[arg(long, value_enum, default_value = "exit-only")]
    pub events: EventsArg,
    /// Falco's engine.<kind>.buf_size_preset (1..10: 1 MiB .. 512 MiB per ring; default 4)
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=10))]
    pub buf_size_preset: Option<u8>,
    /// Ring size in bytes (a power of two, overrides --buf-size-preset)
    #[arg(long)]
    pub buf_size: Option<u64>,
    /// modern_ebpf: CPUs sharing one ring (0 = one ring for all; default 2)
    #[arg(long)]
    pub cpus_for_each_buffer: Option<u32>,
    /// Falco's base_syscalls.custom_set, comma-separated (`!name` removes)
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    pub base_syscalls: Vec<String>,
    /// Falco's base_syscalls.repair
    #[arg(long)]
    pub repair: bool,
    /// Falco's base_syscalls.all (-A): keep the high-volume I/O syscalls the rules use
    #[arg(long)]
    pub all: bool,
    /// Cost model of the consumer
    #[arg(long, value_enum, default_value = "counted")]
    pub cost: CostArg,
    /// Multiply the model's cost per event
    #[arg(long, default_value_t = 1.0)]
    pub cost_scale: f64,
    /// Flat cost per event in ns (implies --cost flat)
    #[arg(long)]
    pub event_cost_ns: Option<f64>,
    /// A Falco metrics snapshot (JSON) from the production host: scale the counted model so its mean cost per event equals that Falco's CPU time per event
    #[arg(long, value_name = "METRICS.json")]
    pub calibrate_falco: Option<PathBuf>,
    /// Profile inside rules: the work of each operand of a rule's root and/or (counted models), or time every rule (measured model: two clock reads per rule)
    #[arg(long)]
    pub profile: bool,
    /// Stop at the first matching rule per event (Falco's default) or run all
    #[arg(long = "rule-matching", value_enum)]
    pub rule_matching: Option<Matching>,
    /// Also run with a change and show both side by side: disable=RULE, disable-tag=TAG, enable=RULE, buf-size-preset=N, cpus-for-each-buffer=N, base-syscalls=a,b, repair=true|false, driver=kmod|modern-ebpf (repeatable; all apply to one variant)
    #[arg(long = "what-if", value_name = "KEY=VALUE")]
    pub what_if: Vec<String>,
    /// Falco's drop guide as one command: its test ladder (spawned_process, repair, accept, connect, open, your rules) across buffer presets
    #[arg(long)]
    pub sweep: bool,
    /// Presets for --sweep
    #[arg(long, value_delimiter = ',', default_value = "1,2,3,4,5,6,7,8")]
    pub sweep_presets: Vec<usize>,
    /// cpus_for_each_buffer values for --sweep (modern_ebpf)
    #[arg(long, value_delimiter = ',')]
    pub sweep_cpus_for_each_buffer: Vec<u32>,
    /// Drop percentage --sweep aims under (the guide's "1-2% acceptable")
    #[arg(long, default_value_t = 1.0)]
    pub threshold: f64,
    /// Find the highest offered rate these rules and settings sustain without drops
    #[arg(long)]
    pub ramp: bool,
    /// Falco metrics snapshots every this long of simulated time (e.g. 1s)
    #[arg(long, value_parser = sysreplay_format::timefmt::parse_duration)]
    pub metrics_interval: Option<Duration>,
    /// Write the metrics snapshots as JSON lines here (mode 0600)
    #[arg(long, requires = "metrics_interval")]
    pub metrics_json: Option<PathBuf>,
    /// Only events from this long after the first event on (e.g. 1.5, 250ms, 2m)
    #[arg(long)]
    pub from: Option<String>,
    /// Only events before this long after the first event
    #[arg(long)]
    pub to: Option<String>,
    /// Replay only the records that match this filter expression (Falco's
    /// condition language, evaluated on the whole trace's state); the others
    /// are not offered to the rings, the consumer or the rules at all
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Print the whole report as JSON (schema in replay/REPORT.md)
    #[arg(long)]
    pub json: bool,
    /// append_output of -c (not an option of its own)
    #[arg(skip)]
    pub append_output: Vec<crate::falco_config::AppendOutput>,
    /// Rows in the top-N tables
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Print rules-file warnings too
    #[arg(short = 'v', long)]
    pub verbose: bool,
    #[command(flatten)]
    pub selection: Selection,
}

#[derive(Clone, Copy, Debug)]
pub enum SpeedArg {
    Factor(f64),
    Max,
}

fn parse_speed(s: &str) -> Result<SpeedArg, String> {
    if s == "max" {
        return Ok(SpeedArg::Max);
    }
    let n = s.strip_suffix('x').unwrap_or(s);
    match n.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(SpeedArg::Factor(v)),
        _ => Err(format!("`{s}` is not a speed (like 1x, 10x, 0.5x or max)")),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let t = s.trim().trim_end_matches("/s");
    let (n, m) = match t.chars().last() {
        Some('k') | Some('K') => (&t[..t.len() - 1], 1e3),
        Some('m') | Some('M') => (&t[..t.len() - 1], 1e6),
        _ => (t, 1.0),
    };
    match n.parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v * m),
        _ => Err(format!(
            "`{s}` is not a rate (like 200000, 200k or 1.5M events/s)"
        )),
    }
}

/// The selection and its syscall numbers, and what the trace lacks of it.
fn selected(
    rs: &Ruleset,
    custom: &[String],
    repair: bool,
    all: bool,
    reader: &TraceReader,
) -> Result<(Vec<u16>, Vec<String>), Failure> {
    let sel = whatif::selection(rs, custom, repair, all);
    if !sel.invalid.is_empty() {
        return Err(Failure::input(format!(
            "--base-syscalls: unknown syscall name(s): {}",
            sel.invalid.join(", ")
        )));
    }
    let recorded = &reader.header().config.syscalls;
    let missing = if recorded.is_empty() {
        Vec::new()
    } else {
        sel.numbers
            .iter()
            .filter(|n| !recorded.contains(n))
            .map(|&n| syscalls::display_name(n).into_owned())
            .collect()
    };
    Ok((sel.numbers, missing))
}

fn base_config(a: &Args, selected: Vec<u16>) -> Result<SimConfig, Failure> {
    let buf_bytes = match a.buf_size {
        Some(b) if !b.is_power_of_two() || b < 2 * 4096 => {
            return Err(Failure::input(format!(
                "--buf-size {b}: Falco needs a power of two of at least 2 pages (8192)"
            )))
        }
        Some(b) => b,
        None => BUF_SIZE_PRESETS[a.buf_size_preset.unwrap_or(4) as usize],
    };
    let pacing = match (a.rate, a.speed) {
        (Some(r), _) => Pacing::Rate(r),
        (None, SpeedArg::Max) => Pacing::Max,
        (None, SpeedArg::Factor(x)) => Pacing::Speed(x),
    };
    let cost = match (a.event_cost_ns, a.cost) {
        (Some(ns), _) if ns > 0.0 && ns.is_finite() => CostModel::Flat { ns },
        (Some(ns), _) => {
            return Err(Failure::input(format!(
                "--event-cost-ns {ns}: must be positive"
            )))
        }
        (None, CostArg::Flat) => return Err(Failure::input("--cost flat needs --event-cost-ns N")),
        (None, CostArg::Counted) => CostModel::Counted {
            scale: a.cost_scale,
        },
        (None, CostArg::Measured) => CostModel::Measured {
            scale: a.cost_scale,
        },
    };
    if !(a.cost_scale > 0.0 && a.cost_scale.is_finite()) {
        return Err(Failure::input(format!(
            "--cost-scale {}: must be positive",
            a.cost_scale
        )));
    }
    Ok(SimConfig {
        driver: match a.driver.unwrap_or(DriverArg::ModernEbpf) {
            DriverArg::ModernEbpf => Driver::ModernEbpf,
            DriverArg::Kmod => Driver::Kmod,
        },
        layout: match a.events {
            EventsArg::ExitOnly => Layout::ExitOnly,
            EventsArg::EnterExit => Layout::EnterExit,
        },
        buf_bytes,
        cpus_for_each_buffer: a
            .cpus_for_each_buffer
            .unwrap_or(sysreplay_syscalls::DEFAULT_CPUS_FOR_EACH_BUFFER),
        cpus: a.cpus,
        pacing,
        cost,
        profile: a.profile,
        matching: a.rule_matching.unwrap_or(Matching::First).engine(),
        metrics_interval_ns: a.metrics_interval.map(|d| d.as_nanos().max(1) as u64),
        ..SimConfig::falco_defaults(selected)
    })
}

/// Fill what the command line left open from `-c falco.yaml` / `-o`.
fn apply_config(a: &mut Args) -> Result<(), Failure> {
    if let Some(c) = FalcoConfig::load(&a.config)? {
        c.report_ignored(
            "replay",
            &[
                "rules_files",
                "rules_file",
                "priority",
                "rule_matching",
                "base_syscalls",
                "engine",
                "syscall_buf_size_preset",
                "modern_bpf",
                "append_output",
            ],
        );
        a.rules = c.rules_or(&a.rules);
        a.selection.min_priority = a.selection.min_priority.take().or(c.priority.clone());
        a.rule_matching = a.rule_matching.or(Matching::of_config(&c));
        if a.driver.is_none() {
            a.driver = match c.engine_kind.as_deref() {
                None | Some("modern_ebpf") => None,
                Some("kmod") => Some(DriverArg::Kmod),
                Some(k) => {
                    eprintln!(
                        "sysreplay replay: engine.kind {k} is not simulated; using modern_ebpf"
                    );
                    None
                }
            };
        }
        a.buf_size_preset = a.buf_size_preset.or(c.buf_size_preset.map(|p| p as u8));
        a.cpus_for_each_buffer = a
            .cpus_for_each_buffer
            .or(c.cpus_for_each_buffer.map(|n| n as u32));
        if a.base_syscalls.is_empty() {
            a.base_syscalls = c.base_custom_set.clone();
        }
        a.repair |= c.base_repair.unwrap_or(false);
        a.all |= c.base_all.unwrap_or(false);
        a.append_output = c.append_output;
    }
    crate::cmd_eval::require_rules(&a.rules)
}

pub fn run(mut a: Args) -> Result<(), Failure> {
    apply_config(&mut a)?;
    let (mut rs, filter) =
        load_with_filter(&a.rules, a.filter.as_deref(), a.verbose, &a.selection)?;
    apply_append_output(&mut rs, &a.append_output)?;
    if let Err(f) = crate::cmd_eval::no_rule_enabled(&rs, &a.selection, &a.rules) {
        // Still a useful replay (the state engine's cost alone), but say so.
        eprintln!(
            "sysreplay: WARNING: {}; replaying the state engine alone",
            f.msg
        );
    }
    if a.sweep_presets.iter().any(|&p| !(1..=10).contains(&p)) {
        return Err(Failure::input("--sweep-presets: presets are 1..10"));
    }
    let reader = crate::open_trace(&a.trace)?;
    crate::cmd_eval::warn_missing_syscalls(&rs, &reader);
    let (sel, missing) = selected(&rs, &a.base_syscalls, a.repair, a.all, &reader)?;
    let mut cfg = base_config(&a, sel)?;
    if let Some((from, to)) = crate::cmd_eval::window(&reader, a.from.as_deref(), a.to.as_deref())?
    {
        cfg.from_ns = a.from.is_some().then_some(from);
        cfg.to_ns = a.to.is_some().then_some(to);
    }
    if let Some(f) = &filter {
        // A pass of the state engine alone decides which records a filter
        // keeps, so `proc.name` and `fd.name` are right even for records of
        // processes whose exec the filter leaves out.
        let mut engine = Engine::new(Default::default(), RuleMatching::First);
        let keep = filter_keep(&reader, &mut engine, f)?;
        eprintln!(
            "sysreplay: --filter keeps {} of {} records; only these are replayed",
            keep.kept, keep.total
        );
        cfg.keep = Some(std::sync::Arc::new(keep));
    }
    if !missing.is_empty() {
        eprintln!(
            "sysreplay: WARNING: the selection needs {} syscall(s) this trace did not record: {}.\n  Falco would see these events too: the replay under-states the load on Falco's rings and consumer (fewer drops than real), and rules that need them cannot fire. Record with `--rules` for these rules, or `--syscalls all`.",
            missing.len(),
            missing.join(", ")
        );
    }
    let total = reader.event_count();
    let mut progress = Progress::new();
    let sc = scan(&reader, &cfg)?;
    if let Some(path) = &a.calibrate_falco {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
        let cal = read_falco_metrics(&text)
            .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
        let mean = mean_counted_ns(&reader, &rs, &cfg, &sc)?;
        if mean <= 0.0 {
            return Err(Failure::input(format!(
                "{}: the trace has no selected event to calibrate on",
                a.trace.display()
            )));
        }
        eprintln!(
            "sysreplay: calibrated on {}: Falco spent {:.0} ns per event ({}% CPU at {} events/s); the counted model's mean here is {:.0} ns: scale {:.3}",
            path.display(),
            cal.ns_per_event,
            cal.cpu_usage_perc,
            cal.evts_rate_sec,
            mean,
            cal.ns_per_event / mean
        );
        cfg.cost = CostModel::Counted {
            scale: cal.ns_per_event / mean,
        };
    }

    if a.sweep {
        let steps = ladder(&rs, &cfg.selected);
        let cfebs = if a.sweep_cpus_for_each_buffer.is_empty() {
            vec![cfg.cpus_for_each_buffer]
        } else {
            a.sweep_cpus_for_each_buffer.clone()
        };
        let cells = sweep(&reader, &cfg, &steps, &a.sweep_presets, &cfebs, |d, t| {
            progress.show("sweep", d as u64, t as u64)
        })?;
        progress.done();
        let cpus = cfg.cpus.unwrap_or(reader.header().num_cpus.max(1));
        return print_sweep(&a, &cfg, cpus, &cells);
    }
    if a.ramp {
        let r = ramp(&reader, &rs, &cfg, |n| {
            progress.show("ramp probes", n as u64, 0)
        })?;
        progress.done();
        if a.json {
            println!("{}", serde_json::to_string_pretty(&r).unwrap_or_default());
        } else {
            println!(
                "highest offered rate without drops: {:.0} events/s ({:.0} per CPU over {} CPUs), {} probes; {}",
                r.max_rate,
                r.per_cpu,
                cfg.cpus.unwrap_or(reader.header().num_cpus.max(1)),
                r.probes.len(),
                setting_line(&cfg)
            );
        }
        return Ok(());
    }

    let base = simulate(&reader, &rs, &cfg, &sc, |d| {
        progress.show("replay", d, total)
    })?;
    progress.done();
    let variant = if a.what_if.is_empty() {
        None
    } else {
        let (vrs, vcfg, label) = apply_what_if(&a, &rs, &cfg, &reader)?;
        let vsc = scan(&reader, &vcfg)?;
        let r = simulate(&reader, &vrs, &vcfg, &vsc, |d| {
            progress.show("what-if", d, total)
        })?;
        progress.done();
        Some((label, r))
    };
    if let Some(path) = &a.metrics_json {
        write_metrics(path, &base)?;
    }
    let out = std::io::stdout();
    let mut o = out.lock();
    if a.json {
        let v = match &variant {
            None => serde_json::to_value(&base),
            Some((label, r)) => serde_json::to_value(serde_json::json!({
                "schema": base.schema,
                "base": base,
                "what_if": { "change": label, "report": r },
            })),
        }
        .map_err(|e| Failure::runtime(e.to_string()))?;
        let mut v = v;
        if !missing.is_empty() {
            v["missing_syscalls"] = serde_json::json!(missing);
        }
        writeln!(
            o,
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        )?;
        return Ok(());
    }
    print_report(&mut o, &base, a.top, &missing)?;
    if let Some((label, r)) = &variant {
        writeln!(o)?;
        print_side_by_side(&mut o, &base, r, label, a.top)?;
    }
    Ok(())
}

fn apply_what_if(
    a: &Args,
    rs: &Ruleset,
    cfg: &SimConfig,
    reader: &TraceReader,
) -> Result<(Ruleset, SimConfig, String), Failure> {
    let mut vrs = rs.clone();
    let mut vcfg = cfg.clone();
    let mut custom = a.base_syscalls.clone();
    let mut repair = a.repair;
    let mut reselect = false;
    for w in &a.what_if {
        let (k, v) = w.split_once('=').ok_or_else(|| {
            Failure::input(format!(
                "--what-if {w}: expected KEY=VALUE (e.g. disable=\"Rule name\", buf-size-preset=6)"
            ))
        })?;
        let bad = |why: &str| Failure::input(format!("--what-if {w}: {why}"));
        match k {
            "disable" | "enable" => {
                if vrs.set_enabled_by_name(v, k == "enable") == 0 {
                    return Err(bad("no rule matches"));
                }
                reselect = true;
            }
            "disable-tag" => {
                if vrs.set_enabled_by_tag(v, false) == 0 {
                    return Err(bad("no rule has a matching tag"));
                }
                reselect = true;
            }
            "buf-size-preset" => {
                let p: usize = v.parse().map_err(|_| bad("expected 1..10"))?;
                if !(1..=10).contains(&p) {
                    return Err(bad("expected 1..10"));
                }
                vcfg.buf_bytes = BUF_SIZE_PRESETS[p];
            }
            "cpus-for-each-buffer" => {
                vcfg.cpus_for_each_buffer = v.parse().map_err(|_| bad("expected a number"))?;
            }
            "base-syscalls" => {
                custom = v.split(',').map(|s| s.trim().to_string()).collect();
                reselect = true;
            }
            "repair" => {
                repair = v.parse().map_err(|_| bad("expected true or false"))?;
                reselect = true;
            }
            "driver" => {
                vcfg.driver = match v {
                    "kmod" => Driver::Kmod,
                    "modern-ebpf" | "modern_ebpf" => Driver::ModernEbpf,
                    _ => return Err(bad("expected kmod or modern-ebpf")),
                };
            }
            _ => {
                return Err(bad(
                    "unknown key (disable, enable, disable-tag, buf-size-preset, cpus-for-each-buffer, base-syscalls, repair, driver)",
                ))
            }
        }
    }
    if reselect {
        let (sel, missing) = selected(&vrs, &custom, repair, a.all, reader)?;
        if !missing.is_empty() {
            eprintln!(
                "sysreplay: WARNING: the what-if selection needs syscalls this trace did not record: {}",
                missing.join(", ")
            );
        }
        vcfg.selected = sel;
    }
    Ok((vrs, vcfg, a.what_if.join(" ")))
}

fn write_metrics(path: &std::path::Path, r: &Report) -> Result<(), Failure> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
    let mut w = std::io::BufWriter::new(f);
    for m in &r.metrics {
        writeln!(w, "{m}")?;
    }
    w.flush()?;
    Ok(())
}

/// `s` cut to about `max` characters, with an ellipsis.
fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_string(),
    }
}

pub(crate) fn human(n: f64) -> String {
    if n >= 1e6 {
        format!("{:.2}M", n / 1e6)
    } else if n >= 1e4 {
        format!("{:.1}k", n / 1e3)
    } else {
        format!("{n:.0}")
    }
}

fn setting_line(cfg: &SimConfig) -> String {
    let mib = cfg.buf_bytes as f64 / (1 << 20) as f64;
    let preset = BUF_SIZE_PRESETS
        .iter()
        .position(|&b| b == cfg.buf_bytes && b > 0);
    let p = preset.map_or(String::new(), |p| format!(" (preset {p})"));
    let share = match cfg.driver {
        Driver::ModernEbpf if cfg.cpus_for_each_buffer == 0 => ", one ring for all CPUs".into(),
        Driver::ModernEbpf => format!(", {} CPUs per ring", cfg.cpus_for_each_buffer),
        Driver::Kmod => ", one ring per CPU".into(),
    };
    format!(
        "{} {} events, {mib} MiB rings{p}{share}, cost {}",
        cfg.driver.name(),
        cfg.layout.name(),
        cfg.cost.describe()
    )
}

fn print_report(
    o: &mut impl Write,
    r: &Report,
    top: usize,
    missing: &[String],
) -> std::io::Result<()> {
    let c = &r.config;
    let d = &r.drops;
    writeln!(
        o,
        "replay of {} ({} records, {:.2} s, {} CPUs recorded, source {})",
        r.trace.path, r.trace.records, r.trace.duration_s, r.trace.recorded_cpus, r.trace.source
    )?;
    writeln!(
        o,
        "  Falco: {} driver, {} events (libs {}), {} ring(s) of {} MiB{}{}, {} simulated CPUs; {} syscalls selected, {} rules enabled",
        c.driver,
        c.event_layout,
        if c.event_layout == "exit-only" { ">= 0.22" } else { "< 0.22" },
        c.rings,
        c.buf_size_bytes >> 20,
        c.buf_size_preset.map_or(String::new(), |p| format!(" (preset {p})")),
        c.cpus_for_each_buffer
            .map_or(String::new(), |k| format!(", {k} CPUs per ring")),
        c.simulated_cpus,
        c.selected_syscalls,
        c.rules_enabled
    )?;
    writeln!(
        o,
        "  pacing: {}; cost: {}",
        c.pacing, c.cost_model_description
    )?;
    if !missing.is_empty() {
        writeln!(
            o,
            "  WARNING: not in the trace but selected: {} (the load is under-stated)",
            missing.join(", ")
        )?;
    }
    writeln!(o)?;
    if d.n_drops == 0 {
        writeln!(
            o,
            "VERDICT: no drops. Falco would keep up with this workload ({} events offered to the rings).",
            d.n_evts
        )?;
    } else {
        writeln!(
            o,
            "VERDICT: DROPS. Falco would drop {:.2}% of events ({} of {}).",
            d.n_drops_perc, d.n_drops, d.n_evts
        )?;
        writeln!(o, "  per category:")?;
        for k in d.per_category.iter().filter(|k| k.drops > 0) {
            writeln!(o, "    {:<48} {}", k.metric, k.drops)?;
        }
        writeln!(o, "  per CPU:")?;
        for x in d.per_cpu.iter().filter(|x| x.n_drops > 0) {
            writeln!(
                o,
                "    cpu {:<3} {} of {} ({:.2}%)",
                x.cpu,
                x.n_drops,
                x.n_evts,
                100.0 * x.n_drops as f64 / x.n_evts.max(1) as f64
            )?;
        }
        writeln!(o, "  windows (simulated time from the start):")?;
        for w in d.windows.iter().take(top) {
            writeln!(
                o,
                "    {:>9.3} s .. {:>9.3} s  {} drops",
                w.start_ns as f64 / 1e9,
                w.end_ns as f64 / 1e9,
                w.drops
            )?;
        }
        if d.windows.len() > top {
            writeln!(o, "    ... {} more windows", d.windows.len() - top)?;
        }
    }
    writeln!(
        o,
        "  largest ring fill: {:.1} MiB of {} MiB",
        d.max_ring_used_bytes as f64 / (1 << 20) as f64,
        c.buf_size_bytes >> 20
    )?;
    let rec = &r.recorder;
    if rec.markers > 0 {
        writeln!(
            o,
            "  recorder drops (in the trace itself, not caused by these rules): {} events lost in {} window(s)",
            rec.events_lost, rec.markers
        )?;
    }
    let k = &r.consumer;
    writeln!(
        o,
        "consumer: busy {:.1}% ({:.3} s of {:.3} s), {:.0} ns per event, sustains {} events/s at this mix; longest wait {:.1} ms; {} alerts",
        100.0 * k.utilisation,
        k.busy_s,
        k.elapsed_s,
        k.mean_cost_ns,
        human(k.sustainable_evts_per_sec),
        k.max_lag_ms,
        k.alerts
    )?;
    let p = &r.profile;
    let t = p.total_cost_ns.max(1e-9);
    if c.cost_model == "measured" && p.rules_cost_ns == 0.0 {
        writeln!(
            o,
            "cost: per-rule times need --profile under the measured model (two clock reads per rule)"
        )?;
    } else if c.cost_model == "measured" {
        writeln!(
            o,
            "cost: rules {:.1}%, state engine {:.1}%, unattributed (alert output, loop, timers) {:.1}%",
            100.0 * p.rules_cost_ns / t,
            100.0 * p.fixed_cost_ns / t,
            100.0 * p.unattributed_cost_ns / t
        )?;
    } else {
        writeln!(
            o,
            "cost: rules {:.1}% (alert formatting included), fixed (event base, state updates) {:.1}%",
            100.0 * p.rules_cost_ns / t,
            100.0 * p.fixed_cost_ns / t
        )?;
    }
    let no_parts = p.rules.iter().all(|x| x.parts.is_empty());
    if no_parts && c.cost_model != "measured" {
        writeln!(
            o,
            "top rules by cost (--profile adds each one's costliest sub-conditions):"
        )?;
    } else {
        writeln!(o, "top rules by cost:")?;
    }
    writeln!(
        o,
        "  {:>6}  {:>10}  {:>8}  {:>10}  rule",
        "share", "evals", "matches", "ms"
    )?;
    for x in p.rules.iter().filter(|x| x.evaluations > 0).take(top) {
        writeln!(
            o,
            "  {:>5.1}%  {:>10}  {:>8}  {:>10.3}  {}",
            100.0 * x.share,
            x.evaluations,
            x.matches,
            x.cost_ns / 1e6,
            x.name
        )?;
        // Its costliest sub-conditions (root operands, counted work; --profile).
        for part in x.parts.iter().take(2) {
            writeln!(
                o,
                "  {:>46}  {:>4.0}% of it: {}",
                "",
                100.0 * part.share_of_rule,
                shorten(&part.condition, 90)
            )?;
        }
    }
    writeln!(o, "top event types by cost:")?;
    for x in p.event_types.iter().take(top) {
        writeln!(
            o,
            "  {:>5.1}%  {:>10}  {}",
            100.0 * x.share,
            x.events,
            x.name
        )?;
    }
    if !p.macros.is_empty() {
        writeln!(
            o,
            "costliest macros (counted work, nested macros included):"
        )?;
        for x in p.macros.iter().take(top) {
            writeln!(
                o,
                "  {:>12} work  {:>10} evals  {}",
                x.work, x.evaluations, x.name
            )?;
        }
    }
    Ok(())
}

fn print_side_by_side(
    o: &mut impl Write,
    a: &Report,
    b: &Report,
    label: &str,
    top: usize,
) -> std::io::Result<()> {
    writeln!(o, "what-if: {label}")?;
    writeln!(o, "  {:<34} {:>16} {:>16}", "", "original", "what-if")?;
    let row =
        |o: &mut dyn Write, k: &str, x: String, y: String| writeln!(o, "  {k:<34} {x:>16} {y:>16}");
    row(
        o,
        "drops %",
        format!("{:.3}", a.drops.n_drops_perc),
        format!("{:.3}", b.drops.n_drops_perc),
    )?;
    row(
        o,
        "drops",
        a.drops.n_drops.to_string(),
        b.drops.n_drops.to_string(),
    )?;
    row(
        o,
        "events offered (scap.n_evts)",
        a.drops.n_evts.to_string(),
        b.drops.n_evts.to_string(),
    )?;
    row(
        o,
        "rings x MiB",
        format!("{} x {}", a.config.rings, a.config.buf_size_bytes >> 20),
        format!("{} x {}", b.config.rings, b.config.buf_size_bytes >> 20),
    )?;
    row(
        o,
        "rules enabled",
        a.config.rules_enabled.to_string(),
        b.config.rules_enabled.to_string(),
    )?;
    row(
        o,
        "syscalls selected",
        a.config.selected_syscalls.to_string(),
        b.config.selected_syscalls.to_string(),
    )?;
    row(
        o,
        "consumer busy %",
        format!("{:.1}", 100.0 * a.consumer.utilisation),
        format!("{:.1}", 100.0 * b.consumer.utilisation),
    )?;
    row(
        o,
        "ns per event",
        format!("{:.0}", a.consumer.mean_cost_ns),
        format!("{:.0}", b.consumer.mean_cost_ns),
    )?;
    row(
        o,
        "sustainable events/s",
        human(a.consumer.sustainable_evts_per_sec),
        human(b.consumer.sustainable_evts_per_sec),
    )?;
    row(
        o,
        "alerts",
        a.consumer.alerts.to_string(),
        b.consumer.alerts.to_string(),
    )?;
    for (x, y) in a.drops.per_category.iter().zip(&b.drops.per_category) {
        if x.drops > 0 || y.drops > 0 {
            // "drops close_exit", "drops other syscalls, exit": the label
            // column's width (the per-category list says "in the total only")
            let label = match x.metric.strip_prefix("scap.n_drops_buffer_") {
                Some(cat) => format!("drops {cat}"),
                None => format!(
                    "drops {}",
                    x.metric.trim_end_matches(" (in the total only)")
                ),
            };
            row(o, &label, x.drops.to_string(), y.drops.to_string())?;
        }
    }
    writeln!(o, "  top rules (what-if):")?;
    for x in b
        .profile
        .rules
        .iter()
        .filter(|x| x.evaluations > 0)
        .take(top)
    {
        writeln!(o, "    {:>5.1}%  {}", 100.0 * x.share, x.name)?;
    }
    Ok(())
}

fn print_sweep(
    a: &Args,
    cfg: &SimConfig,
    cpus: u32,
    cells: &[whatif::SweepCell],
) -> Result<(), Failure> {
    let out = std::io::stdout();
    let mut o = out.lock();
    if a.json {
        writeln!(
            o,
            "{}",
            serde_json::to_string_pretty(cells).unwrap_or_default()
        )?;
        return Ok(());
    }
    writeln!(
        o,
        "Falco's drop test ladder: drop % per buffer preset ({} {} events, {})",
        cfg.driver.name(),
        cfg.layout.name(),
        cfg.cost.describe()
    )?;
    let mut cols: Vec<(usize, u32)> = Vec::new();
    for c in cells {
        if !cols.contains(&(c.buf_size_preset, c.cpus_for_each_buffer)) {
            cols.push((c.buf_size_preset, c.cpus_for_each_buffer));
        }
    }
    write!(o, "  {:<44}", "test")?;
    for (p, k) in &cols {
        let h = if cfg.driver == Driver::ModernEbpf {
            format!("p{p}/c{k}")
        } else {
            format!("p{p}")
        };
        write!(o, " {h:>8}")?;
    }
    writeln!(o)?;
    let mut steps: Vec<&str> = Vec::new();
    for c in cells {
        if !steps.contains(&c.step.as_str()) {
            steps.push(&c.step);
        }
    }
    for s in &steps {
        write!(o, "  {s:<44}")?;
        for col in &cols {
            let c = cells
                .iter()
                .find(|c| c.step == *s && (c.buf_size_preset, c.cpus_for_each_buffer) == *col);
            match c {
                Some(c) => write!(o, " {:>8.2}", c.n_drops_perc)?,
                None => write!(o, " {:>8}", "-")?,
            }
        }
        writeln!(o)?;
    }
    writeln!(o, "smallest configuration under {}% drops:", a.threshold)?;
    for s in &steps {
        // Total ring memory decides "smallest": the preset, then fewer
        // rings; between settings that give the same rings (2 and 4 CPUs
        // per ring on 2 CPUs), the smaller number (0, "all", last).
        let rings = |k: u32| {
            let with = SimConfig {
                cpus_for_each_buffer: k,
                ..cfg.clone()
            };
            with.n_rings(cpus)
        };
        let best = cells
            .iter()
            .filter(|c| c.step == *s && c.n_drops_perc < a.threshold)
            .min_by_key(|c| {
                let k = c.cpus_for_each_buffer;
                (c.buf_size_preset, rings(k), k == 0, k)
            });
        match best {
            Some(c) if cfg.driver == Driver::ModernEbpf => writeln!(
                o,
                "  {s:<44} buf_size_preset {} ({} MiB), cpus_for_each_buffer {}",
                c.buf_size_preset,
                BUF_SIZE_PRESETS[c.buf_size_preset] >> 20,
                c.cpus_for_each_buffer
            )?,
            Some(c) => writeln!(
                o,
                "  {s:<44} buf_size_preset {} ({} MiB)",
                c.buf_size_preset,
                BUF_SIZE_PRESETS[c.buf_size_preset] >> 20
            )?,
            None => writeln!(o, "  {s:<44} none of those tried")?,
        }
    }
    Ok(())
}
